/* approve.c — a committee verifier's approval of an enclave. */
#include "host/approve.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "crypto/keccak.h"
#include "host/json.h"

/* The verifier's policy with the key binding pinned (replacing any binding or
 * report_data it had: those are per request). */
static clo_err bound_policy(const clo_approver *v, const clo_approve_req *r, clo_policy **out)
{
    json_error_t je;
    json_t *p =
        v->policy_json ? json_loads(v->policy_json, JSON_REJECT_DUPLICATES, &je) : json_object();
    CLO_ENSURE(json_is_object(p), CLO_E_FORMAT, "approve: the policy is not a JSON object");
    json_object_del(p, "report_data");
    json_object_set_new(p, "binding",
                        json_pack("{s:o,s:o,s:I,s:I,s:o,s:o}", "signer",
                                  clo_json_hex(CLO_BYTES(r->signer, 20)), "hpke_pk",
                                  clo_json_hex(CLO_BYTES(r->hpke_pk, 32)), "epoch",
                                  (json_int_t)r->epoch, "chain_id", (json_int_t)v->chain_id,
                                  "registry", clo_json_hex(CLO_BYTES(v->registry, 20)), "nonce",
                                  clo_json_hex(CLO_BYTES(r->nonce, 32))));
    char *text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    CLO_ENSURE(text, CLO_E_NOMEM, "approve: policy");
    char msg[256];
    clo_err err = clo_policy_parse(clo_bytes_str(text), out, msg, sizeof msg);
    free(text);
    return err.code ? CLO_ERR(CLO_E_FORMAT, "approve: the policy is invalid") : CLO_OK;
}

/* keccak256 of the platform measurement named in the verdict. */
static clo_err measurement_of(const char *verdict, uint8_t *tee, uint8_t out[32])
{
    static const struct {
        const char *tee, *field;
        uint8_t type;
    } map[] = {{"tdx", "mrtd", CLO_REG_TEE_TDX},
               {"snp", "measurement", CLO_REG_TEE_SNP},
               {"sgx", "mrenclave", CLO_REG_TEE_SGX}};
    json_error_t je;
    json_t *doc = json_loads(verdict, 0, &je);
    clo_err err = CLO_ERR(CLO_E_FORMAT, "approve: the verdict names no measurement");
    const char *t = json_string_value(json_object_get(doc, "tee"));
    for (size_t i = 0; t && i < sizeof map / sizeof map[0]; i++) {
        if (strcmp(t, map[i].tee)) continue;
        const char *hex =
            json_string_value(json_object_get(json_object_get(doc, "measurements"), map[i].field));
        clo_buf m;
        clo_buf_init(&m, 64);
        if (hex && !clo_hex_decode(&m, hex).code && m.len > 0) {
            clo_keccak256(clo_buf_view(&m), out);
            *tee = map[i].type;
            err = CLO_OK;
        }
        clo_buf_free(&m);
    }
    json_decref(doc);
    return err;
}

clo_err clo_approve_check(const clo_approver *v, const clo_approve_req *r, char **verdict_json)
{
    clo_policy *policy = NULL;
    int accepted = 0;
    *verdict_json = NULL;
    CLO_TRY(bound_policy(v, r, &policy));
    clo_verify_opts o = {v->now, v->anchor};
    clo_err err = clo_attest_verify(r->evidence, v->col, policy, &o, verdict_json, &accepted);
    clo_policy_free(policy);
    CLO_TRY(err);
    CLO_ENSURE(accepted, CLO_E_POLICY, "approve: evidence rejected");
    return CLO_OK;
}

clo_err clo_approve(const clo_approver *v, const clo_approve_req *r, const clo_secret32 *key,
                    clo_approval *out, uint8_t sig[65], char **verdict_json)
{
    *verdict_json = NULL;
    CLO_ENSURE(r->expiry > (uint64_t)v->now, CLO_E_POLICY, "approve: expiry is in the past");
    CLO_ENSURE(r->expiry <= (uint64_t)v->now + v->max_lifetime, CLO_E_POLICY,
               "approve: expiry beyond this verifier's longest lifetime");
    CLO_TRY(clo_approve_check(v, r, verdict_json));
    memset(out, 0, sizeof *out);
    CLO_TRY(measurement_of(*verdict_json, &out->tee_type, out->measurement));
    if (v->anchor) out->tee_type = CLO_REG_TEE_SIM;
    memcpy(out->operator_addr, r->operator_addr, 20);
    memcpy(out->signer, r->signer, 20);
    memcpy(out->hpke_key, r->hpke_pk, 32);
    out->epoch = r->epoch;
    out->expiry = r->expiry;
    clo_keccak256(r->evidence, out->evidence_digest);
    return clo_approval_sign(out, v->chain_id, v->registry, key, sig);
}
