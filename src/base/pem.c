/* pem.c — PEM framing and base64. */
#include "base/pem.h"

#include <string.h>

static int b64_value(uint8_t ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

static int is_space(uint8_t ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

clo_err clo_base64_decode(clo_buf *out, clo_bytes in)
{
    uint32_t acc = 0;
    size_t nq = 0, pad = 0, start = out->len;
    clo_err err = CLO_OK;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t ch = in.ptr[i];
        if (is_space(ch)) continue;
        if (ch == '=') {
            pad++;
            CLO_FAIL_IF(pad > 2 || nq < 2, CLO_E_FORMAT, "base64: misplaced padding");
            acc <<= 6;
            nq++;
        } else {
            int v = b64_value(ch);
            CLO_FAIL_IF(v < 0, CLO_E_FORMAT, "base64: invalid character");
            CLO_FAIL_IF(pad > 0, CLO_E_FORMAT, "base64: data after padding");
            acc = acc << 6 | (uint32_t)v;
            nq++;
        }
        if (nq == 4) {
            uint8_t bytes[3] = {(uint8_t)(acc >> 16), (uint8_t)(acc >> 8), (uint8_t)acc};
            /* canonical: bits under the padding must be zero */
            CLO_FAIL_IF((pad == 1 && bytes[2]) || (pad == 2 && (bytes[1] || bytes[2])),
                        CLO_E_FORMAT, "base64: non-canonical padding bits");
            CLO_CHECK(clo_buf_append(out, bytes, 3 - pad));
            acc = 0;
            nq = 0;
            if (pad) pad = 3; /* nothing may follow a padded quantum: both checks above fire */
        }
    }
    CLO_FAIL_IF(nq != 0, CLO_E_FORMAT, "base64: truncated quantum");
out:
    if (err.code) clo_buf_truncate(out, start);
    return err;
}

/* Find `needle` in [from, in.len); returns the offset or in.len. */
static size_t find(clo_bytes in, size_t from, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = from; i + n <= in.len; i++)
        if (memcmp(in.ptr + i, needle, n) == 0) return i;
    return in.len;
}

int clo_pem_is(clo_bytes in)
{
    size_t i = 0;
    while (i < in.len && is_space(in.ptr[i])) i++;
    return in.len - i >= 11 && memcmp(in.ptr + i, "-----BEGIN ", 11) == 0;
}

clo_err clo_pem_next(clo_cur *c, char label[CLO_PEM_LABEL_MAX], clo_buf *der, int *found)
{
    clo_bytes in = c->in;
    *found = 0;
    size_t b = find(in, c->off, "-----BEGIN ");
    if (b == in.len) {
        c->off = in.len;
        return CLO_OK;
    }
    size_t ls = b + 11, le = find(in, ls, "-----");
    CLO_ENSURE(le < in.len, CLO_E_FORMAT, "pem: unterminated BEGIN line");
    size_t llen = le - ls;
    CLO_ENSURE(llen > 0 && llen < CLO_PEM_LABEL_MAX, CLO_E_FORMAT, "pem: bad label");
    for (size_t i = ls; i < le; i++)
        CLO_ENSURE(in.ptr[i] >= 0x20 && in.ptr[i] < 0x7f, CLO_E_FORMAT, "pem: bad label");
    memcpy(label, in.ptr + ls, llen);
    label[llen] = '\0';
    size_t body = le + 5;
    char end_line[CLO_PEM_LABEL_MAX + 16] = "-----END ";
    memcpy(end_line + 9, label, llen);
    memcpy(end_line + 9 + llen, "-----", 6);
    size_t e = find(in, body, end_line);
    CLO_ENSURE(e < in.len, CLO_E_FORMAT, "pem: missing END line");
    CLO_TRY(clo_base64_decode(der, CLO_BYTES(in.ptr + body, e - body)));
    c->off = e + strlen(end_line);
    *found = 1;
    return CLO_OK;
}

clo_err clo_pem_foreach(clo_bytes text, clo_pem_fn fn, void *ctx, size_t *count)
{
    clo_cur c = clo_cur_init(text);
    clo_err err = CLO_OK;
    *count = 0;
    for (;;) {
        char label[CLO_PEM_LABEL_MAX];
        clo_buf der;
        int found;
        clo_buf_init(&der, (size_t)1 << 20);
        err = clo_pem_next(&c, label, &der, &found);
        if (!err.code && found) {
            err = fn(ctx, label, clo_buf_view(&der));
            (*count)++;
        }
        clo_buf_free(&der);
        if (err.code || !found) return err;
    }
}
