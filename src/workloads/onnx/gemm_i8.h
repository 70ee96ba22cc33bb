/* gemm_i8.h — exact 8-bit integer matrix products for the quantized
 * operators: C (M x N, int32) = A B with A's rows unsigned bytes, read in
 * place through offsets (a row may be several segments: a convolution's
 * taps, each a pixel's channels), and B (K x N) signed bytes packed once
 * (constant weights) in panels of 16 columns by 4 rows, so one AVX-512 VNNI
 * instruction (vpdpbusd, chosen by CPUID) adds 4 products of a row's 4
 * bytes into each of 16 column sums; the same sums in portable C elsewhere.
 * Every sum is exact: four products of a byte and a signed byte fit 18 bits,
 * and the int32 sums cannot overflow for K up to CLO_I8_MAX_K. */
#ifndef CLO_WORKLOADS_ONNX_GEMM_I8_H
#define CLO_WORKLOADS_ONNX_GEMM_I8_H

#include <stddef.h>
#include <stdint.h>

#include "workloads/onnx/pool.h"

#define CLO_I8_MAX_K   32768
#define CLO_I8_MAX_SEG 64 /* segments per row clo_i8_gemm_q takes (a 7x7 kernel's 49) */

/* n rounded up to a multiple of 4. */
size_t clo_i8_k4(size_t n);
/* Bytes a packed B of K x N takes (K a multiple of 4; N padded to 32). */
size_t clo_i8_packed_b_size(size_t K, size_t N);
/* Pack B (K x N, K a multiple of 4; element (k, n) at b[k * sk + n * sn])
 * as signed bytes: each ^ flip (0x80 turns unsigned bytes into the signed
 * ones 128 less; 0 keeps them). colsum[n] = the sum of column n's packed
 * values. */
void clo_i8_pack_b(const uint8_t *b, size_t sk, size_t sn, size_t K, size_t N, uint8_t flip,
                   int8_t *out, int32_t *colsum);
/* C[r * ldc + n] = sum over k < nseg * seglen of A[r][k] B[k][n], for r < M
 * and n < N, where row r's segment s (bytes k = s * seglen ..) is the
 * seglen bytes at base + off[r * nseg + s], or at pad when that offset is
 * negative (a convolution's padding); seglen is a multiple of 4 and nseg *
 * seglen the K that B was packed with. The rows are split over the pool's
 * parts when that pays (NULL: one thread); the sums are the same. */
void clo_i8_gemm(size_t M, size_t N, size_t nseg, size_t seglen, const uint8_t *base,
                 const int32_t *off, const uint8_t *pad, const int8_t *pb, int32_t *c, size_t ldc,
                 clo_pool *pool);
/* The same, each sum requantized as it is made and stored as a byte:
 * out[r * ldo + n] = saturate(round((C[r][n] + bias[n]) * scale[n]) + zp),
 * rounding to nearest even, to int8 (is_signed) or uint8, the way
 * QLinearConv's requantization gives it (ops_quant.c); every scale finite,
 * nseg at most CLO_I8_MAX_SEG (else nothing is done). */
typedef struct {
    const int32_t *bias;
    const float *scale;
    float zp;
    int is_signed;
    uint8_t *out;
    size_t ldo;
} clo_i8_requant;
void clo_i8_gemm_q(size_t M, size_t N, size_t nseg, size_t seglen, const uint8_t *base,
                   const int32_t *off, const uint8_t *pad, const int8_t *pb,
                   const clo_i8_requant *rq, clo_pool *pool);
/* One of those bytes (a sum c with its bias b and scale s): the rounding the
 * vectors do, one at a time. */
uint8_t clo_i8_requant1(int32_t c, int32_t b, float s, float zp, int is_signed);
/* Tests: 0 keeps to the portable sums even where VNNI is there (1 again
 * lets CPUID choose). */
void clo_i8_use_vnni(int on);

#endif
