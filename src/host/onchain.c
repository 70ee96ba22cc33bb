/* onchain.c — cloisterd's chain side: registration, log following,
 * exactly-once settlement (see onchain.h). */
#include "host/onchain.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/ct.h"
#include "base/hex.h"
#include "base/log.h"
#include "chain/abi.h"
#include "chain/approval.h"
#include "chain/eth.h"
#include "chain/http.h"
#include "chain/sender.h"
#include "chain/tx.h"
#include "crypto/keccak.h"
#include "crypto/merkle.h"
#include "crypto/secp256k1.h"
#include "wire/witness.h"
#include "host/crash.h"
#include "host/json.h"
#include "host/ledger.h"
#include "host/verifier.h"
#include "workloads/workload.h"

#define JOB_SUBMITTED                                                                              \
    "JobSubmitted(bytes32,address,bytes32,bytes32,bytes32,address,uint256,uint40,address[],"       \
    "bytes[],string)"
#define JOB_SUBMITTED_DATA  "(bytes32,bytes32,address,uint256,uint40,address[],bytes[],string)"
#define SETTLEMENT          "(bytes32,bytes32,bytes32,bytes32,uint32,address,bytes,bytes[])"
#define LOG_RANGE           2000 /* blocks per eth_getLogs */
#define REORG_REWIND        64   /* blocks re-read after a reorg is seen */
#define REBROADCAST_MS      30000
#define MAX_OPEN_TXS        64
#define SETTLE_MAX_CALLDATA (CLO_TX_MAX_SIZE - 4096) /* room for the envelope and signature */

/* JobMarket.State */
enum { JOB_NONE = 0, JOB_OPEN = 1, JOB_SETTLED = 2 };

struct clo_onchain {
    clo_node *n;
    pthread_t th;
    clo_rpc *rpc;
    clo_sender s;
    int started, first_pass;
    /* the jobs the transaction being signed settles (for the journal hook) */
    const uint8_t (*tx_jobs)[32];
    size_t tx_njobs;
    uint8_t registered_signer[20];
    int64_t next_registration;
    int flush;          /* a batch was cut to fit: settle the rest without waiting */
    uint64_t chain_now; /* the latest block's timestamp: deadlines are chain time */
};

static const char *const ERRORS[] = {"JobExists(bytes32)",
                                     "UnknownJob(bytes32)",
                                     "NotOpen(bytes32,uint8)",
                                     "DeadlinePassed(bytes32)",
                                     "SpecMismatch(bytes32)",
                                     "BadProof(bytes32)",
                                     "UnknownRoot(bytes32)",
                                     "RootExists(bytes32)",
                                     "UnknownEnclave(address)",
                                     "EnclaveIsRevoked(address)",
                                     "EnclaveExpired(address)",
                                     "WrongEpoch(uint32,uint32)",
                                     "MeasurementNotAllowed(bytes32)",
                                     "NotOperator()",
                                     "OperatorUnbonding()",
                                     "TeeNotAllowed(uint8)",
                                     "BadExpiry()",
                                     "SignerAlreadyRegistered(address)",
                                     "TooFewApprovals(uint256,uint256)",
                                     "ApproversNotAscending()",
                                     "NotAVerifier(address)",
                                     "NotYourEnclave()",
                                     "RotationMismatch()",
                                     "InsufficientGasForCallback()",
                                     "BondTooSmall()",
                                     "AlreadyRegistered()",
                                     "BadSignature()",
                                     NULL};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void log_revert(const char *event, clo_err e, const clo_buf *revert)
{
    char reason[200];
    clo_abi_revert_text(clo_buf_view(revert), ERRORS, reason, sizeof reason);
    CLO_LOG(CLO_LOG_WARN, event, CLO_LF_STR("code", clo_code_name(e.code)),
            CLO_LF_STR("what", e.what ? e.what : ""),
            CLO_LF_STR("reason", revert->len ? reason : ""));
}

/* eth_call to.sig(args) and decode the result as `ret`. */

/* The sender's journal hook: the transaction and the jobs it settles, in
 * one SQLite transaction, before broadcast. */
static clo_err journal_tx(void *ud, uint64_t nonce, clo_bytes raw, const uint8_t hash[32])
{
    clo_onchain *c = ud;
    CLO_TRY(clo_ledger_tx_put(c->n->journal, nonce, hash, raw, c->tx_jobs, c->tx_njobs));
    clo_crash_point("after_tx_journal");
    return CLO_OK;
}

static clo_err job_state(clo_onchain *c, const uint8_t job_id[32], uint8_t *state,
                         uint64_t *deadline)
{
    clo_abi_val arg = clo_abi_word(job_id), args = clo_abi_tuple(&arg, 1), out;
    CLO_TRY(clo_eth_view(c->rpc, c->n->cfg.job_market, "job(bytes32)", &args,
                         "((address,uint96,uint8,uint40,uint40,address,bytes32))", &out));
    uint64_t st = 0, dl = 0;
    clo_err err = clo_abi_get_u64(&out.items[0].items[2], &st);
    if (!err.code) err = clo_abi_get_u64(&out.items[0].items[3], &dl);
    clo_abi_val_free(&out);
    *state = (uint8_t)st;
    if (deadline) *deadline = dl;
    return err;
}

/* Close a journaled transaction: ok, or failed and each of its jobs put
 * where the chain says it is (still open: queued again). */
static clo_err close_tx(clo_onchain *c, const uint8_t hash[32], int ok, uint64_t gas)
{
    uint8_t jobs[CLO_PROTO_MAX_BATCH][32];
    clo_cjob_state back[CLO_PROTO_MAX_BATCH];
    size_t nj = 0;
    CLO_TRY(clo_ledger_tx_jobs(c->n->journal, hash, jobs, CLO_PROTO_MAX_BATCH, &nj));
    for (size_t k = 0; k < nj && !ok; k++) {
        uint8_t st;
        CLO_TRY(job_state(c, jobs[k], &st, NULL));
        back[k] = st == JOB_OPEN ? CLO_CJ_QUEUED : st == JOB_NONE ? CLO_CJ_DROPPED : CLO_CJ_SETTLED;
    }
    CLO_TRY(clo_ledger_tx_close(c->n->journal, hash, ok, gas, back, ok ? 0 : nj));
    CLO_LOG(CLO_LOG_INFO, "chain.tx_reconciled", CLO_LF_HEX("tx", CLO_BYTES(hash, 32)),
            CLO_LF_BOOL("ok", ok), CLO_LF_U64("jobs", nj));
    return CLO_OK;
}

/* A receipt is final once it is under chain.confirmations blocks, as a
 * JobSubmitted log must be before the follower acts on it (issue 15, finding
 * 11): a transaction closed earlier could be dropped by a reorg and its jobs
 * never settled. An unreadable head counts as not final. */
static int confirmed(clo_onchain *c, const clo_eth_receipt *rc)
{
    uint64_t head = 0, need = c->n->cfg.confirmations;
    if (need == 0) return 1;
    return !clo_eth_block_number(c->rpc, &head).code && rc->block_number + need <= head;
}

/* Send, then wait for and record the receipt (settling jobs, if any). */
static clo_err transact(clo_onchain *c, const uint8_t to[20], const uint8_t *value, clo_bytes data,
                        const uint8_t (*jobs)[32], size_t njobs, clo_buf *revert_out,
                        const char *what)
{
    clo_buf revert;
    clo_sent sent;
    clo_eth_receipt rc = {0};
    clo_buf_init(&revert, 4096);
    c->tx_jobs = jobs;
    c->tx_njobs = njobs;
    clo_err err = clo_sender_send(&c->s, to, value, data, 0, &sent, &revert);
    c->tx_jobs = NULL;
    c->tx_njobs = 0;
    if (err.code) {
        log_revert("chain.send_refused", err, &revert);
        if (revert_out) CLO_IGNORE(clo_buf_append_bytes(revert_out, clo_buf_view(&revert)));
        clo_buf_free(&revert);
        return err;
    }
    clo_crash_point("after_broadcast");
    CLO_LOG(CLO_LOG_INFO, "chain.tx_sent", CLO_LF_STR("what", what),
            CLO_LF_HEX("tx", CLO_BYTES(sent.hash, 32)), CLO_LF_U64("nonce", sent.nonce),
            CLO_LF_U64("jobs", njobs));
    /* Not longer than a re-pricing would wait: a stuck transaction is left to
     * reconcile(), which replaces it with higher fees. */
    err = clo_sender_wait(&c->s, sent.hash, (long)c->n->cfg.bump_after_ms, &rc);
    if (!err.code && njobs && !confirmed(c, &rc)) {
        /* Mined, not yet final: a settlement waits for the confirmations the
         * follower waits for (a reorg would drop it); reconcile() closes it. */
        CLO_LOG(CLO_LOG_INFO, "chain.tx_mined", CLO_LF_STR("what", what),
                CLO_LF_HEX("tx", CLO_BYTES(sent.hash, 32)),
                CLO_LF_U64("status", (uint64_t)rc.status), CLO_LF_U64("gas", rc.gas_used),
                CLO_LF_STR("final", "awaiting confirmations"));
    } else if (!err.code) {
        clo_crash_point("before_receipt_journal");
        err = close_tx(c, sent.hash, rc.status == 1, rc.gas_used);
        if (!err.code && rc.status != 1) err = CLO_ERR(CLO_E_POLICY, "eth.tx_failed");
        CLO_LOG(rc.status == 1 ? CLO_LOG_INFO : CLO_LOG_WARN, "chain.tx_mined",
                CLO_LF_STR("what", what), CLO_LF_HEX("tx", CLO_BYTES(sent.hash, 32)),
                CLO_LF_U64("status", (uint64_t)rc.status), CLO_LF_U64("gas", rc.gas_used));
    }
    /* No receipt yet: the transaction stays open; reconcile() finishes it. */
    clo_eth_receipt_free(&rc);
    clo_buf_free(&revert);
    return err;
}

static clo_err call_tx(clo_onchain *c, const uint8_t to[20], const uint8_t *value, const char *sig,
                       const clo_abi_val *args, const char *what)
{
    clo_buf data;
    clo_buf_init(&data, 1u << 24);
    clo_err err = clo_abi_encode_call(sig, args, &data);
    if (!err.code) err = transact(c, to, value, clo_buf_view(&data), NULL, 0, NULL, what);
    clo_buf_free(&data);
    return err;
}

/* ---- registration ---- */

static clo_err ensure_operator(clo_onchain *c)
{
    clo_abi_val a = clo_abi_address(c->s.address), args = clo_abi_tuple(&a, 1), out;
    CLO_TRY(clo_eth_view(c->rpc, c->n->cfg.registry, "operators(address)", &args,
                         "(uint128,uint64,bool)", &out));
    uint64_t registered = 0;
    clo_err err = clo_abi_get_u64(&out.items[2], &registered);
    clo_abi_val_free(&out);
    CLO_TRY(err);
    if (registered) return CLO_OK;
    uint8_t bond[32] = {0};
    clo_store_u64be(bond + 24, c->n->cfg.bond_wei);
    clo_abi_val none = clo_abi_tuple(NULL, 0);
    return call_tx(c, c->n->cfg.registry, bond, "registerOperator()", &none, "registerOperator");
}

/* Status of a signer's record: 0 none, 1 active, 2 revoked; and its operator. */
static clo_err record_status(clo_onchain *c, const uint8_t signer[20], uint64_t *status,
                             uint8_t operator_addr[20], uint64_t *expiry)
{
    clo_abi_val a = clo_abi_address(signer), args = clo_abi_tuple(&a, 1), out;
    CLO_TRY(clo_eth_view(c->rpc, c->n->cfg.registry, "enclave(address)", &args,
                         "((address,uint40,uint32,uint8,uint8,bytes32,bytes32,bytes32))", &out));
    clo_err err = clo_abi_get_u64(&out.items[0].items[4], status);
    if (!err.code) err = clo_abi_get_u64(&out.items[0].items[1], expiry);
    clo_abi_get_address(&out.items[0].items[0], operator_addr);
    clo_abi_val_free(&out);
    return err;
}

typedef struct {
    uint8_t verifier[20], sig[65];
} approval_sig;

static int by_verifier(const void *a, const void *b)
{
    return memcmp(((const approval_sig *)a)->verifier, ((const approval_sig *)b)->verifier, 20);
}

/* Ask each verifier for a challenge, attest over the committee nonce, and
 * collect approvals of one identical record. */
static clo_err collect_approvals(clo_onchain *c, const clo_proto_key *key, clo_approval *a,
                                 approval_sig *sigs, size_t *count)
{
    char urls[sizeof c->n->cfg.verifiers], *save = NULL, *u;
    const char *list[CLO_VERIFIER_MAX_CHALLENGES];
    uint8_t ch[CLO_VERIFIER_MAX_CHALLENGES][32], nonce[32];
    size_t nv = 0;
    *count = 0;
    snprintf(urls, sizeof urls, "%s", c->n->cfg.verifiers);
    for (u = strtok_r(urls, ",", &save); u && nv < CLO_VERIFIER_MAX_CHALLENGES;
         u = strtok_r(NULL, ",", &save)) {
        char url[2100];
        long status;
        json_t *doc = NULL;
        snprintf(url, sizeof url, "%s/v1/challenge", u);
        if (clo_http_json("GET", url, NULL, 10000, &status, &doc).code || status != 200 ||
            clo_hex_decode_fixed(ch[nv], 32, json_string_value(json_object_get(doc, "nonce")))
                .code) {
            CLO_LOG(CLO_LOG_WARN, "chain.verifier_unavailable", CLO_LF_STR("url", u));
            json_decref(doc);
            continue;
        }
        json_decref(doc);
        list[nv++] = u;
    }
    CLO_ENSURE(nv > 0, CLO_E_IO, "registration: no verifier answered");
    clo_committee_nonce((const uint8_t(*)[32])ch, nv, nonce);
    clo_buf resp;
    clo_buf_init(&resp, 1 << 20);
    clo_err err = clo_super_call(c->n->super, CLO_CALL_EVIDENCE, CLO_BYTES(nonce, 32), &resp);
    clo_proto_evidence ev;
    if (!err.code) err = clo_proto_evidence_decode(clo_buf_view(&resp), &ev);
    if (!err.code && (ev.epoch != key->epoch || memcmp(ev.signer, key->signer, 20)))
        err = CLO_ERR(CLO_E_STATE, "registration: the enclave rotated meanwhile");
    if (err.code) {
        clo_buf_free(&resp);
        return err;
    }
    json_t *chs = json_array();
    for (size_t i = 0; i < nv; i++) json_array_append_new(chs, clo_json_hex(CLO_BYTES(ch[i], 32)));
    uint64_t expiry = (uint64_t)(clo_now_ms() / 1000) + c->n->cfg.approval_seconds;
    json_t *req = json_pack(
        "{s:o,s:o,s:o,s:o,s:I,s:o,s:I}", "challenges", chs, "evidence", clo_json_hex(ev.evidence),
        "signer", clo_json_hex(CLO_BYTES(ev.signer, 20)), "hpke_public_key",
        clo_json_hex(CLO_BYTES(ev.hpke_pk, 32)), "epoch", (json_int_t)ev.epoch, "operator",
        clo_json_hex(CLO_BYTES(c->s.address, 20)), "expiry", (json_int_t)expiry);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    clo_buf_free(&resp);
    CLO_ENSURE(body, CLO_E_NOMEM, "registration");
    int have = 0;
    for (size_t i = 0; i < nv; i++) {
        char url[2100];
        long status;
        json_t *doc = NULL;
        clo_approval got;
        approval_sig as;
        uint8_t who[20];
        snprintf(url, sizeof url, "%s/v1/approve", list[i]);
        int ok =
            !clo_http_json("POST", url, body, 30000, &status, &doc).code && status == 200 &&
            !clo_approval_from_json(json_object_get(doc, "approval"), &got).code &&
            json_string_value(json_object_get(doc, "signature")) &&
            !clo_hex_decode_fixed(as.sig, 65, json_string_value(json_object_get(doc, "signature")))
                 .code &&
            !clo_approval_recover(&got, c->n->cfg.chain_id, c->n->cfg.registry, as.sig, who).code;
        /* The record must be ours and the same for every member. */
        ok = ok && !memcmp(got.signer, key->signer, 20) && got.epoch == key->epoch &&
             !memcmp(got.hpke_key, key->hpke_pk, 32) &&
             !memcmp(got.operator_addr, c->s.address, 20) && got.expiry == expiry &&
             (!have || !memcmp(&got, a, sizeof got));
        if (ok) {
            if (!have) *a = got;
            have = 1;
            memcpy(as.verifier, who, 20);
            sigs[(*count)++] = as;
        } else {
            const char *detail = json_string_value(json_object_get(doc, "detail"));
            CLO_LOG(CLO_LOG_WARN, "chain.approval_refused", CLO_LF_STR("url", list[i]),
                    CLO_LF_STR("detail", detail ? detail : "no valid approval"));
        }
        json_decref(doc);
    }
    free(body);
    qsort(sigs, *count, sizeof *sigs, by_verifier);
    return CLO_OK;
}

static clo_err ensure_enclave(clo_onchain *c)
{
    clo_super_status st;
    clo_super_status_get(c->n->super, &st);
    CLO_ENSURE(st.keys.count > 0, CLO_E_STATE, "registration: the enclave has no keys yet");
    const clo_proto_key *cur = &st.keys.keys[0];
    if (!memcmp(c->registered_signer, cur->signer, 20)) return CLO_OK;
    uint64_t status, expiry;
    uint8_t op[20];
    CLO_TRY(record_status(c, cur->signer, &status, op, &expiry));
    if (status == 1) {
        memcpy(c->registered_signer, cur->signer, 20);
        return CLO_OK;
    }
    CLO_ENSURE(status == 0, CLO_E_POLICY, "registration: this enclave's record is revoked");
    CLO_TRY(ensure_operator(c));
    clo_abi_val none = clo_abi_tuple(NULL, 0), th;
    CLO_TRY(clo_eth_view(c->rpc, c->n->cfg.registry, "threshold()", &none, "(uint256)", &th));
    uint64_t k = 0;
    clo_err err = clo_abi_get_u64(&th.items[0], &k);
    clo_abi_val_free(&th);
    CLO_TRY(err);
    clo_approval a;
    approval_sig sigs[CLO_VERIFIER_MAX_CHALLENGES];
    size_t n = 0;
    CLO_TRY(collect_approvals(c, cur, &a, sigs, &n));
    CLO_ENSURE(n >= k, CLO_E_STATE, "registration: too few committee approvals");
    clo_abi_val items[8], sv[CLO_VERIFIER_MAX_CHALLENGES];
    for (size_t i = 0; i < n; i++) sv[i] = clo_abi_bytes(CLO_BYTES(sigs[i].sig, 65));
    /* Rotate from our previous epoch's record if it is still active. */
    const uint8_t *prev = NULL;
    for (size_t i = 1; i < st.keys.count && !prev; i++) {
        if (!record_status(c, st.keys.keys[i].signer, &status, op, &expiry).code && status == 1 &&
            !memcmp(op, c->s.address, 20))
            prev = st.keys.keys[i].signer;
    }
    if (prev) {
        clo_abi_val args[3] = {clo_abi_address(prev), clo_approval_abi(&a, items),
                               clo_abi_array(sv, n)};
        clo_abi_val t = clo_abi_tuple(args, 3);
        err = call_tx(c, c->n->cfg.registry, NULL,
                      "rotateEnclave(address," CLO_APPROVAL_TUPLE ",bytes[])", &t, "rotateEnclave");
    } else {
        clo_abi_val args[2] = {clo_approval_abi(&a, items), clo_abi_array(sv, n)};
        clo_abi_val t = clo_abi_tuple(args, 2);
        err = call_tx(c, c->n->cfg.registry, NULL,
                      "registerEnclave(" CLO_APPROVAL_TUPLE ",bytes[])", &t, "registerEnclave");
    }
    if (!err.code) {
        memcpy(c->registered_signer, cur->signer, 20);
        CLO_LOG(CLO_LOG_INFO, "chain.enclave_registered",
                CLO_LF_HEX("signer", CLO_BYTES(a.signer, 20)), CLO_LF_U64("epoch", a.epoch),
                CLO_LF_U64("approvals", n),
                CLO_LF_HEX("measurement", CLO_BYTES(a.measurement, 32)));
    }
    return err;
}

/* ---- reconcile journaled transactions with the chain ---- */

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

static clo_err bump(clo_onchain *c, const clo_ledger_tx *t)
{
    clo_buf raw;
    uint8_t hash[32], got[32];
    clo_buf_init(&raw, CLO_TX_MAX_SIZE);
    clo_err err = clo_sender_bump(&c->s, clo_buf_view(&t->raw), &raw, hash);
    if (!err.code)
        err = clo_ledger_tx_replace(c->n->journal, t->hash, t->nonce, hash, clo_buf_view(&raw));
    if (!err.code) {
        clo_err e = clo_eth_send_raw(c->rpc, clo_buf_view(&raw), got);
        CLO_LOG(CLO_LOG_INFO, "chain.tx_replaced", CLO_LF_HEX("tx", CLO_BYTES(t->hash, 32)),
                CLO_LF_HEX("by", CLO_BYTES(hash, 32)), CLO_LF_U64("nonce", t->nonce),
                CLO_LF_STR("result", e.code ? (e.what ? e.what : "error") : "ok"));
    }
    clo_buf_free(&raw);
    return err;
}

/* Every journaled transaction not yet closed: its receipt decides; without
 * one it is rebroadcast byte-identical, unless its nonce has been used by
 * another transaction of ours (it can never be mined: closed as failed). */
static clo_err reconcile(clo_onchain *c)
{
    static clo_ledger_tx txs[MAX_OPEN_TXS];
    static int init;
    size_t n = 0;
    uint64_t mined_nonce = 0;
    if (!init) {
        for (size_t i = 0; i < MAX_OPEN_TXS; i++) clo_ledger_tx_init(&txs[i]);
        init = 1;
    }
    CLO_TRY(clo_ledger_tx_open(c->n->journal, txs, MAX_OPEN_TXS, &n));
    if (n) CLO_TRY(clo_eth_nonce(c->rpc, c->s.address, "latest", &mined_nonce));
    for (size_t i = 0; i < n; i++) {
        clo_eth_receipt rc = {0};
        clo_err err = clo_eth_get_receipt(c->rpc, txs[i].hash, &rc);
        if (err.code == CLO_E_STATE && txs[i].nonce < mined_nonce) {
            /* The nonce count was read before the receipt: a miss here is final. */
            CLO_TRY(close_tx(c, txs[i].hash, 0, 0));
            continue;
        }
        if (err.code == CLO_E_STATE && txs[i].nonce == mined_nonce &&
            clo_now_ms() - txs[i].created_ms > (int64_t)c->n->cfg.bump_after_ms &&
            newest_at_nonce(txs, n, i)) {
            /* The chain waits on this nonce and the transaction is not mined:
             * underpriced. Replace it at the same nonce with higher fees, journaled
             * first; the chain decides which of the two lands (finding 11). */
            CLO_TRY(bump(c, &txs[i]));
            continue;
        }
        if (err.code == CLO_E_STATE) {
            if (c->first_pass || clo_now_ms() - txs[i].created_ms > REBROADCAST_MS) {
                uint8_t h[32];
                clo_err e = clo_eth_send_raw(c->rpc, clo_buf_view(&txs[i].raw), h);
                CLO_LOG(CLO_LOG_INFO, "chain.tx_rebroadcast",
                        CLO_LF_HEX("tx", CLO_BYTES(txs[i].hash, 32)),
                        CLO_LF_U64("nonce", txs[i].nonce),
                        CLO_LF_STR("result", e.code ? (e.what ? e.what : "error") : "ok"));
            }
            continue;
        }
        if (err.code) return err;
        if (!confirmed(c, &rc)) { /* mined, not final yet: ask again next poll */
            clo_eth_receipt_free(&rc);
            continue;
        }
        err = close_tx(c, txs[i].hash, rc.status == 1, rc.gas_used);
        clo_eth_receipt_free(&rc);
        CLO_TRY(err);
    }
    c->first_pass = 0;
    return CLO_OK;
}

/* ---- follow JobSubmitted ---- */

/* Ask the committee's verifiers for the job's ticket (host/verifier.h) until
 * the enclave's threshold of members has signed it; each signature is checked
 * here too, so a bad answer is named in the log rather than at RUN. 1 if
 * enough were collected, 0 to wait and ask again later. */
static int collect_tickets(clo_onchain *c, clo_proto_job *pj)
{
    const clo_committee *cm = &c->n->cfg.committee;
    char urls[sizeof c->n->cfg.verifiers], *save = NULL, *u;
    uint8_t model_id[32], input_hash[32];
    int counted[CLO_COMMITTEE_MAX] = {0};
    if (!cm->count) {
        CLO_LOG(CLO_LOG_WARN, "chain.no_committee",
                CLO_LF_STR("why", "chain.committee is empty: chain jobs cannot get tickets"));
        return 0;
    }
    clo_keccak256(pj->config, model_id);
    clo_hash_list(pj->inputs, pj->count, input_hash);
    json_t *req =
        json_pack("{s:o,s:o,s:o,s:o,s:o}", "job_id", clo_json_hex(CLO_BYTES(pj->job_id, 32)),
                  "workload_id", clo_json_hex(CLO_BYTES(pj->workload_id, 32)), "model_id",
                  clo_json_hex(CLO_BYTES(model_id, 32)), "input_hash",
                  clo_json_hex(CLO_BYTES(input_hash, 32)), "consumer",
                  clo_json_hex(CLO_BYTES(pj->consumer, 20)));
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!body) return 0;
    pj->nsigs = 0;
    snprintf(urls, sizeof urls, "%s", c->n->cfg.verifiers);
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
            clo_ticket_digest(&t, c->n->cfg.chain_id, c->n->cfg.job_market, digest);
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

/* Turn a seen job into an enclave job once its model config is known.
 * record = workload id (the event's indexed topic) || the event's data. */
static clo_err queue_job(clo_onchain *c, const uint8_t job_id[32], clo_bytes record)
{
    clo_abi_val v;
    clo_journal *j = c->n->journal;
    const char *drop = NULL;
    CLO_ENSURE(record.len > 32, CLO_E_FORMAT, "chain job record");
    const uint8_t *workload_id = record.ptr;
    CLO_TRY(clo_abi_decode_as(JOB_SUBMITTED_DATA, CLO_BYTES(record.ptr + 32, record.len - 32), &v));
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
    else if (deadline <= c->chain_now)
        drop = "deadline passed before the job was seen";
    else if (inputs->items[0].bytes.len < 12)
        drop = "inputs: not request envelopes";
    if (drop || err.code) goto out;
    err = clo_ledger_model_get(j, v.items[0].word, &config);
    if (err.code == CLO_E_STATE) { /* waits for its config */
        err = CLO_OK;
        goto out;
    }
    if (err.code) goto out;
    clo_bytes views[CLO_PROTO_MAX_INPUTS];
    for (size_t i = 0; i < inputs->count; i++) views[i] = inputs->items[i].bytes;
    clo_proto_job pj;
    memset(&pj, 0, sizeof pj);
    memcpy(pj.job_id, job_id, 32);
    memcpy(pj.workload_id, workload_id, 32);
    pj.chain_id = c->n->cfg.chain_id;
    memcpy(pj.market, c->n->cfg.job_market, 20);
    clo_cur hdr = clo_cur_init(inputs->items[0].bytes);
    err = clo_cur_skip(&hdr, 8); /* the envelope header's epoch (docs/formats.md §1.3) */
    if (!err.code) err = clo_cur_u32be(&hdr, &pj.epoch);
    if (err.code) goto out;
    pj.config = clo_buf_view(&config);
    pj.count = inputs->count;
    pj.inputs = views;
    pj.deadline = deadline;
    clo_abi_get_address(&v.items[2], pj.consumer);
    if (!collect_tickets(c, &pj)) goto out; /* waits for its ticket */
    int existed;
    err = clo_proto_job_encode(&pj, &req);
    if (!err.code) err = clo_journal_put(j, job_id, wl->name, clo_buf_view(&req), &existed);
    if (err.code == CLO_E_POLICY) {
        drop = "job id already used for another request";
        err = CLO_OK;
        goto out;
    }
    if (!err.code) err = clo_ledger_job_set(j, job_id, CLO_CJ_QUEUED, "");
    if (!err.code) {
        pthread_mutex_lock(&c->n->wake_mu);
        pthread_cond_signal(&c->n->wake);
        pthread_mutex_unlock(&c->n->wake_mu);
        CLO_LOG(CLO_LOG_INFO, "chain.job_queued", CLO_LF_HEX("job_id", CLO_BYTES(job_id, 32)),
                CLO_LF_STR("workload", wl->name), CLO_LF_U64("inputs", inputs->count));
    }
out:
    if (drop) {
        err = clo_ledger_job_set(j, job_id, CLO_CJ_DROPPED, drop);
        CLO_LOG(CLO_LOG_INFO, "chain.job_dropped", CLO_LF_HEX("job_id", CLO_BYTES(job_id, 32)),
                CLO_LF_STR("why", drop));
    }
    clo_abi_val_free(&v);
    clo_buf_free(&config);
    clo_buf_free(&req);
    return err;
}

static clo_err follow(clo_onchain *c)
{
    clo_journal *j = c->n->journal;
    uint64_t next = c->n->cfg.start_block, head;
    uint8_t prev[32] = {0};
    int found;
    clo_eth_block b;
    CLO_TRY(clo_ledger_cursor_get(j, &next, prev, &found));
    if (!found) next = c->n->cfg.start_block;
    CLO_TRY(clo_eth_get_block(c->rpc, "latest", 0, &b));
    head = b.number;
    c->chain_now = b.timestamp;
    if (head < c->n->cfg.confirmations) return CLO_OK;
    uint64_t safe = head - c->n->cfg.confirmations;
    if (found && next > 0) {
        CLO_TRY(clo_eth_get_block(c->rpc, NULL, next - 1, &b));
        if (memcmp(b.hash, prev, 32)) {
            uint64_t back = next > c->n->cfg.start_block + REORG_REWIND ? next - REORG_REWIND
                                                                        : c->n->cfg.start_block;
            uint8_t h[32] = {0};
            if (back > 0) {
                CLO_TRY(clo_eth_get_block(c->rpc, NULL, back - 1, &b));
                memcpy(h, b.hash, 32);
            }
            CLO_LOG(CLO_LOG_WARN, "chain.reorg", CLO_LF_U64("at", next - 1),
                    CLO_LF_U64("rewind_to", back));
            return clo_ledger_cursor_set(j, back, h);
        }
    }
    if (next > safe) return CLO_OK;
    uint64_t to = safe - next >= LOG_RANGE ? next + LOG_RANGE - 1 : safe;
    uint8_t topic[1][32];
    clo_keccak256(clo_bytes_str(JOB_SUBMITTED), topic[0]);
    clo_eth_log *logs = NULL;
    size_t n = 0;
    CLO_TRY(clo_eth_get_logs(c->rpc, c->n->cfg.job_market, (const uint8_t(*)[32])topic, 1, next, to,
                             &logs, &n));
    clo_err err = CLO_OK;
    for (size_t i = 0; i < n && !err.code; i++) {
        clo_eth_log *l = &logs[i];
        if (l->removed || l->topic_count != 4) continue;
        clo_abi_val v;
        if (clo_abi_decode_as(JOB_SUBMITTED_DATA, clo_buf_view(&l->data), &v).code) continue;
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
        if (!err.code && cur.state == CLO_CJ_WAITING)
            err = queue_job(c, l->topics[1], clo_buf_view(&rec));
        clo_cjob_free(&cur);
        clo_buf_free(&rec);
    }
    clo_eth_logs_free(logs, n);
    CLO_TRY(err);
    CLO_TRY(clo_eth_get_block(c->rpc, NULL, to, &b));
    return clo_ledger_cursor_set(j, to + 1, b.hash);
}

/* Jobs still waiting for their model config. */
static clo_err retry_waiting(clo_onchain *c)
{
    static clo_cjob w[16];
    static int init;
    size_t n = 0;
    if (!init) {
        for (size_t i = 0; i < 16; i++) clo_cjob_init(&w[i]);
        init = 1;
    }
    CLO_TRY(clo_ledger_jobs(c->n->journal, CLO_CJ_WAITING, w, 16, &n));
    for (size_t i = 0; i < n; i++) CLO_TRY(queue_job(c, w[i].job_id, clo_buf_view(&w[i].event)));
    return CLO_OK;
}

/* ---- settle ---- */

typedef struct {
    uint8_t job_id[32], consumer[20];
    clo_journal_job jj;
    clo_proto_result r;
    int64_t done_ms;
} ready_job;

static clo_abi_val settlement_abi(ready_job *rj, clo_abi_val items[8], clo_abi_val *privs)
{
    clo_proto_result *r = &rj->r;
    items[0] = clo_abi_word(r->stmt.job_id);
    items[1] = clo_abi_word(r->stmt.input_hash);
    items[2] = clo_abi_word(r->stmt.workload_id);
    items[3] = clo_abi_word(r->stmt.model_id);
    items[4] = clo_abi_uint(r->stmt.epoch);
    items[5] = clo_abi_address(rj->consumer);
    items[6] = clo_abi_bytes(r->public_out);
    for (size_t i = 0; i < r->count; i++) privs[i] = clo_abi_bytes(r->private_out[i]);
    items[7] = clo_abi_array(privs, r->count);
    return clo_abi_tuple(items, 8);
}

static clo_err settle_one(clo_onchain *c, ready_job *rj)
{
    clo_abi_val items[8], *privs = calloc(rj->r.count + 1, sizeof *privs);
    CLO_ENSURE(privs, CLO_E_NOMEM, "settle");
    clo_abi_val args[2] = {settlement_abi(rj, items, privs),
                           clo_abi_bytes(CLO_BYTES(rj->r.sig, 65))};
    clo_abi_val t = clo_abi_tuple(args, 2);
    clo_buf data;
    clo_buf_init(&data, (size_t)64 << 20);
    clo_err err = clo_abi_encode_call("settle(" SETTLEMENT ",bytes)", &t, &data);
    const uint8_t(*ids)[32] = (const uint8_t(*)[32])rj->job_id;
    if (!err.code && data.len > SETTLE_MAX_CALLDATA)
        err = CLO_ERR(CLO_E_LIMIT, "settle: calldata over the txpool size limit");
    clo_buf revert;
    clo_buf_init(&revert, 4096);
    if (!err.code)
        err =
            transact(c, c->n->cfg.job_market, NULL, clo_buf_view(&data), ids, 1, &revert, "settle");
    /* Refused in estimation for a reason that will not change: the job is
     * over for us (an enclave or registry reason may change: it stays). */
    static const char *const fatal[] = {"DeadlinePassed(bytes32)", "SpecMismatch(bytes32)",
                                        "NotOpen(bytes32,uint8)", "UnknownJob(bytes32)"};
    for (size_t i = 0; err.code == CLO_E_POLICY && revert.len >= 4 && i < 4; i++) {
        uint8_t sel[4];
        clo_abi_selector(fatal[i], sel);
        if (memcmp(sel, revert.ptr, 4)) continue;
        char why[96];
        snprintf(why, sizeof why, "the market refuses its settlement: %.*s",
                 (int)(strchr(fatal[i], '(') - fatal[i]), fatal[i]);
        err = clo_ledger_job_set(c->n->journal, rj->job_id, CLO_CJ_DROPPED, why);
        CLO_LOG(CLO_LOG_INFO, "chain.job_dropped", CLO_LF_HEX("job_id", CLO_BYTES(rj->job_id, 32)),
                CLO_LF_STR("why", why));
        break;
    }
    clo_buf_free(&revert);
    clo_buf_free(&data);
    free(privs);
    return err;
}

static clo_err settle_batch(clo_onchain *c, ready_job **rj, size_t n)
{
    static clo_proto_batch b;
    static uint8_t leaves[CLO_PROTO_MAX_BATCH][32], ids[CLO_PROTO_MAX_BATCH][32];
    static uint8_t proofs[CLO_PROTO_MAX_BATCH][CLO_MERKLE_MAX_DEPTH][32];
    clo_proto_batch_sig bs;
    b.epoch = rj[0]->r.stmt.epoch;
    b.count = n;
    for (size_t i = 0; i < n; i++) {
        b.stmts[i] = rj[i]->r.stmt;
        clo_result_struct_hash(&rj[i]->r.stmt, leaves[i]);
        memcpy(ids[i], rj[i]->job_id, 32);
    }
    clo_buf body, resp;
    clo_buf_init(&body, 1 << 20);
    clo_buf_init(&resp, 1 << 16);
    clo_err err = clo_proto_batch_encode(&b, &body);
    if (!err.code)
        err = clo_super_call(c->n->super, CLO_CALL_SIGN_BATCH, clo_buf_view(&body), &resp);
    if (!err.code) err = clo_proto_batch_sig_decode(clo_buf_view(&resp), &bs);
    clo_buf_free(&body);
    clo_buf_free(&resp);
    CLO_TRY(err);
    /* Check what the enclave signed before anyone pays gas for it. */
    uint8_t root[32];
    CLO_TRY(clo_merkle_root((const uint8_t(*)[32])leaves, n, root));
    CLO_ENSURE(!memcmp(root, bs.root, 32) && bs.count == n && bs.epoch == b.epoch, CLO_E_STATE,
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
        err = clo_merkle_proof((const uint8_t(*)[32])leaves, n, i, proofs[i], &len);
        for (size_t k = 0; k < len; k++)
            words[i * CLO_MERKLE_MAX_DEPTH + k] = clo_abi_word(proofs[i][k]);
        pv[i] = clo_abi_array(words + i * CLO_MERKLE_MAX_DEPTH, len);
    }
    if (!err.code) {
        clo_abi_val args[6] = {clo_abi_word(bs.root),  clo_abi_uint(bs.count),
                               clo_abi_uint(bs.epoch), clo_abi_bytes(CLO_BYTES(bs.sig, 65)),
                               clo_abi_array(sv, n),   clo_abi_array(pv, n)};
        clo_abi_val t = clo_abi_tuple(args, 6);
        err = clo_abi_encode_call(
            "settleBatch(bytes32,uint32,uint32,bytes," SETTLEMENT "[],bytes32[][])", &t, &data);
    }
    /* Nodes refuse transactions over 128 KiB: the caller then halves the batch. */
    if (!err.code && data.len > SETTLE_MAX_CALLDATA)
        err = CLO_ERR(CLO_E_LIMIT, "batch: calldata over the txpool size limit");
    if (!err.code)
        err = transact(c, c->n->cfg.job_market, NULL, clo_buf_view(&data),
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

static clo_err settle(clo_onchain *c)
{
    static ready_job *pool;
    static clo_cjob q[CLO_PROTO_MAX_BATCH];
    ready_job *ready[CLO_PROTO_MAX_BATCH];
    size_t max = c->n->cfg.settle_batch, nq = 0, nr = 0;
    if (!pool) {
        pool = calloc(CLO_PROTO_MAX_BATCH, sizeof *pool);
        CLO_ENSURE(pool, CLO_E_NOMEM, "settle");
        for (size_t i = 0; i < CLO_PROTO_MAX_BATCH; i++) {
            clo_journal_job_init(&pool[i].jj);
            clo_cjob_init(&q[i]);
        }
    }
    CLO_TRY(clo_ledger_jobs(c->n->journal, CLO_CJ_QUEUED, q, CLO_PROTO_MAX_BATCH, &nq));
    int64_t oldest = INT64_MAX;
    for (size_t i = 0; i < nq && nr < max; i++) {
        ready_job *rj = &pool[nr];
        CLO_TRY(clo_journal_get(c->n->journal, q[i].job_id, &rj->jj));
        if (rj->jj.state == CLO_JOB_ACCEPTED) continue;
        clo_cur cur = clo_cur_init(clo_buf_view(&rj->jj.result));
        clo_err e = clo_proto_result_decode(&cur, &rj->r);
        if (e.code || rj->jj.state == CLO_JOB_FAILED || rj->r.err.code) {
            char why[96];
            snprintf(why, sizeof why, "enclave: %s",
                     e.code           ? "unreadable result"
                     : rj->r.err.what ? rj->r.err.what
                                      : "failed");
            CLO_TRY(clo_ledger_job_set(c->n->journal, q[i].job_id, CLO_CJ_DROPPED, why));
            continue;
        }
        /* Only open jobs, still inside their deadline, are worth a transaction. */
        uint8_t st;
        uint64_t deadline;
        CLO_TRY(job_state(c, q[i].job_id, &st, &deadline));
        if (st != JOB_OPEN || deadline <= c->chain_now) {
            CLO_TRY(clo_ledger_job_set(c->n->journal, q[i].job_id,
                                       st == JOB_SETTLED ? CLO_CJ_SETTLED : CLO_CJ_DROPPED,
                                       st == JOB_SETTLED ? "settled by someone else"
                                       : st == JOB_OPEN  ? "deadline passed"
                                       : st == JOB_NONE  ? "not on chain (reorg?)"
                                                         : "refunded or paid"));
            continue;
        }
        if (nr > 0 && rj->r.stmt.epoch != ready[0]->r.stmt.epoch) continue; /* next round */
        memcpy(rj->job_id, q[i].job_id, 32);
        memcpy(rj->consumer, q[i].consumer, 20);
        if (rj->jj.updated_ms < oldest) oldest = rj->jj.updated_ms;
        ready[nr++] = rj;
    }
    if (nr == 0) {
        c->flush = 0;
        return CLO_OK;
    }
    if (nr < max && !c->flush && clo_now_ms() - oldest < (int64_t)c->n->cfg.settle_wait_ms)
        return CLO_OK;
    size_t wanted = nr;
    clo_err err = CLO_ERR(CLO_E_LIMIT, "");
    /* A batch over the size limit is halved until it fits. */
    while (nr > 1 && err.code == CLO_E_LIMIT) {
        err = settle_batch(c, ready, nr);
        if (err.code == CLO_E_LIMIT) nr /= 2;
    }
    c->flush = nr < wanted;
    if (nr == 1) {
        err = settle_one(c, ready[0]);
        if (err.code == CLO_E_LIMIT) {
            CLO_LOG(CLO_LOG_WARN, "chain.job_dropped",
                    CLO_LF_HEX("job_id", CLO_BYTES(ready[0]->job_id, 32)),
                    CLO_LF_STR("why", err.what));
            return clo_ledger_job_set(c->n->journal, ready[0]->job_id, CLO_CJ_DROPPED,
                                      "settlement larger than the txpool size limit");
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

/* ---- the thread ---- */

static void *run(void *ud)
{
    clo_onchain *c = ud;
    const char *last = NULL;
    while (!*c->n->stop) {
        clo_err err = reconcile(c);
        if (!err.code && clo_now_ms() >= c->next_registration) {
            clo_err r = ensure_enclave(c);
            if (r.code) {
                CLO_LOG(CLO_LOG_WARN, "chain.registration_pending",
                        CLO_LF_STR("code", clo_code_name(r.code)),
                        CLO_LF_STR("what", r.what ? r.what : ""));
                c->next_registration = clo_now_ms() + 2000;
            }
        }
        if (!err.code) err = follow(c);
        if (!err.code) err = retry_waiting(c);
        static const uint8_t none[20];
        if (!err.code && memcmp(c->registered_signer, none, 20)) err = settle(c);
        if (err.code && err.what != last)
            CLO_LOG(CLO_LOG_WARN, "chain.retry", CLO_LF_STR("code", clo_code_name(err.code)),
                    CLO_LF_STR("what", err.what ? err.what : ""));
        last = err.code ? err.what : NULL;
        sleep_ms(err.code ? 1000 : (long)c->n->cfg.poll_ms);
    }
    return NULL;
}

clo_err clo_onchain_start(clo_onchain **out, clo_node *node)
{
    *out = NULL;
    if (!node->cfg.rpc_url[0]) return CLO_OK;
    clo_onchain *c = calloc(1, sizeof *c);
    CLO_ENSURE(c, CLO_E_NOMEM, "chain");
    c->n = node;
    c->first_pass = 1;
    clo_secret32 key;
    uint8_t addr[20];
    clo_rpc_opts o = {node->cfg.rpc_url, 10000, 0, 100};
    clo_err err = clo_ledger_init(node->journal);
    if (!err.code) err = clo_key_file_read(node->cfg.key_file, &key, addr);
    if (!err.code) err = clo_rpc_new(&o, &c->rpc);
    if (!err.code) err = clo_sender_init(&c->s, c->rpc, &key);
    clo_wipe(&key, sizeof key);
    if (!err.code && c->s.chain_id != node->cfg.chain_id)
        err = CLO_ERR(CLO_E_POLICY, "chain.chain_id: the node at chain.rpc serves another chain");
    uint64_t journaled = 0;
    if (!err.code) err = clo_ledger_next_nonce(node->journal, &journaled);
    if (!err.code) {
        /* A journaled transaction may not have reached the node: never reuse its nonce. */
        if (journaled > c->s.next_nonce) c->s.next_nonce = journaled;
        c->s.journal = journal_tx;
        c->s.journal_ud = c;
        if (pthread_create(&c->th, NULL, run, c) != 0) err = CLO_ERR(CLO_E_NOMEM, "chain thread");
    }
    if (err.code) {
        clo_sender_wipe(&c->s);
        clo_rpc_free(c->rpc);
        free(c);
        return err;
    }
    c->started = 1;
    CLO_LOG(CLO_LOG_INFO, "chain.started", CLO_LF_STR("rpc", node->cfg.rpc_url),
            CLO_LF_HEX("operator", CLO_BYTES(c->s.address, 20)),
            CLO_LF_U64("next_nonce", c->s.next_nonce));
    *out = c;
    return CLO_OK;
}

void clo_onchain_stop(clo_onchain *c)
{
    if (!c) return;
    if (c->started) pthread_join(c->th, NULL);
    clo_sender_wipe(&c->s);
    clo_rpc_free(c->rpc);
    free(c);
}
