/* conv.h — the window geometry shared by convolutions and pools (float and
 * quantized): up to three spatial dims, right-aligned (missing leading ones are 1), each with its
 * input and output size, kernel, stride, dilation and pads. */
#ifndef CLO_WORKLOADS_ONNX_CONV_H
#define CLO_WORKLOADS_ONNX_CONV_H

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
 * rows of (output volume) floats; pads read as 0. */
void clo_conv_im2col(const clo_conv_geom *g, const float *x, uint64_t channels, float *col);

#endif
