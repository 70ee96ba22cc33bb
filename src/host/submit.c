/* submit.c — POST /v1/jobs body: strict JSON, known members only, every
 * input a request envelope for the job's epoch, the config accepted by the
 * workload. */
#include "host/submit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "crypto/keccak.h"
#include "crypto/envelope.h"
#include "workloads/workload.h"

static const char *const fields[] = {"job_id", "client_nonce", "workload", "config",
                                     "epoch",  "inputs",       "ticket"};
#define N_FIELDS (sizeof fields / sizeof fields[0])

static const char *envelope_problem(clo_err e)
{
    switch (e.code) {
    case CLO_E_VERSION: return "envelope-version";
    case CLO_E_UNSUPPORTED: return "envelope-suite";
    case CLO_E_LIMIT: return "input-too-large";
    default: return "envelope-malformed";
    }
}

static int check_members(json_t *doc, clo_problem *p)
{
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        int known = 0;
        for (size_t i = 0; i < N_FIELDS; i++) known |= !strcmp(key, fields[i]);
        if (!known)
            return clo_refuse(
                p, 400, "unknown-field",
                "unknown member (allowed: job_id, client_nonce, workload, config, epoch, "
                "inputs, ticket)");
    }
    for (size_t i = 0; i < N_FIELDS; i++)
        if (!json_object_get(doc, fields[i]))
            return clo_refuse(
                p, 400, "missing-field",
                "job_id, client_nonce, workload, config, epoch, inputs and ticket are "
                "required");
    return 0;
}

static int parse_config(json_t *doc, clo_submit *s, clo_problem *p)
{
    const char *wname = json_string_value(json_object_get(doc, "workload"));
    const clo_workload *wl = wname ? clo_workload_by_name(wname) : NULL;
    if (!wl || strlen(wname) >= sizeof s->workload)
        return clo_refuse(p, 400, "unknown-workload",
                          "workload must be auction, vote, oracle, policy or onnx");
    strcpy(s->workload, wname);
    clo_workload_id(wname, s->job.workload_id);
    const char *hex = json_string_value(json_object_get(doc, "config"));
    if (!hex) return clo_refuse(p, 400, "bad-config-hex", "config must be a hex string");
    clo_err e = clo_hex_decode(&s->config, hex);
    if (e.code == CLO_E_LIMIT)
        return clo_refuse(p, 413, "config-too-large", "config exceeds 4096 bytes");
    if (e.code) return clo_refuse(p, 400, "bad-config-hex", "config must be a hex string");
    e = clo_workload_check(wl, clo_buf_view(&s->config));
    if (e.code)
        return clo_refuse(p, 422, "bad-config",
                          "the workload refuses this config (docs/formats.md §5)");
    s->job.config = clo_buf_view(&s->config);
    return 0;
}

static int parse_input(const char *hex, uint32_t epoch, clo_buf *env, clo_problem *p)
{
    static const char size_detail[] = "every input must be a hex envelope of at most 1 MiB";
    if (!hex) return clo_refuse(p, 400, "bad-input-hex", "every input must be a hex string");
    clo_err e = clo_hex_decode(env, hex);
    if (e.code == CLO_E_LIMIT) return clo_refuse(p, 413, "input-too-large", size_detail);
    if (e.code) return clo_refuse(p, 400, "bad-input-hex", size_detail);
    clo_envelope_header h;
    e = clo_envelope_parse_header(clo_buf_view(env), &h);
    if (e.code)
        return clo_refuse(p, e.code == CLO_E_LIMIT ? 413 : 400, envelope_problem(e),
                          e.what ? e.what : "envelope header");
    if (h.kind != CLO_ENVELOPE_KIND_REQUEST)
        return clo_refuse(p, 400, "envelope-kind", "inputs must be request envelopes (kind 1)");
    if (h.epoch != epoch)
        return clo_refuse(p, 400, "epoch-mismatch",
                          "an input is sealed to another epoch than the job's");
    return 0;
}

/* {"requester", "deadline", "issued_at", "signature"}: the requester's
 * JobTicket over this job (wire/ticket.h); the API checks the signature. */
static int parse_ticket(json_t *t, clo_submit *s, clo_problem *p)
{
    static const char detail[] =
        "ticket must be {requester: 20-byte hex, deadline: unix seconds, issued_at: unix "
        "seconds, signature: 65-byte hex}";
    json_t *dl = json_object_get(t, "deadline"), *at = json_object_get(t, "issued_at");
    const char *req = json_string_value(json_object_get(t, "requester"));
    const char *sig = json_string_value(json_object_get(t, "signature"));
    static const uint8_t zero[20];
    if (!json_is_object(t) || json_object_size(t) != 4 || !json_is_integer(dl) ||
        json_integer_value(dl) <= 0 || !json_is_integer(at) || json_integer_value(at) < 0 ||
        clo_hex_decode_fixed(s->job.requester, 20, req).code ||
        !memcmp(s->job.requester, zero, 20) ||
        clo_hex_decode_fixed(s->job.sigs[0].sig, 65, sig).code)
        return clo_refuse(p, 400, "bad-ticket", detail);
    s->job.deadline = (uint64_t)json_integer_value(dl);
    s->job.sigs[0].issued_at = (uint64_t)json_integer_value(at);
    s->job.nsigs = 1;
    memcpy(s->job.client_nonce, s->client_nonce, 32);
    return 0;
}

static int parse_doc(json_t *doc, clo_submit *s, clo_problem *p)
{
    if (!json_is_object(doc))
        return clo_refuse(p, 400, "not-an-object", "the body must be a JSON object");
    if (check_members(doc, p)) return -1;
    const char *id = json_string_value(json_object_get(doc, "job_id"));
    if (clo_hex_decode_fixed(s->job.job_id, 32, id).code)
        return clo_refuse(p, 400, "bad-job-id", "job_id must be 32 bytes of hex");
    const char *nonce = json_string_value(json_object_get(doc, "client_nonce"));
    if (clo_hex_decode_fixed(s->client_nonce, 32, nonce).code)
        return clo_refuse(p, 400, "bad-client-nonce", "client_nonce must be 32 bytes of hex");
    if (parse_config(doc, s, p)) return -1;
    json_t *ep = json_object_get(doc, "epoch");
    if (!json_is_integer(ep) || json_integer_value(ep) < 1 || json_integer_value(ep) > UINT32_MAX)
        return clo_refuse(p, 400, "bad-epoch", "epoch must be a positive integer");
    s->job.epoch = (uint32_t)json_integer_value(ep);
    json_t *in = json_object_get(doc, "inputs");
    if (!json_is_array(in))
        return clo_refuse(p, 400, "bad-inputs", "inputs must be an array of hex envelopes");
    size_t n = json_array_size(in);
    if (n == 0) return clo_refuse(p, 400, "no-inputs", "a job needs at least one input");
    if (n > CLO_WL_MAX_INPUTS)
        return clo_refuse(p, 413, "too-many-inputs", "at most 1024 inputs per job");
    s->envelopes = calloc(n, sizeof *s->envelopes);
    s->inputs = calloc(n, sizeof *s->inputs);
    if (!s->envelopes || !s->inputs) return clo_refuse(p, 503, "internal", "out of memory");
    for (size_t i = 0; i < n; i++) {
        clo_buf_init(&s->envelopes[i], CLO_PROTO_MAX_ENVELOPE);
        s->job.count = i + 1; /* what clo_submit_free releases */
        if (parse_input(json_string_value(json_array_get(in, i)), s->job.epoch, &s->envelopes[i],
                        p))
            return -1;
        s->inputs[i] = clo_buf_view(&s->envelopes[i]);
    }
    s->job.inputs = s->inputs;
    return parse_ticket(json_object_get(doc, "ticket"), s, p);
}

int clo_submit_parse(clo_bytes body, clo_submit *s, clo_problem *p)
{
    memset(s, 0, sizeof *s);
    clo_buf_init(&s->config, CLO_WL_MAX_CONFIG);
    json_error_t je;
    json_t *doc = json_loadb((const char *)body.ptr, body.len, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        clo_submit_free(s);
        if (strstr(je.text, "duplicate"))
            return clo_refuse(p, 400, "duplicate-key", "a JSON object repeats a key");
        return clo_refuse(p, 400, "malformed-json", "the body is not valid JSON");
    }
    int rc = parse_doc(doc, s, p);
    json_decref(doc);
    if (rc) clo_submit_free(s);
    return rc;
}

void clo_submit_free(clo_submit *s)
{
    for (size_t i = 0; s->envelopes && i < s->job.count; i++) clo_buf_free(&s->envelopes[i]);
    free(s->envelopes);
    free(s->inputs);
    clo_buf_free(&s->config);
    memset(s, 0, sizeof *s);
}
