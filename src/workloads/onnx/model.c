/* model.c — reading ModelProto into clo_onnx_model. Field numbers are those
 * of onnx/onnx.proto (IR version 8). Repeated numbers are accepted packed or
 * not, as protocol buffers parsers must. */
#include "workloads/onnx/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/onnx/pb.h"

typedef struct {
    clo_onnx_model *m;
    size_t cap_nodes, cap_inits, cap_in, cap_out, cap_names, cap_attrs, cap_tensors, cap_ints,
        cap_floats, cap_graphs, cap_gnodes, cap_ginits, cap_gvalues;
    const char *node; /* the node being read, for messages */
    int depth;        /* subgraphs being read */
} rd;

static clo_err read_subgraph(rd *r, clo_bytes b, uint32_t *out);

/* A refusal: the error, with m->why naming what and where. */
static clo_err refuse(rd *r, clo_code code, const char *what)
{
    if (r->node)
        snprintf(r->m->why, sizeof r->m->why, "node '%.60s': %s", r->node, what);
    else
        snprintf(r->m->why, sizeof r->m->why, "%s", what);
    return CLO_ERR(code, what);
}

/* Grow a pool by one; *idx receives the new element's index. */
static clo_err grow(void **arr, size_t *n, size_t *cap, size_t elem, uint32_t *idx)
{
    if (*n == *cap) {
        CLO_ENSURE(*cap < CLO_ONNX_MAX_ITEMS, CLO_E_LIMIT, "onnx: more items than the limit");
        size_t nc = *cap ? *cap * 2 : 16;
        if (nc > CLO_ONNX_MAX_ITEMS) nc = CLO_ONNX_MAX_ITEMS;
        void *p = realloc(*arr, nc * elem);
        CLO_ENSURE(p, CLO_E_NOMEM, "onnx: model");
        *arr = p;
        *cap = nc;
    }
    memset((uint8_t *)*arr + *n * elem, 0, elem);
    *idx = (uint32_t)(*n)++;
    return CLO_OK;
}
#define GROW(r, pool, count, cap, idx)                                                             \
    grow((void **)&(r)->m->pool, &(r)->m->count, &(r)->cap, sizeof *(r)->m->pool, (idx))

size_t clo_onnx_elem_size(int32_t dtype)
{
    switch (dtype) {
    case CLO_ONNX_UINT8:
    case CLO_ONNX_INT8:
    case CLO_ONNX_BOOL: return 1;
    case CLO_ONNX_UINT16:
    case CLO_ONNX_INT16:
    case CLO_ONNX_FLOAT16:
    case CLO_ONNX_BFLOAT16: return 2;
    case CLO_ONNX_FLOAT:
    case CLO_ONNX_INT32:
    case CLO_ONNX_UINT32: return 4;
    case CLO_ONNX_INT64:
    case CLO_ONNX_DOUBLE:
    case CLO_ONNX_UINT64: return 8;
    default: return 0;
    }
}

/* The typed field that carries a type's elements when raw_data is not used. */
static uint32_t typed_field(int32_t dtype)
{
    switch (dtype) {
    case CLO_ONNX_FLOAT: return 4;
    case CLO_ONNX_INT64: return 7;
    case CLO_ONNX_DOUBLE: return 10;
    case CLO_ONNX_UINT32:
    case CLO_ONNX_UINT64: return 11;
    default: return 5; /* int32_data: the small integer types, bool, float16, bfloat16 */
    }
}

static clo_err add_dim(uint32_t *rank, int64_t *dims, int64_t d)
{
    CLO_ENSURE(*rank < CLO_ONNX_MAX_RANK, CLO_E_LIMIT, "onnx: tensor rank over 8");
    dims[(*rank)++] = d;
    return CLO_OK;
}

/* Repeated int64 `field` of f, packed or not, appended with add(). */
static clo_err each_varint(const clo_pb_field *f, clo_err (*add)(void *, int64_t), void *ud)
{
    if (f->wire == CLO_PB_VARINT) return add(ud, (int64_t)f->v);
    CLO_ENSURE(f->wire == CLO_PB_LEN, CLO_E_FORMAT, "onnx: repeated integer wire type");
    clo_cur c = clo_cur_init(f->b);
    while (clo_cur_left(&c)) {
        uint64_t v;
        CLO_TRY(clo_pb_varint(&c, &v));
        CLO_TRY(add(ud, (int64_t)v));
    }
    return CLO_OK;
}

typedef struct {
    uint32_t *rank;
    int64_t *dims;
} dims_ud;

static clo_err dims_add(void *ud, int64_t v)
{
    dims_ud *d = ud;
    return add_dim(d->rank, d->dims, v);
}

static clo_err read_tensor(rd *r, clo_bytes b, clo_onnx_tensor *t)
{
    clo_cur c = clo_cur_init(b);
    clo_pb_field f;
    int done, have_type = 0;
    uint32_t data_field = 0;
    uint64_t nstr = 0; /* string_data entries: one field each, not packed */
    memset(t, 0, sizeof *t);
    dims_ud du = {&t->rank, t->dims};
    for (;;) {
        CLO_TRY(clo_pb_next(&c, &f, &done));
        if (done) break;
        switch (f.field) {
        case 1: CLO_TRY(each_varint(&f, dims_add, &du)); break;
        case 2:
            CLO_ENSURE(f.wire == CLO_PB_VARINT, CLO_E_FORMAT, "onnx: tensor data_type");
            t->dtype = (int32_t)f.v;
            have_type = 1;
            break;
        case 8: t->name = f.b; break;
        case 3: return refuse(r, CLO_E_UNSUPPORTED, "segmented tensors are not supported");
        case 13: return refuse(r, CLO_E_UNSUPPORTED, "external tensor data is not supported");
        case 14:
            if (f.v != 0)
                return refuse(r, CLO_E_UNSUPPORTED, "external tensor data is not supported");
            break;
        case 6:
            CLO_ENSURE(f.wire == CLO_PB_LEN, CLO_E_FORMAT, "onnx: tensor string_data");
            nstr++;
            break;
        case 4:
        case 5:
        case 7:
        case 9:
        case 10:
        case 11:
            if (f.wire != CLO_PB_LEN)
                return refuse(r, CLO_E_UNSUPPORTED, "unpacked repeated tensor data");
            if (f.b.len == 0) break;
            CLO_ENSURE(!data_field, CLO_E_FORMAT, "onnx: tensor data given twice");
            data_field = f.field;
            t->data = f.b;
            break;
        default: break; /* doc_string and fields of later IR versions */
        }
    }
    CLO_ENSURE(have_type, CLO_E_FORMAT, "onnx: tensor without data_type");
    int is_str = t->dtype == CLO_ONNX_STRING;
    size_t es = clo_onnx_elem_size(t->dtype);
    if (!es && !is_str) return refuse(r, CLO_E_UNSUPPORTED, "tensor element type not supported");
    CLO_ENSURE(is_str ? !data_field : !nstr, CLO_E_FORMAT,
               "onnx: tensor data in the wrong field for its type");
    t->count = 1;
    for (uint32_t i = 0; i < t->rank; i++) {
        CLO_ENSURE(t->dims[i] >= 0, CLO_E_FORMAT, "onnx: negative tensor dimension");
        CLO_ENSURE(t->dims[i] == 0 || t->count <= CLO_ONNX_MAX_ELEMS / (uint64_t)t->dims[i],
                   CLO_E_LIMIT, "onnx: tensor over 2^32 elements");
        t->count *= (uint64_t)t->dims[i];
    }
    CLO_ENSURE(t->count <= CLO_ONNX_MAX_ELEMS, CLO_E_LIMIT, "onnx: tensor over 2^32 elements");
    if (nstr) { /* decoding walks the message again for its string_data fields */
        CLO_ENSURE(nstr == t->count, CLO_E_FORMAT, "onnx: tensor element count is not its shape's");
        t->form = CLO_ONNX_DATA_STRINGS;
        t->data = b;
        return CLO_OK;
    }
    if (!data_field) {
        CLO_ENSURE(t->count == 0, CLO_E_FORMAT, "onnx: tensor without data");
        t->form = CLO_ONNX_DATA_NONE;
        return CLO_OK;
    }
    size_t n = 0;
    if (data_field == 9) {
        t->form = CLO_ONNX_DATA_RAW;
        CLO_ENSURE(t->data.len == t->count * es, CLO_E_FORMAT,
                   "onnx: raw_data size is not the tensor's");
        return CLO_OK;
    }
    CLO_ENSURE(data_field == typed_field(t->dtype), CLO_E_FORMAT,
               "onnx: tensor data in the wrong field for its type");
    if (data_field == 4) {
        t->form = CLO_ONNX_DATA_FIXED32;
        CLO_TRY(clo_pb_packed_fixed32(t->data, &n));
    } else if (data_field == 10) {
        t->form = CLO_ONNX_DATA_FIXED64;
        CLO_ENSURE(t->data.len % 8 == 0, CLO_E_FORMAT, "onnx: double_data size");
        n = t->data.len / 8;
    } else {
        t->form = CLO_ONNX_DATA_VARINTS;
        CLO_TRY(clo_pb_packed_varints(t->data, NULL, 0, &n));
    }
    CLO_ENSURE(n == t->count, CLO_E_FORMAT, "onnx: tensor element count is not its shape's");
    return CLO_OK;
}

clo_err clo_onnx_tensor_read(clo_bytes bytes, clo_onnx_tensor *t)
{
    clo_onnx_model scratch;
    memset(&scratch, 0, sizeof scratch);
    rd r = {.m = &scratch};
    return read_tensor(&r, bytes, t);
}

/* ValueInfoProto: name, and for tensor types the element type and shape. */
static clo_err read_value(rd *r, clo_bytes b, clo_onnx_value *v)
{
    (void)r;
    clo_cur c = clo_cur_init(b);
    clo_pb_field f;
    int done;
    memset(v, 0, sizeof *v);
    for (;;) {
        CLO_TRY(clo_pb_next(&c, &f, &done));
        if (done) return CLO_OK;
        if (f.field == 1 && f.wire == CLO_PB_LEN) v->name = f.b;
        if (f.field != 2 || f.wire != CLO_PB_LEN) continue;
        clo_cur tc = clo_cur_init(f.b); /* TypeProto */
        clo_pb_field tf;
        for (;;) {
            CLO_TRY(clo_pb_next(&tc, &tf, &done));
            if (done) break;
            if (tf.field != 1 || tf.wire != CLO_PB_LEN) continue; /* tensor_type only */
            clo_cur ec = clo_cur_init(tf.b);
            clo_pb_field ef;
            for (;;) {
                CLO_TRY(clo_pb_next(&ec, &ef, &done));
                if (done) break;
                if (ef.field == 1 && ef.wire == CLO_PB_VARINT) v->elem_type = (int32_t)ef.v;
                if (ef.field != 2 || ef.wire != CLO_PB_LEN) continue;
                v->has_shape = 1;
                clo_cur sc = clo_cur_init(ef.b); /* TensorShapeProto */
                clo_pb_field sf;
                for (;;) {
                    CLO_TRY(clo_pb_next(&sc, &sf, &done));
                    if (done) break;
                    if (sf.field != 1 || sf.wire != CLO_PB_LEN) continue;
                    int64_t d = -1;
                    clo_cur dc = clo_cur_init(sf.b); /* Dimension */
                    clo_pb_field df;
                    for (;;) {
                        CLO_TRY(clo_pb_next(&dc, &df, &done));
                        if (done) break;
                        if (df.field == 1 && df.wire == CLO_PB_VARINT) d = (int64_t)df.v;
                    }
                    CLO_TRY(add_dim(&v->rank, v->dims, d < 0 ? -1 : d));
                }
            }
        }
    }
}

static clo_err ints_add(void *ud, int64_t v)
{
    rd *r = ud;
    uint32_t k;
    CLO_TRY(GROW(r, ints, nints, cap_ints, &k));
    r->m->ints[k] = v;
    return CLO_OK;
}

static clo_err floats_add(rd *r, uint32_t bits)
{
    uint32_t k;
    CLO_TRY(GROW(r, floats, nfloats, cap_floats, &k));
    memcpy(&r->m->floats[k], &bits, 4);
    return CLO_OK;
}

static clo_err read_attr(rd *r, clo_bytes b, uint32_t idx)
{
    clo_cur c = clo_cur_init(b);
    clo_pb_field f;
    int done, have_type = 0, have_tensor = 0, have_graph = 0;
    /* Lists must be contiguous in their pools: gather each kind in its own pass. */
    uint32_t ints0 = (uint32_t)r->m->nints, floats0 = (uint32_t)r->m->nfloats,
             names0 = (uint32_t)r->m->nnames;
    clo_onnx_attr a;
    memset(&a, 0, sizeof a);
    for (;;) {
        CLO_TRY(clo_pb_next(&c, &f, &done));
        if (done) break;
        switch (f.field) {
        case 1: a.name = f.b; break;
        case 20:
            a.type = (int32_t)f.v;
            have_type = 1;
            break;
        case 2:
            CLO_ENSURE(f.wire == CLO_PB_I32, CLO_E_FORMAT, "onnx: attribute f");
            memcpy(&a.f, &(uint32_t){(uint32_t)f.v}, 4);
            break;
        case 3: a.i = (int64_t)f.v; break;
        case 4: a.s = f.b; break;
        case 5: {
            uint32_t t;
            CLO_TRY(GROW(r, tensors, ntensors, cap_tensors, &t));
            CLO_TRY(read_tensor(r, f.b, &r->m->tensors[t]));
            a.tensor = t;
            have_tensor = 1;
            break;
        }
        case 7:
            if (f.wire == CLO_PB_I32) {
                CLO_TRY(floats_add(r, (uint32_t)f.v));
            } else {
                size_t n;
                CLO_ENSURE(f.wire == CLO_PB_LEN, CLO_E_FORMAT, "onnx: attribute floats");
                CLO_TRY(clo_pb_packed_fixed32(f.b, &n));
                for (size_t i = 0; i < n; i++) {
                    uint32_t bits = (uint32_t)f.b.ptr[4 * i] | (uint32_t)f.b.ptr[4 * i + 1] << 8 |
                                    (uint32_t)f.b.ptr[4 * i + 2] << 16 |
                                    (uint32_t)f.b.ptr[4 * i + 3] << 24;
                    CLO_TRY(floats_add(r, bits));
                }
            }
            break;
        case 8: CLO_TRY(each_varint(&f, ints_add, r)); break;
        case 9: {
            uint32_t k;
            CLO_ENSURE(f.wire == CLO_PB_LEN, CLO_E_FORMAT, "onnx: attribute strings");
            CLO_TRY(GROW(r, names, nnames, cap_names, &k));
            r->m->names[k] = f.b;
            break;
        }
        case 6:
            CLO_ENSURE(f.wire == CLO_PB_LEN && !have_graph, CLO_E_FORMAT, "onnx: attribute g");
            CLO_TRY(read_subgraph(r, f.b, &a.graph));
            have_graph = 1;
            break;
        case 11: return refuse(r, CLO_E_UNSUPPORTED, "graph-list attributes are not supported");
        case 10: return refuse(r, CLO_E_UNSUPPORTED, "tensor-list attributes are not supported");
        case 14:
        case 15: return refuse(r, CLO_E_UNSUPPORTED, "type attributes are not supported");
        case 21:
            return refuse(r, CLO_E_UNSUPPORTED,
                          "attribute references (functions) are not supported");
        case 22:
        case 23: return refuse(r, CLO_E_UNSUPPORTED, "sparse-tensor attributes are not supported");
        default: break;
        }
    }
    CLO_ENSURE(have_type && a.name.len > 0, CLO_E_FORMAT, "onnx: attribute without name or type");
    switch (a.type) {
    case CLO_ONNX_ATTR_FLOATS:
        a.first = floats0;
        a.n = (uint32_t)(r->m->nfloats - floats0);
        break;
    case CLO_ONNX_ATTR_INTS:
        a.first = ints0;
        a.n = (uint32_t)(r->m->nints - ints0);
        break;
    case CLO_ONNX_ATTR_STRINGS:
        a.first = names0;
        a.n = (uint32_t)(r->m->nnames - names0);
        break;
    case CLO_ONNX_ATTR_FLOAT:
    case CLO_ONNX_ATTR_INT:
    case CLO_ONNX_ATTR_STRING: break;
    case CLO_ONNX_ATTR_TENSOR:
        /* else a.tensor would name tensor 0, which may not exist (fuzzing found it) */
        CLO_ENSURE(have_tensor, CLO_E_FORMAT, "onnx: tensor attribute without its tensor");
        break;
    case CLO_ONNX_ATTR_GRAPH:
        CLO_ENSURE(have_graph, CLO_E_FORMAT, "onnx: graph attribute without its graph");
        break;
    default: return refuse(r, CLO_E_UNSUPPORTED, "attribute type not supported");
    }
    r->m->attrs[idx] = a;
    return CLO_OK;
}

/* Append the node's repeated string `field` to the names pool. */
static clo_err node_names(rd *r, clo_bytes b, uint32_t field, uint32_t *first, uint32_t *n)
{
    clo_cur c = clo_cur_init(b);
    clo_pb_field f;
    int done;
    *first = (uint32_t)r->m->nnames;
    for (;;) {
        CLO_TRY(clo_pb_next(&c, &f, &done));
        if (done) break;
        if (f.field != field) continue;
        CLO_ENSURE(f.wire == CLO_PB_LEN, CLO_E_FORMAT, "onnx: node input/output");
        uint32_t k;
        CLO_TRY(GROW(r, names, nnames, cap_names, &k));
        r->m->names[k] = f.b;
    }
    *n = (uint32_t)(r->m->nnames - *first);
    return CLO_OK;
}

/* A node into nodes[idx], or (sub) a subgraph's into gnodes[idx]; by index,
 * as its subgraphs grow the pools while it is read. */
static clo_err read_node(rd *r, clo_bytes b, int sub, uint32_t idx)
{
    clo_onnx_node nd;
    memset(&nd, 0, sizeof nd);
    clo_cur c = clo_cur_init(b);
    clo_pb_field f;
    int done;
    uint32_t nattr = 0;
    for (;;) {
        CLO_TRY(clo_pb_next(&c, &f, &done));
        if (done) break;
        if (f.wire != CLO_PB_LEN) continue;
        if (f.field == 3) nd.name = f.b;
        if (f.field == 4) nd.op_type = f.b;
        if (f.field == 7) nd.domain = f.b;
        if (f.field == 5) nattr++;
    }
    CLO_ENSURE(nd.op_type.len > 0, CLO_E_FORMAT, "onnx: node without op_type");
    const char *outer = r->node;
    char label[64];
    snprintf(label, sizeof label, "%.*s",
             (int)(nd.name.len ? nd.name.len : nd.op_type.len) > 60
                 ? 60
                 : (int)(nd.name.len ? nd.name.len : nd.op_type.len),
             (const char *)(nd.name.len ? nd.name.ptr : nd.op_type.ptr));
    r->node = label;
    CLO_TRY(node_names(r, b, 1, &nd.in_first, &nd.in_n));
    CLO_TRY(node_names(r, b, 2, &nd.out_first, &nd.out_n));
    /* Attributes: reserve their slots first (an attribute's tensor or lists
     * grow other pools, never this one while it is being filled). */
    nd.attr_first = (uint32_t)r->m->nattrs;
    for (uint32_t i = 0; i < nattr; i++) {
        uint32_t k;
        CLO_TRY(GROW(r, attrs, nattrs, cap_attrs, &k));
    }
    c = clo_cur_init(b);
    uint32_t i = 0;
    for (;;) {
        CLO_TRY(clo_pb_next(&c, &f, &done));
        if (done) break;
        if (f.field == 5 && f.wire == CLO_PB_LEN) CLO_TRY(read_attr(r, f.b, nd.attr_first + i++));
    }
    nd.attr_n = nattr;
    r->node = outer;
    if (sub)
        r->m->gnodes[idx] = nd;
    else
        r->m->nodes[idx] = nd;
    return CLO_OK;
}

/* An initializer: its tensor read into the pool; its index in *t. */
static clo_err read_init(rd *r, clo_bytes b, uint32_t *t)
{
    CLO_TRY(GROW(r, tensors, ntensors, cap_tensors, t));
    CLO_TRY(read_tensor(r, b, &r->m->tensors[*t]));
    CLO_ENSURE(r->m->tensors[*t].name.len > 0, CLO_E_FORMAT, "onnx: initializer without name");
    return CLO_OK;
}

/* A graph attribute's GraphProto. Its ranges are reserved before it is read
 * (a node's own subgraphs grow the same pools), then filled in order. */
static clo_err read_subgraph(rd *r, clo_bytes b, uint32_t *out)
{
    if (r->depth >= CLO_ONNX_MAX_DEPTH)
        return refuse(r, CLO_E_LIMIT, "subgraphs nested more than 8 deep");
    clo_cur c = clo_cur_init(b);
    clo_pb_field f;
    int done;
    uint32_t gi, k, counts[4] = {0, 0, 0, 0}; /* nodes, initializers, inputs, outputs */
    for (;;) {
        CLO_TRY(clo_pb_next(&c, &f, &done));
        if (done) break;
        if (f.wire != CLO_PB_LEN) continue;
        if (f.field == 15)
            return refuse(r, CLO_E_UNSUPPORTED, "sparse initializers are not supported");
        counts[0] += f.field == 1;
        counts[1] += f.field == 5;
        counts[2] += f.field == 11;
        counts[3] += f.field == 12;
    }
    CLO_ENSURE(r->m->nnodes + r->m->ngnodes + counts[0] <= CLO_ONNX_MAX_NODES, CLO_E_LIMIT,
               "onnx: more nodes than the limit");
    CLO_TRY(GROW(r, graphs, ngraphs, cap_graphs, &gi));
    clo_onnx_graph g = {(uint32_t)r->m->ngnodes,
                        counts[0],
                        (uint32_t)r->m->nginits,
                        counts[1],
                        (uint32_t)r->m->ngvalues,
                        counts[2],
                        (uint32_t)r->m->ngvalues + counts[2],
                        counts[3]};
    for (uint32_t i = 0; i < counts[0]; i++) CLO_TRY(GROW(r, gnodes, ngnodes, cap_gnodes, &k));
    for (uint32_t i = 0; i < counts[1]; i++) CLO_TRY(GROW(r, ginits, nginits, cap_ginits, &k));
    for (uint32_t i = 0; i < counts[2] + counts[3]; i++)
        CLO_TRY(GROW(r, gvalues, ngvalues, cap_gvalues, &k));
    uint32_t at[4] = {0, 0, 0, 0};
    r->depth++;
    c = clo_cur_init(b);
    for (;;) {
        clo_err err = clo_pb_next(&c, &f, &done);
        if (!err.code && done) break;
        if (!err.code && f.wire == CLO_PB_LEN) {
            uint32_t t = 0;
            switch (f.field) {
            case 1: err = read_node(r, f.b, 1, g.node_first + at[0]++); break;
            case 5:
                err = read_init(r, f.b, &t);
                r->m->ginits[g.init_first + at[1]++] = t;
                break;
            case 11: err = read_value(r, f.b, &r->m->gvalues[g.in_first + at[2]++]); break;
            case 12: err = read_value(r, f.b, &r->m->gvalues[g.out_first + at[3]++]); break;
            default: break;
            }
        }
        if (err.code) {
            r->depth--;
            return err;
        }
    }
    r->depth--;
    r->m->graphs[gi] = g;
    *out = gi;
    return CLO_OK;
}

static clo_err read_graph(rd *r, clo_bytes b)
{
    clo_cur c = clo_cur_init(b);
    clo_pb_field f;
    int done;
    for (;;) {
        CLO_TRY(clo_pb_next(&c, &f, &done));
        if (done) return CLO_OK;
        if (f.wire != CLO_PB_LEN) continue;
        uint32_t k;
        switch (f.field) {
        case 1:
            CLO_ENSURE(r->m->nnodes + r->m->ngnodes < CLO_ONNX_MAX_NODES, CLO_E_LIMIT,
                       "onnx: more nodes than the limit");
            CLO_TRY(GROW(r, nodes, nnodes, cap_nodes, &k));
            CLO_TRY(read_node(r, f.b, 0, k));
            break;
        case 5: {
            uint32_t t;
            CLO_TRY(read_init(r, f.b, &t));
            CLO_TRY(GROW(r, inits, ninits, cap_inits, &k));
            r->m->inits[k] = t;
            break;
        }
        case 11:
            CLO_TRY(GROW(r, inputs, ninputs, cap_in, &k));
            CLO_TRY(read_value(r, f.b, &r->m->inputs[k]));
            break;
        case 12:
            CLO_TRY(GROW(r, outputs, noutputs, cap_out, &k));
            CLO_TRY(read_value(r, f.b, &r->m->outputs[k]));
            break;
        case 15: return refuse(r, CLO_E_UNSUPPORTED, "sparse initializers are not supported");
        default: break; /* name, doc_string, value_info, quantization annotations */
        }
    }
}

clo_err clo_onnx_load(clo_bytes bytes, clo_onnx_model *m)
{
    memset(m, 0, sizeof *m);
    rd r = {.m = m};
    clo_cur c = clo_cur_init(bytes);
    clo_pb_field f;
    int done, graphs = 0;
    clo_err err = CLO_OK;
    for (;;) {
        err = clo_pb_next(&c, &f, &done);
        if (err.code || done) break;
        if (f.field == 1 && f.wire == CLO_PB_VARINT) m->ir_version = (int64_t)f.v;
        if (f.field == 8 && f.wire == CLO_PB_LEN) {
            if (m->nopsets == CLO_ONNX_MAX_OPSETS) {
                err = refuse(&r, CLO_E_LIMIT, "more than 32 opset imports");
                break;
            }
            clo_onnx_opset_import *o = &m->opsets[m->nopsets++];
            clo_cur oc = clo_cur_init(f.b);
            clo_pb_field of;
            int odone;
            while (!(err = clo_pb_next(&oc, &of, &odone)).code && !odone) {
                if (of.field == 1 && of.wire == CLO_PB_LEN) o->domain = of.b;
                if (of.field == 2 && of.wire == CLO_PB_VARINT) o->version = (int64_t)of.v;
            }
            if (err.code) break;
        }
        if (f.field == 7 && f.wire == CLO_PB_LEN) {
            graphs++;
            if ((err = read_graph(&r, f.b)).code) break;
        }
    }
    if (!err.code && graphs != 1) err = refuse(&r, CLO_E_FORMAT, "a model has exactly one graph");
    if (!err.code && m->ir_version < 3)
        err = refuse(&r, CLO_E_UNSUPPORTED, "IR version below 3 is not supported");
    if (err.code) {
        char why[sizeof m->why];
        if (!m->why[0]) snprintf(m->why, sizeof m->why, "%s", err.what ? err.what : "malformed");
        memcpy(why, m->why, sizeof why);
        clo_onnx_free(m);
        memcpy(m->why, why, sizeof why);
    }
    return err;
}

void clo_onnx_free(clo_onnx_model *m)
{
    free(m->nodes);
    free(m->inits);
    free(m->inputs);
    free(m->outputs);
    free(m->names);
    free(m->attrs);
    free(m->tensors);
    free(m->ints);
    free(m->floats);
    free(m->graphs);
    free(m->gnodes);
    free(m->ginits);
    free(m->gvalues);
    memset(m, 0, sizeof *m);
}

int64_t clo_onnx_opset(const clo_onnx_model *m, const char *domain)
{
    size_t n = strlen(domain);
    for (size_t i = 0; i < m->nopsets; i++) {
        clo_bytes d = m->opsets[i].domain;
        int is_default = !n && (d.len == 0 || (d.len == 7 && !memcmp(d.ptr, "ai.onnx", 7)));
        if (is_default || (n && d.len == n && !memcmp(d.ptr, domain, n)))
            return m->opsets[i].version;
    }
    return 0;
}
