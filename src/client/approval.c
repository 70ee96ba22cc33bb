/* approval.c — EnclaveApproval in calldata and JSON (the statement itself:
 * evidence/approval.h). */
#include "client/approval.h"

#include <string.h>

#include "chain/rpc.h"

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
