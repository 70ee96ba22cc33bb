/* jsonhex.h — the one hex encoder for JSON: a "0x"-prefixed lowercase hex
 * string, as JSON-RPC, the node's API, the verdict document, the CLI and the
 * logs write every byte string. Parse with clo_hex_decode_fixed (base/hex.h;
 * the 0x is optional there). In clo_base_json: base's one part that needs
 * jansson. */
#ifndef CLO_BASE_JSONHEX_H
#define CLO_BASE_JSONHEX_H

#include <jansson.h>

#include "base/bytes.h"

/* NULL only when out of memory. The temporary text is wiped (some callers
 * print secrets: `hpke keygen`, reply keys). */
json_t *clo_json_hex(clo_bytes v);

#endif
