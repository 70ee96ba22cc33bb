/* rlp.c — canonical RLP encoding and decoding. */
#include "chain/rlp.h"

#include <string.h>

/* Header for a payload of len bytes: short form base+len below 56, else
 * base+55+len_of_len then the length big-endian. Returns the header size. */
static size_t rlp_header(uint8_t hdr[9], uint8_t base, size_t len)
{
    if (len < 56) {
        hdr[0] = (uint8_t)(base + len);
        return 1;
    }
    size_t n = 0;
    for (size_t v = len; v; v >>= 8) n++;
    hdr[0] = (uint8_t)(base + 55 + n);
    for (size_t i = 0; i < n; i++) hdr[n - i] = (uint8_t)(len >> (8 * i));
    return 1 + n;
}

clo_err clo_rlp_put_bytes(clo_buf *out, clo_bytes v)
{
    if (v.len == 1 && v.ptr[0] < 0x80) return clo_buf_u8(out, v.ptr[0]);
    uint8_t hdr[9];
    size_t n = rlp_header(hdr, 0x80, v.len), mark = out->len;
    CLO_TRY(clo_buf_append(out, hdr, n));
    clo_err err = clo_buf_append_bytes(out, v);
    if (err.code) clo_buf_truncate(out, mark);
    return err;
}

clo_err clo_rlp_put_uint_be(clo_buf *out, clo_bytes be)
{
    size_t i = 0;
    while (i < be.len && be.ptr[i] == 0) i++;
    return clo_rlp_put_bytes(out, CLO_BYTES(be.ptr + i, be.len - i));
}

clo_err clo_rlp_put_u64(clo_buf *out, uint64_t v)
{
    uint8_t be[8];
    clo_store_u64be(be, v);
    return clo_rlp_put_uint_be(out, CLO_BYTES(be, 8));
}

clo_err clo_rlp_put_raw(clo_buf *out, clo_bytes encoded)
{
    return clo_buf_append_bytes(out, encoded);
}

clo_err clo_rlp_list_open(clo_buf *out, size_t *mark)
{
    *mark = out->len;
    return CLO_OK;
}

clo_err clo_rlp_list_close(clo_buf *out, size_t mark)
{
    CLO_ENSURE(mark <= out->len, CLO_E_ARG, "rlp.list_mark");
    uint8_t hdr[9];
    size_t len = out->len - mark, n = rlp_header(hdr, 0xc0, len);
    uint8_t *tail;
    CLO_TRY(clo_buf_extend(out, n, &tail));
    memmove(out->ptr + mark + n, out->ptr + mark, len);
    memcpy(out->ptr + mark, hdr, n);
    return CLO_OK;
}

/* A big-endian length of n (1..8) bytes without a leading zero. */
static clo_err rlp_read_len(clo_cur *c, size_t n, size_t *out)
{
    clo_bytes b;
    CLO_ENSURE(n <= sizeof(size_t), CLO_E_LIMIT, "rlp.length");
    CLO_TRY(clo_cur_take(c, n, &b));
    CLO_ENSURE(b.ptr[0] != 0, CLO_E_FORMAT, "rlp.length_leading_zero");
    size_t v = 0;
    for (size_t i = 0; i < n; i++) v = (v << 8) | b.ptr[i];
    CLO_ENSURE(v >= 56, CLO_E_FORMAT, "rlp.long_form_for_short");
    *out = v;
    return CLO_OK;
}

clo_err clo_rlp_next(clo_cur *c, clo_rlp_item *out)
{
    size_t start = c->off, len;
    uint8_t b;
    CLO_TRY(clo_cur_u8(c, &b));
    out->is_list = b >= 0xc0;
    if (b < 0x80) {
        out->payload = CLO_BYTES(c->in.ptr + start, 1);
        out->raw = out->payload;
        return CLO_OK;
    }
    if (b <= 0xb7)
        len = b - 0x80;
    else if (b < 0xc0)
        CLO_TRY(rlp_read_len(c, (size_t)b - 0xb7, &len));
    else if (b <= 0xf7)
        len = b - 0xc0;
    else
        CLO_TRY(rlp_read_len(c, (size_t)b - 0xf7, &len));
    CLO_ENSURE(len <= clo_cur_left(c), CLO_E_FORMAT, "rlp.truncated");
    CLO_TRY(clo_cur_take(c, len, &out->payload));
    CLO_ENSURE(out->is_list || b != 0x81 || out->payload.ptr[0] >= 0x80, CLO_E_FORMAT,
               "rlp.single_byte_wrapped");
    out->raw = CLO_BYTES(c->in.ptr + start, c->off - start);
    return CLO_OK;
}

static clo_err rlp_validate(const clo_rlp_item *item, int depth)
{
    if (!item->is_list) return CLO_OK;
    CLO_ENSURE(depth < CLO_RLP_MAX_DEPTH, CLO_E_LIMIT, "rlp.depth");
    clo_cur c = clo_cur_init(item->payload);
    while (clo_cur_left(&c)) {
        clo_rlp_item child;
        CLO_TRY(clo_rlp_next(&c, &child));
        CLO_TRY(rlp_validate(&child, depth + 1));
    }
    return CLO_OK;
}

clo_err clo_rlp_validate(const clo_rlp_item *item)
{
    return rlp_validate(item, 0);
}

clo_err clo_rlp_decode(clo_bytes in, clo_rlp_item *out)
{
    clo_cur c = clo_cur_init(in);
    CLO_TRY(clo_rlp_next(&c, out));
    CLO_TRY(clo_cur_end(&c));
    return clo_rlp_validate(out);
}

clo_err clo_rlp_get_uint(const clo_rlp_item *item, uint8_t *out, size_t max_size)
{
    CLO_ENSURE(!item->is_list, CLO_E_FORMAT, "rlp.integer_is_list");
    clo_bytes p = item->payload;
    CLO_ENSURE(p.len == 0 || p.ptr[0] != 0, CLO_E_FORMAT, "rlp.integer_leading_zero");
    CLO_ENSURE(p.len <= max_size, CLO_E_LIMIT, "rlp.integer_too_large");
    memset(out, 0, max_size - p.len);
    if (p.len) memcpy(out + max_size - p.len, p.ptr, p.len);
    return CLO_OK;
}

clo_err clo_rlp_get_u64(const clo_rlp_item *item, uint64_t *out)
{
    uint8_t be[8];
    CLO_TRY(clo_rlp_get_uint(item, be, 8));
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | be[i];
    *out = v;
    return CLO_OK;
}

clo_err clo_rlp_get_fixed(const clo_rlp_item *item, uint8_t *out, size_t n)
{
    CLO_ENSURE(!item->is_list, CLO_E_FORMAT, "rlp.fixed_is_list");
    CLO_ENSURE(item->payload.len == n, CLO_E_FORMAT, "rlp.fixed_size");
    if (n) memcpy(out, item->payload.ptr, n);
    return CLO_OK;
}
