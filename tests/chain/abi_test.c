/* abi_test.c — the contract ABI against the examples of the Solidity ABI
 * specification (docs.soliditylang.org, "Contract ABI Specification",
 * Examples and "Use of Dynamic Types"), strict decoding, revert reasons, and
 * the JSON-RPC reply parser. Random values are cross-checked with ethers 6 in
 * tests/chain/ethers_cross.mjs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/hex.h"
#include "chain/abi.h"
#include "chain/rpc.h"
#include "tv.h"

static void expect_call(const char *sig, const clo_abi_val *args, const char *type,
                        const char *want_hex)
{
    clo_buf got, want = tv_hex_str(want_hex);
    clo_buf_init(&got, 1u << 16);
    assert_int_equal(clo_abi_encode_call(sig, args, &got).code, 0);
    tv_assert_bytes(sig, clo_buf_view(&got), clo_buf_view(&want));
    /* decode the arguments back and encode them again: the same bytes */
    clo_abi_val back;
    clo_buf again;
    clo_buf_init(&again, 1u << 16);
    assert_int_equal(clo_abi_decode_as(type, CLO_BYTES(got.ptr + 4, got.len - 4), &back).code, 0);
    assert_int_equal(clo_abi_encode_call(sig, &back, &again).code, 0);
    tv_assert_bytes(sig, clo_buf_view(&again), clo_buf_view(&want));
    clo_abi_val_free(&back);
    clo_buf_free(&again);
    clo_buf_free(&got);
    clo_buf_free(&want);
}

#define W0      "0000000000000000000000000000000000000000000000000000000000000"
#define WORD(x) W0 x /* a 32-byte word ending in the 3 hex digits x */

static void test_spec_examples(void **state)
{
    (void)state;
    clo_abi_val nums[3] = {clo_abi_uint(1), clo_abi_uint(2), clo_abi_uint(3)};
    clo_abi_val sam[3] = {clo_abi_bytes(clo_bytes_str("dave")), clo_abi_bool(1),
                          clo_abi_array(nums, 3)};
    clo_abi_val sam_args = clo_abi_tuple(sam, 3);
    expect_call(
        "sam(bytes,bool,uint256[])", &sam_args, "(bytes,bool,uint256[])",
        "a5643bf2" WORD("060") WORD("001") WORD("0a0") WORD(
            "004") "6461766500000000000000000000000000000000000000000000000000000000" WORD("003")
            WORD("001") WORD("002") WORD("003"));

    clo_abi_val u32s[2] = {clo_abi_uint(0x456), clo_abi_uint(0x789)};
    uint8_t b10[32] = {0};
    memcpy(b10, "1234567890", 10);
    clo_abi_val fixed = clo_abi_word(b10);
    clo_abi_val f[4] = {clo_abi_uint(0x123), clo_abi_array(u32s, 2), fixed,
                        clo_abi_bytes(clo_bytes_str("Hello, world!"))};
    clo_abi_val f_args = clo_abi_tuple(f, 4);
    expect_call(
        "f(uint256,uint32[],bytes10,bytes)", &f_args, "(uint256,uint32[],bytes10,bytes)",
        "8be65246" WORD("123") WORD(
            "080") "3132333435363738393000000000000000000000000000000000000000000000" WORD("0e0")
            WORD("002") WORD("456") WORD("789")
                WORD("00d") "48656c6c6f2c20776f726c642100000000000000000000000000000000000000");

    clo_abi_val a12[2] = {clo_abi_uint(1), clo_abi_uint(2)}, a3[1] = {clo_abi_uint(3)};
    clo_abi_val outer[2] = {clo_abi_array(a12, 2), clo_abi_array(a3, 1)};
    clo_abi_val strs[3] = {clo_abi_string("one"), clo_abi_string("two"), clo_abi_string("three")};
    clo_abi_val g[2] = {clo_abi_array(outer, 2), clo_abi_array(strs, 3)};
    clo_abi_val g_args = clo_abi_tuple(g, 2);
    expect_call("g(uint256[][],string[])", &g_args, "(uint256[][],string[])",
                "2289b18c" WORD("040") WORD("140") WORD("002") WORD("040") WORD("0a0") WORD("002")
                    WORD("001") WORD("002") WORD("001") WORD("003") WORD("003") WORD("060")
                        WORD("0a0") WORD("0e0") WORD(
                            "003") "6f6e6500000000000000000000000000000000000000000000000000000000"
                                   "00" WORD("003") "74776f000000000000000000000000000000000000000"
                                                    "0000000000000000000" WORD(
                                                        "005") "7468726565000000000000000000000000"
                                                               "000000000000000000000000000000");
}

static void expect_decode(const char *type, const char *hex, clo_code code)
{
    clo_buf in = tv_hex_str(hex);
    clo_abi_val v;
    clo_err err = clo_abi_decode_as(type, clo_buf_view(&in), &v);
    if (err.code != code)
        fail_msg("%s over %s: got %s (%s), want %s", type, hex, clo_code_name(err.code),
                 err.what ? err.what : "-", clo_code_name(code));
    if (!err.code) clo_abi_val_free(&v);
    clo_buf_free(&in);
}

static void test_strict_decoding(void **state)
{
    (void)state;
    expect_decode("(bool)", WORD("002"), CLO_E_FORMAT);
    expect_decode("(uint8)", WORD("100"), CLO_E_FORMAT);
    expect_decode("(address)", "01" W0 "000", CLO_E_FORMAT);
    expect_decode("(bytes1)",
                  "0101"
                  "00000000000000000000000000000000000000000000000000000000000000",
                  CLO_E_FORMAT);
    expect_decode("(int8)", "00000000000000000000000000000000000000000000000000000000000000ff",
                  CLO_E_FORMAT);                    /* 255 is not an int8 without sign extension */
    expect_decode("(uint256)", "00", CLO_E_FORMAT); /* truncated */
    expect_decode("(bytes)", WORD("020") WORD("001"), CLO_E_FORMAT); /* offset past end */
    expect_decode("(bytes)", WORD("020") WORD("021") WORD("000"), CLO_E_FORMAT); /* length */
    expect_decode("(bytes)",
                  WORD("020")
                      WORD("001") "01"
                                  "00000000000000000000000000000000000000000000000000000000000001",
                  CLO_E_FORMAT); /* dirty padding */
    expect_decode("(uint256[])",
                  WORD("020") "00000000000000000000000000000000000000000000000000000000ffffffff",
                  CLO_E_FORMAT); /* a length no input can hold */
    /* Trailing bytes are allowed, as Solidity's abi.decode allows them: where a
     * dynamic value's tail ends is not defined by the encoding. */
    expect_decode("(uint256)", WORD("001") WORD("002"), CLO_OK_CODE);
    clo_abi_type *t;
    static const char *bad_types[] = {"uint7",   "uint264",  "bytes33", "bytes0", "(uint256",
                                      "uint[0]", "uint256]", "foo",     "(,)",    "uint08"};
    for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++)
        assert_int_not_equal(clo_abi_type_parse(bad_types[i], &t).code, 0);
    /* offsets that all alias one large array cannot multiply the work */
    clo_buf bomb;
    clo_buf_init(&bomb, 1u << 20);
    char word[65];
    for (int i = 0; i < 64; i++) {
        snprintf(word, sizeof word, "%064x", 32 * 64);
        clo_buf w = tv_hex_str(word);
        assert_int_equal(clo_buf_append_bytes(&bomb, clo_buf_view(&w)).code, 0);
        clo_buf_free(&w);
    }
    clo_abi_val v;
    assert_int_not_equal(clo_abi_decode_as("(uint256[][64])", clo_buf_view(&bomb), &v).code, 0);
    clo_buf_free(&bomb);
}

static void test_revert_text(void **state)
{
    (void)state;
    char out[128];
    clo_buf e = tv_hex_str("08c379a0" WORD("020") WORD(
        "004") "6e6f706500000000000000000000000000000000000000000000000000000000");
    clo_abi_revert_text(clo_buf_view(&e), NULL, out, sizeof out);
    assert_string_equal(out, "reverted: nope");
    clo_buf_free(&e);
    e = tv_hex_str("4e487b71" WORD("011"));
    clo_abi_revert_text(clo_buf_view(&e), NULL, out, sizeof out);
    assert_string_equal(out, "panic 0x11: arithmetic overflow or underflow");
    clo_buf_free(&e);
    static const char *const custom[] = {"NotOpen(bytes32)", "AlreadySettled(bytes32)", NULL};
    uint8_t sel[4];
    clo_abi_selector("AlreadySettled(bytes32)", sel);
    clo_abi_revert_text(CLO_BYTES(sel, 4), custom, out, sizeof out);
    assert_string_equal(out, "reverted: AlreadySettled(bytes32)");
    clo_abi_revert_text(CLO_BYTES_EMPTY, custom, out, sizeof out);
    assert_string_equal(out, "reverted without a reason");
    clo_abi_revert_text(CLO_BYTES(sel, 4), NULL, out, 8); /* truncates, terminates */
    assert_int_equal(strlen(out), 7);
}

static void test_rpc_reply(void **state)
{
    (void)state;
    json_t *res;
    clo_rpc_error e;
    struct {
        const char *body;
        uint64_t id;
        clo_code code;
    } cases[] = {
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x1\"}", 7, CLO_OK_CODE},
        {"{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":\"0x1\"}", 7, CLO_E_FORMAT}, /* id */
        {"{\"jsonrpc\":\"1.0\",\"id\":7,\"result\":\"0x1\"}", 7, CLO_E_FORMAT}, /* version */
        {"{\"jsonrpc\":\"2.0\",\"id\":7}", 7, CLO_E_FORMAT},                    /* neither */
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1,\"error\":{}}", 7, CLO_E_FORMAT},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1,\"result\":2}", 7, CLO_E_FORMAT},
        {"[{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1}]", 7, CLO_E_FORMAT},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"res", 7, CLO_E_FORMAT},
        {"{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":3,\"message\":\"execution "
         "reverted\",\"data\":\"0x4e487b71\"}}",
         7, CLO_E_POLICY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clo_err err = clo_rpc_parse_reply(clo_bytes_str(cases[i].body), cases[i].id, &res, &e);
        if (err.code != cases[i].code) fail_msg("reply %zu: %s", i, clo_code_name(err.code));
        json_decref(res);
    }
    assert_int_equal(e.code, 3);
    assert_string_equal(e.message, "execution reverted");
    assert_int_equal(e.data_len, 4);

    uint64_t q;
    uint8_t w[32];
    json_t *good = json_string("0x1a"), *zero = json_string("0x0"), *lead = json_string("0x01"),
           *empty = json_string("0x"), *big = json_string("0x10000000000000000");
    assert_int_equal(clo_rpc_quantity(good, &q).code, 0);
    assert_int_equal(q, 26);
    assert_int_equal(clo_rpc_quantity(zero, &q).code, 0);
    assert_int_equal(q, 0);
    assert_int_not_equal(clo_rpc_quantity(lead, &q).code, 0);
    assert_int_not_equal(clo_rpc_quantity(empty, &q).code, 0);
    assert_int_equal(clo_rpc_quantity(big, &q).code, CLO_E_LIMIT);
    assert_int_equal(clo_rpc_quantity256(big, w).code, 0);
    assert_int_equal(w[23], 1);
    json_t *back = clo_rpc_hex_quantity256(w);
    assert_string_equal(json_string_value(back), "0x10000000000000000");
    json_decref(back);
    json_decref(good);
    json_decref(zero);
    json_decref(lead);
    json_decref(empty);
    json_decref(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_examples),
        cmocka_unit_test(test_strict_decoding),
        cmocka_unit_test(test_revert_text),
        cmocka_unit_test(test_rpc_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
