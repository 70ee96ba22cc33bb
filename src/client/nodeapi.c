/* nodeapi.c — requests to a node's API (nodeapi.h). */
#include "client/nodeapi.h"

clo_err clo_nodeapi_json(const char *method, const char *url, const char *body, long *status,
                         json_t **doc)
{
    *doc = NULL;
    return clo_http_json(method, url, body, CLO_NODEAPI_TIMEOUT_MS, status, doc);
}
