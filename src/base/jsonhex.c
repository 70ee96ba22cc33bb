/* jsonhex.c — "0x" hex strings for JSON (jsonhex.h). */
#include "base/jsonhex.h"

#include <stdlib.h>

#include "base/ct.h"
#include "base/hex.h"

json_t *clo_json_hex(clo_bytes v)
{
    size_t cap = 2 * v.len + 3;
    char *s = malloc(cap);
    if (!s) return NULL;
    s[0] = '0', s[1] = 'x';
    clo_hex_encode(s + 2, v);
    json_t *j = json_string(s);
    clo_wipe(s, cap);
    free(s);
    return j;
}
