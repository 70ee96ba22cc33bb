/* tensor.h — tensors as the engine computes on them: an element type, a
 * shape and a pointer to the elements in native layout (row-major, host
 * byte order). The engine computes on six types: float32, int8, uint8,
 * int32, int64 and bool (one byte, 0 or 1). Seven more are carried: double,
 * float16, bfloat16, int16, uint16, uint32 and uint64 may be graph inputs,
 * outputs and constants, go through the operators that only move data
 * (CLO_T_DATA: reshapes, transposes, slices, gathers, ...) and through Cast;
 * an operator that computes on them refuses them, naming the type.
 *
 * A string element is a clo_bytes view into bytes that outlive the run
 * (the model's, or the caller's feed): no operator makes string bytes, and
 * zeroed memory is empty strings. They go through the operators that move
 * elements whole (CLO_T_ALL) and the ONNX-ML ones that map them. */
#ifndef CLO_WORKLOADS_ONNX_TENSOR_H
#define CLO_WORKLOADS_ONNX_TENSOR_H

#include "workloads/onnx/model.h"
#include "workloads/onnx/shape.h"

typedef struct {
    int32_t dtype;
    clo_shape shape;
    uint64_t count; /* elements */
    void *data;     /* NULL while a plan is being built, unless the value is a constant */
} clo_tensor;

/* Bytes per element of a type the engine carries (a string's is
 * sizeof(clo_bytes)); 0 for any other type. */
size_t clo_tensor_elem_size(int32_t dtype);
/* "float", "int64", ... for messages; "type N" for types without a name here. */
const char *clo_tensor_type_name(int32_t dtype);
/* Decode a file tensor's elements into dst (count * elem size bytes, native
 * layout; strings as views into the file tensor's bytes). CLO_E_UNSUPPORTED
 * for a type the engine does not carry; CLO_E_FORMAT for a bool that is not
 * 0 or 1. */
CLO_MUST_CHECK clo_err clo_tensor_decode(const clo_onnx_tensor *t, void *dst);
/* A tensor's shape from a file tensor's dims. */
void clo_tensor_shape_of(const clo_onnx_tensor *t, clo_shape *out);

/* The carried types' conversions: IEEE half precision and bfloat16 from
 * their bits (exact), and to them rounding to nearest, ties to even (NaN
 * stays NaN, past the largest finite value is infinity). */
float clo_half_to_float(uint16_t h);
uint16_t clo_half_from_double(double v);
float clo_bf16_to_float(uint16_t b);
uint16_t clo_bf16_from_float(float f);
/* 1 for float32, double, float16 and bfloat16. */
int clo_tensor_is_real(int32_t dtype);
/* Element i as a double: exact for every type but the 64-bit integers past
 * 2^53 (a real type's NaN and infinities as they are). */
double clo_tensor_get_f64(const clo_tensor *t, uint64_t i);
/* Element i := v, in t's type (rounded for the real types, truncated for
 * the integers: for small whole numbers such as 0 and 1, exact). */
void clo_tensor_set_f64(clo_tensor *t, uint64_t i, double v);

/* Compare a computed tensor with an expected one: same type and shape, and
 * every element within atol + rtol * |expected| (the real types, rtol at
 * least one ulp of float16 and bfloat16; NaN matches NaN) or equal
 * (integers, bool). Returns 1 if they match; *max_abs_err is the
 * largest difference seen (0 for integers that match). */
int clo_tensor_close(const clo_tensor *got, const clo_tensor *want, double rtol, double atol,
                     double *max_abs_err);

#endif
