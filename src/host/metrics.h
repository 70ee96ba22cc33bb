/* metrics.h — Prometheus text exposition for cloisterd (untrusted side). Every
 * label set is bounded: routes and rejection codes come from fixed tables,
 * never from request data. */
#ifndef CLO_HOST_METRICS_H
#define CLO_HOST_METRICS_H

#include "base/bytes.h"
#include "host/chaintx.h"

typedef enum {
    CLO_ROUTE_EVIDENCE,
    CLO_ROUTE_KEYS,
    CLO_ROUTE_SUBMIT,
    CLO_ROUTE_STATUS,
    CLO_ROUTE_RESULT,
    CLO_ROUTE_HEALTH,
    CLO_ROUTE_READY,
    CLO_ROUTE_METRICS,
    CLO_ROUTE_MODELS,
    CLO_ROUTE_SECRETS,
    CLO_ROUTE_ATTEST,
    CLO_ROUTE_OTHER,
    CLO_ROUTE__COUNT
} clo_route;

void clo_metrics_request(clo_route route, unsigned status);
const char *clo_metrics_route_name(clo_route route); /* "submit", "status", ... */
/* code must be one of the API's fixed problem codes (a static string). */
void clo_metrics_rejected(const char *code);
void clo_metrics_job_latency(double seconds);
void clo_metrics_enclave_call(double seconds);
/* Render, with the given gauges, into out. */
typedef struct {
    const char *version, *backend;
    uint64_t jobs[3]; /* accepted, done, failed */
    uint64_t restarts;
    int enclave_up;
    uint32_t epoch;
    double silent_seconds, busy_seconds; /* since its last answer; the call under way */
    const clo_chain_stats *chain;        /* NULL without chain.rpc */
} clo_metrics_gauges;
CLO_MUST_CHECK clo_err clo_metrics_render(const clo_metrics_gauges *g, clo_buf *out);

#endif
