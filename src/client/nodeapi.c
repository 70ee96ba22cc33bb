/* nodeapi.c — requests to a node's API (nodeapi.h). */
#include "client/nodeapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/jsonhex.h"

clo_err clo_nodeapi_json(const char *method, const char *url, const char *body, long *status,
                         json_t **doc)
{
    *doc = NULL;
    return clo_http_json(method, url, body, CLO_NODEAPI_TIMEOUT_MS, status, doc);
}

clo_err clo_nodeapi_provision_stream(const char *node, clo_envelope_stream *s, const uint8_t id[32],
                                     clo_bytes secret, clo_nodeapi_progress progress, void *ud,
                                     long *status, json_t **doc)
{
    char url[2200];
    uint8_t handle[16];
    clo_buf chunk;
    *doc = NULL;
    json_t *req = json_pack("{s:o,s:o}", "id", clo_json_hex(CLO_BYTES(id, 32)), "header",
                            clo_json_hex(CLO_BYTES(s->header, sizeof s->header)));
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    CLO_ENSURE(body, CLO_E_NOMEM, "stream request");
    snprintf(url, sizeof url, "%s/v1/secrets/streams", node);
    clo_err err = clo_nodeapi_json("POST", url, body, status, doc);
    free(body);
    CLO_TRY(err);
    if (*status != 201) return CLO_OK;
    err = clo_hex_decode_fixed(handle, 16, json_string_value(json_object_get(*doc, "stream")));
    CLO_ENSURE(!err.code, CLO_E_FORMAT, "stream: the node's answer names no stream");
    clo_buf_init(&chunk, (size_t)s->chunk_size + 16);
    char hex[33];
    clo_hex_encode(hex, CLO_BYTES(handle, 16));
    uint64_t sent = 0;
    for (uint32_t i = 0; i < s->count && !err.code; i++) {
        size_t n = clo_envelope_stream_chunk_len(s, i);
        clo_buf_clear(&chunk);
        err = clo_envelope_stream_seal_chunk(s, CLO_BYTES(secret.ptr + sent, n), &chunk);
        if (err.code) break;
        snprintf(url, sizeof url, "%s/v1/secrets/streams/%s/%u", node, hex, i);
        json_decref(*doc);
        *doc = NULL;
        err = clo_http_send("PUT", url, "application/octet-stream", clo_buf_view(&chunk),
                            CLO_NODEAPI_TIMEOUT_MS, status, doc);
        if (err.code) break;
        sent += n;
        if (progress) progress(ud, sent, s->size);
        if (*status != (i + 1 == s->count ? 201 : 202)) break;
    }
    clo_buf_free(&chunk);
    return err;
}
