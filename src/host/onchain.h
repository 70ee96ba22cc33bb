/* onchain.h — cloisterd's chain side (docs/architecture.md §3, §5, §7), one
 * thread; each round, in this order:
 *  1. reconcile: every journaled transaction not yet closed (chaintx.h);
 *  2. register the enclave's current signer if it is not (register.h);
 *  3. follow JobSubmitted and WorkloadConfig logs (follow.h);
 *  4. settle done jobs, once the enclave is registered (settle.h).
 * Every transaction is journaled (host/ledger.h) before it is broadcast. */
#ifndef CLO_HOST_ONCHAIN_H
#define CLO_HOST_ONCHAIN_H

#include "host/chaintx.h"
#include "host/node.h"

typedef struct clo_onchain clo_onchain;

/* Start the thread (nothing happens if cfg.rpc_url is empty: *out = NULL). */
CLO_MUST_CHECK clo_err clo_onchain_start(clo_onchain **out, clo_node *node);
void clo_onchain_stop(clo_onchain *c); /* joins; *node->stop must be set first */
/* The chain side's figures for /metrics; 0 (nothing) when c is NULL. */
int clo_onchain_stats(clo_onchain *c, clo_chain_stats *out);
/* The operator this node registers its enclave as (its chain key's address);
 * zero when c is NULL. Evidence binds it (evidence/binding.h). */
void clo_onchain_operator(const clo_onchain *c, uint8_t out[20]);

#endif
