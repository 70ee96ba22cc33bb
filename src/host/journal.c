/* journal.c — SQLite job journal. */
#include "host/journal.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "crypto/hash.h"

struct clo_journal {
    sqlite3 *db;
    pthread_mutex_t mu;
};

static const char *const state_names[] = {"accepted", "done", "failed"};

const char *clo_job_state_name(clo_job_state s)
{
    return (unsigned)s < 3 ? state_names[s] : "unknown";
}

static const char schema[] = "PRAGMA journal_mode=WAL;"
                             "PRAGMA synchronous=FULL;"
                             "CREATE TABLE IF NOT EXISTS jobs("
                             " job_id BLOB PRIMARY KEY CHECK(length(job_id) = 32),"
                             " workload TEXT NOT NULL,"
                             " request BLOB NOT NULL,"
                             " request_hash BLOB NOT NULL,"
                             " state INTEGER NOT NULL CHECK(state IN (0, 1, 2)),"
                             " result BLOB,"
                             " created_ms INTEGER NOT NULL,"
                             " updated_ms INTEGER NOT NULL) WITHOUT ROWID;"
                             "CREATE INDEX IF NOT EXISTS jobs_pending ON jobs(state, created_ms);";

clo_err clo_journal_open(clo_journal **out, const char *path)
{
    clo_journal *j = calloc(1, sizeof *j);
    CLO_ENSURE(j, CLO_E_NOMEM, "journal");
    pthread_mutex_init(&j->mu, NULL);
    if (sqlite3_open_v2(path, &j->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
            SQLITE_OK ||
        sqlite3_busy_timeout(j->db, 5000) != SQLITE_OK ||
        sqlite3_exec(j->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        clo_journal_close(j);
        return CLO_ERR(CLO_E_IO, "journal: cannot open the database");
    }
    *out = j;
    return CLO_OK;
}

void clo_journal_close(clo_journal *j)
{
    if (!j) return;
    sqlite3_close(j->db);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

sqlite3 *clo_journal_lock(clo_journal *j)
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

static clo_err prep(clo_journal *j, const char *sql, sqlite3_stmt **st)
{
    CLO_ENSURE(sqlite3_prepare_v2(j->db, sql, -1, st, NULL) == SQLITE_OK, CLO_E_IO,
               "journal: prepare");
    return CLO_OK;
}

clo_err clo_journal_put(clo_journal *j, const uint8_t job_id[32], const char *workload,
                        clo_bytes request, int *existed)
{
    uint8_t h[32];
    sqlite3_stmt *st = NULL;
    clo_err err = CLO_OK;
    *existed = 0;
    CLO_TRY(clo_sha256(request, h));
    pthread_mutex_lock(&j->mu);
    CLO_CHECK(prep(j,
                   "INSERT INTO jobs(job_id, workload, request, request_hash, state, "
                   "created_ms, updated_ms) VALUES(?1, ?2, ?3, ?4, 0, ?5, ?5) "
                   "ON CONFLICT(job_id) DO NOTHING",
                   &st));
    int64_t t = clo_now_ms();
    sqlite3_bind_blob(st, 1, job_id, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, workload, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, request.ptr, (int)request.len, SQLITE_STATIC);
    sqlite3_bind_blob(st, 4, h, 32, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, t);
    CLO_FAIL_IF(sqlite3_step(st) != SQLITE_DONE, CLO_E_IO, "journal: insert");
    if (sqlite3_changes(j->db) == 1) goto out;
    sqlite3_finalize(st);
    st = NULL;
    CLO_CHECK(prep(j, "SELECT request_hash FROM jobs WHERE job_id = ?1", &st));
    sqlite3_bind_blob(st, 1, job_id, 32, SQLITE_STATIC);
    CLO_FAIL_IF(sqlite3_step(st) != SQLITE_ROW, CLO_E_IO, "journal: lookup");
    CLO_FAIL_IF(sqlite3_column_bytes(st, 0) != 32 || memcmp(sqlite3_column_blob(st, 0), h, 32),
                CLO_E_POLICY, "job id already used");
    *existed = 1;
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->mu);
    return err;
}

static clo_err fill(sqlite3_stmt *st, clo_journal_job *job)
{
    CLO_ENSURE(sqlite3_column_bytes(st, 0) == 32, CLO_E_FORMAT, "journal: job id");
    memcpy(job->job_id, sqlite3_column_blob(st, 0), 32);
    snprintf(job->workload, sizeof job->workload, "%s", (const char *)sqlite3_column_text(st, 1));
    job->state = (clo_job_state)sqlite3_column_int(st, 2);
    job->created_ms = sqlite3_column_int64(st, 3);
    job->updated_ms = sqlite3_column_int64(st, 4);
    clo_buf_clear(&job->request);
    clo_buf_clear(&job->result);
    CLO_TRY(clo_buf_append(&job->request, sqlite3_column_blob(st, 5),
                           (size_t)sqlite3_column_bytes(st, 5)));
    if (sqlite3_column_type(st, 6) == SQLITE_BLOB)
        CLO_TRY(clo_buf_append(&job->result, sqlite3_column_blob(st, 6),
                               (size_t)sqlite3_column_bytes(st, 6)));
    return CLO_OK;
}

#define COLS "job_id, workload, state, created_ms, updated_ms, request, result"

clo_err clo_journal_pending(clo_journal *j, clo_journal_job *jobs, size_t max, size_t *count)
{
    sqlite3_stmt *st = NULL;
    clo_err err = CLO_OK;
    *count = 0;
    pthread_mutex_lock(&j->mu);
    CLO_CHECK(
        prep(j, "SELECT " COLS " FROM jobs WHERE state = 0 ORDER BY created_ms LIMIT ?1", &st));
    sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
    int rc;
    while (*count < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        CLO_CHECK(fill(st, &jobs[*count]));
        (*count)++;
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->mu);
    return err;
}

clo_err clo_journal_finish(clo_journal *j, const uint8_t job_id[32], int failed, clo_bytes result)
{
    sqlite3_stmt *st = NULL;
    clo_err err = CLO_OK;
    pthread_mutex_lock(&j->mu);
    CLO_CHECK(prep(j,
                   "UPDATE jobs SET state = ?2, result = ?3, updated_ms = ?4 "
                   "WHERE job_id = ?1 AND state = 0",
                   &st));
    sqlite3_bind_blob(st, 1, job_id, 32, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, failed ? CLO_JOB_FAILED : CLO_JOB_DONE);
    sqlite3_bind_blob(st, 3, result.ptr, (int)result.len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, clo_now_ms());
    CLO_FAIL_IF(sqlite3_step(st) != SQLITE_DONE, CLO_E_IO, "journal: update");
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->mu);
    return err;
}

clo_err clo_journal_get(clo_journal *j, const uint8_t job_id[32], clo_journal_job *out)
{
    sqlite3_stmt *st = NULL;
    clo_err err = CLO_OK;
    pthread_mutex_lock(&j->mu);
    CLO_CHECK(prep(j, "SELECT " COLS " FROM jobs WHERE job_id = ?1", &st));
    sqlite3_bind_blob(st, 1, job_id, 32, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    CLO_FAIL_IF(rc == SQLITE_DONE, CLO_E_STATE, "job not found");
    CLO_FAIL_IF(rc != SQLITE_ROW, CLO_E_IO, "journal: lookup");
    CLO_CHECK(fill(st, out));
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->mu);
    return err;
}

clo_err clo_journal_counts(clo_journal *j, uint64_t counts[3])
{
    sqlite3_stmt *st = NULL;
    clo_err err = CLO_OK;
    memset(counts, 0, 3 * sizeof counts[0]);
    pthread_mutex_lock(&j->mu);
    CLO_CHECK(prep(j, "SELECT state, count(*) FROM jobs GROUP BY state", &st));
    while (sqlite3_step(st) == SQLITE_ROW) {
        int s = sqlite3_column_int(st, 0);
        if (s >= 0 && s < 3) counts[s] = (uint64_t)sqlite3_column_int64(st, 1);
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&j->mu);
    return err;
}
