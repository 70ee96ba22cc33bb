/* secrets.h — the bodies of POST /v1/secrets and POST /v1/secrets/streams
 * (docs/api.yaml), parsed and checked in full before the enclave is called:
 *   {"id": 32 bytes hex, "epoch": u32, "envelope": hex}
 *   {"id": 32 bytes hex, "header": 56 bytes hex (crypto/envelope.h, kind 4)}
 * exactly these members; and the chunk's place in PUT
 * /v1/secrets/streams/{stream}/{index}. Untrusted input: fuzzed by
 * fuzz/secrets_fuzz.c. */
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

/* 0 and out (out->header views header), or -1 and *p. */
int clo_stream_req_parse(clo_bytes body, clo_proto_stream_open *out, uint8_t header[56],
                         clo_problem *p);
/* "{32 hex digits}/{index}" (the URL after /v1/secrets/streams/): 0 and the
 * handle and index (decimal, no sign or leading zero, < 2^32), or -1. */
int clo_stream_path_parse(const char *rest, uint8_t handle[16], uint32_t *index);

#endif
