/* chaintx.h — the chain side's transactions (docs/architecture.md §7): every
 * one is journaled (host/ledger.h) before broadcast, waited for, and closed
 * only once its receipt is final; after a crash each open one is rebroadcast
 * byte-identical, re-priced when the chain waits on its nonce, or closed as
 * failed when its nonce went to another. The registrar, follower and settler
 * (register.h, follow.h, settle.h) send through it. */
#ifndef CLO_HOST_CHAINTX_H
#define CLO_HOST_CHAINTX_H

#include <pthread.h>

#include "chain/abi.h"
#include "chain/rpc.h"
#include "chain/sender.h"
#include "client/contracts.h"
#include "host/config.h"
#include "host/journal.h"

#define CLO_CHAINTX_REASONS 4

/* What /metrics shows of the chain side; copied under mu, never while the
 * chain thread waits on the RPC. */
typedef struct {
    uint64_t head, followed; /* latest block; next block the follower reads */
    uint64_t waiting_config, waiting_ticket, queued, settling, settled, dropped;
    double balance_eth;    /* the operator's, at the last poll */
    int64_t record_expiry; /* the enclave record's expiry (Unix s); 0: none */
    uint64_t tx_ok, tx_failed[CLO_CHAINTX_REASONS];
} clo_chain_stats;
extern const char *const clo_chaintx_reason_names[CLO_CHAINTX_REASONS];

typedef struct {
    const clo_config *cfg;
    clo_journal *journal;
    clo_rpc *rpc;
    clo_sender s;
    int first_pass;     /* after a start: rebroadcast every open transaction at once */
    uint64_t chain_now; /* the latest block's timestamp: deadlines are chain time */
    /* the jobs the transaction being signed settles (for the journal hook) */
    const uint8_t (*tx_jobs)[32];
    size_t tx_njobs;
    pthread_mutex_t mu;
    clo_chain_stats stats;
} clo_chaintx;

/* Connect to cfg->rpc_url with the key in cfg->key_file; the next nonce is
 * past every journaled one. */
CLO_MUST_CHECK clo_err clo_chaintx_init(clo_chaintx *t, const clo_config *cfg, clo_journal *j);
void clo_chaintx_free(clo_chaintx *t);

/* Send data to `to`, journaled first with the jobs it settles, then wait for
 * the receipt (at most chain.bump_after_ms) and close it if final. A revert
 * in estimation is returned (CLO_E_POLICY) with its data in revert_out. */
CLO_MUST_CHECK clo_err clo_chaintx_send(clo_chaintx *t, const uint8_t to[20], const uint8_t *value,
                                        clo_bytes data, const uint8_t (*jobs)[32], size_t njobs,
                                        clo_buf *revert_out, const char *what);
/* Encode sig(args) and send it (no jobs). */
CLO_MUST_CHECK clo_err clo_chaintx_call(clo_chaintx *t, const uint8_t to[20], const uint8_t *value,
                                        const char *sig, const clo_abi_val *args, const char *what);
/* Every journaled transaction not yet closed: see above. */
CLO_MUST_CHECK clo_err clo_chaintx_reconcile(clo_chaintx *t);
/* JobMarket.job(id): its state and deadline (deadline may be NULL). */
CLO_MUST_CHECK clo_err clo_chaintx_job_state(clo_chaintx *t, const uint8_t job_id[32],
                                             uint8_t *state, uint64_t *deadline);
/* The stats, copied under t->mu (the chain thread writes them under it too). */
void clo_chaintx_stats_get(clo_chaintx *t, clo_chain_stats *out);

#endif
