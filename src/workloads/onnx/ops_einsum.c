/* ops_einsum.c — Einsum (opset 12): any equation over float, int32 or int64
 * inputs, explicit ("ij,jk->ik") or implicit ("ij,jk": the labels used once,
 * in alphabetical order, after the ellipsis), with repeated labels in a term
 * (diagonals) and an ellipsis broadcast across the inputs. Planned once into
 * strides per label; a run walks every output element and sums the products
 * over the contracted labels in a fixed order (a double accumulator for
 * floats), so any split of the output gives the same bits. */
#include <string.h>

#include "workloads/onnx/op.h"

#define MAX_INPUTS 8
#define MAX_LABELS (52 + CLO_ONNX_MAX_RANK) /* letters, then the ellipsis' dims */

typedef struct {
    int32_t dtype;
    size_t nin;
    uint32_t nout_labels, nsum;             /* output labels, then contracted ones */
    int64_t size[MAX_LABELS];               /* per label, in that order */
    int64_t stride[MAX_INPUTS][MAX_LABELS]; /* per input: elements per step of a label */
    int64_t ostride[MAX_LABELS];            /* the output's (output labels only) */
} einsum_params;

static int letter(char c)
{
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
    return -1;
}

/* One term's labels (ellipsis dims as 52 + k, right-aligned across terms:
 * the ellipsis' dims of an input of ell dims are 52 + (E - ell) ..). */
typedef struct {
    int lab[CLO_ONNX_MAX_RANK];
    uint32_t n;
    int ell;       /* where the ellipsis starts in lab[], -1: none */
    uint32_t nell; /* dims it covers */
} term;

/* Parse chars [s, e) of the equation as a term (spaces ignored). */
static int parse_term(const char *s, const char *e, term *t)
{
    t->n = 0;
    t->ell = -1;
    t->nell = 0;
    for (const char *c = s; c < e; c++) {
        if (*c == ' ') continue;
        if (*c == '.') {
            if (t->ell >= 0 || e - c < 3 || c[1] != '.' || c[2] != '.') return -1;
            t->ell = (int)t->n;
            c += 2;
            continue;
        }
        int l = letter(*c);
        if (l < 0 || t->n >= CLO_ONNX_MAX_RANK) return -1;
        t->lab[t->n++] = l;
    }
    return 0;
}

static clo_err einsum_prepare(clo_onnx_prep *p)
{
    einsum_params *ep = p->params;
    clo_bytes eq;
    char buf[256];
    term in[MAX_INPUTS], out;
    CLO_TRY(clo_onnx_attr_str(p, "equation", "", &eq));
    if (eq.len == 0 || eq.len >= sizeof buf)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "equation: missing or too long");
    memcpy(buf, eq.ptr, eq.len);
    buf[eq.len] = 0;
    if (p->nin < 1 || p->nin > MAX_INPUTS)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "1 to %d inputs", MAX_INPUTS);
    ep->nin = p->nin;
    static const int32_t types[] = {CLO_ONNX_FLOAT, CLO_ONNX_DOUBLE, CLO_ONNX_INT32, CLO_ONNX_INT64,
                                    0};
    for (size_t k = 0; k < p->nin; k++) {
        CLO_TRY(clo_onnx_need(p, k, types));
        if (p->in[k]->dtype != p->in[0]->dtype)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "the inputs' types differ");
    }
    ep->dtype = p->in[0]->dtype;

    /* terms */
    const char *arrow = strstr(buf, "->"), *end = arrow ? arrow : buf + eq.len, *s = buf;
    size_t k = 0;
    for (;;) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *te = comma ? comma : end;
        if (k >= p->nin || parse_term(s, te, &in[k]))
            return clo_onnx_refuse(p, CLO_E_FORMAT,
                                   "equation: a bad term or more terms than inputs");
        k++;
        if (!comma) break;
        s = comma + 1;
    }
    if (k != p->nin) return clo_onnx_refuse(p, CLO_E_FORMAT, "equation: a term per input");
    /* dims per label; the ellipsis' dims broadcast, right-aligned */
    int64_t size[MAX_LABELS];
    int used[MAX_LABELS] = {0};
    for (int l = 0; l < MAX_LABELS; l++) size[l] = -1;
    uint32_t E = 0;
    for (k = 0; k < p->nin; k++) {
        const clo_shape *sh = &p->in[k]->shape;
        term *t = &in[k];
        if (t->ell < 0 ? sh->rank != t->n : sh->rank < t->n)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "input %zu: its rank does not fit its term", k);
        t->nell = sh->rank - t->n;
        if (t->nell > E) E = t->nell;
    }
    memset(ep->stride, 0, sizeof ep->stride);
    int64_t stride_of[MAX_INPUTS][MAX_LABELS];
    memset(stride_of, 0, sizeof stride_of);
    for (k = 0; k < p->nin; k++) {
        const clo_shape *sh = &p->in[k]->shape;
        const term *t = &in[k];
        int64_t st = 1;
        /* walk the input's dims from the last: its label and its stride */
        for (int d = (int)sh->rank - 1; d >= 0; d--) {
            int l;
            if (t->ell >= 0 && d >= t->ell && d < t->ell + (int)t->nell)
                l = 52 + (int)(E - t->nell) + (d - t->ell);
            else
                l = t->lab[t->ell >= 0 && d >= t->ell + (int)t->nell ? d - (int)t->nell : d];
            int64_t n = sh->d[d];
            used[l]++;
            if (l >= 52) { /* broadcast: 1 gives way to the other size */
                if (n != 1) {
                    if (size[l] > 1 && size[l] != n)
                        return clo_onnx_refuse(p, CLO_E_FORMAT,
                                               "the ellipsis' dims do not broadcast");
                    size[l] = n;
                    stride_of[k][l] += st;
                } else if (size[l] < 1) {
                    size[l] = 1;
                }
            } else {
                if (size[l] >= 0 && size[l] != n)
                    return clo_onnx_refuse(p, CLO_E_FORMAT, "label '%c' has two sizes",
                                           l < 26 ? 'a' + l : 'A' + l - 26);
                size[l] = n;
                stride_of[k][l] += st; /* a repeated label walks the diagonal */
            }
            st *= n;
        }
    }
    /* the output's labels */
    if (arrow) {
        if (parse_term(arrow + 2, buf + eq.len, &out))
            return clo_onnx_refuse(p, CLO_E_FORMAT, "equation: a bad output term");
        if (out.ell < 0 && E > 0)
            return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "an ellipsis summed away");
    } else { /* implicit: the ellipsis, then the letters used once, in order */
        out.n = 0;
        out.ell = E ? 0 : -1;
        for (int l = 0; l < 52; l++)
            if (used[l] == 1) {
                if (out.n >= CLO_ONNX_MAX_RANK)
                    return clo_onnx_refuse(p, CLO_E_LIMIT, "output rank over %d",
                                           CLO_ONNX_MAX_RANK);
                out.lab[out.n++] = l;
            }
    }
    int olab[CLO_ONNX_MAX_RANK * 2];
    uint32_t on = 0;
    for (uint32_t i = 0; i <= out.n; i++) {
        if (out.ell == (int)i)
            for (uint32_t e = 0; e < E; e++) olab[on++] = 52 + (int)e;
        if (i < out.n) olab[on++] = out.lab[i];
    }
    if (on > CLO_ONNX_MAX_RANK) return clo_onnx_refuse(p, CLO_E_LIMIT, "output rank over 8");
    int is_out[MAX_LABELS] = {0};
    for (uint32_t i = 0; i < on; i++) {
        if (olab[i] < 52 && size[olab[i]] < 0)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "an output label no input has");
        if (is_out[olab[i]]) return clo_onnx_refuse(p, CLO_E_FORMAT, "an output label twice");
        is_out[olab[i]] = 1;
    }
    /* order: output labels, then the contracted ones (ascending) */
    int order[MAX_LABELS];
    uint32_t n = 0;
    for (uint32_t i = 0; i < on; i++) order[n++] = olab[i];
    ep->nout_labels = on;
    for (int l = 0; l < MAX_LABELS; l++)
        if (size[l] >= 0 && !is_out[l]) order[n++] = l;
    ep->nsum = n - on;
    clo_shape os = {on, {0}};
    uint64_t count = 1, work = 1;
    for (uint32_t i = 0; i < n; i++) {
        ep->size[i] = size[order[i]];
        for (k = 0; k < p->nin; k++) ep->stride[k][i] = stride_of[k][order[i]];
        if (i < on) os.d[i] = size[order[i]], count *= (uint64_t)size[order[i]];
        work *= (uint64_t)(size[order[i]] ? size[order[i]] : 1);
        if (work > CLO_ONNX_MAX_ELEMS) return clo_onnx_refuse(p, CLO_E_LIMIT, "too much work");
    }
    int64_t st = 1;
    for (int i = (int)on - 1; i >= 0; i--) {
        ep->ostride[i] = st;
        st *= os.d[i];
    }
    (void)count;
    clo_onnx_set_out(p, 0, ep->dtype, &os);
    return CLO_OK;
}

static clo_err einsum_run(const clo_onnx_exec *x)
{
    const einsum_params *ep = x->params;
    clo_tensor *o = x->out[0];
    uint32_t on = ep->nout_labels, ns = ep->nsum;
    int64_t idx[MAX_LABELS] = {0};
    int64_t off[MAX_INPUTS] = {0};
    for (uint64_t e = 0; e < o->count; e++) {
        /* off[] at (output index, contracted 0) */
        double acc = 0;
        int64_t iacc = 0;
        int empty = 0;
        for (uint32_t i = on; i < on + ns; i++) empty |= ep->size[i] == 0;
        memset(idx + on, 0, ns * sizeof idx[0]);
        int64_t base[MAX_INPUTS];
        memcpy(base, off, sizeof base);
        while (!empty) {
            if (!clo_tensor_is_real(ep->dtype)) { /* wrapping, as the type does */
                uint64_t prod = 1;
                for (size_t k = 0; k < ep->nin; k++)
                    prod *= (uint64_t)clo_onnx_int_at(x->in[k], (uint64_t)off[k]);
                iacc = (int64_t)((uint64_t)iacc + prod);
            } else {
                double prod = 1; /* in double, for float and double alike */
                for (size_t k = 0; k < ep->nin; k++)
                    prod *= clo_tensor_get_f64(x->in[k], (uint64_t)off[k]);
                acc += prod;
            }
            /* next contracted index */
            int i = (int)(on + ns) - 1;
            for (; i >= (int)on; i--) {
                for (size_t k = 0; k < ep->nin; k++) off[k] += ep->stride[k][i];
                if (++idx[i] < ep->size[i]) break;
                for (size_t k = 0; k < ep->nin; k++) off[k] -= ep->stride[k][i] * ep->size[i];
                idx[i] = 0;
            }
            if (i < (int)on) break;
        }
        memcpy(off, base, sizeof base);
        switch (ep->dtype) {
        case CLO_ONNX_FLOAT: ((float *)o->data)[e] = (float)acc; break;
        case CLO_ONNX_DOUBLE: ((double *)o->data)[e] = acc; break;
        case CLO_ONNX_INT32: ((int32_t *)o->data)[e] = (int32_t)(uint32_t)(uint64_t)iacc; break;
        default: ((int64_t *)o->data)[e] = iacc; break;
        }
        /* next output index */
        for (int i = (int)on - 1; i >= 0; i--) {
            for (size_t k = 0; k < ep->nin; k++) off[k] += ep->stride[k][i];
            if (++idx[i] < ep->size[i]) break;
            for (size_t k = 0; k < ep->nin; k++) off[k] -= ep->stride[k][i] * ep->size[i];
            idx[i] = 0;
        }
    }
    return CLO_OK;
}

static const clo_onnx_op op_einsum = {
    "",        "Einsum", 12, 1, MAX_INPUTS, 1, 1, "equation", sizeof(einsum_params), einsum_prepare,
    einsum_run};

const clo_onnx_op *const clo_onnx_ops_einsum[] = {&op_einsum, NULL};
