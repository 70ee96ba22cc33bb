/* approval_fuzz.c — EnclaveApproval documents from a verifier service
 * (untrusted JSON): parse strictly; whatever parses must print and re-parse
 * to the same record, and its digest must not depend on anything else. */
#include <stdlib.h>
#include <string.h>

#include "client/approval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    clo_approval a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (j && !clo_approval_from_json(j, &a).code) {
        json_t *again = clo_approval_to_json(&a);
        if (!again || clo_approval_from_json(again, &b).code || memcmp(&a, &b, sizeof a)) abort();
        uint8_t reg[20] = {1}, d1[32], d2[32];
        clo_approval_digest(&a, 31337, reg, d1);
        clo_approval_digest(&b, 31337, reg, d2);
        if (memcmp(d1, d2, 32)) abort();
        json_decref(again);
    }
    json_decref(j);
    return 0;
}
