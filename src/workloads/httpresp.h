/* httpresp.h — the HTTP/1.1 responses an enclave reads from the sources it
 * fetches (issue 20): untrusted bytes, parsed strictly and bounded.
 *
 *   status line  "HTTP/1.1" or "HTTP/1.0", SP, three digits (200..599), SP, reason, CRLF
 *   headers      name ":" OWS value OWS CRLF, at most CLO_HTTP_MAX_HEADERS of them in
 *                CLO_HTTP_MAX_HEAD bytes; no obs-fold; names are tokens
 *   framing      Content-Length (one value, repeats must agree) or
 *                Transfer-Encoding: chunked (alone); both at once is refused (a
 *                smuggling shape), as is neither when a body may follow: a body
 *                delimited by the connection's close could be cut by the host
 *   chunked      hex size (no sign, at most 8 digits) [; extensions] CRLF data CRLF ...
 *                0 CRLF, trailer fields, CRLF
 *   Date         IMF-fixdate, when present (base/timefmt.h)
 * The parser takes what has arrived so far: a valid prefix is "incomplete",
 * anything that can never become a valid response is an error; bytes after
 * the response's end are an error too. */
#ifndef CLO_WORKLOADS_HTTPRESP_H
#define CLO_WORKLOADS_HTTPRESP_H

#include "base/bytes.h"

#define CLO_HTTP_MAX_HEAD    (16u * 1024)
#define CLO_HTTP_MAX_HEADERS 100
#define CLO_HTTP_MAX_BODY    (1u << 20)

typedef struct {
    int complete;    /* 0: a valid prefix; wait for more bytes */
    unsigned status; /* 200..599 */
    int64_t date;    /* Unix seconds of the Date header; -1 when absent */
    int chunked;
    clo_bytes content_type; /* a view into the input; empty when absent */
} clo_http_response;

/* Parse `in` (everything received so far). On CLO_OK with complete = 1, the
 * body (de-chunked, at most max_body bytes, max_body <= CLO_HTTP_MAX_BODY) is in
 * *body, appended to an initialised buffer. */
CLO_MUST_CHECK clo_err clo_http_response_parse(clo_bytes in, size_t max_body,
                                               clo_http_response *out, clo_buf *body);

#endif
