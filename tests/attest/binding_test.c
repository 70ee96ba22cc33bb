/* binding_test.c — the report_data binding of enclave keys: its exact layout
 * (docs/architecture.md §3), and that every input changes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "evidence/binding.h"
#include "crypto/hash.h"

#include <stdio.h>

#define BINDING_V2_VECTOR "de1ad9f531b0e9ac35dcaa103092cf1278099f3a039751c0ed5e912af6fbcc7a"

static void test_layout_and_sensitivity(void **state)
{
    (void)state;
    clo_key_binding b;
    uint8_t rd[64], want[64], other[64], buf[23 + 116];
    memset(&b, 0, sizeof b);
    for (int i = 0; i < 20; i++) b.signer[i] = (uint8_t)i, b.registry[i] = (uint8_t)(0x80 + i);
    for (int i = 0; i < 32; i++)
        b.hpke_pk[i] = (uint8_t)(0x40 + i), b.nonce[i] = (uint8_t)(0xc0 + i);
    b.epoch = 0x01020304;
    b.chain_id = 0x0a0b0c0d0e0f1011ULL;
    assert_int_equal(clo_report_data(&b, rd).code, CLO_OK_CODE);
    /* domain || signer || hpke_pk || u32be epoch || u64be chain id || registry || nonce */
    size_t n = 0;
    memcpy(buf, "cloister/v1/report-data", 23), n = 23;
    memcpy(buf + n, b.signer, 20), n += 20;
    memcpy(buf + n, b.hpke_pk, 32), n += 32;
    static const uint8_t ep[4] = {1, 2, 3, 4},
                         ch[8] = {0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11};
    memcpy(buf + n, ep, 4), n += 4;
    memcpy(buf + n, ch, 8), n += 8;
    memcpy(buf + n, b.registry, 20), n += 20;
    memcpy(buf + n, b.nonce, 32), n += 32;
    assert_int_equal(n, sizeof buf);
    assert_int_equal(clo_hash(CLO_HASH_SHA512, CLO_BYTES(buf, n), want).code, CLO_OK_CODE);
    assert_memory_equal(rd, want, 64);
    /* every field matters */
    uint8_t *fields[] = {b.signer, b.hpke_pk, b.registry, b.nonce};
    for (size_t f = 0; f < 4; f++) {
        fields[f][0] ^= 1;
        assert_int_equal(clo_report_data(&b, other).code, CLO_OK_CODE);
        assert_memory_not_equal(rd, other, 64);
        fields[f][0] ^= 1;
    }
    b.epoch++;
    assert_int_equal(clo_report_data(&b, other).code, CLO_OK_CODE);
    assert_memory_not_equal(rd, other, 64);
    b.epoch--;
    b.chain_id++;
    assert_int_equal(clo_report_data(&b, other).code, CLO_OK_CODE);
    assert_memory_not_equal(rd, other, 64);
}

/* Version 2: keccak256 over the operator and the same fields, then 32 zero bytes.
 * The expected value is also checked by contracts/test/Binding.t.sol against
 * Solidity's abi.encodePacked and keccak256 (the on-chain check). */
static void test_v2(void **state)
{
    (void)state;
    clo_key_binding b;
    uint8_t rd[64], other[64];
    memset(&b, 0, sizeof b);
    for (int i = 0; i < 20; i++)
        b.signer[i] = (uint8_t)i, b.registry[i] = (uint8_t)(0x80 + i),
        b.operator_[i] = (uint8_t)(0xe0 + i);
    for (int i = 0; i < 32; i++)
        b.hpke_pk[i] = (uint8_t)(0x40 + i), b.nonce[i] = (uint8_t)(0xc0 + i);
    b.epoch = 0x01020304;
    b.chain_id = 0x0a0b0c0d0e0f1011ULL;
    clo_report_data_v2(&b, rd);
    char hex[65];
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", rd[i]);
    assert_string_equal(hex, BINDING_V2_VECTOR);
    static const uint8_t zero[32];
    assert_memory_equal(rd + 32, zero, 32);
    uint8_t *fields[] = {b.operator_, b.signer, b.hpke_pk, b.registry, b.nonce};
    for (size_t f = 0; f < 5; f++) {
        fields[f][19] ^= 1;
        clo_report_data_v2(&b, other);
        assert_memory_not_equal(rd, other, 32);
        fields[f][19] ^= 1;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_layout_and_sensitivity),
                                       cmocka_unit_test(test_v2)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
