/* frame.c — framing for the host <-> enclave channel. */
#include "wire/frame.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"

clo_err clo_frame_parse_header(clo_bytes in, clo_frame_hdr *out)
{
    clo_cur c = clo_cur_init(in);
    clo_frame_hdr h = {0};
    CLO_ENSURE(in.len == CLO_FRAME_HEADER_SIZE, CLO_E_FORMAT, "frame.header");
    CLO_TRY(clo_cur_u8(&c, &h.version));
    CLO_ENSURE(h.version == CLO_FRAME_VERSION, CLO_E_VERSION, "frame.version");
    CLO_TRY(clo_cur_u8(&c, &h.kind));
    CLO_ENSURE(h.kind >= CLO_FRAME_REQUEST && h.kind <= CLO_FRAME_ERROR, CLO_E_FORMAT,
               "frame.kind");
    CLO_TRY(clo_cur_u16be(&c, &h.call));
    CLO_TRY(clo_cur_u32be(&c, &h.id));
    CLO_TRY(clo_cur_u32be(&c, &h.body_size));
    CLO_ENSURE(h.body_size <= CLO_FRAME_MAX_BODY, CLO_E_LIMIT, "frame.body_size");
    *out = h;
    return CLO_OK;
}

void clo_frame_encode_header(const clo_frame_hdr *h, uint8_t out[CLO_FRAME_HEADER_SIZE])
{
    out[0] = h->version;
    out[1] = h->kind;
    clo_store_u16be(out + 2, h->call);
    clo_store_u32be(out + 4, h->id);
    clo_store_u32be(out + 8, h->body_size);
}

clo_err clo_frame_write(int fd, clo_frame_kind kind, uint16_t call, uint32_t id, clo_bytes body)
{
    CLO_ENSURE(body.len <= CLO_FRAME_MAX_BODY, CLO_E_LIMIT, "frame.body_size");
    clo_frame_hdr h = {CLO_FRAME_VERSION, (uint8_t)kind, call, id, (uint32_t)body.len};
    uint8_t hdr[CLO_FRAME_HEADER_SIZE];
    clo_frame_encode_header(&h, hdr);
    struct iovec iov[2] = {{hdr, sizeof hdr}, {(void *)(uintptr_t)body.ptr, body.len}};
    int n = body.len ? 2 : 1;
    struct iovec *v = iov;
    while (n > 0) {
        ssize_t w = writev(fd, v, n);
        if (w < 0 && errno == EINTR) continue;
        CLO_ENSURE(w > 0, CLO_E_IO, "channel write");
        size_t done = (size_t)w;
        while (n > 0 && done >= v->iov_len) {
            done -= v->iov_len;
            v++;
            n--;
        }
        if (n > 0) {
            v->iov_base = (uint8_t *)v->iov_base + done;
            v->iov_len -= done;
        }
    }
    return CLO_OK;
}

clo_err clo_frame_write_error(int fd, uint16_t call, uint32_t id, clo_err err)
{
    uint8_t body[4 + CLO_FRAME_MAX_WHAT];
    const char *what = err.what ? err.what : "";
    size_t n = strnlen(what, CLO_FRAME_MAX_WHAT);
    clo_store_u16be(body, (uint16_t)err.code);
    clo_store_u16be(body + 2, (uint16_t)n);
    memcpy(body + 4, what, n);
    return clo_frame_write(fd, CLO_FRAME_ERROR, call, id, CLO_BYTES(body, 4 + n));
}

/* Before sleeping in poll/read, poll the socket without blocking for a few
 * microseconds: a reply usually arrives within that, and waking a sleeping
 * thread on another core costs tens of microseconds on a VM (measured in
 * bench/enclave_bench.c). On a pipe (Gramine) recv fails at once with
 * ENOTSOCK and the ordinary blocking path is taken. */
#define SPIN_NS 40000
static ssize_t spin_read(int fd, uint8_t *p, size_t n)
{
    int64_t until = clo_mono_ns() + SPIN_NS;
    do {
        ssize_t r = recv(fd, p, n, MSG_DONTWAIT);
        if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return r;
    } while (clo_mono_ns() < until);
    errno = EAGAIN;
    return -1;
}

/* Read exactly n bytes; *got counts what arrived (to tell EOF-at-start apart). */
static clo_err read_full(int fd, int64_t deadline, uint8_t *p, size_t n, size_t *got)
{
    *got = 0;
    while (*got < n) {
        ssize_t s = spin_read(fd, p + *got, n - *got);
        if (s > 0) {
            *got += (size_t)s;
            continue;
        }
        if (s == 0) return CLO_ERR(CLO_E_IO, "channel closed");
        if (deadline >= 0) {
            int64_t left = deadline - clo_mono_ms();
            CLO_ENSURE(left > 0, CLO_E_STALE, "channel timeout");
            struct pollfd pfd = {fd, POLLIN, 0};
            int r = poll(&pfd, 1, (int)(left > 1000000 ? 1000000 : left));
            if (r < 0 && errno == EINTR) continue;
            CLO_ENSURE(r >= 0, CLO_E_IO, "channel poll");
            if (r == 0) continue;
        }
        ssize_t r = read(fd, p + *got, n - *got);
        if (r < 0 && errno == EINTR) continue;
        CLO_ENSURE(r >= 0, CLO_E_IO, "channel read");
        if (r == 0) return CLO_ERR(CLO_E_IO, "channel closed");
        *got += (size_t)r;
    }
    return CLO_OK;
}

clo_err clo_frame_read(int fd, int timeout_ms, clo_frame_hdr *hdr, clo_buf *body)
{
    int64_t deadline = timeout_ms < 0 ? -1 : clo_mono_ms() + timeout_ms;
    uint8_t raw[CLO_FRAME_HEADER_SIZE];
    size_t got = 0;
    clo_buf_clear(body);
    clo_err err = read_full(fd, deadline, raw, sizeof raw, &got);
    if (err.code)
        return got && err.code == CLO_E_IO ? CLO_ERR(CLO_E_FORMAT, "frame.truncated") : err;
    CLO_TRY(clo_frame_parse_header(CLO_BYTES(raw, sizeof raw), hdr));
    CLO_ENSURE(hdr->body_size <= body->max, CLO_E_LIMIT, "frame.body_size");
    uint8_t *dst = NULL;
    CLO_TRY(clo_buf_extend(body, hdr->body_size, &dst));
    err = read_full(fd, deadline, dst, hdr->body_size, &got);
    if (err.code) {
        clo_buf_clear(body);
        return err.code == CLO_E_IO ? CLO_ERR(CLO_E_FORMAT, "frame.truncated") : err;
    }
    return CLO_OK;
}

clo_err clo_frame_decode_error(clo_bytes body, char what_buf[CLO_FRAME_MAX_WHAT + 1], clo_err *out)
{
    clo_cur c = clo_cur_init(body);
    uint16_t code, n;
    clo_bytes what;
    CLO_TRY(clo_cur_u16be(&c, &code));
    CLO_TRY(clo_cur_u16be(&c, &n));
    CLO_ENSURE(n <= CLO_FRAME_MAX_WHAT, CLO_E_LIMIT, "frame.error.what");
    CLO_TRY(clo_cur_take(&c, n, &what));
    CLO_TRY(clo_cur_end(&c));
    CLO_ENSURE(code > 0 && code < CLO_E__COUNT, CLO_E_FORMAT, "frame.error.code");
    for (size_t i = 0; i < n; i++)
        CLO_ENSURE(what.ptr[i] >= 0x20 && what.ptr[i] < 0x7f, CLO_E_FORMAT, "frame.error.what");
    memcpy(what_buf, what.ptr, n);
    what_buf[n] = 0;
    *out = CLO_ERR((clo_code)code, what_buf);
    return CLO_OK;
}
