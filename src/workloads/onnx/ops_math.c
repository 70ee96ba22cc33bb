/* ops_math.c — Gemm and MatMul (on gemm.c, with constant weights packed
 * when the plan is built), Softmax/LogSoftmax/Hardmax, the normalizations
 * (Batch, Instance, Layer), the Reduce family and ArgMax/ArgMin. Sums are
 * accumulated in double where a long reduction would lose float precision. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "workloads/onnx/bcast.h"
#include "workloads/onnx/gemm.h"
#include "workloads/onnx/linalg.h"
#include "workloads/onnx/op.h"
#include "workloads/onnx/plan_impl.h"
#include "workloads/onnx/vmath.h"

static uint64_t prod(const clo_shape *s, uint32_t from, uint32_t to)
{
    uint64_t n = 1;
    for (uint32_t i = from; i < to && i < s->rank; i++) n *= (uint64_t)s->d[i];
    return n;
}

/* ======================= Gemm ======================= */
typedef struct {
    size_t M, N, K;
    int ta, tb;
    float alpha, beta;
    clo_shape cshape, oshape;
    const float *packed_b;
    size_t per_part; /* floats of GEMM scratch per thread */
} gemm_params;

static clo_err gemm_prepare(clo_onnx_prep *p)
{
    gemm_params *g = p->params;
    int64_t ta, tb;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_attr_int(p, "transA", 0, &ta));
    CLO_TRY(clo_onnx_attr_int(p, "transB", 0, &tb));
    CLO_TRY(clo_onnx_attr_float(p, "alpha", 1.0f, &g->alpha));
    CLO_TRY(clo_onnx_attr_float(p, "beta", 1.0f, &g->beta));
    g->ta = ta != 0;
    g->tb = tb != 0;
    const clo_shape *a = &p->in[0]->shape, *b = &p->in[1]->shape;
    if (a->rank != 2 || b->rank != 2)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "A and B must be matrices");
    g->M = (size_t)a->d[g->ta ? 1 : 0];
    g->K = (size_t)a->d[g->ta ? 0 : 1];
    g->N = (size_t)b->d[g->tb ? 0 : 1];
    if ((size_t)b->d[g->tb ? 1 : 0] != g->K)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "inner dims differ (%zu, %lld)", g->K,
                               (long long)b->d[g->tb ? 1 : 0]);
    g->oshape = (clo_shape){2, {(int64_t)g->M, (int64_t)g->N}};
    if (p->nin > 2 && p->in[2]) {
        CLO_TRY(clo_onnx_need(p, 2, CLO_T_FLOAT));
        g->cshape = p->in[2]->shape;
        if (!clo_shape_broadcasts_to(&g->cshape, &g->oshape))
            return clo_onnx_refuse(p, CLO_E_FORMAT, "C does not broadcast to (M, N)");
    } else if (p->opset < 11) {
        return clo_onnx_refuse(p, CLO_E_FORMAT, "input C is required before opset 11");
    } else {
        g->beta = 0.0f;
    }
    if (p->in[1]->data) {
        float *pk = clo_onnx_prep_alloc(p, clo_gemm_packed_size(g->N, g->K) * sizeof(float));
        if (!pk) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        clo_gemm_pack_b(p->in[1]->data, (size_t)b->d[1], g->tb, g->N, g->K, pk);
        g->packed_b = pk;
    }
    g->per_part = (clo_gemm_scratch(g->M, g->N, g->K, g->packed_b != NULL) + 15) / 16 * 16;
    p->scratch = g->per_part * p->threads * sizeof(float);
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &g->oshape);
    return CLO_OK;
}

static clo_err gemm_run(const clo_onnx_exec *x)
{
    const gemm_params *g = x->params;
    float *o = x->out[0]->data;
    if (x->nin > 2 && x->in[2] && g->beta != 0.0f) {
        clo_bcast it;
        const clo_shape *cs[1] = {&g->cshape};
        clo_bcast_init(&it, &g->oshape, cs, 1);
        const float *c = x->in[2]->data;
        float *d = o;
        for (uint64_t r = 0; r < it.rows; r++, d += it.inner) {
            for (int64_t i = 0; i < it.inner; i++) d[i] = g->beta * c[it.off[0] + i * it.is[0]];
            clo_bcast_next(&it);
        }
    } else {
        memset(o, 0, g->M * g->N * sizeof(float));
    }
    const clo_shape *a = &x->in[0]->shape, *b = &x->in[1]->shape;
    clo_gemm_args ga = {g->M,           g->N,
                        g->K,           g->ta,
                        g->tb,          g->alpha,
                        x->in[0]->data, (size_t)a->d[1],
                        x->in[1]->data, (size_t)b->d[1],
                        g->packed_b,    o,
                        g->N,           NULL};
    clo_gemm_par(&ga, x->scratch, g->per_part, x->pool);
    return CLO_OK;
}

static const clo_onnx_op op_gemm = {
    "",           "Gemm",  6, 2, 3, 1, 1, "transA,transB,alpha,beta,broadcast", sizeof(gemm_params),
    gemm_prepare, gemm_run};

/* ======================= MatMul ======================= */
clo_err clo_matmul_dims_read(clo_onnx_prep *p, clo_matmul_dims *d, clo_shape *out)
{
    clo_shape a = p->in[0]->shape, b = p->in[1]->shape;
    if (!a.rank || !b.rank) return clo_onnx_refuse(p, CLO_E_FORMAT, "scalar operand");
    int a1 = a.rank == 1, b1 = b.rank == 1;
    if (a1) a = (clo_shape){2, {1, a.d[0]}};
    if (b1) b = (clo_shape){2, {b.d[0], 1}};
    d->M = (size_t)a.d[a.rank - 2];
    d->K = (size_t)a.d[a.rank - 1];
    d->N = (size_t)b.d[b.rank - 1];
    if ((size_t)b.d[b.rank - 2] != d->K)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "inner dims differ (%zu, %lld)", d->K,
                               (long long)b.d[b.rank - 2]);
    d->abatch = (clo_shape){a.rank - 2, {0}};
    d->bbatch = (clo_shape){b.rank - 2, {0}};
    memcpy(d->abatch.d, a.d, (a.rank - 2) * sizeof a.d[0]);
    memcpy(d->bbatch.d, b.d, (b.rank - 2) * sizeof b.d[0]);
    clo_shape both[2] = {d->abatch, d->bbatch};
    if (clo_shape_broadcast(both, 2, &d->obatch).code)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "batch dims do not broadcast");
    *out = d->obatch;
    if (!a1) out->d[out->rank++] = (int64_t)d->M;
    if (!b1) out->d[out->rank++] = (int64_t)d->N;
    d->fold_m = b.rank == 2;
    d->m_eff = d->fold_m ? d->M * (size_t)prod(&d->abatch, 0, d->abatch.rank) : d->M;
    return CLO_OK;
}

void clo_matmul_batches(const clo_matmul_dims *d, size_t *a_off, size_t *b_off)
{
    clo_bcast it;
    const clo_shape *bs[2] = {&d->abatch, &d->bbatch};
    clo_bcast_init(&it, &d->obatch, bs, 2);
    size_t k = 0;
    for (uint64_t r = 0; r < it.rows; r++) {
        for (int64_t i = 0; i < it.inner; i++, k++) {
            a_off[k] = (size_t)(it.off[0] + i * it.is[0]);
            b_off[k] = (size_t)(it.off[1] + i * it.is[1]);
        }
        clo_bcast_next(&it);
    }
}

typedef struct {
    clo_matmul_dims d;
    const float *packed_b;
    size_t *a_off, *b_off; /* per output batch matrix */
    size_t per_part;       /* floats of GEMM scratch per thread */
} matmul_params;

/* Batch offsets, worked out once (plan memory). */
static clo_err batch_offsets(clo_onnx_prep *p, const clo_matmul_dims *d, size_t **a_off,
                             size_t **b_off)
{
    uint64_t nb = prod(&d->obatch, 0, d->obatch.rank);
    *a_off = clo_onnx_prep_alloc(p, (nb + 1) * sizeof(size_t));
    *b_off = clo_onnx_prep_alloc(p, (nb + 1) * sizeof(size_t));
    if (!*a_off || !*b_off) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
    clo_matmul_batches(d, *a_off, *b_off);
    return CLO_OK;
}

static clo_err matmul_prepare(clo_onnx_prep *p)
{
    matmul_params *mp = p->params;
    clo_shape out;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_FLOAT));
    CLO_TRY(clo_matmul_dims_read(p, &mp->d, &out));
    const clo_matmul_dims *d = &mp->d;
    if (d->fold_m && p->in[1]->data) {
        float *pk = clo_onnx_prep_alloc(p, clo_gemm_packed_size(d->N, d->K) * sizeof(float));
        if (!pk) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        clo_gemm_pack_b(p->in[1]->data, d->N, 0, d->N, d->K, pk);
        mp->packed_b = pk;
    }
    if (!d->fold_m) CLO_TRY(batch_offsets(p, d, &mp->a_off, &mp->b_off));
    mp->per_part = (clo_gemm_scratch(d->m_eff, d->N, d->K, mp->packed_b != NULL) + 15) / 16 * 16;
    p->scratch = mp->per_part * p->threads * sizeof(float);
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &out);
    return CLO_OK;
}

typedef struct {
    const matmul_params *mp;
    const float *A, *B;
    float *o, *scratch;
} batch_job;

/* A range of the batch's matrices per thread, each one thread's GEMM. */
static void batch_part(void *ctx, unsigned part, unsigned parts)
{
    const batch_job *j = ctx;
    const matmul_params *mp = j->mp;
    const clo_matmul_dims *d = &mp->d;
    uint64_t nb = prod(&d->obatch, 0, d->obatch.rank);
    size_t mk = d->M * d->K, kn = d->K * d->N, mn = d->M * d->N;
    for (uint64_t k = nb * part / parts; k < nb * (part + 1) / parts; k++) {
        clo_gemm_args ga = {d->M,
                            d->N,
                            d->K,
                            0,
                            0,
                            1.0f,
                            j->A + mp->a_off[k] * mk,
                            d->K,
                            j->B + mp->b_off[k] * kn,
                            d->N,
                            NULL,
                            j->o + k * mn,
                            d->N,
                            NULL};
        clo_gemm(&ga, j->scratch + part * mp->per_part);
    }
}

static clo_err matmul_run(const clo_onnx_exec *x)
{
    const matmul_params *mp = x->params;
    const clo_matmul_dims *d = &mp->d;
    float *o = x->out[0]->data;
    const float *A = x->in[0]->data, *B = x->in[1]->data;
    memset(o, 0, x->out[0]->count * sizeof(float));
    if (d->fold_m) {
        clo_gemm_args ga = {d->m_eff, d->N, d->K,         0, 0,    1.0f, A, d->K,
                            B,        d->N, mp->packed_b, o, d->N, NULL};
        clo_gemm_par(&ga, x->scratch, mp->per_part, x->pool);
        return CLO_OK;
    }
    batch_job j = {mp, A, B, o, x->scratch};
    uint64_t nb = prod(&d->obatch, 0, d->obatch.rank);
    if ((double)nb * (double)d->M * (double)d->N * (double)d->K < 200000) /* not worth a hand-off */
        batch_part(&j, 0, 1);
    else
        clo_pool_run(x->pool, batch_part, &j);
    return CLO_OK;
}

static const clo_onnx_op op_matmul = {
    "", "MatMul", 1, 2, 2, 1, 1, "", sizeof(matmul_params), matmul_prepare, matmul_run};

/* ======================= Softmax, LogSoftmax, Hardmax ======================= */
enum { SM_SOFT, SM_LOG, SM_HARD };
typedef struct {
    int kind;
    uint64_t outer, n, inner;
} softmax_params;

static clo_err softmax_prepare_kind(clo_onnx_prep *p, int kind)
{
    softmax_params *sp = p->params;
    sp->kind = kind;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    const clo_shape *s = &p->in[0]->shape;
    int64_t axis;
    CLO_TRY(clo_onnx_attr_int(p, "axis", p->opset < 13 ? 1 : -1, &axis));
    uint32_t a;
    if (s->rank == 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "scalar input");
    CLO_TRY(clo_onnx_axis(p, axis, s->rank, &a));
    sp->outer = prod(s, 0, a);
    if (p->opset < 13) { /* the input is coerced to 2-D at the axis */
        sp->n = prod(s, a, s->rank);
        sp->inner = 1;
    } else {
        sp->n = (uint64_t)s->d[a];
        sp->inner = prod(s, a + 1, s->rank);
    }
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, s);
    return CLO_OK;
}

typedef struct {
    const clo_onnx_exec *x;
} softmax_job;

/* The sum of e^(a[i] - mx) over a contiguous vector, 8 at a time (the last
 * few through the same lanes), in double lanes; the terms to y if given. */
CLO_CLONES static double exp_sum(const float *a, uint64_t n, float mx, float *y)
{
    typedef double v4d __attribute__((vector_size(32)));
    typedef float v4f __attribute__((vector_size(16)));
    v4d s0 = {0}, s1 = {0};
    for (uint64_t i = 0; i < n; i += 8) {
        size_t k = n - i < 8 ? (size_t)(n - i) : 8;
        clo_v8f v;
        clo_v8_load(a + i, k, -INFINITY, &v);
        clo_v8f e = v - CLO_V8(mx);
        clo_v8_exp(&e, &e);
        if (y) clo_v8_store(y + i, k, &e);
        v4f lo = {e[0], e[1], e[2], e[3]}, hi = {e[4], e[5], e[6], e[7]};
        s0 += __builtin_convertvector(lo, v4d);
        s1 += __builtin_convertvector(hi, v4d);
    }
    s0 += s1;
    return (s0[0] + s0[1]) + (s0[2] + s0[3]);
}

/* The largest of n contiguous floats, NaNs passed over (as a > max is). */
CLO_CLONES static float max_of(const float *a, uint64_t n)
{
    clo_v8f m = CLO_V8(-INFINITY);
    for (uint64_t i = 0; i < n; i += 8) {
        clo_v8f v;
        clo_v8_load(a + i, n - i < 8 ? (size_t)(n - i) : 8, -INFINITY, &v);
        clo_v8i gt = v > m;
        clo_v8_sel(&gt, &v, &m, &m);
    }
    float mx = -INFINITY;
    for (int l = 0; l < 8; l++) mx = m[l] > mx ? m[l] : mx;
    return mx;
}

CLO_CLONES static void scale_by(float *y, uint64_t n, float s)
{
    for (uint64_t i = 0; i < n; i++) y[i] *= s;
}

/* A range of the (outer, inner) vectors per thread: each one thread's. */
static void softmax_part(void *ctx, unsigned part, unsigned parts)
{
    const clo_onnx_exec *x = ((const softmax_job *)ctx)->x;
    const softmax_params *sp = x->params;
    const float *in = x->in[0]->data;
    float *out = x->out[0]->data;
    uint64_t n = sp->n, inner = sp->inner, all = sp->outer * inner;
    for (uint64_t v = all * part / parts; v < all * (part + 1) / parts; v++) {
        uint64_t o = v / inner, j = v % inner;
        const float *a = in + o * n * inner + j;
        float *y = out + o * n * inner + j;
        float mx = -INFINITY;
        uint64_t arg = 0;
        if (inner == 1 && sp->kind != SM_HARD)
            mx = max_of(a, n);
        else
            for (uint64_t i = 0; i < n; i++)
                if (a[i * inner] > mx) {
                    mx = a[i * inner];
                    arg = i;
                }
        if (sp->kind == SM_HARD) {
            for (uint64_t i = 0; i < n; i++) y[i * inner] = i == arg ? 1.0f : 0.0f;
            continue;
        }
        double sum = inner == 1 ? exp_sum(a, n, mx, sp->kind == SM_SOFT ? y : NULL) : 0;
        for (uint64_t i = 0; inner != 1 && i < n; i++) {
            float e = clo_exp1(a[i * inner] - mx);
            if (sp->kind == SM_SOFT) y[i * inner] = e;
            sum += e;
        }
        if (sp->kind == SM_SOFT) {
            float inv = (float)(1.0 / sum);
            if (inner == 1)
                scale_by(y, n, inv);
            else
                for (uint64_t i = 0; i < n; i++) y[i * inner] *= inv;
        } else {
            float ls = (float)log(sum);
            for (uint64_t i = 0; i < n; i++) y[i * inner] = a[i * inner] - mx - ls;
        }
    }
}

static clo_err softmax_run(const clo_onnx_exec *x)
{
    softmax_job j = {x};
    if (x->in[0]->count < 16384) /* not worth a hand-off */
        softmax_part(&j, 0, 1);
    else
        clo_pool_run(x->pool, softmax_part, &j);
    return CLO_OK;
}

static clo_err softmax_prepare(clo_onnx_prep *p)
{
    return softmax_prepare_kind(p, SM_SOFT);
}
static clo_err logsoftmax_prepare(clo_onnx_prep *p)
{
    return softmax_prepare_kind(p, SM_LOG);
}
static clo_err hardmax_prepare(clo_onnx_prep *p)
{
    return softmax_prepare_kind(p, SM_HARD);
}

static const clo_onnx_op op_softmax = {
    "", "Softmax", 1, 1, 1, 1, 1, "axis", sizeof(softmax_params), softmax_prepare, softmax_run};
static const clo_onnx_op op_logsoftmax = {
    "",         "LogSoftmax", 1, 1, 1, 1, 1, "axis", sizeof(softmax_params), logsoftmax_prepare,
    softmax_run};
static const clo_onnx_op op_hardmax = {
    "", "Hardmax", 1, 1, 1, 1, 1, "axis", sizeof(softmax_params), hardmax_prepare, softmax_run};

/* ======================= BatchNormalization ======================= */
typedef struct {
    float eps;
    uint64_t n, c, spatial;
} bn_params;

static clo_err per_channel(clo_onnx_prep *p, size_t k, int64_t c)
{
    CLO_TRY(clo_onnx_need(p, k, CLO_T_FLOAT));
    if (p->in[k]->shape.rank != 1 || p->in[k]->shape.d[0] != c)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "input %zu must have one value per channel", k);
    return CLO_OK;
}

static clo_err bn_prepare(clo_onnx_prep *p)
{
    bn_params *bp = p->params;
    int64_t spatial, training;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_attr_float(p, "epsilon", 1e-5f, &bp->eps));
    CLO_TRY(clo_onnx_attr_int(p, "spatial", 1, &spatial));
    CLO_TRY(clo_onnx_attr_int(p, "training_mode", 0, &training));
    if (!spatial) return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "spatial=0 is not supported");
    if (training || p->nout > 1)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                               "training mode (running statistics outputs) is not supported");
    const clo_shape *s = &p->in[0]->shape;
    if (s->rank < 2) return clo_onnx_refuse(p, CLO_E_FORMAT, "X must have a channel dim");
    for (size_t k = 1; k < 5; k++) CLO_TRY(per_channel(p, k, s->d[1]));
    bp->n = (uint64_t)s->d[0];
    bp->c = (uint64_t)s->d[1];
    bp->spatial = prod(s, 2, s->rank);
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, s);
    return CLO_OK;
}

float clo_onnx_bn_epsilon(const void *params)
{
    return ((const bn_params *)params)->eps;
}

typedef struct {
    const clo_onnx_exec *x;
} bn_job;

/* A range of the channels per thread: each element is one thread's. */
static void bn_part(void *ctx, unsigned part, unsigned parts)
{
    const clo_onnx_exec *x = ((const bn_job *)ctx)->x;
    const bn_params *bp = x->params;
    const float *X = x->in[0]->data, *sc = x->in[1]->data, *b = x->in[2]->data,
                *mean = x->in[3]->data, *var = x->in[4]->data;
    float *Y = x->out[0]->data;
    for (uint64_t c = bp->c * part / parts; c < bp->c * (part + 1) / parts; c++) {
        float a = sc[c] / sqrtf(var[c] + bp->eps), d = b[c] - mean[c] * a;
        for (uint64_t n = 0; n < bp->n; n++) {
            const float *xs = X + (n * bp->c + c) * bp->spatial;
            float *ys = Y + (n * bp->c + c) * bp->spatial;
            for (uint64_t i = 0; i < bp->spatial; i++) ys[i] = xs[i] * a + d;
        }
    }
}

static clo_err bn_run(const clo_onnx_exec *x)
{
    bn_job j = {x};
    if (x->in[0]->count < 65536) /* not worth a hand-off */
        bn_part(&j, 0, 1);
    else
        clo_pool_run(x->pool, bn_part, &j);
    return CLO_OK;
}

static const clo_onnx_op op_bn = {"",
                                  "BatchNormalization",
                                  6,
                                  5,
                                  5,
                                  1,
                                  5,
                                  "epsilon,momentum,spatial,training_mode,is_test",
                                  sizeof(bn_params),
                                  bn_prepare,
                                  bn_run};

/* ======================= InstanceNormalization ======================= */
static clo_err in_prepare(clo_onnx_prep *p)
{
    bn_params *bp = p->params;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_attr_float(p, "epsilon", 1e-5f, &bp->eps));
    const clo_shape *s = &p->in[0]->shape;
    if (s->rank < 3) return clo_onnx_refuse(p, CLO_E_FORMAT, "X must be N x C x D1 ...");
    for (size_t k = 1; k < 3; k++) CLO_TRY(per_channel(p, k, s->d[1]));
    bp->n = (uint64_t)s->d[0];
    bp->c = (uint64_t)s->d[1];
    bp->spatial = prod(s, 2, s->rank);
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, s);
    return CLO_OK;
}

/* Mean and 1/sqrt(var + eps) of n floats, accumulated in double. */
static void moments(const float *x, uint64_t n, float eps, float *mean, float *inv)
{
    double s = 0, q = 0;
    for (uint64_t i = 0; i < n; i++) s += x[i];
    double m = n ? s / (double)n : 0;
    for (uint64_t i = 0; i < n; i++) q += ((double)x[i] - m) * ((double)x[i] - m);
    double v = n ? q / (double)n : 0;
    *mean = (float)m;
    *inv = (float)(1.0 / sqrt(v + (double)eps));
}

static clo_err in_run(const clo_onnx_exec *x)
{
    const bn_params *bp = x->params;
    const float *X = x->in[0]->data, *sc = x->in[1]->data, *b = x->in[2]->data;
    float *Y = x->out[0]->data;
    for (uint64_t n = 0; n < bp->n; n++)
        for (uint64_t c = 0; c < bp->c; c++) {
            const float *xs = X + (n * bp->c + c) * bp->spatial;
            float *ys = Y + (n * bp->c + c) * bp->spatial;
            float m, inv;
            moments(xs, bp->spatial, bp->eps, &m, &inv);
            for (uint64_t i = 0; i < bp->spatial; i++) ys[i] = (xs[i] - m) * inv * sc[c] + b[c];
        }
    return CLO_OK;
}

static const clo_onnx_op op_instnorm = {
    "", "InstanceNormalization", 6, 3, 3, 1, 1, "epsilon", sizeof(bn_params), in_prepare, in_run};

/* ======================= LayerNormalization ======================= */
typedef struct {
    float eps;
    uint64_t outer, n;
    int scalar_scale, scalar_bias;
} ln_params;

static clo_err ln_prepare(clo_onnx_prep *p)
{
    ln_params *lp = p->params;
    int64_t axis, stash;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_attr_float(p, "epsilon", 1e-5f, &lp->eps));
    CLO_TRY(clo_onnx_attr_int(p, "axis", -1, &axis));
    CLO_TRY(clo_onnx_attr_int(p, "stash_type", 1, &stash));
    if (stash != 1)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "stash_type %lld", (long long)stash);
    const clo_shape *s = &p->in[0]->shape;
    uint32_t a;
    CLO_TRY(clo_onnx_axis(p, axis, s->rank, &a));
    lp->outer = prod(s, 0, a);
    lp->n = prod(s, a, s->rank);
    /* Scale and B: the normalized shape, or one value. */
    for (size_t k = 1; k < 3 && k < p->nin; k++) {
        if (!p->in[k]) continue;
        CLO_TRY(clo_onnx_need(p, k, CLO_T_FLOAT));
        uint64_t c = p->in[k]->count;
        if (c != lp->n && c != 1)
            return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                                   "input %zu must have the normalized shape or be a scalar", k);
        if (k == 1)
            lp->scalar_scale = c == 1 && lp->n != 1;
        else
            lp->scalar_bias = c == 1 && lp->n != 1;
    }
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, s);
    clo_shape ms = *s;
    for (uint32_t i = a; i < ms.rank; i++) ms.d[i] = 1;
    clo_onnx_set_out(p, 1, CLO_ONNX_FLOAT, &ms);
    clo_onnx_set_out(p, 2, CLO_ONNX_FLOAT, &ms);
    return CLO_OK;
}

static clo_err ln_run(const clo_onnx_exec *x)
{
    const ln_params *lp = x->params;
    const float *X = x->in[0]->data, *sc = x->in[1]->data;
    const float *b = x->nin > 2 && x->in[2] ? x->in[2]->data : NULL;
    float *Y = x->out[0]->data;
    float *M = x->nout > 1 && x->out[1] ? x->out[1]->data : NULL;
    float *I = x->nout > 2 && x->out[2] ? x->out[2]->data : NULL;
    for (uint64_t o = 0; o < lp->outer; o++) {
        const float *xs = X + o * lp->n;
        float *ys = Y + o * lp->n, m, inv;
        moments(xs, lp->n, lp->eps, &m, &inv);
        for (uint64_t i = 0; i < lp->n; i++) {
            float v = (xs[i] - m) * inv * sc[lp->scalar_scale ? 0 : i];
            ys[i] = b ? v + b[lp->scalar_bias ? 0 : i] : v;
        }
        if (M) M[o] = m;
        if (I) I[o] = inv;
    }
    return CLO_OK;
}

static const clo_onnx_op op_layernorm = {"",
                                         "LayerNormalization",
                                         17,
                                         2,
                                         3,
                                         1,
                                         3,
                                         "axis,epsilon,stash_type",
                                         sizeof(ln_params),
                                         ln_prepare,
                                         ln_run};

/* ======================= Reduce* ======================= */
enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LOGSUMEXP, R_SUMSQ };
typedef struct {
    int kind;
    clo_shape in, kept; /* the input shape, and the output with reduced dims kept as 1 */
    uint64_t per;       /* elements reduced into each output */
} reduce_params;

static clo_err reduce_prepare_kind(clo_onnx_prep *p, int kind)
{
    reduce_params *rp = p->params;
    rp->kind = kind;
    static const int32_t reals[] = {CLO_ONNX_FLOAT, CLO_ONNX_DOUBLE, 0};
    CLO_TRY(clo_onnx_need(p, 0, reals));
    int64_t axes[CLO_ONNX_MAX_RANK], keep, noop;
    size_t n = 0;
    int given = 0;
    CLO_TRY(clo_onnx_attr_int(p, "keepdims", 1, &keep));
    CLO_TRY(clo_onnx_attr_int(p, "noop_with_empty_axes", 0, &noop));
    if ((kind == R_SUM && p->opset >= 13) || p->opset >= 18) { /* axes became an input */
        if (clo_onnx_attr_get(p, "axes"))
            return clo_onnx_refuse(p, CLO_E_FORMAT, "attribute 'axes' belongs to older opsets");
        if (p->nin > 1 && p->in[1]) {
            CLO_TRY(clo_onnx_const_ints(p, 1, axes, CLO_ONNX_MAX_RANK, &n));
            given = n > 0;
        }
    } else {
        int k;
        if (p->nin > 1) return clo_onnx_refuse(p, CLO_E_FORMAT, "axes as an input needs opset 18");
        CLO_TRY(clo_onnx_attr_ints(p, "axes", axes, CLO_ONNX_MAX_RANK, &k));
        if (k > 0) {
            n = (size_t)k;
            given = 1;
        }
    }
    const clo_shape *s = &p->in[0]->shape;
    int red[CLO_ONNX_MAX_RANK] = {0};
    for (size_t i = 0; i < n; i++) {
        uint32_t a;
        CLO_TRY(clo_onnx_axis(p, axes[i], s->rank, &a));
        red[a] = 1;
    }
    if (!given && !noop)
        for (uint32_t i = 0; i < s->rank; i++) red[i] = 1;
    rp->in = *s;
    rp->kept = *s;
    rp->per = 1;
    clo_shape out = {0, {0}};
    for (uint32_t i = 0; i < s->rank; i++) {
        if (red[i]) {
            rp->kept.d[i] = 1;
            rp->per *= (uint64_t)s->d[i];
            if (keep) out.d[out.rank++] = 1;
        } else {
            out.d[out.rank++] = s->d[i];
        }
    }
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    uint64_t oc = prod(&rp->kept, 0, rp->kept.rank);
    p->scratch = 2 * oc * sizeof(double); /* sums | LogSumExp's maxima */
    return CLO_OK;
}

/* Element i of a float or (dbl) double array. */
static inline double real_at(const void *p, int dbl, int64_t i)
{
    return dbl ? ((const double *)p)[i] : ((const float *)p)[i];
}

/* Sums in double over float or double inputs; the result in the input's type. */
static clo_err reduce_run(const clo_onnx_exec *x)
{
    const reduce_params *rp = x->params;
    const void *in = x->in[0]->data;
    const int dbl = x->in[0]->dtype == CLO_ONNX_DOUBLE;
    uint64_t oc = x->out[0]->count;
    if (!oc) return CLO_OK; /* nothing to write (and no scratch to point into) */
    double *acc = x->scratch, *mx = acc + oc;
    int kind = rp->kind;
    double init = kind == R_MAX ? -INFINITY : kind == R_MIN ? INFINITY : kind == R_PROD ? 1 : 0;
    for (uint64_t i = 0; i < oc; i++) acc[i] = init;
    clo_bcast it;
    const clo_shape *ks[1] = {&rp->kept};
    if (x->in[0]->count) {
        /* LogSumExp: first each group's maximum, for stability. */
        if (kind == R_LOGSUMEXP) {
            for (uint64_t i = 0; i < oc; i++) mx[i] = -INFINITY;
            clo_bcast_init(&it, &rp->in, ks, 1);
            for (uint64_t r = 0, base = 0; r < it.rows; r++, base += (uint64_t)it.inner) {
                for (int64_t i = 0; i < it.inner; i++) {
                    double *m = &mx[it.off[0] + i * it.is[0]],
                           v = real_at(in, dbl, (int64_t)base + i);
                    if (v > *m) *m = v;
                }
                clo_bcast_next(&it);
            }
        }
        clo_bcast_init(&it, &rp->in, ks, 1);
        for (uint64_t r = 0, base = 0; r < it.rows; r++, base += (uint64_t)it.inner) {
            for (int64_t i = 0; i < it.inner; i++) {
                int64_t o = it.off[0] + i * it.is[0];
                double v = real_at(in, dbl, (int64_t)base + i);
                switch (kind) {
                case R_MAX: acc[o] = (v > acc[o] || v != v) ? v : acc[o]; break;
                case R_MIN: acc[o] = (v < acc[o] || v != v) ? v : acc[o]; break;
                case R_PROD: acc[o] *= v; break;
                case R_L1: acc[o] += fabs(v); break;
                case R_L2:
                case R_SUMSQ: acc[o] += v * v; break;
                case R_LOGSUMEXP: acc[o] += exp(v - mx[o]); break;
                default: acc[o] += v; break;
                }
            }
            clo_bcast_next(&it);
        }
    }
    for (uint64_t i = 0; i < oc; i++) {
        double v = acc[i];
        switch (kind) {
        case R_MEAN: v = rp->per ? v / (double)rp->per : NAN; break;
        case R_L2: v = sqrt(v); break;
        case R_LOGSUM: v = log(v); break;
        case R_LOGSUMEXP: v = x->in[0]->count ? log(v) + mx[i] : -INFINITY; break;
        default: break;
        }
        if (dbl)
            ((double *)x->out[0]->data)[i] = v;
        else
            ((float *)x->out[0]->data)[i] = (float)v;
    }
    return CLO_OK;
}

#define REDUCE(ID, NAME, KIND, ATTRS)                                                              \
    static clo_err ID##_prepare(clo_onnx_prep *p)                                                  \
    {                                                                                              \
        return reduce_prepare_kind(p, KIND);                                                       \
    }                                                                                              \
    static const clo_onnx_op ID = {                                                                \
        "", NAME, 1, 1, 2, 1, 1, ATTRS, sizeof(reduce_params), ID##_prepare, reduce_run}

REDUCE(op_rsum, "ReduceSum", R_SUM, "axes,keepdims,noop_with_empty_axes");
REDUCE(op_rmean, "ReduceMean", R_MEAN, "axes,keepdims");
REDUCE(op_rmax, "ReduceMax", R_MAX, "axes,keepdims");
REDUCE(op_rmin, "ReduceMin", R_MIN, "axes,keepdims");
REDUCE(op_rprod, "ReduceProd", R_PROD, "axes,keepdims");
REDUCE(op_rl1, "ReduceL1", R_L1, "axes,keepdims");
REDUCE(op_rl2, "ReduceL2", R_L2, "axes,keepdims");
REDUCE(op_rlogsum, "ReduceLogSum", R_LOGSUM, "axes,keepdims");
REDUCE(op_rlogsumexp, "ReduceLogSumExp", R_LOGSUMEXP, "axes,keepdims");
REDUCE(op_rsumsq, "ReduceSumSquare", R_SUMSQ, "axes,keepdims");

/* ======================= ArgMax, ArgMin ======================= */
typedef struct {
    int max, last;
    uint64_t outer, n, inner;
} arg_params;

static clo_err arg_prepare_kind(clo_onnx_prep *p, int max)
{
    arg_params *ap = p->params;
    ap->max = max;
    int64_t axis, keep, last;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_NUM));
    CLO_TRY(clo_onnx_attr_int(p, "axis", 0, &axis));
    CLO_TRY(clo_onnx_attr_int(p, "keepdims", 1, &keep));
    CLO_TRY(clo_onnx_attr_int(p, "select_last_index", 0, &last));
    ap->last = last != 0;
    const clo_shape *s = &p->in[0]->shape;
    uint32_t a;
    CLO_TRY(clo_onnx_axis(p, axis, s->rank, &a));
    if (s->d[a] == 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "the axis is empty");
    ap->outer = prod(s, 0, a);
    ap->n = (uint64_t)s->d[a];
    ap->inner = prod(s, a + 1, s->rank);
    clo_shape out = *s;
    if (keep)
        out.d[a] = 1;
    else {
        memmove(&out.d[a], &out.d[a + 1], (out.rank - a - 1) * sizeof out.d[0]);
        out.rank--;
    }
    clo_onnx_set_out(p, 0, CLO_ONNX_INT64, &out);
    return CLO_OK;
}

static clo_err arg_run(const clo_onnx_exec *x)
{
    const arg_params *ap = x->params;
    int64_t *o = x->out[0]->data;
    for (uint64_t r = 0; r < ap->outer; r++)
        for (uint64_t j = 0; j < ap->inner; j++) {
            uint64_t base = r * ap->n * ap->inner + j, best = 0;
            double bv = clo_onnx_num_at(x->in[0], base);
            for (uint64_t i = 1; i < ap->n; i++) {
                double v = clo_onnx_num_at(x->in[0], base + i * ap->inner);
                int better =
                    ap->max ? (ap->last ? v >= bv : v > bv) : (ap->last ? v <= bv : v < bv);
                if (better) {
                    bv = v;
                    best = i;
                }
            }
            o[r * ap->inner + j] = (int64_t)best;
        }
    return CLO_OK;
}

static clo_err argmax_prepare(clo_onnx_prep *p)
{
    return arg_prepare_kind(p, 1);
}
static clo_err argmin_prepare(clo_onnx_prep *p)
{
    return arg_prepare_kind(p, 0);
}

static const clo_onnx_op op_argmax = {"",
                                      "ArgMax",
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      "axis,keepdims,select_last_index",
                                      sizeof(arg_params),
                                      argmax_prepare,
                                      arg_run};
static const clo_onnx_op op_argmin = {"",
                                      "ArgMin",
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      "axis,keepdims,select_last_index",
                                      sizeof(arg_params),
                                      argmin_prepare,
                                      arg_run};

/* ======================= CumSum ======================= */
typedef struct {
    uint64_t outer, n, inner;
    int exclusive, reverse;
} cumsum_params;

static clo_err cumsum_prepare(clo_onnx_prep *p)
{
    cumsum_params *cp = p->params;
    static const int32_t types[] = {CLO_ONNX_FLOAT, CLO_ONNX_DOUBLE, CLO_ONNX_INT32, CLO_ONNX_INT64,
                                    0};
    int64_t ex, rev, axis;
    size_t n;
    CLO_TRY(clo_onnx_need(p, 0, types));
    CLO_TRY(clo_onnx_attr_int(p, "exclusive", 0, &ex));
    CLO_TRY(clo_onnx_attr_int(p, "reverse", 0, &rev));
    CLO_TRY(clo_onnx_const_ints(p, 1, &axis, 1, &n));
    if (n != 1) return clo_onnx_refuse(p, CLO_E_FORMAT, "axis must be one integer");
    const clo_shape *s = &p->in[0]->shape;
    uint32_t a;
    CLO_TRY(clo_onnx_axis(p, axis, s->rank, &a));
    cp->outer = prod(s, 0, a);
    cp->n = (uint64_t)s->d[a];
    cp->inner = prod(s, a + 1, s->rank);
    cp->exclusive = ex != 0;
    cp->reverse = rev != 0;
    clo_onnx_set_out(p, 0, p->in[0]->dtype, s);
    return CLO_OK;
}

static clo_err cumsum_run(const clo_onnx_exec *x)
{
    const cumsum_params *cp = x->params;
    const clo_tensor *in = x->in[0];
    clo_tensor *out = x->out[0];
    for (uint64_t o = 0; o < cp->outer; o++)
        for (uint64_t j = 0; j < cp->inner; j++) {
            double fs = 0;
            int64_t is = 0;
            for (uint64_t t = 0; t < cp->n; t++) {
                uint64_t k = cp->reverse ? cp->n - 1 - t : t, e = (o * cp->n + k) * cp->inner + j;
                if (in->dtype == CLO_ONNX_FLOAT) {
                    float v = ((const float *)in->data)[e];
                    if (!cp->exclusive) fs += v;
                    ((float *)out->data)[e] = (float)fs;
                    if (cp->exclusive) fs += v;
                } else if (in->dtype == CLO_ONNX_DOUBLE) {
                    double v = ((const double *)in->data)[e];
                    if (!cp->exclusive) fs += v;
                    ((double *)out->data)[e] = fs;
                    if (cp->exclusive) fs += v;
                } else {
                    int64_t v = clo_onnx_int_at(in, e);
                    if (!cp->exclusive) is = (int64_t)((uint64_t)is + (uint64_t)v);
                    if (in->dtype == CLO_ONNX_INT32)
                        ((int32_t *)out->data)[e] = (int32_t)is;
                    else
                        ((int64_t *)out->data)[e] = is;
                    if (cp->exclusive) is = (int64_t)((uint64_t)is + (uint64_t)v);
                }
            }
        }
    return CLO_OK;
}

static const clo_onnx_op op_cumsum = {
    "",        "CumSum", 11, 2, 2, 1, 1, "exclusive,reverse", sizeof(cumsum_params), cumsum_prepare,
    cumsum_run};

/* ======================= LRN ======================= */
typedef struct {
    float alpha, beta, bias;
    int64_t size;
    uint64_t n, c, spatial;
} lrn_params;

static clo_err lrn_prepare(clo_onnx_prep *p)
{
    lrn_params *lp = p->params;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_attr_float(p, "alpha", 1e-4f, &lp->alpha));
    CLO_TRY(clo_onnx_attr_float(p, "beta", 0.75f, &lp->beta));
    CLO_TRY(clo_onnx_attr_float(p, "bias", 1.0f, &lp->bias));
    CLO_TRY(clo_onnx_attr_int(p, "size", 0, &lp->size));
    const clo_shape *s = &p->in[0]->shape;
    if (lp->size < 1) return clo_onnx_refuse(p, CLO_E_FORMAT, "attribute 'size' must be positive");
    if (s->rank < 3) return clo_onnx_refuse(p, CLO_E_FORMAT, "X must be N x C x D1 ...");
    lp->n = (uint64_t)s->d[0];
    lp->c = (uint64_t)s->d[1];
    lp->spatial = prod(s, 2, s->rank);
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, s);
    return CLO_OK;
}

static clo_err lrn_run(const clo_onnx_exec *x)
{
    const lrn_params *lp = x->params;
    const float *X = x->in[0]->data;
    float *Y = x->out[0]->data;
    int64_t lo = (lp->size - 1) / 2, hi = lp->size - 1 - lo; /* floor below, ceil above */
    for (uint64_t n = 0; n < lp->n; n++)
        for (int64_t c = 0; c < (int64_t)lp->c; c++)
            for (uint64_t i = 0; i < lp->spatial; i++) {
                double sq = 0;
                for (int64_t k = c - lo; k <= c + hi; k++) {
                    if (k < 0 || k >= (int64_t)lp->c) continue;
                    double v = X[(n * lp->c + (uint64_t)k) * lp->spatial + i];
                    sq += v * v;
                }
                uint64_t e = (n * lp->c + (uint64_t)c) * lp->spatial + i;
                Y[e] = (float)(X[e] / pow(lp->bias + lp->alpha / (double)lp->size * sq, lp->beta));
            }
    return CLO_OK;
}

static const clo_onnx_op op_lrn = {
    "", "LRN", 1, 1, 1, 1, 1, "alpha,beta,bias,size", sizeof(lrn_params), lrn_prepare, lrn_run};

/* ======================= MeanVarianceNormalization ======================= */
static clo_err mvn_prepare(clo_onnx_prep *p)
{
    reduce_params *rp = p->params;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    int64_t axes[CLO_ONNX_MAX_RANK] = {0, 2, 3};
    int k;
    CLO_TRY(clo_onnx_attr_ints(p, "axes", axes, CLO_ONNX_MAX_RANK, &k));
    size_t n = k < 0 ? 3 : (size_t)k;
    const clo_shape *s = &p->in[0]->shape;
    rp->in = *s;
    rp->kept = *s;
    rp->per = 1;
    for (size_t i = 0; i < n; i++) {
        uint32_t a;
        CLO_TRY(clo_onnx_axis(p, axes[i], s->rank, &a));
        if (rp->kept.d[a] != 1 || s->d[a] == 1) rp->per *= (uint64_t)s->d[a];
        rp->kept.d[a] = 1;
    }
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, s);
    p->scratch = 2 * prod(&rp->kept, 0, rp->kept.rank) * sizeof(double);
    return CLO_OK;
}

static clo_err mvn_run(const clo_onnx_exec *x)
{
    const reduce_params *rp = x->params;
    const float *in = x->in[0]->data;
    float *out = x->out[0]->data;
    uint64_t groups = prod(&rp->kept, 0, rp->kept.rank);
    double *sum = x->scratch, *sq = sum + groups;
    memset(sum, 0, 2 * groups * sizeof(double));
    const clo_shape *ks[1] = {&rp->kept};
    clo_bcast it;
    for (int pass = 0; pass < 2; pass++) {
        clo_bcast_init(&it, &rp->in, ks, 1);
        const float *a = in;
        float *y = out;
        for (uint64_t r = 0; r < it.rows; r++, a += it.inner, y += it.inner) {
            for (int64_t i = 0; i < it.inner; i++) {
                int64_t g = it.off[0] + i * it.is[0];
                if (!pass) {
                    sum[g] += a[i];
                    sq[g] += (double)a[i] * a[i];
                } else {
                    /* the specification's function: (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9) */
                    double m = sum[g] / (double)rp->per, v = sq[g] / (double)rp->per - m * m;
                    y[i] = (float)((a[i] - m) / (sqrt(v > 0 ? v : 0) + 1e-9));
                }
            }
            clo_bcast_next(&it);
        }
    }
    return CLO_OK;
}

static const clo_onnx_op op_mvn = {
    "",     "MeanVarianceNormalization", 9,           1,      1, 1, 1,
    "axes", sizeof(reduce_params),       mvn_prepare, mvn_run};

const clo_onnx_op *const clo_onnx_ops_math[] = {
    &op_gemm,     &op_matmul,    &op_softmax, &op_logsoftmax, &op_hardmax,    &op_bn,
    &op_instnorm, &op_layernorm, &op_rsum,    &op_rmean,      &op_rmax,       &op_rmin,
    &op_rprod,    &op_rl1,       &op_rl2,     &op_rlogsum,    &op_rlogsumexp, &op_rsumsq,
    &op_argmax,   &op_argmin,    &op_cumsum,  &op_lrn,        &op_mvn,        NULL,
};
