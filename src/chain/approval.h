/* approval.h — EnclaveApproval, the EIP-712 statement a committee verifier
 * signs after checking an enclave's evidence (docs/architecture.md §3, docs/contracts.md):
 *
 *   EnclaveApproval(address operator,uint8 teeType,bytes32 measurement,address signer,
 *                   bytes32 hpkeKey,uint32 epoch,uint64 expiry,bytes32 evidenceDigest)
 *   domain: name "Cloister", version "1", chainId, verifyingContract = EnclaveRegistry
 *
 *   measurement    = keccak256(the platform measurement: MRTD, SNP MEASUREMENT or
 *                    MRENCLAVE, as the evidence carries it)
 *   evidenceDigest = keccak256(the evidence bytes)
 * Signatures are 65 bytes r || s || v, v in {27, 28}, low s. */
#ifndef CLO_CHAIN_APPROVAL_H
#define CLO_CHAIN_APPROVAL_H

#include <jansson.h>

#include "base/bytes.h"
#include "base/secret.h"
#include "base/teekind.h" /* tee_type */
#include "chain/abi.h"

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
/* The 8 tuple members, into items[8] (views into a). */
clo_abi_val clo_approval_abi(const clo_approval *a, clo_abi_val items[8]);
/* JSON form {operator, teeType, measurement, signer, hpkeKey, epoch, expiry,
 * evidenceDigest} with 0x-hex fields; from_json is strict and names the field. */
json_t *clo_approval_to_json(const clo_approval *a);
CLO_MUST_CHECK clo_err clo_approval_from_json(const json_t *j, clo_approval *out);

#endif
