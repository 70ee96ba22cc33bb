/* gemm_i8.c — exact 8-bit integer matrix products (gemm_i8.h).
 *
 * Packed B: panels of 16 columns; in a panel, for each group of 4 rows
 * (k = 4q .. 4q+3), 16 columns of 4 bytes (64 bytes: one vector), so panel
 * p starts at p * 16 * K. The kernel takes 8 rows of A and 2 panels (32
 * columns) at a time: 16 sums of 16 lanes; each step loads the two panels'
 * vectors and, per row, broadcasts the row's 4 bytes. */
#include "workloads/onnx/gemm_i8.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_VNNI_PATH 1
#endif

#define MR 8
#define NB 16 /* columns per panel */

size_t clo_i8_k4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

size_t clo_i8_packed_b_size(size_t K, size_t N)
{
    return (N + 2 * NB - 1) / (2 * NB) * (2 * NB) * K;
}

void clo_i8_pack_b(const uint8_t *b, size_t sk, size_t sn, size_t K, size_t N, uint8_t flip,
                   int8_t *out, int32_t *colsum)
{
    size_t panels = clo_i8_packed_b_size(K, N) / (NB * K);
    memset(out, 0, panels * NB * K);
    for (size_t n = 0; n < N; n++) {
        int32_t s = 0;
        int8_t *o = out + (n / NB) * NB * K + (n % NB) * 4;
        for (size_t k = 0; k < K; k++) {
            int8_t v = (int8_t)(b[k * sk + n * sn] ^ flip);
            o[(k / 4) * NB * 4 + k % 4] = v;
            s += v;
        }
        if (colsum) colsum[n] = s;
    }
}

uint8_t clo_i8_requant1(int32_t c, int32_t b, float s, float zp, int is_signed)
{
    const float lo = is_signed ? -128.0f : 0.0f, hi = is_signed ? 127.0f : 255.0f;
    const float big = 4194304.0f, magic = 12582912.0f;
    float v = (float)(int32_t)((uint32_t)c + (uint32_t)b) * s;
    v = v > big ? big : (v >= -big ? v : -big);
    v = (v + magic) - magic + zp;
    v = v > hi ? hi : (v >= lo ? v : lo);
    return is_signed ? (uint8_t)(int8_t)(int32_t)v : (uint8_t)(int32_t)v;
}

static int vnni_allowed = 1;

void clo_i8_use_vnni(int on)
{
    vnni_allowed = on;
}

/* Rows past the last one read these (and write nowhere). */
static const uint8_t zeros[CLO_I8_MAX_K + 64];

/* Portable: rows a[0..mr) (K bytes each, through their segments) times
 * panels b0, b0 + 1. */
static void kernel_c(size_t nseg, size_t seglen, const uint8_t *const (*a)[MR], size_t mr,
                     const int8_t *b0, size_t K, int32_t *c, size_t ldc, size_t nn)
{
    int32_t acc[MR][2 * NB];
    memset(acc, 0, sizeof acc);
    const int8_t *b1 = b0 + NB * K;
    for (size_t s = 0; s < nseg; s++)
        for (size_t q = 0; q < seglen / 4; q++) {
            size_t kq = s * (seglen / 4) + q;
            const int8_t *p0 = b0 + kq * NB * 4, *p1 = b1 + kq * NB * 4;
            for (size_t r = 0; r < mr; r++) {
                const uint8_t *x = a[s][r] + 4 * q;
                for (size_t j = 0; j < NB; j++) {
                    acc[r][j] += x[0] * p0[4 * j] + x[1] * p0[4 * j + 1] + x[2] * p0[4 * j + 2] +
                                 x[3] * p0[4 * j + 3];
                    acc[r][NB + j] += x[0] * p1[4 * j] + x[1] * p1[4 * j + 1] +
                                      x[2] * p1[4 * j + 2] + x[3] * p1[4 * j + 3];
                }
            }
        }
    for (size_t r = 0; r < mr; r++) memcpy(c + r * ldc, acc[r], nn * sizeof(int32_t));
}

#ifdef HAVE_VNNI_PATH
static int has_vnni(void)
{
    static int known = -1;
    if (known < 0)
        known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vnni") ? 1 : 0;
    return known && vnni_allowed;
}

/* The same with vpdpbusd, stored straight into C (rows < mr, columns < nn).
 * The 16 sums stay in registers (written out, not looped, so they do). */
__attribute__((target("avx512f,avx512vnni"))) static inline void
store_q(__m512i acc, const clo_i8_requant *rq, size_t n0, __mmask16 m, uint8_t *o)
{
    const __m512 big = _mm512_set1_ps(4194304.0f), nbig = _mm512_set1_ps(-4194304.0f),
                 magic = _mm512_set1_ps(12582912.0f), z = _mm512_set1_ps(rq->zp),
                 lo = _mm512_set1_ps(rq->is_signed ? -128.0f : 0.0f),
                 hi = _mm512_set1_ps(rq->is_signed ? 127.0f : 255.0f);
    __m512i b = _mm512_maskz_loadu_epi32(m, rq->bias + n0);
    __m512 s = _mm512_maskz_loadu_ps(m, rq->scale + n0);
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(acc, b)), s);
    v = _mm512_max_ps(nbig, _mm512_min_ps(big, v));
    v = _mm512_add_ps(_mm512_sub_ps(_mm512_add_ps(v, magic), magic), z);
    v = _mm512_max_ps(lo, _mm512_min_ps(hi, v));
    _mm512_mask_cvtepi32_storeu_epi8(o, m, _mm512_cvttps_epi32(v));
}

__attribute__((target("avx512f,avx512vnni"))) static void
kernel_vnni(size_t nseg, size_t seglen, const uint8_t *const (*a)[MR], size_t mr, const int8_t *b0,
            size_t K, int32_t *c, size_t ldc, size_t nn, const clo_i8_requant *rq, size_t n0,
            uint8_t *qo)
{
    __m512i c00 = _mm512_setzero_si512(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
            c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00,
            c70 = c00, c71 = c00;
    const int8_t *b1 = b0 + NB * K;
    for (size_t s = 0; s < nseg; s++) {
        const uint8_t *a0 = a[s][0], *a1 = a[s][1], *a2 = a[s][2], *a3 = a[s][3], *a4 = a[s][4],
                      *a5 = a[s][5], *a6 = a[s][6], *a7 = a[s][7];
        const int8_t *p0 = b0 + s * seglen * NB, *p1 = b1 + s * seglen * NB;
        for (size_t q = 0; q < seglen / 4; q++) {
            __m512i v0 = _mm512_loadu_si512(p0 + q * NB * 4),
                    v1 = _mm512_loadu_si512(p1 + q * NB * 4);
            int32_t t;
#define ROW(r)                                                                                     \
    memcpy(&t, a##r + 4 * q, 4);                                                                   \
    {                                                                                              \
        __m512i x = _mm512_set1_epi32(t);                                                          \
        c##r##0 = _mm512_dpbusd_epi32(c##r##0, x, v0);                                             \
        c##r##1 = _mm512_dpbusd_epi32(c##r##1, x, v1);                                             \
    }
            ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
#undef ROW
        }
    }
    __mmask16 m0 = nn >= NB ? 0xffff : (__mmask16)((1u << nn) - 1),
              m1 = nn >= 2 * NB ? 0xffff
                   : nn <= NB   ? 0
                                : (__mmask16)((1u << (nn - NB)) - 1);
    if (qo) { /* requantized as they are stored: bytes */
#define OUTQ(r)                                                                                    \
    do {                                                                                           \
        if (r < mr) {                                                                              \
            store_q(c##r##0, rq, n0, m0, qo + r * rq->ldo);                                        \
            store_q(c##r##1, rq, n0 + NB, m1, qo + r * rq->ldo + NB);                              \
        }                                                                                          \
    } while (0)
        OUTQ(0);
        OUTQ(1);
        OUTQ(2);
        OUTQ(3);
        OUTQ(4);
        OUTQ(5);
        OUTQ(6);
        OUTQ(7);
#undef OUTQ
        return;
    }
#define OUT(r)                                                                                     \
    do {                                                                                           \
        if (r < mr) {                                                                              \
            _mm512_mask_storeu_epi32(c + r * ldc, m0, c##r##0);                                    \
            _mm512_mask_storeu_epi32(c + r * ldc + NB, m1, c##r##1);                               \
        }                                                                                          \
    } while (0)
    OUT(0);
    OUT(1);
    OUT(2);
    OUT(3);
    OUT(4);
    OUT(5);
    OUT(6);
    OUT(7);
#undef OUT
}
#endif

static void gemm_rows(size_t M, size_t N, size_t nseg, size_t seglen, const uint8_t *base,
                      const int32_t *off, const uint8_t *pad, const int8_t *pb, int32_t *c,
                      size_t ldc, const clo_i8_requant *rq)
{
    size_t K = nseg * seglen;
    /* row pointers of a block of rows, segment by segment: nseg x MR */
    enum { MAXSEG = CLO_I8_MAX_SEG };
    const uint8_t *a[MAXSEG][MR];
    for (size_t m0 = 0; m0 < M; m0 += MR) {
        size_t mr = M - m0 < MR ? M - m0 : MR;
        for (size_t s0 = 0; s0 < nseg; s0 += MAXSEG) {
            /* more segments than a holds: partial sums added up below */
            size_t ns = nseg - s0 < MAXSEG ? nseg - s0 : MAXSEG;
            for (size_t s = 0; s < ns; s++)
                for (size_t r = 0; r < MR; r++) {
                    int32_t o = r < mr ? off[(m0 + r) * nseg + s0 + s] : 0;
                    a[s][r] = r >= mr ? zeros : o < 0 ? pad : base + o;
                }
            for (size_t n0 = 0; n0 < N; n0 += 2 * NB) {
                size_t nn = N - n0 < 2 * NB ? N - n0 : 2 * NB;
                const int8_t *b0 = pb + (n0 / NB) * NB * K + s0 * seglen * NB;
                int32_t part[MR][2 * NB];
                /* bytes out: the kernel requantizes (VNNI), or the sums go
                 * to part and are requantized here */
                int32_t *cb = rq ? &part[0][0] : c + m0 * ldc + n0;
                size_t ldb = rq ? 2 * NB : ldc;
                int32_t *dst = s0 && !rq ? &part[0][0] : cb;
                size_t ld = s0 && !rq ? 2 * NB : ldb;
                uint8_t *qo =
                    rq ? rq->out + m0 * rq->ldo + n0 : NULL; /* one chunk: nseg <= MAXSEG */
#ifdef HAVE_VNNI_PATH
                if (has_vnni())
                    kernel_vnni(ns, seglen, (const uint8_t *const(*)[MR])a, mr, b0, K, dst, ld, nn,
                                rq, n0, qo);
                else
#endif
                {
                    kernel_c(ns, seglen, (const uint8_t *const(*)[MR])a, mr, b0, K, dst, ld, nn);
                    qo = NULL;
                }
                if (qo) continue;
                if (s0 && !rq)
                    for (size_t r = 0; r < mr; r++)
                        for (size_t j = 0; j < nn; j++) cb[r * ldb + j] += part[r][j];
                if (rq) /* the portable sums: requantized one by one */
                    for (size_t r = 0; r < mr; r++)
                        for (size_t j = 0; j < nn; j++)
                            rq->out[(m0 + r) * rq->ldo + n0 + j] =
                                clo_i8_requant1(part[r][j], rq->bias[n0 + j], rq->scale[n0 + j],
                                                rq->zp, rq->is_signed);
            }
        }
    }
}

typedef struct {
    size_t M, N, nseg, seglen, rows;
    const uint8_t *base, *pad;
    const int32_t *off;
    const int8_t *pb;
    int32_t *c;
    size_t ldc;
    const clo_i8_requant *rq;
} par_job;

static void gemm_part(void *ctx, unsigned part, unsigned parts)
{
    (void)parts;
    const par_job *j = ctx;
    size_t r0 = (size_t)part * j->rows, r1 = r0 + j->rows < j->M ? r0 + j->rows : j->M;
    if (r0 >= r1) return;
    clo_i8_requant rq;
    if (j->rq) { /* this part's rows of the bytes */
        rq = *j->rq;
        rq.out += r0 * rq.ldo;
    }
    gemm_rows(r1 - r0, j->N, j->nseg, j->seglen, j->base, j->off + r0 * j->nseg, j->pad, j->pb,
              j->c ? j->c + r0 * j->ldc : NULL, j->ldc, j->rq ? &rq : NULL);
}

/* Rows split in blocks of MR over the pool: each sum is made as with one
 * thread. */
static void gemm_any(size_t M, size_t N, size_t nseg, size_t seglen, const uint8_t *base,
                     const int32_t *off, const uint8_t *pad, const int8_t *pb, int32_t *c,
                     size_t ldc, const clo_i8_requant *rq, clo_pool *pool)
{
    unsigned parts = clo_pool_parts(pool);
    if (parts < 2 || M < 2 * MR || (double)M * (double)N * (double)(nseg * seglen) < 1e6) {
        gemm_rows(M, N, nseg, seglen, base, off, pad, pb, c, ldc, rq);
        return;
    }
    par_job j = {M, N, nseg, seglen, (M + parts - 1) / parts, base, pad, off, pb, c, ldc, rq};
    j.rows = (j.rows + MR - 1) / MR * MR;
    clo_pool_run(pool, gemm_part, &j);
}

void clo_i8_gemm(size_t M, size_t N, size_t nseg, size_t seglen, const uint8_t *base,
                 const int32_t *off, const uint8_t *pad, const int8_t *pb, int32_t *c, size_t ldc,
                 clo_pool *pool)
{
    gemm_any(M, N, nseg, seglen, base, off, pad, pb, c, ldc, NULL, pool);
}

void clo_i8_gemm_q(size_t M, size_t N, size_t nseg, size_t seglen, const uint8_t *base,
                   const int32_t *off, const uint8_t *pad, const int8_t *pb,
                   const clo_i8_requant *rq, clo_pool *pool)
{
    if (nseg > CLO_I8_MAX_SEG) return; /* the caller's to check (the header says) */
    gemm_any(M, N, nseg, seglen, base, off, pad, pb, NULL, 0, rq, pool);
}
