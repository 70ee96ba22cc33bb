/* ops_rnn.c — the recurrent layers: RNN, GRU and LSTM (ONNX opset 7 and
 * later, layout 0 and 1), forward, reverse or bidirectional, with per-batch
 * sequence lengths, initial states, LSTM peepholes and input-forget coupling,
 * GRU's linear_before_reset, cell clipping and any of the specification's
 * activation functions. One batch row at a time, one step at a time: the
 * gates of a step are sums over the input and the previous hidden state in a
 * fixed order, so the result does not depend on how a run is split. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "workloads/onnx/gemm.h"
#include "workloads/onnx/op.h"

enum { K_RNN = 1, K_GRU = 3, K_LSTM = 4 }; /* also the number of gates */
enum {
    A_RELU,
    A_TANH,
    A_SIGMOID,
    A_AFFINE,
    A_LEAKY,
    A_THRESH,
    A_SCALED_TANH,
    A_HARDSIG,
    A_ELU,
    A_SOFTSIGN,
    A_SOFTPLUS
};

typedef struct {
    int kind;
    float alpha, beta;
} act;

#define MAX_FUNCS 3 /* f, g, h */

typedef struct {
    int gates;           /* K_* */
    uint64_t S, B, I, H; /* steps, batch, input size, hidden size */
    int dirs, reverse;   /* dirs 2: forward then reverse */
    int layout;
    float clip; /* 0: none */
    int linear_before_reset, input_forget;
    act f[2][MAX_FUNCS];
    /* constant W and R packed for the GEMM (per direction, B = W^T), or NULL */
    const float *pw, *pr;
    size_t pw_stride, pr_stride;
} rnn_params;

static const struct {
    const char *name;
    int kind, alpha, beta; /* uses alpha/beta */
    float da, db;          /* their defaults */
} ACTS[] = {
    {"Relu", A_RELU, 0, 0, 0, 0},
    {"Tanh", A_TANH, 0, 0, 0, 0},
    {"Sigmoid", A_SIGMOID, 0, 0, 0, 0},
    {"Affine", A_AFFINE, 1, 1, 1.0f, 0.0f},
    {"LeakyRelu", A_LEAKY, 1, 0, 0.01f, 0},
    {"ThresholdedRelu", A_THRESH, 1, 0, 1.0f, 0},
    {"ScaledTanh", A_SCALED_TANH, 1, 1, 1.0f, 1.0f},
    {"HardSigmoid", A_HARDSIG, 1, 1, 0.2f, 0.5f},
    {"Elu", A_ELU, 1, 0, 1.0f, 0},
    {"Softsign", A_SOFTSIGN, 0, 0, 0, 0},
    {"Softplus", A_SOFTPLUS, 0, 0, 0, 0},
};

static float apply(const act *a, float v)
{
    switch (a->kind) {
    case A_RELU: return v > 0 ? v : 0.0f;
    case A_TANH: return tanhf(v);
    case A_SIGMOID: return v >= 0 ? 1.0f / (1.0f + expf(-v)) : expf(v) / (1.0f + expf(v));
    case A_AFFINE: return a->alpha * v + a->beta;
    case A_LEAKY: return v >= 0 ? v : a->alpha * v;
    case A_THRESH: return v > a->alpha ? v : 0.0f;
    case A_SCALED_TANH: return a->alpha * tanhf(a->beta * v);
    case A_HARDSIG: return fmaxf(0.0f, fminf(1.0f, a->alpha * v + a->beta));
    case A_ELU: return v >= 0 ? v : a->alpha * (expf(v) - 1.0f);
    case A_SOFTSIGN: return v / (1.0f + fabsf(v));
    default: return v > 20.0f ? v : log1pf(expf(v)); /* Softplus */
    }
}

/* activations (nf per direction, or nf for both), their alphas and betas
 * taken in order by the functions that use them (defaults past the lists). */
static clo_err read_acts(clo_onnx_prep *p, rnn_params *rp, int nf)
{
    /* f, g, h by default: Tanh for RNN; Sigmoid then Tanh for GRU and LSTM */
    static const int defaults[MAX_FUNCS] = {A_SIGMOID, A_TANH, A_TANH};
    const clo_onnx_attr *names = clo_onnx_attr_get(p, "activations"),
                        *al = clo_onnx_attr_get(p, "activation_alpha"),
                        *be = clo_onnx_attr_get(p, "activation_beta");
    if ((names && names->type != CLO_ONNX_ATTR_STRINGS) ||
        (al && al->type != CLO_ONNX_ATTR_FLOATS) || (be && be->type != CLO_ONNX_ATTR_FLOATS))
        return clo_onnx_refuse(p, CLO_E_FORMAT, "activation attributes of the wrong type");
    if (names && names->n != (uint32_t)nf && names->n != (uint32_t)(nf * rp->dirs))
        return clo_onnx_refuse(p, CLO_E_FORMAT, "activations: %d per direction", nf);
    uint32_t ia = 0, ib = 0;
    for (int d = 0; d < rp->dirs; d++)
        for (int k = 0; k < nf; k++) {
            act *a = &rp->f[d][k];
            if (!names) {
                a->kind = rp->gates == K_RNN ? A_TANH : defaults[k];
                continue;
            }
            clo_bytes n = p->m->names[names->first + ((uint32_t)(d * nf + k) % names->n)];
            size_t j = 0;
            while (j < sizeof ACTS / sizeof ACTS[0] &&
                   !clo_bytes_eq(n, clo_bytes_str(ACTS[j].name)))
                j++;
            if (j == sizeof ACTS / sizeof ACTS[0])
                return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "activation '%.*s'", (int)n.len,
                                       (const char *)n.ptr);
            a->kind = ACTS[j].kind;
            a->alpha = ACTS[j].da;
            a->beta = ACTS[j].db;
            if (ACTS[j].alpha && al && ia < al->n) a->alpha = p->m->floats[al->first + ia++];
            if (ACTS[j].beta && be && ib < be->n) a->beta = p->m->floats[be->first + ib++];
        }
    return CLO_OK;
}

/* Input k: absent, or float of exactly these dims. */
static clo_err need_shape(clo_onnx_prep *p, size_t k, const char *what, uint32_t rank,
                          const int64_t *d)
{
    if (k >= p->nin || !p->in[k]) return CLO_OK;
    CLO_TRY(clo_onnx_need(p, k, k == 4 ? CLO_T_INDEX : CLO_T_FLOAT));
    const clo_shape *s = &p->in[k]->shape;
    int ok = s->rank == rank;
    for (uint32_t i = 0; ok && i < rank; i++) ok = s->d[i] == d[i];
    if (!ok) return clo_onnx_refuse(p, CLO_E_FORMAT, "%s has the wrong shape", what);
    return CLO_OK;
}

static clo_err rnn_prepare(clo_onnx_prep *p, int gates)
{
    rnn_params *rp = p->params;
    rp->gates = gates;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_need(p, 2, CLO_T_FLOAT));
    int64_t hidden, layout, lbr, coupled;
    float clip;
    clo_bytes dir;
    CLO_TRY(clo_onnx_attr_int(p, "hidden_size", 0, &hidden));
    CLO_TRY(clo_onnx_attr_int(p, "layout", 0, &layout));
    CLO_TRY(clo_onnx_attr_int(p, "linear_before_reset", 0, &lbr));
    CLO_TRY(clo_onnx_attr_int(p, "input_forget", 0, &coupled));
    CLO_TRY(clo_onnx_attr_float(p, "clip", 0.0f, &clip));
    CLO_TRY(clo_onnx_attr_str(p, "direction", "forward", &dir));
    const clo_shape *x = &p->in[0]->shape, *w = &p->in[1]->shape;
    if (x->rank != 3 || w->rank != 3)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "X and W must be rank 3");
    if (layout != 0 && layout != 1) return clo_onnx_refuse(p, CLO_E_FORMAT, "layout: 0 or 1");
    if (clip < 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "clip must not be negative");
    rp->layout = (int)layout;
    rp->clip = clip;
    rp->linear_before_reset = lbr != 0;
    rp->input_forget = coupled != 0;
    if (clo_bytes_eq(dir, clo_bytes_str("forward")))
        rp->dirs = 1;
    else if (clo_bytes_eq(dir, clo_bytes_str("reverse")))
        rp->dirs = 1, rp->reverse = 1;
    else if (clo_bytes_eq(dir, clo_bytes_str("bidirectional")))
        rp->dirs = 2;
    else
        return clo_onnx_refuse(p, CLO_E_FORMAT, "direction: forward, reverse or bidirectional");
    rp->S = (uint64_t)x->d[layout ? 1 : 0];
    rp->B = (uint64_t)x->d[layout ? 0 : 1];
    rp->I = (uint64_t)x->d[2];
    if (!hidden && w->d[1] % gates == 0) hidden = w->d[1] / gates;
    if (hidden < 1 || hidden > (1 << 20))
        return clo_onnx_refuse(p, CLO_E_FORMAT, "hidden_size out of range");
    rp->H = (uint64_t)hidden;
    int64_t D = rp->dirs, G = gates, H = hidden, Bt = (int64_t)rp->B;
    const int64_t dw[3] = {D, G * H, (int64_t)rp->I}, dr[3] = {D, G * H, H}, db[2] = {D, 2 * G * H},
                  dl[1] = {Bt}, dh0[3] = {D, Bt, H}, dh1[3] = {Bt, D, H}, dp[2] = {D, 3 * H};
    CLO_TRY(need_shape(p, 1, "W", 3, dw));
    CLO_TRY(need_shape(p, 2, "R", 3, dr));
    CLO_TRY(need_shape(p, 3, "B", 2, db));
    CLO_TRY(need_shape(p, 4, "sequence_lens", 1, dl));
    CLO_TRY(need_shape(p, 5, "initial_h", 3, layout ? dh1 : dh0));
    if (gates == K_LSTM) {
        CLO_TRY(need_shape(p, 6, "initial_c", 3, layout ? dh1 : dh0));
        CLO_TRY(need_shape(p, 7, "P", 2, dp));
    } else if (p->nin > 6) {
        return clo_onnx_refuse(p, CLO_E_FORMAT, "too many inputs");
    }
    CLO_TRY(read_acts(p, rp, gates == K_RNN ? 1 : gates == K_GRU ? 2 : 3));
    clo_shape y = {4, {(int64_t)rp->S, D, Bt, H}}, yh = {3, {D, Bt, H}};
    if (layout) {
        y = (clo_shape){4, {Bt, (int64_t)rp->S, D, H}};
        yh = (clo_shape){3, {Bt, D, H}};
    }
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &y);
    clo_onnx_set_out(p, 1, CLO_ONNX_FLOAT, &yh);
    if (gates == K_LSTM) clo_onnx_set_out(p, 2, CLO_ONNX_FLOAT, &yh);
    /* gates | 4H temporaries | h | c | the recurrence's gates | GEMM scratch */
    p->scratch = (size_t)(2 * G * H + 6 * H + 32) * sizeof(float);
    if (p->in[1]->data && p->in[2]->data) { /* constant weights: packed once */
        rp->pw_stride = clo_gemm_packed_size((size_t)(G * H), rp->I);
        rp->pr_stride = clo_gemm_packed_size((size_t)(G * H), (size_t)H);
        float *pw = clo_onnx_prep_alloc(p, (size_t)D * rp->pw_stride * sizeof(float)),
              *pr = clo_onnx_prep_alloc(p, (size_t)D * rp->pr_stride * sizeof(float));
        if (!pw || !pr) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        for (int64_t d = 0; d < D; d++) {
            clo_gemm_pack_b((const float *)p->in[1]->data + d * G * H * (int64_t)rp->I, rp->I, 1,
                            (size_t)(G * H), rp->I, pw + d * rp->pw_stride);
            clo_gemm_pack_b((const float *)p->in[2]->data + d * G * H * H, (size_t)H, 1,
                            (size_t)(G * H), (size_t)H, pr + d * rp->pr_stride);
        }
        rp->pw = pw;
        rp->pr = pr;
        p->scratch +=
            clo_gemm_scratch(1, (size_t)(G * H), rp->I > (uint64_t)H ? rp->I : (size_t)H, 1) *
            sizeof(float);
    }
    return CLO_OK;
}

/* Offsets of step t's row b (X), and of the states and outputs. */
static uint64_t x_at(const rnn_params *rp, uint64_t t, uint64_t b)
{
    return (rp->layout ? b * rp->S + t : t * rp->B + b) * rp->I;
}
static uint64_t y_at(const rnn_params *rp, uint64_t t, int d, uint64_t b)
{
    return (rp->layout ? (b * rp->S + t) * (uint64_t)rp->dirs + (uint64_t)d
                       : (t * (uint64_t)rp->dirs + (uint64_t)d) * rp->B + b) *
           rp->H;
}
static uint64_t h_at(const rnn_params *rp, int d, uint64_t b)
{
    return (rp->layout ? b * (uint64_t)rp->dirs + (uint64_t)d : (uint64_t)d * rp->B + b) * rp->H;
}

static float clipped(const rnn_params *rp, float v)
{
    return rp->clip > 0 ? fminf(rp->clip, fmaxf(-rp->clip, v)) : v;
}

/* dot(row, v) over n: in order, so every run gives the same sum. */
static float dot(const float *row, const float *v, uint64_t n)
{
    float s = 0;
    for (uint64_t i = 0; i < n; i++) s += row[i] * v[i];
    return s;
}

/* c[0 .. n) = bias (or 0) + v B, B packed (K x n, clo_gemm_pack_b of a
 * weight matrix transposed): a GEMM of one row, vectorised across the gates. */
static void gemv(const float *v, size_t K, const float *packed, size_t n, const float *bias,
                 float *c, float *scratch)
{
    for (size_t k = 0; k < n; k++) c[k] = bias ? bias[k] : 0.0f;
    clo_gemm_args ga = {1, n, K, 0, 0, 1.0f, v, K, NULL, n, packed, c, n, NULL};
    clo_gemm(&ga, scratch);
}

/* One step of direction d for one batch row: h (and c) in place. With W and
 * R packed (constants), the gates' products are GEMMs of one row (rg holds
 * the recurrence's); otherwise dot products in order. */
static void step(const rnn_params *rp, int d, const float *x, const float *W, const float *R,
                 const float *Bw, const float *Br, const float *P, float *h, float *c, float *g,
                 float *t, float *rg, float *gs)
{
    const uint64_t H = rp->H, I = rp->I;
    const act *f = rp->f[d];
    uint64_t G = (uint64_t)rp->gates;
    /* the input's and the recurrence's parts of every gate, biases included */
    if (rp->pw) {
        gemv(x, I, rp->pw + (size_t)d * rp->pw_stride, G * H, Bw, g, gs);
        gemv(h, H, rp->pr + (size_t)d * rp->pr_stride, G * H, Br, rg, gs);
    } else {
        for (uint64_t k = 0; k < G * H; k++) g[k] = dot(W + k * I, x, I) + (Bw ? Bw[k] : 0.0f);
        for (uint64_t k = 0; k < G * H; k++) rg[k] = dot(R + k * H, h, H) + (Br ? Br[k] : 0.0f);
    }
    if (rp->gates == K_RNN) {
        for (uint64_t k = 0; k < H; k++) t[k] = apply(&f[0], clipped(rp, g[k] + rg[k]));
        memcpy(h, t, H * sizeof *h);
        return;
    }
    if (rp->gates == K_GRU) { /* z, r, h */
        float *z = t, *r = t + H, *hh = t + 2 * H;
        for (uint64_t k = 0; k < H; k++) {
            z[k] = apply(&f[0], clipped(rp, g[k] + rg[k]));
            r[k] = apply(&f[0], clipped(rp, g[H + k] + rg[H + k]));
        }
        const float *Rh = R + 2 * H * H;
        float rbh;
        for (uint64_t k = 0; k < H; k++) {
            rbh = Br ? Br[2 * H + k] : 0.0f;
            float v;
            if (rp->linear_before_reset) {
                v = g[2 * H + k] + r[k] * rg[2 * H + k];
            } else {
                float s = 0;
                for (uint64_t j = 0; j < H; j++) s += Rh[k * H + j] * (r[j] * h[j]);
                v = g[2 * H + k] + s + rbh;
            }
            hh[k] = apply(&f[1], clipped(rp, v));
        }
        for (uint64_t k = 0; k < H; k++) h[k] = (1.0f - z[k]) * hh[k] + z[k] * h[k];
        return;
    }
    /* LSTM: i, o, f, c; peepholes i, o, f */
    float *gi = t, *go = t + H, *gf = t + 2 * H, *gc = t + 3 * H;
    for (uint64_t k = 0; k < 4 * H; k++) g[k] += rg[k];
    for (uint64_t k = 0; k < H; k++) {
        gi[k] = apply(&f[0], clipped(rp, g[k] + (P ? P[k] * c[k] : 0.0f)));
        gf[k] = rp->input_forget
                    ? 1.0f - gi[k]
                    : apply(&f[0], clipped(rp, g[2 * H + k] + (P ? P[2 * H + k] * c[k] : 0.0f)));
        gc[k] = apply(&f[1], clipped(rp, g[3 * H + k]));
        c[k] = gf[k] * c[k] + gi[k] * gc[k];
        go[k] = apply(&f[0], clipped(rp, g[H + k] + (P ? P[H + k] * c[k] : 0.0f)));
        h[k] = go[k] * apply(&f[2], c[k]);
    }
}

static clo_err rnn_run(const clo_onnx_exec *x)
{
    const rnn_params *rp = x->params;
    const uint64_t H = rp->H, G = (uint64_t)rp->gates;
    const float *X = x->in[0]->data, *W = x->in[1]->data, *R = x->in[2]->data;
    const clo_tensor *B = x->nin > 3 ? x->in[3] : NULL, *L = x->nin > 4 ? x->in[4] : NULL,
                     *H0 = x->nin > 5 ? x->in[5] : NULL,
                     *C0 = rp->gates == K_LSTM && x->nin > 6 ? x->in[6] : NULL,
                     *P = rp->gates == K_LSTM && x->nin > 7 ? x->in[7] : NULL;
    float *Y = x->nout > 0 && x->out[0] ? x->out[0]->data : NULL,
          *YH = x->nout > 1 && x->out[1] ? x->out[1]->data : NULL,
          *YC = rp->gates == K_LSTM && x->nout > 2 && x->out[2] ? x->out[2]->data : NULL;
    float *g = x->scratch, *t = g + G * H, *hv = t + 4 * H, *cv = hv + H, *rg = cv + H,
          *gs = rg + G * H + 16;
    gs = (float *)(((uintptr_t)gs + 63) & ~(uintptr_t)63); /* the GEMM's scratch: 64-byte aligned */
    if (Y) memset(Y, 0, x->out[0]->count * sizeof *Y);
    for (uint64_t b = 0; b < rp->B; b++) {
        uint64_t len = rp->S;
        if (L) {
            int64_t v = clo_onnx_int_at(L, b);
            CLO_ENSURE(v >= 0 && (uint64_t)v <= rp->S, CLO_E_ARG,
                       "onnx.rnn: a sequence length out of range");
            len = (uint64_t)v;
        }
        for (int d = 0; d < rp->dirs; d++) {
            int rev = rp->reverse || d == 1;
            const float *Wd = W + (uint64_t)d * G * H * rp->I, *Rd = R + (uint64_t)d * G * H * H;
            const float *Bw = B ? (const float *)B->data + (uint64_t)d * 2 * G * H : NULL;
            const float *Br = Bw ? Bw + G * H : NULL;
            const float *Pd = P ? (const float *)P->data + (uint64_t)d * 3 * H : NULL;
            /* h and c start from the initial states or zero */
            if (H0)
                memcpy(hv, (const float *)H0->data + h_at(rp, d, b), H * sizeof *hv);
            else
                memset(hv, 0, H * sizeof *hv);
            if (C0)
                memcpy(cv, (const float *)C0->data + h_at(rp, d, b), H * sizeof *cv);
            else
                memset(cv, 0, H * sizeof *cv);
            for (uint64_t k = 0; k < len; k++) {
                uint64_t st = rev ? len - 1 - k : k;
                step(rp, d, X + x_at(rp, st, b), Wd, Rd, Bw, Br, Pd, hv, cv, g, t, rg, gs);
                if (Y) memcpy(Y + y_at(rp, st, d, b), hv, H * sizeof *hv);
            }
            if (YH) memcpy(YH + h_at(rp, d, b), hv, H * sizeof *hv);
            if (YC) memcpy(YC + h_at(rp, d, b), cv, H * sizeof *cv);
        }
    }
    return CLO_OK;
}

static clo_err rnn1_prepare(clo_onnx_prep *p)
{
    return rnn_prepare(p, K_RNN);
}
static clo_err gru_prepare(clo_onnx_prep *p)
{
    return rnn_prepare(p, K_GRU);
}
static clo_err lstm_prepare(clo_onnx_prep *p)
{
    return rnn_prepare(p, K_LSTM);
}

#define RNN_ATTRS "activation_alpha,activation_beta,activations,clip,direction,hidden_size,layout"
static const clo_onnx_op op_rnn = {
    "", "RNN", 7, 3, 6, 0, 2, RNN_ATTRS, sizeof(rnn_params), rnn1_prepare, rnn_run};
static const clo_onnx_op op_gru = {
    "",          "GRU",  7, 3, 6, 0, 2, RNN_ATTRS ",linear_before_reset", sizeof(rnn_params),
    gru_prepare, rnn_run};
static const clo_onnx_op op_lstm = {
    "",           "LSTM", 7, 3, 8, 0, 3, RNN_ATTRS ",input_forget", sizeof(rnn_params),
    lstm_prepare, rnn_run};

const clo_onnx_op *const clo_onnx_ops_rnn[] = {&op_rnn, &op_gru, &op_lstm, NULL};
