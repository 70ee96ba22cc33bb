/* onnx_ml_test.c — the ONNX-ML operators, which the backend suite does not
 * cover: models built with the writer, outputs checked against values
 * worked out by hand (in the comments) or by the formula the specification
 * gives, computed here in double. Malformed trees are refused, each with
 * its own reason. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "onnx_build.h"

#define ML "ai.onnx.ml"

static const char *const X[] = {"X"};
static const char *const YZ[] = {"Y", "Z"};
static const char *const Y1[] = {"Y"};

static void near(float got, double want)
{
    if (fabs(got - want) > 1e-5 * (1 + fabs(want))) fail_msg("got %.9g, want %.9g", got, want);
}

/* Run a one-node model on X [rows, cols]. */
static void run1(onnx_case *c, clo_onnxw *w, const float *x, int64_t rows, int64_t cols)
{
    int64_t dims[2] = {rows, cols};
    clo_tensor f = onnx_feed(x, 2, dims);
    onnx_case_build(c, w, 17, 3, &f, 1);
    if (c->err.code) fail_msg("plan: %s", c->why);
    assert_int_equal(clo_onnx_plan_run(c->plan, &f, 1).code, CLO_OK_CODE);
}

static void io(clo_onnxw *w, int64_t cols, int classifier)
{
    int64_t d[2] = {-1, cols};
    clo_onnxw_input(w, "X", CLO_ONNX_FLOAT, 2, d);
    clo_onnxw_output(w, "Y", classifier ? CLO_ONNX_INT64 : CLO_ONNX_FLOAT, classifier ? 1 : 2, d);
    if (classifier) clo_onnxw_output(w, "Z", CLO_ONNX_FLOAT, 2, d);
}

static void softmax(double *z, int n)
{
    double mx = z[0], s = 0;
    for (int i = 1; i < n; i++) mx = z[i] > mx ? z[i] : mx;
    for (int i = 0; i < n; i++) s += (z[i] = exp(z[i] - mx));
    for (int i = 0; i < n; i++) z[i] /= s;
}

static void test_linear_classifier(void **state)
{
    (void)state;
    /* scores = X W^T + b, W = [[1,0],[0,1],[-1,-1]], b = [0, 0.5, 1]
     * row [1, 2]:    [1, 2.5, -2]   -> label 20
     * row [-1, 0.5]: [-1, 1.0, 1.5] -> label 30 */
    const float coef[] = {1, 0, 0, 1, -1, -1}, icpt[] = {0, 0.5f, 1}, x[] = {1, 2, -1, 0.5f};
    const int64_t labels[] = {10, 20, 30};
    double raw[2][3] = {{1, 2.5, -2}, {-1, 1.0, 1.5}};
    for (int pt = 0; pt < 2; pt++) {
        clo_onnxw w;
        clo_onnxw_init(&w);
        io(&w, 2, 1);
        clo_onnxw_attr_floats(&w, "coefficients", coef, 6);
        clo_onnxw_attr_floats(&w, "intercepts", icpt, 3);
        clo_onnxw_attr_ints(&w, "classlabels_ints", labels, 3);
        clo_onnxw_attr_string(&w, "post_transform", pt ? "SOFTMAX" : "NONE");
        clo_onnxw_node(&w, "LinearClassifier", ML, X, 1, YZ, 2);
        onnx_case c;
        run1(&c, &w, x, 2, 2);
        const int64_t *y = clo_onnx_plan_output(c.plan, 0)->data;
        const float *z = clo_onnx_plan_output(c.plan, 1)->data;
        assert_int_equal(y[0], 20);
        assert_int_equal(y[1], 30);
        for (int r = 0; r < 2; r++) {
            double want[3];
            memcpy(want, raw[r], sizeof want);
            if (pt) softmax(want, 3);
            for (int k = 0; k < 3; k++) near(z[r * 3 + k], want[k]);
        }
        onnx_case_free(&c);
    }
}

static void test_linear_binary(void **state)
{
    (void)state;
    /* one score column, labels [0, 1], LOGISTIC:
     * [1, 1]: s = 2 - 1 - 0.5 = 0.5  -> label 1, Z = 1/(1+e^-0.5) = 0.6224593
     * [0, 1]: s = -1 - 0.5 = -1.5    -> label 0, Z = 1/(1+e^1.5)  = 0.1824255 */
    const float coef[] = {2, -1}, icpt[] = {-0.5f}, x[] = {1, 1, 0, 1};
    const int64_t labels[] = {0, 1};
    clo_onnxw w;
    clo_onnxw_init(&w);
    io(&w, 2, 1);
    clo_onnxw_attr_floats(&w, "coefficients", coef, 2);
    clo_onnxw_attr_floats(&w, "intercepts", icpt, 1);
    clo_onnxw_attr_ints(&w, "classlabels_ints", labels, 2);
    clo_onnxw_attr_string(&w, "post_transform", "LOGISTIC");
    clo_onnxw_node(&w, "LinearClassifier", ML, X, 1, YZ, 2);
    onnx_case c;
    run1(&c, &w, x, 2, 2);
    const int64_t *y = clo_onnx_plan_output(c.plan, 0)->data;
    const float *z = clo_onnx_plan_output(c.plan, 1)->data;
    assert_int_equal(y[0], 1);
    assert_int_equal(y[1], 0);
    near(z[0], 0.6224593312);
    near(z[1], 0.1824255238);
    onnx_case_free(&c);
}

static void test_linear_regressor(void **state)
{
    (void)state;
    /* W = [[1,2],[3,4]], b = [0.5, -1]; [1, -1] -> [1-2+0.5, 3-4-1] = [-0.5, -2] */
    const float coef[] = {1, 2, 3, 4}, icpt[] = {0.5f, -1}, x[] = {1, -1};
    clo_onnxw w;
    clo_onnxw_init(&w);
    io(&w, 2, 0);
    clo_onnxw_attr_floats(&w, "coefficients", coef, 4);
    clo_onnxw_attr_floats(&w, "intercepts", icpt, 2);
    clo_onnxw_attr_int(&w, "targets", 2);
    clo_onnxw_node(&w, "LinearRegressor", ML, X, 1, Y1, 1);
    onnx_case c;
    run1(&c, &w, x, 1, 2);
    const float *y = clo_onnx_plan_output(c.plan, 0)->data;
    near(y[0], -0.5);
    near(y[1], -2);
    onnx_case_free(&c);
}

/* Two trees:
 *   tree 0: n0 x0 <= 0.5 ? n1 (leaf 1.0) : n2;  n2 x1 < 2 ? n3 (leaf 2.0) : n4 (leaf 3.0)
 *           n0 sends a missing x0 to its true branch
 *   tree 1: n0 x1 >= 1 ? n1 (leaf 10) : n2 (leaf 20)                                    */
static void tree_nodes(clo_onnxw *w)
{
    const int64_t tids[] = {0, 0, 0, 0, 0, 1, 1, 1}, nids[] = {0, 1, 2, 3, 4, 0, 1, 2};
    const int64_t feats[] = {0, 0, 1, 0, 0, 1, 0, 0}, yes[] = {1, 0, 3, 0, 0, 1, 0, 0};
    const int64_t no[] = {2, 0, 4, 0, 0, 2, 0, 0}, miss[] = {1, 0, 0, 0, 0, 0, 0, 0};
    const float vals[] = {0.5f, 0, 2, 0, 0, 1, 0, 0};
    const char *const modes[] = {"BRANCH_LEQ", "LEAF",       "BRANCH_LT", "LEAF",
                                 "LEAF",       "BRANCH_GTE", "LEAF",      "LEAF"};
    clo_onnxw_attr_ints(w, "nodes_treeids", tids, 8);
    clo_onnxw_attr_ints(w, "nodes_nodeids", nids, 8);
    clo_onnxw_attr_ints(w, "nodes_featureids", feats, 8);
    clo_onnxw_attr_floats(w, "nodes_values", vals, 8);
    clo_onnxw_attr_strings(w, "nodes_modes", modes, 8);
    clo_onnxw_attr_ints(w, "nodes_truenodeids", yes, 8);
    clo_onnxw_attr_ints(w, "nodes_falsenodeids", no, 8);
    clo_onnxw_attr_ints(w, "nodes_missing_value_tracks_true", miss, 8);
}

static void test_tree_regressor(void **state)
{
    (void)state;
    const int64_t wt[] = {0, 0, 0, 1, 1}, wn[] = {1, 3, 4, 1, 2}, wid[] = {0, 0, 0, 0, 0};
    const float ww[] = {1, 2, 3, 10, 20}, base[] = {100};
    const float x[] = {0, 0, 1, 1.5f, 1, 5, NAN, 0};
    /* SUM + 100:  [0,0]: 1+20 = 121;  [1,1.5]: 2+10 = 112;  [1,5]: 3+10 = 113;  [NaN,0]: 1+20 = 121
     * AVERAGE:    121 -> 21/2+100 = 110.5, 112 -> 106, 113 -> 106.5, 121 -> 110.5 */
    const double want[2][4] = {{121, 112, 113, 121}, {110.5, 106, 106.5, 110.5}};
    for (int avg = 0; avg < 2; avg++) {
        clo_onnxw w;
        clo_onnxw_init(&w);
        io(&w, 2, 0);
        tree_nodes(&w);
        clo_onnxw_attr_ints(&w, "target_treeids", wt, 5);
        clo_onnxw_attr_ints(&w, "target_nodeids", wn, 5);
        clo_onnxw_attr_ints(&w, "target_ids", wid, 5);
        clo_onnxw_attr_floats(&w, "target_weights", ww, 5);
        clo_onnxw_attr_floats(&w, "base_values", base, 1);
        clo_onnxw_attr_int(&w, "n_targets", 1);
        clo_onnxw_attr_string(&w, "aggregate_function", avg ? "AVERAGE" : "SUM");
        clo_onnxw_node(&w, "TreeEnsembleRegressor", ML, X, 1, Y1, 1);
        onnx_case c;
        run1(&c, &w, x, 4, 2);
        const float *y = clo_onnx_plan_output(c.plan, 0)->data;
        for (int r = 0; r < 4; r++) near(y[r], want[avg][r]);
        onnx_case_free(&c);
    }
}

static void test_tree_classifier(void **state)
{
    (void)state;
    /* The same two trees, three classes (labels 7, 8, 9), base [0.1, 0.2, 0.3]:
     *   tree 0 leaves: n1 {c0 0.6, c1 0.3}, n3 {c2 0.8, c1 0.1}, n4 {c2 0.6}
     *   tree 1 leaves: n1 {c1 0.5}, n2 {c0 0.2}
     * [-1, 2]: n1 + t1.n1 -> [0.6+0.1, 0.3+0.5+0.2, 0.3] = [0.7, 1.0, 0.3] -> 8
     * [1, 0]:  n3 + t1.n2 -> [0.2+0.1, 0.1+0.2, 0.8+0.3] = [0.3, 0.3, 1.1] -> 9
     * [1, 3]:  n4 + t1.n1 -> [0.1, 0.5+0.2, 0.6+0.3]     = [0.1, 0.7, 0.9] -> 9 */
    const int64_t ct[] = {0, 0, 0, 0, 0, 1, 1}, cn[] = {1, 1, 3, 3, 4, 1, 2},
                  cid[] = {0, 1, 2, 1, 2, 1, 0};
    const float cw[] = {0.6f, 0.3f, 0.8f, 0.1f, 0.6f, 0.5f, 0.2f}, base[] = {0.1f, 0.2f, 0.3f};
    const int64_t labels[] = {7, 8, 9};
    const float x[] = {-1, 2, 1, 0, 1, 3};
    double raw[3][3] = {{0.7, 1.0, 0.3}, {0.3, 0.3, 1.1}, {0.1, 0.7, 0.9}};
    const int64_t want_y[] = {8, 9, 9};
    for (int pt = 0; pt < 2; pt++) {
        clo_onnxw w;
        clo_onnxw_init(&w);
        io(&w, 2, 1);
        tree_nodes(&w);
        clo_onnxw_attr_ints(&w, "class_treeids", ct, 7);
        clo_onnxw_attr_ints(&w, "class_nodeids", cn, 7);
        clo_onnxw_attr_ints(&w, "class_ids", cid, 7);
        clo_onnxw_attr_floats(&w, "class_weights", cw, 7);
        clo_onnxw_attr_floats(&w, "base_values", base, 3);
        clo_onnxw_attr_ints(&w, "classlabels_int64s", labels, 3);
        clo_onnxw_attr_string(&w, "post_transform", pt ? "SOFTMAX" : "NONE");
        clo_onnxw_node(&w, "TreeEnsembleClassifier", ML, X, 1, YZ, 2);
        onnx_case c;
        run1(&c, &w, x, 3, 2);
        const int64_t *y = clo_onnx_plan_output(c.plan, 0)->data;
        const float *z = clo_onnx_plan_output(c.plan, 1)->data;
        for (int r = 0; r < 3; r++) {
            assert_int_equal(y[r], want_y[r]);
            double want[3];
            memcpy(want, raw[r], sizeof want);
            if (pt) softmax(want, 3);
            for (int k = 0; k < 3; k++) near(z[r * 3 + k], want[k]);
        }
        onnx_case_free(&c);
    }
}

/* The one-score binary tree (ops_ml.c's header; tests/workloads/ml_ort_test.mjs
 * checks the same rules against onnxruntime on 60 models): weights all on
 * class c; s = their sum (+ base_values[0] when c = 0); label 1 when s > 0.5
 * (positive weights) or s > 0; Z for c = 0 with at most one base value is
 * [1-σ(s), σ(s)] (LOGISTIC), [1-s, s] or [-s, s]; else the transform of
 * [s, 0] or [0, s]. One tree: x0 <= 0 ? w0 : w1. want_z NULL: refused. */
static void binary_tree_case(int64_t cls, const float cw[2], const float *base, size_t nbase,
                             const char *pt, const int64_t want_y[2], const double *want_z)
{
    const int64_t tids[] = {0, 0, 0}, nids[] = {0, 1, 2}, feats[] = {0, 0, 0}, yes[] = {1, 0, 0},
                  no[] = {2, 0, 0}, ct[] = {0, 0}, cn[] = {1, 2}, cid[] = {cls, cls},
                  labels[] = {4, 9};
    const float vals[] = {0, 0, 0}, x[2] = {-1, 1};
    const char *const modes[] = {"BRANCH_LEQ", "LEAF", "LEAF"};
    clo_onnxw w;
    clo_onnxw_init(&w);
    io(&w, 1, 1);
    clo_onnxw_attr_ints(&w, "nodes_treeids", tids, 3);
    clo_onnxw_attr_ints(&w, "nodes_nodeids", nids, 3);
    clo_onnxw_attr_ints(&w, "nodes_featureids", feats, 3);
    clo_onnxw_attr_floats(&w, "nodes_values", vals, 3);
    clo_onnxw_attr_strings(&w, "nodes_modes", modes, 3);
    clo_onnxw_attr_ints(&w, "nodes_truenodeids", yes, 3);
    clo_onnxw_attr_ints(&w, "nodes_falsenodeids", no, 3);
    clo_onnxw_attr_ints(&w, "class_treeids", ct, 2);
    clo_onnxw_attr_ints(&w, "class_nodeids", cn, 2);
    clo_onnxw_attr_ints(&w, "class_ids", cid, 2);
    clo_onnxw_attr_floats(&w, "class_weights", cw, 2);
    clo_onnxw_attr_ints(&w, "classlabels_int64s", labels, 2);
    if (nbase) clo_onnxw_attr_floats(&w, "base_values", base, nbase);
    clo_onnxw_attr_string(&w, "post_transform", pt);
    clo_onnxw_node(&w, "TreeEnsembleClassifier", ML, X, 1, YZ, 2);
    onnx_case c;
    if (!want_z) {
        int64_t dims[2] = {2, 1};
        clo_tensor f = onnx_feed(x, 2, dims);
        onnx_case_build(&c, &w, 17, 3, &f, 1);
        assert_int_equal(c.err.code, CLO_E_UNSUPPORTED);
        assert_non_null(strstr(c.why, "two base values"));
        onnx_case_free(&c);
        return;
    }
    run1(&c, &w, x, 2, 1);
    const int64_t *y = clo_onnx_plan_output(c.plan, 0)->data;
    const float *z = clo_onnx_plan_output(c.plan, 1)->data;
    assert_int_equal(y[0], want_y[0]);
    assert_int_equal(y[1], want_y[1]);
    for (int k = 0; k < 4; k++) near(z[k], want_z[k]);
    onnx_case_free(&c);
}

static double sig(double v)
{
    return 1 / (1 + exp(-v));
}

static void test_tree_binary(void **state)
{
    (void)state;
    const float pos[2] = {0.3f, 0.9f}, mixed[2] = {-0.3f, 0.9f}, neg[2] = {-0.7f, 0.9f};
    /* Positive weights on class 0, no base: [1 - s, s]. */
    binary_tree_case(0, pos, NULL, 0, "NONE", (const int64_t[]){4, 9},
                     (const double[]){0.7, 0.3, 0.1, 0.9});
    /* One base value on class 0 (a booster's init score): s = 0.4, 1.0. */
    const float one[1] = {0.1f};
    binary_tree_case(0, pos, one, 1, "NONE", (const int64_t[]){4, 9},
                     (const double[]){0.6, 0.4, 0.0, 1.0});
    binary_tree_case(0, mixed, one, 1, "LOGISTIC", (const int64_t[]){4, 9},
                     (const double[]){1 - sig(-0.2), sig(-0.2), 1 - sig(1.0), sig(1.0)});
    /* Positive weights under LOGISTIC: [1-σ(s), σ(s)]. */
    binary_tree_case(0, pos, NULL, 0, "LOGISTIC", (const int64_t[]){4, 9},
                     (const double[]){1 - sig(0.3), sig(0.3), 1 - sig(0.9), sig(0.9)});
    /* Two base values on class 0: s = w + base[0], Z = σ([s, 0]). s = -0.1, 1.1. */
    const float two[2] = {0.2f, 5.0f};
    binary_tree_case(0, mixed, two, 2, "LOGISTIC", (const int64_t[]){4, 9},
                     (const double[]){sig(-0.1), 0.5, sig(1.1), 0.5});
    /* Class 1: the base value is not added; Z = [0, s]. */
    const float minus[1] = {-0.1f};
    binary_tree_case(1, neg, minus, 1, "NONE", (const int64_t[]){4, 9},
                     (const double[]){0, -0.7, 0, 0.9});
    /* Class 1 with two base values: refused (onnxruntime ignores the trees). */
    binary_tree_case(1, pos, two, 2, "NONE", (const int64_t[]){0, 0}, NULL);
}

/* Build a regressor over explicit node lists; returns the plan error and why. */
static clo_code tree_with(const int64_t *tids, const int64_t *nids, const int64_t *feats,
                          const int64_t *yes, const int64_t *no, const char *const *modes, size_t n,
                          int64_t weight_node, char *why)
{
    float vals[16] = {0}, x[2] = {0, 0}, ww[1] = {1};
    const int64_t wt[] = {0}, wn[] = {weight_node}, wid[] = {0};
    clo_onnxw w;
    clo_onnxw_init(&w);
    io(&w, 2, 0);
    clo_onnxw_attr_ints(&w, "nodes_treeids", tids, n);
    clo_onnxw_attr_ints(&w, "nodes_nodeids", nids, n);
    clo_onnxw_attr_ints(&w, "nodes_featureids", feats, n);
    clo_onnxw_attr_floats(&w, "nodes_values", vals, n);
    clo_onnxw_attr_strings(&w, "nodes_modes", modes, n);
    clo_onnxw_attr_ints(&w, "nodes_truenodeids", yes, n);
    clo_onnxw_attr_ints(&w, "nodes_falsenodeids", no, n);
    clo_onnxw_attr_ints(&w, "target_treeids", wt, 1);
    clo_onnxw_attr_ints(&w, "target_nodeids", wn, 1);
    clo_onnxw_attr_ints(&w, "target_ids", wid, 1);
    clo_onnxw_attr_floats(&w, "target_weights", ww, 1);
    clo_onnxw_node(&w, "TreeEnsembleRegressor", ML, X, 1, Y1, 1);
    onnx_case c;
    int64_t dims[2] = {1, 2};
    clo_tensor f = onnx_feed(x, 2, dims);
    onnx_case_build(&c, &w, 17, 3, &f, 1);
    clo_code code = c.err.code;
    strcpy(why, c.why);
    onnx_case_free(&c);
    return code;
}

static void test_bad_trees(void **state)
{
    (void)state;
    char why[CLO_ONNX_WHY];
    const int64_t t3[] = {0, 0, 0}, n3[] = {0, 1, 2}, f3[] = {0, 0, 0}, z3[] = {0, 0, 0};
    const char *const m3[] = {"BRANCH_LEQ", "LEAF", "LEAF"};
    /* the valid shape first: it must plan */
    const int64_t y_ok[] = {1, 0, 0}, n_ok[] = {2, 0, 0};
    assert_int_equal(tree_with(t3, n3, f3, y_ok, n_ok, m3, 3, 1, why), CLO_OK_CODE);
    /* a branch to a node that does not exist */
    const int64_t y_missing[] = {7, 0, 0};
    assert_int_equal(tree_with(t3, n3, f3, y_missing, n_ok, m3, 3, 1, why), CLO_E_FORMAT);
    assert_non_null(strstr(why, "does not exist"));
    /* a cycle: node 1 is a branch back to node 0 */
    const char *const mc[] = {"BRANCH_LEQ", "BRANCH_LEQ", "LEAF"};
    const int64_t yc[] = {1, 0, 0}, nc[] = {2, 2, 0};
    assert_int_equal(tree_with(t3, n3, f3, yc, nc, mc, 3, 2, why), CLO_E_FORMAT);
    assert_non_null(strstr(why, "no root"));
    /* a node reached twice (a DAG, not a tree) */
    const int64_t yd[] = {1, 0, 0}, nd[] = {1, 0, 0};
    const int64_t t2[] = {0, 0}, n2[] = {0, 1}, f2[] = {0, 0};
    const char *const m2[] = {"BRANCH_LEQ", "LEAF"};
    assert_int_equal(tree_with(t2, n2, f2, yd, nd, m2, 2, 1, why), CLO_E_FORMAT);
    assert_non_null(strstr(why, "reached twice"));
    /* two roots */
    const int64_t y2r[] = {0, 0, 0};
    const char *const m2r[] = {"LEAF", "LEAF", "LEAF"};
    assert_int_equal(tree_with(t3, n3, f3, y2r, z3, m2r, 3, 1, why), CLO_E_FORMAT);
    assert_non_null(strstr(why, "more than one root"));
    /* a feature past the input's columns */
    const int64_t fbig[] = {5, 0, 0};
    assert_int_equal(tree_with(t3, n3, fbig, y_ok, n_ok, m3, 3, 1, why), CLO_E_FORMAT);
    assert_non_null(strstr(why, "feature 5"));
    /* a weight on a branch node */
    assert_int_equal(tree_with(t3, n3, f3, y_ok, n_ok, m3, 3, 0, why), CLO_E_FORMAT);
    assert_non_null(strstr(why, "not a leaf"));
    /* an unknown mode */
    const char *const mu[] = {"BRANCH_SOMETIMES", "LEAF", "LEAF"};
    assert_int_equal(tree_with(t3, n3, f3, y_ok, n_ok, mu, 3, 1, why), CLO_E_FORMAT);
    assert_non_null(strstr(why, "mode"));
}

static void test_scaler_normalizer_binarizer_zipmap(void **state)
{
    (void)state;
    struct {
        const char *op;
        const char *attr; /* string attribute: norm */
        const char *val;
        float in[3];
        float want[3];
    } cases[] = {
        /* Scaler below; Normalizer: L1 [1,-3,0] / 4; L2 [3,4,0] / 5; MAX [2,-4,1] / 2 */
        {"Normalizer", "norm", "L1", {1, -3, 0}, {0.25f, -0.75f, 0}},
        {"Normalizer", "norm", "L2", {3, 4, 0}, {0.6f, 0.8f, 0}},
        {"Normalizer", "norm", "MAX", {2, -4, 1}, {1, -2, 0.5f}},
        /* Binarizer threshold 0.5: only values above it are 1 */
        {"Binarizer", NULL, NULL, {0.4f, 0.5f, 0.6f}, {0, 0, 1}},
        /* Scaler offset [1,2,3], scale [2,0.5,1]: [3,6,3] -> [4,2,0] */
        {"Scaler", NULL, NULL, {3, 6, 3}, {4, 2, 0}},
        /* ZipMap: the probabilities, as a tensor */
        {"ZipMap", NULL, NULL, {0.2f, 0.3f, 0.5f}, {0.2f, 0.3f, 0.5f}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        clo_onnxw w;
        clo_onnxw_init(&w);
        io(&w, 3, 0);
        if (cases[k].attr) clo_onnxw_attr_string(&w, cases[k].attr, cases[k].val);
        if (!strcmp(cases[k].op, "Binarizer")) clo_onnxw_attr_float(&w, "threshold", 0.5f);
        if (!strcmp(cases[k].op, "Scaler")) {
            const float off[] = {1, 2, 3}, sc[] = {2, 0.5f, 1};
            clo_onnxw_attr_floats(&w, "offset", off, 3);
            clo_onnxw_attr_floats(&w, "scale", sc, 3);
        }
        if (!strcmp(cases[k].op, "ZipMap")) {
            const int64_t labels[] = {0, 1, 2};
            clo_onnxw_attr_ints(&w, "classlabels_int64s", labels, 3);
        }
        clo_onnxw_node(&w, cases[k].op, ML, X, 1, Y1, 1);
        onnx_case c;
        run1(&c, &w, cases[k].in, 1, 3);
        const float *y = clo_onnx_plan_output(c.plan, 0)->data;
        for (int i = 0; i < 3; i++) near(y[i], cases[k].want[i]);
        onnx_case_free(&c);
    }
}

/* ---- string tensors: elements are clo_bytes views ---- */

static clo_bytes S(const char *s)
{
    return clo_bytes_str(s);
}

static clo_tensor str_feed(clo_bytes *v, size_t rank, const int64_t *dims)
{
    clo_tensor t = {CLO_ONNX_STRING, {(uint32_t)rank, {0}}, 1, v};
    for (size_t i = 0; i < rank; i++) t.shape.d[i] = dims[i], t.count *= (uint64_t)dims[i];
    return t;
}

static void want_strs(const clo_tensor *t, const char *const *want, size_t n)
{
    assert_int_equal(t->dtype, CLO_ONNX_STRING);
    assert_int_equal(t->count, n);
    for (size_t i = 0; i < n; i++) {
        clo_bytes g = ((const clo_bytes *)t->data)[i];
        if (!clo_bytes_eq(g, S(want[i])))
            fail_msg("[%zu]: got '%.*s', want '%s'", i, (int)g.len, (const char *)g.ptr, want[i]);
    }
}

/* A one-node model of `op` on one input I of type `in` [n] to O of `out`,
 * with the attributes already given to w; planned and run on f. */
static clo_err run_map(onnx_case *c, clo_onnxw *w, const char *op, int64_t ml_opset, int32_t in,
                       int32_t out, const clo_tensor *f)
{
    static const char *const I[] = {"I"}, *const O[] = {"O"};
    int64_t d[1] = {-1};
    clo_onnxw_node(w, op, ML, I, 1, O, 1);
    clo_onnxw_input(w, "I", in, 1, d);
    clo_onnxw_output(w, "O", out, 1, d);
    onnx_case_build(c, w, 17, ml_opset, f, 1);
    if (c->err.code) return c->err;
    return clo_onnx_plan_run(c->plan, f, 1);
}

static void test_string_maps(void **state)
{
    (void)state;
    static const char *const cats_s[] = {"cat", "dog", "eel"};
    static const int64_t cats_i[] = {7, 8, 9};
    onnx_case c;
    clo_onnxw w;
    int64_t d4[1] = {4}, d3[1] = {3}, d2[1] = {2};

    /* CategoryMapper, string to int64: a string not listed gets default_int64 */
    clo_bytes in1[4] = {S("dog"), S("zebra"), S("cat"), S("")};
    clo_tensor f = str_feed(in1, 1, d4);
    clo_onnxw_init(&w);
    clo_onnxw_attr_strings(&w, "cats_strings", cats_s, 3);
    clo_onnxw_attr_ints(&w, "cats_int64s", cats_i, 3);
    clo_onnxw_attr_int(&w, "default_int64", -5);
    assert_int_equal(run_map(&c, &w, "CategoryMapper", 3, CLO_ONNX_STRING, CLO_ONNX_INT64, &f).code,
                     CLO_OK_CODE);
    const int64_t *y = clo_onnx_plan_output(c.plan, 0)->data;
    assert_int_equal(y[0], 8);
    assert_int_equal(y[1], -5);
    assert_int_equal(y[2], 7);
    assert_int_equal(y[3], -5);
    onnx_case_free(&c);

    /* ... and int64 to string: default_string when absent is "_Unused" */
    int64_t in2[3] = {9, 1, 7};
    clo_tensor fi = {CLO_ONNX_INT64, {1, {3}}, 3, in2};
    clo_onnxw_init(&w);
    clo_onnxw_attr_strings(&w, "cats_strings", cats_s, 3);
    clo_onnxw_attr_ints(&w, "cats_int64s", cats_i, 3);
    assert_int_equal(
        run_map(&c, &w, "CategoryMapper", 3, CLO_ONNX_INT64, CLO_ONNX_STRING, &fi).code,
        CLO_OK_CODE);
    static const char *const w2[] = {"eel", "_Unused", "cat"};
    want_strs(clo_onnx_plan_output(c.plan, 0), w2, 3);
    onnx_case_free(&c);

    /* LabelEncoder-2, string keys to floats: of equal keys the first counts */
    static const char *const ks[] = {"b", "a", "b"};
    static const float vf[] = {1, 2, 3};
    clo_bytes in3[3] = {S("b"), S("a"), S("c")};
    f = str_feed(in3, 1, d3);
    clo_onnxw_init(&w);
    clo_onnxw_attr_strings(&w, "keys_strings", ks, 3);
    clo_onnxw_attr_floats(&w, "values_floats", vf, 3);
    clo_onnxw_attr_float(&w, "default_float", 0.5f);
    assert_int_equal(run_map(&c, &w, "LabelEncoder", 2, CLO_ONNX_STRING, CLO_ONNX_FLOAT, &f).code,
                     CLO_OK_CODE);
    const float *yf = clo_onnx_plan_output(c.plan, 0)->data;
    near(yf[0], 1);
    near(yf[1], 2);
    near(yf[2], 0.5);
    onnx_case_free(&c);

    /* LabelEncoder-2, int64 keys to strings, default_string given */
    static const int64_t ki[] = {3, 1};
    static const char *const vs[] = {"three", "one"};
    clo_onnxw_init(&w);
    clo_onnxw_attr_ints(&w, "keys_int64s", ki, 2);
    clo_onnxw_attr_strings(&w, "values_strings", vs, 2);
    clo_onnxw_attr_string(&w, "default_string", "none");
    int64_t in4[3] = {1, 2, 3};
    fi = (clo_tensor){CLO_ONNX_INT64, {1, {3}}, 3, in4};
    assert_int_equal(run_map(&c, &w, "LabelEncoder", 2, CLO_ONNX_INT64, CLO_ONNX_STRING, &fi).code,
                     CLO_OK_CODE);
    static const char *const w4[] = {"one", "none", "three"};
    want_strs(clo_onnx_plan_output(c.plan, 0), w4, 3);
    onnx_case_free(&c);

    /* LabelEncoder-1: classes_strings[i] <-> i, both ways */
    static const char *const cls[] = {"x", "y"};
    clo_bytes in5[2] = {S("y"), S("q")};
    f = str_feed(in5, 1, d2);
    clo_onnxw_init(&w);
    clo_onnxw_attr_strings(&w, "classes_strings", cls, 2);
    assert_int_equal(run_map(&c, &w, "LabelEncoder", 1, CLO_ONNX_STRING, CLO_ONNX_INT64, &f).code,
                     CLO_OK_CODE);
    y = clo_onnx_plan_output(c.plan, 0)->data;
    assert_int_equal(y[0], 1);
    assert_int_equal(y[1], -1);
    onnx_case_free(&c);
    int64_t in6[2] = {0, 5};
    fi = (clo_tensor){CLO_ONNX_INT64, {1, {2}}, 2, in6};
    clo_onnxw_init(&w);
    clo_onnxw_attr_strings(&w, "classes_strings", cls, 2);
    assert_int_equal(run_map(&c, &w, "LabelEncoder", 1, CLO_ONNX_INT64, CLO_ONNX_STRING, &fi).code,
                     CLO_OK_CODE);
    static const char *const w6[] = {"x", "_Unused"};
    want_strs(clo_onnx_plan_output(c.plan, 0), w6, 2);
    onnx_case_free(&c);

    /* OneHotEncoder on strings: a category not listed is all zeros
     * (zeros = 1) or fails the run (zeros = 0) */
    static const char *const rgb[] = {"r", "g", "b"};
    clo_bytes in7[2] = {S("g"), S("x")};
    f = str_feed(in7, 1, d2);
    for (int zeros = 1; zeros >= 0; zeros--) {
        static const char *const I[] = {"I"}, *const O[] = {"O"};
        int64_t di[1] = {2}, dout[2] = {2, 3};
        clo_onnxw_init(&w);
        clo_onnxw_attr_strings(&w, "cats_strings", rgb, 3);
        clo_onnxw_attr_int(&w, "zeros", zeros);
        clo_onnxw_node(&w, "OneHotEncoder", ML, I, 1, O, 1);
        clo_onnxw_input(&w, "I", CLO_ONNX_STRING, 1, di);
        clo_onnxw_output(&w, "O", CLO_ONNX_FLOAT, 2, dout);
        onnx_case_build(&c, &w, 17, 3, &f, 1);
        assert_int_equal(c.err.code, CLO_OK_CODE);
        clo_err e = clo_onnx_plan_run(c.plan, &f, 1);
        if (zeros) {
            assert_int_equal(e.code, CLO_OK_CODE);
            yf = clo_onnx_plan_output(c.plan, 0)->data;
            const float want[6] = {0, 1, 0, 0, 0, 0};
            for (int i = 0; i < 6; i++) near(yf[i], want[i]);
        } else {
            assert_int_equal(e.code, CLO_E_FORMAT);
        }
        onnx_case_free(&c);
    }

    /* refused: two label lists; cats of different lengths; Cast to string */
    clo_onnxw_init(&w);
    clo_onnxw_attr_strings(&w, "cats_strings", cats_s, 3);
    clo_onnxw_attr_ints(&w, "cats_int64s", cats_i, 2);
    f = str_feed(in3, 1, d3);
    assert_int_equal(run_map(&c, &w, "CategoryMapper", 3, CLO_ONNX_STRING, CLO_ONNX_INT64, &f).code,
                     CLO_E_FORMAT);
    onnx_case_free(&c);
    clo_onnxw_init(&w);
    clo_onnxw_attr_strings(&w, "keys_strings", ks, 3);
    clo_onnxw_attr_floats(&w, "values_floats", vf, 3);
    clo_onnxw_attr_ints(&w, "values_int64s", ki, 2); /* two values lists */
    assert_int_equal(run_map(&c, &w, "LabelEncoder", 2, CLO_ONNX_STRING, CLO_ONNX_FLOAT, &f).code,
                     CLO_E_FORMAT);
    onnx_case_free(&c);
}

/* Class labels as strings: the label output is a string tensor. */
static void test_string_labels(void **state)
{
    (void)state;
    static const char *const labels[] = {"benign", "malignant"};
    /* scores: [x0 - x1, x1 - x0]; the larger names the class */
    static const float coef[] = {1, -1, -1, 1};
    const float x[4] = {2, 1, 0, 3};
    clo_onnxw w;
    onnx_case c;
    clo_onnxw_init(&w);
    int64_t d[2] = {-1, 2};
    clo_onnxw_input(&w, "X", CLO_ONNX_FLOAT, 2, d);
    clo_onnxw_output(&w, "Y", CLO_ONNX_STRING, 1, d);
    clo_onnxw_output(&w, "Z", CLO_ONNX_FLOAT, 2, d);
    clo_onnxw_attr_floats(&w, "coefficients", coef, 4);
    clo_onnxw_attr_strings(&w, "classlabels_strings", labels, 2);
    clo_onnxw_node(&w, "LinearClassifier", ML, X, 1, YZ, 2);
    run1(&c, &w, x, 2, 2);
    static const char *const want[] = {"benign", "malignant"};
    want_strs(clo_onnx_plan_output(c.plan, 0), want, 2);
    onnx_case_free(&c);

    /* both label lists: refused */
    static const int64_t ints[] = {0, 1};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "X", CLO_ONNX_FLOAT, 2, d);
    clo_onnxw_output(&w, "Y", CLO_ONNX_STRING, 1, d);
    clo_onnxw_attr_floats(&w, "coefficients", coef, 4);
    clo_onnxw_attr_strings(&w, "classlabels_strings", labels, 2);
    clo_onnxw_attr_ints(&w, "classlabels_ints", ints, 2);
    clo_onnxw_node(&w, "LinearClassifier", ML, X, 1, YZ, 2);
    int64_t dx[2] = {2, 2};
    clo_tensor f = onnx_feed(x, 2, dx);
    onnx_case_build(&c, &w, 17, 3, &f, 1);
    assert_int_equal(c.err.code, CLO_E_FORMAT);
    assert_non_null(strstr(c.why, "both"));
    onnx_case_free(&c);
}

/* Strings through the operators that move elements, and as TensorProto. */
static void test_string_tensors(void **state)
{
    (void)state;
    static const char *const I[] = {"I"}, *const T[] = {"T"}, *const O[] = {"O"};
    clo_bytes v[4] = {S("a"), S("bb"), S(""), S("dddd")};
    int64_t d[2] = {2, 2};
    clo_tensor f = str_feed(v, 2, d);
    clo_onnxw w;
    onnx_case c;
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "I", CLO_ONNX_STRING, 2, d);
    clo_onnxw_output(&w, "O", CLO_ONNX_STRING, 1, d);
    clo_onnxw_node(&w, "Transpose", NULL, I, 1, T, 1);
    const int64_t flat[1] = {4};
    clo_onnxw_init_ints(&w, "shape", 1, (const int64_t[]){1}, flat);
    static const char *const TS[] = {"T", "shape"};
    clo_onnxw_node(&w, "Reshape", NULL, TS, 2, O, 1);
    onnx_case_build(&c, &w, 17, 0, &f, 1);
    assert_int_equal(c.err.code, CLO_OK_CODE);
    assert_int_equal(clo_onnx_plan_run(c.plan, &f, 1).code, CLO_OK_CODE);
    static const char *const want[] = {"a", "", "bb", "dddd"};
    const clo_tensor *o = clo_onnx_plan_output(c.plan, 0);
    want_strs(o, want, 4);

    /* written as a TensorProto and read back: the same strings */
    clo_buf b;
    clo_buf_init(&b, 1 << 12);
    assert_int_equal(clo_onnx_tensor_write(&b, S("O"), o).code, CLO_OK_CODE);
    onnx_case_free(&c);
    clo_onnx_tensor ft;
    assert_int_equal(clo_onnx_tensor_read(clo_buf_view(&b), &ft).code, CLO_OK_CODE);
    assert_int_equal(ft.dtype, CLO_ONNX_STRING);
    assert_int_equal(ft.count, 4);
    clo_bytes back[4];
    assert_int_equal(clo_tensor_decode(&ft, back).code, CLO_OK_CODE);
    clo_tensor t = {CLO_ONNX_STRING, {1, {4}}, 4, back};
    want_strs(&t, want, 4);
    /* one string too many for the dims: refused */
    uint8_t extra[] = {0x32, 0x01, 'z'}; /* string_data "z" */
    assert_int_equal(clo_buf_append(&b, extra, sizeof extra).code, CLO_OK_CODE);
    assert_int_equal(clo_onnx_tensor_read(clo_buf_view(&b), &ft).code, CLO_E_FORMAT);
    /* string_data beside raw_data: refused */
    b.len -= sizeof extra;
    uint8_t raw[] = {0x4a, 0x01, 0x00}; /* raw_data, one byte */
    assert_int_equal(clo_buf_append(&b, raw, sizeof raw).code, CLO_OK_CODE);
    assert_int_equal(clo_onnx_tensor_read(clo_buf_view(&b), &ft).code, CLO_E_FORMAT);
    clo_buf_free(&b);

    /* Cast to string is refused, naming the type */
    clo_onnxw_init(&w);
    int64_t d1[1] = {1};
    clo_onnxw_input(&w, "I", CLO_ONNX_FLOAT, 1, d1);
    clo_onnxw_output(&w, "O", CLO_ONNX_STRING, 1, d1);
    clo_onnxw_attr_int(&w, "to", CLO_ONNX_STRING);
    clo_onnxw_node(&w, "Cast", NULL, I, 1, O, 1);
    const float one = 1;
    clo_tensor ff = onnx_feed(&one, 1, d1);
    onnx_case_build(&c, &w, 17, 0, &ff, 1);
    assert_int_equal(c.err.code, CLO_E_UNSUPPORTED);
    assert_non_null(strstr(c.why, "string"));
    onnx_case_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_classifier),
        cmocka_unit_test(test_linear_binary),
        cmocka_unit_test(test_linear_regressor),
        cmocka_unit_test(test_tree_regressor),
        cmocka_unit_test(test_tree_classifier),
        cmocka_unit_test(test_tree_binary),
        cmocka_unit_test(test_bad_trees),
        cmocka_unit_test(test_scaler_normalizer_binarizer_zipmap),
        cmocka_unit_test(test_string_maps),
        cmocka_unit_test(test_string_labels),
        cmocka_unit_test(test_string_tensors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
