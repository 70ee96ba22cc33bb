/* snp_fuzz.c — SEV-SNP attestation reports from untrusted bytes: the parser and
 * TCB decoding, then verification (which stops at the missing VCEK). */
#include <stdlib.h>

#include "attest/snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_snp_report r;
    clo_snp_result res;
    if (clo_snp_report_parse(CLO_BYTES(data, size), &r).code) return 0;
    if (r.signed_part.len != CLO_SNP_SIGNED_SIZE) abort();
    (void)clo_snp_tcb_decode(r.reported_tcb, r.cpuid_fam == 0x1a);
    clo_snp_opts o = {1750000000, NULL};
    CLO_IGNORE(clo_snp_verify(&r, NULL, &o, &res));
    return 0;
}
