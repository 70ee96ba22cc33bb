/* secrets.c — POST /v1/secrets body: read strictly (chain/jsonread.h). */
#include "host/secrets.h"

#include <string.h>

#include "base/hex.h"
#include "chain/jsonread.h"

int clo_secret_req_parse(clo_bytes body, size_t max_envelope, clo_secret_req *r, clo_problem *p)
{
    static const char usage[] = "send {\"id\": 32 bytes hex, \"epoch\": n, \"envelope\": hex}";
    uint64_t epoch = 0;
    memset(r, 0, sizeof *r);
    clo_buf_init(&r->envelope, max_envelope);
    const clo_jfield f[] = {
        {"id", CLO_JF_HEX, r->call.id, 32, 0, 0, NULL, "id: 32 bytes of hex", NULL},
        {"epoch", CLO_JF_UINT, &epoch, 0, 0, UINT32_MAX, NULL, "epoch: an integer (u32)", NULL},
        {"envelope", CLO_JF_HEXBUF, &r->envelope, 0, 1, 0, NULL, "envelope: non-empty hex", NULL},
    };
    clo_err e = clo_json_read(body, f, sizeof f / sizeof f[0]);
    if (e.code) {
        clo_secret_req_free(r);
        return e.code == CLO_E_LIMIT ? clo_refuse(p, 413, "secret-too-large",
                                                  "the envelope exceeds one channel frame")
                                     : clo_refuse(p, 400, "invalid-body", usage);
    }
    r->call.epoch = (uint32_t)epoch;
    r->call.envelope = clo_buf_view(&r->envelope);
    return 0;
}

void clo_secret_req_free(clo_secret_req *r)
{
    clo_buf_free(&r->envelope);
    memset(&r->call, 0, sizeof r->call);
}

int clo_stream_req_parse(clo_bytes body, clo_proto_stream_open *out, uint8_t header[56],
                         clo_problem *p)
{
    memset(out, 0, sizeof *out);
    const clo_jfield f[] = {
        {"id", CLO_JF_HEX, out->id, 32, 0, 0, NULL, "id: 32 bytes of hex", NULL},
        {"header", CLO_JF_HEX, header, 56, 0, 0, NULL, "header: 56 bytes of hex", NULL},
    };
    if (clo_json_read(body, f, 2).code) {
        memset(out, 0, sizeof *out);
        return clo_refuse(p, 400, "invalid-body",
                          "send {\"id\": 32 bytes hex, \"header\": the stream's 56-byte header "
                          "in hex}");
    }
    out->header = CLO_BYTES(header, 56);
    return 0;
}

int clo_stream_path_parse(const char *rest, uint8_t handle[16], uint32_t *index)
{
    if (strlen(rest) < 34 || rest[32] != '/') return -1;
    if (clo_hex_decode_digits(handle, rest, 16).code) return -1;
    const char *d = rest + 33;
    size_t n = strlen(d);
    if (n == 0 || n > 10 || (n > 1 && d[0] == '0')) return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (d[i] < '0' || d[i] > '9') return -1;
        v = v * 10 + (uint64_t)(d[i] - '0');
    }
    if (v > UINT32_MAX) return -1;
    *index = (uint32_t)v;
    return 0;
}
