/* keccak.c — Keccak-f[1600] and the Keccak-256 sponge (FIPS 202 §3 permutation). */
#include "crypto/keccak.h"

#include "base/ct.h"

#define RATE 136 /* (1600 - 2*256) / 8 */

static const uint64_t k_rc[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};
/* rho offsets and pi lane order, walking the (x,y) -> (y, 2x+3y) cycle from lane 1 */
static const unsigned k_rho[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                   27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
static const unsigned k_pi[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                  15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

static inline uint64_t rotl(uint64_t x, unsigned n) { return (x << n) | (x >> (64 - n)); }

static void keccak_f1600(uint64_t a[25])
{
    uint64_t c[5], t;
    for (int round = 0; round < 24; round++) {
        for (int x = 0; x < 5; x++) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        for (int x = 0; x < 5; x++) {
            t = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
            for (int y = 0; y < 25; y += 5) a[y + x] ^= t;
        }
        t = a[1];
        for (int i = 0; i < 24; i++) {
            unsigned j = k_pi[i];
            uint64_t next = a[j];
            a[j] = rotl(t, k_rho[i]);
            t = next;
        }
        for (int y = 0; y < 25; y += 5) {
            for (int x = 0; x < 5; x++) c[x] = a[y + x];
            for (int x = 0; x < 5; x++) a[y + x] = c[x] ^ (~c[(x + 1) % 5] & c[(x + 2) % 5]);
        }
        a[0] ^= k_rc[round];
    }
}

static inline void xor_byte(uint64_t a[25], size_t i, uint8_t v)
{
    a[i / 8] ^= (uint64_t)v << (8 * (i % 8)); /* lanes are little-endian */
}

void clo_keccak256_init(clo_keccak_ctx *ctx)
{
    for (int i = 0; i < 25; i++) ctx->a[i] = 0;
    ctx->pos = 0;
}

void clo_keccak256_update(clo_keccak_ctx *ctx, clo_bytes in)
{
    for (size_t i = 0; i < in.len; i++) {
        xor_byte(ctx->a, ctx->pos++, in.ptr[i]);
        if (ctx->pos == RATE) {
            keccak_f1600(ctx->a);
            ctx->pos = 0;
        }
    }
}

void clo_keccak256_final(clo_keccak_ctx *ctx, uint8_t out[CLO_KECCAK256_SIZE])
{
    xor_byte(ctx->a, ctx->pos, 0x01);
    xor_byte(ctx->a, RATE - 1, 0x80);
    keccak_f1600(ctx->a);
    for (size_t i = 0; i < CLO_KECCAK256_SIZE; i++) out[i] = (uint8_t)(ctx->a[i / 8] >> (8 * (i % 8)));
    clo_wipe(ctx, sizeof *ctx);
}

void clo_keccak256(clo_bytes in, uint8_t out[CLO_KECCAK256_SIZE])
{
    clo_keccak_ctx ctx;
    clo_keccak256_init(&ctx);
    clo_keccak256_update(&ctx, in);
    clo_keccak256_final(&ctx, out);
}
