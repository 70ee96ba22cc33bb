/* onnx_plan_test.c — execution plans: malformed graphs refused each with
 * its own error (a cycle, an undefined value, a value defined twice, shapes
 * that do not fit, mixed types, huge dims, unknown operators and
 * attributes, an output nobody computes, feeds of the wrong shape), a small
 * network checked against values worked out by hand, memory reused across a
 * chain of steps, constants folded away, and feeds that decide shapes
 * binding the plan to their values. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "onnx_build.h"
#include "workloads/onnx/pool.h"
#include "workloads/onnx/vmath.h"

#define IN(...) ((const char *const[]){__VA_ARGS__})
#define OKC(x)  assert_int_equal((x).code, CLO_OK_CODE)

static void expect(onnx_case *c, clo_code code, const char *why_part)
{
    if (c->err.code != code) fail_msg("code %d, want %d (%s)", c->err.code, code, c->why);
    if (why_part && !strstr(c->why, why_part)) fail_msg("why '%s' lacks '%s'", c->why, why_part);
    if (code != CLO_OK_CODE) assert_null(c->plan);
    onnx_case_free(c);
}

/* x [2, 3] float in, y out; the body is up to the caller. */
static void head(clo_onnxw *w)
{
    int64_t d[2] = {2, 3};
    clo_onnxw_init(w);
    clo_onnxw_input(w, "x", CLO_ONNX_FLOAT, 2, d);
    clo_onnxw_output(w, "y", CLO_ONNX_FLOAT, 0, NULL);
}

static const float X6[6] = {1, -2, 3, -4, 5, -6};

static void build(onnx_case *c, clo_onnxw *w)
{
    int64_t d[2] = {2, 3};
    clo_tensor f = onnx_feed(X6, 2, d);
    onnx_case_build(c, w, 17, 0, &f, 1);
}

static void test_malformed_graphs(void **state)
{
    (void)state;
    clo_onnxw w;
    onnx_case c;

    /* a cycle: a reads b, b reads a */
    head(&w);
    clo_onnxw_node(&w, "Relu", NULL, IN("b"), 1, IN("a"), 1);
    clo_onnxw_node(&w, "Relu", NULL, IN("a"), 1, IN("b"), 1);
    clo_onnxw_node(&w, "Relu", NULL, IN("b"), 1, IN("y"), 1);
    build(&c, &w);
    expect(&c, CLO_E_FORMAT, "not defined before it is used");

    /* a value nobody makes */
    head(&w);
    clo_onnxw_node(&w, "Add", NULL, IN("x", "ghost"), 2, IN("y"), 1);
    build(&c, &w);
    expect(&c, CLO_E_FORMAT, "'ghost'");

    /* a value defined twice */
    head(&w);
    clo_onnxw_node(&w, "Relu", NULL, IN("x"), 1, IN("y"), 1);
    clo_onnxw_node(&w, "Neg", NULL, IN("x"), 1, IN("y"), 1);
    build(&c, &w);
    expect(&c, CLO_E_FORMAT, "already defined");

    /* shapes that do not broadcast: [2,3] + [4] */
    head(&w);
    const float four[4] = {0};
    clo_onnxw_init_floats(&w, "b", 1, (int64_t[]){4}, four);
    clo_onnxw_node(&w, "Add", NULL, IN("x", "b"), 2, IN("y"), 1);
    build(&c, &w);
    expect(&c, CLO_E_FORMAT, "do not broadcast");

    /* MatMul inner dims differ: [2,3] x [4,1] */
    head(&w);
    clo_onnxw_init_floats(&w, "b", 2, (int64_t[]){4, 1}, four);
    clo_onnxw_node(&w, "MatMul", NULL, IN("x", "b"), 2, IN("y"), 1);
    build(&c, &w);
    expect(&c, CLO_E_FORMAT, "inner dims");

    /* mixed types: float + int64 */
    head(&w);
    clo_onnxw_init_ints(&w, "b", 1, (int64_t[]){1}, (const int64_t[]){1});
    clo_onnxw_node(&w, "Add", NULL, IN("x", "b"), 2, IN("y"), 1);
    build(&c, &w);
    expect(&c, CLO_E_FORMAT, "different types");

    /* huge dims: a constant of 2^20 x 2^20 elements */
    head(&w);
    clo_onnxw_init_ints(&w, "s", 1, (int64_t[]){2}, (const int64_t[]){1 << 20, 1 << 20});
    clo_onnxw_node(&w, "ConstantOfShape", NULL, IN("s"), 1, IN("y"), 1);
    build(&c, &w);
    expect(&c, CLO_E_LIMIT, NULL);

    /* Reshape to a shape of another size */
    head(&w);
    clo_onnxw_init_ints(&w, "s", 1, (int64_t[]){2}, (const int64_t[]){4, 2});
    clo_onnxw_node(&w, "Reshape", NULL, IN("x", "s"), 2, IN("y"), 1);
    build(&c, &w);
    expect(&c, CLO_E_FORMAT, "holds 8 elements");

    /* an unknown operator, and an attribute the operator does not have */
    head(&w);
    clo_onnxw_node(&w, "FrobnicateV2", NULL, IN("x"), 1, IN("y"), 1);
    build(&c, &w);
    expect(&c, CLO_E_UNSUPPORTED, "operator FrobnicateV2");
    head(&w);
    clo_onnxw_attr_int(&w, "sharpness", 3);
    clo_onnxw_node(&w, "Relu", NULL, IN("x"), 1, IN("y"), 1);
    build(&c, &w);
    expect(&c, CLO_E_UNSUPPORTED, "'sharpness'");

    /* an attribute of the wrong type */
    head(&w);
    clo_onnxw_attr_string(&w, "axis", "one");
    clo_onnxw_node(&w, "Softmax", NULL, IN("x"), 1, IN("y"), 1);
    build(&c, &w);
    expect(&c, CLO_E_FORMAT, "wrong type");

    /* too few inputs */
    head(&w);
    clo_onnxw_node(&w, "Add", NULL, IN("x"), 1, IN("y"), 1);
    build(&c, &w);
    expect(&c, CLO_E_FORMAT, "1 inputs");

    /* an output nobody computes */
    head(&w);
    clo_onnxw_node(&w, "Relu", NULL, IN("x"), 1, IN("z"), 1);
    build(&c, &w);
    expect(&c, CLO_E_FORMAT, "output 'y' is not computed");

    /* a feed of the wrong shape */
    {
        int64_t d[2] = {3, 2};
        head(&w);
        clo_onnxw_node(&w, "Relu", NULL, IN("x"), 1, IN("y"), 1);
        clo_tensor f = onnx_feed(X6, 2, d);
        onnx_case_build(&c, &w, 17, 0, &f, 1);
        expect(&c, CLO_E_ARG, "declared type and shape");
    }
}

static void test_small_network(void **state)
{
    (void)state;
    /* y = Softmax(Relu(x) W + b), W = [[1,0],[0,1],[1,1]], b = [0, -1]
     * x = [[1,-2,3],[-4,5,-6]] -> Relu [[1,0,3],[0,5,0]]
     *   -> logits [[1+3, 0+3-1], [0, 5-1]] = [[4, 2], [0, 4]] */
    clo_onnxw w;
    head(&w);
    const float W[6] = {1, 0, 0, 1, 1, 1}, b[2] = {0, -1};
    clo_onnxw_init_floats(&w, "W", 2, (int64_t[]){3, 2}, W);
    clo_onnxw_init_floats(&w, "b", 1, (int64_t[]){2}, b);
    clo_onnxw_node(&w, "Relu", NULL, IN("x"), 1, IN("r"), 1);
    clo_onnxw_node(&w, "Gemm", NULL, IN("r", "W", "b"), 3, IN("l"), 1);
    clo_onnxw_node(&w, "Softmax", NULL, IN("l"), 1, IN("y"), 1);
    onnx_case c;
    build(&c, &w);
    assert_int_equal(c.err.code, CLO_OK_CODE);
    int64_t d[2] = {2, 3};
    clo_tensor f = onnx_feed(X6, 2, d);
    assert_int_equal(clo_onnx_plan_run(c.plan, &f, 1).code, CLO_OK_CODE);
    const clo_tensor *y = clo_onnx_plan_output(c.plan, 0);
    const float *p = y->data;
    assert_int_equal(y->shape.rank, 2);
    double e2 = 1.0 / (1.0 + exp(-2.0)),
           e4 = 1.0 / (1.0 + exp(-4.0)); /* softmax of 2 = logistic of the gap */
    assert_true(fabs(p[0] - e2) < 1e-6 && fabs(p[1] - (1 - e2)) < 1e-6);
    assert_true(fabs(p[2] - (1 - e4)) < 1e-6 && fabs(p[3] - e4) < 1e-6);
    /* a second run on the same plan gives the same answer */
    assert_int_equal(clo_onnx_plan_run(c.plan, &f, 1).code, CLO_OK_CODE);
    assert_true(fabs(((const float *)clo_onnx_plan_output(c.plan, 0)->data)[0] - e2) < 1e-6);
    /* wiped: no trace of the last input or output stays in the arena */
    clo_onnx_plan_wipe(c.plan);
    const float *y2 = clo_onnx_plan_output(c.plan, 0)->data;
    for (int i = 0; i < 4; i++) assert_true(y2[i] == 0.0f);
    onnx_case_free(&c);
}

static void test_memory_reuse_and_folding(void **state)
{
    (void)state;
    /* 16 Relus in a row over 1 MiB tensors: live values at any step are two
     * (plus the feed), so the arena must stay near 3 MiB, not 17. A Shape ->
     * Reshape chain folds away, leaving one step for it (the Reshape copy). */
    static float big[262144];
    int64_t d[1] = {262144};
    clo_onnxw w;
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, 1, d);
    clo_onnxw_output(&w, "y", CLO_ONNX_FLOAT, 1, d);
    char names[17][8];
    snprintf(names[0], sizeof names[0], "x");
    for (int i = 1; i <= 16; i++) {
        snprintf(names[i], sizeof names[i], "v%d", i);
        const char *in[1] = {names[i - 1]}, *out[1] = {names[i]};
        clo_onnxw_node(&w, "Relu", NULL, in, 1, out, 1);
    }
    clo_onnxw_node(&w, "Shape", NULL, IN("v16"), 1, IN("s"), 1);
    clo_onnxw_node(&w, "Reshape", NULL, IN("v16", "s"), 2, IN("y"), 1);
    clo_tensor f = onnx_feed(big, 1, d);
    onnx_case c;
    onnx_case_build(&c, &w, 17, 0, &f, 1);
    assert_int_equal(c.err.code, CLO_OK_CODE);
    assert_int_equal(clo_onnx_plan_steps(c.plan), 17); /* 16 Relu + Reshape; Shape folded */
    size_t mib = (size_t)1 << 20;
    assert_true(clo_onnx_plan_arena_size(c.plan) <= 3 * mib + 4096);
    big[5] = -1;
    big[6] = 2;
    assert_int_equal(clo_onnx_plan_run(c.plan, &f, 1).code, CLO_OK_CODE);
    const float *y = clo_onnx_plan_output(c.plan, 0)->data;
    assert_true(y[5] == 0 && y[6] == 2);
    onnx_case_free(&c);
}

/* Conv -> Add(per-channel bias) -> x + 3 -> Clip(0, 6) -> x * . -> / 6, as
 * Paddle exports a convolution with HardSwish. as_output: the convolution's
 * and the Clip's values are graph outputs too, so neither may be fused away. */
static const float HS_W[18] = {1, 0, 0, 0, 2, 0, 0, 0, 1, -1, 0, 0, 0, 0, 0, 0, 0, 1};
#define W_AT(c, kh, kw) HS_W[(c)*9 + (kh)*3 + (kw)]

static void hswish_model(clo_onnxw *w, int as_output)
{
    int64_t xd[4] = {1, 2, 3, 3}, yd[4] = {1, 2, 3, 3};
    clo_onnxw_init(w);
    clo_onnxw_input(w, "x", CLO_ONNX_FLOAT, 4, xd);
    clo_onnxw_output(w, "y", CLO_ONNX_FLOAT, 4, yd);
    if (as_output) {
        clo_onnxw_output(w, "c", CLO_ONNX_FLOAT, 4, yd);
        clo_onnxw_output(w, "t2", CLO_ONNX_FLOAT, 4, yd);
    }
    const float bias[2] = {0.5f, -4.0f}, three = 3, zero = 0, six = 6;
    clo_onnxw_init_floats(w, "W", 4, (int64_t[]){2, 1, 3, 3}, HS_W);
    clo_onnxw_init_floats(w, "bias", 4, (int64_t[]){1, 2, 1, 1}, bias);
    clo_onnxw_init_floats(w, "three", 0, NULL, &three);
    clo_onnxw_init_floats(w, "zero", 0, NULL, &zero);
    clo_onnxw_init_floats(w, "six", 0, NULL, &six);
    clo_onnxw_attr_ints(w, "pads", (const int64_t[]){1, 1, 1, 1}, 4);
    clo_onnxw_attr_int(w, "group", 2);
    clo_onnxw_node(w, "Conv", NULL, IN("x", "W"), 2, IN("c"), 1);
    clo_onnxw_node(w, "Add", NULL, IN("c", "bias"), 2, IN("b"), 1);
    clo_onnxw_node(w, "Add", NULL, IN("b", "three"), 2, IN("t1"), 1);
    clo_onnxw_node(w, "Clip", NULL, IN("t1", "zero", "six"), 3, IN("t2"), 1);
    clo_onnxw_node(w, "Mul", NULL, IN("b", "t2"), 2, IN("t3"), 1);
    clo_onnxw_node(w, "Div", NULL, IN("t3", "six"), 2, IN("y"), 1);
}

static void test_fusion(void **state)
{
    (void)state;
    float x[18];
    for (int i = 0; i < 18; i++) x[i] = (float)(i % 7) - 3.0f;
    int64_t d[4] = {1, 2, 3, 3};
    clo_tensor f = onnx_feed(x, 4, d);
    onnx_case fused, plain;
    clo_onnxw w;
    hswish_model(&w, 0);
    onnx_case_build(&fused, &w, 13, 0, &f, 1);
    hswish_model(&w, 1);
    onnx_case_build(&plain, &w, 13, 0, &f, 1);
    assert_int_equal(fused.err.code, CLO_OK_CODE);
    assert_int_equal(plain.err.code, CLO_OK_CODE);
    /* Conv with its bias and the HardSwish as its tail; unfused: all six */
    assert_int_equal(clo_onnx_plan_steps(fused.plan), 1);
    assert_int_equal(clo_onnx_plan_steps(plain.plan), 6);
    assert_int_equal(clo_onnx_plan_run(fused.plan, &f, 1).code, CLO_OK_CODE);
    assert_int_equal(clo_onnx_plan_run(plain.plan, &f, 1).code, CLO_OK_CODE);
    const float *a = clo_onnx_plan_output(fused.plan, 0)->data,
                *b = clo_onnx_plan_output(plain.plan, 0)->data;
    /* the same bits as unfused, and what the formulas give */
    assert_memory_equal(a, b, 18 * sizeof *a);
    for (int i = 0; i < 18; i++) {
        int c = i / 9, r = i % 9 / 3, q = i % 3;
        double s = c == 0 ? 0.5 : -4.0;
        for (int kh = 0; kh < 3; kh++)
            for (int kw = 0; kw < 3; kw++) {
                int ih = r + kh - 1, iw = q + kw - 1;
                if (ih < 0 || ih > 2 || iw < 0 || iw > 2) continue;
                s += W_AT(c, kh, kw) * x[c * 9 + ih * 3 + iw];
            }
        double t = s + 3 < 0 ? 0 : s + 3 > 6 ? 6 : s + 3;
        assert_true(fabs(a[i] - s * t / 6) < 1e-5);
    }
    onnx_case_free(&fused);
    onnx_case_free(&plain);
}

/* Paddle's learnable affine blocks: Conv -> * s -> + t -> HardSwish -> * s2
 * -> + t2 (operands in either order). The first pair folds into the
 * convolution (W s, B s + t), the second into the HardSwish step: two steps,
 * within rounding of the six unfused ones (kept apart when the convolution's
 * and the HardSwish's values are graph outputs). Without its own bias the
 * convolution takes the scale only: the shift stays a step. */
static void affine_model(clo_onnxw *w, int conv_bias, int plain)
{
    int64_t xd[4] = {1, 2, 3, 3};
    const float cb[2] = {0.25f, -1.0f}, s = -1.5f, t = 0.75f, s2 = 0.5f, t2 = -2.0f, three = 3,
                zero = 0, six = 6;
    clo_onnxw_init(w);
    clo_onnxw_input(w, "x", CLO_ONNX_FLOAT, 4, xd);
    clo_onnxw_output(w, "y", CLO_ONNX_FLOAT, 4, xd);
    if (plain) {
        clo_onnxw_output(w, "c", CLO_ONNX_FLOAT, 4, xd);
        clo_onnxw_output(w, "h", CLO_ONNX_FLOAT, 4, xd);
    }
    clo_onnxw_init_floats(w, "W", 4, (int64_t[]){2, 1, 3, 3}, HS_W);
    clo_onnxw_init_floats(w, "cb", 1, (int64_t[]){2}, cb);
    clo_onnxw_init_floats(w, "s", 1, (int64_t[]){1}, &s);
    clo_onnxw_init_floats(w, "t", 1, (int64_t[]){1}, &t);
    clo_onnxw_init_floats(w, "s2", 0, NULL, &s2);
    clo_onnxw_init_floats(w, "t2", 0, NULL, &t2);
    clo_onnxw_init_floats(w, "three", 0, NULL, &three);
    clo_onnxw_init_floats(w, "zero", 0, NULL, &zero);
    clo_onnxw_init_floats(w, "six", 0, NULL, &six);
    clo_onnxw_attr_ints(w, "pads", (const int64_t[]){1, 1, 1, 1}, 4);
    clo_onnxw_attr_int(w, "group", 2);
    clo_onnxw_node(w, "Conv", NULL, conv_bias ? IN("x", "W", "cb") : IN("x", "W"),
                   conv_bias ? 3 : 2, IN("c"), 1);
    clo_onnxw_node(w, "Mul", NULL, IN("s", "c"), 2, IN("m"), 1);
    clo_onnxw_node(w, "Add", NULL, IN("m", "t"), 2, IN("a"), 1);
    clo_onnxw_node(w, "Add", NULL, IN("a", "three"), 2, IN("a3"), 1);
    clo_onnxw_node(w, "Clip", NULL, IN("a3", "zero", "six"), 3, IN("cl"), 1);
    clo_onnxw_node(w, "Mul", NULL, IN("a", "cl"), 2, IN("hm"), 1);
    clo_onnxw_node(w, "Div", NULL, IN("hm", "six"), 2, IN("h"), 1);
    clo_onnxw_node(w, "Mul", NULL, IN("h", "s2"), 2, IN("h2"), 1);
    clo_onnxw_node(w, "Add", NULL, IN("t2", "h2"), 2, IN("y"), 1);
}

static void test_affine_folding(void **state)
{
    (void)state;
    float x[18];
    for (int i = 0; i < 18; i++) x[i] = (float)(i % 7) * 0.5f - 1.5f;
    int64_t d[4] = {1, 2, 3, 3};
    clo_tensor f = onnx_feed(x, 4, d);
    for (int bias = 0; bias < 2; bias++)
        for (int plain = 0; plain < 2; plain++) {
            onnx_case c;
            clo_onnxw w;
            affine_model(&w, bias, plain);
            onnx_case_build(&c, &w, 13, 0, &f, 1);
            assert_int_equal(c.err.code, CLO_OK_CODE);
            assert_int_equal(clo_onnx_plan_steps(c.plan), plain ? 6 : bias ? 1 : 3);
            assert_int_equal(clo_onnx_plan_run(c.plan, &f, 1).code, CLO_OK_CODE);
            const float *y = clo_onnx_plan_output(c.plan, 0)->data;
            for (int i = 0; i < 18; i++) {
                int ch = i / 9, r = i % 9 / 3, q = i % 3;
                double v = bias ? (ch ? -1.0 : 0.25) : 0.0;
                for (int kh = 0; kh < 3; kh++)
                    for (int kw = 0; kw < 3; kw++) {
                        int ih = r + kh - 1, iw = q + kw - 1;
                        if (ih < 0 || ih > 2 || iw < 0 || iw > 2) continue;
                        v += W_AT(ch, kh, kw) * x[ch * 9 + ih * 3 + iw];
                    }
                v = v * -1.5 + 0.75;
                double cl = v + 3 < 0 ? 0 : v + 3 > 6 ? 6 : v + 3, want = v * cl / 6 * 0.5 - 2.0;
                if (fabs(y[i] - want) > 1e-5 * (1 + fabs(want)))
                    fail_msg("bias %d plain %d: y[%d] = %g, want %g", bias, plain, i, y[i], want);
            }
            onnx_case_free(&c);
        }
}

/* x -> Pad (spatial zeros) -> Conv: the pads join the convolution's and
 * the Pad step goes; the values those of the two steps (kept apart when the
 * padded value is a graph output). A reflecting Pad, or one on the channel
 * dim, is not folded. Plain and depthwise convolutions. */
static void pad_conv_model(clo_onnxw *w, const char *mode, int channel_pad, int64_t group,
                           int plain)
{
    int64_t dx[4] = {1, 4, 7, 9}, dw[4] = {4, 4 / group, 3, 3}, dp[1] = {8};
    const int64_t pads[8] = {0, channel_pad, 1, 2, 0, 0, 2, 1}, cpads[4] = {1, 0, 1, 1};
    static float W[4 * 4 * 9];
    const float b[4] = {0.5f, -1, 0, 2};
    for (int i = 0; i < 4 * 4 * 9; i++) W[i] = cosf((float)i * 0.7f);
    clo_onnxw_init(w);
    clo_onnxw_input(w, "x", CLO_ONNX_FLOAT, 4, dx);
    clo_onnxw_output(w, "y", CLO_ONNX_FLOAT, 0, NULL);
    if (plain) clo_onnxw_output(w, "p", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_init_ints(w, "pads", 1, dp, pads);
    clo_onnxw_init_floats(w, "W", 4, dw, W);
    clo_onnxw_init_floats(w, "B", 1, (int64_t[]){4}, b);
    clo_onnxw_attr_string(w, "mode", mode);
    clo_onnxw_node(w, "Pad", NULL, IN("x", "pads"), 2, IN("p"), 1);
    clo_onnxw_attr_ints(w, "pads", cpads, 4);
    clo_onnxw_attr_int(w, "group", group);
    clo_onnxw_node(w, "Conv", NULL, IN("p", "W", "B"), 3, IN("y"), 1);
}

static void test_pad_folding(void **state)
{
    (void)state;
    float x[4 * 7 * 9];
    for (int i = 0; i < 4 * 7 * 9; i++) x[i] = sinf((float)i * 0.3f);
    int64_t dx[4] = {1, 4, 7, 9};
    clo_tensor f = onnx_feed(x, 4, dx);
    static const struct {
        const char *mode;
        int channel_pad;
        int64_t group;
        size_t steps;
    } cases[] = {
        {"constant", 0, 1, 1}, {"constant", 0, 4, 1}, {"reflect", 0, 1, 2}, {"constant", 1, 1, 2}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        onnx_case fused, plain;
        clo_onnxw w;
        pad_conv_model(&w, cases[k].mode, cases[k].channel_pad, cases[k].group, 0);
        onnx_case_build(&fused, &w, 13, 0, &f, 1);
        pad_conv_model(&w, cases[k].mode, cases[k].channel_pad, cases[k].group, 1);
        onnx_case_build(&plain, &w, 13, 0, &f, 1);
        if (cases[k].channel_pad) { /* a channel more: W no longer fits */
            assert_int_equal(fused.err.code, CLO_E_FORMAT);
            onnx_case_free(&fused);
            onnx_case_free(&plain);
            continue;
        }
        assert_int_equal(fused.err.code, CLO_OK_CODE);
        assert_int_equal(plain.err.code, CLO_OK_CODE);
        assert_int_equal(clo_onnx_plan_steps(fused.plan), cases[k].steps);
        assert_int_equal(clo_onnx_plan_steps(plain.plan), 2);
        assert_int_equal(clo_onnx_plan_run(fused.plan, &f, 1).code, CLO_OK_CODE);
        assert_int_equal(clo_onnx_plan_run(plain.plan, &f, 1).code, CLO_OK_CODE);
        const clo_tensor *a = clo_onnx_plan_output(fused.plan, 0),
                         *b = clo_onnx_plan_output(plain.plan, 0);
        assert_int_equal(a->count, b->count);
        for (uint64_t i = 0; i < a->count; i++) {
            float u = ((const float *)a->data)[i], v = ((const float *)b->data)[i];
            if (fabsf(u - v) > 1e-6f * (1 + fabsf(v)))
                fail_msg("pad case %zu: y[%llu] = %g, unfused %g", k, (unsigned long long)i, u, v);
        }
        onnx_case_free(&fused);
        onnx_case_free(&plain);
    }
}

/* Conv (3x3, 2 -> 3 channels, with and without its own bias) ->
 * BatchNormalization: folded into the convolution (one step), the values
 * within rounding of the two steps' (kept apart when the convolution's value
 * is a graph output). */
static void bn_model(clo_onnxw *w, int conv_bias, int as_output)
{
    int64_t xd[4] = {1, 2, 4, 4}, yd[4] = {1, 3, 4, 4};
    static const float W[54] = {0.5f, -1, 0,  2, 0.25f, 1,  -0.5f, 0, 1,     1, 0, -2, 0.5f, 1, 0,
                                3,    1,  -1, 0, 1,     1,  1,     0, -0.5f, 2, 0, 1,  0,    1, 0,
                                1,    0,  -1, 0, 0.75f, 0,  -1,    1, 0.5f,  0, 2, -1, 0,    1, 0,
                                0.5f, 1,  2,  0, 1,     -1, 0.25f, 0, 1};
    static const float cb[3] = {0.1f, -0.2f, 0.3f}, sc[3] = {1.5f, 0.5f, -2}, bb[3] = {0, 1, -1},
                       mean[3] = {0.2f, -0.4f, 1}, var[3] = {1, 0.25f, 4};
    clo_onnxw_init(w);
    clo_onnxw_input(w, "x", CLO_ONNX_FLOAT, 4, xd);
    clo_onnxw_output(w, "y", CLO_ONNX_FLOAT, 4, yd);
    if (as_output) clo_onnxw_output(w, "c", CLO_ONNX_FLOAT, 4, yd);
    clo_onnxw_init_floats(w, "W", 4, (int64_t[]){3, 2, 3, 3}, W);
    clo_onnxw_init_floats(w, "cb", 1, (int64_t[]){3}, cb);
    clo_onnxw_init_floats(w, "sc", 1, (int64_t[]){3}, sc);
    clo_onnxw_init_floats(w, "bb", 1, (int64_t[]){3}, bb);
    clo_onnxw_init_floats(w, "mean", 1, (int64_t[]){3}, mean);
    clo_onnxw_init_floats(w, "var", 1, (int64_t[]){3}, var);
    clo_onnxw_attr_ints(w, "pads", (const int64_t[]){1, 1, 1, 1}, 4);
    if (conv_bias)
        clo_onnxw_node(w, "Conv", NULL, IN("x", "W", "cb"), 3, IN("c"), 1);
    else
        clo_onnxw_node(w, "Conv", NULL, IN("x", "W"), 2, IN("c"), 1);
    clo_onnxw_attr_float(w, "epsilon", 1e-3f);
    clo_onnxw_node(w, "BatchNormalization", NULL, IN("c", "sc", "bb", "mean", "var"), 5, IN("y"),
                   1);
}

static void test_bn_folding(void **state)
{
    (void)state;
    float x[32];
    for (int i = 0; i < 32; i++) x[i] = (float)((i * 7) % 11) * 0.25f - 1.0f;
    int64_t d[4] = {1, 2, 4, 4};
    clo_tensor f = onnx_feed(x, 4, d);
    for (int bias = 0; bias < 2; bias++) {
        onnx_case fused, plain;
        clo_onnxw w;
        bn_model(&w, bias, 0);
        onnx_case_build(&fused, &w, 13, 0, &f, 1);
        bn_model(&w, bias, 1);
        onnx_case_build(&plain, &w, 13, 0, &f, 1);
        assert_int_equal(fused.err.code, CLO_OK_CODE);
        assert_int_equal(plain.err.code, CLO_OK_CODE);
        assert_int_equal(clo_onnx_plan_steps(fused.plan), 1);
        assert_int_equal(clo_onnx_plan_steps(plain.plan), 2);
        assert_int_equal(clo_onnx_plan_run(fused.plan, &f, 1).code, CLO_OK_CODE);
        assert_int_equal(clo_onnx_plan_run(plain.plan, &f, 1).code, CLO_OK_CODE);
        const float *a = clo_onnx_plan_output(fused.plan, 0)->data,
                    *b = clo_onnx_plan_output(plain.plan, 0)->data;
        for (int i = 0; i < 48; i++) assert_true(fabsf(a[i] - b[i]) <= 1e-5f * (1 + fabsf(b[i])));
        /* a second plan on the same loaded model folds again from the model's
         * weights (each plan folds its own copy) */
        clo_onnx_plan *again;
        char why[CLO_ONNX_WHY];
        assert_int_equal(clo_onnx_plan_new(&fused.m, &f, 1, &again, why).code, CLO_OK_CODE);
        assert_int_equal(clo_onnx_plan_run(again, &f, 1).code, CLO_OK_CODE);
        assert_memory_equal(clo_onnx_plan_output(again, 0)->data, a, 48 * sizeof *a);
        clo_onnx_plan_free(again);
        onnx_case_free(&fused);
        onnx_case_free(&plain);
    }
}

static void test_bound_feed(void **state)
{
    (void)state;
    /* Reshape's shape fed as a graph input: the plan binds to its value. */
    clo_onnxw w;
    int64_t dx[2] = {2, 3}, ds[1] = {2};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, 2, dx);
    clo_onnxw_input(&w, "s", CLO_ONNX_INT64, 1, ds);
    clo_onnxw_output(&w, "y", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_node(&w, "Reshape", NULL, IN("x", "s"), 2, IN("y"), 1);
    int64_t shape[2] = {3, 2}, other[2] = {1, 6};
    clo_tensor feeds[2] = {onnx_feed(X6, 2, dx), {0}};
    feeds[1].dtype = CLO_ONNX_INT64;
    feeds[1].shape = (clo_shape){1, {2}};
    feeds[1].count = 2;
    feeds[1].data = shape;
    onnx_case c;
    onnx_case_build(&c, &w, 17, 0, feeds, 2);
    assert_int_equal(c.err.code, CLO_OK_CODE);
    assert_int_equal(clo_onnx_plan_run(c.plan, feeds, 2).code, CLO_OK_CODE);
    const clo_tensor *y = clo_onnx_plan_output(c.plan, 0);
    assert_true(y->shape.rank == 2 && y->shape.d[0] == 3 && y->shape.d[1] == 2);
    feeds[1].data = other; /* another shape needs another plan */
    assert_int_equal(clo_onnx_plan_run(c.plan, feeds, 2).code, CLO_E_ARG);
    onnx_case_free(&c);
    /* without the value, the plan cannot be built */
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, 2, dx);
    clo_onnxw_input(&w, "s", CLO_ONNX_INT64, 1, ds);
    clo_onnxw_output(&w, "y", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_node(&w, "Reshape", NULL, IN("x", "s"), 2, IN("y"), 1);
    feeds[1].data = NULL;
    onnx_case_build(&c, &w, 17, 0, feeds, 2);
    expect(&c, CLO_E_UNSUPPORTED, "must be a constant");
}

/* Pools on hand-checked planes: the 2x2 stride-2 max path, and average
 * pooling with padding counted and not. */
static void test_pools(void **state)
{
    (void)state;
    float x16[16], x9[9];
    for (int i = 0; i < 16; i++) x16[i] = (float)(i + 1);
    for (int i = 0; i < 9; i++) x9[i] = (float)(i + 1);
    int64_t d16[4] = {1, 1, 4, 4}, d9[4] = {1, 1, 3, 3};
    const int64_t k2[2] = {2, 2}, s2[2] = {2, 2}, k3[2] = {3, 3}, pad1[4] = {1, 1, 1, 1};
    /* 1..16 in 4x4, max 2x2/2 -> [[6, 8], [14, 16]] */
    clo_onnxw w;
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, 4, d16);
    clo_onnxw_output(&w, "y", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_attr_ints(&w, "kernel_shape", k2, 2);
    clo_onnxw_attr_ints(&w, "strides", s2, 2);
    clo_onnxw_node(&w, "MaxPool", NULL, IN("x"), 1, IN("y"), 1);
    clo_tensor f = onnx_feed(x16, 4, d16);
    onnx_case c;
    onnx_case_build(&c, &w, 17, 0, &f, 1);
    assert_int_equal(c.err.code, CLO_OK_CODE);
    assert_int_equal(clo_onnx_plan_run(c.plan, &f, 1).code, CLO_OK_CODE);
    const float *y = clo_onnx_plan_output(c.plan, 0)->data;
    assert_true(y[0] == 6 && y[1] == 8 && y[2] == 14 && y[3] == 16);
    onnx_case_free(&c);
    /* 1..9 in 3x3, average 3x3 pads 1: the corner window holds 1, 2, 4, 5:
     * 12/4 = 3 without the pads counted, 12/9 with; the centre is 45/9 = 5 */
    for (int include = 0; include < 2; include++) {
        clo_onnxw_init(&w);
        clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, 4, d9);
        clo_onnxw_output(&w, "y", CLO_ONNX_FLOAT, 0, NULL);
        clo_onnxw_attr_ints(&w, "kernel_shape", k3, 2);
        clo_onnxw_attr_ints(&w, "pads", pad1, 4);
        clo_onnxw_attr_int(&w, "count_include_pad", include);
        clo_onnxw_node(&w, "AveragePool", NULL, IN("x"), 1, IN("y"), 1);
        f = onnx_feed(x9, 4, d9);
        onnx_case_build(&c, &w, 17, 0, &f, 1);
        assert_int_equal(c.err.code, CLO_OK_CODE);
        assert_int_equal(clo_onnx_plan_run(c.plan, &f, 1).code, CLO_OK_CODE);
        y = clo_onnx_plan_output(c.plan, 0)->data;
        assert_true(fabs(y[0] - (include ? 12.0 / 9 : 3.0)) < 1e-6);
        assert_true(fabs(y[4] - 5.0) < 1e-6);
        onnx_case_free(&c);
    }
}

/* Build and run one Conv or ConvTranspose on x (W, B constants; pads,
 * strides and one more list attribute, and group); its output's values. */
static const float *run_conv_model(onnx_case *c, const char *op, uint32_t S, const int64_t *dx,
                                   const int64_t *dw, const float *x, const float *w,
                                   const float *b, int64_t M, const int64_t *pads,
                                   const int64_t *strides, const char *attr, const int64_t *list,
                                   int64_t group, uint64_t count)
{
    int64_t db[1] = {M};
    clo_onnxw wr;
    clo_onnxw_init(&wr);
    clo_onnxw_input(&wr, "x", CLO_ONNX_FLOAT, 2 + S, dx);
    clo_onnxw_output(&wr, "y", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_init_floats(&wr, "W", 2 + S, dw, w);
    clo_onnxw_init_floats(&wr, "B", 1, db, b);
    clo_onnxw_attr_ints(&wr, "pads", pads, 2 * S);
    clo_onnxw_attr_ints(&wr, "strides", strides, S);
    clo_onnxw_attr_ints(&wr, attr, list, S);
    clo_onnxw_attr_int(&wr, "group", group);
    clo_onnxw_node(&wr, op, NULL, IN("x", "W", "B"), 3, IN("y"), 1);
    clo_tensor f = onnx_feed(x, 2 + S, dx);
    onnx_case_build(c, &wr, 17, 0, &f, 1);
    assert_int_equal(c->err.code, CLO_OK_CODE);
    assert_int_equal(clo_onnx_plan_run(c->plan, &f, 1).code, CLO_OK_CODE);
    const clo_tensor *yt = clo_onnx_plan_output(c->plan, 0);
    assert_int_equal(yt->count, count);
    return yt->data;
}

/* Convolutions against a sum in double, over the geometries the direct
 * loops take apart. Depthwise: planes copied inside their pads (small ones
 * with outputs narrower than a vector, asymmetric pads, strides 2 and 3,
 * dilations, 1-D and 3-D), a kernel wider than the vector path takes, and a
 * plane too large to copy (the taps checked one by one at its edges).
 * Unit strides (the taps read the padded input in place): output channels
 * that fill no whole 6- or 12-row strip, rows narrower than and not a
 * multiple of 16, groups, dilations, 1-D and 3-D, more than 256 taps (the
 * weights in several blocks), one output row (two threads split its
 * channels). Strided ones take the column matrix. Each on two threads
 * too: the same bits. */
static void test_conv_geometries(void **state)
{
    (void)state;
    static const struct {
        uint32_t S;
        int64_t in[3], k[3], s[3], d[3], pads[6], c, m, group;
    } cases[] = {
        {2, {10, 10}, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}, 3, 3, 3},
        {2, {20, 20}, {5, 5}, {2, 2}, {1, 1}, {2, 2, 2, 2}, 3, 3, 3},
        {2, {17, 23}, {3, 3}, {1, 1}, {1, 1}, {0, 1, 2, 1}, 3, 3, 3},
        {2, {9, 31}, {3, 3}, {3, 3}, {2, 2}, {1, 1, 1, 1}, 3, 3, 3},
        {2, {6, 5}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, 3, 3, 3},
        {2, {3, 40}, {1, 20}, {1, 1}, {1, 1}, {0, 9, 0, 10}, 3, 3, 3},
        {2, {4, 37}, {3, 3}, {1, 2}, {1, 1}, {1, 0, 1, 3}, 3, 3, 3},
        {1, {50}, {7}, {2}, {1}, {3, 3}, 3, 3, 3},
        {3, {5, 6, 19}, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1, 1, 1, 1}, 3, 3, 3},
        {2, {1030, 1030}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, 1, 1},
        {2, {1030, 1030}, {3, 3}, {2, 2}, {1, 1}, {0, 1, 1, 0}, 1, 1, 1},
        {2, {11, 37}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 5, 14, 1},
        {2, {8, 16}, {3, 3}, {1, 1}, {2, 2}, {2, 0, 1, 3}, 4, 26, 2},
        {2, {7, 9}, {5, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 30, 13, 1},
        {1, {45}, {4}, {1}, {3}, {2, 5}, 6, 7, 1},
        {3, {4, 5, 18}, {2, 3, 3}, {1, 1, 1}, {1, 1, 1}, {0, 1, 1, 1, 0, 1}, 2, 12, 1},
        {2, {12, 12}, {3, 3}, {2, 1}, {1, 1}, {1, 1, 1, 1}, 5, 14, 1},
        {2, {1, 160}, {1, 3}, {1, 1}, {1, 1}, {0, 1, 0, 1}, 64, 60, 1},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        uint32_t S = cases[ci].S;
        int64_t C = cases[ci].c, M = cases[ci].m, G = cases[ci].group, cg = C / G, mg = M / G;
        int64_t ivol = 1, kvol = 1, ovol = 1, out[3];
        int64_t dx[5] = {1, C}, dw[5] = {M, cg};
        for (uint32_t i = 0; i < S; i++) {
            const int64_t *c = cases[ci].in, *k = cases[ci].k;
            out[i] = (c[i] + cases[ci].pads[i] + cases[ci].pads[S + i] -
                      cases[ci].d[i] * (k[i] - 1) - 1) /
                         cases[ci].s[i] +
                     1;
            dx[2 + i] = c[i];
            dw[2 + i] = k[i];
            ivol *= c[i];
            kvol *= k[i];
            ovol *= out[i];
        }
        float *x = malloc((size_t)(C * ivol) * sizeof *x),
              *w = malloc((size_t)(M * cg * kvol) * sizeof *w), *b = malloc((size_t)M * sizeof *b);
        assert_non_null(x);
        assert_non_null(w);
        assert_non_null(b);
        for (int64_t i = 0; i < C * ivol; i++) x[i] = sinf((float)i * 0.37f) + 0.5f;
        for (int64_t i = 0; i < M * cg * kvol; i++) w[i] = cosf((float)i * 1.1f);
        for (int64_t i = 0; i < M; i++) b[i] = i % 3 == 1 ? 0.0f : 0.25f * (float)i - 1.5f;
        onnx_case c;
        const float *y =
            run_conv_model(&c, "Conv", S, dx, dw, x, w, b, M, cases[ci].pads, cases[ci].s,
                           "dilations", cases[ci].d, G, (uint64_t)(M * ovol));
        /* outputs as (od, oh, ow), missing dims of 1 in front */
        int64_t o3[3] = {1, 1, 1}, i3[3] = {1, 1, 1}, k3[3] = {1, 1, 1}, s3[3] = {1, 1, 1},
                d3[3] = {1, 1, 1}, p3[3] = {0, 0, 0};
        for (uint32_t i = 0; i < S; i++) {
            uint32_t j = 3 - S + i;
            o3[j] = out[i];
            i3[j] = cases[ci].in[i];
            k3[j] = cases[ci].k[i];
            s3[j] = cases[ci].s[i];
            d3[j] = cases[ci].d[i];
            p3[j] = cases[ci].pads[i];
        }
        double worst = 0;
        for (int64_t m = 0; m < M; m++)
            for (int64_t o = 0; o < ovol; o++) {
                int64_t ow = o % o3[2], oh = o / o3[2] % o3[1], od = o / o3[2] / o3[1];
                double sum = b[m];
                for (int64_t cc = 0; cc < cg; cc++) {
                    const float *xc = x + (m / mg * cg + cc) * ivol, *wc = w + (m * cg + cc) * kvol;
                    for (int64_t kd = 0; kd < k3[0]; kd++)
                        for (int64_t kh = 0; kh < k3[1]; kh++)
                            for (int64_t kw = 0; kw < k3[2]; kw++) {
                                int64_t id = od * s3[0] - p3[0] + kd * d3[0],
                                        ih = oh * s3[1] - p3[1] + kh * d3[1],
                                        iw = ow * s3[2] - p3[2] + kw * d3[2];
                                if (id < 0 || id >= i3[0] || ih < 0 || ih >= i3[1] || iw < 0 ||
                                    iw >= i3[2])
                                    continue;
                                sum += (double)wc[(kd * k3[1] + kh) * k3[2] + kw] *
                                       xc[(id * i3[1] + ih) * i3[2] + iw];
                            }
                }
                double e = fabs(y[m * ovol + o] - sum) / (1 + fabs(sum));
                if (e > worst) worst = e;
            }
        if (worst > 1e-5) fail_msg("convolution case %zu: off by %g", ci, worst);
        /* and two threads give the same bits (a 1-row output splits its channels) */
        clo_onnx_plan *p2;
        char why[CLO_ONNX_WHY];
        clo_onnx_plan_opts o2 = {2, NULL};
        clo_tensor f2 = onnx_feed(x, 2 + S, dx);
        assert_int_equal(clo_onnx_plan_new_opts(&c.m, &f2, 1, &o2, &p2, why).code, CLO_OK_CODE);
        assert_int_equal(clo_onnx_plan_run(p2, &f2, 1).code, CLO_OK_CODE);
        assert_memory_equal(clo_onnx_plan_output(p2, 0)->data, y, (size_t)(M * ovol) * sizeof *y);
        clo_onnx_plan_free(p2);
        onnx_case_free(&c);
        free(x);
        free(w);
        free(b);
    }
}

/* ConvTranspose against a sum in double. Strides equal to the kernel (each
 * output takes at most one input position: written row by row), with output
 * padding, with end pads trimming a partial tile, 1-D and 3-D, groups; and
 * overlapping taps for comparison (the general col2im). */
static void test_convtranspose_tiles(void **state)
{
    (void)state;
    static const struct {
        uint32_t S;
        int64_t in[3], k[3], s[3], pads[6], opad[3], c, m, group;
    } cases[] = {
        {2, {20, 21}, {2, 2}, {2, 2}, {0, 0, 0, 0}, {0, 0}, 6, 5, 1},
        {2, {7, 9}, {3, 2}, {3, 2}, {0, 0, 0, 0}, {2, 1}, 4, 3, 1},
        {2, {6, 8}, {2, 3}, {2, 3}, {0, 0, 1, 2}, {0, 0}, 4, 6, 2},
        {1, {33}, {4}, {4}, {0, 3}, {0}, 3, 2, 1},
        {3, {3, 4, 5}, {2, 2, 2}, {2, 2, 2}, {0, 0, 0, 0, 0, 0}, {0, 0, 0}, 2, 3, 1},
        {2, {9, 10}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 3, 4, 1},
    };
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        uint32_t S = cases[ci].S;
        int64_t C = cases[ci].c, M = cases[ci].m, G = cases[ci].group, cg = C / G, mg = M / G;
        int64_t ivol = 1, kvol = 1, ovol = 1, out[3];
        int64_t dx[5] = {1, C}, dw[5] = {C, mg};
        for (uint32_t i = 0; i < S; i++) {
            out[i] = cases[ci].s[i] * (cases[ci].in[i] - 1) + cases[ci].opad[i] + cases[ci].k[i] -
                     cases[ci].pads[i] - cases[ci].pads[S + i];
            dx[2 + i] = cases[ci].in[i];
            dw[2 + i] = cases[ci].k[i];
            ivol *= cases[ci].in[i];
            kvol *= cases[ci].k[i];
            ovol *= out[i];
        }
        float *x = malloc((size_t)(C * ivol) * sizeof *x),
              *w = malloc((size_t)(C * mg * kvol) * sizeof *w), *b = malloc((size_t)M * sizeof *b);
        assert_non_null(x);
        assert_non_null(w);
        assert_non_null(b);
        for (int64_t i = 0; i < C * ivol; i++) x[i] = sinf((float)i * 0.53f);
        for (int64_t i = 0; i < C * mg * kvol; i++) w[i] = cosf((float)i * 0.9f);
        for (int64_t i = 0; i < M; i++) b[i] = 0.5f * (float)i - 1.0f;
        onnx_case c;
        const float *y =
            run_conv_model(&c, "ConvTranspose", S, dx, dw, x, w, b, M, cases[ci].pads, cases[ci].s,
                           "output_padding", cases[ci].opad, G, (uint64_t)(M * ovol));
        double *ref = calloc((size_t)(M * ovol), sizeof *ref);
        assert_non_null(ref);
        int64_t i3[3] = {1, 1, 1}, o3[3] = {1, 1, 1}, k3[3] = {1, 1, 1}, s3[3] = {1, 1, 1},
                p3[3] = {0, 0, 0};
        for (uint32_t i = 0; i < S; i++) {
            uint32_t j = 3 - S + i;
            i3[j] = cases[ci].in[i];
            o3[j] = out[i];
            k3[j] = cases[ci].k[i];
            s3[j] = cases[ci].s[i];
            p3[j] = cases[ci].pads[i];
        }
        for (int64_t m = 0; m < M; m++)
            for (int64_t o = 0; o < ovol; o++) ref[m * ovol + o] = b[m];
        for (int64_t cc = 0; cc < C; cc++)
            for (int64_t i = 0; i < ivol; i++)
                for (int64_t t = 0; t < kvol; t++) {
                    int64_t iw = i % i3[2], ih = i / i3[2] % i3[1], id = i / i3[2] / i3[1];
                    int64_t kw = t % k3[2], kh = t / k3[2] % k3[1], kd = t / k3[2] / k3[1];
                    int64_t od = id * s3[0] - p3[0] + kd, oh = ih * s3[1] - p3[1] + kh,
                            ow = iw * s3[2] - p3[2] + kw;
                    if (od < 0 || od >= o3[0] || oh < 0 || oh >= o3[1] || ow < 0 || ow >= o3[2])
                        continue;
                    for (int64_t mm = 0; mm < mg; mm++) {
                        int64_t m = cc / cg * mg + mm;
                        ref[m * ovol + (od * o3[1] + oh) * o3[2] + ow] +=
                            (double)x[cc * ivol + i] * w[(cc * mg + mm) * kvol + t];
                    }
                }
        for (int64_t i = 0; i < M * ovol; i++)
            if (fabs(y[i] - ref[i]) > 1e-5 * (1 + fabs(ref[i])))
                fail_msg("convtranspose case %zu: y[%lld] = %g, want %g", ci, (long long)i, y[i],
                         ref[i]);
        onnx_case_free(&c);
        free(ref);
        free(x);
        free(w);
        free(b);
    }
}

/* Threads split big products by rows; every element's sum is unchanged,
 * so the outputs are bit for bit those of one thread. */
static void test_threads_same_bits(void **state)
{
    (void)state;
    static float x[8 * 32 * 32], w[32 * 8 * 9], b[32], a[128 * 256], bm[256 * 128],
        x2[32 * 96 * 96], wd[32 * 9], wp[64 * 32], x3[16 * 3 * 64], w3[36 * 16 * 9];
    for (size_t i = 0; i < sizeof x2 / sizeof x2[0]; i++) x2[i] = cosf((float)i * 0.7f);
    for (size_t i = 0; i < sizeof x3 / sizeof x3[0]; i++) x3[i] = sinf((float)i * 0.9f);
    for (size_t i = 0; i < sizeof w3 / sizeof w3[0]; i++) w3[i] = cosf((float)i * 0.4f) * 0.1f;
    int64_t dx3[4] = {1, 16, 3, 64}, dw3[4] = {36, 16, 3, 3};
    for (size_t i = 0; i < sizeof wd / sizeof wd[0]; i++) wd[i] = sinf((float)i) * 0.3f;
    for (size_t i = 0; i < sizeof wp / sizeof wp[0]; i++) wp[i] = cosf((float)i * 1.3f) * 0.2f;
    int64_t dx2[4] = {1, 32, 96, 96}, dwd[4] = {32, 1, 3, 3}, dwp[4] = {64, 32, 1, 1};
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) x[i] = sinf((float)i);
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) w[i] = cosf((float)i) * 0.1f;
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) a[i] = sinf((float)i * 0.5f);
    for (size_t i = 0; i < sizeof bm / sizeof bm[0]; i++) bm[i] = cosf((float)i * 0.3f);
    for (int i = 0; i < 32; i++) b[i] = (float)i;
    int64_t dx[4] = {1, 8, 32, 32}, dw[4] = {32, 8, 3, 3}, db[1] = {32}, da[2] = {128, 256},
            dbm[2] = {256, 128};
    const float *outs[2][5];
    clo_onnx_plan *plans[2];
    onnx_case cs[2];
    for (int t = 0; t < 2; t++) {
        clo_onnxw wr;
        clo_onnxw_init(&wr);
        clo_onnxw_input(&wr, "x", CLO_ONNX_FLOAT, 4, dx);
        clo_onnxw_input(&wr, "a", CLO_ONNX_FLOAT, 2, da);
        clo_onnxw_input(&wr, "x2", CLO_ONNX_FLOAT, 4, dx2);
        clo_onnxw_input(&wr, "x3", CLO_ONNX_FLOAT, 4, dx3);
        clo_onnxw_output(&wr, "y", CLO_ONNX_FLOAT, 0, NULL);
        clo_onnxw_output(&wr, "z", CLO_ONNX_FLOAT, 0, NULL);
        clo_onnxw_output(&wr, "d", CLO_ONNX_FLOAT, 0, NULL);
        clo_onnxw_output(&wr, "q", CLO_ONNX_FLOAT, 0, NULL);
        clo_onnxw_output(&wr, "r", CLO_ONNX_FLOAT, 0, NULL);
        clo_onnxw_init_floats(&wr, "W3", 4, dw3, w3);
        clo_onnxw_init_floats(&wr, "Wd", 4, dwd, wd);
        clo_onnxw_init_floats(&wr, "Wp", 4, dwp, wp);
        clo_onnxw_init_floats(&wr, "W", 4, dw, w);
        clo_onnxw_init_floats(&wr, "B", 1, db, b);
        clo_onnxw_init_floats(&wr, "M", 2, dbm, bm);
        const int64_t pads[4] = {1, 1, 1, 1};
        clo_onnxw_attr_ints(&wr, "pads", pads, 4);
        clo_onnxw_node(&wr, "Conv", NULL, IN("x", "W", "B"), 3, IN("y"), 1);
        clo_onnxw_node(&wr, "MatMul", NULL, IN("a", "M"), 2, IN("z"), 1);
        /* a depthwise 3x3 (planes split over threads), then a 1x1 (columns
         * split): both above the hand-off thresholds (2.6M and 18.9M products) */
        clo_onnxw_attr_ints(&wr, "pads", pads, 4);
        clo_onnxw_attr_int(&wr, "group", 32);
        clo_onnxw_node(&wr, "Conv", NULL, IN("x2", "Wd"), 2, IN("d"), 1);
        clo_onnxw_node(&wr, "Conv", NULL, IN("d", "Wp"), 2, IN("q"), 1);
        /* 3 output rows of 3 channel strips: two threads split a row (units 4 | 5) */
        clo_onnxw_attr_ints(&wr, "pads", pads, 4);
        clo_onnxw_node(&wr, "Conv", NULL, IN("x3", "W3"), 2, IN("r"), 1);
        clo_tensor f[4] = {onnx_feed(x, 4, dx), onnx_feed(a, 2, da), onnx_feed(x2, 4, dx2),
                           onnx_feed(x3, 4, dx3)};
        memset(&cs[t], 0, sizeof cs[t]);
        clo_buf_init(&cs[t].bytes, 1 << 24);
        OKC(clo_onnxw_finish(&wr, "t", 17, 0, &cs[t].bytes));
        OKC(clo_onnx_load(clo_buf_view(&cs[t].bytes), &cs[t].m));
        clo_onnx_plan_opts o = {t ? 2u : 1u, NULL};
        OKC(clo_onnx_plan_new_opts(&cs[t].m, f, 4, &o, &plans[t], cs[t].why));
        cs[t].plan = plans[t];
        OKC(clo_onnx_plan_run(plans[t], f, 4));
        for (int k = 0; k < 5; k++) outs[t][k] = clo_onnx_plan_output(plans[t], (size_t)k)->data;
    }
    assert_memory_equal(outs[0][0], outs[1][0], 32 * 32 * 32 * sizeof(float));
    assert_memory_equal(outs[0][1], outs[1][1], 128 * 128 * sizeof(float));
    assert_memory_equal(outs[0][2], outs[1][2], 32 * 96 * 96 * sizeof(float));
    assert_memory_equal(outs[0][3], outs[1][3], 64 * 96 * 96 * sizeof(float));
    assert_memory_equal(outs[0][4], outs[1][4], 36 * 3 * 64 * sizeof(float));
    /* and a thread count out of range is refused */
    clo_onnx_plan *p = NULL;
    char why[CLO_ONNX_WHY];
    clo_onnx_plan_opts bad = {65, NULL};
    clo_tensor f[4] = {onnx_feed(x, 4, dx), onnx_feed(a, 2, da), onnx_feed(x2, 4, dx2),
                       onnx_feed(x3, 4, dx3)};
    assert_int_equal(clo_onnx_plan_new_opts(&cs[0].m, f, 4, &bad, &p, why).code, CLO_E_ARG);
    assert_null(p);
    onnx_case_free(&cs[0]);
    onnx_case_free(&cs[1]);
}

/* A pool's parts per run: all of its threads at first, then what a job
 * asks for, clamped to 1..its threads; each part once per run. */
static void count_parts(void *ctx, unsigned part, unsigned parts)
{
    unsigned *seen = ctx; /* seen[0]: parts; seen[1 + part]: calls */
    seen[0] = parts;
    __atomic_add_fetch(&seen[1 + part], 1, __ATOMIC_RELAXED);
}

static void test_pool_parts(void **state)
{
    (void)state;
    clo_pool *p;
    OKC(clo_pool_new(3, &p));
    const unsigned ask[] = {0, 1, 2, 3, 9}, want[] = {3, 1, 2, 3, 3};
    for (size_t i = 0; i < 5; i++) {
        unsigned seen[5] = {0};
        if (i) clo_pool_use(p, ask[i]);
        assert_int_equal(clo_pool_parts(p), want[i]);
        clo_pool_run(p, count_parts, seen);
        assert_int_equal(seen[0], want[i]);
        for (unsigned k = 0; k < 3; k++) assert_int_equal(seen[1 + k], k < want[i] ? 1 : 0);
    }
    assert_int_equal(clo_pool_size(p), 3);
    clo_pool_free(p);
    assert_int_equal(clo_pool_parts(NULL), 1);
}

/* The other steps a plan splits over its threads, each above its hand-off
 * threshold: a unary op, binary ops split by rows and (one row) within it,
 * Resize (nearest, plane by plane), ConvTranspose (its GEMM by rows, or by
 * columns for one output channel, and col2im by output row), GlobalAveragePool and
 * BatchNormalization (by channel), a batched MatMul (by matrix), Softmax (by vector). Every element
 * is one thread's: 1, 2 and 3 threads give the same bits. */
static void test_threads_same_bits_elementwise(void **state)
{
    (void)state;
    static float x[32 * 96 * 96], wc[32], wt[32 * 8 * 2 * 2], bt[8], sc[4], bn[4][32];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) x[i] = sinf((float)i * 0.37f) * 3.0f;
    for (size_t i = 0; i < 32; i++) wc[i] = 0.5f + (float)i * 0.01f;
    for (size_t i = 0; i < sizeof wt / sizeof wt[0]; i++) wt[i] = cosf((float)i) * 0.2f;
    for (size_t i = 0; i < 8; i++) bt[i] = (float)i * 0.1f;
    for (size_t k = 0; k < 4; k++)
        for (size_t i = 0; i < 32; i++)
            bn[k][i] = k == 3 ? 1.0f + (float)i * 0.02f : sinf((float)(i + k));
    sc[0] = sc[1] = 1.0f, sc[2] = sc[3] = 2.0f;
    int64_t dx[4] = {1, 32, 96, 96}, dc[3] = {32, 1, 1}, dt[4] = {32, 8, 2, 2}, d8[1] = {8},
            d4[1] = {4}, d32[1] = {32}, d1[1] = {1};
    static const char *const outs[] = {"s", "m", "a", "r", "t", "g", "n", "bm", "sm", "t1"};
    const size_t nout = sizeof outs / sizeof outs[0];
    const float *got[3][10];
    size_t sizes[10];
    clo_onnx_plan *plans[3];
    onnx_case cs[3];
    for (int t = 0; t < 3; t++) {
        clo_onnxw wr;
        clo_onnxw_init(&wr);
        clo_onnxw_input(&wr, "x", CLO_ONNX_FLOAT, 4, dx);
        for (size_t k = 0; k < nout; k++) clo_onnxw_output(&wr, outs[k], CLO_ONNX_FLOAT, 0, NULL);
        clo_onnxw_init_floats(&wr, "C", 3, dc, wc);
        clo_onnxw_init_floats(&wr, "One", 1, d1, &wc[10]);
        clo_onnxw_init_floats(&wr, "Wt", 4, dt, wt);
        clo_onnxw_init_floats(&wr, "Bt", 1, d8, bt);
        clo_onnxw_init_floats(&wr, "S", 1, d4, sc);
        clo_onnxw_init_floats(&wr, "G", 1, d32, bn[0]);
        clo_onnxw_init_floats(&wr, "Bb", 1, d32, bn[1]);
        clo_onnxw_init_floats(&wr, "Mu", 1, d32, bn[2]);
        clo_onnxw_init_floats(&wr, "Var", 1, d32, bn[3]);
        clo_onnxw_node(&wr, "Sigmoid", NULL, IN("x"), 1, IN("s"), 1);
        clo_onnxw_node(&wr, "Mul", NULL, IN("x", "C"), 2, IN("m"), 1);   /* 32 rows */
        clo_onnxw_node(&wr, "Add", NULL, IN("s", "One"), 2, IN("a"), 1); /* one row */
        clo_onnxw_attr_string(&wr, "mode", "nearest");
        clo_onnxw_node(&wr, "Resize", NULL, IN("x", "", "S"), 3, IN("r"), 1);
        const int64_t st[2] = {2, 2};
        clo_onnxw_attr_ints(&wr, "strides", st, 2);
        clo_onnxw_node(&wr, "ConvTranspose", NULL, IN("x", "Wt", "Bt"), 3, IN("t"), 1);
        /* one output channel: a product of 4 rows, its columns split */
        const int64_t dt1[4] = {32, 1, 2, 2};
        clo_onnxw_init_floats(&wr, "Wt1", 4, dt1, wt);
        clo_onnxw_attr_ints(&wr, "strides", st, 2);
        clo_onnxw_node(&wr, "ConvTranspose", NULL, IN("x", "Wt1"), 2, IN("t1"), 1);
        clo_onnxw_node(&wr, "GlobalAveragePool", NULL, IN("m"), 1, IN("g"), 1);
        clo_onnxw_node(&wr, "BatchNormalization", NULL, IN("s", "G", "Bb", "Mu", "Var"), 5, IN("n"),
                       1);
        /* a batched MatMul: its 32 matrices split over the threads */
        const int64_t d3[1] = {3}, shape3[3] = {32, 96, 96};
        clo_onnxw_init_ints(&wr, "Shape3", 1, d3, shape3);
        clo_onnxw_node(&wr, "Reshape", NULL, IN("x", "Shape3"), 2, IN("x3"), 1);
        clo_onnxw_node(&wr, "MatMul", NULL, IN("x3", "x3"), 2, IN("bm"), 1);
        clo_onnxw_attr_int(&wr, "axis", 1); /* 9216 vectors of 32 */
        clo_onnxw_node(&wr, "Softmax", NULL, IN("x"), 1, IN("sm"), 1);
        clo_tensor f[1] = {onnx_feed(x, 4, dx)};
        memset(&cs[t], 0, sizeof cs[t]);
        clo_buf_init(&cs[t].bytes, 1 << 24);
        OKC(clo_onnxw_finish(&wr, "t", 17, 0, &cs[t].bytes));
        OKC(clo_onnx_load(clo_buf_view(&cs[t].bytes), &cs[t].m));
        clo_onnx_plan_opts o = {(unsigned)t + 1, NULL};
        OKC(clo_onnx_plan_new_opts(&cs[t].m, f, 1, &o, &plans[t], cs[t].why));
        cs[t].plan = plans[t];
        OKC(clo_onnx_plan_run(plans[t], f, 1));
        for (size_t k = 0; k < nout; k++) {
            const clo_tensor *y = clo_onnx_plan_output(plans[t], k);
            got[t][k] = y->data;
            sizes[k] = y->count * sizeof(float);
        }
    }
    assert_int_equal(sizes[3], 32 * 192 * 192 * sizeof(float)); /* the Resize doubled */
    assert_int_equal(sizes[4], 8 * 192 * 192 * sizeof(float));  /* the ConvTranspose too */
    assert_true(got[0][3][0] == x[0] + 0.0f && got[0][3][1] == x[0] + 0.0f);
    for (int t = 1; t < 3; t++)
        for (size_t k = 0; k < nout; k++) assert_memory_equal(got[0][k], got[t][k], sizes[k]);
    for (int t = 0; t < 3; t++) onnx_case_free(&cs[t]);
}

/* x [n] -> op(x) (or op(x, k) with k a scalar constant) -> y, run once;
 * y's values. */
static const float *run_elementwise(onnx_case *c, const char *op, const float *x, int64_t n,
                                    const float *k)
{
    int64_t d[1] = {n};
    clo_onnxw w;
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, 1, d);
    clo_onnxw_output(&w, "y", CLO_ONNX_FLOAT, 1, d);
    if (k) {
        clo_onnxw_init_floats(&w, "k", 0, NULL, k);
        clo_onnxw_node(&w, op, NULL, IN("x", "k"), 2, IN("y"), 1);
    } else {
        clo_onnxw_node(&w, op, NULL, IN("x"), 1, IN("y"), 1);
    }
    clo_tensor f = onnx_feed(x, 1, d);
    onnx_case_build(c, &w, 13, 0, &f, 1);
    assert_int_equal(c->err.code, CLO_OK_CODE);
    assert_int_equal(clo_onnx_plan_run(c->plan, &f, 1).code, CLO_OK_CODE);
    return clo_onnx_plan_output(c->plan, 0)->data;
}

/* The engine's vector exp against exp in double: within 2 ulp from where
 * results are normal (then within the smallest normal's ulps: they run
 * through the subnormals), exact at 0, infinity, -infinity and NaN. Then
 * Exp, Sigmoid and Softmax (a 6625-wide row as PP-OCR's recognition has, and
 * along a middle axis) through plans, against double references. */
static void test_vexp(void **state)
{
    (void)state;
    double worst = 0;
    for (int i = 0; i <= 400000; i++) {
        float x = -103.0f + (float)i * (192.0f / 400000.0f);
        double want = exp((double)x);
        float got = clo_exp1(x);
        if (want > FLT_MAX) {
            assert_true(isinf(got));
            continue;
        }
        double ulp = want < FLT_MIN ? ldexp(1.0, -149) : ldexp(1.0, ilogb(want) - 23);
        double e = fabs(got - want) / ulp;
        if (e > worst) worst = e;
    }
    if (worst > 2.0) fail_msg("exp: %g ulp", worst);
    assert_true(clo_exp1(0.0f) == 1.0f);
    assert_true(clo_exp1(-INFINITY) == 0.0f);
    assert_true(isinf(clo_exp1(INFINITY)) && clo_exp1(INFINITY) > 0);
    assert_true(isnan(clo_exp1(NAN)));
    /* through plans: Exp and Sigmoid over 13 values (a vector and a tail) */
    static float x[40 * 6625];
    for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) x[i] = sinf((float)i * 0.001f) * 30.0f;
    x[3] = NAN;
    const char *ops[2] = {"Exp", "Sigmoid"};
    for (int k = 0; k < 2; k++) {
        onnx_case c;
        const float *y = run_elementwise(&c, ops[k], x, 13, NULL);
        for (int i = 0; i < 13; i++) {
            double e = exp((double)x[i]), want = k ? e / (1 + e) : e;
            if (i == 3)
                assert_true(isnan(y[i]));
            else if (fabs(y[i] - want) > 3e-7 * fabs(want))
                fail_msg("%s(%g) = %g, want %g", ops[k], x[i], y[i], want);
        }
        onnx_case_free(&c);
    }
    x[3] = 0.5f;
    /* Softmax over the last axis of [40, 6625] and over the middle one of [4, 50, 33] */
    for (int mid = 0; mid < 2; mid++) {
        int64_t d[3] = {40, 6625, 0}, dm[3] = {4, 50, 33};
        clo_onnxw w;
        clo_onnxw_init(&w);
        clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, mid ? 3 : 2, mid ? dm : d);
        clo_onnxw_output(&w, "y", CLO_ONNX_FLOAT, 0, NULL);
        clo_onnxw_attr_int(&w, "axis", mid ? 1 : -1);
        clo_onnxw_node(&w, "Softmax", NULL, IN("x"), 1, IN("y"), 1);
        clo_tensor f = onnx_feed(x, mid ? 3 : 2, mid ? dm : d);
        onnx_case c;
        onnx_case_build(&c, &w, 13, 0, &f, 1);
        assert_int_equal(c.err.code, CLO_OK_CODE);
        assert_int_equal(clo_onnx_plan_run(c.plan, &f, 1).code, CLO_OK_CODE);
        const float *y = clo_onnx_plan_output(c.plan, 0)->data;
        int64_t outer = mid ? 4 : 40, n = mid ? 50 : 6625, inner = mid ? 33 : 1;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < inner; j++) {
                const float *a = x + o * n * inner + j;
                double mx = -INFINITY, sum = 0;
                for (int64_t i = 0; i < n; i++) mx = a[i * inner] > mx ? a[i * inner] : mx;
                for (int64_t i = 0; i < n; i++) sum += exp(a[i * inner] - mx);
                for (int64_t i = 0; i < n; i++) {
                    double want = exp(a[i * inner] - mx) / sum,
                           got = y[o * n * inner + j + i * inner];
                    /* a - mx is rounded to float first (as onnxruntime does): up
                     * to 2^-19 of it near 60, so 1e-5 of the value */
                    if (fabs(got - want) > 1e-5 * want + 1e-30)
                        fail_msg("softmax %d [%lld, %lld]: %g, want %g", mid, (long long)o,
                                 (long long)i, got, want);
                }
            }
        onnx_case_free(&c);
    }
}

/* A branch graph of one node, op(x[, extra]) -> out, with an initializer
 * "two" = [2, 2, 2] of its own. */
static void branch(clo_onnxw *g, const char *op, const char *extra, const char *out)
{
    const float two[3] = {2, 2, 2};
    const int64_t d3[1] = {3};
    clo_onnxw_init(g);
    clo_onnxw_init_floats(g, "two", 1, d3, two);
    clo_onnxw_output(g, out, CLO_ONNX_FLOAT, 0, NULL);
    if (extra)
        clo_onnxw_node(g, op, NULL, IN("x", extra), 2, IN(out), 1);
    else
        clo_onnxw_node(g, op, NULL, IN("x"), 1, IN(out), 1);
}

/* x [3], flag (bool), n (int64):
 *   y1 = If(n == 10) then x * two else -x
 *   y2 = If(flag) then (If(5 > 3) then Identity(x) else -x) else x - x */
static void if_model(clo_buf *bytes)
{
    const int64_t d3[1] = {3}, ten = 10, five = 5, three = 3;
    clo_onnxw w, t, e, inner_t, inner_e;
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, 1, d3);
    clo_onnxw_input(&w, "flag", CLO_ONNX_BOOL, 0, NULL);
    clo_onnxw_input(&w, "n", CLO_ONNX_INT64, 0, NULL);
    clo_onnxw_output(&w, "y1", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_output(&w, "y2", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_init_ints(&w, "ten", 0, NULL, &ten);
    clo_onnxw_node(&w, "Equal", NULL, IN("n", "ten"), 2, IN("eq"), 1);
    branch(&t, "Mul", "two", "t1");
    branch(&e, "Neg", NULL, "e1");
    clo_onnxw_attr_graph(&w, "then_branch", &t);
    clo_onnxw_attr_graph(&w, "else_branch", &e);
    clo_onnxw_node(&w, "If", NULL, IN("eq"), 1, IN("y1"), 1);
    /* the nested If's condition is a constant of the branch */
    clo_onnxw_init(&t);
    clo_onnxw_init_ints(&t, "five", 0, NULL, &five);
    clo_onnxw_init_ints(&t, "three", 0, NULL, &three);
    clo_onnxw_output(&t, "t2", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_node(&t, "Greater", NULL, IN("five", "three"), 2, IN("gt"), 1);
    branch(&inner_t, "Identity", NULL, "it");
    branch(&inner_e, "Neg", NULL, "ie");
    clo_onnxw_attr_graph(&t, "then_branch", &inner_t);
    clo_onnxw_attr_graph(&t, "else_branch", &inner_e);
    clo_onnxw_node(&t, "If", NULL, IN("gt"), 1, IN("t2"), 1);
    branch(&e, "Sub", "x", "e2");
    clo_onnxw_attr_graph(&w, "then_branch", &t);
    clo_onnxw_attr_graph(&w, "else_branch", &e);
    clo_onnxw_node(&w, "If", NULL, IN("flag"), 1, IN("y2"), 1);
    clo_buf_init(bytes, 1 << 16);
    OKC(clo_onnxw_finish(&w, "if", 17, 0, bytes));
}

/* If: the branch its condition takes is built in its place when the plan is
 * built; a condition from feeds binds the plan to their values; one known
 * only while running is refused, naming why; subgraphs nested deeper than
 * the limit are refused when the model is read. */
static void test_if(void **state)
{
    (void)state;
    clo_buf bytes;
    if_model(&bytes);
    clo_onnx_model m;
    OKC(clo_onnx_load(clo_buf_view(&bytes), &m));
    assert_int_equal(m.ngraphs, 6);
    float x[3] = {1.5f, -2.0f, 4.0f};
    int64_t n = 10;
    uint8_t flag = 1;
    int64_t d3[1] = {3};
    clo_tensor f[3] = {onnx_feed(x, 1, d3),
                       {CLO_ONNX_BOOL, {0, {0}}, 1, &flag},
                       {CLO_ONNX_INT64, {0, {0}}, 1, &n}};
    for (int pass = 0; pass < 2; pass++) {
        n = pass ? 11 : 10;
        flag = pass ? 0 : 1;
        clo_onnx_plan *p;
        char why[CLO_ONNX_WHY];
        clo_err pe = clo_onnx_plan_new(&m, f, 3, &p, why);
        if (pe.code) fail_msg("plan: %s", why);
        OKC(clo_onnx_plan_run(p, f, 3));
        const float *y1 = clo_onnx_plan_output(p, 0)->data, *y2 = clo_onnx_plan_output(p, 1)->data;
        for (int i = 0; i < 3; i++) {
            assert_true(y1[i] == (pass ? -x[i] : 2 * x[i]));
            assert_true(y2[i] == (pass ? 0.0f : x[i]));
        }
        /* bound to n and flag: another value is refused */
        n = pass ? 10 : 11;
        assert_int_equal(clo_onnx_plan_run(p, f, 3).code, CLO_E_ARG);
        clo_onnx_plan_free(p);
    }
    /* n not given when the plan is built: the condition is known only while running */
    clo_tensor late[3] = {f[0], f[1], f[2]};
    late[2].data = NULL;
    clo_onnx_plan *p = NULL;
    char why[CLO_ONNX_WHY];
    assert_int_equal(clo_onnx_plan_new(&m, late, 3, &p, why).code, CLO_E_UNSUPPORTED);
    assert_null(p);
    assert_non_null(strstr(why, "known only while running"));
    clo_onnx_free(&m);
    clo_buf_free(&bytes);
    /* nine Ifs, each the then-branch of the one before: one too deep */
    clo_onnxw g[10];
    clo_onnxw_init(&g[9]);
    clo_onnxw_output(&g[9], "y", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_node(&g[9], "Identity", NULL, IN("x"), 1, IN("y"), 1);
    for (int k = 8; k >= 0; k--) {
        clo_onnxw other;
        clo_onnxw_init(&g[k]);
        if (k == 0) {
            clo_onnxw_input(&g[k], "x", CLO_ONNX_FLOAT, 1, d3);
            clo_onnxw_input(&g[k], "flag", CLO_ONNX_BOOL, 0, NULL);
        }
        clo_onnxw_output(&g[k], "y", CLO_ONNX_FLOAT, 0, NULL);
        branch(&other, "Neg", NULL, "y");
        clo_onnxw_attr_graph(&g[k], "then_branch", &g[k + 1]);
        clo_onnxw_attr_graph(&g[k], "else_branch", &other);
        clo_onnxw_node(&g[k], "If", NULL, IN("flag"), 1, IN("y"), 1);
    }
    OKC(clo_onnxw_finish(&g[0], "deep", 17, 0, &bytes));
    assert_int_equal(clo_onnx_load(clo_buf_view(&bytes), &m).code, CLO_E_LIMIT);
    assert_non_null(strstr(m.why, "nested"));
    clo_buf_free(&bytes);
}

/* A Loop model: y_{k+1} = 2 y_k + x + k from y_0 = 0 (x a feed), each
 * y_{k+1} also a scan output. trip < 0: no M; cond: "" (none), "c0" (a
 * true constant) or "flag" (a feed); the body's condition is i < until
 * (until >= 0), else the flag feed, else its own condition. */
static void loop_model(clo_buf *out, int64_t trip, const char *cond, int64_t until)
{
    clo_onnxw w, body;
    int64_t d3[1] = {3};
    const float zeros[3] = {0, 0, 0}, two[3] = {2, 2, 2};
    clo_onnxw_init(&body);
    clo_onnxw_input(&body, "i", CLO_ONNX_INT64, 0, NULL);
    clo_onnxw_input(&body, "c", CLO_ONNX_BOOL, 0, NULL);
    clo_onnxw_input(&body, "y_in", CLO_ONNX_FLOAT, 1, d3);
    clo_onnxw_output(&body, "c_out", CLO_ONNX_BOOL, 0, NULL);
    clo_onnxw_output(&body, "y_out", CLO_ONNX_FLOAT, 1, d3);
    clo_onnxw_output(&body, "scan", CLO_ONNX_FLOAT, 1, d3);
    clo_onnxw_init_floats(&body, "two", 1, d3, two);
    clo_onnxw_attr_int(&body, "to", CLO_ONNX_FLOAT);
    clo_onnxw_node(&body, "Cast", NULL, IN("i"), 1, IN("fi"), 1);
    clo_onnxw_node(&body, "Mul", NULL, IN("y_in", "two"), 2, IN("t"), 1);
    clo_onnxw_node(&body, "Add", NULL, IN("t", "x"), 2, IN("tx"), 1);
    clo_onnxw_node(&body, "Add", NULL, IN("tx", "fi"), 2, IN("y_out"), 1);
    clo_onnxw_node(&body, "Identity", NULL, IN("y_out"), 1, IN("scan"), 1);
    if (until >= 0) {
        clo_onnxw_init_ints(&body, "until", 0, NULL, &until);
        clo_onnxw_node(&body, "Less", NULL, IN("i", "until"), 2, IN("c_out"), 1);
    } else {
        clo_onnxw_node(&body, "Identity", NULL, IN(strcmp(cond, "flag") ? "c" : "flag"), 1,
                       IN("c_out"), 1);
    }
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, 1, d3);
    clo_onnxw_input(&w, "flag", CLO_ONNX_BOOL, 0, NULL);
    clo_onnxw_output(&w, "y", CLO_ONNX_FLOAT, 1, d3);
    clo_onnxw_output(&w, "ys", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_init_floats(&w, "y0", 1, d3, zeros);
    if (trip >= 0) clo_onnxw_init_ints(&w, "M", 0, NULL, &trip);
    clo_onnxw_node(&w, "Identity", NULL, IN("flag"), 1, IN("c0"), 1); /* c0: the flag's value */
    clo_onnxw_attr_graph(&w, "body", &body);
    clo_onnxw_node(&w, "Loop", NULL, IN(trip >= 0 ? "M" : "", cond, "y0"), 3, IN("y", "ys"), 2);
    OKC(clo_onnxw_finish(&w, "loop", 17, 0, out));
}

static clo_err plan_loop(clo_buf *bytes, int give_flag, uint8_t flag, const float *x,
                         clo_onnx_model *m, clo_onnx_plan **p, char *why)
{
    int64_t d3[1] = {3};
    clo_tensor f[2] = {onnx_feed(x, 1, d3), {CLO_ONNX_BOOL, {0, {0}}, 1, NULL}};
    static uint8_t fl;
    fl = flag;
    f[1].data = give_flag ? &fl : NULL;
    *p = NULL;
    clo_err e = clo_onnx_load(clo_buf_view(bytes), m);
    if (e.code) return e;
    e = clo_onnx_plan_new(m, f, 2, p, why);
    if (e.code) return e;
    f[1].data = &fl;
    return clo_onnx_plan_run(*p, f, 2);
}

static void test_loop(void **state)
{
    (void)state;
    const float x[3] = {1.0f, -0.5f, 3.0f};
    char why[CLO_ONNX_WHY];
    clo_onnx_model m;
    clo_onnx_plan *p;
    clo_buf bytes;
    clo_buf_init(&bytes, 1 << 16);
    /* M = 4, no condition: four iterations, the scan output stacked [4, 3] */
    loop_model(&bytes, 4, "", -1);
    clo_err e = plan_loop(&bytes, 1, 1, x, &m, &p, why);
    if (e.code) fail_msg("loop: %s", why);
    const clo_tensor *y = clo_onnx_plan_output(p, 0), *ys = clo_onnx_plan_output(p, 1);
    assert_int_equal(ys->shape.rank, 2);
    assert_int_equal(ys->shape.d[0], 4);
    assert_int_equal(ys->shape.d[1], 3);
    assert_true(clo_onnx_plan_steps(p) > 4); /* unrolled, on a feed: steps, not constants */
    for (int j = 0; j < 3; j++) {
        float v = 0;
        for (int k = 0; k < 4; k++) {
            v = 2 * v + x[j] + (float)k;
            assert_true(((const float *)ys->data)[k * 3 + j] == v);
        }
        assert_true(((const float *)y->data)[j] == v);
    }
    clo_onnx_plan_free(p);
    clo_onnx_free(&m);

    /* no M, a condition: i < 2 stops it after three iterations */
    clo_buf_clear(&bytes);
    loop_model(&bytes, -1, "c0", 2);
    e = plan_loop(&bytes, 1, 1, x, &m, &p, why);
    if (e.code) fail_msg("loop: %s", why);
    assert_int_equal(clo_onnx_plan_output(p, 1)->shape.d[0], 3);
    clo_onnx_plan_free(p);
    clo_onnx_free(&m);
    /* refused: with a false condition it runs no iteration, and its scan
     * output has no shape to give; the condition a feed not given when the
     * plan is built; more iterations than a plan unrolls (a limit) */
    struct {
        int64_t trip;
        int give_flag;
        uint8_t flag;
        clo_code code;
        const char *why;
    } bad[] = {{-1, 1, 0, CLO_E_UNSUPPORTED, "no iteration"},
               {5, 0, 1, CLO_E_UNSUPPORTED, "known only while running"},
               {100000, 1, 1, CLO_E_LIMIT, "unroll"}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        clo_buf_clear(&bytes);
        loop_model(&bytes, bad[k].trip, bad[k].trip == 100000 ? "" : "c0",
                   bad[k].trip < 0 ? 2 : -1);
        e = plan_loop(&bytes, bad[k].give_flag, bad[k].flag, x, &m, &p, why);
        assert_int_equal(e.code, bad[k].code);
        if (!strstr(why, bad[k].why)) fail_msg("case %zu: %s", k, why);
        assert_null(p);
        clo_onnx_free(&m);
    }
    clo_buf_free(&bytes);
}

/* Scan: a running sum over the rows of X [3, 2], read backwards
 * (scan_input_directions [1]), its per-iteration values stacked on axis 1. */
static void test_scan(void **state)
{
    (void)state;
    clo_onnxw w, body;
    int64_t d2[1] = {2}, dx[2] = {3, 2};
    clo_onnxw_init(&body);
    clo_onnxw_input(&body, "s_in", CLO_ONNX_FLOAT, 1, d2);
    clo_onnxw_input(&body, "xt", CLO_ONNX_FLOAT, 1, d2);
    clo_onnxw_output(&body, "s_out", CLO_ONNX_FLOAT, 1, d2);
    clo_onnxw_output(&body, "o", CLO_ONNX_FLOAT, 1, d2);
    clo_onnxw_node(&body, "Add", NULL, IN("s_in", "xt"), 2, IN("s_out"), 1);
    clo_onnxw_node(&body, "Identity", NULL, IN("s_out"), 1, IN("o"), 1);
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "s0", CLO_ONNX_FLOAT, 1, d2);
    clo_onnxw_input(&w, "X", CLO_ONNX_FLOAT, 2, dx);
    clo_onnxw_output(&w, "s", CLO_ONNX_FLOAT, 1, d2);
    clo_onnxw_output(&w, "os", CLO_ONNX_FLOAT, 0, NULL);
    const int64_t one = 1;
    clo_onnxw_attr_graph(&w, "body", &body);
    clo_onnxw_attr_int(&w, "num_scan_inputs", 1);
    clo_onnxw_attr_ints(&w, "scan_input_directions", &one, 1);
    clo_onnxw_attr_ints(&w, "scan_output_axes", &one, 1);
    clo_onnxw_node(&w, "Scan", NULL, IN("s0", "X"), 2, IN("s", "os"), 2);
    clo_buf bytes;
    clo_buf_init(&bytes, 1 << 16);
    OKC(clo_onnxw_finish(&w, "scan", 17, 0, &bytes));
    clo_onnx_model m;
    OKC(clo_onnx_load(clo_buf_view(&bytes), &m));
    const float s0[2] = {0.5f, -1}, X[6] = {1, 2, 3, 4, 5, 6};
    clo_tensor f[2] = {onnx_feed(s0, 1, d2), onnx_feed(X, 2, dx)};
    clo_onnx_plan *p;
    char why[CLO_ONNX_WHY];
    clo_err e = clo_onnx_plan_new(&m, f, 2, &p, why);
    if (e.code) fail_msg("scan: %s", why);
    OKC(clo_onnx_plan_run(p, f, 2));
    const clo_tensor *s = clo_onnx_plan_output(p, 0), *os = clo_onnx_plan_output(p, 1);
    assert_int_equal(os->shape.rank, 2);
    assert_int_equal(os->shape.d[0], 2);
    assert_int_equal(os->shape.d[1], 3);
    /* rows taken 2, 1, 0: s = s0 + X[2], + X[1], + X[0]; os[:, t] = s after t */
    for (int j = 0; j < 2; j++) {
        float v = s0[j];
        for (int t = 0; t < 3; t++) {
            v += X[(2 - t) * 2 + j];
            assert_true(((const float *)os->data)[j * 3 + t] == v);
        }
        assert_true(((const float *)s->data)[j] == v);
    }
    clo_onnx_plan_free(p);
    clo_onnx_free(&m);
    clo_buf_free(&bytes);
}

/* ---- quantized convolutions: packed constant weights (VNNI) against the
 * widened path (weights fed), which must give the same bits ---- */
static uint32_t qseed = 777;
static uint8_t qbyte(void)
{
    qseed = qseed * 1664525u + 1013904223u;
    return (uint8_t)(qseed >> 24);
}

typedef struct {
    int64_t n, c, h, w, m, k, stride, pad, group;
    int32_t xt, wt; /* CLO_ONNX_UINT8 or CLO_ONNX_INT8 */
    int qlinear, zero_w_zp;
} qconv_case;

/* The model, W an initializer (packed) or a graph input (fed). */
static void qconv_model(const qconv_case *q, const uint8_t *W, int w_const, clo_buf *out)
{
    clo_onnxw w;
    int64_t dx[4] = {q->n, q->c, q->h, q->w}, dw[4] = {q->m, q->c / q->group, q->k, q->k},
            dm[1] = {q->m};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "X", q->xt, 4, dx);
    if (w_const)
        clo_onnxw_init_raw(&w, "W", q->wt, 4, dw, W);
    else
        clo_onnxw_input(&w, "W", q->wt, 4, dw);
    clo_onnxw_output(&w, "Y", q->qlinear ? CLO_ONNX_UINT8 : CLO_ONNX_INT32, 0, NULL);
    uint8_t xzp = 3, wzp[64], yzp = 100;
    float xs = 0.02f, ws[64], ys = 0.05f;
    int32_t bias[64];
    for (int i = 0; i < q->m; i++) {
        wzp[i] = q->zero_w_zp ? 0 : (uint8_t)(i * 7 + 1);
        ws[i] = 0.01f + 0.001f * (float)i;
        bias[i] = i * 97 - 500;
    }
    clo_onnxw_init_raw(&w, "xs", CLO_ONNX_FLOAT, 0, NULL, &xs);
    clo_onnxw_init_raw(&w, "xz", q->xt, 0, NULL, &xzp);
    clo_onnxw_init_raw(&w, "ws", CLO_ONNX_FLOAT, 1, dm, ws);
    clo_onnxw_init_raw(&w, "wz", q->wt, 1, dm, wzp);
    clo_onnxw_init_raw(&w, "ys", CLO_ONNX_FLOAT, 0, NULL, &ys);
    clo_onnxw_init_raw(&w, "yz", CLO_ONNX_UINT8, 0, NULL, &yzp);
    clo_onnxw_init_raw(&w, "B", CLO_ONNX_INT32, 1, dm, bias);
    const int64_t st[2] = {q->stride, q->stride}, pads[4] = {q->pad, q->pad, q->pad, q->pad};
    clo_onnxw_attr_ints(&w, "strides", st, 2);
    clo_onnxw_attr_ints(&w, "pads", pads, 4);
    clo_onnxw_attr_int(&w, "group", q->group);
    if (q->qlinear)
        clo_onnxw_node(&w, "QLinearConv", NULL,
                       IN("X", "xs", "xz", "W", "ws", "wz", "ys", "yz", "B"), 9, IN("Y"), 1);
    else
        clo_onnxw_node(&w, "ConvInteger", NULL, IN("X", "W", "xz", "wz"), 4, IN("Y"), 1);
    OKC(clo_onnxw_finish(&w, "qconv", 13, 0, out));
}

/* Case t's two models, bytes[0] with the weights as initializers (packed)
 * and bytes[1] with them as feeds (widened; nfed feeds in all): planned,
 * run on f, and every output (elements of es bytes) the same bits; the
 * models are freed. */
static void packed_vs_fed(size_t t, clo_buf *bytes, const clo_tensor *f, size_t nfed, size_t es)
{
    clo_onnx_model m[2];
    clo_onnx_plan *p[2];
    for (int k = 0; k < 2; k++) {
        OKC(clo_onnx_load(clo_buf_view(&bytes[k]), &m[k]));
        char why[CLO_ONNX_WHY];
        clo_err e = clo_onnx_plan_new(&m[k], f, k == 0 ? 1 : nfed, &p[k], why);
        if (e.code) fail_msg("case %zu: %s", t, why);
        OKC(clo_onnx_plan_run(p[k], f, k == 0 ? 1 : nfed));
    }
    assert_int_equal(clo_onnx_plan_noutputs(p[0]), clo_onnx_plan_noutputs(p[1]));
    for (size_t o = 0; o < clo_onnx_plan_noutputs(p[0]); o++) {
        const clo_tensor *a = clo_onnx_plan_output(p[0], o), *b = clo_onnx_plan_output(p[1], o);
        assert_int_equal(a->count, b->count);
        if (memcmp(a->data, b->data, a->count * es)) fail_msg("case %zu: output %zu differs", t, o);
    }
    for (int k = 0; k < 2; k++) {
        clo_onnx_plan_free(p[k]);
        clo_onnx_free(&m[k]);
        clo_buf_free(&bytes[k]);
    }
}

static void test_qconv_packed(void **state)
{
    (void)state;
    static const qconv_case cases[] = {
        {1, 16, 9, 9, 24, 3, 1, 1, 1, CLO_ONNX_UINT8, CLO_ONNX_INT8, 1, 0},
        {2, 8, 7, 5, 13, 3, 2, 1, 1, CLO_ONNX_INT8, CLO_ONNX_UINT8, 1, 0},
        {1, 32, 6, 6, 40, 1, 1, 0, 1, CLO_ONNX_UINT8, CLO_ONNX_UINT8, 1, 1}, /* 1x1: direct */
        {1, 12, 8, 8, 12, 3, 1, 1, 12, CLO_ONNX_UINT8, CLO_ONNX_INT8, 1, 0}, /* depthwise */
        {1, 8, 10, 10, 16, 5, 1, 2, 2, CLO_ONNX_INT8, CLO_ONNX_INT8, 0, 0},  /* groups, int32 */
        {1, 3, 11, 11, 9, 3, 2, 0, 1, CLO_ONNX_UINT8, CLO_ONNX_UINT8, 0, 1},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const qconv_case *q = &cases[t];
        size_t nx = (size_t)(q->n * q->c * q->h * q->w),
               nw = (size_t)(q->m * q->c / q->group * q->k * q->k);
        uint8_t *X = malloc(nx), *W = malloc(nw);
        assert_true(X && W);
        for (size_t i = 0; i < nx; i++) X[i] = qbyte();
        for (size_t i = 0; i < nw; i++) W[i] = qbyte();
        int64_t dx[4] = {q->n, q->c, q->h, q->w}, dw[4] = {q->m, q->c / q->group, q->k, q->k};
        clo_tensor f[2] = {{q->xt, {4, {dx[0], dx[1], dx[2], dx[3]}}, nx, X},
                           {q->wt, {4, {dw[0], dw[1], dw[2], dw[3]}}, nw, W}};
        clo_buf bytes[2];
        for (int k = 0; k < 2; k++) { /* 0: W constant (packed), 1: W fed (widened) */
            clo_buf_init(&bytes[k], 1 << 20);
            qconv_model(q, W, k == 0, &bytes[k]);
        }
        packed_vs_fed(t, bytes, f, 2, q->qlinear ? 1 : 4);
        free(X);
        free(W);
    }
}

/* The same for QLinearMatMul and MatMulInteger with a constant B: A of
 * [2, 5, K] (batches), per-row a and per-column b zero points. */
static void test_qmatmul_packed(void **state)
{
    (void)state;
    static const struct {
        int64_t m, k, n;
        int32_t at, bt;
        int qlinear;
    } cases[] = {{5, 37, 19, CLO_ONNX_UINT8, CLO_ONNX_INT8, 1},
                 {5, 64, 33, CLO_ONNX_INT8, CLO_ONNX_UINT8, 1},
                 {5, 9, 70, CLO_ONNX_UINT8, CLO_ONNX_UINT8, 0},
                 {5, 300, 8, CLO_ONNX_INT8, CLO_ONNX_INT8, 0}};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        int64_t M = cases[t].m, K = cases[t].k, N = cases[t].n;
        int64_t da[3] = {2, M, K}, db[2] = {K, N}, dm[1] = {M}, dn[1] = {N};
        size_t na = (size_t)(2 * M * K), nbn = (size_t)(K * N);
        uint8_t *A = malloc(na), *Bm = malloc(nbn), azp[8], bzp[128];
        float as[8], bs[128], ys = 0.7f;
        uint8_t yz = 128;
        assert_true(A && Bm);
        for (size_t i = 0; i < na; i++) A[i] = qbyte();
        for (size_t i = 0; i < nbn; i++) Bm[i] = qbyte();
        for (int i = 0; i < M; i++) azp[i] = (uint8_t)(5 * i), as[i] = 0.03f + 0.01f * (float)i;
        for (int i = 0; i < N; i++)
            bzp[i] = (uint8_t)(3 * i + 1), bs[i] = 0.02f + 0.001f * (float)i;
        clo_tensor f[2] = {{cases[t].at, {3, {2, M, K}}, na, A},
                           {cases[t].bt, {2, {K, N}}, nbn, Bm}};
        clo_buf bytes[2];
        for (int k = 0; k < 2; k++) {
            clo_onnxw w;
            clo_onnxw_init(&w);
            clo_onnxw_input(&w, "A", cases[t].at, 3, da);
            if (k == 0)
                clo_onnxw_init_raw(&w, "B", cases[t].bt, 2, db, Bm);
            else
                clo_onnxw_input(&w, "B", cases[t].bt, 2, db);
            clo_onnxw_output(&w, "Y", cases[t].qlinear ? CLO_ONNX_UINT8 : CLO_ONNX_INT32, 0, NULL);
            clo_onnxw_init_raw(&w, "az", cases[t].at, 1, dm, azp);
            clo_onnxw_init_raw(&w, "bz", cases[t].bt, 1, dn, bzp);
            if (cases[t].qlinear) {
                clo_onnxw_init_raw(&w, "as", CLO_ONNX_FLOAT, 1, dm, as);
                clo_onnxw_init_raw(&w, "bs", CLO_ONNX_FLOAT, 1, dn, bs);
                clo_onnxw_init_raw(&w, "ys", CLO_ONNX_FLOAT, 0, NULL, &ys);
                clo_onnxw_init_raw(&w, "yz", CLO_ONNX_UINT8, 0, NULL, &yz);
                clo_onnxw_node(&w, "QLinearMatMul", NULL,
                               IN("A", "as", "az", "B", "bs", "bz", "ys", "yz"), 8, IN("Y"), 1);
            } else {
                clo_onnxw_node(&w, "MatMulInteger", NULL, IN("A", "B", "az", "bz"), 4, IN("Y"), 1);
            }
            clo_buf_init(&bytes[k], 1 << 20);
            OKC(clo_onnxw_finish(&w, "qmm", 13, 0, &bytes[k]));
        }
        packed_vs_fed(t, bytes, f, 2, cases[t].qlinear ? 1 : 4);
        free(A);
        free(Bm);
    }
}

/* Two QLinearConvs in a row keep their activations NHWC between them (the
 * first writes them so, the second reads them in place): the same bits as
 * the widened path, with and without weight zero points, a 3x3 then a
 * strided 3x3, and one fed to a third conv and a graph output (no chain). */
static void chain_model(const uint8_t *W1, const uint8_t *W2, int w_const, int wzp, int both,
                        clo_buf *out)
{
    clo_onnxw w;
    int64_t dx[4] = {1, 8, 9, 9}, dw1[4] = {12, 8, 3, 3}, dw2[4] = {16, 12, 3, 3}, d12[1] = {12},
            d16[1] = {16};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "X", CLO_ONNX_UINT8, 4, dx);
    if (w_const) {
        clo_onnxw_init_raw(&w, "W1", CLO_ONNX_INT8, 4, dw1, W1);
        clo_onnxw_init_raw(&w, "W2", CLO_ONNX_INT8, 4, dw2, W2);
    } else {
        clo_onnxw_input(&w, "W1", CLO_ONNX_INT8, 4, dw1);
        clo_onnxw_input(&w, "W2", CLO_ONNX_INT8, 4, dw2);
    }
    clo_onnxw_output(&w, "Y", CLO_ONNX_UINT8, 0, NULL);
    if (both) clo_onnxw_output(&w, "H", CLO_ONNX_UINT8, 0, NULL);
    uint8_t xz = 120, z0[16] = {0}, z1[16];
    float xs = 0.02f, ws[16], hs = 0.3f, ys = 0.9f;
    for (int i = 0; i < 16; i++)
        z1[i] = (uint8_t)(int8_t)(i - 8), ws[i] = 0.01f + 0.002f * (float)i;
    clo_onnxw_init_raw(&w, "xs", CLO_ONNX_FLOAT, 0, NULL, &xs);
    clo_onnxw_init_raw(&w, "xz", CLO_ONNX_UINT8, 0, NULL, &xz);
    clo_onnxw_init_raw(&w, "ws1", CLO_ONNX_FLOAT, 1, d12, ws);
    clo_onnxw_init_raw(&w, "wz1", CLO_ONNX_INT8, 1, d12, wzp ? z1 : z0);
    clo_onnxw_init_raw(&w, "ws2", CLO_ONNX_FLOAT, 1, d16, ws);
    clo_onnxw_init_raw(&w, "wz2", CLO_ONNX_INT8, 1, d16, wzp ? z1 : z0);
    clo_onnxw_init_raw(&w, "hs", CLO_ONNX_FLOAT, 0, NULL, &hs);
    clo_onnxw_init_raw(&w, "ys", CLO_ONNX_FLOAT, 0, NULL, &ys);
    const int64_t one[2] = {1, 1}, two[2] = {2, 2}, p1[4] = {1, 1, 1, 1};
    clo_onnxw_attr_ints(&w, "pads", p1, 4);
    clo_onnxw_attr_ints(&w, "strides", one, 2);
    clo_onnxw_node(&w, "QLinearConv", NULL, IN("X", "xs", "xz", "W1", "ws1", "wz1", "hs", "xz"), 8,
                   IN("H"), 1);
    clo_onnxw_attr_ints(&w, "pads", p1, 4);
    clo_onnxw_attr_ints(&w, "strides", two, 2);
    clo_onnxw_node(&w, "QLinearConv", NULL, IN("H", "hs", "xz", "W2", "ws2", "wz2", "ys", "xz"), 8,
                   IN("Y"), 1);
    OKC(clo_onnxw_finish(&w, "chain", 13, 0, out));
}

static void test_qconv_chain(void **state)
{
    (void)state;
    uint8_t X[8 * 81], W1[12 * 8 * 9], W2[16 * 12 * 9];
    for (size_t i = 0; i < sizeof X; i++) X[i] = qbyte();
    for (size_t i = 0; i < sizeof W1; i++) W1[i] = qbyte();
    for (size_t i = 0; i < sizeof W2; i++) W2[i] = qbyte();
    clo_tensor f[3] = {{CLO_ONNX_UINT8, {4, {1, 8, 9, 9}}, sizeof X, X},
                       {CLO_ONNX_INT8, {4, {12, 8, 3, 3}}, sizeof W1, W1},
                       {CLO_ONNX_INT8, {4, {16, 12, 3, 3}}, sizeof W2, W2}};
    for (int v = 0; v < 3; v++) { /* no weight zero points; some; H also an output */
        clo_buf bytes[2];
        for (int k = 0; k < 2; k++) {
            clo_buf_init(&bytes[k], 1 << 20);
            chain_model(W1, W2, k == 0, v == 1, v == 2, &bytes[k]);
        }
        packed_vs_fed((size_t)v, bytes, f, 3, 1);
    }
}

/* A QDQ convolution (DequantizeLinear on x, W and B, Conv, Relu,
 * QuantizeLinear, as quantizers write it) or matrix product (x [1, 8, 81]
 * times W [81, 12], per-column scales) runs as one QLinearConv or
 * QLinearMatMul: the same bits as the QOperator model, one step. A bias
 * whose scale is not x's times W's is not fused (and still runs, in float). */
static void qdq_model(const uint8_t *W, int qop, int bad_bias, int mm, clo_buf *out)
{
    clo_onnxw w;
    int64_t dx[4] = {1, 8, 9, 9}, dw[4] = {12, 8, 3, 3}, dxm[3] = {1, 8, 81}, dwm[2] = {81, 12},
            d12[1] = {12};
    uint8_t xz = 120, yz = 0, wz[12] = {0};
    float xs = 0.02f, ws[12], bs[12], ys = mm ? 2.5f : 0.25f;
    int32_t b[12];
    for (int i = 0; i < 12; i++) {
        ws[i] = 0.01f + 0.002f * (float)i;
        bs[i] = xs * ws[i] * (bad_bias && i == 3 ? 2.0f : 1.0f);
        b[i] = i * 311 - 1700;
    }
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "X", CLO_ONNX_UINT8, mm ? 3 : 4, mm ? dxm : dx);
    clo_onnxw_output(&w, "Y", CLO_ONNX_UINT8, 0, NULL);
    clo_onnxw_init_raw(&w, "W", CLO_ONNX_INT8, mm ? 2 : 4, mm ? dwm : dw, W);
    clo_onnxw_init_raw(&w, "B", CLO_ONNX_INT32, 1, d12, b);
    clo_onnxw_init_raw(&w, "xs", CLO_ONNX_FLOAT, 0, NULL, &xs);
    clo_onnxw_init_raw(&w, "xz", CLO_ONNX_UINT8, 0, NULL, &xz);
    clo_onnxw_init_raw(&w, "ws", CLO_ONNX_FLOAT, 1, d12, ws);
    clo_onnxw_init_raw(&w, "wz", CLO_ONNX_INT8, 1, d12, wz);
    clo_onnxw_init_raw(&w, "bs", CLO_ONNX_FLOAT, 1, d12, bs);
    clo_onnxw_init_raw(&w, "ys", CLO_ONNX_FLOAT, 0, NULL, &ys);
    clo_onnxw_init_raw(&w, "yz", CLO_ONNX_UINT8, 0, NULL, &yz);
    const int64_t p1[4] = {1, 1, 1, 1};
    if (qop) {
        if (!mm) clo_onnxw_attr_ints(&w, "pads", p1, 4);
        clo_onnxw_node(&w, mm ? "QLinearMatMul" : "QLinearConv", NULL,
                       IN("X", "xs", "xz", "W", "ws", "wz", "ys", "yz", "B"), mm ? 8 : 9, IN("Y"),
                       1);
    } else {
        clo_onnxw_node(&w, "DequantizeLinear", NULL, IN("X", "xs", "xz"), 3, IN("Xf"), 1);
        clo_onnxw_attr_int(&w, "axis", mm ? 1 : 0);
        clo_onnxw_node(&w, "DequantizeLinear", NULL, IN("W", "ws", "wz"), 3, IN("Wf"), 1);
        if (mm) {
            clo_onnxw_node(&w, "MatMul", NULL, IN("Xf", "Wf"), 2, IN("C"), 1);
        } else {
            clo_onnxw_attr_int(&w, "axis", 0);
            clo_onnxw_node(&w, "DequantizeLinear", NULL, IN("B", "bs"), 2, IN("Bf"), 1);
            clo_onnxw_attr_ints(&w, "pads", p1, 4);
            clo_onnxw_node(&w, "Conv", NULL, IN("Xf", "Wf", "Bf"), 3, IN("C"), 1);
        }
        clo_onnxw_node(&w, "Relu", NULL, IN("C"), 1, IN("R"), 1);
        clo_onnxw_node(&w, "QuantizeLinear", NULL, IN("R", "ys", "yz"), 3, IN("Y"), 1);
    }
    OKC(clo_onnxw_finish(&w, "qdq", 13, 0, out));
}

static void test_qdq(void **state)
{
    (void)state;
    uint8_t X[8 * 81], W[81 * 12]; /* the matmul's W [81, 12]; the conv reads 12 x 8 x 9 of it */
    for (size_t i = 0; i < sizeof X; i++) X[i] = qbyte();
    for (size_t i = 0; i < sizeof W; i++) W[i] = qbyte();
    for (int v = 0; v < 3; v++) { /* conv, conv with a bad bias scale, matmul */
        int bad = v == 1, mm = v == 2;
        clo_tensor f = mm ? (clo_tensor){CLO_ONNX_UINT8, {3, {1, 8, 81}}, sizeof X, X}
                          : (clo_tensor){CLO_ONNX_UINT8, {4, {1, 8, 9, 9}}, sizeof X, X};
        onnx_case c[2];
        for (int qop = 0; qop < 2; qop++) {
            clo_buf_init(&c[qop].bytes, 1 << 20);
            qdq_model(W, qop, bad, mm, &c[qop].bytes);
            OKC(clo_onnx_load(clo_buf_view(&c[qop].bytes), &c[qop].m));
            c[qop].err = clo_onnx_plan_new(&c[qop].m, &f, 1, &c[qop].plan, c[qop].why);
            if (c[qop].err.code) fail_msg("%s", c[qop].why);
            OKC(clo_onnx_plan_run(c[qop].plan, &f, 1));
        }
        /* the QDQ plan: one step (the fused operator), or the float ones */
        assert_int_equal(clo_onnx_plan_steps(c[0].plan), bad ? 3 : 1); /* bad: its Relu is a tail */
        const clo_tensor *a = clo_onnx_plan_output(c[0].plan, 0),
                         *b = clo_onnx_plan_output(c[1].plan, 0);
        assert_int_equal(a->count, mm ? 8 * 12 : 12 * 81);
        if (!bad && memcmp(a->data, b->data, a->count)) fail_msg("the fused QDQ %d differs", v);
        for (int qop = 0; qop < 2; qop++) {
            clo_onnx_plan_free(c[qop].plan);
            clo_onnx_free(&c[qop].m);
            clo_buf_free(&c[qop].bytes);
        }
    }
}

/* A Conv's tails, on each kind of convolution: a 1x1 (direct) -> Relu, a
 * 3x3 (implicit) -> Add(that Relu's output, as Add's first input) -> Relu,
 * a depthwise -> Clip; against the same model with every value an output
 * (nothing fused), on 1 and 2 threads: the same bits. */
static void tail_model(clo_onnxw *w, int plain)
{
    int64_t xd[4] = {1, 4, 6, 6};
    float w3[4 * 4 * 9], w1[4 * 4], wd[4 * 9], b[4] = {0.1f, -0.2f, 0.3f, -0.4f}, lo = -0.5f,
                                               hi = 0.75f;
    for (int i = 0; i < 4 * 4 * 9; i++) w3[i] = (float)((i * 37) % 11 - 5) * 0.05f;
    for (int i = 0; i < 16; i++) w1[i] = (float)((i * 13) % 7 - 3) * 0.1f;
    for (int i = 0; i < 36; i++) wd[i] = (float)((i * 5) % 9 - 4) * 0.07f;
    clo_onnxw_init(w);
    clo_onnxw_input(w, "x", CLO_ONNX_FLOAT, 4, xd);
    clo_onnxw_output(w, "y", CLO_ONNX_FLOAT, 4, xd);
    clo_onnxw_output(w, "z", CLO_ONNX_FLOAT, 4, xd);
    if (plain) {
        static const char *const mids[] = {"q", "a", "p", "s", "d"};
        for (int i = 0; i < 5; i++) clo_onnxw_output(w, mids[i], CLO_ONNX_FLOAT, 4, xd);
    }
    clo_onnxw_init_floats(w, "W3", 4, (int64_t[]){4, 4, 3, 3}, w3);
    clo_onnxw_init_floats(w, "W1", 4, (int64_t[]){4, 4, 1, 1}, w1);
    clo_onnxw_init_floats(w, "Wd", 4, (int64_t[]){4, 1, 3, 3}, wd);
    clo_onnxw_init_floats(w, "B", 1, (int64_t[]){4}, b);
    clo_onnxw_init_floats(w, "lo", 0, NULL, &lo);
    clo_onnxw_init_floats(w, "hi", 0, NULL, &hi);
    clo_onnxw_node(w, "Conv", NULL, IN("x", "W1"), 2, IN("q"), 1); /* 1x1 (direct) */
    clo_onnxw_node(w, "Relu", NULL, IN("q"), 1, IN("p"), 1);       /* the residual */
    clo_onnxw_attr_ints(w, "pads", (const int64_t[]){1, 1, 1, 1}, 4);
    clo_onnxw_node(w, "Conv", NULL, IN("x", "W3", "B"), 3, IN("a"), 1); /* implicit */
    clo_onnxw_node(w, "Add", NULL, IN("p", "a"), 2, IN("s"), 1);
    clo_onnxw_node(w, "Relu", NULL, IN("s"), 1, IN("y"), 1);
    clo_onnxw_attr_ints(w, "pads", (const int64_t[]){1, 1, 1, 1}, 4);
    clo_onnxw_attr_int(w, "group", 4);
    clo_onnxw_node(w, "Conv", NULL, IN("y", "Wd", "B"), 3, IN("d"), 1); /* depthwise */
    clo_onnxw_node(w, "Clip", NULL, IN("d", "lo", "hi"), 3, IN("z"), 1);
}

static void test_conv_tails(void **state)
{
    (void)state;
    float x[4 * 36];
    for (int i = 0; i < 4 * 36; i++) x[i] = (float)((i * 29) % 17 - 8) * 0.125f;
    int64_t d[4] = {1, 4, 6, 6};
    clo_tensor f = onnx_feed(x, 4, d);
    for (unsigned threads = 1; threads <= 2; threads++) {
        onnx_case c[2];
        for (int plain = 0; plain < 2; plain++) {
            clo_onnxw w;
            tail_model(&w, plain);
            clo_buf_init(&c[plain].bytes, 1 << 20);
            OKC(clo_onnxw_finish(&w, "tails", 13, 0, &c[plain].bytes));
            OKC(clo_onnx_load(clo_buf_view(&c[plain].bytes), &c[plain].m));
            clo_onnx_plan_opts o = {threads, NULL};
            c[plain].err =
                clo_onnx_plan_new_opts(&c[plain].m, &f, 1, &o, &c[plain].plan, c[plain].why);
            if (c[plain].err.code) fail_msg("%s", c[plain].why);
            OKC(clo_onnx_plan_run(c[plain].plan, &f, 1));
        }
        /* fused: the 1x1 with its Relu, the 3x3 with the Add and Relu, the
         * depthwise with the Clip */
        assert_int_equal(clo_onnx_plan_steps(c[0].plan), 3);
        assert_int_equal(clo_onnx_plan_steps(c[1].plan), 7);
        for (size_t o = 0; o < 2; o++)
            assert_memory_equal(clo_onnx_plan_output(c[0].plan, o)->data,
                                clo_onnx_plan_output(c[1].plan, o)->data, 4 * 36 * sizeof(float));
        for (int k = 0; k < 2; k++) {
            clo_onnx_plan_free(c[k].plan);
            clo_onnx_free(&c[k].m);
            clo_buf_free(&c[k].bytes);
        }
    }
}

/* Concat in place: two Convs' outputs ([1, 16, 4, 4] floats, 1 KiB each)
 * concatenated on the channels are written straight into the Concat's
 * output, which leaves the plan; the same values as when the inputs are
 * also graph outputs (then they are copied). Slices that are not 64-byte
 * aligned ([1, 3, 3, 3]: 108 bytes), or a feed among the inputs, keep the
 * copy. */
static void concat_model(clo_onnxw *w, int plain, int64_t c, int64_t h, int feed)
{
    int64_t xd[4] = {1, 4, h, h}, yd[4] = {1, 2 * c, h, h}, wd[4] = {c, 4, 1, 1};
    float wt[65]; /* W2 is W1's weights one along */
    for (int i = 0; i < 65; i++) wt[i] = (float)((i * 7) % 13 - 6) * 0.1f;
    clo_onnxw_init(w);
    clo_onnxw_input(w, "x", CLO_ONNX_FLOAT, 4, xd);
    if (feed) clo_onnxw_input(w, "f", CLO_ONNX_FLOAT, 4, (int64_t[]){1, c, h, h});
    clo_onnxw_output(w, "y", CLO_ONNX_FLOAT, 4, yd);
    if (plain) {
        clo_onnxw_output(w, "a", CLO_ONNX_FLOAT, 0, NULL);
        clo_onnxw_output(w, "b", CLO_ONNX_FLOAT, 0, NULL);
    }
    clo_onnxw_init_floats(w, "W1", 4, wd, wt);
    clo_onnxw_init_floats(w, "W2", 4, wd, wt + 1);
    clo_onnxw_node(w, "Conv", NULL, IN("x", "W1"), 2, IN("a"), 1);
    clo_onnxw_node(w, "Conv", NULL, IN("x", "W2"), 2, IN("b"), 1);
    clo_onnxw_attr_int(w, "axis", 1);
    clo_onnxw_node(w, "Concat", NULL, feed ? IN("a", "f") : IN("a", "b"), 2, IN("c"), 1);
    clo_onnxw_node(w, "Relu", NULL, IN("c"), 1, IN("y"), 1);
}

static void test_concat_in_place(void **state)
{
    (void)state;
    float x[64], fv[256]; /* x [1, 4, h, h], the feed [1, c, h, h] */
    for (int i = 0; i < 64; i++) x[i] = (float)(i % 9) - 4.0f;
    for (int i = 0; i < 256; i++) fv[i] = (float)i * 0.01f;
    static const struct {
        int64_t c, h;
        int feed;
        size_t steps; /* the in-place plan's */
    } cases[] = {{16, 4, 0, 3}, {3, 3, 0, 4}, {16, 4, 1, 4}};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        int64_t h = cases[t].h, d[4] = {1, 4, h, h};
        onnx_case c[2];
        clo_tensor f[2] = {onnx_feed(x, 4, d), onnx_feed(fv, 4, (int64_t[]){1, cases[t].c, h, h})};
        for (int plain = 0; plain < 2; plain++) {
            clo_onnxw w;
            concat_model(&w, plain, cases[t].c, h, cases[t].feed);
            onnx_case_build(&c[plain], &w, 13, 0, f, cases[t].feed ? 2 : 1);
            if (c[plain].err.code) fail_msg("%s", c[plain].why);
            OKC(clo_onnx_plan_run(c[plain].plan, f, cases[t].feed ? 2 : 1));
        }
        /* two Convs and the Relu (the Concat gone), or four steps (the feed
         * case's second Conv is made and not read) */
        if (clo_onnx_plan_steps(c[0].plan) != cases[t].steps || clo_onnx_plan_steps(c[1].plan) != 4)
            fail_msg("case %zu: %zu and %zu steps", t, clo_onnx_plan_steps(c[0].plan),
                     clo_onnx_plan_steps(c[1].plan));
        const clo_tensor *a = clo_onnx_plan_output(c[0].plan, 0),
                         *b = clo_onnx_plan_output(c[1].plan, 0);
        assert_int_equal(a->count, b->count);
        if (memcmp(a->data, b->data, a->count * sizeof(float))) fail_msg("case %zu differs", t);
        onnx_case_free(&c[0]);
        onnx_case_free(&c[1]);
    }
}

/* QuantizeLinear's and QLinearConv's rounding, in vectors and one by one
 * (40 values: 5 vectors of 8), against nearbyintf and saturation done
 * here: ties to even, NaN and the infinities, values far past the range,
 * both output types. */
static int32_t q_ref(float v, int is_signed)
{
    float lo = is_signed ? -128.0f : 0.0f, hi = is_signed ? 127.0f : 255.0f;
    if (!(v >= lo)) return (int32_t)lo;
    return v > hi ? (int32_t)hi : (int32_t)v;
}

static void test_quant_rounding(void **state)
{
    (void)state;
    float x[40];
    const float special[8] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f, -0.0f, 8e6f, -8e6f};
    for (int i = 0; i < 40; i++) x[i] = i < 8 ? special[i] : (float)(i - 20) * 0.75f;
    int64_t d[1] = {40};
    for (int sgn = 0; sgn < 2; sgn++) {
        clo_onnxw w;
        float sc = 0.5f;
        uint8_t zp = sgn ? (uint8_t)(int8_t)-3 : 7;
        int32_t t = sgn ? CLO_ONNX_INT8 : CLO_ONNX_UINT8;
        clo_onnxw_init(&w);
        clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, 1, d);
        clo_onnxw_output(&w, "y", t, 1, d);
        clo_onnxw_init_raw(&w, "s", CLO_ONNX_FLOAT, 0, NULL, &sc);
        clo_onnxw_init_raw(&w, "z", t, 0, NULL, &zp);
        clo_onnxw_node(&w, "QuantizeLinear", NULL, IN("x", "s", "z"), 3, IN("y"), 1);
        onnx_case c;
        clo_tensor f = onnx_feed(x, 1, d);
        onnx_case_build(&c, &w, 13, 0, &f, 1);
        if (c.err.code) fail_msg("%s", c.why);
        OKC(clo_onnx_plan_run(c.plan, &f, 1));
        const uint8_t *y = clo_onnx_plan_output(c.plan, 0)->data;
        for (int i = 0; i < 40; i++) {
            int32_t want = q_ref(nearbyintf(x[i] / sc) + (float)(sgn ? -3 : 7), sgn);
            int32_t got = sgn ? (int8_t)y[i] : y[i];
            if (got != want) fail_msg("x = %g: %d, want %d", (double)x[i], got, want);
        }
        onnx_case_free(&c);
    }
    /* QLinearConv 1x1 of one channel, w = 1: (x - 3) * 0.5 rounded, + 100 */
    uint8_t X[40], W1 = 1, xz = 3, wz = 0, yz = 100;
    for (int i = 0; i < 40; i++) X[i] = (uint8_t)(i * 6 + 5);
    float xs = 0.25f, ws = 1.0f, ys = 0.5f;
    int64_t dx[4] = {1, 1, 1, 40}, dw[4] = {1, 1, 1, 1}, d1[1] = {1};
    clo_onnxw w;
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "X", CLO_ONNX_UINT8, 4, dx);
    clo_onnxw_output(&w, "Y", CLO_ONNX_UINT8, 4, dx);
    clo_onnxw_init_raw(&w, "W", CLO_ONNX_INT8, 4, dw, &W1);
    clo_onnxw_init_raw(&w, "xs", CLO_ONNX_FLOAT, 0, NULL, &xs);
    clo_onnxw_init_raw(&w, "xz", CLO_ONNX_UINT8, 0, NULL, &xz);
    clo_onnxw_init_raw(&w, "ws", CLO_ONNX_FLOAT, 1, d1, &ws);
    clo_onnxw_init_raw(&w, "wz", CLO_ONNX_INT8, 1, d1, &wz);
    clo_onnxw_init_raw(&w, "ys", CLO_ONNX_FLOAT, 0, NULL, &ys);
    clo_onnxw_init_raw(&w, "yz", CLO_ONNX_UINT8, 0, NULL, &yz);
    clo_onnxw_node(&w, "QLinearConv", NULL, IN("X", "xs", "xz", "W", "ws", "wz", "ys", "yz"), 8,
                   IN("Y"), 1);
    onnx_case c;
    clo_tensor f = {CLO_ONNX_UINT8, {4, {1, 1, 1, 40}}, 40, X};
    onnx_case_build(&c, &w, 13, 0, &f, 1);
    if (c.err.code) fail_msg("%s", c.why);
    OKC(clo_onnx_plan_run(c.plan, &f, 1));
    const uint8_t *y = clo_onnx_plan_output(c.plan, 0)->data;
    for (int i = 0; i < 40; i++) {
        int32_t want = q_ref(nearbyintf((float)(X[i] - 3) * 0.5f) + 100.0f, 0);
        if (y[i] != want) fail_msg("x = %d: %d, want %d", X[i], y[i], want);
    }
    onnx_case_free(&c);
}

/* Pow by a constant 2 is x * x (correctly rounded, as onnxruntime's): the
 * specials as powf gives them. */
static void test_pow_square(void **state)
{
    (void)state;
    float x[6] = {-3.0f, 0.5f, -0.0f, INFINITY, NAN, 1e20f}, two = 2.0f;
    onnx_case c;
    const float *y = run_elementwise(&c, "Pow", x, 6, &two);
    for (int i = 0; i < 6; i++) {
        float want = powf(x[i], 2.0f);
        assert_true(isnan(want) ? isnan(y[i]) : y[i] == want && signbit(y[i]) == signbit(want));
    }
    onnx_case_free(&c);
}

/* The carried types (tensor.h): float16 and bfloat16 conversions exact one
 * way and rounded to nearest even the other, over every bit pattern; a
 * double tensor through Transpose and Cast; an operator that computes on
 * doubles refuses them, naming the type. */
static void test_carried_types(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = clo_half_to_float((uint16_t)h), b = clo_bf16_to_float((uint16_t)h);
        if (f != f)
            assert_true((clo_half_from_double(f) & 0x7c00) == 0x7c00 &&
                        (clo_half_from_double(f) & 0x3ff));
        else
            assert_int_equal(clo_half_from_double(f), h);
        if (b != b)
            assert_true(clo_bf16_to_float(clo_bf16_from_float(b)) !=
                        clo_bf16_to_float(clo_bf16_from_float(b)));
        else
            assert_int_equal(clo_bf16_from_float(b), h);
    }
    /* ties to even, the largest finite half, overflow, subnormals */
    assert_int_equal(clo_half_from_double(1.0 + 0x1p-11), 0x3c00);
    assert_int_equal(clo_half_from_double(1.0 + 3 * 0x1p-11), 0x3c02);
    assert_int_equal(clo_half_from_double(65519.99), 0x7bff);
    assert_int_equal(clo_half_from_double(65520.0), 0x7c00);
    assert_int_equal(clo_half_from_double(-0x1p-25), 0x8000);
    assert_int_equal(clo_half_from_double(3 * 0x1p-26), 0x0001);
    float tie, up;
    uint32_t tb = 0x3f808000u, ub = 0x3f818000u;
    memcpy(&tie, &tb, 4);
    memcpy(&up, &ub, 4);
    assert_int_equal(clo_bf16_from_float(tie), 0x3f80);
    assert_int_equal(clo_bf16_from_float(up), 0x3f82);
    /* x (double [2, 3]) -> Transpose -> t (double), Cast(t, float16) -> h */
    double x[6] = {1.5, -2.25, 1e300, 0.1, -0.0, 65504.0};
    int64_t d[2] = {2, 3};
    clo_onnxw w;
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", CLO_ONNX_DOUBLE, 2, d);
    clo_onnxw_output(&w, "t", CLO_ONNX_DOUBLE, 0, NULL);
    clo_onnxw_output(&w, "h", CLO_ONNX_FLOAT16, 0, NULL);
    clo_onnxw_node(&w, "Transpose", NULL, IN("x"), 1, IN("t"), 1);
    clo_onnxw_attr_int(&w, "to", CLO_ONNX_FLOAT16);
    clo_onnxw_node(&w, "Cast", NULL, IN("t"), 1, IN("h"), 1);
    clo_tensor f = {CLO_ONNX_DOUBLE, {2, {2, 3}}, 6, x};
    onnx_case c;
    onnx_case_build(&c, &w, 13, 0, &f, 1);
    assert_int_equal(c.err.code, CLO_OK_CODE);
    assert_int_equal(clo_onnx_plan_run(c.plan, &f, 1).code, CLO_OK_CODE);
    const double *t = clo_onnx_plan_output(c.plan, 0)->data;
    const uint16_t *hv = clo_onnx_plan_output(c.plan, 1)->data;
    static const int order[6] = {0, 3, 1, 4, 2, 5};
    for (int i = 0; i < 6; i++) {
        assert_memory_equal(&t[i], &x[order[i]], sizeof *t);
        assert_int_equal(hv[i], clo_half_from_double(x[order[i]]));
    }
    assert_int_equal(hv[4], 0x7c00); /* 1e300: infinity */
    onnx_case_free(&c);
    /* uint16 wraps as C's unsigned types do; int16 keeps its sign; uint32
     * past int32's range is exact (through int64), uint64 past int64's (on
     * its own); float16 in float, rounded back (overflow to infinity) */
    uint16_t u16a[3] = {65535, 7, 300}, u16b[3] = {1, 9, 65000};
    int16_t i16a[3] = {-5, 32767, -32768}, i16b[3] = {3, -1, 2};
    uint32_t u32a[3] = {4000000000u, 10, 7}, u32b[3] = {3, 4000000000u, 7};
    uint64_t u64a[3] = {UINT64_MAX, 2, 1ull << 63}, u64b[3] = {2, 3, 5};
    /* halves: 1 + 0.5, 65504 + 65504 (infinity), -0 + -0 */
    uint16_t h16a[3] = {0x3c00, 0x7bff, 0x8000}, h16b[3] = {0x3800, 0x7bff, 0x8000};
    int64_t d3[1] = {3};
    const struct {
        const char *op;
        int32_t t;
        void *a, *b;
        uint64_t want[3];
    } ints[] = {
        {"Add", CLO_ONNX_UINT16, u16a, u16b, {0, 16, (300 + 65000) & 0xffff}},
        {"Sub", CLO_ONNX_UINT16, u16a, u16b, {65534, 65534, (300 - 65000) & 0xffff}},
        {"Max", CLO_ONNX_INT16, i16a, i16b, {3, 32767, 2}},
        {"Mod", CLO_ONNX_UINT32, u32a, u32b, {4000000000u % 3, 10, 0}},
        {"Div", CLO_ONNX_UINT32, u32a, u32b, {4000000000u / 3, 0, 1}},
        {"Max", CLO_ONNX_UINT64, u64a, u64b, {UINT64_MAX, 3, 1ull << 63}},
        {"Mod", CLO_ONNX_UINT64, u64a, u64b, {UINT64_MAX % 2, 2, (1ull << 63) % 5}},
        {"Add", CLO_ONNX_FLOAT16, h16a, h16b, {0x3e00, 0x7c00, 0x8000}},
    };
    for (size_t k = 0; k < sizeof ints / sizeof ints[0]; k++) {
        clo_onnxw_init(&w);
        clo_onnxw_input(&w, "a", ints[k].t, 1, d3);
        clo_onnxw_input(&w, "b", ints[k].t, 1, d3);
        clo_onnxw_output(&w, "y", ints[k].t, 0, NULL);
        clo_onnxw_node(&w, ints[k].op, NULL, IN("a", "b"), 2, IN("y"), 1);
        clo_tensor in[2] = {{ints[k].t, {1, {3}}, 3, ints[k].a},
                            {ints[k].t, {1, {3}}, 3, ints[k].b}};
        onnx_case_build(&c, &w, 13, 0, in, 2);
        assert_int_equal(c.err.code, CLO_OK_CODE);
        assert_int_equal(clo_onnx_plan_run(c.plan, in, 2).code, CLO_OK_CODE);
        const clo_tensor *y = clo_onnx_plan_output(c.plan, 0);
        for (uint64_t i = 0; i < 3; i++) {
            uint64_t got = ints[k].t == CLO_ONNX_UINT32   ? ((const uint32_t *)y->data)[i]
                           : ints[k].t == CLO_ONNX_UINT64 ? ((const uint64_t *)y->data)[i]
                           : ints[k].t == CLO_ONNX_UINT16 || ints[k].t == CLO_ONNX_FLOAT16
                               ? ((const uint16_t *)y->data)[i]
                               : (uint64_t)((const int16_t *)y->data)[i];
            uint64_t want = ints[k].t == CLO_ONNX_INT16
                                ? (uint64_t)(int64_t)(int16_t)ints[k].want[i]
                                : ints[k].want[i];
            if (got != want)
                fail_msg("%s [%llu]: %llu, want %llu", ints[k].op, (unsigned long long)i,
                         (unsigned long long)got, (unsigned long long)want);
        }
        onnx_case_free(&c);
    }
    /* Relu computes: doubles are refused, by name */
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", CLO_ONNX_DOUBLE, 2, d);
    clo_onnxw_output(&w, "y", CLO_ONNX_DOUBLE, 0, NULL);
    clo_onnxw_node(&w, "Relu", NULL, IN("x"), 1, IN("y"), 1);
    onnx_case_build(&c, &w, 13, 0, &f, 1);
    assert_int_equal(c.err.code, CLO_E_UNSUPPORTED);
    assert_non_null(strstr(c.why, "double"));
    onnx_case_free(&c);
}

/* Constant weights below the smallest normal float are packed as 0 (a
 * multiply by one costs a microcode assist on x86): a MatMul with one such
 * weight computes as if it were 0 (here visibly, against a huge input), the
 * normal weights exactly. */
static void test_subnormal_weights(void **state)
{
    (void)state;
    float x[2] = {2.0f, 1e38f}, w[2] = {1.5f, 1e-40f};
    int64_t dx[2] = {1, 2}, dw[2] = {2, 1};
    clo_onnxw wr;
    clo_onnxw_init(&wr);
    clo_onnxw_input(&wr, "x", CLO_ONNX_FLOAT, 2, dx);
    clo_onnxw_output(&wr, "y", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_init_floats(&wr, "W", 2, dw, w);
    clo_onnxw_node(&wr, "MatMul", NULL, IN("x", "W"), 2, IN("y"), 1);
    clo_tensor f = onnx_feed(x, 2, dx);
    onnx_case c;
    onnx_case_build(&c, &wr, 13, 0, &f, 1);
    assert_int_equal(c.err.code, CLO_OK_CODE);
    assert_int_equal(clo_onnx_plan_run(c.plan, &f, 1).code, CLO_OK_CODE);
    assert_true(((const float *)clo_onnx_plan_output(c.plan, 0)->data)[0] == 3.0f);
    onnx_case_free(&c);
}

/* CumSum (the suite's cases are double, which the engine refuses): sums
 * along an axis, inclusive or exclusive, forwards or reversed, by hand. */
static void test_cumsum(void **state)
{
    (void)state;
    /* [[1, 2, 3], [4, 5, 6]] along axis 1:
     * inclusive [[1,3,6],[4,9,15]]; exclusive [[0,1,3],[0,4,9]];
     * reverse [[6,5,3],[15,11,6]]; both [[5,3,0],[11,6,0]] */
    static const float x[6] = {1, 2, 3, 4, 5, 6};
    static const float want[4][6] = {
        {1, 3, 6, 4, 9, 15}, {0, 1, 3, 0, 4, 9}, {6, 5, 3, 15, 11, 6}, {5, 3, 0, 11, 6, 0}};
    int64_t d[2] = {2, 3}, da[1] = {1}, axis = 1;
    for (int v = 0; v < 4; v++) {
        clo_onnxw w;
        clo_onnxw_init(&w);
        clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, 2, d);
        clo_onnxw_output(&w, "y", CLO_ONNX_FLOAT, 0, NULL);
        clo_onnxw_init_ints(&w, "axis", 0, da, &axis);
        clo_onnxw_attr_int(&w, "exclusive", v & 1);
        clo_onnxw_attr_int(&w, "reverse", v >> 1);
        clo_onnxw_node(&w, "CumSum", NULL, IN("x", "axis"), 2, IN("y"), 1);
        clo_tensor f = onnx_feed(x, 2, d);
        onnx_case c;
        onnx_case_build(&c, &w, 14, 0, &f, 1);
        OKC(c.err);
        OKC(clo_onnx_plan_run(c.plan, &f, 1));
        assert_memory_equal(clo_onnx_plan_output(c.plan, 0)->data, want[v], sizeof want[v]);
        onnx_case_free(&c);
    }
}

/* Two operators the suite never runs (its cases are double): ReduceLogSumExp
 * of [1, 2, 3] = log(e + e^2 + e^3) = 3.4076059644; CastLike of [1.7, -2.2]
 * to int64 truncates to [1, -2]. */
static void test_logsumexp_castlike(void **state)
{
    (void)state;
    static const float x[3] = {1, 2, 3}, y[2] = {1.7f, -2.2f};
    int64_t d[1] = {3}, dy[1] = {2}, like = 0;
    clo_onnxw w;
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", CLO_ONNX_FLOAT, 1, d);
    clo_onnxw_input(&w, "y", CLO_ONNX_FLOAT, 1, dy);
    clo_onnxw_output(&w, "l", CLO_ONNX_FLOAT, 0, NULL);
    clo_onnxw_output(&w, "c", CLO_ONNX_INT64, 0, NULL);
    clo_onnxw_init_ints(&w, "like", 0, d, &like);
    clo_onnxw_attr_int(&w, "keepdims", 0);
    clo_onnxw_node(&w, "ReduceLogSumExp", NULL, IN("x"), 1, IN("l"), 1);
    clo_onnxw_node(&w, "CastLike", NULL, IN("y", "like"), 2, IN("c"), 1);
    clo_tensor f[2] = {onnx_feed(x, 1, d), onnx_feed(y, 1, dy)};
    onnx_case c;
    onnx_case_build(&c, &w, 17, 0, f, 2);
    OKC(c.err);
    OKC(clo_onnx_plan_run(c.plan, f, 2));
    const float *l = clo_onnx_plan_output(c.plan, 0)->data;
    const int64_t *ci = clo_onnx_plan_output(c.plan, 1)->data;
    assert_true(fabs(l[0] - 3.4076059644) < 1e-5);
    assert_true(ci[0] == 1 && ci[1] == -2);
    onnx_case_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_graphs),
        cmocka_unit_test(test_small_network),
        cmocka_unit_test(test_memory_reuse_and_folding),
        cmocka_unit_test(test_fusion),
        cmocka_unit_test(test_bn_folding),
        cmocka_unit_test(test_affine_folding),
        cmocka_unit_test(test_pad_folding),
        cmocka_unit_test(test_bound_feed),
        cmocka_unit_test(test_pools),
        cmocka_unit_test(test_conv_geometries),
        cmocka_unit_test(test_convtranspose_tiles),
        cmocka_unit_test(test_threads_same_bits),
        cmocka_unit_test(test_threads_same_bits_elementwise),
        cmocka_unit_test(test_pool_parts),
        cmocka_unit_test(test_vexp),
        cmocka_unit_test(test_if),
        cmocka_unit_test(test_loop),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_qconv_packed),
        cmocka_unit_test(test_qmatmul_packed),
        cmocka_unit_test(test_quant_rounding),
        cmocka_unit_test(test_qconv_chain),
        cmocka_unit_test(test_qdq),
        cmocka_unit_test(test_conv_tails),
        cmocka_unit_test(test_concat_in_place),
        cmocka_unit_test(test_pow_square),
        cmocka_unit_test(test_carried_types),
        cmocka_unit_test(test_subnormal_weights),
        cmocka_unit_test(test_cumsum),
        cmocka_unit_test(test_logsumexp_castlike),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
