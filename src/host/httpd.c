/* httpd.c — libmicrohttpd with bounded request bodies. */
#include "host/httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

struct clo_httpd {
    struct MHD_Daemon *d;
    clo_httpd_route route;
    void *ud;
    size_t max_body;
    unsigned timeout_seconds, header_timeout_seconds;
};

typedef struct {
    clo_buf body;
    int too_big;
} req_ctx;

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
    (void)version;
    clo_httpd *h = cls;
    req_ctx *rc = *con_cls;
    if (!rc) {
        rc = calloc(1, sizeof *rc);
        if (!rc) return MHD_NO;
        clo_buf_init(&rc->body, h->max_body);
        *con_cls = rc;
        /* The headers are in: the body and the answer get the full timeout. */
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, h->timeout_seconds);
        return MHD_YES;
    }
    if (*size) {
        if (!rc->too_big && clo_buf_append(&rc->body, data, *size).code) {
            rc->too_big = 1;
            clo_buf_free(&rc->body);
        }
        *size = 0;
        return MHD_YES;
    }
    clo_httpd_req req = {clo_buf_view(&rc->body), rc->too_big};
    return h->route(h->ud, c, url, method, &req);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    clo_httpd *h = cls;
    (void)toe;
    /* Waiting for the next request's headers: the short deadline again. */
    MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, h->header_timeout_seconds);
    req_ctx *rc = *con_cls;
    if (rc) {
        clo_buf_free(&rc->body);
        free(rc);
    }
    *con_cls = NULL;
}

/* A new connection must send its headers within the header deadline, so idle
 * or trickling connections cannot hold the connection slots (slowloris). */
static void connected(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode toe)
{
    clo_httpd *h = cls;
    (void)socket_context;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, h->header_timeout_seconds);
}

/* libmicrohttpd's own messages, as log events like every other line. */
static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = 0;
    CLO_LOG(CLO_LOG_WARN, "http.server", CLO_LF_STR("message", msg));
}

clo_err clo_httpd_start(clo_httpd **out, const clo_httpd_opts *o, clo_httpd_route route, void *ud)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(o->port);
    CLO_ENSURE(inet_pton(AF_INET, o->address, &sa.sin_addr) == 1, CLO_E_FORMAT,
               "listen: not an IPv4 address");
    clo_httpd *h = calloc(1, sizeof *h);
    CLO_ENSURE(h, CLO_E_NOMEM, "httpd");
    h->route = route;
    h->ud = ud;
    h->max_body = o->max_body;
    h->timeout_seconds = o->timeout_seconds;
    h->header_timeout_seconds = o->header_timeout_seconds < o->timeout_seconds
                                    ? o->header_timeout_seconds
                                    : o->timeout_seconds;
    h->d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG,
        o->port, NULL, NULL, handler, h, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT,
        o->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, o->max_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, o->timeout_seconds, MHD_OPTION_NOTIFY_CONNECTION, connected,
        h, MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
        MHD_OPTION_END);
    if (!h->d) {
        free(h);
        return CLO_ERR(CLO_E_IO, "listen: cannot bind the address (port in use?)");
    }
    *out = h;
    return CLO_OK;
}

uint16_t clo_httpd_port(const clo_httpd *h)
{
    const union MHD_DaemonInfo *i = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return i ? i->port : 0;
}

void clo_httpd_stop(clo_httpd *h)
{
    if (!h) return;
    MHD_stop_daemon(h->d);
    free(h);
}
