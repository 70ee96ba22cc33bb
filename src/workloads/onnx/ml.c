/* ml.c — what the ONNX-ML operators share (ml.h). */
#include "workloads/onnx/ml.h"

#include <math.h>
#include <string.h>

clo_err clo_ml_floats_of(clo_onnx_prep *p, const char *name, clo_ml_fview *out)
{
    const clo_onnx_attr *a = clo_onnx_attr_get(p, name);
    out->v = NULL;
    out->n = 0;
    if (!a) return CLO_OK;
    if (a->type != CLO_ONNX_ATTR_FLOATS)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "attribute '%s' has the wrong type", name);
    out->v = a->n ? &p->m->floats[a->first] : NULL; /* an empty list may have no array */
    out->n = a->n;
    return CLO_OK;
}

clo_err clo_ml_ints_of(clo_onnx_prep *p, const char *name, clo_ml_iview *out)
{
    const clo_onnx_attr *a = clo_onnx_attr_get(p, name);
    out->v = NULL;
    out->n = 0;
    if (!a) return CLO_OK;
    if (a->type != CLO_ONNX_ATTR_INTS)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "attribute '%s' has the wrong type", name);
    out->v = a->n ? &p->m->ints[a->first] : NULL;
    out->n = a->n;
    return CLO_OK;
}

static const int32_t ML_IN[] = {CLO_ONNX_FLOAT, CLO_ONNX_INT32, CLO_ONNX_INT64, 0};

/* X as rows of C features: [N, C], or [C] as one row. */
clo_err clo_ml_rows(clo_onnx_prep *p, uint64_t *n, uint64_t *c)
{
    CLO_TRY(clo_onnx_need(p, 0, ML_IN));
    const clo_shape *s = &p->in[0]->shape;
    if (s->rank == 1) {
        *n = 1;
        *c = (uint64_t)s->d[0];
    } else if (s->rank == 2) {
        *n = (uint64_t)s->d[0];
        *c = (uint64_t)s->d[1];
    } else {
        return clo_onnx_refuse(p, CLO_E_FORMAT, "X must be [N, C] or [C]");
    }
    return CLO_OK;
}

float clo_ml_x(const clo_tensor *t, uint64_t i)
{
    switch (t->dtype) {
    case CLO_ONNX_INT32: return (float)((const int32_t *)t->data)[i];
    case CLO_ONNX_INT64: return (float)((const int64_t *)t->data)[i];
    default: return ((const float *)t->data)[i];
    }
}

/* ---- post transforms ---- */

clo_err clo_ml_post_transform(clo_onnx_prep *p, int *out)
{
    static const char *const names[] = {"NONE", "SOFTMAX", "LOGISTIC", "SOFTMAX_ZERO", "PROBIT"};
    clo_bytes s;
    CLO_TRY(clo_onnx_attr_str(p, "post_transform", "NONE", &s));
    for (int k = 0; k < 5; k++)
        if (clo_bytes_eq(s, clo_bytes_str(names[k]))) {
            *out = k;
            return CLO_OK;
        }
    return clo_onnx_refuse(p, CLO_E_FORMAT, "unknown post_transform");
}

/* Inverse error function (Giles, "Approximating the erfinv function", 2010). */
static float erfinv_f(float x)
{
    if (!(fabsf(x) < 1.0f)) /* the ends, and beyond them (NaN stays NaN) */
        return x == 1.0f ? INFINITY : x == -1.0f ? -INFINITY : NAN;
    float w = -logf((1.0f - x) * (1.0f + x)), r;
    if (w < 5.0f) {
        w -= 2.5f;
        r = 2.81022636e-08f;
        r = 3.43273939e-07f + r * w;
        r = -3.5233877e-06f + r * w;
        r = -4.39150654e-06f + r * w;
        r = 0.00021858087f + r * w;
        r = -0.00125372503f + r * w;
        r = -0.00417768164f + r * w;
        r = 0.246640727f + r * w;
        r = 1.50140941f + r * w;
    } else {
        w = sqrtf(w) - 3.0f;
        r = -0.000200214257f;
        r = 0.000100950558f + r * w;
        r = 0.00134934322f + r * w;
        r = -0.00367342844f + r * w;
        r = 0.00573950773f + r * w;
        r = -0.0076224613f + r * w;
        r = 0.00943887047f + r * w;
        r = 1.00167406f + r * w;
        r = 2.83297682f + r * w;
    }
    return r * x;
}

void clo_ml_transform(int pt, float *z, size_t e)
{
    switch (pt) {
    case CLO_PT_LOGISTIC:
        for (size_t i = 0; i < e; i++) z[i] = 1.0f / (1.0f + expf(-z[i]));
        break;
    case CLO_PT_PROBIT:
        for (size_t i = 0; i < e; i++) z[i] = 1.41421356f * erfinv_f(2.0f * z[i] - 1.0f);
        break;
    case CLO_PT_SOFTMAX:
    case CLO_PT_SOFTMAX_ZERO: {
        float mx = -INFINITY;
        for (size_t i = 0; i < e; i++)
            if (!(pt == CLO_PT_SOFTMAX_ZERO && z[i] == 0.0f) && z[i] > mx) mx = z[i];
        double sum = 0;
        for (size_t i = 0; i < e; i++) {
            if (pt == CLO_PT_SOFTMAX_ZERO && z[i] == 0.0f) continue;
            z[i] = expf(z[i] - mx);
            sum += z[i];
        }
        for (size_t i = 0; i < e; i++)
            if (!(pt == CLO_PT_SOFTMAX_ZERO && z[i] == 0.0f)) z[i] = (float)(z[i] / sum);
        break;
    }
    default: break;
    }
}

size_t clo_ml_argmax(const float *z, size_t e)
{
    size_t best = 0;
    for (size_t i = 1; i < e; i++)
        if (z[i] > z[best]) best = i;
    return best;
}

clo_err clo_ml_strs_of(clo_onnx_prep *p, const char *name, const clo_bytes **v, size_t *n)
{
    const clo_onnx_attr *a = clo_onnx_attr_get(p, name);
    *v = NULL;
    *n = 0;
    if (!a) return CLO_OK;
    if (a->type != CLO_ONNX_ATTR_STRINGS)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "'%s' must be a list of strings", name);
    *v = a->n ? &p->m->names[a->first] : NULL;
    *n = a->n;
    return CLO_OK;
}

clo_err clo_ml_labels(clo_onnx_prep *p, const char *ints_name, const char *strs_name,
                      clo_ml_labelset *out)
{
    clo_ml_iview iv;
    CLO_TRY(clo_ml_ints_of(p, ints_name, &iv));
    CLO_TRY(clo_ml_strs_of(p, strs_name, &out->strs, &out->n));
    if (iv.n && out->n)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "'%s' and '%s' are both given", ints_name,
                               strs_name);
    if (!iv.n && !out->n)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "'%s' or '%s' is required", ints_name, strs_name);
    if (iv.n) {
        out->ints = iv.v;
        out->strs = NULL;
        out->n = iv.n;
    } else {
        out->ints = NULL;
    }
    return CLO_OK;
}
