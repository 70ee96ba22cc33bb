/* der.c — strict DER reader. */
#include "base/der.h"

clo_err clo_der_next(clo_cur *c, clo_der *out)
{
    size_t start = c->off;
    uint8_t tag, l0;
    size_t len = 0;
    CLO_TRY(clo_cur_u8(c, &tag));
    CLO_ENSURE((tag & 0x1f) != 0x1f, CLO_E_FORMAT, "der: multi-byte tag");
    CLO_TRY(clo_cur_u8(c, &l0));
    if (l0 < 0x80) {
        len = l0;
    } else {
        size_t n = l0 & 0x7f;
        CLO_ENSURE(n >= 1 && n <= 4, CLO_E_FORMAT, "der: indefinite or oversized length");
        for (size_t i = 0; i < n; i++) {
            uint8_t b;
            CLO_TRY(clo_cur_u8(c, &b));
            CLO_ENSURE(i > 0 || b != 0, CLO_E_FORMAT, "der: length has a leading zero");
            len = len << 8 | b;
        }
        CLO_ENSURE(len >= 0x80, CLO_E_FORMAT, "der: long form for a short length");
    }
    CLO_TRY(clo_cur_take(c, len, &out->body));
    out->tag = tag;
    out->all = CLO_BYTES(c->in.ptr + start, c->off - start);
    return CLO_OK;
}

clo_err clo_der_expect(clo_cur *c, uint8_t tag, clo_der *out)
{
    size_t start = c->off;
    CLO_TRY(clo_der_next(c, out));
    if (out->tag != tag) {
        c->off = start;
        return CLO_ERR(CLO_E_FORMAT, "der: unexpected tag");
    }
    return CLO_OK;
}

clo_err clo_der_uint(const clo_der *d, uint64_t *out)
{
    const clo_bytes b = d->body;
    CLO_ENSURE(d->tag == CLO_DER_INTEGER || d->tag == CLO_DER_ENUMERATED, CLO_E_FORMAT,
               "der: not an integer");
    CLO_ENSURE(b.len >= 1, CLO_E_FORMAT, "der: empty integer");
    CLO_ENSURE((b.ptr[0] & 0x80) == 0, CLO_E_FORMAT, "der: negative integer");
    CLO_ENSURE(b.len == 1 || b.ptr[0] != 0 || (b.ptr[1] & 0x80), CLO_E_FORMAT,
               "der: integer not minimally encoded");
    CLO_ENSURE(b.len <= 8 || (b.len == 9 && b.ptr[0] == 0), CLO_E_LIMIT, "der: integer too large");
    uint64_t v = 0;
    for (size_t i = 0; i < b.len; i++) v = v << 8 | b.ptr[i];
    *out = v;
    return CLO_OK;
}

int clo_der_oid_eq(const clo_der *d, clo_bytes oid)
{
    return d->tag == CLO_DER_OID && clo_bytes_eq(d->body, oid);
}

clo_err clo_der_put(clo_buf *b, uint8_t tag, clo_bytes body)
{
    uint8_t hdr[6];
    size_t n = 0;
    CLO_ENSURE(body.len <= 0xffffffffu, CLO_E_LIMIT, "der: body too large");
    hdr[n++] = tag;
    if (body.len < 0x80) {
        hdr[n++] = (uint8_t)body.len;
    } else {
        int bytes = body.len > 0xffffff ? 4 : body.len > 0xffff ? 3 : body.len > 0xff ? 2 : 1;
        hdr[n++] = (uint8_t)(0x80 | bytes);
        for (int i = bytes - 1; i >= 0; i--) hdr[n++] = (uint8_t)(body.len >> (8 * i));
    }
    CLO_TRY(clo_buf_append(b, hdr, n));
    return clo_buf_append_bytes(b, body);
}

clo_err clo_der_put_uint(clo_buf *b, uint8_t tag, uint64_t v)
{
    uint8_t be[9];
    size_t n = 0;
    int started = 0;
    for (int i = 7; i >= 0; i--) {
        uint8_t byte = (uint8_t)(v >> (8 * i));
        if (!started && byte == 0 && i > 0) continue;
        if (!started && (byte & 0x80)) be[n++] = 0; /* keep it non-negative */
        started = 1;
        be[n++] = byte;
    }
    return clo_der_put(b, tag, CLO_BYTES(be, n));
}
