/* outputs_test.c — the clients' workload codecs (client/outputs.h) against
 * the workloads themselves: what a workload writes decodes to what it
 * decided; another version, a truncated or a padded output is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "client/outputs.h"

/* auction, sold to input 2 at 5 wei, input 1 excluded */
static const uint8_t AUCTION[] = {
    2,    1,    0,    3, /* version, sold, bids */
    0xb1, 0xb1, 0xb1, 0xb1, 0xb1, 0xb1, 0xb1, 0xb1, 0xb1, 0xb1, 0xb1,
    0xb1, 0xb1, 0xb1, 0xb1, 0xb1, 0xb1, 0xb1, 0xb1, 0xb1, /* winner */
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
    0,    0,    0,    0,    0,    0,    0,    0,    0,    5, /* price */
    0,    2,                                                 /* winner_index */
    0,    1,    0,    1,                                     /* one excluded: position 1 */
};

static void test_auction_public(void **state)
{
    (void)state;
    clo_auction_public a;
    assert_int_equal(clo_auction_public_decode(CLO_BYTES(AUCTION, sizeof AUCTION), &a).code,
                     CLO_OK_CODE);
    assert_true(a.sold);
    assert_int_equal(a.bids, 3);
    assert_int_equal(a.winner_index, 2);
    assert_int_equal(a.price[31], 5);
    assert_int_equal(a.winner[0], 0xb1);
    assert_int_equal(a.excluded.count, 1);
    assert_int_equal(clo_excluded_at(&a.excluded, 0), 1);
    uint8_t bad[sizeof AUCTION + 1];
    memcpy(bad, AUCTION, sizeof AUCTION);
    bad[0] = 1; /* another version */
    assert_int_equal(clo_auction_public_decode(CLO_BYTES(bad, sizeof AUCTION), &a).code,
                     CLO_E_VERSION);
    bad[0] = 2;
    bad[sizeof AUCTION] = 0; /* a byte after the excluded list */
    assert_int_equal(clo_auction_public_decode(CLO_BYTES(bad, sizeof bad), &a).code, CLO_E_FORMAT);
    for (size_t n = 0; n < sizeof AUCTION; n++) /* every truncation */
        assert_int_not_equal(clo_auction_public_decode(CLO_BYTES(AUCTION, n), &a).code,
                             CLO_OK_CODE);
}

static void test_vote_oracle_policy_onnx_public(void **state)
{
    (void)state;
    /* vote: 2 choices, total 3, counts 1 and 2, nothing excluded */
    static const uint8_t vote[] = {2, 0, 2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0};
    clo_vote_public v;
    assert_int_equal(clo_vote_public_decode(CLO_BYTES(vote, sizeof vote), &v).code, CLO_OK_CODE);
    assert_int_equal(v.total, 3);
    assert_int_equal(clo_vote_count(&v, 1), 2);
    /* a choice count that runs past the end */
    static const uint8_t vote_long[] = {2, 0, 9, 0, 0, 0, 3, 0, 0};
    assert_int_equal(clo_vote_public_decode(CLO_BYTES(vote_long, sizeof vote_long), &v).code,
                     CLO_E_FORMAT);
    /* oracle: median mode, value -2, 3 used, 0 rejected, as_of 7 */
    static const uint8_t oracle[] = {2, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0, 3,
                                     0, 0, 0,    0,    0,    0,    0,    0,    0,    7,    0, 0};
    clo_oracle_public o;
    assert_int_equal(clo_oracle_public_decode(CLO_BYTES(oracle, sizeof oracle), &o).code,
                     CLO_OK_CODE);
    assert_int_equal(o.value, -2); /* signed, as the workload writes it */
    assert_int_equal(o.used, 3);
    assert_int_equal(o.as_of, 7);
    static const uint8_t policy[] = {2, 0, 2, 1, 0, 0, 0};
    clo_policy_public q;
    assert_int_equal(clo_policy_public_decode(CLO_BYTES(policy, sizeof policy), &q).code,
                     CLO_OK_CODE);
    assert_int_equal(q.decisions.len, 2);
    assert_int_equal(q.decisions.ptr[0], 1);
    uint8_t onnx[1 + 32 + 4 + 4 + 2] = {2};
    onnx[36] = 3, onnx[40] = 2;
    clo_onnx_public x;
    assert_int_equal(clo_onnx_public_decode(CLO_BYTES(onnx, sizeof onnx), &x).code, CLO_OK_CODE);
    assert_int_equal(x.inputs, 3);
    assert_int_equal(x.answered, 2);
    onnx[0] = 3;
    assert_int_equal(clo_onnx_public_decode(CLO_BYTES(onnx, sizeof onnx), &x).code, CLO_E_VERSION);
}

static void test_inputs_and_answers(void **state)
{
    (void)state;
    uint8_t who[20], amount[32] = {0}, price[32];
    memset(who, 0xab, 20);
    amount[31] = 9;
    clo_buf b;
    clo_buf_init(&b, 1024);
    assert_int_equal(clo_auction_bid_encode(who, amount, &b).code, CLO_OK_CODE);
    assert_int_equal(b.len, 53); /* docs/formats.md §5.1 */
    assert_int_equal(b.ptr[0], 1);
    assert_int_equal(b.ptr[52], 9);
    clo_buf_clear(&b);
    assert_int_equal(clo_vote_ballot_encode(who, 2, &b).code, CLO_OK_CODE);
    assert_int_equal(b.len, 23);
    assert_int_equal(b.ptr[22], 2);
    clo_buf_clear(&b);
    assert_int_equal(clo_auction_config_encode(3, amount, &b).code, CLO_E_ARG);
    clo_oracle_obs obs[2] = {{5, -1}, {5, 2}}; /* times must increase */
    assert_int_equal(clo_oracle_report_encode(who, obs, 2, &b).code, CLO_E_ARG);
    obs[1].time = 6;
    assert_int_equal(clo_oracle_report_encode(who, obs, 2, &b).code, CLO_OK_CODE);
    assert_int_equal(b.len, 1 + 20 + 2 + 2 * 16);
    /* the auction's answer to a bidder: won at price 5 */
    uint8_t answer[34] = {1, 1};
    answer[33] = 5;
    int won = 0;
    assert_int_equal(clo_auction_private_decode(CLO_BYTES(answer, 34), &won, price).code,
                     CLO_OK_CODE);
    assert_true(won);
    assert_int_equal(price[31], 5);
    assert_int_not_equal(clo_auction_private_decode(CLO_BYTES(answer, 33), &won, price).code,
                         CLO_OK_CODE);
    clo_buf_free(&b);
}

/* oracle-https: a config of five sources, run over what a fetch could give;
 * what the workload writes decodes to what it decided. */
static void https_src(clo_https_source_spec *s, const char *host)
{
    memset(s, 0, sizeof *s);
    s->host = host;
    s->port = 443;
    s->path = "/v1/price?pair=CLO-USD";
    s->json_path = "$.data.price";
    s->decimals = 2;
    s->trust = CLO_TRUST_SYSTEM;
}

static clo_err run_https(const clo_buf *cfg, clo_wl_fetched *f, int64_t at, clo_buf *pub)
{
    void *st = NULL;
    static const uint8_t job_id[32] = {1};
    clo_bytes in[1] = {CLO_BYTES("\1", 1)};
    uint8_t excluded[1] = {0};
    clo_buf priv[1];
    clo_buf_init(&priv[0], 16);
    clo_wl_call call = {job_id, in, 1, excluded, f, 5, at};
    clo_err e = clo_wl_oracle_https.open(clo_buf_view(cfg), NULL, &st);
    if (!e.code) e = clo_wl_oracle_https.run(st, &call, pub, priv);
    if (st) clo_wl_oracle_https.close(st);
    assert_int_equal(priv[0].len, 0); /* inputs are not read */
    clo_buf_free(&priv[0]);
    return e;
}

static void test_oracle_https(void **state)
{
    (void)state;
    clo_https_source_spec s[5];
    const char *hosts[5] = {"a.example", "b.example", "c.example", "d.example", "e.example"};
    for (size_t i = 0; i < 5; i++) https_src(&s[i], hosts[i]);
    clo_buf cfg, pub;
    clo_buf_init(&cfg, CLO_WL_MAX_CONFIG);
    clo_buf_init(&pub, CLO_WL_MAX_PUBLIC);
    assert_int_equal(clo_oracle_https_config_encode(3, 500, 300, NULL, 0, s, 5, &cfg).code, 0);
    const int64_t at = 1790000000;
    static const char *bodies[5] = {
        "{\"data\":{\"price\":\"100.10\"}}", "{\"data\":{\"price\":100.2}}",
        "{\"data\":{\"price\":\"100.30\"}}", "{\"data\":{\"price\":\"99\"}}",
        "{\"data\":{\"price\":\"500\"}}"};
    clo_wl_fetched f[5];
    for (size_t i = 0; i < 5; i++) {
        memset(&f[i], 0, sizeof f[i]);
        f[i].tls_version = 0x0304;
        f[i].http_status = 200;
        memset(f[i].spki_sha256, (int)i + 1, 32);
        memset(f[i].path_sha256, (int)i + 0x40, 32);
        f[i].date = at + (int64_t)i;
        f[i].cert_from = at - 1000 - (int64_t)i;
        f[i].cert_until = at + 1000 + (int64_t)i;
        f[i].body = clo_bytes_str(bodies[i]);
    }
    assert_int_equal(run_https(&cfg, f, at, &pub).code, 0);
    static clo_oracle_https_public o;
    assert_int_equal(clo_oracle_https_public_decode(clo_buf_view(&pub), &o).code, 0);
    /* 100.10, 100.20, 100.30, 99 agree within 5%; 500 is an outlier */
    assert_int_equal(o.value, 10015);
    assert_int_equal(o.used, 4);
    assert_int_equal(o.outliers, 1);
    assert_int_equal(o.failed, 0);
    assert_int_equal(o.as_of, at + 3);         /* the latest used Date */
    assert_int_equal(o.valid_from, at - 1000); /* the used windows intersected */
    assert_int_equal(o.valid_until, at + 1000);
    assert_int_equal(o.src[4].outcome, CLO_FETCH_OUTLIER);
    assert_int_equal(o.src[4].value, 50000);
    assert_string_equal(o.src[1].host, "b.example");
    assert_memory_equal(o.src[2].spki_sha256, f[2].spki_sha256, 32);
    assert_memory_equal(o.src[3].path_sha256, f[3].path_sha256, 32);
    assert_string_equal(clo_fetch_outcome_name(o.src[4].outcome), "outlier");

    /* Each way a source fails is named, and it gives no value: a status other
     * than 200, a Date outside its chain's window or too far from the job's
     * time, no number at the path, and what the fetch itself reported. */
    f[0].http_status = 503;
    f[1].date = f[1].cert_until + 1;
    f[3].body = clo_bytes_str("{\"data\":{}}");
    f[4].outcome = CLO_FETCH_TLS_STALE;
    clo_buf_clear(&pub);
    assert_int_equal(run_https(&cfg, f, at, &pub).code, CLO_E_POLICY); /* one left: under quorum */
    f[1].date = at - 301; /* within its window, but older than max_age */
    f[3].body = clo_bytes_str(bodies[3]);
    f[4].outcome = CLO_FETCH_OK;
    f[4].body = clo_bytes_str(bodies[2]);
    clo_buf_clear(&pub);
    assert_int_equal(run_https(&cfg, f, at, &pub).code, 0);
    assert_int_equal(clo_oracle_https_public_decode(clo_buf_view(&pub), &o).code, 0);
    assert_int_equal(o.src[0].outcome, CLO_FETCH_HTTP);
    assert_int_equal(o.src[0].value, 0);
    assert_int_equal(o.src[1].outcome, CLO_FETCH_DATE);
    assert_int_equal(o.src[1].value, 0);
    assert_int_equal(o.used, 3);
    assert_int_equal(o.failed, 2);
    f[2].date = -1; /* no Date at all */
    clo_buf_clear(&pub);
    assert_int_equal(run_https(&cfg, f, at, &pub).code, CLO_E_POLICY);

    /* The decoder refuses a cut or padded output. */
    clo_bytes p = clo_buf_view(&pub);
    clo_buf_clear(&pub);
    for (size_t i = 0; i < 5; i++)
        f[i] = (clo_wl_fetched){
            0, {0}, 0x0304, 200, {0}, at, at - 1, at + 1, clo_bytes_str(bodies[2])};
    assert_int_equal(run_https(&cfg, f, at, &pub).code, 0);
    p = clo_buf_view(&pub);
    assert_int_not_equal(clo_oracle_https_public_decode(CLO_BYTES(p.ptr, p.len - 1), &o).code, 0);
    assert_int_equal(clo_buf_u8(&pub, 0).code, 0);
    assert_int_not_equal(clo_oracle_https_public_decode(clo_buf_view(&pub), &o).code, 0);

    /* Configs the enclave refuses, and the encoder with it. */
    const char *bad_hosts[] = {"Upper.example", "a..b", "-a.example", "a b"};
    for (size_t i = 0; i < 4; i++) {
        clo_buf_clear(&cfg);
        s[0].host = bad_hosts[i];
        assert_int_equal(clo_oracle_https_config_encode(3, 500, 300, NULL, 0, s, 5, &cfg).code,
                         CLO_E_FORMAT);
    }
    s[0].host = "a.example";
    s[0].path = "no-slash";
    clo_buf_clear(&cfg);
    assert_int_equal(clo_oracle_https_config_encode(3, 0, 300, NULL, 0, s, 5, &cfg).code,
                     CLO_E_FORMAT);
    s[0].path = "/";
    s[0].trust = CLO_TRUST_CA; /* with no CA in the config */
    clo_buf_clear(&cfg);
    assert_int_equal(clo_oracle_https_config_encode(3, 0, 300, NULL, 0, s, 5, &cfg).code,
                     CLO_E_FORMAT);
    s[0].trust = CLO_TRUST_PINS; /* with no pin */
    clo_buf_clear(&cfg);
    assert_int_equal(clo_oracle_https_config_encode(3, 0, 300, NULL, 0, s, 5, &cfg).code,
                     CLO_E_FORMAT);
    s[0].trust = CLO_TRUST_SYSTEM;
    s[0].json_path = "price";
    clo_buf_clear(&cfg);
    assert_int_not_equal(clo_oracle_https_config_encode(3, 0, 300, NULL, 0, s, 5, &cfg).code, 0);
    s[0].json_path = "$.price";
    clo_buf_clear(&cfg);
    assert_int_equal(clo_oracle_https_config_encode(6, 0, 300, NULL, 0, s, 5, &cfg).code,
                     CLO_E_FORMAT);
    clo_buf_clear(&cfg);
    assert_int_equal(clo_oracle_https_config_encode(3, 0, 300, NULL, 0, s, 5, &cfg).code, 0);
    /* trailing bytes */
    assert_int_equal(clo_buf_u8(&cfg, 0).code, 0);
    assert_int_equal(clo_workload_check(&clo_wl_oracle_https, clo_buf_view(&cfg)).code,
                     CLO_E_FORMAT);
    clo_buf_free(&cfg);
    clo_buf_free(&pub);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auction_public),
        cmocka_unit_test(test_vote_oracle_policy_onnx_public),
        cmocka_unit_test(test_inputs_and_answers),
        cmocka_unit_test(test_oracle_https),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
