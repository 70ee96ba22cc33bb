/* ops_svm.c — SVMClassifier and SVMRegressor (ai.onnx.ml), computed as
 * onnxruntime computes them, the reference the converters target.
 *
 * With support vectors (vectors_per_class / n_supports), LIBSVM's form: a
 * kernel (LINEAR x·v, POLY (γ x·v + c0)^d, RBF exp(-γ |x - v|²), SIGMOID
 * tanh(γ x·v + c0)) against every support vector; a classifier scores every
 * pair of classes i < j, sum over i's vectors of coef[j-1] K + over j's of
 * coef[i] K, plus rho, votes for i when the score is > 0 (else j) and picks
 * the class with most votes (the first of a tie). Given prob_a and prob_b,
 * each pair's score becomes a probability by Platt's sigmoid, clamped to
 * [1e-7, 1 - 1e-7], and the pairwise probabilities are coupled into class
 * probabilities by Wu, Lin and Weng's method (LIBSVM's, in float, as
 * onnxruntime iterates it). Without support vectors, a linear model: scores
 * X·coefᵀ + rho[0] (the one intercept, as onnxruntime adds it).
 *
 * Z holds the class probabilities (with prob_a), else the pair scores (two
 * classes: [-s, s] under NONE, [1 - σ(s), σ(s)] under LOGISTIC, [probit(s),
 * 0] under PROBIT, [1 - s, s] under the softmaxes),
 * else the linear scores, then the post transform. Two labels without
 * probabilities: labels[1] when the top score is >= 0.5 (every coefficient
 * positive) or > 0 (otherwise), else the top class. The regressor adds
 * nothing after rho (onnxruntime applies no post transform to it) but
 * one_class's sign. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/onnx/ml.h"

enum { K_LINEAR, K_POLY, K_RBF, K_SIGMOID };

typedef struct {
    int kernel, pt, svc, proba, positive, regressor, one_class;
    float gamma, coef0, degree;
    clo_ml_fview sv, coef, rho, pa, pb;
    clo_ml_labelset labels;
    uint32_t *start, *count; /* each class's support vectors */
    uint64_t n, c;
    size_t classes, vectors, pairs, zcols;
} svm_params;

static clo_err kernel_of(clo_onnx_prep *p, svm_params *s)
{
    static const char *const names[] = {"LINEAR", "POLY", "RBF", "SIGMOID"};
    clo_bytes k;
    clo_ml_fview kp;
    CLO_TRY(clo_onnx_attr_str(p, "kernel_type", "LINEAR", &k));
    s->kernel = -1;
    for (int i = 0; i < 4; i++)
        if (clo_bytes_eq(k, clo_bytes_str(names[i]))) s->kernel = i;
    if (s->kernel < 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "unknown kernel_type");
    CLO_TRY(clo_ml_floats_of(p, "kernel_params", &kp));
    if (kp.n && kp.n != 3)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "kernel_params must be [gamma, coef0, degree]");
    if (kp.n) s->gamma = kp.v[0], s->coef0 = kp.v[1], s->degree = kp.v[2];
    return CLO_OK;
}

/* Support vectors: `count` of them, each of C features. */
static clo_err vectors_of(clo_onnx_prep *p, svm_params *s, size_t count)
{
    CLO_TRY(clo_ml_floats_of(p, "support_vectors", &s->sv));
    if (!s->c || s->sv.n != count * s->c)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "support_vectors must be %zu x %llu features",
                               count, (unsigned long long)s->c);
    s->vectors = count;
    return CLO_OK;
}

static float kernel(const svm_params *s, const clo_tensor *x, uint64_t row, const float *v)
{
    double acc = 0;
    if (s->kernel == K_RBF) {
        for (uint64_t j = 0; j < s->c; j++) {
            double d = (double)clo_ml_x(x, row * s->c + j) - v[j];
            acc += d * d;
        }
        return expf(-s->gamma * (float)acc);
    }
    for (uint64_t j = 0; j < s->c; j++) acc += (double)clo_ml_x(x, row * s->c + j) * v[j];
    float d = (float)acc;
    switch (s->kernel) {
    case K_POLY: return powf(s->gamma * d + s->coef0, s->degree);
    case K_SIGMOID: return tanhf(s->gamma * d + s->coef0);
    default: return d;
    }
}

/* ---- SVMClassifier ---- */

static clo_err svmclf_prepare(clo_onnx_prep *p)
{
    svm_params *s = p->params;
    clo_ml_iview vpc;
    CLO_TRY(clo_ml_rows(p, &s->n, &s->c));
    CLO_TRY(kernel_of(p, s));
    CLO_TRY(clo_ml_post_transform(p, &s->pt));
    CLO_TRY(clo_ml_labels(p, "classlabels_ints", "classlabels_strings", &s->labels));
    CLO_TRY(clo_ml_ints_of(p, "vectors_per_class", &vpc));
    CLO_TRY(clo_ml_floats_of(p, "coefficients", &s->coef));
    CLO_TRY(clo_ml_floats_of(p, "rho", &s->rho));
    CLO_TRY(clo_ml_floats_of(p, "prob_a", &s->pa));
    CLO_TRY(clo_ml_floats_of(p, "prob_b", &s->pb));
    s->classes = s->labels.n;
    if (s->classes < 2 || s->classes > 65535)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "an SVM classifier needs 2 to 65535 labels");
    s->pairs = s->classes * (s->classes - 1) / 2;
    if (s->pa.n != s->pb.n)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "prob_a and prob_b differ in length");
    s->svc = vpc.n > 0;
    if (s->svc) {
        if (vpc.n != s->classes)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "vectors_per_class must have one per label");
        s->start = clo_onnx_prep_alloc(p, s->classes * sizeof *s->start);
        s->count = clo_onnx_prep_alloc(p, s->classes * sizeof *s->count);
        if (!s->start || !s->count) return clo_onnx_refuse(p, CLO_E_NOMEM, "out of memory");
        uint64_t total = 0;
        for (size_t k = 0; k < s->classes; k++) {
            if (vpc.v[k] < 0 || vpc.v[k] > 1 << 24)
                return clo_onnx_refuse(p, CLO_E_FORMAT, "vectors_per_class out of range");
            s->start[k] = (uint32_t)total;
            s->count[k] = (uint32_t)vpc.v[k];
            total += (uint64_t)vpc.v[k];
        }
        CLO_TRY(vectors_of(p, s, (size_t)total));
        if (s->coef.n < (s->classes - 1) * s->vectors || s->rho.n < s->pairs ||
            (s->pa.n && s->pa.n < s->pairs))
            return clo_onnx_refuse(p, CLO_E_FORMAT,
                                   "coefficients, rho or prob_a/prob_b are shorter than %zu labels "
                                   "and %zu support vectors need",
                                   s->classes, s->vectors);
        s->proba = s->pa.n > 0;
    } else {
        s->kernel = K_LINEAR;
        if (!s->c || s->coef.n != s->classes * s->c || !s->rho.n)
            return clo_onnx_refuse(p, CLO_E_FORMAT,
                                   "a linear SVM needs labels x %llu coefficients and rho",
                                   (unsigned long long)s->c);
    }
    s->positive = 1;
    for (size_t k = 0; k < s->coef.n; k++) s->positive &= s->coef.v[k] >= 0;
    s->zcols = s->svc && !s->proba ? (s->classes > 2 ? s->pairs : 2) : s->classes;
    clo_shape ys = {1, {(int64_t)s->n}}, zs = {2, {(int64_t)s->n, (int64_t)s->zcols}};
    clo_onnx_set_out(p, 0, clo_ml_label_type(&s->labels), &ys);
    clo_onnx_set_out(p, 1, CLO_ONNX_FLOAT, &zs);
    /* kernels, votes, pair scores, the pairwise probability matrix, Q, Qp,
     * and Z's row when Z is omitted */
    p->scratch = (s->vectors + 2 * s->classes * s->classes + 2 * s->classes + s->pairs + s->zcols) *
                 sizeof(float);
    return CLO_OK;
}

/* onnxruntime's logistic (symmetric, for accuracy far from 0). */
static float logistic(float v)
{
    float e = 1.0f / (1.0f + expf(-fabsf(v)));
    return v < 0 ? 1.0f - e : e;
}

/* Wu, Lin and Weng's coupling of pairwise probabilities r (k x k) into p (k),
 * as LIBSVM and onnxruntime iterate it, in float. Q and qp are scratch. */
static void couple(size_t k, const float *r, float *p, float *q, float *qp)
{
    float eps = 0.005f / (float)k;
    memset(q, 0, k * k * sizeof *q);
    for (size_t i = 0; i < k; i++) {
        p[i] = 1.0f / (float)k;
        for (size_t j = 0; j < i; j++) {
            q[i * k + i] += r[j * k + i] * r[j * k + i];
            q[i * k + j] = q[j * k + i];
        }
        for (size_t j = i + 1; j < k; j++) {
            q[i * k + i] += r[j * k + i] * r[j * k + i];
            q[i * k + j] = -r[j * k + i] * r[i * k + j];
        }
    }
    for (int loop = 0; loop < 100; loop++) {
        float pqp = 0, max_error = 0;
        for (size_t i = 0; i < k; i++) {
            qp[i] = 0;
            for (size_t j = 0; j < k; j++) qp[i] += q[i * k + j] * p[j];
            pqp += p[i] * qp[i];
        }
        for (size_t i = 0; i < k; i++) {
            float e = fabsf(qp[i] - pqp);
            if (e > max_error) max_error = e;
        }
        if (max_error < eps) break;
        for (size_t i = 0; i < k; i++) {
            float diff = (-qp[i] + pqp) / q[i * k + i];
            p[i] += diff;
            pqp = (pqp + diff * (diff * q[i * k + i] + 2 * qp[i])) / (1 + diff) / (1 + diff);
            for (size_t j = 0; j < k; j++) {
                qp[j] = (qp[j] + diff * q[i * k + j]) / (1 + diff);
                p[j] /= (1 + diff);
            }
        }
    }
}

static clo_err svmclf_run(const clo_onnx_exec *x)
{
    const svm_params *s = x->params;
    const size_t k = s->classes;
    float *kern = x->scratch, *r = kern + s->vectors, *q = r + k * k, *qp = q + k * k,
          *votes = qp + k, *pair = votes + k, *zbuf = pair + s->pairs;
    for (uint64_t row = 0; row < s->n; row++) {
        float *z = x->nout > 1 && x->out[1] ? (float *)x->out[1]->data + row * s->zcols : zbuf;
        size_t best = 0;
        float top = 0;
        if (!s->svc) {
            for (size_t c = 0; c < k; c++)
                z[c] = kernel(s, x->in[0], row, s->coef.v + c * s->c) + s->rho.v[0];
            best = clo_ml_argmax(z, k);
            top = z[best];
        } else {
            for (size_t v = 0; v < s->vectors; v++)
                kern[v] = kernel(s, x->in[0], row, s->sv.v + v * s->c);
            memset(votes, 0, k * sizeof *votes);
            size_t idx = 0;
            for (size_t i = 0; i + 1 < k; i++)
                for (size_t j = i + 1; j < k; j++, idx++) {
                    double sum = 0;
                    const float *ci = s->coef.v + (j - 1) * s->vectors + s->start[i],
                                *cj = s->coef.v + i * s->vectors + s->start[j];
                    for (uint32_t m = 0; m < s->count[i]; m++) sum += ci[m] * kern[s->start[i] + m];
                    for (uint32_t m = 0; m < s->count[j]; m++) sum += cj[m] * kern[s->start[j] + m];
                    sum += s->rho.v[idx];
                    pair[idx] = (float)sum;
                    votes[sum > 0 ? i : j] += 1;
                }
            best = clo_ml_argmax(votes, k);
            if (s->proba) {
                idx = 0;
                for (size_t i = 0; i + 1 < k; i++)
                    for (size_t j = i + 1; j < k; j++, idx++) {
                        float v = 1.0f - logistic(pair[idx] * s->pa.v[idx] + s->pb.v[idx]);
                        v = v < 1e-7f ? 1e-7f : v > 1 - 1e-7f ? 1 - 1e-7f : v;
                        r[i * k + j] = v;
                        r[j * k + i] = 1 - v;
                    }
                couple(k, r, z, q, qp);
            } else {
                memcpy(z, pair, s->pairs * sizeof *z);
            }
        }
        size_t label = best;
        if (k == 2 && !s->proba && ((s->positive && top >= 0.5f) || (!s->positive && top > 0)))
            label = 1;
        clo_ml_label_put(&s->labels, x->out[0], row, label);
        if (s->svc && !s->proba && k == 2) { /* one score, two columns */
            float v = z[0];
            if (s->pt == CLO_PT_PROBIT)
                z[1] = 0, clo_ml_transform(CLO_PT_PROBIT, z, 1);
            else if (s->pt == CLO_PT_NONE)
                z[0] = -v, z[1] = v;
            else if (s->pt == CLO_PT_LOGISTIC)
                z[1] = 1.0f / (1.0f + expf(-v)), z[0] = 1.0f - z[1];
            else
                z[0] = 1.0f - v, z[1] = v;
        } else {
            clo_ml_transform(s->pt, z, s->svc && !s->proba ? s->pairs : k);
        }
    }
    return CLO_OK;
}

/* ---- SVMRegressor ---- */

static clo_err svmreg_prepare(clo_onnx_prep *p)
{
    svm_params *s = p->params;
    int64_t nsup, one;
    s->regressor = 1;
    CLO_TRY(clo_ml_rows(p, &s->n, &s->c));
    CLO_TRY(kernel_of(p, s));
    CLO_TRY(clo_ml_post_transform(p, &s->pt)); /* read for its check; onnxruntime applies none */
    CLO_TRY(clo_onnx_attr_int(p, "n_supports", 0, &nsup));
    CLO_TRY(clo_onnx_attr_int(p, "one_class", 0, &one));
    CLO_TRY(clo_ml_floats_of(p, "coefficients", &s->coef));
    CLO_TRY(clo_ml_floats_of(p, "rho", &s->rho));
    s->one_class = one != 0;
    if (nsup < 0 || nsup > 1 << 24) return clo_onnx_refuse(p, CLO_E_FORMAT, "n_supports");
    s->svc = nsup > 0;
    if (s->svc) {
        CLO_TRY(vectors_of(p, s, (size_t)nsup));
        if (s->coef.n < s->vectors || !s->rho.n)
            return clo_onnx_refuse(p, CLO_E_FORMAT,
                                   "coefficients must have one per support vector, and rho one");
    } else {
        s->kernel = K_LINEAR;
        if (!s->c || s->coef.n != s->c || !s->rho.n)
            return clo_onnx_refuse(p, CLO_E_FORMAT,
                                   "a linear SVM regressor needs %llu coefficients and rho",
                                   (unsigned long long)s->c);
    }
    clo_shape ys = {2, {(int64_t)s->n, 1}};
    clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &ys);
    return CLO_OK;
}

static clo_err svmreg_run(const clo_onnx_exec *x)
{
    const svm_params *s = x->params;
    float *y = x->out[0]->data;
    for (uint64_t row = 0; row < s->n; row++) {
        float v;
        if (s->svc) {
            double sum = 0;
            for (size_t k = 0; k < s->vectors; k++)
                sum += (double)s->coef.v[k] * kernel(s, x->in[0], row, s->sv.v + k * s->c);
            v = (float)sum + s->rho.v[0];
        } else {
            v = kernel(s, x->in[0], row, s->coef.v) + s->rho.v[0];
        }
        y[row] = s->one_class ? (v > 0 ? 1.0f : -1.0f) : v;
    }
    return CLO_OK;
}

static const clo_onnx_op op_svmclf = {
    CLO_ML_DOMAIN,
    "SVMClassifier",
    1,
    1,
    1,
    1,
    2,
    "classlabels_ints,classlabels_strings,coefficients,kernel_params,kernel_type,post_transform,"
    "prob_a,prob_b,rho,support_vectors,vectors_per_class",
    sizeof(svm_params),
    svmclf_prepare,
    svmclf_run};
static const clo_onnx_op op_svmreg = {
    CLO_ML_DOMAIN,
    "SVMRegressor",
    1,
    1,
    1,
    1,
    1,
    "coefficients,kernel_params,kernel_type,n_supports,one_class,post_transform,rho,"
    "support_vectors",
    sizeof(svm_params),
    svmreg_prepare,
    svmreg_run};

const clo_onnx_op *const clo_onnx_ops_svm[] = {&op_svmclf, &op_svmreg, NULL};
