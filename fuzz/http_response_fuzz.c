/* http_response_fuzz.c — HTTP/1.1 responses from a fetched source (untrusted
 * bytes: the server and the host relaying them). Properties beyond "no
 * crash": a complete response's body is within the limit; the same bytes give
 * the same verdict; a strict prefix of a complete response is never complete. */
#include <stdlib.h>
#include <string.h>

#include "workloads/httpresp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_http_response r, again;
    clo_buf body, body2;
    size_t max_body = size ? (size_t)data[0] * 64 + 1 : 1;
    clo_buf_init(&body, CLO_HTTP_MAX_BODY);
    clo_buf_init(&body2, CLO_HTTP_MAX_BODY);
    clo_err e = clo_http_response_parse(CLO_BYTES(data, size), max_body, &r, &body);
    clo_err e2 = clo_http_response_parse(CLO_BYTES(data, size), max_body, &again, &body2);
    if (e.code != e2.code || (!e.code && (r.complete != again.complete || body.len != body2.len ||
                                          (body.len && memcmp(body.ptr, body2.ptr, body.len)))))
        abort();
    if (!e.code && r.complete) {
        if (body.len > max_body || r.status < 200 || r.status > 599) abort();
        clo_buf_clear(&body2);
        if (size > 0 &&
            !clo_http_response_parse(CLO_BYTES(data, size - 1), max_body, &again, &body2).code &&
            again.complete)
            abort();
    }
    if (e.code && body.len) abort(); /* a refusal leaves no body */
    clo_buf_free(&body);
    clo_buf_free(&body2);
    return 0;
}
