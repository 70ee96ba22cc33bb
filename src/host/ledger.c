/* ledger.c — chain-side records in the journal's database (host/db.h). */
#include "host/ledger.h"

#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "crypto/keccak.h"
#include "wire/proto.h"

static const char *const cj_names[] = {"waiting_model", "queued", "settling", "settled", "dropped"};

const char *clo_cjob_state_name(clo_cjob_state s)
{
    return (unsigned)s < 5 ? cj_names[s] : "unknown";
}

/* SQLite: one daemon's file. Its follower's cursor is the one row of
 * `cursor`; `cursors` is there for the shape only. */
static const char schema_sqlite[] =
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
    " created_ms INTEGER NOT NULL, owner TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS tx_jobs(hash BLOB NOT NULL, job_id BLOB NOT NULL,"
    " PRIMARY KEY(hash, job_id)) WITHOUT ROWID;";

/* PostgreSQL: the fleet's. Each daemon follows the chain on its own, so the
 * cursor is per daemon (keyed by its owner name); jobs, configs and
 * transactions are shared. */
static const char schema_pg[] =
    "CREATE TABLE IF NOT EXISTS models(model_id BYTEA PRIMARY KEY, config BYTEA NOT NULL);"
    "CREATE TABLE IF NOT EXISTS cursors(owner TEXT PRIMARY KEY, next BIGINT NOT NULL,"
    " prev_hash BYTEA NOT NULL);"
    "CREATE TABLE IF NOT EXISTS chain_jobs(job_id BYTEA PRIMARY KEY, consumer BYTEA NOT NULL,"
    " block BIGINT NOT NULL, event BYTEA NOT NULL, state BIGINT NOT NULL CHECK(state BETWEEN 0"
    " AND 4), tx_hash BYTEA, why TEXT NOT NULL DEFAULT '', created_ms BIGINT NOT NULL,"
    " updated_ms BIGINT NOT NULL, not_before BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS chain_jobs_state ON chain_jobs(state, created_ms);"
    "CREATE TABLE IF NOT EXISTS txs(hash BYTEA PRIMARY KEY, nonce BIGINT NOT NULL,"
    " raw BYTEA NOT NULL, state BIGINT NOT NULL DEFAULT 0, gas_used BIGINT NOT NULL DEFAULT 0,"
    " created_ms BIGINT NOT NULL, owner TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS txs_nonce ON txs(nonce);"
    "CREATE TABLE IF NOT EXISTS tx_jobs(hash BYTEA NOT NULL, job_id BYTEA NOT NULL,"
    " PRIMARY KEY(hash, job_id));";

static int is_pg(clo_db *db)
{
    return clo_db_kind_of(db) == CLO_DB_POSTGRES;
}

/* A column older SQLite journals lack: added with its default. */
static clo_err add_column(clo_db *db, const char *table, const char *col, const char *decl)
{
    char sql[256];
    clo_db_q q;
    snprintf(sql, sizeof sql, "SELECT %s FROM %s LIMIT 0", col, table);
    if (!clo_db_prep(db, &q, sql).code) {
        clo_db_q_end(&q);
        return CLO_OK;
    }
    snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", table, col, decl);
    return clo_db_exec(db, sql);
}

clo_err clo_ledger_init(clo_journal *j)
{
    clo_db *db = clo_journal_lock(j);
    clo_err err;
    if (is_pg(db)) {
        err = clo_db_begin(db);
        if (!err.code) err = clo_db_end(db, clo_db_exec(db, schema_pg));
    } else {
        err = clo_db_exec(db, schema_sqlite);
        /* Journals from before issue 21. */
        if (!err.code)
            err = add_column(db, "chain_jobs", "not_before", "INTEGER NOT NULL DEFAULT 0");
        if (!err.code) err = add_column(db, "txs", "owner", "TEXT NOT NULL DEFAULT ''");
    }
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_config_put(clo_journal *j, clo_bytes config, uint8_t id[32])
{
    clo_db_q q = {0};
    clo_db *db = clo_journal_lock(j);
    clo_keccak256(config, id);
    clo_err err = clo_db_prep(db, &q,
                              "INSERT INTO models(model_id, config) VALUES(?1, ?2)"
                              " ON CONFLICT DO NOTHING");
    if (!err.code) {
        clo_db_bind_blob(&q, 1, id, 32);
        clo_db_bind_blob(&q, 2, config.ptr, config.len);
        err = clo_db_run(&q);
    }
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_config_get(clo_journal *j, const uint8_t id[32], clo_buf *config)
{
    clo_db_q q = {0};
    int row = 0;
    clo_db *db = clo_journal_lock(j);
    clo_err err = clo_db_prep(db, &q, "SELECT config FROM models WHERE model_id = ?1");
    if (!err.code) {
        clo_db_bind_blob(&q, 1, id, 32);
        err = clo_db_step(&q, &row);
    }
    if (!err.code)
        err = row ? clo_buf_append(config, clo_db_blob(&q, 0), clo_db_len(&q, 0))
                  : CLO_ERR(CLO_E_STATE, "model: unknown");
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_cursor_get(clo_journal *j, uint64_t *next, uint8_t prev_hash[32], int *found)
{
    clo_db_q q = {0};
    int row = 0;
    *found = 0;
    clo_db *db = clo_journal_lock(j);
    clo_err err = is_pg(db)
                      ? clo_db_prep(db, &q, "SELECT next, prev_hash FROM cursors WHERE owner = ?1")
                      : clo_db_prep(db, &q, "SELECT next, prev_hash FROM cursor WHERE id = 1");
    if (!err.code) {
        clo_db_bind_text(&q, 1, clo_journal_owner(j));
        err = clo_db_step(&q, &row);
    }
    if (!err.code && row && clo_db_len(&q, 1) == 32) {
        *next = (uint64_t)clo_db_int(&q, 0);
        memcpy(prev_hash, clo_db_blob(&q, 1), 32);
        *found = 1;
    }
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_cursor_set(clo_journal *j, uint64_t next, const uint8_t prev_hash[32])
{
    clo_db_q q = {0};
    clo_db *db = clo_journal_lock(j);
    clo_err err = is_pg(db)
                      ? clo_db_prep(db, &q,
                                    "INSERT INTO cursors(owner, next, prev_hash) VALUES(?3, ?1, ?2)"
                                    " ON CONFLICT(owner) DO UPDATE SET next = excluded.next,"
                                    " prev_hash = excluded.prev_hash")
                      : clo_db_prep(db, &q,
                                    "INSERT INTO cursor(id, next, prev_hash) VALUES(1, ?1, ?2)"
                                    " ON CONFLICT(id) DO UPDATE SET next = excluded.next,"
                                    " prev_hash = excluded.prev_hash");
    if (!err.code) {
        clo_db_bind_int(&q, 1, (int64_t)next);
        clo_db_bind_blob(&q, 2, prev_hash, 32);
        if (is_pg(db)) clo_db_bind_text(&q, 3, clo_journal_owner(j));
        err = clo_db_run(&q);
    }
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_job_seen(clo_journal *j, const uint8_t job_id[32], const uint8_t consumer[20],
                            uint64_t block, clo_bytes event, clo_cjob_state state, const char *why)
{
    clo_db_q q = {0};
    clo_db *db = clo_journal_lock(j);
    clo_err err = clo_db_prep(db, &q,
                              "INSERT INTO chain_jobs(job_id, consumer, block, event, state, why,"
                              " created_ms, updated_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?7)"
                              " ON CONFLICT DO NOTHING");
    if (!err.code) {
        clo_db_bind_blob(&q, 1, job_id, 32);
        clo_db_bind_blob(&q, 2, consumer, 20);
        clo_db_bind_int(&q, 3, (int64_t)block);
        clo_db_bind_blob(&q, 4, event.ptr, event.len);
        clo_db_bind_int(&q, 5, (int64_t)state);
        clo_db_bind_text(&q, 6, why ? why : "");
        clo_db_bind_int(&q, 7, clo_now_ms());
        err = clo_db_run(&q);
    }
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

/* Move a job to `state`; with `from` >= 0 only from that state, and
 * *moved says whether it was (NULL: don't care). */
static clo_err set_state(clo_db *db, const uint8_t job_id[32], clo_cjob_state state,
                         const char *why, const uint8_t *tx_hash, int from, int *moved)
{
    clo_db_q q;
    CLO_TRY(clo_db_prep(db, &q,
                        "UPDATE chain_jobs SET state = ?2, why = coalesce(?3, why),"
                        " tx_hash = coalesce(?4, tx_hash), updated_ms = ?5 WHERE job_id = ?1"
                        " AND (?6 < 0 OR state = ?6)"));
    clo_db_bind_blob(&q, 1, job_id, 32);
    clo_db_bind_int(&q, 2, (int64_t)state);
    if (why) clo_db_bind_text(&q, 3, why);
    if (tx_hash) clo_db_bind_blob(&q, 4, tx_hash, 32);
    clo_db_bind_int(&q, 5, clo_now_ms());
    clo_db_bind_int(&q, 6, from);
    clo_err err = clo_db_run(&q);
    if (!err.code && moved) *moved = clo_db_changes(&q) == 1;
    clo_db_q_end(&q);
    return err;
}

clo_err clo_ledger_job_move(clo_journal *j, const uint8_t job_id[32], clo_cjob_state from,
                            clo_cjob_state to, const char *why, int *moved)
{
    int m = 0;
    clo_err err = set_state(clo_journal_lock(j), job_id, to, why, NULL, (int)from, &m);
    clo_journal_unlock(j);
    if (moved) *moved = m;
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

static clo_err cj_fill(clo_db_q *q, clo_cjob *c)
{
    CLO_ENSURE(clo_db_len(q, 0) == 32 && clo_db_len(q, 1) == 20, CLO_E_FORMAT, "ledger: job row");
    memcpy(c->job_id, clo_db_blob(q, 0), 32);
    memcpy(c->consumer, clo_db_blob(q, 1), 20);
    c->block = (uint64_t)clo_db_int(q, 2);
    c->state = (clo_cjob_state)clo_db_int(q, 3);
    c->has_tx = clo_db_len(q, 4) == 32;
    if (c->has_tx) memcpy(c->tx_hash, clo_db_blob(q, 4), 32);
    c->updated_ms = clo_db_int(q, 5);
    snprintf(c->why, sizeof c->why, "%s", clo_db_text(q, 6));
    c->not_before = clo_db_int(q, 8);
    clo_buf_clear(&c->event);
    return clo_buf_append(&c->event, clo_db_blob(q, 7), clo_db_len(q, 7));
}

/* Rows of a query into jobs[], up to max. */
static clo_err cj_rows(clo_db_q *q, clo_cjob *jobs, size_t max, size_t *count)
{
    int row;
    while (*count < max) {
        CLO_TRY(clo_db_step(q, &row));
        if (!row) break;
        CLO_TRY(cj_fill(q, &jobs[*count]));
        (*count)++;
    }
    return CLO_OK;
}

/* Jobs in `state` with not_before <= until, in the order given; up to max. */
static clo_err select_jobs(clo_journal *j, clo_cjob_state state, int64_t until, const char *order,
                           clo_cjob *jobs, size_t max, size_t *count)
{
    char sql[256];
    clo_db_q q = {0};
    *count = 0;
    clo_db *db = clo_journal_lock(j);
    snprintf(sql, sizeof sql,
             "SELECT " CJ_COLS " FROM chain_jobs WHERE state = ?1 AND not_before <= ?2"
             " ORDER BY %s LIMIT ?3",
             order);
    clo_err err = clo_db_prep(db, &q, sql);
    if (!err.code) {
        clo_db_bind_int(&q, 1, (int64_t)state);
        clo_db_bind_int(&q, 2, until);
        clo_db_bind_int(&q, 3, (int64_t)max);
        err = cj_rows(&q, jobs, max, count);
    }
    clo_db_q_end(&q);
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
    clo_db_q q = {0};
    clo_db *db = clo_journal_lock(j);
    clo_err err = clo_db_prep(db, &q,
                              "UPDATE chain_jobs SET state = ?1, why = ?2, not_before = ?3,"
                              " updated_ms = ?4 WHERE job_id = ?5 AND state = ?1");
    if (!err.code) {
        clo_db_bind_int(&q, 1, (int64_t)CLO_CJ_WAITING);
        clo_db_bind_text(&q, 2, CLO_CJ_WAITING_TURN);
        clo_db_bind_int(&q, 3, not_before);
        clo_db_bind_int(&q, 4, clo_now_ms());
        clo_db_bind_blob(&q, 5, job_id, 32);
        err = clo_db_run(&q);
    }
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_job_get(clo_journal *j, const uint8_t job_id[32], clo_cjob *out)
{
    clo_db_q q = {0};
    size_t n = 0;
    clo_db *db = clo_journal_lock(j);
    clo_err err = clo_db_prep(db, &q, "SELECT " CJ_COLS " FROM chain_jobs WHERE job_id = ?1");
    if (!err.code) {
        clo_db_bind_blob(&q, 1, job_id, 32);
        err = cj_rows(&q, out, 1, &n);
    }
    if (!err.code && n == 0) err = CLO_ERR(CLO_E_STATE, "job not seen on chain");
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

/* counts[state] for `sql` (state, count) rows. */
static clo_err count_states(clo_journal *j, const char *sql, uint64_t *counts, int n)
{
    clo_db_q q = {0};
    int row;
    memset(counts, 0, (size_t)n * sizeof counts[0]);
    clo_db *db = clo_journal_lock(j);
    clo_err err = clo_db_prep(db, &q, sql);
    while (!err.code && !(err = clo_db_step(&q, &row)).code && row) {
        int64_t s = clo_db_int(&q, 0);
        if (s >= 0 && s < n) counts[s] = (uint64_t)clo_db_int(&q, 1);
    }
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_job_counts(clo_journal *j, uint64_t counts[5])
{
    return count_states(j, "SELECT state, count(*) FROM chain_jobs GROUP BY state", counts, 5);
}

clo_err clo_ledger_waiting_for_config(clo_journal *j, uint64_t *n)
{
    clo_db_q q = {0};
    int row = 0;
    *n = 0;
    clo_db *db = clo_journal_lock(j);
    clo_err err =
        clo_db_prep(db, &q, "SELECT count(*) FROM chain_jobs WHERE state = 0 AND why = ?1");
    if (!err.code) {
        clo_db_bind_text(&q, 1, CLO_CJ_WAITING_CONFIG);
        err = clo_db_step(&q, &row);
    }
    if (!err.code && row) *n = (uint64_t)clo_db_int(&q, 0);
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

/* One signed transaction into txs (inside the caller's transaction). */
static clo_err insert_tx(clo_db *db, const char *owner, uint64_t nonce, const uint8_t hash[32],
                         clo_bytes raw)
{
    clo_db_q q;
    CLO_TRY(clo_db_prep(db, &q,
                        "INSERT INTO txs(hash, nonce, raw, created_ms, owner)"
                        " VALUES(?1, ?2, ?3, ?4, ?5)"));
    clo_db_bind_blob(&q, 1, hash, 32);
    clo_db_bind_int(&q, 2, (int64_t)nonce);
    clo_db_bind_blob(&q, 3, raw.ptr, raw.len);
    clo_db_bind_int(&q, 4, clo_now_ms());
    clo_db_bind_text(&q, 5, owner);
    clo_err err = clo_db_run(&q);
    clo_db_q_end(&q);
    return err;
}

/* CLO_E_STATE if another daemon sharing the journal journaled a transaction at
 * this nonce (this daemon's own may be there: one the node refused, which the
 * next transaction replaces). */
static clo_err nonce_free(clo_db *db, const char *owner, uint64_t nonce)
{
    clo_db_q q;
    int row = 0;
    CLO_TRY(clo_db_prep(db, &q, "SELECT count(*) FROM txs WHERE nonce = ?1 AND owner <> ?2"));
    clo_db_bind_int(&q, 1, (int64_t)nonce);
    clo_db_bind_text(&q, 2, owner);
    clo_err err = clo_db_step(&q, &row);
    if (!err.code && row && clo_db_int(&q, 0) != 0)
        err = CLO_ERR(CLO_E_STATE, CLO_LEDGER_NONCE_TAKEN);
    clo_db_q_end(&q);
    return err;
}

static clo_err tx_put(clo_db *db, const char *owner, uint64_t nonce, const uint8_t hash[32],
                      clo_bytes raw, const uint8_t (*jobs)[32], size_t n)
{
    clo_db_q q;
    CLO_TRY(nonce_free(db, owner, nonce));
    CLO_TRY(insert_tx(db, owner, nonce, hash, raw));
    for (size_t i = 0; i < n; i++) {
        int moved = 0;
        CLO_TRY(clo_db_prep(db, &q, "INSERT INTO tx_jobs(hash, job_id) VALUES(?1, ?2)"));
        clo_db_bind_blob(&q, 1, hash, 32);
        clo_db_bind_blob(&q, 2, jobs[i], 32);
        clo_err err = clo_db_run(&q);
        clo_db_q_end(&q);
        CLO_TRY(err);
        /* Only from queued: a job another daemon is settling is its. */
        CLO_TRY(set_state(db, jobs[i], CLO_CJ_SETTLING, "", hash, CLO_CJ_QUEUED, &moved));
        CLO_ENSURE(moved, CLO_E_STATE, CLO_LEDGER_JOB_TAKEN);
    }
    return CLO_OK;
}

clo_err clo_ledger_tx_put(clo_journal *j, uint64_t nonce, const uint8_t hash[32], clo_bytes raw,
                          const uint8_t (*jobs)[32], size_t n)
{
    clo_db *db = clo_journal_lock(j);
    clo_err err = clo_db_begin(db);
    if (!err.code)
        err = clo_db_end(db, tx_put(db, clo_journal_owner(j), nonce, hash, raw, jobs, n));
    clo_journal_unlock(j);
    return err;
}

static clo_err tx_replace(clo_db *db, const char *owner, const uint8_t old_hash[32], uint64_t nonce,
                          const uint8_t hash[32], clo_bytes raw)
{
    clo_db_q q;
    CLO_TRY(insert_tx(db, owner, nonce, hash, raw));
    CLO_TRY(clo_db_prep(db, &q,
                        "INSERT INTO tx_jobs(hash, job_id) SELECT ?1, job_id FROM tx_jobs"
                        " WHERE hash = ?2"));
    clo_db_bind_blob(&q, 1, hash, 32);
    clo_db_bind_blob(&q, 2, old_hash, 32);
    clo_err err = clo_db_run(&q);
    clo_db_q_end(&q);
    return err;
}

clo_err clo_ledger_tx_replace(clo_journal *j, const uint8_t old_hash[32], uint64_t nonce,
                              const uint8_t hash[32], clo_bytes raw)
{
    clo_db *db = clo_journal_lock(j);
    clo_err err = clo_db_begin(db);
    if (!err.code)
        err = clo_db_end(db, tx_replace(db, clo_journal_owner(j), old_hash, nonce, hash, raw));
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
    clo_db_q q = {0};
    int row;
    *count = 0;
    clo_db *db = clo_journal_lock(j);
    clo_err err = clo_db_prep(db, &q,
                              "SELECT nonce, hash, raw, created_ms FROM txs WHERE state = 0"
                              " ORDER BY nonce LIMIT ?1");
    if (!err.code) clo_db_bind_int(&q, 1, (int64_t)max);
    while (!err.code && *count < max && !(err = clo_db_step(&q, &row)).code && row) {
        clo_ledger_tx *t = &txs[*count];
        t->nonce = (uint64_t)clo_db_int(&q, 0);
        if (clo_db_len(&q, 1) != 32) {
            err = CLO_ERR(CLO_E_FORMAT, "ledger: tx row");
            break;
        }
        memcpy(t->hash, clo_db_blob(&q, 1), 32);
        clo_buf_clear(&t->raw);
        err = clo_buf_append(&t->raw, clo_db_blob(&q, 2), clo_db_len(&q, 2));
        t->created_ms = clo_db_int(&q, 3);
        if (!err.code) (*count)++;
    }
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}

/* A transaction's jobs, ordered by job id, as clo_ledger_tx_close walks them. */
static clo_err tx_jobs(clo_db *db, const uint8_t hash[32], uint8_t (*jobs)[32], size_t max,
                       size_t *count)
{
    clo_db_q q;
    int row;
    *count = 0;
    CLO_TRY(clo_db_prep(db, &q, "SELECT job_id FROM tx_jobs WHERE hash = ?1 ORDER BY job_id"));
    clo_db_bind_blob(&q, 1, hash, 32);
    clo_err err = CLO_OK;
    while (*count < max && !(err = clo_db_step(&q, &row)).code && row)
        if (clo_db_len(&q, 0) == 32) memcpy(jobs[(*count)++], clo_db_blob(&q, 0), 32);
    clo_db_q_end(&q);
    return err;
}

clo_err clo_ledger_tx_jobs(clo_journal *j, const uint8_t hash[32], uint8_t (*jobs)[32], size_t max,
                           size_t *count)
{
    clo_err err = tx_jobs(clo_journal_lock(j), hash, jobs, max, count);
    clo_journal_unlock(j);
    return err;
}

static clo_err tx_close(clo_db *db, const uint8_t hash[32], int ok, uint64_t gas_used,
                        const clo_cjob_state *after_fail, size_t n)
{
    uint8_t jobs[CLO_PROTO_MAX_BATCH][32];
    size_t nj = 0;
    clo_db_q q;
    CLO_TRY(clo_db_prep(db, &q,
                        "UPDATE txs SET state = ?2, gas_used = ?3 WHERE hash = ?1 AND state = 0"));
    clo_db_bind_blob(&q, 1, hash, 32);
    clo_db_bind_int(&q, 2, ok ? 1 : 2);
    clo_db_bind_int(&q, 3, (int64_t)gas_used);
    clo_err err = clo_db_run(&q);
    int64_t closed = clo_db_changes(&q);
    clo_db_q_end(&q);
    CLO_TRY(err);
    /* Closed already (by another daemon sharing the journal, which may have
     * sent the jobs again since): their states are not this close's to set. */
    if (closed != 1) return CLO_OK;
    CLO_TRY(tx_jobs(db, hash, jobs, CLO_PROTO_MAX_BATCH, &nj));
    for (size_t i = 0; i < nj; i++) {
        clo_cjob_state s = ok ? CLO_CJ_SETTLED : i < n ? after_fail[i] : CLO_CJ_QUEUED;
        CLO_TRY(set_state(db, jobs[i], s, NULL, NULL, -1, NULL));
    }
    return CLO_OK;
}

clo_err clo_ledger_tx_close(clo_journal *j, const uint8_t hash[32], int ok, uint64_t gas_used,
                            const clo_cjob_state *after_fail, size_t n)
{
    clo_db *db = clo_journal_lock(j);
    clo_err err = clo_db_begin(db);
    if (!err.code) err = clo_db_end(db, tx_close(db, hash, ok, gas_used, after_fail, n));
    clo_journal_unlock(j);
    return err;
}

clo_err clo_ledger_next_nonce(clo_journal *j, uint64_t *out)
{
    clo_db_q q = {0};
    int row = 0;
    *out = 0;
    clo_db *db = clo_journal_lock(j);
    clo_err err = clo_db_prep(db, &q, "SELECT max(nonce) + 1 FROM txs");
    if (!err.code) err = clo_db_step(&q, &row);
    if (!err.code && row && !clo_db_is_null(&q, 0)) *out = (uint64_t)clo_db_int(&q, 0);
    clo_db_q_end(&q);
    clo_journal_unlock(j);
    return err;
}
