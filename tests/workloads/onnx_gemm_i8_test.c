/* onnx_gemm_i8_test.c — the exact 8-bit products (gemm_i8.h) against the
 * plain triple loop, on both paths (VNNI where the CPU has it, and the
 * portable sums), for sizes that leave every remainder (rows past a block
 * of 8, columns past 16 and 32), rows in one segment and in many (taps:
 * scattered through the buffer, some the pad, more than the 64 a block
 * holds), extreme
 * bytes (255 x -128 at every k, the largest sums), both flips of B, rows
 * split over two threads, and the sums requantized by the kernel against
 * clo_i8_requant1 (which ops_quant.c's requantization matches). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "workloads/onnx/gemm_i8.h"

static uint32_t seed = 12345;
static uint8_t byte(void)
{
    seed = seed * 1103515245u + 12345u;
    return (uint8_t)(seed >> 16);
}

/* M x N from nseg segments of seglen bytes per row, the segments placed in
 * a shuffled order in one buffer. */
static clo_pool *pool; /* NULL, then two threads */

static void check(size_t M, size_t N, size_t nseg, size_t seglen, int extreme, uint8_t bflip)
{
    size_t K = nseg * seglen, nsegs = M * nseg;
    uint8_t *a = malloc(nsegs * seglen), *b = malloc(K * N);
    int32_t *off = malloc(nsegs * sizeof *off), *c = malloc(M * N * sizeof *c),
            *cs = malloc(N * sizeof *cs);
    int8_t *pb = malloc(clo_i8_packed_b_size(K, N));
    assert_true(a && b && off && c && cs && pb);
    for (size_t i = 0; i < nsegs * seglen; i++) a[i] = extreme ? 0xff : byte();
    for (size_t i = 0; i < K * N; i++) b[i] = extreme ? (uint8_t)(0x80 ^ bflip) : byte();
    for (size_t i = 0; i < nsegs; i++) off[i] = (int32_t)(((i * 7919) % nsegs) * seglen);
    /* every fifth segment the pad (the last segment's bytes, given apart) */
    const uint8_t *pad = a + (nsegs - 1) * seglen;
    for (size_t i = 0; i < nsegs; i += 5) off[i] = -1;
    clo_i8_pack_b(b, N, 1, K, N, bflip, pb, cs);
    clo_i8_gemm(M, N, nseg, seglen, a, off, pad, pb, c, N, pool);
    for (size_t n = 0; n < N; n++) {
        int32_t s = 0;
        for (size_t k = 0; k < K; k++) s += (int8_t)(b[k * N + n] ^ bflip);
        assert_int_equal(cs[n], s);
    }
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++) {
            int64_t s = 0;
            for (size_t k = 0; k < K; k++)
                s += (int64_t)(off[m * nseg + k / seglen] < 0
                                   ? pad[k % seglen]
                                   : a[off[m * nseg + k / seglen] + k % seglen]) *
                     (int8_t)(b[k * N + n] ^ bflip);
            if (c[m * N + n] != s)
                fail_msg("M %zu N %zu K %zu x %zu: C[%zu][%zu] = %d, want %lld", M, N, nseg, seglen,
                         m, n, c[m * N + n], (long long)s);
        }
    /* requantized as they are made: the bytes requant1 gives the sums */
    if (nseg <= CLO_I8_MAX_SEG) {
        int32_t *bias = malloc(N * sizeof *bias);
        float *sc = malloc(N * sizeof *sc);
        uint8_t *q = malloc(M * N + 1);
        assert_true(bias && sc && q);
        for (size_t n = 0; n < N; n++) {
            bias[n] = (int32_t)(byte() * 97) - 12000;
            sc[n] = n % 3 == 0 ? 0.5f : 1.0f / (float)(1000 + 37 * n); /* 0.5: ties */
        }
        for (int sgn = 0; sgn < 2; sgn++) {
            clo_i8_requant rq = {bias, sc, sgn ? -3.0f : 100.0f, sgn, q, N};
            clo_i8_gemm_q(M, N, nseg, seglen, a, off, pad, pb, &rq, pool);
            for (size_t m = 0; m < M; m++)
                for (size_t n = 0; n < N; n++) {
                    uint8_t want = clo_i8_requant1(c[m * N + n], bias[n], sc[n], rq.zp, sgn);
                    if (q[m * N + n] != want)
                        fail_msg("requantized [%zu][%zu]: %u, want %u", m, n, q[m * N + n], want);
                }
        }
        free(bias), free(sc), free(q);
    }
    free(a), free(b), free(off), free(c), free(cs), free(pb);
}

static void test_products(void **state)
{
    (void)state;
    static const size_t sizes[][4] = {{1, 1, 1, 4},    {8, 32, 1, 4},    {9, 33, 1, 8},
                                      {7, 17, 3, 4},   {16, 64, 9, 64},  {3, 100, 1, 28},
                                      {64, 49, 9, 64}, {1, 16, 1, 2304}, {10, 40, 70, 4}};
    for (int run = 0; run < 3; run++) { /* VNNI, portable, VNNI on two threads */
        int vnni = run != 1;
        clo_i8_use_vnni(vnni);
        if (run == 2) assert_int_equal(clo_pool_new(2, &pool).code, CLO_OK_CODE);
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
            for (int t = 0; t < 2; t++)
                check(sizes[i][0], sizes[i][1], sizes[i][2], sizes[i][3], 0, t ? 0x80 : 0);
        /* the largest sums: 255 x -128 over K = 4096 */
        check(9, 40, 16, 256, 1, 0);
    }
    clo_i8_use_vnni(1);
    clo_pool_free(pool);
    pool = NULL;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_products),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
