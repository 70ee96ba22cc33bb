/* writer.h — writing ONNX models: a ModelProto built node by node into a
 * bounded buffer. Used to export the models Cloister trains (the diagnosis
 * classifiers) and by tests that need a model of a given shape. Errors are
 * sticky: the first failure is kept and returned by clo_onnxw_finish, so a
 * sequence of calls needs one check. */
#ifndef CLO_WORKLOADS_ONNX_WRITER_H
#define CLO_WORKLOADS_ONNX_WRITER_H

#include "base/bytes.h"
#include "workloads/onnx/tensor.h"

typedef struct {
    clo_buf graph; /* GraphProto fields so far */
    clo_buf attrs; /* attributes of the next node */
    clo_err err;
} clo_onnxw;

void clo_onnxw_init(clo_onnxw *w);
void clo_onnxw_free(clo_onnxw *w);
/* A graph input or output: elem_type (TensorProto.DataType) and dims (-1 for
 * a symbolic dim, named "N"). */
void clo_onnxw_input(clo_onnxw *w, const char *name, int32_t elem_type, size_t rank,
                     const int64_t *dims);
void clo_onnxw_output(clo_onnxw *w, const char *name, int32_t elem_type, size_t rank,
                      const int64_t *dims);
/* An initializer of float32 or int64 values (raw_data). */
void clo_onnxw_init_floats(clo_onnxw *w, const char *name, size_t rank, const int64_t *dims,
                           const float *data);
void clo_onnxw_init_ints(clo_onnxw *w, const char *name, size_t rank, const int64_t *dims,
                         const int64_t *data);
/* An initializer of any fixed-size type the engine carries (raw_data,
 * native little-endian elements). */
void clo_onnxw_init_raw(clo_onnxw *w, const char *name, int32_t dtype, size_t rank,
                        const int64_t *dims, const void *data);
/* Attributes for the next node. */
void clo_onnxw_attr_int(clo_onnxw *w, const char *name, int64_t v);
void clo_onnxw_attr_float(clo_onnxw *w, const char *name, float v);
void clo_onnxw_attr_string(clo_onnxw *w, const char *name, const char *v);
void clo_onnxw_attr_ints(clo_onnxw *w, const char *name, const int64_t *v, size_t n);
void clo_onnxw_attr_floats(clo_onnxw *w, const char *name, const float *v, size_t n);
void clo_onnxw_attr_strings(clo_onnxw *w, const char *name, const char *const *v, size_t n);
/* A graph attribute (an If's branch): the subgraph built in sub with the
 * same calls (its nodes, initializers, inputs and outputs), freed here. */
void clo_onnxw_attr_graph(clo_onnxw *w, const char *name, clo_onnxw *sub);
/* A node with the attributes given since the last node. in/out names ("" for
 * an omitted optional input). domain NULL or "" for ai.onnx. */
void clo_onnxw_node(clo_onnxw *w, const char *op_type, const char *domain, const char *const *in,
                    size_t nin, const char *const *out, size_t nout);
/* The ModelProto: IR version 8, opset `opset` of ai.onnx and, when ml_opset
 * is not 0, that of ai.onnx.ml; producer "cloister". Frees w (as
 * clo_onnxw_free), whatever the outcome. */
CLO_MUST_CHECK clo_err clo_onnxw_finish(clo_onnxw *w, const char *graph_name, int64_t opset,
                                        int64_t ml_opset, clo_buf *out);

/* A standalone TensorProto of t (raw_data; strings as string_data), appended to out: what a client
 * sends as a model input and what the onnx workload returns. */
CLO_MUST_CHECK clo_err clo_onnx_tensor_write(clo_buf *out, clo_bytes name, const clo_tensor *t);

#endif
