/* binding.h — how enclave keys are bound into attestation evidence (docs/architecture.md §3):
 *
 *   report_data = keccak256("cloister/v2/report-data" || operator (20) ||
 *                           signer (20) || HPKE public key (32) || u32 epoch ||
 *                           u64 chain id || registry (20) || nonce (32)) || 0^32
 *
 * Every field after the domain has a fixed size, so the encoding is unambiguous;
 * it is the same bytes as Solidity's abi.encodePacked of those fields
 * (contracts/src/lib/Binding.sol), so a contract checks it for one keccak256
 * (issue 18). It names the operator that registers the enclave, so a quote
 * registered without a committee cannot be claimed by another operator.
 * Version 1 (SHA-512 without the operator) is retired. The enclave puts this in
 * its evidence; a client, verifier or contract recomputes it from the keys it is
 * about to trust and compares. */
#ifndef CLO_EVIDENCE_BINDING_H
#define CLO_EVIDENCE_BINDING_H

#include "base/bytes.h"

#define CLO_REPORT_DATA_DOMAIN "cloister/v2/report-data"

typedef struct {
    uint8_t operator_addr[20]; /* the operator registering the enclave */
    uint8_t signer[20];        /* the enclave's secp256k1 signer address */
    uint8_t hpke_pk[32];       /* the enclave's epoch X25519 key */
    uint32_t epoch;
    uint64_t chain_id;
    uint8_t registry[20];
    uint8_t nonce[32]; /* freshness, chosen by whoever asks for the evidence */
} clo_key_binding;

void clo_report_data(const clo_key_binding *b, uint8_t out[64]);

#endif
