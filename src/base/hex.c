/* hex.c — hex codec, constant-time in the data (keys pass through it on the
 * CLI): no table lookups and no branches on digit values. The string-level
 * functions branch only on public structure (length, an "0x" prefix). */
#include "base/hex.h"

#include <string.h>

/* 0-9 -> '0'-'9', 10-15 -> 'a'-'f', by arithmetic (as WireGuard's key encoding). */
static char ct_digit(uint32_t n)
{
    return (char)(87U + n + ((((n - 10U) >> 8) & ~38U) & 0xffU));
}

void clo_hex_encode(char *out, clo_bytes in)
{
    for (size_t i = 0; i < in.len; i++) {
        out[2 * i] = ct_digit(in.ptr[i] >> 4);
        out[2 * i + 1] = ct_digit(in.ptr[i] & 15U);
    }
    out[2 * in.len] = '\0';
}

/* Value of one hex digit; *bad gets 1 OR-ed in for a non-digit. Branch-free. */
static uint32_t ct_nibble(unsigned char c, uint32_t *bad)
{
    uint32_t x = c;
    uint32_t num = x ^ 0x30U;            /* '0'..'9' -> 0..9 */
    uint32_t num_ok = (num - 10U) >> 31; /* 1 iff num < 10 */
    uint32_t alpha = (x & ~0x20U) - 55U; /* 'A'..'F' and 'a'..'f' -> 10..15 */
    uint32_t alpha_ok = (((alpha - 10U) >> 31) ^ 1U) & ((alpha - 16U) >> 31);
    *bad |= (num_ok | alpha_ok) ^ 1U;
    return (num & (0U - num_ok)) | (alpha & (0U - alpha_ok));
}

static clo_err hex_body(const char *hex, const char **body, size_t *n)
{
    CLO_ENSURE(hex != NULL, CLO_E_ARG, "hex string missing");
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex += 2;
    size_t len = strlen(hex);
    CLO_ENSURE(len % 2 == 0, CLO_E_FORMAT, "hex string has odd length");
    *body = hex;
    *n = len / 2;
    return CLO_OK;
}

clo_err clo_hex_decode_digits(uint8_t *dst, const char *digits, size_t n)
{
    uint32_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t hi = ct_nibble((unsigned char)digits[2 * i], &bad);
        uint32_t lo = ct_nibble((unsigned char)digits[2 * i + 1], &bad);
        dst[i] = (uint8_t)(hi << 4 | lo);
    }
    /* Without a branch: zero the output and select the error when any digit was bad. */
    uint8_t keep = (uint8_t)(bad - 1U); /* 0xff if all good, 0 if not */
    for (size_t i = 0; i < n; i++) dst[i] &= keep;
    uintptr_t sel = (uintptr_t)0 - (uintptr_t)bad;
    static const char k_what[] = "hex string has a non-hex character";
    return (clo_err){(clo_code)((uint32_t)CLO_E_FORMAT & (0U - bad)),
                     (const char *)((uintptr_t)k_what & sel)};
}

clo_err clo_hex_decode(clo_buf *out, const char *hex)
{
    const char *body;
    size_t n, start = out->len;
    uint8_t *dst;
    CLO_TRY(hex_body(hex, &body, &n));
    CLO_TRY(clo_buf_extend(out, n, &dst));
    clo_err err = clo_hex_decode_digits(dst, body, n);
    if (err.code) clo_buf_truncate(out, start);
    return err;
}

clo_err clo_hex_decode_fixed(void *dst, size_t n, const char *hex)
{
    const char *body;
    size_t got;
    CLO_TRY(hex_body(hex, &body, &got));
    CLO_ENSURE(got == n, CLO_E_FORMAT, "hex string has the wrong length");
    return clo_hex_decode_digits(dst, body, n);
}
