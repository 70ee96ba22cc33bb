/* snp.h — the verification of AMD SEV-SNP attestation reports
 * (evidence/snp_report.h):
 *   report signature (ECDSA P-384 / SHA-384 over bytes [0, 0x2A0), r and s
 *   little-endian in 72-byte fields) by the VCEK; chain VCEK <- ASK <- ARK
 *   (RSA-PSS), the ARK matched by key to a built-in or configured anchor;
 *   validity windows at `at`; the VCEK's TCB extensions equal REPORTED_TCB;
 *   its hwID equals CHIP_ID; an ARK-issued CRL, when given, lists neither. */
#ifndef CLO_ATTEST_SNP_H
#define CLO_ATTEST_SNP_H

#include "attest/dcap.h"
#include "evidence/snp_report.h"

typedef struct {
    int64_t at;
    const clo_x509 *ark; /* NULL: the built-in ARKs (Milan, Genoa, Turin) */
} clo_snp_opts;

typedef struct {
    char product[32]; /* VCEK productName, e.g. "Milan-B0" */
    int vlek;         /* signed by a VLEK rather than a VCEK */
    int crl_checked;
    clo_snp_tcb reported, vcek_tcb;
    int64_t vcek_not_before, vcek_not_after;
} clo_snp_result;

/* col supplies the VCEK/VLEK (and optionally ASK, CRL): certificates of any form. */
CLO_MUST_CHECK clo_err clo_snp_verify(const clo_snp_report *r, const clo_dcap_collateral *col,
                                      const clo_snp_opts *opts, clo_snp_result *out);

/* A verifier that checks the endorsement chain (VCEK <- ASK <- ARK, CRL) once and
 * keeps it for the window it holds; each report then costs its signature and
 * the TCB and chip checks. `col` and `ark` are borrowed. Not thread-safe. */
typedef struct clo_snp_verifier clo_snp_verifier;
CLO_MUST_CHECK clo_err clo_snp_verifier_new(clo_snp_verifier **out, const clo_dcap_collateral *col,
                                            const clo_x509 *ark);
void clo_snp_verifier_free(clo_snp_verifier *v);
CLO_MUST_CHECK clo_err clo_snp_verifier_verify(clo_snp_verifier *v, const clo_snp_report *r,
                                               int64_t at, clo_snp_result *out);

#endif
