/* db.h — the journal's database: SQLite (a file, one daemon: the embedded
 * default) or PostgreSQL (a server, several daemons of one operator: the
 * fleet journal, issue 21). Untrusted side.
 *
 * One connection per clo_db; the caller serialises its use (journal.c's
 * mutex). SQL is written once, in the dialect both speak: ?N parameters
 * (turned into $N for PostgreSQL), ON CONFLICT, RETURNING. What differs (the
 * schema's types, taking the write lock, FOR UPDATE SKIP LOCKED) is asked of
 * clo_db_kind. Results come back as bytes: integers as int64, blobs and text
 * as bytes (text NUL-terminated). */
#ifndef CLO_HOST_DB_H
#define CLO_HOST_DB_H

#include "base/bytes.h"

typedef struct clo_db clo_db;
typedef enum { CLO_DB_SQLITE = 0, CLO_DB_POSTGRES = 1 } clo_db_kind;

#define CLO_DB_MAX_PARAMS 8

/* One statement. Parameters are borrowed until clo_db_q_end. */
typedef struct {
    clo_db *db;
    void *st;  /* sqlite3_stmt */
    void *res; /* PGresult */
    int row, rows, nparams, ran;
    const char *val[CLO_DB_MAX_PARAMS];
    int len[CLO_DB_MAX_PARAMS], fmt[CLO_DB_MAX_PARAMS];
    unsigned type[CLO_DB_MAX_PARAMS];
    char num[CLO_DB_MAX_PARAMS][24];
    char sql[1024]; /* PostgreSQL's text of it */
} clo_db_q;

/* target: a "postgresql://" or "postgres://" URI (libpq's), else a SQLite
 * file path. CLO_E_IO names which could not be opened, never the URI (it may
 * hold a password). */
CLO_MUST_CHECK clo_err clo_db_open(clo_db **out, const char *target);
void clo_db_close(clo_db *db);
clo_db_kind clo_db_kind_of(const clo_db *db);
/* Statements without parameters or rows (a schema). */
CLO_MUST_CHECK clo_err clo_db_exec(clo_db *db, const char *sql);
/* A transaction that writes: SQLite's BEGIN IMMEDIATE; PostgreSQL's BEGIN
 * and a transaction-scoped advisory lock, so writers of the shared journal
 * take turns (the nonce check in ledger.c relies on it). */
CLO_MUST_CHECK clo_err clo_db_begin(clo_db *db);
/* COMMIT if ok, else ROLLBACK; returns err, or the commit's failure. */
CLO_MUST_CHECK clo_err clo_db_end(clo_db *db, clo_err err);

CLO_MUST_CHECK clo_err clo_db_prep(clo_db *db, clo_db_q *q, const char *sql);
/* i counts from 1, as in ?1. An unbound parameter is NULL. */
void clo_db_bind_blob(clo_db_q *q, int i, const void *p, size_t n);
void clo_db_bind_int(clo_db_q *q, int i, int64_t v);
void clo_db_bind_text(clo_db_q *q, int i, const char *s);
/* *row = 1 with a row to read, 0 when done. */
CLO_MUST_CHECK clo_err clo_db_step(clo_db_q *q, int *row);
/* Step once, expecting no row (a write). */
CLO_MUST_CHECK clo_err clo_db_run(clo_db_q *q);
/* Rows the last write changed. */
int64_t clo_db_changes(clo_db_q *q);
int clo_db_is_null(clo_db_q *q, int col);
int64_t clo_db_int(clo_db_q *q, int col);
size_t clo_db_len(clo_db_q *q, int col);
const uint8_t *clo_db_blob(clo_db_q *q, int col);
const char *clo_db_text(clo_db_q *q, int col); /* "" if NULL */
void clo_db_q_end(clo_db_q *q);

#endif
