/* submit.c — POST /v1/jobs body, read strictly by one table
 * (chain/jsonread.h): known members only, every input a request envelope for
 * the job's epoch, the config accepted by the workload, each refusal its own
 * problem code (docs/api.yaml). */
#include "host/submit.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "chain/jsonread.h"
#include "crypto/envelope.h"
#include "workloads/workload.h"

static const char *envelope_problem(clo_err e)
{
    switch (e.code) {
    case CLO_E_VERSION: return "envelope-version";
    case CLO_E_UNSUPPORTED: return "envelope-suite";
    case CLO_E_LIMIT: return "input-too-large";
    default: return "envelope-malformed";
    }
}

/* What the members' readers share: the job being filled and, for the inputs,
 * the problem they name themselves. */
typedef struct {
    clo_submit *s;
    clo_problem *p;
    uint64_t epoch;
} reading;

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

/* inputs: 1..CLO_WL_MAX_INPUTS request envelopes of the job's epoch (read
 * after it in the table), each refusal its own problem. */
static clo_err read_inputs(void *dst, const json_t *in)
{
    reading *r = dst;
    clo_submit *s = r->s;
    if (!json_is_array(in))
        clo_refuse(r->p, 400, "bad-inputs", "inputs must be an array of hex envelopes");
    else if (json_array_size(in) == 0)
        clo_refuse(r->p, 400, "no-inputs", "a job needs at least one input");
    else if (json_array_size(in) > CLO_WL_MAX_INPUTS)
        clo_refuse(r->p, 413, "too-many-inputs", "at most 1024 inputs per job");
    if (r->p->status) return CLO_ERR(CLO_E_FORMAT, "inputs");
    size_t n = json_array_size(in);
    s->envelopes = calloc(n, sizeof *s->envelopes);
    s->inputs = calloc(n, sizeof *s->inputs);
    if (!s->envelopes || !s->inputs) {
        clo_refuse(r->p, 503, "internal", "out of memory");
        return CLO_ERR(CLO_E_NOMEM, "inputs");
    }
    for (size_t i = 0; i < n; i++) {
        clo_buf_init(&s->envelopes[i], CLO_PROTO_MAX_ENVELOPE);
        s->job.count = i + 1; /* what clo_submit_free releases */
        if (parse_input(json_string_value(json_array_get(in, i)), (uint32_t)r->epoch,
                        &s->envelopes[i], r->p))
            return CLO_ERR(CLO_E_FORMAT, "inputs");
        s->inputs[i] = clo_buf_view(&s->envelopes[i]);
    }
    s->job.inputs = s->inputs;
    return CLO_OK;
}

/* Each member's refusal when the table's reader refuses its value. */
static const struct {
    unsigned status;
    const char *code;
} PROBLEM[] = {
    {400, "bad-job-id"},     {400, "bad-client-nonce"}, {400, "unknown-workload"},
    {400, "bad-config-hex"}, {400, "bad-epoch"},        {400, "bad-inputs"},
    {400, "bad-ticket"},
};

static const char FIELDS[] = "job_id, client_nonce, workload, config, epoch, inputs and ticket";

int clo_submit_parse(clo_bytes body, clo_submit *s, clo_problem *p)
{
    static const char ticket_want[] =
        "ticket must be {requester: 20-byte hex, deadline: unix seconds, issued_at: unix "
        "seconds, signature: 65-byte hex}";
    memset(s, 0, sizeof *s);
    memset(p, 0, sizeof *p);
    clo_buf_init(&s->config, CLO_WL_MAX_CONFIG);
    reading r = {s, p, 0};
    uint64_t deadline = 0, issued_at = 0;
    /* The requester's JobTicket over this job (wire/ticket.h); the API checks the signature. */
    clo_jfield ticket[] = {
        {"requester", CLO_JF_HEX, s->job.requester, 20, .want = ticket_want},
        {"deadline", CLO_JF_UINT, &deadline, 0, 1, INT64_MAX, .want = ticket_want},
        {"issued_at", CLO_JF_UINT, &issued_at, 0, 0, INT64_MAX, .want = ticket_want},
        {"signature", CLO_JF_HEX, s->job.sigs[0].sig, 65, .want = ticket_want},
    };
    const clo_jfield f[] = {
        {"job_id", CLO_JF_HEX, s->job.job_id, 32, .want = "job_id must be 32 bytes of hex"},
        {"client_nonce", CLO_JF_HEX, s->client_nonce, 32,
         .want = "client_nonce must be 32 bytes of hex"},
        {"workload", CLO_JF_STRING, s->workload, sizeof s->workload,
         .want = "workload must be auction, vote, oracle, policy or onnx"},
        {"config", CLO_JF_HEXBUF, &s->config, .want = "config must be a hex string"},
        {"epoch", CLO_JF_UINT, &r.epoch, 0, 1, UINT32_MAX,
         .want = "epoch must be a positive integer"},
        {"inputs", CLO_JF_CUSTOM, &r, .read = read_inputs},
        {"ticket", CLO_JF_OBJECT, ticket, sizeof ticket / sizeof ticket[0], .want = ticket_want},
    };
    clo_jread_fail at;
    clo_err e = clo_json_read_at(body, f, sizeof f / sizeof f[0], &at);
    static const uint8_t zero[20];
    const clo_workload *wl = e.code ? NULL : clo_workload_by_name(s->workload);
    if (p->status) /* an input named its own problem */
        ;
    else if (e.code) {
        switch (at.kind) {
        case CLO_JR_JSON: clo_refuse(p, 400, "malformed-json", "the body is not valid JSON"); break;
        case CLO_JR_DUPLICATE:
            clo_refuse(p, 400, "duplicate-key", "a JSON object repeats a key");
            break;
        case CLO_JR_NOT_OBJECT:
            clo_refuse(p, 400, "not-an-object", "the body must be a JSON object");
            break;
        case CLO_JR_UNKNOWN:
            clo_refuse(p, 400, "unknown-field",
                       "unknown member (allowed: job_id, client_nonce, workload, config, epoch, "
                       "inputs, ticket)");
            break;
        case CLO_JR_MISSING: clo_refuse(p, 400, "missing-field", FIELDS); break;
        default:
            if (at.field == 3 && e.code == CLO_E_LIMIT)
                clo_refuse(p, 413, "config-too-large", "config exceeds 4096 bytes");
            else
                clo_refuse(p, PROBLEM[at.field].status, PROBLEM[at.field].code, e.what);
        }
    } else if (!wl) {
        clo_refuse(p, 400, "unknown-workload", f[2].want);
    } else if (clo_workload_check(wl, clo_buf_view(&s->config)).code) {
        clo_refuse(p, 422, "bad-config", "the workload refuses this config (docs/formats.md §5)");
    } else if (!memcmp(s->job.requester, zero, 20)) {
        clo_refuse(p, 400, "bad-ticket", ticket_want);
    }
    if (p->status) {
        clo_submit_free(s);
        return -1;
    }
    clo_workload_id(s->workload, s->job.workload_id);
    s->job.config = clo_buf_view(&s->config);
    s->job.epoch = (uint32_t)r.epoch;
    s->job.deadline = deadline;
    s->job.sigs[0].issued_at = issued_at;
    s->job.nsigs = 1;
    memcpy(s->job.client_nonce, s->client_nonce, 32);
    return 0;
}

void clo_submit_free(clo_submit *s)
{
    for (size_t i = 0; s->envelopes && i < s->job.count; i++) clo_buf_free(&s->envelopes[i]);
    free(s->envelopes);
    free(s->inputs);
    clo_buf_free(&s->config);
    memset(s, 0, sizeof *s);
}
