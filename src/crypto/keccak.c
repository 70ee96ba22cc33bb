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

static inline uint64_t rotl(uint64_t x, unsigned n)
{
    return (x << n) | (x >> ((64 - n) & 63));
}

/* The five-lane loops are written out (THETA/CHI per column/row) so the compiler
 * keeps the state in registers; -O2 would leave them rolled. */
#define COL(a, x) (a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20])
#define THETA(a, c, x)                                                                             \
    do {                                                                                           \
        uint64_t d_ = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);                                    \
        a[x] ^= d_, a[x + 5] ^= d_, a[x + 10] ^= d_, a[x + 15] ^= d_, a[x + 20] ^= d_;             \
    } while (0)
#define CHI(a, y)                                                                                  \
    do {                                                                                           \
        uint64_t r0 = a[y], r1 = a[y + 1], r2 = a[y + 2], r3 = a[y + 3], r4 = a[y + 4];            \
        a[y] = r0 ^ (~r1 & r2), a[y + 1] = r1 ^ (~r2 & r3), a[y + 2] = r2 ^ (~r3 & r4);            \
        a[y + 3] = r3 ^ (~r4 & r0), a[y + 4] = r4 ^ (~r0 & r1);                                    \
    } while (0)

static void keccak_f1600(uint64_t a[25])
{
    uint64_t c[5], t;
    for (int round = 0; round < 24; round++) {
        c[0] = COL(a, 0), c[1] = COL(a, 1), c[2] = COL(a, 2), c[3] = COL(a, 3), c[4] = COL(a, 4);
        THETA(a, c, 0);
        THETA(a, c, 1);
        THETA(a, c, 2);
        THETA(a, c, 3);
        THETA(a, c, 4);
        /* rho and pi: walk the (x,y) -> (y, 2x+3y) cycle from lane 1 */
        t = a[1];
#pragma GCC unroll 24 /* constant indices: the state can stay in registers */
        for (int i = 0; i < 24; i++) {
            unsigned j = k_pi[i];
            uint64_t next = a[j];
            a[j] = rotl(t, k_rho[i]);
            t = next;
        }
        CHI(a, 0);
        CHI(a, 5);
        CHI(a, 10);
        CHI(a, 15);
        CHI(a, 20);
        a[0] ^= k_rc[round];
    }
}

static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
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
    size_t i = 0;
    /* finish a partial block byte by byte, then absorb whole blocks lane by lane */
    while (i < in.len && ctx->pos != 0) {
        xor_byte(ctx->a, ctx->pos++, in.ptr[i++]);
        if (ctx->pos == RATE) {
            keccak_f1600(ctx->a);
            ctx->pos = 0;
        }
    }
    for (; in.len - i >= RATE; i += RATE) {
        for (size_t l = 0; l < RATE / 8; l++) ctx->a[l] ^= load_le64(in.ptr + i + 8 * l);
        keccak_f1600(ctx->a);
    }
    while (i < in.len) xor_byte(ctx->a, ctx->pos++, in.ptr[i++]);
}

void clo_keccak256_final(clo_keccak_ctx *ctx, uint8_t out[CLO_KECCAK256_SIZE])
{
    xor_byte(ctx->a, ctx->pos, 0x01);
    xor_byte(ctx->a, RATE - 1, 0x80);
    keccak_f1600(ctx->a);
    for (size_t i = 0; i < CLO_KECCAK256_SIZE; i++)
        out[i] = (uint8_t)(ctx->a[i / 8] >> (8 * (i % 8)));
    clo_wipe(ctx, sizeof *ctx);
}

void clo_keccak256(clo_bytes in, uint8_t out[CLO_KECCAK256_SIZE])
{
    clo_keccak_ctx ctx;
    clo_keccak256_init(&ctx);
    clo_keccak256_update(&ctx, in);
    clo_keccak256_final(&ctx, out);
}

void clo_hash_list(const clo_bytes *items, size_t count, uint8_t out[CLO_KECCAK256_SIZE])
{
    clo_keccak_ctx k;
    uint8_t h[CLO_KECCAK256_SIZE];
    clo_keccak256_init(&k);
    for (size_t i = 0; i < count; i++) {
        clo_keccak256(items[i], h);
        clo_keccak256_update(&k, CLO_BYTES(h, CLO_KECCAK256_SIZE));
    }
    clo_keccak256_final(&k, out);
}
