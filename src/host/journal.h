/* journal.h — the crash-safe job journal (docs/architecture.md §7): SQLite in
 * WAL mode with synchronous=FULL, or a PostgreSQL server that several daemons
 * of one operator share (host/db.h). Untrusted side.
 *
 * A job is journaled (state "accepted") before the API acknowledges it; its
 * result (state "done") or its own error (state "failed") is journaled before
 * anyone can read it. Job ids are the primary key: a job is stored once, a
 * resubmission of the identical request is answered with the stored job, a
 * different request under a used id is refused. One connection, serialised by
 * a mutex; every call is one transaction.
 *
 * Daemons sharing a journal claim accepted jobs before running them: a claim
 * is its owner's until its lease ends, so a daemon that dies mid-job leaves
 * the job to another after the lease, and two never start it together. */
#ifndef CLO_HOST_JOURNAL_H
#define CLO_HOST_JOURNAL_H

#include "base/bytes.h"
#include "host/db.h"

typedef struct clo_journal clo_journal;

typedef enum { CLO_JOB_ACCEPTED = 0, CLO_JOB_DONE = 1, CLO_JOB_FAILED = 2 } clo_job_state;
const char *clo_job_state_name(clo_job_state s);

typedef struct {
    uint8_t job_id[32];
    char workload[32];
    clo_job_state state;
    int64_t created_ms, updated_ms;
    clo_buf request; /* encoded proto job */
    clo_buf result;  /* encoded proto result (done or failed) */
} clo_journal_job;

/* target: a SQLite file or a PostgreSQL URI (clo_db_open). owner names this
 * daemon among those sharing the journal (its claims, its transactions, its
 * follower's cursor). */
CLO_MUST_CHECK clo_err clo_journal_open(clo_journal **out, const char *target, const char *owner);
const char *clo_journal_owner(const clo_journal *j);
void clo_journal_close(clo_journal *j);

/* Insert an accepted job. *existed = 1 (and nothing written) if the same id with
 * the same request is already there; CLO_E_POLICY "job id already used" if the
 * id is there with a different request. */
CLO_MUST_CHECK clo_err clo_journal_put(clo_journal *j, const uint8_t job_id[32],
                                       const char *workload, clo_bytes request, int *existed);
/* Claim up to max accepted jobs for `owner` for lease_ms, oldest first: those
 * unclaimed, claimed by owner, or whose lease ended. jobs[] must be
 * initialised with clo_journal_job_init; *count receives how many were filled. */
CLO_MUST_CHECK clo_err clo_journal_claim(clo_journal *j, const char *owner, int64_t lease_ms,
                                         clo_journal_job *jobs, size_t max, size_t *count);
/* End owner's claims (a daemon starting again under its name takes them back
 * at once instead of after their lease). */
CLO_MUST_CHECK clo_err clo_journal_release(clo_journal *j, const char *owner);
/* Record the outcome of an accepted job (no-op if it is no longer accepted). */
CLO_MUST_CHECK clo_err clo_journal_finish(clo_journal *j, const uint8_t job_id[32], int failed,
                                          clo_bytes result);
/* CLO_E_STATE "job not found" if absent. */
CLO_MUST_CHECK clo_err clo_journal_get(clo_journal *j, const uint8_t job_id[32],
                                       clo_journal_job *out);
/* Number of jobs in each state. */
CLO_MUST_CHECK clo_err clo_journal_counts(clo_journal *j, uint64_t counts[3]);

void clo_journal_job_init(clo_journal_job *job);
/* The one connection, for the chain-side tables of host/ledger.c: lock, use,
 * unlock. Nothing else may touch the handle. */
clo_db *clo_journal_lock(clo_journal *j);
void clo_journal_unlock(clo_journal *j);
void clo_journal_job_free(clo_journal_job *job);

#endif
