/* primitives_test.c — SHA-2/HMAC known answers (FIPS 180-2, RFC 4231), streaming
 * equivalence, argument checks, and RSA-PSS on AMD's real ARK/ASK certificates.
 * OpenSSL is used here only to cut the certificates into (tbs, signature, key). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/ct.h"
#include "crypto/aead.h"
#include "crypto/hash.h"
#include "crypto/rand.h"
#include "crypto/sig.h"
#include "tv.h"

static void expect_hex(const char *what, const uint8_t *got, size_t n, const char *hex)
{
    clo_buf want = tv_hex_str(hex);
    tv_assert_bytes(what, CLO_BYTES(got, n), clo_buf_view(&want));
    clo_buf_free(&want);
}

static void test_sha2_known_answers(void **state)
{
    (void)state;
    uint8_t out[64];
    clo_bytes abc = CLO_BYTES("abc", 3);
    assert_int_equal(clo_hash(CLO_HASH_SHA256, abc, out).code, CLO_OK_CODE);
    expect_hex("sha256", out, 32,
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(clo_hash(CLO_HASH_SHA384, abc, out).code, CLO_OK_CODE);
    expect_hex("sha384", out, 48,
               "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358b"
               "aeca134c825a7");
    assert_int_equal(clo_hash(CLO_HASH_SHA512, abc, out).code, CLO_OK_CODE);
    expect_hex("sha512", out, 64,
               "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836b"
               "a3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");

    /* streaming in pieces equals one shot */
    uint8_t data[1000], one[64], many[64];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7);
    for (clo_hash_alg a = CLO_HASH_SHA256; a <= CLO_HASH_SHA512; a++) {
        clo_hash_ctx c;
        assert_int_equal(clo_hash(a, CLO_BYTES(data, sizeof data), one).code, CLO_OK_CODE);
        assert_int_equal(clo_hash_init(&c, a).code, CLO_OK_CODE);
        for (size_t off = 0; off < sizeof data; off += 333)
            assert_int_equal(
                clo_hash_update(
                    &c, CLO_BYTES(data + off, sizeof data - off < 333 ? sizeof data - off : 333))
                    .code,
                CLO_OK_CODE);
        assert_int_equal(clo_hash_final(&c, many).code, CLO_OK_CODE);
        assert_memory_equal(one, many, clo_hash_size(a));
        /* a finished context refuses further use */
        assert_int_equal(clo_hash_update(&c, CLO_BYTES(data, 1)).code, CLO_E_STATE);
    }
    assert_int_equal(clo_hash((clo_hash_alg)7, abc, out).code, CLO_E_UNSUPPORTED);
}

static void test_hmac_long_key(void **state)
{
    (void)state;
    uint8_t key[131], out[64];
    memset(key, 0xaa, sizeof key);
    clo_bytes msg = clo_bytes_str("Test Using Larger Than Block-Size Key - Hash Key First");
    assert_int_equal(clo_hmac(CLO_HASH_SHA256, CLO_BYTES(key, sizeof key), msg, out).code,
                     CLO_OK_CODE);
    expect_hex("hmac-sha256", out, 32,
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    assert_int_equal(clo_hmac(CLO_HASH_SHA512, CLO_BYTES(key, sizeof key), msg, out).code,
                     CLO_OK_CODE);
    expect_hex("hmac-sha512", out, 64,
               "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0"
               "fd2215d6a1e5295e64f73f63f0aec8b915a985d786598");
}

/* Differential: our HMAC (block-level SHA-2) and HKDF against OpenSSL's own
 * EVP_MAC and EVP_KDF, for every hash, over key/salt lengths around the block
 * size and outputs across block boundaries. */
static const char *ossl_md(clo_hash_alg a)
{
    return a == CLO_HASH_SHA256 ? "SHA256" : a == CLO_HASH_SHA384 ? "SHA384" : "SHA512";
}

static void test_hmac_hkdf_match_openssl(void **state)
{
    (void)state;
    static const size_t key_lens[] = {0, 1, 31, 32, 63, 64, 65, 111, 127, 128, 129, 200};
    static const size_t out_lens[] = {1, 32, 33, 48, 64, 65, 100, 255};
    uint8_t key[200], msg[300], ours[255 * 64], theirs[255 * 64];
    assert_int_equal(clo_random(key, sizeof key).code, CLO_OK_CODE);
    assert_int_equal(clo_random(msg, sizeof msg).code, CLO_OK_CODE);
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    assert_non_null(mac);
    assert_non_null(kdf);
    for (clo_hash_alg a = CLO_HASH_SHA256; a <= CLO_HASH_SHA512; a++) {
        char md[8];
        snprintf(md, sizeof md, "%s", ossl_md(a));
        for (size_t k = 0; k < sizeof key_lens / sizeof key_lens[0]; k++) {
            size_t kl = key_lens[k], ml = (kl * 7) % sizeof msg, n = 0;
            OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, md, 0),
                              OSSL_PARAM_construct_end()};
            EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac);
            uint8_t zero = 0;
            assert_int_equal(EVP_MAC_init(c, kl ? key : &zero, kl, p), 1);
            assert_int_equal(EVP_MAC_update(c, msg, ml), 1);
            assert_int_equal(EVP_MAC_final(c, theirs, &n, sizeof theirs), 1);
            EVP_MAC_CTX_free(c);
            assert_int_equal(clo_hmac(a, CLO_BYTES(key, kl), CLO_BYTES(msg, ml), ours).code,
                             CLO_OK_CODE);
            tv_assert_bytes("hmac vs EVP_MAC", CLO_BYTES(ours, n), CLO_BYTES(theirs, n));

            for (size_t o = 0; o < sizeof out_lens / sizeof out_lens[0]; o++) {
                size_t ol = out_lens[o] * (o == 7 ? clo_hash_size(a) : 1);
                int mode = EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND;
                OSSL_PARAM kp[] = {
                    OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, md, 0),
                    OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
                    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, msg, 40),
                    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, key, kl),
                    OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, msg + 40, ml % 100),
                    OSSL_PARAM_construct_end(),
                };
                EVP_KDF_CTX *kc = EVP_KDF_CTX_new(kdf);
                assert_int_equal(EVP_KDF_derive(kc, theirs, ol, kp), 1);
                EVP_KDF_CTX_free(kc);
                assert_int_equal(clo_hkdf(a, CLO_BYTES(key, kl), CLO_BYTES(msg, 40),
                                          CLO_BYTES(msg + 40, ml % 100), ours, ol)
                                     .code,
                                 CLO_OK_CODE);
                tv_assert_bytes("hkdf vs EVP_KDF", CLO_BYTES(ours, ol), CLO_BYTES(theirs, ol));
            }
        }
    }
    /* a streaming HMAC refuses use before init and after final */
    clo_hmac_ctx h = {0};
    assert_int_equal(clo_hmac_update(&h, CLO_BYTES("x", 1)).code, CLO_E_STATE);
    assert_int_equal(clo_hmac_init(&h, CLO_HASH_SHA384, CLO_BYTES("k", 1)).code, CLO_OK_CODE);
    assert_int_equal(clo_hmac_final(&h, ours).code, CLO_OK_CODE);
    assert_int_equal(clo_hmac_final(&h, ours).code, CLO_E_STATE);
    assert_true(clo_ct_is_zero(h.state, sizeof h.state)); /* key-dependent state wiped */
    assert_int_equal(clo_hmac_init(&h, (clo_hash_alg)9, CLO_BYTES("k", 1)).code, CLO_E_UNSUPPORTED);
    EVP_MAC_free(mac);
    EVP_KDF_free(kdf);
}

static void test_hkdf_and_aead_limits(void **state)
{
    (void)state;
    uint8_t prk[32] = {0}, out[255 * 48 + 1], key[32] = {0}, nonce[12] = {0};
    assert_int_equal(
        clo_hkdf_expand(CLO_HASH_SHA256, CLO_BYTES(prk, 32), CLO_BYTES_EMPTY, out, 255 * 32).code,
        CLO_OK_CODE);
    assert_int_equal(
        clo_hkdf_expand(CLO_HASH_SHA256, CLO_BYTES(prk, 32), CLO_BYTES_EMPTY, out, 255 * 32 + 1)
            .code,
        CLO_E_LIMIT);
    assert_int_equal(
        clo_hkdf_expand(CLO_HASH_SHA384, CLO_BYTES(prk, 32), CLO_BYTES_EMPTY, out, 255 * 48).code,
        CLO_OK_CODE);
    /* wrong key or nonce sizes are the caller's error, not an auth failure */
    assert_int_equal(clo_aead_seal(CLO_AEAD_AES128GCM, CLO_BYTES(key, 32), CLO_BYTES(nonce, 12),
                                   CLO_BYTES_EMPTY, CLO_BYTES_EMPTY, out)
                         .code,
                     CLO_E_ARG);
    assert_int_equal(clo_aead_seal(CLO_AEAD_AES256GCM, CLO_BYTES(key, 32), CLO_BYTES(nonce, 8),
                                   CLO_BYTES_EMPTY, CLO_BYTES_EMPTY, out)
                         .code,
                     CLO_E_ARG);
    assert_int_equal(clo_aead_seal((clo_aead_alg)9, CLO_BYTES(key, 32), CLO_BYTES(nonce, 12),
                                   CLO_BYTES_EMPTY, CLO_BYTES_EMPTY, out)
                         .code,
                     CLO_E_UNSUPPORTED);
    assert_int_equal(clo_aead_open(CLO_AEAD_CHACHA20POLY1305, CLO_BYTES(key, 32),
                                   CLO_BYTES(nonce, 12), CLO_BYTES_EMPTY, CLO_BYTES(out, 15), out)
                         .code,
                     CLO_E_AUTH);
}

static void test_random_and_x25519_keys(void **state)
{
    (void)state;
    uint8_t a[64] = {0}, b[64] = {0}, s1[32], s2[32];
    assert_int_equal(clo_random(a, sizeof a).code, CLO_OK_CODE);
    assert_int_equal(clo_random(b, sizeof b).code, CLO_OK_CODE);
    assert_false(clo_ct_eq(a, b, sizeof a));
    clo_x25519_key *k1, *k2;
    assert_int_equal(clo_x25519_key_new(&k1, NULL).code, CLO_OK_CODE);
    assert_int_equal(clo_x25519_key_new(&k2, NULL).code, CLO_OK_CODE);
    assert_int_equal(clo_x25519_key_dh(k1, clo_x25519_key_public(k2), s1).code, CLO_OK_CODE);
    assert_int_equal(clo_x25519_key_dh(k2, clo_x25519_key_public(k1), s2).code, CLO_OK_CODE);
    assert_memory_equal(s1, s2, 32);
    clo_x25519_key_free(k1);
    clo_x25519_key_free(k2);
    clo_x25519_key_free(NULL);
}

/* One long-lived key reuses its derive context and peer object across exchanges:
 * every result must equal a fresh one-shot X25519, also after a refused peer. */
static void test_x25519_key_reuse(void **state)
{
    (void)state;
    clo_x25519_key *k, *peers[6];
    uint8_t sk[32], got[32], want[32], low_order[32] = {0};
    assert_int_equal(clo_x25519_key_new(&k, NULL).code, CLO_OK_CODE);
    clo_x25519_key_private(k, sk);
    for (int i = 0; i < 6; i++)
        assert_int_equal(clo_x25519_key_ephemeral(&peers[i]).code, CLO_OK_CODE);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 6; i++) {
            const uint8_t *pk = clo_x25519_key_public(peers[i]);
            assert_int_equal(clo_x25519_key_dh(k, pk, got).code, CLO_OK_CODE);
            assert_int_equal(clo_x25519(want, sk, pk).code, CLO_OK_CODE);
            assert_memory_equal(got, want, 32);
            /* and the peer's view agrees */
            assert_int_equal(clo_x25519_key_dh(peers[i], clo_x25519_key_public(k), want).code,
                             CLO_OK_CODE);
            assert_memory_equal(got, want, 32);
            if (i == 2) {
                assert_int_equal(clo_x25519_key_dh(k, low_order, got).code, CLO_E_KEY);
                assert_true(clo_ct_is_zero(got, 32));
            }
        }
    }
    for (int i = 0; i < 6; i++) clo_x25519_key_free(peers[i]);
    clo_x25519_key_free(k);
}

/* ---- RSA-PSS on the AMD certificate chains: ASK signed by ARK, ARK self-signed ---- */
typedef struct {
    clo_buf tbs, sig, spki;
} cert_parts;

static cert_parts cut(X509 *x)
{
    cert_parts p;
    const ASN1_BIT_STRING *sig;
    unsigned char *der = NULL;
    clo_buf_init(&p.tbs, 1 << 16);
    clo_buf_init(&p.sig, 1 << 16);
    clo_buf_init(&p.spki, 1 << 16);
    int n = i2d_re_X509_tbs(x, &der);
    assert_true(n > 0);
    assert_int_equal(clo_buf_append(&p.tbs, der, (size_t)n).code, CLO_OK_CODE);
    OPENSSL_free(der);
    X509_get0_signature(&sig, NULL, x);
    assert_int_equal(
        clo_buf_append(&p.sig, ASN1_STRING_get0_data(sig), (size_t)ASN1_STRING_length(sig)).code,
        CLO_OK_CODE);
    der = NULL;
    n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
    assert_true(n > 0);
    assert_int_equal(clo_buf_append(&p.spki, der, (size_t)n).code, CLO_OK_CODE);
    OPENSSL_free(der);
    return p;
}

static void free_parts(cert_parts *p)
{
    clo_buf_free(&p->tbs);
    clo_buf_free(&p->sig);
    clo_buf_free(&p->spki);
}

static void check_chain(const char *rel)
{
    FILE *f = fopen(tv_path(rel), "r");
    assert_non_null(f);
    X509 *ask = PEM_read_X509(f, NULL, NULL, NULL), *ark = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(ask);
    assert_non_null(ark);
    cert_parts a = cut(ask), r = cut(ark);
    clo_bytes ark_key = clo_buf_view(&r.spki);
    assert_int_equal(
        clo_rsa_pss_verify(ark_key, CLO_HASH_SHA384, 48, clo_buf_view(&a.tbs), clo_buf_view(&a.sig))
            .code,
        CLO_OK_CODE);
    assert_int_equal(
        clo_rsa_pss_verify(ark_key, CLO_HASH_SHA384, 48, clo_buf_view(&r.tbs), clo_buf_view(&r.sig))
            .code,
        CLO_OK_CODE);
    /* wrong salt, wrong hash, flipped tbs bit, flipped signature bit, wrong key */
    assert_int_equal(
        clo_rsa_pss_verify(ark_key, CLO_HASH_SHA384, 32, clo_buf_view(&a.tbs), clo_buf_view(&a.sig))
            .code,
        CLO_E_AUTH);
    assert_int_equal(
        clo_rsa_pss_verify(ark_key, CLO_HASH_SHA256, 48, clo_buf_view(&a.tbs), clo_buf_view(&a.sig))
            .code,
        CLO_E_AUTH);
    a.tbs.ptr[100] ^= 0x01;
    assert_int_equal(
        clo_rsa_pss_verify(ark_key, CLO_HASH_SHA384, 48, clo_buf_view(&a.tbs), clo_buf_view(&a.sig))
            .code,
        CLO_E_AUTH);
    a.tbs.ptr[100] ^= 0x01;
    a.sig.ptr[7] ^= 0x80;
    assert_int_equal(
        clo_rsa_pss_verify(ark_key, CLO_HASH_SHA384, 48, clo_buf_view(&a.tbs), clo_buf_view(&a.sig))
            .code,
        CLO_E_AUTH);
    a.sig.ptr[7] ^= 0x80;
    assert_int_equal(clo_rsa_pss_verify(clo_buf_view(&a.spki), CLO_HASH_SHA384, 48,
                                        clo_buf_view(&r.tbs), clo_buf_view(&r.sig))
                         .code,
                     CLO_E_AUTH);
    /* a key with trailing bytes, or not a key at all */
    assert_int_equal(clo_buf_u8(&r.spki, 0).code, CLO_OK_CODE);
    assert_int_equal(clo_rsa_pss_verify(clo_buf_view(&r.spki), CLO_HASH_SHA384, 48,
                                        clo_buf_view(&a.tbs), clo_buf_view(&a.sig))
                         .code,
                     CLO_E_FORMAT);
    assert_int_equal(clo_rsa_pss_verify(CLO_BYTES("junk", 4), CLO_HASH_SHA384, 48,
                                        clo_buf_view(&a.tbs), clo_buf_view(&a.sig))
                         .code,
                     CLO_E_KEY);
    free_parts(&a);
    free_parts(&r);
    X509_free(ask);
    X509_free(ark);
}

static void test_rsa_pss_amd_chains(void **state)
{
    (void)state;
    check_chain("amd-sev-snp/ca/ask_ark_milan.pem");
    check_chain("amd-sev-snp/ca/ask_ark_genoa.pem");
    check_chain("amd-sev-snp/ca/ask_ark_turin_vcek.pem");
}

static void test_ecdsa_bad_keys(void **state)
{
    (void)state;
    uint8_t pub[65] = {4}, sig[64] = {1};
    /* (0,0) is not on P-256 */
    assert_int_equal(clo_ecdsa_verify_raw(CLO_CURVE_P256, CLO_HASH_SHA256, CLO_BYTES(pub, 65),
                                          CLO_BYTES("m", 1), CLO_BYTES(sig, 64))
                         .code,
                     CLO_E_KEY);
    assert_int_equal(clo_ecdsa_verify_raw(CLO_CURVE_P256, CLO_HASH_SHA256, CLO_BYTES(pub, 64),
                                          CLO_BYTES("m", 1), CLO_BYTES(sig, 64))
                         .code,
                     CLO_E_KEY);
    assert_int_equal(clo_ecdsa_verify_raw(CLO_CURVE_P384, CLO_HASH_SHA384, CLO_BYTES(pub, 65),
                                          CLO_BYTES("m", 1), CLO_BYTES(sig, 64))
                         .code,
                     CLO_E_AUTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha2_known_answers),   cmocka_unit_test(test_hmac_long_key),
        cmocka_unit_test(test_hkdf_and_aead_limits), cmocka_unit_test(test_random_and_x25519_keys),
        cmocka_unit_test(test_rsa_pss_amd_chains),   cmocka_unit_test(test_ecdsa_bad_keys),
        cmocka_unit_test(test_x25519_key_reuse),     cmocka_unit_test(test_hmac_hkdf_match_openssl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
