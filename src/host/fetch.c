/* fetch.c — carry a fetch's ciphertext between the enclave and the sources
 * (see fetch.h). One thread, non-blocking sockets and poll. */
#include "host/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "wire/proto.h"
#include "workloads/workload.h"

#define READ_CHUNK (64u << 10)

int clo_fetch_job_fetches(clo_bytes job)
{
    if (job.len < 64) return 0;
    const clo_workload *w = clo_workload_by_id(job.ptr + 32); /* job_id[32] | workload_id[32] */
    return w && w->sources;
}

/* One "host:port=address:port" entry of `list` for host:port, or 0. */
static int lookup(const char *list, const char *host, uint16_t port, char *addr, size_t cap,
                  char *svc, size_t svc_cap)
{
    char want[300];
    snprintf(want, sizeof want, "%s:%u=", host, port);
    size_t n = strlen(want);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > n && !strncmp(p, want, n)) {
            const char *to = p + n, *colon = NULL;
            for (const char *q = to; q < p + len; q++)
                if (*q == ':') colon = q;
            if (!colon || (size_t)(colon - to) >= cap || (size_t)(p + len - colon - 1) >= svc_cap)
                return 0;
            memcpy(addr, to, (size_t)(colon - to));
            addr[colon - to] = 0;
            memcpy(svc, colon + 1, (size_t)(p + len - colon - 1));
            svc[p + len - colon - 1] = 0;
            return 1;
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

const char *clo_fetch_connect_check(const char *list)
{
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        if (!eq || eq == p || !memchr(p, ':', (size_t)(eq - p)) ||
            !memchr(eq, ':', len - (size_t)(eq - p)))
            return "each entry is host:port=address:port";
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

static int dial(const clo_fetch_opts *o, const char *host, uint16_t port)
{
    char addr[256], svc[16];
    if (!lookup(o->connect, host, port, addr, sizeof addr, svc, sizeof svc)) {
        snprintf(addr, sizeof addr, "%s", host);
        snprintf(svc, sizeof svc, "%u", port);
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(addr, svc, &hints, &res) != 0) return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

typedef struct {
    int fd, done;
    clo_buf out; /* bytes for the server not yet written */
} conn;

/* One FETCH_PUMP: bytes from the server (or eof) in, bytes for it queued. */
static clo_err pump(clo_super *s, const uint8_t handle[16], size_t i, conn *c, clo_bytes in,
                    int eof, clo_buf *body, clo_buf *resp)
{
    clo_proto_fetch_pump p;
    memcpy(p.handle, handle, 16);
    p.source = (uint8_t)i;
    p.eof = (uint8_t)eof;
    p.from_server = in;
    clo_buf_clear(body);
    clo_buf_clear(resp);
    CLO_TRY(clo_proto_fetch_pump_encode(&p, body));
    CLO_TRY(clo_super_call(s, CLO_CALL_FETCH_PUMP, clo_buf_view(body), resp));
    clo_proto_fetch_pumped r;
    CLO_TRY(clo_proto_fetch_pumped_decode(clo_buf_view(resp), &r));
    CLO_TRY(clo_buf_append_bytes(&c->out, r.to_server));
    if (r.state) c->done = 1;
    return CLO_OK;
}

static void drop(conn *c)
{
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

clo_err clo_fetch_run(clo_super *s, const clo_fetch_opts *o, clo_bytes job, clo_buf *resp)
{
    static _Thread_local clo_proto_fetch_begun b;
    conn c[CLO_PROTO_FETCH_MAX_SOURCES];
    clo_buf body, r;
    clo_err err = CLO_OK;
    uint8_t *chunk = malloc(READ_CHUNK);
    size_t n = 0;
    clo_buf_init(&body, CLO_PROTO_FETCH_MAX_BYTES + 64);
    clo_buf_init(&r, CLO_PROTO_FETCH_MAX_BYTES + 64);
    CLO_FAIL_IF(!chunk, CLO_E_NOMEM, "fetch");
    CLO_CHECK(clo_super_call(s, CLO_CALL_FETCH_BEGIN, job, &r));
    CLO_CHECK(clo_proto_fetch_begun_decode(clo_buf_view(&r), &b));
    n = b.count;
    for (size_t i = 0; i < n; i++) {
        clo_buf_init(&c[i].out, CLO_PROTO_FETCH_MAX_BYTES * 2);
        c[i].done = b.s[i].state != 0;
        c[i].fd = -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!c[i].done) c[i].fd = dial(o, b.s[i].host, b.s[i].port);
        CLO_CHECK(clo_buf_append_bytes(&c[i].out, b.s[i].to_server));
    }
    for (size_t i = 0; i < n; i++)
        if (!c[i].done && c[i].fd < 0) { /* no address, or refused at once */
            CLO_LOG(CLO_LOG_INFO, "fetch.unreachable", CLO_LF_STR("host", b.s[i].host),
                    CLO_LF_U64("port", b.s[i].port));
            CLO_CHECK(pump(s, b.handle, i, &c[i], CLO_BYTES_EMPTY, 1, &body, &r));
        }
    int64_t deadline = clo_now_ms() + o->timeout_ms;
    for (;;) {
        struct pollfd pf[CLO_PROTO_FETCH_MAX_SOURCES];
        size_t idx[CLO_PROTO_FETCH_MAX_SOURCES], k = 0;
        for (size_t i = 0; i < n; i++) {
            if (c[i].done && !c[i].out.len) drop(&c[i]);
            if (c[i].fd < 0) continue;
            pf[k].fd = c[i].fd;
            pf[k].events = (short)((c[i].done ? 0 : POLLIN) | (c[i].out.len ? POLLOUT : 0));
            pf[k].revents = 0;
            idx[k++] = i;
        }
        int64_t left = deadline - clo_now_ms();
        if (k == 0 || left <= 0) break;
        if (poll(pf, k, (int)left) < 0 && errno != EINTR) break;
        for (size_t j = 0; j < k; j++) {
            conn *cc = &c[idx[j]];
            if (pf[j].revents & POLLOUT) {
                ssize_t w = send(cc->fd, cc->out.ptr, cc->out.len, MSG_NOSIGNAL);
                if (w > 0) {
                    memmove(cc->out.ptr, cc->out.ptr + w, cc->out.len - (size_t)w);
                    clo_buf_truncate(&cc->out, cc->out.len - (size_t)w);
                } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
                    clo_buf_clear(&cc->out);
                    if (!cc->done)
                        CLO_CHECK(pump(s, b.handle, idx[j], cc, CLO_BYTES_EMPTY, 1, &body, &r));
                    drop(cc);
                    continue;
                }
            }
            if (pf[j].revents & (POLLIN | POLLHUP | POLLERR) && !cc->done) {
                ssize_t got = recv(cc->fd, chunk, READ_CHUNK, 0);
                if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                int eof = got <= 0;
                CLO_CHECK(pump(s, b.handle, idx[j], cc, CLO_BYTES(chunk, got > 0 ? (size_t)got : 0),
                               eof, &body, &r));
                if (eof) {
                    clo_buf_clear(&cc->out);
                    drop(cc);
                }
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!c[i].done)
            CLO_LOG(CLO_LOG_INFO, "fetch.timeout", CLO_LF_STR("host", b.s[i].host),
                    CLO_LF_U64("port", b.s[i].port));
    clo_buf_clear(resp);
    err = clo_super_call(s, CLO_CALL_FETCH_END, CLO_BYTES(b.handle, 16), resp);
out:
    for (size_t i = 0; i < n; i++) {
        drop(&c[i]);
        clo_buf_free(&c[i].out);
    }
    clo_buf_free(&body);
    clo_buf_free(&r);
    free(chunk);
    return err;
}
