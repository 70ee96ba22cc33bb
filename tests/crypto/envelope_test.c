/* envelope_test.c — request/reply envelopes: negative cases (bad header fields,
 * every truncation, every bit flip, wrong binding, wrong key), then round trips
 * and determinism for every suite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/ct.h"
#include "crypto/envelope.h"

static const clo_hpke_suite k_suites[] = {
    {CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256, CLO_HPKE_AEAD_AES128GCM},
    {CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256, CLO_HPKE_AEAD_AES256GCM},
    {CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256, CLO_HPKE_AEAD_CHACHA20POLY1305},
};

static clo_envelope_binding binding(void)
{
    clo_envelope_binding b = {.chain_id = 31337, .epoch = 7};
    memset(b.contract, 0xcc, sizeof b.contract);
    memset(b.job_id, 0x11, sizeof b.job_id);
    memset(b.workload_id, 0x22, sizeof b.workload_id);
    return b;
}

typedef struct {
    clo_x25519_key *enclave;
    clo_envelope_binding b;
    clo_buf env;
    clo_envelope_reply_key rk;
} fixture;

static const char k_payload[] = "patient: age 54, bp 141/92, ldl 190";

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    if (clo_x25519_key_new(&f.enclave, NULL).code) return -1;
    f.b = binding();
    clo_buf_init(&f.env, CLO_ENVELOPE_MAX_SIZE);
    if (clo_envelope_request_seal(&f.env, &f.rk, &f.b, k_suites[0],
                                  clo_x25519_key_public(f.enclave), clo_bytes_str(k_payload))
            .code)
        return -1;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    clo_x25519_key_free(f->enclave);
    clo_buf_free(&f->env);
    clo_envelope_reply_key_wipe(&f->rk);
    return 0;
}

static clo_err try_open(fixture *f, clo_bytes env, const clo_envelope_binding *b, clo_buf *out)
{
    clo_envelope_reply_key rk;
    return clo_envelope_request_open(out, &rk, b, f->enclave, env);
}

static void test_header_errors(void **state)
{
    fixture *f = *state;
    clo_buf out, copy;
    clo_buf_init(&out, 1 << 20);
    clo_buf_init(&copy, CLO_ENVELOPE_MAX_SIZE);
    assert_int_equal(clo_buf_append_bytes(&copy, clo_buf_view(&f->env)).code, CLO_OK_CODE);
    uint8_t *p = copy.ptr;
    clo_bytes v = clo_buf_view(&copy);

    p[0] = 2;
    assert_int_equal(try_open(f, v, &f->b, &out).code, CLO_E_VERSION);
    p[0] = 1;
    p[1] = 9;
    assert_int_equal(try_open(f, v, &f->b, &out).code, CLO_E_FORMAT);
    p[1] = CLO_ENVELOPE_KIND_REPLY;
    /* read as a reply, the KEM id 0x0020 lands in the AEAD field */
    assert_int_equal(try_open(f, v, &f->b, &out).code, CLO_E_UNSUPPORTED);
    p[1] = CLO_ENVELOPE_KIND_REPLY_TO;
    clo_err e = try_open(f, v, &f->b, &out);
    assert_int_equal(e.code, CLO_E_FORMAT);
    assert_string_equal(e.what, "envelope kind");
    p[1] = 1;
    p[3] = 0x10; /* kem 0x0010 (P-256) */
    assert_int_equal(try_open(f, v, &f->b, &out).code, CLO_E_UNSUPPORTED);
    p[3] = 0x20;
    p[6] = 0xff;
    p[7] = 0xff; /* export-only AEAD cannot carry a payload */
    assert_int_equal(try_open(f, v, &f->b, &out).code, CLO_E_UNSUPPORTED);
    p[6] = 0;
    p[7] = 1;
    clo_store_u32be(p + 44, 0xffffffff);
    assert_int_equal(try_open(f, v, &f->b, &out).code, CLO_E_LIMIT);
    clo_store_u32be(p + 44, 15);
    assert_int_equal(try_open(f, v, &f->b, &out).code, CLO_E_FORMAT);
    clo_store_u32be(p + 44, (uint32_t)(f->env.len - 48));
    assert_int_equal(try_open(f, v, &f->b, &out).code, CLO_OK_CODE);
    clo_buf_clear(&out);

    /* every truncation is a format error naming the envelope, never success */
    for (size_t n = 0; n < f->env.len; n++) {
        e = try_open(f, CLO_BYTES(f->env.ptr, n), &f->b, &out);
        assert_int_equal(e.code, CLO_E_FORMAT);
        assert_int_equal(out.len, 0);
    }
    assert_int_equal(clo_buf_u8(&copy, 0).code, CLO_OK_CODE);
    e = try_open(f, clo_buf_view(&copy), &f->b, &out);
    assert_int_equal(e.code, CLO_E_FORMAT);
    assert_string_equal(e.what, "envelope has trailing bytes");
    assert_int_equal(try_open(f, CLO_BYTES(copy.ptr, CLO_ENVELOPE_MAX_SIZE + 1), &f->b, &out).code,
                     CLO_E_LIMIT);
    clo_buf_free(&out);
    clo_buf_free(&copy);
}

static void test_every_bit_flip_fails(void **state)
{
    fixture *f = *state;
    clo_buf out;
    uint8_t *p;
    /* Zero the whole capacity up front: whatever a failed open writes must be wiped back. */
    clo_buf_init(&out, 1 << 20);
    assert_int_equal(clo_buf_extend(&out, f->env.len, &p).code, CLO_OK_CODE);
    memset(out.ptr, 0, out.cap);
    out.len = 0;
    for (size_t i = 0; i < f->env.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            f->env.ptr[i] ^= (uint8_t)(1 << bit);
            clo_err e = try_open(f, clo_buf_view(&f->env), &f->b, &out);
            f->env.ptr[i] ^= (uint8_t)(1 << bit);
            assert_int_not_equal(e.code, CLO_OK_CODE);
            assert_int_equal(out.len, 0);
            /* past the fixed header fields every failure is the same auth error */
            if (i >= 12 && i < 44) assert_int_equal(e.code, CLO_E_AUTH);
            if (i >= 48) assert_int_equal(e.code, CLO_E_AUTH);
        }
    }
    /* a failed open leaves nothing readable behind in the buffer's memory */
    assert_true(clo_ct_is_zero(out.ptr, out.cap));
    clo_buf_free(&out);
}

static void test_wrong_binding_or_key(void **state)
{
    fixture *f = *state;
    clo_buf out;
    clo_buf_init(&out, 1 << 20);
    clo_bytes env = clo_buf_view(&f->env);
    clo_envelope_binding b;

    b = f->b, b.chain_id++;
    assert_int_equal(try_open(f, env, &b, &out).code, CLO_E_AUTH);
    b = f->b, b.contract[19] ^= 1;
    assert_int_equal(try_open(f, env, &b, &out).code, CLO_E_AUTH);
    b = f->b, b.job_id[0] ^= 1;
    assert_int_equal(try_open(f, env, &b, &out).code, CLO_E_AUTH);
    b = f->b, b.workload_id[31] ^= 1;
    assert_int_equal(try_open(f, env, &b, &out).code, CLO_E_AUTH);
    b = f->b, b.epoch++;
    assert_int_equal(try_open(f, env, &b, &out).code, CLO_E_AUTH);
    assert_int_equal(out.len, 0);

    clo_x25519_key *other;
    clo_envelope_reply_key rk;
    assert_int_equal(clo_x25519_key_new(&other, NULL).code, CLO_OK_CODE);
    assert_int_equal(clo_envelope_request_open(&out, &rk, &f->b, other, env).code, CLO_E_AUTH);
    clo_x25519_key_free(other);

    /* a request cannot be opened as a reply, nor a reply as a request */
    assert_int_equal(clo_envelope_reply_open(&out, &f->rk, env).code, CLO_E_FORMAT);
    assert_int_equal(out.len, 0);
    clo_buf_free(&out);
}

static void test_seal_limits(void **state)
{
    fixture *f = *state;
    clo_buf out;
    clo_buf_init(&out, CLO_ENVELOPE_MAX_SIZE);
    clo_hpke_suite bad = {CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256,
                          CLO_HPKE_AEAD_EXPORT_ONLY};
    assert_int_equal(clo_envelope_request_seal(&out, NULL, &f->b, bad,
                                               clo_x25519_key_public(f->enclave), CLO_BYTES("x", 1))
                         .code,
                     CLO_E_UNSUPPORTED);
    assert_int_equal(clo_envelope_request_seal(&out, NULL, &f->b, k_suites[0],
                                               clo_x25519_key_public(f->enclave),
                                               CLO_BYTES(f->env.ptr, CLO_ENVELOPE_MAX_PAYLOAD + 1))
                         .code,
                     CLO_E_LIMIT);
    uint8_t low_order[32] = {0};
    assert_int_equal(
        clo_envelope_request_seal(&out, NULL, &f->b, k_suites[0], low_order, CLO_BYTES("x", 1))
            .code,
        CLO_E_KEY);
    assert_int_equal(out.len, 0);
    clo_buf_free(&out);
}

static void test_round_trip_every_suite(void **state)
{
    fixture *f = *state;
    for (size_t s = 0; s < sizeof k_suites / sizeof k_suites[0]; s++) {
        for (size_t len = 0; len <= 1025; len += 341) {
            uint8_t payload[1100];
            for (size_t i = 0; i < len; i++) payload[i] = (uint8_t)(i * 31 + s);
            clo_buf env, pt, reply, reply2, back;
            clo_buf_init(&env, CLO_ENVELOPE_MAX_SIZE);
            clo_buf_init(&pt, 1 << 20);
            clo_buf_init(&reply, CLO_ENVELOPE_MAX_SIZE);
            clo_buf_init(&reply2, CLO_ENVELOPE_MAX_SIZE);
            clo_buf_init(&back, 1 << 20);
            clo_envelope_reply_key rk_client, rk_enclave;
            assert_int_equal(clo_envelope_request_seal(&env, &rk_client, &f->b, k_suites[s],
                                                       clo_x25519_key_public(f->enclave),
                                                       CLO_BYTES(payload, len))
                                 .code,
                             CLO_OK_CODE);
            assert_int_equal(env.len, CLO_ENVELOPE_REQUEST_HEADER_SIZE + len + 16);
            clo_envelope_header h;
            assert_int_equal(clo_envelope_parse_header(clo_buf_view(&env), &h).code, CLO_OK_CODE);
            assert_int_equal(h.epoch, f->b.epoch);
            assert_int_equal(h.suite.aead, k_suites[s].aead);
            assert_int_equal(
                clo_envelope_request_open(&pt, &rk_enclave, &f->b, f->enclave, clo_buf_view(&env))
                    .code,
                CLO_OK_CODE);
            assert_int_equal(pt.len, len);
            if (len) assert_memory_equal(pt.ptr, payload, len);
            assert_true(clo_ct_eq(&rk_client, &rk_enclave, sizeof rk_client));

            /* reply: deterministic for the same output, opens only with this request's key */
            clo_bytes out1 = clo_bytes_str("diagnosis: elevated risk");
            assert_int_equal(clo_envelope_reply_seal(&reply, &rk_enclave, out1).code, CLO_OK_CODE);
            assert_int_equal(clo_envelope_reply_seal(&reply2, &rk_enclave, out1).code, CLO_OK_CODE);
            assert_true(clo_bytes_eq(clo_buf_view(&reply), clo_buf_view(&reply2)));
            assert_int_equal(clo_envelope_reply_open(&back, &rk_client, clo_buf_view(&reply)).code,
                             CLO_OK_CODE);
            assert_true(clo_bytes_eq(clo_buf_view(&back), out1));
            /* a different output gets a different nonce (no nonce reuse under one key) */
            clo_buf_clear(&reply2);
            assert_int_equal(clo_envelope_reply_seal(&reply2, &rk_enclave,
                                                     clo_bytes_str("diagnosis: elevated risj"))
                                 .code,
                             CLO_OK_CODE);
            assert_false(clo_bytes_eq(CLO_BYTES(reply.ptr + 4, 12), CLO_BYTES(reply2.ptr + 4, 12)));
            /* tampering and another job's key fail as one auth error */
            clo_buf_clear(&back);
            reply.ptr[reply.len - 1] ^= 1;
            assert_int_equal(clo_envelope_reply_open(&back, &rk_client, clo_buf_view(&reply)).code,
                             CLO_E_AUTH);
            reply.ptr[reply.len - 1] ^= 1;
            reply.ptr[5] ^= 1; /* the nonce */
            assert_int_equal(clo_envelope_reply_open(&back, &rk_client, clo_buf_view(&reply)).code,
                             CLO_E_AUTH);
            reply.ptr[5] ^= 1;
            clo_envelope_reply_key other = rk_client;
            other.job_id[0] ^= 1;
            assert_int_equal(clo_envelope_reply_open(&back, &other, clo_buf_view(&reply)).code,
                             CLO_E_AUTH);
            other = rk_client;
            other.aead = (uint16_t)(other.aead % 3 + 1);
            assert_int_equal(clo_envelope_reply_open(&back, &other, clo_buf_view(&reply)).code,
                             CLO_E_AUTH);
            assert_int_equal(back.len, 0);

            clo_envelope_reply_key_wipe(&rk_client);
            clo_envelope_reply_key_wipe(&rk_enclave);
            clo_buf_free(&env);
            clo_buf_free(&pt);
            clo_buf_free(&reply);
            clo_buf_free(&reply2);
            clo_buf_free(&back);
        }
    }
}

static void test_reply_to_recipient(void **state)
{
    fixture *f = *state;
    clo_x25519_key *alice, *mallory;
    clo_buf r1, r2, back;
    assert_int_equal(clo_x25519_key_new(&alice, NULL).code, CLO_OK_CODE);
    assert_int_equal(clo_x25519_key_new(&mallory, NULL).code, CLO_OK_CODE);
    clo_buf_init(&r1, CLO_ENVELOPE_MAX_SIZE);
    clo_buf_init(&r2, CLO_ENVELOPE_MAX_SIZE);
    clo_buf_init(&back, 1 << 20);
    clo_bytes secret = clo_bytes_str("winning bid: 1200");
    for (size_t s = 0; s < 3; s++) {
        assert_int_equal(clo_envelope_reply_seal_to(&r1, f->enclave, &f->b, k_suites[s],
                                                    clo_x25519_key_public(alice), secret)
                             .code,
                         CLO_OK_CODE);
        assert_int_equal(clo_envelope_reply_seal_to(&r2, f->enclave, &f->b, k_suites[s],
                                                    clo_x25519_key_public(alice), secret)
                             .code,
                         CLO_OK_CODE);
        assert_true(clo_bytes_eq(clo_buf_view(&r1), clo_buf_view(&r2))); /* deterministic */
        assert_int_equal(clo_envelope_reply_open_as(&back, alice, &f->b, clo_buf_view(&r1)).code,
                         CLO_OK_CODE);
        assert_true(clo_bytes_eq(clo_buf_view(&back), secret));
        clo_buf_clear(&back);
        assert_int_equal(clo_envelope_reply_open_as(&back, mallory, &f->b, clo_buf_view(&r1)).code,
                         CLO_E_AUTH);
        clo_envelope_binding b = f->b;
        b.job_id[3] ^= 1;
        assert_int_equal(clo_envelope_reply_open_as(&back, alice, &b, clo_buf_view(&r1)).code,
                         CLO_E_AUTH);
        assert_int_equal(back.len, 0);
        /* another recipient or another payload changes the ephemeral key */
        clo_buf_clear(&r2);
        assert_int_equal(clo_envelope_reply_seal_to(&r2, f->enclave, &f->b, k_suites[s],
                                                    clo_x25519_key_public(mallory), secret)
                             .code,
                         CLO_OK_CODE);
        assert_false(clo_bytes_eq(CLO_BYTES(r1.ptr + 12, 32), CLO_BYTES(r2.ptr + 12, 32)));
        clo_buf_clear(&r1);
        clo_buf_clear(&r2);
    }
    clo_x25519_key_free(alice);
    clo_x25519_key_free(mallory);
    clo_buf_free(&r1);
    clo_buf_free(&r2);
    clo_buf_free(&back);
}

/* Streams (kind 4): a 10,000-byte payload in 4 KiB chunks opens in order and
 * only so; a chunk altered, reordered, repeated, from another stream, or of
 * the wrong length, a header altered, another binding or key: refused. */
static void seal_stream(const fixture *f, const uint8_t *pt, size_t n, clo_envelope_stream *s,
                        clo_buf chunks[3])
{
    assert_int_equal(clo_envelope_stream_seal_init(s, &f->b, k_suites[1],
                                                   clo_x25519_key_public(f->enclave), n, 4096)
                         .code,
                     0);
    assert_int_equal(s->count, 3);
    for (uint32_t i = 0; i < 3; i++) {
        clo_buf_init(&chunks[i], 8192);
        size_t len = clo_envelope_stream_chunk_len(s, i);
        assert_int_equal(len, i < 2 ? 4096 : n - 8192);
        assert_int_equal(
            clo_envelope_stream_seal_chunk(s, CLO_BYTES(pt + i * 4096, len), &chunks[i]).code, 0);
    }
    /* past the end */
    assert_int_equal(clo_envelope_stream_seal_chunk(s, CLO_BYTES(pt, 1), &chunks[0]).code,
                     CLO_E_STATE);
}

static void test_stream(void **state)
{
    const fixture *f = *state;
    static uint8_t pt[10000], out[4096];
    for (size_t i = 0; i < sizeof pt; i++) pt[i] = (uint8_t)(i * 13 + 1);
    clo_envelope_stream s, r, other;
    clo_buf c[3], o[3];
    seal_stream(f, pt, sizeof pt, &s, c);
    seal_stream(f, pt, sizeof pt, &other, o);
    clo_bytes hdr = CLO_BYTES(s.header, sizeof s.header);

    /* in order: every byte back */
    assert_int_equal(clo_envelope_stream_open_init(&r, &f->b, f->enclave, hdr).code, 0);
    for (uint32_t i = 0; i < 3; i++) {
        assert_int_equal(clo_envelope_stream_open_chunk(&r, clo_buf_view(&c[i]), out).code, 0);
        assert_memory_equal(out, pt + i * 4096, clo_envelope_stream_chunk_len(&r, i));
    }
    assert_int_equal(clo_envelope_stream_open_chunk(&r, clo_buf_view(&c[2]), out).code,
                     CLO_E_STATE);
    clo_envelope_stream_wipe(&r);

    /* chunk 1 first, chunk 0 twice, another stream's chunk 0, a flipped bit, a short chunk */
    const clo_bytes wrong[] = {clo_buf_view(&c[1]), clo_buf_view(&o[0]),
                               CLO_BYTES(c[0].ptr, c[0].len - 1)};
    for (size_t k = 0; k < 3; k++) {
        assert_int_equal(clo_envelope_stream_open_init(&r, &f->b, f->enclave, hdr).code, 0);
        memset(out, 0x5a, sizeof out);
        assert_int_equal(clo_envelope_stream_open_chunk(&r, wrong[k], out).code, CLO_E_AUTH);
        assert_int_equal(r.next, 0);
        clo_envelope_stream_wipe(&r);
    }
    assert_int_equal(clo_envelope_stream_open_init(&r, &f->b, f->enclave, hdr).code, 0);
    assert_int_equal(clo_envelope_stream_open_chunk(&r, clo_buf_view(&c[0]), out).code, 0);
    assert_int_equal(clo_envelope_stream_open_chunk(&r, clo_buf_view(&c[0]), out).code, CLO_E_AUTH);
    c[1].ptr[100] ^= 1;
    assert_int_equal(clo_envelope_stream_open_chunk(&r, clo_buf_view(&c[1]), out).code, CLO_E_AUTH);
    for (size_t i = 0; i < 4096; i++) assert_int_equal(out[i], 0); /* wiped */
    c[1].ptr[100] ^= 1;
    assert_int_equal(clo_envelope_stream_open_chunk(&r, clo_buf_view(&c[1]), out).code, 0);
    clo_envelope_stream_wipe(&r);

    /* the header altered (size: the stream cut short), another binding, another key */
    uint8_t h2[CLO_ENVELOPE_STREAM_HEADER_SIZE];
    memcpy(h2, s.header, sizeof h2);
    h2[51] = 0x10; /* size 8208 -> the last chunk's length changes too */
    h2[50] = 0x20;
    h2[49] = 0x00;
    assert_int_equal(
        clo_envelope_stream_open_init(&r, &f->b, f->enclave, CLO_BYTES(h2, sizeof h2)).code, 0);
    assert_int_equal(clo_envelope_stream_open_chunk(&r, clo_buf_view(&c[0]), out).code, CLO_E_AUTH);
    clo_envelope_stream_wipe(&r);
    clo_envelope_binding b2 = f->b;
    b2.job_id[0] ^= 1;
    assert_int_equal(clo_envelope_stream_open_init(&r, &b2, f->enclave, hdr).code, 0);
    assert_int_equal(clo_envelope_stream_open_chunk(&r, clo_buf_view(&c[0]), out).code, CLO_E_AUTH);
    clo_envelope_stream_wipe(&r);
    b2 = f->b;
    b2.epoch++;
    assert_int_equal(clo_envelope_stream_open_init(&r, &b2, f->enclave, hdr).code, CLO_E_AUTH);
    clo_x25519_key *k2;
    assert_int_equal(clo_x25519_key_new(&k2, NULL).code, 0);
    assert_int_equal(clo_envelope_stream_open_init(&r, &f->b, k2, hdr).code, 0);
    assert_int_equal(clo_envelope_stream_open_chunk(&r, clo_buf_view(&c[0]), out).code, CLO_E_AUTH);
    clo_envelope_stream_wipe(&r);
    clo_x25519_key_free(k2);

    /* header limits: chunk size, size, kind, trailing byte */
    clo_envelope_stream p;
    memcpy(h2, s.header, sizeof h2);
    h2[52] = h2[53] = 0;
    h2[54] = 0x0f; /* chunk 3840 < 4 KiB */
    assert_int_equal(clo_envelope_stream_parse_header(CLO_BYTES(h2, sizeof h2), &p).code,
                     CLO_E_LIMIT);
    memcpy(h2, s.header, sizeof h2);
    memset(h2 + 44, 0, 8);
    assert_int_equal(clo_envelope_stream_parse_header(CLO_BYTES(h2, sizeof h2), &p).code,
                     CLO_E_LIMIT);
    memcpy(h2, s.header, sizeof h2);
    h2[1] = 1;
    assert_int_equal(clo_envelope_stream_parse_header(CLO_BYTES(h2, sizeof h2), &p).code,
                     CLO_E_FORMAT);
    assert_int_not_equal(clo_envelope_stream_parse_header(CLO_BYTES(s.header, 55), &p).code, 0);

    clo_envelope_stream_wipe(&s);
    clo_envelope_stream_wipe(&other);
    for (int i = 0; i < 3; i++) {
        clo_buf_free(&c[i]);
        clo_buf_free(&o[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_every_bit_flip_fails),
        cmocka_unit_test(test_wrong_binding_or_key),
        cmocka_unit_test(test_seal_limits),
        cmocka_unit_test(test_round_trip_every_suite),
        cmocka_unit_test(test_reply_to_recipient),
        cmocka_unit_test(test_stream),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
