/* ctrl.c — control flow, resolved while a plan is built: If takes the
 * branch its condition names, Loop and Scan are unrolled (their bodies
 * built once per iteration in the node's place, their scan inputs sliced
 * and scan outputs stacked by two internal steps). Every condition and trip
 * count must be known then: constants, shapes, or feeds whose values were
 * given (the plan is then bound to them). docs/onnx.md says what is
 * refused. */
#include <stdlib.h>
#include <string.h>

#include "workloads/onnx/plan_impl.h"

/* If, Loop and Scan are resolved while the plan is built (clo_onnx_add_if,
 * _loop, _scan); these entries name them in the registry (so `cloister
 * onnx info` counts them), and are never prepared. */
static clo_err ctrl_prepare(clo_onnx_prep *pr)
{
    return clo_onnx_refuse(pr, CLO_E_STATE, "control flow is resolved when the plan is built");
}
static clo_err ctrl_run(const clo_onnx_exec *x)
{
    (void)x;
    return CLO_ERR(CLO_E_STATE, "onnx: control flow");
}
const clo_onnx_op clo_onnx_op_if = {
    "", "If", 1, 1, 1, 1, MAX_IO, "then_branch,else_branch", 0, ctrl_prepare, ctrl_run};
const clo_onnx_op clo_onnx_op_loop = {"", "Loop",       1,       2, MAX_IO, 1, MAX_IO, "body",
                                      0,  ctrl_prepare, ctrl_run};
const clo_onnx_op clo_onnx_op_scan = {
    "",
    "Scan",
    9,
    1,
    MAX_IO,
    1,
    MAX_IO,
    "body,num_scan_inputs,scan_input_axes,scan_input_directions,scan_output_axes,"
    "scan_output_directions",
    0,
    ctrl_prepare,
    ctrl_run};
const clo_onnx_op *const clo_onnx_ops_ctrl[] = {&clo_onnx_op_if, &clo_onnx_op_loop,
                                                &clo_onnx_op_scan, NULL};

/* The steps an unrolled Loop or Scan adds: one slice of a scan input (the
 * element at `index` along `axis`, which goes), and the stack of a scan
 * output's per-iteration values along `axis` (a new dim). */
typedef struct {
    uint32_t axis;
    int64_t index;
} unroll_params;

/* The elements of t before axis (returned) and the bytes of each block
 * from axis on (*inner; the axis itself left out when skip). */
static size_t around(const clo_tensor *t, uint32_t axis, int skip, size_t *inner)
{
    size_t outer = 1;
    *inner = clo_tensor_elem_size(t->dtype);
    for (uint32_t d = 0; d < t->shape.rank; d++) {
        if (d < axis)
            outer *= (size_t)t->shape.d[d];
        else if (d > axis || !skip)
            *inner *= (size_t)t->shape.d[d];
    }
    return outer;
}

static clo_err slice_prepare(clo_onnx_prep *pr)
{
    const unroll_params *u = pr->params;
    const clo_shape *s = &pr->in[0]->shape;
    if (u->axis >= s->rank || u->index < 0 || u->index >= s->d[u->axis])
        return clo_onnx_refuse(pr, CLO_E_FORMAT, "a scan input's axis is out of range");
    clo_shape o = {s->rank - 1, {0}};
    for (uint32_t d = 0, j = 0; d < s->rank; d++)
        if (d != u->axis) o.d[j++] = s->d[d];
    clo_onnx_set_out(pr, 0, pr->in[0]->dtype, &o);
    return CLO_OK;
}

static clo_err slice_run(const clo_onnx_exec *x)
{
    const unroll_params *u = x->params;
    const clo_tensor *in = x->in[0];
    size_t inner, outer = around(in, u->axis, 1, &inner);
    size_t n = (size_t)in->shape.d[u->axis];
    const uint8_t *src = in->data;
    uint8_t *dst = x->out[0]->data;
    for (size_t o = 0; o < outer; o++)
        memcpy(dst + o * inner, src + (o * n + (size_t)u->index) * inner, inner);
    return CLO_OK;
}

static clo_err stack_prepare(clo_onnx_prep *pr)
{
    const unroll_params *u = pr->params;
    const clo_tensor *a = pr->in[0];
    for (size_t k = 1; k < pr->nin; k++)
        if (pr->in[k]->dtype != a->dtype || !clo_shape_equal(&pr->in[k]->shape, &a->shape))
            return clo_onnx_refuse(pr, CLO_E_UNSUPPORTED,
                                   "a scan output changes its type or shape between iterations");
    if (a->shape.rank >= CLO_ONNX_MAX_RANK || u->axis > a->shape.rank)
        return clo_onnx_refuse(pr, CLO_E_FORMAT, "a scan output's axis is out of range");
    clo_shape o = {a->shape.rank + 1, {0}};
    for (uint32_t d = 0, j = 0; d < o.rank; d++)
        o.d[d] = d == u->axis ? (int64_t)pr->nin : a->shape.d[j++];
    clo_onnx_set_out(pr, 0, a->dtype, &o);
    return CLO_OK;
}

static clo_err stack_run(const clo_onnx_exec *x)
{
    const unroll_params *u = x->params;
    const clo_tensor *a = x->in[0];
    size_t inner, outer = around(a, u->axis, 0, &inner);
    uint8_t *dst = x->out[0]->data;
    for (size_t o = 0; o < outer; o++)
        for (size_t k = 0; k < x->nin; k++, dst += inner)
            memcpy(dst, (const uint8_t *)x->in[k]->data + o * inner, inner);
    return CLO_OK;
}

static const clo_onnx_op op_scan_slice = {
    "", "(scan slice)", 1, 1, 1, 1, 1, "", sizeof(unroll_params), slice_prepare, slice_run};
static const clo_onnx_op op_scan_stack = {
    "", "(scan stack)", 1, 1, UINT8_MAX, 1, 1, "", sizeof(unroll_params), stack_prepare, stack_run};

/* A subgraph built in node n's place: its inputs are the values
 * in[0..g->in_n) (defined under its input names), its initializers and
 * nodes are built, and out[0..g->out_n) are its outputs' values. Its own
 * names end with it, so a sibling branch or the next iteration can use
 * them again. */
static clo_err build_body(builder *b, const clo_onnx_node *n, const clo_onnx_graph *g,
                          clo_tensor *const *in, clo_tensor **out, int depth)
{
    clo_onnx_plan *p = b->p;
    const clo_onnx_model *m = p->m;
    size_t scope = b->ndefs;
    for (uint32_t k = 0; k < g->in_n; k++) {
        uint32_t *slot = clo_onnx_slot(&b->nm, m->gvalues[g->in_first + k].name);
        if (DEFINED(*slot))
            return clo_onnx_fail(b->why, CLO_ERR(CLO_E_FORMAT, "onnx: value defined twice"),
                                 "%s: a body input's name is already defined", b->label);
        clo_onnx_define(b, slot, (uint32_t)(in[k] - p->vals));
    }
    for (uint32_t i = 0; i < g->init_n; i++)
        CLO_TRY(clo_onnx_add_const(b, &m->tensors[m->ginits[g->init_first + i]]));
    for (uint32_t i = 0; i < g->node_n; i++)
        CLO_TRY(clo_onnx_add_node(b, &m->gnodes[g->node_first + i], depth + 1));
    clo_onnx_node_label(m, n, b->label, sizeof b->label);
    for (uint32_t k = 0; k < g->out_n; k++) {
        out[k] = clo_onnx_value_named(b, m->gvalues[g->out_first + k].name);
        if (!out[k]) return CLO_ERR(CLO_E_FORMAT, "onnx: undefined value");
    }
    while (b->ndefs > scope) b->nm.val[b->defs[--b->ndefs]] = GONE;
    return CLO_OK;
}

/* The node's outputs := vals (an omitted output is skipped). */
static clo_err define_outputs(builder *b, const clo_onnx_node *n, clo_tensor *const *vals)
{
    const clo_onnx_model *m = b->p->m;
    for (uint32_t k = 0; k < n->out_n; k++) {
        clo_bytes out = m->names[n->out_first + k];
        if (!out.len) continue;
        uint32_t *slot = clo_onnx_slot(&b->nm, out);
        if (DEFINED(*slot)) {
            char vname[64];
            clo_bytes_printable(vname, sizeof vname, out);
            return clo_onnx_fail(b->why, CLO_ERR(CLO_E_FORMAT, "onnx: value defined twice"),
                                 "%s: output '%s' is already defined", b->label, vname);
        }
        clo_onnx_define(b, slot, (uint32_t)(vals[k] - b->p->vals));
    }
    return CLO_OK;
}

/* One more iteration unrolled, within the plan's budget. */
static clo_err take_iteration(builder *b)
{
    if (!b->iters_left)
        return clo_onnx_fail(b->why, CLO_ERR(CLO_E_LIMIT, "onnx: Loop iterations"),
                             "%s: more iterations than a plan unrolls (Loop and Scan are "
                             "unrolled when the plan is built)",
                             b->label);
    b->iters_left--;
    return CLO_OK;
}

/* One element of type want (bool or int64) that must be known now: an
 * If's condition, a Loop's trip count or condition. */
static clo_err known_scalar(builder *b, clo_tensor *v, const char *what, int32_t want, int64_t *out)
{
    clo_err err = CLO_OK;
    if (v->dtype != want || v->count != 1)
        return clo_onnx_fail(b->why, CLO_ERR(CLO_E_FORMAT, "onnx: control flow"),
                             "%s: %s must be one %s", b->label, what, clo_tensor_type_name(want));
    if (!clo_onnx_make_const(b->p, v, 0, &err)) {
        if (err.code) return clo_onnx_fail(b->why, err, "%s: %s: %s", b->label, what, err.what);
        return clo_onnx_fail(b->why, CLO_ERR(CLO_E_UNSUPPORTED, "onnx: control flow at run time"),
                             "%s: %s depends on a value known only while running (If, Loop and "
                             "Scan are resolved when the plan is built, from constants, shapes "
                             "or given feeds)",
                             b->label, what);
    }
    *out = want == CLO_ONNX_BOOL ? *(const uint8_t *)v->data : *(const int64_t *)v->data;
    return CLO_OK;
}

/* If: its condition must be known now (a constant, shapes, or feeds whose
 * values were given: the plan is then bound to them); the branch it takes
 * is built in its place, its initializers as constants, and the If's
 * outputs are the branch's. A condition known only while running is
 * refused. */
clo_err clo_onnx_add_if(builder *b, const clo_onnx_node *n, int depth)
{
    clo_onnx_plan *p = b->p;
    const clo_onnx_model *m = p->m;
    const clo_onnx_graph *br[2] = {NULL, NULL}; /* else, then */
    for (uint32_t k = 0; k < n->attr_n; k++) {
        const clo_onnx_attr *a = &m->attrs[n->attr_first + k];
        int which = clo_bytes_eq(a->name, clo_bytes_str("then_branch"))   ? 1
                    : clo_bytes_eq(a->name, clo_bytes_str("else_branch")) ? 0
                                                                          : -1;
        if (which < 0 || a->type != CLO_ONNX_ATTR_GRAPH) {
            char aname[48];
            clo_bytes_printable(aname, sizeof aname, a->name);
            return clo_onnx_fail(b->why, CLO_ERR(CLO_E_FORMAT, "onnx: If attribute"),
                                 "%s: attribute '%s' is not a branch", b->label, aname);
        }
        br[which] = &m->graphs[a->graph];
    }
    if (!br[0] || !br[1] || n->in_n != 1 || !m->names[n->in_first].len)
        return clo_onnx_fail(b->why, CLO_ERR(CLO_E_FORMAT, "onnx: If"),
                             "%s: an If takes a condition and two branches", b->label);
    clo_tensor *cond = clo_onnx_value_named(b, m->names[n->in_first]);
    if (!cond) return CLO_ERR(CLO_E_FORMAT, "onnx: undefined value");
    int64_t taken;
    CLO_TRY(known_scalar(b, cond, "the condition", CLO_ONNX_BOOL, &taken));
    const clo_onnx_graph *g = br[taken ? 1 : 0];
    if (g->out_n != n->out_n)
        return clo_onnx_fail(b->why, CLO_ERR(CLO_E_FORMAT, "onnx: If outputs"),
                             "%s: the branch has %u outputs, the If %u", b->label, g->out_n,
                             n->out_n);
    if (g->in_n)
        return clo_onnx_fail(b->why, CLO_ERR(CLO_E_FORMAT, "onnx: If branch inputs"),
                             "%s: an If's branch takes no inputs", b->label);
    clo_tensor *outs[MAX_IO];
    CLO_TRY(build_body(b, n, g, NULL, outs, depth));
    return define_outputs(b, n, outs); /* the If's outputs are the branch's values */
}

/* ---- Loop and Scan: unrolled while the plan is built ---- */

/* A step of an internal operator (op_scan_slice, op_scan_stack) for node n,
 * on values in[0..nin) with these parameters; its one output in *out.
 * Computed now when its inputs are constants, as add_node does. */
static clo_err add_internal(builder *b, const clo_onnx_node *n, const clo_onnx_op *op,
                            const unroll_params *up, clo_tensor *const *in, size_t nin,
                            clo_tensor **out)
{
    clo_onnx_plan *p = b->p;
    step *st = &p->steps[p->nsteps];
    memset(st, 0, sizeof *st);
    st->op = op;
    st->node = n;
    st->opset = 1;
    st->nin = (uint32_t)nin;
    st->nout = 1;
    st->in = &p->ptrs[p->nptrs];
    p->nptrs += nin;
    st->out = &p->ptrs[p->nptrs];
    p->nptrs += 1;
    int all_const = 1;
    for (size_t k = 0; k < nin; k++) {
        st->in[k] = in[k];
        all_const &= p->is_const[in[k] - p->vals];
    }
    st->out[0] = *out = &p->vals[p->nvals++];
    st->params = clo_onnx_plan_own(p, sizeof *up);
    CLO_ENSURE(st->params, CLO_E_NOMEM, "onnx: plan");
    memcpy(st->params, up, sizeof *up);
    char reason[CLO_ONNX_WHY] = "";
    clo_onnx_prep pr = {p->m, n, 1, nin, 1, st->in, st->out, st->params, 0, 0, reason, p, 1, NULL};
    clo_err err = op->prepare(&pr);
    if (!err.code) err = clo_shape_count(&(*out)->shape, &(*out)->count);
    if (err.code)
        return clo_onnx_fail(b->why, err, "%s: %s", b->label, reason[0] ? reason : err.what);
    if (all_const) {
        clo_onnx_exec x = {st->params, (const clo_tensor *const *)st->in, nin, st->out, 1, NULL,
                           p->pool};
        err = clo_onnx_fold(p, st, &x);
        if (err.code) return clo_onnx_fail(b->why, err, "%s: %s", b->label, err.what);
        p->nptrs -= nin + 1;
        return CLO_OK;
    }
    p->nsteps++;
    return CLO_OK;
}

/* A new constant of this type and shape, its memory zeroed. */
static clo_tensor *new_const(clo_onnx_plan *p, int32_t dtype, const clo_shape *s)
{
    clo_tensor *v = &p->vals[p->nvals];
    v->dtype = dtype;
    v->shape = *s;
    if (clo_shape_count(s, &v->count).code) return NULL;
    v->data = clo_onnx_plan_own(p, clo_onnx_value_bytes(v) + 1);
    if (!v->data) return NULL;
    p->is_const[p->nvals++] = 1;
    return v;
}

/* The node's graph attribute "body". */
static const clo_onnx_graph *body_of(builder *b, const clo_onnx_node *n)
{
    const clo_onnx_model *m = b->p->m;
    for (uint32_t k = 0; k < n->attr_n; k++) {
        const clo_onnx_attr *a = &m->attrs[n->attr_first + k];
        if (clo_bytes_eq(a->name, clo_bytes_str("body")) && a->type == CLO_ONNX_ATTR_GRAPH)
            return &m->graphs[a->graph];
    }
    return NULL;
}

/* Loop: the trip count and the condition (each iteration's) must be known
 * while the plan is built; the body is built once per iteration in its
 * place, carrying its values into the next, and each scan output is the
 * stack of its per-iteration values. */
clo_err clo_onnx_add_loop(builder *b, const clo_onnx_node *n, int depth)
{
    clo_onnx_plan *p = b->p;
    const clo_onnx_model *m = p->m;
    const clo_onnx_graph *g = body_of(b, n);
    uint32_t nc = n->in_n >= 2 ? n->in_n - 2 : 0; /* carried values */
    if (!g || n->in_n < 2 || g->in_n != nc + 2 || g->out_n < nc + 1 || n->out_n != g->out_n - 1 ||
        n->attr_n != 1)
        return clo_onnx_fail(
            b->why, CLO_ERR(CLO_E_FORMAT, "onnx: Loop"),
            "%s: a Loop takes M, cond and N values, and a body of N + 2 inputs and "
            "1 + N + K outputs",
            b->label);
    uint32_t nk = g->out_n - 1 - nc; /* scan outputs */
    clo_bytes mn = m->names[n->in_first], cn = m->names[n->in_first + 1];
    int64_t trip = -1, cond = 1;
    if (mn.len) {
        clo_tensor *v = clo_onnx_value_named(b, mn);
        if (!v) return CLO_ERR(CLO_E_FORMAT, "onnx: undefined value");
        CLO_TRY(known_scalar(b, v, "the trip count M", CLO_ONNX_INT64, &trip));
        if (trip < 0) trip = 0;
    }
    if (cn.len) {
        clo_tensor *v = clo_onnx_value_named(b, cn);
        if (!v) return CLO_ERR(CLO_E_FORMAT, "onnx: undefined value");
        CLO_TRY(known_scalar(b, v, "the condition", CLO_ONNX_BOOL, &cond));
    }
    if (!mn.len && !cn.len)
        return clo_onnx_fail(b->why, CLO_ERR(CLO_E_UNSUPPORTED, "onnx: Loop without end"),
                             "%s: a Loop with neither M nor cond never ends", b->label);
    clo_tensor *cur[MAX_IO + 2], *outs[MAX_IO + 1];
    for (uint32_t k = 0; k < nc; k++) {
        cur[2 + k] = clo_onnx_value_named(b, m->names[n->in_first + 2 + k]);
        if (!cur[2 + k]) return CLO_ERR(CLO_E_FORMAT, "onnx: undefined value");
    }
    /* per-iteration scan values, iteration-major ([iter][k]), grown as iterations go */
    clo_tensor **scans = NULL, **list = NULL;
    size_t iters = 0, cap = 0;
    clo_err err = CLO_OK;
    const clo_onnx_value *in0 = &m->gvalues[g->in_first];
    clo_shape iter_shape = {in0->has_shape && in0->rank == 1 ? 1u : 0u, {1}};
    while ((trip < 0 || (int64_t)iters < trip) && cond) {
        clo_shape scalar = {0, {0}};
        cur[0] = new_const(p, CLO_ONNX_INT64, &iter_shape);
        cur[1] = new_const(p, CLO_ONNX_BOOL, &scalar);
        if (!cur[0] || !cur[1]) {
            err = clo_onnx_fail(b->why, CLO_ERR(CLO_E_NOMEM, "onnx: plan"), "out of memory");
            break;
        }
        *(int64_t *)cur[0]->data = (int64_t)iters;
        *(uint8_t *)cur[1]->data = 1;
        err = take_iteration(b);
        if (!err.code) err = build_body(b, n, g, cur, outs, depth);
        if (err.code) break;
        if (cn.len) {
            err = known_scalar(b, outs[0], "the body's condition", CLO_ONNX_BOOL, &cond);
            if (err.code) break;
        }
        for (uint32_t k = 0; k < nc; k++) cur[2 + k] = outs[1 + k];
        if (nk && iters == cap) {
            cap = cap ? 2 * cap : 16;
            clo_tensor **g2 = realloc(scans, cap * nk * sizeof *g2);
            if (!g2) {
                err = clo_onnx_fail(b->why, CLO_ERR(CLO_E_NOMEM, "onnx: plan"), "out of memory");
                break;
            }
            scans = g2;
        }
        for (uint32_t k = 0; k < nk; k++) scans[iters * nk + k] = outs[1 + nc + k];
        iters++;
    }
    clo_tensor *res[MAX_IO];
    for (uint32_t k = 0; k < nc && !err.code; k++) res[k] = cur[2 + k];
    if (!err.code && nk && !iters)
        err = clo_onnx_fail(b->why, CLO_ERR(CLO_E_UNSUPPORTED, "onnx: Loop without iterations"),
                            "%s: a Loop that runs no iteration has scan outputs of no known shape",
                            b->label);
    if (!err.code && nk && !(list = malloc(iters * sizeof *list)))
        err = clo_onnx_fail(b->why, CLO_ERR(CLO_E_NOMEM, "onnx: plan"), "out of memory");
    unroll_params up = {0, 0};
    for (uint32_t k = 0; k < nk && !err.code; k++) {
        for (size_t i = 0; i < iters; i++) list[i] = scans[i * nk + k];
        err = add_internal(b, n, &op_scan_stack, &up, list, iters, &res[nc + k]);
    }
    free(list);
    free(scans);
    if (err.code) return err;
    return define_outputs(b, n, res);
}

/* Scan (opset 9+): state values carried through the iterations, and scan
 * inputs sliced along their axes (in either direction), one slice per
 * iteration; each scan output is the stack of its per-iteration values. */
clo_err clo_onnx_add_scan(builder *b, const clo_onnx_node *n, int64_t opset, int depth)
{
    clo_onnx_plan *p = b->p;
    const clo_onnx_model *m = p->m;
    const clo_onnx_graph *g = body_of(b, n);
    int64_t nsi = -1, ax[4][MAX_IO];
    int have[4] = {0};
    static const char *const lists[4] = {"scan_input_axes", "scan_input_directions",
                                         "scan_output_axes", "scan_output_directions"};
    if (opset < 9)
        return clo_onnx_fail(
            b->why, CLO_ERR(CLO_E_UNSUPPORTED, "onnx: Scan-8"),
            "%s: Scan before opset 9 (its batch axis and sequence_lens) is not supported",
            b->label);
    memset(ax, 0, sizeof ax);
    for (uint32_t k = 0; k < n->attr_n; k++) {
        const clo_onnx_attr *a = &m->attrs[n->attr_first + k];
        if (clo_bytes_eq(a->name, clo_bytes_str("num_scan_inputs")) && a->type == CLO_ONNX_ATTR_INT)
            nsi = a->i;
        for (int l = 0; l < 4; l++)
            if (clo_bytes_eq(a->name, clo_bytes_str(lists[l])) && a->type == CLO_ONNX_ATTR_INTS &&
                a->n <= MAX_IO) {
                if (a->n) memcpy(ax[l], &m->ints[a->first], a->n * sizeof(int64_t));
                have[l] = (int)a->n + 1;
            }
    }
    uint32_t ns = nsi >= 1 && nsi <= (int64_t)n->in_n ? (uint32_t)nsi : 0; /* scan inputs */
    uint32_t nst = n->in_n - ns;                                           /* state */
    uint32_t nk = g && g->out_n >= nst ? g->out_n - nst : 0;               /* scan outputs */
    if (!g || !ns || g->in_n != n->in_n || g->out_n < nst || n->out_n != g->out_n ||
        (have[0] && have[0] != (int)ns + 1) || (have[1] && have[1] != (int)ns + 1) ||
        (have[2] && have[2] != (int)nk + 1) || (have[3] && have[3] != (int)nk + 1))
        return clo_onnx_fail(
            b->why, CLO_ERR(CLO_E_FORMAT, "onnx: Scan"),
            "%s: a Scan takes N states and num_scan_inputs >= 1 inputs, a body of as "
            "many inputs and N + K outputs, and axis and direction lists of those sizes",
            b->label);
    clo_tensor *cur[MAX_IO], *xs[MAX_IO], *outs[MAX_IO];
    for (uint32_t k = 0; k < n->in_n; k++) {
        clo_tensor *v = clo_onnx_value_named(b, m->names[n->in_first + k]);
        if (!v) return CLO_ERR(CLO_E_FORMAT, "onnx: undefined value");
        if (k < nst)
            cur[k] = v;
        else
            xs[k - nst] = v;
    }
    int64_t len = -1;
    uint32_t axes[MAX_IO];
    for (uint32_t j = 0; j < ns; j++) {
        int64_t a = ax[0][j], r = xs[j]->shape.rank;
        if (a < -r || a >= r)
            return clo_onnx_fail(b->why, CLO_ERR(CLO_E_FORMAT, "onnx: Scan axis"),
                                 "%s: scan input %u's axis is out of range", b->label, j);
        axes[j] = (uint32_t)(a < 0 ? a + r : a);
        int64_t l = xs[j]->shape.d[axes[j]];
        if (len >= 0 && l != len)
            return clo_onnx_fail(b->why, CLO_ERR(CLO_E_FORMAT, "onnx: Scan lengths"),
                                 "%s: the scan inputs differ in length", b->label);
        len = l;
    }
    if (!len && nk)
        return clo_onnx_fail(b->why, CLO_ERR(CLO_E_UNSUPPORTED, "onnx: Scan without iterations"),
                             "%s: a Scan of no iteration has scan outputs of no known shape",
                             b->label);
    clo_tensor **scans = calloc((size_t)nk * (size_t)len + 1, sizeof *scans);
    if (!scans) return clo_onnx_fail(b->why, CLO_ERR(CLO_E_NOMEM, "onnx: plan"), "out of memory");
    clo_err err = CLO_OK;
    for (int64_t t = 0; t < len && !err.code; t++) {
        for (uint32_t j = 0; j < ns && !err.code; j++) {
            unroll_params up = {axes[j], ax[1][j] ? len - 1 - t : t};
            err = add_internal(b, n, &op_scan_slice, &up, &xs[j], 1, &cur[nst + j]);
        }
        if (!err.code) err = take_iteration(b);
        if (!err.code) err = build_body(b, n, g, cur, outs, depth);
        for (uint32_t k = 0; k < nst && !err.code; k++) cur[k] = outs[k];
        for (uint32_t k = 0; k < nk && !err.code; k++) {
            int64_t at = ax[3][k] ? len - 1 - t : t; /* reversed: the last iteration first */
            scans[(size_t)k * (size_t)len + (size_t)at] = outs[nst + k];
        }
    }
    clo_tensor *res[MAX_IO];
    for (uint32_t k = 0; k < nst; k++) res[k] = cur[k];
    for (uint32_t k = 0; k < nk && !err.code; k++) {
        int64_t a = ax[2][k], r = scans[(size_t)k * (size_t)len]->shape.rank + 1;
        if (a < -r || a >= r) {
            err = clo_onnx_fail(b->why, CLO_ERR(CLO_E_FORMAT, "onnx: Scan axis"),
                                "%s: scan output %u's axis is out of range", b->label, k);
            break;
        }
        unroll_params up = {(uint32_t)(a < 0 ? a + r : a), 0};
        err = add_internal(b, n, &op_scan_stack, &up, scans + (size_t)k * (size_t)len, (size_t)len,
                           &res[nst + k]);
    }
    free(scans);
    if (err.code) return err;
    return define_outputs(b, n, res);
}
