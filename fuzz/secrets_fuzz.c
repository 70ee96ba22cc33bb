/* secrets_fuzz.c — the POST /v1/secrets body parser on untrusted bytes.
 * Properties beyond "no crash": a refusal names a problem code with a 4xx
 * status and holds nothing; an accepted body has a non-empty envelope within
 * the limit, and its PROVISION call encodes and decodes back to the same. */
#include <stdlib.h>
#include <string.h>

#include "host/secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ENVELOPE 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_secret_req r;
    clo_problem p = {0, NULL, NULL};
    if (clo_secret_req_parse(CLO_BYTES(data, size), MAX_ENVELOPE, &r, &p)) {
        if (!p.code || !p.detail || p.status < 400 || p.status > 499) abort();
        if (r.envelope.len || r.envelope.ptr || r.call.envelope.len) abort();
        return 0;
    }
    if (r.call.envelope.len == 0 || r.call.envelope.len > MAX_ENVELOPE) abort();
    clo_buf enc;
    clo_buf_init(&enc, MAX_ENVELOPE + 64);
    clo_proto_provision back;
    if (clo_proto_provision_encode(&r.call, &enc).code ||
        clo_proto_provision_decode(clo_buf_view(&enc), &back).code)
        abort();
    if (memcmp(back.id, r.call.id, 32) || back.epoch != r.call.epoch ||
        !clo_bytes_eq(back.envelope, r.call.envelope))
        abort();
    clo_buf_free(&enc);
    clo_secret_req_free(&r);
    return 0;
}
