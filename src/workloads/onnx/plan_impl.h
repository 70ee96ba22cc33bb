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
/* Rewrite the built steps into fewer that compute the same values (fuse.c);
 * why says what failed. */
CLO_MUST_CHECK clo_err clo_onnx_fuse(clo_onnx_plan *p, char why[CLO_ONNX_WHY]);

#endif
