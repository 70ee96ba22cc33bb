/* vmath.h — exp over 8 floats at a time, for the engine's Exp, Sigmoid and
 * Softmax (libm's expf is a call per element). Cephes' expf: n = round(x
 * log2 e), r = x - n ln 2 in two parts, a degree-6 polynomial, times 2^n
 * made as two powers of two so results run through the subnormals to 0 and
 * past the largest float to infinity; NaN stays NaN. Within 2 ulp of expf
 * (test_vexp). Always inlined, so each caller's CPU clone (gemm.h's
 * CLO_CLONES) compiles it for its own vector width and FMA; vectors go by
 * pointer, as no call may pass one by value between clones of other ABIs. */
#ifndef CLO_WORKLOADS_ONNX_VMATH_H
#define CLO_WORKLOADS_ONNX_VMATH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef float clo_v8f __attribute__((vector_size(32)));
typedef int32_t clo_v8i __attribute__((vector_size(32)));

#define CLO_V8(x) ((clo_v8f){(x), (x), (x), (x), (x), (x), (x), (x)})

/* The first k (<= 8) floats at p into *v, its other lanes fill (a
 * constant-size copy when k is 8: vector moves, not a call). */
static inline __attribute__((always_inline)) void clo_v8_load(const float *p, size_t k, float fill,
                                                              clo_v8f *v)
{
    if (k == 8) {
        memcpy(v, p, 8 * sizeof *p);
        return;
    }
    *v = CLO_V8(fill);
    memcpy(v, p, k * sizeof *p);
}

/* The first k (<= 8) lanes of *v to p. */
static inline __attribute__((always_inline)) void clo_v8_store(float *p, size_t k, const clo_v8f *v)
{
    if (k == 8)
        memcpy(p, v, 8 * sizeof *p);
    else
        memcpy(p, v, k * sizeof *p);
}

/* *out = lanes of *a where m is set (all ones), else of *b (C has no vector ?:). */
static inline __attribute__((always_inline)) void clo_v8_sel(const clo_v8i *m, const clo_v8f *a,
                                                             const clo_v8f *b, clo_v8f *out)
{
    clo_v8i ai, bi;
    memcpy(&ai, a, sizeof ai);
    memcpy(&bi, b, sizeof bi);
    ai = (ai & *m) | (bi & ~*m);
    memcpy(out, &ai, sizeof ai);
}

/* *y = e^*x, lane by lane (y may be x). */
static inline __attribute__((always_inline)) void clo_v8_exp(const clo_v8f *x, clo_v8f *y)
{
    const clo_v8f hi = CLO_V8(89.0f), lo = CLO_V8(-104.0f), zero = CLO_V8(0.0f),
                  round = CLO_V8(12582912.0f);
    clo_v8f v = *x, c;
    clo_v8i m = v > hi, nan = v != v;
    clo_v8_sel(&m, &hi, &v, &c);
    m = c < lo;
    clo_v8_sel(&m, &lo, &c, &c);
    clo_v8_sel(&nan, &zero, &c, &c); /* NaN: restored at the end */
    /* n = round(c log2 e) by the 1.5 * 2^23 trick (|c log2 e| < 151) */
    clo_v8f n = c * CLO_V8(1.44269504088896341f) + round;
    n -= round;
    clo_v8f r = c - n * CLO_V8(0.693359375f);
    r = r - n * CLO_V8(-2.12194440e-4f);
    clo_v8f p = CLO_V8(1.9875691500e-4f);
    p = p * r + CLO_V8(1.3981999507e-3f);
    p = p * r + CLO_V8(8.3334519073e-3f);
    p = p * r + CLO_V8(4.1665795894e-2f);
    p = p * r + CLO_V8(1.6666665459e-1f);
    p = p * r + CLO_V8(5.0000001201e-1f);
    p = p * (r * r) + r + CLO_V8(1.0f);
    /* 2^n as 2^h 2^(n-h), each within the normal exponents */
    clo_v8i ni = __builtin_convertvector(n, clo_v8i), h = ni >> 1;
    clo_v8i e1 = (h + 127) << 23, e2 = (ni - h + 127) << 23;
    clo_v8f f1, f2;
    memcpy(&f1, &e1, sizeof f1);
    memcpy(&f2, &e2, sizeof f2);
    p = p * f1 * f2;
    clo_v8_sel(&nan, &v, &p, y);
}

/* One float through the same lanes: the same bits as any lane of a vector. */
static inline __attribute__((always_inline)) float clo_exp1(float x)
{
    clo_v8f v = CLO_V8(x);
    clo_v8_exp(&v, &v);
    return v[0];
}

#endif
