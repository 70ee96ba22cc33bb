/* workload_fuzz.c — one workload's config and input parsers on untrusted
 * plaintext (compiled once per workload with -DWL_NAME="..."). Input layout:
 * u16 config size | config | then inputs, each u16 size | bytes (for
 * oracle-https, also its sources' fetched bodies, in turn). Properties
 * beyond "no crash": a run is deterministic (the same bytes twice), and every
 * output stays within the interface's bounds.
 *
 * The onnx workload runs a small fixed model (x [1,4] -> Gemm 3 -> Relu ->
 * Gemm 2 -> Softmax, ArgMax) lent as the enclave's secret; a 33-byte config
 * gets that model's id, so the fuzzed records reach the model. Its answers
 * must decode with the clients' decoder (clo_onnx_answer_decode), which also
 * reads the raw input as an answer. */
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "workloads/onnx/writer.h"
#include "workloads/onnx_wl.h"
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

static clo_buf g_model;
static uint8_t g_model_id[32];

static clo_bytes lend_model(const void *ctx, const uint8_t id[32])
{
    (void)ctx;
    return memcmp(id, g_model_id, 32) ? CLO_BYTES_EMPTY : clo_buf_view(&g_model);
}

static void make_model(void)
{
    static const float w1[12] = {1, -1, 0.5f, 0, 0, 1, -1, 2, 0.25f, 0.5f, 0, -1},
                       b1[3] = {0, 1, -1}, w2[6] = {1, -1, 0.5f, -0.5f, 2, 0},
                       b2[2] = {0.1f, -0.1f};
    int64_t dx[2] = {1, 4}, d1[2] = {3, 4}, db1[1] = {3}, d2[2] = {2, 3}, db2[1] = {2};
    clo_onnxw w;
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "x", 1, 2, dx);
    clo_onnxw_output(&w, "p", 1, 0, NULL);
    clo_onnxw_output(&w, "k", 7, 0, NULL);
    clo_onnxw_init_floats(&w, "W1", 2, d1, w1);
    clo_onnxw_init_floats(&w, "B1", 1, db1, b1);
    clo_onnxw_init_floats(&w, "W2", 2, d2, w2);
    clo_onnxw_init_floats(&w, "B2", 1, db2, b2);
    clo_onnxw_attr_int(&w, "transB", 1);
    clo_onnxw_node(&w, "Gemm", NULL, (const char *const[]){"x", "W1", "B1"}, 3,
                   (const char *const[]){"h"}, 1);
    clo_onnxw_node(&w, "Relu", NULL, (const char *const[]){"h"}, 1, (const char *const[]){"r"}, 1);
    clo_onnxw_attr_int(&w, "transB", 1);
    clo_onnxw_node(&w, "Gemm", NULL, (const char *const[]){"r", "W2", "B2"}, 3,
                   (const char *const[]){"l"}, 1);
    clo_onnxw_node(&w, "Softmax", NULL, (const char *const[]){"l"}, 1, (const char *const[]){"p"},
                   1);
    clo_onnxw_attr_int(&w, "axis", 1);
    clo_onnxw_node(&w, "ArgMax", NULL, (const char *const[]){"p"}, 1, (const char *const[]){"k"},
                   1);
    clo_buf_init(&g_model, 1 << 20);
    if (clo_onnxw_finish(&w, "fuzz", 13, 0, &g_model).code ||
        clo_sha256(clo_buf_view(&g_model), g_model_id).code)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const clo_workload *w = clo_workload_by_name(WL_NAME);
    if (!w) abort();
    if (!strcmp(WL_NAME, "onnx")) {
        clo_onnx_answer raw;
        CLO_IGNORE(clo_onnx_answer_decode(CLO_BYTES(data, size), &raw));
    }
    clo_cur c = clo_cur_init(CLO_BYTES(data, size));
    uint16_t n;
    clo_bytes cfg, in[MAXN];
    size_t count = 0;
    if (clo_cur_u16be(&c, &n).code || clo_cur_take(&c, n, &cfg).code) return 0;
    while (count < MAXN && !clo_cur_u16be(&c, &n).code && !clo_cur_take(&c, n, &in[count]).code)
        count++;
    if (count == 0) return 0;
    void *st = NULL;
    const clo_wl_env *env = NULL;
    uint8_t cfg_copy[33];
    static const clo_wl_env model_env = {lend_model, NULL, NULL};
    if (!strcmp(WL_NAME, "onnx")) {
        if (!g_model.ptr) make_model();
        env = &model_env;
        if (cfg.len == 33) { /* point a well-formed config at the lent model */
            memcpy(cfg_copy, cfg.ptr, 33);
            memcpy(cfg_copy + 1, g_model_id, 32);
            cfg = CLO_BYTES(cfg_copy, 33);
        }
    }
    if (w->open(cfg, env, &st).code) return 0;
    static const uint8_t job_id[32] = {0x42};
    /* As the enclave does: an empty plaintext stands for an envelope that did not open. */
    uint8_t unopened[MAXN] = {0}, ex[2][MAXN];
    for (size_t i = 0; i < count; i++) unopened[i] = in[i].len == 0;
    memcpy(ex[0], unopened, MAXN);
    memcpy(ex[1], unopened, MAXN);
    /* A workload with sources (oracle-https) gets each input as a fetched body;
     * one that starts with 'x' stands for a source that failed its TLS. */
    static clo_wl_fetched fetched[CLO_WL_MAX_SOURCES];
    size_t nf = 0;
    const int64_t at = 1790000000;
    if (w->sources) {
        const clo_wl_source *srcs;
        nf = w->sources(st, &srcs);
        if (nf < 1 || nf > CLO_WL_MAX_SOURCES) abort();
        for (size_t i = 0; i < nf; i++) {
            clo_bytes b = count ? in[i % count] : CLO_BYTES_EMPTY;
            int failed = b.len && b.ptr[0] == 'x';
            fetched[i] = (clo_wl_fetched){failed ? CLO_FETCH_TLS_AUTH : CLO_FETCH_OK,
                                          {(uint8_t)i},
                                          0x0304,
                                          200,
                                          {(uint8_t)i},
                                          at - (int64_t)i,
                                          at - 86400,
                                          at + 86400,
                                          b};
        }
    }
    clo_wl_call call = {job_id, in, count, ex[0], nf ? fetched : NULL, nf, at},
                call2 = {job_id, in, count, ex[1], nf ? fetched : NULL, nf, at};
    clo_buf pub[2], priv[2][MAXN];
    clo_err e1 = run(w, st, &call, &pub[0], priv[0]);
    clo_err e2 = run(w, st, &call2, &pub[1], priv[1]);
    if (e1.code != e2.code || !clo_bytes_eq(clo_buf_view(&pub[0]), clo_buf_view(&pub[1])) ||
        memcmp(ex[0], ex[1], MAXN))
        abort();
    /* No input fails a job (issue 15, finding 3): once the config opened, an
     * auction, a tally and a decision always come out (the oracle's quorum and
     * the onnx engine's memory are the job's own). */
    if (e1.code &&
        (!strcmp(WL_NAME, "auction") || !strcmp(WL_NAME, "vote") || !strcmp(WL_NAME, "policy")))
        abort();
    for (size_t i = 0; i < MAXN; i++) {
        if (!clo_bytes_eq(clo_buf_view(&priv[0][i]), clo_buf_view(&priv[1][i]))) abort();
        clo_onnx_answer a;
        if (!strcmp(WL_NAME, "onnx") && !e1.code && i < count && !unopened[i] &&
            clo_onnx_answer_decode(clo_buf_view(&priv[0][i]), &a).code)
            abort();
        if (i >= count && priv[0][i].len) abort();
        clo_buf_free(&priv[0][i]);
        clo_buf_free(&priv[1][i]);
    }
    clo_buf_free(&pub[0]);
    clo_buf_free(&pub[1]);
    w->close(st);
    return 0;
}
