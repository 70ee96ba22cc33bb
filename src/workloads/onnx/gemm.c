/* gemm.c — blocked SGEMM. Blocks: KC rows of B at a time (packed K-major in
 * 16-column panels), MC rows of A (packed in 6-row strips, alpha folded in),
 * then the 6x16 kernel over each strip and panel. Edges are zero-padded in
 * the packs, so the kernel always runs full and only its store is trimmed. */
#include "workloads/onnx/gemm.h"

#include <float.h>
#include <string.h>

#define MR 6
#define NR 16
#define KC 256
#define MC 120
#define NC 512 /* a multiple of NR */

typedef float v8 __attribute__((vector_size(32)));

#define CLONES CLO_CLONES

static size_t rup(size_t n, size_t m)
{
    return (n + m - 1) / m * m;
}

size_t clo_gemm_packed_size(size_t N, size_t K)
{
    return rup(N ? N : 1, NR) * (K ? K : 1);
}

size_t clo_gemm_scratch(size_t M, size_t N, size_t K, int b_packed)
{
    size_t kc = K < KC ? K : KC, mc = M < MC ? rup(M ? M : 1, MR) : MC;
    if (!kc) kc = 1;
    return mc * kc + (b_packed ? 0 : rup(N ? N : 1, NR) * kc) + 16;
}

/* Pack rows [pc, pc+kc) of op(B) into panels: panel j holds kc x NR floats. */
static void pack_b_block(const float *b, size_t ldb, int tb, size_t N, size_t pc, size_t kc,
                         float *out)
{
    for (size_t j = 0; j < N; j += NR) {
        size_t nr = N - j < NR ? N - j : NR;
        for (size_t k = 0; k < kc; k++) {
            float *o = out + k * NR;
            if (!tb) {
                const float *src = b + (pc + k) * ldb + j;
                if (nr == NR) { /* a constant size: vector moves, not a call */
                    memcpy(o, src, NR * sizeof(float));
                    continue;
                }
                memcpy(o, src, nr * sizeof(float));
            } else {
                for (size_t c = 0; c < nr; c++) o[c] = b[(j + c) * ldb + pc + k];
            }
            for (size_t c = nr; c < NR; c++) o[c] = 0.0f;
        }
        out += kc * NR;
    }
}

/* Subnormal values to 0 (see gemm.h): each multiply by one is a microcode
 * assist on x86, and its product is below 1e-38. */
static void flush_subnormals(float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0.0f && p[i] > -FLT_MIN && p[i] < FLT_MIN) p[i] = 0.0f;
}

void clo_gemm_pack_b(const float *b, size_t ldb, int trans_b, size_t N, size_t K, float *out)
{
    size_t npad = rup(N ? N : 1, NR);
    for (size_t pc = 0; pc < K; pc += KC) {
        size_t kc = K - pc < KC ? K - pc : KC;
        pack_b_block(b, ldb, trans_b, N, pc, kc, out + pc * npad);
    }
    flush_subnormals(out, clo_gemm_packed_size(N, K));
}

void clo_gemm_put_b_row(float *packed, size_t N, size_t K, size_t k, const float *row)
{
    size_t npad = rup(N ? N : 1, NR), pc = k / KC * KC, kc = K - pc < KC ? K - pc : KC;
    float *dst = packed + pc * npad + (k - pc) * NR;
    size_t j = 0;
    for (; j + NR <= N; j += NR, dst += kc * NR)
        memcpy(dst, row + j, NR * sizeof(float)); /* a constant size: vector moves */
    if (j < N) {
        for (size_t c = 0; c < NR; c++) dst[c] = j + c < N ? row[j + c] : 0.0f;
    }
}

size_t clo_gemm_packed_a_size(size_t M, size_t K)
{
    return rup(M ? M : 1, MR) * (K ? K : 1);
}

/* Rows [ic, ic+mc) x cols [pc, pc+kc) of alpha*op(A), in 6-row strips. */
static void pack_a(const float *a, size_t lda, int ta, float alpha, size_t ic, size_t mc, size_t pc,
                   size_t kc, float *out)
{
    for (size_t i = 0; i < mc; i += MR) {
        size_t mr = mc - i < MR ? mc - i : MR;
        for (size_t k = 0; k < kc; k++) {
            float *o = out + k * MR;
            for (size_t r = 0; r < mr; r++) {
                size_t row = ic + i + r, col = pc + k;
                o[r] = alpha * (ta ? a[col * lda + row] : a[row * lda + col]);
            }
            for (size_t r = mr; r < MR; r++) o[r] = 0.0f;
        }
        out += kc * MR;
    }
}

/* A float in every lane (a macro: a function returning v8 would change the
 * ABI between the clones). */
#define BCAST(v, x)                                                                                \
    const float v##_s = (x);                                                                       \
    const v8 v = {v##_s, v##_s, v##_s, v##_s, v##_s, v##_s, v##_s, v##_s}

/* One step of the 6x16 kernel: row r of the A strip times the B row. */
#define ROW(r, c0, c1)                                                                             \
    do {                                                                                           \
        BCAST(ar, a[r]);                                                                           \
        c0 += ar * b0;                                                                             \
        c1 += ar * b1;                                                                             \
    } while (0)

void clo_gemm_pack_a(const float *a, size_t lda, int trans_a, float alpha, size_t M, size_t K,
                     float *out)
{
    size_t mpad = rup(M ? M : 1, MR);
    for (size_t pc = 0; pc < K; pc += KC) {
        size_t kc = K - pc < KC ? K - pc : KC;
        pack_a(a, lda, trans_a, alpha, 0, M, pc, kc, out + pc * mpad);
    }
    flush_subnormals(out, clo_gemm_packed_a_size(M, K));
}

/* The kernels' store: row r of C += acc[r], its first nr columns. */
#define STORE_ROWS(V, acc, c, ldc, mr, nr)                                                         \
    do {                                                                                           \
        for (size_t r = 0; r < (mr); r++) {                                                        \
            float *row = (c) + r * (ldc);                                                          \
            if ((nr) == NR) {                                                                      \
                V x0[NR * sizeof(float) / sizeof(V)];                                              \
                memcpy(x0, row, sizeof x0);                                                        \
                for (size_t h = 0; h < sizeof x0 / sizeof x0[0]; h++) x0[h] += (acc)[r][h];        \
                memcpy(row, x0, sizeof x0);                                                        \
            } else {                                                                               \
                float t[NR];                                                                       \
                memcpy(t, (acc)[r], sizeof t);                                                     \
                for (size_t j = 0; j < (nr); j++) row[j] += t[j];                                  \
            }                                                                                      \
        }                                                                                          \
    } while (0)

/* The 6x16 kernel's loop; BROW(k) is where row k of B starts (16 floats). */
#define KERNEL6_BODY(BROW)                                                                         \
    v8 c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0}, c30 = {0}, c31 = {0},     \
       c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};                                                 \
    for (size_t k = 0; k < kc; k++, a += MR) {                                                     \
        const float *b_ = (BROW);                                                                  \
        v8 b0, b1;                                                                                 \
        memcpy(&b0, b_, sizeof b0);                                                                \
        memcpy(&b1, b_ + 8, sizeof b1);                                                            \
        ROW(0, c00, c01);                                                                          \
        ROW(1, c10, c11);                                                                          \
        ROW(2, c20, c21);                                                                          \
        ROW(3, c30, c31);                                                                          \
        ROW(4, c40, c41);                                                                          \
        ROW(5, c50, c51);                                                                          \
    }                                                                                              \
    v8 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};      \
    STORE_ROWS(v8, acc, c, ldc, mr, nr)

CLONES static void kernel(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                          size_t mr, size_t nr)
{
    KERNEL6_BODY(b + k * NR);
}

/* The same, row k of B at x + off[k] (a convolution's input, no column matrix). */
CLONES static void kernel_ind(size_t kc, const float *a, const float *x, const int64_t *off,
                              float *c, size_t ldc, size_t mr, size_t nr)
{
    KERNEL6_BODY(x + off[k]);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                             \
    !defined(__SANITIZE_ADDRESS__)
/* Two 6-row strips at once on AVX-512: 12 rows x 16 columns in 12 zmm
 * accumulators, each B row loaded once for both strips. The same FMAs in the
 * same order per element as the 6x16 kernel, so the same bits. */
typedef float v16 __attribute__((vector_size(64)));
#define ROW16(r, a, acc)                                                                           \
    do {                                                                                           \
        const float s_ = (a)[r];                                                                   \
        const v16 ar_ = {s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_};          \
        acc += ar_ * b0;                                                                           \
    } while (0)

#define KERNEL12_BODY(BROW)                                                                        \
    v16 c0 = {0}, c1 = {0}, c2 = {0}, c3 = {0}, c4 = {0}, c5 = {0}, c6 = {0}, c7 = {0}, c8 = {0},  \
        c9 = {0}, c10 = {0}, c11 = {0};                                                            \
    for (size_t k = 0; k < kc; k++, a1 += MR, a2 += MR) {                                          \
        v16 b0;                                                                                    \
        memcpy(&b0, (BROW), sizeof b0);                                                            \
        ROW16(0, a1, c0);                                                                          \
        ROW16(1, a1, c1);                                                                          \
        ROW16(2, a1, c2);                                                                          \
        ROW16(3, a1, c3);                                                                          \
        ROW16(4, a1, c4);                                                                          \
        ROW16(5, a1, c5);                                                                          \
        ROW16(0, a2, c6);                                                                          \
        ROW16(1, a2, c7);                                                                          \
        ROW16(2, a2, c8);                                                                          \
        ROW16(3, a2, c9);                                                                          \
        ROW16(4, a2, c10);                                                                         \
        ROW16(5, a2, c11);                                                                         \
    }                                                                                              \
    v16 acc[2 * MR][1] = {                                                                         \
        {c0}, {c1}, {c2}, {c3}, {c4}, {c5}, {c6}, {c7}, {c8}, {c9}, {c10}, {c11}};                 \
    STORE_ROWS(v16, acc, c, ldc, mr, nr)

__attribute__((target("avx512f,fma"))) static void kernel12(size_t kc, const float *a1,
                                                            const float *a2, const float *b,
                                                            float *c, size_t ldc, size_t mr,
                                                            size_t nr)
{
    KERNEL12_BODY(b + k * NR);
}

__attribute__((target("avx512f,fma"))) static void kernel12_ind(size_t kc, const float *a1,
                                                                const float *a2, const float *x,
                                                                const int64_t *off, float *c,
                                                                size_t ldc, size_t mr, size_t nr)
{
    KERNEL12_BODY(x + off[k]);
}

static int has_avx512(void)
{
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx512f") ? 1 : 0;
    return known;
}
#define HAVE_KERNEL12 1
#endif

/* One row of A (M == 1, common in batch-1 inference): no A packing, the
 * kernel's other five rows would be wasted work. */
CLONES static void kernel_row(size_t kc, const float *a, size_t as, float alpha, const float *b,
                              float *c, size_t nr)
{
    v8 c0 = {0}, c1 = {0};
    for (size_t k = 0; k < kc; k++, b += NR) {
        v8 b0, b1;
        memcpy(&b0, b, sizeof b0);
        memcpy(&b1, b + 8, sizeof b1);
        BCAST(a0, alpha * a[k * as]);
        c0 += a0 * b0;
        c1 += a0 * b1;
    }
    float t[NR];
    memcpy(t, &c0, sizeof c0);
    memcpy(t + 8, &c1, sizeof c1);
    for (size_t j = 0; j < nr; j++) c[j] += t[j];
}

/* Rows [r0, r1) of C; r0 a multiple of MR (a packed A is laid out for all M). */
static void gemm_rows(const clo_gemm_args *g, size_t r0, size_t r1, float *scratch)
{
    size_t M = g->M, N = g->N, K = g->K, npad = rup(N ? N : 1, NR);
    if (!M || !N || !K || r0 >= r1) return;
    float *pa_scratch = scratch,
          *pb_scratch = scratch + (M < MC ? rup(M, MR) : MC) * (K < KC ? K : KC);
    for (size_t pc = 0; pc < K; pc += KC) {
        size_t kc = K - pc < KC ? K - pc : KC;
        if (M == 1) {
            const float *pb = g->packed_b ? g->packed_b + pc * npad : pb_scratch;
            if (!g->packed_b) pack_b_block(g->b, g->ldb, g->trans_b, N, pc, kc, pb_scratch);
            /* a packed A of one row is a strip: its values every MR floats */
            const float *arow = g->packed_a  ? g->packed_a + pc * MR
                                : g->trans_a ? g->a + pc * g->lda
                                             : g->a + pc;
            size_t as = g->packed_a ? MR : g->trans_a ? g->lda : 1;
            float alpha = g->packed_a ? 1.0f : g->alpha;
            for (size_t j = 0; j < N; j += NR)
                kernel_row(kc, arow, as, alpha, pb + (j / NR) * kc * NR, g->c + j,
                           N - j < NR ? N - j : NR);
            continue;
        }
        /* NC columns of B at a time (packed, KC x NC stays in L2 while every
         * block of A's rows passes over it) */
        for (size_t jc = 0; jc < N; jc += NC) {
            size_t nc = N - jc < NC ? N - jc : NC;
            const float *pb;
            if (g->packed_b) {
                pb = g->packed_b + pc * npad + (jc / NR) * kc * NR;
            } else {
                pack_b_block(g->trans_b ? g->b + jc * g->ldb : g->b + jc, g->ldb, g->trans_b, nc,
                             pc, kc, pb_scratch);
                pb = pb_scratch;
            }
            for (size_t ic = r0; ic < r1; ic += MC) {
                size_t mc = r1 - ic < MC ? r1 - ic : MC;
                const float *pa = pa_scratch;
                if (g->packed_a)
                    pa = g->packed_a + pc * rup(M, MR) + ic * kc;
                else
                    pack_a(g->a, g->lda, g->trans_a, g->alpha, ic, mc, pc, kc, pa_scratch);
                for (size_t j = 0; j < nc; j += NR) {
                    size_t nr = nc - j < NR ? nc - j : NR;
                    const float *bp = pb + (j / NR) * kc * NR;
                    float *cj = g->c + ic * g->ldc + jc + j;
                    size_t i = 0;
#ifdef HAVE_KERNEL12
                    if (has_avx512())
                        for (; i + MR < mc; i += 2 * MR)
                            kernel12(kc, pa + (i / MR) * kc * MR, pa + (i / MR + 1) * kc * MR, bp,
                                     cj + i * g->ldc, g->ldc, mc - i < 2 * MR ? mc - i : 2 * MR,
                                     nr);
#endif
                    for (; i < mc; i += MR)
                        kernel(kc, pa + (i / MR) * kc * MR, bp, cj + i * g->ldc, g->ldc,
                               mc - i < MR ? mc - i : MR, nr);
                }
            }
        }
    }
}

void clo_gemm_indirect(size_t M, size_t r0, size_t r1, size_t N, size_t K, const float *packed_a,
                       const float *x, const int64_t *off, float *c, size_t ldc)
{
    size_t mpad = rup(M ? M : 1, MR);
    for (size_t pc = 0; pc < K; pc += KC) {
        size_t kc = K - pc < KC ? K - pc : KC;
        const float *pa = packed_a + pc * mpad;
        for (size_t j = 0; j < N; j += NR) {
            size_t nr = N - j < NR ? N - j : NR, i = r0;
#ifdef HAVE_KERNEL12
            if (has_avx512())
                for (; i + MR < r1; i += 2 * MR)
                    kernel12_ind(kc, pa + (i / MR) * kc * MR, pa + (i / MR + 1) * kc * MR, x + j,
                                 off + pc, c + i * ldc + j, ldc, r1 - i < 2 * MR ? r1 - i : 2 * MR,
                                 nr);
#endif
            for (; i < r1; i += MR)
                kernel_ind(kc, pa + (i / MR) * kc * MR, x + j, off + pc, c + i * ldc + j, ldc,
                           r1 - i < MR ? r1 - i : MR, nr);
        }
    }
}

void clo_gemm(const clo_gemm_args *g, float *scratch)
{
    gemm_rows(g, 0, g->M, scratch);
}

typedef struct {
    const clo_gemm_args *g;
    float *scratch;
    size_t per_part, rows, cols; /* each part's rows, or (rows 0) its columns */
} par_job;

static void gemm_part(void *ctx, unsigned part, unsigned parts)
{
    const par_job *j = ctx;
    const clo_gemm_args *g = j->g;
    (void)parts;
    if (j->rows) {
        size_t r0 = part * j->rows, r1 = r0 + j->rows < g->M ? r0 + j->rows : g->M;
        gemm_rows(g, r0, r1, j->scratch + part * j->per_part);
        return;
    }
    /* columns [c0, c1) of C: op(B)'s columns from there, A as it is */
    size_t c0 = part * j->cols, c1 = c0 + j->cols < g->N ? c0 + j->cols : g->N;
    if (c0 >= c1) return;
    clo_gemm_args sub = *g;
    sub.N = c1 - c0;
    sub.b = g->b + (g->trans_b ? c0 * g->ldb : c0);
    sub.c = g->c + c0;
    gemm_rows(&sub, 0, sub.M, j->scratch + part * j->per_part);
}

void clo_gemm_par(const clo_gemm_args *g, float *scratch, size_t per_part, clo_pool *pool)
{
    unsigned parts = clo_pool_parts(pool);
    /* worth splitting: enough work to pay the hand-off */
    if (parts < 2 || (double)g->M * (double)g->N * (double)g->K < 4e5) {
        clo_gemm(g, scratch);
        return;
    }
    par_job j = {g, scratch, per_part, 0, 0};
    if (g->M >= 2 * MR * parts) {
        j.rows = rup((g->M + parts - 1) / parts, MR);
    } else if (!g->packed_b && g->N >= 2 * NR * parts) {
        /* too few rows for every part a 12-row strip: split the columns,
         * on 16-column panels (a part's scratch packs its own B blocks) */
        j.cols = rup((g->N + parts - 1) / parts, NR);
    } else if (g->M >= 2 * MR) {
        j.rows = rup((g->M + parts - 1) / parts, MR);
    } else {
        clo_gemm(g, scratch);
        return;
    }
    clo_pool_run(pool, gemm_part, &j);
}
