/* binding.c — report_data binding of enclave keys (see binding.h). */
#include "evidence/binding.h"

#include <string.h>

#include "crypto/hash.h"
#include "crypto/keccak.h"

/* signer || hpke_pk || u32be epoch || u64be chain id || registry || nonce */
#define FIXED_SIZE (20 + 32 + 4 + 8 + 20 + 32)
static size_t fixed_fields(const clo_key_binding *b, uint8_t fixed[FIXED_SIZE])
{
    size_t n = 0;
    memcpy(fixed + n, b->signer, 20), n += 20;
    memcpy(fixed + n, b->hpke_pk, 32), n += 32;
    clo_store_u32be(fixed + n, b->epoch), n += 4;
    clo_store_u64be(fixed + n, b->chain_id), n += 8;
    memcpy(fixed + n, b->registry, 20), n += 20;
    memcpy(fixed + n, b->nonce, 32), n += 32;
    return n;
}

clo_err clo_report_data(const clo_key_binding *b, uint8_t out[64])
{
    uint8_t fixed[FIXED_SIZE];
    size_t n = fixed_fields(b, fixed);
    clo_hash_ctx h;
    CLO_TRY(clo_hash_init(&h, CLO_HASH_SHA512));
    CLO_TRY(clo_hash_update(&h, clo_bytes_str("cloister/v1/report-data")));
    CLO_TRY(clo_hash_update(&h, CLO_BYTES(fixed, n)));
    return clo_hash_final(&h, out);
}

void clo_report_data_v2(const clo_key_binding *b, uint8_t out[64])
{
    uint8_t fixed[FIXED_SIZE];
    size_t n = fixed_fields(b, fixed);
    clo_keccak_ctx k;
    clo_keccak256_init(&k);
    clo_keccak256_update(&k, clo_bytes_str("cloister/v2/report-data"));
    clo_keccak256_update(&k, CLO_BYTES(b->operator_, 20));
    clo_keccak256_update(&k, CLO_BYTES(fixed, n));
    clo_keccak256_final(&k, out);
    memset(out + 32, 0, 32);
}
