/* json.h — the one hex-string encoder for JSON documents (API answers, CLI
 * output). The temporary string is wiped: some callers print secrets (keys
 * from `hpke keygen`, reply keys). Parse hex with clo_hex_decode_fixed, which
 * already takes an optional 0x prefix and checks the exact length. */
#ifndef CLO_HOST_JSON_H
#define CLO_HOST_JSON_H

#include <jansson.h>

#include "base/bytes.h"

/* A JSON string of v in lowercase hex, always "0x"-prefixed: every hex value
 * in Cloister's JSON looks the same. */
json_t *clo_json_hex(clo_bytes v);

#endif
