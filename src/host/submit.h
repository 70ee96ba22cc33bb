/* submit.h — the body of POST /v1/jobs (docs/api.yaml), parsed and checked in
 * full before anything acts on it. Everything that can be decided from the
 * body alone is decided here; the API adds what needs the node (epoch state,
 * the journal). Untrusted input: fuzzed by fuzz/submit_fuzz.c. */
#ifndef CLO_HOST_SUBMIT_H
#define CLO_HOST_SUBMIT_H

#include "base/bytes.h"
#include "host/problem.h"
#include "wire/proto.h"

typedef struct {
    clo_proto_job job;        /* chain_id and market are left for the caller */
    uint8_t client_nonce[32]; /* job_id must be clo_ticket_api_job_id of the requester and
                                 it, and the ticket signed by the requester (the caller checks) */
    char workload[32];
    clo_buf config;
    clo_buf *envelopes; /* count of them; job.inputs views them */
    clo_bytes *inputs;
} clo_submit;

/* 0 and a filled s, or -1 and *p says why (s then holds nothing). */
int clo_submit_parse(clo_bytes body, clo_submit *s, clo_problem *p);
void clo_submit_free(clo_submit *s);

#endif
