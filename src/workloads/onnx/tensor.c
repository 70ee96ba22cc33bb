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
    case CLO_ONNX_FLOAT16:
    case CLO_ONNX_BFLOAT16:
    case CLO_ONNX_INT16:
    case CLO_ONNX_UINT16: return 2;
    case CLO_ONNX_FLOAT:
    case CLO_ONNX_INT32:
    case CLO_ONNX_UINT32: return 4;
    case CLO_ONNX_INT64:
    case CLO_ONNX_DOUBLE:
    case CLO_ONNX_UINT64: return 8;
    case CLO_ONNX_STRING: return sizeof(clo_bytes);
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

/* A varint-stored element (int32_data holds the 8- and 16-bit types and the
 * halves' bits, uint64_data the unsigned 32- and 64-bit ones): its low bytes. */
static void put(int32_t dtype, void *dst, uint64_t i, int64_t v)
{
    switch (clo_tensor_elem_size(dtype)) {
    case 1: ((uint8_t *)dst)[i] = (uint8_t)v; break;
    case 2: ((uint16_t *)dst)[i] = (uint16_t)v; break;
    case 4: ((uint32_t *)dst)[i] = (uint32_t)v; break;
    default: ((uint64_t *)dst)[i] = (uint64_t)v; break;
    }
}

float clo_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
    if (e == 0x1f) {
        bits = sign | 0x7f800000u | (m << 13); /* infinity, NaN (payload kept) */
    } else if (e) {
        bits = sign | ((e + 112) << 23) | (m << 13);
    } else { /* zero or subnormal: m * 2^-24, exact in float */
        float f = (float)m * 0x1p-24f;
        memcpy(&bits, &f, 4);
        bits |= sign;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t clo_half_from_double(double v)
{
    uint16_t sign = signbit(v) ? 0x8000 : 0;
    double a = fabs(v);
    if (a != a) return sign | 0x7e00;
    if (a >= 65520.0) return sign | 0x7c00;      /* rounds past 65504: infinity */
    if (a < 0x1p-14) {                           /* subnormal: a multiple of 2^-24 */
        double q = a * 0x1p24, r = nearbyint(q); /* ties to even (the default mode) */
        return sign | (uint16_t)r;
    }
    int e;
    double f = frexp(a, &e);          /* a = f 2^e, f in [0.5, 1) */
    double q = nearbyint(f * 2048.0); /* 11 significant bits */
    if (q == 2048.0) q = 1024.0, e++;
    return sign | (uint16_t)((uint16_t)(e + 14) << 10) | (uint16_t)((uint32_t)q - 1024u);
}

float clo_bf16_to_float(uint16_t b)
{
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t clo_bf16_from_float(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    if (f != f) return (uint16_t)((bits >> 16) | 0x40); /* a quiet NaN */
    bits += 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(bits >> 16);
}

int clo_tensor_is_real(int32_t dtype)
{
    return dtype == CLO_ONNX_FLOAT || dtype == CLO_ONNX_DOUBLE || dtype == CLO_ONNX_FLOAT16 ||
           dtype == CLO_ONNX_BFLOAT16;
}

double clo_tensor_get_f64(const clo_tensor *t, uint64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case CLO_ONNX_FLOAT: return ((const float *)p)[i];
    case CLO_ONNX_DOUBLE: return ((const double *)p)[i];
    case CLO_ONNX_FLOAT16: return clo_half_to_float(((const uint16_t *)p)[i]);
    case CLO_ONNX_BFLOAT16: return clo_bf16_to_float(((const uint16_t *)p)[i]);
    case CLO_ONNX_INT8: return ((const int8_t *)p)[i];
    case CLO_ONNX_INT16: return ((const int16_t *)p)[i];
    case CLO_ONNX_UINT16: return ((const uint16_t *)p)[i];
    case CLO_ONNX_INT32: return ((const int32_t *)p)[i];
    case CLO_ONNX_UINT32: return ((const uint32_t *)p)[i];
    case CLO_ONNX_INT64: return (double)((const int64_t *)p)[i];
    case CLO_ONNX_UINT64: return (double)((const uint64_t *)p)[i];
    default: return ((const uint8_t *)p)[i]; /* uint8, bool */
    }
}

clo_err clo_tensor_decode(const clo_onnx_tensor *t, void *dst)
{
    size_t es = clo_tensor_elem_size(t->dtype);
    CLO_ENSURE(es, CLO_E_UNSUPPORTED, "onnx: tensor element type");
    /* a string's element is a pointer: never from raw bytes */
    CLO_ENSURE(t->dtype != CLO_ONNX_STRING || t->form == CLO_ONNX_DATA_STRINGS ||
                   t->form == CLO_ONNX_DATA_NONE,
               CLO_E_FORMAT, "onnx: string tensor data form");
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
    case CLO_ONNX_DATA_FIXED64:
        CLO_ENSURE(t->dtype == CLO_ONNX_DOUBLE && t->data.len == t->count * 8, CLO_E_FORMAT,
                   "onnx: tensor data size");
        if (t->count) memcpy(dst, t->data.ptr, t->data.len);
        break;
    case CLO_ONNX_DATA_VARINTS: {
        CLO_ENSURE(t->dtype != CLO_ONNX_FLOAT && t->dtype != CLO_ONNX_DOUBLE, CLO_E_FORMAT,
                   "onnx: tensor data form");
        clo_cur c = clo_cur_init(t->data);
        for (uint64_t i = 0; i < t->count; i++) {
            uint64_t v;
            CLO_TRY(clo_pb_varint(&c, &v));
            put(t->dtype, dst, i, (int64_t)v);
        }
        CLO_TRY(clo_cur_end(&c));
        break;
    }
    case CLO_ONNX_DATA_STRINGS: { /* views into the message */
        CLO_ENSURE(t->dtype == CLO_ONNX_STRING, CLO_E_FORMAT, "onnx: tensor data form");
        clo_cur c = clo_cur_init(t->data);
        clo_pb_field f;
        int done;
        uint64_t i = 0;
        for (;;) {
            CLO_TRY(clo_pb_next(&c, &f, &done));
            if (done) break;
            if (f.field != 6) continue;
            CLO_ENSURE(f.wire == CLO_PB_LEN && i < t->count, CLO_E_FORMAT, "onnx: string_data");
            ((clo_bytes *)dst)[i++] = f.b;
        }
        CLO_ENSURE(i == t->count, CLO_E_FORMAT, "onnx: string_data count");
        break;
    }
    default: return CLO_ERR(CLO_E_UNSUPPORTED, "onnx: tensor data form");
    }
    if (t->dtype == CLO_ONNX_BOOL)
        for (uint64_t i = 0; i < t->count; i++)
            CLO_ENSURE(((uint8_t *)dst)[i] <= 1, CLO_E_FORMAT, "onnx: bool that is not 0 or 1");
    return CLO_OK;
}

void clo_tensor_set_f64(clo_tensor *t, uint64_t i, double v)
{
    void *p = t->data;
    switch (t->dtype) {
    case CLO_ONNX_FLOAT: ((float *)p)[i] = (float)v; break;
    case CLO_ONNX_DOUBLE: ((double *)p)[i] = v; break;
    case CLO_ONNX_FLOAT16: ((uint16_t *)p)[i] = clo_half_from_double(v); break;
    case CLO_ONNX_BFLOAT16: ((uint16_t *)p)[i] = clo_bf16_from_float((float)v); break;
    case CLO_ONNX_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case CLO_ONNX_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case CLO_ONNX_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case CLO_ONNX_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case CLO_ONNX_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case CLO_ONNX_INT64: ((int64_t *)p)[i] = (int64_t)v; break;
    case CLO_ONNX_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; break;
    default: ((uint8_t *)p)[i] = (uint8_t)v; break; /* uint8, bool */
    }
}

int clo_tensor_close(const clo_tensor *got, const clo_tensor *want, double rtol, double atol,
                     double *max_abs_err)
{
    *max_abs_err = 0;
    if (got->dtype != want->dtype || !clo_shape_equal(&got->shape, &want->shape)) return 0;
    int ok = 1;
    if (clo_tensor_is_real(got->dtype)) {
        /* the halves hold 11 and 8 significant bits: no closer than their ulp */
        if (got->dtype == CLO_ONNX_FLOAT16 && rtol < 0x1p-10) rtol = 0x1p-10;
        if (got->dtype == CLO_ONNX_BFLOAT16 && rtol < 0x1p-7) rtol = 0x1p-7;
        for (uint64_t i = 0; i < got->count; i++) {
            double x = clo_tensor_get_f64(got, i), y = clo_tensor_get_f64(want, i);
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
    if (got->dtype == CLO_ONNX_STRING) {
        const clo_bytes *a = got->data, *b = want->data;
        for (uint64_t i = 0; i < got->count; i++)
            if (!clo_bytes_eq(a[i], b[i])) ok = 0, *max_abs_err = 1;
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
