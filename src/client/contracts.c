/* contracts.c — typed reads of contract records (see contracts.h). */
#include "client/contracts.h"

#include <string.h>

#include "chain/abi.h"
#include "chain/eth.h"
#include "crypto/keccak.h"

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
    memcpy(out->hpke_key, r->items[6].word, 32);
    memcpy(out->evidence_digest, r->items[7].word, 32);
    clo_abi_val_free(&rec);
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
