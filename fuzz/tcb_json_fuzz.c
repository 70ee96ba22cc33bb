/* tcb_json_fuzz.c — Intel PCS collateral JSON from untrusted bytes: the raw
 * member scanner, then TCB Info and QE Identity parsing of the inner object. */
#include <stdlib.h>

#include "attest/tcb.h"
#include "base/jsonraw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static clo_tcb_info info;
    static clo_qe_identity qe;
    clo_bytes in = CLO_BYTES(data, size), inner;
    if (clo_json_member_raw(in, "tcbInfo", &inner).code == CLO_OK_CODE) {
        if (inner.ptr < data || inner.ptr + inner.len > data + size) abort();
        CLO_IGNORE(clo_tcb_info_parse(inner, &info));
    }
    if (clo_json_member_raw(in, "enclaveIdentity", &inner).code == CLO_OK_CODE)
        CLO_IGNORE(clo_qe_identity_parse(inner, &qe));
    CLO_IGNORE(clo_tcb_info_parse(in, &info));
    CLO_IGNORE(clo_qe_identity_parse(in, &qe));
    return 0;
}
