/* onchain.h — cloisterd's chain side (docs/architecture.md §3, §5, §7), one thread:
 *
 *  1. registration: bond the operator if it is not yet; if the enclave's
 *     current epoch signer has no active record, collect EnclaveApprovals
 *     from the verifier committee (challenge -> evidence over the verifier's
 *     nonce -> approval) and register it (or rotate from the previous record);
 *  2. reconcile: every journaled transaction not yet closed is rebroadcast
 *     byte-identical and its receipt decides its jobs' fate;
 *  3. follow: JobSubmitted logs of the JobMarket up to head - confirmations,
 *     with a reorg check on the block before the cursor; each job becomes an
 *     enclave job in the journal once its model config is known;
 *  4. settle: done jobs still open on chain, singly (`settle`) or, when more
 *     are ready, as one enclave-signed batch root (`settleBatch`).
 * Every transaction is journaled (host/ledger.h) before it is broadcast. */
#ifndef CLO_HOST_ONCHAIN_H
#define CLO_HOST_ONCHAIN_H

#include "host/node.h"

typedef struct clo_onchain clo_onchain;

/* Start the thread (nothing happens if cfg.rpc_url is empty: *out = NULL). */
CLO_MUST_CHECK clo_err clo_onchain_start(clo_onchain **out, clo_node *node);
void clo_onchain_stop(clo_onchain *c); /* joins; *node->stop must be set first */

#endif
