/* submit_fuzz.c — the POST /v1/jobs body parser on untrusted bytes.
 * Properties beyond "no crash": a refusal names a problem code with a 4xx/503
 * status and holds nothing; an accepted body has at least one input, each a
 * request envelope for the job's epoch, and its job encodes to a RUN body that
 * decodes back to the same job. */
#include <stdlib.h>
#include <string.h>

#include "crypto/envelope.h"
#include "host/submit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_accepted(clo_submit *s)
{
    if (s->job.count == 0 || !s->workload[0]) abort();
    for (size_t i = 0; i < s->job.count; i++) {
        clo_envelope_header h;
        if (clo_envelope_parse_header(s->job.inputs[i], &h).code || h.epoch != s->job.epoch ||
            h.kind != CLO_ENVELOPE_KIND_REQUEST)
            abort();
    }
    static clo_bytes inputs[CLO_PROTO_MAX_INPUTS];
    clo_buf enc;
    clo_buf_init(&enc, (size_t)64 << 20);
    clo_proto_job back;
    if (clo_proto_job_encode(&s->job, &enc).code) abort();
    clo_cur c = clo_cur_init(clo_buf_view(&enc));
    if (clo_proto_job_decode(&c, &back, inputs).code || clo_cur_end(&c).code) abort();
    if (back.count != s->job.count || back.epoch != s->job.epoch ||
        memcmp(back.job_id, s->job.job_id, 32) || !clo_bytes_eq(back.config, s->job.config))
        abort();
    for (size_t i = 0; i < back.count; i++)
        if (!clo_bytes_eq(back.inputs[i], s->job.inputs[i])) abort();
    clo_buf_free(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_submit s;
    clo_problem p = {0, NULL, NULL};
    if (clo_submit_parse(CLO_BYTES(data, size), &s, &p)) {
        if (!p.code || !p.detail || (p.status < 400 || p.status > 503)) abort();
        if (s.envelopes || s.inputs || s.config.len) abort();
        return 0;
    }
    check_accepted(&s);
    clo_submit_free(&s);
    return 0;
}
