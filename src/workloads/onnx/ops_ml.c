/* ops_ml.c — the ONNX-ML operators used for tabular models (domain
 * ai.onnx.ml): LinearClassifier, LinearRegressor, TreeEnsembleClassifier,
 * TreeEnsembleRegressor, Scaler, Normalizer, Binarizer and ZipMap (whose
 * probabilities stay a tensor: the engine has no maps).
 *
 * Class labels are int64 or strings (clo_ml_labelset). Where
 * the specification leaves the binary case open, we follow onnxruntime,
 * the reference runtime converters target: a LinearClassifier with one
 * score column and two labels picks labels[1] when the raw score is > 0; a
 * TreeEnsembleClassifier whose weights all score one class c of two labels
 * has one score s, the summed weights (plus base_values[0] when c = 0), and
 * picks labels[1] when s > 0.5 (every weight positive) or s > 0 (otherwise).
 * Its probabilities, as onnxruntime 1.30 writes them: for c = 0 with at most
 * one base value, [1 - σ(s), σ(s)] under LOGISTIC, [probit(s), 0] under
 * PROBIT, else [1 - s, s] (every weight positive) or [-s, s]; otherwise the
 * transform of [s, 0] (c = 0) or [0, s] (c = 1). c = 1 with two base values
 * is refused: onnxruntime's answer to it ignores the trees.
 * Trees are checked when the plan is built: every child exists in its
 * tree, every tree has one root, and no node is reached twice. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/onnx/ml.h"

#define ML "ai.onnx.ml"

/* ======================= LinearClassifier, LinearRegressor ======================= */
typedef struct {
    clo_ml_fview coef, icpt;
    clo_ml_labelset labels;
    uint64_t n, c, e;
    int pt, classifier;
} linear_params;

static clo_err linear_prepare_kind(clo_onnx_prep *p, int classifier)
{
    linear_params *l = p->params;
    l->classifier = classifier;
    CLO_TRY(clo_ml_rows(p, &l->n, &l->c));
    CLO_TRY(clo_ml_floats_of(p, "coefficients", &l->coef));
    CLO_TRY(clo_ml_floats_of(p, "intercepts", &l->icpt));
    CLO_TRY(clo_ml_post_transform(p, &l->pt));
    if (!l->c || !l->coef.n || l->coef.n % l->c)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "coefficients must be targets x %llu features",
                               (unsigned long long)l->c);
    l->e = l->coef.n / l->c;
    if (l->icpt.n && l->icpt.n != l->e)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "intercepts must have one value per target");
    if (classifier) {
        int64_t mc;
        CLO_TRY(clo_onnx_attr_int(p, "multi_class", 0, &mc));
        CLO_TRY(clo_ml_labels(p, "classlabels_ints", "classlabels_strings", &l->labels));
        if (l->e == 1 ? l->labels.n > 2 : l->labels.n != l->e)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "%zu class labels for %llu score columns",
                                   l->labels.n, (unsigned long long)l->e);
        clo_shape ys = {1, {(int64_t)l->n}}, zs = {2, {(int64_t)l->n, (int64_t)l->e}};
        clo_onnx_set_out(p, 0, clo_ml_label_type(&l->labels), &ys);
        clo_onnx_set_out(p, 1, CLO_ONNX_FLOAT, &zs);
    } else {
        int64_t targets;
        CLO_TRY(clo_onnx_attr_int(p, "targets", 1, &targets));
        if (targets != (int64_t)l->e)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "targets is %lld, the coefficients give %llu",
                                   (long long)targets, (unsigned long long)l->e);
        clo_shape ys = {2, {(int64_t)l->n, (int64_t)l->e}};
        clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &ys);
    }
    return CLO_OK;
}

static clo_err linear_run(const clo_onnx_exec *x)
{
    const linear_params *l = x->params;
    float *z =
        l->classifier ? (x->nout > 1 && x->out[1] ? x->out[1]->data : x->scratch) : x->out[0]->data;
    for (uint64_t i = 0; i < l->n; i++) {
        float *row = z + i * l->e;
        for (uint64_t t = 0; t < l->e; t++) {
            double s = l->icpt.n ? l->icpt.v[t] : 0.0;
            for (uint64_t j = 0; j < l->c; j++)
                s += (double)l->coef.v[t * l->c + j] * clo_ml_x(x->in[0], i * l->c + j);
            row[t] = (float)s;
        }
        if (!l->classifier) {
            clo_ml_transform(l->pt, row, l->e);
            continue;
        }
        size_t k = l->e == 1 ? (row[0] > 0.0f && l->labels.n == 2) : clo_ml_argmax(row, l->e);
        if (l->e == 1 && l->labels.n == 1) k = 0;
        clo_ml_label_put(&l->labels, x->out[0], i, k);
        clo_ml_transform(l->pt, row, l->e);
    }
    return CLO_OK;
}

static clo_err linclf_prepare(clo_onnx_prep *p)
{
    CLO_TRY(linear_prepare_kind(p, 1));
    const linear_params *l = p->params;
    p->scratch = l->n * l->e * sizeof(float); /* scores when Z is not wanted */
    return CLO_OK;
}
static clo_err linreg_prepare(clo_onnx_prep *p)
{
    return linear_prepare_kind(p, 0);
}

static const clo_onnx_op op_linclf = {
    ML,
    "LinearClassifier",
    1,
    1,
    1,
    1,
    2,
    "coefficients,intercepts,multi_class,classlabels_ints,classlabels_strings,post_transform",
    sizeof(linear_params),
    linclf_prepare,
    linear_run};
static const clo_onnx_op op_linreg = {ML,
                                      "LinearRegressor",
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      "coefficients,intercepts,targets,post_transform",
                                      sizeof(linear_params),
                                      linreg_prepare,
                                      linear_run};

/* ======================= Scaler, Normalizer, Binarizer, ZipMap ======================= */
typedef struct {
    clo_ml_fview a, b; /* Scaler: offset, scale; */
    uint64_t n, c;
    int kind; /* 0 Scaler, 1 Normalizer, 2 Binarizer, 3 ZipMap */
    int norm; /* Normalizer: 0 MAX, 1 L1, 2 L2 */
    float threshold;
} rowop_params;

static clo_err scaler_prepare(clo_onnx_prep *p)
{
    rowop_params *r = p->params;
    CLO_TRY(clo_ml_rows(p, &r->n, &r->c));
    CLO_TRY(clo_ml_floats_of(p, "offset", &r->a));
    CLO_TRY(clo_ml_floats_of(p, "scale", &r->b));
    if ((r->a.n > 1 && r->a.n != r->c) || (r->b.n > 1 && r->b.n != r->c))
        return clo_onnx_refuse(p, CLO_E_FORMAT, "offset and scale must have 1 or C values");
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &p->in[0]->shape);
    return CLO_OK;
}

static clo_err normalizer_prepare(clo_onnx_prep *p)
{
    rowop_params *r = p->params;
    r->kind = 1;
    CLO_TRY(clo_ml_rows(p, &r->n, &r->c));
    clo_bytes s;
    CLO_TRY(clo_onnx_attr_str(p, "norm", "MAX", &s));
    if (clo_bytes_eq(s, clo_bytes_str("MAX")))
        r->norm = 0;
    else if (clo_bytes_eq(s, clo_bytes_str("L1")))
        r->norm = 1;
    else if (clo_bytes_eq(s, clo_bytes_str("L2")))
        r->norm = 2;
    else
        return clo_onnx_refuse(p, CLO_E_FORMAT, "norm must be MAX, L1 or L2");
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &p->in[0]->shape);
    return CLO_OK;
}

static clo_err binarizer_prepare(clo_onnx_prep *p)
{
    rowop_params *r = p->params;
    r->kind = 2;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    CLO_TRY(clo_onnx_attr_float(p, "threshold", 0.0f, &r->threshold));
    r->n = 1;
    r->c = p->in[0]->count;
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &p->in[0]->shape);
    return CLO_OK;
}

static clo_err zipmap_prepare(clo_onnx_prep *p)
{
    rowop_params *r = p->params;
    clo_ml_labelset labels;
    r->kind = 3;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    CLO_TRY(clo_ml_labels(p, "classlabels_int64s", "classlabels_strings", &labels));
    CLO_TRY(clo_ml_rows(p, &r->n, &r->c));
    if (labels.n != r->c)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "%zu labels for %llu columns", labels.n,
                               (unsigned long long)r->c);
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &p->in[0]->shape);
    return CLO_OK;
}

static clo_err rowop_run(const clo_onnx_exec *x)
{
    const rowop_params *r = x->params;
    float *y = x->out[0]->data;
    for (uint64_t i = 0; i < r->n; i++) {
        float *row = y + i * r->c;
        for (uint64_t j = 0; j < r->c; j++) row[j] = clo_ml_x(x->in[0], i * r->c + j);
        if (r->kind == 0) {
            for (uint64_t j = 0; j < r->c; j++) {
                float off = r->a.n ? r->a.v[r->a.n == 1 ? 0 : j] : 0.0f;
                float sc = r->b.n ? r->b.v[r->b.n == 1 ? 0 : j] : 1.0f;
                row[j] = (row[j] - off) * sc;
            }
        } else if (r->kind == 1) {
            /* MAX: X / max(X) (the largest value, as the specification says, not
             * the largest magnitude); L1: X / sum|X|; L2: X / sqrt(sum X^2). */
            double d = r->norm == 0 ? -INFINITY : 0;
            for (uint64_t j = 0; j < r->c; j++) {
                double v = row[j];
                if (r->norm == 0)
                    d = v > d ? v : d;
                else
                    d += r->norm == 1 ? fabs(v) : v * v;
            }
            if (r->norm == 2) d = sqrt(d);
            if (d != 0 && isfinite(d))
                for (uint64_t j = 0; j < r->c; j++) row[j] = (float)(row[j] / d);
        } else if (r->kind == 2) {
            for (uint64_t j = 0; j < r->c; j++) row[j] = row[j] > r->threshold ? 1.0f : 0.0f;
        }
    }
    return CLO_OK;
}

static const clo_onnx_op op_scaler = {
    ML, "Scaler", 1, 1, 1, 1, 1, "offset,scale", sizeof(rowop_params), scaler_prepare, rowop_run};
static const clo_onnx_op op_normalizer = {
    ML, "Normalizer", 1, 1, 1, 1, 1, "norm", sizeof(rowop_params), normalizer_prepare, rowop_run};
static const clo_onnx_op op_binarizer = {
    ML,       "Binarizer", 1, 1, 1, 1, 1, "threshold", sizeof(rowop_params), binarizer_prepare,
    rowop_run};
static const clo_onnx_op op_zipmap = {ML,
                                      "ZipMap",
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      "classlabels_int64s,classlabels_strings",
                                      sizeof(rowop_params),
                                      zipmap_prepare,
                                      rowop_run};

/* ======================= tree ensembles ======================= */
enum { M_LEQ, M_LT, M_GTE, M_GT, M_EQ, M_NEQ, M_LEAF, M_MEMBER };

typedef struct {
    float value;
    int32_t feature;
    uint8_t mode, missing_true;
    uint32_t yes, no;      /* node indices (absolute) */
    uint32_t w_first, w_n; /* leaf weights; M_MEMBER: the set's range in tree_params.sets */
} tnode;

typedef struct {
    uint32_t target;
    float weight;
} tweight;

typedef struct {
    tnode *nodes;
    uint32_t *roots;
    tweight *w;
    size_t ntrees;
    clo_ml_fview base;
    clo_ml_labelset labels;
    uint64_t n, c, e;
    int pt, classifier, agg; /* agg: 0 SUM, 1 AVERAGE, 2 MIN, 3 MAX */
    int binary, positive;    /* classifier: the one-score binary case */
    int bclass;              /* binary: the one class (0 or 1) its weights score */
    const float *sets;       /* M_MEMBER nodes' sets (TreeEnsemble-5) */
} tree_params;

typedef struct {
    int64_t tree, node;
    uint32_t idx;
} key;

static int key_cmp(const void *a, const void *b)
{
    const key *x = a, *y = b;
    if (x->tree != y->tree) return x->tree < y->tree ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

static const key *find(const key *keys, size_t n, int64_t tree, int64_t node)
{
    key k = {tree, node, 0};
    return bsearch(&k, keys, n, sizeof k, key_cmp);
}

/* From each root, every node reached once (trees, not graphs: no cycle, no
 * shared node); seen is nn zeroed bytes. CLO_E_FORMAT with *bad the node
 * reached twice. */
static clo_err trees_check(clo_onnx_prep *p, const tree_params *t, size_t nn, uint8_t *seen,
                           uint32_t *bad)
{
    uint32_t *stack = malloc((2 * nn + 2) * sizeof *stack);
    if (!stack) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
    clo_err err = CLO_OK;
    memset(seen, 0, nn);
    for (size_t r = 0; r < t->ntrees && !err.code; r++) {
        size_t sp = 0;
        stack[sp++] = t->roots[r];
        while (sp) {
            uint32_t i = stack[--sp];
            if (seen[i]++) {
                *bad = i;
                err = CLO_ERR(CLO_E_FORMAT, "onnx: not a tree");
                break;
            }
            if (t->nodes[i].mode != M_LEAF) {
                stack[sp++] = t->nodes[i].yes;
                stack[sp++] = t->nodes[i].no;
            }
        }
    }
    free(stack);
    return err;
}

static clo_err tree_prepare_kind(clo_onnx_prep *p, int classifier)
{
    tree_params *t = p->params;
    t->classifier = classifier;
    CLO_TRY(clo_ml_rows(p, &t->n, &t->c));
    CLO_TRY(clo_ml_post_transform(p, &t->pt));
    clo_ml_iview tids, nids, feats, yes, no, miss, wt, wn, wid;
    clo_ml_fview vals, ww;
    CLO_TRY(clo_ml_ints_of(p, "nodes_treeids", &tids));
    CLO_TRY(clo_ml_ints_of(p, "nodes_nodeids", &nids));
    CLO_TRY(clo_ml_ints_of(p, "nodes_featureids", &feats));
    CLO_TRY(clo_ml_floats_of(p, "nodes_values", &vals));
    CLO_TRY(clo_ml_ints_of(p, "nodes_truenodeids", &yes));
    CLO_TRY(clo_ml_ints_of(p, "nodes_falsenodeids", &no));
    CLO_TRY(clo_ml_ints_of(p, "nodes_missing_value_tracks_true", &miss));
    const char *pre = classifier ? "class" : "target";
    char an[40];
    snprintf(an, sizeof an, "%s_treeids", pre);
    CLO_TRY(clo_ml_ints_of(p, an, &wt));
    snprintf(an, sizeof an, "%s_nodeids", pre);
    CLO_TRY(clo_ml_ints_of(p, an, &wn));
    snprintf(an, sizeof an, "%s_ids", pre);
    CLO_TRY(clo_ml_ints_of(p, an, &wid));
    snprintf(an, sizeof an, "%s_weights", pre);
    CLO_TRY(clo_ml_floats_of(p, an, &ww));
    CLO_TRY(clo_ml_floats_of(p, "base_values", &t->base));
    if (clo_onnx_attr_get(p, "nodes_values_as_tensor") ||
        clo_onnx_attr_get(p, "base_values_as_tensor") ||
        clo_onnx_attr_get(p, "target_weights_as_tensor") ||
        clo_onnx_attr_get(p, "class_weights_as_tensor"))
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                               "the *_as_tensor (double) attributes are not supported");
    const clo_onnx_attr *modes = clo_onnx_attr_get(p, "nodes_modes");
    size_t nn = nids.n;
    if (!nn || tids.n != nn || feats.n != nn || vals.n != nn || yes.n != nn || no.n != nn ||
        !modes || modes->type != CLO_ONNX_ATTR_STRINGS || modes->n != nn ||
        (miss.n && miss.n != nn))
        return clo_onnx_refuse(p, CLO_E_FORMAT,
                               "the nodes_* attributes must all list the same %zu nodes", nn);
    if (wt.n != wn.n || wid.n != wn.n || ww.n != wn.n)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "the %s_* attributes differ in length", pre);
    if (classifier) {
        CLO_TRY(clo_ml_labels(p, "classlabels_int64s", "classlabels_strings", &t->labels));
        t->e = t->labels.n;
    } else {
        int64_t nt;
        clo_bytes agg;
        CLO_TRY(clo_onnx_attr_int(p, "n_targets", 1, &nt));
        if (nt < 1 || nt > 1 << 20) return clo_onnx_refuse(p, CLO_E_FORMAT, "n_targets");
        t->e = (uint64_t)nt;
        CLO_TRY(clo_onnx_attr_str(p, "aggregate_function", "SUM", &agg));
        static const char *const aggs[] = {"SUM", "AVERAGE", "MIN", "MAX"};
        t->agg = -1;
        for (int k = 0; k < 4; k++)
            if (clo_bytes_eq(agg, clo_bytes_str(aggs[k]))) t->agg = k;
        if (t->agg < 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "unknown aggregate_function");
    }
    /* Two labels may come with one base value (converters write it for a
     * binary booster's one score; onnxruntime adds it to that score). */
    if (t->base.n && t->base.n != t->e && !(classifier && t->e == 2 && t->base.n == 1))
        return clo_onnx_refuse(p, CLO_E_FORMAT,
                               "base_values must have one value per output column");

    key *keys = malloc(nn * sizeof *keys);
    uint8_t *seen = calloc(nn, 1);
    clo_err err = CLO_OK;
    t->nodes = clo_onnx_prep_alloc(p, nn * sizeof *t->nodes);
    t->w = clo_onnx_prep_alloc(p, (wn.n + 1) * sizeof *t->w);
    t->roots = clo_onnx_prep_alloc(p, nn * sizeof *t->roots);
    if (!keys || !seen || !t->nodes || !t->w || !t->roots) {
        err = clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nn; i++) keys[i] = (key){tids.v[i], nids.v[i], (uint32_t)i};
    qsort(keys, nn, sizeof *keys, key_cmp);
    for (size_t i = 1; i < nn; i++)
        if (!key_cmp(&keys[i - 1], &keys[i])) {
            err = clo_onnx_refuse(p, CLO_E_FORMAT, "node %lld of tree %lld is listed twice",
                                  (long long)keys[i].node, (long long)keys[i].tree);
            goto out;
        }
    static const char *const mnames[] = {"BRANCH_LEQ", "BRANCH_LT",  "BRANCH_GTE", "BRANCH_GT",
                                         "BRANCH_EQ",  "BRANCH_NEQ", "LEAF"};
    uint8_t *is_child = seen; /* reused: first as "is somebody's child" */
    for (size_t i = 0; i < nn; i++) {
        tnode *nd = &t->nodes[i];
        clo_bytes ms = p->m->names[modes->first + i];
        nd->mode = 255;
        for (uint8_t k = 0; k < 7; k++)
            if (clo_bytes_eq(ms, clo_bytes_str(mnames[k]))) nd->mode = k;
        if (nd->mode == 255) {
            err = clo_onnx_refuse(p, CLO_E_FORMAT, "unknown node mode");
            goto out;
        }
        nd->value = vals.v[i];
        nd->missing_true = miss.n ? miss.v[i] != 0 : 0;
        if (nd->mode == M_LEAF) continue;
        if (feats.v[i] < 0 || (uint64_t)feats.v[i] >= t->c) {
            err = clo_onnx_refuse(p, CLO_E_FORMAT, "a node reads feature %lld of %llu",
                                  (long long)feats.v[i], (unsigned long long)t->c);
            goto out;
        }
        nd->feature = (int32_t)feats.v[i];
        const key *ky = find(keys, nn, tids.v[i], yes.v[i]),
                  *kn = find(keys, nn, tids.v[i], no.v[i]);
        if (!ky || !kn) {
            err = clo_onnx_refuse(p, CLO_E_FORMAT,
                                  "a branch of tree %lld names a node that does not exist",
                                  (long long)tids.v[i]);
            goto out;
        }
        nd->yes = ky->idx;
        nd->no = kn->idx;
        is_child[ky->idx] = is_child[kn->idx] = 1;
    }
    /* One root per tree (the node nobody points to), in tree-id order. */
    for (size_t i = 0; i < nn; i++) {
        if (i > 0 && keys[i].tree == keys[i - 1].tree) continue;
        uint32_t root = UINT32_MAX;
        for (size_t j = i; j < nn && keys[j].tree == keys[i].tree; j++)
            if (!is_child[keys[j].idx]) {
                if (root != UINT32_MAX) {
                    err = clo_onnx_refuse(p, CLO_E_FORMAT, "tree %lld has more than one root",
                                          (long long)keys[i].tree);
                    goto out;
                }
                root = keys[j].idx;
            }
        if (root == UINT32_MAX) {
            err = clo_onnx_refuse(p, CLO_E_FORMAT, "tree %lld has no root (a cycle)",
                                  (long long)keys[i].tree);
            goto out;
        }
        t->roots[t->ntrees++] = root;
    }
    /* Every node reached exactly once from its root: a tree, not a graph. */
    uint32_t bad = 0;
    err = trees_check(p, t, nn, seen, &bad);
    if (err.code) {
        if (err.code == CLO_E_FORMAT)
            err = clo_onnx_refuse(p, CLO_E_FORMAT,
                                  "a node of tree %lld is reached twice (not a tree)",
                                  (long long)tids.v[bad]);
        goto out;
    }
    /* Leaf weights, grouped per leaf (sorted by node). */
    uint32_t *leaf = malloc((wn.n + 1) * sizeof *leaf);
    if (!leaf) {
        err = clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        goto out;
    }
    int64_t first_class = -1;
    int many = 0;
    t->positive = 1;
    for (size_t k = 0; k < wn.n && !err.code; k++) {
        const key *kk = find(keys, nn, wt.v[k], wn.v[k]);
        if (!kk || t->nodes[kk->idx].mode != M_LEAF)
            err = clo_onnx_refuse(p, CLO_E_FORMAT, "a weight names a node that is not a leaf");
        else if (wid.v[k] < 0 || (uint64_t)wid.v[k] >= t->e)
            err = clo_onnx_refuse(p, CLO_E_FORMAT, "a weight names output %lld of %llu",
                                  (long long)wid.v[k], (unsigned long long)t->e);
        else {
            leaf[k] = kk->idx;
            if (first_class < 0) first_class = wid.v[k];
            many |= wid.v[k] != first_class;
            t->positive &= ww.v[k] >= 0;
        }
    }
    if (!err.code) {
        /* counting sort of weights by leaf */
        for (size_t i = 0; i < nn; i++) t->nodes[i].w_n = 0;
        for (size_t k = 0; k < wn.n; k++) t->nodes[leaf[k]].w_n++;
        uint32_t acc = 0;
        for (size_t i = 0; i < nn; i++) {
            t->nodes[i].w_first = acc;
            acc += t->nodes[i].w_n;
            t->nodes[i].w_n = 0;
        }
        for (size_t k = 0; k < wn.n; k++) {
            tnode *nd = &t->nodes[leaf[k]];
            t->w[nd->w_first + nd->w_n++] = (tweight){(uint32_t)wid.v[k], ww.v[k]};
        }
    }
    free(leaf);
    if (err.code) goto out;
    t->binary = classifier && t->e == 2 && !many && wn.n > 0;
    t->bclass = first_class == 1;
    if (t->binary && t->bclass == 1 && t->base.n == 2)
        err = clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                              "a binary tree ensemble scoring class 1 with two base values is "
                              "not defined (onnxruntime drops the trees' weights)");
    if (err.code) goto out;
    clo_shape zs = {2, {(int64_t)t->n, (int64_t)t->e}};
    if (classifier) {
        clo_shape ys = {1, {(int64_t)t->n}};
        clo_onnx_set_out(p, 0, clo_ml_label_type(&t->labels), &ys);
        clo_onnx_set_out(p, 1, CLO_ONNX_FLOAT, &zs);
    } else {
        clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &zs);
    }
    p->scratch = t->e * sizeof(double) + t->n * t->e * sizeof(float);
out:
    free(keys);
    free(seen);
    return err;
}

static clo_err tree_run(const clo_onnx_exec *x)
{
    const tree_params *t = x->params;
    double *acc = x->scratch;
    float *zbuf = (float *)(void *)(acc + t->e);
    float *z =
        t->classifier ? (x->nout > 1 && x->out[1] ? x->out[1]->data : zbuf) : x->out[0]->data;
    for (uint64_t i = 0; i < t->n; i++) {
        for (uint64_t k = 0; k < t->e; k++)
            acc[k] = t->agg == 2 ? INFINITY : t->agg == 3 ? -INFINITY : 0.0;
        for (size_t r = 0; r < t->ntrees; r++) {
            const tnode *nd = &t->nodes[t->roots[r]];
            while (nd->mode != M_LEAF) {
                float v = clo_ml_x(x->in[0], i * t->c + (uint64_t)nd->feature);
                int go;
                if (v != v) /* NaN: every comparison is false but NEQ's */
                    go = nd->missing_true || nd->mode == M_NEQ;
                else
                    switch (nd->mode) {
                    case M_LEQ: go = v <= nd->value; break;
                    case M_LT: go = v < nd->value; break;
                    case M_GTE: go = v >= nd->value; break;
                    case M_GT: go = v > nd->value; break;
                    case M_EQ: go = v == nd->value; break;
                    case M_MEMBER:
                        go = 0;
                        for (uint32_t k = 0; k < nd->w_n && !go; k++)
                            go = v == t->sets[nd->w_first + k];
                        break;
                    default: go = v != nd->value; break;
                    }
                nd = &t->nodes[go ? nd->yes : nd->no];
            }
            for (uint32_t k = 0; k < nd->w_n; k++) {
                const tweight *w = &t->w[nd->w_first + k];
                double *a = &acc[w->target];
                if (t->agg == 2)
                    *a = w->weight < *a ? w->weight : *a;
                else if (t->agg == 3)
                    *a = w->weight > *a ? w->weight : *a;
                else
                    *a += w->weight;
            }
        }
        float *row = z + i * t->e;
        for (uint64_t k = 0; k < t->e; k++) {
            double v = acc[k];
            if (t->agg == 1) v /= (double)t->ntrees;
            if ((t->agg == 2 || t->agg == 3) && isinf(v)) v = 0;
            row[k] = (float)v;
        }
        if (t->binary) { /* one score s for two labels; see the header */
            float s = row[0] + row[1] + (t->bclass == 0 && t->base.n ? t->base.v[0] : 0.0f);
            int positive_label = t->positive ? s > 0.5f : s > 0.0f;
            clo_ml_label_put(&t->labels, x->out[0], i, (size_t)positive_label);
            if (t->bclass == 0 && t->base.n < 2) {
                if (t->pt == CLO_PT_LOGISTIC)
                    row[1] = 1.0f / (1.0f + expf(-s)), row[0] = 1.0f - row[1];
                else if (t->pt == CLO_PT_PROBIT)
                    row[0] = s, row[1] = 0.0f, clo_ml_transform(CLO_PT_PROBIT, row, 1);
                else
                    row[0] = t->positive ? 1.0f - s : -s, row[1] = s;
            } else {
                row[t->bclass] = s, row[1 - t->bclass] = 0.0f;
                clo_ml_transform(t->pt, row, 2);
            }
            continue;
        }
        for (uint64_t k = 0; k < t->base.n; k++) row[k] += t->base.v[k];
        if (t->classifier) {
            size_t k = clo_ml_argmax(row, t->e);
            clo_ml_label_put(&t->labels, x->out[0], i, k);
        }
        clo_ml_transform(t->pt, row, t->e);
    }
    return CLO_OK;
}

/* A TENSOR attribute of type `dtype`, decoded into plan memory; NULL and
 * *n = 0 when absent. */
static clo_err tensor_attr(clo_onnx_prep *p, const char *name, int32_t dtype, const void **out,
                           size_t *n)
{
    const clo_onnx_attr *a = clo_onnx_attr_get(p, name);
    *out = NULL;
    *n = 0;
    if (!a) return CLO_OK;
    if (a->type != CLO_ONNX_ATTR_TENSOR)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "'%s' must be a tensor", name);
    const clo_onnx_tensor *t = &p->m->tensors[a->tensor];
    if (t->dtype != dtype)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "'%s' of %s (%s expected)", name,
                               clo_tensor_type_name(t->dtype), clo_tensor_type_name(dtype));
    void *mem = clo_onnx_prep_alloc(p, t->count * clo_tensor_elem_size(dtype) + 1);
    if (!mem) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
    CLO_TRY(clo_tensor_decode(t, mem));
    *out = mem;
    *n = t->count;
    return CLO_OK;
}

/* TreeEnsemble (ai.onnx.ml 5): interior nodes and leaves in separate lists,
 * children by index into one or the other (nodes_trueleafs/falseleafs), a
 * root per tree, one (target, weight) per leaf, set membership. Made into
 * the same nodes the older operators run: interior nodes first, then leaves. */
static clo_err tree5_prepare(clo_onnx_prep *p)
{
    tree_params *t = p->params;
    int64_t nt, agg, pt;
    clo_ml_iview feats, tn, fn, tl, fl, lt, roots, miss;
    const void *splits, *modes, *lw, *member;
    size_t ni, nm, nl, nw, nset;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    CLO_TRY(clo_ml_rows(p, &t->n, &t->c));
    CLO_TRY(clo_onnx_attr_int(p, "n_targets", 0, &nt));
    CLO_TRY(clo_onnx_attr_int(p, "aggregate_function", 1, &agg));
    CLO_TRY(clo_onnx_attr_int(p, "post_transform", 0, &pt));
    CLO_TRY(clo_ml_ints_of(p, "nodes_featureids", &feats));
    CLO_TRY(clo_ml_ints_of(p, "nodes_truenodeids", &tn));
    CLO_TRY(clo_ml_ints_of(p, "nodes_falsenodeids", &fn));
    CLO_TRY(clo_ml_ints_of(p, "nodes_trueleafs", &tl));
    CLO_TRY(clo_ml_ints_of(p, "nodes_falseleafs", &fl));
    CLO_TRY(clo_ml_ints_of(p, "leaf_targetids", &lt));
    CLO_TRY(clo_ml_ints_of(p, "tree_roots", &roots));
    CLO_TRY(clo_ml_ints_of(p, "nodes_missing_value_tracks_true", &miss));
    CLO_TRY(tensor_attr(p, "nodes_splits", CLO_ONNX_FLOAT, &splits, &ni));
    CLO_TRY(tensor_attr(p, "nodes_modes", CLO_ONNX_UINT8, &modes, &nm));
    CLO_TRY(tensor_attr(p, "leaf_weights", CLO_ONNX_FLOAT, &lw, &nw));
    CLO_TRY(tensor_attr(p, "membership_values", CLO_ONNX_FLOAT, &member, &nset));
    nl = lt.n;
    if (nt < 1 || nt > 1 << 20 || agg < 0 || agg > 3 || pt < 0 || pt > 4)
        return clo_onnx_refuse(p, CLO_E_FORMAT,
                               "n_targets, aggregate_function or post_transform out of range");
    if (!ni || nm != ni || feats.n != ni || tn.n != ni || fn.n != ni || tl.n != ni || fl.n != ni ||
        (miss.n && miss.n != ni) || !nl || nw != nl || !roots.n || ni + nl > (size_t)1 << 30)
        return clo_onnx_refuse(p, CLO_E_FORMAT,
                               "the nodes_* attributes must all list the same %zu nodes, and "
                               "leaf_* the same leaves",
                               ni);
    static const int agg_of[4] = {1, 0, 2, 3}; /* AVERAGE, SUM, MIN, MAX -> tree_run's */
    t->e = (uint64_t)nt;
    t->agg = agg_of[agg];
    t->pt = (int)pt; /* the same order as CLO_PT_* */
    t->nodes = clo_onnx_prep_alloc(p, (ni + nl) * sizeof *t->nodes);
    t->w = clo_onnx_prep_alloc(p, nl * sizeof *t->w);
    t->roots = clo_onnx_prep_alloc(p, roots.n * sizeof *t->roots);
    uint8_t *seen = calloc(ni + nl, 1);
    clo_err err = CLO_OK;
    if (!t->nodes || !t->w || !t->roots || !seen) {
        err = clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        goto out;
    }
    t->sets = member;
    size_t set_at = 0;
    for (size_t i = 0; i < ni; i++) {
        tnode *nd = &t->nodes[i];
        uint8_t mode = ((const uint8_t *)modes)[i];
        if (mode > 6 || feats.v[i] < 0 || (uint64_t)feats.v[i] >= t->c || tn.v[i] < 0 ||
            fn.v[i] < 0 || (uint64_t)tn.v[i] >= (tl.v[i] ? nl : ni) ||
            (uint64_t)fn.v[i] >= (fl.v[i] ? nl : ni)) {
            err = clo_onnx_refuse(p, CLO_E_FORMAT,
                                  "node %zu: a mode, feature or child out of range", i);
            goto out;
        }
        nd->mode = mode == 6 ? M_MEMBER : mode;
        nd->feature = (int32_t)feats.v[i];
        nd->value = ((const float *)splits)[i];
        nd->missing_true = miss.n ? miss.v[i] != 0 : 0;
        nd->yes = (uint32_t)(tl.v[i] ? ni + (size_t)tn.v[i] : (size_t)tn.v[i]);
        nd->no = (uint32_t)(fl.v[i] ? ni + (size_t)fn.v[i] : (size_t)fn.v[i]);
        if (nd->mode == M_MEMBER) { /* the next NaN-ended run of membership_values */
            size_t end = set_at;
            while (end < nset && !isnan(((const float *)member)[end])) end++;
            if (end >= nset || end == set_at) { /* onnxruntime refuses an empty set too */
                err = clo_onnx_refuse(p, CLO_E_FORMAT,
                                      "membership_values has no (or an empty) set for member "
                                      "node %zu",
                                      i);
                goto out;
            }
            nd->w_first = (uint32_t)set_at;
            nd->w_n = (uint32_t)(end - set_at);
            set_at = end + 1;
        }
    }
    for (size_t j = 0; j < nl; j++) {
        if (lt.v[j] < 0 || (uint64_t)lt.v[j] >= t->e) {
            err = clo_onnx_refuse(p, CLO_E_FORMAT, "leaf %zu names target %lld of %llu", j,
                                  (long long)lt.v[j], (unsigned long long)t->e);
            goto out;
        }
        t->nodes[ni + j] = (tnode){0, 0, M_LEAF, 0, 0, 0, (uint32_t)j, 1};
        t->w[j] = (tweight){(uint32_t)lt.v[j], ((const float *)lw)[j]};
    }
    for (size_t r = 0; r < roots.n; r++) {
        int64_t root = roots.v[r];
        if (root < 0 || (uint64_t)root >= ni) {
            err = clo_onnx_refuse(p, CLO_E_FORMAT, "tree_roots names node %lld of %zu",
                                  (long long)root, ni);
            goto out;
        }
        /* a one-leaf tree: its root says so, both children the same leaf */
        if (tl.v[root] && fl.v[root] && tn.v[root] == fn.v[root])
            t->roots[t->ntrees++] = t->nodes[root].yes;
        else
            t->roots[t->ntrees++] = (uint32_t)root;
    }
    /* Every node reached once from its root: trees, not graphs (so no cycle). */
    uint32_t bad = 0;
    err = trees_check(p, t, ni + nl, seen, &bad);
    if (err.code == CLO_E_FORMAT)
        err = clo_onnx_refuse(p, CLO_E_FORMAT, "node %u is reached twice (not a tree)", bad);
    if (err.code) goto out;
    clo_shape zs = {2, {(int64_t)t->n, (int64_t)t->e}};
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &zs);
    p->scratch = t->e * sizeof(double) + t->n * t->e * sizeof(float);
out:
    free(seen);
    return err;
}

static clo_err treeclf_prepare(clo_onnx_prep *p)
{
    return tree_prepare_kind(p, 1);
}
static clo_err treereg_prepare(clo_onnx_prep *p)
{
    return tree_prepare_kind(p, 0);
}

#define TREE_NODE_ATTRS                                                                            \
    "nodes_treeids,nodes_nodeids,nodes_featureids,nodes_values,nodes_modes,nodes_truenodeids,"     \
    "nodes_falsenodeids,nodes_missing_value_tracks_true,nodes_hitrates,post_transform,base_"       \
    "values,"                                                                                      \
    "nodes_values_as_tensor,nodes_hitrates_as_tensor,base_values_as_tensor"

static const clo_onnx_op op_treeclf = {
    ML,
    "TreeEnsembleClassifier",
    1,
    1,
    1,
    1,
    2,
    TREE_NODE_ATTRS ",class_treeids,class_nodeids,class_ids,class_weights,classlabels_int64s,"
                    "classlabels_strings,class_weights_as_tensor",
    sizeof(tree_params),
    treeclf_prepare,
    tree_run};
static const clo_onnx_op op_treereg = {
    ML,
    "TreeEnsembleRegressor",
    1,
    1,
    1,
    1,
    1,
    TREE_NODE_ATTRS ",target_treeids,target_nodeids,target_ids,target_weights,n_targets,"
                    "aggregate_function,target_weights_as_tensor",
    sizeof(tree_params),
    treereg_prepare,
    tree_run};

static const clo_onnx_op op_tree5 = {
    ML,
    "TreeEnsemble",
    5,
    1,
    1,
    1,
    1,
    "aggregate_function,leaf_targetids,leaf_weights,membership_values,n_targets,"
    "nodes_falseleafs,nodes_falsenodeids,nodes_featureids,nodes_hitrates,"
    "nodes_missing_value_tracks_true,nodes_modes,nodes_splits,nodes_trueleafs,nodes_truenodeids,"
    "post_transform,tree_roots",
    sizeof(tree_params),
    tree5_prepare,
    tree_run};

const clo_onnx_op *const clo_onnx_ops_ml[] = {
    &op_linclf, &op_linreg,  &op_scaler,  &op_normalizer, &op_binarizer,
    &op_zipmap, &op_treeclf, &op_treereg, &op_tree5,      NULL,
};
