/* onnx_model_fuzz.c — untrusted model bytes: the model reader (clo_onnx_load,
 * and clo_onnx_tensor_read for test-data tensors); for a model that loads,
 * with its subgraphs (If branches), a plan on feeds of its declared shapes
 * (symbolic dims as 1, zeros as data)
 * and, when it is small, a run; then the protocol buffers reader alone:
 * every length-delimited field is tried as a nested message, down to a depth
 * of 8, as a model loader would walk ModelProto -> GraphProto -> NodeProto ->
 * AttributeProto -> TensorProto. Properties beyond "no crash": every view a
 * field gives lies inside its parent, and packed-field counts agree with a
 * second, counting-only pass. */
#include <stdlib.h>
#include <string.h>

#include "workloads/onnx/model.h"
#include "workloads/onnx/plan.h"
#include "workloads/onnx/pb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(clo_bytes m, int depth)
{
    clo_cur c = clo_cur_init(m);
    clo_pb_field f;
    int done = 0;
    while (!clo_pb_next(&c, &f, &done).code && !done) {
        if (f.wire != CLO_PB_LEN) continue;
        if (f.b.len && (f.b.ptr < m.ptr || f.b.ptr + f.b.len > m.ptr + m.len)) abort();
        size_t n1 = 0, n2 = 0;
        int64_t vals[64];
        clo_err a = clo_pb_packed_varints(f.b, NULL, 0, &n1);
        clo_err b = clo_pb_packed_varints(f.b, vals, 64, &n2);
        if (!a.code && n1 <= 64 && (b.code || n1 != n2)) abort();
        if (depth < 8) walk(f.b, depth + 1);
    }
}

/* What loads is internally consistent: every range inside its pool. */
static void check_node(const clo_onnx_model *m, const clo_onnx_node *n)
{
    if ((size_t)n->in_first + n->in_n > m->nnames || (size_t)n->out_first + n->out_n > m->nnames ||
        (size_t)n->attr_first + n->attr_n > m->nattrs || n->op_type.len == 0)
        abort();
}

static void check(const clo_onnx_model *m)
{
    for (size_t i = 0; i < m->nnodes; i++) check_node(m, &m->nodes[i]);
    for (size_t i = 0; i < m->ngnodes; i++) check_node(m, &m->gnodes[i]);
    for (size_t i = 0; i < m->ngraphs; i++) {
        const clo_onnx_graph *g = &m->graphs[i];
        if ((size_t)g->node_first + g->node_n > m->ngnodes ||
            (size_t)g->init_first + g->init_n > m->nginits ||
            (size_t)g->in_first + g->in_n > m->ngvalues ||
            (size_t)g->out_first + g->out_n > m->ngvalues)
            abort();
    }
    for (size_t i = 0; i < m->nginits; i++)
        if (m->ginits[i] >= m->ntensors) abort();
    for (size_t i = 0; i < m->nattrs; i++) {
        const clo_onnx_attr *a = &m->attrs[i];
        size_t pool = a->type == CLO_ONNX_ATTR_INTS     ? m->nints
                      : a->type == CLO_ONNX_ATTR_FLOATS ? m->nfloats
                                                        : m->nnames;
        if ((size_t)a->first + a->n > pool) abort();
        if (a->type == CLO_ONNX_ATTR_TENSOR && a->tensor >= m->ntensors) abort();
        if (a->type == CLO_ONNX_ATTR_GRAPH && a->graph >= m->ngraphs) abort();
    }
    for (size_t i = 0; i < m->ninits; i++)
        if (m->inits[i] >= m->ntensors) abort();
}

#define MAX_FEEDS     16
#define MAX_FEED_SIZE ((size_t)1 << 16)

/* Plan (and, if small, run) on zero feeds of the declared shapes. A refusal
 * must say why; a plan must give outputs of the sizes it announced. */
static void plan_and_run(const clo_onnx_model *m)
{
    const clo_onnx_value *v[MAX_FEEDS];
    size_t n = clo_onnx_feeds(m, v, MAX_FEEDS);
    if (n > MAX_FEEDS) return;
    clo_tensor feeds[MAX_FEEDS];
    static uint8_t zeros[MAX_FEEDS][MAX_FEED_SIZE];
    for (size_t i = 0; i < n; i++) {
        size_t es = clo_tensor_elem_size(v[i]->elem_type);
        if (!es || !v[i]->has_shape) return;
        memset(&feeds[i], 0, sizeof feeds[i]);
        feeds[i].dtype = v[i]->elem_type;
        feeds[i].shape.rank = v[i]->rank;
        uint64_t count = 1;
        for (uint32_t d = 0; d < v[i]->rank; d++) {
            int64_t dim = v[i]->dims[d] < 0 ? 1 : v[i]->dims[d];
            feeds[i].shape.d[d] = dim;
            count *= (uint64_t)dim;
            if (count * es > MAX_FEED_SIZE) return;
        }
        feeds[i].count = count;
        feeds[i].data = zeros[i];
    }
    clo_onnx_plan *p;
    char why[CLO_ONNX_WHY];
    if (clo_onnx_plan_new(m, feeds, n, &p, why).code) {
        if (!why[0] || p) abort();
        return;
    }
    if (clo_onnx_plan_arena_size(p) <= ((size_t)64 << 20)) {
        for (size_t i = 0; i < n; i++) memset(zeros[i], 0, MAX_FEED_SIZE);
        if (!clo_onnx_plan_run(p, feeds, n).code)
            for (size_t k = 0; k < clo_onnx_plan_noutputs(p); k++) {
                const clo_tensor *o = clo_onnx_plan_output(p, k);
                if (!o || (o->count && !o->data)) abort();
            }
    }
    clo_onnx_plan_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_onnx_model m;
    if (!clo_onnx_load(CLO_BYTES(data, size), &m).code) {
        check(&m);
        plan_and_run(&m);
        clo_onnx_free(&m);
    } else if (!m.why[0] || m.nodes) {
        abort(); /* a refusal says why and holds nothing */
    }
    clo_onnx_tensor t;
    if (!clo_onnx_tensor_read(CLO_BYTES(data, size), &t).code && t.form == CLO_ONNX_DATA_RAW &&
        t.data.len != t.count * clo_onnx_elem_size(t.dtype))
        abort();
    walk(CLO_BYTES(data, size), 0);
    return 0;
}
