/* ops_quant.c — quantized operators: QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul and
 * QLinearConv. Integer products accumulate exactly in int32 (int8/uint8
 * values less their zero points fit int16); requantization rounds half to
 * even and saturates, as the operators specify. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "workloads/onnx/gemm_i8.h"
#include "workloads/onnx/linalg.h"
#include "workloads/onnx/op.h"
#include "workloads/onnx/plan_impl.h"

static int64_t prod_dims(const clo_shape *s, uint32_t from, uint32_t to)
{
    int64_t n = 1;
    for (uint32_t i = from; i < to && i < s->rank; i++) n *= s->d[i];
    return n;
}

static int32_t q_at(const clo_tensor *t, uint64_t i)
{
    if (!t) return 0;
    if (t->count == 1) i = 0;
    switch (t->dtype) {
    case CLO_ONNX_INT8: return ((const int8_t *)t->data)[i];
    case CLO_ONNX_UINT8: return ((const uint8_t *)t->data)[i];
    default: return ((const int32_t *)t->data)[i];
    }
}

static float f_at(const clo_tensor *t, uint64_t i)
{
    return ((const float *)t->data)[t->count == 1 ? 0 : i];
}

static int32_t saturate(int32_t dtype, float v)
{
    float lo = dtype == CLO_ONNX_INT8 ? -128.0f : 0.0f,
          hi = dtype == CLO_ONNX_INT8 ? 127.0f : 255.0f;
    if (!(v >= lo)) return (int32_t)lo; /* NaN too */
    return v > hi ? (int32_t)hi : (int32_t)v;
}

static void q_put(clo_tensor *t, uint64_t i, int32_t v)
{
    if (t->dtype == CLO_ONNX_INT8)
        ((int8_t *)t->data)[i] = (int8_t)v;
    else
        ((uint8_t *)t->data)[i] = (uint8_t)v;
}

/* A scale or zero point: a scalar, or (when allowed) one value per index of
 * the given length. */
static clo_err per(clo_onnx_prep *p, size_t k, const int32_t *types, uint64_t len, int optional)
{
    if (optional && (k >= p->nin || !p->in[k])) return CLO_OK;
    CLO_TRY(clo_onnx_need(p, k, types));
    uint64_t c = p->in[k]->count;
    if (c != 1 && (c != len || p->in[k]->shape.rank != 1))
        return clo_onnx_refuse(p, CLO_E_FORMAT, "input %zu must be a scalar%s", k,
                               len > 1 ? " or have one value per slice" : "");
    return CLO_OK;
}

/* ======================= QuantizeLinear, DequantizeLinear ======================= */
typedef struct {
    int64_t outer, n, inner; /* per-axis layout: scale index = (i / inner) % n */
} axis_layout;

static clo_err layout(clo_onnx_prep *p, axis_layout *l, size_t scale_k)
{
    const clo_shape *s = &p->in[0]->shape;
    int64_t axis;
    CLO_TRY(clo_onnx_attr_int(p, "axis", 1, &axis));
    l->outer = 1;
    l->n = 1;
    l->inner = (int64_t)p->in[0]->count;
    if (p->in[scale_k] && p->in[scale_k]->count > 1) {
        uint32_t a;
        if (p->opset < 13) return clo_onnx_refuse(p, CLO_E_FORMAT, "per-axis scales need opset 13");
        CLO_TRY(clo_onnx_axis(p, axis, s->rank, &a));
        l->outer = prod_dims(s, 0, a);
        l->n = s->d[a];
        l->inner = prod_dims(s, a + 1, s->rank);
    }
    return CLO_OK;
}

static clo_err quantize_prepare(clo_onnx_prep *p)
{
    axis_layout *l = p->params;
    static const int32_t in_types[] = {CLO_ONNX_FLOAT, CLO_ONNX_INT32, 0};
    CLO_TRY(clo_onnx_need(p, 0, in_types));
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_FLOAT));
    CLO_TRY(layout(p, l, 1));
    CLO_TRY(per(p, 1, CLO_T_FLOAT, (uint64_t)l->n, 0));
    CLO_TRY(per(p, 2, CLO_T_Q8, (uint64_t)l->n, 1));
    if (p->in[2] && p->in[2]->count != p->in[1]->count)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "scale and zero point differ in length");
    clo_onnx_set_out(p, 0, p->nin > 2 && p->in[2] ? p->in[2]->dtype : CLO_ONNX_UINT8,
                     &p->in[0]->shape);
    return CLO_OK;
}

/* out[i] = saturate(round((c[i] + b) * s) + z) for n sums, rounding to
 * nearest even as nearbyintf does: below 2^22 in magnitude, adding and
 * taking away 1.5 * 2^23 rounds so; beyond, the value saturates either way
 * (NaN too, as the lower bound). */
static void requant_c(const int32_t *c, size_t n, int32_t b, float s, float z, int is_signed,
                      void *out)
{
    for (size_t i = 0; i < n; i++) ((uint8_t *)out)[i] = clo_i8_requant1(c[i], b, s, z, is_signed);
}

/* x[i] / s quantized as QuantizeLinear does: saturate(nearbyintf(x / s) + z)
 * (NaN: the lower bound), the same rounding as requant_c. */
static void quant_c(const float *x, size_t n, float s, float z, int is_signed, void *out)
{
    for (size_t i = 0; i < n; i++) {
        int32_t v = saturate(is_signed ? CLO_ONNX_INT8 : CLO_ONNX_UINT8, nearbyintf(x[i] / s) + z);
        if (is_signed)
            ((int8_t *)out)[i] = (int8_t)v;
        else
            ((uint8_t *)out)[i] = (uint8_t)v;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
/* Both, 8 at a time with AVX2: v (int sums times s, or x / s) rounded,
 * offset and saturated. The bounds come first in min and max, so a NaN
 * stays NaN and converts to the lower bound, as saturate gives it. */
__attribute__((target("avx2"))) static inline void store8(__m256 v, __m256 vz, int is_signed,
                                                          uint8_t *o)
{
    const __m256 big = _mm256_set1_ps(4194304.0f), nbig = _mm256_set1_ps(-4194304.0f),
                 magic = _mm256_set1_ps(12582912.0f),
                 lo = _mm256_set1_ps(is_signed ? -128.0f : 0.0f),
                 hi = _mm256_set1_ps(is_signed ? 127.0f : 255.0f);
    v = _mm256_max_ps(nbig, _mm256_min_ps(big, v));
    v = _mm256_add_ps(_mm256_sub_ps(_mm256_add_ps(v, magic), magic), vz);
    v = _mm256_max_ps(lo, _mm256_min_ps(hi, v));
    __m256i q = _mm256_cvttps_epi32(v);
    __m128i p16 = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
    __m128i p8 = is_signed ? _mm_packs_epi16(p16, p16) : _mm_packus_epi16(p16, p16);
    _mm_storel_epi64((__m128i *)o, p8);
}

__attribute__((target("avx2"))) static void requant_avx2(const int32_t *c, size_t n, int32_t b,
                                                         float s, float z, int is_signed, void *out)
{
    const __m256 vs = _mm256_set1_ps(s), vz = _mm256_set1_ps(z);
    const __m256i vb = _mm256_set1_epi32(b);
    uint8_t *o = out;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i a = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(c + i)), vb);
        store8(_mm256_mul_ps(_mm256_cvtepi32_ps(a), vs), vz, is_signed, o + i);
    }
    requant_c(c + i, n - i, b, s, z, is_signed, o + i);
}

__attribute__((target("avx2"))) static void quant_avx2(const float *x, size_t n, float s, float z,
                                                       int is_signed, void *out)
{
    const __m256 vs = _mm256_set1_ps(s), vz = _mm256_set1_ps(z);
    uint8_t *o = out;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        store8(_mm256_div_ps(_mm256_loadu_ps(x + i), vs), vz, is_signed, o + i);
    quant_c(x + i, n - i, s, z, is_signed, o + i);
}

static int has_avx2(void)
{
    static int known = -1;
    if (known < 0) known = __builtin_cpu_supports("avx2") ? 1 : 0;
    return known;
}
#endif

/* Rows of the same: row r's element i (c[r * n + i]) with bias b[i] and
 * scale s[i] (a position's channels), into out + r * ldo. */
static void requant_rows_c(const int32_t *c, size_t rows, size_t n, const int32_t *b,
                           const float *s, float z, int is_signed, uint8_t *out, size_t ldo)
{
    for (size_t r = 0; r < rows; r++)
        for (size_t i = 0; i < n; i++)
            requant_c(c + r * n + i, 1, b[i], s[i], z, is_signed, out + r * ldo + i);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) static void
requant_rows_avx2(const int32_t *c, size_t rows, size_t n, const int32_t *b, const float *s,
                  float z, int is_signed, uint8_t *out, size_t ldo)
{
    const __m256 vz = _mm256_set1_ps(z);
    size_t n8 = n / 8 * 8;
    for (size_t r = 0; r < rows; r++) {
        const int32_t *cr = c + r * n;
        uint8_t *o = out + r * ldo;
        for (size_t i = 0; i < n8; i += 8) {
            __m256i a = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(cr + i)),
                                         _mm256_loadu_si256((const __m256i *)(b + i)));
            store8(_mm256_mul_ps(_mm256_cvtepi32_ps(a), _mm256_loadu_ps(s + i)), vz, is_signed,
                   o + i);
        }
        for (size_t i = n8; i < n; i++) requant_c(cr + i, 1, b[i], s[i], z, is_signed, o + i);
    }
}
#endif

static void requant_rows(const int32_t *c, size_t rows, size_t n, const int32_t *b, const float *s,
                         float z, int is_signed, uint8_t *out, size_t ldo)
{
#if defined(__x86_64__) && defined(__GNUC__)
    int finite = 1;
    for (size_t i = 0; i < n; i++) finite &= isfinite(s[i]) != 0;
    if (has_avx2() && finite) {
        requant_rows_avx2(c, rows, n, b, s, z, is_signed, out, ldo);
        return;
    }
#endif
    requant_rows_c(c, rows, n, b, s, z, is_signed, out, ldo);
}

static void requant(const int32_t *c, size_t n, int32_t b, float s, float z, int is_signed,
                    void *out)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (has_avx2() && isfinite(s)) {
        requant_avx2(c, n, b, s, z, is_signed, out);
        return;
    }
#endif
    requant_c(c, n, b, s, z, is_signed, out);
}

static void quant(const float *x, size_t n, float s, float z, int is_signed, void *out)
{
#if defined(__x86_64__) && defined(__GNUC__)
    if (has_avx2()) {
        quant_avx2(x, n, s, z, is_signed, out);
        return;
    }
#endif
    quant_c(x, n, s, z, is_signed, out);
}

static clo_err quantize_run(const clo_onnx_exec *x)
{
    const axis_layout *l = x->params;
    const clo_tensor *in = x->in[0], *sc = x->in[1], *zp = x->nin > 2 ? x->in[2] : NULL;
    clo_tensor *out = x->out[0];
    uint64_t i = 0;
    for (int64_t o = 0; o < l->outer; o++)
        for (int64_t c = 0; c < l->n; c++) {
            float s = f_at(sc, (uint64_t)c);
            float z = (float)q_at(zp, (uint64_t)c);
            if (in->dtype == CLO_ONNX_FLOAT) { /* a run of one scale: vectors */
                quant((const float *)in->data + i, (size_t)l->inner, s, z,
                      out->dtype == CLO_ONNX_INT8, (uint8_t *)out->data + i);
                i += (uint64_t)l->inner;
                continue;
            }
            for (int64_t j = 0; j < l->inner; j++, i++) {
                float v = in->dtype == CLO_ONNX_FLOAT ? ((const float *)in->data)[i]
                                                      : (float)((const int32_t *)in->data)[i];
                q_put(out, i, saturate(out->dtype, nearbyintf(v / s) + z));
            }
        }
    return CLO_OK;
}

static clo_err dequantize_prepare(clo_onnx_prep *p)
{
    axis_layout *l = p->params;
    static const int32_t in_types[] = {CLO_ONNX_INT8, CLO_ONNX_UINT8, CLO_ONNX_INT32, 0};
    CLO_TRY(clo_onnx_need(p, 0, in_types));
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_FLOAT));
    CLO_TRY(layout(p, l, 1));
    CLO_TRY(per(p, 1, CLO_T_FLOAT, (uint64_t)l->n, 0));
    CLO_TRY(per(p, 2, in_types, (uint64_t)l->n, 1));
    if (p->nin > 2 && p->in[2] && p->in[2]->dtype != p->in[0]->dtype)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "zero point and input differ in type");
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &p->in[0]->shape);
    return CLO_OK;
}

static clo_err dequantize_run(const clo_onnx_exec *x)
{
    const axis_layout *l = x->params;
    const clo_tensor *in = x->in[0], *sc = x->in[1], *zp = x->nin > 2 ? x->in[2] : NULL;
    float *out = x->out[0]->data;
    uint64_t i = 0;
    for (int64_t o = 0; o < l->outer; o++)
        for (int64_t c = 0; c < l->n; c++) {
            float s = f_at(sc, (uint64_t)c);
            int32_t z = q_at(zp, (uint64_t)c);
            for (int64_t j = 0; j < l->inner; j++, i++) out[i] = (float)(q_at(in, i) - z) * s;
        }
    return CLO_OK;
}

static const clo_onnx_op op_quantize = {
    "",          "QuantizeLinear", 10, 2, 3, 1, 1, "axis", sizeof(axis_layout), quantize_prepare,
    quantize_run};
static const clo_onnx_op op_dequantize = {"",
                                          "DequantizeLinear",
                                          10,
                                          2,
                                          3,
                                          1,
                                          1,
                                          "axis",
                                          sizeof(axis_layout),
                                          dequantize_prepare,
                                          dequantize_run};

/* ======================= DynamicQuantizeLinear ======================= */
static clo_err dynq_prepare(clo_onnx_prep *p)
{
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    clo_shape scalar = {0, {0}};
    clo_onnx_set_out(p, 0, CLO_ONNX_UINT8, &p->in[0]->shape);
    clo_onnx_set_out(p, 1, CLO_ONNX_FLOAT, &scalar);
    clo_onnx_set_out(p, 2, CLO_ONNX_UINT8, &scalar);
    return CLO_OK;
}

static clo_err dynq_run(const clo_onnx_exec *x)
{
    const float *in = x->in[0]->data;
    uint64_t n = x->in[0]->count;
    float lo = 0.0f, hi = 0.0f; /* the range always includes 0 */
    for (uint64_t i = 0; i < n; i++) {
        lo = in[i] < lo ? in[i] : lo;
        hi = in[i] > hi ? in[i] : hi;
    }
    float scale = (hi - lo) / 255.0f;
    int32_t zp = scale > 0 ? saturate(CLO_ONNX_UINT8, nearbyintf(0.0f - lo / scale)) : 0;
    for (uint64_t i = 0; i < n; i++)
        ((uint8_t *)x->out[0]->data)[i] =
            (uint8_t)(scale > 0 ? saturate(CLO_ONNX_UINT8, nearbyintf(in[i] / scale) + (float)zp)
                                : zp);
    if (x->nout > 1 && x->out[1]) *(float *)x->out[1]->data = scale;
    if (x->nout > 2 && x->out[2]) *(uint8_t *)x->out[2]->data = (uint8_t)zp;
    return CLO_OK;
}

static const clo_onnx_op op_dynq = {
    "", "DynamicQuantizeLinear", 11, 1, 1, 3, 3, "", 0, dynq_prepare, dynq_run};

/* ======================= packed 8-bit products ======================= */
/* Constant weights packed as clo_i8_gemm's B (K x N, K a multiple of 4),
 * with what turns its exact sums of a'b' into the sums of (a - za)(b - zb),
 * a' and b' the bytes as the kernel reads them (a unsigned, b signed: each
 * ^ its flip, a zero point flipped the same way):
 *   sum (a' - za')(b' - zb') = sum a'b' - zb' rowsum(a') - za' colsum(b')
 *                              + K za' zb'
 * (padding adds nothing: an A pad byte is za', a B pad is 0 and counted in
 * K on both sides). */
typedef struct {
    int8_t *pb;
    int32_t *colsum, *zb; /* per column of B: sum of b', and zb' */
    size_t K, N;          /* N: all the columns (every group's) */
    uint8_t aflip, bflip;
    int zb_any; /* some zb' != 0: the row sums of A are needed */
} qpacked;

/* The flip that makes a type's bytes what the kernel reads: A unsigned, B
 * signed. */
static uint8_t flip_for(int32_t dtype, int is_b)
{
    return (dtype == CLO_ONNX_INT8) == !is_b ? 0x80 : 0;
}

static clo_err qpack_init(clo_onnx_prep *p, qpacked *q, size_t K, size_t N, size_t groups,
                          int32_t adtype, int32_t bdtype)
{
    q->K = K;
    q->N = N;
    q->aflip = flip_for(adtype, 0);
    q->bflip = flip_for(bdtype, 1);
    q->pb = clo_onnx_prep_alloc(p, groups * clo_i8_packed_b_size(K, N / groups) + 1);
    q->colsum = clo_onnx_prep_alloc(p, N * sizeof(int32_t) + 1);
    q->zb = clo_onnx_prep_alloc(p, N * sizeof(int32_t) + 1);
    if (!q->pb || !q->colsum || !q->zb) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
    return CLO_OK;
}

/* Pack group g's columns (n0 .. n0 + n) from tmp, K x n raw bytes (pads:
 * the flip itself, so they pack as 0), with zero points zp (one per column
 * of all N when it has N values; absent: 0). */
static void qpack_group(qpacked *q, size_t g, size_t n0, size_t n, const uint8_t *tmp,
                        const clo_tensor *zp)
{
    clo_i8_pack_b(tmp, n, 1, q->K, n, q->bflip, q->pb + g * clo_i8_packed_b_size(q->K, n),
                  q->colsum + n0);
    for (size_t j = n0; j < n0 + n; j++) {
        int32_t z = zp ? q_at(zp, zp->count == 1 ? 0 : j) : 0;
        q->zb[j] = (int8_t)((uint8_t)z ^ q->bflip);
        q->zb_any |= q->zb[j] != 0;
    }
}

/* acc[r * lda + j] (the sums of a'b' for rows r < M, columns n0 + j < n0 +
 * n) := the sums of (a - za)(b - zb); za[r] is row r's flipped zero point,
 * rowsum[r] its sum of a' (read only when zb_any). */
/* colk[j] = the correction's part that is the same for every row with A
 * zero point za' (columns n0 + j): K za' zb' - za' colsum(b'), wrapping. */
static void qcolumns(const qpacked *q, size_t n0, size_t n, int32_t za, int32_t *colk)
{
    uint32_t K = (uint32_t)q->K, z = (uint32_t)za;
    for (size_t j = 0; j < n; j++)
        colk[j] = (int32_t)(K * z * (uint32_t)q->zb[n0 + j] - z * (uint32_t)q->colsum[n0 + j]);
}

static void qcorrect(const qpacked *q, size_t n0, size_t M, size_t n, int32_t *acc, size_t lda,
                     const int32_t *za, const int32_t *rowsum, int32_t *colk)
{
    const int32_t *zb = q->zb + n0;
    /* the true sums fit int32, so wrapping sums of their parts (uint32) do too */
    for (size_t r = 0; r < M; r++) {
        uint32_t rs = q->zb_any ? (uint32_t)rowsum[r] : 0;
        if (r == 0 || za[r] != za[r - 1]) qcolumns(q, n0, n, za[r], colk);
        int32_t *restrict a = acc + r * lda;
        const int32_t *restrict k = colk;
        if (!q->zb_any)
            for (size_t j = 0; j < n; j++) a[j] = (int32_t)((uint32_t)a[j] + (uint32_t)k[j]);
        else
            for (size_t j = 0; j < n; j++)
                a[j] = (int32_t)((uint32_t)a[j] + (uint32_t)k[j] - (uint32_t)zb[j] * rs);
    }
}

/* dst[j * ldd + i] = src[i * lds + j] for i < rows, j < cols, bytes (size
 * 1) or int32 (size 4): 16 x 16 byte and 4 x 4 int32 tiles through SSE2
 * registers, the edges one by one. */
static void transpose(const void *src, size_t lds, void *dst, size_t ldd, size_t rows, size_t cols,
                      size_t size)
{
    size_t t = size == 1 ? 16 : 4, i0 = 0, j0;
    for (; i0 + t <= rows; i0 += t)
        for (j0 = 0; j0 + t <= cols; j0 += t) {
#if defined(__SSE2__)
            if (size == 1) {
                __m128i r[16], u[16];
                for (int i = 0; i < 16; i++)
                    r[i] = _mm_loadu_si128(
                        (const __m128i *)((const uint8_t *)src + (i0 + (size_t)i) * lds + j0));
                for (int i = 0; i < 8; i++) {
                    u[2 * i] = _mm_unpacklo_epi8(r[2 * i], r[2 * i + 1]);
                    u[2 * i + 1] = _mm_unpackhi_epi8(r[2 * i], r[2 * i + 1]);
                }
                for (int i = 0; i < 4; i++)
                    for (int h = 0; h < 2; h++) {
                        r[4 * i + 2 * h] = _mm_unpacklo_epi16(u[4 * i + h], u[4 * i + 2 + h]);
                        r[4 * i + 2 * h + 1] = _mm_unpackhi_epi16(u[4 * i + h], u[4 * i + 2 + h]);
                    }
                for (int i = 0; i < 2; i++)
                    for (int h = 0; h < 4; h++) {
                        u[8 * i + 2 * h] = _mm_unpacklo_epi32(r[8 * i + h], r[8 * i + 4 + h]);
                        u[8 * i + 2 * h + 1] = _mm_unpackhi_epi32(r[8 * i + h], r[8 * i + 4 + h]);
                    }
                for (int h = 0; h < 8; h++) {
                    r[2 * h] = _mm_unpacklo_epi64(u[h], u[8 + h]);
                    r[2 * h + 1] = _mm_unpackhi_epi64(u[h], u[8 + h]);
                }
                for (int k = 0; k < 16; k++) /* r[k] is now column k */
                    _mm_storeu_si128((__m128i *)((uint8_t *)dst + (j0 + (size_t)k) * ldd + i0),
                                     r[k]);
                continue;
            }
            __m128 a[4];
            for (int i = 0; i < 4; i++)
                a[i] = _mm_loadu_ps(
                    (const float *)((const int32_t *)src + (i0 + (size_t)i) * lds + j0));
            _MM_TRANSPOSE4_PS(a[0], a[1], a[2], a[3]);
            for (int k = 0; k < 4; k++)
                _mm_storeu_ps((float *)((int32_t *)dst + (j0 + (size_t)k) * ldd + i0), a[k]);
            continue;
#endif
            for (size_t i = i0; i < i0 + t; i++)
                for (size_t j = j0; j < j0 + t; j++)
                    if (size == 1)
                        ((uint8_t *)dst)[j * ldd + i] = ((const uint8_t *)src)[i * lds + j];
                    else
                        ((int32_t *)dst)[j * ldd + i] = ((const int32_t *)src)[i * lds + j];
        }
    /* the edges: rows past the last full tile, and columns past it in every row */
    for (size_t i = 0; i < rows; i++)
        for (size_t j = i < i0 ? cols / t * t : 0; j < cols; j++)
            if (size == 1)
                ((uint8_t *)dst)[j * ldd + i] = ((const uint8_t *)src)[i * lds + j];
            else
                ((int32_t *)dst)[j * ldd + i] = ((const int32_t *)src)[i * lds + j];
}

/* Scratch carved into 64-byte aligned pieces. */
static void *carve(uint8_t **at, size_t bytes)
{
    void *p = *at;
    *at += (bytes + 63) / 64 * 64;
    return p;
}

/* ======================= integer matrix products ======================= */
/* C (M x N, int32) = A (M x K) B (K x N), both int16 with zero points removed. */
static void igemm(size_t M, size_t N, size_t K, const int16_t *A, const int16_t *B, int32_t *C)
{
    for (size_t i = 0; i < M; i++) {
        int32_t *c = C + i * N;
        memset(c, 0, N * sizeof *c);
        for (size_t k = 0; k < K; k++) {
            int32_t a = A[i * K + k];
            if (!a) continue;
            const int16_t *b = B + k * N;
            for (size_t j = 0; j < N; j++) c[j] += a * (int32_t)b[j];
        }
    }
}

/* Widen n quantized values less their zero point (scalar, or one per row of
 * `row` values when per_row, or one per column when per_col). */
static void widen(const clo_tensor *t, uint64_t off, uint64_t rows, uint64_t cols,
                  const clo_tensor *zp, int per_col, int16_t *out)
{
    for (uint64_t r = 0; r < rows; r++)
        for (uint64_t c = 0; c < cols; c++) {
            uint64_t i = r * cols + c;
            int32_t z = zp ? q_at(zp, zp->count == 1 ? 0 : per_col ? c : r) : 0;
            out[i] = (int16_t)(q_at(t, off + i) - z);
        }
}

typedef struct {
    clo_matmul_dims d;
    int qlinear; /* QLinearMatMul: inputs a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp */
    size_t *a_off, *b_off;
    qpacked w;    /* a constant 2-D B, packed; else w.pb is NULL */
    int32_t *off; /* A's rows in the copy the products read: r * K4 */
} qmm_params;

static clo_err qmm_prepare_common(clo_onnx_prep *p, int qlinear)
{
    qmm_params *q = p->params;
    q->qlinear = qlinear;
    size_t ia = 0, ib = qlinear ? 3 : 1;
    CLO_TRY(clo_onnx_need(p, ia, CLO_T_Q8));
    CLO_TRY(clo_onnx_need(p, ib, CLO_T_Q8));
    clo_tensor *save1 = p->in[1];
    p->in[1] = p->in[ib]; /* the dims helper reads inputs 0 and 1 */
    clo_shape out;
    clo_err e = clo_matmul_dims_read(p, &q->d, &out);
    p->in[1] = save1;
    CLO_TRY(e);
    if (q->d.abatch.rank || q->d.bbatch.rank) {
        uint64_t nb = (uint64_t)prod_dims(&q->d.obatch, 0, q->d.obatch.rank);
        q->a_off = clo_onnx_prep_alloc(p, (nb + 1) * sizeof(size_t));
        q->b_off = clo_onnx_prep_alloc(p, (nb + 1) * sizeof(size_t));
        if (!q->a_off || !q->b_off) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        clo_matmul_batches(&q->d, q->a_off, q->b_off);
    }
    if (qlinear) {
        CLO_TRY(per(p, 1, CLO_T_FLOAT, q->d.M, 0));
        CLO_TRY(per(p, 2, CLO_T_Q8, q->d.M, 0));
        CLO_TRY(per(p, 4, CLO_T_FLOAT, q->d.N, 0));
        CLO_TRY(per(p, 5, CLO_T_Q8, q->d.N, 0));
        CLO_TRY(per(p, 6, CLO_T_FLOAT, 1, 0));
        CLO_TRY(per(p, 7, CLO_T_Q8, 1, 0));
        if (p->in[2]->dtype != p->in[0]->dtype || p->in[5]->dtype != p->in[3]->dtype)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "zero points differ in type from their inputs");
        clo_onnx_set_out(p, 0, p->in[7]->dtype, &out);
    } else {
        CLO_TRY(per(p, 2, CLO_T_Q8, q->d.M, 1));
        CLO_TRY(per(p, 3, CLO_T_Q8, q->d.N, 1));
        clo_onnx_set_out(p, 0, CLO_ONNX_INT32, &out);
    }
    size_t M = q->d.M, N = q->d.N, K = q->d.K;
    const clo_tensor *B = p->in[ib];
    if (B->data && !q->d.bbatch.rank && K <= CLO_I8_MAX_K) {
        /* constant weights: packed now, K padded to 4 with rows of 0 */
        size_t K4 = clo_i8_k4(K);
        const clo_tensor *bzp = p->nin > ib + 2 ? p->in[ib + 2] : NULL;
        CLO_TRY(qpack_init(p, &q->w, K4, N, 1, p->in[ia]->dtype, B->dtype));
        uint8_t *tmp = malloc(K4 * N + 1);
        q->off = clo_onnx_prep_alloc(p, M * sizeof(int32_t) + 1);
        if (!tmp || !q->off) {
            free(tmp);
            return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        }
        memcpy(tmp, B->data, K * N);
        memset(tmp + K * N, q->w.bflip, (K4 - K) * N);
        qpack_group(&q->w, 0, 0, N, tmp, bzp);
        free(tmp);
        for (size_t r = 0; r < M; r++) q->off[r] = (int32_t)(r * K4);
        /* A's copy, its zero points and row sums, the sums */
        p->scratch = M * K4 + (2 * M + M * N + N) * sizeof(int32_t) + 320;
        return CLO_OK;
    }
    p->scratch = (M * K + K * N) * sizeof(int16_t) + 64 + (qlinear ? M * N * sizeof(int32_t) : 0);
    return CLO_OK;
}

/* Output element (i, j) of batch matrix k from its exact sum v. */
static void qmm_put(const clo_onnx_exec *x, const qmm_params *q, uint64_t k, size_t i, size_t j,
                    int32_t v)
{
    size_t M = q->d.M, N = q->d.N;
    if (!q->qlinear) {
        ((int32_t *)x->out[0]->data)[k * M * N + i * N + j] = v;
        return;
    }
    float y = f_at(x->in[6], 0), z = (float)q_at(x->in[7], 0);
    float s = f_at(x->in[1], i) * f_at(x->in[4], j) / y;
    q_put(x->out[0], k * M * N + i * N + j,
          saturate(x->out[0]->dtype, nearbyintf((float)v * s) + z));
}

/* Constant B: each batch matrix of A copied as the products read it (its
 * bytes flipped, rows padded to K4 with their zero point), times the
 * packed B. */
static clo_err qmm_run_packed(const clo_onnx_exec *x)
{
    const qmm_params *q = x->params;
    size_t M = q->d.M, N = q->d.N, K = q->d.K, K4 = q->w.K;
    const clo_tensor *A = x->in[0], *azp = x->nin > 2 ? x->in[2] : NULL;
    uint8_t *at = x->scratch;
    uint8_t *ac = carve(&at, M * K4);
    int32_t *za = carve(&at, M * sizeof(int32_t)), *rowsum = carve(&at, M * sizeof(int32_t));
    int32_t *c = carve(&at, M * N * sizeof(int32_t)), *colk = carve(&at, N * sizeof(int32_t));
    uint8_t f = q->w.aflip;
    for (size_t r = 0; r < M; r++)
        za[r] = (uint8_t)((uint8_t)(azp ? q_at(azp, azp->count == 1 ? 0 : r) : 0) ^ f);
    uint64_t nb = (uint64_t)prod_dims(&q->d.obatch, 0, q->d.obatch.rank);
    for (uint64_t k = 0; k < nb; k++) {
        const uint8_t *a = (const uint8_t *)A->data + (q->a_off ? q->a_off[k] : 0) * M * K;
        for (size_t r = 0; r < M; r++) {
            uint8_t *o = ac + r * K4;
            int32_t sum = 0;
            for (size_t j = 0; j < K; j++) sum += o[j] = a[r * K + j] ^ f;
            memset(o + K, za[r], K4 - K);
            rowsum[r] = sum + (int32_t)(K4 - K) * za[r];
        }
        clo_i8_gemm(M, N, 1, K4, ac, q->off, NULL, q->w.pb, c, N, x->pool);
        qcorrect(&q->w, 0, M, N, c, N, za, rowsum, colk);
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) qmm_put(x, q, k, i, j, c[i * N + j]);
    }
    return CLO_OK;
}

static clo_err qmm_run(const clo_onnx_exec *x)
{
    const qmm_params *q = x->params;
    if (q->w.pb) return qmm_run_packed(x);
    const clo_matmul_dims *d = &q->d;
    size_t M = d->M, N = d->N, K = d->K;
    const clo_tensor *A = x->in[0], *B = x->in[q->qlinear ? 3 : 1];
    const clo_tensor *azp = x->nin > 2 ? x->in[2] : NULL;
    const clo_tensor *bzp = q->qlinear ? x->in[5] : (x->nin > 3 ? x->in[3] : NULL);
    int16_t *a16 = x->scratch, *b16 = a16 + M * K;
    int32_t *acc = (int32_t *)(void *)((uint8_t *)x->scratch +
                                       ((M * K + K * N) * sizeof(int16_t) + 63) / 64 * 64);
    uint64_t nb = (uint64_t)prod_dims(&d->obatch, 0, d->obatch.rank);
    for (uint64_t k = 0; k < nb; k++) {
        size_t ao = q->a_off ? q->a_off[k] : 0, bo = q->b_off ? q->b_off[k] : 0;
        widen(A, ao * M * K, M, K, azp, 0, a16);
        widen(B, bo * K * N, K, N, bzp, 1, b16);
        int32_t *c = q->qlinear ? acc : (int32_t *)x->out[0]->data + k * M * N;
        igemm(M, N, K, a16, b16, c);
        if (!q->qlinear) continue;
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) qmm_put(x, q, k, i, j, c[i * N + j]);
    }
    return CLO_OK;
}

static clo_err mmi_prepare(clo_onnx_prep *p)
{
    return qmm_prepare_common(p, 0);
}
static clo_err qlmm_prepare(clo_onnx_prep *p)
{
    return qmm_prepare_common(p, 1);
}

static const clo_onnx_op op_matmulinteger = {"", "MatMulInteger",    10,          2,      4, 1, 1,
                                             "", sizeof(qmm_params), mmi_prepare, qmm_run};
static const clo_onnx_op op_qlinearmatmul = {"", "QLinearMatMul",    10,           8,      8, 1, 1,
                                             "", sizeof(qmm_params), qlmm_prepare, qmm_run};

/* ======================= ConvInteger, QLinearConv ======================= */
typedef struct {
    clo_conv_geom g;
    uint64_t n, c, m, group, kvol, ovol, ivol;
    int qlinear;  /* x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B */
    qpacked w;    /* constant W: packed per group (B = W^T, rows tap by tap); else NULL */
    uint64_t c4;  /* channels per group, padded to 4: a pixel's bytes in the NHWC copy */
    int32_t *off; /* per output position and tap: its pixel's offset in the copy (-1: a pad) */
    int in_nhwc;  /* X is the NHWC output of a chained QLinearConv: read in place */
    int out_nhwc; /* Y is read only by chained QLinearConvs: written NHWC */
} qconv_params;

/* Every output position's pixel offset for every tap, in the NHWC copy
 * (qconv_params.off). */
static clo_err tap_offsets(clo_onnx_prep *p, qconv_params *q)
{
    const clo_conv_geom *g = &q->g;
    if (q->ovol * q->kvol > ((uint64_t)1 << 26) || q->ivol * q->c4 > INT32_MAX - q->c4)
        return clo_onnx_refuse(p, CLO_E_LIMIT, "the convolution's tap table is too large");
    q->off = clo_onnx_prep_alloc(p, q->ovol * q->kvol * sizeof(int32_t) + 1);
    if (!q->off) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
    for (uint64_t n = 0; n < q->ovol; n++) {
        int64_t ow = (int64_t)(n % (uint64_t)g->out[2]), orow = (int64_t)(n / (uint64_t)g->out[2]),
                oh = orow % g->out[1], od = orow / g->out[1];
        for (uint64_t kk = 0; kk < q->kvol; kk++) {
            int64_t kw = (int64_t)(kk % (uint64_t)g->k[2]),
                    kh = (int64_t)((kk / (uint64_t)g->k[2]) % (uint64_t)g->k[1]),
                    kd = (int64_t)(kk / (uint64_t)(g->k[2] * g->k[1]));
            int64_t id = od * g->s[0] - g->pb[0] + kd * g->d[0],
                    ih = oh * g->s[1] - g->pb[1] + kh * g->d[1],
                    iw = ow * g->s[2] - g->pb[2] + kw * g->d[2];
            int inside =
                id >= 0 && id < g->in[0] && ih >= 0 && ih < g->in[1] && iw >= 0 && iw < g->in[2];
            q->off[n * q->kvol + kk] =
                inside ? (int32_t)((uint64_t)((id * g->in[1] + ih) * g->in[2] + iw) * q->c4) : -1;
        }
    }
    return CLO_OK;
}

static clo_err qconv_prepare_common(clo_onnx_prep *p, int qlinear)
{
    qconv_params *q = p->params;
    q->qlinear = qlinear;
    size_t ix = 0, iw = qlinear ? 3 : 1;
    CLO_TRY(clo_onnx_need(p, ix, CLO_T_Q8));
    CLO_TRY(clo_onnx_need(p, iw, CLO_T_Q8));
    const clo_shape *x = &p->in[ix]->shape, *w = &p->in[iw]->shape;
    int64_t group, ks[3];
    int nk;
    CLO_TRY(clo_onnx_attr_int(p, "group", 1, &group));
    CLO_TRY(clo_onnx_attr_ints(p, "kernel_shape", ks, 3, &nk));
    if (w->rank != x->rank) return clo_onnx_refuse(p, CLO_E_FORMAT, "W and X differ in rank");
    CLO_TRY(clo_conv_geom_read(p, x, &w->d[2], 0, &q->g));
    if (group < 1 || x->d[1] % group || w->d[0] % group || w->d[1] * group != x->d[1])
        return clo_onnx_refuse(p, CLO_E_FORMAT, "channels do not fit group %lld", (long long)group);
    q->n = (uint64_t)x->d[0];
    q->c = (uint64_t)x->d[1];
    q->m = (uint64_t)w->d[0];
    q->group = (uint64_t)group;
    q->kvol = (uint64_t)(q->g.k[0] * q->g.k[1] * q->g.k[2]);
    q->ovol = (uint64_t)(q->g.out[0] * q->g.out[1] * q->g.out[2]);
    q->ivol = (uint64_t)(q->g.in[0] * q->g.in[1] * q->g.in[2]);
    clo_shape out = {x->rank, {x->d[0], w->d[0]}};
    for (uint32_t i = 0; i < q->g.S; i++) out.d[2 + i] = q->g.out[3 - q->g.S + i];
    if (qlinear) {
        CLO_TRY(per(p, 1, CLO_T_FLOAT, 1, 0));
        CLO_TRY(per(p, 2, CLO_T_Q8, 1, 0));
        CLO_TRY(per(p, 4, CLO_T_FLOAT, q->m, 0));
        CLO_TRY(per(p, 5, CLO_T_Q8, q->m, 0));
        CLO_TRY(per(p, 6, CLO_T_FLOAT, 1, 0));
        CLO_TRY(per(p, 7, CLO_T_Q8, 1, 0));
        if (p->nin > 8 && p->in[8]) {
            static const int32_t i32[] = {CLO_ONNX_INT32, 0};
            CLO_TRY(clo_onnx_need(p, 8, i32));
            if (p->in[8]->count != q->m)
                return clo_onnx_refuse(p, CLO_E_FORMAT, "B must have one value per output channel");
        }
        clo_onnx_set_out(p, 0, p->in[7]->dtype, &out);
    } else {
        CLO_TRY(per(p, 2, CLO_T_Q8, 1, 1));
        CLO_TRY(per(p, 3, CLO_T_Q8, q->m, 1));
        clo_onnx_set_out(p, 0, CLO_ONNX_INT32, &out);
    }
    uint64_t cg = q->c / q->group, kdim = cg * q->kvol, mg = q->m / q->group;
    if (kdim * q->ovol > CLO_ONNX_MAX_ELEMS)
        return clo_onnx_refuse(p, CLO_E_LIMIT, "the column matrix is too large");
    const clo_tensor *W = p->in[iw];
    q->c4 = clo_i8_k4(cg);
    if (W->data && q->kvol * q->c4 <= CLO_I8_MAX_K && q->kvol <= 4096) {
        /* constant weights: packed now, per group, as B (taps x c4 rows, mg
         * columns); the input is copied to NHWC and read tap by tap */
        size_t K = (size_t)(q->kvol * q->c4);
        const clo_tensor *wzp = p->nin > iw + 2 ? p->in[iw + 2] : NULL;
        CLO_TRY(qpack_init(p, &q->w, K, q->m, q->group, p->in[ix]->dtype, W->dtype));
        uint8_t *tmp = malloc(K * mg + 1);
        if (!tmp) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        const uint8_t *wb = W->data;
        for (uint64_t gi = 0; gi < q->group; gi++) {
            memset(tmp, q->w.bflip, K * mg); /* the padded channels pack as 0 */
            for (uint64_t m = 0; m < mg; m++)
                for (uint64_t c = 0; c < cg; c++)
                    for (uint64_t t = 0; t < q->kvol; t++)
                        tmp[(t * q->c4 + c) * mg + m] = wb[((gi * mg + m) * cg + c) * q->kvol + t];
            qpack_group(&q->w, gi, gi * mg, mg, tmp, wzp);
        }
        free(tmp);
        CLO_TRY(tap_offsets(p, q));
        /* the NHWC copy and its pad pixel, pixel sums, sums, their transpose, row data */
        p->scratch = (q->ivol + 1) * q->c4 + (q->ivol + 1) * sizeof(int32_t) +
                     (2 * mg * q->ovol + 2 * q->ovol + 3 * mg) * sizeof(int32_t) + 640;
        return CLO_OK;
    }
    p->scratch = (cg * q->ivol + kdim * q->ovol + mg * kdim) * sizeof(int16_t) + 128 +
                 mg * q->ovol * sizeof(int32_t);
    return CLO_OK;
}

/* Output channel om's requantization: its scale x_scale w_scale / y_scale,
 * and its bias B (plus add, the correction folded into it: wrapping as the
 * sums do). */
static void chan_requant(const clo_onnx_exec *x, uint64_t om, int32_t add, float *s, int32_t *b)
{
    const clo_tensor *B = x->nin > 8 ? x->in[8] : NULL;
    *s = f_at(x->in[1], 0) * f_at(x->in[4], om) / f_at(x->in[6], 0);
    *b = (int32_t)((uint32_t)(B ? ((const int32_t *)B->data)[om] : 0) + (uint32_t)add);
}

/* Requantize group gi's sums c (mg x ovol, B added) into image n's output. */
static void qconv_out(const clo_onnx_exec *x, const qconv_params *q, uint64_t n, uint64_t gi,
                      const int32_t *c, const int32_t *badd)
{
    uint64_t mg = q->m / q->group;
    float yz = (float)q_at(x->in[7], 0), s;
    int is_signed = x->out[0]->dtype == CLO_ONNX_INT8;
    for (uint64_t m = 0; m < mg; m++) {
        uint64_t om = gi * mg + m;
        int32_t b;
        chan_requant(x, om, badd ? badd[m] : 0, &s, &b);
        requant(c + m * q->ovol, q->ovol, b, s, yz, is_signed,
                (uint8_t *)x->out[0]->data + (n * q->m + om) * q->ovol);
    }
}

/* Requantize sums laid out position by position (acc, P x mg, B and badd
 * added) into an NHWC output (P x m, this group's mg channels from gi *
 * mg): each row's channels have their own scales. */
static void qconv_out_nhwc(const clo_onnx_exec *x, const qconv_params *q, uint8_t *out, uint64_t gi,
                           const int32_t *acc, const int32_t *badd, float *sbuf, int32_t *bbuf)
{
    uint64_t mg = q->m / q->group;
    float yz = (float)q_at(x->in[7], 0);
    int is_signed = x->out[0]->dtype == CLO_ONNX_INT8;
    for (uint64_t m = 0; m < mg; m++)
        chan_requant(x, gi * mg + m, badd ? badd[m] : 0, &sbuf[m], &bbuf[m]);
    requant_rows(acc, q->ovol, mg, bbuf, sbuf, yz, is_signed, out + gi * mg, q->m);
}

/* Constant weights: each output position's row read tap by tap, through
 * the offsets, from the group's input in NHWC (a pixel's c4 channels
 * together, as the kernel reads them; a copy of the planes, flipped and
 * padded, unless X already is that: a chained convolution's output) or
 * from the pad pixel (x's zero point: a pad adds nothing), times the
 * packed W. The sums come out position by position: written NHWC for a
 * chained convolution, else turned back to channel planes. */
static clo_err qconv_run_packed(const clo_onnx_exec *x)
{
    const qconv_params *q = x->params;
    const clo_tensor *X = x->in[0], *xzp = x->nin > 2 ? x->in[2] : NULL;
    uint64_t cg = q->c / q->group, mg = q->m / q->group, P = q->ovol, c4 = q->c4;
    uint8_t *at = x->scratch;
    uint8_t *xh = q->in_nhwc ? NULL : carve(&at, q->ivol * c4), *pad = carve(&at, c4);
    int32_t *pixsum = carve(&at, (q->ivol + 1) * sizeof(int32_t));
    int32_t *acc = carve(&at, mg * P * sizeof(int32_t));
    int32_t *acct = q->out_nhwc ? NULL : carve(&at, mg * P * sizeof(int32_t));
    int32_t *za = carve(&at, P * sizeof(int32_t)), *rowsum = carve(&at, P * sizeof(int32_t));
    int32_t *colk = carve(&at, mg * sizeof(int32_t)), *bbuf = carve(&at, mg * sizeof(int32_t));
    float *sbuf = carve(&at, mg * sizeof(float));
    uint8_t f = q->w.aflip, z = (uint8_t)((uint8_t)(xzp ? q_at(xzp, 0) : 0) ^ f);
    memset(pad, z, c4);
    for (uint64_t i = 0; i < P; i++) za[i] = z;
    /* with no zero point in W the correction is the same for every row: it
     * joins the bias (the sums wrap alike, so the bits do not change) */
    int fold = q->qlinear && !q->w.zb_any;
    for (uint64_t n = 0; n < q->n; n++)
        for (uint64_t gi = 0; gi < q->group; gi++) {
            const uint8_t *xn = xh;
            if (q->in_nhwc) { /* group 1, unflipped bytes, c4 == c */
                xn = (const uint8_t *)X->data + n * q->ivol * c4;
            } else {
                const uint8_t *xg = (const uint8_t *)X->data + (n * q->c + gi * cg) * q->ivol;
                if (c4 != cg) memset(xh, z, q->ivol * c4);
                transpose(xg, q->ivol, xh, c4, cg, q->ivol, 1);
                if (f)
                    for (uint64_t i = 0; i < q->ivol; i++)
                        for (uint64_t c = 0; c < cg; c++) xh[i * c4 + c] ^= f;
            }
            if (q->w.zb_any) { /* the rows' sums of a': their taps' pixel sums */
                for (uint64_t i = 0; i <= q->ivol; i++) {
                    const uint8_t *px = i < q->ivol ? xn + i * c4 : pad;
                    int32_t sum = 0;
                    for (uint64_t c = 0; c < c4; c++) sum += px[c];
                    pixsum[i] = sum;
                }
                for (uint64_t i = 0; i < P; i++) {
                    int32_t sum = 0;
                    for (uint64_t t = 0; t < q->kvol; t++) {
                        int32_t o = q->off[i * q->kvol + t];
                        sum += pixsum[o < 0 ? q->ivol : (uint64_t)o / c4];
                    }
                    rowsum[i] = sum;
                }
            }
            const int8_t *pbg = q->w.pb + gi * clo_i8_packed_b_size(q->w.K, mg);
            if (fold && q->out_nhwc && q->kvol <= CLO_I8_MAX_SEG) {
                /* the bytes straight from the products: each sum requantized
                 * as the kernel stores it (the same rounding as below) */
                qcolumns(&q->w, gi * mg, mg, z, colk);
                int finite = 1;
                for (uint64_t m = 0; m < mg; m++) {
                    chan_requant(x, gi * mg + m, colk[m], &sbuf[m], &bbuf[m]);
                    finite &= isfinite(sbuf[m]) != 0;
                }
                if (finite) {
                    clo_i8_requant rq = {bbuf,
                                         sbuf,
                                         (float)q_at(x->in[7], 0),
                                         x->out[0]->dtype == CLO_ONNX_INT8,
                                         (uint8_t *)x->out[0]->data + n * P * q->m + gi * mg,
                                         q->m};
                    clo_i8_gemm_q(P, mg, q->kvol, c4, xn, q->off, pad, pbg, &rq, x->pool);
                    continue;
                }
            }
            clo_i8_gemm(P, mg, q->kvol, c4, xn, q->off, pad, pbg, acc, mg, x->pool);
            if (fold) /* the correction's one row, added to the bias below */
                qcolumns(&q->w, gi * mg, mg, z, colk);
            else
                qcorrect(&q->w, gi * mg, P, mg, acc, mg, za, rowsum, colk);
            if (q->out_nhwc) {
                qconv_out_nhwc(x, q, (uint8_t *)x->out[0]->data + n * P * q->m, gi, acc,
                               fold ? colk : NULL, sbuf, bbuf);
                continue;
            }
            transpose(acc, mg, acct, P, P, mg, 4);
            if (q->qlinear) {
                qconv_out(x, q, n, gi, acct, fold ? colk : NULL);
            } else {
                int32_t *o = (int32_t *)x->out[0]->data + (n * q->m + gi * mg) * P;
                memcpy(o, acct, mg * P * sizeof(int32_t));
            }
        }
    return CLO_OK;
}

int clo_onnx_qconv_chain_out(void *params, const clo_tensor *y, int set)
{
    qconv_params *q = params;
    int ok = q->w.pb && q->qlinear && q->group == 1 && y->dtype == CLO_ONNX_UINT8 && q->m % 4 == 0;
    if (ok && set) q->out_nhwc = 1;
    return ok;
}

int clo_onnx_qconv_chain_in(void *params, const clo_tensor *x, int set)
{
    qconv_params *q = params;
    int ok = q->w.pb && q->qlinear && q->group == 1 && x->dtype == CLO_ONNX_UINT8 && q->c4 == q->c;
    if (ok && set) q->in_nhwc = 1;
    return ok;
}

static clo_err qconv_run(const clo_onnx_exec *x)
{
    const qconv_params *q = x->params;
    if (q->w.pb) return qconv_run_packed(x);
    const clo_tensor *X = x->in[0], *W = x->in[q->qlinear ? 3 : 1];
    const clo_tensor *xzp = x->nin > 2 ? x->in[2] : NULL;
    const clo_tensor *wzp = q->qlinear ? x->in[5] : (x->nin > 3 ? x->in[3] : NULL);
    uint64_t cg = q->c / q->group, mg = q->m / q->group, kdim = cg * q->kvol;
    int16_t *xw = x->scratch, *col = xw + cg * q->ivol, *w16 = col + kdim * q->ovol;
    size_t used = (cg * q->ivol + kdim * q->ovol + mg * kdim) * sizeof(int16_t);
    int32_t *acc = (int32_t *)(void *)((uint8_t *)x->scratch + (used + 63) / 64 * 64);
    for (uint64_t n = 0; n < q->n; n++)
        for (uint64_t gi = 0; gi < q->group; gi++) {
            /* x less its zero point, so padding (0 in the column matrix) means x_zp */
            widen(X, (n * q->c + gi * cg) * q->ivol, 1, cg * q->ivol, xzp, 0, xw);
            clo_conv_im2col_i16(&q->g, xw, cg, col);
            for (uint64_t m = 0; m < mg; m++) {
                uint64_t om = gi * mg + m;
                int32_t z = wzp ? q_at(wzp, wzp->count == 1 ? 0 : om) : 0;
                for (uint64_t k = 0; k < kdim; k++)
                    w16[m * kdim + k] = (int16_t)(q_at(W, om * kdim + k) - z);
            }
            int32_t *c =
                q->qlinear ? acc : (int32_t *)x->out[0]->data + (n * q->m + gi * mg) * q->ovol;
            igemm(mg, q->ovol, kdim, w16, col, c);
            if (q->qlinear) qconv_out(x, q, n, gi, c, NULL);
        }
    return CLO_OK;
}

static clo_err convinteger_prepare(clo_onnx_prep *p)
{
    return qconv_prepare_common(p, 0);
}
static clo_err qlinearconv_prepare(clo_onnx_prep *p)
{
    return qconv_prepare_common(p, 1);
}

static const clo_onnx_op op_convinteger = {"",
                                           "ConvInteger",
                                           10,
                                           2,
                                           4,
                                           1,
                                           1,
                                           "auto_pad,dilations,group,kernel_shape,pads,strides",
                                           sizeof(qconv_params),
                                           convinteger_prepare,
                                           qconv_run};
static const clo_onnx_op op_qlinearconv = {"",
                                           "QLinearConv",
                                           10,
                                           8,
                                           9,
                                           1,
                                           1,
                                           "auto_pad,dilations,group,kernel_shape,pads,strides",
                                           sizeof(qconv_params),
                                           qlinearconv_prepare,
                                           qconv_run};

const clo_onnx_op *const clo_onnx_ops_quant[] = {
    &op_quantize,      &op_dequantize,  &op_dynq,        &op_matmulinteger,
    &op_qlinearmatmul, &op_convinteger, &op_qlinearconv, NULL,
};
