/* approval.h — EnclaveApproval, the EIP-712 statement that admits an enclave
 * to EnclaveRegistry: signed by a committee verifier after it checked the
 * enclave's evidence (committee/approve.h), or by a verifier enclave after it
 * checked SEV-SNP evidence inside its TEE (docs/attestation.md, docs/contracts.md):
 *
 *   EnclaveApproval(address operator,uint8 teeType,bytes32 measurement,address signer,
 *                   bytes32 hpkeKey,uint32 epoch,uint64 expiry,bytes32 evidenceDigest)
 *   domain: name "Cloister", version "1", chainId, verifyingContract = EnclaveRegistry
 *
 *   measurement    = the registered measurement (evidence/measure.h)
 *   evidenceDigest = keccak256(the evidence bytes)
 * Signatures are 65 bytes r || s || v, v in {27, 28}, low s. Calldata and JSON
 * forms: client/approval.h. */
#ifndef CLO_EVIDENCE_APPROVAL_H
#define CLO_EVIDENCE_APPROVAL_H

#include "base/bytes.h"
#include "base/secret.h"

#define CLO_APPROVAL_TYPE                                                                          \
    "EnclaveApproval(address operator,uint8 teeType,bytes32 measurement,address signer,"           \
    "bytes32 hpkeKey,uint32 epoch,uint64 expiry,bytes32 evidenceDigest)"

typedef struct {
    uint8_t operator_addr[20];
    uint8_t tee_type; /* clo_tee_kind */
    uint8_t measurement[32];
    uint8_t signer[20];
    uint8_t hpke_key[32];
    uint32_t epoch;
    uint64_t expiry;
    uint8_t evidence_digest[32];
} clo_approval;

/* The evidence a committee approves is over one nonce for all its members:
 * keccak256(challenges[0] || ... || challenges[n-1]), each member's fresh
 * challenge in the order the requester gives them. */
#define CLO_APPROVAL_MAX_CHALLENGES 16
void clo_approval_nonce(const uint8_t (*challenges)[32], size_t n, uint8_t out[32]);

void clo_approval_digest(const clo_approval *a, uint64_t chain_id, const uint8_t registry[20],
                         uint8_t out[32]);
CLO_MUST_CHECK clo_err clo_approval_sign(const clo_approval *a, uint64_t chain_id,
                                         const uint8_t registry[20], const clo_secret32 *sk,
                                         uint8_t sig[65]);
/* The address that signed; CLO_E_AUTH for a malformed or high-s signature. */
CLO_MUST_CHECK clo_err clo_approval_recover(const clo_approval *a, uint64_t chain_id,
                                            const uint8_t registry[20], const uint8_t sig[65],
                                            uint8_t signer[20]);

#endif
