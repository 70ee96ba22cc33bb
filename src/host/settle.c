/* settle.c — exactly-once settlement of done chain jobs (see settle.h). */
#include "host/settle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "chain/tx.h"
#include "crypto/merkle.h"
#include "host/ledger.h"
#include "wire/proto.h"
#include "wire/statement.h"

#define SETTLE_MAX_CALLDATA (CLO_TX_MAX_SIZE - 4096) /* room for the envelope and signature */

struct ready_job {
    uint8_t job_id[32], consumer[20];
    clo_journal_job jj;
    clo_proto_result r;
};

static clo_abi_val settlement_abi(ready_job *rj, clo_abi_val items[8], clo_abi_val *privs)
{
    clo_proto_result *r = &rj->r;
    items[0] = clo_abi_word(r->stmt.job_id);
    items[1] = clo_abi_word(r->stmt.input_hash);
    items[2] = clo_abi_word(r->stmt.workload_id);
    items[3] = clo_abi_word(r->stmt.config_hash);
    items[4] = clo_abi_uint(r->stmt.epoch);
    items[5] = clo_abi_address(rj->consumer);
    items[6] = clo_abi_bytes(r->public_out);
    for (size_t i = 0; i < r->count; i++) privs[i] = clo_abi_bytes(r->private_out[i]);
    items[7] = clo_abi_array(privs, r->count);
    return clo_abi_tuple(items, 8);
}

static clo_err settle_one(clo_settler *c, ready_job *rj)
{
    clo_abi_val items[8], *privs = calloc(rj->r.count + 1, sizeof *privs);
    CLO_ENSURE(privs, CLO_E_NOMEM, "settle");
    clo_abi_val args[2] = {settlement_abi(rj, items, privs),
                           clo_abi_bytes(CLO_BYTES(rj->r.sig, 65))};
    clo_abi_val t = clo_abi_tuple(args, 2);
    clo_buf data;
    clo_buf_init(&data, (size_t)64 << 20);
    clo_err err = clo_abi_encode_call(CLO_JOB_MARKET_SETTLE, &t, &data);
    const uint8_t(*ids)[32] = (const uint8_t(*)[32])rj->job_id;
    if (!err.code && data.len > SETTLE_MAX_CALLDATA)
        err = CLO_ERR(CLO_E_LIMIT, "settle: calldata over the txpool size limit");
    clo_buf revert;
    clo_buf_init(&revert, 4096);
    if (!err.code)
        err = clo_chaintx_send(c->tx, c->tx->cfg->job_market, NULL, clo_buf_view(&data), ids, 1,
                               &revert, "settle");
    /* Refused in estimation for a reason that will not change: the job is
     * over for us (an enclave or registry reason may change: it stays). */
    static const char *const fatal[] = {CLO_ERROR_DEADLINE_PASSED, CLO_ERROR_SPEC_MISMATCH,
                                        CLO_ERROR_NOT_OPEN, CLO_ERROR_UNKNOWN_JOB};
    for (size_t i = 0; err.code == CLO_E_POLICY && revert.len >= 4 && i < 4; i++) {
        uint8_t sel[4];
        clo_abi_selector(fatal[i], sel);
        if (memcmp(sel, revert.ptr, 4)) continue;
        char why[96];
        snprintf(why, sizeof why, "the market refuses its settlement: %.*s",
                 (int)(strchr(fatal[i], '(') - fatal[i]), fatal[i]);
        err = clo_ledger_job_move(c->tx->journal, rj->job_id, CLO_CJ_QUEUED, CLO_CJ_DROPPED, why,
                                  NULL);
        CLO_LOG(CLO_LOG_INFO, "chain.job_dropped", CLO_LF_HEX("job_id", CLO_BYTES(rj->job_id, 32)),
                CLO_LF_STR("why", why));
        break;
    }
    clo_buf_free(&revert);
    clo_buf_free(&data);
    free(privs);
    return err;
}

typedef struct {
    clo_proto_batch b;
    uint8_t leaves[CLO_PROTO_MAX_BATCH][32], ids[CLO_PROTO_MAX_BATCH][32];
    uint8_t proofs[CLO_PROTO_MAX_BATCH][CLO_MERKLE_MAX_DEPTH][32];
} batch_scratch;

static clo_err settle_batch_in(clo_settler *c, clo_super *signer, ready_job **rj, size_t n,
                               batch_scratch *w);

/* rj[0..n) are results `signer` signed. */
static clo_err settle_batch(clo_settler *c, clo_super *signer, ready_job **rj, size_t n)
{
    batch_scratch *w = calloc(1, sizeof *w);
    CLO_ENSURE(w, CLO_E_NOMEM, "settle batch");
    clo_err err = settle_batch_in(c, signer, rj, n, w);
    free(w);
    return err;
}

static clo_err settle_batch_in(clo_settler *c, clo_super *signer, ready_job **rj, size_t n,
                               batch_scratch *w)
{
    clo_proto_batch *b = &w->b;
    uint8_t(*leaves)[32] = w->leaves, (*ids)[32] = w->ids;
    clo_proto_batch_sig bs;
    b->epoch = rj[0]->r.stmt.epoch;
    b->count = n;
    for (size_t i = 0; i < n; i++) {
        b->stmts[i] = rj[i]->r.stmt;
        clo_result_struct_hash(&rj[i]->r.stmt, leaves[i]);
        memcpy(ids[i], rj[i]->job_id, 32);
    }
    clo_buf body, resp;
    clo_buf_init(&body, 1 << 20);
    clo_buf_init(&resp, 1 << 16);
    clo_err err = clo_proto_batch_encode(b, &body);
    if (!err.code) err = clo_super_call(signer, CLO_CALL_SIGN_BATCH, clo_buf_view(&body), &resp);
    if (!err.code) err = clo_proto_batch_sig_decode(clo_buf_view(&resp), &bs);
    clo_buf_free(&body);
    clo_buf_free(&resp);
    CLO_TRY(err);
    /* Check what the enclave signed before anyone pays gas for it. */
    uint8_t root[32];
    CLO_TRY(clo_merkle_root((const uint8_t(*)[32])leaves, n, root));
    CLO_ENSURE(!memcmp(root, bs.root, 32) && bs.count == n && bs.epoch == b->epoch, CLO_E_STATE,
               "batch: the enclave signed another root");
    clo_abi_val *sv = calloc(n, sizeof *sv), *items = calloc(n * 8, sizeof *items),
                *pv = calloc(n, sizeof *pv), **privs = calloc(n, sizeof *privs),
                *words = calloc(n * CLO_MERKLE_MAX_DEPTH, sizeof *words);
    for (size_t i = 0; sv && items && pv && privs && i < n; i++)
        privs[i] = calloc(rj[i]->r.count + 1, sizeof **privs);
    clo_buf data;
    clo_buf_init(&data, (size_t)64 << 20);
    err = sv && items && pv && privs && words ? CLO_OK : CLO_ERR(CLO_E_NOMEM, "settle batch");
    for (size_t i = 0; i < n && !err.code; i++) {
        size_t len;
        if (!privs[i]) {
            err = CLO_ERR(CLO_E_NOMEM, "settle batch");
            break;
        }
        sv[i] = settlement_abi(rj[i], items + 8 * i, privs[i]);
        err = clo_merkle_proof((const uint8_t(*)[32])leaves, n, i, w->proofs[i], &len);
        for (size_t k = 0; k < len; k++)
            words[i * CLO_MERKLE_MAX_DEPTH + k] = clo_abi_word(w->proofs[i][k]);
        pv[i] = clo_abi_array(words + i * CLO_MERKLE_MAX_DEPTH, len);
    }
    if (!err.code) {
        clo_abi_val args[6] = {clo_abi_word(bs.root),  clo_abi_uint(bs.count),
                               clo_abi_uint(bs.epoch), clo_abi_bytes(CLO_BYTES(bs.sig, 65)),
                               clo_abi_array(sv, n),   clo_abi_array(pv, n)};
        clo_abi_val t = clo_abi_tuple(args, 6);
        err = clo_abi_encode_call(CLO_JOB_MARKET_SETTLE_BATCH, &t, &data);
    }
    /* Nodes refuse transactions over 128 KiB: the caller then halves the batch. */
    if (!err.code && data.len > SETTLE_MAX_CALLDATA)
        err = CLO_ERR(CLO_E_LIMIT, "batch: calldata over the txpool size limit");
    if (!err.code)
        err = clo_chaintx_send(c->tx, c->tx->cfg->job_market, NULL, clo_buf_view(&data),
                               (const uint8_t(*)[32])ids, n, NULL, "settleBatch");
    clo_buf_free(&data);
    for (size_t i = 0; privs && i < n; i++) free(privs[i]);
    free(privs);
    free(sv);
    free(items);
    free(pv);
    free(words);
    return err;
}

clo_err clo_settle_init(clo_settler *s, clo_chaintx *tx, clo_super *const *enclaves,
                        size_t nenclaves)
{
    memset(s, 0, sizeof *s);
    s->tx = tx;
    s->enclaves = enclaves;
    s->nenclaves = nenclaves;
    s->pool = calloc(CLO_PROTO_MAX_BATCH, sizeof *s->pool);
    s->queue = calloc(CLO_PROTO_MAX_BATCH, sizeof *s->queue);
    for (size_t i = 0; s->pool && s->queue && i < CLO_PROTO_MAX_BATCH; i++) {
        clo_journal_job_init(&s->pool[i].jj);
        clo_cjob_init(&s->queue[i]);
    }
    if (s->pool && s->queue) return CLO_OK;
    free(s->pool);
    free(s->queue);
    return CLO_ERR(CLO_E_NOMEM, "settle");
}

void clo_settle_free(clo_settler *s)
{
    for (size_t i = 0; s->pool && i < CLO_PROTO_MAX_BATCH; i++) {
        clo_journal_job_free(&s->pool[i].jj);
        clo_cjob_free(&s->queue[i]);
    }
    free(s->pool);
    free(s->queue);
    s->pool = NULL;
    s->queue = NULL;
}

/* Which of this node's enclaves signed the result (its signer for the
 * epoch), or -1. Only such results go into a batch, whose root that enclave
 * signs; a result another node's enclave signed (a daemon sharing the
 * journal ran the job) is settled alone, under its own signature, if its
 * daemon does not. */
static int signed_by(clo_settler *c, const clo_proto_result *r)
{
    static _Thread_local clo_super_status st;
    for (size_t k = 0; k < c->nenclaves; k++) {
        clo_super_status_get(c->enclaves[k], &st);
        for (size_t i = 0; i < st.keys.count; i++)
            if (st.keys.keys[i].epoch == r->stmt.epoch &&
                !clo_result_verify(&r->stmt, c->tx->cfg->chain_id, c->tx->cfg->job_market, r->sig,
                                   st.keys.keys[i].signer)
                     .code)
                return (int)k;
    }
    return -1;
}

clo_err clo_settle_step(clo_settler *c)
{
    ready_job *pool = c->pool, *ready[CLO_PROTO_MAX_BATCH], *foreign[CLO_PROTO_MAX_BATCH];
    clo_cjob *q = c->queue;
    size_t max = c->tx->cfg->settle_batch, nq = 0, nr = 0, nf = 0;
    int signer = -1; /* the enclave whose results ready[] holds */
    CLO_TRY(clo_ledger_jobs(c->tx->journal, CLO_CJ_QUEUED, q, CLO_PROTO_MAX_BATCH, &nq));
    int64_t oldest = INT64_MAX;
    for (size_t i = 0; i < nq && nr + nf < max; i++) {
        ready_job *rj = &pool[nr + nf];
        CLO_TRY(clo_journal_get(c->tx->journal, q[i].job_id, &rj->jj));
        if (rj->jj.state == CLO_JOB_ACCEPTED) continue;
        clo_cur cur = clo_cur_init(clo_buf_view(&rj->jj.result));
        clo_err e = clo_proto_result_decode(&cur, &rj->r);
        if (e.code || rj->jj.state == CLO_JOB_FAILED || rj->r.err.code) {
            char why[96];
            snprintf(why, sizeof why, "enclave: %s",
                     e.code           ? "unreadable result"
                     : rj->r.err.what ? rj->r.err.what
                                      : "failed");
            CLO_TRY(clo_ledger_job_move(c->tx->journal, q[i].job_id, CLO_CJ_QUEUED, CLO_CJ_DROPPED,
                                        why, NULL));
            continue;
        }
        /* Only open jobs, still inside their deadline, are worth a transaction. */
        uint8_t st;
        uint64_t deadline;
        CLO_TRY(clo_chaintx_job_state(c->tx, q[i].job_id, &st, &deadline));
        if (st != CLO_MARKET_OPEN || deadline <= c->tx->chain_now) {
            CLO_TRY(clo_ledger_job_move(c->tx->journal, q[i].job_id, CLO_CJ_QUEUED,
                                        st == CLO_MARKET_SETTLED ? CLO_CJ_SETTLED : CLO_CJ_DROPPED,
                                        st == CLO_MARKET_SETTLED ? "settled by someone else"
                                        : st == CLO_MARKET_OPEN  ? "deadline passed"
                                        : st == CLO_MARKET_NONE  ? "not on chain (reorg?)"
                                                                 : "refunded or paid",
                                        NULL));
            continue;
        }
        memcpy(rj->job_id, q[i].job_id, 32);
        memcpy(rj->consumer, q[i].consumer, 20);
        int by = signed_by(c, &rj->r);
        if (by < 0) {
            /* Its own daemon settles it, in a batch; this one only once that
             * daemon has let it lie as long as a claim lasts (it died). */
            if (clo_now_ms() - rj->jj.updated_ms > (int64_t)c->tx->cfg->claim_seconds * 1000)
                foreign[nf++] = rj;
            continue;
        }
        /* One enclave's results of one epoch in a batch; the rest next round. */
        if (nr > 0 && (rj->r.stmt.epoch != ready[0]->r.stmt.epoch || by != signer)) continue;
        signer = by;
        if (rj->jj.updated_ms < oldest) oldest = rj->jj.updated_ms;
        ready[nr++] = rj;
    }
    for (size_t i = 0; i < nf; i++) {
        clo_err one = settle_one(c, foreign[i]);
        if (one.code && one.code != CLO_E_POLICY) return one;
    }
    if (nr == 0) {
        c->flush = 0;
        return CLO_OK;
    }
    if (nr < max && !c->flush && clo_now_ms() - oldest < (int64_t)c->tx->cfg->settle_wait_ms)
        return CLO_OK;
    size_t wanted = nr;
    clo_err err = CLO_ERR(CLO_E_LIMIT, "");
    /* A batch over the size limit is halved until it fits. */
    while (nr > 1 && err.code == CLO_E_LIMIT) {
        err = settle_batch(c, c->enclaves[signer], ready, nr);
        if (err.code == CLO_E_LIMIT) nr /= 2;
    }
    c->flush = nr < wanted;
    if (nr == 1) {
        err = settle_one(c, ready[0]);
        if (err.code == CLO_E_LIMIT) {
            CLO_LOG(CLO_LOG_WARN, "chain.job_dropped",
                    CLO_LF_HEX("job_id", CLO_BYTES(ready[0]->job_id, 32)),
                    CLO_LF_STR("why", err.what));
            return clo_ledger_job_move(c->tx->journal, ready[0]->job_id, CLO_CJ_QUEUED,
                                       CLO_CJ_DROPPED,
                                       "settlement larger than the txpool size limit", NULL);
        }
        return err;
    }
    if (err.code == CLO_E_POLICY && !strcmp(err.what, "eth.reverted")) {
        /* One bad apple refuses the batch in estimation: settle one by one. */
        for (size_t i = 0; i < nr; i++) {
            clo_err one = settle_one(c, ready[i]);
            if (one.code && !(one.code == CLO_E_POLICY)) return one;
        }
        return CLO_OK;
    }
    return err;
}
