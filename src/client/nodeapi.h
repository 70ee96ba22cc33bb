/* nodeapi.h — a client's requests to a node's API (docs/api.yaml): JSON over
 * HTTP (chain/http.h), with the time a node may take to answer. */
#ifndef CLO_CLIENT_NODEAPI_H
#define CLO_CLIENT_NODEAPI_H

#include "chain/http.h"

#define CLO_NODEAPI_TIMEOUT_MS 60000

/* method url [body as application/json]: the answer's status and JSON
 * document (CLO_E_FORMAT when it is not JSON; CLO_E_IO on transport). */
CLO_MUST_CHECK clo_err clo_nodeapi_json(const char *method, const char *url, const char *body,
                                        long *status, json_t **doc);

#endif
