/* binding.c — report_data binding of enclave keys (see binding.h). */
#include "evidence/binding.h"

#include <string.h>

#include "crypto/keccak.h"

void clo_report_data(const clo_key_binding *b, uint8_t out[64])
{
    /* operator || signer || hpke_pk || u32be epoch || u64be chain id || registry || nonce */
    uint8_t f[20 + 20 + 32 + 4 + 8 + 20 + 32];
    size_t n = 0;
    memcpy(f + n, b->operator_addr, 20), n += 20;
    memcpy(f + n, b->signer, 20), n += 20;
    memcpy(f + n, b->hpke_pk, 32), n += 32;
    clo_store_u32be(f + n, b->epoch), n += 4;
    clo_store_u64be(f + n, b->chain_id), n += 8;
    memcpy(f + n, b->registry, 20), n += 20;
    memcpy(f + n, b->nonce, 32), n += 32;
    clo_keccak_ctx k;
    clo_keccak256_init(&k);
    clo_keccak256_update(&k, clo_bytes_str(CLO_REPORT_DATA_DOMAIN));
    clo_keccak256_update(&k, CLO_BYTES(f, n));
    clo_keccak256_final(&k, out);
    memset(out + 32, 0, 32);
}
