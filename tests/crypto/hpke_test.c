/* hpke_test.c — RFC 9180 conformance from the official vectors, plus negative cases. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/ct.h"
#include "crypto/hpke.h"
#include "tv.h"

static clo_hpke_suite suite_of(const json_t *v)
{
    return (clo_hpke_suite){(uint16_t)tv_int(v, "kem_id"), (uint16_t)tv_int(v, "kdf_id"),
                            (uint16_t)tv_int(v, "aead_id")};
}

static clo_x25519_key *derive(clo_hpke_suite s, const json_t *v, const char *ikm_key,
                              const char *sk_key, const char *pk_key)
{
    clo_buf ikm = tv_hex(v, ikm_key), sk = tv_hex(v, sk_key), pk = tv_hex(v, pk_key);
    clo_x25519_key *k = NULL;
    uint8_t skb[32];
    assert_int_equal(clo_hpke_derive_keypair(s, clo_buf_view(&ikm), &k).code, CLO_OK_CODE);
    clo_x25519_key_private(k, skb);
    tv_assert_bytes(sk_key, CLO_BYTES(skb, 32), clo_buf_view(&sk));
    tv_assert_bytes(pk_key, CLO_BYTES(clo_x25519_key_public(k), 32), clo_buf_view(&pk));
    clo_buf_free(&ikm);
    clo_buf_free(&sk);
    clo_buf_free(&pk);
    return k;
}

static void run_vector(const json_t *v)
{
    clo_hpke_suite s = suite_of(v);
    int mode = (int)tv_int(v, "mode");
    clo_x25519_key *kr = derive(s, v, "ikmR", "skRm", "pkRm");
    clo_x25519_key *ke = derive(s, v, "ikmE", "skEm", "pkEm");
    clo_x25519_key *ks = NULL;
    clo_buf info = tv_hex(v, "info"), enc_want = tv_hex(v, "enc");
    clo_buf psk = {0}, psk_id = {0};
    clo_hpke_opts so = {.mode = (clo_hpke_mode)mode}, ro = so;
    if (mode == CLO_HPKE_MODE_PSK || mode == CLO_HPKE_MODE_AUTH_PSK) {
        psk = tv_hex(v, "psk");
        psk_id = tv_hex(v, "psk_id");
        so.psk = ro.psk = clo_buf_view(&psk);
        so.psk_id = ro.psk_id = clo_buf_view(&psk_id);
    }
    if (mode == CLO_HPKE_MODE_AUTH || mode == CLO_HPKE_MODE_AUTH_PSK) {
        ks = derive(s, v, "ikmS", "skSm", "pkSm");
        so.sender_key = ks;
        ro.sender_pk = clo_x25519_key_public(ks);
    }

    clo_hpke_ctx sctx, rctx;
    uint8_t enc[32];
    assert_int_equal(clo_hpke_setup_sender_with(&sctx, s, ke, clo_x25519_key_public(kr),
                                                clo_buf_view(&info), &so, enc)
                         .code,
                     CLO_OK_CODE);
    tv_assert_bytes("enc", CLO_BYTES(enc, 32), clo_buf_view(&enc_want));
    assert_int_equal(clo_hpke_setup_receiver(&rctx, s, kr, enc, clo_buf_view(&info), &ro).code,
                     CLO_OK_CODE);

    clo_buf key = tv_hex(v, "key"), nonce = tv_hex(v, "base_nonce"),
            exps = tv_hex(v, "exporter_secret");
    tv_assert_bytes("key", CLO_BYTES(sctx.key, key.len), clo_buf_view(&key));
    tv_assert_bytes("base_nonce", CLO_BYTES(sctx.base_nonce, nonce.len), clo_buf_view(&nonce));
    tv_assert_bytes("exporter_secret", CLO_BYTES(sctx.exporter_secret, 32), clo_buf_view(&exps));
    tv_assert_bytes("receiver exporter_secret", CLO_BYTES(rctx.exporter_secret, 32),
                    clo_buf_view(&exps));

    /* Encryptions are listed in sequence order, starting at seq 0. */
    const json_t *encs = json_object_get(v, "encryptions"), *e;
    size_t i;
    json_array_foreach(encs, i, e)
    {
        clo_buf aad = tv_hex(e, "aad"), pt = tv_hex(e, "pt"), ct = tv_hex(e, "ct");
        uint8_t out[4096], back[4096];
        assert_true(pt.len + 16 <= sizeof out);
        assert_int_equal(clo_hpke_seal(&sctx, clo_buf_view(&aad), clo_buf_view(&pt), out).code,
                         CLO_OK_CODE);
        tv_assert_bytes("ct", CLO_BYTES(out, pt.len + 16), clo_buf_view(&ct));
        /* a flipped bit fails and does not advance the sequence */
        out[0] ^= 1;
        assert_int_equal(
            clo_hpke_open(&rctx, clo_buf_view(&aad), CLO_BYTES(out, ct.len), back).code,
            CLO_E_AUTH);
        assert_int_equal(clo_hpke_open(&rctx, clo_buf_view(&aad), clo_buf_view(&ct), back).code,
                         CLO_OK_CODE);
        tv_assert_bytes("pt", CLO_BYTES(back, pt.len), clo_buf_view(&pt));
        clo_buf_free(&aad);
        clo_buf_free(&pt);
        clo_buf_free(&ct);
    }
    if (s.aead == CLO_HPKE_AEAD_EXPORT_ONLY) {
        uint8_t out[32];
        assert_int_equal(clo_hpke_seal(&sctx, CLO_BYTES_EMPTY, CLO_BYTES_EMPTY, out).code,
                         CLO_E_UNSUPPORTED);
    }
    const json_t *exports = json_object_get(v, "exports");
    json_array_foreach(exports, i, e)
    {
        clo_buf ectx = tv_hex(e, "exporter_context"), want = tv_hex(e, "exported_value");
        uint8_t out[512];
        size_t L = (size_t)tv_int(e, "L");
        assert_true(L <= sizeof out);
        assert_int_equal(clo_hpke_export(&sctx, clo_buf_view(&ectx), out, L).code, CLO_OK_CODE);
        tv_assert_bytes("exported_value", CLO_BYTES(out, L), clo_buf_view(&want));
        assert_int_equal(clo_hpke_export(&rctx, clo_buf_view(&ectx), out, L).code, CLO_OK_CODE);
        tv_assert_bytes("receiver exported_value", CLO_BYTES(out, L), clo_buf_view(&want));
        clo_buf_free(&ectx);
        clo_buf_free(&want);
    }
    clo_hpke_ctx_wipe(&sctx);
    clo_hpke_ctx_wipe(&rctx);
    clo_buf_free(&key);
    clo_buf_free(&nonce);
    clo_buf_free(&exps);
    clo_buf_free(&info);
    clo_buf_free(&enc_want);
    clo_buf_free(&psk);
    clo_buf_free(&psk_id);
    clo_x25519_key_free(kr);
    clo_x25519_key_free(ke);
    clo_x25519_key_free(ks);
}

static void test_rfc9180_vectors(void **state)
{
    (void)state;
    json_t *all = tv_json("hpke/test-vectors.json");
    const json_t *v;
    size_t i, ran = 0, skipped = 0;
    json_array_foreach(all, i, v)
    {
        clo_hpke_suite s = suite_of(v);
        if (clo_hpke_suite_check(s).code) {
            skipped++;
            continue;
        }
        run_vector(v);
        ran++;
    }
    printf("RFC 9180 vectors: %zu run and passed (every DHKEM(X25519)/HKDF-SHA256 vector), "
           "%zu for other suites not applicable\n",
           ran, skipped);
    /* Four modes x four AEADs (incl. export-only) exist for this KEM/KDF. */
    assert_int_equal(ran, 16);
    json_decref(all);
}

static void test_negative(void **state)
{
    (void)state;
    clo_hpke_suite s = {CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256,
                        CLO_HPKE_AEAD_AES128GCM};
    clo_hpke_suite bad_kem = {0x0010, 1, 1}, bad_aead = {0x20, 1, 4};
    clo_x25519_key *k;
    clo_hpke_ctx ctx;
    uint8_t enc[32], zero_pk[32] = {0}, psk[32] = {1}, out[64];
    assert_int_equal(clo_x25519_key_new(&k, NULL).code, CLO_OK_CODE);
    const uint8_t *pk = clo_x25519_key_public(k);

    assert_int_equal(clo_hpke_setup_sender(&ctx, bad_kem, pk, CLO_BYTES_EMPTY, NULL, enc).code,
                     CLO_E_UNSUPPORTED);
    assert_int_equal(clo_hpke_setup_sender(&ctx, bad_aead, pk, CLO_BYTES_EMPTY, NULL, enc).code,
                     CLO_E_UNSUPPORTED);
    /* a low-order public key gives an all-zero DH output: rejected */
    assert_int_equal(clo_hpke_setup_sender(&ctx, s, zero_pk, CLO_BYTES_EMPTY, NULL, enc).code,
                     CLO_E_KEY);
    assert_int_equal(clo_hpke_setup_receiver(&ctx, s, k, zero_pk, CLO_BYTES_EMPTY, NULL).code,
                     CLO_E_KEY);
    /* psk rules (RFC 9180 §5.1 VerifyPSKInputs, and >= 32 bytes) */
    clo_hpke_opts o = {.mode = CLO_HPKE_MODE_PSK, .psk = CLO_BYTES(psk, 32)};
    assert_int_equal(clo_hpke_setup_sender(&ctx, s, pk, CLO_BYTES_EMPTY, &o, enc).code, CLO_E_ARG);
    o.psk_id = CLO_BYTES("id", 2);
    o.psk.len = 16;
    assert_int_equal(clo_hpke_setup_sender(&ctx, s, pk, CLO_BYTES_EMPTY, &o, enc).code, CLO_E_ARG);
    o.mode = CLO_HPKE_MODE_BASE;
    o.psk.len = 32;
    assert_int_equal(clo_hpke_setup_sender(&ctx, s, pk, CLO_BYTES_EMPTY, &o, enc).code, CLO_E_ARG);
    o = (clo_hpke_opts){.mode = CLO_HPKE_MODE_AUTH};
    assert_int_equal(clo_hpke_setup_sender(&ctx, s, pk, CLO_BYTES_EMPTY, &o, enc).code, CLO_E_ARG);
    /* a wiped context refuses to work */
    assert_int_equal(clo_hpke_setup_sender(&ctx, s, pk, CLO_BYTES_EMPTY, NULL, enc).code,
                     CLO_OK_CODE);
    clo_hpke_ctx_wipe(&ctx);
    assert_int_equal(clo_hpke_seal(&ctx, CLO_BYTES_EMPTY, CLO_BYTES("x", 1), out).code,
                     CLO_E_STATE);
    /* sequence exhaustion */
    assert_int_equal(clo_hpke_setup_sender(&ctx, s, pk, CLO_BYTES_EMPTY, NULL, enc).code,
                     CLO_OK_CODE);
    ctx.seq = UINT64_MAX;
    assert_int_equal(clo_hpke_seal(&ctx, CLO_BYTES_EMPTY, CLO_BYTES("x", 1), out).code,
                     CLO_E_STATE);
    clo_hpke_ctx_wipe(&ctx);
    /* single-shot round trip and tamper checks */
    uint8_t ct[16 + 5], pt[5];
    assert_int_equal(clo_hpke_seal_base(s, pk, CLO_BYTES("i", 1), CLO_BYTES("a", 1),
                                        CLO_BYTES("hello", 5), enc, ct)
                         .code,
                     CLO_OK_CODE);
    assert_int_equal(clo_hpke_open_base(s, k, enc, CLO_BYTES("i", 1), CLO_BYTES("a", 1),
                                        CLO_BYTES(ct, sizeof ct), pt)
                         .code,
                     CLO_OK_CODE);
    assert_memory_equal(pt, "hello", 5);
    assert_int_equal(clo_hpke_open_base(s, k, enc, CLO_BYTES("j", 1), CLO_BYTES("a", 1),
                                        CLO_BYTES(ct, sizeof ct), pt)
                         .code,
                     CLO_E_AUTH);
    assert_true(clo_ct_is_zero(pt, sizeof pt)); /* failed open leaves no plaintext */
    assert_int_equal(clo_hpke_open_base(s, k, enc, CLO_BYTES("i", 1), CLO_BYTES("b", 1),
                                        CLO_BYTES(ct, sizeof ct), pt)
                         .code,
                     CLO_E_AUTH);
    enc[3] ^= 0x40;
    assert_int_equal(clo_hpke_open_base(s, k, enc, CLO_BYTES("i", 1), CLO_BYTES("a", 1),
                                        CLO_BYTES(ct, sizeof ct), pt)
                         .code,
                     CLO_E_AUTH);
    assert_int_equal(
        clo_hpke_open_base(s, k, enc, CLO_BYTES("i", 1), CLO_BYTES("a", 1), CLO_BYTES(ct, 15), pt)
            .code,
        CLO_E_AUTH);
    clo_x25519_key_free(k);
}

static void test_suite_names(void **state)
{
    (void)state;
    clo_hpke_suite s;
    assert_int_equal(clo_hpke_suite_from_name("x25519-sha256-chacha20poly1305", &s).code,
                     CLO_OK_CODE);
    assert_int_equal(s.aead, 3);
    assert_string_equal(clo_hpke_suite_name(s), "x25519-sha256-chacha20poly1305");
    assert_int_equal(clo_hpke_suite_from_name("x25519-sha256-aes192gcm", &s).code,
                     CLO_E_UNSUPPORTED);
    assert_int_equal(clo_hpke_suite_from_name(NULL, &s).code, CLO_E_UNSUPPORTED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negative),
        cmocka_unit_test(test_suite_names),
        cmocka_unit_test(test_rfc9180_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
