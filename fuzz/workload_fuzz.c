/* workload_fuzz.c — one workload's config and input parsers on untrusted
 * plaintext (compiled once per workload with -DWL_NAME="..."). Input layout:
 * u16 config size | config | then inputs, each u16 size | bytes. Properties
 * beyond "no crash": a run is deterministic (the same bytes twice), and every
 * output stays within the interface's bounds. */
#include <stdlib.h>
#include <string.h>

#include "workloads/workload.h"

#define MAXN 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static clo_err run(const clo_workload *w, void *st, const clo_wl_call *call, clo_buf *pub,
                   clo_buf *priv)
{
    clo_buf_init(pub, CLO_WL_MAX_PUBLIC);
    for (size_t i = 0; i < MAXN; i++) clo_buf_init(&priv[i], CLO_WL_MAX_PRIVATE);
    return w->run(st, call, pub, priv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const clo_workload *w = clo_workload_by_name(WL_NAME);
    if (!w) abort();
    clo_cur c = clo_cur_init(CLO_BYTES(data, size));
    uint16_t n;
    clo_bytes cfg, in[MAXN];
    size_t count = 0;
    if (clo_cur_u16be(&c, &n).code || clo_cur_take(&c, n, &cfg).code) return 0;
    while (count < MAXN && !clo_cur_u16be(&c, &n).code && !clo_cur_take(&c, n, &in[count]).code)
        count++;
    if (count == 0) return 0;
    void *st = NULL;
    if (w->open(cfg, NULL, &st).code) return 0;
    static const uint8_t job_id[32] = {0x42};
    clo_wl_call call = {job_id, in, count};
    clo_buf pub[2], priv[2][MAXN];
    clo_err e1 = run(w, st, &call, &pub[0], priv[0]);
    clo_err e2 = run(w, st, &call, &pub[1], priv[1]);
    if (e1.code != e2.code || !clo_bytes_eq(clo_buf_view(&pub[0]), clo_buf_view(&pub[1]))) abort();
    for (size_t i = 0; i < MAXN; i++) {
        if (!clo_bytes_eq(clo_buf_view(&priv[0][i]), clo_buf_view(&priv[1][i]))) abort();
        if (i >= count && priv[0][i].len) abort();
        clo_buf_free(&priv[0][i]);
        clo_buf_free(&priv[1][i]);
    }
    clo_buf_free(&pub[0]);
    clo_buf_free(&pub[1]);
    w->close(st);
    return 0;
}
