/* chaintx.c — journaled sending, receipts and reconciliation (see chaintx.h). */
#include "host/chaintx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/ct.h"
#include "base/log.h"
#include "chain/eth.h"
#include "chain/tx.h"
#include "client/contracts.h"
#include "host/crash.h"
#include "host/ledger.h"
#include "wire/proto.h"

#define REBROADCAST_MS 30000
#define MAX_OPEN_TXS   64

/* Failure reasons, a fixed set (metrics labels). */
enum { R_REVERTED, R_MINED_FAILED, R_NEVER_MINED, R_REFUSED };
const char *const clo_chaintx_reason_names[CLO_CHAINTX_REASONS] = {
    "reverted_in_estimation", /* the node's estimate reverted: not sent */
    "mined_failed",           /* mined with status 0 */
    "nonce_taken",            /* never mined: another transaction took its nonce */
    "rpc_refused",            /* the node refused it otherwise */
};

static void count(clo_chaintx *t, int ok, int reason)
{
    pthread_mutex_lock(&t->mu);
    if (ok)
        t->stats.tx_ok++;
    else
        t->stats.tx_failed[reason]++;
    pthread_mutex_unlock(&t->mu);
}

void clo_chaintx_stats_get(clo_chaintx *t, clo_chain_stats *out)
{
    pthread_mutex_lock(&t->mu);
    *out = t->stats;
    pthread_mutex_unlock(&t->mu);
}

static void log_revert(const char *event, clo_err e, const clo_buf *revert)
{
    char reason[200];
    clo_abi_revert_text(clo_buf_view(revert), clo_contract_errors, reason, sizeof reason);
    CLO_LOG(CLO_LOG_WARN, event, CLO_LF_STR("code", clo_code_name(e.code)),
            CLO_LF_STR("what", e.what ? e.what : ""),
            CLO_LF_STR("reason", revert->len ? reason : ""));
}

/* The sender's journal hook: the transaction and the jobs it settles, in
 * one database transaction, before broadcast. */
static clo_err journal_tx(void *ud, uint64_t nonce, clo_bytes raw, const uint8_t hash[32])
{
    clo_chaintx *t = ud;
    clo_err err = clo_ledger_tx_put(t->journal, nonce, hash, raw, t->tx_jobs, t->tx_njobs);
    if (err.code == CLO_E_STATE && !strcmp(err.what, CLO_LEDGER_NONCE_TAKEN)) {
        /* Another daemon of this operator (a shared journal) took the nonce:
         * the next send starts past every journaled one. */
        uint64_t next = 0;
        if (!clo_ledger_next_nonce(t->journal, &next).code && next > t->s.next_nonce)
            t->s.next_nonce = next;
    }
    CLO_TRY(err);
    clo_crash_point("after_tx_journal");
    return CLO_OK;
}

clo_err clo_chaintx_init(clo_chaintx *t, const clo_config *cfg, clo_journal *j)
{
    memset(t, 0, sizeof *t);
    t->cfg = cfg;
    t->journal = j;
    t->first_pass = 1;
    pthread_mutex_init(&t->mu, NULL);
    clo_secret32 key;
    uint8_t addr[20];
    clo_rpc_opts o = {cfg->rpc_url, 10000, 0, 100};
    clo_err err = clo_ledger_init(j);
    if (!err.code) err = clo_key_file_read(cfg->key_file, &key, addr);
    if (!err.code) err = clo_rpc_new(&o, &t->rpc);
    if (!err.code) err = clo_sender_init(&t->s, t->rpc, &key);
    clo_wipe(&key, sizeof key);
    if (!err.code && t->s.chain_id != cfg->chain_id)
        err = CLO_ERR(CLO_E_POLICY, "chain.chain_id: the node at chain.rpc serves another chain");
    uint64_t journaled = 0;
    if (!err.code) err = clo_ledger_next_nonce(j, &journaled);
    if (err.code) {
        clo_chaintx_free(t);
        return err;
    }
    /* A journaled transaction may not have reached the node: never reuse its nonce. */
    if (journaled > t->s.next_nonce) t->s.next_nonce = journaled;
    t->s.journal = journal_tx;
    t->s.journal_ud = t;
    return CLO_OK;
}

void clo_chaintx_free(clo_chaintx *t)
{
    clo_sender_wipe(&t->s);
    clo_rpc_free(t->rpc);
    t->rpc = NULL;
    pthread_mutex_destroy(&t->mu);
}

clo_err clo_chaintx_job_state(clo_chaintx *t, const uint8_t job_id[32], uint8_t *state,
                              uint64_t *deadline)
{
    clo_market_job j;
    CLO_TRY(clo_market_job_get(t->rpc, t->cfg->job_market, job_id, CLO_ETH_LATEST, &j));
    *state = j.state;
    if (deadline) *deadline = j.deadline;
    return CLO_OK;
}

/* Close a journaled transaction: ok, or failed and each of its jobs put
 * where the chain says it is (still open: queued again). */
static clo_err close_tx(clo_chaintx *t, const uint8_t hash[32], int ok, uint64_t gas, int reason)
{
    uint8_t jobs[CLO_PROTO_MAX_BATCH][32];
    clo_cjob_state back[CLO_PROTO_MAX_BATCH];
    size_t nj = 0;
    CLO_TRY(clo_ledger_tx_jobs(t->journal, hash, jobs, CLO_PROTO_MAX_BATCH, &nj));
    for (size_t k = 0; k < nj && !ok; k++) {
        uint8_t st;
        CLO_TRY(clo_chaintx_job_state(t, jobs[k], &st, NULL));
        back[k] = st == CLO_MARKET_OPEN   ? CLO_CJ_QUEUED
                  : st == CLO_MARKET_NONE ? CLO_CJ_DROPPED
                                          : CLO_CJ_SETTLED;
    }
    CLO_TRY(clo_ledger_tx_close(t->journal, hash, ok, gas, back, ok ? 0 : nj));
    count(t, ok, reason);
    CLO_LOG(CLO_LOG_INFO, "chain.tx_reconciled", CLO_LF_HEX("tx", CLO_BYTES(hash, 32)),
            CLO_LF_BOOL("ok", ok), CLO_LF_U64("jobs", nj));
    return CLO_OK;
}

/* A receipt is final once it is under chain.confirmations blocks, as a
 * JobSubmitted log must be before the follower acts on it (issue 15, finding
 * 11): a transaction closed earlier could be dropped by a reorg and its jobs
 * never settled. An unreadable head counts as not final. */
static int confirmed(clo_chaintx *t, const clo_eth_receipt *rc)
{
    uint64_t head = 0, need = t->cfg->confirmations;
    if (need == 0) return 1;
    return !clo_eth_block_number(t->rpc, &head).code && rc->block_number + need <= head;
}

clo_err clo_chaintx_send(clo_chaintx *t, const uint8_t to[20], const uint8_t *value, clo_bytes data,
                         const uint8_t (*jobs)[32], size_t njobs, clo_buf *revert_out,
                         const char *what)
{
    clo_buf revert;
    clo_sent sent;
    clo_eth_receipt rc = {0};
    clo_buf_init(&revert, 4096);
    t->tx_jobs = jobs;
    t->tx_njobs = njobs;
    clo_err err = clo_sender_send(&t->s, to, value, data, 0, &sent, &revert);
    t->tx_jobs = NULL;
    t->tx_njobs = 0;
    if (err.code) {
        log_revert("chain.send_refused", err, &revert);
        count(t, 0, err.code == CLO_E_POLICY ? R_REVERTED : R_REFUSED);
        if (revert_out) CLO_IGNORE(clo_buf_append_bytes(revert_out, clo_buf_view(&revert)));
        clo_buf_free(&revert);
        return err;
    }
    clo_crash_point("after_broadcast");
    CLO_LOG(CLO_LOG_INFO, "chain.tx_sent", CLO_LF_STR("what", what),
            CLO_LF_HEX("tx", CLO_BYTES(sent.hash, 32)), CLO_LF_U64("nonce", sent.nonce),
            CLO_LF_U64("jobs", njobs));
    /* Not longer than a re-pricing would wait: a stuck transaction is left to
     * reconcile, which replaces it with higher fees. */
    err = clo_sender_wait(&t->s, sent.hash, (long)t->cfg->bump_after_ms, &rc);
    if (!err.code && njobs && !confirmed(t, &rc)) {
        /* Mined, not yet final: a settlement waits for the confirmations the
         * follower waits for (a reorg would drop it); reconcile closes it. */
        CLO_LOG(CLO_LOG_INFO, "chain.tx_mined", CLO_LF_STR("what", what),
                CLO_LF_HEX("tx", CLO_BYTES(sent.hash, 32)),
                CLO_LF_U64("status", (uint64_t)rc.status), CLO_LF_U64("gas", rc.gas_used),
                CLO_LF_STR("final", "awaiting confirmations"));
    } else if (!err.code) {
        clo_crash_point("before_receipt_journal");
        err = close_tx(t, sent.hash, rc.status == 1, rc.gas_used, R_MINED_FAILED);
        if (!err.code && rc.status != 1) err = CLO_ERR(CLO_E_POLICY, "eth.tx_failed");
        CLO_LOG(rc.status == 1 ? CLO_LOG_INFO : CLO_LOG_WARN, "chain.tx_mined",
                CLO_LF_STR("what", what), CLO_LF_HEX("tx", CLO_BYTES(sent.hash, 32)),
                CLO_LF_U64("status", (uint64_t)rc.status), CLO_LF_U64("gas", rc.gas_used));
    }
    /* No receipt yet: the transaction stays open; reconcile finishes it. */
    clo_eth_receipt_free(&rc);
    clo_buf_free(&revert);
    return err;
}

clo_err clo_chaintx_call(clo_chaintx *t, const uint8_t to[20], const uint8_t *value,
                         const char *sig, const clo_abi_val *args, const char *what)
{
    clo_buf data;
    clo_buf_init(&data, 1u << 24);
    clo_err err = clo_abi_encode_call(sig, args, &data);
    if (!err.code) err = clo_chaintx_send(t, to, value, clo_buf_view(&data), NULL, 0, NULL, what);
    clo_buf_free(&data);
    return err;
}

/* 1 if no later open transaction of txs shares txs[i]'s nonce (only the
 * newest replacement is bumped again). */
static int newest_at_nonce(const clo_ledger_tx *txs, size_t n, size_t i)
{
    for (size_t k = 0; k < n; k++)
        if (k != i && txs[k].nonce == txs[i].nonce && txs[k].created_ms >= txs[i].created_ms &&
            (txs[k].created_ms > txs[i].created_ms || k > i))
            return 0;
    return 1;
}

static clo_err bump(clo_chaintx *t, const clo_ledger_tx *tx)
{
    clo_buf raw;
    uint8_t hash[32], got[32];
    clo_buf_init(&raw, CLO_TX_MAX_SIZE);
    clo_err err = clo_sender_bump(&t->s, clo_buf_view(&tx->raw), &raw, hash);
    if (!err.code)
        err = clo_ledger_tx_replace(t->journal, tx->hash, tx->nonce, hash, clo_buf_view(&raw));
    if (!err.code) {
        clo_err e = clo_eth_send_raw(t->rpc, clo_buf_view(&raw), got);
        CLO_LOG(CLO_LOG_INFO, "chain.tx_replaced", CLO_LF_HEX("tx", CLO_BYTES(tx->hash, 32)),
                CLO_LF_HEX("by", CLO_BYTES(hash, 32)), CLO_LF_U64("nonce", tx->nonce),
                CLO_LF_STR("result", e.code ? (e.what ? e.what : "error") : "ok"));
    }
    clo_buf_free(&raw);
    return err;
}

static clo_err reconcile_one(clo_chaintx *t, clo_ledger_tx *txs, size_t n, size_t i,
                             uint64_t mined_nonce)
{
    clo_eth_receipt rc = {0};
    clo_err err = clo_eth_get_receipt(t->rpc, txs[i].hash, &rc);
    if (err.code == CLO_E_STATE && txs[i].nonce < mined_nonce)
        /* The nonce count was read before the receipt: a miss here is final. */
        return close_tx(t, txs[i].hash, 0, 0, R_NEVER_MINED);
    if (err.code == CLO_E_STATE && txs[i].nonce == mined_nonce &&
        clo_now_ms() - txs[i].created_ms > (int64_t)t->cfg->bump_after_ms &&
        newest_at_nonce(txs, n, i))
        /* The chain waits on this nonce and the transaction is not mined:
         * underpriced. Replace it at the same nonce with higher fees, journaled
         * first; the chain decides which of the two lands (finding 11). */
        return bump(t, &txs[i]);
    if (err.code == CLO_E_STATE) {
        if (t->first_pass || clo_now_ms() - txs[i].created_ms > REBROADCAST_MS) {
            uint8_t h[32];
            clo_err e = clo_eth_send_raw(t->rpc, clo_buf_view(&txs[i].raw), h);
            CLO_LOG(CLO_LOG_INFO, "chain.tx_rebroadcast",
                    CLO_LF_HEX("tx", CLO_BYTES(txs[i].hash, 32)), CLO_LF_U64("nonce", txs[i].nonce),
                    CLO_LF_STR("result", e.code ? (e.what ? e.what : "error") : "ok"));
        }
        return CLO_OK;
    }
    if (err.code) return err;
    if (confirmed(t, &rc)) /* mined, not final yet: ask again next poll */
        err = close_tx(t, txs[i].hash, rc.status == 1, rc.gas_used, R_MINED_FAILED);
    clo_eth_receipt_free(&rc);
    return err;
}

clo_err clo_chaintx_reconcile(clo_chaintx *t)
{
    clo_ledger_tx *txs = calloc(MAX_OPEN_TXS, sizeof *txs);
    CLO_ENSURE(txs, CLO_E_NOMEM, "reconcile");
    size_t n = 0;
    uint64_t mined_nonce = 0;
    for (size_t i = 0; i < MAX_OPEN_TXS; i++) clo_ledger_tx_init(&txs[i]);
    clo_err err = clo_ledger_tx_open(t->journal, txs, MAX_OPEN_TXS, &n);
    if (!err.code && n) err = clo_eth_nonce(t->rpc, t->s.address, "latest", &mined_nonce);
    for (size_t i = 0; i < n && !err.code; i++) err = reconcile_one(t, txs, n, i, mined_nonce);
    if (!err.code) t->first_pass = 0;
    for (size_t i = 0; i < MAX_OPEN_TXS; i++) clo_ledger_tx_free(&txs[i]);
    free(txs);
    return err;
}
