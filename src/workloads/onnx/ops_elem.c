/* ops_elem.c — element-wise operators: unary math and activations, binary
 * arithmetic, comparison and logic with numpy broadcasting (and opset 6's
 * broadcast/axis attributes), the variadic Sum/Max/Min/Mean, Where, Clip,
 * Cast and Expand.
 *
 * float32 has its own loops, written so the compiler vectorises them; the
 * integer types share one path through int64, which is exact for every
 * integer type the engine has. Integer division by zero (and INT64_MIN / -1)
 * is an error, never a trap. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/onnx/bcast.h"
#include "workloads/onnx/gemm.h"
#include "workloads/onnx/op.h"
#include "workloads/onnx/plan_impl.h"
#include "workloads/onnx/vmath.h"

/* ---- integer element access ---- */
static inline int64_t ld(const void *p, int32_t t, int64_t i)
{
    switch (t) {
    case CLO_ONNX_INT64: return ((const int64_t *)p)[i];
    case CLO_ONNX_INT32: return ((const int32_t *)p)[i];
    case CLO_ONNX_UINT32: return ((const uint32_t *)p)[i];
    case CLO_ONNX_INT16: return ((const int16_t *)p)[i];
    case CLO_ONNX_UINT16: return ((const uint16_t *)p)[i];
    case CLO_ONNX_INT8: return ((const int8_t *)p)[i];
    default: return ((const uint8_t *)p)[i]; /* uint8, bool */
    }
}

/* v's low bits in t (wrapping, as C's conversions to unsigned types do). */
static inline void st(void *p, int32_t t, int64_t i, int64_t v)
{
    switch (t) {
    case CLO_ONNX_INT64: ((int64_t *)p)[i] = v; break;
    case CLO_ONNX_INT32:
    case CLO_ONNX_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case CLO_ONNX_INT16:
    case CLO_ONNX_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case CLO_ONNX_INT8: ((int8_t *)p)[i] = (int8_t)(uint8_t)v; break;
    default: ((uint8_t *)p)[i] = (uint8_t)v; break;
    }
}

/* The integer types the int64 path computes on exactly (all but uint64):
 * NUM_WIDE with float (unary Neg/Abs/Sign/Relu); NUM_D with double, float16
 * and uint64 too (the elementwise arithmetic: binary_apply computes doubles
 * in double, halves in float and uint64 on its own); ANY_D with bool too
 * (the comparisons); NUM_PD for PRelu and fmod. */
static const int32_t NUM_WIDE[] = {CLO_ONNX_FLOAT,  CLO_ONNX_INT32,  CLO_ONNX_INT64,
                                   CLO_ONNX_INT8,   CLO_ONNX_UINT8,  CLO_ONNX_INT16,
                                   CLO_ONNX_UINT16, CLO_ONNX_UINT32, 0};
static const int32_t NUM_D[] = {CLO_ONNX_FLOAT,  CLO_ONNX_INT32,   CLO_ONNX_INT64,  CLO_ONNX_INT8,
                                CLO_ONNX_UINT8,  CLO_ONNX_INT16,   CLO_ONNX_UINT16, CLO_ONNX_UINT32,
                                CLO_ONNX_DOUBLE, CLO_ONNX_FLOAT16, CLO_ONNX_UINT64, 0};
static const int32_t ANY_D[] = {CLO_ONNX_FLOAT,
                                CLO_ONNX_INT32,
                                CLO_ONNX_INT64,
                                CLO_ONNX_INT8,
                                CLO_ONNX_UINT8,
                                CLO_ONNX_BOOL,
                                CLO_ONNX_INT16,
                                CLO_ONNX_UINT16,
                                CLO_ONNX_UINT32,
                                CLO_ONNX_DOUBLE,
                                CLO_ONNX_FLOAT16,
                                CLO_ONNX_UINT64,
                                0};
static const int32_t NUM_PD[] = {CLO_ONNX_FLOAT, CLO_ONNX_INT32,  CLO_ONNX_INT64,   CLO_ONNX_INT8,
                                 CLO_ONNX_UINT8, CLO_ONNX_DOUBLE, CLO_ONNX_FLOAT16, 0};

/* A float as an integer the way a C cast truncates, without its undefined
 * behaviour: NaN is 0 and values past int64 saturate. */
static inline int64_t f2i(float x)
{
    if (x != x) return 0;
    if (x >= 9.2233720368547758e18f) return INT64_MAX;
    if (x <= -9.2233720368547758e18f) return INT64_MIN;
    return (int64_t)x;
}

/* ======================= unary ======================= */
enum {
    U_RELU,
    U_SIGMOID,
    U_TANH,
    U_EXP,
    U_LOG,
    U_SQRT,
    U_ERF,
    U_NEG,
    U_ABS,
    U_RECIP,
    U_FLOOR,
    U_CEIL,
    U_ROUND,
    U_SIN,
    U_COS,
    U_TAN,
    U_ASIN,
    U_ACOS,
    U_ATAN,
    U_SINH,
    U_COSH,
    U_ASINH,
    U_ACOSH,
    U_ATANH,
    U_SOFTPLUS,
    U_SOFTSIGN,
    U_SIGN,
    U_LEAKY,
    U_ELU,
    U_SELU,
    U_HARDSIG,
    U_THRESH,
    U_CELU,
    U_HARDSWISH,
    U_ISNAN,
    U_ISINF,
    U_NOT,
    U_IDENTITY,
    U_SHRINK,
};

typedef struct {
    int kind;
    float alpha, beta, gamma;
    int neg, pos; /* IsInf */
} unary_params;

/* Which kinds also take integers. */
static int unary_ints(int kind)
{
    return kind == U_NEG || kind == U_ABS || kind == U_SIGN || kind == U_RELU || kind == U_IDENTITY;
}

static clo_err unary_prepare_kind(clo_onnx_prep *p, int kind)
{
    unary_params *u = p->params;
    u->kind = kind;
    switch (kind) {
    case U_LEAKY: CLO_TRY(clo_onnx_attr_float(p, "alpha", 0.01f, &u->alpha)); break;
    case U_ELU:
    case U_CELU:
    case U_THRESH: CLO_TRY(clo_onnx_attr_float(p, "alpha", 1.0f, &u->alpha)); break;
    case U_SELU:
        CLO_TRY(clo_onnx_attr_float(p, "alpha", 1.67326319217681884765625f, &u->alpha));
        CLO_TRY(clo_onnx_attr_float(p, "gamma", 1.05070102214813232421875f, &u->gamma));
        break;
    case U_SHRINK:
        CLO_TRY(clo_onnx_attr_float(p, "lambd", 0.5f, &u->alpha));
        CLO_TRY(clo_onnx_attr_float(p, "bias", 0.0f, &u->beta));
        break;
    case U_HARDSIG:
        CLO_TRY(clo_onnx_attr_float(p, "alpha", 0.2f, &u->alpha));
        CLO_TRY(clo_onnx_attr_float(p, "beta", 0.5f, &u->beta));
        break;
    case U_ISINF: {
        int64_t a, b;
        CLO_TRY(clo_onnx_attr_int(p, "detect_negative", 1, &a));
        CLO_TRY(clo_onnx_attr_int(p, "detect_positive", 1, &b));
        u->neg = a != 0;
        u->pos = b != 0;
        break;
    }
    default: break;
    }
    int32_t out = p->in[0] ? p->in[0]->dtype : 0;
    if (kind == U_NOT) {
        CLO_TRY(clo_onnx_need(p, 0, CLO_T_BOOL));
    } else if (kind == U_IDENTITY) {
        CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    } else if (unary_ints(kind)) {
        CLO_TRY(clo_onnx_need(p, 0, NUM_WIDE));
    } else {
        CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    }
    if (kind == U_ISNAN || kind == U_ISINF) out = CLO_ONNX_BOOL;
    clo_onnx_set_out(p, 0, out, &p->in[0]->shape);
    return CLO_OK;
}

static float erf_f(float x)
{
    return erff(x);
}

/* Exp and Sigmoid 8 at a time (vmath.h); the last few through the same
 * lanes, so an element's bits do not depend on where a range starts. 0 for
 * other kinds. */
CLO_CLONES static int float_unary_vec(int kind, const float *X, float *Y, uint64_t n)
{
    if (kind != U_EXP && kind != U_SIGMOID) return 0;
    for (uint64_t i = 0; i < n; i += 8) {
        clo_v8f v, y;
        size_t k = n - i < 8 ? (size_t)(n - i) : 8;
        clo_v8_load(X + i, k, 0.0f, &v);
        if (kind == U_EXP) {
            clo_v8_exp(&v, &y);
        } else { /* 1 / (1 + e^-v), or e^v / (1 + e^v) below 0: e^-|v| never overflows */
            clo_v8f m = -v, e;
            clo_v8i neg = v < 0, pos = v >= 0;
            clo_v8_sel(&neg, &v, &m, &m);
            clo_v8_exp(&m, &e);
            clo_v8f d = CLO_V8(1.0f) + e, yp = CLO_V8(1.0f) / d, yn = e / d;
            clo_v8_sel(&pos, &yp, &yn, &y);
        }
        clo_v8_store(Y + i, k, &y);
    }
    return 1;
}

/* Below this many elements a hand-off to the pool costs more than it saves. */
#define ELEM_PARALLEL 65536

/* Y = f(X) over n floats; 0 for a kind that is not a float one. */
static int float_unary(const unary_params *u, const float *X, float *Y, uint64_t n)
{
    const float al = u->alpha, be = u->beta, ga = u->gamma;
    if (float_unary_vec(u->kind, X, Y, n)) return 1;
#define U(EXPR)                                                                                    \
    for (uint64_t i = 0; i < n; i++) {                                                             \
        float v = X[i];                                                                            \
        Y[i] = (EXPR);                                                                             \
    }                                                                                              \
    break
    switch (u->kind) {
    case U_RELU: U(v > 0.0f ? v : 0.0f);
    case U_TANH: U(tanhf(v));
    case U_LOG: U(logf(v));
    case U_SQRT: U(sqrtf(v));
    case U_ERF: U(erf_f(v));
    case U_NEG: U(-v);
    case U_ABS: U(fabsf(v));
    case U_RECIP: U(1.0f / v);
    case U_FLOOR: U(floorf(v));
    case U_CEIL: U(ceilf(v));
    case U_ROUND: U(nearbyintf(v)); /* the default mode: half to even */
    case U_SIN: U(sinf(v));
    case U_COS: U(cosf(v));
    case U_TAN: U(tanf(v));
    case U_ASIN: U(asinf(v));
    case U_ACOS: U(acosf(v));
    case U_ATAN: U(atanf(v));
    case U_SINH: U(sinhf(v));
    case U_COSH: U(coshf(v));
    case U_ASINH: U(asinhf(v));
    case U_ACOSH: U(acoshf(v));
    case U_ATANH: U(atanhf(v));
    case U_SOFTPLUS: U(v > 20.0f ? v : log1pf(expf(v)));
    case U_SOFTSIGN: U(v / (1.0f + fabsf(v)));
    case U_SIGN: U((float)((v > 0) - (v < 0)));
    case U_LEAKY: U(v >= 0 ? v : al * v);
    case U_ELU: U(v >= 0 ? v : al * (expf(v) - 1.0f));
    case U_SELU: U(v > 0 ? ga * v : ga * (al * expf(v) - al));
    case U_HARDSIG: U(fmaxf(0.0f, fminf(1.0f, al * v + be)));
    case U_THRESH: U(v > al ? v : 0.0f);
    case U_CELU: U(fmaxf(0.0f, v) + fminf(0.0f, al * (expf(v / al) - 1.0f)));
    case U_HARDSWISH: U(v * fmaxf(0.0f, fminf(1.0f, v / 6.0f + 0.5f)));
    case U_SHRINK: U(v < -al ? v + be : v > al ? v - be : 0.0f);
    default: return 0;
    }
#undef U
    return 1;
}

typedef struct {
    const unary_params *u;
    const float *X;
    float *Y;
    uint64_t n;
} unary_job;

/* A range of the elements per thread: the same bits however split. */
static void unary_part(void *ctx, unsigned part, unsigned parts)
{
    const unary_job *j = ctx;
    uint64_t i0 = j->n * part / parts, i1 = j->n * (part + 1) / parts;
    (void)float_unary(j->u, j->X + i0, j->Y + i0, i1 - i0);
}

static clo_err unary_run(const clo_onnx_exec *x)
{
    const unary_params *u = x->params;
    const clo_tensor *in = x->in[0];
    clo_tensor *out = x->out[0];
    uint64_t n = in->count;
    if (u->kind == U_IDENTITY) {
        memcpy(out->data, in->data, n * clo_tensor_elem_size(in->dtype));
        return CLO_OK;
    }
    if (u->kind == U_NOT) {
        const uint8_t *a = in->data;
        uint8_t *o = out->data;
        for (uint64_t i = 0; i < n; i++) o[i] = !a[i];
        return CLO_OK;
    }
    if (in->dtype != CLO_ONNX_FLOAT) {
        for (uint64_t i = 0; i < n; i++) {
            int64_t v = ld(in->data, in->dtype, (int64_t)i);
            switch (u->kind) {
            case U_NEG: v = (int64_t)(0 - (uint64_t)v); break;
            case U_ABS: v = v < 0 ? (int64_t)(0 - (uint64_t)v) : v; break;
            case U_SIGN: v = (v > 0) - (v < 0); break;
            default: v = v > 0 ? v : 0; break; /* Relu */
            }
            st(out->data, out->dtype, (int64_t)i, v);
        }
        return CLO_OK;
    }
    const float *X = in->data;
    if (u->kind == U_ISNAN || u->kind == U_ISINF) {
        uint8_t *o = out->data;
        for (uint64_t i = 0; i < n; i++)
            o[i] =
                u->kind == U_ISNAN ? X[i] != X[i] : (isinf(X[i]) && ((X[i] > 0) ? u->pos : u->neg));
        return CLO_OK;
    }
    unary_job j = {u, X, out->data, n};
    CLO_ENSURE(float_unary(u, X, out->data, 0), CLO_E_STATE, "onnx: unary kind");
    if (n < ELEM_PARALLEL) /* not worth a hand-off */
        unary_part(&j, 0, 1);
    else
        clo_pool_run(x->pool, unary_part, &j);
    return CLO_OK;
}

#define UNARY(ID, NAME, SINCE, ATTRS, KIND)                                                        \
    static clo_err ID##_prepare(clo_onnx_prep *p)                                                  \
    {                                                                                              \
        return unary_prepare_kind(p, KIND);                                                        \
    }                                                                                              \
    static const clo_onnx_op ID = {                                                                \
        "", NAME, SINCE, 1, 1, 1, 1, ATTRS, sizeof(unary_params), ID##_prepare, unary_run}

UNARY(op_relu, "Relu", 6, "", U_RELU);
UNARY(op_sigmoid, "Sigmoid", 6, "", U_SIGMOID);
UNARY(op_tanh, "Tanh", 6, "", U_TANH);
UNARY(op_exp, "Exp", 6, "", U_EXP);
UNARY(op_log, "Log", 6, "", U_LOG);
UNARY(op_sqrt, "Sqrt", 6, "", U_SQRT);
UNARY(op_erf, "Erf", 9, "", U_ERF);
UNARY(op_neg, "Neg", 6, "", U_NEG);
UNARY(op_abs, "Abs", 6, "", U_ABS);
UNARY(op_recip, "Reciprocal", 6, "", U_RECIP);
UNARY(op_floor, "Floor", 6, "", U_FLOOR);
UNARY(op_ceil, "Ceil", 6, "", U_CEIL);
UNARY(op_round, "Round", 11, "", U_ROUND);
UNARY(op_sin, "Sin", 7, "", U_SIN);
UNARY(op_cos, "Cos", 7, "", U_COS);
UNARY(op_tan, "Tan", 7, "", U_TAN);
UNARY(op_asin, "Asin", 7, "", U_ASIN);
UNARY(op_acos, "Acos", 7, "", U_ACOS);
UNARY(op_atan, "Atan", 7, "", U_ATAN);
UNARY(op_sinh, "Sinh", 9, "", U_SINH);
UNARY(op_cosh, "Cosh", 9, "", U_COSH);
UNARY(op_asinh, "Asinh", 9, "", U_ASINH);
UNARY(op_acosh, "Acosh", 9, "", U_ACOSH);
UNARY(op_atanh, "Atanh", 9, "", U_ATANH);
UNARY(op_softplus, "Softplus", 1, "", U_SOFTPLUS);
UNARY(op_softsign, "Softsign", 1, "", U_SOFTSIGN);
UNARY(op_sign, "Sign", 9, "", U_SIGN);
UNARY(op_leaky, "LeakyRelu", 6, "alpha", U_LEAKY);
UNARY(op_elu, "Elu", 6, "alpha", U_ELU);
UNARY(op_selu, "Selu", 6, "alpha,gamma", U_SELU);
UNARY(op_hardsig, "HardSigmoid", 6, "alpha,beta", U_HARDSIG);
UNARY(op_thresh, "ThresholdedRelu", 10, "alpha", U_THRESH);
UNARY(op_celu, "Celu", 12, "alpha", U_CELU);
UNARY(op_hardswish, "HardSwish", 14, "", U_HARDSWISH);
UNARY(op_isnan, "IsNaN", 9, "", U_ISNAN);
UNARY(op_isinf, "IsInf", 10, "detect_negative,detect_positive", U_ISINF);
UNARY(op_not, "Not", 1, "", U_NOT);
UNARY(op_identity, "Identity", 1, "", U_IDENTITY);
UNARY(op_shrink, "Shrink", 9, "bias,lambd", U_SHRINK);

/* ======================= binary ======================= */
enum {
    B_ADD,
    B_SUB,
    B_MUL,
    B_DIV,
    B_POW,
    B_MOD,
    B_FMOD,
    B_MAX,
    B_MIN,
    B_PRELU, /* arithmetic */
    B_EQ,
    B_LT,
    B_GT,
    B_LE,
    B_GE, /* compare: bool */
    B_AND,
    B_OR,
    B_XOR, /* bool, bool */
};

/* Input k's shape as broadcasting sees it: opset 6's broadcast=1 with an axis
 * aligns B's dims at `axis` of A, which is numpy broadcasting after padding B
 * with trailing 1s. */
static clo_err legacy_shape(clo_onnx_prep *p, clo_shape *b)
{
    int64_t bc, axis;
    CLO_TRY(clo_onnx_attr_int(p, "broadcast", 0, &bc));
    const clo_shape *a = &p->in[0]->shape;
    *b = p->in[1]->shape;
    if (!bc) {
        if (p->opset < 7 && !clo_shape_equal(a, b))
            return clo_onnx_refuse(p, CLO_E_FORMAT, "shapes differ and broadcast is 0");
        return CLO_OK;
    }
    const clo_onnx_attr *ax = clo_onnx_attr_get(p, "axis");
    if (!ax) return CLO_OK; /* suffix matching: numpy's rule */
    CLO_TRY(clo_onnx_attr_int(p, "axis", 0, &axis));
    uint32_t start;
    CLO_TRY(clo_onnx_axis(p, axis, a->rank, &start));
    if (start + b->rank > a->rank)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "B does not fit A at axis %u", start);
    while (b->rank < a->rank - start) b->d[b->rank++] = 1;
    return CLO_OK;
}

typedef struct {
    int kind;
    clo_shape a, b; /* shapes as broadcast sees them */
} binop_params;

static clo_err binary_prepare_kind(clo_onnx_prep *p, int kind)
{
    binop_params *bp = p->params;
    bp->kind = kind;
    const int32_t *types = kind >= B_AND ? CLO_T_BOOL : kind >= B_EQ ? ANY_D : NUM_D;
    if (kind == B_PRELU || kind == B_FMOD) types = NUM_PD;
    CLO_TRY(clo_onnx_need(p, 0, types));
    CLO_TRY(clo_onnx_need(p, 1, kind == B_POW ? NUM_D : types));
    if (kind == B_POW &&
        (p->in[0]->dtype == CLO_ONNX_DOUBLE) != (p->in[1]->dtype == CLO_ONNX_DOUBLE))
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "Pow mixing double with %s is not supported",
                               clo_tensor_type_name(p->in[0]->dtype == CLO_ONNX_DOUBLE
                                                        ? p->in[1]->dtype
                                                        : p->in[0]->dtype));
    if (kind != B_POW && p->in[0]->dtype != p->in[1]->dtype)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "inputs are of different types (%s, %s)",
                               clo_tensor_type_name(p->in[0]->dtype),
                               clo_tensor_type_name(p->in[1]->dtype));
    if (kind == B_POW &&
        ((p->in[0]->dtype != CLO_ONNX_FLOAT && p->in[0]->dtype != CLO_ONNX_INT32 &&
          p->in[0]->dtype != CLO_ONNX_INT64 && p->in[0]->dtype != CLO_ONNX_DOUBLE) ||
         (p->in[1]->dtype == CLO_ONNX_UINT64 && p->in[0]->dtype != CLO_ONNX_FLOAT) ||
         p->in[1]->dtype == CLO_ONNX_FLOAT16))
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "Pow of %s is not supported",
                               clo_tensor_type_name(p->in[0]->dtype));
    bp->a = p->in[0]->shape;
    if (kind == B_PRELU)
        bp->b = p->in[1]->shape;
    else
        CLO_TRY(legacy_shape(p, &bp->b));
    clo_shape out;
    if (kind == B_PRELU) {
        if (!clo_shape_broadcasts_to(&bp->b, &bp->a)) {
            /* opset 6 slopes of shape [C] apply along dim 1 */
            if (bp->b.rank == 1 && bp->a.rank >= 2 && bp->b.d[0] == bp->a.d[1]) {
                while (bp->b.rank < bp->a.rank - 1) bp->b.d[bp->b.rank++] = 1;
            }
            if (!clo_shape_broadcasts_to(&bp->b, &bp->a))
                return clo_onnx_refuse(p, CLO_E_FORMAT, "slope does not broadcast to X");
        }
        out = bp->a;
    } else {
        clo_shape both[2] = {bp->a, bp->b};
        clo_err e = clo_shape_broadcast(both, 2, &out);
        if (e.code) return clo_onnx_refuse(p, CLO_E_FORMAT, "input shapes do not broadcast");
    }
    if (kind == B_MOD) {
        int64_t fm;
        CLO_TRY(clo_onnx_attr_int(p, "fmod", 0, &fm));
        if (fm)
            bp->kind = B_FMOD;
        else if (clo_tensor_is_real(p->in[0]->dtype))
            return clo_onnx_refuse(p, CLO_E_FORMAT, "Mod of floats needs fmod=1");
    }
    clo_onnx_set_out(p, 0, kind >= B_EQ ? CLO_ONNX_BOOL : p->in[0]->dtype, &out);
    return CLO_OK;
}

static int64_t ipow(int64_t b, int64_t e)
{
    if (e < 0) return b == 1 ? 1 : b == -1 ? ((e & 1) ? -1 : 1) : 0;
    uint64_t r = 1, x = (uint64_t)b;
    while (e) {
        if (e & 1) r *= x;
        x *= x;
        e >>= 1;
    }
    return (int64_t)r;
}

static clo_err int_binary(int kind, int64_t a, int64_t b, int64_t *out)
{
    switch (kind) {
    case B_ADD: *out = (int64_t)((uint64_t)a + (uint64_t)b); break;
    case B_SUB: *out = (int64_t)((uint64_t)a - (uint64_t)b); break;
    case B_MUL: *out = (int64_t)((uint64_t)a * (uint64_t)b); break;
    case B_DIV:
        CLO_ENSURE(b != 0, CLO_E_FORMAT, "onnx: integer division by zero");
        *out = (a == INT64_MIN && b == -1) ? INT64_MIN : a / b;
        break;
    case B_MOD: /* the sign of the divisor, like Python */
    case B_FMOD:
        CLO_ENSURE(b != 0, CLO_E_FORMAT, "onnx: integer division by zero");
        *out = (b == -1) ? 0 : a % b;
        if (kind == B_MOD && *out != 0 && ((*out < 0) != (b < 0))) *out += b;
        break;
    case B_POW: *out = ipow(a, b); break;
    case B_MAX: *out = a > b ? a : b; break;
    case B_MIN: *out = a < b ? a : b; break;
    case B_PRELU: *out = a < 0 ? (int64_t)((uint64_t)a * (uint64_t)b) : a; break;
    case B_EQ: *out = a == b; break;
    case B_LT: *out = a < b; break;
    case B_GT: *out = a > b; break;
    case B_LE: *out = a <= b; break;
    case B_GE: *out = a >= b; break;
    case B_AND: *out = a && b; break;
    case B_OR: *out = a || b; break;
    default: *out = (a != 0) != (b != 0); break; /* Xor */
    }
    return CLO_OK;
}

/* a (op) b for uint64: wrapping arithmetic, unsigned comparisons and
 * remainders (Mod and fmod agree: nothing is negative). */
static clo_err uint_binary(int kind, uint64_t a, uint64_t b, uint64_t *out)
{
    switch (kind) {
    case B_ADD: *out = a + b; break;
    case B_SUB: *out = a - b; break;
    case B_MUL: *out = a * b; break;
    case B_DIV:
    case B_MOD:
    case B_FMOD:
        CLO_ENSURE(b != 0, CLO_E_FORMAT, "onnx: integer division by zero");
        *out = kind == B_DIV ? a / b : a % b;
        break;
    case B_POW: {
        uint64_t r = 1;
        for (uint64_t x = a, e = b; e; e >>= 1, x *= x)
            if (e & 1) r *= x;
        *out = r;
        break;
    }
    case B_MAX: *out = a > b ? a : b; break;
    case B_MIN: *out = a < b ? a : b; break;
    case B_EQ: *out = a == b; break;
    case B_LT: *out = a < b; break;
    case B_GT: *out = a > b; break;
    case B_LE: *out = a <= b; break;
    default: *out = a >= b; break; /* GreaterOrEqual */
    }
    return CLO_OK;
}

/* The float loops: one per stride pattern so each vectorises. */
#define FLOOP(EXPR)                                                                                \
    do {                                                                                           \
        if (sa == 1 && sb == 1)                                                                    \
            for (int64_t i = 0; i < n; i++) {                                                      \
                float x = a[i], y = b[i];                                                          \
                o[i] = (EXPR);                                                                     \
            }                                                                                      \
        else if (sb == 0) {                                                                        \
            const float y = b[0];                                                                  \
            for (int64_t i = 0; i < n; i++) {                                                      \
                float x = a[i * sa];                                                               \
                o[i] = (EXPR);                                                                     \
            }                                                                                      \
        } else if (sa == 0) {                                                                      \
            const float x = a[0];                                                                  \
            for (int64_t i = 0; i < n; i++) {                                                      \
                float y = b[i * sb];                                                               \
                o[i] = (EXPR);                                                                     \
            }                                                                                      \
        } else                                                                                     \
            for (int64_t i = 0; i < n; i++) {                                                      \
                float x = a[i * sa], y = b[i * sb];                                                \
                o[i] = (EXPR);                                                                     \
            }                                                                                      \
    } while (0)

CLO_CLONES static void float_row(int kind, const float *a, int64_t sa, const float *b, int64_t sb,
                                 float *o, int64_t n)
{
    switch (kind) {
    case B_ADD: FLOOP(x + y); break;
    case B_SUB: FLOOP(x - y); break;
    case B_MUL: FLOOP(x * y); break;
    case B_DIV: FLOOP(x / y); break;
    case B_POW:
        if (sb == 0 && b[0] == 2.0f) /* a square: x * x, correctly rounded (as onnxruntime's) */
            FLOOP(((void)y, x * x));
        else
            FLOOP(powf(x, y));
        break;
    case B_FMOD: FLOOP(fmodf(x, y)); break;
    case B_MAX: FLOOP((x != x || y != y) ? x + y : (x > y ? x : y)); break;
    case B_MIN: FLOOP((x != x || y != y) ? x + y : (x < y ? x : y)); break;
    case B_PRELU: FLOOP(x < 0 ? x * y : x); break;
    default: break;
    }
}

static void float_cmp_row(int kind, const float *a, int64_t sa, const float *b, int64_t sb,
                          uint8_t *o, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float x = a[i * sa], y = b[i * sb];
        o[i] = kind == B_EQ   ? x == y
               : kind == B_LT ? x < y
               : kind == B_GT ? x > y
               : kind == B_LE ? x <= y
                              : x >= y;
    }
}

/* out = in broadcast to out's shape, for any element type. */
static void bcast_copy(const clo_tensor *in, const clo_shape *is, clo_tensor *out)
{
    clo_bcast it;
    const clo_shape *shapes[1] = {is};
    size_t es = clo_tensor_elem_size(in->dtype);
    if (!out->count) return;
    clo_bcast_init(&it, &out->shape, shapes, 1);
    uint8_t *o = out->data;
    const uint8_t *a = in->data;
    for (uint64_t r = 0; r < it.rows; r++) {
        if (it.is[0] == 1) {
            memcpy(o, a + it.off[0] * es, (size_t)it.inner * es);
            o += it.inner * es;
        } else {
            for (int64_t i = 0; i < it.inner; i++, o += es)
                memcpy(o, a + (it.off[0] + i * it.is[0]) * es, es);
        }
        clo_bcast_next(&it);
    }
}

typedef struct {
    int kind;
    const clo_tensor *A, *B;
    clo_tensor *O;
    const clo_shape *as, *bs;
} float_job;

/* One thread's share of a float binary op: whole rows, or (fewer rows than
 * threads) a range of every row. Elementwise: the same bits however split. */
static void float_part(void *ctx, unsigned part, unsigned parts)
{
    const float_job *j = ctx;
    clo_bcast it;
    const clo_shape *shapes[2] = {j->as, j->bs};
    clo_bcast_init(&it, &j->O->shape, shapes, 2);
    int64_t n = it.inner, sa = it.is[0], sb = it.is[1], i0 = 0, i1 = n;
    uint64_t r0 = 0, r1 = it.rows;
    if (it.rows >= parts) {
        r0 = it.rows * part / parts;
        r1 = it.rows * (part + 1) / parts;
    } else {
        i0 = n * part / parts;
        i1 = n * (part + 1) / parts;
    }
    for (uint64_t r = 0; r < r1; r++, clo_bcast_next(&it)) {
        if (r < r0 || i0 == i1) continue;
        const float *a = (const float *)j->A->data + it.off[0] + i0 * sa;
        const float *b = (const float *)j->B->data + it.off[1] + i0 * sb;
        if (j->kind >= B_EQ)
            float_cmp_row(j->kind, a, sa, b, sb, (uint8_t *)j->O->data + r * n + i0, i1 - i0);
        else
            float_row(j->kind, a, sa, b, sb, (float *)j->O->data + r * n + i0, i1 - i0);
    }
}

/* x (op) y in double: float_row's operations, in double. */
static double double_op(int kind, double x, double y)
{
    switch (kind) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    case B_POW: return pow(x, y);
    case B_FMOD: return fmod(x, y);
    case B_MAX: return (x != x || y != y) ? x + y : (x > y ? x : y);
    case B_MIN: return (x != x || y != y) ? x + y : (x < y ? x : y);
    default: return x < 0 ? x * y : x; /* PRelu */
    }
}

/* out = a (op) b, with the shapes broadcast as prepared. */
static clo_err binary_apply(int kind, const clo_tensor *A, const clo_shape *as, const clo_tensor *B,
                            const clo_shape *bs, clo_tensor *O, clo_pool *pool)
{
    clo_bcast it;
    const clo_shape *shapes[2] = {as, bs};
    clo_bcast_init(&it, &O->shape, shapes, 2);
    int64_t n = it.inner, sa = it.is[0], sb = it.is[1];
    if (O->count == 0) return CLO_OK;
    if (A->dtype == CLO_ONNX_FLOAT && (B->dtype == CLO_ONNX_FLOAT)) {
        float_job j = {kind, A, B, O, as, bs};
        if (O->count < ELEM_PARALLEL)
            float_part(&j, 0, 1);
        else
            clo_pool_run(pool, float_part, &j);
        return CLO_OK;
    }
    if (A->dtype == CLO_ONNX_DOUBLE || A->dtype == CLO_ONNX_FLOAT16 ||
        A->dtype == CLO_ONNX_UINT64) {
        /* and B (prepare checked): doubles in double; halves in float, as
         * onnxruntime computes them, rounded back; uint64 on its own */
        for (uint64_t r = 0; r < it.rows; r++, clo_bcast_next(&it))
            for (int64_t i = 0; i < n; i++) {
                uint64_t at = r * (uint64_t)n + (uint64_t)i, ia = (uint64_t)(it.off[0] + i * sa),
                         ib = (uint64_t)(it.off[1] + i * sb), v;
                if (A->dtype == CLO_ONNX_UINT64) {
                    CLO_TRY(uint_binary(kind, ((const uint64_t *)A->data)[ia],
                                        ((const uint64_t *)B->data)[ib], &v));
                } else {
                    double x = clo_tensor_get_f64(A, ia), y = clo_tensor_get_f64(B, ib);
                    if (kind < B_EQ) {
                        double d = double_op(kind, x, y);
                        if (A->dtype == CLO_ONNX_DOUBLE)
                            ((double *)O->data)[at] = d;
                        else
                            ((uint16_t *)O->data)[at] = clo_half_from_double((float)d);
                        continue;
                    }
                    v = kind == B_EQ   ? x == y
                        : kind == B_LT ? x < y
                        : kind == B_GT ? x > y
                        : kind == B_LE ? x <= y
                                       : x >= y;
                }
                if (kind >= B_EQ)
                    ((uint8_t *)O->data)[at] = (uint8_t)v;
                else
                    ((uint64_t *)O->data)[at] = v;
            }
        return CLO_OK;
    }
    if (A->dtype == CLO_ONNX_FLOAT) { /* Pow with an integer exponent */
        for (uint64_t r = 0; r < it.rows; r++) {
            const float *a = (const float *)A->data + it.off[0];
            float *o = (float *)O->data + r * n;
            for (int64_t i = 0; i < n; i++) {
                int64_t k = it.off[1] + i * sb;
                float e = B->dtype == CLO_ONNX_UINT64 ? (float)((const uint64_t *)B->data)[k]
                                                      : (float)ld(B->data, B->dtype, k);
                o[i] = powf(a[i * sa], e);
            }
            clo_bcast_next(&it);
        }
        return CLO_OK;
    }
    for (uint64_t r = 0; r < it.rows; r++) {
        for (int64_t i = 0; i < n; i++) {
            int64_t x = ld(A->data, A->dtype, it.off[0] + i * sa), v;
            if (B->dtype == CLO_ONNX_FLOAT) { /* integer Pow, float exponent */
                float e = ((const float *)B->data)[it.off[1] + i * sb];
                v = f2i(powf((float)x, e));
            } else {
                CLO_TRY(int_binary(kind, x, ld(B->data, B->dtype, it.off[1] + i * sb), &v));
            }
            st(O->data, O->dtype, (int64_t)(r * (uint64_t)n) + i, v);
        }
        clo_bcast_next(&it);
    }
    return CLO_OK;
}

static clo_err binary_run(const clo_onnx_exec *x)
{
    const binop_params *bp = x->params;
    return binary_apply(bp->kind, x->in[0], &bp->a, x->in[1], &bp->b, x->out[0], x->pool);
}

#define BINARY(ID, NAME, SINCE, ATTRS, KIND)                                                       \
    static clo_err ID##_prepare(clo_onnx_prep *p)                                                  \
    {                                                                                              \
        return binary_prepare_kind(p, KIND);                                                       \
    }                                                                                              \
    static const clo_onnx_op ID = {                                                                \
        "", NAME, SINCE, 2, 2, 1, 1, ATTRS, sizeof(binop_params), ID##_prepare, binary_run}

BINARY(op_add, "Add", 6, "broadcast,axis", B_ADD);
BINARY(op_sub, "Sub", 6, "broadcast,axis", B_SUB);
BINARY(op_mul, "Mul", 6, "broadcast,axis", B_MUL);
BINARY(op_div, "Div", 6, "broadcast,axis", B_DIV);
BINARY(op_pow, "Pow", 1, "broadcast,axis", B_POW);
BINARY(op_mod, "Mod", 10, "fmod", B_MOD);
BINARY(op_prelu, "PRelu", 6, "", B_PRELU);
BINARY(op_equal, "Equal", 1, "broadcast,axis", B_EQ);
BINARY(op_less, "Less", 1, "broadcast,axis", B_LT);
BINARY(op_greater, "Greater", 1, "broadcast,axis", B_GT);
BINARY(op_lesseq, "LessOrEqual", 12, "", B_LE);
BINARY(op_greatereq, "GreaterOrEqual", 12, "", B_GE);
BINARY(op_and, "And", 1, "broadcast,axis", B_AND);
BINARY(op_or, "Or", 1, "broadcast,axis", B_OR);
BINARY(op_xor, "Xor", 1, "broadcast,axis", B_XOR);

/* ======================= variadic: Sum, Max, Min, Mean ======================= */
typedef struct {
    int kind; /* B_ADD for Sum and Mean, B_MAX, B_MIN */
    int mean;
} var_params;

static clo_err variadic_prepare(clo_onnx_prep *p, int kind, int mean)
{
    var_params *vp = p->params;
    vp->kind = kind;
    vp->mean = mean;
    clo_shape shapes[255];
    for (size_t k = 0; k < p->nin; k++) {
        CLO_TRY(clo_onnx_need(p, k, (kind == B_ADD) ? CLO_T_FLOAT : NUM_D));
        if (p->in[k]->dtype != p->in[0]->dtype)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "inputs are of different types");
        shapes[k] = p->in[k]->shape;
    }
    clo_shape out;
    if (clo_shape_broadcast(shapes, p->nin, &out).code)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "input shapes do not broadcast");
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static clo_err variadic_run(const clo_onnx_exec *x)
{
    const var_params *vp = x->params;
    clo_tensor *o = x->out[0];
    /* out = in0 broadcast; then out = out (op) in_k in place: out is read
     * and written at the same index, so that is safe. */
    bcast_copy(x->in[0], &x->in[0]->shape, o);
    for (size_t k = 1; k < x->nin; k++)
        CLO_TRY(binary_apply(vp->kind, o, &o->shape, x->in[k], &x->in[k]->shape, o, x->pool));
    if (vp->mean) {
        float *d = o->data, inv = (float)x->nin;
        for (uint64_t i = 0; i < o->count; i++) d[i] /= inv;
    }
    return CLO_OK;
}

#define VARIADIC(ID, NAME, KIND, MEAN)                                                             \
    static clo_err ID##_prepare(clo_onnx_prep *p)                                                  \
    {                                                                                              \
        return variadic_prepare(p, KIND, MEAN);                                                    \
    }                                                                                              \
    static const clo_onnx_op ID = {                                                                \
        "", NAME, 6, 1, 255, 1, 1, "", sizeof(var_params), ID##_prepare, variadic_run}

VARIADIC(op_sum, "Sum", B_ADD, 0);
VARIADIC(op_mean, "Mean", B_ADD, 1);
VARIADIC(op_max, "Max", B_MAX, 0);
VARIADIC(op_min, "Min", B_MIN, 0);

/* ======================= Where ======================= */
static clo_err where_prepare(clo_onnx_prep *p)
{
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_BOOL));
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_ALL));
    CLO_TRY(clo_onnx_need(p, 2, CLO_T_ALL));
    if (p->in[1]->dtype != p->in[2]->dtype)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "X and Y are of different types");
    clo_shape shapes[3] = {p->in[0]->shape, p->in[1]->shape, p->in[2]->shape}, out;
    if (clo_shape_broadcast(shapes, 3, &out).code)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "input shapes do not broadcast");
    clo_onnx_set_out(p, 0, p->in[1]->dtype, &out);
    return CLO_OK;
}

static clo_err where_run(const clo_onnx_exec *x)
{
    clo_tensor *o = x->out[0];
    const clo_shape *shapes[3] = {&x->in[0]->shape, &x->in[1]->shape, &x->in[2]->shape};
    clo_bcast it;
    if (!o->count) return CLO_OK;
    clo_bcast_init(&it, &o->shape, shapes, 3);
    size_t es = clo_tensor_elem_size(o->dtype);
    const uint8_t *c = x->in[0]->data, *a = x->in[1]->data, *b = x->in[2]->data;
    uint8_t *d = o->data;
    for (uint64_t r = 0; r < it.rows; r++) {
        for (int64_t i = 0; i < it.inner; i++, d += es) {
            int64_t oc = it.off[0] + i * it.is[0];
            const uint8_t *src =
                c[oc] ? a + (it.off[1] + i * it.is[1]) * es : b + (it.off[2] + i * it.is[2]) * es;
            memcpy(d, src, es);
        }
        clo_bcast_next(&it);
    }
    return CLO_OK;
}

static const clo_onnx_op op_where = {"", "Where", 9, 3, 3, 1, 1, "", 0, where_prepare, where_run};

/* ======================= Expand ======================= */
static clo_err expand_prepare(clo_onnx_prep *p)
{
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    int64_t dims[CLO_ONNX_MAX_RANK];
    size_t n;
    CLO_TRY(clo_onnx_const_ints(p, 1, dims, CLO_ONNX_MAX_RANK, &n));
    clo_shape shapes[2] = {p->in[0]->shape, {0}}, out;
    shapes[1].rank = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
        if (dims[i] < 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "negative dim in shape");
        shapes[1].d[i] = dims[i];
    }
    if (clo_shape_broadcast(shapes, 2, &out).code)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "input does not broadcast to the shape");
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static clo_err expand_run(const clo_onnx_exec *x)
{
    bcast_copy(x->in[0], &x->in[0]->shape, x->out[0]);
    return CLO_OK;
}

static const clo_onnx_op op_expand = {"", "Expand",       8,         2, 2, 1, 1, "",
                                      0,  expand_prepare, expand_run};

/* ======================= Clip ======================= */
typedef struct {
    float lo, hi; /* opset < 11: attributes */
} clip_params;

static clo_err clip_prepare(clo_onnx_prep *p)
{
    clip_params *cp = p->params;
    CLO_TRY(clo_onnx_need(p, 0, p->opset < 12 ? CLO_T_FLOAT : CLO_T_NUM));
    CLO_TRY(clo_onnx_attr_float(p, "min", -FLT_MAX, &cp->lo));
    CLO_TRY(clo_onnx_attr_float(p, "max", FLT_MAX, &cp->hi));
    for (size_t k = 1; k < p->nin; k++) {
        if (!p->in[k]) continue;
        if (p->in[k]->dtype != p->in[0]->dtype || p->in[k]->count != 1)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "%s must be a scalar of the input's type",
                                   k == 1 ? "min" : "max");
    }
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &p->in[0]->shape);
    return CLO_OK;
}

void clo_onnx_clip_bounds(const clo_tensor *const *in, size_t nin, const void *params, float *lo,
                          float *hi)
{
    const clip_params *cp = params;
    *lo = nin > 1 && in[1] ? *(const float *)in[1]->data : cp->lo;
    *hi = nin > 2 && in[2] ? *(const float *)in[2]->data : cp->hi;
}

static clo_err clip_run(const clo_onnx_exec *x)
{
    const clip_params *cp = x->params;
    const clo_tensor *in = x->in[0];
    const clo_tensor *lo = x->nin > 1 ? x->in[1] : NULL, *hi = x->nin > 2 ? x->in[2] : NULL;
    if (in->dtype == CLO_ONNX_FLOAT) {
        float l, h;
        clo_onnx_clip_bounds(x->in, x->nin, cp, &l, &h);
        const float *a = in->data;
        float *o = x->out[0]->data;
        for (uint64_t i = 0; i < in->count; i++) {
            float v = a[i] < l ? l : a[i];
            o[i] = v > h ? h : v;
        }
        return CLO_OK;
    }
    int64_t l = lo ? ld(lo->data, lo->dtype, 0) : INT64_MIN,
            h = hi ? ld(hi->data, hi->dtype, 0) : INT64_MAX;
    for (uint64_t i = 0; i < in->count; i++) {
        int64_t v = ld(in->data, in->dtype, (int64_t)i);
        v = v < l ? l : v;
        st(x->out[0]->data, in->dtype, (int64_t)i, v > h ? h : v);
    }
    return CLO_OK;
}

static const clo_onnx_op op_clip = {
    "", "Clip", 6, 1, 3, 1, 1, "min,max", sizeof(clip_params), clip_prepare, clip_run};

/* ======================= Cast, CastLike ======================= */
static clo_err cast_to(clo_onnx_prep *p, int64_t to)
{
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    if (p->in[0]->dtype == CLO_ONNX_STRING && to == CLO_ONNX_BOOL)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "cast from string to bool is not supported");
    if (!clo_tensor_elem_size((int32_t)to) || to == CLO_ONNX_STRING)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "cast to %s is not supported",
                               clo_tensor_type_name((int32_t)to));
    clo_onnx_set_out(p, 0, (int32_t)to, &p->in[0]->shape);
    return CLO_OK;
}

static clo_err cast_prepare(clo_onnx_prep *p)
{
    int64_t to;
    const clo_onnx_attr *a = clo_onnx_attr_get(p, "to");
    if (!a) return clo_onnx_refuse(p, CLO_E_FORMAT, "attribute 'to' is required");
    CLO_TRY(clo_onnx_attr_int(p, "to", 0, &to));
    return cast_to(p, to);
}

static clo_err castlike_prepare(clo_onnx_prep *p)
{
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_ALL));
    return cast_to(p, p->in[1]->dtype);
}

/* A float-like value (float, double, float16, bfloat16) to an integer the
 * way a C cast truncates, without its undefined behaviour: NaN is 0 and
 * values past the type saturate (as f2i does for float). */
static int64_t d2i(double x)
{
    if (x != x) return 0;
    if (x >= 9.2233720368547758e18) return INT64_MAX;
    if (x <= -9.2233720368547758e18) return INT64_MIN;
    return (int64_t)x;
}

static uint64_t d2u(double x)
{
    if (x != x || x <= 0) return 0;
    if (x >= 1.8446744073709552e19) return UINT64_MAX;
    return (uint64_t)x;
}

/* Element i of an integer tensor of any width, as int64 (uint64 keeps its
 * bits), and v's low bits back. */
static int64_t int_at(const void *p, int32_t t, uint64_t i)
{
    return t == CLO_ONNX_UINT64 ? (int64_t)((const uint64_t *)p)[i] : ld(p, t, (int64_t)i);
}

static void int_put(void *p, int32_t t, uint64_t i, int64_t v)
{
    if (t == CLO_ONNX_UINT64)
        ((uint64_t *)p)[i] = (uint64_t)v;
    else
        st(p, t, (int64_t)i, v);
}

/* Cast between any two carried types. Real to real through double (exact
 * for every real source) and rounded to nearest, ties to even; real to
 * integer truncates (saturating; NaN is 0); integer to integer keeps the
 * low bits, as C's conversions to unsigned do; anything to bool is != 0. */
static void cast_elems(const clo_tensor *in, clo_tensor *out, uint64_t i0, uint64_t i1)
{
    int32_t ti = in->dtype, to = out->dtype;
    void *o = out->data;
    for (uint64_t i = i0; i < i1; i++) {
        if (clo_tensor_is_real(ti) || clo_tensor_is_real(to) || to == CLO_ONNX_BOOL) {
            double v = ti == CLO_ONNX_UINT64 ? (double)((const uint64_t *)in->data)[i]
                                             : clo_tensor_get_f64(in, i);
            switch (to) {
            case CLO_ONNX_FLOAT: ((float *)o)[i] = (float)v; break;
            case CLO_ONNX_DOUBLE: ((double *)o)[i] = v; break;
            case CLO_ONNX_FLOAT16: ((uint16_t *)o)[i] = clo_half_from_double(v); break;
            case CLO_ONNX_BFLOAT16: ((uint16_t *)o)[i] = clo_bf16_from_float((float)v); break;
            case CLO_ONNX_BOOL: ((uint8_t *)o)[i] = v != 0.0; break;
            case CLO_ONNX_UINT64:
                ((uint64_t *)o)[i] =
                    clo_tensor_is_real(ti) ? d2u(v) : (uint64_t)int_at(in->data, ti, i);
                break;
            default:
                int_put(o, to, i, clo_tensor_is_real(ti) ? d2i(v) : int_at(in->data, ti, i));
                break;
            }
        } else {
            int_put(o, to, i, int_at(in->data, ti, i));
        }
    }
}

/* Strings to numbers: the whole string is a number as strtod and strtoll
 * read them in the C locale ("1e-3", "NaN", "INF", "-inf"; integers in
 * decimal), else the run fails; real types are read through double,
 * integers exactly (uint64 through strtoull, the others through strtoll and
 * keeping the low bits, as the integer casts do). */
static clo_err cast_from_strings(const clo_tensor *in, clo_tensor *out)
{
    const clo_bytes *s = in->data;
    for (uint64_t i = 0; i < in->count; i++) {
        char buf[64], *end;
        CLO_ENSURE(s[i].len > 0 && s[i].len < sizeof buf, CLO_E_FORMAT,
                   "onnx: Cast: a string that is not a number");
        memcpy(buf, s[i].ptr, s[i].len);
        buf[s[i].len] = 0;
        CLO_ENSURE(!memchr(buf, 0, s[i].len) && !isspace((unsigned char)buf[0]), CLO_E_FORMAT,
                   "onnx: Cast: a string that is not a number");
        errno = 0;
        if (clo_tensor_is_real(out->dtype)) {
            double v = strtod(buf, &end);
            CLO_ENSURE(*end == 0, CLO_E_FORMAT, "onnx: Cast: a string that is not a number");
            clo_tensor_set_f64(out, i, v);
        } else if (out->dtype == CLO_ONNX_UINT64) {
            unsigned long long v = strtoull(buf, &end, 10);
            CLO_ENSURE(*end == 0 && errno == 0 && buf[0] != '-', CLO_E_FORMAT,
                       "onnx: Cast: a string that is not a uint64");
            ((uint64_t *)out->data)[i] = v;
        } else {
            long long v = strtoll(buf, &end, 10);
            CLO_ENSURE(*end == 0 && errno == 0, CLO_E_FORMAT,
                       "onnx: Cast: a string that is not an integer");
            int_put(out->data, out->dtype, i, (int64_t)v);
        }
    }
    return CLO_OK;
}

static clo_err cast_run(const clo_onnx_exec *x)
{
    const clo_tensor *in = x->in[0];
    clo_tensor *out = x->out[0];
    uint64_t n = in->count;
    if (in->dtype == CLO_ONNX_STRING && out->dtype != CLO_ONNX_STRING)
        return cast_from_strings(in, out);
    /* float and the integers ld/st hold (all but uint64) have direct loops,
     * the commonest casts (an image's uint8 to float); the rest go through
     * cast_elems. */
    int plain_in = !clo_tensor_is_real(in->dtype) && in->dtype != CLO_ONNX_UINT64,
        plain_out = !clo_tensor_is_real(out->dtype) && out->dtype != CLO_ONNX_UINT64;
    if (in->dtype == out->dtype) {
        memcpy(out->data, in->data, n * clo_tensor_elem_size(in->dtype));
    } else if (in->dtype == CLO_ONNX_FLOAT && plain_out) {
        const float *a = in->data;
        for (uint64_t i = 0; i < n; i++)
            st(out->data, out->dtype, (int64_t)i,
               out->dtype == CLO_ONNX_BOOL ? a[i] != 0.0f : f2i(a[i]));
    } else if (out->dtype == CLO_ONNX_FLOAT && plain_in) {
        float *o = out->data;
        for (uint64_t i = 0; i < n; i++) o[i] = (float)ld(in->data, in->dtype, (int64_t)i);
    } else {
        cast_elems(in, out, 0, n);
    }
    return CLO_OK;
}

static const clo_onnx_op op_cast = {"", "Cast", 6, 1, 1, 1, 1, "to", 0, cast_prepare, cast_run};
static const clo_onnx_op op_castlike = {"", "CastLike",       15,      2, 2, 1, 1, "",
                                        0,  castlike_prepare, cast_run};

const clo_onnx_op *const clo_onnx_ops_elem[] = {
    &op_relu,     &op_sigmoid,  &op_tanh,      &op_exp,       &op_log,   &op_sqrt,
    &op_erf,      &op_neg,      &op_abs,       &op_recip,     &op_floor, &op_ceil,
    &op_round,    &op_sin,      &op_cos,       &op_tan,       &op_asin,  &op_acos,
    &op_atan,     &op_sinh,     &op_cosh,      &op_asinh,     &op_acosh, &op_atanh,
    &op_softplus, &op_softsign, &op_sign,      &op_leaky,     &op_elu,   &op_selu,
    &op_hardsig,  &op_thresh,   &op_celu,      &op_hardswish, &op_isnan, &op_isinf,
    &op_not,      &op_identity, &op_shrink,    &op_add,       &op_sub,   &op_mul,
    &op_div,      &op_pow,      &op_mod,       &op_prelu,     &op_equal, &op_less,
    &op_greater,  &op_lesseq,   &op_greatereq, &op_and,       &op_or,    &op_xor,
    &op_sum,      &op_mean,     &op_max,       &op_min,       &op_where, &op_expand,
    &op_clip,     &op_cast,     &op_castlike,  NULL,
};
