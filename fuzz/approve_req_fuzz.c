/* approve_req_fuzz.c — the bodies of a verifier's POST /v1/approve,
 * /v1/ticket, /v1/state/record and /v1/state/latest (untrusted JSON from any
 * node): parsed strictly, or refused with a reason. What parses is within its
 * bounds: 1..16 challenges, non-empty evidence that is exactly the decoded
 * bytes, a u32 epoch; a ticket request that parses leaves nothing but job id
 * and spec set; a state record's version is 1..2^63-1. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "committee/verifier.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_approve_req r;
    clo_challenges ch;
    clo_buf ev;
    clo_buf_init(&ev, 1 << 20);
    int bad = clo_approve_req_parse(CLO_BYTES(data, size), &r, &ev, &ch).code != 0;
    if (!bad && (ch.n < 1 || ch.n > CLO_VERIFIER_MAX_CHALLENGES || ev.len == 0 ||
                 r.evidence.ptr != ev.ptr || r.evidence.len != ev.len || r.expiry == 0))
        abort();
    if (bad && ch.n != 0) abort();
    clo_buf_free(&ev);
    clo_ticket t;
    static const uint8_t zero[32];
    if (!clo_ticket_req_parse(CLO_BYTES(data, size), &t).code &&
        (t.deadline || t.issued_at || memcmp(t.requester, zero, 20) ||
         memcmp(t.client_nonce, zero, 32)))
        abort();
    uint8_t lineage[20], sig[65], nonce[32];
    uint64_t v = 0;
    if (!clo_state_record_req_parse(CLO_BYTES(data, size), lineage, &v, sig).code &&
        (v < 1 || v > (uint64_t)INT64_MAX))
        abort();
    CLO_IGNORE(clo_state_latest_req_parse(CLO_BYTES(data, size), lineage, nonce));
    return 0;
}
