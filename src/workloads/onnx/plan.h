/* plan.h — an ONNX model made ready to run on inputs of given shapes.
 *
 * Building a plan walks the graph once: every node's operator is found and
 * prepared (attributes read, types checked, output shapes inferred), nodes
 * whose inputs are all constants (or whose outputs depend only on shapes,
 * like Shape) are computed there and then, and every other value gets a
 * place in one arena, reusing memory whose value is no longer needed.
 * Running the plan then allocates nothing: it copies the inputs in and runs
 * the remaining steps in order.
 *
 * A plan is for one set of input shapes; other shapes need another plan. It
 * borrows the model, which must outlive it. One plan runs one inference at
 * a time. */
#ifndef CLO_WORKLOADS_ONNX_PLAN_H
#define CLO_WORKLOADS_ONNX_PLAN_H

#include "workloads/onnx/op.h"

typedef struct clo_onnx_plan clo_onnx_plan;

/* The graph inputs a caller feeds (those that are not initializers), in
 * graph order: up to cap of them into out; returns how many there are. */
size_t clo_onnx_feeds(const clo_onnx_model *m, const clo_onnx_value **out, size_t cap);

/* Build a plan for feeds of these types and shapes, one per clo_onnx_feeds
 * entry. Feed data may be NULL. When it is given, a feed whose values decide
 * shapes (Reshape's shape, Slice's starts fed as graph inputs) is bound: the
 * plan is built on those values and runs only on the same ones (CLO_E_ARG
 * otherwise); other feeds' data is not read. On failure *out is NULL and why says which node
 * and why: CLO_E_UNSUPPORTED (an operator, type or attribute the engine does
 * not compute), CLO_E_FORMAT (a graph or node that is wrong: an undefined
 * value, a cycle, shapes that do not fit), CLO_E_LIMIT or CLO_E_NOMEM. */
CLO_MUST_CHECK clo_err clo_onnx_plan_new(const clo_onnx_model *m, const clo_tensor *feeds,
                                         size_t nfeeds, clo_onnx_plan **out,
                                         char why[CLO_ONNX_WHY]);
/* Options: threads (1..64, default 1) splits big matrix products over that
 * many threads, started once with the plan; the results are bit for bit
 * those of one thread. */
typedef struct {
    unsigned threads;
    /* Borrowed, not owned: a pool the caller keeps for many plans (the
     * enclave starts its threads before its sandbox forbids making more).
     * Given, it is used whole and `threads` is ignored. */
    clo_pool *pool;
} clo_onnx_plan_opts;
CLO_MUST_CHECK clo_err clo_onnx_plan_new_opts(const clo_onnx_model *m, const clo_tensor *feeds,
                                              size_t nfeeds, const clo_onnx_plan_opts *o,
                                              clo_onnx_plan **out, char why[CLO_ONNX_WHY]);
/* Run on feeds of exactly the planned types and shapes (CLO_E_ARG
 * otherwise). Outputs stay valid until the next run or free. */
CLO_MUST_CHECK clo_err clo_onnx_plan_run(clo_onnx_plan *p, const clo_tensor *feeds, size_t nfeeds);
/* Zero the arena: the last run's inputs, intermediate values and outputs
 * (a plan kept between confidential inputs). free also wipes the plan's
 * weights. */
void clo_onnx_plan_wipe(clo_onnx_plan *p);
size_t clo_onnx_plan_noutputs(const clo_onnx_plan *p);
const clo_tensor *clo_onnx_plan_output(const clo_onnx_plan *p, size_t i);
/* Bytes of the arena, and the number of steps left to run (after folding). */
size_t clo_onnx_plan_arena_size(const clo_onnx_plan *p);
size_t clo_onnx_plan_steps(const clo_onnx_plan *p);
void clo_onnx_plan_free(clo_onnx_plan *p);

#endif
