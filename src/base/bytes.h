/* bytes.h — borrowed byte views, the bounds-checked cursor for untrusted input,
 * and owned bounded buffers.
 *
 * Conventions: a clo_bytes is borrowed (the caller keeps the memory alive).
 * Every read from untrusted input goes through clo_cur; no reader indexes a
 * pointer directly. A clo_buf never grows past its `max`, and wipes what it
 * held when it grows or is freed, so it may carry secrets. */
#ifndef CLO_BASE_BYTES_H
#define CLO_BASE_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct {
    const uint8_t *ptr;
    size_t len;
} clo_bytes;

#define CLO_BYTES(p, n) ((clo_bytes){(const uint8_t *)(p), (n)})
#define CLO_BYTES_EMPTY ((clo_bytes){0, 0})
/* A view of a C string without its terminator. */
clo_bytes clo_bytes_str(const char *s);
/* 1 if the two views hold the same bytes (NOT constant time: public data only). */
int clo_bytes_eq(clo_bytes a, clo_bytes b);
/* Copy untrusted text for logs and messages: at most cap-1 bytes, anything
 * outside printable ASCII as '?', always NUL-terminated (cap > 0). Returns
 * the number of characters written. */
size_t clo_bytes_printable(char *out, size_t cap, clo_bytes in);

/* ---- cursor: reads untrusted bytes, never past the end ---- */
typedef struct {
    clo_bytes in;
    size_t off;
} clo_cur;

static inline clo_cur clo_cur_init(clo_bytes in)
{
    clo_cur c = {in, 0};
    return c;
}
static inline size_t clo_cur_left(const clo_cur *c)
{
    return c->in.len - c->off;
}

CLO_MUST_CHECK clo_err clo_cur_u8(clo_cur *c, uint8_t *out);
CLO_MUST_CHECK clo_err clo_cur_u16be(clo_cur *c, uint16_t *out);
CLO_MUST_CHECK clo_err clo_cur_u32be(clo_cur *c, uint32_t *out);
CLO_MUST_CHECK clo_err clo_cur_u64be(clo_cur *c, uint64_t *out);
CLO_MUST_CHECK clo_err clo_cur_u16le(clo_cur *c, uint16_t *out);
CLO_MUST_CHECK clo_err clo_cur_u32le(clo_cur *c, uint32_t *out);
CLO_MUST_CHECK clo_err clo_cur_u64le(clo_cur *c, uint64_t *out);
/* A view of the next n bytes (no copy); the view borrows the cursor's input. */
CLO_MUST_CHECK clo_err clo_cur_take(clo_cur *c, size_t n, clo_bytes *out);
/* Copy the next n bytes into dst. */
CLO_MUST_CHECK clo_err clo_cur_copy(clo_cur *c, void *dst, size_t n);
CLO_MUST_CHECK clo_err clo_cur_skip(clo_cur *c, size_t n);
/* u8 size | bytes, as a C string in out[cap]: 1 to cap-1 bytes, none NUL
 * (CLO_E_FORMAT naming `what` otherwise). */
CLO_MUST_CHECK clo_err clo_cur_str8(clo_cur *c, char *out, size_t cap, const char *what);
/* Succeeds only if every byte was consumed ("trailing bytes" otherwise). */
CLO_MUST_CHECK clo_err clo_cur_end(const clo_cur *c);

/* ---- bounded growable buffer ---- */
typedef struct {
    uint8_t *ptr;
    size_t len, cap, max;
} clo_buf;

/* An empty buffer that will never hold more than max bytes. Allocates nothing. */
void clo_buf_init(clo_buf *b, size_t max);
/* Wipe the contents and release the memory; the buffer is empty and reusable. */
void clo_buf_free(clo_buf *b);
/* Wipe and forget the contents, keeping the allocation. */
void clo_buf_clear(clo_buf *b);
/* Wipe everything past len and shrink to len (no-op if len >= b->len). Used to
 * undo a partial write on a failure path. */
void clo_buf_truncate(clo_buf *b, size_t len);
CLO_MUST_CHECK clo_err clo_buf_reserve(clo_buf *b, size_t extra);
CLO_MUST_CHECK clo_err clo_buf_append(clo_buf *b, const void *p, size_t n);
CLO_MUST_CHECK clo_err clo_buf_append_bytes(clo_buf *b, clo_bytes v);
CLO_MUST_CHECK clo_err clo_buf_u8(clo_buf *b, uint8_t v);
CLO_MUST_CHECK clo_err clo_buf_u16be(clo_buf *b, uint16_t v);
CLO_MUST_CHECK clo_err clo_buf_u32be(clo_buf *b, uint32_t v);
CLO_MUST_CHECK clo_err clo_buf_u64be(clo_buf *b, uint64_t v);
/* Extend len by n bytes and return a pointer to them (uninitialised) in *out. */
CLO_MUST_CHECK clo_err clo_buf_extend(clo_buf *b, size_t n, uint8_t **out);
static inline clo_bytes clo_buf_view(const clo_buf *b)
{
    return CLO_BYTES(b->ptr, b->len);
}

/* Big-endian stores for fixed layouts. */
static inline void clo_store_u16be(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void clo_store_u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void clo_store_u64be(uint8_t *p, uint64_t v)
{
    clo_store_u32be(p, (uint32_t)(v >> 32));
    clo_store_u32be(p + 4, (uint32_t)v);
}
/* A big-endian load from bytes already bounds-checked (a view of known size). */
static inline uint64_t clo_load_u64be(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

static inline uint32_t clo_load_u32be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint16_t clo_load_u16be(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

#endif
