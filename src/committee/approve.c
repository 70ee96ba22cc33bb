/* approve.c — a committee verifier's approval of an enclave. */
#include "committee/approve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/contracts.h"
#include "evidence/measure.h"
#include "crypto/keccak.h"

/* The verifier's policy with the key binding pinned (replacing any binding or
 * report_data it had: those are per request). */
static clo_err bound_policy(const clo_approver *v, const clo_approve_req *r, clo_policy **out)
{
    clo_key_binding kb = {.epoch = r->epoch, .chain_id = v->chain_id};
    memcpy(kb.operator_addr, r->operator_addr, 20);
    memcpy(kb.signer, r->signer, 20);
    memcpy(kb.hpke_pk, r->hpke_pk, 32);
    memcpy(kb.registry, v->registry, 20);
    memcpy(kb.nonce, r->nonce, 32);
    CLO_TRY(v->policy ? clo_policy_copy(v->policy, out) : clo_policy_default(out));
    clo_policy_bind(*out, &kb);
    return CLO_OK;
}

/* The registered measurement over the identity fields the verdict names
 * (attest/measure.h). A TDX or SNP verdict whose policy leaves the code or its
 * configuration unpinned is refused: its measurement would not name the code
 * (issue 15, finding 4). */
static clo_err measurement_of(const clo_verdict *vd, uint8_t *tee, uint8_t out[32])
{
    unsigned id = vd->has_identity ? vd->identity : 0;
    CLO_ENSURE(vd->has_body, CLO_E_FORMAT, "approve: the verdict names no measurement");
    switch (vd->tee) {
    case CLO_TEE_TDX: {
        CLO_ENSURE((id & CLO_ID_MRTD) && (id & CLO_ID_RTMR(CLO_MEASURE_RTMR)), CLO_E_POLICY,
                   "approve: the policy's TDX entry must pin mrtd and rtmr3 (the firmware, and "
                   "the enclave binary and configuration)");
        unsigned pins = 0;
        for (int i = 0; i < 4; i++)
            if (id & CLO_ID_RTMR(i)) pins |= 1u << i;
        clo_measure_registered_tdx(vd->m.td.mrtd, (const uint8_t(*)[48])vd->m.td.rtmr, pins, out);
        break;
    }
    case CLO_TEE_SNP:
        CLO_ENSURE((id & CLO_ID_MEASUREMENT) && (id & CLO_ID_HOST_DATA), CLO_E_POLICY,
                   "approve: the policy's SNP entry must pin measurement and host_data (the "
                   "launch image with the enclave binary, and its configuration)");
        clo_measure_registered_snp(vd->m.snp.measurement, vd->m.snp.host_data, out);
        break;
    case CLO_TEE_SGX: clo_keccak256(CLO_BYTES(vd->m.sgx.mrenclave, 32), out); break;
    default: return CLO_ERR(CLO_E_FORMAT, "approve: the verdict names no measurement");
    }
    *tee = (uint8_t)vd->tee;
    return CLO_OK;
}

/* Verify under the bound policy into vd, and render the verdict document. */
static clo_err check(const clo_approver *v, const clo_approve_req *r, clo_verdict *vd,
                     char **verdict_json)
{
    clo_policy *policy = NULL;
    *verdict_json = NULL;
    CLO_TRY(bound_policy(v, r, &policy));
    clo_verify_opts o = {v->now, v->anchor};
    clo_err err = clo_attest_verify(r->evidence, v->col, policy, &o, vd);
    clo_policy_free(policy);
    if (!err.code) err = clo_verdict_json(vd, verdict_json);
    CLO_TRY(err);
    CLO_ENSURE(vd->accepted, CLO_E_POLICY, "approve: evidence rejected");
    return CLO_OK;
}

clo_err clo_approve_check(const clo_approver *v, const clo_approve_req *r, char **verdict_json)
{
    clo_verdict *vd = malloc(sizeof *vd);
    *verdict_json = NULL;
    CLO_ENSURE(vd, CLO_E_NOMEM, "approve");
    clo_err err = check(v, r, vd, verdict_json);
    free(vd);
    return err;
}

clo_err clo_approve(const clo_approver *v, const clo_approve_req *r, const clo_secret32 *key,
                    clo_approval *out, uint8_t sig[65], char **verdict_json)
{
    *verdict_json = NULL;
    CLO_ENSURE(r->expiry > (uint64_t)v->now, CLO_E_POLICY, "approve: expiry is in the past");
    CLO_ENSURE(r->expiry <= (uint64_t)v->now + v->max_lifetime, CLO_E_POLICY,
               "approve: expiry beyond this verifier's longest lifetime");
    clo_verdict *vd = malloc(sizeof *vd);
    CLO_ENSURE(vd, CLO_E_NOMEM, "approve");
    memset(out, 0, sizeof *out);
    clo_err err = check(v, r, vd, verdict_json);
    if (!err.code) err = measurement_of(vd, &out->tee_type, out->measurement);
    free(vd);
    CLO_TRY(err);
    if (v->anchor) out->tee_type = CLO_TEE_SIM;
    memcpy(out->operator_addr, r->operator_addr, 20);
    memcpy(out->signer, r->signer, 20);
    memcpy(out->hpke_key, r->hpke_pk, 32);
    out->epoch = r->epoch;
    out->expiry = r->expiry;
    clo_registry_evidence_digest(r->evidence, out->evidence_digest);
    return clo_approval_sign(out, v->chain_id, v->registry, key, sig);
}
