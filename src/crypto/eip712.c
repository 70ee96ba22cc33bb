/* eip712.c — EIP-712 hashing over Keccak-256. */
#include "crypto/eip712.h"

#include <string.h>

#include "crypto/keccak.h"

void clo_eip712_type_hash(const char *encode_type, uint8_t out[32])
{
    clo_keccak256(clo_bytes_str(encode_type), out);
}

void clo_eip712_word_uint(uint64_t v, uint8_t out[32])
{
    memset(out, 0, 24);
    clo_store_u64be(out + 24, v);
}

void clo_eip712_word_address(const uint8_t addr[20], uint8_t out[32])
{
    memset(out, 0, 12);
    memcpy(out + 12, addr, 20);
}

void clo_eip712_word_dynamic(clo_bytes v, uint8_t out[32])
{
    clo_keccak256(v, out);
}

void clo_eip712_hash_struct(const uint8_t type_hash[32], const uint8_t (*words)[32], size_t count,
                            uint8_t out[32])
{
    clo_keccak_ctx k;
    clo_keccak256_init(&k);
    clo_keccak256_update(&k, CLO_BYTES(type_hash, 32));
    for (size_t i = 0; i < count; i++) clo_keccak256_update(&k, CLO_BYTES(words[i], 32));
    clo_keccak256_final(&k, out);
}

void clo_eip712_domain_separator(const clo_eip712_domain *d, uint8_t out[32])
{
    uint8_t th[32], w[4][32];
    clo_eip712_type_hash("EIP712Domain(string name,string version,uint256 chainId,"
                         "address verifyingContract)",
                         th);
    clo_eip712_word_dynamic(clo_bytes_str(d->name), w[0]);
    clo_eip712_word_dynamic(clo_bytes_str(d->version), w[1]);
    clo_eip712_word_uint(d->chain_id, w[2]);
    clo_eip712_word_address(d->verifying_contract, w[3]);
    clo_eip712_hash_struct(th, (const uint8_t(*)[32])w, 4, out);
}

void clo_eip712_digest(const uint8_t domain_separator[32], const uint8_t struct_hash[32],
                       uint8_t out[32])
{
    uint8_t pre[66];
    pre[0] = 0x19;
    pre[1] = 0x01;
    memcpy(pre + 2, domain_separator, 32);
    memcpy(pre + 34, struct_hash, 32);
    clo_keccak256(CLO_BYTES(pre, sizeof pre), out);
}
