/* onnx_build.c — see onnx_build.h. */
#include "onnx_build.h"

#include <string.h>

void onnx_case_build(onnx_case *c, clo_onnxw *w, int64_t opset, int64_t ml_opset,
                     const clo_tensor *feeds, size_t nfeeds)
{
    memset(c, 0, sizeof *c);
    clo_buf_init(&c->bytes, (size_t)1 << 28);
    c->err = clo_onnxw_finish(w, "test", opset, ml_opset, &c->bytes);
    clo_onnxw_free(w);
    if (c->err.code) return;
    c->err = clo_onnx_load(clo_buf_view(&c->bytes), &c->m);
    if (c->err.code) {
        memcpy(c->why, c->m.why, sizeof c->why < sizeof c->m.why ? sizeof c->why : sizeof c->m.why);
        return;
    }
    c->err = clo_onnx_plan_new(&c->m, feeds, nfeeds, &c->plan, c->why);
}

void onnx_case_free(onnx_case *c)
{
    clo_onnx_plan_free(c->plan);
    clo_onnx_free(&c->m); /* zeroed when the load failed */
    clo_buf_free(&c->bytes);
    memset(c, 0, sizeof *c);
}

clo_tensor onnx_feed(const float *data, size_t rank, const int64_t *dims)
{
    clo_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = CLO_ONNX_FLOAT;
    t.shape.rank = (uint32_t)rank;
    t.count = 1;
    for (size_t i = 0; i < rank; i++) {
        t.shape.d[i] = dims[i];
        t.count *= (uint64_t)dims[i];
    }
    t.data = (void *)(uintptr_t)data;
    return t;
}
