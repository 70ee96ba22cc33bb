/* shape.h — tensor shapes for the ONNX engine: element counts with overflow
 * checks, row-major strides, and numpy-style broadcasting (ONNX's
 * "multidirectional" broadcasting of n shapes, and the "unidirectional" form
 * where B must broadcast to A). Pure functions on small arrays; they are run
 * once while a plan is built, never per inference. */
#ifndef CLO_WORKLOADS_ONNX_SHAPE_H
#define CLO_WORKLOADS_ONNX_SHAPE_H

#include "base/bytes.h"
#include "workloads/onnx/model.h"

typedef struct {
    uint32_t rank;
    int64_t d[CLO_ONNX_MAX_RANK];
} clo_shape;

/* Product of the dims; CLO_E_LIMIT past CLO_ONNX_MAX_ELEMS, CLO_E_FORMAT on a
 * negative dim. */
CLO_MUST_CHECK clo_err clo_shape_count(const clo_shape *s, uint64_t *out);
/* Row-major strides in elements (the stride of a dim of size 1 is 0 when
 * broadcast_zero is set, so an index can run over the broadcast shape). */
void clo_shape_strides(const clo_shape *s, int broadcast_zero, int64_t strides[CLO_ONNX_MAX_RANK]);
/* The broadcast of shapes[0..n): dims aligned from the right, each 1 or equal
 * to the others; CLO_E_FORMAT "onnx: shapes do not broadcast" otherwise. */
CLO_MUST_CHECK clo_err clo_shape_broadcast(const clo_shape *shapes, size_t n, clo_shape *out);
/* B broadcasts to A without changing A (Gemm's C, PRelu's slope). */
int clo_shape_broadcasts_to(const clo_shape *b, const clo_shape *a);
/* Strides of `in` as seen from the broadcast shape `out` (0 on broadcast
 * dims, leading dims of out that in lacks included). */
void clo_shape_broadcast_strides(const clo_shape *in, const clo_shape *out,
                                 int64_t strides[CLO_ONNX_MAX_RANK]);
int clo_shape_equal(const clo_shape *a, const clo_shape *b);

#endif
