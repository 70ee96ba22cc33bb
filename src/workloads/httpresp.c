/* httpresp.c — strict HTTP/1.1 response parsing (see httpresp.h). */
#include "workloads/httpresp.h"

#include <string.h>

#include "base/timefmt.h"

/* A "need more bytes" marker, distinct from every refusal. */
#define INCOMPLETE ((clo_err){CLO_E_STATE, "http: incomplete"})

static int is_tchar(uint8_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int ieq(clo_bytes a, const char *b)
{
    size_t n = strlen(b);
    if (a.len != n) return 0;
    for (size_t i = 0; i < n; i++)
        if ((a.ptr[i] | 0x20) != (b[i] | 0x20)) return 0;
    return 1;
}

/* The line starting at *pos (without its CRLF), or INCOMPLETE. */
static clo_err line(clo_bytes in, size_t *pos, size_t limit, clo_bytes *out)
{
    for (size_t i = *pos; i + 1 < in.len; i++) {
        CLO_ENSURE(i - *pos < limit, CLO_E_LIMIT, "http: line too long");
        if (in.ptr[i] == '\r') {
            CLO_ENSURE(in.ptr[i + 1] == '\n', CLO_E_FORMAT, "http: CR without LF");
            *out = CLO_BYTES(in.ptr + *pos, i - *pos);
            *pos = i + 2;
            return CLO_OK;
        }
        CLO_ENSURE(in.ptr[i] != '\n', CLO_E_FORMAT, "http: LF without CR");
    }
    CLO_ENSURE(in.len - *pos <= limit, CLO_E_LIMIT, "http: line too long");
    return INCOMPLETE;
}

static clo_err status_line(clo_bytes l, unsigned *status)
{
    CLO_ENSURE(l.len >= 13 &&
                   (memcmp(l.ptr, "HTTP/1.1 ", 9) == 0 || memcmp(l.ptr, "HTTP/1.0 ", 9) == 0),
               CLO_E_FORMAT, "http: not an HTTP/1.x status line");
    const uint8_t *d = l.ptr + 9;
    CLO_ENSURE(d[0] >= '1' && d[0] <= '5' && d[1] >= '0' && d[1] <= '9' && d[2] >= '0' &&
                   d[2] <= '9' && d[3] == ' ',
               CLO_E_FORMAT, "http: bad status code");
    *status = (unsigned)(d[0] - '0') * 100 + (unsigned)(d[1] - '0') * 10 + (unsigned)(d[2] - '0');
    for (size_t i = 13; i < l.len; i++)
        CLO_ENSURE(l.ptr[i] == '\t' || (l.ptr[i] >= 0x20 && l.ptr[i] != 0x7f), CLO_E_FORMAT,
                   "http: bad reason phrase");
    CLO_ENSURE(*status >= 200, CLO_E_UNSUPPORTED, "http: informational responses are not expected");
    return CLO_OK;
}

static clo_bytes trim(clo_bytes v)
{
    while (v.len && (v.ptr[0] == ' ' || v.ptr[0] == '\t')) v.ptr++, v.len--;
    while (v.len && (v.ptr[v.len - 1] == ' ' || v.ptr[v.len - 1] == '\t')) v.len--;
    return v;
}

static clo_err decimal(clo_bytes v, uint64_t max, uint64_t *out)
{
    CLO_ENSURE(v.len > 0 && v.len <= 19, CLO_E_FORMAT, "http: bad Content-Length");
    uint64_t x = 0;
    for (size_t i = 0; i < v.len; i++) {
        CLO_ENSURE(v.ptr[i] >= '0' && v.ptr[i] <= '9', CLO_E_FORMAT, "http: bad Content-Length");
        x = x * 10 + (uint64_t)(v.ptr[i] - '0');
    }
    CLO_ENSURE(x <= max, CLO_E_LIMIT, "http: body over the limit");
    *out = x;
    return CLO_OK;
}

typedef struct {
    int has_length, chunked;
    uint64_t length;
} framing;

static clo_err header(clo_bytes l, size_t max_body, framing *f, clo_http_response *r)
{
    size_t c = 0;
    while (c < l.len && l.ptr[c] != ':') {
        CLO_ENSURE(is_tchar(l.ptr[c]), CLO_E_FORMAT, "http: bad header name");
        c++;
    }
    CLO_ENSURE(c > 0 && c < l.len, CLO_E_FORMAT, "http: bad header line");
    clo_bytes name = CLO_BYTES(l.ptr, c), v = trim(CLO_BYTES(l.ptr + c + 1, l.len - c - 1));
    for (size_t i = 0; i < v.len; i++)
        CLO_ENSURE(v.ptr[i] == '\t' || (v.ptr[i] >= 0x20 && v.ptr[i] != 0x7f), CLO_E_FORMAT,
                   "http: bad header value");
    if (ieq(name, "content-length")) {
        uint64_t n;
        CLO_TRY(decimal(v, max_body, &n));
        CLO_ENSURE(!f->has_length || f->length == n, CLO_E_FORMAT,
                   "http: Content-Lengths disagree");
        f->has_length = 1;
        f->length = n;
    } else if (ieq(name, "transfer-encoding")) {
        CLO_ENSURE(ieq(v, "chunked") && !f->chunked, CLO_E_UNSUPPORTED,
                   "http: a transfer coding other than chunked");
        f->chunked = 1;
    } else if (ieq(name, "date")) {
        CLO_ENSURE(r->date < 0, CLO_E_FORMAT, "http: Date repeated");
        CLO_TRY(clo_time_parse_http((const char *)v.ptr, v.len, &r->date));
    } else if (ieq(name, "content-type")) {
        r->content_type = v;
    }
    return CLO_OK;
}

/* The chunked body from *pos: into body, or INCOMPLETE. */
static clo_err chunks(clo_bytes in, size_t *pos, size_t max_body, clo_buf *body)
{
    size_t total = 0;
    for (;;) {
        clo_bytes l;
        CLO_TRY(line(in, pos, 1024, &l));
        size_t i = 0;
        uint64_t n = 0;
        for (; i < l.len && i < 9; i++) {
            uint8_t c = l.ptr[i];
            int d = c >= '0' && c <= '9'                       ? c - '0'
                    : ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') ? (c | 0x20) - 'a' + 10
                                                               : -1;
            if (d < 0) break;
            n = n * 16 + (uint64_t)d;
        }
        CLO_ENSURE(i > 0 && i <= 8 &&
                       (i == l.len || l.ptr[i] == ';' || l.ptr[i] == ' ' || l.ptr[i] == '\t'),
                   CLO_E_FORMAT, "http: bad chunk size");
        if (n == 0) break;
        CLO_ENSURE(n <= max_body - total, CLO_E_LIMIT, "http: body over the limit");
        if (in.len - *pos < n + 2) return INCOMPLETE;
        CLO_ENSURE(in.ptr[*pos + n] == '\r' && in.ptr[*pos + n + 1] == '\n', CLO_E_FORMAT,
                   "http: chunk not followed by CRLF");
        CLO_TRY(clo_buf_append(body, in.ptr + *pos, (size_t)n));
        total += (size_t)n;
        *pos += (size_t)n + 2;
    }
    /* trailer fields, then the empty line */
    for (int k = 0;; k++) {
        clo_bytes l;
        CLO_ENSURE(k <= CLO_HTTP_MAX_HEADERS, CLO_E_LIMIT, "http: too many trailer fields");
        CLO_TRY(line(in, pos, CLO_HTTP_MAX_HEAD, &l));
        if (l.len == 0) return CLO_OK;
    }
}

clo_err clo_http_response_parse(clo_bytes in, size_t max_body, clo_http_response *r, clo_buf *body)
{
    size_t pos = 0;
    framing f = {0, 0, 0};
    clo_bytes l;
    clo_err err;
    memset(r, 0, sizeof *r);
    r->date = -1;
    CLO_ENSURE(max_body <= CLO_HTTP_MAX_BODY, CLO_E_ARG, "http: max_body");
    size_t start = body->len;
    err = line(in, &pos, CLO_HTTP_MAX_HEAD, &l);
    if (!err.code) err = status_line(l, &r->status);
    for (int n = 0; !err.code; n++) {
        CLO_ENSURE(pos <= CLO_HTTP_MAX_HEAD, CLO_E_LIMIT, "http: header section over the limit");
        CLO_ENSURE(n <= CLO_HTTP_MAX_HEADERS, CLO_E_LIMIT, "http: too many header fields");
        err = line(in, &pos, CLO_HTTP_MAX_HEAD, &l);
        if (err.code || l.len == 0) break;
        CLO_ENSURE(l.ptr[0] != ' ' && l.ptr[0] != '\t', CLO_E_FORMAT,
                   "http: obsolete line folding");
        err = header(l, max_body, &f, r);
    }
    if (!err.code) {
        CLO_ENSURE(!(f.has_length && f.chunked), CLO_E_FORMAT,
                   "http: both Content-Length and Transfer-Encoding");
        r->chunked = f.chunked;
        if (r->status == 204 || r->status == 304) {
            CLO_ENSURE(!f.chunked && (!f.has_length || f.length == 0), CLO_E_FORMAT,
                       "http: a body on a response that has none");
        } else if (f.chunked) {
            err = chunks(in, &pos, max_body, body);
        } else {
            CLO_ENSURE(f.has_length, CLO_E_UNSUPPORTED,
                       "http: no Content-Length or chunked framing (a body ended by the "
                       "connection's close could be cut short)");
            if (in.len - pos < f.length)
                err = INCOMPLETE;
            else
                err = clo_buf_append(body, in.ptr + pos, (size_t)f.length), pos += (size_t)f.length;
        }
    }
    if (!err.code && pos != in.len) err = CLO_ERR(CLO_E_FORMAT, "http: bytes after the response");
    r->complete = !err.code;
    if (err.code) clo_buf_truncate(body, start);
    if (err.code == CLO_E_STATE && err.what == INCOMPLETE.what) return CLO_OK;
    return err;
}
