/* fetch_bench.c — `make bench`, fetch part (issue 20): the cost of one HTTPS
 * fetch made by a real cloister-enclave process, the host carrying its bytes
 * over a real socket: FETCH_BEGIN (the job's checks, the ClientHello),
 * FETCH_PUMPs (handshake, request, response), FETCH_END (the workload, the
 * signed result), for an oracle-https job of one source. bench/fetch_bench.mjs
 * runs it next to `openssl s_client` to the same server and reports the ratio.
 *
 * Usage: clo_bench_fetch HOST PORT PATH JSON_PATH CA_FILE N
 * Prints one JSON line: {"fetches": N, "p50_ms": ..., "mean_ms": ...}. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/pem.h"
#include "wire/frame.h"
#include "enclave_fixture.h"
#include "bench_util.h"

static int g_fd;
static uint32_t g_id;

static void chan_call(uint16_t call, clo_bytes body, clo_buf *resp)
{
    clo_frame_hdr h;
    clo_buf_clear(resp);
    if (clo_frame_write(g_fd, CLO_FRAME_REQUEST, call, ++g_id, body).code) die("frame write");
    if (clo_frame_read(g_fd, 60000, &h, resp).code || h.kind != CLO_FRAME_RESPONSE)
        die("frame read (the enclave refused a call)");
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void send_all(int s, clo_bytes b)
{
    for (size_t off = 0; off < b.len;) {
        ssize_t w = send(s, b.ptr + off, b.len - off, MSG_NOSIGNAL);
        if (w <= 0) die("send");
        off += (size_t)w;
    }
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: clo_bench_fetch HOST PORT PATH JSON_PATH CA_FILE N\n");
        return 2;
    }
    const char *host = argv[1], *path = argv[3], *jp = argv[4];
    int port = atoi(argv[2]), n = atoi(argv[6]);
    if (n < 1 || n > 100000) die("N");
    clo_buf pem, ca, cfg, body, resp, out;
    clo_buf_init(&pem, 1 << 16);
    clo_buf_init(&ca, 1 << 16);
    clo_buf_init(&cfg, 8192);
    clo_buf_init(&body, 1 << 20);
    clo_buf_init(&resp, CLO_FRAME_MAX_BODY);
    clo_buf_init(&out, 1 << 20);
    char label[CLO_PEM_LABEL_MAX];
    int found = 0;
    if (clo_file_read(argv[5], &pem).code) die("CA file");
    clo_cur pc = clo_cur_init(clo_buf_view(&pem));
    if (clo_pem_next(&pc, label, &ca, &found).code || !found) die("CA PEM");

    /* oracle-https v1, one source on the CA (docs/formats.md §5.6); any Date
     * (the fixture's job time is fixed) */
    size_t hl = strlen(host), pl = strlen(path), jl = strlen(jp);
    uint8_t zero[64] = {0};
    if (clo_buf_u8(&cfg, 1).code || clo_buf_u16be(&cfg, 1).code || clo_buf_u32be(&cfg, 0).code ||
        clo_buf_u32be(&cfg, 0xffffffffu).code || clo_buf_u8(&cfg, 1).code ||
        clo_buf_u16be(&cfg, (uint16_t)ca.len).code ||
        clo_buf_append_bytes(&cfg, clo_buf_view(&ca)).code || clo_buf_u8(&cfg, 1).code ||
        clo_buf_u8(&cfg, (uint8_t)hl).code || clo_buf_append(&cfg, host, hl).code ||
        clo_buf_u16be(&cfg, 443).code || clo_buf_u16be(&cfg, (uint16_t)pl).code ||
        clo_buf_append(&cfg, path, pl).code || clo_buf_u8(&cfg, (uint8_t)jl).code ||
        clo_buf_append(&cfg, jp, jl).code || clo_buf_u8(&cfg, 2).code || clo_buf_u8(&cfg, 2).code ||
        clo_buf_u8(&cfg, 0).code || clo_buf_append(&cfg, zero, 64).code)
        die("config");

    fx_platform p;
    if (fx_platform_new(&p).code) die("platform");
    pid_t pid;
    g_fd = spawn_enclave(&pid);
    clo_proto_init in;
    fx_init_params(&p, p.measurement, 60, &in);
    if (clo_proto_init_encode(&in, &body).code) die("init encode");
    chan_call(CLO_CALL_INIT, clo_buf_view(&body), &resp);
    chan_call(CLO_CALL_ROTATE, CLO_BYTES_EMPTY, &resp);
    clo_proto_keys k;
    if (clo_proto_keys_decode(clo_buf_view(&resp), &k).code) die("keys");

    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    double *ms = calloc((size_t)n, sizeof *ms), sum = 0;
    uint8_t *chunk = malloc(1 << 16);
    if (!ms || !chunk) die("memory");
    uint64_t now = (uint64_t)time(NULL);
    for (int i = -3; i < n; i++) { /* three warm-up fetches */
        uint8_t job_id[32] = {0xfe, (uint8_t)(i + 3), (uint8_t)((i + 3) >> 8)};
        static const size_t two[2] = {0, 1};
        clo_envelope_reply_key rk;
        clo_buf env;
        clo_bytes view, plain = CLO_BYTES("\1\0", 2); /* no private query */
        clo_proto_job job;
        /* the ticket at the real time, for the server's real certificate */
        if (fx_job_make(&p, job_id, "oracle-https", clo_buf_view(&cfg), k.current,
                        k.keys[0].hpke_pk, &plain, 1, &rk, &env, &view, &job)
                .code)
            die("job");
        job.deadline = now + 3600;
        clo_buf_clear(&body);
        if (fx_sign_ticket(&p, &job, two, 2, now).code || clo_proto_job_encode(&job, &body).code)
            die("ticket");
        double t0 = now_s();
        chan_call(CLO_CALL_FETCH_BEGIN, clo_buf_view(&body), &resp);
        static clo_proto_fetch_begun b;
        if (clo_proto_fetch_begun_decode(clo_buf_view(&resp), &b).code || b.s[0].state)
            die("begin");
        int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa)) die("connect");
        send_all(s, b.s[0].to_server);
        uint8_t handle[16];
        memcpy(handle, b.handle, 16);
        for (int done = 0; !done;) {
            ssize_t got = recv(s, chunk, 1 << 16, 0);
            clo_proto_fetch_pump pm = {
                {0}, 0, got <= 0, CLO_BYTES(chunk, got > 0 ? (size_t)got : 0)};
            memcpy(pm.handle, handle, 16);
            clo_buf_clear(&out);
            if (clo_proto_fetch_pump_encode(&pm, &out).code) die("pump");
            chan_call(CLO_CALL_FETCH_PUMP, clo_buf_view(&out), &resp);
            clo_proto_fetch_pumped pd;
            if (clo_proto_fetch_pumped_decode(clo_buf_view(&resp), &pd).code) die("pumped");
            send_all(s, pd.to_server);
            done = pd.state == 1;
        }
        close(s);
        chan_call(CLO_CALL_FETCH_END, CLO_BYTES(handle, 16), &resp);
        double dt = (now_s() - t0) * 1e3;
        clo_cur c = clo_cur_init(clo_buf_view(&resp));
        uint16_t cnt;
        static clo_proto_result r;
        if (clo_cur_u16be(&c, &cnt).code || clo_proto_result_decode(&c, &r).code || r.err.code) {
            fprintf(stderr, "bench: the fetched job failed: %s\n", r.err.what ? r.err.what : "?");
            return 1;
        }
        clo_envelope_reply_key_wipe(&rk);
        clo_buf_free(&env);
        if (i < 0) continue;
        ms[i] = dt;
        sum += dt;
    }
    qsort(ms, (size_t)n, sizeof *ms, cmp_d);
    printf("{\"fetches\": %d, \"p50_ms\": %.3f, \"mean_ms\": %.3f}\n", n, ms[n / 2], sum / n);
    chan_call(CLO_CALL_SHUTDOWN, CLO_BYTES_EMPTY, &resp);
    waitpid(pid, NULL, 0);
    return 0;
}
