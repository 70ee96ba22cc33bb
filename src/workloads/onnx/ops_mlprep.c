/* ops_mlprep.c — the ONNX-ML preprocessing operators of converted pipelines
 * (ai.onnx.ml), on numeric tensors, as onnxruntime computes them:
 *
 *   ArrayFeatureExtractor  X[..., Y[i]] along the last axis (X of rank 1
 *                          gives [1, len(Y)]); an index out of range fails
 *                          the run, as it does in onnxruntime
 *   Imputer                values equal to replaced_value (NaN: every NaN)
 *                          become imputed_value (one, or one per column)
 *   LabelEncoder           opset >= 2: int64 or float keys to int64 or float
 *                          values, the default for a key not listed (NaN
 *                          matches no key; of equal keys the first counts)
 *   OneHotEncoder          cats_int64s; a float input is truncated to int64
 *                          first; a value not listed is all zeros (zeros = 1)
 *                          or fails the run (zeros = 0)
 *   FeatureVectorizer      the inputs' first inputdimensions[i] features,
 *                          side by side, zero-padded
 *
 * String keys, labels and categories need string tensors, which the engine
 * does not have: refused with that reason. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/onnx/ml.h"

static const int32_t FLOAT_INT64[] = {CLO_ONNX_FLOAT, CLO_ONNX_INT64, 0};
static const int32_t NUMERIC[] = {CLO_ONNX_FLOAT, CLO_ONNX_INT32, CLO_ONNX_INT64, 0};

static clo_err no_strings(clo_onnx_prep *p, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (clo_onnx_attr_get(p, names[i]))
            return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                                   "'%s': string keys, labels and categories are not supported "
                                   "(string tensors)",
                                   names[i]);
    return CLO_OK;
}

/* ======================= ArrayFeatureExtractor ======================= */
typedef struct {
    uint64_t rows, stride, k;
    size_t es;
} afe_params;

static clo_err afe_prepare(clo_onnx_prep *p)
{
    afe_params *a = p->params;
    CLO_TRY(clo_onnx_need(p, 0, NUMERIC));
    static const int32_t I64[] = {CLO_ONNX_INT64, 0};
    CLO_TRY(clo_onnx_need(p, 1, I64));
    const clo_shape *xs = &p->in[0]->shape;
    if (xs->rank < 1) return clo_onnx_refuse(p, CLO_E_FORMAT, "X must have at least one axis");
    a->stride = (uint64_t)xs->d[xs->rank - 1];
    a->k = p->in[1]->count;
    a->es = clo_tensor_elem_size(p->in[0]->dtype);
    if (!a->k) return clo_onnx_refuse(p, CLO_E_FORMAT, "Y holds no index");
    if (!a->stride) return clo_onnx_refuse(p, CLO_E_FORMAT, "X's last axis is empty");
    a->rows = p->in[0]->count / a->stride;
    clo_shape out = *xs;
    if (xs->rank == 1) out.rank = 2, out.d[0] = 1;
    out.d[out.rank - 1] = (int64_t)a->k;
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static clo_err afe_run(const clo_onnx_exec *x)
{
    const afe_params *a = x->params;
    const int64_t *idx = x->in[1]->data;
    for (uint64_t i = 0; i < a->k; i++)
        CLO_ENSURE(idx[i] >= 0 && (uint64_t)idx[i] < a->stride, CLO_E_FORMAT,
                   "onnx: ArrayFeatureExtractor index out of range");
    const uint8_t *src = x->in[0]->data;
    uint8_t *dst = x->out[0]->data;
    for (uint64_t r = 0; r < a->rows; r++)
        for (uint64_t i = 0; i < a->k; i++)
            memcpy(dst + (r * a->k + i) * a->es, src + (r * a->stride + (uint64_t)idx[i]) * a->es,
                   a->es);
    return CLO_OK;
}

/* ======================= Imputer ======================= */
typedef struct {
    clo_ml_fview fv;
    clo_ml_iview iv;
    float rf;
    int64_t ri;
    uint64_t stride;
} imputer_params;

static clo_err imputer_prepare(clo_onnx_prep *p)
{
    imputer_params *m = p->params;
    CLO_TRY(clo_onnx_need(p, 0, FLOAT_INT64));
    CLO_TRY(clo_ml_floats_of(p, "imputed_value_floats", &m->fv));
    CLO_TRY(clo_ml_ints_of(p, "imputed_value_int64s", &m->iv));
    CLO_TRY(clo_onnx_attr_float(p, "replaced_value_float", 0.0f, &m->rf));
    CLO_TRY(clo_onnx_attr_int(p, "replaced_value_int64", 0, &m->ri));
    const clo_shape *s = &p->in[0]->shape;
    m->stride = s->rank ? (uint64_t)s->d[s->rank - 1] : 1;
    size_t have = p->in[0]->dtype == CLO_ONNX_FLOAT ? m->fv.n : m->iv.n;
    if (!have || (have != 1 && have != m->stride))
        return clo_onnx_refuse(
            p, CLO_E_FORMAT, "imputed_value_%s must hold one value or one per column (%llu)",
            p->in[0]->dtype == CLO_ONNX_FLOAT ? "floats" : "int64s", (unsigned long long)m->stride);
    clo_onnx_set_out(p, 0, p->in[0]->dtype, s);
    return CLO_OK;
}

static clo_err imputer_run(const clo_onnx_exec *x)
{
    const imputer_params *m = x->params;
    uint64_t n = x->in[0]->count;
    if (x->in[0]->dtype == CLO_ONNX_FLOAT) {
        const float *in = x->in[0]->data;
        float *out = x->out[0]->data;
        int nan = isnan(m->rf);
        for (uint64_t i = 0; i < n; i++) {
            int hit = nan ? isnan(in[i]) : in[i] == m->rf;
            out[i] = hit ? m->fv.v[m->fv.n == 1 ? 0 : i % m->stride] : in[i];
        }
    } else {
        const int64_t *in = x->in[0]->data;
        int64_t *out = x->out[0]->data;
        for (uint64_t i = 0; i < n; i++)
            out[i] = in[i] == m->ri ? m->iv.v[m->iv.n == 1 ? 0 : i % m->stride] : in[i];
    }
    return CLO_OK;
}

/* ======================= LabelEncoder ======================= */
typedef struct {
    int64_t ik; /* int64 keys */
    float fk;   /* float keys (never NaN) */
    uint32_t idx;
} lkey;

typedef struct {
    lkey *keys; /* sorted by key, then by position */
    size_t n;
    int in_float;
    clo_ml_fview vf;
    clo_ml_iview vi;
    int32_t out_type;
    float def_f;
    int64_t def_i;
} labelenc_params;

static int lkey_cmp_i(const void *a, const void *b)
{
    const lkey *x = a, *y = b;
    if (x->ik != y->ik) return x->ik < y->ik ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int lkey_cmp_f(const void *a, const void *b)
{
    const lkey *x = a, *y = b;
    if (x->fk != y->fk) return x->fk < y->fk ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static clo_err labelenc_prepare(clo_onnx_prep *p)
{
    static const char *const strs[] = {"keys_strings", "values_strings", "default_string",
                                       "classes_strings"};
    labelenc_params *l = p->params;
    if (p->opset < 2)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                               "LabelEncoder-1 maps strings (string tensors are not supported)");
    CLO_TRY(no_strings(p, strs, 4));
    if (clo_onnx_attr_get(p, "keys_tensor") || clo_onnx_attr_get(p, "values_tensor") ||
        clo_onnx_attr_get(p, "default_tensor"))
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                               "keys_tensor/values_tensor/default_tensor (opset 4) are not "
                               "supported");
    clo_ml_fview kf;
    clo_ml_iview ki;
    CLO_TRY(clo_onnx_need(p, 0, FLOAT_INT64));
    CLO_TRY(clo_ml_floats_of(p, "keys_floats", &kf));
    CLO_TRY(clo_ml_ints_of(p, "keys_int64s", &ki));
    CLO_TRY(clo_ml_floats_of(p, "values_floats", &l->vf));
    CLO_TRY(clo_ml_ints_of(p, "values_int64s", &l->vi));
    CLO_TRY(clo_onnx_attr_float(p, "default_float", -0.0f, &l->def_f));
    CLO_TRY(clo_onnx_attr_int(p, "default_int64", -1, &l->def_i));
    l->in_float = p->in[0]->dtype == CLO_ONNX_FLOAT;
    if ((l->in_float ? !kf.n || ki.n : !ki.n || kf.n) || (!l->vf.n == !l->vi.n))
        return clo_onnx_refuse(p, CLO_E_FORMAT,
                               "give the keys of the input's type (keys_%s) and one values list",
                               l->in_float ? "floats" : "int64s");
    size_t nkeys = l->in_float ? kf.n : ki.n;
    l->out_type = l->vf.n ? CLO_ONNX_FLOAT : CLO_ONNX_INT64;
    if ((l->vf.n ? l->vf.n : l->vi.n) != nkeys)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "keys and values differ in length");
    l->keys = clo_onnx_prep_alloc(p, nkeys * sizeof *l->keys);
    if (!l->keys) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
    for (size_t i = 0; i < nkeys; i++) {
        if (l->in_float && isnan(kf.v[i])) continue; /* NaN equals nothing, as in onnxruntime */
        l->keys[l->n++] =
            (lkey){l->in_float ? 0 : ki.v[i], l->in_float ? kf.v[i] : 0.0f, (uint32_t)i};
    }
    /* equal keys: the first listed wins, as a map filled in order keeps it */
    qsort(l->keys, l->n, sizeof *l->keys, l->in_float ? lkey_cmp_f : lkey_cmp_i);
    clo_onnx_set_out(p, 0, l->out_type, &p->in[0]->shape);
    return CLO_OK;
}

/* The position of element i's key among the keys; -1 when not listed. */
static int64_t labelenc_find(const labelenc_params *l, const clo_tensor *t, uint64_t i)
{
    float fk = l->in_float ? ((const float *)t->data)[i] : 0.0f;
    int64_t ik = l->in_float ? 0 : ((const int64_t *)t->data)[i];
    if (l->in_float && isnan(fk)) return -1;
    size_t lo = 0, hi = l->n; /* the first key not below the element's */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int below = l->in_float ? l->keys[mid].fk < fk : l->keys[mid].ik < ik;
        if (below)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == l->n) return -1;
    int hit = l->in_float ? l->keys[lo].fk == fk : l->keys[lo].ik == ik;
    return hit ? (int64_t)l->keys[lo].idx : -1;
}

static clo_err labelenc_run(const clo_onnx_exec *x)
{
    const labelenc_params *l = x->params;
    for (uint64_t i = 0; i < x->in[0]->count; i++) {
        int64_t at = labelenc_find(l, x->in[0], i);
        if (l->out_type == CLO_ONNX_FLOAT)
            ((float *)x->out[0]->data)[i] = at < 0 ? l->def_f : l->vf.v[at];
        else
            ((int64_t *)x->out[0]->data)[i] = at < 0 ? l->def_i : l->vi.v[at];
    }
    return CLO_OK;
}

/* ======================= OneHotEncoder ======================= */
typedef struct {
    clo_ml_iview cats;
    int zeros;
} onehot_params;

static clo_err onehot_prepare(clo_onnx_prep *p)
{
    static const char *const strs[] = {"cats_strings"};
    onehot_params *o = p->params;
    int64_t zeros;
    CLO_TRY(no_strings(p, strs, 1));
    CLO_TRY(clo_onnx_need(p, 0, NUMERIC));
    CLO_TRY(clo_ml_ints_of(p, "cats_int64s", &o->cats));
    CLO_TRY(clo_onnx_attr_int(p, "zeros", 1, &zeros));
    o->zeros = zeros != 0;
    if (!o->cats.n) return clo_onnx_refuse(p, CLO_E_FORMAT, "cats_int64s is required");
    clo_shape out = p->in[0]->shape;
    if (out.rank >= CLO_ONNX_MAX_RANK) return clo_onnx_refuse(p, CLO_E_LIMIT, "rank");
    out.d[out.rank++] = (int64_t)o->cats.n;
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &out);
    return CLO_OK;
}

static clo_err onehot_run(const clo_onnx_exec *x)
{
    const onehot_params *o = x->params;
    float *y = x->out[0]->data;
    memset(y, 0, x->out[0]->count * sizeof *y);
    for (uint64_t i = 0; i < x->in[0]->count; i++) {
        int64_t v = x->in[0]->dtype == CLO_ONNX_FLOAT ? (int64_t)((const float *)x->in[0]->data)[i]
                                                      : clo_onnx_int_at(x->in[0], i);
        size_t k = 0;
        while (k < o->cats.n && o->cats.v[k] != v) k++;
        if (k < o->cats.n)
            y[i * o->cats.n + k] = 1.0f;
        else
            CLO_ENSURE(o->zeros, CLO_E_FORMAT, "onnx: OneHotEncoder: a value not in cats_int64s");
    }
    return CLO_OK;
}

/* ======================= FeatureVectorizer ======================= */
#define FV_MAX_INPUTS 64

typedef struct {
    uint64_t n, total;
    size_t nin;
    uint64_t dim[FV_MAX_INPUTS], stride[FV_MAX_INPUTS];
} fvec_params;

static clo_err fvec_prepare(clo_onnx_prep *p)
{
    fvec_params *f = p->params;
    clo_ml_iview dims;
    CLO_TRY(clo_ml_ints_of(p, "inputdimensions", &dims));
    f->nin = p->nin;
    if (f->nin > FV_MAX_INPUTS || dims.n != f->nin)
        return clo_onnx_refuse(p, CLO_E_FORMAT,
                               "inputdimensions must have one value per input (at most %d)",
                               FV_MAX_INPUTS);
    for (size_t i = 0; i < f->nin; i++) {
        CLO_TRY(clo_onnx_need(p, i, NUMERIC));
        const clo_shape *s = &p->in[i]->shape;
        uint64_t n = s->rank <= 1 ? 1 : (uint64_t)s->d[0];
        if (i == 0) f->n = n;
        if (n != f->n || !s->rank || dims.v[i] < 0 || dims.v[i] > 1 << 24)
            return clo_onnx_refuse(
                p, CLO_E_FORMAT, "input %zu: every input needs the same rows, and a dimension", i);
        f->stride[i] = n ? p->in[i]->count / n : 0;
        f->dim[i] = (uint64_t)dims.v[i];
        f->total += f->dim[i];
    }
    clo_shape out = {2, {(int64_t)f->n, (int64_t)f->total}};
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &out);
    return CLO_OK;
}

static clo_err fvec_run(const clo_onnx_exec *x)
{
    const fvec_params *f = x->params;
    float *y = x->out[0]->data;
    memset(y, 0, x->out[0]->count * sizeof *y);
    for (uint64_t r = 0; r < f->n; r++) {
        float *row = y + r * f->total;
        for (size_t i = 0; i < f->nin; i++) {
            uint64_t take = f->stride[i] < f->dim[i] ? f->stride[i] : f->dim[i];
            for (uint64_t j = 0; j < take; j++)
                row[j] = (float)clo_onnx_num_at(x->in[i], r * f->stride[i] + j);
            row += f->dim[i];
        }
    }
    return CLO_OK;
}

static const clo_onnx_op op_afe = {
    CLO_ML_DOMAIN, "ArrayFeatureExtractor", 1, 2, 2, 1, 1, "", sizeof(afe_params), afe_prepare,
    afe_run};
static const clo_onnx_op op_imputer = {
    CLO_ML_DOMAIN,
    "Imputer",
    1,
    1,
    1,
    1,
    1,
    "imputed_value_floats,imputed_value_int64s,replaced_value_float,replaced_value_int64",
    sizeof(imputer_params),
    imputer_prepare,
    imputer_run};
static const clo_onnx_op op_labelenc = {
    CLO_ML_DOMAIN,
    "LabelEncoder",
    1,
    1,
    1,
    1,
    1,
    "keys_floats,keys_int64s,keys_strings,values_floats,values_int64s,values_strings,"
    "default_float,default_int64,default_string,classes_strings,keys_tensor,values_tensor,"
    "default_tensor",
    sizeof(labelenc_params),
    labelenc_prepare,
    labelenc_run};
static const clo_onnx_op op_onehot = {
    CLO_ML_DOMAIN,         "OneHotEncoder", 1,         1, 1, 1, 1, "cats_int64s,cats_strings,zeros",
    sizeof(onehot_params), onehot_prepare,  onehot_run};
static const clo_onnx_op op_fvec = {
    CLO_ML_DOMAIN,       "FeatureVectorizer", 1,       1, FV_MAX_INPUTS, 1, 1, "inputdimensions",
    sizeof(fvec_params), fvec_prepare,        fvec_run};

const clo_onnx_op *const clo_onnx_ops_mlprep[] = {&op_afe,    &op_imputer, &op_labelenc,
                                                  &op_onehot, &op_fvec,    NULL};
