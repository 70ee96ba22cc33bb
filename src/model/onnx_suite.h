/* onnx_suite.h — running models in the ONNX backend-test layout: a
 * directory with model.onnx and test_data_set_N/ holding input_K.pb and
 * output_K.pb (inputs in the order of the graph's fed inputs, outputs matched
 * by position). Used by `cloister onnx test` and the conformance test. */
#ifndef CLO_MODEL_ONNX_SUITE_H
#define CLO_MODEL_ONNX_SUITE_H

#include "base/bytes.h"
#include "workloads/onnx/tensor.h"

typedef struct {
    const char *dir;
    int data_set; /* N of test_data_set_N; -1 when the model itself failed */
    int passed;
    double max_abs_err;
    clo_code code;   /* why it failed: unsupported, format, ... (OK when it passed) */
    char error[256]; /* what failed, for people */
} clo_onnx_case;

typedef void (*clo_onnx_case_fn)(void *ud, const clo_onnx_case *c);

/* Run every data set of dir; cb gets one result per data set (or one with
 * data_set -1 when the model cannot be read or planned, or has no data set).
 * Returns the number of results that failed. */
size_t clo_onnx_suite_dir(const char *dir, double rtol, double atol, clo_onnx_case_fn cb, void *ud);
/* A TensorProto file decoded into *mem (malloc'd, the caller frees it even
 * on failure); raw is scratch for the file's bytes (a string tensor's
 * bytes are copied into *mem too: nothing borrows raw). */
CLO_MUST_CHECK clo_err clo_onnx_tensor_load(const char *path, clo_buf *raw, clo_tensor *t,
                                            void **mem);

#endif
