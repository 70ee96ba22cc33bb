/* statement.c — EIP-712 result statements. */
#include "wire/statement.h"

#include <string.h>

#include "crypto/eip712.h"
#include "crypto/ethkey.h"
#include "crypto/keccak.h"

void clo_result_struct_hash(const clo_result_stmt *s, uint8_t out[32])
{
    uint8_t th[32], w[7][32];
    clo_eip712_type_hash(CLO_RESULT_TYPE, th);
    memcpy(w[0], s->job_id, 32);
    memcpy(w[1], s->input_hash, 32);
    memcpy(w[2], s->public_output_hash, 32);
    memcpy(w[3], s->private_output_hash, 32);
    memcpy(w[4], s->workload_id, 32);
    memcpy(w[5], s->config_hash, 32);
    clo_eip712_word_uint(s->epoch, w[6]);
    clo_eip712_hash_struct(th, (const uint8_t(*)[32])w, 7, out);
}

/* Under JobMarket's domain: name "Cloister", version "1". */
static void market_digest(const uint8_t struct_hash[32], uint64_t chain_id,
                          const uint8_t market[20], uint8_t out[32])
{
    uint8_t ds[32];
    clo_eip712_domain d = {"Cloister", "1", chain_id, {0}};
    memcpy(d.verifying_contract, market, 20);
    clo_eip712_domain_separator(&d, ds);
    clo_eip712_digest(ds, struct_hash, out);
}

void clo_result_digest(const clo_result_stmt *s, uint64_t chain_id, const uint8_t market[20],
                       uint8_t out[32])
{
    uint8_t hs[32];
    clo_result_struct_hash(s, hs);
    market_digest(hs, chain_id, market, out);
}

void clo_batch_digest(const uint8_t root[32], uint32_t count, uint32_t epoch, uint64_t chain_id,
                      const uint8_t market[20], uint8_t out[32])
{
    uint8_t th[32], w[3][32], hs[32];
    clo_eip712_type_hash(CLO_BATCH_TYPE, th);
    memcpy(w[0], root, 32);
    clo_eip712_word_uint(count, w[1]);
    clo_eip712_word_uint(epoch, w[2]);
    clo_eip712_hash_struct(th, (const uint8_t(*)[32])w, 3, hs);
    market_digest(hs, chain_id, market, out);
}

clo_err clo_batch_sign(const uint8_t root[32], uint32_t count, uint32_t epoch, uint64_t chain_id,
                       const uint8_t market[20], const clo_secret32 *sk, uint8_t sig[65])
{
    uint8_t digest[32];
    clo_batch_digest(root, count, epoch, chain_id, market, digest);
    return clo_eth_sign(sk, digest, sig);
}

clo_err clo_result_sign(const clo_result_stmt *s, uint64_t chain_id, const uint8_t market[20],
                        const clo_secret32 *sk, uint8_t sig[65])
{
    uint8_t digest[32];
    clo_result_digest(s, chain_id, market, digest);
    return clo_eth_sign(sk, digest, sig);
}

clo_err clo_result_verify(const clo_result_stmt *s, uint64_t chain_id, const uint8_t market[20],
                          const uint8_t sig[65], const uint8_t signer[20])
{
    uint8_t digest[32], addr[20];
    clo_result_digest(s, chain_id, market, digest);
    CLO_TRY(clo_eth_signer(digest, sig, "result.signature.v", addr));
    CLO_ENSURE(!memcmp(addr, signer, 20), CLO_E_AUTH, "result.signature: wrong signer");
    return CLO_OK;
}
