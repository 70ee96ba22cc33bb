/* inference_bench.c — `make bench`: what a confidential inference costs in
 * the enclave beyond the model itself. An MLP of the diagnosis flow's shape
 * (30-16-2, fixed weights) is provisioned to an in-process enclave on a
 * simulated platform; a job of one record (and of 16) is run through the
 * RUN call: HPKE open of each record, the onnx workload (the model, checked
 * against its id and loaded once, then cached with its plan), each answer
 * sealed to its sender, the EIP-712 statement signed. Measured in the same
 * run: the model alone (a planned run), the model's check + load + plan, and
 * the whole job; the difference is the in-enclave overhead the issue asks to
 * report. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "crypto/hash.h"
#include "enclave_fixture.h"
#include "workloads/onnx/plan.h"
#include "workloads/onnx/writer.h"
#include "workloads/onnx_wl.h"

#define F    30
#define H    16
#define JOBS 400

static void build_model(clo_buf *out)
{
    static float w1[H * F], b1[H], w2[2 * H], b2[2], mean[F], inv[F];
    for (int i = 0; i < H * F; i++) w1[i] = sinf((float)i) * 0.3f;
    for (int i = 0; i < 2 * H; i++) w2[i] = cosf((float)i) * 0.5f;
    for (int i = 0; i < F; i++) mean[i] = (float)i, inv[i] = 0.1f;
    clo_onnxw w;
    int64_t din[2] = {-1, F}, df[1] = {F}, d1[2] = {H, F}, db1[1] = {H}, d2[2] = {2, H},
            db2[1] = {2};
    clo_onnxw_init(&w);
    clo_onnxw_input(&w, "record", 1, 2, din);
    clo_onnxw_output(&w, "probabilities", 1, 0, NULL);
    clo_onnxw_output(&w, "diagnosis", 7, 0, NULL);
    clo_onnxw_init_floats(&w, "mean", 1, df, mean);
    clo_onnxw_init_floats(&w, "inv_std", 1, df, inv);
    clo_onnxw_init_floats(&w, "W1", 2, d1, w1);
    clo_onnxw_init_floats(&w, "B1", 1, db1, b1);
    clo_onnxw_init_floats(&w, "W2", 2, d2, w2);
    clo_onnxw_init_floats(&w, "B2", 1, db2, b2);
    clo_onnxw_node(&w, "Sub", NULL, (const char *const[]){"record", "mean"}, 2,
                   (const char *const[]){"c"}, 1);
    clo_onnxw_node(&w, "Mul", NULL, (const char *const[]){"c", "inv_std"}, 2,
                   (const char *const[]){"x"}, 1);
    clo_onnxw_attr_int(&w, "transB", 1);
    clo_onnxw_node(&w, "Gemm", NULL, (const char *const[]){"x", "W1", "B1"}, 3,
                   (const char *const[]){"h"}, 1);
    clo_onnxw_node(&w, "Relu", NULL, (const char *const[]){"h"}, 1, (const char *const[]){"r"}, 1);
    clo_onnxw_attr_int(&w, "transB", 1);
    clo_onnxw_node(&w, "Gemm", NULL, (const char *const[]){"r", "W2", "B2"}, 3,
                   (const char *const[]){"l"}, 1);
    clo_onnxw_attr_int(&w, "axis", 1);
    clo_onnxw_node(&w, "Softmax", NULL, (const char *const[]){"l"}, 1,
                   (const char *const[]){"probabilities"}, 1);
    clo_onnxw_attr_int(&w, "axis", 1);
    clo_onnxw_attr_int(&w, "keepdims", 0);
    clo_onnxw_node(&w, "ArgMax", NULL, (const char *const[]){"probabilities"}, 1,
                   (const char *const[]){"diagnosis"}, 1);
    if (clo_onnxw_finish(&w, "bench", 13, 0, out).code) die("model");
}

static void record(clo_buf *out, const float *x)
{
    clo_tensor t = {1, {2, {1, F}}, F, (void *)(uintptr_t)x};
    clo_buf_clear(out);
    if (clo_onnx_input_encode(&t, 1, out).code) die("record");
}

/* Mean microseconds of a RUN call over jobs of `records` records each. */
static double bench_jobs(clo_enclave *e, const fx_platform *p, const clo_proto_keys *k,
                         const uint8_t id[32], size_t records, int jobs)
{
    static clo_buf bodies[JOBS];
    uint8_t cfg[33] = {1};
    memcpy(cfg + 1, id, 32);
    float x[F];
    clo_buf rec[16];
    clo_bytes plain[16];
    for (size_t i = 0; i < records; i++) {
        for (int f = 0; f < F; f++) x[f] = (float)(f + i);
        clo_buf_init(&rec[i], 1 << 16);
        record(&rec[i], x);
        plain[i] = clo_buf_view(&rec[i]);
    }
    static uint32_t serial;
    for (int j = 0; j < jobs; j++) {
        uint8_t job_id[32] = {0x99};
        clo_store_u32be(job_id + 4, ++serial);
        clo_envelope_reply_key rk[16];
        clo_buf_init(&bodies[j], 1 << 22);
        if (fx_job_body(p, job_id, "onnx", CLO_BYTES(cfg, 33), k->current, k->keys[0].hpke_pk,
                        plain, records, rk, &bodies[j])
                .code)
            die("job body");
        for (size_t i = 0; i < records; i++) clo_envelope_reply_key_wipe(&rk[i]);
    }
    clo_buf resp;
    clo_buf_init(&resp, 1 << 24);
    double t0 = now_s();
    for (int j = 0; j < jobs; j++)
        if (fx_call(e, CLO_CALL_RUN, clo_buf_view(&bodies[j]), FX_NOW, &resp).code) die("run");
    double us = (now_s() - t0) / jobs * 1e6;
    for (int j = 0; j < jobs; j++) clo_buf_free(&bodies[j]);
    for (size_t i = 0; i < records; i++) clo_buf_free(&rec[i]);
    clo_buf_free(&resp);
    return us;
}

int main(void)
{
    fx_platform p;
    clo_enclave *e = NULL;
    clo_buf model, r;
    clo_buf_init(&model, 1 << 20);
    clo_buf_init(&r, 1 << 16);
    if (fx_platform_new(&p).code || fx_enclave(&p, p.measurement, 60, &e).code ||
        fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r).code)
        die("enclave");
    clo_proto_keys k;
    if (fx_keys(e, FX_NOW, &k).code) die("keys");
    build_model(&model);
    uint8_t id[32];
    if (clo_sha256(clo_buf_view(&model), id).code) die("sha256");
    if (fx_provision(e, &p, id, clo_buf_view(&model), k.current, k.keys[0].hpke_pk, &r).code)
        die("provision");

    /* the model alone: a planned run on one record */
    clo_onnx_model m;
    clo_onnx_plan *plan;
    char why[CLO_ONNX_WHY];
    float x[F];
    for (int f = 0; f < F; f++) x[f] = (float)f;
    clo_tensor feed = {1, {2, {1, F}}, F, x};
    if (clo_onnx_load(clo_buf_view(&model), &m).code ||
        clo_onnx_plan_new(&m, &feed, 1, &plan, why).code)
        die("plan");
    int n = 200000;
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        if (clo_onnx_plan_run(plan, &feed, 1).code) die("run");
    double run_us = (now_s() - t0) / n * 1e6;
    clo_onnx_plan_free(plan);
    clo_onnx_free(&m);
    /* what each job adds for the model: SHA-256 check, load, plan */
    n = 20000;
    uint8_t h[32];
    t0 = now_s();
    for (int i = 0; i < n; i++) {
        if (clo_sha256(clo_buf_view(&model), h).code ||
            clo_onnx_load(clo_buf_view(&model), &m).code ||
            clo_onnx_plan_new(&m, &feed, 1, &plan, why).code)
            die("load");
        clo_onnx_plan_free(plan);
        clo_onnx_free(&m);
    }
    double load_us = (now_s() - t0) / n * 1e6;
    for (int warm = 0; warm < 2; warm++) bench_jobs(e, &p, &k, id, 1, 50);
    double job1 = bench_jobs(e, &p, &k, id, 1, JOBS);
    double job16 = bench_jobs(e, &p, &k, id, 16, JOBS / 8);

    printf("\nConfidential inference in the enclave (in process, simulated TEE), MLP 30-16-2:\n");
    printf("| what | µs |\n|---|---:|\n");
    printf("| the model alone: one record, planned run | %.2f |\n", run_us);
    printf("| once per model: SHA-256 check + load + plan (then cached) | %.2f |\n", load_us);
    printf("| job of 1 record (open, cached model, run, seal, sign) | %.2f |\n", job1);
    printf("| job of 16 records, per record | %.2f |\n", job16 / 16);
    printf("| in-enclave overhead of a 1-record job (job - model run): envelope open, reply seal, "
           "statement signature, the cache's check | %.2f (%.0fx the model) |\n",
           job1 - run_us, (job1 - run_us) / run_us);
    clo_enclave_free(e);
    fx_platform_free(&p);
    clo_buf_free(&model);
    clo_buf_free(&r);
    return 0;
}
