/* aead.c — AEADs on OpenSSL EVP with ciphers fetched once. */
#include "crypto/aead.h"

#include <openssl/evp.h>

#include "base/ct.h"
#include "crypto/ossl.h"

size_t clo_aead_key_size(clo_aead_alg alg)
{
    switch (alg) {
    case CLO_AEAD_AES128GCM: return 16;
    case CLO_AEAD_AES256GCM: return 32;
    case CLO_AEAD_CHACHA20POLY1305: return 32;
    }
    return 0;
}

static clo_err check_args(clo_aead_alg alg, clo_bytes key, clo_bytes nonce, clo_bytes aad,
                          size_t in_len, const EVP_CIPHER **cipher)
{
    const clo_ossl_algs *a = clo_ossl();
    size_t ks = clo_aead_key_size(alg);
    CLO_ENSURE(ks != 0, CLO_E_UNSUPPORTED, "aead algorithm");
    CLO_ENSURE(a != NULL, CLO_E_CRYPTO, "aead cipher fetch");
    CLO_ENSURE(key.len == ks, CLO_E_ARG, "aead key size");
    CLO_ENSURE(nonce.len == CLO_AEAD_NONCE_SIZE, CLO_E_ARG, "aead nonce size");
    CLO_ENSURE(in_len <= CLO_AEAD_MAX_INPUT && aad.len <= CLO_AEAD_MAX_INPUT, CLO_E_LIMIT,
               "aead input size");
    *cipher = a->cipher[alg];
    return CLO_OK;
}

clo_err clo_aead_seal(clo_aead_alg alg, clo_bytes key, clo_bytes nonce, clo_bytes aad, clo_bytes pt,
                      uint8_t *out)
{
    const EVP_CIPHER *cipher;
    int n = 0;
    CLO_TRY(check_args(alg, key, nonce, aad, pt.len, &cipher));
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    CLO_ENSURE(c != NULL, CLO_E_NOMEM, "aead context");
    int ok = EVP_EncryptInit_ex2(c, cipher, key.ptr, nonce.ptr, NULL) == 1 &&
             (aad.len == 0 || EVP_EncryptUpdate(c, NULL, &n, aad.ptr, (int)aad.len) == 1) &&
             (pt.len == 0 || EVP_EncryptUpdate(c, out, &n, pt.ptr, (int)pt.len) == 1) &&
             EVP_EncryptFinal_ex(c, out + pt.len, &n) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, CLO_AEAD_TAG_SIZE, out + pt.len) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        clo_wipe(out, pt.len + CLO_AEAD_TAG_SIZE);
        return CLO_ERR(CLO_E_CRYPTO, "aead seal");
    }
    return CLO_OK;
}

clo_err clo_aead_open(clo_aead_alg alg, clo_bytes key, clo_bytes nonce, clo_bytes aad, clo_bytes ct,
                      uint8_t *out)
{
    const EVP_CIPHER *cipher;
    uint8_t tag[CLO_AEAD_TAG_SIZE];
    int n = 0;
    CLO_TRY(check_args(alg, key, nonce, aad, ct.len, &cipher));
    CLO_ENSURE(ct.len >= CLO_AEAD_TAG_SIZE, CLO_E_AUTH, "aead ciphertext shorter than its tag");
    size_t body = ct.len - CLO_AEAD_TAG_SIZE;
    /* The tag is copied so the ctrl call cannot be handed a pointer into caller memory it might
     * mutate. */
    for (size_t i = 0; i < CLO_AEAD_TAG_SIZE; i++) tag[i] = ct.ptr[body + i];
    /* AEAD finals write nothing; an empty open may be given out == NULL. */
    uint8_t unused, *fin = body ? out + body : &unused;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    CLO_ENSURE(c != NULL, CLO_E_NOMEM, "aead context");
    int ok = EVP_DecryptInit_ex2(c, cipher, key.ptr, nonce.ptr, NULL) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, CLO_AEAD_TAG_SIZE, tag) == 1 &&
             (aad.len == 0 || EVP_DecryptUpdate(c, NULL, &n, aad.ptr, (int)aad.len) == 1) &&
             (body == 0 || EVP_DecryptUpdate(c, out, &n, ct.ptr, (int)body) == 1) &&
             EVP_DecryptFinal_ex(c, fin, &n) == 1;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        clo_wipe(out, body); /* never release unauthenticated plaintext */
        return CLO_ERR(CLO_E_AUTH, "aead tag");
    }
    return CLO_OK;
}
