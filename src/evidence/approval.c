/* approval.c — the EnclaveApproval statement: digest, signature, recovery. */
#include "evidence/approval.h"

#include <string.h>

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

void clo_approval_nonce(const uint8_t (*challenges)[32], size_t n, uint8_t out[32])
{
    clo_keccak256(CLO_BYTES(challenges, n * 32), out);
}
