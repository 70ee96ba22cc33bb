/* approval.c — EnclaveApproval typed data. */
#include "chain/approval.h"

#include <string.h>

#include "chain/rpc.h"
#include "crypto/eip712.h"
#include "crypto/ethkey.h"
#include "crypto/keccak.h"

void clo_approval_digest(const clo_approval *a, uint64_t chain_id, const uint8_t registry[20],
                         uint8_t out[32])
{
    uint8_t th[32], w[8][32], hs[32], ds[32];
    clo_eip712_type_hash(CLO_APPROVAL_TYPE, th);
    clo_eip712_word_address(a->operator_addr, w[0]);
    clo_eip712_word_uint(a->tee_type, w[1]);
    memcpy(w[2], a->measurement, 32);
    clo_eip712_word_address(a->signer, w[3]);
    memcpy(w[4], a->hpke_key, 32);
    clo_eip712_word_uint(a->epoch, w[5]);
    clo_eip712_word_uint(a->expiry, w[6]);
    memcpy(w[7], a->evidence_digest, 32);
    clo_eip712_hash_struct(th, (const uint8_t(*)[32])w, 8, hs);
    clo_eip712_domain d = {"Cloister", "1", chain_id, {0}};
    memcpy(d.verifying_contract, registry, 20);
    clo_eip712_domain_separator(&d, ds);
    clo_eip712_digest(ds, hs, out);
}

clo_err clo_approval_sign(const clo_approval *a, uint64_t chain_id, const uint8_t registry[20],
                          const clo_secret32 *sk, uint8_t sig[65])
{
    uint8_t digest[32];
    clo_approval_digest(a, chain_id, registry, digest);
    return clo_eth_sign(sk, digest, sig);
}

clo_err clo_approval_recover(const clo_approval *a, uint64_t chain_id, const uint8_t registry[20],
                             const uint8_t sig[65], uint8_t signer[20])
{
    uint8_t digest[32];
    clo_approval_digest(a, chain_id, registry, digest);
    return clo_eth_signer(digest, sig, "approval.signature.v", signer);
}

clo_abi_val clo_approval_abi(const clo_approval *a, clo_abi_val items[8])
{
    items[0] = clo_abi_address(a->operator_addr);
    items[1] = clo_abi_uint(a->tee_type);
    items[2] = clo_abi_word(a->measurement);
    items[3] = clo_abi_address(a->signer);
    items[4] = clo_abi_word(a->hpke_key);
    items[5] = clo_abi_uint(a->epoch);
    items[6] = clo_abi_uint(a->expiry);
    items[7] = clo_abi_word(a->evidence_digest);
    return clo_abi_tuple(items, 8);
}

json_t *clo_approval_to_json(const clo_approval *a)
{
    return json_pack("{s:o,s:i,s:o,s:o,s:o,s:I,s:I,s:o}", "operator",
                     clo_json_hex(CLO_BYTES(a->operator_addr, 20)), "teeType", a->tee_type,
                     "measurement", clo_json_hex(CLO_BYTES(a->measurement, 32)), "signer",
                     clo_json_hex(CLO_BYTES(a->signer, 20)), "hpkeKey",
                     clo_json_hex(CLO_BYTES(a->hpke_key, 32)), "epoch", (json_int_t)a->epoch,
                     "expiry", (json_int_t)a->expiry, "evidenceDigest",
                     clo_json_hex(CLO_BYTES(a->evidence_digest, 32)));
}

static clo_err get_uint(const json_t *j, const char *key, uint64_t max, uint64_t *out)
{
    const json_t *v = json_object_get(j, key);
    CLO_ENSURE(json_is_integer(v) && json_integer_value(v) >= 0 &&
                   (uint64_t)json_integer_value(v) <= max,
               CLO_E_FORMAT, key);
    *out = (uint64_t)json_integer_value(v);
    return CLO_OK;
}

clo_err clo_approval_from_json(const json_t *j, clo_approval *out)
{
    uint64_t tee, epoch, expiry;
    CLO_ENSURE(json_is_object(j) && json_object_size(j) == 8, CLO_E_FORMAT,
               "approval: an object of exactly 8 fields");
    if (clo_rpc_data_fixed(json_object_get(j, "operator"), out->operator_addr, 20).code)
        return CLO_ERR(CLO_E_FORMAT, "approval.operator");
    if (clo_rpc_data_fixed(json_object_get(j, "measurement"), out->measurement, 32).code)
        return CLO_ERR(CLO_E_FORMAT, "approval.measurement");
    if (clo_rpc_data_fixed(json_object_get(j, "signer"), out->signer, 20).code)
        return CLO_ERR(CLO_E_FORMAT, "approval.signer");
    if (clo_rpc_data_fixed(json_object_get(j, "hpkeKey"), out->hpke_key, 32).code)
        return CLO_ERR(CLO_E_FORMAT, "approval.hpkeKey");
    if (clo_rpc_data_fixed(json_object_get(j, "evidenceDigest"), out->evidence_digest, 32).code)
        return CLO_ERR(CLO_E_FORMAT, "approval.evidenceDigest");
    if (get_uint(j, "teeType", 255, &tee).code) return CLO_ERR(CLO_E_FORMAT, "approval.teeType");
    if (get_uint(j, "epoch", UINT32_MAX, &epoch).code)
        return CLO_ERR(CLO_E_FORMAT, "approval.epoch");
    if (get_uint(j, "expiry", (uint64_t)1 << 40, &expiry).code)
        return CLO_ERR(CLO_E_FORMAT, "approval.expiry");
    out->tee_type = (uint8_t)tee;
    out->epoch = (uint32_t)epoch;
    out->expiry = expiry;
    return CLO_OK;
}

void clo_approval_nonce(const uint8_t (*challenges)[32], size_t n, uint8_t out[32])
{
    clo_keccak256(CLO_BYTES(challenges, n * 32), out);
}
