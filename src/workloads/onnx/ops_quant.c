/* ops_quant.c — quantized operators (filled in below). */
#include "workloads/onnx/op.h"

const clo_onnx_op *const clo_onnx_ops_quant[] = {NULL};
