/* formats_test.c — strict DER, base64/PEM and RFC 3339 parsing in the base
 * layer: malformed encodings first, then known values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "base/der.h"
#include "base/jsonraw.h"
#include "base/pem.h"
#include "base/timefmt.h"

static clo_err der1(const uint8_t *p, size_t n, clo_der *d)
{
    clo_cur c = clo_cur_init(CLO_BYTES(p, n));
    clo_err e = clo_der_next(&c, d);
    if (!e.code) e = clo_cur_end(&c);
    return e;
}

static void test_der_rejects_non_der(void **state)
{
    (void)state;
    clo_der d;
    uint64_t v;
    static const uint8_t indefinite[] = {0x30, 0x80, 0x00, 0x00};
    static const uint8_t long_short[] = {0x04, 0x81, 0x05, 1, 2, 3, 4, 5}; /* long form for 5 */
    static const uint8_t lead_zero[] = {0x04, 0x82, 0x00, 0x80};
    static const uint8_t high_tag[] = {0x1f, 0x81, 0x00, 0x00};
    static const uint8_t truncated[] = {0x04, 0x05, 1, 2};
    static const uint8_t five_len[] = {0x04, 0x85, 0, 0, 0, 0, 1};
    assert_int_equal(der1(indefinite, sizeof indefinite, &d).code, CLO_E_FORMAT);
    assert_int_equal(der1(long_short, sizeof long_short, &d).code, CLO_E_FORMAT);
    assert_int_equal(der1(lead_zero, sizeof lead_zero, &d).code, CLO_E_FORMAT);
    assert_int_equal(der1(high_tag, sizeof high_tag, &d).code, CLO_E_FORMAT);
    assert_int_equal(der1(truncated, sizeof truncated, &d).code, CLO_E_FORMAT);
    assert_int_equal(der1(five_len, sizeof five_len, &d).code, CLO_E_FORMAT);
    /* integers: negative, non-minimal, too large */
    static const uint8_t neg[] = {0x02, 0x01, 0x80}, nonmin[] = {0x02, 0x02, 0x00, 0x01},
                         big[] = {0x02, 0x09, 0x01, 0, 0, 0, 0, 0, 0, 0, 0},
                         ok[] = {0x02, 0x02, 0x00, 0x80},
                         u64max[] = {0x02, 0x09, 0x00, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(der1(neg, 3, &d).code, CLO_OK_CODE);
    assert_int_equal(clo_der_uint(&d, &v).code, CLO_E_FORMAT);
    assert_int_equal(der1(nonmin, 4, &d).code, CLO_OK_CODE);
    assert_int_equal(clo_der_uint(&d, &v).code, CLO_E_FORMAT);
    assert_int_equal(der1(big, sizeof big, &d).code, CLO_OK_CODE);
    assert_int_equal(clo_der_uint(&d, &v).code, CLO_E_LIMIT);
    assert_int_equal(der1(ok, 4, &d).code, CLO_OK_CODE);
    assert_int_equal(clo_der_uint(&d, &v).code, CLO_OK_CODE);
    assert_int_equal(v, 128);
    assert_int_equal(der1(u64max, sizeof u64max, &d).code, CLO_OK_CODE);
    assert_int_equal(clo_der_uint(&d, &v).code, CLO_OK_CODE);
    assert_true(v == UINT64_MAX);
}

static void test_der_walks_nested(void **state)
{
    (void)state;
    /* SEQUENCE { OID 1.2.840.113741.1.13.1, OCTET STRING (130 bytes, long form) } */
    uint8_t buf[3 + 11 + 3 + 130];
    static const uint8_t oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf8, 0x4d, 0x01, 0x0d, 0x01};
    size_t n = 0;
    buf[n++] = 0x30, buf[n++] = 0x81, buf[n++] = 11 + 3 + 130;
    buf[n++] = 0x06, buf[n++] = sizeof oid;
    memcpy(buf + n, oid, sizeof oid), n += sizeof oid;
    buf[n++] = 0x04, buf[n++] = 0x81, buf[n++] = 130;
    memset(buf + n, 0xab, 130), n += 130;
    clo_cur c = clo_cur_init(CLO_BYTES(buf, n));
    clo_der seq, o, s;
    assert_int_equal(clo_der_expect(&c, CLO_DER_SEQUENCE, &seq).code, CLO_OK_CODE);
    assert_int_equal(clo_cur_end(&c).code, CLO_OK_CODE);
    clo_cur in = clo_cur_init(seq.body);
    assert_int_equal(clo_der_expect(&in, CLO_DER_INTEGER, &o).code,
                     CLO_E_FORMAT); /* wrong tag... */
    assert_int_equal(in.off, 0);    /* ...consumes nothing */
    assert_int_equal(clo_der_expect(&in, CLO_DER_OID, &o).code, CLO_OK_CODE);
    assert_true(clo_der_oid_eq(&o, CLO_BYTES(oid, sizeof oid)));
    assert_false(clo_der_oid_eq(&o, CLO_BYTES(oid, sizeof oid - 1)));
    assert_int_equal(clo_der_expect(&in, CLO_DER_OCTET_STRING, &s).code, CLO_OK_CODE);
    assert_int_equal(s.body.len, 130);
    assert_int_equal(s.all.len, 133);
    assert_int_equal(clo_cur_end(&in).code, CLO_OK_CODE);
}

static void b64(const char *in, int ok, const char *want)
{
    clo_buf b;
    clo_buf_init(&b, 64);
    clo_err e = clo_base64_decode(&b, clo_bytes_str(in));
    assert_int_equal(e.code == CLO_OK_CODE, ok);
    if (ok) {
        assert_int_equal(b.len, strlen(want));
        assert_memory_equal(b.ptr, want, b.len);
    } else {
        assert_int_equal(b.len, 0);
    }
    clo_buf_free(&b);
}

static void test_base64_strict(void **state)
{
    (void)state;
    /* RFC 4648 §10 vectors */
    b64("", 1, "");
    b64("Zg==", 1, "f");
    b64("Zm8=", 1, "fo");
    b64("Zm9v", 1, "foo");
    b64("Zm9vYg==", 1, "foob");
    b64("Zm9vYmE=", 1, "fooba");
    b64("Zm9v\nYmFy", 1, "foobar");
    b64("Zm9", 0, NULL);      /* truncated */
    b64("Zg=", 0, NULL);      /* missing padding */
    b64("Zh==", 0, NULL);     /* non-canonical bits */
    b64("Zg==Zg==", 0, NULL); /* data after padding */
    b64("Z===", 0, NULL);
    b64("Zm9v!", 0, NULL);
    b64("Zm-v", 0, NULL); /* base64url alphabet is not base64 */
}

static void test_pem_blocks(void **state)
{
    (void)state;
    const char *text = "junk before\n-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\n"
                       "-----BEGIN X509 CRL-----\nYmFy\n-----END X509 CRL-----\ntrailer";
    clo_cur c = clo_cur_init(clo_bytes_str(text));
    char label[CLO_PEM_LABEL_MAX];
    clo_buf der;
    int found;
    clo_buf_init(&der, 64);
    assert_false(clo_pem_is(clo_bytes_str(text)));
    assert_true(clo_pem_is(clo_bytes_str("\n -----BEGIN X-----")));
    assert_int_equal(clo_pem_next(&c, label, &der, &found).code, CLO_OK_CODE);
    assert_true(found);
    assert_string_equal(label, "CERTIFICATE");
    assert_memory_equal(der.ptr, "foo", 3);
    clo_buf_clear(&der);
    assert_int_equal(clo_pem_next(&c, label, &der, &found).code, CLO_OK_CODE);
    assert_string_equal(label, "X509 CRL");
    assert_memory_equal(der.ptr, "bar", 3);
    assert_int_equal(clo_pem_next(&c, label, &der, &found).code, CLO_OK_CODE);
    assert_false(found);
    /* mismatched END label, missing END, bad body */
    const char *bad[] = {"-----BEGIN A-----\nZm9v\n-----END B-----\n", "-----BEGIN A-----\nZm9v\n",
                         "-----BEGIN A-----\nZm9\n-----END A-----\n", "-----BEGIN A\n"};
    for (size_t i = 0; i < 4; i++) {
        c = clo_cur_init(clo_bytes_str(bad[i]));
        assert_int_equal(clo_pem_next(&c, label, &der, &found).code, CLO_E_FORMAT);
    }
    clo_buf_free(&der);
}

static void test_json_member_raw(void **state)
{
    (void)state;
    clo_bytes v;
    const char *doc =
        " {\"a\":[1,{\"b\":\"x\\\"y\"}],\"sig\" : \"00ff\", \"n\":-1.5e+3 ,\"t\":true} ";
    assert_int_equal(clo_json_member_raw(clo_bytes_str(doc), "a", &v).code, CLO_OK_CODE);
    assert_int_equal(v.len, strlen("[1,{\"b\":\"x\\\"y\"}]"));
    assert_memory_equal(v.ptr, "[1,{\"b\":\"x\\\"y\"}]", v.len);
    assert_int_equal(clo_json_member_raw(clo_bytes_str(doc), "sig", &v).code, CLO_OK_CODE);
    assert_memory_equal(v.ptr, "\"00ff\"", v.len);
    assert_int_equal(clo_json_member_raw(clo_bytes_str(doc), "b", &v).code,
                     CLO_E_FORMAT); /* nested only */
    const char *bad[] = {"",
                         "[]",
                         "{\"a\":1",
                         "{\"a\":1}x",
                         "{\"a\":01}",
                         "{\"a\":1,}",
                         "{\"a\" 1}",
                         "{\"a\":\"\\q\"}",
                         "{\"a\":\"\x01\"}",
                         "{\"a\":tru}",
                         "{\"a\":1,\"a\":2}",
                         "{\"a\":\"\\u12\"}",
                         "{\"a\":-}",
                         "{\"a\":1.}",
                         "{\"a\":[1 2]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (clo_json_member_raw(clo_bytes_str(bad[i]), "a", &v).code != CLO_E_FORMAT)
            fail_msg("accepted bad JSON #%zu: %s", i, bad[i]);
    /* nesting is bounded */
    char deep[300];
    memset(deep, '[', sizeof deep);
    memcpy(deep, "{\"a\":", 5);
    deep[sizeof deep - 1] = 0;
    assert_int_not_equal(clo_json_member_raw(clo_bytes_str(deep), "a", &v).code, CLO_OK_CODE);
}

static void test_rfc3339(void **state)
{
    (void)state;
    int64_t t;
    char s[CLO_TIME_STRING_SIZE];
    assert_int_equal(clo_time_parse("1970-01-01T00:00:00Z", &t).code, CLO_OK_CODE);
    assert_int_equal(t, 0);
    assert_int_equal(clo_time_parse("2025-06-19T10:56:11Z", &t).code, CLO_OK_CODE);
    assert_int_equal(t, 1750330571);
    clo_time_format(t, s);
    assert_string_equal(s, "2025-06-19T10:56:11Z");
    assert_int_equal(clo_time_parse("2024-02-29T23:59:59.123456Z", &t).code, CLO_OK_CODE);
    clo_time_format(t, s);
    assert_string_equal(s, "2024-02-29T23:59:59Z");
    assert_int_equal(clo_time_parse("2049-12-31T23:59:59Z", &t).code, CLO_OK_CODE);
    assert_int_equal(t, 2524607999);
    const char *bad[] = {
        "2023-02-29T00:00:00Z",      "2025-13-01T00:00:00Z", "2025-06-19T24:00:00Z",
        "2025-06-19T10:56:11+02:00", "2025-06-19 10:56:11Z", "2025-06-19T10:56:11",
        "2025-06-19T10:56:11.Z",     "2025-6-19T10:56:11Z",  "",
        "2025-06-19T10:56:11Zx"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(clo_time_parse(bad[i], &t).code, CLO_E_FORMAT);
    /* round trip across eras */
    for (int64_t x = -86400LL * 365 * 100; x < 86400LL * 365 * 300; x += 86400LL * 97 + 3601) {
        clo_time_format(x, s);
        assert_int_equal(clo_time_parse(s, &t).code, CLO_OK_CODE);
        assert_int_equal(t, x);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_der_rejects_non_der),
        cmocka_unit_test(test_der_walks_nested),
        cmocka_unit_test(test_base64_strict),
        cmocka_unit_test(test_pem_blocks),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_json_member_raw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
