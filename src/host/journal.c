/* journal.c — the job journal, on SQLite or PostgreSQL (host/db.h). */
#include "host/journal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "crypto/hash.h"

struct clo_journal {
    clo_db *db;
    pthread_mutex_t mu;
    char owner[128];
};

static const char *const state_names[] = {"accepted", "done", "failed"};

const char *clo_job_state_name(clo_job_state s)
{
    return (unsigned)s < 3 ? state_names[s] : "unknown";
}

static const char schema_sqlite[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS jobs("
    " job_id BLOB PRIMARY KEY CHECK(length(job_id) = 32),"
    " workload TEXT NOT NULL,"
    " request BLOB NOT NULL,"
    " request_hash BLOB NOT NULL,"
    " state INTEGER NOT NULL CHECK(state IN (0, 1, 2)),"
    " result BLOB,"
    " created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL,"
    " claimed_by TEXT NOT NULL DEFAULT '',"
    " claim_until INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS jobs_pending ON jobs(state, created_ms);";

/* The same, typed for PostgreSQL; made under the writers' lock, since two
 * daemons starting together would race on CREATE ... IF NOT EXISTS. */
static const char schema_pg[] =
    "CREATE TABLE IF NOT EXISTS jobs("
    " job_id BYTEA PRIMARY KEY CHECK(length(job_id) = 32),"
    " workload TEXT NOT NULL,"
    " request BYTEA NOT NULL,"
    " request_hash BYTEA NOT NULL,"
    " state BIGINT NOT NULL CHECK(state IN (0, 1, 2)),"
    " result BYTEA,"
    " created_ms BIGINT NOT NULL,"
    " updated_ms BIGINT NOT NULL,"
    " claimed_by TEXT NOT NULL DEFAULT '',"
    " claim_until BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS jobs_pending ON jobs(state, created_ms);";

static clo_err make_schema(clo_db *db)
{
    if (clo_db_kind_of(db) == CLO_DB_POSTGRES) {
        CLO_TRY(clo_db_begin(db));
        return clo_db_end(db, clo_db_exec(db, schema_pg));
    }
    CLO_TRY(clo_db_exec(db, schema_sqlite));
    /* A journal from before issue 21 has no claims: added, unclaimed. */
    clo_db_q q;
    if (clo_db_prep(db, &q, "SELECT claimed_by FROM jobs LIMIT 0").code)
        return clo_db_exec(db, "ALTER TABLE jobs ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';"
                               "ALTER TABLE jobs ADD COLUMN claim_until INTEGER NOT NULL"
                               " DEFAULT 0;");
    clo_db_q_end(&q);
    return CLO_OK;
}

clo_err clo_journal_open(clo_journal **out, const char *target, const char *owner)
{
    clo_journal *j = calloc(1, sizeof *j);
    CLO_ENSURE(j, CLO_E_NOMEM, "journal");
    if (strlen(owner) >= sizeof j->owner) {
        free(j);
        return CLO_ERR(CLO_E_LIMIT, "journal.owner: too long");
    }
    snprintf(j->owner, sizeof j->owner, "%s", owner);
    pthread_mutex_init(&j->mu, NULL);
    clo_err err = clo_db_open(&j->db, target);
    if (!err.code) err = make_schema(j->db);
    if (err.code) {
        clo_journal_close(j);
        return err;
    }
    *out = j;
    return CLO_OK;
}

const char *clo_journal_owner(const clo_journal *j)
{
    return j->owner;
}

void clo_journal_close(clo_journal *j)
{
    if (!j) return;
    clo_db_close(j->db);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

clo_db *clo_journal_lock(clo_journal *j)
{
    pthread_mutex_lock(&j->mu);
    return j->db;
}

void clo_journal_unlock(clo_journal *j)
{
    pthread_mutex_unlock(&j->mu);
}

void clo_journal_job_init(clo_journal_job *job)
{
    memset(job, 0, sizeof *job);
    clo_buf_init(&job->request, (size_t)64 << 20);
    clo_buf_init(&job->result, (size_t)64 << 20);
}

void clo_journal_job_free(clo_journal_job *job)
{
    clo_buf_free(&job->request);
    clo_buf_free(&job->result);
}

clo_err clo_journal_put(clo_journal *j, const uint8_t job_id[32], const char *workload,
                        clo_bytes request, int *existed)
{
    uint8_t h[32];
    clo_db_q q = {0};
    clo_err err = CLO_OK;
    int row;
    *existed = 0;
    CLO_TRY(clo_sha256(request, h));
    clo_db *db = clo_journal_lock(j);
    CLO_CHECK(clo_db_prep(db, &q,
                          "INSERT INTO jobs(job_id, workload, request, request_hash, state, "
                          "created_ms, updated_ms) VALUES(?1, ?2, ?3, ?4, 0, ?5, ?5) "
                          "ON CONFLICT(job_id) DO NOTHING"));
    clo_db_bind_blob(&q, 1, job_id, 32);
    clo_db_bind_text(&q, 2, workload);
    clo_db_bind_blob(&q, 3, request.ptr, request.len);
    clo_db_bind_blob(&q, 4, h, 32);
    clo_db_bind_int(&q, 5, clo_now_ms());
    CLO_CHECK(clo_db_run(&q));
    if (clo_db_changes(&q) == 1) goto out;
    clo_db_q_end(&q);
    CLO_CHECK(clo_db_prep(db, &q, "SELECT request_hash FROM jobs WHERE job_id = ?1"));
    clo_db_bind_blob(&q, 1, job_id, 32);
    CLO_CHECK(clo_db_step(&q, &row));
    CLO_FAIL_IF(!row, CLO_E_IO, "journal: lookup");
    CLO_FAIL_IF(clo_db_len(&q, 0) != 32 || memcmp(clo_db_blob(&q, 0), h, 32), CLO_E_POLICY,
                "job id already used");
    *existed = 1;
out:
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

static clo_err fill(clo_db_q *q, clo_journal_job *job)
{
    CLO_ENSURE(clo_db_len(q, 0) == 32, CLO_E_FORMAT, "journal: job id");
    memcpy(job->job_id, clo_db_blob(q, 0), 32);
    snprintf(job->workload, sizeof job->workload, "%s", clo_db_text(q, 1));
    job->state = (clo_job_state)clo_db_int(q, 2);
    job->created_ms = clo_db_int(q, 3);
    job->updated_ms = clo_db_int(q, 4);
    clo_buf_clear(&job->request);
    clo_buf_clear(&job->result);
    CLO_TRY(clo_buf_append(&job->request, clo_db_blob(q, 5), clo_db_len(q, 5)));
    if (!clo_db_is_null(q, 6))
        CLO_TRY(clo_buf_append(&job->result, clo_db_blob(q, 6), clo_db_len(q, 6)));
    return CLO_OK;
}

#define COLS "job_id, workload, state, created_ms, updated_ms, request, result"

static int by_created(const void *a, const void *b)
{
    const clo_journal_job *x = a, *y = b;
    return (x->created_ms > y->created_ms) - (x->created_ms < y->created_ms);
}

clo_err clo_journal_claim(clo_journal *j, const char *owner, int64_t lease_ms,
                          clo_journal_job *jobs, size_t max, size_t *count)
{
    char sql[512];
    clo_db_q q = {0};
    clo_err err = CLO_OK;
    int row;
    *count = 0;
    clo_db *db = clo_journal_lock(j);
    /* Another daemon's claim is skipped until its lease ends; on PostgreSQL a
     * row another is claiming this instant is skipped, not waited for. */
    snprintf(sql, sizeof sql,
             "UPDATE jobs SET claimed_by = ?1, claim_until = ?2 WHERE job_id IN ("
             "SELECT job_id FROM jobs WHERE state = 0 AND (claim_until <= ?3 OR claimed_by = ?1)"
             " ORDER BY created_ms LIMIT ?4%s) RETURNING " COLS,
             clo_db_kind_of(db) == CLO_DB_POSTGRES ? " FOR UPDATE SKIP LOCKED" : "");
    int64_t now = clo_now_ms();
    CLO_CHECK(clo_db_prep(db, &q, sql));
    clo_db_bind_text(&q, 1, owner);
    clo_db_bind_int(&q, 2, now + lease_ms);
    clo_db_bind_int(&q, 3, now);
    clo_db_bind_int(&q, 4, (int64_t)max);
    while (*count < max) {
        CLO_CHECK(clo_db_step(&q, &row));
        if (!row) break;
        CLO_CHECK(fill(&q, &jobs[*count]));
        (*count)++;
    }
out:
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    if (*count > 1) qsort(jobs, *count, sizeof *jobs, by_created);
    return err;
}

clo_err clo_journal_release(clo_journal *j, const char *owner)
{
    clo_db_q q = {0};
    clo_db *db = clo_journal_lock(j);
    clo_err err = clo_db_prep(db, &q, "UPDATE jobs SET claim_until = 0 WHERE claimed_by = ?1");
    if (!err.code) {
        clo_db_bind_text(&q, 1, owner);
        err = clo_db_run(&q);
    }
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

clo_err clo_journal_finish(clo_journal *j, const uint8_t job_id[32], int failed, clo_bytes result)
{
    clo_db_q q = {0};
    clo_db *db = clo_journal_lock(j);
    clo_err err = clo_db_prep(db, &q,
                              "UPDATE jobs SET state = ?2, result = ?3, updated_ms = ?4 "
                              "WHERE job_id = ?1 AND state = 0");
    if (!err.code) {
        clo_db_bind_blob(&q, 1, job_id, 32);
        clo_db_bind_int(&q, 2, failed ? CLO_JOB_FAILED : CLO_JOB_DONE);
        clo_db_bind_blob(&q, 3, result.ptr, result.len);
        clo_db_bind_int(&q, 4, clo_now_ms());
        err = clo_db_run(&q);
    }
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

clo_err clo_journal_get(clo_journal *j, const uint8_t job_id[32], clo_journal_job *out)
{
    clo_db_q q = {0};
    clo_err err = CLO_OK;
    int row;
    clo_db *db = clo_journal_lock(j);
    CLO_CHECK(clo_db_prep(db, &q, "SELECT " COLS " FROM jobs WHERE job_id = ?1"));
    clo_db_bind_blob(&q, 1, job_id, 32);
    CLO_CHECK(clo_db_step(&q, &row));
    CLO_FAIL_IF(!row, CLO_E_STATE, "job not found");
    CLO_CHECK(fill(&q, out));
out:
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

clo_err clo_journal_counts(clo_journal *j, uint64_t counts[3])
{
    clo_db_q q = {0};
    clo_err err = CLO_OK;
    int row;
    memset(counts, 0, 3 * sizeof counts[0]);
    clo_db *db = clo_journal_lock(j);
    CLO_CHECK(clo_db_prep(db, &q, "SELECT state, count(*) FROM jobs GROUP BY state"));
    for (;;) {
        CLO_CHECK(clo_db_step(&q, &row));
        if (!row) break;
        int64_t s = clo_db_int(&q, 0);
        if (s >= 0 && s < 3) counts[s] = (uint64_t)clo_db_int(&q, 1);
    }
out:
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}
