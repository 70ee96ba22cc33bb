/* secrets.c — POST /v1/secrets body: strict JSON, known members only. */
#include "host/secrets.h"

#include <jansson.h>
#include <string.h>

#include "base/hex.h"

static const char *const fields[] = {"id", "epoch", "envelope"};
#define N_FIELDS (sizeof fields / sizeof fields[0])

static int parse(json_t *doc, clo_secret_req *r, clo_problem *p)
{
    static const char usage[] = "send {\"id\": 32 bytes hex, \"epoch\": n, \"envelope\": hex}";
    if (!json_is_object(doc)) return clo_refuse(p, 400, "invalid-body", usage);
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        int known = 0;
        for (size_t i = 0; i < N_FIELDS; i++) known |= !strcmp(key, fields[i]);
        if (!known) return clo_refuse(p, 400, "invalid-body", usage);
    }
    const char *id = json_string_value(json_object_get(doc, "id"));
    const char *env = json_string_value(json_object_get(doc, "envelope"));
    const json_t *ep = json_object_get(doc, "epoch");
    if (!id || !env || !json_is_integer(ep) || json_integer_value(ep) < 0 ||
        json_integer_value(ep) > UINT32_MAX || clo_hex_decode_fixed(r->call.id, 32, id).code)
        return clo_refuse(p, 400, "invalid-body", usage);
    r->call.epoch = (uint32_t)json_integer_value(ep);
    clo_err e = clo_hex_decode(&r->envelope, env);
    if (e.code == CLO_E_LIMIT)
        return clo_refuse(p, 413, "secret-too-large", "the envelope exceeds one channel frame");
    if (e.code || r->envelope.len == 0) return clo_refuse(p, 400, "invalid-body", usage);
    r->call.envelope = clo_buf_view(&r->envelope);
    return 0;
}

int clo_secret_req_parse(clo_bytes body, size_t max_envelope, clo_secret_req *r, clo_problem *p)
{
    memset(r, 0, sizeof *r);
    clo_buf_init(&r->envelope, max_envelope);
    json_error_t je;
    json_t *doc = json_loadb((const char *)body.ptr, body.len, JSON_REJECT_DUPLICATES, &je);
    int rc = parse(doc, r, p);
    json_decref(doc);
    if (rc) clo_secret_req_free(r);
    return rc;
}

void clo_secret_req_free(clo_secret_req *r)
{
    clo_buf_free(&r->envelope);
    memset(&r->call, 0, sizeof r->call);
}
