/* op.c — the operator registry and the helpers operators use while a plan
 * is built. */
#include "workloads/onnx/op.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const int32_t CLO_T_FLOAT[] = {CLO_ONNX_FLOAT, 0};
const int32_t CLO_T_NUM[] = {CLO_ONNX_FLOAT, CLO_ONNX_INT32, CLO_ONNX_INT64,
                             CLO_ONNX_INT8,  CLO_ONNX_UINT8, 0};
const int32_t CLO_T_ANY[] = {CLO_ONNX_FLOAT,
                             CLO_ONNX_INT32,
                             CLO_ONNX_INT64,
                             CLO_ONNX_INT8,
                             CLO_ONNX_UINT8,
                             CLO_ONNX_BOOL,
                             0};
const int32_t CLO_T_DATA[] = {CLO_ONNX_FLOAT,    CLO_ONNX_INT32,
                              CLO_ONNX_INT64,    CLO_ONNX_INT8,
                              CLO_ONNX_UINT8,    CLO_ONNX_BOOL,
                              CLO_ONNX_DOUBLE,   CLO_ONNX_FLOAT16,
                              CLO_ONNX_BFLOAT16, CLO_ONNX_INT16,
                              CLO_ONNX_UINT16,   CLO_ONNX_UINT32,
                              CLO_ONNX_UINT64,   0};
const int32_t CLO_T_ALL[] = {
    CLO_ONNX_FLOAT,  CLO_ONNX_INT32,  CLO_ONNX_INT64,   CLO_ONNX_INT8,     CLO_ONNX_UINT8,
    CLO_ONNX_BOOL,   CLO_ONNX_DOUBLE, CLO_ONNX_FLOAT16, CLO_ONNX_BFLOAT16, CLO_ONNX_INT16,
    CLO_ONNX_UINT16, CLO_ONNX_UINT32, CLO_ONNX_UINT64,  CLO_ONNX_STRING,   0};
const int32_t CLO_T_INDEX[] = {CLO_ONNX_INT32, CLO_ONNX_INT64, 0};
const int32_t CLO_T_Q8[] = {CLO_ONNX_INT8, CLO_ONNX_UINT8, 0};
const int32_t CLO_T_BOOL[] = {CLO_ONNX_BOOL, 0};

static const clo_onnx_op *const *const tables[] = {
    clo_onnx_ops_elem,   clo_onnx_ops_shape, clo_onnx_ops_math,   clo_onnx_ops_conv,
    clo_onnx_ops_quant,  clo_onnx_ops_ml,    clo_onnx_ops_svm,    clo_onnx_ops_mlprep,
    clo_onnx_ops_resize, clo_onnx_ops_rnn,   clo_onnx_ops_einsum, clo_onnx_ops_ctrl,
};

static int is(clo_bytes b, const char *s)
{
    size_t n = strlen(s);
    return b.len == n && (n == 0 || !memcmp(b.ptr, s, n));
}

const clo_onnx_op *clo_onnx_op_find(clo_bytes domain, clo_bytes op_type)
{
    if (is(domain, "ai.onnx")) domain = CLO_BYTES_EMPTY;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const clo_onnx_op *const *o = tables[t]; *o; o++)
            if (is(domain, (*o)->domain) && is(op_type, (*o)->op_type)) return *o;
    return NULL;
}

size_t clo_onnx_op_count(void)
{
    size_t n = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const clo_onnx_op *const *o = tables[t]; *o; o++) n++;
    return n;
}

const clo_onnx_op *clo_onnx_op_at(size_t i)
{
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const clo_onnx_op *const *o = tables[t]; *o; o++)
            if (i-- == 0) return *o;
    return NULL;
}

clo_err clo_onnx_refuse(clo_onnx_prep *p, clo_code code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->why, CLO_ONNX_WHY, fmt, ap);
    va_end(ap);
    return CLO_ERR(code,
                   code == CLO_E_UNSUPPORTED ? "onnx: node not supported" : "onnx: node refused");
}

const clo_onnx_attr *clo_onnx_attr_get(const clo_onnx_prep *p, const char *name)
{
    for (uint32_t k = 0; k < p->node->attr_n; k++) {
        const clo_onnx_attr *a = &p->m->attrs[p->node->attr_first + k];
        if (is(a->name, name)) return a;
    }
    return NULL;
}

static clo_err wrong_type(clo_onnx_prep *p, const char *name)
{
    return clo_onnx_refuse(p, CLO_E_FORMAT, "attribute '%s' has the wrong type", name);
}

clo_err clo_onnx_attr_int(clo_onnx_prep *p, const char *name, int64_t def, int64_t *out)
{
    const clo_onnx_attr *a = clo_onnx_attr_get(p, name);
    *out = def;
    if (!a) return CLO_OK;
    if (a->type != CLO_ONNX_ATTR_INT) return wrong_type(p, name);
    *out = a->i;
    return CLO_OK;
}

clo_err clo_onnx_attr_float(clo_onnx_prep *p, const char *name, float def, float *out)
{
    const clo_onnx_attr *a = clo_onnx_attr_get(p, name);
    *out = def;
    if (!a) return CLO_OK;
    if (a->type != CLO_ONNX_ATTR_FLOAT) return wrong_type(p, name);
    *out = a->f;
    return CLO_OK;
}

clo_err clo_onnx_attr_ints(clo_onnx_prep *p, const char *name, int64_t *out, size_t cap, int *n)
{
    const clo_onnx_attr *a = clo_onnx_attr_get(p, name);
    *n = -1;
    if (!a) return CLO_OK;
    if (a->type != CLO_ONNX_ATTR_INTS) return wrong_type(p, name);
    if (a->n > cap)
        return clo_onnx_refuse(p, CLO_E_LIMIT, "attribute '%s' has %u values, more than %zu", name,
                               a->n, cap);
    for (uint32_t k = 0; k < a->n; k++) out[k] = p->m->ints[a->first + k];
    *n = (int)a->n;
    return CLO_OK;
}

clo_err clo_onnx_attr_str(clo_onnx_prep *p, const char *name, const char *def, clo_bytes *out)
{
    const clo_onnx_attr *a = clo_onnx_attr_get(p, name);
    *out = clo_bytes_str(def);
    if (!a) return CLO_OK;
    if (a->type != CLO_ONNX_ATTR_STRING) return wrong_type(p, name);
    *out = a->s;
    return CLO_OK;
}

clo_err clo_onnx_need(clo_onnx_prep *p, size_t k, const int32_t *types)
{
    if (k >= p->nin || !p->in[k])
        return clo_onnx_refuse(p, CLO_E_FORMAT, "input %zu is required", k);
    for (const int32_t *t = types; *t; t++)
        if (p->in[k]->dtype == *t) return CLO_OK;
    return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "input %zu: element type %s is not supported", k,
                           clo_tensor_type_name(p->in[k]->dtype));
}

clo_err clo_onnx_const_ints(clo_onnx_prep *p, size_t k, int64_t *out, size_t cap, size_t *n)
{
    CLO_TRY(clo_onnx_need(p, k, CLO_T_INDEX));
    const clo_tensor *t = p->in[k];
    if (!t->data && !clo_onnx_prep_bind(p, k))
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                               "input %zu is computed at run time; it must be a constant", k);
    if (t->count > cap)
        return clo_onnx_refuse(p, CLO_E_LIMIT, "input %zu has %llu values, more than %zu", k,
                               (unsigned long long)t->count, cap);
    for (uint64_t i = 0; i < t->count; i++) out[i] = clo_onnx_int_at(t, i);
    *n = (size_t)t->count;
    return CLO_OK;
}

clo_err clo_onnx_axis(clo_onnx_prep *p, int64_t axis, uint32_t rank, uint32_t *out)
{
    if (axis < -(int64_t)rank || axis >= (int64_t)rank)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "axis %lld is outside rank %u", (long long)axis,
                               rank);
    *out = (uint32_t)(axis < 0 ? axis + rank : axis);
    return CLO_OK;
}

void clo_onnx_set_out(clo_onnx_prep *p, size_t k, int32_t dtype, const clo_shape *s)
{
    if (k >= p->nout || !p->out[k]) return;
    p->out[k]->dtype = dtype;
    p->out[k]->shape = *s;
}
