/* ops_conv.c — convolution (im2col into gemm.c; 1x1 convolutions with unit
 * strides read the input directly; depthwise ones run direct loops), max and average pooling, and
 * the global pools. One window geometry serves them all: up to three spatial dims, with explicit
 * pads or auto_pad, strides, dilations and ceil_mode. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "workloads/onnx/linalg.h"
#include "workloads/onnx/gemm.h"
#include "workloads/onnx/op.h"
#include "workloads/onnx/plan_impl.h"

static int64_t ceil_div(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

clo_err clo_conv_geom_read(clo_onnx_prep *p, const clo_shape *x, const int64_t *kernel, int pool,
                           clo_conv_geom *g)
{
    memset(g, 0, sizeof *g);
    if (x->rank < 3 || x->rank > 5)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                               "input rank %u (1 to 3 spatial dims are supported)", x->rank);
    uint32_t S = x->rank - 2;
    g->S = S;
    int64_t pads[6], strides[3], dil[3], ceil_mode = 0;
    int np, ns, nd;
    CLO_TRY(clo_onnx_attr_ints(p, "pads", pads, 6, &np));
    CLO_TRY(clo_onnx_attr_ints(p, "strides", strides, 3, &ns));
    CLO_TRY(clo_onnx_attr_ints(p, "dilations", dil, 3, &nd));
    if (pool) CLO_TRY(clo_onnx_attr_int(p, "ceil_mode", 0, &ceil_mode));
    clo_bytes ap;
    CLO_TRY(clo_onnx_attr_str(p, "auto_pad", "NOTSET", &ap));
    if ((np >= 0 && np != (int)(2 * S)) || (ns >= 0 && ns != (int)S) || (nd >= 0 && nd != (int)S))
        return clo_onnx_refuse(p, CLO_E_FORMAT,
                               "pads, strides or dilations do not match %u spatial dims", S);
    int same_upper = clo_bytes_eq(ap, clo_bytes_str("SAME_UPPER"));
    int same_lower = clo_bytes_eq(ap, clo_bytes_str("SAME_LOWER"));
    int valid = clo_bytes_eq(ap, clo_bytes_str("VALID"));
    if (!same_upper && !same_lower && !valid && !clo_bytes_eq(ap, clo_bytes_str("NOTSET")))
        return clo_onnx_refuse(p, CLO_E_FORMAT, "unknown auto_pad");
    for (uint32_t i = 0; i < 3; i++) {
        g->in[i] = g->out[i] = g->k[i] = g->s[i] = g->d[i] = 1;
        g->pb[i] = g->pe[i] = 0;
    }
    for (uint32_t i = 0; i < S; i++) {
        int64_t in = x->d[2 + i], k = kernel[i], s = ns >= 0 ? strides[i] : 1,
                d = nd >= 0 ? dil[i] : 1;
        if (k < 1 || s < 1 || d < 1)
            return clo_onnx_refuse(p, CLO_E_FORMAT,
                                   "kernel, strides and dilations must be positive");
        int64_t ext = (k - 1) * d + 1, pb = np >= 0 ? pads[i] : 0, pe = np >= 0 ? pads[i + S] : 0,
                out;
        if (p->pads_add) pb += p->pads_add[i], pe += p->pads_add[i + S];
        if (pb < 0 || pe < 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "negative pads");
        if (same_upper || same_lower) {
            out = ceil_div(in, s);
            int64_t total = (out - 1) * s + ext - in;
            if (total < 0) total = 0;
            pb = same_upper ? total / 2 : total - total / 2;
            pe = total - pb;
        } else if (valid) {
            pb = pe = 0;
            out = in >= ext ? (in - ext) / s + 1 : 0;
        } else {
            int64_t span = in + pb + pe - ext;
            if (span < 0)
                return clo_onnx_refuse(p, CLO_E_FORMAT,
                                       "the kernel is larger than the padded input");
            out = (ceil_mode ? ceil_div(span, s) : span / s) + 1;
            /* a last window that would start in the end padding is dropped */
            if (ceil_mode && (out - 1) * s >= in + pb) out--;
        }
        uint32_t j = 3 - S + i; /* right-aligned: the last dim is contiguous */
        g->in[j] = in;
        g->out[j] = out;
        g->k[j] = k;
        g->s[j] = s;
        g->d[j] = d;
        g->pb[j] = pb;
        g->pe[j] = pe;
    }
    return CLO_OK;
}

/* ======================= Conv ======================= */
typedef struct {
    clo_conv_geom g;
    uint64_t n, c, m, group, kvol, ovol, ivol;
    int direct;             /* 1x1, unit strides, no pads: the input is its own column matrix */
    int depthwise;          /* one input and one output channel per group: direct loops */
    const float *packed_w;  /* constant weights packed once, group after group */
    size_t packed_w_stride; /* floats per group */
    size_t per_part;        /* floats of GEMM scratch per thread */
    uint64_t padded;        /* depthwise: floats of a zero-padded input plane, or 0 */
    uint64_t block;         /* output positions per column-matrix block */
    const int64_t *taps;    /* implicit: where each column-matrix row reads the padded input */
    uint64_t pplane;        /* implicit: floats of one padded input plane */
    clo_onnx_epilogue epi;  /* a fused tail: residual, activation (fuse.c) */
} conv_params;

int clo_onnx_conv_epilogue(void *params, const clo_onnx_epilogue *e)
{
    conv_params *cp = params;
    if (e->res) { /* first: the activation comes after it */
        if (cp->epi.res || cp->epi.act) return 0;
        cp->epi.res = 1;
        return 1;
    }
    if (cp->epi.act || e->act == CLO_EPI_NONE) return 0;
    cp->epi.act = e->act;
    cp->epi.lo = e->lo;
    cp->epi.hi = e->hi;
    cp->epi.hs = e->hs;
    return 1;
}

/* The tail on n outputs y (r: the residual's, or NULL): the Add, then the
 * Relu, Clip or HardSwish, each as its own step computes it. */
static void epilogue(const clo_onnx_epilogue *e, float *y, const float *r, uint64_t n)
{
    if (r)
        for (uint64_t i = 0; i < n; i++) y[i] = y[i] + r[i];
    switch (e->act) {
    case CLO_EPI_RELU:
        for (uint64_t i = 0; i < n; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
        break;
    case CLO_EPI_CLIP: {
        const float lo = e->lo, hi = e->hi;
        for (uint64_t i = 0; i < n; i++) {
            float v = y[i] < lo ? lo : y[i];
            y[i] = v > hi ? hi : v;
        }
        break;
    }
    case CLO_EPI_HSWISH: clo_onnx_hswish(y, y, n, &e->hs); break;
    default: break;
    }
}

static int has_epilogue(const conv_params *cp)
{
    return cp->epi.res || cp->epi.act;
}

#define DW_PADDED_MAX (1u << 20) /* floats; larger planes take the edges tap by tap */
#define IMPLICIT_MAX  (1u << 23) /* floats of a padded input read in place; else im2col */

/* Columns [p0, p1) of the column-matrix row of one input channel plane x and
 * one kernel position (kd, kh, kw), into out[0 .. p1 - p0); pads read as 0. */
static void im2col_span(const clo_conv_geom *g, const float *x, int64_t kd, int64_t kh, int64_t kw,
                        uint64_t p0, uint64_t p1, float *out)
{
    int64_t ow_n = g->out[2], iw0 = -g->pb[2] + kw * g->d[2], sw = g->s[2];
    /* outputs of a row whose input column is inside: [lo, hi) */
    int64_t lo = iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw;
    int64_t hi = g->in[2] - iw0 <= 0 ? 0 : (g->in[2] - iw0 + sw - 1) / sw;
    if (hi > ow_n) hi = ow_n;
    if (lo > hi) lo = hi;
    uint64_t p = p0;
    while (p < p1) {
        int64_t ow = (int64_t)(p % (uint64_t)ow_n), orow = (int64_t)(p / (uint64_t)ow_n);
        int64_t oh = orow % g->out[1], od = orow / g->out[1];
        int64_t end = ow_n - ow < (int64_t)(p1 - p) ? ow_n : ow + (int64_t)(p1 - p);
        int64_t id = od * g->s[0] - g->pb[0] + kd * g->d[0];
        int64_t ih = oh * g->s[1] - g->pb[1] + kh * g->d[1];
        float *o = out + (p - p0) - ow; /* o[w] is output column w of this row */
        if (id < 0 || id >= g->in[0] || ih < 0 || ih >= g->in[1]) {
            memset(o + ow, 0, (size_t)(end - ow) * sizeof *o);
        } else {
            const float *row = x + (id * g->in[1] + ih) * g->in[2] + iw0;
            int64_t a = ow > lo ? ow : lo, b = end < hi ? end : hi;
            if (a > end) a = end;
            for (int64_t w = ow; w < a; w++) o[w] = 0.0f;
            if (sw == 1 && a < b)
                memcpy(o + a, row + a, (size_t)(b - a) * sizeof *o);
            else
                for (int64_t w = a; w < b; w++) o[w] = row[w * sw];
            for (int64_t w = b > a ? b : a; w < end; w++) o[w] = 0.0f;
        }
        p += (uint64_t)(end - ow);
    }
}

/* Columns [p0, p1) of the column matrix straight into the GEMM's packed B,
 * a row at a time through a row buffer: the column matrix is made a block of
 * output positions at a time, small enough to stay in cache while the GEMM
 * reads it, and is never written out whole. */
static void im2col_packed(const clo_conv_geom *g, const float *x, uint64_t channels, uint64_t p0,
                          uint64_t p1, float *row, float *packed)
{
    uint64_t kvol = (uint64_t)(g->k[0] * g->k[1] * g->k[2]), K = channels * kvol;
    uint64_t ivol = (uint64_t)(g->in[0] * g->in[1] * g->in[2]);
    for (uint64_t c = 0; c < channels; c++)
        for (uint64_t kk = 0; kk < kvol; kk++) {
            int64_t kw = (int64_t)(kk % (uint64_t)g->k[2]),
                    kh = (int64_t)((kk / (uint64_t)g->k[2]) % (uint64_t)g->k[1]),
                    kd = (int64_t)(kk / (uint64_t)(g->k[2] * g->k[1]));
            im2col_span(g, x + c * ivol, kd, kh, kw, p0, p1, row);
            clo_gemm_put_b_row(packed, (size_t)(p1 - p0), (size_t)K, (size_t)(c * kvol + kk), row);
        }
}

#define IM2COL(NAME, T)                                                                            \
    void NAME(const clo_conv_geom *g, const T *x, uint64_t channels, T *col)                       \
    {                                                                                              \
        uint64_t ovol = (uint64_t)(g->out[0] * g->out[1] * g->out[2]);                             \
        for (uint64_t c = 0; c < channels; c++) {                                                  \
            const T *xc = x + c * (uint64_t)(g->in[0] * g->in[1] * g->in[2]);                      \
            for (int64_t kd = 0; kd < g->k[0]; kd++)                                               \
                for (int64_t kh = 0; kh < g->k[1]; kh++)                                           \
                    for (int64_t kw = 0; kw < g->k[2]; kw++) {                                     \
                        T *o = col;                                                                \
                        col += ovol;                                                               \
                        for (int64_t od = 0; od < g->out[0]; od++) {                               \
                            int64_t id = od * g->s[0] - g->pb[0] + kd * g->d[0];                   \
                            for (int64_t oh = 0; oh < g->out[1]; oh++) {                           \
                                int64_t ih = oh * g->s[1] - g->pb[1] + kh * g->d[1];               \
                                if (id < 0 || id >= g->in[0] || ih < 0 || ih >= g->in[1]) {        \
                                    memset(o, 0, (size_t)g->out[2] * sizeof(T));                   \
                                    o += g->out[2];                                                \
                                    continue;                                                      \
                                }                                                                  \
                                const T *row = xc + (id * g->in[1] + ih) * g->in[2];               \
                                int64_t iw0 = -g->pb[2] + kw * g->d[2], sw = g->s[2],              \
                                        ow_n = g->out[2];                                          \
                                /* outputs whose input column is inside: [lo, hi) */               \
                                int64_t lo = iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw;                  \
                                int64_t hi =                                                       \
                                    g->in[2] - iw0 <= 0 ? 0 : (g->in[2] - iw0 + sw - 1) / sw;      \
                                if (hi > ow_n) hi = ow_n;                                          \
                                if (lo > hi) lo = hi;                                              \
                                for (int64_t ow = 0; ow < lo; ow++) o[ow] = (T)0;                  \
                                if (sw == 1)                                                       \
                                    memcpy(o + lo, row + iw0 + lo, (size_t)(hi - lo) * sizeof(T)); \
                                else                                                               \
                                    for (int64_t ow = lo; ow < hi; ow++)                           \
                                        o[ow] = row[iw0 + ow * sw];                                \
                                for (int64_t ow = hi; ow < ow_n; ow++) o[ow] = (T)0;               \
                                o += ow_n;                                                         \
                            }                                                                      \
                        }                                                                          \
                    }                                                                              \
        }                                                                                          \
    }

IM2COL(clo_conv_im2col_i16, int16_t)

static clo_err conv_prepare(clo_onnx_prep *p)
{
    conv_params *cp = p->params;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_FLOAT));
    const clo_shape *x = &p->in[0]->shape, *w = &p->in[1]->shape;
    int64_t group, ks[3];
    int nk;
    CLO_TRY(clo_onnx_attr_int(p, "group", 1, &group));
    CLO_TRY(clo_onnx_attr_ints(p, "kernel_shape", ks, 3, &nk));
    if (w->rank != x->rank) return clo_onnx_refuse(p, CLO_E_FORMAT, "W and X differ in rank");
    if (nk >= 0) {
        if ((uint32_t)nk != w->rank - 2)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "kernel_shape does not match W");
        for (int i = 0; i < nk; i++)
            if (ks[i] != w->d[2 + i])
                return clo_onnx_refuse(p, CLO_E_FORMAT, "kernel_shape does not match W");
    }
    CLO_TRY(clo_conv_geom_read(p, x, &w->d[2], 0, &cp->g));
    if (group < 1 || x->d[1] % group || w->d[0] % group || w->d[1] * group != x->d[1])
        return clo_onnx_refuse(
            p, CLO_E_FORMAT, "channels (%lld in, W %lld x %lld) do not fit group %lld",
            (long long)x->d[1], (long long)w->d[0], (long long)w->d[1], (long long)group);
    cp->n = (uint64_t)x->d[0];
    cp->c = (uint64_t)x->d[1];
    cp->m = (uint64_t)w->d[0];
    cp->group = (uint64_t)group;
    const clo_conv_geom *g = &cp->g;
    cp->kvol = (uint64_t)(g->k[0] * g->k[1] * g->k[2]);
    cp->ovol = (uint64_t)(g->out[0] * g->out[1] * g->out[2]);
    cp->ivol = (uint64_t)(g->in[0] * g->in[1] * g->in[2]);
    if (p->nin > 2 && p->in[2]) {
        CLO_TRY(clo_onnx_need(p, 2, CLO_T_FLOAT));
        if (p->in[2]->count != cp->m)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "B must have one value per output channel");
    }
    cp->depthwise = group > 1 && cp->group == cp->c && cp->m == cp->c;
    cp->direct = cp->kvol == 1;
    for (uint32_t i = 0; i < 3; i++) cp->direct &= g->s[i] == 1 && g->pb[i] == 0 && g->pe[i] == 0;
    uint64_t cg = cp->c / cp->group, kdim = cg * cp->kvol, mg = cp->m / cp->group;
    /* the column matrix a block of output positions at a time: about 2 MiB,
     * a multiple of the GEMM's 16-column panels */
    cp->block = (524288 / (kdim ? kdim : 1) + 15) / 16 * 16;
    if (cp->block < 16) cp->block = 16;
    if (cp->block > cp->ovol) cp->block = cp->ovol;
    uint64_t col =
        cp->direct || cp->depthwise ? 0 : clo_gemm_packed_size(cp->block, kdim) + cp->block;
    if (col > CLO_ONNX_MAX_ELEMS)
        return clo_onnx_refuse(p, CLO_E_LIMIT, "the column matrix is too large");
    /* each thread its own [column matrix block][row][GEMM scratch] */
    cp->per_part =
        (col + 16 + clo_gemm_scratch(mg, cp->direct ? cp->ovol : cp->block, kdim, !cp->direct) +
         15) /
        16 * 16;
    if (cp->depthwise) {
        /* a plane copied inside its pads (and 16 more columns, for the
         * vector loads' reach), so every output is made 8 at a time */
        cp->padded = (uint64_t)(g->in[0] + g->pb[0] + g->pe[0]) *
                     (uint64_t)(g->in[1] + g->pb[1] + g->pe[1]) *
                     (uint64_t)(g->in[2] + g->pb[2] + g->pe[2] + 16);
        if (cp->padded > DW_PADDED_MAX) cp->padded = 0;
        cp->per_part = (cp->padded + 15) / 16 * 16;
    }
    p->scratch = cp->per_part * p->threads * sizeof(float);
    if (p->in[1]->data && !cp->depthwise) {
        cp->packed_w_stride = clo_gemm_packed_a_size(mg, kdim);
        float *pw = clo_onnx_prep_alloc(p, cp->group * cp->packed_w_stride * sizeof(float));
        if (!pw) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        for (uint64_t gi = 0; gi < cp->group; gi++)
            clo_gemm_pack_a((const float *)p->in[1]->data + gi * mg * kdim, kdim, 0, 1.0f, mg, kdim,
                            pw + gi * cp->packed_w_stride);
        cp->packed_w = pw;
    }
    /* Unit strides and more than one tap, constant weights: the taps read
     * the input in place, copied inside its pads (clo_gemm_indirect), and
     * no column matrix is made (it copies the input once per tap). */
    int unit = g->s[0] == 1 && g->s[1] == 1 && g->s[2] == 1;
    uint64_t hp = (uint64_t)(g->in[1] + g->pb[1] + g->pe[1]),
             wp = (uint64_t)(g->in[2] + g->pb[2] + g->pe[2]);
    cp->pplane = (uint64_t)(g->in[0] + g->pb[0] + g->pe[0]) * hp * wp;
    if (cp->packed_w && unit && !cp->depthwise && !cp->direct &&
        cp->c * cp->pplane + 16 <= IMPLICIT_MAX) {
        int64_t *taps = clo_onnx_prep_alloc(p, kdim * sizeof *taps);
        if (!taps) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        for (uint64_t k = 0; k < kdim; k++) {
            uint64_t ci = k / cp->kvol, kk = k % cp->kvol;
            int64_t kw = (int64_t)(kk % (uint64_t)g->k[2]),
                    kh = (int64_t)(kk / (uint64_t)g->k[2] % (uint64_t)g->k[1]),
                    kd = (int64_t)(kk / (uint64_t)(g->k[2] * g->k[1]));
            taps[k] = (int64_t)(ci * cp->pplane) +
                      (kd * g->d[0] * (int64_t)hp + kh * g->d[1]) * (int64_t)wp + kw * g->d[2];
        }
        cp->taps = taps;
        p->scratch = (cp->c * cp->pplane + 16) * sizeof(float); /* read 16 floats at a time */
    }
    clo_shape out = {x->rank, {x->d[0], w->d[0]}};
    for (uint32_t i = 0; i < g->S; i++) out.d[2 + i] = g->out[3 - g->S + i];
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &out);
    return CLO_OK;
}

/* One plane of a depthwise convolution, y = b + sum over the taps of w x, the
 * taps in (kd, kh, kw) order for every output (the same sums as a GEMM row).
 * An output row at a time. Its interior, where every kw tap reads inside the
 * row, is made 8 outputs at a time with the sum in a register across all
 * the taps (one store per 8 outputs, not one per tap); the few outputs near
 * the edges take the taps one by one, skipping those outside (pads cost
 * nothing, as they add zero). */
typedef float dw_v8 __attribute__((vector_size(32)));
#ifndef __clang__
typedef int dw_i8 __attribute__((vector_size(32)));
#endif

#define DW_KMAX 16 /* kernel widths the interior path takes; wider: edges only */

CLO_CLONES static void depthwise_plane(const clo_conv_geom *g, const float *x, const float *w,
                                       float b, float *y)
{
    const int64_t sw = g->s[2], dw = g->d[2], kw_n = g->k[2], ow_n = g->out[2], iw_n = g->in[2];
    /* the interior [L, H): outputs whose every kw tap is inside the row */
    int64_t L = 0, H = ow_n;
    if (kw_n > DW_KMAX) H = 0;
    for (int64_t kw = 0; kw < kw_n; kw++) {
        int64_t iw0 = -g->pb[2] + kw * dw;
        int64_t lo = iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw;
        int64_t hi = iw_n - iw0 <= 0 ? 0 : (iw_n - iw0 + sw - 1) / sw;
        if (lo > L) L = lo;
        if (hi < H) H = hi;
    }
    if (L > H) L = H = 0;
    /* the stride-2 loads take 16 floats for 8 outputs: one past the last tap */
    if (sw == 2 && H > L && 2 * (H - 1) + (kw_n - 1) * dw - g->pb[2] + 1 >= iw_n) H--;
    if (H - L < 8) H = L; /* too narrow: the edge loop takes it all */
    for (int64_t od = 0; od < g->out[0]; od++)
        for (int64_t oh = 0; oh < g->out[1]; oh++) {
            float *o = y + (od * g->out[1] + oh) * ow_n;
            /* the input rows inside, in (kd, kh) order, and their weights */
            const float *rows[64], *wts[64];
            int nr = 0;
            for (int64_t kd = 0; kd < g->k[0]; kd++)
                for (int64_t kh = 0; kh < g->k[1]; kh++) {
                    int64_t id = od * g->s[0] - g->pb[0] + kd * g->d[0];
                    int64_t ih = oh * g->s[1] - g->pb[1] + kh * g->d[1];
                    if (id < 0 || id >= g->in[0] || ih < 0 || ih >= g->in[1]) continue;
                    if (nr == 64) goto general;
                    rows[nr] = x + (id * g->in[1] + ih) * iw_n - g->pb[2];
                    wts[nr++] = w + (kd * g->k[1] + kh) * kw_n;
                }
            int64_t ow4 = L;
            if (sw == 1) /* 32 outputs at a time, a weight broadcast once for 4 vectors */
                for (; ow4 + 32 <= H; ow4 += 32) {
                    dw_v8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
                    for (int r = 0; r < nr; r++) {
                        const float *in = rows[r] + ow4, *wr = wts[r];
                        for (int64_t kw = 0; kw < kw_n; kw++, in += dw) {
                            const float wv = wr[kw];
                            const dw_v8 w8 = {wv, wv, wv, wv, wv, wv, wv, wv};
                            dw_v8 x0, x1, x2, x3;
                            memcpy(&x0, in, sizeof x0);
                            memcpy(&x1, in + 8, sizeof x1);
                            memcpy(&x2, in + 16, sizeof x2);
                            memcpy(&x3, in + 24, sizeof x3);
                            a0 += w8 * x0;
                            a1 += w8 * x1;
                            a2 += w8 * x2;
                            a3 += w8 * x3;
                        }
                    }
                    if (b != 0.0f) {
                        const dw_v8 b8 = {b, b, b, b, b, b, b, b};
                        a0 += b8;
                        a1 += b8;
                        a2 += b8;
                        a3 += b8;
                    }
                    memcpy(o + ow4, &a0, sizeof a0);
                    memcpy(o + ow4 + 8, &a1, sizeof a1);
                    memcpy(o + ow4 + 16, &a2, sizeof a2);
                    memcpy(o + ow4 + 24, &a3, sizeof a3);
                }
            /* then 8 at a time; the last 8 overlap the ones before when the
             * rest is not a multiple of 8 (the same sums, stored twice) */
            for (int64_t ow0 = ow4; ow0 < H; ow0 += 8) {
                int64_t ow = ow0 + 8 <= H ? ow0 : H - 8;
                dw_v8 acc = {0};
                for (int r = 0; r < nr; r++) {
                    const float *in = rows[r] + ow * sw;
                    for (int64_t kw = 0; kw < kw_n; kw++) {
                        const float wv = wts[r][kw];
                        const dw_v8 wv8 = {wv, wv, wv, wv, wv, wv, wv, wv};
                        dw_v8 xv;
                        if (sw == 1) {
                            memcpy(&xv, in + kw * dw, sizeof xv);
                        } else if (sw == 2) {
                            dw_v8 a0, a1;
                            memcpy(&a0, in + kw * dw, sizeof a0);
                            memcpy(&a1, in + kw * dw + 8, sizeof a1);
#ifdef __clang__
                            xv = __builtin_shufflevector(a0, a1, 0, 2, 4, 6, 8, 10, 12, 14);
#else
                            xv = __builtin_shuffle(a0, a1, (dw_i8){0, 2, 4, 6, 8, 10, 12, 14});
#endif
                        } else {
                            for (int l = 0; l < 8; l++) xv[l] = in[kw * dw + l * sw];
                        }
                        acc += wv8 * xv;
                    }
                }
                if (b != 0.0f) acc += (dw_v8){b, b, b, b, b, b, b, b};
                memcpy(o + ow, &acc, sizeof acc);
            }
            for (int64_t ow = 0; ow < ow_n; ow++) {
                if (ow == L) ow = H;
                if (ow >= ow_n) break;
                float acc = 0.0f;
                for (int r = 0; r < nr; r++)
                    for (int64_t kw = 0; kw < kw_n; kw++) {
                        int64_t iw = ow * sw + kw * dw - g->pb[2];
                        if (iw >= 0 && iw < iw_n) acc += wts[r][kw] * rows[r][ow * sw + kw * dw];
                    }
                if (b != 0.0f) acc += b;
                o[ow] = acc;
            }
            continue;
        general: /* more than 64 kernel rows: the taps one by one */
            for (int64_t ow = 0; ow < ow_n; ow++) {
                float acc = 0.0f;
                const float *wt = w;
                for (int64_t kd = 0; kd < g->k[0]; kd++)
                    for (int64_t kh = 0; kh < g->k[1]; kh++, wt += kw_n) {
                        int64_t id = od * g->s[0] - g->pb[0] + kd * g->d[0];
                        int64_t ih = oh * g->s[1] - g->pb[1] + kh * g->d[1];
                        if (id < 0 || id >= g->in[0] || ih < 0 || ih >= g->in[1]) continue;
                        const float *row = x + (id * g->in[1] + ih) * iw_n;
                        for (int64_t kw = 0; kw < kw_n; kw++) {
                            int64_t iw = ow * sw + kw * dw - g->pb[2];
                            if (iw >= 0 && iw < iw_n) acc += wt[kw] * row[iw];
                        }
                    }
                if (b != 0.0f) acc += b;
                o[ow] = acc;
            }
        }
}

/* Plane x copied into pad inside its pads (zeros), its rows wp floats long
 * (at least the padded width); p gets the padded plane's geometry. */
static void pad_plane(const clo_conv_geom *g, const float *x, int64_t wp, float *pad,
                      clo_conv_geom *p)
{
    int64_t hp = g->in[1] + g->pb[1] + g->pe[1];
    *p = *g;
    p->in[0] = g->in[0] + g->pb[0] + g->pe[0];
    p->in[1] = hp;
    p->in[2] = wp;
    memset(p->pb, 0, sizeof p->pb);
    memset(p->pe, 0, sizeof p->pe);
    memset(pad, 0, (size_t)(p->in[0] * hp * wp) * sizeof *pad);
    for (int64_t d = 0; d < g->in[0]; d++)
        for (int64_t h = 0; h < g->in[1]; h++)
            memcpy(pad + ((d + g->pb[0]) * hp + h + g->pb[1]) * wp + g->pb[2],
                   x + (d * g->in[1] + h) * g->in[2], (size_t)g->in[2] * sizeof *x);
}

/* The plane copied inside its pads (rows 16 floats longer, for the vector
 * loads' reach), then convolved as if it had no pads: the same taps, plus
 * zero ones. */
static void depthwise_padded(const clo_conv_geom *g, const float *x, const float *w, float b,
                             float *y, float *pad)
{
    clo_conv_geom p;
    pad_plane(g, x, g->in[2] + g->pb[2] + g->pe[2] + 16, pad, &p);
    depthwise_plane(&p, pad, w, b, y);
}

typedef struct {
    const conv_params *cp;
    const float *X, *W, *B;
    float *Y, *scratch;
    const float *R; /* the fused residual, or NULL */
} dw_job;

static void depthwise_part(void *ctx, unsigned part, unsigned parts)
{
    const dw_job *j = ctx;
    const conv_params *cp = j->cp;
    uint64_t planes = cp->n * cp->c, p0 = planes * part / parts, p1 = planes * (part + 1) / parts;
    for (uint64_t pl = p0; pl < p1; pl++) {
        uint64_t c = pl % cp->c;
        const float *xp = j->X + pl * cp->ivol, *wp = j->W + c * cp->kvol;
        float b = j->B ? j->B[c] : 0.0f, *yp = j->Y + pl * cp->ovol;
        if (cp->padded)
            depthwise_padded(&cp->g, xp, wp, b, yp, j->scratch + part * cp->per_part);
        else
            depthwise_plane(&cp->g, xp, wp, b, yp);
        if (has_epilogue(cp)) epilogue(&cp->epi, yp, j->R ? j->R + pl * cp->ovol : NULL, cp->ovol);
    }
}

/* Output columns [c0, c1) of every output channel: the bias, then each
 * group's GEMM over those columns (the column matrix made block by block).
 * Every element's sums are the same whichever range holds it, so threads
 * that split the columns give the single thread's bits. */
static void conv_columns(const conv_params *cp, const float *X, const float *W, const float *B,
                         const float *R, float *Y, uint64_t c0, uint64_t c1, float *scratch)
{
    uint64_t cg = cp->c / cp->group, mg = cp->m / cp->group, kdim = cg * cp->kvol;
    const uint64_t ovol = cp->ovol; /* a local: the stores below cannot change it */
    float *col = scratch, *row = col + clo_gemm_packed_size(cp->block, kdim);
    float *gs = cp->direct ? scratch : row + (cp->block + 15) / 16 * 16;
    for (uint64_t n = 0; n < cp->n; n++) {
        for (uint64_t m = 0; m < cp->m; m++) {
            float *y = Y + (n * cp->m + m) * ovol, b = B ? B[m] : 0.0f;
            for (uint64_t i = c0; i < c1; i++) y[i] = b;
        }
        for (uint64_t gi = 0; gi < cp->group; gi++) {
            const float *xg = X + (n * cp->c + gi * cg) * cp->ivol;
            float *yg = Y + (n * cp->m + gi * mg) * ovol;
            clo_gemm_args ga = {mg,
                                c1 - c0,
                                kdim,
                                0,
                                0,
                                1.0f,
                                W + gi * mg * kdim,
                                kdim,
                                xg + c0,
                                ovol,
                                NULL,
                                yg + c0,
                                ovol,
                                cp->packed_w ? cp->packed_w + gi * cp->packed_w_stride : NULL};
            if (cp->direct) {
                clo_gemm(&ga, gs);
                continue;
            }
            for (uint64_t p0 = c0; p0 < c1; p0 += cp->block) {
                uint64_t p1 = p0 + cp->block < c1 ? p0 + cp->block : c1;
                im2col_packed(&cp->g, xg, cg, p0, p1, row, col);
                ga.N = p1 - p0;
                ga.packed_b = col;
                ga.c = yg + p0;
                clo_gemm(&ga, gs);
            }
        }
        if (has_epilogue(cp))
            for (uint64_t m = 0; m < cp->m; m++) {
                uint64_t at = (n * cp->m + m) * ovol + c0;
                epilogue(&cp->epi, Y + at, R ? R + at : NULL, c1 - c0);
            }
    }
}

typedef struct {
    const conv_params *cp;
    const float *X, *W, *B;
    float *Y, *scratch;
    const float *R;
} conv_job;

static void conv_part(void *ctx, unsigned part, unsigned parts)
{
    const conv_job *j = ctx;
    uint64_t ovol = j->cp->ovol;
    /* ranges on 16-column panel boundaries */
    uint64_t c0 = ovol * part / parts / 16 * 16, c1 = ovol * (part + 1) / parts / 16 * 16;
    if (part + 1 == parts) c1 = ovol;
    if (c0 < c1)
        conv_columns(j->cp, j->X, j->W, j->B, j->R, j->Y, c0, c1,
                     j->scratch + part * j->cp->per_part);
}

typedef struct {
    const conv_params *cp;
    float *pad;
    const float *B;
    float *Y;       /* batch n's */
    const float *X; /* batch n's */
    const float *R; /* batch n's fused residual, or NULL */
} implicit_job;

/* The input's channels copied inside their pads, a range per thread. */
static void pad_part(void *ctx, unsigned part, unsigned parts)
{
    const implicit_job *j = ctx;
    const conv_params *cp = j->cp;
    const clo_conv_geom *g = &cp->g;
    int64_t wp = g->in[2] + g->pb[2] + g->pe[2];
    clo_conv_geom pg;
    for (uint64_t c = cp->c * part / parts; c < cp->c * (part + 1) / parts; c++)
        pad_plane(g, j->X + c * cp->ivol, wp, j->pad + c * cp->pplane, &pg);
}

/* The output split over the threads in units of one row (od, oh) by one
 * 12-channel strip, in row-major order, so a thread takes whole rows except at
 * its ends (the row's input taps stay in its cache across the strips) and the
 * threads' shares differ by at most one strip (rows alone split 3 rows 1:2).
 * Each unit: the bias, then each group's product over the padded input. Each
 * element's sums are one thread's, the same for any split. */
static void implicit_part(void *ctx, unsigned part, unsigned parts)
{
    const implicit_job *j = ctx;
    const conv_params *cp = j->cp;
    const clo_conv_geom *g = &cp->g;
    uint64_t rows = (uint64_t)(g->out[0] * g->out[1]), wo = (uint64_t)g->out[2];
    uint64_t cg = cp->c / cp->group, mg = cp->m / cp->group, kdim = cg * cp->kvol;
    uint64_t hp = (uint64_t)(g->in[1] + g->pb[1] + g->pe[1]),
             wp = (uint64_t)(g->in[2] + g->pb[2] + g->pe[2]);
    uint64_t strips = (mg + 11) / 12, units = rows * strips;
    uint64_t u0 = units * part / parts, u1 = units * (part + 1) / parts;
    while (u0 < u1) {
        uint64_t r = u0 / strips, s0 = u0 % strips;
        uint64_t s1 = u1 - r * strips < strips ? u1 - r * strips : strips; /* this row's */
        uint64_t m0 = s0 * 12, m1 = s1 * 12 < mg ? s1 * 12 : mg;
        uint64_t od = r / (uint64_t)g->out[1], oh = r % (uint64_t)g->out[1];
        float *yr = j->Y + r * wo;
        for (uint64_t gi = 0; gi < cp->group; gi++) {
            for (uint64_t m = gi * mg + m0; m < gi * mg + m1; m++) {
                float b = j->B ? j->B[m] : 0.0f, *y = yr + m * cp->ovol;
                for (uint64_t i = 0; i < wo; i++) y[i] = b;
            }
            clo_gemm_indirect(mg, m0, m1, wo, kdim, cp->packed_w + gi * cp->packed_w_stride,
                              j->pad + gi * cg * cp->pplane + (od * hp + oh) * wp, cp->taps,
                              yr + gi * mg * cp->ovol, cp->ovol);
            if (has_epilogue(cp))
                for (uint64_t m = gi * mg + m0; m < gi * mg + m1; m++)
                    epilogue(&cp->epi, yr + m * cp->ovol,
                             j->R ? j->R + r * wo + m * cp->ovol : NULL, wo);
        }
        u0 = r * strips + s1;
    }
}

static clo_err conv_run(const clo_onnx_exec *x)
{
    const conv_params *cp = x->params;
    const float *X = x->in[0]->data, *W = x->in[1]->data;
    const float *B = x->nin > 2 && x->in[2] ? x->in[2]->data : NULL;
    float *Y = x->out[0]->data;
    const float *R = cp->epi.res ? x->in[3]->data : NULL;
    if (cp->depthwise) { /* planes split over the threads: each plane's sums are one thread's */
        dw_job j = {cp, X, W, B, Y, x->scratch, R};
        if (cp->n * cp->c * cp->kvol * cp->ovol < 200000) /* not worth a hand-off */
            depthwise_part(&j, 0, 1);
        else
            clo_pool_run(x->pool, depthwise_part, &j);
        return CLO_OK;
    }
    if (cp->taps) {
        float *pad = x->scratch;
        int split = cp->m * cp->ovol * cp->kvol * (cp->c / cp->group) >= 500000;
        memset(pad + cp->c * cp->pplane, 0, 16 * sizeof *pad);
        for (uint64_t n = 0; n < cp->n; n++) {
            implicit_job ij = {cp,
                               pad,
                               B,
                               Y + n * cp->m * cp->ovol,
                               X + n * cp->c * cp->ivol,
                               R ? R + n * cp->m * cp->ovol : NULL};
            if (!split) {
                pad_part(&ij, 0, 1);
                implicit_part(&ij, 0, 1);
            } else {
                clo_pool_run(x->pool, pad_part, &ij);
                clo_pool_run(x->pool, implicit_part, &ij);
            }
        }
        return CLO_OK;
    }
    conv_job j = {cp, X, W, B, Y, x->scratch, R};
    uint64_t macs = cp->n * cp->m * cp->ovol * cp->kvol * (cp->c / cp->group);
    if (macs < 500000) /* not worth a hand-off */
        conv_part(&j, 0, 1);
    else
        clo_pool_run(x->pool, conv_part, &j);
    return CLO_OK;
}

static const clo_onnx_op op_conv = {"",
                                    "Conv",
                                    1,
                                    2,
                                    3,
                                    1,
                                    1,
                                    "auto_pad,dilations,group,kernel_shape,pads,strides",
                                    sizeof(conv_params),
                                    conv_prepare,
                                    conv_run};

/* ======================= MaxPool, AveragePool ======================= */
typedef struct {
    clo_conv_geom g;
    uint64_t nc;
    int max, include_pad, col_major;
} pool_params;

static clo_err pool_prepare_kind(clo_onnx_prep *p, int max)
{
    pool_params *pp = p->params;
    pp->max = max;
    CLO_TRY(clo_onnx_need(p, 0, max ? CLO_T_NUM : CLO_T_FLOAT));
    if (max && p->in[0]->dtype != CLO_ONNX_FLOAT && p->in[0]->dtype != CLO_ONNX_INT8 &&
        p->in[0]->dtype != CLO_ONNX_UINT8)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "MaxPool of %s",
                               clo_tensor_type_name(p->in[0]->dtype));
    const clo_shape *x = &p->in[0]->shape;
    int64_t ks[3], cip, so;
    int nk;
    CLO_TRY(clo_onnx_attr_ints(p, "kernel_shape", ks, 3, &nk));
    if (nk < 0 || (uint32_t)nk + 2 != x->rank)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "kernel_shape must give every spatial dim");
    if (!max && clo_onnx_attr_get(p, "dilations")) {
        int64_t d[3];
        int nd;
        CLO_TRY(clo_onnx_attr_ints(p, "dilations", d, 3, &nd));
        for (int i = 0; i < nd; i++)
            if (d[i] != 1)
                return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "AveragePool dilations (opset 19)");
    }
    CLO_TRY(clo_conv_geom_read(p, x, ks, 1, &pp->g));
    CLO_TRY(clo_onnx_attr_int(p, "count_include_pad", 0, &cip));
    CLO_TRY(clo_onnx_attr_int(p, "storage_order", 0, &so));
    pp->include_pad = cip != 0;
    pp->col_major = so != 0;
    pp->nc = (uint64_t)(x->d[0] * x->d[1]);
    clo_shape out = *x;
    for (uint32_t i = 0; i < pp->g.S; i++) out.d[2 + i] = pp->g.out[3 - pp->g.S + i];
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    if (p->nout > 1) {
        if (!max) return clo_onnx_refuse(p, CLO_E_FORMAT, "AveragePool has one output");
        clo_onnx_set_out(p, 1, CLO_ONNX_INT64, &out);
    }
    return CLO_OK;
}

static float ldf(const clo_tensor *t, uint64_t i)
{
    switch (t->dtype) {
    case CLO_ONNX_INT8: return ((const int8_t *)t->data)[i];
    case CLO_ONNX_UINT8: return ((const uint8_t *)t->data)[i];
    default: return ((const float *)t->data)[i];
    }
}

/* The common case, float planes with no dilation and no Indices output:
 * window bounds clamped once per output row and column, no per-element
 * type dispatch. The same results as the general loop below. */
static void pool2d_float(const pool_params *pp, const float *X, float *Y)
{
    const clo_conv_geom *g = &pp->g;
    int64_t H = g->in[1], W = g->in[2], ivol = g->in[0] * H * W;
    if (pp->max && g->k[1] == 2 && g->k[2] == 2 && g->s[1] == 2 && g->s[2] == 2 && !g->pb[1] &&
        !g->pb[2] && g->out[1] * 2 <= H && g->out[2] * 2 <= W) {
        /* 2x2, stride 2, inside the plane: the classic CNN downsampling */
        for (uint64_t nc = 0; nc < pp->nc; nc++) {
            const float *plane = X + nc * (uint64_t)ivol;
            for (int64_t oh = 0; oh < g->out[1]; oh++, Y += g->out[2]) {
                const float *r0 = plane + 2 * oh * W, *r1 = r0 + W;
                for (int64_t ow = 0; ow < g->out[2]; ow++) {
                    float a = r0[2 * ow] > r0[2 * ow + 1] ? r0[2 * ow] : r0[2 * ow + 1];
                    float b = r1[2 * ow] > r1[2 * ow + 1] ? r1[2 * ow] : r1[2 * ow + 1];
                    Y[ow] = a > b ? a : b;
                }
            }
        }
        return;
    }
    for (uint64_t nc = 0; nc < pp->nc; nc++) {
        const float *plane = X + nc * (uint64_t)ivol;
        for (int64_t oh = 0; oh < g->out[1]; oh++) {
            int64_t h0 = oh * g->s[1] - g->pb[1], h1 = h0 + g->k[1];
            int64_t hp = (h1 < H + g->pe[1] ? h1 : H + g->pe[1]) - h0; /* padded extent */
            int64_t hs = h0 < 0 ? 0 : h0, he = h1 < H ? h1 : H;
            for (int64_t ow = 0; ow < g->out[2]; ow++) {
                int64_t w0 = ow * g->s[2] - g->pb[2], w1 = w0 + g->k[2];
                int64_t wp = (w1 < W + g->pe[2] ? w1 : W + g->pe[2]) - w0;
                int64_t ws = w0 < 0 ? 0 : w0, we = w1 < W ? w1 : W;
                float best = -INFINITY, sum = 0.0f;
                for (int64_t h = hs; h < he; h++) {
                    const float *r = plane + h * W;
                    if (pp->max)
                        for (int64_t w = ws; w < we; w++) best = r[w] > best ? r[w] : best;
                    else
                        for (int64_t w = ws; w < we; w++) sum += r[w];
                }
                int64_t cnt = (he - hs) * (we - ws);
                if (pp->max)
                    *Y++ = cnt ? best : -INFINITY;
                else
                    *Y++ = (pp->include_pad ? hp * wp : cnt)
                               ? sum / (float)(pp->include_pad ? hp * wp : cnt)
                               : 0.0f;
            }
        }
    }
}

static clo_err pool_run(const clo_onnx_exec *x)
{
    const pool_params *pp = x->params;
    const clo_conv_geom *g = &pp->g;
    const clo_tensor *X = x->in[0];
    clo_tensor *Yt = x->out[0];
    int64_t *I = x->nout > 1 && x->out[1] ? x->out[1]->data : NULL;
    if (!I && X->dtype == CLO_ONNX_FLOAT && g->in[0] == 1 && g->d[1] == 1 && g->d[2] == 1) {
        pool2d_float(pp, X->data, Yt->data);
        return CLO_OK;
    }
    uint64_t ivol = (uint64_t)(g->in[0] * g->in[1] * g->in[2]), k = 0;
    for (uint64_t nc = 0; nc < pp->nc; nc++)
        for (int64_t od = 0; od < g->out[0]; od++)
            for (int64_t oh = 0; oh < g->out[1]; oh++)
                for (int64_t ow = 0; ow < g->out[2]; ow++, k++) {
                    int64_t o[3] = {od, oh, ow}, lo[3], hi[3];
                    uint64_t size = 1;
                    for (int i = 0; i < 3; i++) {
                        lo[i] = o[i] * g->s[i] - g->pb[i];
                        int64_t end = lo[i] + (g->k[i] - 1) * g->d[i] + 1;
                        int64_t pend = end < g->in[i] + g->pe[i] ? end : g->in[i] + g->pe[i];
                        size *= (uint64_t)(pend - lo[i]);
                        hi[i] = end;
                    }
                    float best = -INFINITY;
                    double sum = 0;
                    uint64_t cnt = 0, arg = 0;
                    for (int64_t a = lo[0]; a < hi[0]; a += g->d[0]) {
                        if (a < 0 || a >= g->in[0]) continue;
                        for (int64_t b = lo[1]; b < hi[1]; b += g->d[1]) {
                            if (b < 0 || b >= g->in[1]) continue;
                            for (int64_t c = lo[2]; c < hi[2]; c += g->d[2]) {
                                if (c < 0 || c >= g->in[2]) continue;
                                uint64_t idx = (uint64_t)((a * g->in[1] + b) * g->in[2] + c);
                                float v = ldf(X, nc * ivol + idx);
                                if (pp->max) {
                                    if (v > best || cnt == 0) {
                                        best = v;
                                        arg = idx;
                                    }
                                } else {
                                    sum += v;
                                }
                                cnt++;
                            }
                        }
                    }
                    if (pp->max) {
                        if (Yt->dtype == CLO_ONNX_FLOAT)
                            ((float *)Yt->data)[k] = best;
                        else if (Yt->dtype == CLO_ONNX_INT8)
                            ((int8_t *)Yt->data)[k] = (int8_t)best;
                        else
                            ((uint8_t *)Yt->data)[k] = (uint8_t)best;
                        if (I) {
                            if (pp->col_major) { /* the index with the spatial dims reversed */
                                uint64_t c = arg % (uint64_t)g->in[2], r = arg / (uint64_t)g->in[2];
                                uint64_t b = r % (uint64_t)g->in[1], a = r / (uint64_t)g->in[1];
                                arg = (c * (uint64_t)g->in[1] + b) * (uint64_t)g->in[0] + a;
                            }
                            I[k] = (int64_t)(nc * ivol + arg);
                        }
                    } else {
                        uint64_t div = pp->include_pad ? size : cnt;
                        ((float *)Yt->data)[k] = div ? (float)(sum / (double)div) : 0.0f;
                    }
                }
    return CLO_OK;
}

static clo_err maxpool_prepare(clo_onnx_prep *p)
{
    return pool_prepare_kind(p, 1);
}
static clo_err avgpool_prepare(clo_onnx_prep *p)
{
    return pool_prepare_kind(p, 0);
}

static const clo_onnx_op op_maxpool = {
    "",
    "MaxPool",
    1,
    1,
    1,
    1,
    2,
    "auto_pad,ceil_mode,dilations,kernel_shape,pads,storage_order,strides",
    sizeof(pool_params),
    maxpool_prepare,
    pool_run};
static const clo_onnx_op op_avgpool = {
    "",
    "AveragePool",
    1,
    1,
    1,
    1,
    1,
    "auto_pad,ceil_mode,count_include_pad,dilations,kernel_shape,pads,strides",
    sizeof(pool_params),
    avgpool_prepare,
    pool_run};

/* ======================= GlobalAveragePool, GlobalMaxPool ======================= */
typedef struct {
    uint64_t nc, vol;
    int max;
} gpool_params;

static clo_err gpool_prepare_kind(clo_onnx_prep *p, int max)
{
    gpool_params *gp = p->params;
    gp->max = max;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    const clo_shape *x = &p->in[0]->shape;
    if (x->rank < 3) return clo_onnx_refuse(p, CLO_E_FORMAT, "X must be N x C x D1 ...");
    gp->nc = (uint64_t)(x->d[0] * x->d[1]);
    gp->vol = 1;
    clo_shape out = *x;
    for (uint32_t i = 2; i < x->rank; i++) {
        gp->vol *= (uint64_t)x->d[i];
        out.d[i] = 1;
    }
    if (!gp->vol) return clo_onnx_refuse(p, CLO_E_FORMAT, "empty spatial dims");
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &out);
    return CLO_OK;
}

typedef struct {
    const gpool_params *gp;
    const float *X;
    float *Y;
} gpool_job;

/* The mean of a plane, summed in double in eight interleaved lanes combined in
 * a fixed order: vectors of any width give the same bits, and no add waits on
 * the one before (one running sum was a chain of dependent adds: 15% of the
 * PP-OCR classifier's time in its squeeze-excitation pools). */
CLO_CLONES static float plane_mean(const float *a, uint64_t n)
{
    double acc[8] = {0};
    uint64_t k = 0;
    for (; k + 8 <= n; k += 8)
        for (int l = 0; l < 8; l++) acc[l] += a[k + l];
    double s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; k < n; k++) s += a[k];
    return (float)(s / (double)n);
}

/* A range of the planes per thread: each plane's sum is one thread's. */
static void gpool_part(void *ctx, unsigned part, unsigned parts)
{
    const gpool_job *j = ctx;
    const gpool_params *gp = j->gp;
    uint64_t i0 = gp->nc * part / parts, i1 = gp->nc * (part + 1) / parts;
    for (uint64_t i = i0; i < i1; i++) {
        const float *a = j->X + i * gp->vol;
        if (gp->max) {
            float m = a[0];
            for (uint64_t k = 1; k < gp->vol; k++) m = a[k] > m ? a[k] : m;
            j->Y[i] = m;
        } else {
            j->Y[i] = plane_mean(a, gp->vol);
        }
    }
}

static clo_err gpool_run(const clo_onnx_exec *x)
{
    const gpool_params *gp = x->params;
    gpool_job j = {gp, x->in[0]->data, x->out[0]->data};
    if (gp->nc * gp->vol < 65536) /* not worth a hand-off */
        gpool_part(&j, 0, 1);
    else
        clo_pool_run(x->pool, gpool_part, &j);
    return CLO_OK;
}

static clo_err gavg_prepare(clo_onnx_prep *p)
{
    return gpool_prepare_kind(p, 0);
}
static clo_err gmax_prepare(clo_onnx_prep *p)
{
    return gpool_prepare_kind(p, 1);
}

static const clo_onnx_op op_gavgpool = {
    "", "GlobalAveragePool", 1, 1, 1, 1, 1, "", sizeof(gpool_params), gavg_prepare, gpool_run};
static const clo_onnx_op op_gmaxpool = {
    "", "GlobalMaxPool", 1, 1, 1, 1, 1, "", sizeof(gpool_params), gmax_prepare, gpool_run};

/* ======================= ConvTranspose ======================= */
typedef struct {
    clo_conv_geom g; /* in: the input's spatial dims; out: the output's */
    uint64_t n, c, m, group, kvol, ivol, ovol;
    size_t per_part; /* floats of GEMM scratch per thread */
    int tiles;       /* strides equal to the kernel, no dilation or leading pads: each
                        output takes at most one input position (upsampling) */
} convt_params;

static clo_err convt_prepare(clo_onnx_prep *p)
{
    convt_params *cp = p->params;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_FLOAT));
    const clo_shape *x = &p->in[0]->shape, *w = &p->in[1]->shape;
    int64_t group, ks[3], pads[6], st[3], dil[3], opad[3], oshape[3];
    int nk, np, ns, nd, no, nos;
    clo_bytes ap;
    CLO_TRY(clo_onnx_attr_int(p, "group", 1, &group));
    CLO_TRY(clo_onnx_attr_ints(p, "kernel_shape", ks, 3, &nk));
    CLO_TRY(clo_onnx_attr_ints(p, "pads", pads, 6, &np));
    CLO_TRY(clo_onnx_attr_ints(p, "strides", st, 3, &ns));
    CLO_TRY(clo_onnx_attr_ints(p, "dilations", dil, 3, &nd));
    CLO_TRY(clo_onnx_attr_ints(p, "output_padding", opad, 3, &no));
    CLO_TRY(clo_onnx_attr_ints(p, "output_shape", oshape, 3, &nos));
    CLO_TRY(clo_onnx_attr_str(p, "auto_pad", "NOTSET", &ap));
    if (x->rank < 3 || x->rank > 5 || w->rank != x->rank)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                               "input rank %u (1 to 3 spatial dims are supported)", x->rank);
    uint32_t S = x->rank - 2;
    if ((nk >= 0 && nk != (int)S) || (np >= 0 && np != (int)(2 * S)) || (ns >= 0 && ns != (int)S) ||
        (nd >= 0 && nd != (int)S) || (no >= 0 && no != (int)S) ||
        (nos >= 0 && nos != (int)S && nos != (int)x->rank))
        return clo_onnx_refuse(p, CLO_E_FORMAT, "an attribute does not match %u spatial dims", S);
    int upper = clo_bytes_eq(ap, clo_bytes_str("SAME_UPPER")),
        lower = clo_bytes_eq(ap, clo_bytes_str("SAME_LOWER"));
    if (!upper && !lower && !clo_bytes_eq(ap, clo_bytes_str("NOTSET")) &&
        !clo_bytes_eq(ap, clo_bytes_str("VALID")))
        return clo_onnx_refuse(p, CLO_E_FORMAT, "unknown auto_pad");
    if (group < 1 || x->d[1] % group || w->d[0] != x->d[1])
        return clo_onnx_refuse(p, CLO_E_FORMAT,
                               "W must have one row per input channel, in %lld groups",
                               (long long)group);
    clo_conv_geom *g = &cp->g;
    for (int i = 0; i < 3; i++)
        g->in[i] = g->out[i] = g->k[i] = g->s[i] = g->d[i] = 1, g->pb[i] = g->pe[i] = 0;
    g->S = S;
    clo_shape out = {x->rank, {x->d[0], w->d[1] * group}};
    for (uint32_t i = 0; i < S; i++) {
        uint32_t j = 3 - S + i;
        int64_t in = x->d[2 + i], k = w->d[2 + i], s = ns >= 0 ? st[i] : 1,
                d = nd >= 0 ? dil[i] : 1;
        int64_t op = no >= 0 ? opad[i] : 0, pb = np >= 0 ? pads[i] : 0,
                pe = np >= 0 ? pads[i + S] : 0, o;
        if (nk >= 0 && ks[i] != k)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "kernel_shape does not match W");
        if (s < 1 || d < 1 || op < 0 || pb < 0 || pe < 0 || (op >= s && op >= d))
            return clo_onnx_refuse(p, CLO_E_FORMAT,
                                   "strides, dilations, pads or output_padding out of range");
        int64_t full = s * (in - 1) + op + (k - 1) * d + 1;
        if (nos >= 0 || upper || lower) {
            o = nos >= 0 ? oshape[nos == (int)S ? i : 2 + i] : in * s;
            int64_t total = full - o;
            /* negative: the output is larger than the input reaches and the
             * extra rows hold the bias. Halves round down, as the reference's
             * Python // does (so the extra row goes to the end). */
            int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);
            if (upper)
                pb = half, pe = total - half;
            else
                pb = total - half, pe = half;
        } else {
            o = full - pb - pe;
        }
        if (o < 1) return clo_onnx_refuse(p, CLO_E_FORMAT, "the output would be empty");
        g->in[j] = in, g->out[j] = o, g->k[j] = k, g->s[j] = s, g->d[j] = d, g->pb[j] = pb,
        g->pe[j] = pe;
        out.d[2 + i] = o;
    }
    cp->n = (uint64_t)x->d[0];
    cp->c = (uint64_t)x->d[1];
    cp->group = (uint64_t)group;
    cp->m = (uint64_t)(w->d[1] * group);
    cp->kvol = (uint64_t)(g->k[0] * g->k[1] * g->k[2]);
    cp->ivol = (uint64_t)(g->in[0] * g->in[1] * g->in[2]);
    cp->ovol = (uint64_t)(g->out[0] * g->out[1] * g->out[2]);
    if (p->nin > 2 && p->in[2]) {
        CLO_TRY(clo_onnx_need(p, 2, CLO_T_FLOAT));
        if (p->in[2]->count != cp->m)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "B must have one value per output channel");
    }
    uint64_t mg = cp->m / cp->group, cg = cp->c / cp->group, rows = mg * cp->kvol;
    if (rows * cp->ivol > CLO_ONNX_MAX_ELEMS)
        return clo_onnx_refuse(p, CLO_E_LIMIT, "the column matrix is too large");
    cp->per_part = (clo_gemm_scratch(rows, cp->ivol, cg, 0) + 15) / 16 * 16;
    p->scratch = ((rows * cp->ivol + 15) / 16 * 16 + cp->per_part * p->threads) * sizeof(float);
    cp->tiles = 1;
    for (int i = 0; i < 3; i++) cp->tiles &= g->s[i] == g->k[i] && g->d[i] == 1 && g->pb[i] == 0;
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &out);
    return CLO_OK;
}

typedef struct {
    const convt_params *cp;
    const float *col;
    float *Y;       /* the group's first output channel */
    const float *B; /* its bias, or NULL */
} col2im_job;

/* col2im for a range of the group's output channels: the bias, then each
 * input position adds its kernel's worth into the output, in the same order
 * whichever thread holds the channel. */
static void col2im_part(void *ctx, unsigned part, unsigned parts)
{
    const col2im_job *j = ctx;
    const convt_params *cp = j->cp;
    const clo_conv_geom *g = &cp->g;
    uint64_t mg = cp->m / cp->group, m0 = mg * part / parts, m1 = mg * (part + 1) / parts;
    for (uint64_t m = m0; m < m1; m++) {
        float *y = j->Y + m * cp->ovol, b = j->B ? j->B[m] : 0.0f;
        for (uint64_t i = 0; i < cp->ovol; i++) y[i] = b;
        for (int64_t kd = 0; kd < g->k[0]; kd++)
            for (int64_t kh = 0; kh < g->k[1]; kh++)
                for (int64_t kw = 0; kw < g->k[2]; kw++) {
                    const float *c = j->col + ((m * (uint64_t)g->k[0] + (uint64_t)kd) *
                                                   (uint64_t)g->k[1] * (uint64_t)g->k[2] +
                                               (uint64_t)(kh * g->k[2] + kw)) *
                                                  cp->ivol;
                    for (int64_t id = 0; id < g->in[0]; id++) {
                        int64_t od = id * g->s[0] - g->pb[0] + kd * g->d[0];
                        if (od < 0 || od >= g->out[0]) continue;
                        for (int64_t ih = 0; ih < g->in[1]; ih++) {
                            int64_t oh = ih * g->s[1] - g->pb[1] + kh * g->d[1];
                            if (oh < 0 || oh >= g->out[1]) continue;
                            const float *cr = c + (id * g->in[1] + ih) * g->in[2];
                            float *yr = y + (od * g->out[1] + oh) * g->out[2];
                            for (int64_t iw = 0; iw < g->in[2]; iw++) {
                                int64_t ow = iw * g->s[2] - g->pb[2] + kw * g->d[2];
                                if (ow >= 0 && ow < g->out[2]) yr[ow] += cr[iw];
                            }
                        }
                    }
                }
    }
}

/* col2im when each output takes at most one input position (tiles): output
 * rows (channel, od, oh) split over the threads, each row written once in
 * order, b + its tap or b alone (the same sums as the general loop). */
static void col2im_tiles_part(void *ctx, unsigned part, unsigned parts)
{
    const col2im_job *j = ctx;
    const convt_params *cp = j->cp;
    const clo_conv_geom *g = &cp->g;
    const int64_t k2 = g->k[2], in2 = g->in[2], out2 = g->out[2];
    uint64_t rows = cp->m / cp->group * (uint64_t)(g->out[0] * g->out[1]), r0 = rows * part / parts,
             r1 = rows * (part + 1) / parts;
    for (uint64_t r = r0; r < r1; r++) {
        uint64_t m = r / (uint64_t)(g->out[0] * g->out[1]),
                 o = r % (uint64_t)(g->out[0] * g->out[1]);
        int64_t od = (int64_t)o / g->out[1], oh = (int64_t)o % g->out[1];
        int64_t id = od / g->k[0], kd = od % g->k[0], ih = oh / g->k[1], kh = oh % g->k[1];
        float b = j->B ? j->B[m] : 0.0f, *y = j->Y + m * cp->ovol + (uint64_t)o * (uint64_t)out2;
        int64_t ow = 0;
        if (id < g->in[0] && ih < g->in[1]) {
            /* tap (kd, kh, kw)'s row of the column matrix at input row (id, ih) */
            const float *c =
                j->col +
                ((m * (uint64_t)g->k[0] + (uint64_t)kd) * (uint64_t)g->k[1] + (uint64_t)kh) *
                    (uint64_t)k2 * cp->ivol +
                (uint64_t)((id * g->in[1] + ih) * in2);
            int64_t n = out2 / k2 < in2 ? out2 / k2 : in2;
            for (int64_t iw = 0; iw < n; iw++)
                for (int64_t kw = 0; kw < k2; kw++)
                    y[ow++] = b + c[(uint64_t)kw * cp->ivol + (uint64_t)iw];
            for (int64_t kw = 0; n < in2 && ow < out2; kw++, ow++)
                y[ow] = b + c[(uint64_t)kw * cp->ivol + (uint64_t)n];
        }
        for (; ow < out2; ow++) y[ow] = b;
    }
}

static clo_err convt_run(const clo_onnx_exec *x)
{
    const convt_params *cp = x->params;
    const float *X = x->in[0]->data, *W = x->in[1]->data;
    const float *B = x->nin > 2 && x->in[2] ? x->in[2]->data : NULL;
    float *Y = x->out[0]->data, *col = x->scratch;
    uint64_t mg = cp->m / cp->group, cg = cp->c / cp->group, rows = mg * cp->kvol;
    float *gs = col + (rows * cp->ivol + 15) / 16 * 16;
    for (uint64_t n = 0; n < cp->n; n++) {
        for (uint64_t gi = 0; gi < cp->group; gi++) {
            /* col = W_g^T X_g: (mg * kvol) x (input positions) */
            memset(col, 0, rows * cp->ivol * sizeof(float));
            clo_gemm_args ga = {rows,
                                cp->ivol,
                                cg,
                                1,
                                0,
                                1.0f,
                                W + gi * cg * rows,
                                rows,
                                X + (n * cp->c + gi * cg) * cp->ivol,
                                cp->ivol,
                                NULL,
                                col,
                                cp->ivol,
                                NULL};
            clo_gemm_par(&ga, gs, cp->per_part, x->pool);
            col2im_job j = {cp, col, Y + (n * cp->m + gi * mg) * cp->ovol, B ? B + gi * mg : NULL};
            void (*part)(void *, unsigned, unsigned) = cp->tiles ? col2im_tiles_part : col2im_part;
            if (mg * cp->kvol * cp->ivol < 65536) /* not worth a hand-off */
                part(&j, 0, 1);
            else
                clo_pool_run(x->pool, part, &j);
        }
    }
    return CLO_OK;
}

static const clo_onnx_op op_convtranspose = {
    "",
    "ConvTranspose",
    1,
    2,
    3,
    1,
    1,
    "auto_pad,dilations,group,kernel_shape,output_padding,output_shape,pads,strides",
    sizeof(convt_params),
    convt_prepare,
    convt_run};

const clo_onnx_op *const clo_onnx_ops_conv[] = {
    &op_conv, &op_convtranspose, &op_maxpool, &op_avgpool, &op_gavgpool, &op_gmaxpool, NULL,
};
