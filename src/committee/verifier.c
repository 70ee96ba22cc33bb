/* verifier.c — the committee verifier's HTTP service. */
#include "committee/verifier.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/ct.h"
#include "base/hex.h"
#include "base/log.h"
#include "chain/abi.h"
#include "chain/eth.h"
#include "chain/jsonread.h"
#include "client/contracts.h"
#include "crypto/ethkey.h"
#include "crypto/keccak.h"
#include "crypto/rand.h"
#include "wire/witness.h"
#include "host/httpd.h"
#include "chain/rpc.h"

#define MAX_BODY ((size_t)4 << 20)

typedef struct {
    uint8_t nonce[32];
    int64_t expires;
} nonce_slot;

struct clo_verifier_srv {
    clo_httpd *h;
    clo_approver v;
    clo_secret32 key;
    uint8_t address[20];
    pthread_mutex_t mu, rpc_mu;
    clo_rpc *rpc; /* NULL: no tickets */
    uint8_t market[20];
    uint32_t confirmations;
    nonce_slot nonces[CLO_VERIFIER_MAX_NONCES];
    size_t next;
    sqlite3 *db; /* lineage -> highest version recorded; NULL: no state records */
    pthread_mutex_t db_mu;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!s) return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *c, unsigned status, const char *code,
                              const char *detail, char *verdict)
{
    json_t *doc = json_pack("{s:s,s:s}", "code", code, "detail", detail);
    json_error_t je;
    json_t *v = verdict ? json_loads(verdict, 0, &je) : NULL;
    if (v) json_object_set_new(doc, "verdict", v);
    free(verdict);
    return reply(c, status, doc);
}

static enum MHD_Result challenge(clo_verifier_srv *s, struct MHD_Connection *c)
{
    nonce_slot n;
    if (clo_random(n.nonce, 32).code) return refuse(c, 503, "internal", "no randomness", NULL);
    n.expires = (int64_t)time(NULL) + CLO_VERIFIER_NONCE_SECONDS;
    pthread_mutex_lock(&s->mu);
    s->nonces[s->next] = n;
    s->next = (s->next + 1) % CLO_VERIFIER_MAX_NONCES;
    pthread_mutex_unlock(&s->mu);
    return reply(c, 200,
                 json_pack("{s:o,s:i}", "nonce", clo_json_hex(CLO_BYTES(n.nonce, 32)), "expires_in",
                           CLO_VERIFIER_NONCE_SECONDS));
}

/* Consume a live nonce we issued: 1 if it was there. */
static int take_nonce(clo_verifier_srv *s, const uint8_t nonce[32])
{
    int found = 0;
    int64_t now = (int64_t)time(NULL);
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < CLO_VERIFIER_MAX_NONCES && !found; i++) {
        nonce_slot *n = &s->nonces[i];
        if (n->expires > now && !memcmp(n->nonce, nonce, 32)) {
            found = 1;
            memset(n, 0, sizeof *n);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return found;
}

clo_err clo_approve_req_parse(clo_bytes body, clo_approve_req *r, clo_buf *ev, clo_challenges *ch)
{
    uint64_t epoch = 0, expiry = 0;
    size_t n = 0;
    memset(r, 0, sizeof *r);
    ch->n = 0;
    const clo_jfield f[] = {
        {"signer", CLO_JF_HEX, r->signer, 20, 0, 0, NULL, "signer: 20 bytes of hex", NULL},
        {"hpke_public_key", CLO_JF_HEX, r->hpke_pk, 32, 0, 0, NULL, "hpke_public_key: 32 bytes",
         NULL},
        {"operator", CLO_JF_HEX, r->operator_addr, 20, 0, 0, NULL, "operator: 20 bytes of hex",
         NULL},
        {"epoch", CLO_JF_UINT, &epoch, 0, 0, UINT32_MAX, NULL, "epoch: an integer (u32)", NULL},
        {"expiry", CLO_JF_UINT, &expiry, 0, 1, INT64_MAX, NULL,
         "expiry: a positive integer (unix seconds)", NULL},
        {"challenges", CLO_JF_HEXLIST, ch->ch, CLO_VERIFIER_MAX_CHALLENGES, 1, 0, &n,
         "challenges: an array of 1 to 16 nonces, 32 bytes of hex each", NULL},
        {"evidence", CLO_JF_HEXBUF, ev, 0, 1, 0, NULL, "evidence: non-empty hex", NULL},
    };
    CLO_TRY(clo_json_read(body, f, sizeof f / sizeof f[0]));
    ch->n = n;
    r->epoch = (uint32_t)epoch;
    r->expiry = expiry;
    r->evidence = clo_buf_view(ev);
    return CLO_OK;
}

static enum MHD_Result approve(clo_verifier_srv *s, struct MHD_Connection *c, clo_bytes body)
{
    clo_approve_req r;
    clo_challenges ch;
    clo_buf ev;
    clo_buf_init(&ev, 1 << 20);
    clo_err bad = clo_approve_req_parse(body, &r, &ev, &ch);
    if (bad.code) {
        clo_buf_free(&ev);
        return refuse(c, 400, "bad_request", bad.what, NULL);
    }
    /* One of the challenges must be a live one of ours; it is used up. */
    int ours = 0;
    for (size_t i = 0; i < ch.n && !ours; i++) ours = take_nonce(s, ch.ch[i]);
    if (!ours) {
        clo_buf_free(&ev);
        return refuse(c, 422, "nonce",
                      "challenges: none was issued by this verifier (or it was used or expired)",
                      NULL);
    }
    clo_approval_nonce((const uint8_t(*)[32])ch.ch, ch.n, r.nonce);
    clo_approver v = s->v;
    v.now = (int64_t)time(NULL);
    clo_approval a;
    uint8_t sig[65];
    char *verdict = NULL;
    clo_err err = clo_approve(&v, &r, &s->key, &a, sig, &verdict);
    clo_buf_free(&ev);
    if (err.code) {
        CLO_LOG(CLO_LOG_INFO, "verifier.refused", CLO_LF_STR("what", err.what ? err.what : ""));
        return refuse(c, 422, "refused", err.what ? err.what : "refused", verdict);
    }
    free(verdict);
    CLO_LOG(CLO_LOG_INFO, "verifier.approved", CLO_LF_HEX("signer", CLO_BYTES(a.signer, 20)),
            CLO_LF_U64("epoch", a.epoch));
    return reply(c, 200,
                 json_pack("{s:o,s:o,s:o}", "approval", clo_approval_to_json(&a), "signature",
                           clo_json_hex(CLO_BYTES(sig, 65)), "verifier",
                           clo_json_hex(CLO_BYTES(s->address, 20))));
}

clo_err clo_ticket_req_parse(clo_bytes body, clo_ticket *t)
{
    uint8_t workload[32], config[32], input[32], consumer[20];
    memset(t, 0, sizeof *t);
    const clo_jfield f[] = {
        {"job_id", CLO_JF_HEX, t->job_id, 32, 0, 0, NULL, "job_id: 32 bytes of hex", NULL},
        {"workload_id", CLO_JF_HEX, workload, 32, 0, 0, NULL, "workload_id: 32 bytes of hex", NULL},
        {"config_hash", CLO_JF_HEX, config, 32, 0, 0, NULL, "config_hash: 32 bytes of hex", NULL},
        {"input_hash", CLO_JF_HEX, input, 32, 0, 0, NULL, "input_hash: 32 bytes of hex", NULL},
        {"consumer", CLO_JF_HEX, consumer, 20, 0, 0, NULL, "consumer: 20 bytes of hex", NULL},
    };
    CLO_TRY(clo_json_read(body, f, sizeof f / sizeof f[0]));
    clo_ticket_spec(workload, config, input, consumer, t->spec);
    return CLO_OK;
}

clo_err clo_state_record_req_parse(clo_bytes body, uint8_t lineage[20], uint64_t *version,
                                   uint8_t sig[65])
{
    /* a version SQLite can hold */
    const clo_jfield f[] = {
        {"lineage", CLO_JF_HEX, lineage, 20, 0, 0, NULL, "lineage: 20 bytes of hex", NULL},
        {"version", CLO_JF_UINT, version, 0, 1, INT64_MAX, NULL, "version: an integer from 1",
         NULL},
        {"signature", CLO_JF_HEX, sig, 65, 0, 0, NULL, "signature: 65 bytes of hex", NULL},
    };
    return clo_json_read(body, f, sizeof f / sizeof f[0]);
}

clo_err clo_state_latest_req_parse(clo_bytes body, uint8_t lineage[20], uint8_t nonce[32])
{
    const clo_jfield f[] = {
        {"lineage", CLO_JF_HEX, lineage, 20, 0, 0, NULL, "lineage: 20 bytes of hex", NULL},
        {"nonce", CLO_JF_HEX, nonce, 32, 0, 0, NULL, "nonce: 32 bytes of hex", NULL},
    };
    return clo_json_read(body, f, sizeof f / sizeof f[0]);
}

/* ---- state records (wire/witness.h) ---- */

/* The highest version recorded for a lineage (0: none). */
static clo_err recorded(clo_verifier_srv *s, const uint8_t lineage[20], uint64_t *v)
{
    sqlite3_stmt *st = NULL;
    *v = 0;
    int rc = sqlite3_prepare_v2(s->db, "SELECT version FROM lineage WHERE id = ?", -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_blob(st, 1, lineage, 20, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *v = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    CLO_ENSURE(rc == SQLITE_ROW || rc == SQLITE_DONE, CLO_E_IO, "state records: read");
    return CLO_OK;
}

static clo_err record(clo_verifier_srv *s, const uint8_t lineage[20], uint64_t v)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "INSERT INTO lineage(id, version) VALUES(?, ?) ON CONFLICT(id) "
                                "DO UPDATE SET version = excluded.version WHERE excluded.version "
                                "> lineage.version",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_bind_blob(st, 1, lineage, 20, SQLITE_STATIC);
    if (rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 2, (sqlite3_int64)v);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    sqlite3_finalize(st);
    CLO_ENSURE(rc == SQLITE_DONE, CLO_E_IO, "state records: write");
    return CLO_OK;
}

/* This member's signature of a state message, as the answer. */
static enum MHD_Result state_reply(clo_verifier_srv *s, struct MHD_Connection *c,
                                   clo_state_msg kind, const uint8_t lineage[20], uint64_t v,
                                   const uint8_t nonce[32])
{
    uint8_t digest[32], sig[65];
    clo_state_digest(kind, lineage, v, nonce, s->v.chain_id, s->market, digest);
    if (clo_eth_sign(&s->key, digest, sig).code)
        return refuse(c, 503, "internal", "signing failed", NULL);
    return reply(c, 200,
                 json_pack("{s:I,s:o,s:o}", "version", (json_int_t)v, "signature",
                           clo_json_hex(CLO_BYTES(sig, 65)), "verifier",
                           clo_json_hex(CLO_BYTES(s->address, 20))));
}

/* POST /v1/state/record: the lineage key's StateExport of a version. The
 * record only grows (synchronous: on disk before the answer), and a lower
 * version than recorded is refused: the enclave never goes back. */
static enum MHD_Result state_record(clo_verifier_srv *s, struct MHD_Connection *c, clo_bytes body)
{
    uint8_t lineage[20], sig[65], digest[32], who[20];
    uint64_t v, have = 0;
    clo_err bad = clo_state_record_req_parse(body, lineage, &v, sig);
    if (bad.code) return refuse(c, 400, "bad_request", bad.what, NULL);
    if (!s->db) return refuse(c, 404, "not_found", "this verifier keeps no state records", NULL);
    clo_state_digest(CLO_STATE_EXPORT, lineage, v, NULL, s->v.chain_id, s->market, digest);
    if (clo_eth_signer(digest, sig, "signature", who).code || !clo_ct_eq(who, lineage, 20))
        return refuse(c, 422, "signature", "not signed by the lineage's key over this version",
                      NULL);
    pthread_mutex_lock(&s->db_mu);
    clo_err err = recorded(s, lineage, &have);
    if (!err.code && have <= v) err = record(s, lineage, v);
    pthread_mutex_unlock(&s->db_mu);
    if (err.code) return refuse(c, 503, "storage", "the state records could not be written", NULL);
    if (have > v) {
        json_t *doc = json_pack("{s:s,s:s,s:I}", "code", "stale", "detail",
                                "a higher version of this lineage is recorded (a rollback)",
                                "recorded", (json_int_t)have);
        return reply(c, 409, doc);
    }
    CLO_LOG(CLO_LOG_INFO, "verifier.state_recorded", CLO_LF_HEX("lineage", CLO_BYTES(lineage, 20)),
            CLO_LF_U64("version", v));
    return state_reply(s, c, CLO_STATE_RECORDED, lineage, v, NULL);
}

/* POST /v1/state/latest: the highest version recorded, over the enclave's nonce. */
static enum MHD_Result state_latest(clo_verifier_srv *s, struct MHD_Connection *c, clo_bytes body)
{
    uint8_t lineage[20], nonce[32];
    uint64_t have = 0;
    clo_err bad = clo_state_latest_req_parse(body, lineage, nonce);
    if (bad.code) return refuse(c, 400, "bad_request", bad.what, NULL);
    if (!s->db) return refuse(c, 404, "not_found", "this verifier keeps no state records", NULL);
    pthread_mutex_lock(&s->db_mu);
    clo_err err = recorded(s, lineage, &have);
    pthread_mutex_unlock(&s->db_mu);
    if (err.code) return refuse(c, 503, "storage", "the state records could not be read", NULL);
    return state_reply(s, c, CLO_STATE_LATEST, lineage, have, nonce);
}

/* The job as the chain holds it `confirmations` blocks below the head. */
static clo_err final_job(clo_verifier_srv *s, const uint8_t job_id[32], uint8_t spec[32],
                         uint64_t *state, uint64_t *deadline, uint64_t *block_time, int *exists)
{
    uint64_t head;
    clo_eth_block b;
    clo_market_job j;
    CLO_TRY(clo_eth_block_number(s->rpc, &head));
    CLO_ENSURE(head >= s->confirmations, CLO_E_STATE, "not final");
    CLO_TRY(clo_eth_get_block(s->rpc, NULL, head - s->confirmations, &b));
    CLO_TRY(clo_market_job_get(s->rpc, s->market, job_id, b.number, &j));
    *state = j.state;
    *exists = j.state != CLO_MARKET_NONE;
    *deadline = j.deadline;
    memcpy(spec, j.spec, 32);
    *block_time = b.timestamp;
    return CLO_OK;
}

static enum MHD_Result ticket(clo_verifier_srv *s, struct MHD_Connection *c, clo_bytes body)
{
    clo_ticket t;
    clo_err bad = clo_ticket_req_parse(body, &t);
    if (bad.code) return refuse(c, 400, "bad_request", bad.what, NULL);
    if (!s->rpc)
        return refuse(c, 404, "not_found", "this verifier issues no tickets (no rpc)", NULL);
    uint8_t spec[32], sig[65];
    uint64_t state = 0, deadline = 0, when = 0;
    int exists = 0;
    pthread_mutex_lock(&s->rpc_mu);
    clo_err err = final_job(s, t.job_id, spec, &state, &deadline, &when, &exists);
    pthread_mutex_unlock(&s->rpc_mu);
    if (err.code == CLO_E_STATE || (!err.code && !exists))
        return refuse(c, 409, "not_final", "the job is not on chain under the confirmations yet",
                      NULL);
    if (err.code) return refuse(c, 503, "rpc", "the chain could not be read", NULL);
    if (state != 1) /* State.Open */
        return refuse(c, 409, "not_open", "the job is settled or refunded", NULL);
    if (deadline < when) return refuse(c, 409, "not_open", "the job's deadline has passed", NULL);
    if (!clo_ct_eq(spec, t.spec, 32))
        return refuse(c, 422, "spec",
                      "workload, model, input hash and consumer are not the job's on chain", NULL);
    t.deadline = deadline;
    t.issued_at = when;
    if (clo_ticket_sign(&t, s->v.chain_id, s->market, &s->key, sig).code)
        return refuse(c, 503, "internal", "signing failed", NULL);
    CLO_LOG(CLO_LOG_INFO, "verifier.ticket", CLO_LF_HEX("job_id", CLO_BYTES(t.job_id, 32)),
            CLO_LF_U64("issued_at", when));
    return reply(c, 200,
                 json_pack("{s:{s:o,s:o,s:I,s:I},s:o,s:o}", "ticket", "job_id",
                           clo_json_hex(CLO_BYTES(t.job_id, 32)), "spec",
                           clo_json_hex(CLO_BYTES(t.spec, 32)), "deadline", (json_int_t)deadline,
                           "issued_at", (json_int_t)when, "signature",
                           clo_json_hex(CLO_BYTES(sig, 65)), "verifier",
                           clo_json_hex(CLO_BYTES(s->address, 20))));
}

static enum MHD_Result route(void *ud, struct MHD_Connection *c, const char *url,
                             const char *method, const clo_httpd_req *req)
{
    clo_verifier_srv *s = ud;
    if (!strcmp(url, "/healthz")) return reply(c, 200, json_pack("{s:s}", "status", "ok"));
    if (!strcmp(url, "/v1/challenge") && !strcmp(method, "GET")) return challenge(s, c);
    static const struct {
        const char *url;
        enum MHD_Result (*handle)(clo_verifier_srv *, struct MHD_Connection *, clo_bytes);
    } posts[] = {{"/v1/approve", approve},
                 {"/v1/ticket", ticket},
                 {"/v1/state/record", state_record},
                 {"/v1/state/latest", state_latest}};
    for (size_t i = 0; i < sizeof posts / sizeof posts[0]; i++) {
        if (strcmp(url, posts[i].url) || strcmp(method, "POST")) continue;
        if (req->too_big) return refuse(c, 413, "too_large", "body: larger than 4 MiB", NULL);
        return posts[i].handle(s, c, req->body);
    }
    return refuse(c, 404, "not_found", "no such endpoint", NULL);
}

clo_err clo_verifier_start(clo_verifier_srv **out, const clo_approver *v,
                           const clo_verifier_chain *chain, const clo_secret32 *key,
                           const char *address, uint16_t port)
{
    clo_verifier_srv *s = calloc(1, sizeof *s);
    CLO_ENSURE(s, CLO_E_NOMEM, "verifier");
    s->v = *v;
    s->key = *key;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->rpc_mu, NULL);
    pthread_mutex_init(&s->db_mu, NULL);
    clo_err err = CLO_OK;
    if (chain) memcpy(s->market, chain->market, 20);
    if (chain && chain->rpc_url && chain->rpc_url[0]) {
        clo_rpc_opts ro = {
            .url = chain->rpc_url, .timeout_ms = 10000, .retries = 2, .backoff_ms = 200};
        err = clo_rpc_new(&ro, &s->rpc);
        s->confirmations = chain->confirmations;
    }
    if (!err.code && chain && chain->state_path) {
        /* synchronous=FULL: a record is on disk before the enclave is told so. */
        static const char schema[] = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                     "CREATE TABLE IF NOT EXISTS lineage(id BLOB PRIMARY KEY,"
                                     " version INTEGER NOT NULL) WITHOUT ROWID;";
        if (sqlite3_open_v2(chain->state_path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                            NULL) != SQLITE_OK ||
            sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK ||
            sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK)
            err = CLO_ERR(CLO_E_IO, "verifier: cannot open the state records (--state)");
    }
    clo_httpd_opts o = {address, port, MAX_BODY, 256, 32, 30, 5};
    if (!err.code) err = clo_eth_key_address(&s->key, s->address);
    if (!err.code) err = clo_httpd_start(&s->h, &o, route, s);
    if (err.code) {
        clo_verifier_stop(s);
        return err;
    }
    *out = s;
    return CLO_OK;
}

uint16_t clo_verifier_port(const clo_verifier_srv *s)
{
    return clo_httpd_port(s->h);
}

void clo_verifier_stop(clo_verifier_srv *s)
{
    if (!s) return;
    clo_httpd_stop(s->h);
    clo_rpc_free(s->rpc);
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->rpc_mu);
    pthread_mutex_destroy(&s->db_mu);
    clo_wipe(s, sizeof *s);
    free(s);
}
