/* hex.h — lowercase hex encoding and strict decoding (public data and CLI I/O). */
#ifndef CLO_BASE_HEX_H
#define CLO_BASE_HEX_H

#include <stddef.h>

#include "base/bytes.h"

/* Write 2*in.len hex digits and a NUL to out (which holds 2*in.len+1 bytes). */
void clo_hex_encode(char *out, clo_bytes in);
/* Decode hex (an optional "0x" prefix, even length, [0-9a-fA-F] only) and append to out. */
CLO_MUST_CHECK clo_err clo_hex_decode(clo_buf *out, const char *hex);
/* Decode exactly 2n hex digits (no prefix, no terminator needed) into n bytes,
 * with no branch on the data; on any non-hex digit dst is zeroed and the result
 * is CLO_E_FORMAT. */
CLO_MUST_CHECK clo_err clo_hex_decode_digits(uint8_t *dst, const char *digits, size_t n);
/* Decode exactly n bytes into dst. */
CLO_MUST_CHECK clo_err clo_hex_decode_fixed(void *dst, size_t n, const char *hex);

#endif
