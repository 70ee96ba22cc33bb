/* verdict.h — one call from evidence bytes to a decision, as a typed verdict:
 * measurements as bytes, reasons as codes. clo_verdict_json renders it as the
 * verdict document of docs/attestation.md:
 *   status ("accepted"|"rejected"), tee, tcb_status, advisories, measurements,
 *   report_data, debug, collateral {...}, quote_version | report_version,
 *   identity (the measurement fields that name the code: attest/measure.h),
 *   reasons [{code, message}].
 * The TCB status computed is reported even when the evidence is rejected. */
#ifndef CLO_ATTEST_VERDICT_H
#define CLO_ATTEST_VERDICT_H

#include "attest/dcap.h"
#include "attest/policy.h"
#include "attest/snp.h"
#include "base/teekind.h"

/* Why evidence was refused (the `code` of a reason). */
typedef enum {
    CLO_WHY_EVIDENCE,        /* the evidence or its chain failed verification */
    CLO_WHY_ADVISORY,        /* an advisory the policy does not allow */
    CLO_WHY_TCB_STATUS,      /* a TCB status the policy does not accept */
    CLO_WHY_COLLATERAL_AGE,  /* TCB collateral older than max_collateral_age */
    CLO_WHY_TCB_MISSING,     /* no TCB Info / QE Identity, and the policy requires them */
    CLO_WHY_CRL_MISSING,     /* revocation not checked, and the policy requires it */
    CLO_WHY_DEBUG,           /* a debug TEE, and the policy forbids debug */
    CLO_WHY_REPORT_DATA,     /* report data other than the policy's */
    CLO_WHY_NO_RULE,         /* the policy lists no measurements for this TEE type */
    CLO_WHY_MEASUREMENT,     /* the measurements match no entry */
    CLO_WHY_SNP_TCB,         /* an SNP TCB component below snp_min_tcb */
    CLO_WHY_SNP_VMPL,        /* another VMPL than snp_vmpl */
    CLO_WHY_SMT,             /* SMT allowed by the guest, forbidden by the policy */
    CLO_WHY_MIGRATION_AGENT, /* a migration agent allowed, forbidden by the policy */
    CLO_WHY__COUNT
} clo_why;
const char *clo_why_name(clo_why w); /* "evidence", "advisory", ... */

/* The measurement fields that name the code (bits of clo_verdict.identity). */
#define CLO_ID_MRTD             (1u << 0)
#define CLO_ID_RTMR(i)          (1u << (1 + (i)))
#define CLO_ID_MRENCLAVE        (1u << 5)
#define CLO_ID_MEASUREMENT      (1u << 6)
#define CLO_ID_HOST_DATA        (1u << 7)

#define CLO_VERDICT_MAX_REASONS 24

typedef struct {
    clo_why code;
    char message[256];
} clo_verdict_reason;

typedef struct {
    int accepted;
    clo_tee_kind
        tee; /* CLO_TEE_TDX, _SGX or _SNP (the simulated TEE's quotes are TDX); 0 unknown */
    uint32_t version; /* the quote's or the report's; 0 unknown */
    int examined;     /* the evidence decoded: the measurements and collateral are shown */
    int has_body;     /* measurements, report_data and debug were read */
    union {
        struct {
            uint8_t mrtd[48], rtmr[4][48], mrseam[48], mrconfigid[48], mrowner[48],
                mrownerconfig[48], td_attributes[8];
        } td;
        struct {
            uint8_t mrenclave[32], mrsigner[32], attributes[16];
            uint16_t isvprodid, isvsvn;
        } sgx;
        struct {
            uint8_t measurement[48], host_data[32], id_key_digest[48], author_key_digest[48],
                family_id[16], image_id[16];
            uint32_t guest_svn, vmpl;
            uint64_t policy;
        } snp;
    } m;
    uint8_t report_data[64];
    int debug;
    uint64_t ignored_trailing; /* bytes after a DCAP quote */
    int has_tcb;
    clo_tcb_status tcb_status;
    char advisories[CLO_TCB_EVAL_MAX_ADVISORIES][CLO_ADVISORY_SIZE];
    size_t nadv;
    int has_snp_tcb;
    clo_snp_tcb snp_tcb; /* the reported TCB the VCEK certifies */
    int has_identity;
    unsigned identity; /* CLO_ID_* */
    struct {
        int64_t evaluated_at;
        int checked; /* the signature chain was verified (or failed): the flags below hold */
        /* dcap */
        int pck_crl_checked, root_crl_checked, has_fmspc, has_tcb_info;
        char pck_ca[64];
        uint8_t fmspc[6];
        int64_t tcb_info_issue, tcb_info_next, tcb_eval_number, qe_identity_issue, qe_identity_next;
        /* snp */
        int crl_checked, has_vcek;
        char product[32];
        int64_t vcek_not_before, vcek_not_after;
    } col;
    size_t nreasons;
    clo_verdict_reason reasons[CLO_VERDICT_MAX_REASONS];
} clo_verdict;

typedef struct {
    int64_t at;             /* evaluation time */
    const clo_x509 *anchor; /* NULL: built-in anchors */
} clo_verify_opts;

/* Verify evidence (a DCAP quote or an SNP report, binary or hex text) against
 * collateral and a policy into *out. Every failure of the evidence is a reason
 * in the verdict; the error is only for out of memory. */
CLO_MUST_CHECK clo_err clo_attest_verify(clo_bytes evidence, const clo_dcap_collateral *col,
                                         const clo_policy *policy, const clo_verify_opts *opts,
                                         clo_verdict *out);
/* The verdict document (malloc'd JSON text, the caller frees it). */
CLO_MUST_CHECK clo_err clo_verdict_json(const clo_verdict *v, char **out);

#endif
