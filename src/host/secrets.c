/* secrets.c — POST /v1/secrets body: read strictly (chain/jsonread.h). */
#include "host/secrets.h"

#include <string.h>

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
