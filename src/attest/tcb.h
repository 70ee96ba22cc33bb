/* tcb.h — Intel TCB Info (SGX/TDX, v2 and v3) and QE / TD QE Identity (v2),
 * parsed from the signed inner JSON object, and the TCB level evaluation of
 * Intel's Quote Verification Library (TcbLevelCheck, TdxModuleCheck,
 * TDRelaunchCheck): first matching level in descending order, TDX components
 * from index 2 when the TDX module major version is set, module identity by
 * ISVSVN, QE identity by ISVSVN, and the status convergence rules. */
#ifndef CLO_ATTEST_TCB_H
#define CLO_ATTEST_TCB_H

#include "evidence/pckext.h"
#include "evidence/quote.h"

typedef enum {
    CLO_TCB_UP_TO_DATE,
    CLO_TCB_SW_HARDENING_NEEDED,
    CLO_TCB_CONFIGURATION_NEEDED,
    CLO_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED,
    CLO_TCB_OUT_OF_DATE,
    CLO_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED,
    CLO_TCB_TD_RELAUNCH_ADVISED,
    CLO_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED,
    CLO_TCB_REVOKED,
    CLO_TCB_NOT_SUPPORTED, /* no TCB level matches ("TcbLevelNotSupported") */
    CLO_TCB__COUNT
} clo_tcb_status;

/* Intel's names ("UpToDate", ..., "TcbLevelNotSupported"). */
const char *clo_tcb_status_name(clo_tcb_status s);

#define CLO_TCB_MAX_LEVELS     64
#define CLO_TCB_MAX_MODULES    8
#define CLO_TCB_MAX_ADVISORIES 256
#define CLO_ADVISORY_SIZE      32

typedef struct {
    char id[CLO_ADVISORY_SIZE];
} clo_advisory;

typedef struct {
    uint8_t sgx[16];
    uint16_t pcesvn;
    uint8_t tdx[16];
    clo_tcb_status status;
    int64_t tcb_date;
    uint16_t adv_first, adv_count; /* into the owner's advisory list */
} clo_tcb_level;

typedef struct {
    char id[16]; /* "TDX_01" ... */
    uint8_t mrsigner[48];
    uint8_t attributes[8], attributes_mask[8];
    clo_tcb_level levels[16]; /* isvsvn in sgx[0] */
    size_t nlevels;
} clo_tdx_module;

typedef struct {
    int version, is_tdx;
    int64_t issue_date, next_update, eval_number;
    uint8_t fmspc[6], pceid[2];
    clo_tcb_level levels[CLO_TCB_MAX_LEVELS];
    size_t nlevels;
    int has_tdx_module;
    clo_tdx_module tdx_module; /* v3 "tdxModule" (identity without levels) */
    clo_tdx_module modules[CLO_TCB_MAX_MODULES];
    size_t nmodules;
    clo_advisory adv[CLO_TCB_MAX_ADVISORIES];
    size_t nadv;
} clo_tcb_info;

typedef struct {
    int version, is_td_qe;
    int64_t issue_date, next_update, eval_number;
    uint32_t miscselect, miscselect_mask;
    uint8_t attributes[16], attributes_mask[16];
    uint8_t mrsigner[32];
    uint16_t isvprodid;
    clo_tcb_level levels[CLO_TCB_MAX_LEVELS]; /* isvsvn in pcesvn */
    size_t nlevels;
    clo_advisory adv[CLO_TCB_MAX_ADVISORIES];
    size_t nadv;
} clo_qe_identity;

/* Parse the raw inner "tcbInfo" / "enclaveIdentity" object (the signed bytes). */
CLO_MUST_CHECK clo_err clo_tcb_info_parse(clo_bytes json, clo_tcb_info *out);
CLO_MUST_CHECK clo_err clo_qe_identity_parse(clo_bytes json, clo_qe_identity *out);

#define CLO_TCB_EVAL_MAX_ADVISORIES 64

typedef struct {
    clo_tcb_status status;       /* converged, as Intel reports it */
    clo_tcb_status platform, qe; /* the parts */
    int module_checked;
    clo_tcb_status module;
    const char *advisories[CLO_TCB_EVAL_MAX_ADVISORIES]; /* borrowed from info/identity */
    size_t nadv;
} clo_tcb_eval;

/* Evaluate a verified quote against verified collateral. A QE report that does
 * not match the identity, or a TDX module that matches no identity, is an
 * error (CLO_E_POLICY); an unmatched TCB level is status NOT_SUPPORTED. */
CLO_MUST_CHECK clo_err clo_tcb_evaluate(const clo_quote *q, const clo_pck_ext *pck,
                                        const clo_tcb_info *info, const clo_qe_identity *qe,
                                        clo_tcb_eval *out);

#endif
