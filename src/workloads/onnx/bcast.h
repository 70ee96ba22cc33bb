/* bcast.h — walking up to three inputs broadcast to an output shape, row
 * by row. Dims are collapsed first (size-1 dims dropped, neighbours merged
 * where every input is contiguous across them), so the inner row is as long
 * as the layout allows and kernels see a stride of 0 or 1 there in the
 * common cases. */
#ifndef CLO_WORKLOADS_ONNX_BCAST_H
#define CLO_WORKLOADS_ONNX_BCAST_H

#include "workloads/onnx/tensor.h"

typedef struct {
    unsigned n;    /* inputs */
    uint32_t rank; /* after collapsing; at least 1 */
    int64_t d[CLO_ONNX_MAX_RANK];
    int64_t st[3][CLO_ONNX_MAX_RANK];
    uint64_t rows; /* product of all dims but the last */
    int64_t inner; /* the last dim */
    int64_t is[3]; /* each input's stride along the last dim */
    /* iteration state */
    int64_t idx[CLO_ONNX_MAX_RANK];
    int64_t off[3];
} clo_bcast;

/* Set up for `n` inputs of these shapes, each broadcastable to `out`. */
void clo_bcast_init(clo_bcast *b, const clo_shape *out, const clo_shape *const *in, unsigned n);
/* Move off[] to the next row (call after each of the rows). */
static inline void clo_bcast_next(clo_bcast *b)
{
    for (int i = (int)b->rank - 2; i >= 0; i--) {
        for (unsigned k = 0; k < b->n; k++) b->off[k] += b->st[k][i];
        if (++b->idx[i] < b->d[i]) return;
        for (unsigned k = 0; k < b->n; k++) b->off[k] -= b->st[k][i] * b->d[i];
        b->idx[i] = 0;
    }
}

#endif
