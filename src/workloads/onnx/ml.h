/* ml.h — what the ONNX-ML operators share (ops_ml.c, ops_svm.c,
 * ops_mlprep.c): typed views of list attributes, X as rows of features, the
 * post transforms, class labels. Private to workloads/onnx. */
#ifndef CLO_WORKLOADS_ONNX_ML_H
#define CLO_WORKLOADS_ONNX_ML_H

#include "workloads/onnx/op.h"

#define CLO_ML_DOMAIN "ai.onnx.ml"

typedef struct {
    const float *v;
    size_t n;
} clo_ml_fview;
typedef struct {
    const int64_t *v;
    size_t n;
} clo_ml_iview;

/* A FLOATS / INTS attribute as a view into the model (n = 0 when absent);
 * refused when it has another type. */
CLO_MUST_CHECK clo_err clo_ml_floats_of(clo_onnx_prep *p, const char *name, clo_ml_fview *out);
CLO_MUST_CHECK clo_err clo_ml_ints_of(clo_onnx_prep *p, const char *name, clo_ml_iview *out);
/* X (float, int32 or int64) as rows of C features: [N, C], or [C] as one row. */
CLO_MUST_CHECK clo_err clo_ml_rows(clo_onnx_prep *p, uint64_t *n, uint64_t *c);
/* Element i of X as float. */
float clo_ml_x(const clo_tensor *t, uint64_t i);

/* post_transform */
enum { CLO_PT_NONE, CLO_PT_SOFTMAX, CLO_PT_LOGISTIC, CLO_PT_SOFTMAX_ZERO, CLO_PT_PROBIT };
CLO_MUST_CHECK clo_err clo_ml_post_transform(clo_onnx_prep *p, int *out);
/* The transform over one row of e scores, in place. */
void clo_ml_transform(int pt, float *z, size_t e);
/* The first index of the largest score. */
size_t clo_ml_argmax(const float *z, size_t e);
/* Class labels: int64s or strings (views into the model's names), one
 * list or the other. */
typedef struct {
    const int64_t *ints; /* NULL: the labels are strs */
    const clo_bytes *strs;
    size_t n;
} clo_ml_labelset;
CLO_MUST_CHECK clo_err clo_ml_labels(clo_onnx_prep *p, const char *ints_name, const char *strs_name,
                                     clo_ml_labelset *out);
/* The labels' element type: int64 or string. */
static inline int32_t clo_ml_label_type(const clo_ml_labelset *l)
{
    return l->ints ? CLO_ONNX_INT64 : CLO_ONNX_STRING;
}
/* out[i] := label k. */
static inline void clo_ml_label_put(const clo_ml_labelset *l, clo_tensor *out, uint64_t i, size_t k)
{
    if (l->ints)
        ((int64_t *)out->data)[i] = l->ints[k];
    else
        ((clo_bytes *)out->data)[i] = l->strs[k];
}
/* A STRINGS attribute as a view into the model's names (n = 0 when absent);
 * refused when it has another type. */
CLO_MUST_CHECK clo_err clo_ml_strs_of(clo_onnx_prep *p, const char *name, const clo_bytes **v,
                                      size_t *n);

#endif
