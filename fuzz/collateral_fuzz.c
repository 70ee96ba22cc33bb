/* collateral_fuzz.c — collateral files recognised by content: PEM blocks and
 * base64, DER certificates and CRLs, PCS JSON sniffing. */
#include "attest/dcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_dcap_collateral col;
    clo_dcap_collateral_init(&col);
    CLO_IGNORE(clo_dcap_collateral_add(&col, CLO_BYTES(data, size)));
    clo_dcap_collateral_free(&col);
    return 0;
}
