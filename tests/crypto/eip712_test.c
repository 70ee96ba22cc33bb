/* eip712_test.c — EIP-712 hashing against the EIP's own Mail example. A small
 * generic typed-data encoder (here, driven by the example's JSON types) builds
 * encodeType and encodeData from the library's word encoders, so the example
 * checks the library rather than re-typed constants. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/hex.h"
#include "crypto/eip712.h"
#include "tv.h"

/* Names of struct types referenced by `type`, depth first, deduplicated. */
static void deps(const json_t *types, const char *type, const char **seen, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(seen[i], type)) return;
    const json_t *fields = json_object_get(types, type);
    if (!fields) return;
    seen[(*n)++] = type;
    size_t i;
    const json_t *f;
    json_array_foreach(fields, i, f) deps(types, tv_str(f, "type"), seen, n);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void append_type(char *out, size_t cap, const json_t *types, const char *name)
{
    size_t i;
    const json_t *f;
    snprintf(out + strlen(out), cap - strlen(out), "%s(", name);
    json_array_foreach(json_object_get(types, name), i, f)
        snprintf(out + strlen(out), cap - strlen(out), "%s%s %s", i ? "," : "", tv_str(f, "type"),
                 tv_str(f, "name"));
    snprintf(out + strlen(out), cap - strlen(out), ")");
}

static void encode_type(const json_t *types, const char *primary, char *out, size_t cap)
{
    const char *seen[16];
    size_t n = 0;
    deps(types, primary, seen, &n);
    qsort(seen + 1, n - 1, sizeof seen[0], cmp_str);
    out[0] = 0;
    for (size_t i = 0; i < n; i++) append_type(out, cap, types, seen[i]);
}

static void hash_struct(const json_t *types, const char *type, const json_t *value, uint8_t out[32],
                        clo_buf *data_out);

static void encode_value(const json_t *types, const char *type, const json_t *v, uint8_t w[32])
{
    if (json_object_get(types, type)) {
        hash_struct(types, type, v, w, NULL);
    } else if (!strcmp(type, "string")) {
        clo_eip712_word_dynamic(clo_bytes_str(json_string_value(v)), w);
    } else if (!strcmp(type, "address")) {
        uint8_t a[20];
        assert_int_equal(clo_hex_decode_fixed(a, 20, json_string_value(v) + 2).code, CLO_OK_CODE);
        clo_eip712_word_address(a, w);
    } else if (!strcmp(type, "uint256")) {
        clo_eip712_word_uint((uint64_t)json_integer_value(v), w);
    } else {
        fail_msg("type %s not handled by this test", type);
    }
}

static void hash_struct(const json_t *types, const char *type, const json_t *value, uint8_t out[32],
                        clo_buf *data_out)
{
    char et[1024];
    uint8_t th[32], words[8][32];
    encode_type(types, type, et, sizeof et);
    clo_eip712_type_hash(et, th);
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(types, type), i, f)
    {
        assert_true(i < 8);
        encode_value(types, tv_str(f, "type"), json_object_get(value, tv_str(f, "name")), words[i]);
    }
    size_t count = json_array_size(json_object_get(types, type));
    clo_eip712_hash_struct(th, (const uint8_t(*)[32])words, count, out);
    if (data_out) {
        assert_int_equal(clo_buf_append(data_out, th, 32).code, CLO_OK_CODE);
        assert_int_equal(clo_buf_append(data_out, words, 32 * count).code, CLO_OK_CODE);
    }
}

static void test_mail_example(void **state)
{
    (void)state;
    json_t *doc = tv_json("ethereum/eip712/mail_example.json");
    const json_t *td = json_object_get(doc, "typedData"), *exp = json_object_get(doc, "expected");
    const json_t *types = json_object_get(td, "types");
    const char *primary = tv_str(td, "primaryType");

    char et[1024];
    encode_type(types, primary, et, sizeof et);
    assert_string_equal(et, tv_str(exp, "encodeType_Mail"));

    uint8_t th[32], hs[32], ds[32], digest[32];
    clo_eip712_type_hash(et, th);
    clo_buf want_th = tv_hex(exp, "typeHash_Mail"), want_data = tv_hex(exp, "encodeData_Mail"),
            want_hs = tv_hex(exp, "hashStruct_Mail"), want_ds = tv_hex(exp, "domainSeparator"),
            want_sh = tv_hex(exp, "signHash"), data;
    clo_buf_init(&data, 4096);
    tv_assert_bytes("typeHash", CLO_BYTES(th, 32), clo_buf_view(&want_th));
    hash_struct(types, primary, json_object_get(td, "message"), hs, &data);
    tv_assert_bytes("encodeData", clo_buf_view(&data), clo_buf_view(&want_data));
    tv_assert_bytes("hashStruct", CLO_BYTES(hs, 32), clo_buf_view(&want_hs));

    /* The library's fixed EIP712Domain separator equals the generic encoding. */
    const json_t *dom = json_object_get(td, "domain");
    clo_eip712_domain d = {
        tv_str(dom, "name"), tv_str(dom, "version"), (uint64_t)tv_int(dom, "chainId"), {0}};
    assert_int_equal(
        clo_hex_decode_fixed(d.verifying_contract, 20, tv_str(dom, "verifyingContract") + 2).code,
        CLO_OK_CODE);
    clo_eip712_domain_separator(&d, ds);
    tv_assert_bytes("domainSeparator", CLO_BYTES(ds, 32), clo_buf_view(&want_ds));
    uint8_t ds_generic[32];
    hash_struct(types, "EIP712Domain", dom, ds_generic, NULL);
    tv_assert_bytes("domainSeparator (generic)", CLO_BYTES(ds_generic, 32), clo_buf_view(&want_ds));

    clo_eip712_digest(ds, hs, digest);
    tv_assert_bytes("signHash", CLO_BYTES(digest, 32), clo_buf_view(&want_sh));
    /* One changed character changes the digest (the test can fail). */
    d.version = "2";
    clo_eip712_domain_separator(&d, ds);
    assert_false(clo_bytes_eq(CLO_BYTES(ds, 32), clo_buf_view(&want_ds)));

    clo_buf bufs[] = {want_th, want_data, want_hs, want_ds, want_sh, data};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) clo_buf_free(&bufs[i]);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_mail_example)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
