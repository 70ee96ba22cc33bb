/* plan_impl.h — the plan's insides, shared by plan.c (building, placing,
 * running) and fuse.c (rewriting the steps before they are placed). Private
 * to workloads/onnx. */
#ifndef CLO_WORKLOADS_ONNX_PLAN_IMPL_H
#define CLO_WORKLOADS_ONNX_PLAN_IMPL_H

#include "workloads/onnx/plan.h"

#define NONE   UINT32_MAX
#define ALIGN  64
#define MAX_IO 255 /* inputs or outputs of one node */

typedef struct {
    const clo_onnx_op *op;
    const clo_onnx_node *node; /* what it was prepared from (fuse.c prepares some again) */
    int64_t opset;
    void *params;
    clo_tensor **in, **out; /* views into the plan's pointer pool */
    uint32_t nin, nout;
    size_t scratch, scratch_off;
    int64_t pads_add[6]; /* a Conv a Pad was folded into: its spatial pads */
    int padded;
} step;

struct clo_onnx_plan {
    const clo_onnx_model *m;
    clo_tensor *vals;
    uint8_t *is_const;
    size_t nvals;
    step *steps;
    size_t nsteps;
    clo_tensor **ptrs; /* every step's input and output pointers */
    size_t nptrs;
    uint32_t *feeds, *outputs;
    size_t nfeeds, noutputs;
    const void **feed_data; /* while building: the caller's feed values, if given */
    uint8_t *bound;         /* feeds whose values the plan was built on */
    struct owned_block {
        void *p;
        size_t size;
    } * owned; /* constants' memory (the model's weights), parameters, packed weights */
    size_t nowned, cap_owned;
    uint8_t *arena;
    size_t arena_size;
    clo_pool *pool;
    int pool_owned; /* made by the plan (freed with it), else borrowed */
};

/* Zeroed, 64-byte aligned memory owned (and wiped, freed) by the plan. */
void *clo_onnx_plan_own(clo_onnx_plan *p, size_t size);
/* A float Clip step's bounds: its min/max inputs (opset >= 11), else its
 * attributes (ops_elem.c). */
void clo_onnx_clip_bounds(const clo_tensor *const *in, size_t nin, const void *params, float *lo,
                          float *hi);
/* A BatchNormalization step's epsilon (ops_math.c). */
float clo_onnx_bn_epsilon(const void *params);
/* HardSwish as fuse.c fuses it (Add, Clip, Mul, Div, then * scale + shift):
 * o = (a * clamp(a + add, lo, hi)) / div * scale + shift. */
typedef struct {
    float add, lo, hi, div;
    float scale, shift; /* 1 and 0 unless an affine after it was fused too */
} clo_onnx_hswish_params;
void clo_onnx_hswish(const float *a, float *o, uint64_t n, const clo_onnx_hswish_params *h);

/* A Conv's fused tail (fuse.c, ops_conv.c): y = act(y + r), r a residual
 * (the step's input 3, same shape as y) when res is set, act as the Relu,
 * Clip or fused HardSwish step would compute it (the same bits). */
enum { CLO_EPI_NONE, CLO_EPI_RELU, CLO_EPI_CLIP, CLO_EPI_HSWISH };
typedef struct {
    int act;
    float lo, hi;              /* CLO_EPI_CLIP */
    clo_onnx_hswish_params hs; /* CLO_EPI_HSWISH */
    int res;
} clo_onnx_epilogue;
/* Add to a float Conv step's tail: an activation (e->act, when it has
 * none), or the residual (e->res, when it has neither); 1 if it took it. */
int clo_onnx_conv_epilogue(void *params, const clo_onnx_epilogue *e);

/* A QLinearConv step (ops_quant.c) whose activations may stay NHWC between
 * it and the next: 1 if its output y can be written so (set: and will be),
 * or its input x read so. Only when every reader of the value agrees. */
int clo_onnx_qconv_chain_out(void *params, const clo_tensor *y, int set);
int clo_onnx_qconv_chain_in(void *params, const clo_tensor *x, int set);
/* Rewrite the built steps into fewer that compute the same values (fuse.c);
 * why says what failed. */
CLO_MUST_CHECK clo_err clo_onnx_fuse(clo_onnx_plan *p, char why[CLO_ONNX_WHY]);

/* ---- building (plan.c), shared with the control flow (ctrl.c) ---- */

/* Names to values: open addressing, sized once. */
typedef struct {
    clo_bytes *key;
    uint32_t *val;
    size_t cap;
} namemap;

/* A name whose scope ended (an inlined branch's or iteration's own values):
 * undefined, but its slot stays in the probe chains. */
#define GONE       (NONE - 1)
#define DEFINED(v) ((v) < GONE)

/* What building a plan carries from node to node. */
typedef struct {
    clo_onnx_plan *p;
    namemap nm;
    char *why;
    char label[120];
    uint32_t *defs; /* map slots defined, in order (a branch's are undone after it) */
    size_t ndefs;
    size_t iters_left; /* Loop and Scan iterations that may still be unrolled */
} builder;

/* Refuse: why := the message (printf-style); returns e. */
clo_err clo_onnx_fail(char *why, clo_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The map slot of a name (made if absent). */
uint32_t *clo_onnx_slot(namemap *nm, clo_bytes name);
/* Name slot := value v, remembered for the scope's end. */
void clo_onnx_define(builder *b, uint32_t *slot, uint32_t v);
/* A constant from the model's tensor t (an initializer), under its name. */
CLO_MUST_CHECK clo_err clo_onnx_add_const(builder *b, const clo_onnx_tensor *t);
/* The value named n, or NULL with why said. */
clo_tensor *clo_onnx_value_named(builder *b, clo_bytes n);
/* Make value v a constant now (folding the steps it depends on, or binding
 * a given feed); 0 when it depends on a value known only while running
 * (*err set when something failed instead). */
int clo_onnx_make_const(clo_onnx_plan *p, clo_tensor *v, int depth, clo_err *err);
/* One node: a step, or computed now; control flow resolved. */
CLO_MUST_CHECK clo_err clo_onnx_add_node(builder *b, const clo_onnx_node *n, int depth);
/* A node's name for messages. */
void clo_onnx_node_label(const clo_onnx_model *m, const clo_onnx_node *n, char *out, size_t cap);
/* Run a step now and keep its outputs as constants. */
CLO_MUST_CHECK clo_err clo_onnx_fold(clo_onnx_plan *p, const step *st, clo_onnx_exec *x);
/* Bytes of a value's elements. */
size_t clo_onnx_value_bytes(const clo_tensor *t);

/* Control flow (ctrl.c): If taken, Loop and Scan unrolled, in the node's
 * place while the plan is built. */
extern const clo_onnx_op clo_onnx_op_loop, clo_onnx_op_scan;
CLO_MUST_CHECK clo_err clo_onnx_add_if(builder *b, const clo_onnx_node *n, int depth);
CLO_MUST_CHECK clo_err clo_onnx_add_loop(builder *b, const clo_onnx_node *n, int depth);
CLO_MUST_CHECK clo_err clo_onnx_add_scan(builder *b, const clo_onnx_node *n, int64_t opset,
                                         int depth);

#endif
