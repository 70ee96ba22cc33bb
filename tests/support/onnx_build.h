/* onnx_build.h — helpers for tests that build ONNX models with the writer
 * and run them: plan on float feeds, run, fetch outputs. */
#ifndef CLO_TESTS_ONNX_BUILD_H
#define CLO_TESTS_ONNX_BUILD_H

#include "workloads/onnx/plan.h"
#include "workloads/onnx/writer.h"

typedef struct {
    clo_buf bytes;
    clo_onnx_model m;
    clo_onnx_plan *plan;
    char why[CLO_ONNX_WHY];
    clo_err err; /* of the load or the plan */
} onnx_case;

/* Finish w into c (load and plan on the given feeds); c->err says how it went. */
void onnx_case_build(onnx_case *c, clo_onnxw *w, int64_t opset, int64_t ml_opset,
                     const clo_tensor *feeds, size_t nfeeds);
void onnx_case_free(onnx_case *c);
/* A float feed of the given shape. */
clo_tensor onnx_feed(const float *data, size_t rank, const int64_t *dims);

#endif
