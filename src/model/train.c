/* train.c — see train.h. Plain full-batch gradient descent (logistic
 * regression) and mini-batch Adam (MLP) with softmax cross-entropy; sums in
 * double. Small on purpose: the data sets of the flow have hundreds of rows. */
#include "model/train.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/onnx/plan.h"
#include "workloads/onnx/writer.h"

/* ---- CSV ---- */

static int next_line(clo_bytes text, size_t *off, clo_bytes *line)
{
    if (*off >= text.len) return 0;
    size_t s = *off, e = s;
    while (e < text.len && text.ptr[e] != '\n') e++;
    *line = CLO_BYTES(text.ptr + s, e - s);
    if (line->len && line->ptr[line->len - 1] == '\r') line->len--;
    *off = e + 1;
    return 1;
}

/* The next comma-separated field of line as a number. */
static int field_num(clo_bytes line, size_t *pos, double *v)
{
    char buf[64];
    size_t s = *pos, e = s;
    while (e < line.len && line.ptr[e] != ',') e++;
    if (e == s || e - s >= sizeof buf) return -1;
    memcpy(buf, line.ptr + s, e - s);
    buf[e - s] = 0;
    char *end;
    *v = strtod(buf, &end);
    if (*end || !isfinite(*v) || fabs(*v) > FLT_MAX) return -1; /* features are float32 */
    *pos = e < line.len ? e + 1 : e;
    return 0;
}

clo_err clo_dataset_parse_csv(clo_bytes text, clo_dataset *d, size_t *bad_line)
{
    memset(d, 0, sizeof *d);
    *bad_line = 1;
    size_t off = 0, pos = 0;
    clo_bytes line;
    double rows, feats;
    CLO_ENSURE(next_line(text, &off, &line), CLO_E_FORMAT, "csv: empty");
    CLO_ENSURE(!field_num(line, &pos, &rows) && !field_num(line, &pos, &feats), CLO_E_FORMAT,
               "csv: header: rows and features");
    CLO_ENSURE(rows >= 1 && rows <= CLO_TRAIN_MAX_ROWS && feats >= 1 &&
                   feats <= CLO_TRAIN_MAX_FEATURES && rows == floor(rows) && feats == floor(feats),
               CLO_E_LIMIT, "csv: header: rows or features out of range");
    while (pos < line.len && d->classes < 8) { /* class names */
        size_t s = pos, e = s;
        while (e < line.len && line.ptr[e] != ',') e++;
        size_t n = e - s < 31 ? e - s : 31;
        CLO_ENSURE(n > 0, CLO_E_FORMAT, "csv: header: an empty class name");
        memcpy(d->class_names[d->classes], line.ptr + s, n);
        d->class_names[d->classes][n] = 0;
        d->classes++;
        pos = e < line.len ? e + 1 : e;
    }
    CLO_ENSURE(d->classes >= 2, CLO_E_FORMAT, "csv: header: at least two class names");
    d->rows = (size_t)rows;
    d->features = (size_t)feats;
    d->x = malloc(d->rows * d->features * sizeof *d->x);
    d->y = malloc(d->rows * sizeof *d->y);
    if (!d->x || !d->y) {
        clo_dataset_free(d);
        return CLO_ERR(CLO_E_NOMEM, "csv");
    }
    for (size_t r = 0; r < d->rows; r++) {
        *bad_line = r + 2;
        if (!next_line(text, &off, &line)) {
            clo_dataset_free(d);
            return CLO_ERR(CLO_E_FORMAT, "csv: fewer rows than the header says");
        }
        pos = 0;
        double v;
        for (size_t f = 0; f < d->features; f++) {
            if (field_num(line, &pos, &v)) goto bad;
            d->x[r * d->features + f] = (float)v;
        }
        if (field_num(line, &pos, &v) || pos != line.len || v < 0 || v >= (double)d->classes ||
            v != floor(v))
            goto bad;
        d->y[r] = (int32_t)v;
        continue;
    bad:
        clo_dataset_free(d);
        return CLO_ERR(CLO_E_FORMAT, "csv: a row is not its features and a class index");
    }
    *bad_line = d->rows + 2;
    while (next_line(text, &off, &line))
        if (line.len) {
            clo_dataset_free(d);
            return CLO_ERR(CLO_E_FORMAT, "csv: more rows than the header says");
        }
    *bad_line = 0;
    return CLO_OK;
}

void clo_dataset_free(clo_dataset *d)
{
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

/* ---- training ---- */

void clo_train_defaults(clo_model_kind kind, clo_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->hidden = 16;
    o->epochs = kind == CLO_MODEL_LOGREG ? 500 : 200;
    o->learning_rate = kind == CLO_MODEL_LOGREG ? 0.5f : 0.01f;
    o->l2 = 1e-3f;
    o->seed = 20261121;
    o->test_fraction = 0.2;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static float rnd_unit(uint64_t *s) /* [-1, 1) */
{
    return (float)((double)(rnd(s) >> 11) / (double)(1ull << 53) * 2.0 - 1.0);
}

typedef struct {
    size_t f, h, c;           /* features, hidden (0: logistic regression), classes */
    float *w1, *b1, *w2, *b2; /* w1: h x f, w2: c x (h or f) */
} net;

/* Forward one row: logits into z (c), hidden activations into a (h). */
static void forward(const net *n, const float *x, float *a, float *z)
{
    const float *in = x;
    size_t k = n->f;
    if (n->h) {
        for (size_t j = 0; j < n->h; j++) {
            double s = n->b1[j];
            for (size_t i = 0; i < n->f; i++) s += (double)n->w1[j * n->f + i] * x[i];
            a[j] = s > 0 ? (float)s : 0.0f;
        }
        in = a;
        k = n->h;
    }
    for (size_t c = 0; c < n->c; c++) {
        double s = n->b2[c];
        for (size_t i = 0; i < k; i++) s += (double)n->w2[c * k + i] * in[i];
        z[c] = (float)s;
    }
}

static void softmax(float *z, size_t c)
{
    float mx = z[0];
    for (size_t i = 1; i < c; i++) mx = z[i] > mx ? z[i] : mx;
    double s = 0;
    for (size_t i = 0; i < c; i++) s += (z[i] = expf(z[i] - mx));
    for (size_t i = 0; i < c; i++) z[i] = (float)(z[i] / s);
}

static size_t argmax(const float *z, size_t c)
{
    size_t b = 0;
    for (size_t i = 1; i < c; i++)
        if (z[i] > z[b]) b = i;
    return b;
}

/* One Adam step (or plain gradient descent when adam is 0) over params. */
static void step(float *p, const double *g, float *m, float *v, size_t n, float lr, float l2,
                 int adam, size_t t)
{
    for (size_t i = 0; i < n; i++) {
        float gi = (float)g[i] + l2 * p[i];
        if (!adam) {
            p[i] -= lr * gi;
            continue;
        }
        m[i] = 0.9f * m[i] + 0.1f * gi;
        v[i] = 0.999f * v[i] + 0.001f * gi * gi;
        float mh = m[i] / (1.0f - powf(0.9f, (float)t)),
              vh = v[i] / (1.0f - powf(0.999f, (float)t));
        p[i] -= lr * mh / (sqrtf(vh) + 1e-8f);
    }
}

static clo_err export_onnx(const net *n, const float *mean, const float *inv_std, clo_buf *out)
{
    clo_onnxw w;
    int64_t din[2] = {-1, (int64_t)n->f}, dp[2] = {-1, (int64_t)n->c}, dd[1] = {-1};
    int64_t df[1] = {(int64_t)n->f};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "record", CLO_ONNX_FLOAT, 2, din);
    clo_onnxw_output(&w, "probabilities", CLO_ONNX_FLOAT, 2, dp);
    clo_onnxw_output(&w, "diagnosis", CLO_ONNX_INT64, 1, dd);
    clo_onnxw_init_floats(&w, "mean", 1, df, mean);
    clo_onnxw_init_floats(&w, "inv_std", 1, df, inv_std);
    const char *sub_in[2] = {"record", "mean"}, *sub_out[1] = {"centred"};
    clo_onnxw_node(&w, "Sub", NULL, sub_in, 2, sub_out, 1);
    const char *mul_in[2] = {"centred", "inv_std"}, *mul_out[1] = {"x"};
    clo_onnxw_node(&w, "Mul", NULL, mul_in, 2, mul_out, 1);
    const char *last = "x";
    if (n->h) {
        int64_t d1[2] = {(int64_t)n->h, (int64_t)n->f}, b1[1] = {(int64_t)n->h};
        clo_onnxw_init_floats(&w, "W1", 2, d1, n->w1);
        clo_onnxw_init_floats(&w, "B1", 1, b1, n->b1);
        clo_onnxw_attr_int(&w, "transB", 1);
        const char *g_in[3] = {"x", "W1", "B1"}, *g_out[1] = {"h"};
        clo_onnxw_node(&w, "Gemm", NULL, g_in, 3, g_out, 1);
        const char *r_in[1] = {"h"}, *r_out[1] = {"hr"};
        clo_onnxw_node(&w, "Relu", NULL, r_in, 1, r_out, 1);
        last = "hr";
    }
    size_t k = n->h ? n->h : n->f;
    int64_t d2[2] = {(int64_t)n->c, (int64_t)k}, b2[1] = {(int64_t)n->c};
    clo_onnxw_init_floats(&w, "W2", 2, d2, n->w2);
    clo_onnxw_init_floats(&w, "B2", 1, b2, n->b2);
    clo_onnxw_attr_int(&w, "transB", 1);
    const char *g_in[3] = {last, "W2", "B2"}, *g_out[1] = {"logits"};
    clo_onnxw_node(&w, "Gemm", NULL, g_in, 3, g_out, 1);
    clo_onnxw_attr_int(&w, "axis", 1);
    const char *s_in[1] = {"logits"}, *s_out[1] = {"probabilities"};
    clo_onnxw_node(&w, "Softmax", NULL, s_in, 1, s_out, 1);
    clo_onnxw_attr_int(&w, "axis", 1);
    clo_onnxw_attr_int(&w, "keepdims", 0);
    const char *a_in[1] = {"probabilities"}, *a_out[1] = {"diagnosis"};
    clo_onnxw_node(&w, "ArgMax", NULL, a_in, 1, a_out, 1);
    return clo_onnxw_finish(&w, n->h ? "cloister-diagnosis-mlp" : "cloister-diagnosis-logreg", 13,
                            0, out);
}

clo_err clo_train(const clo_dataset *d, const clo_train_opts *o, clo_buf *out, clo_train_report *r)
{
    memset(r, 0, sizeof *r);
    size_t F = d->features, C = d->classes, N = d->rows,
           H = o->kind == CLO_MODEL_MLP ? o->hidden : 0;
    CLO_ENSURE(N >= 10 && o->test_fraction > 0 && o->test_fraction < 0.9 &&
                   (H || o->kind == CLO_MODEL_LOGREG) && H <= 4096,
               CLO_E_ARG, "train: options");
    uint64_t seed = o->seed ? o->seed : 1;
    /* the split: a seeded shuffle */
    uint32_t *idx = malloc(N * sizeof *idx);
    float *mean = calloc(F, sizeof *mean), *inv = calloc(F, sizeof *inv);
    float *xs = malloc(N * F * sizeof *xs);
    net n = {F, H, C, NULL, NULL, NULL, NULL};
    size_t k = H ? H : F, np1 = H * F + H, np2 = C * k + C;
    float *params = calloc(np1 + np2, sizeof *params), *m = calloc(np1 + np2, sizeof *m),
          *v = calloc(np1 + np2, sizeof *v);
    double *grad = calloc(np1 + np2, sizeof *grad);
    float *a = calloc(k + 1, sizeof *a), *z = calloc(C, sizeof *z);
    float *da = calloc(k + 1, sizeof *da);
    clo_err err = CLO_OK;
    if (!idx || !mean || !inv || !xs || !params || !m || !v || !grad || !a || !z || !da) {
        err = CLO_ERR(CLO_E_NOMEM, "train");
        goto out;
    }
    for (size_t i = 0; i < N; i++) idx[i] = (uint32_t)i;
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = (size_t)(rnd(&seed) % (i + 1));
        uint32_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    size_t test = (size_t)((double)N * o->test_fraction + 0.5), train = N - test;
    /* standardisation from the training rows only */
    for (size_t f = 0; f < F; f++) {
        double s = 0, q = 0;
        for (size_t i = 0; i < train; i++) s += d->x[idx[i] * F + f];
        double mu = s / (double)train;
        for (size_t i = 0; i < train; i++) {
            double t = d->x[idx[i] * F + f] - mu;
            q += t * t;
        }
        double sd = sqrt(q / (double)train);
        mean[f] = (float)mu;
        inv[f] = (float)(sd > 1e-12 ? 1.0 / sd : 1.0);
    }
    for (size_t i = 0; i < N; i++)
        for (size_t f = 0; f < F; f++) xs[i * F + f] = (d->x[i * F + f] - mean[f]) * inv[f];
    n.w1 = params;
    n.b1 = params + H * F;
    n.w2 = params + np1;
    n.b2 = params + np1 + C * k;
    float scale1 = H ? sqrtf(6.0f / (float)F) : 0, scale2 = sqrtf(6.0f / (float)(k + C));
    for (size_t i = 0; i < H * F; i++) n.w1[i] = rnd_unit(&seed) * scale1;
    for (size_t i = 0; i < C * k; i++) n.w2[i] = H ? rnd_unit(&seed) * scale2 : 0.0f;
    size_t batch = H ? 32 : train, t = 0;
    double loss = 0;
    for (size_t ep = 0; ep < o->epochs; ep++) {
        loss = 0;
        for (size_t b0 = 0; b0 < train; b0 += batch) {
            size_t b1 = b0 + batch < train ? b0 + batch : train;
            memset(grad, 0, (np1 + np2) * sizeof *grad);
            for (size_t bi = b0; bi < b1; bi++) {
                size_t row = idx[bi];
                const float *x = xs + row * F;
                forward(&n, x, a, z);
                softmax(z, C);
                loss -= log(z[d->y[row]] + 1e-12);
                const float *in = H ? a : x;
                memset(da, 0, (k + 1) * sizeof *da);
                for (size_t c = 0; c < C; c++) {
                    double dz = (double)z[c] - (c == (size_t)d->y[row]);
                    grad[np1 + C * k + c] += dz;
                    for (size_t i = 0; i < k; i++) {
                        grad[np1 + c * k + i] += dz * in[i];
                        if (H) da[i] += (float)(dz * n.w2[c * k + i]);
                    }
                }
                for (size_t j = 0; j < H; j++) {
                    if (a[j] <= 0) continue;
                    grad[H * F + j] += da[j];
                    for (size_t i = 0; i < F; i++) grad[j * F + i] += (double)da[j] * x[i];
                }
            }
            for (size_t i = 0; i < np1 + np2; i++) grad[i] /= (double)(b1 - b0);
            step(params, grad, m, v, np1 + np2, o->learning_rate, o->l2, H != 0, ++t);
        }
    }
    size_t right = 0;
    for (size_t i = 0; i < train; i++) {
        forward(&n, xs + idx[i] * F, a, z);
        right += argmax(z, C) == (size_t)d->y[idx[i]];
    }
    r->train_rows = train;
    r->test_rows = test;
    r->train_accuracy = (double)right / (double)train;
    r->final_loss = loss / (double)train;
    r->test_index = malloc((test + 1) * sizeof *r->test_index);
    if (!r->test_index) {
        err = CLO_ERR(CLO_E_NOMEM, "train");
        goto out;
    }
    memcpy(r->test_index, idx + train, test * sizeof *idx);
    err = export_onnx(&n, mean, inv, out);
out:
    free(idx), free(mean), free(inv), free(xs), free(params), free(m), free(v), free(grad);
    free(a), free(z), free(da);
    return err;
}

void clo_train_report_free(clo_train_report *r)
{
    free(r->test_index);
    memset(r, 0, sizeof *r);
}

clo_err clo_train_evaluate(clo_bytes model, const clo_dataset *d, const uint32_t *idx, size_t n,
                           double *accuracy)
{
    clo_onnx_model m;
    clo_onnx_plan *p = NULL;
    char why[CLO_ONNX_WHY];
    *accuracy = 0;
    CLO_ENSURE(n > 0, CLO_E_ARG, "evaluate: no rows");
    CLO_TRY(clo_onnx_load(model, &m));
    float *x = malloc(n * d->features * sizeof *x);
    clo_err err = CLO_OK;
    CLO_FAIL_IF(!x, CLO_E_NOMEM, "evaluate");
    for (size_t i = 0; i < n; i++)
        memcpy(x + i * d->features, d->x + (size_t)idx[i] * d->features, d->features * sizeof *x);
    clo_tensor feed = {CLO_ONNX_FLOAT, {2, {(int64_t)n, (int64_t)d->features}}, n * d->features, x};
    CLO_CHECK(clo_onnx_plan_new(&m, &feed, 1, &p, why));
    CLO_CHECK(clo_onnx_plan_run(p, &feed, 1));
    const clo_tensor *diag = clo_onnx_plan_output(p, 1);
    CLO_FAIL_IF(!diag || diag->dtype != CLO_ONNX_INT64 || diag->count != n, CLO_E_FORMAT,
                "evaluate: the model's second output is not one class per row");
    size_t right = 0;
    for (size_t i = 0; i < n; i++) right += ((const int64_t *)diag->data)[i] == d->y[idx[i]];
    *accuracy = (double)right / (double)n;
out:
    clo_onnx_plan_free(p);
    clo_onnx_free(&m);
    free(x);
    return err;
}
