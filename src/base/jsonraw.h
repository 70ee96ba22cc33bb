/* jsonraw.h — locate a member of a JSON object as raw bytes.
 * Intel signs TCB Info and QE Identity over the exact bytes of the inner
 * object, so the verifier must find that span without re-serialising it. The
 * scanner validates the JSON syntax of everything it walks (strings and their
 * escapes, numbers, literals, nesting up to 64 levels). */
#ifndef CLO_BASE_JSONRAW_H
#define CLO_BASE_JSONRAW_H

#include "base/bytes.h"

/* `text` must be exactly one JSON object (surrounding whitespace allowed). On
 * success *value is the raw text of the member `key` of that object. A missing
 * key is CLO_E_FORMAT ("json: member absent"), a repeated one too. */
CLO_MUST_CHECK clo_err clo_json_member_raw(clo_bytes text, const char *key, clo_bytes *value);
/* The same for arrays: `text` must be exactly one JSON array; *value is the
 * raw text of element `index` (from 0). CLO_E_FORMAT ("json: no such element")
 * past the end. */
CLO_MUST_CHECK clo_err clo_json_element_raw(clo_bytes text, size_t index, clo_bytes *value);

#endif
