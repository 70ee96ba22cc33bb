/* jsonpath.h — one number out of a JSON document an enclave fetched (issue
 * 20), as a fixed-point integer.
 *
 * A path is "$" then segments: ".name" (name: letters, digits, '_' and '-'),
 * or "[n]" (an array index, decimal), or '["name"]' (any name without '"' or
 * '\'); at most CLO_JSONPATH_MAX_SEGMENTS. The document must be valid JSON
 * throughout (base/jsonraw.h validates all it walks); a member named twice on
 * the path is refused. The value found must be a JSON number, or a string
 * holding one (many price APIs quote their numbers): sign, digits, optional
 * fraction, optional exponent. It is scaled by 10^decimals and truncated
 * toward zero; a value outside int64 is CLO_E_LIMIT. */
#ifndef CLO_WORKLOADS_JSONPATH_H
#define CLO_WORKLOADS_JSONPATH_H

#include "base/bytes.h"

#define CLO_JSONPATH_MAX_SEGMENTS 16
#define CLO_JSONPATH_MAX_LEN      256

/* Whether `path` is well formed (checked before any document is read). */
CLO_MUST_CHECK clo_err clo_jsonpath_check(const char *path);
/* The value at `path` in `doc`, times 10^decimals (0..18). */
CLO_MUST_CHECK clo_err clo_jsonpath_decimal(clo_bytes doc, const char *path, unsigned decimals,
                                            int64_t *out);

#endif
