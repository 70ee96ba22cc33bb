/* ledger.h — the node's chain-side records, in the journal's database
 * (docs/architecture.md §7): what it has seen on chain and what it has sent there.
 *
 *   models      config hash -> workload config (content-addressed: keccak256;
 *               JobMarket's configHash. The table keeps its first name.)
 *   cursor      the next block the log follower reads and the hash of the one
 *               before it (a changed hash is a reorg)
 *   chain_jobs  each JobSubmitted seen: its workload id and event data, its
 *               consumer, its state
 *   txs         every signed transaction, journaled before broadcast, with the
 *               jobs it settles; rebroadcast byte-identical after a crash
 *
 * A PostgreSQL journal is shared by several daemons of one operator; each
 * follows the chain with a cursor of its own (its owner name), and writers
 * take turns under one lock (clo_db_begin), so two never journal the same
 * nonce or settle the same job.
 *
 * A job is settled at most once by this node because a job leaves `queued`
 * only together with the journaling of the transaction that settles it (one
 * database transaction), and goes back to `queued` only once the chain says that
 * transaction failed (or can never be mined: its nonce went to another one)
 * and the job is still open. */
#ifndef CLO_HOST_LEDGER_H
#define CLO_HOST_LEDGER_H

#include "host/journal.h"

typedef enum {
    CLO_CJ_WAITING = 0,  /* for its config or its ticket: `why` says which */
    CLO_CJ_QUEUED = 1,   /* in the job journal; settles once done */
    CLO_CJ_SETTLING = 2, /* a journaled transaction settles it */
    CLO_CJ_SETTLED = 3,  /* settled on chain (by us or anyone) */
    CLO_CJ_DROPPED = 4,  /* will not be settled by us; `why` says why */
} clo_cjob_state;
const char *clo_cjob_state_name(clo_cjob_state s);
/* The `why` of a waiting job: the node lacks its workload config (neither
 * POSTed nor published on chain), or the committee's tickets. */
#define CLO_CJ_WAITING_CONFIG "waiting_for_config"
#define CLO_CJ_WAITING_TICKET "waiting_for_ticket"
#define CLO_CJ_WAITING_TURN   "waiting_for_turn" /* another operator's, until not_before */

typedef struct {
    uint8_t job_id[32], consumer[20], tx_hash[32];
    uint64_t block;
    clo_cjob_state state;
    int has_tx;
    int64_t updated_ms;
    char why[96];
    clo_buf event;      /* workload id (the indexed topic) || the JobSubmitted log data (ABI) */
    int64_t not_before; /* chain time this node's turn comes (chain.stagger_seconds); 0: none */
} clo_cjob;

typedef struct {
    uint64_t nonce;
    uint8_t hash[32];
    clo_buf raw;
    int64_t created_ms;
} clo_ledger_tx;

CLO_MUST_CHECK clo_err clo_ledger_init(clo_journal *j);

CLO_MUST_CHECK clo_err clo_ledger_config_put(clo_journal *j, clo_bytes config, uint8_t id[32]);
/* CLO_E_STATE "model: unknown" if absent. */
CLO_MUST_CHECK clo_err clo_ledger_config_get(clo_journal *j, const uint8_t id[32], clo_buf *config);

/* *found = 0 when the follower has not started. */
CLO_MUST_CHECK clo_err clo_ledger_cursor_get(clo_journal *j, uint64_t *next, uint8_t prev_hash[32],
                                             int *found);
CLO_MUST_CHECK clo_err clo_ledger_cursor_set(clo_journal *j, uint64_t next,
                                             const uint8_t prev_hash[32]);

/* Record a seen job (nothing if it is already there). */
CLO_MUST_CHECK clo_err clo_ledger_job_seen(clo_journal *j, const uint8_t job_id[32],
                                           const uint8_t consumer[20], uint64_t block,
                                           clo_bytes event, clo_cjob_state state, const char *why);
/* Move a job from `from` to `to` (why NULL: keep it); *moved (may be NULL)
 * says whether it was in `from`. Daemons sharing the journal act on what they
 * read, and another may have moved the job since. */
CLO_MUST_CHECK clo_err clo_ledger_job_move(clo_journal *j, const uint8_t job_id[32],
                                           clo_cjob_state from, clo_cjob_state to, const char *why,
                                           int *moved);
/* Up to max jobs in `state`, oldest first; jobs[] initialised with clo_cjob_init. */
/* Waiting jobs due at chain time `now` (not_before <= now), earliest first. */
CLO_MUST_CHECK clo_err clo_ledger_jobs_due(clo_journal *j, int64_t now, clo_cjob *jobs, size_t max,
                                           size_t *count);
/* Waiting for this node's turn, which comes at not_before (chain time); only
 * a job still waiting. */
CLO_MUST_CHECK clo_err clo_ledger_job_wait_turn(clo_journal *j, const uint8_t job_id[32],
                                                int64_t not_before);
CLO_MUST_CHECK clo_err clo_ledger_jobs(clo_journal *j, clo_cjob_state state, clo_cjob *jobs,
                                       size_t max, size_t *count);
CLO_MUST_CHECK clo_err clo_ledger_job_get(clo_journal *j, const uint8_t job_id[32], clo_cjob *out);
CLO_MUST_CHECK clo_err clo_ledger_job_counts(clo_journal *j, uint64_t counts[5]);
/* How many waiting jobs lack their config. */
CLO_MUST_CHECK clo_err clo_ledger_waiting_for_config(clo_journal *j, uint64_t *n);
void clo_cjob_init(clo_cjob *c);
void clo_cjob_free(clo_cjob *c);

/* Journal a signed transaction and move jobs[0..n) (which must be queued) to
 * settling under it, atomically. In a journal several daemons share (one
 * operator key), CLO_E_STATE CLO_LEDGER_NONCE_TAKEN if another daemon
 * journaled a transaction at this nonce, CLO_LEDGER_JOB_TAKEN if a job is no
 * longer queued; nothing is then written, and the caller signs again. */
#define CLO_LEDGER_NONCE_TAKEN "ledger: nonce taken by another daemon"
#define CLO_LEDGER_JOB_TAKEN   "ledger: job no longer queued"

CLO_MUST_CHECK clo_err clo_ledger_tx_put(clo_journal *j, uint64_t nonce, const uint8_t hash[32],
                                         clo_bytes raw, const uint8_t (*jobs)[32], size_t n);
/* Journal a replacement of old_hash at the same nonce (a fee bump), settling
 * the same jobs, atomically; both stay open until the chain decides. */
CLO_MUST_CHECK clo_err clo_ledger_tx_replace(clo_journal *j, const uint8_t old_hash[32],
                                             uint64_t nonce, const uint8_t hash[32], clo_bytes raw);
/* Transactions not yet closed, by nonce; txs[] initialised with clo_ledger_tx_init. */
CLO_MUST_CHECK clo_err clo_ledger_tx_open(clo_journal *j, clo_ledger_tx *txs, size_t max,
                                          size_t *count);
/* The jobs a transaction settles (capacity max). */
CLO_MUST_CHECK clo_err clo_ledger_tx_jobs(clo_journal *j, const uint8_t hash[32],
                                          uint8_t (*jobs)[32], size_t max, size_t *count);
/* Close a transaction: mined (ok = 1, its jobs settled) or failed (ok = 0;
 * then each of its jobs takes the state in after_fail[i]). A transaction
 * closed already is left as it is, and its jobs too. */
CLO_MUST_CHECK clo_err clo_ledger_tx_close(clo_journal *j, const uint8_t hash[32], int ok,
                                           uint64_t gas_used, const clo_cjob_state *after_fail,
                                           size_t n);
/* Highest journaled nonce + 1 (0 if none). */
CLO_MUST_CHECK clo_err clo_ledger_next_nonce(clo_journal *j, uint64_t *out);
void clo_ledger_tx_init(clo_ledger_tx *t);
void clo_ledger_tx_free(clo_ledger_tx *t);

#endif
