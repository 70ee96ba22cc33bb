/* timefmt.h — RFC 3339 UTC timestamps <-> Unix seconds, without libc time zones. */
#ifndef CLO_BASE_TIMEFMT_H
#define CLO_BASE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define CLO_TIME_STRING_SIZE 21 /* "YYYY-MM-DDTHH:MM:SSZ" + NUL */

/* Parse "YYYY-MM-DDTHH:MM:SS[.fraction]Z" (UTC only; fraction ignored). */
CLO_MUST_CHECK clo_err clo_time_parse(const char *s, int64_t *out);
/* Parse an HTTP date in IMF-fixdate form (RFC 9110 §5.6.7), exactly len
 * bytes: "Sun, 06 Nov 1994 08:49:37 GMT". The obsolete forms are refused. */
CLO_MUST_CHECK clo_err clo_time_parse_http(const char *s, size_t len, int64_t *out);
/* Format as "YYYY-MM-DDTHH:MM:SSZ" (years 0000-9999). */
void clo_time_format(int64_t t, char out[CLO_TIME_STRING_SIZE]);

#endif
