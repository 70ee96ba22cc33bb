/* db.c — SQLite or PostgreSQL under one small interface (see db.h). */
#include "host/db.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

struct clo_db {
    clo_db_kind kind;
    sqlite3 *lite;
    PGconn *pg;
};

/* PostgreSQL's type oids (catalog/pg_type.h, stable since 7.x). */
enum { OID_BOOL = 16, OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23, OID_TEXT = 25 };

/* The writers' turn on the shared journal: any fixed key, one per database. */
#define WRITE_LOCK_KEY "4858380596725179762" /* "Cloister" as a big-endian int64 */

static int is_pg_target(const char *t)
{
    return !strncmp(t, "postgresql://", 13) || !strncmp(t, "postgres://", 11);
}

clo_err clo_db_open(clo_db **out, const char *target)
{
    clo_db *db = calloc(1, sizeof *db);
    CLO_ENSURE(db, CLO_E_NOMEM, "journal");
    if (is_pg_target(target)) {
        db->kind = CLO_DB_POSTGRES;
        db->pg = PQconnectdb(target);
        if (!db->pg || PQstatus(db->pg) != CONNECTION_OK) {
            /* libpq's reason names the server and socket, never the password. */
            char why[256];
            snprintf(why, sizeof why, "%s", db->pg ? PQerrorMessage(db->pg) : "out of memory");
            why[strcspn(why, "\n")] = 0;
            CLO_LOG(CLO_LOG_ERROR, "journal.postgres_unreachable", CLO_LF_STR("why", why));
            clo_db_close(db);
            return CLO_ERR(CLO_E_IO, "journal: cannot connect to the PostgreSQL server");
        }
        /* Quiet NOTICEs ("relation already exists, skipping") stay off stderr. */
        clo_err err = clo_db_exec(db, "SET client_min_messages = warning");
        if (err.code) {
            clo_db_close(db);
            return err;
        }
    } else {
        db->kind = CLO_DB_SQLITE;
        if (sqlite3_open_v2(target, &db->lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
                SQLITE_OK ||
            sqlite3_busy_timeout(db->lite, 5000) != SQLITE_OK) {
            clo_db_close(db);
            return CLO_ERR(CLO_E_IO, "journal: cannot open the database");
        }
    }
    *out = db;
    return CLO_OK;
}

void clo_db_close(clo_db *db)
{
    if (!db) return;
    if (db->lite) sqlite3_close(db->lite);
    if (db->pg) PQfinish(db->pg);
    free(db);
}

clo_db_kind clo_db_kind_of(const clo_db *db)
{
    return db->kind;
}

/* A lost server connection is retried once per statement, outside a transaction. */
static void pg_revive(clo_db *db)
{
    if (PQstatus(db->pg) == CONNECTION_BAD) PQreset(db->pg);
}

static clo_err pg_failed(const PGresult *r, const char *what)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    /* The SQLSTATE only: the message may quote row values. */
    CLO_LOG(CLO_LOG_WARN, "journal.postgres", CLO_LF_STR("what", what),
            CLO_LF_STR("sqlstate", state ? state : "none"));
    return CLO_ERR(CLO_E_IO, what);
}

clo_err clo_db_exec(clo_db *db, const char *sql)
{
    if (db->kind == CLO_DB_SQLITE) {
        CLO_ENSURE(sqlite3_exec(db->lite, sql, NULL, NULL, NULL) == SQLITE_OK, CLO_E_IO,
                   "journal: exec");
        return CLO_OK;
    }
    pg_revive(db);
    PGresult *r = PQexec(db->pg, sql);
    ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    clo_err err =
        s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? CLO_OK : pg_failed(r, "journal: exec");
    PQclear(r);
    return err;
}

clo_err clo_db_begin(clo_db *db)
{
    if (db->kind == CLO_DB_SQLITE) return clo_db_exec(db, "BEGIN IMMEDIATE");
    CLO_TRY(clo_db_exec(db, "BEGIN"));
    clo_err err = clo_db_exec(db, "SELECT pg_advisory_xact_lock(" WRITE_LOCK_KEY ")");
    if (err.code) CLO_IGNORE(clo_db_exec(db, "ROLLBACK"));
    return err;
}

clo_err clo_db_end(clo_db *db, clo_err err)
{
    if (err.code) {
        CLO_IGNORE(clo_db_exec(db, "ROLLBACK"));
        return err;
    }
    if (db->kind == CLO_DB_SQLITE) return clo_db_exec(db, "COMMIT");
    PGresult *r = PQexec(db->pg, "COMMIT");
    /* A transaction that failed inside answers COMMIT with ROLLBACK. */
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COMMIT");
    PQclear(r);
    CLO_ENSURE(ok, CLO_E_IO, "journal: commit");
    return CLO_OK;
}

clo_err clo_db_prep(clo_db *db, clo_db_q *q, const char *sql)
{
    memset(q, 0, sizeof *q);
    q->db = db;
    if (db->kind == CLO_DB_SQLITE) {
        sqlite3_stmt *st = NULL;
        CLO_ENSURE(sqlite3_prepare_v2(db->lite, sql, -1, &st, NULL) == SQLITE_OK, CLO_E_IO,
                   "journal: prepare");
        q->st = st;
        return CLO_OK;
    }
    /* ?N -> $N; the highest N is the parameter count. */
    size_t o = 0;
    for (const char *p = sql; *p; p++) {
        CLO_ENSURE(o + 2 < sizeof q->sql, CLO_E_LIMIT, "journal: statement too long");
        if (*p == '?') {
            q->sql[o++] = '$';
            int n = 0;
            while (p[1] >= '0' && p[1] <= '9') {
                n = n * 10 + (p[1] - '0');
                CLO_ENSURE(o + 2 < sizeof q->sql, CLO_E_LIMIT, "journal: statement too long");
                q->sql[o++] = *++p;
            }
            CLO_ENSURE(n >= 1 && n <= CLO_DB_MAX_PARAMS, CLO_E_LIMIT, "journal: parameters");
            if (n > q->nparams) q->nparams = n;
        } else {
            q->sql[o++] = *p;
        }
    }
    q->sql[o] = 0;
    return CLO_OK;
}

static int slot(int i)
{
    return i >= 1 && i <= CLO_DB_MAX_PARAMS ? i - 1 : -1;
}

void clo_db_bind_blob(clo_db_q *q, int i, const void *p, size_t n)
{
    int k = slot(i);
    if (k < 0) return;
    if (q->st) {
        sqlite3_bind_blob(q->st, i, p ? p : "", (int)n, SQLITE_STATIC);
        return;
    }
    q->val[k] = p ? p : "";
    q->len[k] = (int)n;
    q->fmt[k] = 1;
    q->type[k] = OID_BYTEA;
}

void clo_db_bind_int(clo_db_q *q, int i, int64_t v)
{
    int k = slot(i);
    if (k < 0) return;
    if (q->st) {
        sqlite3_bind_int64(q->st, i, (sqlite3_int64)v);
        return;
    }
    snprintf(q->num[k], sizeof q->num[k], "%lld", (long long)v);
    q->val[k] = q->num[k];
    q->type[k] = OID_INT8;
}

void clo_db_bind_text(clo_db_q *q, int i, const char *s)
{
    int k = slot(i);
    if (k < 0) return;
    if (q->st) {
        sqlite3_bind_text(q->st, i, s, -1, SQLITE_STATIC);
        return;
    }
    q->val[k] = s;
    q->type[k] = OID_TEXT;
}

clo_err clo_db_step(clo_db_q *q, int *row)
{
    *row = 0;
    if (q->st) {
        int rc = sqlite3_step(q->st);
        CLO_ENSURE(rc == SQLITE_ROW || rc == SQLITE_DONE, CLO_E_IO, "journal: step");
        *row = rc == SQLITE_ROW;
        return CLO_OK;
    }
    if (!q->ran) {
        q->ran = 1;
        q->row = -1;
        if (PQtransactionStatus(q->db->pg) == PQTRANS_IDLE) pg_revive(q->db);
        PGresult *r = PQexecParams(q->db->pg, q->sql, q->nparams, (const Oid *)q->type, q->val,
                                   q->len, q->fmt, 1);
        ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
        if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
            clo_err err = pg_failed(r, "journal: step");
            PQclear(r);
            return err;
        }
        q->res = r;
        q->rows = PQntuples(r);
    }
    if (q->row < q->rows) q->row++;
    *row = q->row < q->rows;
    return CLO_OK;
}

clo_err clo_db_run(clo_db_q *q)
{
    int row;
    CLO_TRY(clo_db_step(q, &row));
    CLO_ENSURE(!row || !q->st, CLO_E_IO, "journal: write");
    return CLO_OK;
}

int64_t clo_db_changes(clo_db_q *q)
{
    if (q->st) return sqlite3_changes(q->db->lite);
    return q->res ? strtoll(PQcmdTuples(q->res), NULL, 10) : 0;
}

int clo_db_is_null(clo_db_q *q, int col)
{
    if (q->st) return sqlite3_column_type(q->st, col) == SQLITE_NULL;
    return !q->res || q->row >= q->rows || PQgetisnull(q->res, q->row, col);
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

int64_t clo_db_int(clo_db_q *q, int col)
{
    if (q->st) return sqlite3_column_int64(q->st, col);
    if (clo_db_is_null(q, col)) return 0;
    const uint8_t *p = (const uint8_t *)PQgetvalue(q->res, q->row, col);
    int n = PQgetlength(q->res, q->row, col);
    switch (PQftype(q->res, col)) {
    case OID_INT8: return n == 8 ? (int64_t)be(p, 8) : 0;
    case OID_INT4: return n == 4 ? (int64_t)(int32_t)(uint32_t)be(p, 4) : 0;
    case OID_INT2: return n == 2 ? (int64_t)(int16_t)(uint16_t)be(p, 2) : 0;
    case OID_BOOL: return n == 1 ? p[0] : 0;
    default: return 0;
    }
}

size_t clo_db_len(clo_db_q *q, int col)
{
    if (q->st) return (size_t)sqlite3_column_bytes(q->st, col);
    return clo_db_is_null(q, col) ? 0 : (size_t)PQgetlength(q->res, q->row, col);
}

const uint8_t *clo_db_blob(clo_db_q *q, int col)
{
    static const uint8_t none[1];
    const void *p = q->st                    ? sqlite3_column_blob(q->st, col)
                    : clo_db_is_null(q, col) ? NULL
                                             : PQgetvalue(q->res, q->row, col);
    return p ? p : none;
}

const char *clo_db_text(clo_db_q *q, int col)
{
    const char *p = q->st                    ? (const char *)sqlite3_column_text(q->st, col)
                    : clo_db_is_null(q, col) ? NULL
                                             : PQgetvalue(q->res, q->row, col);
    return p ? p : "";
}

void clo_db_q_end(clo_db_q *q)
{
    if (q->st) sqlite3_finalize(q->st);
    if (q->res) PQclear(q->res);
    q->st = q->res = NULL;
}
