/* journal_test.c — the journal shared by several daemons (issue 21): claims
 * and their leases, one nonce per transaction across daemons, a job settled
 * by one daemon only, a follower's cursor per daemon. Each case runs on a
 * SQLite file (two connections) and on the PostgreSQL server CLO_PG_URI
 * names (tests/support/with_pg.sh starts one); without it the test fails. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/journal.h"
#include "host/ledger.h"

static char sqlite_path[256];
static int use_pg;

/* Two daemons' connections to one fresh journal. */
static void open_pair(clo_journal **a, clo_journal **b)
{
    const char *target = sqlite_path;
    if (use_pg) {
        target = getenv("CLO_PG_URI");
        assert_non_null(target);
    } else {
        static int n;
        snprintf(sqlite_path, sizeof sqlite_path, "/tmp/cloister-journal-test-%d-%d.sqlite",
                 (int)getpid(), n++);
        unlink(sqlite_path);
        target = sqlite_path;
    }
    assert_int_equal(clo_journal_open(a, target, "A").code, CLO_OK_CODE);
    if (use_pg) { /* fresh tables for each case */
        clo_db *db = clo_journal_lock(*a);
        assert_int_equal(
            clo_db_exec(db, "DROP TABLE IF EXISTS jobs, models, cursors, chain_jobs, txs, tx_jobs")
                .code,
            CLO_OK_CODE);
        clo_journal_unlock(*a);
        clo_journal_close(*a);
        assert_int_equal(clo_journal_open(a, target, "A").code, CLO_OK_CODE);
    }
    assert_int_equal(clo_ledger_init(*a).code, CLO_OK_CODE);
    assert_int_equal(clo_journal_open(b, target, "B").code, CLO_OK_CODE);
    assert_int_equal(clo_ledger_init(*b).code, CLO_OK_CODE);
}

static void close_pair(clo_journal *a, clo_journal *b)
{
    clo_journal_close(a);
    clo_journal_close(b);
    if (!use_pg) unlink(sqlite_path);
}

static void id(uint8_t out[32], int k)
{
    memset(out, 0, 32);
    out[0] = 0x10;
    out[31] = (uint8_t)k;
}

static size_t claim(clo_journal *j, const char *owner, int64_t lease_ms, uint8_t got[][32])
{
    clo_journal_job jobs[8];
    size_t n = 0;
    for (int i = 0; i < 8; i++) clo_journal_job_init(&jobs[i]);
    assert_int_equal(clo_journal_claim(j, owner, lease_ms, jobs, 8, &n).code, CLO_OK_CODE);
    for (size_t i = 0; i < n; i++) memcpy(got[i], jobs[i].job_id, 32);
    for (int i = 0; i < 8; i++) clo_journal_job_free(&jobs[i]);
    return n;
}

static void test_claims(void **state)
{
    (void)state;
    clo_journal *a, *b;
    open_pair(&a, &b);
    uint8_t k[32], got[8][32];
    int existed;
    for (int i = 1; i <= 3; i++) {
        id(k, i);
        assert_int_equal(clo_journal_put(a, k, "vote", CLO_BYTES(k, 32), &existed).code,
                         CLO_OK_CODE);
        usleep(2000); /* distinct created_ms: oldest first */
    }
    /* Either daemon may journal a job; the second sees the first's. */
    id(k, 1);
    assert_int_equal(clo_journal_put(b, k, "vote", CLO_BYTES(k, 32), &existed).code, CLO_OK_CODE);
    assert_int_equal(existed, 1);

    clo_journal_job jobs[2];
    size_t n = 0;
    for (int i = 0; i < 2; i++) clo_journal_job_init(&jobs[i]);
    assert_int_equal(clo_journal_claim(a, "A", 60000, jobs, 2, &n).code, CLO_OK_CODE);
    assert_int_equal(n, 2);
    id(k, 1);
    assert_memory_equal(jobs[0].job_id, k, 32); /* oldest first */
    for (int i = 0; i < 2; i++) clo_journal_job_free(&jobs[i]);

    /* B gets only what A has not claimed; A keeps its own. */
    assert_int_equal(claim(b, "B", 60000, got), 1);
    id(k, 3);
    assert_memory_equal(got[0], k, 32);
    assert_int_equal(claim(b, "B", 60000, got), 1);
    assert_int_equal(claim(a, "A", 60000, got), 2);

    /* A finishes job 1 and stops; its claim on job 2 ends when it starts
     * again (release), or when the lease runs out. */
    id(k, 1);
    assert_int_equal(clo_journal_finish(a, k, 0, CLO_BYTES(k, 32)).code, CLO_OK_CODE);
    assert_int_equal(claim(b, "B", 60000, got), 1);
    assert_int_equal(clo_journal_release(a, "A").code, CLO_OK_CODE);
    assert_int_equal(claim(b, "B", 60000, got), 2);
    /* Now B's, for a short lease that runs out: A takes them. */
    assert_int_equal(claim(a, "A", 60000, got), 0);
    assert_int_equal(claim(b, "B", 1, got), 2);
    usleep(5000);
    assert_int_equal(claim(a, "A", 60000, got), 2);
    close_pair(a, b);
}

static void queue_job(clo_journal *j, int k)
{
    uint8_t job[32], consumer[20] = {0};
    id(job, k);
    assert_int_equal(
        clo_ledger_job_seen(j, job, consumer, 1, CLO_BYTES(job, 32), CLO_CJ_QUEUED, "").code,
        CLO_OK_CODE);
}

static clo_err put(clo_journal *j, uint64_t nonce, int hash_tag, int job)
{
    uint8_t h[32], jobs[1][32];
    memset(h, hash_tag, 32);
    id(jobs[0], job);
    return clo_ledger_tx_put(j, nonce, h, CLO_BYTES(h, 32), (const uint8_t(*)[32])jobs,
                             job ? 1 : 0);
}

static void test_nonces_and_jobs(void **state)
{
    (void)state;
    clo_journal *a, *b;
    open_pair(&a, &b);
    queue_job(a, 1);
    queue_job(a, 2);
    assert_int_equal(put(a, 0, 0xa0, 1).code, CLO_OK_CODE);
    /* B at A's nonce: refused, and nothing of it written. */
    clo_err e = put(b, 0, 0xb0, 2);
    assert_int_equal(e.code, CLO_E_STATE);
    assert_string_equal(e.what, CLO_LEDGER_NONCE_TAKEN);
    clo_cjob c;
    clo_cjob_init(&c);
    uint8_t k[32];
    id(k, 2);
    assert_int_equal(clo_ledger_job_get(b, k, &c).code, CLO_OK_CODE);
    assert_int_equal(c.state, CLO_CJ_QUEUED);
    uint64_t next = 0;
    assert_int_equal(clo_ledger_next_nonce(b, &next).code, CLO_OK_CODE);
    assert_int_equal(next, 1);
    /* B settling A's job: refused, the transaction not written either. */
    e = put(b, 1, 0xb1, 1);
    assert_int_equal(e.code, CLO_E_STATE);
    assert_string_equal(e.what, CLO_LEDGER_JOB_TAKEN);
    assert_int_equal(clo_ledger_next_nonce(b, &next).code, CLO_OK_CODE);
    assert_int_equal(next, 1);
    assert_int_equal(put(b, 1, 0xb2, 2).code, CLO_OK_CODE);
    assert_int_equal(clo_ledger_job_get(a, k, &c).code, CLO_OK_CODE);
    assert_int_equal(c.state, CLO_CJ_SETTLING);
    /* A daemon's own nonce again (the node refused its first transaction):
     * allowed, the next replaces it. */
    assert_int_equal(put(a, 2, 0xa2, 0).code, CLO_OK_CODE);
    assert_int_equal(put(a, 2, 0xa3, 0).code, CLO_OK_CODE);
    /* A replacement at another's nonce (a fee bump of B's transaction) is
     * not a new nonce. */
    uint8_t old[32], h[32];
    memset(old, 0xb2, 32);
    memset(h, 0xa4, 32);
    assert_int_equal(clo_ledger_tx_replace(a, old, 1, h, CLO_BYTES(h, 32)).code, CLO_OK_CODE);
    clo_cjob_free(&c);
    close_pair(a, b);
}

/* Two daemons sending as fast as they can: each takes the next nonce from the
 * journal and signs again when the other got there first. */
typedef struct {
    clo_journal *j;
    int tag, sent, retries;
} racer;

#define RACE_TXS 100

static void *race(void *arg)
{
    racer *r = arg;
    while (r->sent < RACE_TXS) {
        uint64_t nonce = 0;
        uint8_t h[32];
        if (clo_ledger_next_nonce(r->j, &nonce).code) return NULL;
        memset(h, 0, 32);
        h[0] = (uint8_t)r->tag;
        h[1] = (uint8_t)r->sent;
        h[2] = (uint8_t)r->retries;
        h[3] = (uint8_t)(r->retries >> 8);
        clo_err e = clo_ledger_tx_put(r->j, nonce, h, CLO_BYTES(h, 32), NULL, 0);
        if (!e.code)
            r->sent++;
        else if (e.code == CLO_E_STATE)
            r->retries++;
        else
            return NULL;
    }
    return NULL;
}

static void test_race(void **state)
{
    (void)state;
    clo_journal *a, *b;
    open_pair(&a, &b);
    racer ra = {a, 0xa, 0, 0}, rb = {b, 0xb, 0, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, race, &ra);
    pthread_create(&tb, NULL, race, &rb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(ra.sent, RACE_TXS);
    assert_int_equal(rb.sent, RACE_TXS);
    static clo_ledger_tx txs[2 * RACE_TXS + 1];
    size_t n = 0;
    for (size_t i = 0; i < 2 * RACE_TXS + 1; i++) clo_ledger_tx_init(&txs[i]);
    assert_int_equal(clo_ledger_tx_open(a, txs, 2 * RACE_TXS + 1, &n).code, CLO_OK_CODE);
    assert_int_equal(n, 2 * RACE_TXS);
    for (size_t i = 0; i < n; i++) assert_int_equal(txs[i].nonce, i); /* once each, no gap */
    for (size_t i = 0; i < 2 * RACE_TXS + 1; i++) clo_ledger_tx_free(&txs[i]);
    printf("race: %d + %d transactions, %d + %d signed again\n", ra.sent, rb.sent, ra.retries,
           rb.retries);
    close_pair(a, b);
}

static void test_cursor(void **state)
{
    (void)state;
    clo_journal *a, *b;
    open_pair(&a, &b);
    uint8_t h[32] = {1}, got[32];
    uint64_t next = 0;
    int found = 0;
    assert_int_equal(clo_ledger_cursor_set(a, 10, h).code, CLO_OK_CODE);
    assert_int_equal(clo_ledger_cursor_get(a, &next, got, &found).code, CLO_OK_CODE);
    assert_true(found && next == 10);
    assert_int_equal(clo_ledger_cursor_get(b, &next, got, &found).code, CLO_OK_CODE);
    /* PostgreSQL: each daemon follows the chain itself. SQLite: one daemon's file. */
    assert_int_equal(found, use_pg ? 0 : 1);
    close_pair(a, b);
}

static int on_sqlite(void **state)
{
    (void)state;
    use_pg = 0;
    return 0;
}

static int on_pg(void **state)
{
    (void)state;
    use_pg = 1;
    return 0;
}

int main(void)
{
    if (!getenv("CLO_PG_URI")) {
        fprintf(stderr,
                "journal_test: CLO_PG_URI is not set (run it under tests/support/with_pg.sh)\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_claims, on_sqlite),
        cmocka_unit_test_setup(test_nonces_and_jobs, on_sqlite),
        cmocka_unit_test_setup(test_race, on_sqlite),
        cmocka_unit_test_setup(test_cursor, on_sqlite),
        cmocka_unit_test_setup(test_claims, on_pg),
        cmocka_unit_test_setup(test_nonces_and_jobs, on_pg),
        cmocka_unit_test_setup(test_race, on_pg),
        cmocka_unit_test_setup(test_cursor, on_pg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
