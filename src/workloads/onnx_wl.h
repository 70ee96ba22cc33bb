/* onnx_wl.h — the onnx workload's input and answer layouts (docs/formats.md
 * §5.5), for the clients that build a record and read its answer: one codec,
 * used by the workload itself, the CLI, the demo and the tests. */
#ifndef CLO_WORKLOADS_ONNX_WL_H
#define CLO_WORKLOADS_ONNX_WL_H

#include "workloads/onnx/model.h"
#include "workloads/onnx/tensor.h"

#define CLO_ONNX_WL_MAX_TENSORS 16

/* Append one input: u16 n | n x (u32 size | TensorProto), the graph's fed
 * inputs in order (unnamed: they are matched by position). */
CLO_MUST_CHECK clo_err clo_onnx_input_encode(const clo_tensor *feeds, size_t n, clo_buf *out);

/* One input's private answer: status 0 and the graph's outputs (views into
 * the answer, named), or the error code and its static name. */
typedef struct {
    uint8_t status;
    clo_bytes what;
    size_t n;
    clo_onnx_tensor t[CLO_ONNX_WL_MAX_TENSORS];
} clo_onnx_answer;
CLO_MUST_CHECK clo_err clo_onnx_answer_decode(clo_bytes p, clo_onnx_answer *a);

#endif
