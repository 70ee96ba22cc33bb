/* ops_resize.c — Resize (opsets 10, 11, 13) and Upsample (7, 9): nearest,
 * linear and cubic interpolation over any dims, with every coordinate
 * transformation mode and nearest rounding mode of the specification,
 * cubic's coefficient and exclude_outside, and tf_crop_and_resize's region
 * and extrapolation value.
 *
 * Interpolation is separable: for each output dim a table of input taps and
 * weights is made when the plan is built (the ONNX reference's neighbours:
 * the input edge-extended, weights renormalised when exclude_outside drops
 * the outside ones), and an output element is the sum over the product of
 * its dims' taps. Dims that are not resized are one tap of weight 1. */
#include <math.h>
#include <string.h>

#include "workloads/onnx/op.h"

#define MAX_TAPS 4

enum { M_NEAREST, M_LINEAR, M_CUBIC };
enum {
    T_HALF_PIXEL,
    T_PYTORCH_HALF_PIXEL,
    T_ALIGN_CORNERS,
    T_ASYMMETRIC,
    T_TF_HALF_PIXEL_NN,
    T_TF_CROP
};
enum { N_ROUND_FLOOR, N_ROUND_CEIL, N_FLOOR, N_CEIL };

typedef struct {
    uint8_t n; /* taps; 0: outside the region (extrapolation value) */
    int64_t idx[MAX_TAPS];
    float w[MAX_TAPS];
} tap;

typedef struct {
    uint32_t rank;
    tap *taps[CLO_ONNX_MAX_RANK]; /* per output dim, one per output coordinate */
    float extrapolation;
    int planes; /* only the last two dims resized, none outside: plane by plane */
} resize_params;

static const char *const TRANSFORMS[] = {"half_pixel",           "pytorch_half_pixel",
                                         "align_corners",        "asymmetric",
                                         "tf_half_pixel_for_nn", "tf_crop_and_resize"};
static const char *const NEAREST[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};

static int pick(clo_bytes v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (clo_bytes_eq(v, clo_bytes_str(names[i]))) return i;
    return -1;
}

static void cubic_coeffs(double r, double A, double c[4])
{
    double s = 1 - r;
    c[0] = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A;
    c[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
    c[2] = ((A + 2) * s - (A + 3)) * s * s + 1;
    c[3] = ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A;
}

/* The taps of output coordinate o of a dim of `in` inputs resized to `out`. */
static void make_tap(tap *t, int64_t o, int64_t in, int64_t out, double scale, int mode, int tr,
                     int nm, double A, int exclude, double roi_start, double roi_end)
{
    /* the resized length as the reference takes it: scale x input, not the
     * rounded output size */
    double x, len = scale * (double)in;
    (void)out;
    switch (tr) {
    case T_PYTORCH_HALF_PIXEL: x = len > 1 ? (o + 0.5) / scale - 0.5 : 0; break;
    case T_ALIGN_CORNERS: x = len == 1 ? 0 : (double)o * (double)(in - 1) / (len - 1); break;
    case T_ASYMMETRIC: x = o / scale; break;
    case T_TF_HALF_PIXEL_NN: x = (o + 0.5) / scale; break;
    case T_TF_CROP:
        x = len > 1 ? roi_start * (double)(in - 1) +
                          (double)o * (roi_end - roi_start) * (double)(in - 1) / (len - 1)
                    : 0.5 * (roi_start + roi_end) * (double)(in - 1);
        if (x < 0 || x > (double)(in - 1)) {
            t->n = 0;
            return;
        }
        break;
    default: x = (o + 0.5) / scale - 0.5; break; /* half_pixel */
    }
    double fl = floor(x), r = x - fl;
    int64_t base = (int64_t)fl;
    double c[4];
    int n;
    int64_t first;
    if (mode == M_NEAREST) {
        int up;
        if (r == 0)
            up = 0;
        else if (nm == N_ROUND_FLOOR)
            up = r > 0.5;
        else if (nm == N_ROUND_CEIL)
            up = r >= 0.5;
        else
            up = nm == N_CEIL;
        n = 1;
        c[0] = 1;
        first = base + up;
    } else if (mode == M_LINEAR) {
        n = 2;
        c[0] = 1 - r;
        c[1] = r;
        first = base;
    } else {
        n = 4;
        cubic_coeffs(r, A, c);
        first = base - 1;
    }
    double sum = 0;
    t->n = 0;
    for (int k = 0; k < n; k++) {
        int64_t i = first + k;
        if (exclude && (i < 0 || i >= in)) continue; /* dropped, then renormalised */
        if (c[k] == 0) continue;
        i = i < 0 ? 0 : i >= in ? in - 1 : i; /* the reference's edge padding */
        t->idx[t->n] = i;
        t->w[t->n] = (float)c[k];
        sum += c[k];
        t->n++;
    }
    if (exclude && sum != 0)
        for (int k = 0; k < t->n; k++) t->w[k] = (float)(t->w[k] / sum);
    if (t->n == 0) { /* every weight was 0: the nearest input */
        t->n = 1;
        t->idx[0] = base < 0 ? 0 : base >= in ? in - 1 : base;
        t->w[0] = 0;
    }
}

static clo_err resize_prepare_any(clo_onnx_prep *p, int upsample)
{
    resize_params *rp = p->params;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    const clo_shape *s = &p->in[0]->shape;
    clo_bytes mv, tv, nv;
    float A, ext;
    int64_t excl;
    CLO_TRY(clo_onnx_attr_str(p, "mode", "nearest", &mv));
    int legacy = upsample || p->opset < 11;
    CLO_TRY(clo_onnx_attr_str(p, "coordinate_transformation_mode",
                              legacy ? "asymmetric" : "half_pixel", &tv));
    CLO_TRY(clo_onnx_attr_str(p, "nearest_mode", legacy ? "floor" : "round_prefer_floor", &nv));
    CLO_TRY(clo_onnx_attr_float(p, "cubic_coeff_a", -0.75f, &A));
    CLO_TRY(clo_onnx_attr_float(p, "extrapolation_value", 0.0f, &ext));
    CLO_TRY(clo_onnx_attr_int(p, "exclude_outside", 0, &excl));
    int mode =
        clo_bytes_eq(mv, clo_bytes_str("nearest")) ? M_NEAREST
        : clo_bytes_eq(mv, clo_bytes_str("linear")) || clo_bytes_eq(mv, clo_bytes_str("bilinear"))
            ? M_LINEAR
        : clo_bytes_eq(mv, clo_bytes_str("cubic")) ? M_CUBIC
                                                   : -1;
    int tr = pick(tv, TRANSFORMS, 6), nm = pick(nv, NEAREST, 4);
    if (mode < 0 || tr < 0 || nm < 0)
        return clo_onnx_refuse(p, CLO_E_FORMAT,
                               "unknown mode, coordinate transformation or nearest mode");
    rp->extrapolation = ext;
    rp->rank = s->rank;
    double scales[CLO_ONNX_MAX_RANK], roi[2 * CLO_ONNX_MAX_RANK];
    clo_shape out = *s;
    for (uint32_t i = 0; i < s->rank; i++) roi[i] = 0, roi[i + s->rank] = 1;
    const clo_tensor *sc = NULL, *sz = NULL, *ro = NULL;
    if (upsample && p->opset < 9) {
        const clo_onnx_attr *a = clo_onnx_attr_get(p, "scales");
        if (!a || a->type != CLO_ONNX_ATTR_FLOATS || a->n != s->rank)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "attribute 'scales' must give every dim");
        for (uint32_t i = 0; i < s->rank; i++) scales[i] = p->m->floats[a->first + i];
    } else {
        size_t k_sc = legacy ? 1 : 2;
        if (!legacy) {
            if (p->nin > 1 && p->in[1] && p->in[1]->count) ro = p->in[1];
            if (p->nin > 3 && p->in[3] && p->in[3]->count) sz = p->in[3];
        }
        if (p->nin > k_sc && p->in[k_sc] && p->in[k_sc]->count) sc = p->in[k_sc];
        if (!sc == !sz)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "give exactly one of scales and sizes");
        const clo_tensor *t = sc ? sc : sz;
        size_t k = sc ? k_sc : 3;
        if (!t->data && !clo_onnx_prep_bind(p, k))
            return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                                   "input %zu is computed at run time; it must be a constant", k);
        if (t->count != s->rank)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "scales or sizes must give every dim");
        if (sc && sc->dtype != CLO_ONNX_FLOAT)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "scales must be float");
        if (sz && sz->dtype != CLO_ONNX_INT64)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "sizes must be int64");
        for (uint32_t i = 0; i < s->rank; i++) {
            if (sc)
                scales[i] = ((const float *)sc->data)[i];
            else {
                int64_t v = ((const int64_t *)sz->data)[i];
                if (v < 1) return clo_onnx_refuse(p, CLO_E_FORMAT, "sizes must be positive");
                out.d[i] = v;
                scales[i] = (double)v / (double)s->d[i];
            }
        }
        if (ro && tr == T_TF_CROP) {
            if (!ro->data && !clo_onnx_prep_bind(p, 1))
                return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                                       "roi is computed at run time; it must be a constant");
            if (ro->dtype != CLO_ONNX_FLOAT || ro->count != 2 * s->rank)
                return clo_onnx_refuse(p, CLO_E_FORMAT, "roi must be 2 x rank floats");
            for (uint32_t i = 0; i < 2 * s->rank; i++) roi[i] = ((const float *)ro->data)[i];
        }
    }
    for (uint32_t i = 0; i < s->rank; i++) {
        if (!(scales[i] > 0) || !isfinite(scales[i]))
            return clo_onnx_refuse(p, CLO_E_FORMAT, "scales must be positive");
        if (sc || (upsample && p->opset < 9)) {
            double o = floor((double)s->d[i] * scales[i]);
            if (o > (double)CLO_ONNX_MAX_ELEMS)
                return clo_onnx_refuse(p, CLO_E_LIMIT, "the output is too large");
            out.d[i] = (int64_t)o;
        }
        rp->taps[i] = clo_onnx_prep_alloc(p, ((size_t)out.d[i] + 1) * sizeof(tap));
        if (!rp->taps[i]) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        for (int64_t o = 0; o < out.d[i]; o++)
            make_tap(&rp->taps[i][o], o, s->d[i], out.d[i], scales[i], mode, tr, nm, A, excl != 0,
                     roi[i], roi[i + s->rank]);
    }
    /* The common case (images: N and C kept, H and W resized, no
     * extrapolation) runs plane by plane with the same sums. */
    rp->planes = s->rank >= 2;
    for (uint32_t i = 0; i < s->rank && rp->planes; i++)
        for (int64_t o = 0; o < out.d[i] && rp->planes; o++) {
            const tap *t = &rp->taps[i][o];
            rp->planes = i + 2 >= s->rank ? t->n > 0 : t->n == 1 && t->idx[0] == o && t->w[0] == 1;
        }
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &out);
    return CLO_OK;
}

/* One output plane from one input plane (H x W): each element the sum over
 * its row taps of the sum over its column taps, in double, in the order
 * gather() takes them, so the results are the same bits. */
/* A tap that copies one input element (nearest, or a scale of 1). */
static int unit(const tap *t)
{
    return t->n == 1 && t->w[0] == 1.0f;
}

static void resize_plane(const resize_params *rp, const float *x, int64_t w_in, int64_t h_out,
                         int64_t w_out, float *y, int cols_unit)
{
    const tap *rows = rp->taps[rp->rank - 2], *cols = rp->taps[rp->rank - 1];
    for (int64_t oy = 0; oy < h_out; oy++) {
        const tap *ty = &rows[oy];
        float *o = y + oy * w_out;
        if (cols_unit && unit(ty)) {
            /* Copies: the sums below would give x + 0 (so -0 becomes +0), as here. */
            if (oy > 0 && unit(&rows[oy - 1]) && rows[oy - 1].idx[0] == ty->idx[0]) {
                memcpy(o, o - w_out, (size_t)w_out * sizeof *o);
                continue;
            }
            const float *r = x + ty->idx[0] * w_in;
            for (int64_t ox = 0; ox < w_out; ox++) o[ox] = r[cols[ox].idx[0]] + 0.0f;
            continue;
        }
        for (int64_t ox = 0; ox < w_out; ox++) {
            const tap *tx = &cols[ox];
            double s = 0;
            for (int ky = 0; ky < ty->n; ky++) {
                const float *r = x + ty->idx[ky] * w_in;
                double t = 0;
                for (int kx = 0; kx < tx->n; kx++) t += tx->w[kx] * r[tx->idx[kx]];
                s += ty->w[ky] * t;
            }
            o[ox] = (float)s;
        }
    }
}

typedef struct {
    const resize_params *rp;
    const float *x;
    float *y;
    int64_t h_in, w_in, h_out, w_out;
    uint64_t planes;
    int cols_unit;
} plane_job;

/* Planes split over the threads: each output is one thread's. */
static void planes_part(void *ctx, unsigned part, unsigned parts)
{
    const plane_job *j = ctx;
    uint64_t k0 = j->planes * part / parts, k1 = j->planes * (part + 1) / parts;
    for (uint64_t k = k0; k < k1; k++)
        resize_plane(j->rp, j->x + k * (uint64_t)(j->h_in * j->w_in), j->w_in, j->h_out, j->w_out,
                     j->y + k * (uint64_t)(j->h_out * j->w_out), j->cols_unit);
}

/* Sum over the taps of dims d.. of one output element. */
static double gather(const resize_params *rp, const float *x, const int64_t *st, const int64_t *o,
                     uint32_t d, int64_t off)
{
    if (d == rp->rank) return x[off];
    const tap *t = &rp->taps[d][o[d]];
    double s = 0;
    for (int k = 0; k < t->n; k++)
        s += t->w[k] * gather(rp, x, st, o, d + 1, off + t->idx[k] * st[d]);
    return s;
}

static clo_err resize_run(const clo_onnx_exec *x)
{
    const resize_params *rp = x->params;
    const clo_tensor *in = x->in[0];
    clo_tensor *out = x->out[0];
    int64_t st[CLO_ONNX_MAX_RANK], o[CLO_ONNX_MAX_RANK] = {0};
    clo_shape_strides(&in->shape, 0, st);
    float *y = out->data;
    if (rp->planes) {
        plane_job j = {.rp = rp, .x = in->data, .y = y};
        j.h_in = in->shape.d[rp->rank - 2];
        j.w_in = in->shape.d[rp->rank - 1];
        j.h_out = out->shape.d[rp->rank - 2];
        j.w_out = out->shape.d[rp->rank - 1];
        j.planes = j.h_in > 0 && j.w_in > 0 ? in->count / (uint64_t)(j.h_in * j.w_in) : 0;
        j.cols_unit = 1;
        for (int64_t ox = 0; ox < j.w_out; ox++) j.cols_unit &= unit(&rp->taps[rp->rank - 1][ox]);
        if (out->count < 65536) /* not worth a hand-off */
            planes_part(&j, 0, 1);
        else
            clo_pool_run(x->pool, planes_part, &j);
        return CLO_OK;
    }
    for (uint64_t i = 0; i < out->count; i++) {
        int outside = 0;
        for (uint32_t d = 0; d < rp->rank; d++) outside |= rp->taps[d][o[d]].n == 0;
        y[i] = outside ? rp->extrapolation : (float)gather(rp, in->data, st, o, 0, 0);
        for (int d = (int)rp->rank - 1; d >= 0; d--) {
            if (++o[d] < out->shape.d[d]) break;
            o[d] = 0;
        }
    }
    return CLO_OK;
}

static clo_err resize_prepare(clo_onnx_prep *p)
{
    return resize_prepare_any(p, 0);
}
static clo_err upsample_prepare(clo_onnx_prep *p)
{
    return resize_prepare_any(p, 1);
}

static const clo_onnx_op op_resize = {"",
                                      "Resize",
                                      10,
                                      1,
                                      4,
                                      1,
                                      1,
                                      "mode,coordinate_transformation_mode,nearest_mode,cubic_"
                                      "coeff_a,exclude_outside,extrapolation_value",
                                      sizeof(resize_params),
                                      resize_prepare,
                                      resize_run};
static const clo_onnx_op op_upsample = {
    "",        "Upsample", 7, 1, 2, 1, 1, "mode,scales", sizeof(resize_params), upsample_prepare,
    resize_run};

const clo_onnx_op *const clo_onnx_ops_resize[] = {&op_resize, &op_upsample, NULL};
