/* tensor.h — tensors as the engine computes on them: an element type, a
 * shape and a pointer to the elements in native layout (row-major, host
 * byte order). The engine computes on six types: float32, int8, uint8,
 * int32, int64 and bool (one byte, 0 or 1); anything else is refused when a
 * plan is built. */
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

/* Bytes per element of a type the engine computes on; 0 for any other type. */
size_t clo_tensor_elem_size(int32_t dtype);
/* "float", "int64", ... for messages; "type N" for types without a name here. */
const char *clo_tensor_type_name(int32_t dtype);
/* Decode a file tensor's elements into dst (count * elem size bytes, native
 * layout). CLO_E_UNSUPPORTED for a type the engine does not compute on;
 * CLO_E_FORMAT for a bool that is not 0 or 1. */
CLO_MUST_CHECK clo_err clo_tensor_decode(const clo_onnx_tensor *t, void *dst);
/* A tensor's shape from a file tensor's dims. */
void clo_tensor_shape_of(const clo_onnx_tensor *t, clo_shape *out);

/* Compare a computed tensor with an expected one: same type and shape, and
 * every element within atol + rtol * |expected| (floats; NaN matches NaN)
 * or equal (integers, bool). Returns 1 if they match; *max_abs_err is the
 * largest difference seen (0 for integers that match). */
int clo_tensor_close(const clo_tensor *got, const clo_tensor *want, double rtol, double atol,
                     double *max_abs_err);

#endif
