/* hex.c — hex codec. */
#include "base/hex.h"

#include <string.h>

void clo_hex_encode(char *out, clo_bytes in)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < in.len; i++) {
        out[2 * i] = digits[in.ptr[i] >> 4];
        out[2 * i + 1] = digits[in.ptr[i] & 15];
    }
    out[2 * in.len] = '\0';
}

static int nibble(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static clo_err hex_body(const char *hex, const char **body, size_t *n)
{
    CLO_ENSURE(hex != NULL, CLO_E_ARG, "hex string missing");
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex += 2;
    size_t len = strlen(hex);
    CLO_ENSURE(len % 2 == 0, CLO_E_FORMAT, "hex string has odd length");
    for (size_t i = 0; i < len; i++)
        CLO_ENSURE(nibble(hex[i]) >= 0, CLO_E_FORMAT, "hex string has a non-hex character");
    *body = hex;
    *n = len / 2;
    return CLO_OK;
}

static void hex_fill(uint8_t *dst, const char *body, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)(nibble(body[2 * i]) << 4 | nibble(body[2 * i + 1]));
}

clo_err clo_hex_decode(clo_buf *out, const char *hex)
{
    const char *body;
    size_t n;
    uint8_t *dst;
    CLO_TRY(hex_body(hex, &body, &n));
    CLO_TRY(clo_buf_extend(out, n, &dst));
    hex_fill(dst, body, n);
    return CLO_OK;
}

clo_err clo_hex_decode_fixed(void *dst, size_t n, const char *hex)
{
    const char *body;
    size_t got;
    CLO_TRY(hex_body(hex, &body, &got));
    CLO_ENSURE(got == n, CLO_E_FORMAT, "hex string has the wrong length");
    hex_fill(dst, body, n);
    return CLO_OK;
}
