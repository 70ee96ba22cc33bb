/* train.h — training the small classifiers of the diagnosis flow, on the
 * model owner's side (never in the enclave): a data set in scikit-learn's
 * CSV layout, a deterministic train/test split, feature standardisation,
 * logistic regression and a one-hidden-layer MLP, exported to ONNX with the
 * project's writer. Everything is seeded: the same data and options give the
 * same model bytes, hence the same model id. */
#ifndef CLO_MODEL_TRAIN_H
#define CLO_MODEL_TRAIN_H

#include "base/bytes.h"

#define CLO_TRAIN_MAX_ROWS     100000
#define CLO_TRAIN_MAX_FEATURES 1024

typedef struct {
    size_t rows, features;
    float *x;   /* rows x features */
    int32_t *y; /* class of each row: 0 .. classes-1 */
    size_t classes;
    char class_names[8][32];
} clo_dataset;

/* scikit-learn's CSV layout (breast_cancer.csv): a header "rows,features,
 * name0,name1,...", then one line per row of features and the class index.
 * Anything else is CLO_E_FORMAT naming the line. */
CLO_MUST_CHECK clo_err clo_dataset_parse_csv(clo_bytes text, clo_dataset *d, size_t *bad_line);
void clo_dataset_free(clo_dataset *d);

typedef enum { CLO_MODEL_LOGREG, CLO_MODEL_MLP } clo_model_kind;

typedef struct {
    clo_model_kind kind;
    size_t hidden; /* MLP hidden units (16) */
    size_t epochs; /* passes over the training set */
    float learning_rate;
    float l2;
    uint64_t seed;
    double test_fraction; /* held out, e.g. 0.2 */
} clo_train_opts;

typedef struct {
    size_t train_rows, test_rows;
    double train_accuracy; /* of the trained weights, in the trainer */
    double final_loss;
    uint32_t *test_index; /* the held-out rows (test_rows of them) */
} clo_train_report;

/* Train on d and write the model as ONNX into out: input "record" float
 * [N, features]; outputs "probabilities" float [N, classes] (softmax) and
 * "diagnosis" int64 [N] (the most probable class). */
CLO_MUST_CHECK clo_err clo_train(const clo_dataset *d, const clo_train_opts *o, clo_buf *out,
                                 clo_train_report *r);
void clo_train_report_free(clo_train_report *r);
/* Accuracy of an exported model on rows idx[0..n) of d, run by the engine
 * (so the export is checked along with the weights). */
CLO_MUST_CHECK clo_err clo_train_evaluate(clo_bytes model, const clo_dataset *d,
                                          const uint32_t *idx, size_t n, double *accuracy);
void clo_train_defaults(clo_model_kind kind, clo_train_opts *o);

#endif
