/* secrets.h — the body of POST /v1/secrets (docs/api.yaml), parsed and checked
 * in full before the enclave is called:
 *   {"id": 32 bytes hex, "epoch": u32, "envelope": hex}
 * exactly these members. Untrusted input: fuzzed by fuzz/secrets_fuzz.c. */
#ifndef CLO_HOST_SECRETS_H
#define CLO_HOST_SECRETS_H

#include "base/bytes.h"
#include "host/problem.h"
#include "wire/proto.h"

typedef struct {
    clo_proto_provision call; /* call.envelope views `envelope` */
    clo_buf envelope;
} clo_secret_req;

/* 0 and a filled r, or -1 and *p says why (r then holds nothing). An envelope
 * over max_envelope bytes is 413 secret-too-large. */
int clo_secret_req_parse(clo_bytes body, size_t max_envelope, clo_secret_req *r, clo_problem *p);
void clo_secret_req_free(clo_secret_req *r);

#endif
