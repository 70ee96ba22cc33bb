/* ops_mlprep.c — the ONNX-ML preprocessing operators of converted pipelines
 * (ai.onnx.ml), as onnxruntime computes them:
 *
 *   ArrayFeatureExtractor  X[..., Y[i]] along the last axis (X of rank 1
 *                          gives [1, len(Y)]); an index out of range fails
 *                          the run, as it does in onnxruntime
 *   Imputer                values equal to replaced_value (NaN: every NaN)
 *                          become imputed_value (one, or one per column)
 *   LabelEncoder           opset >= 2: int64, float or string keys to int64,
 *                          float or string values, the default for a key not
 *                          listed (NaN matches no key; of equal keys the
 *                          first counts); opset 1: classes_strings[i] <-> i
 *   CategoryMapper         cats_strings[i] <-> cats_int64s[i], the way the
 *                          input's type asks
 *   OneHotEncoder          cats_int64s or cats_strings; a float input is
 *                          truncated to int64 first; a value not listed is
 *                          all zeros (zeros = 1) or fails the run (zeros = 0)
 *   FeatureVectorizer      the inputs' first inputdimensions[i] features,
 *                          side by side, zero-padded
 *
 * String elements are views (tensor.h): a mapped string is a view into the
 * model's attribute, never a copy. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/onnx/ml.h"

static const int32_t FLOAT_INT64[] = {CLO_ONNX_FLOAT, CLO_ONNX_INT64, 0};
static const int32_t NUMERIC[] = {CLO_ONNX_FLOAT, CLO_ONNX_INT32, CLO_ONNX_INT64, 0};

/* ======================= ArrayFeatureExtractor ======================= */
typedef struct {
    uint64_t rows, stride, k;
    size_t es;
} afe_params;

static clo_err afe_prepare(clo_onnx_prep *p)
{
    afe_params *a = p->params;
    static const int32_t X_TYPES[] = {CLO_ONNX_FLOAT, CLO_ONNX_INT32, CLO_ONNX_INT64,
                                      CLO_ONNX_STRING, 0};
    CLO_TRY(clo_onnx_need(p, 0, X_TYPES));
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

/* ============ LabelEncoder, CategoryMapper, OneHotEncoder: key lookups ============ */
typedef struct {
    int64_t ik;   /* int64 keys */
    float fk;     /* float keys (never NaN) */
    clo_bytes sk; /* string keys: views into the model */
    uint32_t idx; /* the key's position in its list */
} lkey;

/* A map from keys of the input's type (int64, float or string) to values
 * of the output's: the keys sorted (then by position, so of equal keys the
 * first listed is found, as a map filled in order keeps it), a value per
 * position, and the default for a key not listed. */
typedef struct {
    lkey *keys;
    size_t n;
    int32_t in_type, out_type;
    const int64_t *vi;
    const float *vf;
    const clo_bytes *vs;
    int64_t def_i;
    float def_f;
    clo_bytes def_s;
} lmap_params;

static int bytes_cmp(clo_bytes a, clo_bytes b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
    return c ? c : (a.len > b.len) - (a.len < b.len);
}

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

static int lkey_cmp_s(const void *a, const void *b)
{
    const lkey *x = a, *y = b;
    int c = bytes_cmp(x->sk, y->sk);
    if (c) return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sort the n keys of l->in_type (from ki, kf or ks). */
static clo_err lmap_keys(clo_onnx_prep *p, lmap_params *l, const int64_t *ki, const float *kf,
                         const clo_bytes *ks, size_t n)
{
    l->keys = clo_onnx_prep_alloc(p, (n ? n : 1) * sizeof *l->keys);
    if (!l->keys) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
    int flt = l->in_type == CLO_ONNX_FLOAT, str = l->in_type == CLO_ONNX_STRING;
    for (size_t i = 0; i < n; i++) {
        if (flt && isnan(kf[i])) continue; /* NaN equals nothing, as in onnxruntime */
        lkey *k = &l->keys[l->n++];
        k->idx = (uint32_t)i;
        if (str)
            k->sk = ks[i];
        else if (flt)
            k->fk = kf[i];
        else
            k->ik = ki[i];
    }
    qsort(l->keys, l->n, sizeof *l->keys, str ? lkey_cmp_s : flt ? lkey_cmp_f : lkey_cmp_i);
    return CLO_OK;
}

/* The position of element i's key among the keys; -1 when not listed. */
static int64_t lmap_find(const lmap_params *l, const clo_tensor *t, uint64_t i)
{
    int flt = l->in_type == CLO_ONNX_FLOAT, str = l->in_type == CLO_ONNX_STRING;
    float fk = flt ? ((const float *)t->data)[i] : 0.0f;
    int64_t ik = flt || str ? 0 : ((const int64_t *)t->data)[i];
    clo_bytes sk = str ? ((const clo_bytes *)t->data)[i] : CLO_BYTES_EMPTY;
    if (flt && isnan(fk)) return -1;
    size_t lo = 0, hi = l->n; /* the first key not below the element's */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const lkey *k = &l->keys[mid];
        int below = str ? bytes_cmp(k->sk, sk) < 0 : flt ? k->fk < fk : k->ik < ik;
        if (below)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == l->n) return -1;
    const lkey *k = &l->keys[lo];
    int hit = str ? clo_bytes_eq(k->sk, sk) : flt ? k->fk == fk : k->ik == ik;
    return hit ? (int64_t)k->idx : -1;
}

static clo_err lmap_run(const clo_onnx_exec *x)
{
    const lmap_params *l = x->params;
    void *o = x->out[0]->data;
    for (uint64_t i = 0; i < x->in[0]->count; i++) {
        int64_t at = lmap_find(l, x->in[0], i);
        switch (l->out_type) {
        case CLO_ONNX_FLOAT: ((float *)o)[i] = at < 0 ? l->def_f : l->vf[at]; break;
        case CLO_ONNX_STRING: ((clo_bytes *)o)[i] = at < 0 ? l->def_s : l->vs[at]; break;
        default: ((int64_t *)o)[i] = at < 0 ? l->def_i : l->vi[at]; break;
        }
    }
    return CLO_OK;
}

static const int32_t INT_STR[] = {CLO_ONNX_INT64, CLO_ONNX_STRING, 0};

/* 0, 1, ..., n-1 */
static const int64_t *iota(clo_onnx_prep *p, size_t n)
{
    int64_t *v = clo_onnx_prep_alloc(p, (n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++) v[i] = (int64_t)i;
    return v;
}

/* The defaults of LabelEncoder and CategoryMapper. */
static clo_err lmap_defaults(clo_onnx_prep *p, lmap_params *l)
{
    CLO_TRY(clo_onnx_attr_float(p, "default_float", -0.0f, &l->def_f));
    CLO_TRY(clo_onnx_attr_int(p, "default_int64", -1, &l->def_i));
    return clo_onnx_attr_str(p, "default_string", "_Unused", &l->def_s);
}

/* LabelEncoder-1: classes_strings[i] <-> i, string to int64 or back. */
static clo_err labelenc1_prepare(clo_onnx_prep *p, lmap_params *l)
{
    const clo_bytes *cls;
    size_t n;
    CLO_TRY(clo_onnx_need(p, 0, INT_STR));
    CLO_TRY(clo_ml_strs_of(p, "classes_strings", &cls, &n));
    const int64_t *seq = iota(p, n);
    if (!seq) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
    l->in_type = p->in[0]->dtype;
    if (l->in_type == CLO_ONNX_STRING) {
        l->out_type = CLO_ONNX_INT64;
        l->vi = seq;
        return lmap_keys(p, l, NULL, NULL, cls, n);
    }
    l->out_type = CLO_ONNX_STRING;
    l->vs = cls;
    return lmap_keys(p, l, seq, NULL, NULL, n);
}

static clo_err labelenc_prepare(clo_onnx_prep *p)
{
    lmap_params *l = p->params;
    CLO_TRY(lmap_defaults(p, l));
    if (p->opset < 2) {
        CLO_TRY(labelenc1_prepare(p, l));
        clo_onnx_set_out(p, 0, l->out_type, &p->in[0]->shape);
        return CLO_OK;
    }
    if (clo_onnx_attr_get(p, "keys_tensor") || clo_onnx_attr_get(p, "values_tensor") ||
        clo_onnx_attr_get(p, "default_tensor"))
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                               "keys_tensor/values_tensor/default_tensor (opset 4) are not "
                               "supported");
    static const int32_t KEYS[] = {CLO_ONNX_FLOAT, CLO_ONNX_INT64, CLO_ONNX_STRING, 0};
    CLO_TRY(clo_onnx_need(p, 0, KEYS));
    clo_ml_fview kf, vf;
    clo_ml_iview ki, vi;
    const clo_bytes *ks, *vs;
    size_t nks, nvs;
    CLO_TRY(clo_ml_floats_of(p, "keys_floats", &kf));
    CLO_TRY(clo_ml_ints_of(p, "keys_int64s", &ki));
    CLO_TRY(clo_ml_strs_of(p, "keys_strings", &ks, &nks));
    CLO_TRY(clo_ml_floats_of(p, "values_floats", &vf));
    CLO_TRY(clo_ml_ints_of(p, "values_int64s", &vi));
    CLO_TRY(clo_ml_strs_of(p, "values_strings", &vs, &nvs));
    l->in_type = p->in[0]->dtype;
    int flt = l->in_type == CLO_ONNX_FLOAT, str = l->in_type == CLO_ONNX_STRING;
    size_t nkeys = flt ? kf.n : str ? nks : ki.n;
    if (!nkeys || kf.n + ki.n + nks != nkeys || (!vf.n + !vi.n + !nvs) != 2)
        return clo_onnx_refuse(p, CLO_E_FORMAT,
                               "give the keys of the input's type (keys_%s) and one values list",
                               flt   ? "floats"
                               : str ? "strings"
                                     : "int64s");
    l->out_type = vf.n ? CLO_ONNX_FLOAT : vi.n ? CLO_ONNX_INT64 : CLO_ONNX_STRING;
    l->vf = vf.v, l->vi = vi.v, l->vs = vs;
    if (vf.n + vi.n + nvs != nkeys)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "keys and values differ in length");
    CLO_TRY(lmap_keys(p, l, ki.v, kf.v, ks, nkeys));
    clo_onnx_set_out(p, 0, l->out_type, &p->in[0]->shape);
    return CLO_OK;
}

/* CategoryMapper: cats_strings[i] <-> cats_int64s[i], whichever way the
 * input's type asks. */
static clo_err catmap_prepare(clo_onnx_prep *p)
{
    lmap_params *l = p->params;
    clo_ml_iview ci;
    const clo_bytes *cs;
    size_t ncs;
    CLO_TRY(clo_onnx_need(p, 0, INT_STR));
    CLO_TRY(lmap_defaults(p, l));
    CLO_TRY(clo_ml_ints_of(p, "cats_int64s", &ci));
    CLO_TRY(clo_ml_strs_of(p, "cats_strings", &cs, &ncs));
    if (ci.n != ncs)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "cats_int64s and cats_strings differ in length");
    l->in_type = p->in[0]->dtype;
    if (l->in_type == CLO_ONNX_STRING) {
        l->out_type = CLO_ONNX_INT64;
        l->vi = ci.v;
        CLO_TRY(lmap_keys(p, l, NULL, NULL, cs, ncs));
    } else {
        l->out_type = CLO_ONNX_STRING;
        l->vs = cs;
        CLO_TRY(lmap_keys(p, l, ci.v, NULL, NULL, ci.n));
    }
    clo_onnx_set_out(p, 0, l->out_type, &p->in[0]->shape);
    return CLO_OK;
}

/* OneHotEncoder: a row of len(cats) per element, 1 at the element's
 * category. The keys map to their own positions. */
typedef struct {
    lmap_params map;
    size_t ncats;
    int zeros;
} onehot_params;

static clo_err onehot_prepare(clo_onnx_prep *p)
{
    static const int32_t IN[] = {CLO_ONNX_FLOAT, CLO_ONNX_INT32, CLO_ONNX_INT64, CLO_ONNX_STRING,
                                 0};
    onehot_params *o = p->params;
    int64_t zeros;
    clo_ml_iview ci;
    const clo_bytes *cs;
    size_t ncs;
    CLO_TRY(clo_onnx_need(p, 0, IN));
    CLO_TRY(clo_ml_ints_of(p, "cats_int64s", &ci));
    CLO_TRY(clo_ml_strs_of(p, "cats_strings", &cs, &ncs));
    CLO_TRY(clo_onnx_attr_int(p, "zeros", 1, &zeros));
    o->zeros = zeros != 0;
    int str = p->in[0]->dtype == CLO_ONNX_STRING;
    o->ncats = str ? ncs : ci.n;
    if (!o->ncats)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "%s is required (for an input of %s)",
                               str ? "cats_strings" : "cats_int64s",
                               clo_tensor_type_name(p->in[0]->dtype));
    o->map.in_type = str ? CLO_ONNX_STRING : CLO_ONNX_INT64;
    CLO_TRY(lmap_keys(p, &o->map, ci.v, NULL, cs, o->ncats));
    clo_shape out = p->in[0]->shape;
    if (out.rank >= CLO_ONNX_MAX_RANK) return clo_onnx_refuse(p, CLO_E_LIMIT, "rank");
    out.d[out.rank++] = (int64_t)o->ncats;
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &out);
    return CLO_OK;
}

static clo_err onehot_run(const clo_onnx_exec *x)
{
    const onehot_params *o = x->params;
    const clo_tensor *in = x->in[0];
    float *y = x->out[0]->data;
    memset(y, 0, x->out[0]->count * sizeof *y);
    for (uint64_t i = 0; i < in->count; i++) {
        int64_t k;
        if (in->dtype == CLO_ONNX_STRING || in->dtype == CLO_ONNX_INT64) {
            k = lmap_find(&o->map, in, i);
        } else { /* a float is truncated to int64 first; int32 widened */
            int64_t v = in->dtype == CLO_ONNX_FLOAT ? (int64_t)((const float *)in->data)[i]
                                                    : clo_onnx_int_at(in, i);
            clo_tensor one = {CLO_ONNX_INT64, {0, {0}}, 1, &v};
            k = lmap_find(&o->map, &one, 0);
        }
        if (k >= 0)
            y[i * o->ncats + (uint64_t)k] = 1.0f;
        else if (!o->zeros)
            return CLO_ERR(CLO_E_FORMAT, in->dtype == CLO_ONNX_STRING
                                             ? "onnx: OneHotEncoder: a value not in cats_strings"
                                             : "onnx: OneHotEncoder: a value not in cats_int64s");
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
    sizeof(lmap_params),
    labelenc_prepare,
    lmap_run};
static const clo_onnx_op op_catmap = {CLO_ML_DOMAIN,
                                      "CategoryMapper",
                                      1,
                                      1,
                                      1,
                                      1,
                                      1,
                                      "cats_int64s,cats_strings,default_int64,default_string",
                                      sizeof(lmap_params),
                                      catmap_prepare,
                                      lmap_run};
static const clo_onnx_op op_onehot = {
    CLO_ML_DOMAIN,         "OneHotEncoder", 1,         1, 1, 1, 1, "cats_int64s,cats_strings,zeros",
    sizeof(onehot_params), onehot_prepare,  onehot_run};
static const clo_onnx_op op_fvec = {
    CLO_ML_DOMAIN,       "FeatureVectorizer", 1,       1, FV_MAX_INPUTS, 1, 1, "inputdimensions",
    sizeof(fvec_params), fvec_prepare,        fvec_run};

const clo_onnx_op *const clo_onnx_ops_mlprep[] = {&op_afe,    &op_imputer, &op_labelenc, &op_catmap,
                                                  &op_onehot, &op_fvec,    NULL};
