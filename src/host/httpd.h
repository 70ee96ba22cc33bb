/* httpd.h — the HTTP server under both services of the host (the node API,
 * api.c, and the committee verifier, verifier.c): libmicrohttpd with a thread
 * per connection, IPv4, request bodies gathered up to a limit before the
 * route sees them. The route answers with MHD_queue_response. Connections are
 * limited in all and per client address, and one that has not sent its
 * headers is closed after the short header deadline. libmicrohttpd's own
 * messages are log events (http.server). */
#ifndef CLO_HOST_HTTPD_H
#define CLO_HOST_HTTPD_H

#include <microhttpd.h>

#include "base/bytes.h"

typedef struct {
    clo_bytes body;
    int too_big; /* the body went past max_body; body is then empty */
} clo_httpd_req;

typedef enum MHD_Result (*clo_httpd_route)(void *ud, struct MHD_Connection *c, const char *url,
                                           const char *method, const clo_httpd_req *req);

typedef struct {
    const char *address; /* IPv4 */
    uint16_t port;       /* 0: any free port (clo_httpd_port says which) */
    size_t max_body;
    unsigned max_connections, max_per_ip; /* in all, and from one client address */
    unsigned timeout_seconds;             /* idle, once a request's headers are in */
    unsigned header_timeout_seconds;      /* idle, until then (slowloris) */
} clo_httpd_opts;

typedef struct clo_httpd clo_httpd;

/* CLO_E_FORMAT "listen: not an IPv4 address", CLO_E_IO "listen: cannot bind
 * the address (port in use?)". */
CLO_MUST_CHECK clo_err clo_httpd_start(clo_httpd **out, const clo_httpd_opts *o,
                                       clo_httpd_route route, void *ud);
uint16_t clo_httpd_port(const clo_httpd *h);
void clo_httpd_stop(clo_httpd *h); /* waits for the connections' threads */

#endif
