/* audit.c — a job's chain of custody, read from the chain alone and checked
 * link by link (audit.h). */
#include "client/audit.h"

#include <stdio.h>
#include <string.h>

#include "chain/abi.h"
#include "client/approval.h"
#include "chain/eth.h"
#include "client/contracts.h"
#include "client/outputs.h"
#include "crypto/ethkey.h"
#include "crypto/keccak.h"
#include "crypto/merkle.h"
#include "wire/proto.h"
#include "wire/statement.h"

typedef struct {
    clo_rpc *rpc;
    uint64_t chain_id, head;
    uint8_t registry[20], market[20];
    json_t *links;
    int broken;
} audit;

static void link_(audit *a, const char *name, int ok, json_t *facts, const char *why)
{
    if (!ok) a->broken = 1;
    json_t *l = json_pack("{s:s,s:b}", "link", name, "ok", ok);
    if (facts) json_object_update(l, facts);
    json_decref(facts);
    if (!ok && why) json_object_set_new(l, "why", json_string(why));
    json_array_append_new(a->links, l);
}

static json_t *hex(const uint8_t *p, size_t n) /* a view's JSON, for the many fixed fields */
{
    return clo_json_hex(CLO_BYTES(p, n));
}

/* The one log of `event` at `address` whose first indexed topic is `key`. */
static clo_err find_log(audit *a, const uint8_t address[20], const char *event, const uint8_t *key,
                        size_t key_len, clo_eth_log *out, size_t *count)
{
    uint8_t topic[1][32], want[32] = {0};
    clo_eth_log *logs = NULL;
    size_t n = 0;
    memcpy(want + 32 - key_len, key, key_len);
    clo_keccak256(clo_bytes_str(event), topic[0]);
    CLO_TRY(
        clo_eth_get_logs(a->rpc, address, (const uint8_t(*)[32])topic, 1, 0, a->head, &logs, &n));
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        if (logs[i].topic_count < 2 || memcmp(logs[i].topics[1], want, 32)) continue;
        if ((*count)++ == 0) {
            *out = logs[i];
            clo_buf_init(&out->data, 1u << 24);
            CLO_IGNORE(clo_buf_append_bytes(&out->data, clo_buf_view(&logs[i].data)));
        }
    }
    clo_eth_logs_free(logs, n);
    return CLO_OK;
}

static clo_err tx_input(audit *a, const uint8_t hash[32], clo_buf *input, uint8_t from[20])
{
    json_t *res;
    CLO_TRY(clo_rpc_call(a->rpc, "eth_getTransactionByHash",
                         json_pack("[o]", clo_json_hex(CLO_BYTES(hash, 32))), &res));
    clo_err err = clo_rpc_data(json_object_get(res, "input"), input);
    if (!err.code) err = clo_rpc_data_fixed(json_object_get(res, "from"), from, 20);
    json_decref(res);
    return err;
}

static int selector_is(clo_bytes input, const char *sig)
{
    uint8_t sel[4];
    clo_abi_selector(sig, sel);
    return input.len >= 4 && !memcmp(input.ptr, sel, 4);
}

/* The statement a Settlement tuple stands for. */
static void statement_of(const clo_abi_val *s, clo_result_stmt *st)
{
    uint64_t epoch = 0;
    memcpy(st->job_id, s->items[0].word, 32);
    memcpy(st->input_hash, s->items[1].word, 32);
    memcpy(st->workload_id, s->items[2].word, 32);
    memcpy(st->config_hash, s->items[3].word, 32);
    CLO_IGNORE(clo_abi_get_u64(&s->items[4], &epoch));
    st->epoch = (uint32_t)epoch;
    clo_keccak256(s->items[6].bytes, st->public_output_hash);
    clo_bytes priv[CLO_PROTO_MAX_INPUTS];
    size_t n = s->items[7].count < CLO_PROTO_MAX_INPUTS ? s->items[7].count : 0;
    for (size_t i = 0; i < n; i++) priv[i] = s->items[7].items[i].bytes;
    clo_hash_list(priv, n, st->private_output_hash);
}

/* An oracle-https result's sources as its settled public output names them
 * (docs/formats.md §5.6): who answered, with which key and which body; NULL
 * for another workload. */
static json_t *fetched_sources(const uint8_t workload_id[32], clo_bytes pub)
{
    static clo_oracle_https_public o;
    uint8_t want[32];
    clo_workload_id(clo_wl_oracle_https.name, want);
    if (memcmp(want, workload_id, 32) || clo_oracle_https_public_decode(pub, &o).code) return NULL;
    json_t *a = json_array();
    for (size_t i = 0; i < o.count; i++) {
        const clo_https_record *r = &o.src[i];
        json_array_append_new(
            a, json_pack("{s:s,s:i,s:s,s:o,s:o,s:i,s:I,s:I}", "host", r->host, "port", r->port,
                         "outcome", clo_fetch_outcome_name(r->outcome), "spki_sha256",
                         hex(r->spki_sha256, 32), "body_sha256", hex(r->body_sha256, 32),
                         "http_status", r->http_status, "date", (json_int_t)r->date, "value",
                         (json_int_t)r->value));
    }
    return a;
}

static clo_err recover65(const uint8_t digest[32], clo_bytes sig, uint8_t who[20])
{
    CLO_ENSURE(sig.len == 65, CLO_E_AUTH, "sig form");
    return clo_eth_signer(digest, sig.ptr, "sig form", who);
}

/* Submission and settlement: the statement the settling transaction carried,
 * recomputed and its signature (or batch proof) checked against the signer. */
static void check_job(audit *a, const uint8_t job[32], clo_result_stmt *st, uint8_t signer[20],
                      int *have)
{
    clo_eth_log sub, set;
    size_t nsub = 0, nset = 0;
    char why[160] = "";
    *have = 0;
    if (find_log(a, a->market, CLO_JOB_MARKET_EV_JOB_SUBMITTED, job, 32, &sub, &nsub).code ||
        find_log(a, a->market, CLO_JOB_MARKET_EV_JOB_SETTLED, job, 32, &set, &nset).code) {
        link_(a, "submission", 0, NULL, "the chain could not be read");
        return;
    }
    clo_abi_val sv;
    uint8_t sub_model[32] = {0}, sub_input[32] = {0};
    if (nsub == 1 &&
        !clo_abi_decode_as(CLO_JOB_MARKET_EV_JOB_SUBMITTED_DATA, clo_buf_view(&sub.data), &sv)
             .code) {
        memcpy(sub_model, sv.items[0].word, 32);
        memcpy(sub_input, sv.items[1].word, 32);
        clo_abi_val_free(&sv);
    }
    link_(a, "submission", nsub == 1,
          nsub ? json_pack("{s:o,s:I,s:o,s:o,s:o}", "tx", hex(sub.tx_hash, 32), "block",
                           (json_int_t)sub.block_number, "requester", hex(sub.topics[2] + 12, 20),
                           "workload_id", hex(sub.topics[3], 32), "config_hash", hex(sub_model, 32))
               : NULL,
          nsub ? "submitted more than once" : "no JobSubmitted for this id");
    link_(a, "settled exactly once", nset == 1,
          nset ? json_pack("{s:o,s:I,s:o}", "tx", hex(set.tx_hash, 32), "block",
                           (json_int_t)set.block_number, "signer", hex(set.topics[2] + 12, 20))
               : NULL,
          nset ? "more than one JobSettled" : "not settled (yet)");
    if (nsub) clo_buf_free(&sub.data);
    if (nset != 1) {
        if (nset) clo_buf_free(&set.data);
        return;
    }
    memcpy(signer, set.topics[2] + 12, 20);
    /* The statement, from the settling transaction's calldata. */
    clo_buf input;
    uint8_t from[20], who[20], digest[32];
    clo_buf_init(&input, 1u << 26);
    int ok = 0;
    json_t *facts = NULL, *sources = NULL;
    if (!tx_input(a, set.tx_hash, &input, from).code) {
        clo_bytes in = clo_buf_view(&input),
                  args = CLO_BYTES(in.ptr + 4, in.len > 4 ? in.len - 4 : 0);
        clo_abi_val v;
        if (selector_is(in, CLO_JOB_MARKET_SETTLE) &&
            !clo_abi_decode_as(CLO_JOB_MARKET_SETTLE_ARGS, args, &v).code) {
            statement_of(&v.items[0], st);
            clo_result_digest(st, a->chain_id, a->market, digest);
            ok = !recover65(digest, v.items[1].bytes, who).code && !memcmp(who, signer, 20);
            facts = json_pack("{s:s}", "form", "single signature");
            sources = fetched_sources(st->workload_id, v.items[0].items[6].bytes);
            clo_abi_val_free(&v);
        } else if (selector_is(in, CLO_JOB_MARKET_SETTLE_BATCH) &&
                   !clo_abi_decode_as(CLO_JOB_MARKET_SETTLE_BATCH_ARGS, args, &v).code) {
            uint64_t count = 0, epoch = 0;
            CLO_IGNORE(clo_abi_get_u64(&v.items[1], &count));
            CLO_IGNORE(clo_abi_get_u64(&v.items[2], &epoch));
            for (size_t i = 0; i < v.items[4].count && !ok; i++) {
                if (memcmp(v.items[4].items[i].items[0].word, job, 32)) continue;
                statement_of(&v.items[4].items[i], st);
                json_decref(sources);
                sources = fetched_sources(st->workload_id, v.items[4].items[i].items[6].bytes);
                uint8_t leaf[32], proof[CLO_MERKLE_MAX_DEPTH][32];
                const clo_abi_val *pv = &v.items[5].items[i];
                size_t len = pv->count <= CLO_MERKLE_MAX_DEPTH ? pv->count : 0;
                for (size_t k = 0; k < len; k++) memcpy(proof[k], pv->items[k].word, 32);
                clo_result_struct_hash(st, leaf);
                clo_batch_digest(v.items[0].word, (uint32_t)count, (uint32_t)epoch, a->chain_id,
                                 a->market, digest);
                ok = clo_merkle_verify((const uint8_t(*)[32])proof, len, leaf, v.items[0].word) &&
                     !recover65(digest, v.items[3].bytes, who).code && !memcmp(who, signer, 20) &&
                     epoch == st->epoch;
                facts = json_pack("{s:s,s:o,s:I}", "form", "batch root and Merkle proof", "root",
                                  hex(v.items[0].word, 32), "batch_size", (json_int_t)count);
            }
            clo_abi_val_free(&v);
        }
    }
    clo_buf_free(&input);
    ok = ok && !memcmp(st->input_hash, sub_input, 32) && !memcmp(st->config_hash, sub_model, 32) &&
         !memcmp(st->workload_id, sub.topics[3], 32);
    /* The event's output hashes are the statement's. */
    clo_abi_val ev;
    if (ok &&
        !clo_abi_decode_as(CLO_JOB_MARKET_EV_JOB_SETTLED_DATA, clo_buf_view(&set.data), &ev).code) {
        ok = !memcmp(ev.items[0].word, st->public_output_hash, 32) &&
             !memcmp(ev.items[1].word, st->private_output_hash, 32);
        clo_abi_val_free(&ev);
    }
    if (!facts) facts = json_object();
    json_object_set_new(facts, "epoch", json_integer(st->epoch));
    json_object_set_new(facts, "public_output_hash", hex(st->public_output_hash, 32));
    if (sources) json_object_set_new(facts, "fetched_sources", sources);
    snprintf(why, sizeof why, "the settlement's statement, signature or proof does not check out");
    link_(a, "result statement signed by the signer", ok, facts, why);
    clo_buf_free(&set.data);
    *have = ok;
}

/* The signer's record, and how it got there. */
static void check_enclave(audit *a, const clo_result_stmt *st, const uint8_t signer[20])
{
    clo_enclave_record rec;
    if (clo_registry_enclave(a->rpc, a->registry, signer, &rec).code) {
        link_(a, "enclave record", 0, NULL, "the registry could not be read");
        return;
    }
    uint64_t expiry = rec.expiry, epoch = rec.epoch, tee = rec.tee_type, status = rec.status;
    const uint8_t *measurement = rec.measurement, *evdigest = rec.evidence_digest,
                  *op = rec.operator_addr;
    static const char *const status_names[] = {"none", "active", "revoked"};
    int is_allowed =
        clo_registry_measurement_allowed(a->rpc, a->registry, st->workload_id, measurement) == 1;
    link_(a, "enclave record", status != 0 && epoch == st->epoch && is_allowed,
          json_pack("{s:o,s:o,s:I,s:s,s:I,s:I,s:o,s:o,s:b}", "signer", hex(signer, 20), "operator",
                    hex(op, 20), "tee_type", (json_int_t)tee, "status",
                    status < 3 ? status_names[status] : "?", "epoch", (json_int_t)epoch, "expiry",
                    (json_int_t)expiry, "measurement", hex(measurement, 32), "evidence_digest",
                    hex(evdigest, 32), "measurement_allowed_for_workload", (int)is_allowed),
          "no record, another epoch, or a measurement not allowed for this workload");

    /* The registration transaction: its approval and the committee's signatures. */
    clo_eth_log reg;
    size_t nreg = 0;
    if (find_log(a, a->registry, CLO_ENCLAVE_REGISTRY_EV_ENCLAVE_REGISTERED, signer, 20, &reg,
                 &nreg)
            .code ||
        nreg != 1) {
        link_(a, "committee approvals", 0, NULL, "no single EnclaveRegistered for the signer");
        return;
    }
    clo_buf input;
    uint8_t from[20];
    clo_buf_init(&input, 1u << 20);
    int ok = 0;
    json_t *approvers = json_array();
    uint64_t threshold = 0;
    clo_abi_val none = clo_abi_tuple(NULL, 0), th;
    if (!clo_eth_view(a->rpc, a->registry, CLO_ENCLAVE_REGISTRY_THRESHOLD, &none,
                      CLO_ENCLAVE_REGISTRY_THRESHOLD_RET, &th)
             .code) {
        CLO_IGNORE(clo_abi_get_u64(&th.items[0], &threshold));
        clo_abi_val_free(&th);
    }
    if (!tx_input(a, reg.tx_hash, &input, from).code) {
        clo_bytes in = clo_buf_view(&input),
                  args2 = CLO_BYTES(in.ptr + 4, in.len > 4 ? in.len - 4 : 0);
        clo_abi_val v;
        const clo_abi_val *ap = NULL, *sigs = NULL;
        int rotated = selector_is(in, CLO_ENCLAVE_REGISTRY_ROTATE_ENCLAVE);
        if (selector_is(in, CLO_ENCLAVE_REGISTRY_REGISTER_ENCLAVE) &&
            !clo_abi_decode_as(CLO_ENCLAVE_REGISTRY_REGISTER_ENCLAVE_ARGS, args2, &v).code) {
            ap = &v.items[0];
            sigs = &v.items[1];
        } else if (rotated &&
                   !clo_abi_decode_as(CLO_ENCLAVE_REGISTRY_ROTATE_ENCLAVE_ARGS, args2, &v).code) {
            ap = &v.items[1];
            sigs = &v.items[2];
        }
        if (ap) {
            clo_approval appr;
            uint64_t u;
            clo_abi_get_address(&ap->items[0], appr.operator_addr);
            CLO_IGNORE(clo_abi_get_u64(&ap->items[1], &u));
            appr.tee_type = (uint8_t)u;
            memcpy(appr.measurement, ap->items[2].word, 32);
            clo_abi_get_address(&ap->items[3], appr.signer);
            memcpy(appr.hpke_key, ap->items[4].word, 32);
            CLO_IGNORE(clo_abi_get_u64(&ap->items[5], &u));
            appr.epoch = (uint32_t)u;
            CLO_IGNORE(clo_abi_get_u64(&ap->items[6], &appr.expiry));
            memcpy(appr.evidence_digest, ap->items[7].word, 32);
            size_t good = 0;
            uint8_t last[20] = {0};
            for (size_t i = 0; i < sigs->count; i++) {
                uint8_t who[20];
                if (sigs->items[i].bytes.len != 65 ||
                    clo_approval_recover(&appr, a->chain_id, a->registry, sigs->items[i].bytes.ptr,
                                         who)
                        .code ||
                    memcmp(who, last, 20) <= 0)
                    continue;
                memcpy(last, who, 20);
                clo_abi_val va = clo_abi_address(who), vt = clo_abi_tuple(&va, 1), iv;
                uint64_t isv = 0;
                if (!clo_eth_view(a->rpc, a->registry, CLO_ENCLAVE_REGISTRY_IS_VERIFIER, &vt,
                                  CLO_ENCLAVE_REGISTRY_IS_VERIFIER_RET, &iv)
                         .code) {
                    CLO_IGNORE(clo_abi_get_u64(&iv.items[0], &isv));
                    clo_abi_val_free(&iv);
                }
                json_array_append_new(approvers, json_pack("{s:o,s:b}", "verifier", hex(who, 20),
                                                           "on_committee_now", (int)isv));
                good += isv != 0;
            }
            ok = good >= threshold && threshold > 0 && !memcmp(appr.signer, signer, 20) &&
                 !memcmp(appr.measurement, measurement, 32) &&
                 !memcmp(appr.evidence_digest, evdigest, 32);
            clo_abi_val_free(&v);
        }
    }
    clo_buf_free(&input);
    clo_buf_free(&reg.data);
    link_(a, "committee approvals", ok,
          json_pack("{s:o,s:I,s:I,s:o}", "tx", hex(reg.tx_hash, 32), "block",
                    (json_int_t)reg.block_number, "threshold", (json_int_t)threshold, "approvers",
                    approvers),
          "fewer valid committee approvals than the threshold, or another record approved");
}

clo_err clo_audit_job(clo_rpc *rpc, const uint8_t registry[20], const uint8_t market[20],
                      const uint8_t job[32], clo_audit_report *out)
{
    audit a;
    memset(&a, 0, sizeof a);
    memset(out, 0, sizeof *out);
    a.rpc = rpc;
    memcpy(a.registry, registry, 20);
    memcpy(a.market, market, 20);
    CLO_TRY(clo_eth_chain_id(rpc, &a.chain_id));
    CLO_TRY(clo_eth_block_number(rpc, &a.head));
    a.links = json_array();
    clo_result_stmt st;
    uint8_t signer[20];
    int have;
    memset(&st, 0, sizeof st);
    check_job(&a, job, &st, signer, &have);
    if (have) check_enclave(&a, &st, signer);
    out->chain_id = a.chain_id;
    out->links = a.links;
    out->custody_ok = !a.broken && have;
    return CLO_OK;
}
