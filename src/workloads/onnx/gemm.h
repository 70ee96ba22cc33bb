/* gemm.h — single-precision matrix multiply for the engine's Gemm, MatMul
 * and convolutions: C += alpha * op(A) * op(B), row-major, in the GotoBLAS
 * shape (B packed in panels of 16 columns, A in blocks of 6 rows, a 6x16
 * register-blocked kernel written with vector extensions so it compiles to
 * SSE2 or, on CPUs that have them, AVX2 and FMA). A constant B can be packed
 * once, when a plan is built. No allocation: the caller gives scratch. */
#ifndef CLO_WORKLOADS_ONNX_GEMM_H
#define CLO_WORKLOADS_ONNX_GEMM_H

#include <stddef.h>
#include <stdint.h>

#include "workloads/onnx/pool.h"

/* Hot loops are compiled twice, for x86-64-v3 (AVX2, FMA) and the baseline,
 * and the loader picks by CPUID (GCC's target_clones; not under ASan). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) &&                             \
    !defined(__SANITIZE_ADDRESS__)
#define CLO_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define CLO_CLONES
#endif

typedef struct {
    size_t M, N, K;
    int trans_a, trans_b;
    float alpha;
    const float *a;
    size_t lda;
    const float *b; /* unpacked B; ignored when packed_b is set */
    size_t ldb;
    const float *packed_b; /* from clo_gemm_pack_b (or rows put by clo_gemm_put_b_row), or NULL */
    float *c;
    size_t ldc;
    const float *packed_a; /* from clo_gemm_pack_a (alpha already applied), or NULL */
} clo_gemm_args;

/* Floats of scratch a call needs (B not packed: its blocks are packed into
 * scratch; packed: only A's blocks). */
size_t clo_gemm_scratch(size_t M, size_t N, size_t K, int b_packed);
/* Floats a packed B of K x N takes. */
size_t clo_gemm_packed_size(size_t N, size_t K);
/* Pack op(B) (K x N) for every call that uses it. The two packings for
 * every call (of constant weights, when a plan is built) take subnormal
 * values as 0: a multiply by one is a microcode assist on x86 (hundreds of
 * cycles) and the product is below 1e-38; PP-OCRv4 recognition's
 * squeeze-excitation weights are 22% subnormal, and took 0.63 ms a run. */
void clo_gemm_pack_b(const float *b, size_t ldb, int trans_b, size_t N, size_t K, float *out);
/* Put row k (N floats) of a K x N matrix B straight into its packed form
 * (for a producer of B rows, such as im2col, that need not write B first). */
void clo_gemm_put_b_row(float *packed, size_t N, size_t K, size_t k, const float *row);
/* Floats a packed A of M x K takes; pack alpha * op(A) for every call. */
size_t clo_gemm_packed_a_size(size_t M, size_t K);
void clo_gemm_pack_a(const float *a, size_t lda, int trans_a, float alpha, size_t M, size_t K,
                     float *out);
/* Rows [r0, r1) of C (M x N, ldc) += A B with A packed (clo_gemm_pack_a;
 * r0 a multiple of 6) and row k of B the N floats at x + off[k]: a
 * convolution's taps read from its input in place, no column matrix. Reads
 * up to 15 floats past each row's N. */
void clo_gemm_indirect(size_t M, size_t r0, size_t r1, size_t N, size_t K, const float *packed_a,
                       const float *x, const int64_t *off, float *c, size_t ldc);
/* C += alpha * op(A) op(B); scratch is clo_gemm_scratch floats, 64-byte aligned. */
void clo_gemm(const clo_gemm_args *g, float *scratch);

/* The same, its rows split over a pool's parts (when the product is big
 * enough to gain); scratch holds clo_pool_size(pool) blocks of per_part
 * floats, each clo_gemm_scratch. The sums per element are unchanged, so the
 * result is bit for bit the one-thread result. */
void clo_gemm_par(const clo_gemm_args *g, float *scratch, size_t per_part, clo_pool *pool);

#endif
