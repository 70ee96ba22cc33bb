/* sig.c — X25519 and signature verification on OpenSSL 3.0. */
#include "crypto/sig.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "base/ct.h"
#include "base/secret.h"
#include "crypto/ossl.h"

static const char *md_name(clo_hash_alg alg)
{
    switch (alg) {
    case CLO_HASH_SHA256: return "SHA256";
    case CLO_HASH_SHA384: return "SHA384";
    case CLO_HASH_SHA512: return "SHA512";
    }
    return NULL;
}

/* ---- X25519 ---- */

struct clo_x25519_key {
    uint8_t sk[CLO_X25519_SIZE];
    uint8_t pk[CLO_X25519_SIZE];
    EVP_PKEY *pkey;
    /* Derive context and peer key object, set up on first use and reused: a new
     * context or key object per DH costs a provider fetch (~3-4 us, a tenth of
     * the DH). The peer's 32 bytes are written into `peer` in place, as libssl
     * does for key shares. Guarded by `lock` so one key may be shared by threads. */
    EVP_PKEY_CTX *dctx;
    EVP_PKEY *peer;
    pthread_mutex_t lock;
    int in_secret_memory; /* 1: clo_secret_alloc (mlocked); 0: malloc, wiped on free */
};

static clo_x25519_key *key_alloc(int long_lived)
{
    clo_x25519_key *k = long_lived ? clo_secret_alloc(sizeof *k) : calloc(1, sizeof *k);
    if (!k) return NULL;
    k->in_secret_memory = long_lived;
    if (pthread_mutex_init(&k->lock, NULL) != 0) {
        if (long_lived)
            clo_secret_free(k);
        else
            free(k);
        return NULL;
    }
    return k;
}

/* Fill in pk (and sk when OpenSSL generated it) from k->pkey. */
static clo_err key_finish(clo_x25519_key *k)
{
    size_t n = CLO_X25519_SIZE;
    CLO_ENSURE(EVP_PKEY_get_raw_private_key(k->pkey, k->sk, &n) == 1 && n == CLO_X25519_SIZE,
               CLO_E_CRYPTO, "x25519 private key");
    n = CLO_X25519_SIZE;
    CLO_ENSURE(EVP_PKEY_get_raw_public_key(k->pkey, k->pk, &n) == 1 && n == CLO_X25519_SIZE,
               CLO_E_CRYPTO, "x25519 public key");
    return CLO_OK;
}

static clo_err key_new(clo_x25519_key **out, const uint8_t *sk, int long_lived)
{
    clo_err err = CLO_OK;
    EVP_PKEY_CTX *kg = NULL;
    *out = NULL;
    clo_x25519_key *k = key_alloc(long_lived);
    CLO_ENSURE(k != NULL, CLO_E_NOMEM, "x25519 key allocation");
    if (sk) {
        k->pkey = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, sk, CLO_X25519_SIZE);
        CLO_FAIL_IF(k->pkey == NULL, CLO_E_CRYPTO, "x25519 key import");
    } else {
        /* OpenSSL's keygen (its DRBG, seeded from the OS) is cheaper than importing
         * a scalar we drew ourselves: the import path adds a provider round trip. */
        kg = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
        CLO_FAIL_IF(kg == NULL || EVP_PKEY_keygen_init(kg) != 1 ||
                        EVP_PKEY_keygen(kg, &k->pkey) != 1,
                    CLO_E_CRYPTO, "x25519 keygen");
    }
    CLO_CHECK(key_finish(k));
    *out = k;
out:
    EVP_PKEY_CTX_free(kg);
    if (err.code) clo_x25519_key_free(k);
    return err;
}

clo_err clo_x25519_key_new(clo_x25519_key **out, const uint8_t *sk)
{
    return key_new(out, sk, 1);
}

clo_err clo_x25519_key_ephemeral(clo_x25519_key **out)
{
    return key_new(out, NULL, 0);
}

void clo_x25519_key_free(clo_x25519_key *key)
{
    if (!key) return;
    EVP_PKEY_CTX_free(key->dctx);
    EVP_PKEY_free(key->peer);
    EVP_PKEY_free(key->pkey); /* OpenSSL cleanses its copy of the private key */
    pthread_mutex_destroy(&key->lock);
    if (key->in_secret_memory) {
        clo_secret_free(key); /* wipes sk */
    } else {
        clo_wipe(key, sizeof *key);
        free(key);
    }
}

const uint8_t *clo_x25519_key_public(const clo_x25519_key *key)
{
    return key->pk;
}

void clo_x25519_key_private(const clo_x25519_key *key, uint8_t sk[CLO_X25519_SIZE])
{
    memcpy(sk, key->sk, CLO_X25519_SIZE);
}

clo_err clo_x25519_key_dh(const clo_x25519_key *ckey, const uint8_t peer[CLO_X25519_SIZE],
                          uint8_t out[CLO_X25519_SIZE])
{
    clo_x25519_key *key =
        (clo_x25519_key *)(uintptr_t)ckey; /* the lock and caches are not the key's value */
    clo_err err = CLO_OK;
    size_t len = CLO_X25519_SIZE;
    pthread_mutex_lock(&key->lock);
    if (!key->dctx) {
        key->dctx = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey, NULL);
        if (key->dctx && EVP_PKEY_derive_init(key->dctx) != 1) {
            EVP_PKEY_CTX_free(key->dctx);
            key->dctx = NULL;
        }
    }
    CLO_FAIL_IF(key->dctx == NULL, CLO_E_CRYPTO, "x25519 derive init");
    if (!key->peer)
        key->peer = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, peer, CLO_X25519_SIZE);
    else if (EVP_PKEY_set1_encoded_public_key(key->peer, peer, CLO_X25519_SIZE) != 1)
        err = CLO_ERR(CLO_E_KEY, "x25519 peer key");
    CLO_FAIL_IF(key->peer == NULL || err.code, CLO_E_KEY, "x25519 peer key");
    /* No peer validation: every 32-byte string is an X25519 input (RFC 7748 §5);
     * the one bad outcome, an all-zero secret, is checked below. */
    CLO_FAIL_IF(EVP_PKEY_derive_set_peer_ex(key->dctx, key->peer, 0) != 1, CLO_E_KEY,
                "x25519 peer key");
    /* OpenSSL fails the derive itself when the result is all zeros (low-order peer point). */
    CLO_FAIL_IF(EVP_PKEY_derive(key->dctx, out, &len) != 1 || len != CLO_X25519_SIZE, CLO_E_KEY,
                "x25519 shared secret is zero");
    CLO_FAIL_IF(clo_ct_is_zero(out, CLO_X25519_SIZE), CLO_E_KEY, "x25519 shared secret is zero");
out:
    pthread_mutex_unlock(&key->lock);
    if (err.code) clo_wipe(out, CLO_X25519_SIZE);
    return err;
}

clo_err clo_x25519(uint8_t out[CLO_X25519_SIZE], const uint8_t sk[CLO_X25519_SIZE],
                   const uint8_t pk[CLO_X25519_SIZE])
{
    clo_x25519_key *k;
    CLO_TRY(key_new(&k, sk, 0));
    clo_err err = clo_x25519_key_dh(k, pk, out);
    clo_x25519_key_free(k);
    return err;
}

/* ---- shared verify step ---- */

/* Verify sig over msg with pkey. `tune` adjusts the context (RSA padding), may be NULL. */
static clo_err digest_verify(EVP_PKEY *pkey, const char *mdname, clo_bytes msg, clo_bytes sig,
                             int (*tune)(EVP_PKEY_CTX *, const void *), const void *arg)
{
    EVP_PKEY_CTX *pctx = NULL;
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    CLO_ENSURE(m != NULL, CLO_E_NOMEM, "verify context");
    int rc = EVP_DigestVerifyInit_ex(m, &pctx, mdname, NULL, NULL, pkey, NULL);
    if (rc == 1 && tune) rc = tune(pctx, arg);
    if (rc == 1) rc = EVP_DigestVerify(m, sig.ptr, sig.len, msg.ptr, msg.len);
    EVP_MD_CTX_free(m);
    CLO_ENSURE(rc == 1, CLO_E_AUTH, "signature");
    return CLO_OK;
}

/* ---- Ed25519 ---- */

clo_err clo_ed25519_verify(const uint8_t pk[32], clo_bytes msg, const uint8_t sig[64])
{
    EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, pk, 32);
    CLO_ENSURE(pkey != NULL, CLO_E_KEY, "ed25519 public key");
    clo_err err = digest_verify(pkey, NULL, msg, CLO_BYTES(sig, 64), NULL, NULL);
    EVP_PKEY_free(pkey);
    return err;
}

/* ---- ECDSA ---- */

size_t clo_curve_size(clo_curve curve)
{
    return curve == CLO_CURVE_P384 ? 48 : 32;
}

static const char *curve_name(clo_curve curve)
{
    switch (curve) {
    case CLO_CURVE_P256: return "prime256v1";
    case CLO_CURVE_P384: return "secp384r1";
    case CLO_CURVE_SECP256K1: return "secp256k1";
    }
    return NULL;
}

static clo_err ec_pub_key(clo_curve curve, clo_bytes pub, EVP_PKEY **out)
{
    const char *name = curve_name(curve);
    size_t fs = clo_curve_size(curve);
    *out = NULL;
    CLO_ENSURE(name != NULL, CLO_E_UNSUPPORTED, "ecdsa curve");
    CLO_ENSURE((pub.len == 2 * fs + 1 && pub.ptr[0] == 4) ||
                   (pub.len == fs + 1 && (pub.ptr[0] == 2 || pub.ptr[0] == 3)),
               CLO_E_KEY, "ecdsa public key encoding");
    /* OSSL_PARAM wants mutable pointers; hand it copies rather than casting const away. */
    char group[16];
    uint8_t point[2 * 48 + 1];
    snprintf(group, sizeof group, "%s", name);
    memcpy(point, pub.ptr, pub.len);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, pub.len),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    CLO_ENSURE(pc != NULL, CLO_E_NOMEM, "ec key context");
    int ok = EVP_PKEY_fromdata_init(pc) == 1 &&
             EVP_PKEY_fromdata(pc, out, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX_free(pc);
    CLO_ENSURE(ok, CLO_E_KEY, "ecdsa public key is not a curve point");
    return CLO_OK;
}

/* ---- reusable ECDSA public keys ---- */

struct clo_ec_pub {
    EVP_PKEY *pkey;
    EVP_PKEY_CTX *vctx; /* verify context, initialised once; guarded by lock */
    pthread_mutex_t lock;
    clo_curve curve;
};

clo_err clo_ec_pub_new(clo_ec_pub **out, clo_curve curve, clo_bytes pub)
{
    clo_err err = CLO_OK;
    *out = NULL;
    clo_ec_pub *k = calloc(1, sizeof *k);
    CLO_ENSURE(k != NULL, CLO_E_NOMEM, "ecdsa key");
    k->curve = curve;
    if (pthread_mutex_init(&k->lock, NULL) != 0) {
        free(k);
        return CLO_ERR(CLO_E_NOMEM, "ecdsa key lock");
    }
    CLO_CHECK(ec_pub_key(curve, pub, &k->pkey));
    k->vctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    CLO_FAIL_IF(k->vctx == NULL || EVP_PKEY_verify_init(k->vctx) != 1, CLO_E_CRYPTO,
                "ecdsa verify init");
    *out = k;
out:
    if (err.code) clo_ec_pub_free(k);
    return err;
}

EVP_PKEY *clo_ec_pub_evp(const clo_ec_pub *key)
{
    return key->pkey;
}

void clo_ec_pub_free(clo_ec_pub *key)
{
    if (!key) return;
    EVP_PKEY_CTX_free(key->vctx);
    EVP_PKEY_free(key->pkey);
    pthread_mutex_destroy(&key->lock);
    free(key);
}

clo_err clo_ec_pub_verify_der(const clo_ec_pub *ckey, clo_hash_alg hash, clo_bytes msg,
                              clo_bytes der_sig)
{
    clo_ec_pub *key = (clo_ec_pub *)(uintptr_t)ckey; /* the lock is not the key's value */
    uint8_t digest[CLO_HASH_MAX_SIZE];
    CLO_ENSURE(clo_hash_size(hash) != 0, CLO_E_UNSUPPORTED, "ecdsa hash");
    CLO_TRY(clo_hash(hash, msg, digest));
    /* OpenSSL re-encodes the parsed signature and compares it with the input, so
     * BER variants and trailing bytes are rejected. */
    pthread_mutex_lock(&key->lock);
    int rc = EVP_PKEY_verify(key->vctx, der_sig.ptr, der_sig.len, digest, clo_hash_size(hash));
    pthread_mutex_unlock(&key->lock);
    CLO_ENSURE(rc == 1, CLO_E_AUTH, "signature");
    return CLO_OK;
}

clo_err clo_ec_pub_verify_raw(const clo_ec_pub *key, clo_hash_alg hash, clo_bytes msg,
                              clo_bytes sig)
{
    size_t fs = clo_curve_size(key->curve);
    uint8_t der[2 * 48 + 16];
    uint8_t *p = der;
    CLO_ENSURE(sig.len == 2 * fs, CLO_E_AUTH, "ecdsa raw signature length");
    ECDSA_SIG *s = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig.ptr, (int)fs, NULL), *sv = BN_bin2bn(sig.ptr + fs, (int)fs, NULL);
    if (!s || !r || !sv || ECDSA_SIG_set0(s, r, sv) != 1) {
        ECDSA_SIG_free(s);
        BN_free(r);
        BN_free(sv);
        return CLO_ERR(CLO_E_NOMEM, "ecdsa signature");
    }
    int len = i2d_ECDSA_SIG(s, &p);
    ECDSA_SIG_free(s);
    CLO_ENSURE(len > 0 && (size_t)len <= sizeof der, CLO_E_CRYPTO, "ecdsa signature encoding");
    return clo_ec_pub_verify_der(key, hash, msg, CLO_BYTES(der, (size_t)len));
}

/* One-shot forms: a key object for one verification. */
clo_err clo_ecdsa_verify_der(clo_curve curve, clo_hash_alg hash, clo_bytes pub, clo_bytes msg,
                             clo_bytes der_sig)
{
    clo_ec_pub *k;
    CLO_TRY(clo_ec_pub_new(&k, curve, pub));
    clo_err err = clo_ec_pub_verify_der(k, hash, msg, der_sig);
    clo_ec_pub_free(k);
    return err;
}

clo_err clo_ecdsa_verify_raw(clo_curve curve, clo_hash_alg hash, clo_bytes pub, clo_bytes msg,
                             clo_bytes sig)
{
    clo_ec_pub *k;
    CLO_ENSURE(sig.len == 2 * clo_curve_size(curve), CLO_E_AUTH, "ecdsa raw signature length");
    CLO_TRY(clo_ec_pub_new(&k, curve, pub));
    clo_err err = clo_ec_pub_verify_raw(k, hash, msg, sig);
    clo_ec_pub_free(k);
    return err;
}

/* ---- ECDSA signing keys ---- */

struct clo_ec_key {
    EVP_PKEY *pkey;
    clo_curve curve;
};

EVP_PKEY *clo_ec_key_evp(const clo_ec_key *key)
{
    return key->pkey;
}

static clo_err wrap_ec(EVP_PKEY *pk, clo_ec_key **out)
{
    char group[32] = {0};
    size_t glen = 0;
    clo_ec_key *k = calloc(1, sizeof *k);
    if (!k) {
        EVP_PKEY_free(pk);
        return CLO_ERR(CLO_E_NOMEM, "ec key");
    }
    k->pkey = pk;
    if (EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &glen) != 1)
        glen = 0;
    if (strcmp(group, "prime256v1") == 0) {
        k->curve = CLO_CURVE_P256;
    } else if (strcmp(group, "secp384r1") == 0) {
        k->curve = CLO_CURVE_P384;
    } else {
        clo_ec_key_free(k);
        return CLO_ERR(CLO_E_UNSUPPORTED, "ec key: curve is not P-256 or P-384");
    }
    *out = k;
    return CLO_OK;
}

clo_err clo_ec_key_generate(clo_ec_key **out, clo_curve curve)
{
    CLO_ENSURE(curve == CLO_CURVE_P256 || curve == CLO_CURVE_P384, CLO_E_UNSUPPORTED,
               "ec key curve");
    EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve == CLO_CURVE_P256 ? "P-256" : "P-384");
    CLO_ENSURE(pk != NULL, CLO_E_CRYPTO, "ec keygen");
    return wrap_ec(pk, out);
}

clo_err clo_ec_key_load(clo_ec_key **out, clo_bytes der)
{
    const unsigned char *p = der.ptr;
    EVP_PKEY *pk = d2i_AutoPrivateKey_ex(NULL, &p, (long)der.len, NULL, NULL);
    CLO_ENSURE(pk != NULL && p == der.ptr + der.len, CLO_E_KEY, "ec key: not a PKCS#8 private key");
    if (!EVP_PKEY_is_a(pk, "EC")) {
        EVP_PKEY_free(pk);
        return CLO_ERR(CLO_E_KEY, "ec key: not an EC key");
    }
    return wrap_ec(pk, out);
}

clo_err clo_ec_key_save(const clo_ec_key *key, clo_buf *out)
{
    unsigned char *der = NULL;
    int n = i2d_PrivateKey(key->pkey, &der);
    CLO_ENSURE(n > 0, CLO_E_CRYPTO, "ec key: encode");
    clo_err e = clo_buf_append(out, der, (size_t)n);
    OPENSSL_clear_free(der, (size_t)n);
    return e;
}

clo_err clo_ec_key_public(const clo_ec_key *key, uint8_t *out, size_t cap, size_t *len)
{
    unsigned char *enc = NULL;
    size_t n = EVP_PKEY_get1_encoded_public_key(key->pkey, &enc);
    int ok = n > 0 && n <= cap && enc;
    if (ok) memcpy(out, enc, n);
    OPENSSL_free(enc);
    CLO_ENSURE(ok, CLO_E_KEY, "ec key: public key encoding");
    *len = n;
    return CLO_OK;
}

clo_err clo_ec_key_sign(const clo_ec_key *key, clo_hash_alg hash, clo_bytes msg, uint8_t *sig)
{
    unsigned char der[160];
    size_t dlen = sizeof der, fs = clo_curve_size(key->curve);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    CLO_ENSURE(m != NULL, CLO_E_NOMEM, "ec sign");
    int ok = EVP_DigestSignInit_ex(m, NULL, md_name(hash), NULL, NULL, key->pkey, NULL) == 1 &&
             EVP_DigestSign(m, der, &dlen, msg.ptr, msg.len) == 1;
    EVP_MD_CTX_free(m);
    CLO_ENSURE(ok, CLO_E_CRYPTO, "ec sign");
    const unsigned char *p = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
    CLO_ENSURE(s != NULL, CLO_E_CRYPTO, "ec sign: signature encoding");
    ok = BN_bn2binpad(ECDSA_SIG_get0_r(s), sig, (int)fs) == (int)fs &&
         BN_bn2binpad(ECDSA_SIG_get0_s(s), sig + fs, (int)fs) == (int)fs;
    ECDSA_SIG_free(s);
    CLO_ENSURE(ok, CLO_E_CRYPTO, "ec sign: signature encoding");
    return CLO_OK;
}

void clo_ec_key_free(clo_ec_key *key)
{
    if (!key) return;
    EVP_PKEY_free(key->pkey);
    free(key);
}

/* ---- RSA-PSS ---- */

typedef struct {
    const char *md;
    int salt;
} pss_params;

static int pss_tune(EVP_PKEY_CTX *pctx, const void *arg)
{
    const pss_params *p = arg;
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, p->salt) == 1 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, p->md, NULL) == 1;
}

clo_err clo_rsa_pss_verify(clo_bytes spki, clo_hash_alg hash, size_t salt_size, clo_bytes msg,
                           clo_bytes sig)
{
    pss_params pp = {md_name(hash), (int)salt_size};
    const unsigned char *p = spki.ptr;
    CLO_ENSURE(pp.md != NULL, CLO_E_UNSUPPORTED, "rsa-pss hash");
    CLO_ENSURE(salt_size <= 512 && spki.len <= 16384, CLO_E_ARG, "rsa-pss parameters");
    EVP_PKEY *pkey = d2i_PUBKEY_ex(NULL, &p, (long)spki.len, NULL, NULL);
    CLO_ENSURE(pkey != NULL, CLO_E_KEY, "rsa public key");
    clo_err err = CLO_OK;
    if (p != spki.ptr + spki.len)
        err = CLO_ERR(CLO_E_FORMAT, "rsa public key has trailing bytes");
    else if (!EVP_PKEY_is_a(pkey, "RSA") && !EVP_PKEY_is_a(pkey, "RSA-PSS"))
        err = CLO_ERR(CLO_E_KEY, "not an RSA public key");
    else
        err = digest_verify(pkey, pp.md, msg, sig, pss_tune, &pp);
    EVP_PKEY_free(pkey);
    return err;
}
