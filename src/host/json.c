/* json.c — see json.h. */
#include "host/json.h"

#include <stdlib.h>

#include "base/ct.h"
#include "base/hex.h"

json_t *clo_json_hex(clo_bytes v, int prefix)
{
    size_t cap = 2 * v.len + 3;
    char *s = malloc(cap);
    if (!s) abort();
    size_t o = 0;
    if (prefix) s[o++] = '0', s[o++] = 'x';
    clo_hex_encode(s + o, v);
    json_t *j = json_string(s);
    clo_wipe(s, cap);
    free(s);
    return j;
}
