/* http.h — a plain JSON-over-HTTP client (libcurl) for the services around
 * the chain: the node API and the verifier committee. JSON-RPC has its own,
 * retrying client (rpc.h). */
#ifndef CLO_CHAIN_HTTP_H
#define CLO_CHAIN_HTTP_H

#include <jansson.h>

#include "base/bytes.h"

#define CLO_HTTP_MAX_REPLY ((size_t)64 << 20)

/* method url [body as application/json]. On CLO_OK *status is the HTTP status
 * and *doc the parsed reply (the caller frees it). CLO_E_IO when there is no
 * answer (what: curl's reason), CLO_E_FORMAT when the answer is not JSON. */
CLO_MUST_CHECK clo_err clo_http_json(const char *method, const char *url, const char *body,
                                     long timeout_ms, long *status, json_t **doc);

/* The same with any body: content_type NULL sends none. */
CLO_MUST_CHECK clo_err clo_http_send(const char *method, const char *url, const char *content_type,
                                     clo_bytes body, long timeout_ms, long *status, json_t **doc);

#endif
