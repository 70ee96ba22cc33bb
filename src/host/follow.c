/* follow.c — JobSubmitted and WorkloadConfig logs into the journal (see follow.h). */
#include "host/follow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/hex.h"
#include "base/log.h"
#include "chain/eth.h"
#include "chain/http.h"
#include "crypto/keccak.h"
#include "chain/rpc.h"
#include "client/contracts.h"
#include "host/crash.h"
#include "host/ledger.h"
#include "wire/proto.h"
#include "workloads/workload.h"

#define LOG_RANGE    2000 /* blocks per eth_getLogs */
#define REORG_REWIND 64   /* blocks re-read after a reorg is seen */

clo_err clo_follow_config_of(const clo_eth_log *l, clo_buf *config)
{
    clo_abi_val v;
    uint8_t h[32];
    CLO_ENSURE(!l->removed && l->topic_count == 2, CLO_E_FORMAT, "config log: topics");
    CLO_ENSURE(l->data.len <= CLO_FOLLOW_MAX_CONFIG + 64, CLO_E_LIMIT, "config log: size");
    CLO_TRY(clo_abi_decode_as(CLO_I_WORKLOAD_CONFIG_EV_WORKLOAD_CONFIG_DATA, clo_buf_view(&l->data),
                              &v));
    clo_bytes c = v.items[0].bytes;
    clo_keccak256(c, h);
    clo_err err = memcmp(h, l->topics[1], 32)
                      ? CLO_ERR(CLO_E_AUTH, "config log: not the config's hash")
                      : CLO_ERR(CLO_E_UNSUPPORTED, "config log: no workload takes it");
    for (size_t k = 0; err.code == CLO_E_UNSUPPORTED && k < clo_workload_count(); k++)
        if (!clo_workload_check(clo_workload_at(k), c).code) err = CLO_OK;
    if (!err.code) {
        clo_buf_clear(config);
        err = clo_buf_append_bytes(config, c);
    }
    clo_abi_val_free(&v);
    return err;
}

/* WorkloadConfig logs of any contract in [from, to]: each one
 * clo_follow_config_of takes is kept under its hash, as a POST /v1/models
 * would. */
static clo_err store_configs(clo_follower *f, uint64_t from, uint64_t to)
{
    uint8_t topic[1][32];
    clo_keccak256(clo_bytes_str(CLO_I_WORKLOAD_CONFIG_EV_WORKLOAD_CONFIG), topic[0]);
    clo_eth_log *logs = NULL;
    size_t n = 0;
    CLO_TRY(
        clo_eth_get_logs(f->tx->rpc, NULL, (const uint8_t(*)[32])topic, 1, from, to, &logs, &n));
    clo_err err = CLO_OK;
    clo_buf config;
    clo_buf_init(&config, CLO_FOLLOW_MAX_CONFIG + 64);
    for (size_t i = 0; i < n && !err.code; i++) {
        uint8_t id[32];
        if (clo_follow_config_of(&logs[i], &config).code) continue; /* anyone may emit junk */
        err = clo_ledger_config_put(f->tx->journal, clo_buf_view(&config), id);
        if (!err.code)
            CLO_LOG(CLO_LOG_INFO, "chain.config_seen", CLO_LF_HEX("config_hash", CLO_BYTES(id, 32)),
                    CLO_LF_HEX("by", CLO_BYTES(logs[i].address, 20)),
                    CLO_LF_U64("size", config.len));
    }
    clo_buf_free(&config);
    clo_eth_logs_free(logs, n);
    return err;
}

/* Ask the committee's verifiers for the job's ticket (committee/verifier.h) until
 * the enclave's threshold of members has signed it; each signature is checked
 * here too, so a bad answer is named in the log rather than at RUN. 1 if
 * enough were collected, 0 to wait and ask again later. */
static int collect_tickets(clo_follower *f, clo_proto_job *pj)
{
    const clo_committee *cm = &f->tx->cfg->committee;
    char urls[sizeof f->tx->cfg->verifiers], *save = NULL, *u;
    uint8_t config_hash[32], input_hash[32];
    int counted[CLO_COMMITTEE_MAX] = {0};
    if (!cm->count) {
        CLO_LOG(CLO_LOG_WARN, "chain.no_committee",
                CLO_LF_STR("why", "chain.committee is empty: chain jobs cannot get tickets"));
        return 0;
    }
    clo_keccak256(pj->config, config_hash);
    clo_hash_list(pj->inputs, pj->count, input_hash);
    json_t *req =
        json_pack("{s:o,s:o,s:o,s:o,s:o}", "job_id", clo_json_hex(CLO_BYTES(pj->job_id, 32)),
                  "workload_id", clo_json_hex(CLO_BYTES(pj->workload_id, 32)), "config_hash",
                  clo_json_hex(CLO_BYTES(config_hash, 32)), "input_hash",
                  clo_json_hex(CLO_BYTES(input_hash, 32)), "consumer",
                  clo_json_hex(CLO_BYTES(pj->consumer, 20)));
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!body) return 0;
    pj->nsigs = 0;
    snprintf(urls, sizeof urls, "%s", f->tx->cfg->verifiers);
    for (u = strtok_r(urls, ",", &save); u && pj->nsigs < cm->threshold;
         u = strtok_r(NULL, ",", &save)) {
        char url[2100];
        long status = 0;
        json_t *doc = NULL;
        clo_proto_ticket_sig ts;
        clo_ticket t;
        snprintf(url, sizeof url, "%s/v1/ticket", u);
        int ok = !clo_http_json("POST", url, body, 10000, &status, &doc).code && status == 200;
        const json_t *tk = json_object_get(doc, "ticket");
        const char *sig = json_string_value(json_object_get(doc, "signature"));
        json_int_t issued = json_integer_value(json_object_get(tk, "issued_at"));
        json_int_t deadline = json_integer_value(json_object_get(tk, "deadline"));
        ok = ok && sig && !clo_hex_decode_fixed(ts.sig, 65, sig).code && issued > 0 &&
             (uint64_t)deadline == pj->deadline;
        size_t m = cm->count;
        if (ok) {
            uint8_t digest[32];
            ts.issued_at = (uint64_t)issued;
            clo_proto_job_ticket(pj, ts.issued_at, &t);
            clo_ticket_digest(&t, f->tx->cfg->chain_id, f->tx->cfg->job_market, digest);
            ok = !clo_committee_signer(cm, digest, ts.sig, "ticket", &m).code && !counted[m];
        }
        if (ok) {
            counted[m] = 1;
            pj->sigs[pj->nsigs++] = ts;
        } else {
            const char *detail = json_string_value(json_object_get(doc, "detail"));
            CLO_LOG(CLO_LOG_INFO, "chain.ticket_refused", CLO_LF_STR("url", u),
                    CLO_LF_HEX("job_id", CLO_BYTES(pj->job_id, 32)),
                    CLO_LF_STR("detail", detail ? detail : "no valid ticket from a member"));
        }
        json_decref(doc);
    }
    free(body);
    return pj->nsigs >= cm->threshold;
}

int clo_follow_same_job(clo_bytes journaled, const clo_proto_job *seen)
{
    clo_bytes inputs[CLO_PROTO_MAX_INPUTS];
    clo_proto_job old, now = *seen;
    clo_cur c = clo_cur_init(journaled);
    if (clo_proto_job_decode(&c, &old, inputs).code || clo_cur_left(&c)) return 0;
    old.nsigs = now.nsigs = 0;
    clo_buf a, b;
    clo_buf_init(&a, (size_t)64 << 20);
    clo_buf_init(&b, (size_t)64 << 20);
    int same = !clo_proto_job_encode(&old, &a).code && !clo_proto_job_encode(&now, &b).code &&
               a.len == b.len && !memcmp(a.ptr, b.ptr, a.len);
    clo_buf_free(&a);
    clo_buf_free(&b);
    return same;
}

/* The job already accepted from this event, before a crash moved the cursor
 * back: 1 if the journal holds it (tickets aside). */
static int accepted_before(clo_journal *j, const clo_proto_job *pj)
{
    clo_journal_job jj;
    clo_journal_job_init(&jj);
    int same = !clo_journal_get(j, pj->job_id, &jj).code &&
               clo_follow_same_job(clo_buf_view(&jj.request), pj);
    clo_journal_job_free(&jj);
    return same;
}

/* Turn a seen job into an enclave job once its model config is known.
 * record = workload id (the event's indexed topic) || the event's data. */
/* A job waits for `why` (its config, its tickets): said once, when it starts to. */
static clo_err wait_for(clo_follower *f, const uint8_t job_id[32], const char *was, const char *why)
{
    if (!strcmp(was, why)) return CLO_OK;
    CLO_LOG(CLO_LOG_INFO, "chain.job_waiting", CLO_LF_HEX("job_id", CLO_BYTES(job_id, 32)),
            CLO_LF_STR("why", why));
    return clo_ledger_job_move(f->tx->journal, job_id, CLO_CJ_WAITING, CLO_CJ_WAITING, why, NULL);
}

/* With a stagger (the registry's for the workload, else chain.stagger_seconds
 * or the workload's chain.stagger_workloads):
 * whether this node runs the job now (*go).
 * First look: its rank; a later one waits its turn (block time + rank x
 * stagger, on this machine's clock). When the turn comes: only a job still
 * open is worth running. */
static clo_err my_turn(clo_follower *f, const clo_cjob *cj, const uint8_t workload_id[32],
                       const char *workload, int *go)
{
    const int64_t now = (int64_t)time(NULL);
    uint32_t stagger = 0;
    *go = 1;
    CLO_TRY(clo_turns_stagger(&f->turns, f->tx, workload_id, workload, now, &stagger));
    if (!stagger) return CLO_OK;
    if (cj->not_before == 0) {
        CLO_TRY(clo_turns_refresh(&f->turns, f->tx, now, 30));
        size_t rank = clo_turns_rank(&f->turns, cj->job_id, f->tx->s.address);
        if (rank == 0) return CLO_OK;
        clo_eth_block b;
        CLO_TRY(clo_eth_get_block(f->tx->rpc, NULL, cj->block, &b));
        int64_t turn = (int64_t)b.timestamp + (int64_t)rank * (int64_t)stagger;
        CLO_LOG(CLO_LOG_INFO, "chain.job_turn", CLO_LF_HEX("job_id", CLO_BYTES(cj->job_id, 32)),
                CLO_LF_U64("rank", rank), CLO_LF_I64("at", turn));
        *go = 0;
        return clo_ledger_job_wait_turn(f->tx->journal, cj->job_id, turn);
    }
    if (now < cj->not_before) {
        *go = 0;
        return CLO_OK;
    }
    uint8_t st;
    CLO_TRY(clo_chaintx_job_state(f->tx, cj->job_id, &st, NULL));
    if (st == CLO_MARKET_OPEN) return CLO_OK;
    *go = 0;
    CLO_LOG(CLO_LOG_INFO, "chain.job_taken", CLO_LF_HEX("job_id", CLO_BYTES(cj->job_id, 32)),
            CLO_LF_STR("why", "settled or closed before this node's turn"));
    return clo_ledger_job_move(f->tx->journal, cj->job_id, CLO_CJ_WAITING,
                               st == CLO_MARKET_SETTLED ? CLO_CJ_SETTLED : CLO_CJ_DROPPED,
                               st == CLO_MARKET_SETTLED ? "settled by someone else"
                                                        : "closed before this node's turn",
                               NULL);
}

/* With a lease for the workload (chain.claim_workloads): the job is claimed
 * on chain before it runs here; while another operator's claim lasts, this
 * node waits for its end (*go = 0), then looks again. */
static clo_err claim_turn(clo_follower *f, const clo_cjob *cj, const char *workload, int *go)
{
    const uint32_t lease = clo_config_lease(f->tx->cfg, workload);
    uint8_t holder[20];
    uint64_t until = 0;
    *go = 1;
    if (!lease) return CLO_OK;
    CLO_TRY(clo_market_claim_get(f->tx->rpc, f->tx->cfg->job_market, cj->job_id, holder, &until));
    int64_t now = (int64_t)time(NULL);
    if ((int64_t)until > now && memcmp(holder, f->tx->s.address, 20)) {
        *go = 0;
        CLO_LOG(CLO_LOG_INFO, "chain.job_claimed", CLO_LF_HEX("job_id", CLO_BYTES(cj->job_id, 32)),
                CLO_LF_HEX("by", CLO_BYTES(holder, 20)), CLO_LF_I64("until", (int64_t)until));
        return clo_ledger_job_wait_turn(f->tx->journal, cj->job_id, (int64_t)until);
    }
    clo_abi_val a[2] = {clo_abi_word(cj->job_id), clo_abi_uint(lease)}, t = clo_abi_tuple(a, 2);
    clo_err err =
        clo_chaintx_call(f->tx, f->tx->cfg->job_market, NULL, CLO_JOB_MARKET_CLAIM, &t, "claim");
    if (err.code == CLO_E_POLICY) { /* another claimed first, or it closed: look again */
        *go = 0;
        return clo_ledger_job_wait_turn(f->tx->journal, cj->job_id, now + 1);
    }
    if (!err.code) clo_crash_point("after_claim");
    return err;
}

static clo_err queue_job(clo_follower *f, const clo_cjob *cj)
{
    const uint8_t *job_id = cj->job_id;
    clo_bytes record = clo_buf_view(&cj->event);
    const char *was = cj->why;
    clo_abi_val v;
    clo_journal *j = f->tx->journal;
    const char *drop = NULL;
    CLO_ENSURE(record.len > 32, CLO_E_FORMAT, "chain job record");
    const uint8_t *workload_id = record.ptr;
    CLO_TRY(clo_abi_decode_as(CLO_JOB_MARKET_EV_JOB_SUBMITTED_DATA,
                              CLO_BYTES(record.ptr + 32, record.len - 32), &v));
    const clo_workload *wl = clo_workload_by_id(workload_id);
    const clo_abi_val *inputs = &v.items[6];
    uint64_t deadline = 0;
    clo_err err = clo_abi_get_u64(&v.items[4], &deadline);
    clo_buf config, req;
    clo_buf_init(&config, 1 << 20);
    clo_buf_init(&req, (size_t)64 << 20);
    if (!wl)
        drop = "workload: not one this node runs";
    else if (inputs->count == 0)
        drop = "inputs: off-chain references are not supported";
    else if (inputs->count > CLO_PROTO_MAX_INPUTS)
        drop = "inputs: too many";
    else if (deadline <= f->tx->chain_now)
        drop = "deadline passed before the job was seen";
    else if (inputs->items[0].bytes.len < 12)
        drop = "inputs: not request envelopes";
    if (drop || err.code) goto out;
    int go;
    err = my_turn(f, cj, workload_id, wl->name, &go);
    if (err.code || !go) goto out;
    err = clo_ledger_config_get(j, v.items[0].word, &config);
    if (err.code == CLO_E_STATE) {
        err = wait_for(f, job_id, was, CLO_CJ_WAITING_CONFIG);
        goto out;
    }
    if (err.code) goto out;
    clo_bytes views[CLO_PROTO_MAX_INPUTS];
    for (size_t i = 0; i < inputs->count; i++) views[i] = inputs->items[i].bytes;
    clo_proto_job pj;
    memset(&pj, 0, sizeof pj);
    memcpy(pj.job_id, job_id, 32);
    memcpy(pj.workload_id, workload_id, 32);
    pj.chain_id = f->tx->cfg->chain_id;
    memcpy(pj.market, f->tx->cfg->job_market, 20);
    clo_cur hdr = clo_cur_init(inputs->items[0].bytes);
    err = clo_cur_skip(&hdr, 8); /* the envelope header's epoch (docs/formats.md §1.3) */
    if (!err.code) err = clo_cur_u32be(&hdr, &pj.epoch);
    if (err.code) goto out;
    pj.config = clo_buf_view(&config);
    pj.count = inputs->count;
    pj.inputs = views;
    pj.deadline = deadline;
    clo_abi_get_address(&v.items[2], pj.consumer);
    int existed = accepted_before(j, &pj);
    if (!existed && !collect_tickets(f, &pj)) {
        err = wait_for(f, job_id, was, CLO_CJ_WAITING_TICKET);
        goto out;
    }
    if (!existed) {
        int claimed;
        err = claim_turn(f, cj, wl->name, &claimed);
        if (err.code || !claimed) goto out;
    }
    if (!existed) err = clo_proto_job_encode(&pj, &req);
    if (!err.code && !existed)
        err = clo_journal_put(j, job_id, wl->name, clo_buf_view(&req), &existed);
    if (err.code == CLO_E_POLICY) {
        drop = "job id already used for another request";
        err = CLO_OK;
        goto out;
    }
    /* From waiting only: a daemon sharing the journal may be settling it. */
    int moved = 0;
    if (!err.code) err = clo_ledger_job_move(j, job_id, CLO_CJ_WAITING, CLO_CJ_QUEUED, "", &moved);
    if (!err.code && moved) {
        f->wake(f->wake_ud);
        CLO_LOG(CLO_LOG_INFO, "chain.job_queued", CLO_LF_HEX("job_id", CLO_BYTES(job_id, 32)),
                CLO_LF_STR("workload", wl->name), CLO_LF_U64("inputs", inputs->count));
    }
out:
    if (drop) {
        err = clo_ledger_job_move(j, job_id, CLO_CJ_WAITING, CLO_CJ_DROPPED, drop, NULL);
        CLO_LOG(CLO_LOG_INFO, "chain.job_dropped", CLO_LF_HEX("job_id", CLO_BYTES(job_id, 32)),
                CLO_LF_STR("why", drop));
    }
    clo_abi_val_free(&v);
    clo_buf_free(&config);
    clo_buf_free(&req);
    return err;
}

static clo_err follow(clo_follower *f)
{
    clo_journal *j = f->tx->journal;
    uint64_t next = f->tx->cfg->start_block, head;
    uint8_t prev[32] = {0};
    int found;
    clo_eth_block b;
    CLO_TRY(clo_ledger_cursor_get(j, &next, prev, &found));
    if (!found) next = f->tx->cfg->start_block;
    CLO_TRY(clo_eth_get_block(f->tx->rpc, "latest", 0, &b));
    head = b.number;
    f->tx->chain_now = b.timestamp;
    pthread_mutex_lock(&f->tx->mu);
    f->tx->stats.head = head;
    pthread_mutex_unlock(&f->tx->mu);
    if (head < f->tx->cfg->confirmations) return CLO_OK;
    uint64_t safe = head - f->tx->cfg->confirmations;
    if (found && next > 0) {
        CLO_TRY(clo_eth_get_block(f->tx->rpc, NULL, next - 1, &b));
        if (memcmp(b.hash, prev, 32)) {
            uint64_t back = next > f->tx->cfg->start_block + REORG_REWIND ? next - REORG_REWIND
                                                                          : f->tx->cfg->start_block;
            uint8_t h[32] = {0};
            if (back > 0) {
                CLO_TRY(clo_eth_get_block(f->tx->rpc, NULL, back - 1, &b));
                memcpy(h, b.hash, 32);
            }
            CLO_LOG(CLO_LOG_WARN, "chain.reorg", CLO_LF_U64("at", next - 1),
                    CLO_LF_U64("rewind_to", back));
            return clo_ledger_cursor_set(j, back, h);
        }
    }
    if (next > safe) return CLO_OK;
    uint64_t to = safe - next >= LOG_RANGE ? next + LOG_RANGE - 1 : safe;
    CLO_TRY(store_configs(f, next, to)); /* a job may name a config of the same block */
    uint8_t topic[1][32];
    clo_keccak256(clo_bytes_str(CLO_JOB_MARKET_EV_JOB_SUBMITTED), topic[0]);
    clo_eth_log *logs = NULL;
    size_t n = 0;
    CLO_TRY(clo_eth_get_logs(f->tx->rpc, f->tx->cfg->job_market, (const uint8_t(*)[32])topic, 1,
                             next, to, &logs, &n));
    clo_err err = CLO_OK;
    for (size_t i = 0; i < n && !err.code; i++) {
        clo_eth_log *l = &logs[i];
        if (l->removed || l->topic_count != 4) continue;
        clo_abi_val v;
        if (clo_abi_decode_as(CLO_JOB_MARKET_EV_JOB_SUBMITTED_DATA, clo_buf_view(&l->data), &v)
                .code)
            continue;
        uint8_t consumer[20];
        clo_abi_get_address(&v.items[2], consumer);
        clo_abi_val_free(&v);
        clo_buf rec;
        clo_buf_init(&rec, (size_t)64 << 20);
        err = clo_buf_append(&rec, l->topics[3], 32);
        if (!err.code) err = clo_buf_append_bytes(&rec, clo_buf_view(&l->data));
        if (!err.code)
            err = clo_ledger_job_seen(j, l->topics[1], consumer, l->block_number,
                                      clo_buf_view(&rec), CLO_CJ_WAITING, "");
        /* Seen before (a re-read after a reorg or restart): its state stands. */
        clo_cjob cur;
        clo_cjob_init(&cur);
        if (!err.code) err = clo_ledger_job_get(j, l->topics[1], &cur);
        if (!err.code && cur.state == CLO_CJ_WAITING) err = queue_job(f, &cur);
        clo_cjob_free(&cur);
        clo_buf_free(&rec);
    }
    clo_eth_logs_free(logs, n);
    CLO_TRY(err);
    CLO_TRY(clo_eth_get_block(f->tx->rpc, NULL, to, &b));
    CLO_TRY(clo_ledger_cursor_set(j, to + 1, b.hash));
    pthread_mutex_lock(&f->tx->mu);
    f->tx->stats.followed = to + 1;
    pthread_mutex_unlock(&f->tx->mu);
    return CLO_OK;
}

/* Jobs still waiting for their config or tickets, or whose turn has come. */
static clo_err retry_waiting(clo_follower *f)
{
    enum { MAX = 16 };
    clo_cjob *w = calloc(MAX, sizeof *w);
    CLO_ENSURE(w, CLO_E_NOMEM, "follow");
    size_t n = 0;
    for (size_t i = 0; i < MAX; i++) clo_cjob_init(&w[i]);
    clo_err err = clo_ledger_jobs_due(f->tx->journal, (int64_t)time(NULL), w, MAX, &n);
    for (size_t i = 0; i < n && !err.code; i++) err = queue_job(f, &w[i]);
    for (size_t i = 0; i < MAX; i++) clo_cjob_free(&w[i]);
    free(w);
    return err;
}

/* The chain jobs by state, for /metrics. */
static clo_err count_jobs(clo_follower *f)
{
    uint64_t c[5], config;
    CLO_TRY(clo_ledger_job_counts(f->tx->journal, c));
    CLO_TRY(clo_ledger_waiting_for_config(f->tx->journal, &config));
    pthread_mutex_lock(&f->tx->mu);
    clo_chain_stats *s = &f->tx->stats;
    s->waiting_config = config;
    s->waiting_ticket = c[CLO_CJ_WAITING] - config;
    s->queued = c[CLO_CJ_QUEUED];
    s->settling = c[CLO_CJ_SETTLING];
    s->settled = c[CLO_CJ_SETTLED];
    s->dropped = c[CLO_CJ_DROPPED];
    pthread_mutex_unlock(&f->tx->mu);
    return CLO_OK;
}

clo_err clo_follow_step(clo_follower *f)
{
    CLO_TRY(follow(f));
    CLO_TRY(retry_waiting(f));
    return count_jobs(f);
}
