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

typedef struct {
    float add, lo, hi, div;
    float scale, shift; /* then * scale + shift (1 and 0 unless fused: fuse_affine) */
} hswish_params;

/* The parameters as locals, so the loop vectorises (a store to o cannot
 * change them). */
CLO_CLONES static void hswish_loop(const float *a, float *o, uint64_t n, const hswish_params *h)
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
    hswish_loop((const float *)x->in[0]->data + i0, (float *)x->out[0]->data + i0, i1 - i0, h);
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

/* Prepare a convolution again on (its input, w, b), writing out (its packed
 * weights are made from w). */
static clo_err conv_again(graph *g, step *conv, clo_tensor *w, clo_tensor *b, clo_tensor *y)
{
    uint32_t nin = b ? 3 : 2;
    clo_tensor **in = clo_onnx_plan_own(g->p, 3 * sizeof *in),
               **out = clo_onnx_plan_own(g->p, sizeof *out);
    void *params = conv->op->params_size ? clo_onnx_plan_own(g->p, conv->op->params_size) : NULL;
    if (!in || !out || (conv->op->params_size && !params))
        return CLO_ERR(CLO_E_NOMEM, "onnx: fuse");
    in[0] = conv->in[0];
    in[1] = w;
    in[2] = b;
    out[0] = y;
    char reason[CLO_ONNX_WHY] = "";
    clo_onnx_prep pr = {g->p->m,
                        conv->node,
                        conv->opset,
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
                        conv->padded ? conv->pads_add : NULL};
    CLO_TRY(conv->op->prepare(&pr));
    conv->in = in;
    conv->nin = nin;
    conv->out = out;
    conv->params = params;
    conv->scratch = pr.scratch;
    return CLO_OK;
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
        size_t kept = 0;
        for (size_t s = 0; s < p->nsteps; s++)
            if (p->steps[s].op) p->steps[kept++] = p->steps[s];
        p->nsteps = kept;
    }
    if (!err.code) chain_qconv(&g);
out:
    if (err.code) snprintf(why, CLO_ONNX_WHY, "fusing steps: %s", err.what);
    free(g.readers);
    free(g.maker);
    return err;
}
