/* keccak.h — Keccak-256 as Ethereum uses it: Keccak[r=1088, c=512] with the
 * original pad10*1 (domain byte 0x01), NOT FIPS 202 SHA3-256 (0x06).
 * Written here because OpenSSL 3.0 does not expose it. */
#ifndef CLO_CRYPTO_KECCAK_H
#define CLO_CRYPTO_KECCAK_H

#include "base/bytes.h"

#define CLO_KECCAK256_SIZE 32

typedef struct {
    uint64_t a[25];
    size_t pos; /* bytes absorbed into the current block */
} clo_keccak_ctx;

void clo_keccak256_init(clo_keccak_ctx *ctx);
void clo_keccak256_update(clo_keccak_ctx *ctx, clo_bytes in);
/* Writes the digest and wipes the context. */
void clo_keccak256_final(clo_keccak_ctx *ctx, uint8_t out[CLO_KECCAK256_SIZE]);
void clo_keccak256(clo_bytes in, uint8_t out[CLO_KECCAK256_SIZE]);
/* keccak256 over the keccak256 of each item: an unambiguous list hash
 * (JobMarket.hashList; a statement's input and private-output hashes). */
void clo_hash_list(const clo_bytes *items, size_t count, uint8_t out[CLO_KECCAK256_SIZE]);

#endif
