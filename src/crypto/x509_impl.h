/* x509_impl.h — the certificate and CRL structures, private to src/crypto
 * (x509.c parses and queries, x509_crl.c checks CRLs, x509_create.c makes
 * certificates for the simulated TEE). */
#ifndef CLO_CRYPTO_X509_IMPL_H
#define CLO_CRYPTO_X509_IMPL_H

#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crypto/sig.h"
#include "crypto/x509.h"

#define MAX_EXT          24
#define KEY_EC_P256      1
#define KEY_EC_P384      2
#define KEY_RSA          3
#define SIG_ECDSA        1
#define SIG_RSA_PSS      2
#define KU_BIT_CERT_SIGN 5 /* keyUsage bit numbers (RFC 5280 §4.2.1.3) */
#define KU_BIT_CRL_SIGN  6

struct clo_x509 {
    clo_buf der;
    clo_bytes tbs, sig_alg, sig, serial, issuer, subject, spki, key;
    int key_kind, sig_kind;
    clo_hash_alg sig_hash;
    size_t pss_salt;
    int64_t not_before, not_after;
    int is_ca, has_ku;
    uint8_t ku[2];
    struct {
        clo_bytes oid, value;
        int critical;
    } ext[MAX_EXT];
    size_t next;
    /* built on first use, guarded by lock: certificates may be shared by threads */
    pthread_mutex_t lock;
    clo_ec_pub *ec;
    EVP_PKEY *pkey;
};

struct clo_x509_crl {
    X509_CRL *c;
    clo_buf issuer; /* DER of the issuer Name, as encoded in the CRL */
};

/* The certificate's keys, built on first use (under its lock). */
CLO_MUST_CHECK clo_err clo_x509i_ec_key(const clo_x509 *cc, const clo_ec_pub **out);
CLO_MUST_CHECK clo_err clo_x509i_evp_key(const clo_x509 *cc, EVP_PKEY **out);
/* keyUsage bit set (or no keyUsage extension at all). */
int clo_x509i_ku_has(const clo_x509 *c, int bit);

#endif
