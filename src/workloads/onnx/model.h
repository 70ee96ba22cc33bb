/* model.h — an ONNX model as read from its bytes (ModelProto, IR versions 3
 * to 8, opsets 7 to 17): the graph's nodes with their attributes, the
 * initializers, and the graph's inputs and outputs with their types; the
 * subgraphs of graph attributes (If's branches, Loop's body) the same way,
 * in pools of their own, nested at most CLO_ONNX_MAX_DEPTH deep. Nothing is
 * interpreted yet (operators, shapes and the plan come later); what cannot
 * be represented is refused here, naming the node and the reason: graph-list,
 * sparse-tensor and type attributes, external tensor data,
 * unpacked repeated numbers, and anything past the limits below.
 *
 * Names and tensor data are views into the model bytes, which must outlive
 * the model. A node's inputs, outputs and attributes are ranges of the
 * model's pools (indices, not pointers). Untrusted input: fuzzed through
 * fuzz/onnx_model_fuzz.c. */
#ifndef CLO_WORKLOADS_ONNX_MODEL_H
#define CLO_WORKLOADS_ONNX_MODEL_H

#include "base/bytes.h"

#define CLO_ONNX_MAX_RANK   8
#define CLO_ONNX_MAX_OPSETS 32
#define CLO_ONNX_MAX_NODES  100000
#define CLO_ONNX_MAX_ITEMS  1000000 /* names, attributes, tensors, ints: each pool */
#define CLO_ONNX_MAX_ELEMS  ((uint64_t)1 << 32)
#define CLO_ONNX_MAX_DEPTH  8 /* subgraphs within subgraphs */

/* TensorProto.DataType */
enum {
    CLO_ONNX_FLOAT = 1,
    CLO_ONNX_UINT8 = 2,
    CLO_ONNX_INT8 = 3,
    CLO_ONNX_UINT16 = 4,
    CLO_ONNX_INT16 = 5,
    CLO_ONNX_INT32 = 6,
    CLO_ONNX_INT64 = 7,
    CLO_ONNX_STRING = 8,
    CLO_ONNX_BOOL = 9,
    CLO_ONNX_FLOAT16 = 10,
    CLO_ONNX_DOUBLE = 11,
    CLO_ONNX_UINT32 = 12,
    CLO_ONNX_UINT64 = 13,
    CLO_ONNX_BFLOAT16 = 16,
};

/* How a tensor's elements are stored in the file. */
typedef enum {
    CLO_ONNX_DATA_NONE = 0, /* no elements (a zero-sized tensor) */
    CLO_ONNX_DATA_RAW,      /* raw_data: little-endian, packed, element size per type */
    CLO_ONNX_DATA_VARINTS,  /* int32_data / int64_data / uint64_data: packed varints */
    CLO_ONNX_DATA_FIXED32,  /* float_data: packed little-endian float32 */
    CLO_ONNX_DATA_FIXED64,  /* double_data: packed little-endian float64 */
    CLO_ONNX_DATA_STRINGS,  /* string_data: data is the whole TensorProto, one field per string */
} clo_onnx_data_form;

typedef struct {
    clo_bytes name;
    int32_t dtype;
    uint32_t rank;
    int64_t dims[CLO_ONNX_MAX_RANK];
    uint64_t count; /* product of dims, checked against the data */
    clo_onnx_data_form form;
    clo_bytes data;
} clo_onnx_tensor;

/* AttributeProto.AttributeType */
enum {
    CLO_ONNX_ATTR_FLOAT = 1,
    CLO_ONNX_ATTR_INT = 2,
    CLO_ONNX_ATTR_STRING = 3,
    CLO_ONNX_ATTR_TENSOR = 4,
    CLO_ONNX_ATTR_GRAPH = 5,
    CLO_ONNX_ATTR_FLOATS = 6,
    CLO_ONNX_ATTR_INTS = 7,
    CLO_ONNX_ATTR_STRINGS = 8,
};

typedef struct {
    clo_bytes name;
    int32_t type;
    float f;
    int64_t i;
    clo_bytes s;       /* STRING */
    uint32_t tensor;   /* TENSOR: index into the model's tensors */
    uint32_t graph;    /* GRAPH: index into the model's graphs */
    uint32_t first, n; /* FLOATS: range of floats; INTS: of ints; STRINGS: of names */
} clo_onnx_attr;

typedef struct {
    clo_bytes op_type, domain, name;
    uint32_t in_first, in_n, out_first, out_n; /* ranges of names ("" = an omitted input) */
    uint32_t attr_first, attr_n;
} clo_onnx_node;

typedef struct {
    clo_bytes name;
    int32_t elem_type; /* 0 when the type is not a tensor type or not given */
    int has_shape;
    uint32_t rank;
    int64_t dims[CLO_ONNX_MAX_RANK]; /* -1: symbolic or unknown */
} clo_onnx_value;

typedef struct {
    clo_bytes domain;
    int64_t version;
} clo_onnx_opset_import;

/* A subgraph: ranges of the model's gnodes, ginits and gvalues (its inputs,
 * then its outputs). Its nodes may read the enclosing graphs' values. */
typedef struct {
    uint32_t node_first, node_n, init_first, init_n, in_first, in_n, out_first, out_n;
} clo_onnx_graph;

typedef struct {
    int64_t ir_version;
    size_t nopsets;
    clo_onnx_opset_import opsets[CLO_ONNX_MAX_OPSETS];
    clo_onnx_node *nodes;
    size_t nnodes;
    uint32_t *inits; /* indices into tensors */
    size_t ninits;
    clo_onnx_value *inputs, *outputs;
    size_t ninputs, noutputs;
    /* pools */
    clo_bytes *names;
    size_t nnames;
    clo_onnx_attr *attrs;
    size_t nattrs;
    clo_onnx_tensor *tensors;
    size_t ntensors;
    int64_t *ints;
    size_t nints;
    float *floats;
    size_t nfloats;
    /* subgraphs (graph attributes) and what they hold */
    clo_onnx_graph *graphs;
    size_t ngraphs;
    clo_onnx_node *gnodes;
    size_t ngnodes;
    uint32_t *ginits; /* indices into tensors */
    size_t nginits;
    clo_onnx_value *gvalues;
    size_t ngvalues;
    char why[200]; /* on a refusal: what, and which node */
} clo_onnx_model;

/* Read a model. On failure m holds nothing (freed) and m->why says what was
 * refused; the clo_err is CLO_E_FORMAT (malformed), CLO_E_UNSUPPORTED or
 * CLO_E_LIMIT. */
CLO_MUST_CHECK clo_err clo_onnx_load(clo_bytes bytes, clo_onnx_model *m);
void clo_onnx_free(clo_onnx_model *m);
/* A standalone TensorProto (test data files: input_0.pb). */
CLO_MUST_CHECK clo_err clo_onnx_tensor_read(clo_bytes bytes, clo_onnx_tensor *t);
/* The opset version imported for a domain ("" is ai.onnx); 0 if none. */
int64_t clo_onnx_opset(const clo_onnx_model *m, const char *domain);
/* Size in bytes of one element of a raw tensor of this type; 0 if not fixed. */
size_t clo_onnx_elem_size(int32_t dtype);

#endif
