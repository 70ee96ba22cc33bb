/* ops_shape.c — operators that move elements without computing on them:
 * Reshape, Flatten, Transpose, Squeeze, Unsqueeze, Concat, Split, Slice,
 * Gather, Tile, Pad, and the ones made at plan time (Shape, Size, Constant,
 * ConstantOfShape, Range). Shapes they depend on must be constants; pytorch
 * exports compute them with Shape/Gather/Concat chains, which fold while the
 * plan is built. Every kernel works on bytes, so any element type works. */
#include <math.h>
#include <string.h>

#include "workloads/onnx/op.h"

static size_t esize(const clo_tensor *t)
{
    return clo_tensor_elem_size(t->dtype);
}

/* dst (contiguous, shape s) = src read with the given element strides. */
static void strided_copy(uint8_t *dst, const uint8_t *src, const clo_shape *s,
                         const int64_t *strides, size_t es)
{
    uint64_t count = 1;
    for (uint32_t i = 0; i < s->rank; i++) count *= (uint64_t)s->d[i];
    if (!count) return;
    if (s->rank == 0) {
        memcpy(dst, src, es);
        return;
    }
    int64_t idx[CLO_ONNX_MAX_RANK] = {0}, off = 0;
    uint32_t last = s->rank - 1;
    int64_t inner = s->d[last], is = strides[last];
    for (uint64_t done = 0; done < count; done += (uint64_t)inner) {
        if (is == 1) {
            memcpy(dst, src + off * (int64_t)es, (size_t)inner * es);
            dst += inner * (int64_t)es;
        } else if (es == 4) {
            const uint32_t *p = (const uint32_t *)(const void *)(src + off * 4);
            uint32_t *q = (uint32_t *)(void *)dst;
            for (int64_t i = 0; i < inner; i++) q[i] = p[i * is];
            dst += inner * 4;
        } else {
            for (int64_t i = 0; i < inner; i++, dst += es)
                memcpy(dst, src + (off + i * is) * (int64_t)es, es);
        }
        for (int i = (int)last - 1; i >= 0; i--) {
            off += strides[i];
            if (++idx[i] < s->d[i]) break;
            off -= strides[i] * s->d[i];
            idx[i] = 0;
        }
    }
}

static clo_err copy_run(const clo_onnx_exec *x)
{
    memcpy(x->out[0]->data, x->in[0]->data, x->in[0]->count * esize(x->in[0]));
    return CLO_OK;
}

/* ======================= Reshape ======================= */
static clo_err reshape_prepare(clo_onnx_prep *p)
{
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    int64_t dims[CLO_ONNX_MAX_RANK], allowzero;
    size_t n;
    CLO_TRY(clo_onnx_const_ints(p, 1, dims, CLO_ONNX_MAX_RANK, &n));
    CLO_TRY(clo_onnx_attr_int(p, "allowzero", 0, &allowzero));
    const clo_shape *in = &p->in[0]->shape;
    clo_shape out = {(uint32_t)n, {0}};
    int infer = -1;
    uint64_t known = 1;
    for (size_t i = 0; i < n; i++) {
        int64_t d = dims[i];
        if (d == 0 && !allowzero) {
            if (i >= in->rank)
                return clo_onnx_refuse(p, CLO_E_FORMAT,
                                       "shape copies dim %zu, which the input lacks", i);
            d = in->d[i];
        }
        if (d == -1) {
            if (infer >= 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "shape has two -1 dims");
            infer = (int)i;
            continue;
        }
        if (d < 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "shape has a negative dim");
        out.d[i] = d;
        if (d && known > CLO_ONNX_MAX_ELEMS / (uint64_t)d)
            return clo_onnx_refuse(p, CLO_E_LIMIT, "shape is too large");
        known *= (uint64_t)d;
    }
    uint64_t total = p->in[0]->count;
    if (infer >= 0) {
        if (!known || total % known)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "cannot infer the -1 dim");
        out.d[infer] = (int64_t)(total / known);
        known = total;
    }
    if (known != total)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "shape holds %llu elements, the input %llu",
                               (unsigned long long)known, (unsigned long long)total);
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static const clo_onnx_op op_reshape = {"", "Reshape",       5,       2, 2, 1, 1, "allowzero",
                                       0,  reshape_prepare, copy_run};

/* ======================= Flatten ======================= */
static clo_err flatten_prepare(clo_onnx_prep *p)
{
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    int64_t axis;
    CLO_TRY(clo_onnx_attr_int(p, "axis", 1, &axis));
    const clo_shape *in = &p->in[0]->shape;
    if (axis < -(int64_t)in->rank || axis > (int64_t)in->rank)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "axis %lld is outside rank %u", (long long)axis,
                               in->rank);
    if (axis < 0) axis += in->rank;
    clo_shape out = {2, {1, 1}};
    for (uint32_t i = 0; i < in->rank; i++) out.d[i < axis ? 0 : 1] *= in->d[i];
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static const clo_onnx_op op_flatten = {"", "Flatten",       1,       1, 1, 1, 1, "axis",
                                       0,  flatten_prepare, copy_run};

/* ======================= Squeeze, Unsqueeze ======================= */
static clo_err axes_of(clo_onnx_prep *p, int64_t *axes, size_t *n, int *given)
{
    *given = 0;
    *n = 0;
    if (p->opset >= 13) {
        if (p->nin > 1 && p->in[1]) {
            CLO_TRY(clo_onnx_const_ints(p, 1, axes, CLO_ONNX_MAX_RANK, n));
            *given = 1;
        }
        return CLO_OK;
    }
    int k;
    CLO_TRY(clo_onnx_attr_ints(p, "axes", axes, CLO_ONNX_MAX_RANK, &k));
    if (k >= 0) {
        *n = (size_t)k;
        *given = 1;
    }
    return CLO_OK;
}

static clo_err squeeze_prepare(clo_onnx_prep *p)
{
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    int64_t axes[CLO_ONNX_MAX_RANK];
    size_t n;
    int given;
    CLO_TRY(axes_of(p, axes, &n, &given));
    const clo_shape *in = &p->in[0]->shape;
    int drop[CLO_ONNX_MAX_RANK] = {0};
    for (size_t i = 0; i < n; i++) {
        uint32_t a;
        CLO_TRY(clo_onnx_axis(p, axes[i], in->rank, &a));
        if (in->d[a] != 1) return clo_onnx_refuse(p, CLO_E_FORMAT, "axis %u is not of size 1", a);
        drop[a] = 1;
    }
    clo_shape out = {0, {0}};
    for (uint32_t i = 0; i < in->rank; i++)
        if (!(given ? drop[i] : in->d[i] == 1)) out.d[out.rank++] = in->d[i];
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static clo_err unsqueeze_prepare(clo_onnx_prep *p)
{
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    int64_t axes[CLO_ONNX_MAX_RANK];
    size_t n;
    int given;
    CLO_TRY(axes_of(p, axes, &n, &given));
    if (!given) return clo_onnx_refuse(p, CLO_E_FORMAT, "axes are required");
    const clo_shape *in = &p->in[0]->shape;
    uint32_t rank = in->rank + (uint32_t)n;
    if (rank > CLO_ONNX_MAX_RANK)
        return clo_onnx_refuse(p, CLO_E_LIMIT, "rank over %d", CLO_ONNX_MAX_RANK);
    int ins[CLO_ONNX_MAX_RANK] = {0};
    for (size_t i = 0; i < n; i++) {
        uint32_t a;
        CLO_TRY(clo_onnx_axis(p, axes[i], rank, &a));
        if (ins[a]) return clo_onnx_refuse(p, CLO_E_FORMAT, "axis %u repeated", a);
        ins[a] = 1;
    }
    clo_shape out = {rank, {0}};
    for (uint32_t i = 0, j = 0; i < rank; i++) out.d[i] = ins[i] ? 1 : in->d[j++];
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static const clo_onnx_op op_squeeze = {"", "Squeeze",       1,       1, 2, 1, 1, "axes",
                                       0,  squeeze_prepare, copy_run};
static const clo_onnx_op op_unsqueeze = {"", "Unsqueeze",       1,       1, 2, 1, 1, "axes",
                                         0,  unsqueeze_prepare, copy_run};

/* ======================= Transpose ======================= */
typedef struct {
    int64_t strides[CLO_ONNX_MAX_RANK]; /* input strides in output order */
} transpose_params;

static clo_err transpose_prepare(clo_onnx_prep *p)
{
    transpose_params *tp = p->params;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    const clo_shape *in = &p->in[0]->shape;
    int64_t perm[CLO_ONNX_MAX_RANK];
    int n;
    CLO_TRY(clo_onnx_attr_ints(p, "perm", perm, CLO_ONNX_MAX_RANK, &n));
    if (n < 0) {
        n = (int)in->rank;
        for (int i = 0; i < n; i++) perm[i] = n - 1 - i;
    }
    if ((uint32_t)n != in->rank)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "perm has %d axes, the input %u", n, in->rank);
    int seen[CLO_ONNX_MAX_RANK] = {0};
    int64_t st[CLO_ONNX_MAX_RANK];
    clo_shape_strides(in, 0, st);
    clo_shape out = {in->rank, {0}};
    for (int i = 0; i < n; i++) {
        if (perm[i] < 0 || perm[i] >= n || seen[perm[i]]++)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "perm is not a permutation");
        out.d[i] = in->d[perm[i]];
        tp->strides[i] = st[perm[i]];
    }
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static clo_err transpose_run(const clo_onnx_exec *x)
{
    const transpose_params *tp = x->params;
    strided_copy(x->out[0]->data, x->in[0]->data, &x->out[0]->shape, tp->strides, esize(x->in[0]));
    return CLO_OK;
}

static const clo_onnx_op op_transpose = {
    "",           "Transpose", 1, 1, 1, 1, 1, "perm", sizeof(transpose_params), transpose_prepare,
    transpose_run};

/* ======================= Concat ======================= */
typedef struct {
    uint32_t axis;
} axis_params;

uint32_t clo_onnx_concat_axis(const void *params)
{
    return ((const axis_params *)params)->axis;
}

static clo_err concat_prepare(clo_onnx_prep *p)
{
    axis_params *ap = p->params;
    int64_t axis;
    if (!clo_onnx_attr_get(p, "axis"))
        return clo_onnx_refuse(p, CLO_E_FORMAT, "attribute 'axis' is required");
    CLO_TRY(clo_onnx_attr_int(p, "axis", 0, &axis));
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    clo_shape out = p->in[0]->shape;
    CLO_TRY(clo_onnx_axis(p, axis, out.rank, &ap->axis));
    for (size_t k = 1; k < p->nin; k++) {
        CLO_TRY(clo_onnx_need(p, k, CLO_T_ALL));
        const clo_shape *s = &p->in[k]->shape;
        if (p->in[k]->dtype != p->in[0]->dtype || s->rank != out.rank)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "input %zu differs in type or rank", k);
        for (uint32_t i = 0; i < out.rank; i++)
            if (i != ap->axis && s->d[i] != out.d[i])
                return clo_onnx_refuse(p, CLO_E_FORMAT, "input %zu differs in dim %u", k, i);
        out.d[ap->axis] += s->d[ap->axis];
    }
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

/* Elements before the axis, and bytes from the axis on, of a shape. */
static void outer_inner(const clo_shape *s, uint32_t axis, size_t es, uint64_t *outer,
                        uint64_t *inner)
{
    *outer = 1;
    *inner = es;
    for (uint32_t i = 0; i < s->rank; i++) {
        if (i < axis)
            *outer *= (uint64_t)s->d[i];
        else
            *inner *= (uint64_t)s->d[i];
    }
}

static clo_err concat_run(const clo_onnx_exec *x)
{
    const axis_params *ap = x->params;
    size_t es = esize(x->out[0]);
    uint64_t outer, oinner;
    outer_inner(&x->out[0]->shape, ap->axis, es, &outer, &oinner);
    uint8_t *o = x->out[0]->data;
    for (uint64_t r = 0; r < outer; r++)
        for (size_t k = 0; k < x->nin; k++) {
            uint64_t ko, ki;
            outer_inner(&x->in[k]->shape, ap->axis, es, &ko, &ki);
            if (ki) memcpy(o, (const uint8_t *)x->in[k]->data + r * ki, ki);
            o += ki;
        }
    return CLO_OK;
}

static const clo_onnx_op op_concat = {
    "", "Concat", 4, 1, 255, 1, 1, "axis", sizeof(axis_params), concat_prepare, concat_run};

/* ======================= Split ======================= */
static clo_err split_prepare(clo_onnx_prep *p)
{
    axis_params *ap = p->params;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    int64_t axis, parts[255];
    size_t n = 0;
    CLO_TRY(clo_onnx_attr_int(p, "axis", 0, &axis));
    const clo_shape *in = &p->in[0]->shape;
    CLO_TRY(clo_onnx_axis(p, axis, in->rank, &ap->axis));
    if (p->opset >= 13) {
        if (p->nin > 1 && p->in[1]) CLO_TRY(clo_onnx_const_ints(p, 1, parts, 255, &n));
    } else {
        int k;
        CLO_TRY(clo_onnx_attr_ints(p, "split", parts, 255, &k));
        if (k >= 0) n = (size_t)k;
        if (p->nin > 1 && p->in[1]) CLO_TRY(clo_onnx_const_ints(p, 1, parts, 255, &n));
    }
    int64_t dim = in->d[ap->axis], num;
    CLO_TRY(clo_onnx_attr_int(p, "num_outputs", 0, &num));
    if (!n && num) { /* opset 18: equal parts, the last one smaller */
        if (num != (int64_t)p->nout)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "num_outputs is %lld for %zu outputs",
                                   (long long)num, p->nout);
        int64_t chunk = (dim + num - 1) / num;
        n = p->nout;
        for (size_t k = 0; k < n; k++) {
            int64_t left = dim - (int64_t)k * chunk;
            parts[k] = left < 0 ? 0 : left < chunk ? left : chunk;
        }
    }
    if (!n) {
        if (dim % (int64_t)p->nout)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "dim %lld does not split into %zu equal parts",
                                   (long long)dim, p->nout);
        n = p->nout;
        for (size_t k = 0; k < n; k++) parts[k] = dim / (int64_t)p->nout;
    }
    if (n != p->nout)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "%zu parts for %zu outputs", n, p->nout);
    int64_t sum = 0;
    for (size_t k = 0; k < n; k++) {
        if (parts[k] < 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "negative part");
        sum += parts[k];
        clo_shape s = *in;
        s.d[ap->axis] = parts[k];
        clo_onnx_set_out(p, k, p->in[0]->dtype, &s);
    }
    if (sum != dim)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "parts sum to %lld, the dim is %lld",
                               (long long)sum, (long long)dim);
    for (size_t k = 0; k < n; k++)
        if (!p->out[k]) return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "an omitted output");
    return CLO_OK;
}

static clo_err split_run(const clo_onnx_exec *x)
{
    const axis_params *ap = x->params;
    size_t es = esize(x->in[0]);
    uint64_t outer, iinner;
    outer_inner(&x->in[0]->shape, ap->axis, es, &outer, &iinner);
    const uint8_t *s = x->in[0]->data;
    for (uint64_t r = 0; r < outer; r++)
        for (size_t k = 0; k < x->nout; k++) {
            uint64_t ko, ki;
            outer_inner(&x->out[k]->shape, ap->axis, es, &ko, &ki);
            if (ki) memcpy((uint8_t *)x->out[k]->data + r * ki, s, ki);
            s += ki;
        }
    return CLO_OK;
}

static const clo_onnx_op op_split = {"",
                                     "Split",
                                     2,
                                     1,
                                     2,
                                     1,
                                     255,
                                     "axis,split,num_outputs",
                                     sizeof(axis_params),
                                     split_prepare,
                                     split_run};

/* ======================= Slice ======================= */
typedef struct {
    int64_t start; /* element offset of the first element */
    int64_t strides[CLO_ONNX_MAX_RANK];
} slice_params;

static clo_err slice_prepare(clo_onnx_prep *p)
{
    slice_params *sp = p->params;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    const clo_shape *in = &p->in[0]->shape;
    int64_t starts[CLO_ONNX_MAX_RANK], ends[CLO_ONNX_MAX_RANK], axes[CLO_ONNX_MAX_RANK],
        steps[CLO_ONNX_MAX_RANK];
    size_t n, ne, na = 0, ns = 0;
    if (p->opset < 10) {
        int k1, k2, k3;
        CLO_TRY(clo_onnx_attr_ints(p, "starts", starts, CLO_ONNX_MAX_RANK, &k1));
        CLO_TRY(clo_onnx_attr_ints(p, "ends", ends, CLO_ONNX_MAX_RANK, &k2));
        CLO_TRY(clo_onnx_attr_ints(p, "axes", axes, CLO_ONNX_MAX_RANK, &k3));
        if (k1 < 0 || k2 < 0)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "starts and ends are required");
        n = (size_t)k1;
        ne = (size_t)k2;
        na = k3 < 0 ? 0 : (size_t)k3;
        if (p->nin != 1)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "opset %lld Slice takes one input",
                                   (long long)p->opset);
    } else {
        if (p->nin < 3) return clo_onnx_refuse(p, CLO_E_FORMAT, "starts and ends are required");
        CLO_TRY(clo_onnx_const_ints(p, 1, starts, CLO_ONNX_MAX_RANK, &n));
        CLO_TRY(clo_onnx_const_ints(p, 2, ends, CLO_ONNX_MAX_RANK, &ne));
        if (p->nin > 3 && p->in[3])
            CLO_TRY(clo_onnx_const_ints(p, 3, axes, CLO_ONNX_MAX_RANK, &na));
        if (p->nin > 4 && p->in[4])
            CLO_TRY(clo_onnx_const_ints(p, 4, steps, CLO_ONNX_MAX_RANK, &ns));
        if (clo_onnx_attr_get(p, "starts"))
            return clo_onnx_refuse(p, CLO_E_FORMAT, "attribute 'starts' belongs to opset 9");
    }
    if (ne != n || (na && na != n) || (ns && ns != n))
        return clo_onnx_refuse(p, CLO_E_FORMAT, "starts, ends, axes and steps differ in length");
    int64_t st[CLO_ONNX_MAX_RANK];
    clo_shape_strides(in, 0, st);
    clo_shape out = *in;
    int seen[CLO_ONNX_MAX_RANK] = {0};
    sp->start = 0;
    for (uint32_t i = 0; i < in->rank; i++) sp->strides[i] = st[i];
    for (size_t i = 0; i < n; i++) {
        uint32_t a;
        CLO_TRY(clo_onnx_axis(p, na ? axes[i] : (int64_t)i, in->rank, &a));
        if (seen[a]++) return clo_onnx_refuse(p, CLO_E_FORMAT, "axis %u repeated", a);
        int64_t step = ns ? steps[i] : 1, dim = in->d[a], s = starts[i], e = ends[i];
        if (step == 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "step is 0");
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        /* clamp: [0, dim] going forward, [-1, dim-1] going backward */
        if (step > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
        } else {
            s = s < 0 ? -1 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
        }
        /* ends past INT64 limits ("to the end") were clamped above */
        int64_t len = step > 0 ? (e > s ? (e - s + step - 1) / step : 0)
                               : (s > e ? (s - e + (-step) - 1) / (-step) : 0);
        out.d[a] = len;
        if (len) sp->start += s * st[a];
        sp->strides[a] = st[a] * step;
    }
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static clo_err slice_run(const clo_onnx_exec *x)
{
    const slice_params *sp = x->params;
    size_t es = esize(x->in[0]);
    if (!x->out[0]->count) return CLO_OK;
    strided_copy(x->out[0]->data, (const uint8_t *)x->in[0]->data + sp->start * (int64_t)es,
                 &x->out[0]->shape, sp->strides, es);
    return CLO_OK;
}

static const clo_onnx_op op_slice = {
    "", "Slice", 1, 1, 5, 1, 1, "starts,ends,axes", sizeof(slice_params), slice_prepare, slice_run};

/* ======================= Gather ======================= */
static clo_err gather_prepare(clo_onnx_prep *p)
{
    axis_params *ap = p->params;
    int64_t axis;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_INDEX));
    CLO_TRY(clo_onnx_attr_int(p, "axis", 0, &axis));
    const clo_shape *d = &p->in[0]->shape, *ix = &p->in[1]->shape;
    CLO_TRY(clo_onnx_axis(p, axis, d->rank, &ap->axis));
    if (d->rank - 1 + ix->rank > CLO_ONNX_MAX_RANK)
        return clo_onnx_refuse(p, CLO_E_LIMIT, "output rank");
    clo_shape out = {0, {0}};
    for (uint32_t i = 0; i < ap->axis; i++) out.d[out.rank++] = d->d[i];
    for (uint32_t i = 0; i < ix->rank; i++) out.d[out.rank++] = ix->d[i];
    for (uint32_t i = ap->axis + 1; i < d->rank; i++) out.d[out.rank++] = d->d[i];
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static clo_err gather_run(const clo_onnx_exec *x)
{
    const axis_params *ap = x->params;
    const clo_tensor *d = x->in[0], *ix = x->in[1];
    size_t es = esize(d);
    uint64_t outer = 1, inner = es;
    for (uint32_t i = 0; i < d->shape.rank; i++) {
        if (i < ap->axis) outer *= (uint64_t)d->shape.d[i];
        if (i > ap->axis) inner *= (uint64_t)d->shape.d[i];
    }
    int64_t dim = d->shape.d[ap->axis];
    for (uint64_t j = 0; j < ix->count; j++) {
        int64_t k = clo_onnx_int_at(ix, j);
        CLO_ENSURE(k >= -dim && k < dim, CLO_E_FORMAT, "onnx: Gather index out of range");
    }
    uint8_t *o = x->out[0]->data;
    const uint8_t *s = d->data;
    for (uint64_t r = 0; r < outer; r++)
        for (uint64_t j = 0; j < ix->count; j++) {
            int64_t k = clo_onnx_int_at(ix, j);
            if (k < 0) k += dim;
            memcpy(o, s + (r * (uint64_t)dim + (uint64_t)k) * inner, inner);
            o += inner;
        }
    return CLO_OK;
}

static const clo_onnx_op op_gather = {
    "", "Gather", 1, 2, 2, 1, 1, "axis", sizeof(axis_params), gather_prepare, gather_run};

/* ======================= Tile ======================= */
static clo_err tile_prepare(clo_onnx_prep *p)
{
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    int64_t reps[CLO_ONNX_MAX_RANK];
    size_t n;
    CLO_TRY(clo_onnx_const_ints(p, 1, reps, CLO_ONNX_MAX_RANK, &n));
    clo_shape out = p->in[0]->shape;
    if (n != out.rank)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "repeats has %zu values for rank %u", n, out.rank);
    for (size_t i = 0; i < n; i++) {
        if (reps[i] < 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "negative repeat");
        if (reps[i] && out.d[i] > (int64_t)CLO_ONNX_MAX_ELEMS / reps[i])
            return clo_onnx_refuse(p, CLO_E_LIMIT, "too large");
        out.d[i] *= reps[i];
    }
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static clo_err tile_run(const clo_onnx_exec *x)
{
    const clo_tensor *in = x->in[0];
    clo_tensor *out = x->out[0];
    size_t es = esize(in);
    int64_t st[CLO_ONNX_MAX_RANK], idx[CLO_ONNX_MAX_RANK] = {0};
    clo_shape_strides(&in->shape, 0, st);
    uint8_t *o = out->data;
    for (uint64_t i = 0; i < out->count; i++, o += es) {
        int64_t off = 0;
        for (uint32_t d = 0; d < out->shape.rank; d++) off += (idx[d] % in->shape.d[d]) * st[d];
        memcpy(o, (const uint8_t *)in->data + off * (int64_t)es, es);
        for (int d = (int)out->shape.rank - 1; d >= 0; d--) {
            if (++idx[d] < out->shape.d[d]) break;
            idx[d] = 0;
        }
    }
    return CLO_OK;
}

static const clo_onnx_op op_tile = {"", "Tile", 6, 2, 2, 1, 1, "", 0, tile_prepare, tile_run};

/* ======================= Pad ======================= */
enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE };
typedef struct {
    int mode;
    int64_t begin[CLO_ONNX_MAX_RANK];
    float fvalue; /* opset < 11 */
} pad_params;

int clo_onnx_pad_zeros(const void *params, const clo_tensor *const *in, size_t nin,
                       const clo_shape *out, int64_t *pads)
{
    const pad_params *pp = params;
    const clo_shape *s = &in[0]->shape;
    if (pp->mode != PAD_CONSTANT || s->rank < 3 || s->rank > 5 || pp->fvalue != 0.0f) return 0;
    if (nin > 2 && in[2] &&
        (!in[2]->data || in[2]->dtype != CLO_ONNX_FLOAT || *(const float *)in[2]->data != 0.0f))
        return 0;
    uint32_t S = s->rank - 2;
    for (uint32_t i = 0; i < s->rank; i++) {
        int64_t b = pp->begin[i], e = out->d[i] - s->d[i] - b;
        if (b < 0 || e < 0 || (i < 2 && (b || e))) return 0;
        if (i >= 2) pads[i - 2] = b, pads[i - 2 + S] = e;
    }
    return 1;
}

static clo_err pad_prepare(clo_onnx_prep *p)
{
    pad_params *pp = p->params;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ANY));
    const clo_shape *in = &p->in[0]->shape;
    int64_t pads[2 * CLO_ONNX_MAX_RANK];
    size_t n;
    clo_bytes mode;
    CLO_TRY(clo_onnx_attr_str(p, "mode", "constant", &mode));
    if (clo_bytes_eq(mode, clo_bytes_str("constant")))
        pp->mode = PAD_CONSTANT;
    else if (clo_bytes_eq(mode, clo_bytes_str("reflect")))
        pp->mode = PAD_REFLECT;
    else if (clo_bytes_eq(mode, clo_bytes_str("edge")))
        pp->mode = PAD_EDGE;
    else
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "mode is not constant, reflect or edge");
    if (p->opset < 11) {
        int k;
        CLO_TRY(clo_onnx_attr_ints(p, "pads", pads, 2 * CLO_ONNX_MAX_RANK, &k));
        if (k < 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "attribute 'pads' is required");
        n = (size_t)k;
        CLO_TRY(clo_onnx_attr_float(p, "value", 0.0f, &pp->fvalue));
        if (p->nin != 1)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "opset %lld Pad takes one input",
                                   (long long)p->opset);
    } else {
        CLO_TRY(clo_onnx_const_ints(p, 1, pads, 2 * CLO_ONNX_MAX_RANK, &n));
        if (p->nin > 2 && p->in[2] && (p->in[2]->dtype != p->in[0]->dtype || p->in[2]->count != 1))
            return clo_onnx_refuse(p, CLO_E_FORMAT,
                                   "constant_value must be a scalar of the input's type");
        if (p->nin > 3 && p->in[3]) { /* opset 18: pads for these axes only */
            int64_t axes[CLO_ONNX_MAX_RANK], part[2 * CLO_ONNX_MAX_RANK];
            size_t na;
            CLO_TRY(clo_onnx_const_ints(p, 3, axes, CLO_ONNX_MAX_RANK, &na));
            if (n != 2 * na)
                return clo_onnx_refuse(p, CLO_E_FORMAT, "pads has %zu values for %zu axes", n, na);
            memcpy(part, pads, n * sizeof *pads);
            memset(pads, 0, sizeof pads);
            for (size_t i = 0; i < na; i++) {
                uint32_t a;
                CLO_TRY(clo_onnx_axis(p, axes[i], in->rank, &a));
                pads[a] = part[i];
                pads[a + in->rank] = part[i + na];
            }
            n = 2 * (size_t)in->rank;
        }
    }
    if (n != 2 * (size_t)in->rank)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "pads has %zu values for rank %u", n, in->rank);
    clo_shape out = *in;
    for (uint32_t i = 0; i < in->rank; i++) {
        out.d[i] += pads[i] + pads[i + in->rank];
        if (out.d[i] < 0)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "pads remove more than dim %u has", i);
        pp->begin[i] = pads[i];
        if (pp->mode != PAD_CONSTANT && in->d[i] == 0 && out.d[i] > 0)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "cannot %s-pad an empty dim",
                                   pp->mode == PAD_EDGE ? "edge" : "reflect");
        if (pp->mode == PAD_REFLECT && (pads[i] >= in->d[i] || pads[i + in->rank] >= in->d[i]) &&
            (pads[i] > 0 || pads[i + in->rank] > 0))
            return clo_onnx_refuse(p, CLO_E_FORMAT, "reflect pads must be smaller than dim %u", i);
    }
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static clo_err pad_run(const clo_onnx_exec *x)
{
    const pad_params *pp = x->params;
    const clo_tensor *in = x->in[0];
    clo_tensor *out = x->out[0];
    size_t es = esize(in);
    uint8_t value[8] = {0};
    if (x->nin > 2 && x->in[2])
        memcpy(value, x->in[2]->data, es);
    else if (in->dtype == CLO_ONNX_FLOAT)
        memcpy(value, &pp->fvalue, 4);
    int64_t st[CLO_ONNX_MAX_RANK], idx[CLO_ONNX_MAX_RANK] = {0};
    clo_shape_strides(&in->shape, 0, st);
    uint32_t rank = out->shape.rank;
    uint8_t *o = out->data;
    for (uint64_t i = 0; i < out->count; i++, o += es) {
        int64_t off = 0;
        int outside = 0;
        for (uint32_t d = 0; d < rank; d++) {
            int64_t c = idx[d] - pp->begin[d], n = in->shape.d[d];
            if (c < 0 || c >= n) {
                if (pp->mode == PAD_CONSTANT)
                    outside = 1;
                else if (pp->mode == PAD_EDGE)
                    c = c < 0 ? 0 : n - 1;
                else {
                    int64_t period = 2 * (n - 1);
                    if (period == 0)
                        c = 0;
                    else {
                        c = c % period;
                        if (c < 0) c += period;
                        if (c >= n) c = period - c;
                    }
                }
            }
            off += c * st[d];
        }
        if (outside)
            memcpy(o, value, es);
        else
            memcpy(o, (const uint8_t *)in->data + off * (int64_t)es, es);
        for (int d = (int)rank - 1; d >= 0; d--) {
            if (++idx[d] < out->shape.d[d]) break;
            idx[d] = 0;
        }
    }
    return CLO_OK;
}

static const clo_onnx_op op_pad = {
    "", "Pad", 2, 1, 4, 1, 1, "mode,pads,value", sizeof(pad_params), pad_prepare, pad_run};

/* ======================= made at plan time ======================= */
typedef struct {
    int64_t start, end;
} shape_params;

static clo_err shape_prepare(clo_onnx_prep *p)
{
    shape_params *sp = p->params;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    int64_t r = p->in[0]->shape.rank, s, e;
    CLO_TRY(clo_onnx_attr_int(p, "start", 0, &s));
    CLO_TRY(clo_onnx_attr_int(p, "end", r, &e));
    if (s < 0) s += r;
    if (e < 0) e += r;
    s = s < 0 ? 0 : s > r ? r : s;
    e = e < 0 ? 0 : e > r ? r : e;
    sp->start = s;
    sp->end = e > s ? e : s;
    clo_shape out = {1, {sp->end - sp->start}};
    clo_onnx_set_out(p, 0, CLO_ONNX_INT64, &out);
    p->fold = 1;
    return CLO_OK;
}

static clo_err shape_run(const clo_onnx_exec *x)
{
    const shape_params *sp = x->params;
    int64_t *o = x->out[0]->data;
    for (int64_t i = sp->start; i < sp->end; i++) o[i - sp->start] = x->in[0]->shape.d[i];
    return CLO_OK;
}

static const clo_onnx_op op_shape = {
    "", "Shape", 1, 1, 1, 1, 1, "start,end", sizeof(shape_params), shape_prepare, shape_run};

static clo_err size_prepare(clo_onnx_prep *p)
{
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    clo_shape out = {0, {0}};
    clo_onnx_set_out(p, 0, CLO_ONNX_INT64, &out);
    p->fold = 1;
    return CLO_OK;
}

static clo_err size_run(const clo_onnx_exec *x)
{
    *(int64_t *)x->out[0]->data = (int64_t)x->in[0]->count;
    return CLO_OK;
}

static const clo_onnx_op op_size = {"", "Size", 1, 1, 1, 1, 1, "", 0, size_prepare, size_run};

/* Constant: the value is copied from the model when the node folds. */
typedef struct {
    const clo_onnx_tensor *t; /* value */
    float f;                  /* value_float */
    int64_t i;                /* value_int */
    const clo_onnx_attr *list;
    const clo_onnx_model *m;
    int kind;
} const_params;

static clo_err constant_prepare(clo_onnx_prep *p)
{
    const_params *cp = p->params;
    cp->m = p->m;
    const clo_onnx_attr *a = NULL;
    static const char *const names[] = {"value", "value_float", "value_floats", "value_int",
                                        "value_ints"};
    for (int k = 0; k < 5; k++) {
        const clo_onnx_attr *b = clo_onnx_attr_get(p, names[k]);
        if (!b) continue;
        if (a) return clo_onnx_refuse(p, CLO_E_FORMAT, "more than one value attribute");
        a = b;
        cp->kind = k;
    }
    if (!a)
        return clo_onnx_refuse(
            p, CLO_E_UNSUPPORTED,
            "no value attribute this engine reads (sparse and string values are not supported)");
    static const int32_t want[] = {CLO_ONNX_ATTR_TENSOR, CLO_ONNX_ATTR_FLOAT, CLO_ONNX_ATTR_FLOATS,
                                   CLO_ONNX_ATTR_INT, CLO_ONNX_ATTR_INTS};
    if (a->type != want[cp->kind])
        return clo_onnx_refuse(p, CLO_E_FORMAT, "value attribute has the wrong type");
    cp->list = a;
    clo_shape s = {0, {0}};
    switch (cp->kind) {
    case 0:
        cp->t = &p->m->tensors[a->tensor];
        if (!clo_tensor_elem_size(cp->t->dtype))
            return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "element type %s is not supported",
                                   clo_tensor_type_name(cp->t->dtype));
        clo_tensor_shape_of(cp->t, &s);
        clo_onnx_set_out(p, 0, cp->t->dtype, &s);
        break;
    case 1: clo_onnx_set_out(p, 0, CLO_ONNX_FLOAT, &s); break;
    case 3: clo_onnx_set_out(p, 0, CLO_ONNX_INT64, &s); break;
    default:
        s.rank = 1;
        s.d[0] = a->n;
        clo_onnx_set_out(p, 0, cp->kind == 2 ? CLO_ONNX_FLOAT : CLO_ONNX_INT64, &s);
        break;
    }
    return CLO_OK;
}

static clo_err constant_run(const clo_onnx_exec *x)
{
    const const_params *cp = x->params;
    const clo_onnx_attr *a = cp->list;
    switch (cp->kind) {
    case 0: return clo_tensor_decode(cp->t, x->out[0]->data);
    case 1: *(float *)x->out[0]->data = a->f; break;
    case 3: *(int64_t *)x->out[0]->data = a->i; break;
    case 2:
        if (a->n) memcpy(x->out[0]->data, &cp->m->floats[a->first], a->n * sizeof(float));
        break;
    default:
        if (a->n) memcpy(x->out[0]->data, &cp->m->ints[a->first], a->n * sizeof(int64_t));
        break;
    }
    return CLO_OK;
}

static const clo_onnx_op op_constant = {"",
                                        "Constant",
                                        1,
                                        0,
                                        0,
                                        1,
                                        1,
                                        "value,value_float,value_floats,value_int,value_ints",
                                        sizeof(const_params),
                                        constant_prepare,
                                        constant_run};

typedef struct {
    const clo_onnx_tensor *value;
} cos_params;

static clo_err cos_prepare(clo_onnx_prep *p)
{
    cos_params *cp = p->params;
    int64_t dims[CLO_ONNX_MAX_RANK];
    size_t n;
    CLO_TRY(clo_onnx_const_ints(p, 0, dims, CLO_ONNX_MAX_RANK, &n));
    clo_shape s = {(uint32_t)n, {0}};
    for (size_t i = 0; i < n; i++) {
        if (dims[i] < 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "negative dim");
        s.d[i] = dims[i];
    }
    int32_t dt = CLO_ONNX_FLOAT;
    const clo_onnx_attr *a = clo_onnx_attr_get(p, "value");
    if (a) {
        if (a->type != CLO_ONNX_ATTR_TENSOR)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "value must be a tensor");
        cp->value = &p->m->tensors[a->tensor];
        if (cp->value->count != 1)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "value must hold one element");
        dt = cp->value->dtype;
        if (!clo_tensor_elem_size(dt) || dt == CLO_ONNX_STRING)
            return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "element type %s is not supported",
                                   clo_tensor_type_name(dt));
    }
    clo_onnx_set_out(p, 0, dt, &s);
    return CLO_OK;
}

static clo_err cos_run(const clo_onnx_exec *x)
{
    const cos_params *cp = x->params;
    uint8_t v[8] = {0};
    size_t es = esize(x->out[0]);
    if (cp->value) CLO_TRY(clo_tensor_decode(cp->value, v));
    uint8_t *o = x->out[0]->data;
    for (uint64_t i = 0; i < x->out[0]->count; i++) memcpy(o + i * es, v, es);
    return CLO_OK;
}

static const clo_onnx_op op_constant_of_shape = {
    "", "ConstantOfShape", 9, 1, 1, 1, 1, "value", sizeof(cos_params), cos_prepare, cos_run};

/* Range: all three inputs must be constants (the output's length depends on them). */
static clo_err range_prepare(clo_onnx_prep *p)
{
    for (size_t k = 0; k < 3; k++) {
        CLO_TRY(clo_onnx_need(p, k, CLO_T_NUM));
        if (p->in[k]->dtype != p->in[0]->dtype || p->in[k]->count != 1)
            return clo_onnx_refuse(p, CLO_E_FORMAT,
                                   "start, limit and delta must be scalars of one type");
        if (!p->in[k]->data && !clo_onnx_prep_bind(p, k))
            return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                                   "input %zu is computed at run time; it must be a constant", k);
    }
    double s, l, d;
    if (p->in[0]->dtype == CLO_ONNX_FLOAT) {
        s = *(float *)p->in[0]->data;
        l = *(float *)p->in[1]->data;
        d = *(float *)p->in[2]->data;
    } else {
        s = (double)clo_onnx_int_at(p->in[0], 0);
        l = (double)clo_onnx_int_at(p->in[1], 0);
        d = (double)clo_onnx_int_at(p->in[2], 0);
    }
    if (d == 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "delta is 0");
    double n = ceil((l - s) / d);
    if (!(n >= 0)) n = 0;
    if (n > (double)CLO_ONNX_MAX_ELEMS) return clo_onnx_refuse(p, CLO_E_LIMIT, "too many elements");
    if (p->in[0]->dtype != CLO_ONNX_FLOAT && p->in[0]->dtype != CLO_ONNX_INT32 &&
        p->in[0]->dtype != CLO_ONNX_INT64)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "Range of %s",
                               clo_tensor_type_name(p->in[0]->dtype));
    clo_shape out = {1, {(int64_t)n}};
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static clo_err range_run(const clo_onnx_exec *x)
{
    clo_tensor *o = x->out[0];
    if (o->dtype == CLO_ONNX_FLOAT) {
        float s = *(const float *)x->in[0]->data, d = *(const float *)x->in[2]->data;
        for (uint64_t i = 0; i < o->count; i++) ((float *)o->data)[i] = s + (float)i * d;
    } else {
        int64_t s = clo_onnx_int_at(x->in[0], 0), d = clo_onnx_int_at(x->in[2], 0);
        for (uint64_t i = 0; i < o->count; i++) {
            int64_t v = s + (int64_t)i * d;
            if (o->dtype == CLO_ONNX_INT32)
                ((int32_t *)o->data)[i] = (int32_t)v;
            else
                ((int64_t *)o->data)[i] = v;
        }
    }
    return CLO_OK;
}

static const clo_onnx_op op_range = {"", "Range", 11, 3, 3, 1, 1, "", 0, range_prepare, range_run};

/* ======================= Dropout (inference: identity) ======================= */
static clo_err dropout_prepare(clo_onnx_prep *p)
{
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_FLOAT));
    int64_t is_test;
    CLO_TRY(clo_onnx_attr_int(p, "is_test", 1, &is_test));
    if (p->opset < 7 && !is_test)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "training mode (is_test=0)");
    if (p->nin > 2 && p->in[2]) {
        CLO_TRY(clo_onnx_need(p, 2, CLO_T_BOOL));
        if ((!p->in[2]->data && !clo_onnx_prep_bind(p, 2)) || p->in[2]->count != 1)
            return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "training_mode must be a constant scalar");
        if (*(const uint8_t *)p->in[2]->data)
            return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                                   "training mode (random dropout) is not supported");
    }
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &p->in[0]->shape);
    clo_onnx_set_out(p, 1, p->opset < 10 ? p->in[0]->dtype : CLO_ONNX_BOOL, &p->in[0]->shape);
    return CLO_OK;
}

static clo_err dropout_run(const clo_onnx_exec *x)
{
    memcpy(x->out[0]->data, x->in[0]->data, x->in[0]->count * esize(x->in[0]));
    if (x->nout > 1 && x->out[1]) {
        if (x->out[1]->dtype == CLO_ONNX_BOOL)
            memset(x->out[1]->data, 1, x->out[1]->count);
        else
            for (uint64_t i = 0; i < x->out[1]->count; i++) ((float *)x->out[1]->data)[i] = 1.0f;
    }
    return CLO_OK;
}

static const clo_onnx_op op_dropout = {
    "", "Dropout", 6, 1, 3, 1, 2, "ratio,is_test,seed", 0, dropout_prepare, dropout_run};

/* ======================= GatherElements ======================= */
static clo_err gather_el_prepare(clo_onnx_prep *p)
{
    axis_params *ap = p->params;
    int64_t axis;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_INDEX));
    CLO_TRY(clo_onnx_attr_int(p, "axis", 0, &axis));
    const clo_shape *d = &p->in[0]->shape, *ix = &p->in[1]->shape;
    CLO_TRY(clo_onnx_axis(p, axis, d->rank, &ap->axis));
    if (ix->rank != d->rank)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "indices and data differ in rank");
    for (uint32_t i = 0; i < d->rank; i++)
        if (i != ap->axis && ix->d[i] > d->d[i])
            return clo_onnx_refuse(p, CLO_E_FORMAT, "indices exceed data in dim %u", i);
    clo_onnx_set_out(p, 0, p->in[0]->dtype, ix);
    return CLO_OK;
}

static clo_err gather_el_run(const clo_onnx_exec *x)
{
    const axis_params *ap = x->params;
    const clo_tensor *d = x->in[0], *ix = x->in[1];
    size_t es = esize(d);
    int64_t st[CLO_ONNX_MAX_RANK], idx[CLO_ONNX_MAX_RANK] = {0}, dim = d->shape.d[ap->axis];
    clo_shape_strides(&d->shape, 0, st);
    uint8_t *o = x->out[0]->data;
    for (uint64_t i = 0; i < ix->count; i++, o += es) {
        int64_t k = clo_onnx_int_at(ix, i), off = 0;
        CLO_ENSURE(k >= -dim && k < dim, CLO_E_FORMAT, "onnx: GatherElements index out of range");
        if (k < 0) k += dim;
        for (uint32_t r = 0; r < ix->shape.rank; r++) off += (r == ap->axis ? k : idx[r]) * st[r];
        memcpy(o, (const uint8_t *)d->data + off * (int64_t)es, es);
        for (int r = (int)ix->shape.rank - 1; r >= 0; r--) {
            if (++idx[r] < ix->shape.d[r]) break;
            idx[r] = 0;
        }
    }
    return CLO_OK;
}

static const clo_onnx_op op_gather_elements = {
    "",           "GatherElements", 11, 2, 2, 1, 1, "axis", sizeof(axis_params), gather_el_prepare,
    gather_el_run};

/* ======================= Trilu ======================= */
typedef struct {
    int upper;
    int64_t k;
} trilu_params;

static clo_err trilu_prepare(clo_onnx_prep *p)
{
    trilu_params *tp = p->params;
    int64_t upper;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_DATA));
    CLO_TRY(clo_onnx_attr_int(p, "upper", 1, &upper));
    tp->upper = upper != 0;
    if (p->in[0]->shape.rank < 2)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "input must be at least 2-D");
    if (p->nin > 1 && p->in[1]) {
        size_t n;
        CLO_TRY(clo_onnx_const_ints(p, 1, &tp->k, 1, &n));
        if (n != 1) return clo_onnx_refuse(p, CLO_E_FORMAT, "k must be one integer");
    }
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &p->in[0]->shape);
    return CLO_OK;
}

static clo_err trilu_run(const clo_onnx_exec *x)
{
    const trilu_params *tp = x->params;
    const clo_tensor *in = x->in[0];
    size_t es = esize(in);
    int64_t rows = in->shape.d[in->shape.rank - 2], cols = in->shape.d[in->shape.rank - 1];
    uint64_t mats = (rows && cols) ? in->count / (uint64_t)(rows * cols) : 0;
    const uint8_t *a = in->data;
    uint8_t *o = x->out[0]->data;
    for (uint64_t m = 0; m < mats; m++)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++, a += es, o += es) {
                int keep = tp->upper ? j - i >= tp->k : j - i <= tp->k;
                if (keep)
                    memcpy(o, a, es);
                else
                    memset(o, 0, es);
            }
    return CLO_OK;
}

static const clo_onnx_op op_trilu = {
    "", "Trilu", 14, 1, 2, 1, 1, "upper", sizeof(trilu_params), trilu_prepare, trilu_run};

/* ======================= TopK ======================= */
typedef struct {
    uint32_t axis;
    int64_t k;
    int largest;
} topk_params;

static clo_err topk_prepare(clo_onnx_prep *p)
{
    topk_params *tp = p->params;
    int64_t axis, largest, sorted;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_NUM));
    CLO_TRY(clo_onnx_attr_int(p, "axis", -1, &axis));
    CLO_TRY(clo_onnx_attr_int(p, "largest", 1, &largest));
    CLO_TRY(clo_onnx_attr_int(p, "sorted", 1, &sorted));
    if (!sorted) return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "sorted=0 (order unspecified)");
    tp->largest = largest != 0;
    const clo_shape *s = &p->in[0]->shape;
    CLO_TRY(clo_onnx_axis(p, axis, s->rank, &tp->axis));
    if (p->opset < 10) {
        CLO_TRY(clo_onnx_attr_int(p, "k", -1, &tp->k));
    } else {
        size_t n;
        if (p->nin < 2) return clo_onnx_refuse(p, CLO_E_FORMAT, "input K is required");
        CLO_TRY(clo_onnx_const_ints(p, 1, &tp->k, 1, &n));
        if (n != 1) return clo_onnx_refuse(p, CLO_E_FORMAT, "K must be one integer");
    }
    if (tp->k < 0 || tp->k > s->d[tp->axis])
        return clo_onnx_refuse(p, CLO_E_FORMAT, "K is outside 0..%lld", (long long)s->d[tp->axis]);
    clo_shape out = *s;
    out.d[tp->axis] = tp->k;
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    clo_onnx_set_out(p, 1, CLO_ONNX_INT64, &out);
    p->scratch = (size_t)s->d[tp->axis] * (sizeof(double) + sizeof(int64_t));
    return CLO_OK;
}

static clo_err topk_run(const clo_onnx_exec *x)
{
    const topk_params *tp = x->params;
    const clo_tensor *in = x->in[0];
    size_t es = esize(in);
    int64_t n = in->shape.d[tp->axis], inner = 1, outer = 1;
    for (uint32_t i = 0; i < in->shape.rank; i++) {
        if (i < tp->axis) outer *= in->shape.d[i];
        if (i > tp->axis) inner *= in->shape.d[i];
    }
    double *v = x->scratch;
    int64_t *ord = (int64_t *)(void *)(v + n);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            for (int64_t i = 0; i < n; i++) {
                v[i] = clo_onnx_num_at(in, (uint64_t)((o * n + i) * inner + j));
                ord[i] = i;
            }
            /* the k best by insertion, ties to the lower index (a stable order) */
            for (int64_t a = 0; a < tp->k; a++) {
                int64_t best = a;
                for (int64_t b = a + 1; b < n; b++) {
                    double vb = v[ord[b]], vbest = v[ord[best]];
                    int better = tp->largest ? vb > vbest : vb < vbest;
                    if (better || (vb == vbest && ord[b] < ord[best])) best = b;
                }
                int64_t t = ord[a];
                ord[a] = ord[best];
                ord[best] = t;
                uint64_t src = (uint64_t)((o * n + ord[a]) * inner + j);
                uint64_t dst = (uint64_t)((o * tp->k + a) * inner + j);
                memcpy((uint8_t *)x->out[0]->data + dst * es, (const uint8_t *)in->data + src * es,
                       es);
                if (x->nout > 1 && x->out[1]) ((int64_t *)x->out[1]->data)[dst] = ord[a];
            }
        }
    return CLO_OK;
}

static const clo_onnx_op op_topk = {
    "",           "TopK",  1, 1, 2, 2, 2, "axis,largest,sorted,k", sizeof(topk_params),
    topk_prepare, topk_run};

/* ======================= DepthToSpace, SpaceToDepth ======================= */
typedef struct {
    int64_t strides[6]; /* input strides in the output's 6-D order */
    clo_shape six;      /* the output seen as 6-D */
} d2s_params;

/* Both are a reshape to 6-D, a transpose and a reshape back: the output
 * walked in 6-D order reads the input with permuted strides. */
static clo_err d2s_prepare_kind(clo_onnx_prep *p, int to_space)
{
    d2s_params *dp = p->params;
    int64_t b;
    clo_bytes mode;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_DATA));
    CLO_TRY(clo_onnx_attr_int(p, "blocksize", 0, &b));
    CLO_TRY(clo_onnx_attr_str(p, "mode", "DCR", &mode));
    const clo_shape *s = &p->in[0]->shape;
    if (s->rank != 4 || b < 1)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "input must be 4-D and blocksize positive");
    int crd = clo_bytes_eq(mode, clo_bytes_str("CRD"));
    if (!crd && !clo_bytes_eq(mode, clo_bytes_str("DCR")))
        return clo_onnx_refuse(p, CLO_E_FORMAT, "mode must be DCR or CRD");
    if (!to_space && crd) return clo_onnx_refuse(p, CLO_E_FORMAT, "SpaceToDepth has no mode");
    int64_t N = s->d[0], C = s->d[1], H = s->d[2], W = s->d[3];
    clo_shape out, in6;
    int perm[6];
    if (to_space) {
        if (C % (b * b))
            return clo_onnx_refuse(p, CLO_E_FORMAT, "channels are not a multiple of blocksize^2");
        int64_t c = C / (b * b);
        out = (clo_shape){4, {N, c, H * b, W * b}};
        if (crd) { /* [N, c, b, b, H, W] -> [N, c, H, b, W, b] */
            in6 = (clo_shape){6, {N, c, b, b, H, W}};
            int pm[6] = {0, 1, 4, 2, 5, 3};
            memcpy(perm, pm, sizeof pm);
        } else { /* [N, b, b, c, H, W] -> [N, c, H, b, W, b] */
            in6 = (clo_shape){6, {N, b, b, c, H, W}};
            int pm[6] = {0, 3, 4, 1, 5, 2};
            memcpy(perm, pm, sizeof pm);
        }
    } else {
        if (H % b || W % b)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "height or width not a multiple of blocksize");
        out = (clo_shape){4, {N, C * b * b, H / b, W / b}};
        /* [N, C, H/b, b, W/b, b] -> [N, b, b, C, H/b, W/b] */
        in6 = (clo_shape){6, {N, C, H / b, b, W / b, b}};
        int pm[6] = {0, 3, 5, 1, 2, 4};
        memcpy(perm, pm, sizeof pm);
    }
    int64_t st[CLO_ONNX_MAX_RANK];
    clo_shape_strides(&in6, 0, st);
    dp->six.rank = 6;
    for (int i = 0; i < 6; i++) {
        dp->six.d[i] = in6.d[perm[i]];
        dp->strides[i] = st[perm[i]];
    }
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static clo_err d2s_run(const clo_onnx_exec *x)
{
    const d2s_params *dp = x->params;
    strided_copy(x->out[0]->data, x->in[0]->data, &dp->six, dp->strides, esize(x->in[0]));
    return CLO_OK;
}

static clo_err d2s_prepare(clo_onnx_prep *p)
{
    return d2s_prepare_kind(p, 1);
}
static clo_err s2d_prepare(clo_onnx_prep *p)
{
    return d2s_prepare_kind(p, 0);
}

static const clo_onnx_op op_depth_to_space = {
    "", "DepthToSpace", 1, 1, 1, 1, 1, "blocksize,mode", sizeof(d2s_params), d2s_prepare, d2s_run};
static const clo_onnx_op op_space_to_depth = {
    "", "SpaceToDepth", 1, 1, 1, 1, 1, "blocksize", sizeof(d2s_params), s2d_prepare, d2s_run};

/* ======================= GatherND ======================= */
typedef struct {
    uint32_t batch; /* batch_dims */
    uint32_t last;  /* the indices' last dim: how many data dims an index names */
    uint64_t batches, per_batch, slice; /* index tuples per batch, elements per slice */
} gnd_params;

static clo_err gather_nd_prepare(clo_onnx_prep *p)
{
    gnd_params *gp = p->params;
    int64_t b;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    static const int32_t i64[] = {CLO_ONNX_INT64, 0};
    CLO_TRY(clo_onnx_need(p, 1, i64));
    CLO_TRY(clo_onnx_attr_int(p, "batch_dims", 0, &b));
    const clo_shape *d = &p->in[0]->shape, *ix = &p->in[1]->shape;
    if (ix->rank < 1 || b < 0 || (uint64_t)b >= ix->rank || (uint64_t)b >= d->rank)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "batch_dims out of range");
    gp->batch = (uint32_t)b;
    int64_t last = ix->d[ix->rank - 1];
    if (last < 1 || (uint64_t)(b + last) > d->rank)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "an index names more dims than the data has");
    gp->last = (uint32_t)last;
    for (uint32_t i = 0; i < gp->batch; i++)
        if (ix->d[i] != d->d[i]) return clo_onnx_refuse(p, CLO_E_FORMAT, "batch dims differ");
    clo_shape out = {0, {0}};
    for (uint32_t i = 0; i + 1 < ix->rank; i++) out.d[out.rank++] = ix->d[i];
    gp->slice = 1;
    for (uint32_t i = gp->batch + gp->last; i < d->rank; i++) {
        if (out.rank >= CLO_ONNX_MAX_RANK) return clo_onnx_refuse(p, CLO_E_LIMIT, "output rank");
        out.d[out.rank++] = d->d[i];
        gp->slice *= (uint64_t)d->d[i];
    }
    gp->batches = 1;
    for (uint32_t i = 0; i < gp->batch; i++) gp->batches *= (uint64_t)d->d[i];
    gp->per_batch = 1;
    for (uint32_t i = gp->batch; i + 1 < ix->rank; i++) gp->per_batch *= (uint64_t)ix->d[i];
    clo_onnx_set_out(p, 0, p->in[0]->dtype, &out);
    return CLO_OK;
}

static clo_err gather_nd_run(const clo_onnx_exec *x)
{
    const gnd_params *gp = x->params;
    const clo_tensor *d = x->in[0], *ix = x->in[1];
    size_t es = esize(d);
    int64_t st[CLO_ONNX_MAX_RANK];
    clo_shape_strides(&d->shape, 0, st);
    const int64_t *idx = ix->data;
    uint8_t *o = x->out[0]->data;
    uint64_t batch_elems = gp->batch ? (uint64_t)st[gp->batch - 1] : 0;
    for (uint64_t bt = 0; bt < gp->batches; bt++)
        for (uint64_t t = 0; t < gp->per_batch; t++, idx += gp->last) {
            int64_t off = (int64_t)(bt * batch_elems);
            for (uint32_t k = 0; k < gp->last; k++) {
                int64_t dim = d->shape.d[gp->batch + k], v = idx[k];
                CLO_ENSURE(v >= -dim && v < dim, CLO_E_FORMAT, "onnx: GatherND index out of range");
                off += (v < 0 ? v + dim : v) * st[gp->batch + k];
            }
            memcpy(o, (const uint8_t *)d->data + off * (int64_t)es, gp->slice * es);
            o += gp->slice * es;
        }
    return CLO_OK;
}

static const clo_onnx_op op_gather_nd = {
    "",           "GatherND", 11, 2, 2, 1, 1, "batch_dims", sizeof(gnd_params), gather_nd_prepare,
    gather_nd_run};

/* ======================= ScatterElements, ScatterND, Scatter ======================= */
enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN };
typedef struct {
    uint32_t axis;
    int red, nd;
} scatter_params;

static clo_err scatter_prepare_kind(clo_onnx_prep *p, int nd)
{
    scatter_params *sp = p->params;
    sp->nd = nd;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_ALL));
    CLO_TRY(clo_onnx_need(p, 1, nd ? (const int32_t[]){CLO_ONNX_INT64, 0} : CLO_T_INDEX));
    CLO_TRY(clo_onnx_need(p, 2, CLO_T_ALL));
    if (p->in[2]->dtype != p->in[0]->dtype)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "updates and data differ in type");
    clo_bytes r;
    CLO_TRY(clo_onnx_attr_str(p, "reduction", "none", &r));
    static const char *const reds[] = {"none", "add", "mul", "max", "min"};
    sp->red = -1;
    for (int k = 0; k < 5; k++)
        if (clo_bytes_eq(r, clo_bytes_str(reds[k]))) sp->red = k;
    if (sp->red < 0) return clo_onnx_refuse(p, CLO_E_FORMAT, "unknown reduction");
    if (sp->red != RED_NONE && p->in[0]->dtype != CLO_ONNX_FLOAT)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "reductions on %s",
                               clo_tensor_type_name(p->in[0]->dtype));
    const clo_shape *d = &p->in[0]->shape, *ix = &p->in[1]->shape, *u = &p->in[2]->shape;
    if (!nd) {
        int64_t axis;
        CLO_TRY(clo_onnx_attr_int(p, "axis", 0, &axis));
        CLO_TRY(clo_onnx_axis(p, axis, d->rank, &sp->axis));
        if (!clo_shape_equal(ix, u) || ix->rank != d->rank)
            return clo_onnx_refuse(p, CLO_E_FORMAT,
                                   "indices and updates must have one shape, of the data's rank");
    } else {
        int64_t last = ix->rank ? ix->d[ix->rank - 1] : 0;
        if (!ix->rank || last < 1 || (uint64_t)last > d->rank)
            return clo_onnx_refuse(p, CLO_E_FORMAT, "bad indices shape");
        uint32_t want = ix->rank - 1 + d->rank - (uint32_t)last;
        int ok = u->rank == want;
        for (uint32_t i = 0; ok && i + 1 < ix->rank; i++) ok = u->d[i] == ix->d[i];
        for (uint32_t i = 0; ok && i < d->rank - (uint32_t)last; i++)
            ok = u->d[ix->rank - 1 + i] == d->d[(uint32_t)last + i];
        if (!ok) return clo_onnx_refuse(p, CLO_E_FORMAT, "updates do not fit indices and data");
    }
    clo_onnx_set_out(p, 0, p->in[0]->dtype, d);
    return CLO_OK;
}

static void put_one(int red, size_t es, uint8_t *dst, const uint8_t *src)
{
    if (red == RED_NONE) {
        memcpy(dst, src, es);
        return;
    }
    float a, b;
    memcpy(&a, dst, 4);
    memcpy(&b, src, 4);
    a = red == RED_ADD   ? a + b
        : red == RED_MUL ? a * b
        : red == RED_MAX ? (b > a ? b : a)
                         : (b < a ? b : a);
    memcpy(dst, &a, 4);
}

static clo_err scatter_run(const clo_onnx_exec *x)
{
    const scatter_params *sp = x->params;
    const clo_tensor *d = x->in[0], *ix = x->in[1], *u = x->in[2];
    size_t es = esize(d);
    uint8_t *o = x->out[0]->data;
    memcpy(o, d->data, d->count * es);
    int64_t st[CLO_ONNX_MAX_RANK];
    clo_shape_strides(&d->shape, 0, st);
    if (!sp->nd) {
        int64_t idx[CLO_ONNX_MAX_RANK] = {0}, dim = d->shape.d[sp->axis];
        for (uint64_t i = 0; i < u->count; i++) {
            int64_t k = clo_onnx_int_at(ix, i), off = 0;
            CLO_ENSURE(k >= -dim && k < dim, CLO_E_FORMAT, "onnx: Scatter index out of range");
            if (k < 0) k += dim;
            for (uint32_t r = 0; r < u->shape.rank; r++) {
                CLO_ENSURE(r == sp->axis || idx[r] < d->shape.d[r], CLO_E_FORMAT,
                           "onnx: Scatter index out of range");
                off += (r == sp->axis ? k : idx[r]) * st[r];
            }
            put_one(sp->red, es, o + off * (int64_t)es, (const uint8_t *)u->data + i * es);
            for (int r = (int)u->shape.rank - 1; r >= 0; r--) {
                if (++idx[r] < u->shape.d[r]) break;
                idx[r] = 0;
            }
        }
        return CLO_OK;
    }
    uint32_t last = (uint32_t)ix->shape.d[ix->shape.rank - 1];
    uint64_t slice = 1, tuples = ix->count / last;
    for (uint32_t i = last; i < d->shape.rank; i++) slice *= (uint64_t)d->shape.d[i];
    const int64_t *id = ix->data;
    for (uint64_t t = 0; t < tuples; t++, id += last) {
        int64_t off = 0;
        for (uint32_t k = 0; k < last; k++) {
            int64_t dim = d->shape.d[k], v = id[k];
            CLO_ENSURE(v >= -dim && v < dim, CLO_E_FORMAT, "onnx: ScatterND index out of range");
            off += (v < 0 ? v + dim : v) * st[k];
        }
        for (uint64_t e = 0; e < slice; e++)
            put_one(sp->red, es, o + (off + (int64_t)e) * (int64_t)es,
                    (const uint8_t *)u->data + (t * slice + e) * es);
    }
    return CLO_OK;
}

static clo_err scatter_el_prepare(clo_onnx_prep *p)
{
    return scatter_prepare_kind(p, 0);
}
static clo_err scatter_nd_prepare(clo_onnx_prep *p)
{
    return scatter_prepare_kind(p, 1);
}

static const clo_onnx_op op_scatter_elements = {"",
                                                "ScatterElements",
                                                11,
                                                3,
                                                3,
                                                1,
                                                1,
                                                "axis,reduction",
                                                sizeof(scatter_params),
                                                scatter_el_prepare,
                                                scatter_run};
static const clo_onnx_op op_scatter = {
    "", "Scatter", 9, 3, 3, 1, 1, "axis", sizeof(scatter_params), scatter_el_prepare, scatter_run};
static const clo_onnx_op op_scatter_nd = {"",
                                          "ScatterND",
                                          11,
                                          3,
                                          3,
                                          1,
                                          1,
                                          "reduction",
                                          sizeof(scatter_params),
                                          scatter_nd_prepare,
                                          scatter_run};

/* ======================= OneHot, EyeLike ======================= */
typedef struct {
    uint32_t axis;
    int64_t depth;
    int32_t k;
} onehot_params;

static clo_err onehot_prepare(clo_onnx_prep *p)
{
    onehot_params *op = p->params;
    int64_t axis;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_NUM));
    CLO_TRY(clo_onnx_need(p, 1, CLO_T_NUM));
    CLO_TRY(clo_onnx_need(p, 2, CLO_T_ANY));
    CLO_TRY(clo_onnx_attr_int(p, "axis", -1, &axis));
    if (!p->in[1]->data && !clo_onnx_prep_bind(p, 1))
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED,
                               "depth is computed at run time; it must be a constant");
    if (p->in[1]->count != 1 || p->in[2]->count != 2)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "depth must be a scalar and values two elements");
    double dv;
    switch (p->in[1]->dtype) {
    case CLO_ONNX_FLOAT: dv = *(const float *)p->in[1]->data; break;
    default: dv = (double)clo_onnx_int_at(p->in[1], 0); break;
    }
    if (p->in[1]->dtype == CLO_ONNX_INT8 || p->in[1]->dtype == CLO_ONNX_UINT8)
        dv = p->in[1]->dtype == CLO_ONNX_INT8 ? *(const int8_t *)p->in[1]->data
                                              : *(const uint8_t *)p->in[1]->data;
    if (!(dv >= 1) || dv > (double)CLO_ONNX_MAX_ELEMS)
        return clo_onnx_refuse(p, CLO_E_FORMAT, "depth must be positive");
    op->depth = (int64_t)dv;
    const clo_shape *s = &p->in[0]->shape;
    if (s->rank + 1 > CLO_ONNX_MAX_RANK) return clo_onnx_refuse(p, CLO_E_LIMIT, "output rank");
    CLO_TRY(clo_onnx_axis(p, axis, s->rank + 1, &op->axis));
    clo_shape out = {s->rank + 1, {0}};
    for (uint32_t i = 0, j = 0; i < out.rank; i++) out.d[i] = i == op->axis ? op->depth : s->d[j++];
    clo_onnx_set_out(p, 0, p->in[2]->dtype, &out);
    return CLO_OK;
}

static clo_err onehot_run(const clo_onnx_exec *x)
{
    const onehot_params *op = x->params;
    const clo_tensor *ix = x->in[0], *vals = x->in[2];
    clo_tensor *out = x->out[0];
    size_t es = esize(out);
    const uint8_t *off = vals->data, *on = off + es;
    uint64_t inner = 1, outer = 1;
    for (uint32_t i = 0; i < ix->shape.rank; i++) {
        if (i < op->axis)
            outer *= (uint64_t)ix->shape.d[i];
        else
            inner *= (uint64_t)ix->shape.d[i];
    }
    uint8_t *o = out->data;
    for (uint64_t a = 0; a < outer; a++)
        for (int64_t k = 0; k < op->depth; k++)
            for (uint64_t b = 0; b < inner; b++, o += es) {
                double v = clo_onnx_num_at(ix, a * inner + b);
                int64_t want = (int64_t)v;
                if (want < 0) want += op->depth;
                memcpy(o, want == k ? on : off, es);
            }
    return CLO_OK;
}

static const clo_onnx_op op_onehot = {
    "", "OneHot", 9, 3, 3, 1, 1, "axis", sizeof(onehot_params), onehot_prepare, onehot_run};

static clo_err eyelike_prepare(clo_onnx_prep *p)
{
    onehot_params *op = p->params;
    int64_t dt, k;
    CLO_TRY(clo_onnx_need(p, 0, CLO_T_DATA));
    CLO_TRY(clo_onnx_attr_int(p, "dtype", p->in[0]->dtype, &dt));
    CLO_TRY(clo_onnx_attr_int(p, "k", 0, &k));
    if (p->in[0]->shape.rank != 2) return clo_onnx_refuse(p, CLO_E_FORMAT, "input must be 2-D");
    if (!clo_tensor_elem_size((int32_t)dt) || dt == CLO_ONNX_STRING)
        return clo_onnx_refuse(p, CLO_E_UNSUPPORTED, "dtype %s", clo_tensor_type_name((int32_t)dt));
    op->depth = k;
    clo_onnx_set_out(p, 0, (int32_t)dt, &p->in[0]->shape);
    p->fold = 1; /* it depends on the shape only */
    return CLO_OK;
}

static clo_err eyelike_run(const clo_onnx_exec *x)
{
    const onehot_params *op = x->params;
    clo_tensor *out = x->out[0];
    int64_t rows = out->shape.d[0], cols = out->shape.d[1];
    memset(out->data, 0, out->count * esize(out)); /* zero bits are 0 in every type */
    for (int64_t i = 0; i < rows; i++) {
        int64_t j = i + op->depth;
        if (j >= 0 && j < cols) clo_tensor_set_f64(out, (uint64_t)(i * cols + j), 1.0);
    }
    return CLO_OK;
}

static const clo_onnx_op op_eyelike = {
    "", "EyeLike", 9, 1, 1, 1, 1, "dtype,k", sizeof(onehot_params), eyelike_prepare, eyelike_run};

const clo_onnx_op *const clo_onnx_ops_shape[] = {
    &op_reshape,        &op_flatten,    &op_squeeze,
    &op_unsqueeze,      &op_transpose,  &op_concat,
    &op_split,          &op_slice,      &op_gather,
    &op_tile,           &op_pad,        &op_shape,
    &op_size,           &op_constant,   &op_constant_of_shape,
    &op_range,          &op_dropout,    &op_gather_elements,
    &op_trilu,          &op_topk,       &op_depth_to_space,
    &op_space_to_depth, &op_gather_nd,  &op_scatter_elements,
    &op_scatter,        &op_scatter_nd, &op_onehot,
    &op_eyelike,        NULL,
};
