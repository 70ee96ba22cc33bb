/* policy.h — what a verifier accepts (docs/attestation.md). A policy is built
 * from a JSON file or from the defaults, and per request its key binding is
 * pinned through bind(), never by editing JSON text.
 *
 * Policy file (JSON; unknown keys are rejected, naming the key):
 *   {
 *     "allow_debug": false,                   default false
 *     "tcb_statuses": ["UpToDate"],           accepted TCB statuses, default ["UpToDate"]
 *     "allowed_advisories": [],               advisory ids tolerated, default none
 *     "require_crls": true,                   missing CRLs reject, default true
 *     "require_tcb": true,                    missing TCB Info/QE Identity reject, default true
 *     "max_collateral_age": 2592000,          seconds since issue, optional
 *     "report_data": "hex",                   expected report data (64 bytes), optional
 *     "binding": {"operator": "hex20", "signer": "hex20", "hpke_pk": "hex32", "epoch": 1,
 * "chain_id": 1, "registry": "hex20", "nonce": "hex32"}   or its inputs (attest/binding.h) "at":
 * "2025-06-19T10:56:11Z",           evaluation time, optional (default: now) "sgx": [{"mrenclave":
 * "hex", "mrsigner": "hex", "isvprodid": 0, "min_isvsvn": 0}], "tdx": [{"mrtd": "hex", "rtmr0":
 * "hex", "rtmr1": "hex", "rtmr2": "hex", "rtmr3": "hex"}], "snp": [{"measurement": "hex",
 * "host_data": "hex"}], "allow_snp_migration_agent": false,     default false "allow_snp_smt":
 * true,                  default true "snp_min_tcb": {"bl": 3, "tee": 0, "snp": 8, "ucode": 115,
 * "fmc": 0}, each at least, optional "snp_vmpl": 0,                          the report's VMPL
 * exactly, optional "any_measurement": false                experiments only, default false
 *   }
 * In an "sgx"/"tdx"/"snp" list, each entry is a set of fields that must all
 * match; the evidence must match one entry (an entry {} matches any). Deny by
 * default: evidence of a TEE type with no list is refused (reason "no_rule"),
 * unless any_measurement is set. */
#ifndef CLO_ATTEST_POLICY_H
#define CLO_ATTEST_POLICY_H

#include "evidence/binding.h"
#include "base/bytes.h"

typedef struct clo_policy clo_policy;

/* The default policy: debug forbidden, UpToDate only, CRLs and TCB collateral required. */
CLO_MUST_CHECK clo_err clo_policy_default(clo_policy **out);
/* Parse a policy file; on error `msg` names the offending key or value. */
CLO_MUST_CHECK clo_err clo_policy_parse(clo_bytes json, clo_policy **out, char *msg,
                                        size_t msg_cap);
CLO_MUST_CHECK clo_err clo_policy_copy(const clo_policy *p, clo_policy **out);
void clo_policy_free(clo_policy *p);
/* Expect exactly this key binding's report data (replacing any binding or
 * report_data the policy had: those are per request). */
void clo_policy_bind(clo_policy *p, const clo_key_binding *kb);
/* Experiments only: accept TEE types the policy lists no measurements for. */
void clo_policy_any_measurement(clo_policy *p);
void clo_policy_allow_debug(clo_policy *p);
/* The policy's evaluation time, if it sets one. */
int clo_policy_time(const clo_policy *p, int64_t *at);

#endif
