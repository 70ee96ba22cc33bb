/* collateral_fuzz.c — collateral files recognised by content: PEM blocks and
 * base64, DER certificates and CRLs, PCS JSON sniffing; then the SEV-SNP path,
 * which reads AMD extensions of collateral certificates before any chain check. */
#include "attest/snp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_dcap_collateral col;
    clo_dcap_collateral_init(&col);
    if (clo_dcap_collateral_add(&col, CLO_BYTES(data, size)).code == CLO_OK_CODE) {
        static const uint8_t zero[CLO_SNP_SIGNED_SIZE];
        clo_snp_report r = {
            .version = 2, .sig_algo = 1, .signed_part = CLO_BYTES(zero, sizeof zero)};
        clo_snp_result res;
        clo_snp_opts o = {1750000000, NULL};
        CLO_IGNORE(clo_snp_verify(&r, &col, &o, &res));
    }
    clo_dcap_collateral_free(&col);
    return 0;
}
