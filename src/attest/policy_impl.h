/* policy_impl.h — the policy's fields, private to src/attest (policy.c fills
 * them, verdict.c reads them); everyone else goes through attest/policy.h. */
#ifndef CLO_ATTEST_POLICY_IMPL_H
#define CLO_ATTEST_POLICY_IMPL_H

#include "attest/policy.h"
#include "attest/snp.h"
#include "attest/tcb.h"

#define CLO_POLICY_MAX_RULES 32
#define CLO_POLICY_MAX_ADV   64

typedef struct {
    int has_mrenclave, has_mrsigner, has_prodid, has_min_svn;
    uint8_t mrenclave[32], mrsigner[32];
    uint16_t isvprodid, min_isvsvn;
} clo_sgx_rule;

typedef struct {
    int has_mrtd, has_rtmr[4];
    uint8_t mrtd[48], rtmr[4][48];
} clo_tdx_rule;

typedef struct {
    int has_measurement, has_host_data;
    uint8_t measurement[48], host_data[32];
} clo_snp_rule;

struct clo_policy {
    int allow_debug, require_crls, require_tcb, allow_migration_agent, allow_smt;
    int any_measurement; /* experiments only: a TEE type with no list is accepted */
    int has_snp_min_tcb, has_snp_vmpl;
    clo_snp_tcb snp_min_tcb; /* each component at least this */
    uint8_t snp_vmpl;        /* the report's VMPL must be exactly this */
    unsigned tcb_ok;         /* bit per clo_tcb_status */
    char advisories[CLO_POLICY_MAX_ADV][CLO_ADVISORY_SIZE];
    size_t nadv;
    int has_max_age, has_report_data, has_at;
    int64_t max_age, at;
    uint8_t report_data[64];
    clo_sgx_rule sgx[CLO_POLICY_MAX_RULES];
    clo_tdx_rule tdx[CLO_POLICY_MAX_RULES];
    clo_snp_rule snp[CLO_POLICY_MAX_RULES];
    size_t nsgx, ntdx, nsnp;
    int has_sgx, has_tdx, has_snp;
};

#endif
