/* policy_fuzz.c — policy files from untrusted bytes (docs/architecture.md §7: config is parsed
 * like any other input). A policy that parses must name no error message. */
#include <stdlib.h>

#include "attest/verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_policy *p = NULL;
    char msg[256];
    if (clo_policy_parse(CLO_BYTES(data, size), &p, msg, sizeof msg).code == CLO_OK_CODE) {
        if (p == NULL || msg[0] != '\0') abort();
        int64_t at;
        (void)clo_policy_time(p, &at);
    } else if (p != NULL || msg[0] == '\0') {
        abort(); /* a refusal always says why */
    }
    clo_policy_free(p);
    return 0;
}
