/* bcast.c — broadcast iteration set-up. */
#include "workloads/onnx/bcast.h"

#include <string.h>

void clo_bcast_init(clo_bcast *b, const clo_shape *out, const clo_shape *const *in, unsigned n)
{
    int64_t st[3][CLO_ONNX_MAX_RANK];
    memset(b, 0, sizeof *b);
    b->n = n;
    for (unsigned k = 0; k < n; k++) clo_shape_broadcast_strides(in[k], out, st[k]);
    /* Drop size-1 dims, then merge a dim into the next when every input
     * steps across the pair as one dim. */
    uint32_t r = 0;
    for (uint32_t i = 0; i < out->rank; i++) {
        if (out->d[i] == 1) continue;
        int merge = r > 0;
        for (unsigned k = 0; merge && k < n; k++) merge = b->st[k][r - 1] == st[k][i] * out->d[i];
        if (merge) {
            b->d[r - 1] *= out->d[i];
            for (unsigned k = 0; k < n; k++) b->st[k][r - 1] = st[k][i];
            continue;
        }
        b->d[r] = out->d[i];
        for (unsigned k = 0; k < n; k++) b->st[k][r] = st[k][i];
        r++;
    }
    if (r == 0) {
        b->d[0] = 1;
        r = 1;
    }
    b->rank = r;
    b->inner = b->d[r - 1];
    b->rows = 1;
    for (uint32_t i = 0; i + 1 < r; i++) b->rows *= (uint64_t)b->d[i];
    for (unsigned k = 0; k < n; k++) b->is[k] = b->st[k][r - 1];
}
