/* fetch.h — the host's half of a fetch (issue 20): it connects a TCP socket
 * for each source the enclave names and carries ciphertext both ways with
 * FETCH_PUMP, then asks for the result with FETCH_END (wire/proto.h). It
 * never sees a request or a response in the clear; all it can do is what the
 * network can: delay, drop, cut or send elsewhere, each of which the enclave
 * names in the result. Untrusted side. */
#ifndef CLO_HOST_FETCH_H
#define CLO_HOST_FETCH_H

#include "base/bytes.h"
#include "host/supervisor.h"

typedef struct {
    uint32_t timeout_ms; /* for the whole fetch; sources unfinished by then are dropped */
    /* "host:port=address:port" entries, comma-separated (config fetch.connect):
     * where to connect for a source instead of resolving its host. */
    const char *connect;
} clo_fetch_opts;

/* Whether a job's workload fetches (so goes through clo_fetch_run, not RUN). */
int clo_fetch_job_fetches(clo_bytes job);

/* Fetch and run one job; resp gets RUN's response for it (u16 1 | result). */
CLO_MUST_CHECK clo_err clo_fetch_run(clo_super *s, const clo_fetch_opts *o, clo_bytes job,
                                     clo_buf *resp);

/* Check a fetch.connect list's syntax; NULL when good, else what is wrong. */
const char *clo_fetch_connect_check(const char *list);

#endif
