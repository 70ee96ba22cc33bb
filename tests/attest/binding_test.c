/* binding_test.c — the report_data binding of enclave keys: its exact layout
 * (docs/architecture.md §3, evidence/binding.h), a vector shared with
 * contracts/test/Binding.t.sol, and that every input changes it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/keccak.h"
#include "evidence/binding.h"

/* Also checked by Binding.t.sol against Solidity's abi.encodePacked and keccak256. */
#define BINDING_VECTOR "de1ad9f531b0e9ac35dcaa103092cf1278099f3a039751c0ed5e912af6fbcc7a"

static void sample(clo_key_binding *b)
{
    memset(b, 0, sizeof *b);
    for (int i = 0; i < 20; i++)
        b->signer[i] = (uint8_t)i, b->registry[i] = (uint8_t)(0x80 + i),
        b->operator_addr[i] = (uint8_t)(0xe0 + i);
    for (int i = 0; i < 32; i++)
        b->hpke_pk[i] = (uint8_t)(0x40 + i), b->nonce[i] = (uint8_t)(0xc0 + i);
    b->epoch = 0x01020304;
    b->chain_id = 0x0a0b0c0d0e0f1011ULL;
}

static void test_layout_and_vector(void **state)
{
    (void)state;
    clo_key_binding b;
    sample(&b);
    uint8_t rd[64], want[32], buf[23 + 136];
    clo_report_data(&b, rd);
    /* domain || operator || signer || hpke_pk || u32be epoch || u64be chain id || registry || nonce
     */
    size_t n = 0;
    memcpy(buf, "cloister/v2/report-data", 23), n = 23;
    memcpy(buf + n, b.operator_addr, 20), n += 20;
    memcpy(buf + n, b.signer, 20), n += 20;
    memcpy(buf + n, b.hpke_pk, 32), n += 32;
    static const uint8_t ep[4] = {1, 2, 3, 4},
                         ch[8] = {0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11};
    memcpy(buf + n, ep, 4), n += 4;
    memcpy(buf + n, ch, 8), n += 8;
    memcpy(buf + n, b.registry, 20), n += 20;
    memcpy(buf + n, b.nonce, 32), n += 32;
    assert_int_equal(n, sizeof buf);
    clo_keccak256(CLO_BYTES(buf, n), want);
    assert_memory_equal(rd, want, 32);
    char hex[65];
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", rd[i]);
    assert_string_equal(hex, BINDING_VECTOR);
    static const uint8_t zero[32];
    assert_memory_equal(rd + 32, zero, 32);
}

static void test_every_field_matters(void **state)
{
    (void)state;
    clo_key_binding b;
    sample(&b);
    uint8_t rd[64], other[64];
    clo_report_data(&b, rd);
    uint8_t *fields[] = {b.operator_addr, b.signer, b.hpke_pk, b.registry, b.nonce};
    for (size_t f = 0; f < 5; f++) {
        fields[f][19] ^= 1;
        clo_report_data(&b, other);
        assert_memory_not_equal(rd, other, 32);
        fields[f][19] ^= 1;
    }
    b.epoch++;
    clo_report_data(&b, other);
    assert_memory_not_equal(rd, other, 32);
    b.epoch--;
    b.chain_id++;
    clo_report_data(&b, other);
    assert_memory_not_equal(rd, other, 32);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_layout_and_vector),
                                       cmocka_unit_test(test_every_field_matters)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
