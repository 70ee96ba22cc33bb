/* op.h — the interface between the plan and the operators.
 *
 * An operator has two halves. `prepare` runs once, while a plan is built: it
 * reads the node's attributes, checks its inputs' types and shapes (and the
 * data of inputs that are constants), sets each output's type and shape,
 * fills the operator's parameters and says how much scratch memory a run
 * needs. Anything it cannot compute exactly is refused here, with the reason
 * in `why`. `run` then computes outputs whose memory is already there; it
 * allocates nothing and fails only on data it could not see while the plan
 * was built (an index out of range).
 *
 * Operators live in ops_*.c, grouped by kind; clo_onnx_op_find is the one
 * registry. */
#ifndef CLO_WORKLOADS_ONNX_OP_H
#define CLO_WORKLOADS_ONNX_OP_H

#include "workloads/onnx/pool.h"
#include "workloads/onnx/tensor.h"

#define CLO_ONNX_WHY 200

typedef struct {
    const clo_onnx_model *m;
    const clo_onnx_node *node;
    int64_t opset;    /* the model's opset for the node's domain */
    size_t nin, nout; /* as the node lists them, trailing omitted ones included */
    clo_tensor **in;  /* NULL: an omitted optional input; ->data set only for constants */
    clo_tensor **out; /* prepare sets dtype and shape; NULL: an omitted optional output */
    void *params;     /* op->params_size zeroed bytes */
    size_t scratch;   /* bytes of scratch memory a run needs */
    int fold;         /* the outputs depend only on shapes: compute them now */
    char *why;        /* CLO_ONNX_WHY bytes: the reason of a refusal */
    struct clo_onnx_plan *plan;
    unsigned threads;        /* parts a run may split a product into (scratch for each) */
    const int64_t *pads_add; /* a Conv's: spatial pads (begins, ends) a Pad folded into it */
} clo_onnx_prep;

typedef struct {
    const void *params;
    const clo_tensor *const *in; /* NULL for omitted inputs */
    size_t nin;
    clo_tensor *const *out; /* NULL for omitted outputs */
    size_t nout;
    void *scratch;  /* 64-byte aligned */
    clo_pool *pool; /* NULL: one thread */
} clo_onnx_exec;

typedef struct {
    const char *domain; /* "" for ai.onnx, "ai.onnx.ml" */
    const char *op_type;
    int since; /* the oldest opset whose form is implemented */
    uint8_t min_in, max_in, min_out, max_out;
    const char *attrs; /* the attribute names it reads, comma-separated */
    size_t params_size;
    CLO_MUST_CHECK clo_err (*prepare)(clo_onnx_prep *p);
    CLO_MUST_CHECK clo_err (*run)(const clo_onnx_exec *x);
} clo_onnx_op;

/* The operator for a node's domain and type; NULL if there is none. */
const clo_onnx_op *clo_onnx_op_find(clo_bytes domain, clo_bytes op_type);
/* Every registered operator, by index (the conformance test lists those
 * the suite does not exercise). */
size_t clo_onnx_op_count(void);
const clo_onnx_op *clo_onnx_op_at(size_t i);

/* ---- helpers for prepare ---- */

/* Refuse with a message (printf-style) in p->why; returns CLO_ERR(code, ...). */
CLO_MUST_CHECK clo_err clo_onnx_refuse(clo_onnx_prep *p, clo_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The node's attribute of that name; NULL if absent. */
const clo_onnx_attr *clo_onnx_attr_get(const clo_onnx_prep *p, const char *name);
/* Typed attribute reads: the default when absent, a refusal on a wrong type. */
CLO_MUST_CHECK clo_err clo_onnx_attr_int(clo_onnx_prep *p, const char *name, int64_t def,
                                         int64_t *out);
CLO_MUST_CHECK clo_err clo_onnx_attr_float(clo_onnx_prep *p, const char *name, float def,
                                           float *out);
/* INTS into out[0..cap): *n = -1 when absent; refused when longer than cap. */
CLO_MUST_CHECK clo_err clo_onnx_attr_ints(clo_onnx_prep *p, const char *name, int64_t *out,
                                          size_t cap, int *n);
/* STRING: compared with `def` when absent; *out is a view into the model. */
CLO_MUST_CHECK clo_err clo_onnx_attr_str(clo_onnx_prep *p, const char *name, const char *def,
                                         clo_bytes *out);
/* Input k exists (not omitted) and has one of the types in the 0-terminated
 * list; refused naming the input otherwise. */
CLO_MUST_CHECK clo_err clo_onnx_need(clo_onnx_prep *p, size_t k, const int32_t *types);
/* Input k is a constant whose integers (int32 or int64) go into out[0..cap). */
CLO_MUST_CHECK clo_err clo_onnx_const_ints(clo_onnx_prep *p, size_t k, int64_t *out, size_t cap,
                                           size_t *n);
/* An axis in [-rank, rank) made non-negative; refused otherwise. */
CLO_MUST_CHECK clo_err clo_onnx_axis(clo_onnx_prep *p, int64_t axis, uint32_t rank, uint32_t *out);
/* Output k gets this type and shape (output k may be omitted: then nothing). */
void clo_onnx_set_out(clo_onnx_prep *p, size_t k, int32_t dtype, const clo_shape *s);

/* Zeroed, 64-byte aligned memory that lives as long as the plan (packed
 * weights); NULL when out of memory. */
void *clo_onnx_prep_alloc(clo_onnx_prep *p, size_t size);

/* Make input k a constant if it is a feed whose value the caller gave (the
 * plan is then bound to that value). 1 if input k is now a constant. */
int clo_onnx_prep_bind(clo_onnx_prep *p, size_t k);

/* A Pad step's padding when it is zeros on the spatial dims only (mode
 * constant, value 0, nothing on dims 0 and 1, no negative pads): its S
 * spatial begins then ends in pads, and 1; else 0 (ops_shape.c; for the
 * plan's fusion of a Pad into the Conv after it). */
int clo_onnx_pad_zeros(const void *params, const clo_tensor *const *in, size_t nin,
                       const clo_shape *out, int64_t *pads);

/* A Concat step's axis (ops_shape.c; for the plan's Concat in place). */
uint32_t clo_onnx_concat_axis(const void *params);

/* Type lists for clo_onnx_need. */
extern const int32_t CLO_T_FLOAT[], CLO_T_NUM[], CLO_T_ANY[], CLO_T_INDEX[], CLO_T_Q8[],
    CLO_T_BOOL[];
/* Every type the engine carries (tensor.h): for operators that only move
 * elements, whatever they hold (CLO_T_ANY: the six it computes on). */
extern const int32_t CLO_T_DATA[];
/* CLO_T_DATA and strings (elements are clo_bytes views, see tensor.h): for
 * the operators that only copy elements whole. */
extern const int32_t CLO_T_ALL[];

/* Value of element i of an integer tensor (int32 or int64) as int64. */
static inline int64_t clo_onnx_int_at(const clo_tensor *t, uint64_t i)
{
    return t->dtype == CLO_ONNX_INT32 ? ((const int32_t *)t->data)[i]
                                      : ((const int64_t *)t->data)[i];
}

/* Element i of a numeric tensor of any engine type, as double (exact for
 * every type but int64 beyond 2^53, which comparisons and argmax tolerate). */
static inline double clo_onnx_num_at(const clo_tensor *t, uint64_t i)
{
    switch (t->dtype) {
    case CLO_ONNX_FLOAT: return ((const float *)t->data)[i];
    case CLO_ONNX_INT32: return ((const int32_t *)t->data)[i];
    case CLO_ONNX_INT64: return (double)((const int64_t *)t->data)[i];
    case CLO_ONNX_INT8: return ((const int8_t *)t->data)[i];
    default: return ((const uint8_t *)t->data)[i];
    }
}

/* Registration tables (one per ops_*.c). */
extern const clo_onnx_op *const clo_onnx_ops_elem[];
extern const clo_onnx_op *const clo_onnx_ops_shape[];
extern const clo_onnx_op *const clo_onnx_ops_math[];
extern const clo_onnx_op *const clo_onnx_ops_conv[];
extern const clo_onnx_op *const clo_onnx_ops_quant[];
extern const clo_onnx_op *const clo_onnx_ops_ml[];
extern const clo_onnx_op *const clo_onnx_ops_svm[];
extern const clo_onnx_op *const clo_onnx_ops_mlprep[];
extern const clo_onnx_op *const clo_onnx_ops_resize[];
extern const clo_onnx_op *const clo_onnx_ops_rnn[];
extern const clo_onnx_op *const clo_onnx_ops_einsum[];
extern const clo_onnx_op *const clo_onnx_ops_ctrl[]; /* If (plan.c) */
extern const clo_onnx_op clo_onnx_op_if;

#endif
