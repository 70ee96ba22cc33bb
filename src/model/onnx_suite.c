/* onnx_suite.c — the backend-test runner. */
#include "model/onnx_suite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "workloads/onnx/plan.h"

#define MAX_FILE ((size_t)1 << 30)
#define MAX_IO   64

clo_err clo_onnx_tensor_load(const char *path, clo_buf *raw, clo_tensor *t, void **mem)
{
    clo_onnx_tensor ft;
    *mem = NULL;
    raw->max = MAX_FILE;
    CLO_TRY(clo_file_read(path, raw));
    CLO_TRY(clo_onnx_tensor_read(clo_buf_view(raw), &ft));
    size_t es = clo_tensor_elem_size(ft.dtype);
    CLO_ENSURE(es, CLO_E_UNSUPPORTED, "onnx: tensor element type");
    *mem = malloc(ft.count * es + 1);
    CLO_ENSURE(*mem, CLO_E_NOMEM, "onnx: tensor");
    t->dtype = ft.dtype;
    clo_tensor_shape_of(&ft, &t->shape);
    t->count = ft.count;
    t->data = *mem;
    CLO_TRY(clo_tensor_decode(&ft, *mem));
    if (ft.dtype != CLO_ONNX_STRING) return CLO_OK;
    /* strings are views into raw, which the next load reuses: copy them
     * after the views, so the tensor is whole in *mem */
    const clo_bytes *v = *mem;
    size_t total = 0, at = ft.count * es;
    for (uint64_t i = 0; i < ft.count; i++) total += v[i].len;
    uint8_t *all = malloc(at + total + 1);
    CLO_ENSURE(all, CLO_E_NOMEM, "onnx: tensor");
    clo_bytes *w = (clo_bytes *)(void *)all;
    for (uint64_t i = 0; i < ft.count; i++) {
        if (v[i].len) memcpy(all + at, v[i].ptr, v[i].len);
        w[i] = (clo_bytes){all + at, v[i].len};
        at += v[i].len;
    }
    free(*mem);
    *mem = all;
    t->data = all;
    return CLO_OK;
}

static int exists(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (fp) fclose(fp);
    return fp != NULL;
}

static void report(clo_onnx_case *c, clo_onnx_case_fn cb, void *ud, size_t *failed)
{
    if (!c->passed) (*failed)++;
    cb(ud, c);
}

static void run_set(const char *dir, int n, const clo_onnx_model *m, size_t nfeeds, double rtol,
                    double atol, clo_onnx_case *c)
{
    char path[1200];
    clo_buf raw;
    clo_buf_init(&raw, MAX_FILE);
    clo_tensor feeds[MAX_IO], want[MAX_IO];
    void *fmem[MAX_IO] = {0}, *wmem[MAX_IO] = {0};
    size_t nf = 0, nw = 0;
    clo_onnx_plan *plan = NULL;
    char why[CLO_ONNX_WHY];
    clo_err err = CLO_OK;
    for (; nf < MAX_IO; nf++) {
        snprintf(path, sizeof path, "%s/test_data_set_%d/input_%zu.pb", dir, n, nf);
        if (!exists(path)) break;
        err = clo_onnx_tensor_load(path, &raw, &feeds[nf], &fmem[nf]);
        if (err.code) {
            snprintf(c->error, sizeof c->error, "input_%zu.pb: %s", nf, err.what);
            goto out;
        }
    }
    if (nf != nfeeds) {
        err = CLO_ERR(CLO_E_FORMAT, "onnx: inputs");
        snprintf(c->error, sizeof c->error, "%zu input files for %zu graph inputs", nf, nfeeds);
        goto out;
    }
    /* The suite (onnx 1.12) writes bfloat16 data as uint16 tensors of its
     * bits (numpy has no bfloat16): read them as what the graph declares. */
    const clo_onnx_value *decl[MAX_IO];
    if (clo_onnx_feeds(m, decl, MAX_IO) == nf)
        for (size_t k = 0; k < nf; k++)
            if (decl[k]->elem_type == CLO_ONNX_BFLOAT16 && feeds[k].dtype == CLO_ONNX_UINT16)
                feeds[k].dtype = CLO_ONNX_BFLOAT16;
    err = clo_onnx_plan_new(m, feeds, nf, &plan, why);
    if (err.code) {
        snprintf(c->error, sizeof c->error, "%s", why);
        goto out;
    }
    err = clo_onnx_plan_run(plan, feeds, nf);
    if (err.code) {
        snprintf(c->error, sizeof c->error, "run: %s", err.what);
        goto out;
    }
    /* Expected outputs are read after the run, so a model the engine cannot
     * run is refused for its own reason, not an output file's type. */
    for (; nw < MAX_IO; nw++) {
        snprintf(path, sizeof path, "%s/test_data_set_%d/output_%zu.pb", dir, n, nw);
        if (!exists(path)) break;
        err = clo_onnx_tensor_load(path, &raw, &want[nw], &wmem[nw]);
        if (err.code) {
            snprintf(c->error, sizeof c->error, "output_%zu.pb: %s", nw, err.what);
            goto out;
        }
    }
    if (nw > clo_onnx_plan_noutputs(plan)) {
        err = CLO_ERR(CLO_E_FORMAT, "onnx: outputs");
        snprintf(c->error, sizeof c->error, "%zu output files for %zu graph outputs", nw,
                 clo_onnx_plan_noutputs(plan));
        goto out;
    }
    c->passed = 1;
    for (size_t k = 0; k < nw; k++) {
        double e;
        const clo_tensor *got = clo_onnx_plan_output(plan, k);
        if (got->dtype == CLO_ONNX_BFLOAT16 && want[k].dtype == CLO_ONNX_UINT16)
            want[k].dtype = CLO_ONNX_BFLOAT16; /* the suite's bfloat16 (above) */
        int ok = clo_tensor_close(got, &want[k], rtol, atol, &e);
        if (e > c->max_abs_err) c->max_abs_err = e;
        if (!ok && c->passed) {
            c->passed = 0;
            err = CLO_ERR(CLO_E_FORMAT, "onnx: output differs");
            if (got->dtype != want[k].dtype || !clo_shape_equal(&got->shape, &want[k].shape))
                snprintf(c->error, sizeof c->error,
                         "output %zu: type or shape differs (%s rank %u, expected %s rank %u)", k,
                         clo_tensor_type_name(got->dtype), got->shape.rank,
                         clo_tensor_type_name(want[k].dtype), want[k].shape.rank);
            else
                snprintf(c->error, sizeof c->error, "output %zu differs beyond the tolerance", k);
        }
    }
out:
    c->code = err.code;
    if (err.code) c->passed = 0;
    clo_onnx_plan_free(plan);
    for (size_t k = 0; k < MAX_IO; k++) {
        free(fmem[k]);
        free(wmem[k]);
    }
    clo_buf_free(&raw);
}

size_t clo_onnx_suite_dir(const char *dir, double rtol, double atol, clo_onnx_case_fn cb, void *ud)
{
    char path[1200];
    size_t failed = 0;
    clo_onnx_case c;
    memset(&c, 0, sizeof c);
    c.dir = dir;
    c.data_set = -1;
    clo_buf b;
    clo_buf_init(&b, MAX_FILE);
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    clo_err err = clo_file_read(path, &b);
    if (err.code) {
        c.code = err.code;
        snprintf(c.error, sizeof c.error, "model.onnx: %s", err.what);
        report(&c, cb, ud, &failed);
        clo_buf_free(&b);
        return failed;
    }
    clo_onnx_model m;
    err = clo_onnx_load(clo_buf_view(&b), &m);
    if (err.code) {
        c.code = err.code;
        snprintf(c.error, sizeof c.error, "model.onnx: %s", m.why[0] ? m.why : err.what);
        report(&c, cb, ud, &failed);
        clo_buf_free(&b);
        return failed;
    }
    size_t nfeeds = clo_onnx_feeds(&m, NULL, 0), sets = 0;
    const clo_onnx_value *fv[MAX_IO];
    clo_onnx_feeds(&m, fv, MAX_IO);
    for (size_t k = 0; k < nfeeds && k < MAX_IO; k++) {
        if (clo_tensor_elem_size(fv[k]->elem_type)) continue;
        char name[64];
        clo_bytes_printable(name, sizeof name, fv[k]->name);
        c.code = CLO_E_UNSUPPORTED;
        snprintf(c.error, sizeof c.error, "input '%s': %s", name,
                 fv[k]->elem_type ? clo_tensor_type_name(fv[k]->elem_type)
                                  : "not a tensor (a sequence, map or optional)");
        snprintf(c.error + strlen(c.error), sizeof c.error - strlen(c.error), " is not supported");
        report(&c, cb, ud, &failed);
        clo_onnx_free(&m);
        clo_buf_free(&b);
        return failed;
    }
    for (int n = 0; n < 1000; n++) {
        snprintf(path, sizeof path, "%s/test_data_set_%d", dir, n);
        snprintf(path + strlen(path), sizeof path - strlen(path), "/output_0.pb");
        if (!exists(path)) break;
        clo_onnx_case r;
        memset(&r, 0, sizeof r);
        r.dir = dir;
        r.data_set = n;
        run_set(dir, n, &m, nfeeds, rtol, atol, &r);
        report(&r, cb, ud, &failed);
        sets++;
    }
    if (!sets) {
        c.code = CLO_E_FORMAT;
        snprintf(c.error, sizeof c.error, "no test_data_set_N with output_0.pb");
        report(&c, cb, ud, &failed);
    }
    clo_onnx_free(&m);
    clo_buf_free(&b);
    return failed;
}
