/* contracts.c — typed reads of contract records (see contracts.h). */
#include "client/contracts.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

#include "chain/abi.h"
#include "chain/eth.h"
#include "crypto/keccak.h"

/* The signer's EnclaveRegistered log (a signer registers once): *at indexes
 * it in *logs (free with clo_eth_logs_free(*logs, *n)). */
static clo_err registration_log(clo_rpc *rpc, const uint8_t registry[20], const uint8_t signer[20],
                                clo_eth_log **logs, size_t *n, size_t *at)
{
    uint8_t topic0[32], want[32] = {0};
    uint64_t head = 0;
    clo_keccak256(clo_bytes_str(CLO_ENCLAVE_REGISTRY_EV_ENCLAVE_REGISTERED), topic0);
    memcpy(want + 12, signer, 20);
    CLO_TRY(clo_eth_block_number(rpc, &head));
    CLO_TRY(clo_eth_get_logs(rpc, registry, (const uint8_t(*)[32])topic0, 1, 0, head, logs, n));
    for (*at = 0; *at < *n; (*at)++) /* topic 1: the signer */
        if ((*logs)[*at].topic_count > 1 && !memcmp((*logs)[*at].topics[1], want, 32))
            return CLO_OK;
    clo_eth_logs_free(*logs, *n);
    *logs = NULL;
    return CLO_ERR(CLO_E_STALE, "registry.not_registered");
}

clo_err clo_registry_enclave(clo_rpc *rpc, const uint8_t registry[20], const uint8_t signer[20],
                             clo_enclave_record *out)
{
    clo_abi_val arg = clo_abi_address(signer), args = clo_abi_tuple(&arg, 1), rec;
    uint64_t epoch = 0, tee = 0, status = 0;
    memset(out, 0, sizeof *out);
    CLO_TRY(clo_eth_view(rpc, registry, CLO_ENCLAVE_REGISTRY_ENCLAVE, &args,
                         CLO_ENCLAVE_REGISTRY_ENCLAVE_RET, &rec));
    const clo_abi_val *r = &rec.items[0];
    clo_abi_get_address(&r->items[0], out->operator_addr);
    clo_err err = clo_abi_get_u64(&r->items[1], &out->expiry);
    if (!err.code) err = clo_abi_get_u64(&r->items[2], &epoch);
    if (!err.code) err = clo_abi_get_u64(&r->items[3], &tee);
    if (!err.code) err = clo_abi_get_u64(&r->items[4], &status);
    out->epoch = (uint32_t)epoch;
    out->tee_type = (uint8_t)tee;
    out->status = (uint8_t)status;
    memcpy(out->measurement, r->items[5].word, 32);
    clo_abi_val_free(&rec);
    if (err.code || out->status == CLO_RECORD_NONE) return err;
    clo_eth_log *logs = NULL;
    size_t n = 0, at;
    clo_abi_val ev;
    CLO_TRY(registration_log(rpc, registry, signer, &logs, &n, &at));
    err = clo_abi_decode_as(CLO_ENCLAVE_REGISTRY_EV_ENCLAVE_REGISTERED_DATA,
                            clo_buf_view(&logs[at].data), &ev);
    if (!err.code) {
        memcpy(out->hpke_key, ev.items[1].word, 32);
        memcpy(out->evidence_digest, ev.items[4].word, 32);
        clo_abi_val_free(&ev);
    }
    clo_eth_logs_free(logs, n);
    return err;
}

int clo_registry_measurement_allowed(clo_rpc *rpc, const uint8_t registry[20],
                                     const uint8_t workload[32], const uint8_t measurement[32])
{
    clo_abi_val ma[2] = {clo_abi_word(workload), clo_abi_word(measurement)}, allowed;
    clo_abi_val mt = clo_abi_tuple(ma, 2);
    uint64_t ok = 0;
    if (clo_eth_view(rpc, registry, CLO_ENCLAVE_REGISTRY_MEASUREMENT_ALLOWED, &mt,
                     CLO_ENCLAVE_REGISTRY_MEASUREMENT_ALLOWED_RET, &allowed)
            .code)
        return -1;
    clo_err err = clo_abi_get_u64(&allowed.items[0], &ok);
    clo_abi_val_free(&allowed);
    return err.code ? -1 : ok != 0;
}

clo_err clo_market_claim_get(clo_rpc *rpc, const uint8_t market[20], const uint8_t job_id[32],
                             uint8_t holder[20], uint64_t *until)
{
    clo_abi_val arg = clo_abi_word(job_id), args = clo_abi_tuple(&arg, 1), ret;
    CLO_TRY(
        clo_eth_view(rpc, market, CLO_JOB_MARKET_CLAIMS, &args, CLO_JOB_MARKET_CLAIMS_RET, &ret));
    clo_abi_get_address(&ret.items[0], holder);
    clo_err err = clo_abi_get_u64(&ret.items[1], until);
    clo_abi_val_free(&ret);
    return err;
}

const char clo_record_not_active[] =
    "its registry record is not active (revoked, or never registered)";
const char clo_record_expired[] = "its registry record is expired";

clo_err clo_registry_record_live(clo_rpc *rpc, const uint8_t registry[20], const uint8_t signer[20],
                                 const char **why)
{
    clo_enclave_record rec;
    clo_eth_block b;
    *why = NULL;
    CLO_ENSURE(!clo_registry_enclave(rpc, registry, signer, &rec).code &&
                   !clo_eth_get_block(rpc, "latest", 0, &b).code,
               CLO_E_IO, "the chain could not be read to check a registry record");
    if (rec.status != CLO_RECORD_ACTIVE)
        *why = clo_record_not_active;
    else if (rec.expiry <= b.timestamp)
        *why = clo_record_expired;
    return CLO_OK;
}

clo_err clo_registry_stagger(clo_rpc *rpc, const uint8_t registry[20], const uint8_t workload[32],
                             uint32_t *out)
{
    clo_abi_val arg = clo_abi_word(workload), args = clo_abi_tuple(&arg, 1), ret;
    uint64_t v = 0;
    *out = 0;
    CLO_TRY(clo_eth_view(rpc, registry, CLO_ENCLAVE_REGISTRY_STAGGER_SECONDS, &args,
                         CLO_ENCLAVE_REGISTRY_STAGGER_SECONDS_RET, &ret));
    clo_err err = clo_abi_get_u64(&ret.items[0], &v);
    clo_abi_val_free(&ret);
    *out = (uint32_t)v;
    return err;
}

clo_err clo_market_job_get(clo_rpc *rpc, const uint8_t market[20], const uint8_t job_id[32],
                           uint64_t block, clo_market_job *out)
{
    clo_abi_val arg = clo_abi_word(job_id), args = clo_abi_tuple(&arg, 1), rec;
    uint64_t state = 0;
    memset(out, 0, sizeof *out);
    CLO_TRY(clo_eth_view_at(rpc, market, CLO_JOB_MARKET_JOB, &args, CLO_JOB_MARKET_JOB_RET, block,
                            &rec));
    const clo_abi_val *j = &rec.items[0];
    clo_abi_get_address(&j->items[0], out->requester);
    clo_err err = clo_abi_get_u64(&j->items[2], &state);
    if (!err.code) err = clo_abi_get_u64(&j->items[3], &out->deadline);
    if (!err.code) err = clo_abi_get_u64(&j->items[4], &out->settled_at);
    clo_abi_get_address(&j->items[5], out->signer);
    memcpy(out->spec, j->items[6].word, 32);
    out->state = (uint8_t)state;
    clo_abi_val_free(&rec);
    return err;
}

void clo_job_id_for(uint64_t chain_id, const uint8_t market[20], const uint8_t requester[20],
                    uint64_t nonce, uint8_t out[32])
{
    uint8_t w[128] = {0};
    clo_store_u64be(w + 24, chain_id);
    memcpy(w + 44, market, 20);
    memcpy(w + 76, requester, 20);
    clo_store_u64be(w + 120, nonce);
    clo_keccak256(CLO_BYTES(w, sizeof w), out);
}

clo_err clo_registry_vouches(clo_rpc *rpc, const uint8_t registry[20], const uint8_t signer[20],
                             const uint8_t pk[32], uint32_t epoch, const uint8_t workload_id[32],
                             uint64_t now)
{
    clo_enclave_record rec;
    CLO_ENSURE(!clo_registry_enclave(rpc, registry, signer, &rec).code, CLO_E_IO,
               "the registry cannot be read at the rpc");
    CLO_ENSURE(!(rec.status == CLO_RECORD_ACTIVE && memcmp(rec.hpke_key, pk, 32)), CLO_E_POLICY,
               "the registry holds another key for the node's signer"); /* a lie, not a delay */
    CLO_ENSURE(rec.status != CLO_RECORD_REVOKED, CLO_E_POLICY,
               "the node's enclave record is revoked");
    CLO_ENSURE(rec.status == CLO_RECORD_ACTIVE, CLO_E_STALE,
               "the node's signer has no registry record");
    CLO_ENSURE(rec.epoch == epoch, CLO_E_STALE, "the registry record is of another epoch");
    CLO_ENSURE(now < rec.expiry, CLO_E_STALE, "the registry record has expired");
    int allowed = clo_registry_measurement_allowed(rpc, registry, workload_id, rec.measurement);
    CLO_ENSURE(allowed >= 0, CLO_E_IO, "the registry cannot be read at the rpc");
    CLO_ENSURE(allowed, CLO_E_STALE, "the enclave's measurement is not allowed for the workload");
    return CLO_OK;
}

void clo_settlement_free(clo_settlement *s)
{
    clo_buf_free(&s->public_out);
    for (size_t i = 0; s->private_out && i < s->count; i++) clo_buf_free(&s->private_out[i]);
    free(s->private_out);
    memset(s, 0, sizeof *s);
}

/* One JobSettled log's outputs into out. */
static clo_err take_settlement(const clo_eth_log *l, clo_settlement *out)
{
    clo_abi_val v;
    CLO_TRY(clo_abi_decode_as(CLO_JOB_MARKET_EV_JOB_SETTLED_DATA, clo_buf_view(&l->data), &v));
    clo_err err = CLO_OK;
    size_t n = v.items[3].count;
    if (n > CLO_SETTLED_MAX_PRIVATE) err = CLO_ERR(CLO_E_LIMIT, "settlement: private outputs");
    if (!err.code) out->private_out = calloc(n ? n : 1, sizeof *out->private_out);
    if (!err.code && !out->private_out) err = CLO_ERR(CLO_E_NOMEM, "settlement");
    if (!err.code) err = clo_buf_append_bytes(&out->public_out, v.items[2].bytes);
    for (size_t k = 0; k < n && !err.code; k++) {
        clo_buf_init(&out->private_out[k], v.items[3].items[k].bytes.len + 1);
        out->count = k + 1;
        err = clo_buf_append_bytes(&out->private_out[k], v.items[3].items[k].bytes);
    }
    memcpy(out->tx_hash, l->tx_hash, 32);
    clo_abi_val_free(&v);
    return err;
}

clo_err clo_market_wait_settled(clo_rpc *rpc, const uint8_t market[20], const uint8_t job_id[32],
                                long timeout_ms, clo_settlement *out)
{
    uint8_t topic[1][32];
    int64_t t0 = clo_mono_ms();
    memset(out, 0, sizeof *out);
    clo_buf_init(&out->public_out, (size_t)1 << 24);
    clo_keccak256(clo_bytes_str(CLO_JOB_MARKET_EV_JOB_SETTLED), topic[0]);
    while (clo_mono_ms() - t0 < timeout_ms) {
        clo_eth_log *logs = NULL;
        size_t n = 0;
        uint64_t head;
        CLO_TRY(clo_eth_block_number(rpc, &head));
        CLO_TRY(clo_eth_get_logs(rpc, market, (const uint8_t(*)[32])topic, 1, 0, head, &logs, &n));
        for (size_t i = 0; i < n; i++) {
            if (logs[i].topic_count < 2 || memcmp(logs[i].topics[1], job_id, 32)) continue;
            clo_err err = take_settlement(&logs[i], out);
            clo_eth_receipt rc = {0};
            if (!err.code) err = clo_eth_get_receipt(rpc, logs[i].tx_hash, &rc);
            out->gas_used = rc.gas_used;
            clo_eth_receipt_free(&rc);
            clo_eth_logs_free(logs, n);
            return err;
        }
        clo_eth_logs_free(logs, n);
        struct timespec nap = {0, 100 * 1000000L};
        nanosleep(&nap, NULL);
    }
    return CLO_ERR(CLO_E_STALE, "the job was not settled in time");
}

void clo_registry_measurement_hash(clo_bytes platform, uint8_t out[32])
{
    clo_keccak256(platform, out);
}

void clo_registry_evidence_digest(clo_bytes evidence, uint8_t out[32])
{
    clo_keccak256(evidence, out);
}

clo_err clo_registry_registration_gas(clo_rpc *rpc, const uint8_t registry[20],
                                      const uint8_t signer[20], uint64_t *gas)
{
    clo_eth_log *logs = NULL;
    size_t n = 0, at;
    CLO_TRY(registration_log(rpc, registry, signer, &logs, &n, &at));
    clo_eth_receipt rc = {0};
    clo_err err = clo_eth_get_receipt(rpc, logs[at].tx_hash, &rc);
    *gas = rc.gas_used;
    clo_eth_receipt_free(&rc);
    clo_eth_logs_free(logs, n);
    return err;
}
