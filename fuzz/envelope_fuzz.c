/* envelope_fuzz.c — the envelope decoder on untrusted bytes: header parsing and
 * all three open paths with fixed keys, and a stream (kind 4): its first 56
 * bytes as the header, the rest as chunks of the sizes the header implies.
 * Properties checked beyond "no crash": a failed open leaves the output buffer
 * empty (a failed chunk leaves its output wiped), and a header that parses is
 * consistent with the input length. */
#include <stdlib.h>
#include <string.h>

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

    clo_envelope_stream st;
    if (size >= CLO_ENVELOPE_STREAM_HEADER_SIZE &&
        clo_envelope_stream_open_init(&st, &b, enclave,
                                      CLO_BYTES(data, CLO_ENVELOPE_STREAM_HEADER_SIZE))
                .code == CLO_OK_CODE) {
        static uint8_t pt[CLO_ENVELOPE_STREAM_MAX_CHUNK];
        if (st.count == 0 || st.chunk_size < CLO_ENVELOPE_STREAM_MIN_CHUNK) abort();
        size_t off = CLO_ENVELOPE_STREAM_HEADER_SIZE;
        for (uint32_t i = 0; i < st.count && off < size; i++) {
            size_t want = clo_envelope_stream_chunk_len(&st, i) + 16, n = want;
            if (n > size - off) n = size - off;
            memset(pt, 0xa5, want - 16);
            if (clo_envelope_stream_open_chunk(&st, CLO_BYTES(data + off, n), pt).code) {
                /* a whole chunk that failed is wiped; a short one is never written */
                for (size_t k = 0; k < want - 16; k++)
                    if (pt[k] != (n == want ? 0 : 0xa5)) abort();
                break;
            }
            off += n;
        }
        clo_envelope_stream_wipe(&st);
    }
    return 0;
}
