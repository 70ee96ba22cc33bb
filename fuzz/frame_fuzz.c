/* frame_fuzz.c — the enclave's whole call surface on untrusted bytes: the input
 * is a stream of frames (12-byte header, body) fed to a fresh, initialised
 * enclave on a simulated platform, as cloister-enclave would read them. Every
 * call decoder (INIT, HELLO, EVIDENCE, KEYS, ROTATE, PROVISION, RUN with its
 * jobs and envelopes, EXPORT, IMPORT with its committee reports, WITNESS,
 * STATE, STREAM_OPEN, STREAM_CHUNK, SECRET_SEAL, SECRET_LOAD, SNP_CHALLENGE, SNP_APPROVE,
 * FETCH_BEGIN, FETCH_PUMP, FETCH_END, SHARE_BEGIN, SHARE_GIVE, SHARE_TAKE)
 * sees the bytes. Properties beyond "no
 * crash": a failed call leaves no response bytes, and the header parser's
 * verdict matches the frame layout. */
#include <stdlib.h>
#include <string.h>

#include "wire/frame.h"
#include "enclave_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fx_platform p;
    static int ready;
    if (!ready) {
        if (fx_platform_new(&p).code) abort();
        ready = 1;
    }
    clo_enclave *e = NULL;
    if (fx_enclave(&p, p.measurement, 60, &e).code) abort();
    clo_buf resp;
    clo_buf_init(&resp, CLO_FRAME_MAX_BODY);
    clo_cur c = clo_cur_init(CLO_BYTES(data, size));
    int stop = 0;
    for (int n = 0; n < 16 && !stop && clo_cur_left(&c) >= CLO_FRAME_HEADER_SIZE; n++) {
        clo_bytes raw, body;
        clo_frame_hdr h;
        if (clo_cur_take(&c, CLO_FRAME_HEADER_SIZE, &raw).code) break;
        if (clo_frame_parse_header(raw, &h).code) break;
        if (h.body_size > CLO_FRAME_MAX_BODY) abort();
        /* Short bodies are cut to what is left, so the fuzzer reaches the calls. */
        size_t len = h.body_size < clo_cur_left(&c) ? h.body_size : clo_cur_left(&c);
        if (clo_cur_take(&c, len, &body).code) abort();
        clo_buf_clear(&resp);
        clo_err err = clo_enclave_handle(e, h.call, body, FX_NOW + n, &resp, &stop);
        if (err.code && resp.len) abort();
    }
    clo_buf_free(&resp);
    clo_enclave_free(e);
    return 0;
}
