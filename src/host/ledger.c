/* ledger.c — chain-side records in the journal's SQLite database. */
#include "host/ledger.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "crypto/keccak.h"

static const char *const cj_names[] = {"waiting_model", "queued", "settling", "settled", "dropped"};

const char *clo_cjob_state_name(clo_cjob_state s)
{
    return (unsigned)s < 5 ? cj_names[s] : "unknown";
}

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS models(model_id BLOB PRIMARY KEY, config BLOB NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS cursor(id INTEGER PRIMARY KEY CHECK(id = 1),"
    " next INTEGER NOT NULL, prev_hash BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS chain_jobs(job_id BLOB PRIMARY KEY, consumer BLOB NOT NULL,"
    " block INTEGER NOT NULL, event BLOB NOT NULL, state INTEGER NOT NULL CHECK(state BETWEEN 0"
    " AND 4), tx_hash BLOB, why TEXT NOT NULL DEFAULT '', created_ms INTEGER NOT NULL,"
    " updated_ms INTEGER NOT NULL, not_before INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS chain_jobs_state ON chain_jobs(state, created_ms);"
    "CREATE TABLE IF NOT EXISTS txs(hash BLOB PRIMARY KEY, nonce INTEGER NOT NULL,"
    " raw BLOB NOT NULL, state INTEGER NOT NULL DEFAULT 0, gas_used INTEGER NOT NULL DEFAULT 0,"
    " created_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS tx_jobs(hash BLOB NOT NULL, job_id BLOB NOT NULL,"
    " PRIMARY KEY(hash, job_id)) WITHOUT ROWID;";

/* One statement, run under the journal's lock by the callers below. */
typedef struct {
    sqlite3 *db;
    sqlite3_stmt *st;
} q;

static clo_err q_prep(q *x, const char *sql)
{
    x->st = NULL;
    CLO_ENSURE(sqlite3_prepare_v2(x->db, sql, -1, &x->st, NULL) == SQLITE_OK, CLO_E_IO,
               "ledger: prepare");
    return CLO_OK;
}

static clo_err q_done(q *x)
{
    int rc = sqlite3_step(x->st);
    sqlite3_finalize(x->st);
    x->st = NULL;
    CLO_ENSURE(rc == SQLITE_DONE, CLO_E_IO, "ledger: write");
    return CLO_OK;
}

static clo_err exec(sqlite3 *db, const char *sql)
{
    CLO_ENSURE(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, CLO_E_IO, "ledger: exec");
    return CLO_OK;
}

clo_err clo_ledger_init(clo_journal *j)
{
    sqlite3 *db = clo_journal_lock(j);
    clo_err err = exec(db, schema);
    /* A journal from before issue 21 has no not_before: added, 0 for its rows. */
    sqlite3_stmt *st = NULL;
    if (!err.code && sqlite3_prepare_v2(db, "SELECT not_before FROM chain_jobs LIMIT 0", -1, &st,
                                        NULL) != SQLITE_OK)
        err = exec(db, "ALTER TABLE chain_jobs ADD COLUMN not_before INTEGER NOT NULL DEFAULT 0");
    sqlite3_finalize(st);
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_config_put(clo_journal *j, clo_bytes config, uint8_t id[32])
{
    q x = {clo_journal_lock(j), NULL};
    clo_keccak256(config, id);
    clo_err err = q_prep(&x, "INSERT OR IGNORE INTO models(model_id, config) VALUES(?1, ?2)");
    if (!err.code) {
        sqlite3_bind_blob(x.st, 1, id, 32, SQLITE_STATIC);
        sqlite3_bind_blob(x.st, 2, config.ptr, (int)config.len, SQLITE_STATIC);
        err = q_done(&x);
    }
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_config_get(clo_journal *j, const uint8_t id[32], clo_buf *config)
{
    q x = {clo_journal_lock(j), NULL};
    clo_err err = q_prep(&x, "SELECT config FROM models WHERE model_id = ?1");
    if (!err.code) {
        sqlite3_bind_blob(x.st, 1, id, 32, SQLITE_STATIC);
        if (sqlite3_step(x.st) == SQLITE_ROW)
            err = clo_buf_append(config, sqlite3_column_blob(x.st, 0),
                                 (size_t)sqlite3_column_bytes(x.st, 0));
        else
            err = CLO_ERR(CLO_E_STATE, "model: unknown");
        sqlite3_finalize(x.st);
    }
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_cursor_get(clo_journal *j, uint64_t *next, uint8_t prev_hash[32], int *found)
{
    q x = {clo_journal_lock(j), NULL};
    *found = 0;
    clo_err err = q_prep(&x, "SELECT next, prev_hash FROM cursor WHERE id = 1");
    if (!err.code) {
        if (sqlite3_step(x.st) == SQLITE_ROW && sqlite3_column_bytes(x.st, 1) == 32) {
            *next = (uint64_t)sqlite3_column_int64(x.st, 0);
            memcpy(prev_hash, sqlite3_column_blob(x.st, 1), 32);
            *found = 1;
        }
        sqlite3_finalize(x.st);
    }
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_cursor_set(clo_journal *j, uint64_t next, const uint8_t prev_hash[32])
{
    q x = {clo_journal_lock(j), NULL};
    clo_err err =
        q_prep(&x, "INSERT OR REPLACE INTO cursor(id, next, prev_hash) VALUES(1, ?1, ?2)");
    if (!err.code) {
        sqlite3_bind_int64(x.st, 1, (sqlite3_int64)next);
        sqlite3_bind_blob(x.st, 2, prev_hash, 32, SQLITE_STATIC);
        err = q_done(&x);
    }
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_job_seen(clo_journal *j, const uint8_t job_id[32], const uint8_t consumer[20],
                            uint64_t block, clo_bytes event, clo_cjob_state state, const char *why)
{
    q x = {clo_journal_lock(j), NULL};
    clo_err err =
        q_prep(&x, "INSERT OR IGNORE INTO chain_jobs(job_id, consumer, block, event,"
                   " state, why, created_ms, updated_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?7)");
    if (!err.code) {
        sqlite3_bind_blob(x.st, 1, job_id, 32, SQLITE_STATIC);
        sqlite3_bind_blob(x.st, 2, consumer, 20, SQLITE_STATIC);
        sqlite3_bind_int64(x.st, 3, (sqlite3_int64)block);
        sqlite3_bind_blob(x.st, 4, event.ptr, (int)event.len, SQLITE_STATIC);
        sqlite3_bind_int(x.st, 5, (int)state);
        sqlite3_bind_text(x.st, 6, why ? why : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(x.st, 7, clo_now_ms());
        err = q_done(&x);
    }
    clo_journal_unlock(j);
    return err;
}

static clo_err set_state(sqlite3 *db, const uint8_t job_id[32], clo_cjob_state state,
                         const char *why, const uint8_t *tx_hash)
{
    q x = {db, NULL};
    CLO_TRY(q_prep(&x, "UPDATE chain_jobs SET state = ?2, why = coalesce(?3, why),"
                       " tx_hash = coalesce(?4, tx_hash), updated_ms = ?5 WHERE job_id = ?1"));
    sqlite3_bind_blob(x.st, 1, job_id, 32, SQLITE_STATIC);
    sqlite3_bind_int(x.st, 2, (int)state);
    if (why) sqlite3_bind_text(x.st, 3, why, -1, SQLITE_STATIC);
    if (tx_hash) sqlite3_bind_blob(x.st, 4, tx_hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(x.st, 5, clo_now_ms());
    return q_done(&x);
}

clo_err clo_ledger_job_set(clo_journal *j, const uint8_t job_id[32], clo_cjob_state state,
                           const char *why)
{
    clo_err err = set_state(clo_journal_lock(j), job_id, state, why, NULL);
    clo_journal_unlock(j);
    return err;
}

void clo_cjob_init(clo_cjob *c)
{
    memset(c, 0, sizeof *c);
    clo_buf_init(&c->event, (size_t)64 << 20);
}

void clo_cjob_free(clo_cjob *c)
{
    clo_buf_free(&c->event);
}

#define CJ_COLS "job_id, consumer, block, state, tx_hash, updated_ms, why, event, not_before"

static clo_err cj_fill(sqlite3_stmt *st, clo_cjob *c)
{
    CLO_ENSURE(sqlite3_column_bytes(st, 0) == 32 && sqlite3_column_bytes(st, 1) == 20, CLO_E_FORMAT,
               "ledger: job row");
    memcpy(c->job_id, sqlite3_column_blob(st, 0), 32);
    memcpy(c->consumer, sqlite3_column_blob(st, 1), 20);
    c->block = (uint64_t)sqlite3_column_int64(st, 2);
    c->state = (clo_cjob_state)sqlite3_column_int(st, 3);
    c->has_tx = sqlite3_column_bytes(st, 4) == 32;
    if (c->has_tx) memcpy(c->tx_hash, sqlite3_column_blob(st, 4), 32);
    c->updated_ms = sqlite3_column_int64(st, 5);
    snprintf(c->why, sizeof c->why, "%s", (const char *)sqlite3_column_text(st, 6));
    c->not_before = sqlite3_column_int64(st, 8);
    clo_buf_clear(&c->event);
    return clo_buf_append(&c->event, sqlite3_column_blob(st, 7),
                          (size_t)sqlite3_column_bytes(st, 7));
}

/* Jobs in `state` with not_before <= until, in the order given; up to max. */
static clo_err select_jobs(clo_journal *j, clo_cjob_state state, int64_t until, const char *order,
                           clo_cjob *jobs, size_t max, size_t *count)
{
    char sql[256];
    q x = {clo_journal_lock(j), NULL};
    *count = 0;
    snprintf(sql, sizeof sql,
             "SELECT " CJ_COLS " FROM chain_jobs WHERE state = ?1 AND not_before <= ?2"
             " ORDER BY %s LIMIT ?3",
             order);
    clo_err err = q_prep(&x, sql);
    if (!err.code) {
        sqlite3_bind_int(x.st, 1, (int)state);
        sqlite3_bind_int64(x.st, 2, (sqlite3_int64)until);
        sqlite3_bind_int64(x.st, 3, (sqlite3_int64)max);
        while (!err.code && *count < max && sqlite3_step(x.st) == SQLITE_ROW)
            if (!(err = cj_fill(x.st, &jobs[*count])).code) (*count)++;
        sqlite3_finalize(x.st);
    }
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_jobs(clo_journal *j, clo_cjob_state state, clo_cjob *jobs, size_t max,
                        size_t *count)
{
    return select_jobs(j, state, INT64_MAX, "created_ms", jobs, max, count);
}

clo_err clo_ledger_jobs_due(clo_journal *j, int64_t now, clo_cjob *jobs, size_t max, size_t *count)
{
    return select_jobs(j, CLO_CJ_WAITING, now, "not_before, created_ms", jobs, max, count);
}

clo_err clo_ledger_job_wait_turn(clo_journal *j, const uint8_t job_id[32], int64_t not_before)
{
    q x = {clo_journal_lock(j), NULL};
    clo_err err = q_prep(&x, "UPDATE chain_jobs SET state = ?1, why = ?2, not_before = ?3,"
                             " updated_ms = ?4 WHERE job_id = ?5");
    if (!err.code) {
        sqlite3_bind_int(x.st, 1, (int)CLO_CJ_WAITING);
        sqlite3_bind_text(x.st, 2, CLO_CJ_WAITING_TURN, -1, SQLITE_STATIC);
        sqlite3_bind_int64(x.st, 3, (sqlite3_int64)not_before);
        sqlite3_bind_int64(x.st, 4, (sqlite3_int64)clo_now_ms());
        sqlite3_bind_blob(x.st, 5, job_id, 32, SQLITE_STATIC);
        err = q_done(&x);
    }
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_job_get(clo_journal *j, const uint8_t job_id[32], clo_cjob *out)
{
    q x = {clo_journal_lock(j), NULL};
    clo_err err = q_prep(&x, "SELECT " CJ_COLS " FROM chain_jobs WHERE job_id = ?1");
    if (!err.code) {
        sqlite3_bind_blob(x.st, 1, job_id, 32, SQLITE_STATIC);
        err = sqlite3_step(x.st) == SQLITE_ROW ? cj_fill(x.st, out)
                                               : CLO_ERR(CLO_E_STATE, "job not seen on chain");
        sqlite3_finalize(x.st);
    }
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_job_counts(clo_journal *j, uint64_t counts[5])
{
    q x = {clo_journal_lock(j), NULL};
    memset(counts, 0, 5 * sizeof counts[0]);
    clo_err err = q_prep(&x, "SELECT state, count(*) FROM chain_jobs GROUP BY state");
    if (!err.code) {
        while (sqlite3_step(x.st) == SQLITE_ROW) {
            int s = sqlite3_column_int(x.st, 0);
            if (s >= 0 && s < 5) counts[s] = (uint64_t)sqlite3_column_int64(x.st, 1);
        }
        sqlite3_finalize(x.st);
    }
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_waiting_for_config(clo_journal *j, uint64_t *n)
{
    q x = {clo_journal_lock(j), NULL};
    *n = 0;
    clo_err err = q_prep(&x, "SELECT count(*) FROM chain_jobs WHERE state = 0 AND why = ?1");
    if (!err.code) {
        sqlite3_bind_text(x.st, 1, CLO_CJ_WAITING_CONFIG, -1, SQLITE_STATIC);
        if (sqlite3_step(x.st) == SQLITE_ROW) *n = (uint64_t)sqlite3_column_int64(x.st, 0);
        sqlite3_finalize(x.st);
    }
    clo_journal_unlock(j);
    return err;
}

/* One signed transaction into txs (inside the caller's SQLite transaction). */
static clo_err insert_tx(q *x, uint64_t nonce, const uint8_t hash[32], clo_bytes raw)
{
    CLO_TRY(q_prep(x, "INSERT INTO txs(hash, nonce, raw, created_ms) VALUES(?1, ?2, ?3, ?4)"));
    sqlite3_bind_blob(x->st, 1, hash, 32, SQLITE_STATIC);
    sqlite3_bind_int64(x->st, 2, (sqlite3_int64)nonce);
    sqlite3_bind_blob(x->st, 3, raw.ptr, (int)raw.len, SQLITE_STATIC);
    sqlite3_bind_int64(x->st, 4, clo_now_ms());
    return q_done(x);
}

clo_err clo_ledger_tx_put(clo_journal *j, uint64_t nonce, const uint8_t hash[32], clo_bytes raw,
                          const uint8_t (*jobs)[32], size_t n)
{
    sqlite3 *db = clo_journal_lock(j);
    q x = {db, NULL};
    clo_err err = exec(db, "BEGIN IMMEDIATE");
    if (err.code) goto out;
    err = insert_tx(&x, nonce, hash, raw);
    for (size_t i = 0; i < n && !err.code; i++) {
        err = q_prep(&x, "INSERT INTO tx_jobs(hash, job_id) VALUES(?1, ?2)");
        if (err.code) break;
        sqlite3_bind_blob(x.st, 1, hash, 32, SQLITE_STATIC);
        sqlite3_bind_blob(x.st, 2, jobs[i], 32, SQLITE_STATIC);
        err = q_done(&x);
        if (!err.code) err = set_state(db, jobs[i], CLO_CJ_SETTLING, "", hash);
    }
    CLO_IGNORE(exec(db, err.code ? "ROLLBACK" : "COMMIT"));
out:
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_tx_replace(clo_journal *j, const uint8_t old_hash[32], uint64_t nonce,
                              const uint8_t hash[32], clo_bytes raw)
{
    sqlite3 *db = clo_journal_lock(j);
    q x = {db, NULL};
    clo_err err = exec(db, "BEGIN IMMEDIATE");
    if (err.code) goto out;
    err = insert_tx(&x, nonce, hash, raw);
    if (!err.code)
        err = q_prep(&x, "INSERT INTO tx_jobs(hash, job_id) SELECT ?1, job_id FROM tx_jobs"
                         " WHERE hash = ?2");
    if (!err.code) {
        sqlite3_bind_blob(x.st, 1, hash, 32, SQLITE_STATIC);
        sqlite3_bind_blob(x.st, 2, old_hash, 32, SQLITE_STATIC);
        err = q_done(&x);
    }
    CLO_IGNORE(exec(db, err.code ? "ROLLBACK" : "COMMIT"));
out:
    clo_journal_unlock(j);
    return err;
}

void clo_ledger_tx_init(clo_ledger_tx *t)
{
    memset(t, 0, sizeof *t);
    clo_buf_init(&t->raw, (size_t)8 << 20);
}

void clo_ledger_tx_free(clo_ledger_tx *t)
{
    clo_buf_free(&t->raw);
}

clo_err clo_ledger_tx_open(clo_journal *j, clo_ledger_tx *txs, size_t max, size_t *count)
{
    q x = {clo_journal_lock(j), NULL};
    *count = 0;
    clo_err err = q_prep(&x, "SELECT nonce, hash, raw, created_ms FROM txs WHERE state = 0"
                             " ORDER BY nonce LIMIT ?1");
    if (!err.code) {
        sqlite3_bind_int64(x.st, 1, (sqlite3_int64)max);
        while (!err.code && *count < max && sqlite3_step(x.st) == SQLITE_ROW) {
            clo_ledger_tx *t = &txs[*count];
            t->nonce = (uint64_t)sqlite3_column_int64(x.st, 0);
            if (sqlite3_column_bytes(x.st, 1) != 32) {
                err = CLO_ERR(CLO_E_FORMAT, "ledger: tx row");
                break;
            }
            memcpy(t->hash, sqlite3_column_blob(x.st, 1), 32);
            clo_buf_clear(&t->raw);
            err = clo_buf_append(&t->raw, sqlite3_column_blob(x.st, 2),
                                 (size_t)sqlite3_column_bytes(x.st, 2));
            t->created_ms = sqlite3_column_int64(x.st, 3);
            if (!err.code) (*count)++;
        }
        sqlite3_finalize(x.st);
    }
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_tx_jobs(clo_journal *j, const uint8_t hash[32], uint8_t (*jobs)[32], size_t max,
                           size_t *count)
{
    q x = {clo_journal_lock(j), NULL};
    *count = 0;
    /* Ordered by job id, as clo_ledger_tx_close walks them. */
    clo_err err = q_prep(&x, "SELECT job_id FROM tx_jobs WHERE hash = ?1 ORDER BY job_id");
    if (!err.code) {
        sqlite3_bind_blob(x.st, 1, hash, 32, SQLITE_STATIC);
        while (*count < max && sqlite3_step(x.st) == SQLITE_ROW)
            if (sqlite3_column_bytes(x.st, 0) == 32)
                memcpy(jobs[(*count)++], sqlite3_column_blob(x.st, 0), 32);
        sqlite3_finalize(x.st);
    }
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_tx_close(clo_journal *j, const uint8_t hash[32], int ok, uint64_t gas_used,
                            const clo_cjob_state *after_fail, size_t n)
{
    sqlite3 *db = clo_journal_lock(j);
    q x = {db, NULL};
    uint8_t job[32];
    clo_err err = exec(db, "BEGIN IMMEDIATE");
    if (err.code) goto out;
    err = q_prep(&x, "UPDATE txs SET state = ?2, gas_used = ?3 WHERE hash = ?1");
    if (!err.code) {
        sqlite3_bind_blob(x.st, 1, hash, 32, SQLITE_STATIC);
        sqlite3_bind_int(x.st, 2, ok ? 1 : 2);
        sqlite3_bind_int64(x.st, 3, (sqlite3_int64)gas_used);
        err = q_done(&x);
    }
    if (!err.code) err = q_prep(&x, "SELECT job_id FROM tx_jobs WHERE hash = ?1 ORDER BY job_id");
    if (!err.code) {
        sqlite3_stmt *sel = x.st;
        size_t i = 0;
        sqlite3_bind_blob(sel, 1, hash, 32, SQLITE_STATIC);
        while (!err.code && sqlite3_step(sel) == SQLITE_ROW) {
            if (sqlite3_column_bytes(sel, 0) != 32) continue;
            memcpy(job, sqlite3_column_blob(sel, 0), 32);
            clo_cjob_state s = ok ? CLO_CJ_SETTLED : i < n ? after_fail[i] : CLO_CJ_QUEUED;
            err = set_state(db, job, s, NULL, NULL);
            i++;
        }
        sqlite3_finalize(sel);
    }
    CLO_IGNORE(exec(db, err.code ? "ROLLBACK" : "COMMIT"));
out:
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_next_nonce(clo_journal *j, uint64_t *out)
{
    q x = {clo_journal_lock(j), NULL};
    *out = 0;
    clo_err err = q_prep(&x, "SELECT max(nonce) + 1 FROM txs");
    if (!err.code) {
        if (sqlite3_step(x.st) == SQLITE_ROW && sqlite3_column_type(x.st, 0) == SQLITE_INTEGER)
            *out = (uint64_t)sqlite3_column_int64(x.st, 0);
        sqlite3_finalize(x.st);
    }
    clo_journal_unlock(j);
    return err;
}
