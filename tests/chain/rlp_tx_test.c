/* rlp_tx_test.c — RLP against ethereum/tests RLPTests (valid, invalid and
 * random), and transactions against every ethereum/tests TransactionTests
 * fixture and the EIP-155 example. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/hex.h"
#include "chain/rlp.h"
#include "chain/tx.h"
#include "base/ct.h"
#include "crypto/ethkey.h"
#include "crypto/keccak.h"
#include "crypto/secp256k1.h"
#include "tv.h"

/* A decimal big integer ("#123...") as minimal big-endian bytes. */
static clo_buf decimal_be(const char *dec)
{
    uint8_t n[64] = {0}; /* big-endian accumulator */
    for (; *dec; dec++) {
        unsigned carry = (unsigned)(*dec - '0');
        for (int i = 63; i >= 0; i--) {
            unsigned v = n[i] * 10u + carry;
            n[i] = (uint8_t)v;
            carry = v >> 8;
        }
        assert_int_equal(carry, 0);
    }
    size_t i = 0;
    while (i < 64 && n[i] == 0) i++;
    clo_buf b;
    clo_buf_init(&b, 64);
    assert_int_equal(clo_buf_append(&b, n + i, 64 - i).code, 0);
    return b;
}

static void rlp_put_json(clo_buf *out, const json_t *v)
{
    if (json_is_array(v)) {
        size_t mark, i;
        json_t *e;
        assert_int_equal(clo_rlp_list_open(out, &mark).code, 0);
        json_array_foreach(v, i, e) rlp_put_json(out, e);
        assert_int_equal(clo_rlp_list_close(out, mark).code, 0);
    } else if (json_is_integer(v)) {
        assert_int_equal(clo_rlp_put_u64(out, (uint64_t)json_integer_value(v)).code, 0);
    } else if (json_string_value(v)[0] == '#') {
        clo_buf be = decimal_be(json_string_value(v) + 1);
        assert_int_equal(clo_rlp_put_uint_be(out, clo_buf_view(&be)).code, 0);
        clo_buf_free(&be);
    } else {
        assert_int_equal(
            clo_rlp_put_bytes(out, CLO_BYTES(json_string_value(v), json_string_length(v))).code, 0);
    }
}

static void test_rlp_valid(void **state)
{
    (void)state;
    json_t *all = tv_json("ethereum/rlp/rlptest.json"), *c;
    const char *name;
    size_t n = 0;
    json_object_foreach(all, name, c)
    {
        clo_buf got, want = tv_hex(c, "out");
        clo_buf_init(&got, 1u << 20);
        rlp_put_json(&got, json_object_get(c, "in"));
        tv_assert_bytes(name, clo_buf_view(&got), clo_buf_view(&want));
        /* and it decodes back to one canonical item covering everything */
        clo_rlp_item item;
        assert_int_equal(clo_rlp_decode(clo_buf_view(&want), &item).code, 0);
        assert_int_equal(item.raw.len, want.len);
        clo_buf_free(&got);
        clo_buf_free(&want);
        n++;
    }
    printf("RLP: %zu encode/decode vectors\n", n);
    assert_int_equal(n, 28);
    json_decref(all);
}

static void test_rlp_invalid(void **state)
{
    (void)state;
    json_t *all = tv_json("ethereum/rlp/invalidRLPTest.json"), *c;
    const char *name;
    size_t n = 0;
    json_object_foreach(all, name, c)
    {
        clo_buf raw = tv_hex(c, "out");
        clo_rlp_item item;
        clo_err err = clo_rlp_decode(clo_buf_view(&raw), &item);
        if (!err.code) fail_msg("invalid RLP %s was accepted", name);
        clo_buf_free(&raw);
        n++;
    }
    json_t *rnd = tv_json("ethereum/rlp/RandomRLPTests/example.json");
    json_object_foreach(rnd, name, c)
    {
        clo_buf raw = tv_hex(c, "out");
        clo_rlp_item item;
        int valid = strcmp(tv_str(c, "in"), "VALID") == 0;
        assert_int_equal(clo_rlp_decode(clo_buf_view(&raw), &item).code == 0, valid);
        clo_buf_free(&raw);
        n++;
    }
    printf("RLP: %zu invalid/random vectors\n", n);
    assert_true(n >= 20);
    json_decref(all);
    json_decref(rnd);
}

static void test_rlp_integers(void **state)
{
    (void)state;
    static const char *bad[] = {"8100", "820001", "b800",
                                "b90038" /* length with a leading zero */};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        clo_buf raw = tv_hex_str(bad[i]);
        clo_rlp_item item;
        uint64_t v;
        clo_err err = clo_rlp_decode(clo_buf_view(&raw), &item);
        if (!err.code) err = clo_rlp_get_u64(&item, &v);
        assert_int_not_equal(err.code, 0);
        clo_buf_free(&raw);
    }
    /* deep nesting is refused, not recursed into */
    clo_buf deep;
    clo_buf_init(&deep, 1024);
    for (int i = 0; i < CLO_RLP_MAX_DEPTH + 2; i++)
        assert_int_equal(clo_buf_u8(&deep, 0xc0).code, 0);
    for (size_t i = 0; i < deep.len; i++) deep.ptr[i] = (uint8_t)(0xc0 + deep.len - 1 - i);
    clo_rlp_item item;
    assert_int_equal(clo_rlp_decode(clo_buf_view(&deep), &item).code, CLO_E_LIMIT);
    clo_buf_free(&deep);
}

/* ---------------------------------------------------------- transactions -- */

typedef struct {
    size_t valid, invalid, files;
} tx_counts;

static const char *const FORKS[] = {"Prague", "Cancun", "Shanghai", "Paris", "London", NULL};

static void run_tx_fixture(const char *path, tx_counts *counts)
{
    clo_buf file = tv_read_file(path);
    json_t *doc = json_loadb((const char *)file.ptr, file.len, 0, NULL), *c;
    const char *name;
    assert_non_null(doc);
    json_object_foreach(doc, name, c)
    {
        json_t *res = json_object_get(c, "result"), *r = NULL;
        const char *fork = NULL;
        for (size_t i = 0; FORKS[i] && !r; i++) r = json_object_get(res, fork = FORKS[i]);
        if (!r) fail_msg("%s: no result for a recent fork", name);
        clo_buf raw = tv_hex(c, "txbytes");
        clo_tx tx;
        clo_err err = clo_tx_decode(clo_buf_view(&raw), &tx);
        if (!err.code) err = clo_tx_check(&tx, 1);
        if (json_object_get(r, "exception")) {
            if (!err.code)
                fail_msg("%s (%s): accepted, expected %s", name, fork, tv_str(r, "exception"));
            counts->invalid++;
        } else {
            if (err.code) fail_msg("%s (%s): refused: %s", name, fork, err.what);
            uint8_t hash[32], sender[20];
            clo_tx_hash(clo_buf_view(&raw), hash);
            clo_buf want_hash = tv_hex(r, "hash"), want_sender = tv_hex(r, "sender");
            tv_assert_bytes(name, CLO_BYTES(hash, 32), clo_buf_view(&want_hash));
            assert_int_equal(clo_tx_sender(&tx, sender).code, 0);
            tv_assert_bytes(name, CLO_BYTES(sender, 20), clo_buf_view(&want_sender));
            /* re-encoding what was decoded gives the same bytes */
            clo_buf again;
            clo_buf_init(&again, CLO_TX_MAX_SIZE);
            assert_int_equal(clo_tx_encode(&tx, &again).code, 0);
            tv_assert_bytes(name, clo_buf_view(&again), clo_buf_view(&raw));
            clo_buf_free(&again);
            clo_buf_free(&want_hash);
            clo_buf_free(&want_sender);
            counts->valid++;
        }
        clo_buf_free(&raw);
    }
    json_decref(doc);
    clo_buf_free(&file);
    counts->files++;
}

static void walk(const char *dir, tx_counts *counts)
{
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0)
            run_tx_fixture(path, counts);
        else
            walk(path, counts);
    }
    closedir(d);
}

static void test_transaction_fixtures(void **state)
{
    (void)state;
    tx_counts counts = {0};
    walk(tv_path("ethereum/transactions/TransactionTests"), &counts);
    printf("TransactionTests: %zu files, %zu valid (hash, sender, re-encoding), %zu refused\n",
           counts.files, counts.valid, counts.invalid);
    assert_int_equal(counts.files, 210);
    assert_true(counts.valid >= 40 && counts.invalid >= 100);
}

static void test_eip155_example(void **state)
{
    (void)state;
    json_t *doc = tv_json("ethereum/eip155/example.json"), *t = json_object_get(doc, "tx");
    clo_buf to = tv_hex(t, "to"), want_sd = tv_hex(doc, "signingData"),
            want_h = tv_hex(doc, "signingHash"), want_raw = tv_hex(doc, "signedTx"),
            want_from = tv_hex(doc, "senderAddress"), pk = tv_hex(doc, "privateKey");
    clo_tx tx = {.type = CLO_TX_LEGACY, .has_to = 1};
    tx.chain_id = (uint64_t)tv_int(t, "chainId");
    tx.nonce = (uint64_t)tv_int(t, "nonce");
    tx.gas_limit = (uint64_t)tv_int(t, "gasLimit");
    clo_buf gp = decimal_be(tv_str(t, "gasPrice")), val = decimal_be(tv_str(t, "value"));
    memcpy(tx.gas_price + 32 - gp.len, gp.ptr, gp.len);
    memcpy(tx.value + 32 - val.len, val.ptr, val.len);
    memcpy(tx.to, to.ptr, 20);
    uint8_t h[32], from[20];
    assert_int_equal(clo_tx_signing_hash(&tx, h).code, 0);
    tv_assert_bytes("signingHash", CLO_BYTES(h, 32), clo_buf_view(&want_h));
    uint8_t sd_hash[32];
    clo_keccak256(clo_buf_view(&want_sd), sd_hash);
    tv_assert_bytes("signingData", CLO_BYTES(sd_hash, 32), CLO_BYTES(h, 32));
    clo_secret32 sk;
    memcpy(sk.b, pk.ptr, 32);
    assert_int_equal(clo_tx_sign(&tx, &sk).code, 0);
    clo_buf raw;
    clo_buf_init(&raw, 4096);
    assert_int_equal(clo_tx_encode(&tx, &raw).code, 0);
    tv_assert_bytes("signedTx", clo_buf_view(&raw), clo_buf_view(&want_raw));
    assert_int_equal(clo_tx_sender(&tx, from).code, 0);
    tv_assert_bytes("sender", CLO_BYTES(from, 20), clo_buf_view(&want_from));
    clo_wipe(&sk, sizeof sk);
    clo_buf_free(&raw);
    clo_buf_free(&gp);
    clo_buf_free(&val);
    clo_buf_free(&to);
    clo_buf_free(&want_sd);
    clo_buf_free(&want_h);
    clo_buf_free(&want_raw);
    clo_buf_free(&want_from);
    clo_buf_free(&pk);
    json_decref(doc);
}

/* An EIP-1559 transaction we build: signs, decodes back, passes the checks,
 * and every single-byte change of it is refused or changes the sender. */
static void test_1559_roundtrip(void **state)
{
    (void)state;
    static const uint8_t data[] = {0xde, 0xad, 0xbe, 0xef};
    clo_tx tx = {.type = CLO_TX_1559,
                 .chain_id = 31337,
                 .nonce = 7,
                 .gas_limit = 100000,
                 .has_to = 1,
                 .data = CLO_BYTES(data, 4)};
    tx.max_fee[31] = 100;
    tx.max_priority_fee[31] = 2;
    memset(tx.to, 0x42, 20);
    clo_secret32 sk;
    memset(sk.b, 0x11, 32);
    uint8_t pub[65], me[20], who[20];
    assert_int_equal(clo_secp256k1_pubkey(&sk, pub).code, 0);
    assert_int_equal(clo_eth_address(pub, me).code, 0);
    assert_int_equal(clo_tx_sign(&tx, &sk).code, 0);
    clo_buf raw;
    clo_buf_init(&raw, 4096);
    assert_int_equal(clo_tx_encode(&tx, &raw).code, 0);
    assert_int_equal(raw.ptr[0], 2);
    clo_tx back;
    assert_int_equal(clo_tx_decode(clo_buf_view(&raw), &back).code, 0);
    assert_int_equal(clo_tx_check(&back, 31337).code, 0);
    assert_int_equal(clo_tx_check(&back, 1).code, CLO_E_POLICY); /* other chain */
    assert_int_equal(clo_tx_sender(&back, who).code, 0);
    assert_memory_equal(who, me, 20);
    size_t refused = 0;
    for (size_t i = 0; i < raw.len; i++) {
        raw.ptr[i] ^= 0x01;
        clo_tx m;
        clo_err err = clo_tx_decode(clo_buf_view(&raw), &m);
        if (!err.code) err = clo_tx_check(&m, 31337);
        if (!err.code) err = clo_tx_sender(&m, who);
        if (err.code)
            refused++;
        else
            assert_memory_not_equal(who, me, 20);
        raw.ptr[i] ^= 0x01;
    }
    printf("EIP-1559: %zu of %zu single-bit changes refused, the rest change the sender\n", refused,
           raw.len);
    uint8_t created[20];
    assert_int_equal(clo_tx_create_address(me, 0, created).code, 0);
    clo_wipe(&sk, sizeof sk);
    clo_buf_free(&raw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rlp_valid),      cmocka_unit_test(test_rlp_invalid),
        cmocka_unit_test(test_rlp_integers),   cmocka_unit_test(test_transaction_fixtures),
        cmocka_unit_test(test_eip155_example), cmocka_unit_test(test_1559_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
