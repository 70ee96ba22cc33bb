/* shape.c — shapes, strides and broadcasting. */
#include "workloads/onnx/shape.h"

#include <string.h>

clo_err clo_shape_count(const clo_shape *s, uint64_t *out)
{
    uint64_t n = 1;
    CLO_ENSURE(s->rank <= CLO_ONNX_MAX_RANK, CLO_E_LIMIT, "onnx: rank over 8");
    for (uint32_t i = 0; i < s->rank; i++) {
        CLO_ENSURE(s->d[i] >= 0, CLO_E_FORMAT, "onnx: negative dimension");
        CLO_ENSURE(s->d[i] == 0 || n <= CLO_ONNX_MAX_ELEMS / (uint64_t)s->d[i], CLO_E_LIMIT,
                   "onnx: tensor over 2^32 elements");
        n *= (uint64_t)s->d[i];
    }
    *out = n;
    return CLO_OK;
}

void clo_shape_strides(const clo_shape *s, int broadcast_zero, int64_t strides[CLO_ONNX_MAX_RANK])
{
    int64_t st = 1;
    for (uint32_t i = s->rank; i-- > 0;) {
        strides[i] = broadcast_zero && s->d[i] == 1 ? 0 : st;
        st *= s->d[i];
    }
}

clo_err clo_shape_broadcast(const clo_shape *shapes, size_t n, clo_shape *out)
{
    uint32_t rank = 0;
    for (size_t k = 0; k < n; k++)
        if (shapes[k].rank > rank) rank = shapes[k].rank;
    CLO_ENSURE(rank <= CLO_ONNX_MAX_RANK, CLO_E_LIMIT, "onnx: rank over 8");
    clo_shape r;
    r.rank = rank;
    for (uint32_t i = 0; i < rank; i++) {
        int64_t dim = 1;
        for (size_t k = 0; k < n; k++) {
            const clo_shape *s = &shapes[k];
            if (i + s->rank < rank) continue; /* s has no dim here: an implicit 1 */
            int64_t d = s->d[i + s->rank - rank];
            CLO_ENSURE(d >= 0, CLO_E_FORMAT, "onnx: negative dimension");
            if (d == 1) continue;
            CLO_ENSURE(dim == 1 || dim == d, CLO_E_FORMAT, "onnx: shapes do not broadcast");
            dim = d;
        }
        r.d[i] = dim;
    }
    *out = r;
    return CLO_OK;
}

int clo_shape_broadcasts_to(const clo_shape *b, const clo_shape *a)
{
    if (b->rank > a->rank) return 0;
    for (uint32_t i = 0; i < b->rank; i++) {
        int64_t db = b->d[b->rank - 1 - i], da = a->d[a->rank - 1 - i];
        if (db != 1 && db != da) return 0;
    }
    return 1;
}

void clo_shape_broadcast_strides(const clo_shape *in, const clo_shape *out,
                                 int64_t strides[CLO_ONNX_MAX_RANK])
{
    int64_t own[CLO_ONNX_MAX_RANK];
    clo_shape_strides(in, 1, own);
    uint32_t lead = out->rank - in->rank;
    for (uint32_t i = 0; i < out->rank; i++) strides[i] = i < lead ? 0 : own[i - lead];
}

int clo_shape_equal(const clo_shape *a, const clo_shape *b)
{
    return a->rank == b->rank && !memcmp(a->d, b->d, a->rank * sizeof a->d[0]);
}
