/* workloads_test.c — each built-in workload on known inputs: results, rules,
 * tie-breaks, determinism, and its input errors (negative cases first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "workloads/workload.h"

#define OK(x) assert_int_equal((x).code, CLO_OK_CODE)
#define MAXN  8

typedef struct {
    clo_buf pub, priv[MAXN];
    uint8_t excluded[MAXN];
} outputs;

static clo_err run(const char *name, clo_bytes cfg, const uint8_t job_id[32], const clo_bytes *in,
                   size_t n, outputs *o)
{
    const clo_workload *w = clo_workload_by_name(name);
    assert_non_null(w);
    uint8_t id[32];
    clo_workload_id(name, id);
    assert_ptr_equal(clo_workload_by_id(id), w);
    clo_buf_init(&o->pub, CLO_WL_MAX_PUBLIC);
    for (size_t i = 0; i < MAXN; i++) clo_buf_init(&o->priv[i], CLO_WL_MAX_PRIVATE);
    void *st = NULL;
    CLO_TRY(w->open(cfg, NULL, &st));
    memset(o->excluded, 0, sizeof o->excluded);
    for (size_t i = 0; i < n; i++) o->excluded[i] = in[i].len == 0; /* as the enclave: unopened */
    clo_wl_call call = {job_id, in, n, o->excluded, NULL, 0, 0};
    clo_err err = w->run(st, &call, &o->pub, o->priv);
    w->close(st);
    return err;
}

static void outputs_free(outputs *o)
{
    clo_buf_free(&o->pub);
    for (size_t i = 0; i < MAXN; i++) clo_buf_free(&o->priv[i]);
}

static const uint8_t JOB[32] = {1};

static void bid(uint8_t out[53], uint8_t who, uint64_t amount)
{
    memset(out, 0, 53);
    out[0] = 1;
    memset(out + 1, who, 20);
    clo_store_u64be(out + 45, amount);
}

static uint64_t u64_at(clo_bytes b, size_t off)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8; i++) v = v << 8 | b.ptr[off + i];
    return v;
}

/* The public output's tail: u16 n | n x u16 excluded position. */
static void assert_excluded(const clo_buf *pub, size_t tail_at, const uint16_t *want, size_t n)
{
    assert_int_equal(pub->len, tail_at + 2 + 2 * n);
    assert_int_equal(pub->ptr[tail_at] << 8 | pub->ptr[tail_at + 1], n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(pub->ptr[tail_at + 2 + 2 * i] << 8 | pub->ptr[tail_at + 3 + 2 * i],
                         want[i]);
}

/* Issue 15, finding 3: one malformed or unopened bid, or a bid claiming
 * another bidder's address, failed the whole auction. Now each is excluded
 * (or, for a claim, simply counts) and the auction is decided. */
static void test_auction_one_bid_cannot_veto(void **state)
{
    (void)state;
    outputs o;
    uint8_t cfg[34] = {1, 1}, b[3][53];
    bid(b[0], 1, 5);
    bid(b[1], 1, 6); /* claims bidder 1's address too: both count, position decides */
    bid(b[2], 3, 4);
    clo_bytes in[3] = {CLO_BYTES(b[0], 53), CLO_BYTES(b[1], 53), CLO_BYTES(b[2], 53)};
    OK(run("auction", CLO_BYTES(cfg, 34), JOB, in, 3, &o));
    assert_int_equal(o.pub.ptr[0], 2);
    assert_int_equal(o.pub.ptr[1], 1);
    assert_int_equal(o.pub.ptr[56] << 8 | o.pub.ptr[57], 1);
    assert_excluded(&o.pub, 58, NULL, 0);
    outputs_free(&o);
    in[0].len = 52; /* malformed */
    b[2][0] = 2;    /* another version */
    clo_bytes unopened = CLO_BYTES_EMPTY;
    clo_bytes in4[4] = {in[0], in[1], in[2], unopened};
    OK(run("auction", CLO_BYTES(cfg, 34), JOB, in4, 4, &o));
    assert_int_equal(o.pub.ptr[1], 1);                       /* still sold */
    assert_int_equal(o.pub.ptr[56] << 8 | o.pub.ptr[57], 1); /* to the one good bid */
    assert_int_equal(u64_at(clo_buf_view(&o.pub), 48), 6);
    static const uint16_t ex[] = {0, 2, 3};
    assert_excluded(&o.pub, 58, ex, 3);
    assert_int_equal(o.excluded[0] + o.excluded[2] + o.excluded[3], 3);
    assert_int_equal(o.priv[0].ptr[1], 0); /* an excluded bid is told it did not win */
    outputs_free(&o);
    cfg[1] = 3; /* a bad config is the job's own fault */
    assert_int_equal(run("auction", CLO_BYTES(cfg, 34), JOB, in, 1, &o).code, CLO_E_FORMAT);
    outputs_free(&o);
}

static void test_auction_rules(void **state)
{
    (void)state;
    outputs o;
    uint8_t cfg[34] = {1, 1}, b[3][53];
    bid(b[0], 1, 100);
    bid(b[1], 2, 300);
    bid(b[2], 3, 200);
    clo_bytes in[3] = {CLO_BYTES(b[0], 53), CLO_BYTES(b[1], 53), CLO_BYTES(b[2], 53)};
    OK(run("auction", CLO_BYTES(cfg, 34), JOB, in, 3, &o)); /* first price */
    assert_int_equal(o.pub.ptr[0], 2);
    assert_int_equal(o.pub.ptr[1], 1);
    assert_int_equal(o.pub.ptr[4], 2);
    assert_int_equal(u64_at(clo_buf_view(&o.pub), 48), 300);
    assert_excluded(&o.pub, 58, NULL, 0);
    assert_int_equal(o.pub.ptr[56] << 8 | o.pub.ptr[57], 1); /* the second input won */
    assert_int_equal(o.priv[1].ptr[1], 1);
    assert_int_equal(o.priv[0].ptr[1], 0);
    outputs_free(&o);
    cfg[1] = 2; /* second price */
    OK(run("auction", CLO_BYTES(cfg, 34), JOB, in, 3, &o));
    assert_int_equal(u64_at(clo_buf_view(&o.pub), 48), 200);
    outputs_free(&o);
    /* Reserve 250: only bid 2 qualifies; second price falls to the reserve. */
    clo_store_u64be(cfg + 26, 250);
    OK(run("auction", CLO_BYTES(cfg, 34), JOB, in, 3, &o));
    assert_int_equal(u64_at(clo_buf_view(&o.pub), 48), 250);
    outputs_free(&o);
    /* Reserve above every bid: not sold. */
    clo_store_u64be(cfg + 26, 1000);
    OK(run("auction", CLO_BYTES(cfg, 34), JOB, in, 3, &o));
    assert_int_equal(o.pub.ptr[1], 0);
    outputs_free(&o);
}

static void test_auction_ties(void **state)
{
    (void)state;
    outputs o;
    uint8_t cfg[34] = {1, 1}, b[2][53];
    bid(b[0], 1, 100);
    bid(b[1], 2, 100);
    clo_bytes in[2] = {CLO_BYTES(b[0], 53), CLO_BYTES(b[1], 53)};
    clo_bytes rev[2] = {in[1], in[0]};
    /* The winner of a tie depends on the job id, not on input order. */
    int winners[2] = {0, 0};
    for (uint8_t j = 0; j < 16; j++) {
        uint8_t job[32] = {j};
        OK(run("auction", CLO_BYTES(cfg, 34), job, in, 2, &o));
        uint8_t w = o.pub.ptr[4];
        outputs_free(&o);
        OK(run("auction", CLO_BYTES(cfg, 34), job, rev, 2, &o));
        assert_int_equal(o.pub.ptr[4], w);
        outputs_free(&o);
        winners[w - 1]++;
    }
    assert_true(winners[0] > 0 && winners[1] > 0);
}

static void ballot(uint8_t out[23], uint8_t who, uint16_t choice)
{
    out[0] = 1;
    memset(out + 1, who, 20);
    clo_store_u16be(out + 21, choice);
}

static void test_vote(void **state)
{
    (void)state;
    outputs o;
    uint8_t cfg[3] = {1, 0, 3}, b[4][23];
    ballot(b[0], 1, 0);
    ballot(b[1], 2, 2);
    ballot(b[2], 3, 2);
    ballot(b[3], 4, 3); /* out of range: excluded, the tally stands */
    clo_bytes in[4];
    for (size_t i = 0; i < 4; i++) in[i] = CLO_BYTES(b[i], 23);
    OK(run("vote", CLO_BYTES(cfg, 3), JOB, in, 4, &o));
    static const uint8_t want[] = {2, 0, 3, 0, 0, 0, 3, 0, 0, 0, 1, 0,
                                   0, 0, 0, 0, 0, 0, 2, 0, 1, 0, 3};
    assert_int_equal(o.pub.len, sizeof want);
    assert_memory_equal(o.pub.ptr, want, sizeof want);
    assert_int_equal(o.priv[3].ptr[1], 0); /* its receipt: not counted */
    outputs_free(&o);
    ballot(b[3], 1, 1); /* voter 1 again: the later ballot is excluded */
    OK(run("vote", CLO_BYTES(cfg, 3), JOB, in, 4, &o));
    assert_memory_equal(o.pub.ptr, want, sizeof want);
    assert_int_equal(o.priv[0].ptr[1], 1);
    outputs_free(&o);
    cfg[2] = 0;
    assert_int_equal(run("vote", CLO_BYTES(cfg, 3), JOB, in, 3, &o).code, CLO_E_FORMAT);
    outputs_free(&o);
    cfg[2] = 3;
    OK(run("vote", CLO_BYTES(cfg, 3), JOB, in, 3, &o));
    static const uint8_t want3[] = {2, 0, 3, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0};
    assert_int_equal(o.pub.len, sizeof want3);
    assert_memory_equal(o.pub.ptr, want3, sizeof want3);
    outputs_free(&o);
}

static size_t report(uint8_t *out, uint8_t who, size_t n, const uint64_t *t, const int64_t *p)
{
    out[0] = 1;
    memset(out + 1, who, 20);
    clo_store_u16be(out + 21, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        clo_store_u64be(out + 23 + 16 * i, t[i]);
        clo_store_u64be(out + 31 + 16 * i, (uint64_t)p[i]);
    }
    return 23 + 16 * n;
}

static void oracle_cfg(uint8_t cfg[12], uint8_t mode, uint16_t min, uint32_t bps, uint32_t window)
{
    cfg[0] = 1;
    cfg[1] = mode;
    clo_store_u16be(cfg + 2, min);
    clo_store_u32be(cfg + 4, bps);
    clo_store_u32be(cfg + 8, window);
}

static void test_oracle_median(void **state)
{
    (void)state;
    outputs o;
    uint8_t cfg[12], r[5][64];
    uint64_t t[1] = {1000};
    int64_t prices[5] = {100000, 101000, 99000, 100500, 250000}; /* the last is an outlier */
    clo_bytes in[5];
    for (uint8_t i = 0; i < 5; i++) {
        int64_t p[1] = {prices[i]};
        in[i] = CLO_BYTES(r[i], report(r[i], (uint8_t)(i + 1), 1, t, p));
    }
    oracle_cfg(cfg, 1, 3, 500 /* 5% */, 0);
    OK(run("oracle", CLO_BYTES(cfg, 12), JOB, in, 5, &o));
    /* median of {99000, 100000, 100500, 101000} = 100250 */
    assert_int_equal((int64_t)u64_at(clo_buf_view(&o.pub), 2), 100250);
    assert_int_equal(o.pub.ptr[11], 4);
    assert_int_equal(o.pub.ptr[13], 1);
    assert_int_equal(o.priv[4].ptr[1], 0);
    assert_int_equal(o.priv[0].ptr[1], 1);
    outputs_free(&o);
    oracle_cfg(cfg, 1, 5, 500, 0); /* quorum of 5 cannot be met */
    assert_int_equal(run("oracle", CLO_BYTES(cfg, 12), JOB, in, 5, &o).code, CLO_E_POLICY);
    outputs_free(&o);
}

static void test_oracle_twap(void **state)
{
    (void)state;
    outputs o;
    uint8_t cfg[12], r[2][128];
    /* Source 1: 100 for 60 s, then 200 for 40 s (as_of = 100): TWAP 140. */
    uint64_t t1[2] = {0, 60};
    int64_t p1[2] = {100, 200};
    /* Source 2: 150 from 0, then 130 at 100. */
    uint64_t t2[2] = {0, 100};
    int64_t p2[2] = {150, 130};
    clo_bytes in[2] = {CLO_BYTES(r[0], report(r[0], 1, 2, t1, p1)),
                       CLO_BYTES(r[1], report(r[1], 2, 2, t2, p2))};
    oracle_cfg(cfg, 2, 2, 0, 100);
    OK(run("oracle", CLO_BYTES(cfg, 12), JOB, in, 2, &o));
    /* values 140 and 150 -> median 145 */
    assert_int_equal((int64_t)u64_at(clo_buf_view(&o.pub), 2), 145);
    assert_int_equal(u64_at(clo_buf_view(&o.pub), 14), 100);
    outputs_free(&o);
    t1[1] = 0; /* times not increasing: that report is excluded, not the round */
    in[0] = CLO_BYTES(r[0], report(r[0], 1, 2, t1, p1));
    oracle_cfg(cfg, 2, 1, 0, 100);
    OK(run("oracle", CLO_BYTES(cfg, 12), JOB, in, 2, &o));
    assert_int_equal((int64_t)u64_at(clo_buf_view(&o.pub), 2), 150); /* source 2 alone */
    static const uint16_t ex[] = {0};
    assert_excluded(&o.pub, 22, ex, 1);
    outputs_free(&o);
    /* ... but fewer usable sources than the config's quorum fails the round */
    oracle_cfg(cfg, 2, 2, 0, 100);
    assert_int_equal(run("oracle", CLO_BYTES(cfg, 12), JOB, in, 2, &o).code, CLO_E_POLICY);
    outputs_free(&o);
    /* a second report from one source is excluded */
    in[0] = CLO_BYTES(r[0], report(r[0], 2, 2, t2, p2));
    oracle_cfg(cfg, 2, 1, 0, 100);
    OK(run("oracle", CLO_BYTES(cfg, 12), JOB, in, 2, &o));
    static const uint16_t ex1[] = {1};
    assert_excluded(&o.pub, 22, ex1, 1);
    outputs_free(&o);
}

static void applicant(uint8_t a[23], uint16_t score, uint64_t income, uint64_t debt, uint8_t age,
                      uint8_t kyc, uint16_t country)
{
    a[0] = 1;
    clo_store_u16be(a + 1, score);
    clo_store_u64be(a + 3, income);
    clo_store_u64be(a + 11, debt);
    a[19] = age;
    a[20] = kyc;
    clo_store_u16be(a + 21, country);
}

static void test_policy(void **state)
{
    (void)state;
    outputs o;
    uint8_t cfg[21] = {1}, a[3][23];
    clo_store_u16be(cfg + 1, 650);
    clo_store_u64be(cfg + 3, 30000);
    clo_store_u32be(cfg + 11, 4000); /* DTI <= 40% */
    cfg[15] = 18;
    cfg[16] = 3; /* KYC bits 1 and 2 */
    cfg[17] = 1;
    clo_store_u16be(cfg + 18, 408);
    applicant(a[0], 700, 50000, 10000, 30, 3, 276); /* approve */
    applicant(a[1], 600, 50000, 30000, 17, 1, 408); /* everything fails but income */
    applicant(a[2], 650, 30000, 12000, 18, 7, 250); /* boundaries: approve */
    clo_bytes in[3] = {CLO_BYTES(a[0], 23), CLO_BYTES(a[1], 23), CLO_BYTES(a[2], 23)};
    OK(run("policy", CLO_BYTES(cfg, 20), JOB, in, 3, &o));
    static const uint8_t want[] = {2, 0, 3, 1, 0, 1, 0, 0};
    assert_int_equal(o.pub.len, sizeof want);
    assert_memory_equal(o.pub.ptr, want, sizeof want);
    assert_int_equal(o.priv[1].ptr[2], 1 | 4 | 8 | 16 | 32);
    assert_int_equal(o.priv[0].ptr[2], 0);
    outputs_free(&o);
    assert_int_equal(run("policy", CLO_BYTES(cfg, 21), JOB, in, 3, &o).code, CLO_E_FORMAT);
    outputs_free(&o);
    in[0].len = 22; /* a malformed applicant: denied and named, the others decided */
    OK(run("policy", CLO_BYTES(cfg, 20), JOB, in, 3, &o));
    static const uint8_t want_ex[] = {2, 0, 3, 0, 0, 1, 0, 1, 0, 0};
    assert_int_equal(o.pub.len, sizeof want_ex);
    assert_memory_equal(o.pub.ptr, want_ex, sizeof want_ex);
    assert_int_equal(o.priv[0].ptr[2], 0xff);
    outputs_free(&o);
}

/* onnx's config: version 1 (the node's threads) or 2 with the job's own
 * thread count, 1 to 64; anything else is refused before a job runs. */
static void test_onnx_config(void **state)
{
    (void)state;
    uint8_t c[35] = {1};
    assert_int_equal(clo_workload_check(&clo_wl_onnx, CLO_BYTES(c, 33)).code, 0);
    c[0] = 2;
    c[33] = 2;
    assert_int_equal(clo_workload_check(&clo_wl_onnx, CLO_BYTES(c, 34)).code, 0);
    c[33] = 64;
    assert_int_equal(clo_workload_check(&clo_wl_onnx, CLO_BYTES(c, 34)).code, 0);
    c[33] = 0;
    assert_int_equal(clo_workload_check(&clo_wl_onnx, CLO_BYTES(c, 34)).code, CLO_E_FORMAT);
    c[33] = 65;
    assert_int_equal(clo_workload_check(&clo_wl_onnx, CLO_BYTES(c, 34)).code, CLO_E_FORMAT);
    c[33] = 1;
    assert_int_not_equal(clo_workload_check(&clo_wl_onnx, CLO_BYTES(c, 33)).code, 0);
    assert_int_equal(clo_workload_check(&clo_wl_onnx, CLO_BYTES(c, 35)).code, CLO_E_FORMAT);
    c[0] = 3;
    assert_int_equal(clo_workload_check(&clo_wl_onnx, CLO_BYTES(c, 34)).code, CLO_E_VERSION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auction_one_bid_cannot_veto),
        cmocka_unit_test(test_onnx_config),
        cmocka_unit_test(test_auction_rules),
        cmocka_unit_test(test_auction_ties),
        cmocka_unit_test(test_vote),
        cmocka_unit_test(test_oracle_median),
        cmocka_unit_test(test_oracle_twap),
        cmocka_unit_test(test_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
