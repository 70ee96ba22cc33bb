/* linalg.h — what the float and the quantized matrix operators share: the
 * dims of a MatMul (numpy batch broadcasting, 1-D operands promoted), and the
 * window geometry of convolutions and pools (up to three spatial dims,
 * right-aligned so the last is contiguous; missing leading ones are 1), each
 * with its input and output size, kernel, stride, dilation and pads. */
#ifndef CLO_WORKLOADS_ONNX_LINALG_H
#define CLO_WORKLOADS_ONNX_LINALG_H

#include "workloads/onnx/op.h"

typedef struct {
    uint32_t S; /* spatial dims in the model */
    int64_t in[3], out[3], k[3], s[3], d[3], pb[3], pe[3];
} clo_conv_geom;

/* Read auto_pad, pads, strides, dilations (and ceil_mode for pools) for an
 * input of shape x (N x C x spatial) and a kernel of S dims. */
CLO_MUST_CHECK clo_err clo_conv_geom_read(clo_onnx_prep *p, const clo_shape *x,
                                          const int64_t *kernel, int pool, clo_conv_geom *g);
/* The column matrix of `channels` input planes: (channels * kernel volume)
 * rows of (output volume) elements; pads read as 0 (the int8 convolutions'
 * widened inputs; the float ones make it in blocks, in ops_conv.c). */
void clo_conv_im2col_i16(const clo_conv_geom *g, const int16_t *x, uint64_t channels, int16_t *col);

typedef struct {
    size_t M, N, K;
    clo_shape abatch, bbatch, obatch; /* batch dims, and their broadcast */
    int fold_m;                       /* B is a matrix: A's batch dims join M */
    size_t m_eff;                     /* M with A's batch dims folded in, if fold_m */
} clo_matmul_dims;

/* Dims of MatMul(in[0], in[1]) and its output shape. */
CLO_MUST_CHECK clo_err clo_matmul_dims_read(clo_onnx_prep *p, clo_matmul_dims *d, clo_shape *out);
/* Offsets (in matrices) of A and B for each of the output's batch matrices,
 * in order, written to a_off/b_off (obatch's element count of them). */
void clo_matmul_batches(const clo_matmul_dims *d, size_t *a_off, size_t *b_off);

#endif
