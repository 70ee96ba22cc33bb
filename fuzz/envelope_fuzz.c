/* envelope_fuzz.c — the envelope decoder on untrusted bytes: header parsing and
 * all three open paths with fixed keys. Properties checked beyond "no crash":
 * a failed open leaves the output buffer empty, and a header that parses is
 * consistent with the input length. */
#include <stdlib.h>

#include "fuzz_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static clo_x25519_key *enclave, *recipient;
    if (!enclave) {
        enclave = fuzz_key("enclave");
        recipient = fuzz_key("recipient");
        if (!enclave || !recipient) abort();
    }
    clo_bytes in = CLO_BYTES(data, size);
    clo_envelope_binding b = fuzz_binding();
    clo_envelope_reply_key rk = fuzz_reply_key(), out_rk;
    clo_envelope_header h;
    clo_buf out;
    clo_buf_init(&out, CLO_ENVELOPE_MAX_PAYLOAD);

    if (clo_envelope_parse_header(in, &h).code == CLO_OK_CODE) {
        size_t hdr = h.kind == CLO_ENVELOPE_KIND_REPLY ? CLO_ENVELOPE_REPLY_HEADER_SIZE
                                                       : CLO_ENVELOPE_REQUEST_HEADER_SIZE;
        if (hdr + h.ct_size != size || h.version != CLO_ENVELOPE_VERSION) abort();
    }
    if (clo_envelope_request_open(&out, &out_rk, &b, enclave, in).code != CLO_OK_CODE && out.len)
        abort();
    clo_buf_clear(&out);
    if (clo_envelope_reply_open(&out, &rk, in).code != CLO_OK_CODE && out.len) abort();
    clo_buf_clear(&out);
    if (clo_envelope_reply_open_as(&out, recipient, &b, in).code != CLO_OK_CODE && out.len) abort();
    clo_buf_free(&out);
    return 0;
}
