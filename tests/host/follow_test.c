/* follow_test.c — which WorkloadConfig logs the node keeps (host/follow.h):
 * anyone may emit the event, so only a config whose keccak256 is the log's
 * topic, that some workload accepts, within the size limit, is taken; and
 * when a job seen again is the one journaled (tickets aside). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "chain/abi.h"
#include "crypto/keccak.h"
#include "host/follow.h"

/* A log as the RPC endpoint would hand it over: topic = hash, data = abi.encode(config). */
static void make_log(clo_eth_log *l, clo_bytes config, const uint8_t topic[32])
{
    memset(l, 0, sizeof *l);
    clo_buf_init(&l->data, (size_t)1 << 20);
    l->topic_count = 2;
    memcpy(l->topics[1], topic, 32);
    clo_abi_val b = clo_abi_bytes(config), t = clo_abi_tuple(&b, 1);
    assert_int_equal(clo_abi_encode(&t, &l->data).code, CLO_OK_CODE);
}

static clo_code take(clo_bytes config, const uint8_t *topic, int removed, clo_buf *out)
{
    uint8_t h[32];
    clo_keccak256(config, h);
    clo_eth_log l;
    make_log(&l, config, topic ? topic : h);
    l.removed = removed;
    clo_code c = clo_follow_config_of(&l, out).code;
    clo_buf_free(&l.data);
    return c;
}

static void test_configs_kept_only_under_their_hash(void **state)
{
    (void)state;
    static const uint8_t vote[] = {1, 0, 3}; /* a vote with 3 choices */
    uint8_t other[32] = {0x42};
    clo_buf out;
    clo_buf_init(&out, (size_t)1 << 20);
    assert_int_equal(take(CLO_BYTES(vote, 3), NULL, 0, &out), CLO_OK_CODE);
    assert_true(clo_bytes_eq(clo_buf_view(&out), CLO_BYTES(vote, 3)));
    /* another hash: a contract cannot name a config by a hash that is not its own */
    assert_int_equal(take(CLO_BYTES(vote, 3), other, 0, &out), CLO_E_AUTH);
    /* a config no workload takes */
    static const uint8_t junk[] = {9, 9, 9, 9};
    assert_int_equal(take(CLO_BYTES(junk, 4), NULL, 0, &out), CLO_E_UNSUPPORTED);
    /* a log a reorg removed */
    assert_int_equal(take(CLO_BYTES(vote, 3), NULL, 1, &out), CLO_E_FORMAT);
    /* over the size limit, whatever its hash */
    static uint8_t big[CLO_FOLLOW_MAX_CONFIG + 1];
    assert_int_equal(take(CLO_BYTES(big, sizeof big), NULL, 0, &out), CLO_E_LIMIT);
    clo_buf_free(&out);
}

static void test_malformed_log_data_refused(void **state)
{
    (void)state;
    uint8_t h[32] = {0};
    clo_eth_log l;
    make_log(&l, CLO_BYTES(h, 1), h);
    clo_buf out;
    clo_buf_init(&out, 1 << 16);
    l.data.len -= 1; /* truncated ABI */
    assert_int_not_equal(clo_follow_config_of(&l, &out).code, CLO_OK_CODE);
    l.topic_count = 1; /* no hash topic */
    assert_int_equal(clo_follow_config_of(&l, &out).code, CLO_E_FORMAT);
    clo_buf_free(&l.data);
    clo_buf_free(&out);
}

/* A chain job seen again after a crash asks for fresh tickets, with other
 * issue times: still the journaled job. Any other field is another request. */
static void test_same_job_apart_from_tickets(void **state)
{
    (void)state;
    uint8_t env[64], cfg[3] = {1, 0, 3};
    memset(env, 0x33, sizeof env);
    clo_bytes in[1] = {CLO_BYTES(env, sizeof env)};
    clo_proto_job j;
    memset(&j, 0, sizeof j);
    memset(j.job_id, 1, 32);
    memset(j.workload_id, 2, 32);
    j.chain_id = 31337;
    j.epoch = 1;
    j.config = CLO_BYTES(cfg, 3);
    j.count = 1;
    j.inputs = in;
    j.deadline = 1800000000;
    j.nsigs = 2;
    j.sigs[0].issued_at = 100, j.sigs[1].issued_at = 101;
    memset(j.sigs[0].sig, 7, 65), memset(j.sigs[1].sig, 8, 65);
    clo_buf journaled;
    clo_buf_init(&journaled, 1 << 16);
    assert_int_equal(clo_proto_job_encode(&j, &journaled).code, CLO_OK_CODE);
    clo_proto_job again = j;
    again.sigs[0].issued_at = 160; /* a minute later */
    memset(again.sigs[0].sig, 9, 65);
    assert_true(clo_follow_same_job(clo_buf_view(&journaled), &again));
    again.nsigs = 1;
    assert_true(clo_follow_same_job(clo_buf_view(&journaled), &again));
    clo_proto_job other = again;
    other.deadline++;
    assert_false(clo_follow_same_job(clo_buf_view(&journaled), &other));
    other = again;
    env[5] ^= 1; /* another input (the journaled bytes were encoded before) */
    assert_true(clo_follow_same_job(clo_buf_view(&journaled), &other) == 0);
    env[5] ^= 1;
    other.consumer[0] = 1;
    assert_false(clo_follow_same_job(clo_buf_view(&journaled), &other));
    journaled.len--; /* undecodable */
    assert_false(clo_follow_same_job(clo_buf_view(&journaled), &again));
    clo_buf_free(&journaled);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_configs_kept_only_under_their_hash),
        cmocka_unit_test(test_malformed_log_data_refused),
        cmocka_unit_test(test_same_job_apart_from_tickets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
