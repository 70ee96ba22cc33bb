/* writer.c — protocol buffers encoding of the ONNX messages the writer
 * needs. Field numbers as in onnx.proto (see model.c, the reader). */
#include "workloads/onnx/writer.h"

#include <string.h>

#define MAX_MODEL ((size_t)1 << 30)

static void put(clo_onnxw *w, clo_buf *b, const void *p, size_t n)
{
    if (!w->err.code) w->err = clo_buf_append(b, p, n);
}

static void varint(clo_onnxw *w, clo_buf *b, uint64_t v)
{
    uint8_t t[10];
    size_t n = 0;
    do {
        t[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    put(w, b, t, n);
}

static void key(clo_onnxw *w, clo_buf *b, uint32_t field, uint32_t wire)
{
    varint(w, b, (uint64_t)field << 3 | wire);
}

static void field_bytes(clo_onnxw *w, clo_buf *b, uint32_t field, const void *p, size_t n)
{
    key(w, b, field, 2);
    varint(w, b, n);
    put(w, b, p, n);
}

static void field_str(clo_onnxw *w, clo_buf *b, uint32_t field, const char *s)
{
    field_bytes(w, b, field, s, strlen(s));
}

static void field_varint(clo_onnxw *w, clo_buf *b, uint32_t field, uint64_t v)
{
    key(w, b, field, 0);
    varint(w, b, v);
}

static void field_float(clo_onnxw *w, clo_buf *b, uint32_t field, float f)
{
    uint8_t t[4];
    memcpy(t, &f, 4); /* little-endian host, as the wire format */
    key(w, b, field, 5);
    put(w, b, t, 4);
}

/* A sub-message: encode into tmp, then append as a length-delimited field. */
static void field_msg(clo_onnxw *w, clo_buf *b, uint32_t field, clo_buf *tmp)
{
    field_bytes(w, b, field, tmp->ptr, tmp->len);
    clo_buf_free(tmp);
}

void clo_onnxw_init(clo_onnxw *w)
{
    clo_buf_init(&w->graph, MAX_MODEL);
    clo_buf_init(&w->attrs, MAX_MODEL);
    w->err = CLO_OK;
}

void clo_onnxw_free(clo_onnxw *w)
{
    clo_buf_free(&w->graph);
    clo_buf_free(&w->attrs);
}

/* ValueInfoProto { name 1, type 2: TypeProto { tensor_type 1: { elem_type 1,
 * shape 2: { dim 1: { dim_value 1 | dim_param 2 } } } } } */
static void value_info(clo_onnxw *w, uint32_t field, const char *name, int32_t et, size_t rank,
                       const int64_t *dims)
{
    clo_buf vi, tp, tt, sh, dm;
    clo_buf_init(&vi, MAX_MODEL);
    clo_buf_init(&tp, MAX_MODEL);
    clo_buf_init(&tt, MAX_MODEL);
    clo_buf_init(&sh, MAX_MODEL);
    for (size_t i = 0; i < rank; i++) {
        clo_buf_init(&dm, 64);
        if (dims[i] < 0)
            field_str(w, &dm, 2, "N");
        else
            field_varint(w, &dm, 1, (uint64_t)dims[i]);
        field_msg(w, &sh, 1, &dm);
    }
    field_varint(w, &tt, 1, (uint64_t)et);
    field_msg(w, &tt, 2, &sh);
    field_msg(w, &tp, 1, &tt);
    field_str(w, &vi, 1, name);
    field_msg(w, &vi, 2, &tp);
    field_msg(w, &w->graph, field, &vi);
}

void clo_onnxw_input(clo_onnxw *w, const char *name, int32_t et, size_t rank, const int64_t *dims)
{
    value_info(w, 11, name, et, rank, dims);
}

void clo_onnxw_output(clo_onnxw *w, const char *name, int32_t et, size_t rank, const int64_t *dims)
{
    value_info(w, 12, name, et, rank, dims);
}

/* TensorProto { dims 1, data_type 2, name 8, raw_data 9 } */
static void tensor(clo_onnxw *w, clo_buf *out, const char *name, int32_t dtype, size_t rank,
                   const int64_t *dims, const void *data, size_t esize)
{
    clo_buf t;
    clo_buf_init(&t, MAX_MODEL);
    uint64_t count = 1;
    for (size_t i = 0; i < rank; i++) {
        field_varint(w, &t, 1, (uint64_t)dims[i]);
        count *= (uint64_t)dims[i];
    }
    field_varint(w, &t, 2, (uint64_t)dtype);
    if (name) field_str(w, &t, 8, name);
    field_bytes(w, &t, 9, data, (size_t)count * esize);
    field_msg(w, out, 5, &t);
}

void clo_onnxw_init_floats(clo_onnxw *w, const char *name, size_t rank, const int64_t *dims,
                           const float *data)
{
    tensor(w, &w->graph, name, 1, rank, dims, data, 4);
}

void clo_onnxw_init_ints(clo_onnxw *w, const char *name, size_t rank, const int64_t *dims,
                         const int64_t *data)
{
    tensor(w, &w->graph, name, 7, rank, dims, data, 8);
}

void clo_onnxw_init_raw(clo_onnxw *w, const char *name, int32_t dtype, size_t rank,
                        const int64_t *dims, const void *data)
{
    size_t es = clo_tensor_elem_size(dtype);
    if (!es || dtype == CLO_ONNX_STRING) {
        if (!w->err.code) w->err = CLO_ERR(CLO_E_ARG, "onnx writer: initializer type");
        return;
    }
    tensor(w, &w->graph, name, dtype, rank, dims, data, es);
}

/* AttributeProto { name 1, f 2, i 3, s 4, floats 7, ints 8, strings 9, type 20 } */
static void attr_head(clo_onnxw *w, clo_buf *a, const char *name, int type)
{
    field_str(w, a, 1, name);
    field_varint(w, a, 20, (uint64_t)type);
}

void clo_onnxw_attr_int(clo_onnxw *w, const char *name, int64_t v)
{
    clo_buf a;
    clo_buf_init(&a, MAX_MODEL);
    attr_head(w, &a, name, 2);
    field_varint(w, &a, 3, (uint64_t)v);
    field_msg(w, &w->attrs, 5, &a);
}

void clo_onnxw_attr_graph(clo_onnxw *w, const char *name, clo_onnxw *sub)
{
    clo_buf a;
    clo_buf_init(&a, MAX_MODEL);
    attr_head(w, &a, name, 5);
    if (sub->err.code && !w->err.code) w->err = sub->err;
    field_bytes(w, &a, 6, sub->graph.ptr, sub->graph.len);
    clo_onnxw_free(sub);
    field_msg(w, &w->attrs, 5, &a);
}

void clo_onnxw_attr_float(clo_onnxw *w, const char *name, float v)
{
    clo_buf a;
    clo_buf_init(&a, MAX_MODEL);
    attr_head(w, &a, name, 1);
    field_float(w, &a, 2, v);
    field_msg(w, &w->attrs, 5, &a);
}

void clo_onnxw_attr_string(clo_onnxw *w, const char *name, const char *v)
{
    clo_buf a;
    clo_buf_init(&a, MAX_MODEL);
    attr_head(w, &a, name, 3);
    field_str(w, &a, 4, v);
    field_msg(w, &w->attrs, 5, &a);
}

void clo_onnxw_attr_ints(clo_onnxw *w, const char *name, const int64_t *v, size_t n)
{
    clo_buf a, packed;
    clo_buf_init(&a, MAX_MODEL);
    clo_buf_init(&packed, MAX_MODEL);
    attr_head(w, &a, name, 7);
    for (size_t i = 0; i < n; i++) varint(w, &packed, (uint64_t)v[i]);
    field_msg(w, &a, 8, &packed);
    field_msg(w, &w->attrs, 5, &a);
}

void clo_onnxw_attr_floats(clo_onnxw *w, const char *name, const float *v, size_t n)
{
    clo_buf a;
    clo_buf_init(&a, MAX_MODEL);
    attr_head(w, &a, name, 6);
    field_bytes(w, &a, 7, v, n * sizeof(float));
    field_msg(w, &w->attrs, 5, &a);
}

void clo_onnxw_attr_strings(clo_onnxw *w, const char *name, const char *const *v, size_t n)
{
    clo_buf a;
    clo_buf_init(&a, MAX_MODEL);
    attr_head(w, &a, name, 8);
    for (size_t i = 0; i < n; i++) field_str(w, &a, 9, v[i]);
    field_msg(w, &w->attrs, 5, &a);
}

/* NodeProto { input 1, output 2, name 3, op_type 4, attribute 5, domain 7 } */
void clo_onnxw_node(clo_onnxw *w, const char *op_type, const char *domain, const char *const *in,
                    size_t nin, const char *const *out, size_t nout)
{
    clo_buf n;
    clo_buf_init(&n, MAX_MODEL);
    for (size_t i = 0; i < nin; i++) field_str(w, &n, 1, in[i]);
    for (size_t i = 0; i < nout; i++) field_str(w, &n, 2, out[i]);
    field_str(w, &n, 4, op_type);
    if (domain && domain[0]) field_str(w, &n, 7, domain);
    put(w, &n, w->attrs.ptr, w->attrs.len); /* already field-5 encoded */
    clo_buf_clear(&w->attrs);
    field_msg(w, &w->graph, 1, &n);
}

/* ModelProto { ir_version 1, producer_name 2, graph 7, opset_import 8: { domain 1, version 2 } } */
clo_err clo_onnxw_finish(clo_onnxw *w, const char *graph_name, int64_t opset, int64_t ml_opset,
                         clo_buf *out)
{
    clo_buf op;
    field_str(w, &w->graph, 2, graph_name);
    field_varint(w, out, 1, 8);
    field_str(w, out, 2, "cloister");
    field_bytes(w, out, 7, w->graph.ptr, w->graph.len);
    clo_buf_init(&op, 64);
    field_str(w, &op, 1, "");
    field_varint(w, &op, 2, (uint64_t)opset);
    field_msg(w, out, 8, &op);
    if (ml_opset) {
        clo_buf_init(&op, 64);
        field_str(w, &op, 1, "ai.onnx.ml");
        field_varint(w, &op, 2, (uint64_t)ml_opset);
        field_msg(w, out, 8, &op);
    }
    clo_err err = w->err;
    clo_onnxw_free(w);
    return err;
}

clo_err clo_onnx_tensor_write(clo_buf *out, clo_bytes name, const clo_tensor *t)
{
    clo_onnxw w; /* only its error is used: the fields go straight to out */
    size_t es = clo_tensor_elem_size(t->dtype), mark = out->len;
    CLO_ENSURE(es, CLO_E_UNSUPPORTED, "onnx: tensor element type");
    w.err = CLO_OK;
    for (uint32_t i = 0; i < t->shape.rank; i++) field_varint(&w, out, 1, (uint64_t)t->shape.d[i]);
    field_varint(&w, out, 2, (uint64_t)t->dtype);
    if (name.len) field_bytes(&w, out, 8, name.ptr, name.len);
    if (t->dtype == CLO_ONNX_STRING) { /* string_data: one field per string */
        const clo_bytes *v = t->data;
        for (uint64_t i = 0; i < t->count; i++) field_bytes(&w, out, 6, v[i].ptr, v[i].len);
    } else {
        field_bytes(&w, out, 9, t->data, (size_t)t->count * es);
    }
    if (w.err.code) clo_buf_truncate(out, mark);
    return w.err;
}
