/* tensor.c — element types and decoding file tensors into native arrays. */
#include "workloads/onnx/tensor.h"

#include <math.h>
#include <string.h>

#include "workloads/onnx/pb.h"

size_t clo_tensor_elem_size(int32_t dtype)
{
    switch (dtype) {
    case CLO_ONNX_UINT8:
    case CLO_ONNX_INT8:
    case CLO_ONNX_BOOL: return 1;
    case CLO_ONNX_FLOAT:
    case CLO_ONNX_INT32: return 4;
    case CLO_ONNX_INT64: return 8;
    default: return 0;
    }
}

const char *clo_tensor_type_name(int32_t dtype)
{
    switch (dtype) {
    case CLO_ONNX_FLOAT: return "float";
    case CLO_ONNX_UINT8: return "uint8";
    case CLO_ONNX_INT8: return "int8";
    case CLO_ONNX_UINT16: return "uint16";
    case CLO_ONNX_INT16: return "int16";
    case CLO_ONNX_INT32: return "int32";
    case CLO_ONNX_INT64: return "int64";
    case CLO_ONNX_STRING: return "string";
    case CLO_ONNX_BOOL: return "bool";
    case CLO_ONNX_FLOAT16: return "float16";
    case CLO_ONNX_DOUBLE: return "double";
    case CLO_ONNX_UINT32: return "uint32";
    case CLO_ONNX_UINT64: return "uint64";
    case CLO_ONNX_BFLOAT16: return "bfloat16";
    default: return "unknown type";
    }
}

void clo_tensor_shape_of(const clo_onnx_tensor *t, clo_shape *out)
{
    memset(out, 0, sizeof *out);
    out->rank = t->rank;
    for (uint32_t i = 0; i < t->rank; i++) out->d[i] = t->dims[i];
}

static void put(int32_t dtype, void *dst, uint64_t i, int64_t v)
{
    switch (dtype) {
    case CLO_ONNX_UINT8:
    case CLO_ONNX_BOOL: ((uint8_t *)dst)[i] = (uint8_t)v; break;
    case CLO_ONNX_INT8: ((int8_t *)dst)[i] = (int8_t)v; break;
    case CLO_ONNX_INT32: ((int32_t *)dst)[i] = (int32_t)v; break;
    default: ((int64_t *)dst)[i] = v; break;
    }
}

clo_err clo_tensor_decode(const clo_onnx_tensor *t, void *dst)
{
    size_t es = clo_tensor_elem_size(t->dtype);
    CLO_ENSURE(es, CLO_E_UNSUPPORTED, "onnx: tensor element type");
    switch (t->form) {
    case CLO_ONNX_DATA_NONE: break;
    case CLO_ONNX_DATA_RAW:
        /* The loader checked the size; the file is little-endian as is this host. */
        CLO_ENSURE(t->data.len == t->count * es, CLO_E_FORMAT, "onnx: tensor data size");
        if (t->count) memcpy(dst, t->data.ptr, t->data.len);
        break;
    case CLO_ONNX_DATA_FIXED32:
        CLO_ENSURE(t->dtype == CLO_ONNX_FLOAT && t->data.len == t->count * 4, CLO_E_FORMAT,
                   "onnx: tensor data size");
        if (t->count) memcpy(dst, t->data.ptr, t->data.len);
        break;
    case CLO_ONNX_DATA_VARINTS: {
        CLO_ENSURE(t->dtype != CLO_ONNX_FLOAT, CLO_E_FORMAT, "onnx: tensor data form");
        clo_cur c = clo_cur_init(t->data);
        for (uint64_t i = 0; i < t->count; i++) {
            uint64_t v;
            CLO_TRY(clo_pb_varint(&c, &v));
            put(t->dtype, dst, i, (int64_t)v);
        }
        CLO_TRY(clo_cur_end(&c));
        break;
    }
    default: return CLO_ERR(CLO_E_UNSUPPORTED, "onnx: tensor data form");
    }
    if (t->dtype == CLO_ONNX_BOOL)
        for (uint64_t i = 0; i < t->count; i++)
            CLO_ENSURE(((uint8_t *)dst)[i] <= 1, CLO_E_FORMAT, "onnx: bool that is not 0 or 1");
    return CLO_OK;
}

int clo_tensor_close(const clo_tensor *got, const clo_tensor *want, double rtol, double atol,
                     double *max_abs_err)
{
    *max_abs_err = 0;
    if (got->dtype != want->dtype || !clo_shape_equal(&got->shape, &want->shape)) return 0;
    int ok = 1;
    if (got->dtype == CLO_ONNX_FLOAT) {
        const float *a = got->data, *b = want->data;
        for (uint64_t i = 0; i < got->count; i++) {
            double x = a[i], y = b[i];
            if (x != x || y != y) {
                if ((x != x) != (y != y)) ok = 0, *max_abs_err = INFINITY;
                continue;
            }
            if (x == y) continue; /* infinities of the same sign */
            double d = fabs(x - y);
            if (d > *max_abs_err || d != d) *max_abs_err = d;
            if (!(d <= atol + rtol * fabs(y))) ok = 0;
        }
        return ok;
    }
    size_t es = clo_tensor_elem_size(got->dtype);
    for (uint64_t i = 0; i < got->count; i++)
        if (memcmp((const uint8_t *)got->data + i * es, (const uint8_t *)want->data + i * es, es)) {
            ok = 0;
            *max_abs_err = 1; /* integers: a mismatch is reported as 1 */
        }
    return ok;
}
