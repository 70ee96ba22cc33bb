/* onnx_bench.c — the models of the engine benchmark, and Cloister's side of
 * it. `clo_bench_onnx gen DIR` writes, with the project's ONNX writer and a
 * fixed seed, five models and an input for each (DIR/<name>.onnx,
 * DIR/<name>.in: little-endian float32, DIR/manifest.json: input name and
 * shape); `clo_bench_onnx run MODEL INPUT ITERS` plans once and times ITERS
 * runs, printing {"mean_us","p50_us","p99_us","out":[first 8 values]} for
 * bench/onnx_bench.mjs, which runs onnxruntime on the same files in the same
 * run and prints the table. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "workloads/onnx/plan.h"
#include "workloads/onnx/writer.h"

/* ---- deterministic weights ---- */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static float uniform(void) /* [-1, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) / (double)(1ull << 53) * 2.0 - 1.0);
}

static float *randn(size_t n, float scale)
{
    float *p = malloc(n * sizeof *p);
    if (!p) die("malloc");
    for (size_t i = 0; i < n; i++) p[i] = uniform() * scale;
    return p;
}

static int counter;
static const char *fresh(char *buf, const char *prefix)
{
    sprintf(buf, "%s%d", prefix, counter++);
    return buf;
}

static void weights(clo_onnxw *w, const char *name, size_t rank, const int64_t *dims, float scale)
{
    size_t n = 1;
    for (size_t i = 0; i < rank; i++) n *= (size_t)dims[i];
    float *p = randn(n, scale);
    clo_onnxw_init_floats(w, name, rank, dims, p);
    free(p);
}

/* y = Conv(x) (+ bias), He-scaled weights. */
static void conv(clo_onnxw *w, const char *x, const char *y, int64_t cin, int64_t cout, int64_t k,
                 int64_t stride, int64_t pad)
{
    char wn[32], bn[32];
    int64_t wd[4] = {cout, cin, k, k}, bd[1] = {cout};
    fresh(wn, "W");
    fresh(bn, "B");
    weights(w, wn, 4, wd, sqrtf(6.0f / (float)(cin * k * k)));
    weights(w, bn, 1, bd, 0.01f);
    const int64_t ks[2] = {k, k}, st[2] = {stride, stride}, pads[4] = {pad, pad, pad, pad};
    clo_onnxw_attr_ints(w, "kernel_shape", ks, 2);
    clo_onnxw_attr_ints(w, "strides", st, 2);
    clo_onnxw_attr_ints(w, "pads", pads, 4);
    const char *in[3] = {x, wn, bn}, *out[1] = {y};
    clo_onnxw_node(w, "Conv", NULL, in, 3, out, 1);
}

static void unary(clo_onnxw *w, const char *op, const char *x, const char *y)
{
    const char *in[1] = {x}, *out[1] = {y};
    clo_onnxw_node(w, op, NULL, in, 1, out, 1);
}

static void binary(clo_onnxw *w, const char *op, const char *a, const char *b, const char *y)
{
    const char *in[2] = {a, b}, *out[1] = {y};
    clo_onnxw_node(w, op, NULL, in, 2, out, 1);
}

static void gemm(clo_onnxw *w, const char *x, const char *y, int64_t k, int64_t n)
{
    char wn[32], bn[32];
    int64_t wd[2] = {n, k}, bd[1] = {n};
    fresh(wn, "W");
    fresh(bn, "B");
    weights(w, wn, 2, wd, sqrtf(6.0f / (float)k));
    weights(w, bn, 1, bd, 0.01f);
    clo_onnxw_attr_int(w, "transB", 1);
    const char *in[3] = {x, wn, bn}, *out[1] = {y};
    clo_onnxw_node(w, "Gemm", NULL, in, 3, out, 1);
}

static void maxpool(clo_onnxw *w, const char *x, const char *y, int64_t k, int64_t s, int64_t pad)
{
    const int64_t ks[2] = {k, k}, st[2] = {s, s}, pads[4] = {pad, pad, pad, pad};
    clo_onnxw_attr_ints(w, "kernel_shape", ks, 2);
    clo_onnxw_attr_ints(w, "strides", st, 2);
    clo_onnxw_attr_ints(w, "pads", pads, 4);
    unary(w, "MaxPool", x, y);
}

static void save(clo_onnxw *w, const char *dir, const char *name, int64_t ml, size_t rank,
                 const int64_t *dims, FILE *manifest, int first)
{
    clo_buf b;
    clo_buf_init(&b, (size_t)1 << 30);
    if (clo_onnxw_finish(w, name, 17, ml, &b).code) die("writing a model");
    clo_onnxw_free(w);
    char path[512];
    snprintf(path, sizeof path, "%s/%s.onnx", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b.ptr, 1, b.len, f) != b.len || fclose(f)) die(path);
    clo_buf_free(&b);
    size_t n = 1;
    for (size_t i = 0; i < rank; i++) n *= (size_t)dims[i];
    float *x = randn(n, 1.0f);
    snprintf(path, sizeof path, "%s/%s.in", dir, name);
    f = fopen(path, "wb");
    if (!f || fwrite(x, sizeof(float), n, f) != n || fclose(f)) die(path);
    free(x);
    fprintf(manifest, "%s\"%s\":{\"input\":\"x\",\"shape\":[", first ? "" : ",", name);
    for (size_t i = 0; i < rank; i++) fprintf(manifest, "%s%lld", i ? "," : "", (long long)dims[i]);
    fprintf(manifest, "]}");
}

static void gen_cnn(const char *dir, FILE *mf)
{
    /* MNIST-class: 1x28x28 -> conv 8 3x3 -> relu -> pool 2 -> conv 16 3x3 -> relu -> pool 2 -> fc
     * 10 */
    clo_onnxw w;
    int64_t d[4] = {1, 1, 28, 28}, od[2] = {1, 10};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", 1, 4, d);
    clo_onnxw_output(&w, "y", 1, 2, od);
    conv(&w, "x", "c1", 1, 8, 3, 1, 1);
    unary(&w, "Relu", "c1", "r1");
    maxpool(&w, "r1", "p1", 2, 2, 0);
    conv(&w, "p1", "c2", 8, 16, 3, 1, 1);
    unary(&w, "Relu", "c2", "r2");
    maxpool(&w, "r2", "p2", 2, 2, 0);
    unary(&w, "Flatten", "p2", "f");
    gemm(&w, "f", "y", 16 * 7 * 7, 10);
    save(&w, dir, "cnn_mnist", 0, 4, d, mf, 1);
}

static void gen_mlp(const char *dir, FILE *mf)
{
    clo_onnxw w;
    int64_t d[2] = {1, 784}, od[2] = {1, 10};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", 1, 2, d);
    clo_onnxw_output(&w, "y", 1, 2, od);
    gemm(&w, "x", "h", 784, 128);
    unary(&w, "Relu", "h", "r");
    gemm(&w, "r", "y", 128, 10);
    save(&w, dir, "mlp_784_128_10", 0, 2, d, mf, 0);
}

static void gen_trees(const char *dir, FILE *mf)
{
    /* 100 full trees of depth 6 over 32 features, regression. */
    enum { T = 100, DEPTH = 6, F = 32 };
    size_t per = (1u << (DEPTH + 1)) - 1, nn = T * per, nl = T * (1u << DEPTH);
    int64_t *tid = malloc(nn * 8), *nid = malloc(nn * 8), *feat = malloc(nn * 8),
            *yes = malloc(nn * 8), *no = malloc(nn * 8);
    float *val = malloc(nn * 4), *lw = malloc(nl * 4);
    int64_t *lt = malloc(nl * 8), *ln = malloc(nl * 8), *lid = malloc(nl * 8);
    const char **modes = malloc(nn * sizeof *modes);
    if (!tid || !nid || !feat || !yes || !no || !val || !lw || !lt || !ln || !lid || !modes)
        die("malloc");
    size_t k = 0, l = 0;
    for (int t = 0; t < T; t++)
        for (size_t i = 0; i < per; i++, k++) {
            int leaf = i >= per / 2;
            tid[k] = t;
            nid[k] = (int64_t)i;
            feat[k] = leaf ? 0 : (int64_t)((rng >> 7) % F);
            uniform();
            val[k] = leaf ? 0 : uniform() * 0.5f;
            yes[k] = leaf ? 0 : (int64_t)(2 * i + 1);
            no[k] = leaf ? 0 : (int64_t)(2 * i + 2);
            modes[k] = leaf ? "LEAF" : "BRANCH_LEQ";
            if (leaf) {
                lt[l] = t;
                ln[l] = (int64_t)i;
                lid[l] = 0;
                lw[l++] = uniform();
            }
        }
    clo_onnxw w;
    int64_t d[2] = {1, F}, od[2] = {1, 1};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", 1, 2, d);
    clo_onnxw_output(&w, "y", 1, 2, od);
    clo_onnxw_attr_ints(&w, "nodes_treeids", tid, nn);
    clo_onnxw_attr_ints(&w, "nodes_nodeids", nid, nn);
    clo_onnxw_attr_ints(&w, "nodes_featureids", feat, nn);
    clo_onnxw_attr_floats(&w, "nodes_values", val, nn);
    clo_onnxw_attr_strings(&w, "nodes_modes", modes, nn);
    clo_onnxw_attr_ints(&w, "nodes_truenodeids", yes, nn);
    clo_onnxw_attr_ints(&w, "nodes_falsenodeids", no, nn);
    clo_onnxw_attr_ints(&w, "target_treeids", lt, nl);
    clo_onnxw_attr_ints(&w, "target_nodeids", ln, nl);
    clo_onnxw_attr_ints(&w, "target_ids", lid, nl);
    clo_onnxw_attr_floats(&w, "target_weights", lw, nl);
    clo_onnxw_attr_int(&w, "n_targets", 1);
    const char *in[1] = {"x"}, *out[1] = {"y"};
    clo_onnxw_node(&w, "TreeEnsembleRegressor", "ai.onnx.ml", in, 1, out, 1);
    save(&w, dir, "trees_100", 3, 2, d, mf, 0);
    free(tid), free(nid), free(feat), free(yes), free(no), free(val), free(lw), free(lt), free(ln),
        free(lid);
    free(modes);
}

static void matmul_w(clo_onnxw *w, const char *x, const char *y, int64_t k, int64_t n)
{
    char wn[32];
    int64_t wd[2] = {k, n};
    fresh(wn, "W");
    weights(w, wn, 2, wd, sqrtf(3.0f / (float)k));
    binary(w, "MatMul", x, wn, y);
}

static void layernorm(clo_onnxw *w, const char *x, const char *y, int64_t d)
{
    char sn[32], bn[32];
    int64_t dd[1] = {d};
    fresh(sn, "S");
    fresh(bn, "B");
    float *one = malloc((size_t)d * 4), *zero = calloc((size_t)d, 4);
    if (!one || !zero) die("malloc");
    for (int64_t i = 0; i < d; i++) one[i] = 1.0f;
    clo_onnxw_init_floats(w, sn, 1, dd, one);
    clo_onnxw_init_floats(w, bn, 1, dd, zero);
    free(one);
    free(zero);
    clo_onnxw_attr_int(w, "axis", -1);
    const char *in[3] = {x, sn, bn}, *out[1] = {y};
    clo_onnxw_node(w, "LayerNormalization", NULL, in, 3, out, 1);
}

static void gen_transformer(const char *dir, FILE *mf)
{
    /* One pre-norm block, seq 8, d 16, 2 heads of 8, MLP 16-64-16 with GELU (Erf form). */
    clo_onnxw w;
    int64_t d[3] = {1, 8, 16};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", 1, 3, d);
    clo_onnxw_output(&w, "y", 1, 3, d);
    const int64_t heads[4] = {1, 8, 2, 8}, merged[3] = {1, 8, 16}, sdim[1] = {4}, mdim[1] = {3};
    clo_onnxw_init_ints(&w, "heads", 1, sdim, heads);
    clo_onnxw_init_ints(&w, "merged", 1, mdim, merged);
    const float scale = 1.0f / sqrtf(8.0f), half = 0.5f, one = 1.0f, rsqrt2 = 0.70710678f;
    clo_onnxw_init_floats(&w, "scale", 0, NULL, &scale);
    clo_onnxw_init_floats(&w, "half", 0, NULL, &half);
    clo_onnxw_init_floats(&w, "one", 0, NULL, &one);
    clo_onnxw_init_floats(&w, "rsqrt2", 0, NULL, &rsqrt2);
    layernorm(&w, "x", "ln1", 16);
    const char *qkv[3] = {"q", "k", "v"};
    for (int i = 0; i < 3; i++) {
        char a[16], b[16];
        snprintf(a, sizeof a, "%s_p", qkv[i]);
        matmul_w(&w, "ln1", a, 16, 16);
        snprintf(b, sizeof b, "%s_h", qkv[i]);
        binary(&w, "Reshape", a, "heads", b);
        const int64_t perm[4] = {0, 2, i == 1 ? 3 : 1, i == 1 ? 1 : 3};
        clo_onnxw_attr_ints(&w, "perm", perm, 4);
        unary(&w, "Transpose", b, qkv[i]); /* q, v: [1,2,8,8]; k: [1,2,8,8] transposed */
    }
    binary(&w, "MatMul", "q", "k", "att");
    binary(&w, "Mul", "att", "scale", "att_s");
    clo_onnxw_attr_int(&w, "axis", -1);
    unary(&w, "Softmax", "att_s", "prob");
    binary(&w, "MatMul", "prob", "v", "ctx");
    const int64_t back[4] = {0, 2, 1, 3};
    clo_onnxw_attr_ints(&w, "perm", back, 4);
    unary(&w, "Transpose", "ctx", "ctx_t");
    binary(&w, "Reshape", "ctx_t", "merged", "ctx_m");
    matmul_w(&w, "ctx_m", "attn", 16, 16);
    binary(&w, "Add", "x", "attn", "res1");
    layernorm(&w, "res1", "ln2", 16);
    matmul_w(&w, "ln2", "h1", 16, 64);
    binary(&w, "Mul", "h1", "rsqrt2", "g1");
    unary(&w, "Erf", "g1", "g2");
    binary(&w, "Add", "g2", "one", "g3");
    binary(&w, "Mul", "h1", "g3", "g4");
    binary(&w, "Mul", "g4", "half", "gelu");
    matmul_w(&w, "gelu", "h2", 64, 16);
    binary(&w, "Add", "res1", "h2", "y");
    save(&w, dir, "transformer_block", 0, 3, d, mf, 0);
}

/* ResNet-50 with batch norm folded into the convolutions' bias (as inference
 * exports are once optimised), random He-scaled weights. */
static void bottleneck(clo_onnxw *w, const char *x, char *y, int64_t cin, int64_t mid,
                       int64_t stride, int proj)
{
    char a[32], ar[32], b[32], br[32], c[32], sc[32], sum[32];
    fresh(a, "a");
    fresh(ar, "ar");
    fresh(b, "b");
    fresh(br, "br");
    fresh(c, "c");
    fresh(sum, "s");
    conv(w, x, a, cin, mid, 1, 1, 0);
    unary(w, "Relu", a, ar);
    conv(w, ar, b, mid, mid, 3, stride, 1);
    unary(w, "Relu", b, br);
    conv(w, br, c, mid, mid * 4, 1, 1, 0);
    const char *skip = x;
    if (proj) {
        fresh(sc, "p");
        conv(w, x, sc, cin, mid * 4, 1, stride, 0);
        skip = sc;
    }
    binary(w, "Add", c, skip, sum);
    fresh(y, "y");
    unary(w, "Relu", sum, y);
}

static void gen_resnet50(const char *dir, FILE *mf)
{
    clo_onnxw w;
    int64_t d[4] = {1, 3, 224, 224}, od[2] = {1, 1000};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", 1, 4, d);
    clo_onnxw_output(&w, "y", 1, 2, od);
    conv(&w, "x", "stem", 3, 64, 7, 2, 3);
    unary(&w, "Relu", "stem", "stem_r");
    maxpool(&w, "stem_r", "pool", 3, 2, 1);
    char cur[32] = "pool", next[32];
    const int blocks[4] = {3, 4, 6, 3};
    int64_t cin = 64;
    for (int s = 0; s < 4; s++) {
        int64_t mid = 64 << s;
        for (int b = 0; b < blocks[s]; b++) {
            bottleneck(&w, cur, next, cin, mid, (b == 0 && s > 0) ? 2 : 1, b == 0);
            strcpy(cur, next);
            cin = mid * 4;
        }
    }
    unary(&w, "GlobalAveragePool", cur, "gap");
    unary(&w, "Flatten", "gap", "flat");
    gemm(&w, "flat", "y", 2048, 1000);
    save(&w, dir, "resnet50", 0, 4, d, mf, 0);
}

/* An 8-bit quantized CNN in the QOperator form (as onnxruntime's quantizer
 * writes it): QuantizeLinear, QLinearConv layers (uint8 activations with
 * zero point 128, int8 weights with per-channel scales, int32 biases), and
 * DequantizeLinear. 64 x 56 x 56 in: four 3x3 64 -> 64, a 1x1 64 -> 256 and
 * a 3x3 stride 2 256 -> 128 (ResNet's middle layers). */
/* The scale a QLinearConv layer gives its output (the next layer's input
 * scale): a typical sum (bytes about 50 from their zero point, weights about
 * 73 from 0, over cin k k taps) lands about 40 steps from 128. */
static float qscale(float xs, int64_t cin, int64_t k)
{
    return xs * 0.001f * sqrtf((float)(cin * k * k)) * 50.0f * 73.0f / 40.0f;
}

static void qconv(clo_onnxw *w, const char *x, const char *y, int64_t cin, int64_t cout, int64_t k,
                  int64_t stride, int64_t pad, float xs)
{
    char wn[32], wsn[32], wzn[32], bn[32], ysn[32], yzn[32], xsn[32], xzn[32];
    int64_t wd[4] = {cout, cin, k, k}, cd[1] = {cout};
    size_t nw = (size_t)(cout * cin * k * k);
    int8_t *wq = malloc(nw), *wz = calloc((size_t)cout, 1);
    float *ws = malloc((size_t)cout * sizeof *ws);
    int32_t *b = malloc((size_t)cout * sizeof *b);
    if (!wq || !wz || !ws || !b) die("malloc");
    for (size_t i = 0; i < nw; i++) wq[i] = (int8_t)(uniform() * 127.0f);
    for (int64_t c = 0; c < cout; c++)
        ws[c] = 0.001f * (1.0f + 0.01f * (float)c), b[c] = (int32_t)(uniform() * 2000.0f);
    float ys = qscale(xs, cin, k);
    uint8_t zp = 128;
    fresh(wn, "qW"), fresh(wsn, "qWs"), fresh(wzn, "qWz"), fresh(bn, "qB");
    fresh(ysn, "qYs"), fresh(yzn, "qYz"), fresh(xsn, "qXs"), fresh(xzn, "qXz");
    clo_onnxw_init_raw(w, wn, CLO_ONNX_INT8, 4, wd, wq);
    clo_onnxw_init_raw(w, wsn, CLO_ONNX_FLOAT, 1, cd, ws);
    clo_onnxw_init_raw(w, wzn, CLO_ONNX_INT8, 1, cd, wz);
    clo_onnxw_init_raw(w, bn, CLO_ONNX_INT32, 1, cd, b);
    clo_onnxw_init_raw(w, xsn, CLO_ONNX_FLOAT, 0, NULL, &xs);
    clo_onnxw_init_raw(w, xzn, CLO_ONNX_UINT8, 0, NULL, &zp);
    clo_onnxw_init_raw(w, ysn, CLO_ONNX_FLOAT, 0, NULL, &ys);
    clo_onnxw_init_raw(w, yzn, CLO_ONNX_UINT8, 0, NULL, &zp);
    const int64_t ks[2] = {k, k}, st[2] = {stride, stride}, pads[4] = {pad, pad, pad, pad};
    clo_onnxw_attr_ints(w, "kernel_shape", ks, 2);
    clo_onnxw_attr_ints(w, "strides", st, 2);
    clo_onnxw_attr_ints(w, "pads", pads, 4);
    const char *in[9] = {x, xsn, xzn, wn, wsn, wzn, ysn, yzn, bn}, *out[1] = {y};
    clo_onnxw_node(w, "QLinearConv", NULL, in, 9, out, 1);
    free(wq), free(wz), free(ws), free(b);
}

static void gen_qcnn(const char *dir, FILE *mf)
{
    clo_onnxw w;
    int64_t d[4] = {1, 64, 56, 56}, od[4] = {1, 128, 28, 28};
    float xs = 0.01f;
    uint8_t zp = 128;
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", 1, 4, d);
    clo_onnxw_output(&w, "y", 1, 4, od);
    clo_onnxw_init_raw(&w, "xs", CLO_ONNX_FLOAT, 0, NULL, &xs);
    clo_onnxw_init_raw(&w, "xz", CLO_ONNX_UINT8, 0, NULL, &zp);
    const char *qin[3] = {"x", "xs", "xz"}, *qout[1] = {"q0"};
    clo_onnxw_node(&w, "QuantizeLinear", NULL, qin, 3, qout, 1);
    char cur[32] = "q0", next[32];
    for (int i = 0; i < 4; i++) {
        fresh(next, "q");
        qconv(&w, cur, next, 64, 64, 3, 1, 1, xs);
        xs = qscale(xs, 64, 3);
        strcpy(cur, next);
    }
    fresh(next, "q");
    qconv(&w, cur, next, 64, 256, 1, 1, 0, xs);
    xs = qscale(xs, 64, 1);
    strcpy(cur, next);
    fresh(next, "q");
    qconv(&w, cur, next, 256, 128, 3, 2, 1, xs);
    float ys = 0.05f; /* any scale reads the last layer's bytes: one in a sane range */
    clo_onnxw_init_raw(&w, "ys", CLO_ONNX_FLOAT, 0, NULL, &ys);
    clo_onnxw_init_raw(&w, "yz", CLO_ONNX_UINT8, 0, NULL, &zp);
    const char *din[3] = {next, "ys", "yz"}, *dout[1] = {"y"};
    clo_onnxw_node(&w, "DequantizeLinear", NULL, din, 3, dout, 1);
    save(&w, dir, "qcnn_int8", 0, 4, d, mf, 0);
}

static void gen(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *mf = fopen(path, "w");
    if (!mf) die(path);
    fprintf(mf, "{");
    gen_cnn(dir, mf);
    gen_mlp(dir, mf);
    gen_trees(dir, mf);
    gen_transformer(dir, mf);
    gen_resnet50(dir, mf);
    gen_qcnn(dir, mf);
    fprintf(mf, "}\n");
    if (fclose(mf)) die(path);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) die(path);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *p = malloc((size_t)sz + 1);
    if (!p || fread(p, 1, (size_t)sz, f) != (size_t)sz) die(path);
    fclose(f);
    *n = (size_t)sz;
    return p;
}

static void run(const char *model, const char *input, int iters, const char *shape_csv)
{
    size_t mlen, ilen;
    uint8_t *mb = slurp(model, &mlen);
    float *x = slurp(input, &ilen);
    clo_onnx_model m;
    if (clo_onnx_load(CLO_BYTES(mb, mlen), &m).code) die(m.why);
    clo_tensor feed;
    memset(&feed, 0, sizeof feed);
    feed.dtype = 1;
    feed.count = 1;
    char *s = strdup(shape_csv), *tok, *save = NULL;
    if (!s) die("malloc");
    for (tok = strtok_r(s, ",", &save); tok && feed.shape.rank < 8;
         tok = strtok_r(NULL, ",", &save)) {
        feed.shape.d[feed.shape.rank++] = strtoll(tok, NULL, 10);
        feed.count *= (uint64_t)feed.shape.d[feed.shape.rank - 1];
    }
    free(s);
    if (feed.count * 4 != ilen) die("input size");
    feed.data = x;
    clo_onnx_plan *p;
    char why[CLO_ONNX_WHY];
    if (clo_onnx_plan_new(&m, &feed, 1, &p, why).code) die(why);
    double *t = malloc((size_t)iters * sizeof *t);
    if (!t) die("malloc");
    for (int i = 0; i < 3; i++)
        if (clo_onnx_plan_run(p, &feed, 1).code) die("run");
    for (int i = 0; i < iters; i++) {
        double t0 = now_s();
        if (clo_onnx_plan_run(p, &feed, 1).code) die("run");
        t[i] = (now_s() - t0) * 1e6;
    }
    double sum = 0;
    for (int i = 0; i < iters; i++) sum += t[i];
    qsort(t, (size_t)iters, sizeof *t, cmp_d);
    const clo_tensor *o = clo_onnx_plan_output(p, 0);
    printf("{\"mean_us\":%.3f,\"p50_us\":%.3f,\"p99_us\":%.3f,\"arena_bytes\":%zu,\"out\":[",
           sum / iters, t[iters / 2],
           t[(size_t)((double)iters * 0.99) < (size_t)iters ? (size_t)((double)iters * 0.99)
                                                            : (size_t)iters - 1],
           clo_onnx_plan_arena_size(p));
    for (uint64_t i = 0; i < o->count && i < 8; i++)
        printf("%s%.9g", i ? "," : "", ((const float *)o->data)[i]);
    printf("],\"count\":%llu}\n", (unsigned long long)o->count);
    free(t);
    clo_onnx_plan_free(p);
    clo_onnx_free(&m);
    free(mb);
    free(x);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "gen")) {
        gen(argv[2]);
        return 0;
    }
    if (argc == 6 && !strcmp(argv[1], "run")) {
        run(argv[2], argv[3], atoi(argv[4]), argv[5]);
        return 0;
    }
    fprintf(stderr, "usage: clo_bench_onnx gen DIR | run MODEL INPUT ITERS SHAPE_CSV\n");
    return 2;
}
