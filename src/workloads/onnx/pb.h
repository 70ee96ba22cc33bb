/* pb.h — a bounds-checked reader of the protocol buffers wire format, as
 * much of it as ONNX files use: varints (wire type 0), 64-bit (1),
 * length-delimited (2) and 32-bit (5) fields. Groups (3, 4) are refused.
 * Every read stays inside its message; a length that runs past it, a varint
 * of more than 10 bytes or a field number of 0 is CLO_E_FORMAT. Nothing is
 * allocated: byte fields are views into the input. Untrusted input (models
 * come from their owners): fuzzed through fuzz/onnx_model_fuzz.c. */
#ifndef CLO_WORKLOADS_ONNX_PB_H
#define CLO_WORKLOADS_ONNX_PB_H

#include "base/bytes.h"

enum { CLO_PB_VARINT = 0, CLO_PB_I64 = 1, CLO_PB_LEN = 2, CLO_PB_I32 = 5 };

typedef struct {
    uint32_t field;
    uint8_t wire;
    uint64_t v;  /* varint, or the raw bits of a fixed field */
    clo_bytes b; /* length-delimited */
} clo_pb_field;

/* The next field of the message at the cursor; *done = 1 at its end. */
CLO_MUST_CHECK clo_err clo_pb_next(clo_cur *c, clo_pb_field *f, int *done);
/* A varint read from c (exposed for packed repeated fields). */
CLO_MUST_CHECK clo_err clo_pb_varint(clo_cur *c, uint64_t *out);
/* Count and read the elements of a packed repeated field: varints (int32,
 * int64, enums; out may be NULL to count) or fixed 32-bit values (floats). */
CLO_MUST_CHECK clo_err clo_pb_packed_varints(clo_bytes b, int64_t *out, size_t cap, size_t *n);
CLO_MUST_CHECK clo_err clo_pb_packed_fixed32(clo_bytes b, size_t *n);

#endif
