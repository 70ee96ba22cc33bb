/* plan.c — building and running execution plans (If, Loop and Scan are
 * resolved by ctrl.c, with the builder shared through plan_impl.h). */
#include "workloads/onnx/plan.h"
#include "workloads/onnx/plan_impl.h"

#include "base/ct.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names to values: open addressing, built once ---- */

static uint64_t hash(clo_bytes b)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < b.len; i++) h = (h ^ b.ptr[i]) * 1099511628211ull;
    return h;
}

uint32_t *clo_onnx_slot(namemap *nm, clo_bytes name)
{
    size_t i = (size_t)hash(name) & (nm->cap - 1);
    while (nm->val[i] != NONE && !clo_bytes_eq(nm->key[i], name)) i = (i + 1) & (nm->cap - 1);
    nm->key[i] = name;
    return &nm->val[i];
}

void *clo_onnx_plan_own(clo_onnx_plan *p, size_t size)
{
    if (p->nowned == p->cap_owned) {
        size_t nc = p->cap_owned ? 2 * p->cap_owned : 64;
        struct owned_block *g = realloc(p->owned, nc * sizeof *g);
        if (!g) return NULL;
        p->owned = g;
        p->cap_owned = nc;
    }
    size_t full = (size + ALIGN - 1) / ALIGN * ALIGN + ALIGN;
    void *m = aligned_alloc(ALIGN, full);
    if (!m) return NULL;
    memset(m, 0, size);
    p->owned[p->nowned].p = m;
    p->owned[p->nowned++].size = full;
    return m;
}

void *clo_onnx_prep_alloc(clo_onnx_prep *pr, size_t size)
{
    return clo_onnx_plan_own(pr->plan, size);
}

/* Value v, a feed whose value the caller gave, becomes a constant: the plan
 * is bound to that value (runs with another are refused). 1 if it did. */
static int bind_value(clo_onnx_plan *p, size_t v)
{
    for (size_t f = 0; f < p->nfeeds; f++) {
        if (p->feeds[f] != v || !p->feed_data || !p->feed_data[f]) continue;
        void *copy = clo_onnx_plan_own(p, clo_onnx_value_bytes(&p->vals[v]));
        if (!copy) return 0;
        memcpy(copy, p->feed_data[f], clo_onnx_value_bytes(&p->vals[v]));
        p->vals[v].data = copy;
        p->is_const[v] = 1;
        p->bound[f] = 1;
        return 1;
    }
    return 0;
}

int clo_onnx_prep_bind(clo_onnx_prep *pr, size_t k)
{
    if (k >= pr->nin || !pr->in[k]) return 0;
    if (pr->in[k]->data) return 1;
    return bind_value(pr->plan, (size_t)(pr->in[k] - pr->plan->vals));
}

clo_err clo_onnx_fail(char *why, clo_err e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, CLO_ONNX_WHY, fmt, ap);
    va_end(ap);
    return e;
}

static int is_feed(const clo_onnx_model *m, clo_bytes name)
{
    for (size_t i = 0; i < m->ninits; i++)
        if (clo_bytes_eq(m->tensors[m->inits[i]].name, name)) return 0;
    return 1;
}

size_t clo_onnx_feeds(const clo_onnx_model *m, const clo_onnx_value **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < m->ninputs; i++) {
        if (!is_feed(m, m->inputs[i].name)) continue;
        if (n < cap) out[n] = &m->inputs[i];
        n++;
    }
    return n;
}

size_t clo_onnx_value_bytes(const clo_tensor *t)
{
    return (size_t)t->count * clo_tensor_elem_size(t->dtype);
}

/* ---- the arena: first fit over a free list, in step order ---- */
typedef struct {
    size_t off, size;
} block;

typedef struct {
    block *free;
    size_t nfree, top;
} arena_alloc;

static size_t round_up(size_t n)
{
    return (n + ALIGN - 1) / ALIGN * ALIGN;
}

static size_t arena_take(arena_alloc *a, size_t size)
{
    size = round_up(size ? size : 1);
    for (size_t i = 0; i < a->nfree; i++) {
        if (a->free[i].size < size) continue;
        size_t off = a->free[i].off;
        a->free[i].off += size;
        a->free[i].size -= size;
        if (!a->free[i].size)
            memmove(&a->free[i], &a->free[i + 1], (--a->nfree - i) * sizeof(block));
        return off;
    }
    /* Grow the top, absorbing a free block that ends there. */
    if (a->nfree && a->free[a->nfree - 1].off + a->free[a->nfree - 1].size == a->top) {
        size_t off = a->free[--a->nfree].off;
        a->top = off + size;
        return off;
    }
    size_t off = a->top;
    a->top += size;
    return off;
}

static void arena_give(arena_alloc *a, size_t off, size_t size)
{
    size = round_up(size ? size : 1);
    size_t i = 0;
    while (i < a->nfree && a->free[i].off < off) i++;
    memmove(&a->free[i + 1], &a->free[i], (a->nfree - i) * sizeof(block));
    a->free[i] = (block){off, size};
    a->nfree++;
    if (i + 1 < a->nfree && a->free[i].off + a->free[i].size == a->free[i + 1].off) {
        a->free[i].size += a->free[i + 1].size;
        memmove(&a->free[i + 1], &a->free[i + 2], (a->nfree - i - 2) * sizeof(block));
        a->nfree--;
    }
    if (i > 0 && a->free[i - 1].off + a->free[i - 1].size == a->free[i].off) {
        a->free[i - 1].size += a->free[i].size;
        memmove(&a->free[i], &a->free[i + 1], (a->nfree - i - 1) * sizeof(block));
        a->nfree--;
    }
}

/* Place every non-constant value and every step's scratch. */
/* Concat in place: a Concat whose inputs are slices of its output (all dims
 * before the axis 1), each input made by an earlier step for the Concat
 * alone (not a constant, feed or graph output, read by nothing else, not
 * given twice) at a 64-byte aligned place, leaves the plan: its inputs
 * become views of its output (view[v] the output, at[v] the byte offset),
 * so their makers write into it and nothing copies. */
static void concat_views(clo_onnx_plan *p, size_t *view, size_t *at)
{
    size_t nv = p->nvals;
    uint32_t *readers = calloc(nv ? nv : 1, sizeof *readers), *maker = malloc((nv ? nv : 1) * 4);
    if (!readers || !maker) goto out; /* an optimisation: without memory, none */
    for (size_t v = 0; v < nv; v++) maker[v] = NONE, view[v] = SIZE_MAX;
    for (size_t s = 0; s < p->nsteps; s++) {
        for (uint32_t k = 0; k < p->steps[s].nin; k++)
            if (p->steps[s].in[k]) readers[p->steps[s].in[k] - p->vals]++;
        for (uint32_t k = 0; k < p->steps[s].nout; k++)
            if (p->steps[s].out[k]) maker[p->steps[s].out[k] - p->vals] = (uint32_t)s;
    }
    for (size_t o = 0; o < p->noutputs; o++) readers[p->outputs[o]] += 2;
    for (size_t f = 0; f < p->nfeeds; f++) readers[p->feeds[f]] += 2;
    for (size_t s = 0; s < p->nsteps; s++) {
        step *st = &p->steps[s];
        if (strcmp(st->op->op_type, "Concat") || st->op->domain[0] || st->nin < 2 || !st->out[0])
            continue;
        clo_tensor *out = st->out[0];
        size_t ov = (size_t)(out - p->vals), off = 0;
        uint32_t axis = clo_onnx_concat_axis(st->params);
        int ok = readers[ov] > 0 && view[ov] == SIZE_MAX && !p->is_const[ov];
        for (uint32_t d = 0; d < axis && ok; d++) ok = out->shape.d[d] == 1;
        for (uint32_t k = 0; k < st->nin && ok; k++) {
            size_t v = (size_t)(st->in[k] - p->vals);
            ok = !p->is_const[v] && readers[v] == 1 && maker[v] != NONE && maker[v] < s &&
                 view[v] == SIZE_MAX && off % ALIGN == 0;
            off += clo_onnx_value_bytes(st->in[k]);
        }
        if (!ok) continue;
        off = 0;
        for (uint32_t k = 0; k < st->nin; k++) {
            size_t v = (size_t)(st->in[k] - p->vals);
            view[v] = ov;
            at[v] = off;
            off += clo_onnx_value_bytes(st->in[k]);
        }
        st->op = NULL; /* leaves the plan below */
    }
    size_t kept = 0;
    for (size_t s = 0; s < p->nsteps; s++)
        if (p->steps[s].op) p->steps[kept++] = p->steps[s];
    p->nsteps = kept;
out:
    free(readers);
    free(maker);
}

static clo_err place(clo_onnx_plan *p, size_t *offs)
{
    size_t nv = p->nvals;
    size_t *last = calloc(nv ? nv : 1, sizeof *last);
    size_t *view = malloc((nv ? nv : 1) * sizeof *view), *at = calloc(nv ? nv : 1, sizeof *at);
    uint8_t *born = calloc(nv ? nv : 1, 1);
    arena_alloc a = {NULL, 0, 0};
    clo_err err = CLO_OK;
    CLO_FAIL_IF(!last || !view || !at || !born, CLO_E_NOMEM, "onnx: plan");
    concat_views(p, view, at);
    size_t ns = p->nsteps;
    a.free = calloc(nv + ns + 2, sizeof(block));
    CLO_FAIL_IF(!a.free, CLO_E_NOMEM, "onnx: plan");
    /* last[v]: the last step that reads v (ns for graph outputs, never freed). */
    for (size_t s = 0; s < ns; s++)
        for (uint32_t k = 0; k < p->steps[s].nin; k++)
            if (p->steps[s].in[k]) last[p->steps[s].in[k] - p->vals] = s;
    for (size_t o = 0; o < p->noutputs; o++) last[p->outputs[o]] = ns;
    for (size_t f = 0; f < p->nfeeds; f++)
        if (!p->bound[f])
            offs[p->feeds[f]] = arena_take(&a, clo_onnx_value_bytes(&p->vals[p->feeds[f]]));
    for (size_t s = 0; s < ns; s++) {
        step *st = &p->steps[s];
        for (uint32_t k = 0; k < st->nout; k++) {
            if (!st->out[k]) continue;
            size_t v = (size_t)(st->out[k] - p->vals);
            if (view[v] != SIZE_MAX) { /* a slice of a Concat's output: made with the first */
                size_t o = view[v];
                if (!born[o]) offs[o] = arena_take(&a, clo_onnx_value_bytes(&p->vals[o]));
                born[o] = 1;
                offs[v] = offs[o] + at[v];
                continue;
            }
            offs[v] = arena_take(&a, clo_onnx_value_bytes(st->out[k]));
            if (last[v] < s) last[v] = s; /* written but never read */
        }
        if (st->scratch) {
            st->scratch_off = arena_take(&a, st->scratch);
            arena_give(&a, st->scratch_off, st->scratch);
        }
        /* Free what this step read for the last time, and its unread outputs. */
        for (uint32_t k = 0; k < st->nin; k++) {
            if (!st->in[k]) continue;
            size_t v = (size_t)(st->in[k] - p->vals);
            if (p->is_const[v] || last[v] != s || view[v] != SIZE_MAX) continue;
            int dup = 0; /* the same value read twice by this step */
            for (uint32_t j = 0; j < k; j++) dup |= st->in[j] == st->in[k];
            if (!dup) arena_give(&a, offs[v], clo_onnx_value_bytes(&p->vals[v]));
        }
        for (uint32_t k = 0; k < st->nout; k++) {
            if (!st->out[k]) continue;
            size_t v = (size_t)(st->out[k] - p->vals);
            if (last[v] == s && view[v] == SIZE_MAX) {
                int read = 0;
                for (uint32_t j = 0; j < st->nin; j++) read |= st->in[j] == st->out[k];
                if (!read) arena_give(&a, offs[v], clo_onnx_value_bytes(&p->vals[v]));
            }
        }
    }
    p->arena_size = a.top;
out:
    free(last);
    free(view);
    free(at);
    free(born);
    free(a.free);
    return err;
}

/* A node's name for messages: its name, else its first output's. */
void clo_onnx_node_label(const clo_onnx_model *m, const clo_onnx_node *n, char *out, size_t cap)
{
    char name[64], op[40];
    clo_bytes nb = n->name;
    for (uint32_t k = 0; !nb.len && k < n->out_n; k++) nb = m->names[n->out_first + k];
    clo_bytes_printable(name, sizeof name, nb);
    clo_bytes_printable(op, sizeof op, n->op_type);
    snprintf(out, cap, "node '%s' (%s)", name, op);
}

static int64_t opset_for(const clo_onnx_model *m, clo_bytes domain)
{
    if (!domain.len || clo_bytes_eq(domain, clo_bytes_str("ai.onnx"))) return clo_onnx_opset(m, "");
    for (size_t i = 0; i < m->nopsets; i++)
        if (clo_bytes_eq(m->opsets[i].domain, domain)) return m->opsets[i].version;
    return 0;
}

/* Attribute names the operator does not read are refused, not ignored. */
static int attr_known(const char *list, clo_bytes name)
{
    const char *s = list;
    while (s && *s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == name.len && !memcmp(s, name.ptr, n)) return 1;
        s = e ? e + 1 : NULL;
    }
    return 0;
}

/* Compute a node now (all inputs constant, or outputs that only depend on
 * shapes) and keep its outputs as constants. */
clo_err clo_onnx_fold(clo_onnx_plan *p, const step *st, clo_onnx_exec *x)
{
    for (uint32_t k = 0; k < st->nout; k++) {
        if (!st->out[k]) continue;
        st->out[k]->data = clo_onnx_plan_own(p, clo_onnx_value_bytes(st->out[k]));
        CLO_ENSURE(st->out[k]->data, CLO_E_NOMEM, "onnx: plan");
        p->is_const[st->out[k] - p->vals] = 1;
    }
    void *scratch = NULL;
    if (st->scratch) {
        scratch = aligned_alloc(ALIGN, round_up(st->scratch));
        CLO_ENSURE(scratch, CLO_E_NOMEM, "onnx: plan");
    }
    x->scratch = scratch;
    clo_err err = st->op->run(x);
    free(scratch);
    return err;
}

/* Name slot := value v, remembered for the scope's end. */
void clo_onnx_define(builder *b, uint32_t *slot, uint32_t v)
{
    *slot = v;
    b->defs[b->ndefs++] = (uint32_t)(slot - b->nm.val);
}

/* A constant from the model's tensor t (an initializer, of the graph or of
 * an inlined subgraph), under its name. */
clo_err clo_onnx_add_const(builder *b, const clo_onnx_tensor *t)
{
    clo_onnx_plan *p = b->p;
    char name[64];
    clo_bytes_printable(name, sizeof name, t->name);
    uint32_t *slot = clo_onnx_slot(&b->nm, t->name);
    if (DEFINED(*slot))
        return clo_onnx_fail(b->why, CLO_ERR(CLO_E_FORMAT, "onnx: value defined twice"),
                             "initializer '%s' is defined twice", name);
    if (!clo_tensor_elem_size(t->dtype))
        return clo_onnx_fail(b->why, CLO_ERR(CLO_E_UNSUPPORTED, "onnx: element type"),
                             "initializer '%s': element type %s is not supported", name,
                             clo_tensor_type_name(t->dtype));
    clo_tensor *v = &p->vals[p->nvals];
    v->dtype = t->dtype;
    clo_tensor_shape_of(t, &v->shape);
    v->count = t->count;
    v->data = clo_onnx_plan_own(p, clo_onnx_value_bytes(v));
    CLO_ENSURE(v->data, CLO_E_NOMEM, "onnx: plan");
    clo_err err = clo_tensor_decode(t, v->data);
    if (err.code) return clo_onnx_fail(b->why, err, "initializer '%s': %s", name, err.what);
    p->is_const[p->nvals] = 1;
    clo_onnx_define(b, slot, (uint32_t)p->nvals++);
    return CLO_OK;
}

/* The value named n, or NULL with why said. */
clo_tensor *clo_onnx_value_named(builder *b, clo_bytes n)
{
    uint32_t *slot = clo_onnx_slot(&b->nm, n);
    if (DEFINED(*slot)) return &b->p->vals[*slot];
    char vname[64];
    clo_bytes_printable(vname, sizeof vname, n);
    clo_onnx_fail(
        b->why, CLO_ERR(CLO_E_FORMAT, "onnx: undefined value"),
        "%s: input '%s' is not defined before it is used (a cycle, or a value no node makes)",
        b->label, vname);
    return NULL;
}

/* The step that writes v, or SIZE_MAX. */
static size_t maker_of(const clo_onnx_plan *p, const clo_tensor *v)
{
    for (size_t s = 0; s < p->nsteps; s++)
        for (uint32_t k = 0; k < p->steps[s].nout; k++)
            if (p->steps[s].out[k] == v) return s;
    return SIZE_MAX;
}

/* Make value v a constant now: it is one, or a feed whose value was given
 * (the plan is then bound to it, as clo_onnx_prep_bind binds), or the output
 * of steps whose inputs can be made constants: those are computed now and
 * leave the plan. 0 when it depends on a feed not given. */
int clo_onnx_make_const(clo_onnx_plan *p, clo_tensor *v, int depth, clo_err *err)
{
    size_t vi = (size_t)(v - p->vals);
    if (p->is_const[vi]) return 1;
    for (size_t f = 0; f < p->nfeeds; f++)
        if (p->feeds[f] == vi) return bind_value(p, vi);
    if (depth > 64) { /* said as such, not as "known only while running" */
        *err = CLO_ERR(CLO_E_LIMIT, "onnx: the condition depends on more than 64 steps");
        return 0;
    }
    size_t s = maker_of(p, v);
    if (s == SIZE_MAX) return 0;
    /* its inputs first (that may take earlier steps out of the array: the
     * step's input list lives in the pointer pool, which does not move) */
    clo_tensor **in = p->steps[s].in;
    for (uint32_t k = 0, n = p->steps[s].nin; k < n; k++)
        if (in[k] && !clo_onnx_make_const(p, in[k], depth + 1, err)) return 0;
    s = maker_of(p, v);
    step *st = &p->steps[s];
    clo_onnx_exec x = {
        st->params, (const clo_tensor *const *)st->in, st->nin, st->out, st->nout, NULL, p->pool};
    *err = clo_onnx_fold(p, st, &x);
    if (err->code) return 0;
    memmove(st, st + 1, (p->nsteps - s - 1) * sizeof *st); /* the step leaves the plan */
    p->nsteps--;
    return 1;
}

/* One node: a step (prepared), or computed now when its inputs are
 * constants; an If is resolved (clo_onnx_add_if), a Loop or Scan unrolled. */
clo_err clo_onnx_add_node(builder *b, const clo_onnx_node *n, int depth)
{
    clo_onnx_plan *p = b->p;
    const clo_onnx_model *m = p->m;
    char *why = b->why;
    clo_onnx_node_label(m, n, b->label, sizeof b->label);
    const char *label = b->label;
    const clo_onnx_op *op = clo_onnx_op_find(n->domain, n->op_type);
    int64_t opset = opset_for(m, n->domain);
    int ctrl = op == &clo_onnx_op_if || op == &clo_onnx_op_loop || op == &clo_onnx_op_scan;
    if (ctrl && depth < CLO_ONNX_MAX_DEPTH + 1) {
        if (n->in_n > MAX_IO || n->out_n > MAX_IO) /* ctrl.c's arrays hold that many */
            return clo_onnx_fail(why, CLO_ERR(CLO_E_LIMIT, "onnx: input or output count"),
                                 "%s: more than %d inputs or outputs", label, MAX_IO);
        if (op == &clo_onnx_op_if) return clo_onnx_add_if(b, n, depth);
        if (op == &clo_onnx_op_loop) return clo_onnx_add_loop(b, n, depth);
        return clo_onnx_add_scan(b, n, opset, depth);
    }
    if (!op || ctrl) {
        char dom[40], opn[40];
        clo_bytes_printable(dom, sizeof dom, n->domain);
        clo_bytes_printable(opn, sizeof opn, n->op_type);
        return clo_onnx_fail(why, CLO_ERR(CLO_E_UNSUPPORTED, "onnx: operator not supported"),
                             "%s: operator %s%s%s is not supported", label, dom, dom[0] ? "." : "",
                             opn);
    }
    if (opset < op->since)
        return clo_onnx_fail(why, CLO_ERR(CLO_E_UNSUPPORTED, "onnx: opset not supported"),
                             "%s: opset %lld is older than the oldest implemented (%d)", label,
                             (long long)opset, op->since);
    uint32_t nin = n->in_n, nout = n->out_n;
    while (nin && !m->names[n->in_first + nin - 1].len) nin--; /* trailing omitted */
    if (nin < op->min_in || nin > op->max_in || nout < op->min_out || nout > op->max_out ||
        nin > MAX_IO || nout > MAX_IO)
        return clo_onnx_fail(why, CLO_ERR(CLO_E_FORMAT, "onnx: input or output count"),
                             "%s: %u inputs and %u outputs; the operator takes %u..%u and %u..%u",
                             label, nin, nout, op->min_in, op->max_in, op->min_out, op->max_out);
    for (uint32_t k = 0; k < n->attr_n; k++) {
        clo_bytes an = m->attrs[n->attr_first + k].name;
        if (!attr_known(op->attrs, an) || m->attrs[n->attr_first + k].type == CLO_ONNX_ATTR_GRAPH) {
            char aname[48];
            clo_bytes_printable(aname, sizeof aname, an);
            return clo_onnx_fail(why, CLO_ERR(CLO_E_UNSUPPORTED, "onnx: attribute not supported"),
                                 "%s: attribute '%s' is not supported", label, aname);
        }
    }
    step *st = &p->steps[p->nsteps];
    memset(st, 0, sizeof *st);
    st->op = op;
    st->node = n;
    st->opset = opset;
    st->nin = nin;
    st->nout = nout;
    st->in = &p->ptrs[p->nptrs];
    p->nptrs += nin;
    st->out = &p->ptrs[p->nptrs];
    p->nptrs += nout;
    for (uint32_t k = 0; k < nin; k++) {
        clo_bytes nmk = m->names[n->in_first + k];
        st->in[k] = NULL;
        if (!nmk.len) continue;
        st->in[k] = clo_onnx_value_named(b, nmk);
        if (!st->in[k]) return CLO_ERR(CLO_E_FORMAT, "onnx: undefined value");
    }
    for (uint32_t k = 0; k < nout; k++) {
        clo_bytes nmk = m->names[n->out_first + k];
        st->out[k] = NULL;
        if (!nmk.len) continue;
        uint32_t *slot = clo_onnx_slot(&b->nm, nmk);
        if (DEFINED(*slot)) {
            char vname[64];
            clo_bytes_printable(vname, sizeof vname, nmk);
            return clo_onnx_fail(why, CLO_ERR(CLO_E_FORMAT, "onnx: value defined twice"),
                                 "%s: output '%s' is already defined", label, vname);
        }
        st->out[k] = &p->vals[p->nvals];
        clo_onnx_define(b, slot, (uint32_t)p->nvals++);
    }
    if (op->params_size) {
        st->params = clo_onnx_plan_own(p, op->params_size);
        CLO_ENSURE(st->params, CLO_E_NOMEM, "onnx: plan");
    }
    char reason[CLO_ONNX_WHY] = "";
    clo_onnx_prep pr = {m,
                        n,
                        opset,
                        nin,
                        nout,
                        st->in,
                        st->out,
                        st->params,
                        0,
                        0,
                        reason,
                        p,
                        clo_pool_size(p->pool),
                        NULL};
    clo_err err = op->prepare(&pr);
    if (err.code) return clo_onnx_fail(why, err, "%s: %s", label, reason[0] ? reason : err.what);
    for (uint32_t k = 0; k < nout; k++) {
        if (!st->out[k]) continue;
        err = clo_shape_count(&st->out[k]->shape, &st->out[k]->count);
        if (err.code || !clo_tensor_elem_size(st->out[k]->dtype)) {
            if (!err.code) err = CLO_ERR(CLO_E_UNSUPPORTED, "onnx: element type");
            return clo_onnx_fail(why, err, "%s: output %u: %s", label, k, err.what);
        }
    }
    st->scratch = pr.scratch;
    int all_const = 1; /* after prepare: it may have bound feeds */
    for (uint32_t k = 0; k < nin; k++)
        if (st->in[k]) all_const &= p->is_const[st->in[k] - p->vals];
    if (all_const || pr.fold) {
        clo_onnx_exec x = {st->params, (const clo_tensor *const *)st->in, nin, st->out, nout, NULL,
                           p->pool};
        err = clo_onnx_fold(p, st, &x);
        if (err.code) return clo_onnx_fail(why, err, "%s: %s", label, err.what);
        p->nptrs -= nin + nout; /* the step's pointers are not needed */
        return CLO_OK;
    }
    p->nsteps++;
    return CLO_OK;
}

/* Loop and Scan iterations a plan unrolls: at most this many, and at most
 * UNROLL_STEPS subgraph nodes' worth. */
#define UNROLL_ITERS 1024
#define UNROLL_STEPS (1u << 17)

static int is_loop(const clo_onnx_node *n)
{
    return !n->domain.len && (clo_bytes_eq(n->op_type, clo_bytes_str("Loop")) ||
                              clo_bytes_eq(n->op_type, clo_bytes_str("Scan")));
}

/* Upper bounds of values, step pointers and steps: the graph's, plus every
 * subgraph's (an If takes one branch of each, built in place), plus, when
 * there are Loops or Scans, *iters iterations of all subgraphs at once
 * (a bound for any body, nested ones included) with their slices and
 * stacks. */
static void plan_bounds(const clo_onnx_model *m, size_t *vals, size_t *ptrs, size_t *steps,
                        size_t *iters)
{
    size_t gvals = m->nginits, gptrs = 0, loop_io = 0;
    *vals = m->ninits + m->ninputs;
    *ptrs = 0;
    *steps = m->nnodes;
    for (size_t i = 0; i < m->nnodes + m->ngnodes; i++) {
        const clo_onnx_node *n = i < m->nnodes ? &m->nodes[i] : &m->gnodes[i - m->nnodes];
        if (i < m->nnodes) {
            *vals += n->out_n;
            *ptrs += n->in_n + n->out_n;
        } else {
            gvals += n->out_n;
            gptrs += n->in_n + n->out_n;
        }
        if (is_loop(n)) {
            loop_io = n->in_n > loop_io ? n->in_n : loop_io;
            loop_io = n->out_n > loop_io ? n->out_n : loop_io;
        }
    }
    /* the subgraphs once (If branches) */
    *vals += gvals;
    *ptrs += gptrs;
    *steps += m->ngnodes;
    *iters = 0;
    if (!loop_io) return;
    size_t per = m->ngnodes ? m->ngnodes : 1;
    *iters = UNROLL_STEPS / per < UNROLL_ITERS ? UNROLL_STEPS / per : UNROLL_ITERS;
    if (!*iters) *iters = 1;
    /* each iteration: the subgraphs, its slices and its two constants; each
     * Loop or Scan (at most one per iteration) its stacks */
    *steps += *iters * (m->ngnodes + 2 * loop_io);
    *vals += *iters * (gvals + 2 + 2 * loop_io);
    *ptrs += *iters * (gptrs + 4 * loop_io);
}

static clo_err build(clo_onnx_plan *p, const clo_tensor *feeds, size_t nfeeds, char *why)
{
    const clo_onnx_model *m = p->m;
    size_t maxvals, maxptrs, maxsteps, iters;
    plan_bounds(m, &maxvals, &maxptrs, &maxsteps, &iters);
    builder bd = {p, {0}, why, "graph", calloc(2 * maxvals + 1, sizeof(uint32_t)), 0, iters};
    namemap *nm = &bd.nm;
    nm->cap = 16;
    while (nm->cap < 2 * maxvals + 2) nm->cap *= 2;
    nm->key = calloc(nm->cap, sizeof *nm->key);
    nm->val = malloc(nm->cap * sizeof *nm->val);
    p->vals = calloc(maxvals + 1, sizeof *p->vals);
    p->is_const = calloc(maxvals + 1, 1);
    p->steps = calloc(maxsteps + 1, sizeof *p->steps);
    p->ptrs = calloc(maxptrs + 1, sizeof *p->ptrs);
    p->feeds = calloc(m->ninputs + 1, sizeof *p->feeds);
    p->outputs = calloc(m->noutputs + 1, sizeof *p->outputs);
    p->feed_data = calloc(m->ninputs + 1, sizeof *p->feed_data);
    p->bound = calloc(m->ninputs + 1, 1);
    size_t *offs = calloc(maxvals + 1, sizeof *offs);
    clo_err err = CLO_OK;
    if (!bd.defs || !nm->key || !nm->val || !p->vals || !p->is_const || !p->steps || !p->ptrs ||
        !p->feeds || !p->outputs || !p->feed_data || !p->bound || !offs) {
        err = clo_onnx_fail(why, CLO_ERR(CLO_E_NOMEM, "onnx: plan"), "out of memory");
        goto out;
    }
    memset(nm->val, 0xff, nm->cap * sizeof *nm->val);

    /* Initializers: constants, decoded once. */
    for (size_t i = 0; i < m->ninits && !err.code; i++)
        err = clo_onnx_add_const(&bd, &m->tensors[m->inits[i]]);
    if (err.code) goto out;

    /* Feeds: their types and shapes as given, checked against the declared ones. */
    for (size_t i = 0; i < m->ninputs; i++) {
        const clo_onnx_value *in = &m->inputs[i];
        if (!is_feed(m, in->name)) continue;
        char name[64];
        clo_bytes_printable(name, sizeof name, in->name);
        if (p->nfeeds >= nfeeds) {
            err = clo_onnx_fail(why, CLO_ERR(CLO_E_ARG, "onnx: feeds"), "input '%s' is not given",
                                name);
            goto out;
        }
        const clo_tensor *f = &feeds[p->nfeeds];
        if (!clo_tensor_elem_size(in->elem_type)) {
            err = clo_onnx_fail(why, CLO_ERR(CLO_E_UNSUPPORTED, "onnx: element type"),
                                "input '%s': element type %s is not supported", name,
                                clo_tensor_type_name(in->elem_type));
            goto out;
        }
        int fits = f->dtype == in->elem_type;
        if (in->has_shape) {
            fits &= f->shape.rank == in->rank;
            for (uint32_t d = 0; fits && d < in->rank; d++)
                fits &= in->dims[d] < 0 || in->dims[d] == f->shape.d[d];
        }
        if (!fits) {
            err = clo_onnx_fail(
                why, CLO_ERR(CLO_E_ARG, "onnx: feed does not fit the input"),
                "input '%s': the tensor given is not of the declared type and shape", name);
            goto out;
        }
        uint32_t *slot = clo_onnx_slot(nm, in->name);
        if (DEFINED(*slot)) {
            err = clo_onnx_fail(why, CLO_ERR(CLO_E_FORMAT, "onnx: value defined twice"),
                                "input '%s' is listed twice", name);
            goto out;
        }
        clo_tensor *v = &p->vals[p->nvals];
        v->dtype = f->dtype;
        v->shape = f->shape;
        err = clo_shape_count(&v->shape, &v->count);
        if (err.code) {
            clo_onnx_fail(why, err, "input '%s': %s", name, err.what);
            goto out;
        }
        p->feed_data[p->nfeeds] = f->data;
        p->feeds[p->nfeeds++] = (uint32_t)p->nvals;
        clo_onnx_define(&bd, slot, (uint32_t)p->nvals++);
    }
    if (p->nfeeds != nfeeds) {
        err = clo_onnx_fail(why, CLO_ERR(CLO_E_ARG, "onnx: feeds"),
                            "%zu inputs given, the graph has %zu", nfeeds, p->nfeeds);
        goto out;
    }

    /* Nodes, in order: ONNX graphs are topologically sorted, so a value read
     * before it is defined is a cycle or a missing value. */
    for (size_t i = 0; i < m->nnodes && !err.code; i++)
        err = clo_onnx_add_node(&bd, &m->nodes[i], 0);
    if (err.code) goto out;
    snprintf(bd.label, sizeof bd.label, "graph");

    for (size_t i = 0; i < m->noutputs; i++) {
        char name[64];
        clo_bytes_printable(name, sizeof name, m->outputs[i].name);
        uint32_t *slot = clo_onnx_slot(nm, m->outputs[i].name);
        if (!DEFINED(*slot)) {
            err = clo_onnx_fail(why, CLO_ERR(CLO_E_FORMAT, "onnx: undefined value"),
                                "output '%s' is not computed by the graph", name);
            goto out;
        }
        int32_t et = m->outputs[i].elem_type;
        if (et && et != p->vals[*slot].dtype) {
            err =
                clo_onnx_fail(why, CLO_ERR(CLO_E_FORMAT, "onnx: output type"),
                              "output '%s' is declared %s but computed as %s", name,
                              clo_tensor_type_name(et), clo_tensor_type_name(p->vals[*slot].dtype));
            goto out;
        }
        p->outputs[p->noutputs++] = *slot;
    }

    CLO_CHECK(clo_onnx_fuse(p, why));
    CLO_CHECK(place(p, offs));
    if (p->arena_size) {
        p->arena = aligned_alloc(ALIGN, p->arena_size);
        CLO_FAIL_IF(!p->arena, CLO_E_NOMEM, "onnx: arena");
        memset(p->arena, 0, p->arena_size);
    }
    for (size_t v = 0; v < p->nvals; v++)
        if (!p->is_const[v]) p->vals[v].data = p->arena + offs[v];
out:
    free(p->feed_data); /* the caller's memory is not kept */
    p->feed_data = NULL;
    if (err.code && !why[0])
        clo_onnx_fail(why, err, "%s: %s", bd.label, err.what ? err.what : "failed");
    free(nm->key);
    free(nm->val);
    free(bd.defs);
    free(offs);
    return err;
}

clo_err clo_onnx_plan_new(const clo_onnx_model *m, const clo_tensor *feeds, size_t nfeeds,
                          clo_onnx_plan **out, char why[CLO_ONNX_WHY])
{
    return clo_onnx_plan_new_opts(m, feeds, nfeeds, NULL, out, why);
}

clo_err clo_onnx_plan_new_opts(const clo_onnx_model *m, const clo_tensor *feeds, size_t nfeeds,
                               const clo_onnx_plan_opts *o, clo_onnx_plan **out,
                               char why[CLO_ONNX_WHY])
{
    *out = NULL;
    why[0] = 0;
    unsigned threads = o && o->threads ? o->threads : 1;
    if (threads > CLO_POOL_MAX)
        return clo_onnx_fail(why, CLO_ERR(CLO_E_ARG, "onnx: threads"), "threads must be 1 to %d",
                             CLO_POOL_MAX);
    clo_onnx_plan *p = calloc(1, sizeof *p);
    if (!p) return clo_onnx_fail(why, CLO_ERR(CLO_E_NOMEM, "onnx: plan"), "out of memory");
    p->m = m;
    clo_err err = CLO_OK;
    if (o && o->pool) {
        p->pool = o->pool;
    } else {
        err = clo_pool_new(threads, &p->pool);
        p->pool_owned = 1;
    }
    if (err.code) {
        free(p);
        return clo_onnx_fail(why, err, "cannot start %u threads", threads);
    }
    err = build(p, feeds, nfeeds, why);
    if (err.code) {
        clo_onnx_plan_free(p);
        return err;
    }
    *out = p;
    return CLO_OK;
}

clo_err clo_onnx_plan_run(clo_onnx_plan *p, const clo_tensor *feeds, size_t nfeeds)
{
    CLO_ENSURE(nfeeds == p->nfeeds, CLO_E_ARG, "onnx: feeds");
    for (size_t f = 0; f < nfeeds; f++) {
        clo_tensor *v = &p->vals[p->feeds[f]];
        CLO_ENSURE(feeds[f].dtype == v->dtype && clo_shape_equal(&feeds[f].shape, &v->shape),
                   CLO_E_ARG, "onnx: feed is not of the planned type and shape");
        if (p->bound[f])
            CLO_ENSURE(!v->count || !memcmp(v->data, feeds[f].data, clo_onnx_value_bytes(v)),
                       CLO_E_ARG,
                       "onnx: a feed that decides shapes differs from the planned value");
        else if (v->count)
            memcpy(v->data, feeds[f].data, clo_onnx_value_bytes(v));
    }
    clo_err err = CLO_OK;
    clo_pool_hold(p->pool, 1);
    for (size_t s = 0; s < p->nsteps && !err.code; s++) {
        const step *st = &p->steps[s];
        clo_onnx_exec x = {st->params, (const clo_tensor *const *)st->in,
                           st->nin,    st->out,
                           st->nout,   st->scratch ? p->arena + st->scratch_off : NULL,
                           p->pool};
        err = st->op->run(&x);
    }
    clo_pool_hold(p->pool, 0);
    return err;
}

size_t clo_onnx_plan_noutputs(const clo_onnx_plan *p)
{
    return p->noutputs;
}

const clo_tensor *clo_onnx_plan_output(const clo_onnx_plan *p, size_t i)
{
    return i < p->noutputs ? &p->vals[p->outputs[i]] : NULL;
}

size_t clo_onnx_plan_arena_size(const clo_onnx_plan *p)
{
    return p->arena_size;
}

size_t clo_onnx_plan_steps(const clo_onnx_plan *p)
{
    return p->nsteps;
}

void clo_onnx_plan_wipe(clo_onnx_plan *p)
{
    if (p && p->arena) clo_wipe(p->arena, p->arena_size);
}

void clo_onnx_plan_free(clo_onnx_plan *p)
{
    if (!p) return;
    if (p->pool_owned) clo_pool_free(p->pool);
    /* weights and data may be confidential: wiped, not just released */
    for (size_t i = 0; i < p->nowned; i++) {
        clo_wipe(p->owned[i].p, p->owned[i].size);
        free(p->owned[i].p);
    }
    free(p->owned);
    clo_onnx_plan_wipe(p);
    free(p->arena);
    free(p->vals);
    free(p->is_const);
    free(p->steps);
    free(p->ptrs);
    free(p->feeds);
    free(p->outputs);
    free(p->feed_data);
    free(p->bound);
    free(p);
}
