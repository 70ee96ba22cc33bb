/* bytes.c — views, cursor and bounded buffers. */
#include "base/bytes.h"

#include <stdlib.h>
#include <string.h>

#include "base/ct.h"

clo_bytes clo_bytes_str(const char *s)
{
    return CLO_BYTES(s, s ? strlen(s) : 0);
}

int clo_bytes_eq(clo_bytes a, clo_bytes b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

size_t clo_bytes_printable(char *out, size_t cap, clo_bytes in)
{
    size_t n = 0;
    if (cap == 0) return 0;
    for (; n < in.len && n + 1 < cap; n++) {
        uint8_t c = in.ptr[n];
        out[n] = (char)(c >= 0x20 && c < 0x7f ? c : '?');
    }
    out[n] = '\0';
    return n;
}

/* ---- cursor ---- */

clo_err clo_cur_take(clo_cur *c, size_t n, clo_bytes *out)
{
    CLO_ENSURE(n <= clo_cur_left(c), CLO_E_FORMAT, "truncated input");
    *out = CLO_BYTES(c->in.ptr + c->off, n);
    c->off += n;
    return CLO_OK;
}

clo_err clo_cur_copy(clo_cur *c, void *dst, size_t n)
{
    clo_bytes v;
    CLO_TRY(clo_cur_take(c, n, &v));
    if (n) memcpy(dst, v.ptr, n);
    return CLO_OK;
}

clo_err clo_cur_str8(clo_cur *c, char *out, size_t cap, const char *what)
{
    uint8_t n;
    clo_bytes v;
    CLO_TRY(clo_cur_u8(c, &n));
    CLO_ENSURE(n >= 1 && n < cap, CLO_E_FORMAT, what);
    CLO_TRY(clo_cur_take(c, n, &v));
    CLO_ENSURE(!memchr(v.ptr, 0, n), CLO_E_FORMAT, what);
    memcpy(out, v.ptr, n);
    out[n] = 0;
    return CLO_OK;
}

clo_err clo_cur_skip(clo_cur *c, size_t n)
{
    clo_bytes v;
    return clo_cur_take(c, n, &v);
}

clo_err clo_cur_end(const clo_cur *c)
{
    CLO_ENSURE(clo_cur_left(c) == 0, CLO_E_FORMAT, "trailing bytes");
    return CLO_OK;
}

static clo_err cur_uint(clo_cur *c, size_t n, int big_endian, uint64_t *out)
{
    clo_bytes v;
    CLO_TRY(clo_cur_take(c, n, &v));
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        size_t idx = big_endian ? i : n - 1 - i;
        x = (x << 8) | v.ptr[idx];
    }
    *out = x;
    return CLO_OK;
}

clo_err clo_cur_u8(clo_cur *c, uint8_t *out)
{
    uint64_t x;
    CLO_TRY(cur_uint(c, 1, 1, &x));
    *out = (uint8_t)x;
    return CLO_OK;
}

#define CUR_UINT_FN(name, T, n, be)                                                                \
    clo_err name(clo_cur *c, T *out)                                                               \
    {                                                                                              \
        uint64_t x;                                                                                \
        CLO_TRY(cur_uint(c, n, be, &x));                                                           \
        *out = (T)x;                                                                               \
        return CLO_OK;                                                                             \
    }
CUR_UINT_FN(clo_cur_u16be, uint16_t, 2, 1)
CUR_UINT_FN(clo_cur_u32be, uint32_t, 4, 1)
CUR_UINT_FN(clo_cur_u64be, uint64_t, 8, 1)
CUR_UINT_FN(clo_cur_u16le, uint16_t, 2, 0)
CUR_UINT_FN(clo_cur_u32le, uint32_t, 4, 0)
CUR_UINT_FN(clo_cur_u64le, uint64_t, 8, 0)

/* ---- buffer ---- */

void clo_buf_init(clo_buf *b, size_t max)
{
    b->ptr = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void clo_buf_free(clo_buf *b)
{
    clo_wipe(b->ptr, b->cap);
    free(b->ptr);
    b->ptr = NULL;
    b->len = b->cap = 0;
}

void clo_buf_clear(clo_buf *b)
{
    clo_wipe(b->ptr, b->cap);
    b->len = 0;
}

void clo_buf_truncate(clo_buf *b, size_t len)
{
    if (len >= b->len) return;
    clo_wipe(b->ptr + len, b->len - len);
    b->len = len;
}

clo_err clo_buf_reserve(clo_buf *b, size_t extra)
{
    CLO_ENSURE(extra <= b->max && b->len <= b->max - extra, CLO_E_LIMIT, "buffer maximum");
    size_t need = b->len + extra;
    /* After a successful reserve ptr is never NULL, even for 0 bytes: callers may
     * form ptr + len without a NULL + 0 (undefined behaviour). */
    if (need <= b->cap && b->ptr) return CLO_OK;
    size_t cap = b->cap ? b->cap : (b->max < 64 ? (b->max ? b->max : 1) : 64);
    while (cap < need) cap = cap > b->max / 2 ? b->max : cap * 2;
    /* Not realloc: the old block may hold secrets and must be wiped before release. */
    uint8_t *p = malloc(cap);
    CLO_ENSURE(p != NULL, CLO_E_NOMEM, "buffer allocation");
    if (b->len) memcpy(p, b->ptr, b->len);
    clo_wipe(b->ptr, b->cap);
    free(b->ptr);
    b->ptr = p;
    b->cap = cap;
    return CLO_OK;
}

clo_err clo_buf_extend(clo_buf *b, size_t n, uint8_t **out)
{
    CLO_TRY(clo_buf_reserve(b, n));
    *out = b->ptr + b->len;
    b->len += n;
    return CLO_OK;
}

clo_err clo_buf_append(clo_buf *b, const void *p, size_t n)
{
    uint8_t *dst;
    if (n == 0) return CLO_OK;
    CLO_TRY(clo_buf_extend(b, n, &dst));
    memcpy(dst, p, n);
    return CLO_OK;
}

clo_err clo_buf_append_bytes(clo_buf *b, clo_bytes v)
{
    return clo_buf_append(b, v.ptr, v.len);
}

clo_err clo_buf_u8(clo_buf *b, uint8_t v)
{
    return clo_buf_append(b, &v, 1);
}

clo_err clo_buf_u16be(clo_buf *b, uint16_t v)
{
    uint8_t t[2];
    clo_store_u16be(t, v);
    return clo_buf_append(b, t, sizeof t);
}

clo_err clo_buf_u32be(clo_buf *b, uint32_t v)
{
    uint8_t t[4];
    clo_store_u32be(t, v);
    return clo_buf_append(b, t, sizeof t);
}

clo_err clo_buf_u64be(clo_buf *b, uint64_t v)
{
    uint8_t t[8];
    clo_store_u64be(t, v);
    return clo_buf_append(b, t, sizeof t);
}
