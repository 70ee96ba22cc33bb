/* quote_fuzz.c — DCAP quotes from untrusted bytes: the parser, then the whole
 * verification path (PEM chain, X.509, signatures) with no collateral at a
 * fixed time. Parsed views must stay inside the input. */
#include <stdlib.h>

#include "attest/dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_quote q;
    if (clo_quote_parse(CLO_BYTES(data, size), &q).code) return 0;
    if (q.quote_size + q.trailing_size != size || q.signed_part.len > q.quote_size ||
        q.pck_chain.ptr < data || q.pck_chain.ptr + q.pck_chain.len > data + size)
        abort();
    clo_dcap_result r;
    clo_dcap_opts o = {1750000000, NULL}; /* 2025-06-15 */
    CLO_IGNORE(clo_dcap_verify(&q, NULL, &o, &r));
    return 0;
}
