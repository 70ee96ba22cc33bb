/* follow_test.c — which WorkloadConfig logs the node keeps (host/follow.h):
 * anyone may emit the event, so only a config whose keccak256 is the log's
 * topic, that some workload accepts, within the size limit, is taken. */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_configs_kept_only_under_their_hash),
        cmocka_unit_test(test_malformed_log_data_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
