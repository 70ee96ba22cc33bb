/* http.c — the CLI's requests to a node (client/nodeapi.h), the error said on
 * stderr. */
#include <stdio.h>

#include "cli/cli.h"
#include "client/nodeapi.h"

json_t *cli_http_json(const char *method, const char *url, const char *body, long *status)
{
    json_t *doc = NULL;
    clo_err e = clo_nodeapi_json(method, url, body, status, &doc);
    if (e.code) cli_error_code(clo_code_name(e.code));
    if (e.code == CLO_E_FORMAT)
        cli_error("%s %s: the answer is not JSON\n", method, url);
    else if (e.code)
        cli_error("%s %s: %s\n", method, url, e.what);
    return e.code ? NULL : doc;
}
