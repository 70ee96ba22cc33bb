/* fuse.c — plan-time rewrites of the steps into fewer that compute the same
 * values, before the arena is placed (so a fused-away value takes no memory
 * and costs no pass over it):
 *
 *   Conv, then Add of a constant with one value per output channel (how
 *   Paddle's exports write a convolution's bias): the constant becomes the
 *   convolution's bias, added before its sums instead of after.
 *
 *   x + a, Clip(lo, hi), x * that, / d (HardSwish as exporters without the
 *   opset-14 operator write it: a = 3, [0, 6], d = 6): one step doing the
 *   same float operations in the same order, so the same bits.
 *
 *   Conv, then BatchNormalization in inference mode: folded into the
 *   convolution's weights and bias (values within rounding, not the same
 *   bits; see fuse_conv_bn).
 *
 *   Conv, then * s + t with scalar constants (Paddle's learnable affine
 *   blocks): folded into the weights and bias the same way; after a fused
 *   HardSwish, done in its step (values within rounding).
 *
 *   Pad of zeros on the spatial dims, then Conv: the pads join the
 *   convolution's (fuse_pad_conv).
 *
 * A value is fused away only when exactly one step reads it and it is not a
 * graph output. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/onnx/gemm.h"
#include "workloads/onnx/plan_impl.h"

static int is_op(const step *s, const char *type)
{
    return s->op && !s->op->domain[0] && !strcmp(s->op->op_type, type);
}

typedef clo_onnx_hswish_params hswish_params;

/* The parameters as locals, so the loop vectorises (a store to o cannot
 * change them). In place (o == a) too: each element is read before it is
 * written. */
CLO_CLONES void clo_onnx_hswish(const float *a, float *o, uint64_t n, const hswish_params *h)
{
    const float add = h->add, lo = h->lo, hi = h->hi, div = h->div, scale = h->scale,
                shift = h->shift;
    if (scale == 1.0f && shift == 0.0f) {
        for (uint64_t i = 0; i < n; i++) {
            float t = a[i] + add;
            t = t < lo ? lo : t;
            t = t > hi ? hi : t;
            o[i] = (a[i] * t) / div;
        }
        return;
    }
    for (uint64_t i = 0; i < n; i++) {
        float t = a[i] + add;
        t = t < lo ? lo : t;
        t = t > hi ? hi : t;
        o[i] = (a[i] * t) / div * scale + shift;
    }
}

typedef struct {
    const clo_onnx_exec *x;
} hswish_job;

static void hswish_part(void *ctx, unsigned part, unsigned parts)
{
    const clo_onnx_exec *x = ((const hswish_job *)ctx)->x;
    const hswish_params *h = x->params;
    uint64_t n = x->in[0]->count, i0 = n * part / parts, i1 = n * (part + 1) / parts;
    clo_onnx_hswish((const float *)x->in[0]->data + i0, (float *)x->out[0]->data + i0, i1 - i0, h);
}

/* Elements split over the threads (each element one thread's: the same bits). */
static clo_err hswish_run(const clo_onnx_exec *x)
{
    hswish_job j = {x};
    if (x->in[0]->count < 65536) /* not worth a hand-off */
        hswish_part(&j, 0, 1);
    else
        clo_pool_run(x->pool, hswish_part, &j);
    return CLO_OK;
}

/* Never in the registry: made only by this pass. */
static const clo_onnx_op op_hswish = {"",
                                      "HardSwish (fused Add, Clip, Mul, Div)",
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      "",
                                      sizeof(hswish_params),
                                      NULL,
                                      hswish_run};

typedef struct {
    clo_onnx_plan *p;
    uint32_t *readers; /* per value: step inputs reading it; graph outputs count twice */
    uint32_t *maker;   /* per value: the step that writes it, or NONE */
} graph;

static size_t vi(const graph *g, const clo_tensor *t)
{
    return (size_t)(t - g->p->vals);
}

/* A float constant of one element. */
static int scalar(const graph *g, const clo_tensor *t, float *v)
{
    if (!t || !g->p->is_const[vi(g, t)] || t->dtype != CLO_ONNX_FLOAT || t->count != 1) return 0;
    *v = *(const float *)t->data;
    return 1;
}

/* The step that writes t, when t may be fused away (one reader, not an output). */
static step *only_use(const graph *g, const clo_tensor *t)
{
    if (!t || g->p->is_const[vi(g, t)] || g->readers[vi(g, t)] != 1) return NULL;
    uint32_t s = g->maker[vi(g, t)];
    return s == NONE ? NULL : &g->p->steps[s];
}

static clo_err fuse_hswish(graph *g, step *div)
{
    float d, a, lo, hi;
    if (!is_op(div, "Div") || div->nin != 2 || !scalar(g, div->in[1], &d)) return CLO_OK;
    step *mul = only_use(g, div->in[0]);
    if (!mul || !is_op(mul, "Mul") || mul->nin != 2) return CLO_OK;
    for (int side = 0; side < 2; side++) {
        clo_tensor *x = mul->in[side];
        step *clip = only_use(g, mul->in[1 - side]);
        if (!clip || !is_op(clip, "Clip") || clip->in[0]->dtype != CLO_ONNX_FLOAT) continue;
        const clo_tensor *bl = clip->nin > 1 ? clip->in[1] : NULL,
                         *bh = clip->nin > 2 ? clip->in[2] : NULL;
        if ((bl && !scalar(g, bl, &lo)) || (bh && !scalar(g, bh, &hi))) continue;
        clo_onnx_clip_bounds((const clo_tensor *const *)clip->in, clip->nin, clip->params, &lo,
                             &hi);
        step *add = only_use(g, clip->in[0]);
        if (!add || !is_op(add, "Add") || add->nin != 2) continue;
        int k = add->in[0] == x ? 1 : add->in[1] == x ? 0 : -1;
        if (k < 0 || !scalar(g, add->in[k], &a) || x->dtype != CLO_ONNX_FLOAT ||
            !clo_shape_equal(&x->shape, &div->out[0]->shape))
            continue;
        hswish_params *hp = clo_onnx_plan_own(g->p, sizeof *hp);
        clo_tensor **in = clo_onnx_plan_own(g->p, sizeof *in);
        if (!hp || !in) return CLO_ERR(CLO_E_NOMEM, "onnx: fuse");
        *hp = (hswish_params){a, lo, hi, d, 1.0f, 0.0f};
        in[0] = x;
        div->op = &op_hswish;
        div->params = hp;
        div->in = in;
        div->nin = 1;
        div->scratch = 0;
        add->op = clip->op = mul->op = NULL; /* removed below */
        return CLO_OK;
    }
    return CLO_OK;
}

static clo_err fuse_conv_bias(graph *g, step *add)
{
    if (!is_op(add, "Add") || add->nin != 2) return CLO_OK;
    for (int side = 0; side < 2; side++) {
        step *conv = only_use(g, add->in[side]);
        clo_tensor *c = add->in[1 - side], *y = add->in[side];
        if (!conv || !is_op(conv, "Conv") || conv->nin != 2 || !c || !g->p->is_const[vi(g, c)] ||
            c->dtype != CLO_ONNX_FLOAT || y->shape.rank < 3 || c->shape.rank > y->shape.rank ||
            c->count != (uint64_t)y->shape.d[1] || !clo_shape_equal(&y->shape, &add->out[0]->shape))
            continue;
        /* one value per output channel: right-aligned, only the channel dim > 1 */
        int per_channel = 1;
        for (uint32_t i = 0; i < c->shape.rank; i++) {
            uint32_t axis = y->shape.rank - c->shape.rank + i;
            per_channel &= c->shape.d[i] == (axis == 1 ? y->shape.d[1] : 1);
        }
        if (!per_channel) continue;
        clo_tensor **in = clo_onnx_plan_own(g->p, 3 * sizeof *in);
        if (!in) return CLO_ERR(CLO_E_NOMEM, "onnx: fuse");
        in[0] = conv->in[0];
        in[1] = conv->in[1];
        in[2] = c;
        conv->in = in;
        conv->nin = 3;
        conv->out[0] = add->out[0];
        add->op = NULL;
        return CLO_OK;
    }
    return CLO_OK;
}

/* A float constant read by one step only (so it may be rewritten in place). */
static int own_const(const graph *g, const clo_tensor *t, uint64_t count)
{
    return t && g->p->is_const[vi(g, t)] && g->readers[vi(g, t)] == 1 &&
           t->dtype == CLO_ONNX_FLOAT && t->count == count;
}

/* Make step st a step of op (prepared from st's node, with pads_add) on
 * in[0..nin) writing out[0]; st is unchanged when prepare refuses. */
static clo_err prepare_as(graph *g, step *st, const clo_onnx_op *op, clo_tensor **in, uint32_t nin,
                          clo_tensor **out, const int64_t *pads_add)
{
    void *params = op->params_size ? clo_onnx_plan_own(g->p, op->params_size) : NULL;
    if (op->params_size && !params) return CLO_ERR(CLO_E_NOMEM, "onnx: fuse");
    char reason[CLO_ONNX_WHY] = "";
    clo_onnx_prep pr = {g->p->m,
                        st->node,
                        st->opset,
                        nin,
                        1,
                        in,
                        out,
                        params,
                        0,
                        0,
                        reason,
                        g->p,
                        clo_pool_size(g->p->pool),
                        pads_add};
    CLO_TRY(op->prepare(&pr));
    st->op = op;
    st->in = in;
    st->nin = nin;
    st->out = out;
    st->params = params;
    st->scratch = pr.scratch;
    return CLO_OK;
}

/* Prepare a convolution again on (its input, w, b), writing out (its packed
 * weights are made from w). */
static clo_err conv_again(graph *g, step *conv, clo_tensor *w, clo_tensor *b, clo_tensor *y)
{
    clo_tensor **in = clo_onnx_plan_own(g->p, 3 * sizeof *in),
               **out = clo_onnx_plan_own(g->p, sizeof *out);
    if (!in || !out) return CLO_ERR(CLO_E_NOMEM, "onnx: fuse");
    in[0] = conv->in[0];
    in[1] = w;
    in[2] = b;
    out[0] = y;
    return prepare_as(g, conv, conv->op, in, b ? 3 : 2, out, conv->padded ? conv->pads_add : NULL);
}

/* Conv -> BatchNormalization (inference): the normalisation folds into the
 * convolution's weights and bias, as onnxruntime folds it: per output
 * channel a = scale / sqrt(var + eps) (the same float expression as the
 * BatchNormalization step), W' = W a, B' = B a + (bias - mean a). The values
 * equal the two steps' within rounding, not bit for bit. The convolution is
 * prepared again on W' (its packed weights are made from it). */
static clo_err fuse_conv_bn(graph *g, step *bn)
{
    if (!is_op(bn, "BatchNormalization") || bn->nin != 5 || bn->nout != 1) return CLO_OK;
    step *conv = only_use(g, bn->in[0]);
    if (!conv || !is_op(conv, "Conv") || conv->nout != 1 || !conv->node) return CLO_OK;
    clo_tensor *w = conv->in[1], *y = bn->in[0];
    uint64_t m = y->shape.rank >= 2 ? (uint64_t)y->shape.d[1] : 0;
    if (!m || !w->count || w->count % m || !own_const(g, w, w->count)) return CLO_OK;
    for (int k = 1; k < 5; k++)
        if (!bn->in[k] || !g->p->is_const[vi(g, bn->in[k])] || bn->in[k]->count != m ||
            bn->in[k]->dtype != CLO_ONNX_FLOAT)
            return CLO_OK;
    /* the bias written in place: the convolution's own, else BatchNormalization's B */
    clo_tensor *b = conv->nin > 2 ? conv->in[2] : bn->in[2];
    if (!own_const(g, b, m)) return CLO_OK;
    const float *sc = bn->in[1]->data, *bb = bn->in[2]->data, *mean = bn->in[3]->data,
                *var = bn->in[4]->data;
    float eps = clo_onnx_bn_epsilon(bn->params), *wd = w->data, *bd = b->data;
    uint64_t per = w->count / m;
    for (uint64_t c = 0; c < m; c++) {
        float a = sc[c] / sqrtf(var[c] + eps), d = bb[c] - mean[c] * a;
        for (uint64_t i = 0; i < per; i++) wd[c * per + i] *= a;
        bd[c] = (conv->nin > 2 ? bd[c] * a : 0.0f) + d;
    }
    CLO_TRY(conv_again(g, conv, w, b, bn->out[0]));
    bn->op = NULL;
    if (b == bn->in[2]) g->readers[vi(g, b)]++; /* now read by the convolution too */
    return CLO_OK;
}

/* y * s + t after a step, as Paddle's learnable affine blocks write it: a
 * Mul by a float scalar constant and then an Add of one, or either alone
 * (operands in either order). last is the Add (or the lone Mul); *src is
 * the value scaled, *mul the Mul or NULL. */
static int affine_tail(const graph *g, step *last, clo_tensor **src, step **mul, float *s, float *t)
{
    *s = 1.0f;
    *t = 0.0f;
    *mul = NULL;
    if (last->nin != 2 || last->nout != 1 || (!is_op(last, "Add") && !is_op(last, "Mul"))) return 0;
    int k = scalar(g, last->in[1], is_op(last, "Add") ? t : s)   ? 0
            : scalar(g, last->in[0], is_op(last, "Add") ? t : s) ? 1
                                                                 : -1;
    if (k < 0) return 0;
    *src = last->in[k];
    if (is_op(last, "Add")) {
        step *m = only_use(g, *src);
        int j = !m || !is_op(m, "Mul") || m->nin != 2 ? -1
                : scalar(g, m->in[1], s)              ? 0
                : scalar(g, m->in[0], s)              ? 1
                                                      : -1;
        if (j >= 0) {
            *mul = m;
            *src = m->in[j];
        } else {
            *s = 1.0f;
        }
    }
    return (*src)->dtype == CLO_ONNX_FLOAT && clo_shape_equal(&(*src)->shape, &last->out[0]->shape);
}

/* y * s + t (affine_tail) after a Conv: folded into the convolution's
 * weights and bias, W' = W s, B' = B s + t (values within rounding, as with
 * BatchNormalization); without a bias of its own, only a scale is. After a
 * fused HardSwish: done in its step (the same operations, an FMA where the
 * CPU has one: values within rounding). */
static clo_err fuse_affine(graph *g, step *last)
{
    clo_tensor *src;
    step *mul;
    float sc, sh;
    if (!affine_tail(g, last, &src, &mul, &sc, &sh)) return CLO_OK;
    step *prod = only_use(g, src);
    if (!prod || prod->nout != 1 || prod->out[0] != src) return CLO_OK;
    if (prod->op == &op_hswish) {
        hswish_params *h = prod->params;
        if (h->scale != 1.0f || h->shift != 0.0f) return CLO_OK;
        h->scale = sc;
        h->shift = sh;
        prod->out[0] = last->out[0];
    } else if (is_op(prod, "Conv") && prod->node) {
        clo_tensor *w = prod->in[1], *b = prod->nin > 2 ? prod->in[2] : NULL;
        uint64_t m = src->shape.rank >= 2 ? (uint64_t)src->shape.d[1] : 0;
        if (!m || !w->count || !own_const(g, w, w->count) || (b && !own_const(g, b, m)) ||
            (!b && sh != 0.0f))
            return CLO_OK;
        float *wd = w->data;
        for (uint64_t i = 0; i < w->count; i++) wd[i] *= sc;
        for (uint64_t c = 0; b && c < m; c++)
            ((float *)b->data)[c] = ((float *)b->data)[c] * sc + sh;
        CLO_TRY(conv_again(g, prod, w, b, last->out[0]));
    } else {
        return CLO_OK;
    }
    if (mul) mul->op = NULL;
    last->op = NULL;
    return CLO_OK;
}

/* Pad (zeros, on the spatial dims only), then Conv: the pads join the
 * convolution's own and the Pad step goes (a Conv that pads computes the
 * same taps, the zero ones included). Not with auto_pad, which computes its
 * own pads. */
static clo_err fuse_pad_conv(graph *g, step *conv)
{
    if (!is_op(conv, "Conv") || !conv->node || conv->nin < 2) return CLO_OK;
    step *pad = only_use(g, conv->in[0]);
    int64_t add[6];
    if (!pad || !is_op(pad, "Pad") || pad->out[0] != conv->in[0] ||
        !clo_onnx_pad_zeros(pad->params, (const clo_tensor *const *)pad->in, pad->nin,
                            &pad->out[0]->shape, add))
        return CLO_OK;
    const clo_onnx_model *m = g->p->m;
    for (uint32_t k = 0; k < conv->node->attr_n; k++) {
        const clo_onnx_attr *a = &m->attrs[conv->node->attr_first + k];
        if (clo_bytes_eq(a->name, clo_bytes_str("auto_pad")) &&
            !clo_bytes_eq(a->s, clo_bytes_str("NOTSET")))
            return CLO_OK;
    }
    uint32_t S = conv->in[0]->shape.rank - 2;
    int64_t before[6];
    memcpy(before, conv->pads_add, sizeof before);
    int was = conv->padded;
    for (uint32_t i = 0; i < 2 * S; i++) conv->pads_add[i] = (was ? before[i] : 0) + add[i];
    conv->padded = 1;
    clo_tensor **in = clo_onnx_plan_own(g->p, 3 * sizeof *in), **old = conv->in;
    if (!in) return CLO_ERR(CLO_E_NOMEM, "onnx: fuse");
    memcpy(in, conv->in, conv->nin * sizeof *in);
    in[0] = pad->in[0];
    conv->in = in;
    clo_err err =
        conv_again(g, conv, conv->in[1], conv->nin > 2 ? conv->in[2] : NULL, conv->out[0]);
    if (err.code) { /* as it was: the Pad stays */
        conv->in = old;
        memcpy(conv->pads_add, before, sizeof before);
        conv->padded = was;
        return CLO_OK;
    }
    pad->op = NULL;
    return CLO_OK;
}

/* Who reads and who writes each value, counted afresh for a pass. */
/* The steps a rewrite removed (op NULL) leave the array. */
static void compact(clo_onnx_plan *p)
{
    size_t kept = 0;
    for (size_t s = 0; s < p->nsteps; s++)
        if (p->steps[s].op) p->steps[kept++] = p->steps[s];
    p->nsteps = kept;
}

static void count_uses(graph *g)
{
    const clo_onnx_plan *p = g->p;
    memset(g->readers, 0, (p->nvals ? p->nvals : 1) * sizeof *g->readers);
    for (size_t v = 0; v < p->nvals; v++) g->maker[v] = NONE;
    for (size_t s = 0; s < p->nsteps; s++) {
        const step *st = &p->steps[s];
        for (uint32_t k = 0; k < st->nin; k++)
            if (st->in[k]) g->readers[vi(g, st->in[k])]++;
        for (uint32_t k = 0; k < st->nout; k++)
            if (st->out[k]) g->maker[vi(g, st->out[k])] = (uint32_t)s;
    }
    for (size_t o = 0; o < p->noutputs; o++) g->readers[p->outputs[o]] += 2;
}

/* ---- QDQ: DequantizeLinear -> Conv -> QuantizeLinear as one QLinearConv ---- */

/* The main graph's node that makes the value named n, or NULL. */
static const clo_onnx_node *maker_node(const clo_onnx_model *m, clo_bytes n)
{
    for (size_t i = 0; i < m->nnodes; i++)
        for (uint32_t k = 0; k < m->nodes[i].out_n; k++)
            if (clo_bytes_eq(m->names[m->nodes[i].out_first + k], n)) return &m->nodes[i];
    return NULL;
}

/* The plan's value of the main graph's initializer named n (the plan makes
 * them first, in order), or NULL. */
static clo_tensor *initializer(const graph *g, clo_bytes n)
{
    const clo_onnx_model *m = g->p->m;
    for (size_t i = 0; i < m->ninits && i < g->p->nvals; i++)
        if (clo_bytes_eq(m->tensors[m->inits[i]].name, n)) return &g->p->vals[i];
    return NULL;
}

/* A DequantizeLinear node of initializers (the one that made a folded
 * weight or bias): q, scale and zero point (NULL when absent), and axis. */
static int dq_of_inits(const graph *g, clo_bytes name, clo_tensor **q, clo_tensor **sc,
                       clo_tensor **zp, int64_t *axis)
{
    const clo_onnx_model *m = g->p->m;
    const clo_onnx_node *n = maker_node(m, name);
    if (!n || n->domain.len || !clo_bytes_eq(n->op_type, clo_bytes_str("DequantizeLinear")) ||
        n->in_n < 2 || n->in_n > 3)
        return 0;
    *q = initializer(g, m->names[n->in_first]);
    *sc = initializer(g, m->names[n->in_first + 1]);
    *zp = n->in_n > 2 && m->names[n->in_first + 2].len ? initializer(g, m->names[n->in_first + 2])
                                                       : NULL;
    *axis = 1;
    for (uint32_t k = 0; k < n->attr_n; k++) {
        const clo_onnx_attr *a = &m->attrs[n->attr_first + k];
        if (clo_bytes_eq(a->name, clo_bytes_str("axis")) && a->type == CLO_ONNX_ATTR_INT)
            *axis = a->i;
    }
    return *q && *sc && (n->in_n < 3 || !m->names[n->in_first + 2].len || *zp);
}

/* One value: a scale (float) or a zero point (int8, uint8) of one element. */
static int one(const graph *g, const clo_tensor *t)
{
    return t && g->p->is_const[vi(g, t)] && t->count == 1;
}

/* DequantizeLinear(x) -> Conv(W = dq(W8), B = dq(B32)) or MatMul(x, B =
 * dq(B8)) [-> Relu] -> QuantizeLinear, the form quantizers write (QDQ), is
 * the product of 8-bit values a QLinearConv or QLinearMatMul computes, as
 * onnxruntime runs it: the integer sums exact, requantized once. It becomes
 * that step, reading the bytes of x and of the weight (and of a Conv's
 * bias when its scale is x's times W's, zero point 0) with the same scales;
 * a Relu goes when the output's zero point is its lowest value (the
 * saturation is the Relu). Not fused: per-channel scales on x or y, weights
 * not the main graph's initializers, a Conv a Pad was folded into. */
static clo_err fuse_qdq(graph *g, step *q)
{
    const clo_onnx_model *m = g->p->m;
    if (!is_op(q, "QuantizeLinear") || q->nin < 2 || !one(g, q->in[1]) ||
        (q->nin > 2 && q->in[2] && !one(g, q->in[2])) ||
        (q->out[0]->dtype != CLO_ONNX_UINT8 && q->out[0]->dtype != CLO_ONNX_INT8))
        return CLO_OK;
    step *relu = NULL, *mid = only_use(g, q->in[0]);
    if (mid && is_op(mid, "Relu")) {
        int32_t z = q->nin > 2 && q->in[2]
                        ? (q->in[2]->dtype == CLO_ONNX_INT8 ? *(const int8_t *)q->in[2]->data
                                                            : *(const uint8_t *)q->in[2]->data)
                        : 0;
        if (z != (q->out[0]->dtype == CLO_ONNX_INT8 ? -128 : 0)) return CLO_OK;
        relu = mid;
        mid = only_use(g, relu->in[0]);
    }
    int conv = mid && is_op(mid, "Conv");
    if (!mid || (!conv && !is_op(mid, "MatMul")) || !mid->node || mid->padded || mid->nout != 1 ||
        mid->node < m->nodes || mid->node >= m->nodes + m->nnodes)
        return CLO_OK;
    uint32_t mk = g->maker[vi(g, mid->in[0])];
    step *dq = mk == NONE ? NULL : &g->p->steps[mk];
    if (!dq || !is_op(dq, "DequantizeLinear") || dq->nin < 2 || !one(g, dq->in[1]) ||
        (dq->nin > 2 && dq->in[2] && !one(g, dq->in[2])))
        return CLO_OK;
    clo_tensor *w8, *ws, *wz, *b32 = NULL, *bs = NULL, *bz = NULL;
    int64_t waxis, baxis;
    const clo_onnx_node *nd = mid->node;
    if (!dq_of_inits(g, m->names[nd->in_first + 1], &w8, &ws, &wz, &waxis) ||
        (w8->dtype != CLO_ONNX_INT8 && w8->dtype != CLO_ONNX_UINT8))
        return CLO_OK;
    /* per channel: a Conv's output channels (axis 0), a MatMul's columns */
    uint32_t per_axis = conv ? 0 : 1;
    if (conv ? w8->shape.rank < 3 : w8->shape.rank != 2) return CLO_OK;
    if (ws->count > 1 && ((waxis < 0 ? waxis + w8->shape.rank : waxis) != per_axis ||
                          ws->count != (uint64_t)w8->shape.d[per_axis]))
        return CLO_OK;
    if (mid->nin > 2 && mid->in[2]) { /* a Conv's bias */
        if (nd->in_n < 3 || !dq_of_inits(g, m->names[nd->in_first + 2], &b32, &bs, &bz, &baxis) ||
            b32->dtype != CLO_ONNX_INT32 || b32->count != (uint64_t)w8->shape.d[0])
            return CLO_OK;
        /* the bias's scale must be x's times W's, its zero point 0 */
        float xs = *(const float *)dq->in[1]->data;
        for (uint64_t c = 0; c < b32->count; c++) {
            float want = xs * ((const float *)ws->data)[ws->count > 1 ? c : 0];
            if (((const float *)bs->data)[bs->count > 1 ? c : 0] != want) return CLO_OK;
            if (bz && ((const int32_t *)bz->data)[bz->count > 1 ? c : 0] != 0) return CLO_OK;
        }
    }
    clo_tensor *xz = dq->nin > 2 ? dq->in[2] : NULL, *yz = q->nin > 2 ? q->in[2] : NULL;
    if (!xz || !yz || !wz) return CLO_OK; /* the quantized operators take them all */
    const clo_onnx_op *op =
        clo_onnx_op_find(CLO_BYTES_EMPTY, clo_bytes_str(conv ? "QLinearConv" : "QLinearMatMul"));
    clo_tensor **in = clo_onnx_plan_own(g->p, 9 * sizeof *in),
               **out = clo_onnx_plan_own(g->p, sizeof *out);
    if (!in || !out) return CLO_ERR(CLO_E_NOMEM, "onnx: fuse");
    clo_tensor *v[9] = {dq->in[0], dq->in[1], xz, w8, ws, wz, q->in[1], yz, b32};
    memcpy(in, v, sizeof v);
    out[0] = q->out[0];
    if (mid->opset < op->since) return CLO_OK;
    clo_err e = prepare_as(g, mid, op, in, b32 ? 9 : 8, out, NULL);
    if (e.code == CLO_E_NOMEM) return e;
    if (e.code) return CLO_OK; /* stays as it was */
    q->op = NULL;
    if (relu) relu->op = NULL;
    if (g->readers[vi(g, dq->out[0])] == 1) dq->op = NULL; /* its only reader was mid */
    return CLO_OK;
}

/* ---- a Conv's tail: Add (a residual) and Relu, Clip or HardSwish ---- */

/* A float Conv that writes t for st alone and takes one more tail. */
static step *conv_before(const graph *g, const clo_tensor *t)
{
    step *conv = only_use(g, t);
    return conv && is_op(conv, "Conv") && conv->nout == 1 && t->dtype == CLO_ONNX_FLOAT ? conv
                                                                                        : NULL;
}

/* An activation or residual Add after a Conv becomes the Conv's tail
 * (ops_conv.c applies it to each block of outputs as it is made, while
 * they are in cache): the same operations on the same values, so the same
 * bits, one pass over the output fewer. Runs last, so no other rewrite
 * sees a Conv with a tail. */
static clo_err fuse_tail(graph *g, step *st, int *changed)
{
    clo_onnx_epilogue e = {0};
    step *conv = NULL;
    clo_tensor *res = NULL;
    if ((is_op(st, "Relu") || st->op == &op_hswish) && st->nin == 1) {
        e.act = is_op(st, "Relu") ? CLO_EPI_RELU : CLO_EPI_HSWISH;
        if (st->op == &op_hswish) e.hs = *(const hswish_params *)st->params;
        conv = conv_before(g, st->in[0]);
    } else if (is_op(st, "Clip") && st->in[0]->dtype == CLO_ONNX_FLOAT) {
        float lo, hi;
        const clo_tensor *bl = st->nin > 1 ? st->in[1] : NULL, *bh = st->nin > 2 ? st->in[2] : NULL;
        if ((bl && !scalar(g, bl, &lo)) || (bh && !scalar(g, bh, &hi))) return CLO_OK;
        clo_onnx_clip_bounds((const clo_tensor *const *)st->in, st->nin, st->params, &e.lo, &e.hi);
        e.act = CLO_EPI_CLIP;
        conv = conv_before(g, st->in[0]);
    } else if (is_op(st, "Add") && st->nin == 2 && st->in[0] != st->in[1]) {
        for (int side = 0; side < 2 && !conv; side++) {
            clo_tensor *y = st->in[side], *r = st->in[1 - side];
            if (!clo_shape_equal(&y->shape, &r->shape) ||
                !clo_shape_equal(&y->shape, &st->out[0]->shape) || r->dtype != CLO_ONNX_FLOAT)
                continue;
            conv = conv_before(g, y);
            /* the residual must be made before the Conv runs (steps are in order) */
            uint32_t rm = g->maker[vi(g, r)];
            if (conv && rm != NONE && rm > (uint32_t)(conv - g->p->steps)) conv = NULL;
            res = r;
        }
        e.res = 1;
    }
    if (!conv) return CLO_OK;
    clo_tensor **in = NULL;
    if (res) {
        in = clo_onnx_plan_own(g->p, 4 * sizeof *in);
        if (!in) return CLO_ERR(CLO_E_NOMEM, "onnx: fuse");
    }
    if (!clo_onnx_conv_epilogue(conv->params, &e)) return CLO_OK;
    if (res) {
        for (uint32_t k = 0; k < 3; k++) in[k] = k < conv->nin ? conv->in[k] : NULL;
        in[3] = res;
        conv->in = in;
        conv->nin = 4;
    }
    conv->out[0] = st->out[0];
    st->op = NULL;
    *changed = 1;
    return CLO_OK;
}

/* Quantized convolutions in a chain keep their activations NHWC between
 * them: a QLinearConv's output that only QLinearConvs read, as their X
 * (not a graph output), is written and read that way, so neither side
 * turns it around (ops_quant.c). The value keeps its NCHW type and shape;
 * no other step sees its bytes. */
static void chain_qconv(graph *g)
{
    clo_onnx_plan *p = g->p;
    count_uses(g);
    for (size_t s = 0; s < p->nsteps; s++) {
        step *st = &p->steps[s];
        if (!is_op(st, "QLinearConv") || !st->out[0] ||
            !clo_onnx_qconv_chain_out(st->params, st->out[0], 0))
            continue;
        uint32_t readers = 0;
        int ok = 1;
        for (size_t t = 0; t < p->nsteps && ok; t++)
            for (uint32_t k = 0; k < p->steps[t].nin && ok; k++) {
                if (p->steps[t].in[k] != st->out[0]) continue;
                readers++;
                ok = k == 0 && is_op(&p->steps[t], "QLinearConv") &&
                     clo_onnx_qconv_chain_in(p->steps[t].params, st->out[0], 0);
            }
        if (!ok || !readers || readers != g->readers[vi(g, st->out[0])]) continue;
        clo_onnx_qconv_chain_out(st->params, st->out[0], 1);
        for (size_t t = 0; t < p->nsteps; t++)
            if (p->steps[t].nin && p->steps[t].in[0] == st->out[0])
                clo_onnx_qconv_chain_in(p->steps[t].params, st->out[0], 1);
    }
}

clo_err clo_onnx_fuse(clo_onnx_plan *p, char why[CLO_ONNX_WHY])
{
    graph g = {p, malloc((p->nvals ? p->nvals : 1) * sizeof *g.readers),
               malloc((p->nvals ? p->nvals : 1) * sizeof *g.maker)};
    clo_err err = CLO_OK;
    if (!g.readers || !g.maker) {
        err = CLO_ERR(CLO_E_NOMEM, "onnx: fuse");
        goto out;
    }
    /* QDQ products first, on counts of their own: the rewrite adds
     * readers (x's bytes) the later passes must see counted. */
    count_uses(&g);
    for (size_t s = p->nsteps; s-- > 0 && !err.code;)
        if (p->steps[s].op) err = fuse_qdq(&g, &p->steps[s]);
    compact(p);
    /* Passes until one fuses nothing: a rewrite can make another possible
     * (a HardSwish fused in one pass takes the affine after it in the next).
     * Within a pass the counts only overstate (removed steps still count),
     * so no rewrite there is wrong; each pass counts afresh. */
    for (size_t before = 0; before != p->nsteps && !err.code;) {
        before = p->nsteps;
        count_uses(&g);
        /* Later steps first: a rewrite only removes steps before the one it keeps. */
        for (size_t s = p->nsteps; s-- > 0 && !err.code;) {
            step *st = &p->steps[s];
            if (st->op) err = fuse_hswish(&g, st);
            if (!err.code && st->op) err = fuse_conv_bn(&g, st);
            if (!err.code && st->op) err = fuse_affine(&g, st);
            if (!err.code && st->op) err = fuse_pad_conv(&g, st);
            if (!err.code && st->op) err = fuse_conv_bias(&g, st);
        }
        compact(p);
    }
    /* Conv tails last, until none is left: Conv -> Add -> Relu takes two */
    for (int changed = 1; changed && !err.code;) {
        changed = 0;
        count_uses(&g);
        for (size_t s = p->nsteps; s-- > 0 && !err.code;)
            if (p->steps[s].op) err = fuse_tail(&g, &p->steps[s], &changed);
        compact(p);
    }
    if (!err.code) chain_qconv(&g);
out:
    if (err.code) snprintf(why, CLO_ONNX_WHY, "fusing steps: %s", err.what);
    free(g.readers);
    free(g.maker);
    return err;
}
