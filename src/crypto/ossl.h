/* ossl.h — PRIVATE to src/crypto: OpenSSL algorithm objects fetched once.
 *
 * OpenSSL 3 resolves an algorithm name through its provider tables on every
 * implicit fetch; fetching once and reusing the objects is what keeps HPKE
 * close to the cost of its X25519 operations. The objects are process-wide,
 * created on first use (pthread_once) and never freed. */
#ifndef CLO_CRYPTO_OSSL_H
#define CLO_CRYPTO_OSSL_H

#include <openssl/evp.h>

#include "crypto/hash.h"

typedef struct {
    EVP_MD *md[3];         /* indexed by clo_hash_alg */
    EVP_CIPHER *cipher[4]; /* indexed by clo_aead_alg (1..3) */
} clo_ossl_algs;

/* The fetched algorithms, or NULL if OpenSSL could not provide them. */
const clo_ossl_algs *clo_ossl(void);

/* The OpenSSL key inside a signing key (borrowed), for certificate creation. */
#include "crypto/sig.h"
EVP_PKEY *clo_ec_key_evp(const clo_ec_key *key);
EVP_PKEY *clo_ec_pub_evp(const clo_ec_pub *key);

#endif
