/* enclave_bench.c — `make bench`, enclave part: the channel round trip to a
 * real cloister-enclave process (empty PING, p50/p99), and jobs per second per
 * core for the auction (3 bids) and oracle median (5 sources) workloads — HPKE
 * open + compute + sealed replies + EIP-712 signature — in process and through
 * the channel in batches, next to the floor of the job's X25519 and secp256k1
 * operations measured in the same run (one DH per input, one signature, and a
 * recovery per committee signature on the job ticket); and the verifier
 * enclave's SNP_CHALLENGE + SNP_APPROVE on a simulated SEV-SNP report, next to
 * its floor: the SNP verification alone (clo_snp_verify) and one signature. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attest/snp.h"
#include "crypto/secp256k1.h"
#include "wire/frame.h"
#include "enclave_fixture.h"
#include "bench_util.h"

#define POOL  64
#define BATCH 32

static int g_fd;
static uint32_t g_id;
static clo_buf g_in;

static void chan_call(uint16_t call, clo_bytes body, clo_buf *resp)
{
    clo_frame_hdr h;
    if (clo_frame_write(g_fd, CLO_FRAME_REQUEST, call, ++g_id, body).code) die("frame write");
    if (clo_frame_read(g_fd, 60000, &h, &g_in).code || h.kind != CLO_FRAME_RESPONSE)
        die("frame read");
    if (resp) {
        clo_buf_clear(resp);
        if (clo_buf_append_bytes(resp, clo_buf_view(&g_in)).code) die("resp");
    }
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A pool of distinct jobs; RUN bodies of BATCH jobs each. */
static void make_batches(const fx_platform *p, const char *wl, clo_bytes cfg, size_t inputs,
                         const clo_proto_keys *k, clo_buf *batches, size_t nb)
{
    for (size_t b = 0; b < nb; b++) {
        static clo_buf jobs[BATCH];
        clo_bytes views[BATCH];
        clo_buf_init(&batches[b], CLO_FRAME_MAX_BODY);
        for (size_t j = 0; j < BATCH; j++) {
            uint8_t job_id[32] = {(uint8_t)b, (uint8_t)j, 0x77, (uint8_t)wl[0]}, plain[8][64];
            clo_bytes in[8];
            for (size_t i = 0; i < inputs; i++) {
                memset(plain[i], 0, sizeof plain[i]);
                plain[i][0] = 1;
                memset(plain[i] + 1, (int)(i + 1), 20);
                if (!strcmp(wl, "auction")) {
                    clo_store_u64be(plain[i] + 45, 100 + i * 7 + j);
                    in[i] = CLO_BYTES(plain[i], 53);
                } else {
                    clo_store_u16be(plain[i] + 21, 1);
                    clo_store_u64be(plain[i] + 23, 1000);
                    clo_store_u64be(plain[i] + 31, 100000 + i * 10);
                    in[i] = CLO_BYTES(plain[i], 39);
                }
            }
            clo_envelope_reply_key rk[8];
            clo_buf_init(&jobs[j], 1 << 20);
            if (fx_job_encoded(p, job_id, wl, cfg, k->current, k->keys[0].hpke_pk, in, inputs, rk,
                               &jobs[j])
                    .code)
                die("job body");
            views[j] = clo_buf_view(&jobs[j]);
            for (size_t i = 0; i < inputs; i++) clo_envelope_reply_key_wipe(&rk[i]);
        }
        if (clo_proto_run_encode(views, BATCH, &batches[b]).code) die("batch");
        for (size_t j = 0; j < BATCH; j++) clo_buf_free(&jobs[j]);
    }
}

/* Every job of a RUN response succeeded: a refused job is fast and would
 * flatter the figure. */
static void check_run(const clo_buf *resp)
{
    clo_cur c;
    if (clo_proto_run_resp_open(clo_buf_view(resp), BATCH, &c).code) die("run: batch size");
    static clo_proto_result r;
    for (size_t i = 0; i < BATCH; i++) {
        if (clo_proto_result_decode(&c, &r).code) die("run: result decode");
        if (r.err.code) {
            fprintf(stderr, "job %zu: %s: %s\n", i, clo_code_name(r.err.code),
                    r.err.what ? r.err.what : "");
            die("run: a job failed");
        }
    }
}

typedef struct {
    double inproc_ns, channel_ns;
} job_fig;

static job_fig bench_jobs(const fx_platform *p, clo_enclave *e, const char *wl, clo_bytes cfg,
                          size_t inputs)
{
    clo_proto_keys k;
    clo_buf batches[POOL / BATCH * 4], resp;
    size_t nb = sizeof batches / sizeof batches[0];
    clo_buf_init(&resp, CLO_FRAME_MAX_BODY);
    job_fig f = {1e18, 1e18};
    /* in process */
    if (fx_keys(e, FX_NOW, &k).code) die("keys");
    make_batches(p, wl, cfg, inputs, &k, batches, nb);
    for (int round = 0; round < 5; round++) {
        double t = now_s();
        for (size_t b = 0; b < nb; b++)
            if (fx_call(e, CLO_CALL_RUN, clo_buf_view(&batches[b]), FX_NOW, &resp).code) die("run");
        if (round == 0) check_run(&resp);
        double ns = (now_s() - t) / (double)(nb * BATCH) * 1e9;
        if (ns < f.inproc_ns) f.inproc_ns = ns;
    }
    for (size_t b = 0; b < nb; b++) clo_buf_free(&batches[b]);
    /* through the channel to the real process */
    chan_call(CLO_CALL_KEYS, CLO_BYTES_EMPTY, &resp);
    if (clo_proto_keys_decode(clo_buf_view(&resp), &k).code) die("keys decode");
    make_batches(p, wl, cfg, inputs, &k, batches, nb);
    for (int round = 0; round < 5; round++) {
        double t = now_s();
        for (size_t b = 0; b < nb; b++) chan_call(CLO_CALL_RUN, clo_buf_view(&batches[b]), &resp);
        if (round == 0) check_run(&resp);
        double ns = (now_s() - t) / (double)(nb * BATCH) * 1e9;
        if (ns < f.channel_ns) f.channel_ns = ns;
    }
    for (size_t b = 0; b < nb; b++) clo_buf_free(&batches[b]);
    clo_buf_free(&resp);
    return f;
}

/* SNP_CHALLENGE + SNP_APPROVE in process (ns per approval), and the floor's
 * verification alone (ns). The report is a sim-snp enclave's over each new
 * challenge, made outside the timed part. */
static void bench_snp(const fx_platform *p, clo_enclave *v, double *approve_ns, double *verify_ns)
{
    enum { M = 200 };
    clo_proto_init in;
    clo_enclave *snp;
    clo_buf body, resp, ev;
    clo_buf_init(&body, 1 << 20);
    clo_buf_init(&resp, 1 << 20);
    clo_buf_init(&ev, 1 << 20);
    fx_init_params(p, p->measurement, 60, &in);
    in.backend = CLO_TEE_SIM_SNP;
    if (clo_enclave_new(&snp).code || clo_proto_init_encode(&in, &body).code ||
        fx_call(snp, CLO_CALL_INIT, clo_buf_view(&body), FX_NOW, &resp).code ||
        fx_call(snp, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &resp).code)
        die("sim-snp enclave");
    double total = 0, floor = 1e18;
    for (int i = 0; i < M; i++) {
        uint8_t req[52] = {0};
        clo_proto_evidence e;
        double t = now_s();
        if (fx_call(v, CLO_CALL_SNP_CHALLENGE, CLO_BYTES_EMPTY, FX_NOW, &resp).code)
            die("challenge");
        total += now_s() - t;
        memcpy(req, resp.ptr, 32);
        if (fx_call(snp, CLO_CALL_EVIDENCE, CLO_BYTES(req, 52), FX_NOW, &ev).code ||
            clo_proto_evidence_decode(clo_buf_view(&ev), &e).code)
            die("snp evidence");
        clo_proto_snp_approve q = {.epoch = e.epoch, .expiry = FX_NOW + 3600, .ncerts = 1};
        memcpy(q.signer, e.signer, 20);
        memcpy(q.hpke_pk, e.hpke_pk, 32);
        memcpy(q.nonce, req, 32);
        q.report = e.evidence;
        q.certs[0] = clo_x509_der(p->sim.vcek);
        clo_buf_clear(&body);
        if (clo_proto_snp_approve_encode(&q, &body).code) die("approve encode");
        t = now_s();
        if (fx_call(v, CLO_CALL_SNP_APPROVE, clo_buf_view(&body), FX_NOW, &resp).code)
            die("approve");
        total += now_s() - t;
        /* the floor: the chain and report checks alone */
        clo_snp_report r;
        clo_snp_result res;
        clo_dcap_collateral col = {{p->sim.vcek, p->sim.ask}, 2, {0}, 0, {0}, {0}};
        clo_snp_opts o = {FX_NOW, p->sim.ark};
        if (clo_snp_report_parse(e.evidence, &r).code) die("report");
        t = now_s();
        if (clo_snp_verify(&r, &col, &o, &res).code) die("snp verify");
        double x = now_s() - t;
        if (x < floor) floor = x;
    }
    *approve_ns = total / M * 1e9;
    *verify_ns = floor * 1e9;
    clo_enclave_free(snp);
    clo_buf_free(&body);
    clo_buf_free(&resp);
    clo_buf_free(&ev);
}

int main(void)
{
    fx_platform p;
    if (fx_platform_new(&p).code) die("platform");
    /* the enclave process, as cloisterd starts it */
    pid_t pid;
    g_fd = spawn_enclave(&pid);
    clo_buf_init(&g_in, CLO_FRAME_MAX_BODY);

    /* channel round trip, empty PING */
    enum { N = 100000 };
    static double lat[N];
    for (int i = 0; i < 2000; i++) chan_call(CLO_CALL_PING, CLO_BYTES_EMPTY, NULL);
    for (int i = 0; i < N; i++) {
        double t = now_s();
        chan_call(CLO_CALL_PING, CLO_BYTES_EMPTY, NULL);
        lat[i] = (now_s() - t) * 1e9;
    }
    qsort(lat, N, sizeof lat[0], cmp_d);
    double p50 = lat[N / 2], p99 = lat[N * 99 / 100];

    /* INIT the process like the supervisor does, and an in-process twin */
    clo_proto_init in; /* the fixture's committee, so that its tickets hold */
    fx_init_params(&p, p.measurement, 60, &in);
    clo_buf body;
    clo_buf_init(&body, 1 << 20);
    if (clo_proto_init_encode(&in, &body).code) die("init encode");
    chan_call(CLO_CALL_INIT, clo_buf_view(&body), NULL);
    chan_call(CLO_CALL_ROTATE, CLO_BYTES_EMPTY, NULL);
    clo_enclave *e;
    clo_buf r;
    clo_buf_init(&r, 1 << 20);
    if (fx_enclave(&p, p.measurement, 60, &e).code ||
        fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r).code)
        die("enclave");

    /* floor: the job's own X25519 and secp256k1 operations */
    clo_x25519_key *a, *b;
    clo_secret32 sk;
    uint8_t shared[32], digest[32] = {1}, sig[65];
    if (clo_x25519_key_new(&a, NULL).code || clo_x25519_key_new(&b, NULL).code ||
        clo_secp256k1_keygen(&sk).code)
        die("floor keys");
    double dh = 1e18, sign = 1e18, rec = 1e18;
    uint8_t pub[65];
    for (int round = 0; round < 5; round++) {
        double t = now_s();
        for (int i = 0; i < 2000; i++)
            if (clo_x25519_key_dh(a, clo_x25519_key_public(b), shared).code) die("dh");
        double x = (now_s() - t) / 2000 * 1e9;
        if (x < dh) dh = x;
        t = now_s();
        for (int i = 0; i < 2000; i++)
            if (clo_secp256k1_sign(&sk, digest, sig).code) die("sign");
        x = (now_s() - t) / 2000 * 1e9;
        if (x < sign) sign = x;
        t = now_s();
        for (int i = 0; i < 2000; i++)
            if (clo_secp256k1_recover(digest, sig, pub).code) die("recover");
        x = (now_s() - t) / 2000 * 1e9;
        if (x < rec) rec = x;
    }

    static const uint8_t auction_cfg[34] = {1, 2};
    uint8_t oracle_cfg[12] = {1, 1, 0, 3};
    clo_store_u32be(oracle_cfg + 4, 500);
    job_fig fa = bench_jobs(&p, e, "auction", CLO_BYTES(auction_cfg, 34), 3);
    job_fig fo = bench_jobs(&p, e, "oracle", CLO_BYTES(oracle_cfg, 12), 5);
    /* The job ticket: one recovery per committee signature (the fixture's 2). */
    double floor_a = 3 * dh + sign + 2 * rec, floor_o = 5 * dh + sign + 2 * rec;

    double snp_approve, snp_verify;
    bench_snp(&p, e, &snp_approve, &snp_verify);

    printf("\nCloister enclave benchmarks — one core, batches of %d jobs\n\n", BATCH);
    printf("  %-52s p50 %7.1f us  p99 %7.1f us  (goal p50 <= 10 us)\n",
           "channel round trip, empty PING (socketpair)", p50 / 1e3, p99 / 1e3);
    printf("  %-52s %8.1f us\n", "floor: X25519 DH (fixed key)", dh / 1e3);
    printf("  %-52s %8.1f us\n", "floor: secp256k1 sign", sign / 1e3);
    printf("  %-52s %8.1f us\n", "floor: secp256k1 recover (x2: the job ticket)", rec / 1e3);
    const struct {
        const char *name;
        job_fig f;
        double floor;
    } rows[] = {{"auction, 3 bids", fa, floor_a}, {"oracle median, 5 sources", fo, floor_o}};
    for (size_t i = 0; i < 2; i++) {
        printf("  %-30s in process %8.1f us = %7.0f jobs/s  floor %6.1f us  ratio %.2f (goal >= "
               "0.70)\n",
               rows[i].name, rows[i].f.inproc_ns / 1e3, 1e9 / rows[i].f.inproc_ns,
               rows[i].floor / 1e3, rows[i].floor / rows[i].f.inproc_ns);
        printf("  %-30s via channel %7.1f us = %7.0f jobs/s  channel share %.1f%% (goal <= 5%%)\n",
               "", rows[i].f.channel_ns / 1e3, 1e9 / rows[i].f.channel_ns,
               100.0 * (rows[i].f.channel_ns - rows[i].f.inproc_ns) / rows[i].f.channel_ns);
    }
    printf("  %-30s in process %8.1f us  floor %6.1f us (SNP verification %.1f + one "
           "signature)  ratio %.2f\n",
           "verifier enclave: SNP approval", snp_approve / 1e3, (snp_verify + sign) / 1e3,
           snp_verify / 1e3, (snp_verify + sign) / snp_approve);
    chan_call(CLO_CALL_SHUTDOWN, CLO_BYTES_EMPTY, NULL);
    waitpid(pid, NULL, 0);
    clo_enclave_free(e);
    clo_x25519_key_free(a);
    clo_x25519_key_free(b);
    clo_buf_free(&body);
    clo_buf_free(&r);
    clo_buf_free(&g_in);
    fx_platform_free(&p);
    return 0;
}
