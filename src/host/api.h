/* api.h — the node's HTTP API (docs/api.yaml) on cfg.listen_*: the job API
 * (keys, evidence, models, secrets, jobs) and the control routes (/healthz,
 * /readyz, /metrics), which read snapshots and never wait on the enclave. */
#ifndef CLO_HOST_API_H
#define CLO_HOST_API_H

#include "host/node.h"

typedef struct clo_api clo_api;
CLO_MUST_CHECK clo_err clo_api_start(clo_api **out, clo_node *node);
uint16_t clo_api_port(const clo_api *api);
void clo_api_stop(clo_api *api); /* waits for the connections' threads */

#endif
