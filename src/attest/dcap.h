/* dcap.h — verification of Intel DCAP quotes against collateral.
 *
 * Checks, in order, each failing with a specific `what`:
 *   PCK chain (from the quote) -> intermediate CA -> trust anchor, the chain's
 *   root matched to the anchor by public key (Intel reissued its root with the
 *   same key); every certificate used is within its validity at `at`;
 *   QE report signed by the PCK key; QE report data = SHA-256(attestation key
 *   || QE auth data) || 32 zero bytes; quote signed by the attestation key;
 *   CRLs when present: signed by their issuer, current at `at`, not listing
 *   the PCK certificate (PCK CRL) or the intermediate CA (root CA CRL);
 *   TCB Info and QE Identity when present: signed (over their raw inner JSON)
 *   by a TCB Signing certificate issued by the anchor and not revoked, current
 *   at `at`, for this FMSPC / PCE-ID / TEE; then the TCB evaluation of tcb.h.
 * Codes: CLO_E_AUTH bad signature or binding, CLO_E_POLICY untrusted or
 * revoked, CLO_E_STALE outside a validity window, CLO_E_FORMAT malformed. */
#ifndef CLO_ATTEST_DCAP_H
#define CLO_ATTEST_DCAP_H

#include "evidence/quote.h"
#include "attest/tcb.h"
#include "crypto/x509.h"

#define CLO_COLLATERAL_MAX_CERTS 16
#define CLO_COLLATERAL_MAX_CRLS  8

/* Collateral recognised by content, whatever the file names. */
typedef struct {
    clo_x509 *certs[CLO_COLLATERAL_MAX_CERTS];
    size_t ncerts;
    clo_x509_crl *crls[CLO_COLLATERAL_MAX_CRLS];
    size_t ncrls;
    clo_buf tcb_info;    /* Intel PCS TCB Info response (JSON), if given */
    clo_buf qe_identity; /* Intel PCS QE / TD QE Identity response (JSON), if given */
} clo_dcap_collateral;

void clo_dcap_collateral_init(clo_dcap_collateral *col);
void clo_dcap_collateral_free(clo_dcap_collateral *col);
/* Add one file's content: PEM (certificates, CRLs), a DER certificate or CRL,
 * or PCS JSON with "tcbInfo" / "enclaveIdentity". CLO_E_FORMAT
 * ("collateral: unrecognised content") for anything else; nothing is added then. */
CLO_MUST_CHECK clo_err clo_dcap_collateral_add(clo_dcap_collateral *col, clo_bytes content);

/* The built-in Intel SGX Root CA (data/anchors/intel_sgx_root_ca.der), parsed
 * or as its DER bytes. */
CLO_MUST_CHECK clo_err clo_dcap_intel_root(clo_x509 **out);
clo_bytes clo_dcap_intel_root_der(void);

typedef struct {
    int64_t at;             /* evaluation time, Unix seconds */
    const clo_x509 *anchor; /* NULL: the built-in Intel SGX Root CA */
} clo_dcap_opts;

typedef struct {
    int pck_crl_checked, root_crl_checked;
    char pck_ca[64]; /* "Intel SGX PCK Platform CA" or "... Processor CA" */
    size_t trailing_size;
    clo_pck_ext pck;
    /* TCB: evaluated only when both TCB Info and QE Identity are given. */
    int tcb_evaluated;
    clo_tcb_status tcb_status, platform_status, qe_status, module_status;
    int module_checked;
    char advisories[CLO_TCB_EVAL_MAX_ADVISORIES][CLO_ADVISORY_SIZE];
    size_t nadv;
    int64_t tcb_info_issue, tcb_info_next, qe_identity_issue, qe_identity_next, tcb_eval_number;
} clo_dcap_result;

CLO_MUST_CHECK clo_err clo_dcap_verify(const clo_quote *q, const clo_dcap_collateral *col,
                                       const clo_dcap_opts *opts, clo_dcap_result *out);

/* A verifier that keeps what it has verified: each PCK chain (by its SHA-256)
 * with the CRL checks for it, and the TCB Info / QE Identity, each with the
 * window in which those checks hold. Later quotes from a known platform cost
 * their two signatures and the TCB evaluation. Outside a window everything is
 * checked again. `col` and `anchor` are borrowed and must outlive the verifier.
 * Not thread-safe: one per thread. */
typedef struct clo_dcap_verifier clo_dcap_verifier;
CLO_MUST_CHECK clo_err clo_dcap_verifier_new(clo_dcap_verifier **out,
                                             const clo_dcap_collateral *col,
                                             const clo_x509 *anchor);
void clo_dcap_verifier_free(clo_dcap_verifier *v);
CLO_MUST_CHECK clo_err clo_dcap_verifier_verify(clo_dcap_verifier *v, const clo_quote *q,
                                                int64_t at, clo_dcap_result *out);

#endif
