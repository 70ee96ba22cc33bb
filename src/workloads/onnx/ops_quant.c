/* ops_quant.c — quantized operators: QuantizeLinear, DequantizeLinear,
 * DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinearMatMul and
 * QLinearConv. Integer products accumulate exactly in int32 (int8/uint8
 * values less their zero points fit int16); requantization rounds half to
 * even and saturates, as the operators specify. */
#include <math.h>
#include <string.h>

#include "workloads/onnx/linalg.h"
#include "workloads/onnx/op.h"

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
    p->scratch = (M * K + K * N) * sizeof(int16_t) + 64 + (qlinear ? M * N * sizeof(int32_t) : 0);
    return CLO_OK;
}

static clo_err qmm_run(const clo_onnx_exec *x)
{
    const qmm_params *q = x->params;
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
        const clo_tensor *as = x->in[1], *bs = x->in[4], *ys = x->in[6], *yz = x->in[7];
        float y = f_at(ys, 0), z = (float)q_at(yz, 0);
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                float s = f_at(as, i) * f_at(bs, j) / y;
                q_put(x->out[0], k * M * N + i * N + j,
                      saturate(x->out[0]->dtype, nearbyintf((float)c[i * N + j] * s) + z));
            }
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
    int qlinear; /* x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B */
} qconv_params;

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
    p->scratch = (cg * q->ivol + kdim * q->ovol + mg * kdim) * sizeof(int16_t) + 128 +
                 mg * q->ovol * sizeof(int32_t);
    return CLO_OK;
}

static clo_err qconv_run(const clo_onnx_exec *x)
{
    const qconv_params *q = x->params;
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
            if (!q->qlinear) continue;
            const clo_tensor *B = x->nin > 8 ? x->in[8] : NULL;
            float xs = f_at(x->in[1], 0), ys = f_at(x->in[6], 0), yz = (float)q_at(x->in[7], 0);
            for (uint64_t m = 0; m < mg; m++) {
                uint64_t om = gi * mg + m;
                float s = xs * f_at(x->in[4], om) / ys;
                int32_t b = B ? ((const int32_t *)B->data)[om] : 0;
                for (uint64_t i = 0; i < q->ovol; i++)
                    q_put(x->out[0], (n * q->m + om) * q->ovol + i,
                          saturate(x->out[0]->dtype,
                                   nearbyintf((float)(c[m * q->ovol + i] + b) * s) + yz));
            }
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
