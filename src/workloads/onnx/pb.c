/* pb.c — protocol buffers wire-format reader. */
#include "workloads/onnx/pb.h"

clo_err clo_pb_varint(clo_cur *c, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 10; i++) {
        uint8_t b;
        CLO_TRY(clo_cur_u8(c, &b));
        /* The 10th byte may only carry the top bit of a 64-bit value. */
        CLO_ENSURE(i < 9 || b <= 1, CLO_E_FORMAT, "pb: varint over 64 bits");
        v |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *out = v;
            return CLO_OK;
        }
    }
    return CLO_ERR(CLO_E_FORMAT, "pb: varint over 10 bytes");
}

clo_err clo_pb_next(clo_cur *c, clo_pb_field *f, int *done)
{
    uint64_t key, len;
    *done = clo_cur_left(c) == 0;
    if (*done) return CLO_OK;
    CLO_TRY(clo_pb_varint(c, &key));
    CLO_ENSURE(key >> 3 >= 1 && key >> 3 <= 536870911u, CLO_E_FORMAT, "pb: field number");
    f->field = (uint32_t)(key >> 3);
    f->wire = (uint8_t)(key & 7);
    f->v = 0;
    f->b = CLO_BYTES(NULL, 0);
    switch (f->wire) {
    case CLO_PB_VARINT: return clo_pb_varint(c, &f->v);
    case CLO_PB_I64: return clo_cur_u64le(c, &f->v);
    case CLO_PB_I32: {
        uint32_t x;
        CLO_TRY(clo_cur_u32le(c, &x));
        f->v = x;
        return CLO_OK;
    }
    case CLO_PB_LEN:
        CLO_TRY(clo_pb_varint(c, &len));
        CLO_ENSURE(len <= clo_cur_left(c), CLO_E_FORMAT, "pb: length past the message");
        return clo_cur_take(c, (size_t)len, &f->b);
    default: return CLO_ERR(CLO_E_FORMAT, "pb: wire type (groups are not supported)");
    }
}

clo_err clo_pb_packed_varints(clo_bytes b, int64_t *out, size_t cap, size_t *n)
{
    clo_cur c = clo_cur_init(b);
    *n = 0;
    while (clo_cur_left(&c)) {
        uint64_t v;
        CLO_TRY(clo_pb_varint(&c, &v));
        if (out) {
            CLO_ENSURE(*n < cap, CLO_E_LIMIT, "pb: packed field over its capacity");
            out[*n] = (int64_t)v;
        }
        (*n)++;
    }
    return CLO_OK;
}

clo_err clo_pb_packed_fixed32(clo_bytes b, size_t *n)
{
    CLO_ENSURE(b.len % 4 == 0, CLO_E_FORMAT, "pb: packed 32-bit field size");
    *n = b.len / 4;
    return CLO_OK;
}
