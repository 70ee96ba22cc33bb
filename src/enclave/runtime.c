/* runtime.c — call dispatch and jobs (secrets: secrets.c; sealed state: state.c). */
#include "enclave/runtime_impl.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/ethkey.h"
#include "evidence/binding.h"
#include "evidence/measure.h"
#include "base/ct.h"
#include "crypto/aead.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/keccak.h"
#include "crypto/merkle.h"
#include "crypto/rand.h"
#include "crypto/secp256k1.h"
#include "wire/frame.h"
#include "enclave/keys.h"
#include "wire/proto.h"
#include "wire/witness.h"
#include "workloads/workload.h"

clo_err clo_enclave_new(clo_enclave **out)
{
    clo_enclave *e = calloc(1, sizeof *e);
    CLO_ENSURE(e, CLO_E_NOMEM, "enclave");
    for (size_t i = 0; i < JOB_LOG_BUCKETS; i++) e->bucket[i] = -1;
    *out = e;
    return CLO_OK;
}

void clo_rt_secrets_wipe(secret_item *s, size_t n)
{
    for (size_t i = 0; i < n; i++) clo_secret_free(s[i].data);
    clo_wipe(s, n * sizeof *s);
}

void clo_enclave_use_pool(clo_enclave *e, struct clo_pool *pool)
{
    e->pool = pool;
}

void clo_enclave_free(clo_enclave *e)
{
    if (!e) return;
    clo_keyring_wipe(&e->keys);
    clo_rt_secrets_wipe(e->secrets, e->n_secrets);
    clo_rt_streams_wipe(e);
    clo_rt_fetches_free(e);
    clo_x25519_key_free(e->share_key);
    clo_tee_free(e->tee);
    clo_wipe(e, sizeof *e);
    free(e);
}

/* ---- processed-job log ---- */

static size_t bucket_of(const uint8_t job_id[32])
{
    return (size_t)((uint32_t)job_id[0] << 8 | job_id[1] | (uint32_t)job_id[2] << 16) &
           (JOB_LOG_BUCKETS - 1);
}

static const log_entry *log_find(const clo_enclave *e, const uint8_t job_id[32])
{
    for (int32_t i = e->bucket[bucket_of(job_id)]; i >= 0; i = e->log[i].next)
        if (!memcmp(e->log[i].job_id, job_id, 32)) return &e->log[i];
    return NULL;
}

static void log_unlink(clo_enclave *e, int32_t idx)
{
    int32_t *p = &e->bucket[bucket_of(e->log[idx].job_id)];
    while (*p >= 0 && *p != idx) p = &e->log[*p].next;
    if (*p == idx) *p = e->log[idx].next;
}

void clo_rt_log_link(clo_enclave *e, int32_t idx)
{
    size_t b = bucket_of(e->log[idx].job_id);
    e->log[idx].next = e->bucket[b];
    e->bucket[b] = idx;
}

/* The clock that retires entries: the committee's; with no committee (an
 * API-only enclave), the host's, which then decides only when its own
 * requesters' jobs may be re-run. */
static uint64_t log_clock(const clo_enclave *e, int64_t now)
{
    if (e->cfg.committee.count || now < 0) return e->clock;
    return (uint64_t)now > e->clock ? (uint64_t)now : e->clock;
}

/* Drop entries whose deadline has passed: their jobs can no longer settle. */
static void log_prune(clo_enclave *e, uint64_t clock)
{
    for (size_t i = e->log_count; i-- > 0;) {
        if (e->log[i].deadline >= clock) continue;
        int32_t last = (int32_t)e->log_count - 1;
        log_unlink(e, (int32_t)i);
        if ((int32_t)i != last) {
            log_unlink(e, last);
            e->log[i] = e->log[last];
            clo_rt_log_link(e, (int32_t)i);
        }
        e->log_count--;
    }
}

static clo_err log_add(clo_enclave *e, const uint8_t job_id[32], const uint8_t digest[32],
                       uint64_t deadline, int64_t now)
{
    CLO_ENSURE(!e->cfg.committee.count || e->unwitnessed < JOB_WINDOW, CLO_E_STATE,
               "state: 1024 jobs since the last export the committee recorded (EXPORT, then "
               "WITNESS)");
    if (e->log_count == JOB_LOG_MAX) log_prune(e, log_clock(e, now));
    CLO_ENSURE(e->log_count < JOB_LOG_MAX, CLO_E_LIMIT,
               "job log full: no logged job's deadline has passed yet");
    e->unwitnessed++;
    int32_t idx = (int32_t)e->log_count++;
    log_entry *le = &e->log[idx];
    memcpy(le->job_id, job_id, 32);
    memcpy(le->digest, digest, 32);
    le->deadline = deadline;
    clo_rt_log_link(e, idx);
    return CLO_OK;
}

/* ---- committee signatures ---- */

/* Count the member that signed `digest` once: CLO_E_AUTH (naming `what`) for
 * a non-member, a bad signature or a member counted already. */
clo_err clo_rt_count_member(const clo_committee *cm, const uint8_t digest[32],
                            const uint8_t sig[65], const char *what,
                            uint8_t counted[CLO_COMMITTEE_MAX], size_t *members)
{
    size_t m;
    CLO_TRY(clo_committee_signer(cm, digest, sig, what, &m));
    CLO_ENSURE(!counted[m], CLO_E_AUTH, what);
    counted[m] = 1;
    (*members)++;
    return CLO_OK;
}

/* ---- tickets ---- */

/* The job's ticket must commit to exactly this job: its id, workload, config,
 * input set and consumer (the spec), before any envelope is opened. On success
 * *clock is the committee time it proves (0 for a requester ticket). */
/* *clock: the committee's time this ticket vouches for (0 for an API job);
 * *at: the job's time, the one a fetch checks certificates at: the
 * committee's, or an API job's requester's own issued_at. */
static clo_err check_ticket(const clo_enclave *e, const clo_proto_job *job, int64_t now,
                            uint64_t *clock, int64_t *at)
{
    static const uint8_t zero[20];
    clo_ticket t;
    uint8_t who[20];
    *clock = 0;
    *at = 0;
    CLO_ENSURE(job->nsigs >= 1, CLO_E_POLICY,
               "job.ticket: none (the enclave runs only an input set its ticket commits to)");
    if (memcmp(job->requester, zero, 20)) { /* an API job, vouched for by its requester */
        uint8_t want[32];
        CLO_ENSURE(job->nsigs == 1, CLO_E_FORMAT,
                   "job.ticket: a requester ticket has one signature");
        clo_ticket_api_job_id(e->cfg.chain_id, e->cfg.market, job->requester, job->client_nonce,
                              want);
        CLO_ENSURE(!memcmp(want, job->job_id, 32), CLO_E_POLICY,
                   "job.ticket: the job id is not derived from its requester and nonce");
        clo_proto_job_ticket(job, job->sigs[0].issued_at, &t);
        CLO_TRY(clo_ticket_signer(&t, e->cfg.chain_id, e->cfg.market, job->sigs[0].sig, who));
        CLO_ENSURE(!memcmp(who, job->requester, 20), CLO_E_AUTH,
                   "job.ticket: not signed by its requester over this input set");
        *at = (int64_t)job->sigs[0].issued_at;
    } else { /* a chain job, vouched for by the committee */
        const clo_committee *cm = &e->cfg.committee;
        uint8_t counted[CLO_COMMITTEE_MAX];
        size_t n = 0;
        uint64_t least = UINT64_MAX;
        CLO_ENSURE(cm->count > 0, CLO_E_POLICY, "job.ticket: this enclave trusts no committee");
        memset(counted, 0, sizeof counted);
        for (size_t i = 0; i < job->nsigs; i++) {
            uint8_t d[32];
            clo_proto_job_ticket(job, job->sigs[i].issued_at, &t);
            clo_ticket_digest(&t, e->cfg.chain_id, e->cfg.market, d);
            CLO_TRY(clo_rt_count_member(cm, d, job->sigs[i].sig,
                                        "job.ticket: a non-member, a member twice, or over another "
                                        "input set",
                                        counted, &n));
            if (job->sigs[i].issued_at < least) least = job->sigs[i].issued_at;
        }
        CLO_ENSURE(n >= cm->threshold, CLO_E_POLICY,
                   "job.ticket: fewer committee signatures than the threshold");
        *clock = least;
        *at = (int64_t)least;
    }
    uint64_t c = log_clock(e, now);
    if (*clock > c) c = *clock;
    CLO_ENSURE(job->deadline >= c, CLO_E_POLICY, "job.ticket: its deadline has passed");
    return CLO_OK;
}

/* ---- calls ---- */

static clo_err lineage_address(clo_enclave *e)
{
    return clo_eth_key_address(&e->lineage_key, e->lineage);
}

static clo_err call_init(clo_enclave *e, clo_bytes body)
{
    clo_proto_init in;
    CLO_ENSURE(!e->initialised, CLO_E_STATE, "init: already initialised");
    CLO_TRY(clo_proto_init_decode(body, &in));
    CLO_ENSURE(in.grace_seconds <= 366u * 86400, CLO_E_FORMAT, "init.grace_seconds");
    CLO_TRY(clo_tee_open(&e->tee, (clo_tee_kind)in.backend, in.parts, in.count, in.measurement));
    uint8_t ch[32], event[48];
    clo_err err = clo_committee_hash(&in.committee, ch);
    if (!err.code) err = clo_measure_config_event(in.chain_id, in.market, in.registry, ch, event);
    if (!err.code) err = clo_tee_bind_config(e->tee, event);
    /* A fresh lineage, until an IMPORT brings back the state's own. */
    if (!err.code) err = clo_secp256k1_keygen(&e->lineage_key);
    if (!err.code) err = lineage_address(e);
    if (!err.code) err = clo_random(e->import_nonce, 32);
    if (err.code) {
        clo_tee_free(e->tee);
        e->tee = NULL;
        return err;
    }
    e->cfg = in;
    e->cfg.count = 0;
    memset(e->cfg.parts, 0, sizeof e->cfg.parts);
    clo_keyring_init(&e->keys, in.grace_seconds);
    e->initialised = 1;
    return CLO_OK;
}

static clo_err call_hello(clo_enclave *e, clo_bytes body, clo_buf *resp)
{
    uint16_t v;
    CLO_TRY(clo_proto_hello_req_decode(body, &v));
    CLO_ENSURE(v == CLO_PROTO_VERSION, CLO_E_VERSION, "hello: protocol version");
    const clo_epoch *cur = clo_keyring_current(&e->keys);
    clo_proto_hello h = {CLO_PROTO_VERSION,       e->tee ? (uint8_t)clo_tee_kind_of(e->tee) : 0,
                         (uint8_t)e->initialised, {0},
                         cur ? cur->epoch : 0,    e->jobs_run,
                         (uint16_t)e->n_secrets};
    if (e->tee) memcpy(h.measurement, clo_tee_measurement(e->tee), 48);
    return clo_proto_hello_encode(&h, resp);
}

static clo_err current_epoch(const clo_enclave *e, const clo_epoch **out)
{
    *out = clo_keyring_current(&e->keys);
    CLO_ENSURE(*out, CLO_E_STATE, "no epoch keys yet (rotate first)");
    return CLO_OK;
}

static clo_err call_evidence(clo_enclave *e, clo_bytes body, clo_buf *resp)
{
    const clo_epoch *cur;
    CLO_ENSURE(body.len == 52, CLO_E_FORMAT, "evidence: nonce[32] and operator[20]");
    CLO_TRY(current_epoch(e, &cur));
    clo_proto_evidence ev;
    memset(&ev, 0, sizeof ev);
    ev.epoch = cur->epoch;
    memcpy(ev.signer, cur->signer_addr, 20);
    memcpy(ev.hpke_pk, cur->hpke_pk, 32);
    ev.chain_id = e->cfg.chain_id;
    memcpy(ev.registry, e->cfg.registry, 20);
    memcpy(ev.nonce, body.ptr, 32);
    memcpy(ev.operator_addr, body.ptr + 32, 20);
    clo_key_binding b;
    memcpy(b.operator_addr, ev.operator_addr, 20);
    memcpy(b.signer, ev.signer, 20);
    memcpy(b.hpke_pk, ev.hpke_pk, 32);
    b.epoch = ev.epoch;
    b.chain_id = ev.chain_id;
    memcpy(b.registry, ev.registry, 20);
    memcpy(b.nonce, ev.nonce, 32);
    clo_report_data(&b, ev.report_data);
    clo_buf evidence;
    clo_buf_init(&evidence, 1 << 20);
    clo_evidence_format fmt;
    clo_err err = clo_tee_evidence(e->tee, ev.report_data, &evidence, &fmt);
    if (!err.code) {
        ev.format = (uint8_t)fmt;
        ev.evidence = clo_buf_view(&evidence);
        err = clo_proto_evidence_encode(&ev, resp);
    }
    clo_buf_free(&evidence);
    return err;
}

static clo_err call_keys(clo_enclave *e, clo_bytes body, clo_buf *resp)
{
    CLO_ENSURE(body.len == 0, CLO_E_FORMAT, "keys: unexpected body");
    return clo_rt_keys(e, resp);
}

clo_err clo_rt_keys(clo_enclave *e, clo_buf *resp)
{
    clo_proto_keys k;
    memset(&k, 0, sizeof k);
    const clo_epoch *cur = clo_keyring_current(&e->keys);
    k.current = cur ? cur->epoch : 0;
    k.count = e->keys.count;
    for (size_t i = 0; i < k.count; i++) {
        const clo_epoch *ep = &e->keys.e[k.count - 1 - i]; /* current first */
        k.keys[i].epoch = ep->epoch;
        k.keys[i].created = ep->created;
        k.keys[i].retire_at = ep->retire_at;
        memcpy(k.keys[i].signer, ep->signer_addr, 20);
        memcpy(k.keys[i].hpke_pk, ep->hpke_pk, 32);
    }
    return clo_proto_keys_encode(&k, resp);
}

/* Open every input, run the workload, seal the private outputs, sign. Writes
 * the result record (success or the job's own error) to resp. */
typedef struct {
    clo_buf plain[CLO_PROTO_MAX_INPUTS], priv[CLO_PROTO_MAX_INPUTS], sealed[CLO_PROTO_MAX_INPUTS];
    clo_envelope_reply_key rk[CLO_PROTO_MAX_INPUTS];
    clo_bytes views[CLO_PROTO_MAX_INPUTS];
    uint8_t unopened[CLO_PROTO_MAX_INPUTS], excluded[CLO_PROTO_MAX_INPUTS];
    clo_buf pub;
    clo_proto_result r;
} job_scratch;

clo_err clo_rt_job_check(clo_enclave *e, const clo_proto_job *job, int64_t now, int64_t *at)
{
    CLO_ENSURE(clo_workload_by_id(job->workload_id), CLO_E_UNSUPPORTED, "job.workload: unknown");
    CLO_ENSURE(job->chain_id == e->cfg.chain_id, CLO_E_POLICY, "job.chain_id: not this enclave's");
    CLO_ENSURE(!memcmp(job->market, e->cfg.market, 20), CLO_E_POLICY,
               "job.market: not this enclave's");
    uint64_t clock;
    CLO_TRY(check_ticket(e, job, now, &clock, at));
    if (clock > e->clock) e->clock = clock;
    return CLO_OK;
}

void clo_rt_job_binding(const clo_proto_job *job, clo_envelope_binding *b)
{
    memset(b, 0, sizeof *b);
    b->chain_id = job->chain_id;
    memcpy(b->contract, job->market, 20);
    memcpy(b->job_id, job->job_id, 32);
    memcpy(b->workload_id, job->workload_id, 32);
    b->epoch = job->epoch;
}

static clo_err run_job(clo_enclave *e, const clo_proto_job *job, int64_t now,
                       const clo_rt_fetched *fetched, job_scratch *s)
{
    const clo_workload *wl = clo_workload_by_id(job->workload_id);
    const clo_epoch *ep;
    clo_proto_result *r = &s->r;
    int64_t at;
    if (fetched) /* checked when the fetch began, on the enclave's own copy */
        at = fetched->at;
    else
        CLO_TRY(clo_rt_job_check(e, job, now, &at));
    CLO_ENSURE(!wl->sources == !fetched, CLO_E_POLICY,
               wl->sources ? "job.workload: fetches its sources (FETCH_BEGIN, not RUN)"
                           : "job.workload: fetches nothing");
    clo_keyring_expire(&e->keys, now);
    CLO_TRY(clo_keyring_find(&e->keys, job->epoch, &ep));

    clo_envelope_binding b;
    clo_rt_job_binding(job, &b);
    for (size_t i = 0; i < job->count; i++) {
        /* An envelope that does not open (for another job, key or epoch, or
         * malformed) excludes its input, never the job: one bidder cannot veto
         * an auction. It gets an empty plaintext and no reply. */
        clo_err err =
            clo_envelope_request_open(&s->plain[i], &s->rk[i], &b, ep->hpke, job->inputs[i]);
        /* A copy of an earlier input is not a second participant: it would
         * count one sealed bid or ballot twice, in the copier's position. */
        for (size_t j = 0; j < i && !err.code; j++)
            if (clo_bytes_eq(job->inputs[j], job->inputs[i]))
                err = CLO_ERR(CLO_E_POLICY, "job.input: a copy of an earlier input");
        s->unopened[i] = err.code != 0;
        if (err.code) clo_buf_clear(&s->plain[i]);
        s->views[i] = clo_buf_view(&s->plain[i]);
    }
    void *state = NULL;
    clo_wl_env env = {clo_rt_secret_view, e, e->pool};
    CLO_TRY(wl->open(job->config, &env, &state));
    clo_buf *pub = &s->pub;
    memcpy(s->excluded, s->unopened, job->count);
    clo_wl_call call = {job->job_id,
                        s->views,
                        job->count,
                        s->excluded,
                        fetched ? fetched->f : NULL,
                        fetched ? fetched->n : 0,
                        at};
    clo_err err = wl->run(state, &call, pub, s->priv);
    wl->close(state);
    for (size_t i = 0; i < job->count && !err.code; i++)
        if (!s->unopened[i]) /* no reply key: its private output stays empty */
            err = clo_envelope_reply_seal(&s->sealed[i], &s->rk[i], clo_buf_view(&s->priv[i]));
    if (err.code) return err;

    r->err = CLO_OK;
    memcpy(r->job_id, job->job_id, 32);
    clo_result_stmt *st = &r->stmt;
    memcpy(st->job_id, job->job_id, 32);
    clo_hash_list(job->inputs, job->count, st->input_hash);
    clo_keccak256(clo_buf_view(pub), st->public_output_hash);
    for (size_t i = 0; i < job->count; i++) s->views[i] = clo_buf_view(&s->sealed[i]);
    clo_hash_list(s->views, job->count, st->private_output_hash);
    memcpy(st->workload_id, job->workload_id, 32);
    clo_keccak256(job->config, st->config_hash);
    st->epoch = job->epoch;
    uint8_t digest[32];
    clo_result_digest(st, job->chain_id, job->market, digest);
    /* A deterministic workload re-run gives the same statement; anything else
     * would be two signed outputs for one job, which we refuse to produce. */
    const log_entry *prev = log_find(e, job->job_id);
    if (prev && memcmp(prev->digest, digest, 32))
        return CLO_ERR(CLO_E_STATE, "job: a different result was already signed");
    if (!prev) CLO_TRY(log_add(e, job->job_id, digest, job->deadline, now));
    err = clo_result_sign(st, job->chain_id, job->market, ep->signer, r->sig);
    if (!err.code) {
        memcpy(r->signer, ep->signer_addr, 20);
        r->public_out = clo_buf_view(pub);
        r->count = job->count;
        for (size_t i = 0; i < job->count; i++) r->private_out[i] = clo_buf_view(&s->sealed[i]);
        e->jobs_run++;
    }
    return err;
}

static void scratch_init(job_scratch *s, size_t n)
{
    clo_buf_init(&s->pub, CLO_WL_MAX_PUBLIC);
    for (size_t i = 0; i < n; i++) {
        clo_buf_init(&s->plain[i], MAX_INPUT_PLAIN);
        clo_buf_init(&s->priv[i], CLO_WL_MAX_PRIVATE);
        clo_buf_init(&s->sealed[i], CLO_WL_MAX_PRIVATE + 64);
    }
}

static void scratch_free(job_scratch *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        clo_buf_free(&s->plain[i]);
        clo_buf_free(&s->priv[i]);
        clo_buf_free(&s->sealed[i]);
        clo_envelope_reply_key_wipe(&s->rk[i]);
    }
    clo_buf_free(&s->pub);
}

/* Run one job and append its result record (success or the job's own error). */
static clo_err run_one(clo_enclave *e, const clo_proto_job *job, int64_t now,
                       const clo_rt_fetched *fetched, job_scratch *s, clo_buf *resp)
{
    scratch_init(s, job->count);
    s->r.err = CLO_OK;
    s->r.count = 0;
    clo_err je = run_job(e, job, now, fetched, s);
    if (je.code) {
        memcpy(s->r.job_id, job->job_id, 32);
        s->r.err = je;
    }
    clo_err err = clo_proto_result_encode(&s->r, resp);
    scratch_free(s, job->count);
    return err;
}

clo_err clo_rt_run_fetched(clo_enclave *e, const clo_proto_job *job, int64_t now,
                           const clo_rt_fetched *fetched, clo_buf *resp)
{
    job_scratch *s = malloc(sizeof *s);
    CLO_ENSURE(s, CLO_E_NOMEM, "run");
    clo_err err = clo_proto_run_resp_begin(1, resp);
    if (!err.code) err = run_one(e, job, now, fetched, s, resp);
    free(s);
    return err;
}

static clo_err call_run(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp)
{
    clo_cur c;
    size_t n;
    clo_err err = CLO_OK;
    CLO_TRY(clo_proto_run_open(body, &c, &n));
    /* Decode the whole batch before running any of it. */
    clo_proto_job *jobs = calloc(n, sizeof *jobs);
    clo_bytes *inputs = calloc((size_t)n * CLO_PROTO_MAX_INPUTS, sizeof *inputs);
    job_scratch *s = malloc(sizeof *s);
    CLO_FAIL_IF(!jobs || !inputs || !s, CLO_E_NOMEM, "run");
    for (size_t i = 0; i < n; i++)
        CLO_CHECK(clo_proto_job_decode(&c, &jobs[i], inputs + i * CLO_PROTO_MAX_INPUTS));
    CLO_CHECK(clo_cur_end(&c));
    CLO_CHECK(clo_proto_run_resp_begin(n, resp));
    for (size_t i = 0; i < n && !err.code; i++) err = run_one(e, &jobs[i], now, NULL, s, resp);
out:
    free(jobs);
    free(inputs);
    free(s);
    return err;
}

/* ---- sealed state ---- */

/* Sign a batch root only over Results this enclave signed itself: each
 * statement's digest must be the one in the processed-job log. */
static clo_err call_sign_batch(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp)
{
    static clo_proto_batch b;
    static uint8_t leaves[CLO_PROTO_MAX_BATCH][32];
    const clo_epoch *ep;
    CLO_TRY(clo_proto_batch_decode(body, &b));
    clo_keyring_expire(&e->keys, now);
    CLO_TRY(clo_keyring_find(&e->keys, b.epoch, &ep));
    for (size_t i = 0; i < b.count; i++) {
        uint8_t digest[32];
        clo_result_digest(&b.stmts[i], e->cfg.chain_id, e->cfg.market, digest);
        const log_entry *le = log_find(e, b.stmts[i].job_id);
        CLO_ENSURE(le && !memcmp(le->digest, digest, 32), CLO_E_POLICY,
                   "batch: a statement this enclave did not sign");
        clo_result_struct_hash(&b.stmts[i], leaves[i]);
    }
    clo_proto_batch_sig out;
    memset(&out, 0, sizeof out);
    CLO_TRY(clo_merkle_root((const uint8_t(*)[32])leaves, b.count, out.root));
    out.count = (uint32_t)b.count;
    out.epoch = b.epoch;
    memcpy(out.signer, ep->signer_addr, 20);
    CLO_TRY(clo_batch_sign(out.root, out.count, out.epoch, e->cfg.chain_id, e->cfg.market,
                           ep->signer, out.sig));
    return clo_proto_batch_sig_encode(&out, resp);
}

clo_err clo_enclave_handle(clo_enclave *e, uint16_t call, clo_bytes body, int64_t now,
                           clo_buf *resp, int *stop)
{
    size_t start = resp->len;
    clo_err err;
    if (call == CLO_CALL_HELLO) return call_hello(e, body, resp);
    if (call == CLO_CALL_PING) {
        CLO_ENSURE(body.len <= 65536, CLO_E_LIMIT, "ping: body size");
        return clo_buf_append_bytes(resp, body);
    }
    if (call == CLO_CALL_INIT) return call_init(e, body);
    CLO_ENSURE(e->initialised, CLO_E_STATE, "not initialised (INIT first)");
    switch (call) {
    case CLO_CALL_EVIDENCE: err = call_evidence(e, body, resp); break;
    case CLO_CALL_KEYS:
        clo_keyring_expire(&e->keys, now);
        err = call_keys(e, body, resp);
        break;
    case CLO_CALL_ROTATE:
        if (body.len) return CLO_ERR(CLO_E_FORMAT, "rotate: unexpected body");
        err = clo_keyring_rotate(&e->keys, now);
        if (!err.code) err = call_keys(e, body, resp);
        break;
    case CLO_CALL_PROVISION: err = clo_rt_provision(e, body, now, resp); break;
    case CLO_CALL_STREAM_OPEN: err = clo_rt_stream_open(e, body, now, resp); break;
    case CLO_CALL_STREAM_CHUNK: err = clo_rt_stream_chunk(e, body, resp); break;
    case CLO_CALL_SECRET_SEAL: err = clo_rt_secret_seal(e, body, resp); break;
    case CLO_CALL_SECRET_LOAD: err = clo_rt_secret_load(e, body, resp); break;
    case CLO_CALL_RUN: err = call_run(e, body, now, resp); break;
    case CLO_CALL_SIGN_BATCH: err = call_sign_batch(e, body, now, resp); break;
    case CLO_CALL_EXPORT: err = clo_rt_export(e, body, resp); break;
    case CLO_CALL_IMPORT: err = clo_rt_import(e, body, now, resp); break;
    case CLO_CALL_WITNESS: err = clo_rt_witness(e, body); break;
    case CLO_CALL_STATE: err = clo_rt_state(e, body, resp); break;
    case CLO_CALL_SNP_CHALLENGE: err = clo_rt_snp_challenge(e, body, resp); break;
    case CLO_CALL_SNP_APPROVE: err = clo_rt_snp_approve(e, body, now, resp); break;
    case CLO_CALL_FETCH_BEGIN: err = clo_rt_fetch_begin(e, body, now, resp); break;
    case CLO_CALL_FETCH_PUMP: err = clo_rt_fetch_pump(e, body, resp); break;
    case CLO_CALL_FETCH_END: err = clo_rt_fetch_end(e, body, now, resp); break;
    case CLO_CALL_SHARE_BEGIN: err = clo_rt_share_begin(e, body, resp); break;
    case CLO_CALL_SHARE_GIVE: err = clo_rt_share_give(e, body, now, resp); break;
    case CLO_CALL_SHARE_TAKE: err = clo_rt_share_take(e, body, now, resp); break;
    case CLO_CALL_SHUTDOWN:
        CLO_ENSURE(body.len == 0, CLO_E_FORMAT, "shutdown: unexpected body");
        *stop = 1;
        err = CLO_OK;
        break;
    default: err = CLO_ERR(CLO_E_UNSUPPORTED, "call: unknown");
    }
    if (err.code) clo_buf_truncate(resp, start);
    return err;
}

clo_err clo_enclave_serve(clo_enclave *e, int fd, clo_enclave_lockdown lockdown)
{
    clo_buf in, out;
    clo_frame_hdr h;
    clo_err err = CLO_OK;
    int stop = 0;
    clo_buf_init(&in, CLO_FRAME_MAX_BODY);
    clo_buf_init(&out, CLO_FRAME_MAX_BODY);
    while (!stop) {
        err = clo_frame_read(fd, -1, &h, &in);
        if (err.code) {
            if (err.code == CLO_E_IO && err.what && !strcmp(err.what, "channel closed"))
                err = CLO_OK;
            break;
        }
        if (h.kind != CLO_FRAME_REQUEST) {
            err = clo_frame_write_error(fd, h.call, h.id, CLO_ERR(CLO_E_FORMAT, "frame.kind"));
            if (err.code) break;
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int was_init = e->initialised;
        clo_buf_clear(&out);
        clo_err ce = clo_enclave_handle(e, h.call, clo_buf_view(&in), ts.tv_sec, &out, &stop);
        clo_buf_clear(&in);
        if (!ce.code && !was_init && e->initialised && lockdown) {
            ce = lockdown(clo_tee_kind_of(e->tee));
            if (ce.code) stop = 1;
        }
        err = ce.code ? clo_frame_write_error(fd, h.call, h.id, ce)
                      : clo_frame_write(fd, CLO_FRAME_RESPONSE, h.call, h.id, clo_buf_view(&out));
        clo_buf_clear(&out);
        if (err.code) break;
    }
    clo_buf_free(&in);
    clo_buf_free(&out);
    return err;
}
