/* register.h — the chain side's registrar: bond the operator if it is not yet,
 * and when the enclave's current epoch signer has no active EnclaveRegistry
 * record, collect EnclaveApprovals from the verifier committee (challenge ->
 * evidence over the committee nonce -> approval) and register it, or rotate
 * from the previous epoch's record (docs/architecture.md §3). */
#ifndef CLO_HOST_REGISTER_H
#define CLO_HOST_REGISTER_H

#include "host/chaintx.h"
#include "host/supervisor.h"

typedef struct {
    clo_chaintx *tx;
    clo_super *super;
    uint8_t registered_signer[20]; /* zero until the current signer is on chain */
    int64_t next_try_ms;
} clo_registrar;

/* Register the current signer if it is not (at most every 2 s after a failure,
 * which is logged). Returns whether a registered signer exists. */
int clo_register_step(clo_registrar *r);

#endif
