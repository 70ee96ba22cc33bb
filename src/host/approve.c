/* approve.c — a committee verifier's approval of an enclave. */
#include "host/approve.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/measure.h"
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

/* Decode the verdict's measurement field `name` (exactly n bytes). */
static int field(json_t *doc, const char *name, uint8_t *out, size_t n)
{
    const char *hex =
        json_string_value(json_object_get(json_object_get(doc, "measurements"), name));
    return hex && !clo_hex_decode_fixed(out, n, hex).code;
}

static int pinned(json_t *doc, const char *name)
{
    json_t *a = json_object_get(doc, "identity"), *f;
    size_t i;
    json_array_foreach(a, i,
                       f) if (json_is_string(f) && !strcmp(json_string_value(f), name)) return 1;
    return 0;
}

/* The registered measurement over the identity fields the verdict names
 * (attest/measure.h). A TDX or SNP verdict whose policy leaves the code or its
 * configuration unpinned is refused: its measurement would not name the code
 * (issue 15, finding 4). */
static clo_err measurement_of(const char *verdict, uint8_t *tee, uint8_t out[32])
{
    json_error_t je;
    json_t *doc = json_loads(verdict, 0, &je);
    const char *t = json_string_value(json_object_get(doc, "tee"));
    clo_err err = CLO_ERR(CLO_E_FORMAT, "approve: the verdict names no measurement");
    uint8_t m[48], rtmr[4][48], host_data[32];
    if (t && !strcmp(t, "tdx")) {
        unsigned pins = 0;
        int ok = field(doc, "mrtd", m, 48);
        for (int i = 0; i < 4; i++) {
            char k[8];
            snprintf(k, sizeof k, "rtmr%d", i);
            ok &= field(doc, k, rtmr[i], 48);
            if (pinned(doc, k)) pins |= 1u << i;
        }
        if (ok && !(pinned(doc, "mrtd") && (pins & (1u << CLO_MEASURE_RTMR))))
            err = CLO_ERR(CLO_E_POLICY, "approve: the policy's TDX entry must pin mrtd and rtmr3 "
                                        "(the firmware, and the enclave binary and configuration)");
        else if (ok) {
            clo_measure_registered_tdx(m, (const uint8_t(*)[48])rtmr, pins, out);
            *tee = CLO_TEE_TDX;
            err = CLO_OK;
        }
    } else if (t && !strcmp(t, "snp")) {
        int ok = field(doc, "measurement", m, 48) && field(doc, "host_data", host_data, 32);
        if (ok && !(pinned(doc, "measurement") && pinned(doc, "host_data")))
            err = CLO_ERR(CLO_E_POLICY,
                          "approve: the policy's SNP entry must pin measurement and host_data "
                          "(the launch image with the enclave binary, and its configuration)");
        else if (ok) {
            clo_measure_registered_snp(m, host_data, out);
            *tee = CLO_TEE_SNP;
            err = CLO_OK;
        }
    } else if (t && !strcmp(t, "sgx") && field(doc, "mrenclave", m, 32)) {
        clo_keccak256(CLO_BYTES(m, 32), out);
        *tee = CLO_TEE_SGX;
        err = CLO_OK;
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
    if (v->anchor) out->tee_type = CLO_TEE_SIM;
    memcpy(out->operator_addr, r->operator_addr, 20);
    memcpy(out->signer, r->signer, 20);
    memcpy(out->hpke_key, r->hpke_pk, 32);
    out->epoch = r->epoch;
    out->expiry = r->expiry;
    clo_keccak256(r->evidence, out->evidence_digest);
    return clo_approval_sign(out, v->chain_id, v->registry, key, sig);
}
