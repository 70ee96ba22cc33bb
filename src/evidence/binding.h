/* binding.h — how enclave keys are bound into attestation evidence (docs/architecture.md §3):
 *
 *   report_data = SHA-512("cloister/v1/report-data" || signer address (20) ||
 *                         HPKE public key (32) || u32 epoch || u64 chain id ||
 *                         registry address (20) || nonce (32))
 *
 * Every field after the domain has a fixed size, so the encoding is unambiguous.
 * The enclave puts this in its evidence; a client or verifier recomputes it from
 * the keys it is about to trust and compares it with the report data.
 *
 * Version 2 (issue 18: cheap to check on chain, and it names the operator, so a
 * quote registered without a committee cannot be claimed by another operator):
 *
 *   report_data = keccak256("cloister/v2/report-data" || operator (20) ||
 *                           signer (20) || HPKE public key (32) || u32 epoch ||
 *                           u64 chain id || registry (20) || nonce (32)) || 0^32
 *
 * the same bytes as Solidity's abi.encodePacked of those fields
 * (contracts/src/lib/Binding.sol). */
#ifndef CLO_EVIDENCE_BINDING_H
#define CLO_EVIDENCE_BINDING_H

#include "base/bytes.h"

typedef struct {
    uint8_t signer[20];  /* the enclave's secp256k1 signer address */
    uint8_t hpke_pk[32]; /* the enclave's epoch X25519 key */
    uint32_t epoch;
    uint64_t chain_id;
    uint8_t registry[20];
    uint8_t nonce[32];     /* freshness, chosen by whoever asks for the evidence */
    uint8_t operator_[20]; /* version 2 only: the operator registering the enclave */
} clo_key_binding;

CLO_MUST_CHECK clo_err clo_report_data(const clo_key_binding *b, uint8_t out[64]);
void clo_report_data_v2(const clo_key_binding *b, uint8_t out[64]);

#endif
