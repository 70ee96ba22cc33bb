/* fetch_test.c — what an enclave reads from a fetched source (issue 20): the
 * HTTP/1.1 response parser (Content-Length and chunked framing, every prefix
 * of a response incomplete and never an error, the refusals: both framings,
 * neither, disagreeing lengths, bad chunks, over the limits, trailing bytes,
 * obs-fold, bare LF) with the Date header; and the JSON path to a fixed-point
 * number (numbers and quoted numbers, exponents, truncation toward zero, the
 * refusals). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "base/timefmt.h"
#include "workloads/httpresp.h"
#include "workloads/jsonpath.h"

#define OK(x) assert_int_equal((x).code, CLO_OK_CODE)

static clo_err parse(const char *text, size_t max_body, clo_http_response *r, clo_buf *body)
{
    clo_buf_clear(body);
    return clo_http_response_parse(clo_bytes_str(text), max_body, r, body);
}

static void every_prefix_incomplete(const char *text)
{
    clo_http_response r;
    clo_buf b;
    clo_buf_init(&b, CLO_HTTP_MAX_BODY);
    for (size_t n = 0; n < strlen(text); n++) {
        clo_err e = clo_http_response_parse(CLO_BYTES(text, n), 4096, &r, &b);
        if (e.code || r.complete || b.len)
            fail_msg("prefix %zu: %s, complete %d", n, e.what ? e.what : "ok", r.complete);
    }
    clo_buf_free(&b);
}

static void test_content_length(void **state)
{
    (void)state;
    static const char text[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Date: Mon, 07 Dec 2026 16:00:00 GMT\r\nContent-Length: 16\r\n\r\n"
                               "{\"p\":\"101.25\"}\r\n";
    clo_http_response r;
    clo_buf b;
    clo_buf_init(&b, CLO_HTTP_MAX_BODY);
    OK(parse(text, 4096, &r, &b));
    assert_true(r.complete);
    assert_int_equal(r.status, 200);
    assert_int_equal(b.len, 16);
    assert_memory_equal(b.ptr, "{\"p\":\"101.25\"}\r\n", 16);
    int64_t want;
    OK(clo_time_parse("2026-12-07T16:00:00Z", &want));
    assert_int_equal(r.date, want);
    assert_int_equal(r.content_type.len, 16);
    every_prefix_incomplete(text);
    clo_buf_free(&b);
}

static void test_chunked(void **state)
{
    (void)state;
    static const char text[] =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5;ext=1\r\n{\"a\":\r\n3\r\n1.5\r\n1\r\n}\r\n0\r\nX-Trailer: y\r\n\r\n";
    clo_http_response r;
    clo_buf b;
    clo_buf_init(&b, CLO_HTTP_MAX_BODY);
    OK(parse(text, 4096, &r, &b));
    assert_true(r.complete && r.chunked);
    assert_int_equal(r.date, -1);
    assert_int_equal(b.len, 9);
    assert_memory_equal(b.ptr, "{\"a\":1.5}", 9);
    every_prefix_incomplete(text);
    clo_buf_free(&b);
}

static void refused(const char *text, size_t max_body, clo_code code)
{
    clo_http_response r;
    clo_buf b;
    clo_buf_init(&b, CLO_HTTP_MAX_BODY);
    clo_err e = parse(text, max_body, &r, &b);
    if (e.code != code)
        fail_msg("'%.40s...': %s (code %d), expected code %d", text, e.what ? e.what : "accepted",
                 e.code, code);
    assert_int_equal(b.len, 0);
    clo_buf_free(&b);
}

static void test_refusals(void **state)
{
    (void)state;
    /* both framings, each of which alone would parse: the smuggling shape */
    refused("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            4096, CLO_E_FORMAT);
    refused("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nhello", 4096, CLO_E_UNSUPPORTED); /* no framing */
    refused("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 4096,
            CLO_E_FORMAT);
    refused("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello!", 4096,
            CLO_E_FORMAT); /* trailing */
    refused("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", 4096, CLO_E_LIMIT);
    refused("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", 4096, CLO_E_FORMAT);
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 4096, CLO_E_UNSUPPORTED);
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 4096, CLO_E_FORMAT);
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n", 4096,
            CLO_E_FORMAT);
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 4096,
            CLO_E_FORMAT);
    refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n", 1024, CLO_E_LIMIT);
    refused("HTTP/1.1 200 OK\r\nX: a\r\n folded\r\nContent-Length: 0\r\n\r\n", 4096, CLO_E_FORMAT);
    refused("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", 4096, CLO_E_FORMAT); /* bare LF */
    refused("HTTP/2 200 OK\r\n\r\n", 4096, CLO_E_FORMAT);
    refused("HTTP/1.1 100 Continue\r\n\r\n", 4096, CLO_E_UNSUPPORTED);
    refused("HTTP/1.1 200 OK\r\nDate: yesterday\r\nContent-Length: 0\r\n\r\n", 4096, CLO_E_FORMAT);
    refused("HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n", 4096, CLO_E_FORMAT);
    refused("HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n", 4096, CLO_E_FORMAT);
    /* a header section over its limit, even unfinished */
    static char big[CLO_HTTP_MAX_HEAD + 64];
    memset(big, 'a', sizeof big - 1);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    refused(big, 4096, CLO_E_LIMIT);
}

static void test_http_dates(void **state)
{
    (void)state;
    int64_t t;
    OK(clo_time_parse_http("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t));
    assert_int_equal(t, 784111777);
    assert_int_not_equal(clo_time_parse_http("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t).code,
                         CLO_OK_CODE);
    assert_int_not_equal(clo_time_parse_http("Sun, 31 Feb 1994 08:49:37 GMT", 29, &t).code,
                         CLO_OK_CODE);
    assert_int_not_equal(clo_time_parse_http("Sun, 06 Nov 1994 08:49:37 UTC", 29, &t).code,
                         CLO_OK_CODE);
}

static int64_t at(const char *doc, const char *path, unsigned decimals)
{
    int64_t v = 0;
    clo_err e = clo_jsonpath_decimal(clo_bytes_str(doc), path, decimals, &v);
    if (e.code) fail_msg("%s in %s: %s", path, doc, e.what);
    return v;
}

static clo_code why(const char *doc, const char *path)
{
    int64_t v;
    return clo_jsonpath_decimal(clo_bytes_str(doc), path, 8, &v).code;
}

static void test_jsonpath(void **state)
{
    (void)state;
    static const char coinbase[] =
        "{\"data\":{\"base\":\"BTC\",\"currency\":\"USD\",\"amount\":\"43210.55\"}}";
    assert_int_equal(at(coinbase, "$.data.amount", 8), 4321055000000LL);
    assert_int_equal(at(coinbase, "$[\"data\"][\"amount\"]", 2), 4321055);
    static const char kraken[] = "{\"result\":{\"XXBTZUSD\":{\"c\":[\"43199.90000\",\"0.0012\"]}}}";
    assert_int_equal(at(kraken, "$.result.XXBTZUSD.c[0]", 2), 4319990);
    assert_int_equal(at("{\"p\":[[1,1.5],[2,2.25e3]]}", "$.p[1][1]", 0), 2250);
    assert_int_equal(at("{\"v\":-0.0019}", "$.v", 3), -1); /* truncated toward zero */
    assert_int_equal(at("{\"v\":1e-3}", "$.v", 8), 100000);
    assert_int_equal(at("{\"v\":0}", "$.v", 18), 0);
    assert_int_equal(at("{\"v\":9223372036854775807}", "$.v", 0), INT64_MAX);
    assert_int_equal(why("{\"v\":9223372036854775808}", "$.v"), CLO_E_LIMIT);
    assert_int_equal(why("{\"v\":1e30}", "$.v"), CLO_E_LIMIT);
    assert_int_equal(why("{\"v\":\"abc\"}", "$.v"), CLO_E_FORMAT);
    assert_int_equal(why("{\"v\":true}", "$.v"), CLO_E_FORMAT);
    assert_int_equal(why("{\"v\":1,\"v\":2}", "$.v"), CLO_E_FORMAT); /* repeated */
    assert_int_equal(why("{\"v\":1", "$.v"), CLO_E_FORMAT);          /* not JSON */
    assert_int_equal(why("{\"w\":1}", "$.v"), CLO_E_FORMAT);         /* absent */
    assert_int_equal(why("{\"v\":[1]}", "$.v[1]"), CLO_E_FORMAT);    /* no element */
    assert_int_equal(why("{\"v\":1}", "v"), CLO_E_FORMAT);           /* no '$' */
    assert_int_equal(why("{\"v\":1}", "$.v."), CLO_E_FORMAT);
    assert_int_equal(why("{\"v\":1}", "$.v[x]"), CLO_E_FORMAT);
    assert_int_equal(why("{\"v\":1}", "$[\"v]"), CLO_E_FORMAT);
    OK(clo_jsonpath_check("$"));
    assert_int_equal(clo_jsonpath_check("$.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a").code, CLO_E_LIMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_length), cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_refusals),       cmocka_unit_test(test_http_dates),
        cmocka_unit_test(test_jsonpath),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
