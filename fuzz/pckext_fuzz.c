/* pckext_fuzz.c — the SGX extension of PCK certificates from untrusted bytes,
 * both as raw extension contents and inside a DER certificate. */
#include "evidence/pckext.h"
#include "crypto/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_pck_ext x;
    clo_x509 *cert;
    clo_bytes ext;
    CLO_IGNORE(clo_pck_ext_parse(CLO_BYTES(data, size), &x));
    if (clo_x509_parse(CLO_BYTES(data, size), &cert).code == CLO_OK_CODE) {
        if (clo_x509_extension(cert, CLO_SGX_EXTENSION_OID, &ext).code == CLO_OK_CODE)
            CLO_IGNORE(clo_pck_ext_parse(ext, &x));
        clo_x509_free(cert);
    }
    return 0;
}
