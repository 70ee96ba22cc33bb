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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auction_public),
        cmocka_unit_test(test_vote_oracle_policy_onnx_public),
        cmocka_unit_test(test_inputs_and_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
