/* audit.h — a job's chain of custody, read from the chain alone and checked
 * link by link:
 *
 *   submission (JobSubmitted) -> settlement transaction and its JobSettled
 *   -> the result statement: recomputed from the settlement's calldata, its
 *      signature (or batch root and Merkle proof) recovered to the signer
 *   -> the signer's enclave record in the registry (active, epoch, measurement
 *      allowed for the workload)
 *   -> its registration: the EnclaveApproval signed by committee verifiers
 *      (each signature recovered, distinct, at least the threshold), whose
 *      measurement and evidence digest are the record's. */
#ifndef CLO_CLIENT_AUDIT_H
#define CLO_CLIENT_AUDIT_H

#include "chain/rpc.h"

typedef struct {
    uint64_t chain_id;
    json_t *links;  /* [{link, ok, why?, facts...}], the caller's to release */
    int custody_ok; /* every link holds */
} clo_audit_report;

/* CLO_OK with the report (links that fail are in it); an error only when the
 * chain cannot be read at all. */
CLO_MUST_CHECK clo_err clo_audit_job(clo_rpc *rpc, const uint8_t registry[20],
                                     const uint8_t market[20], const uint8_t job[32],
                                     clo_audit_report *out);

#endif
