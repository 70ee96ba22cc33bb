/* approve.h — what one member of the attestation-verifier committee decides
 * before it signs an EnclaveApproval (docs/architecture.md §3): the evidence verifies
 * under its collateral and policy, its report data binds exactly the signer,
 * HPKE key, epoch, chain, registry and the verifier's own fresh nonce, and the
 * record it approves carries the evidence's measurement and digest. The
 * operator and expiry are the requester's; the lifetime is capped.
 *
 * The TEE type is the verifier's finding, not the requester's claim: evidence
 * that chains to a non-production anchor (the simulated TEE's root) is
 * CLO_TEE_SIM; otherwise it is the evidence's format (tdx, snp, sgx). */
#ifndef CLO_COMMITTEE_APPROVE_H
#define CLO_COMMITTEE_APPROVE_H

#include "attest/verdict.h"
#include "base/secret.h"
#include "client/approval.h"

typedef struct {
    const clo_policy *policy;       /* the verifier's policy (NULL: the default policy) */
    const clo_dcap_collateral *col; /* collateral for DCAP evidence */
    const clo_x509 *anchor;         /* NULL: Intel/AMD roots; else a test anchor (sim) */
    uint64_t chain_id;
    uint8_t registry[20];
    uint64_t max_lifetime; /* seconds an approval may run from now */
    int64_t now;
} clo_approver;

typedef struct {
    clo_bytes evidence;
    uint8_t signer[20], hpke_pk[32], nonce[32];
    uint32_t epoch;
    uint8_t operator_addr[20];
    uint64_t expiry;
} clo_approve_req;

/* The check alone, with no approval signed (a model owner deciding whether
 * to provision a model to this enclave): the evidence verifies under the
 * policy with the key binding pinned. Errors as clo_approve. */
CLO_MUST_CHECK clo_err clo_approve_check(const clo_approver *v, const clo_approve_req *r,
                                         char **verdict_json);
/* On success fills *out and sig. *verdict_json (malloc'd, may be NULL on
 * early errors) is the attestation verdict either way. A rejected evidence is
 * CLO_E_POLICY "approve: evidence rejected"; the verdict says why. */
CLO_MUST_CHECK clo_err clo_approve(const clo_approver *v, const clo_approve_req *r,
                                   const clo_secret32 *key, clo_approval *out, uint8_t sig[65],
                                   char **verdict_json);

#endif
