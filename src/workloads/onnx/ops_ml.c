/* ops_ml.c — ONNX-ML operators (filled in below). */
#include "workloads/onnx/op.h"

const clo_onnx_op *const clo_onnx_ops_ml[] = {NULL};
