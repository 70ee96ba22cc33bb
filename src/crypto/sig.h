/* sig.h — X25519 and signature verification: Ed25519 (RFC 8032), ECDSA over
 * P-256, P-384 and secp256k1 (DER or raw r||s), RSA-PSS (RFC 8017).
 *
 * Every verify returns CLO_OK only for a valid signature; an invalid signature
 * is CLO_E_AUTH, an unusable public key CLO_E_KEY, a malformed argument
 * CLO_E_FORMAT/CLO_E_ARG. DER signatures must be strict DER (no BER, no
 * trailing bytes). */
#ifndef CLO_CRYPTO_SIG_H
#define CLO_CRYPTO_SIG_H

#include "base/bytes.h"
#include "crypto/hash.h"

/* ---- X25519 (RFC 7748) ---- */
#define CLO_X25519_SIZE 32

/* A private key with its public key and a cached OpenSSL object, so repeated
 * DH with one long-lived key does not redo the key set-up. Heap-owned. */
typedef struct clo_x25519_key clo_x25519_key;

/* A long-lived key from sk (32 bytes), or a fresh random one when sk is NULL,
 * held in mlocked secret memory. Safe to use from several threads. */
CLO_MUST_CHECK clo_err clo_x25519_key_new(clo_x25519_key **out, const uint8_t *sk);
/* A fresh random key for one exchange (an HPKE ephemeral): ordinary memory,
 * wiped on free; no mlock system calls, which would cost more than the DH. */
CLO_MUST_CHECK clo_err clo_x25519_key_ephemeral(clo_x25519_key **out);
void clo_x25519_key_free(clo_x25519_key *key);
const uint8_t *clo_x25519_key_public(const clo_x25519_key *key); /* 32 bytes, borrowed */
/* Copy the private scalar out (for sealing/backup). The caller wipes it. */
void clo_x25519_key_private(const clo_x25519_key *key, uint8_t sk[CLO_X25519_SIZE]);
/* DH(key, peer). Rejects an all-zero shared secret (a low-order peer point) with CLO_E_KEY. */
CLO_MUST_CHECK clo_err clo_x25519_key_dh(const clo_x25519_key *key,
                                         const uint8_t peer[CLO_X25519_SIZE],
                                         uint8_t out[CLO_X25519_SIZE]);
/* One-shot X25519(sk, pk) with the same all-zero check. */
CLO_MUST_CHECK clo_err clo_x25519(uint8_t out[CLO_X25519_SIZE], const uint8_t sk[CLO_X25519_SIZE],
                                  const uint8_t pk[CLO_X25519_SIZE]);

/* ---- Ed25519 ---- */
CLO_MUST_CHECK clo_err clo_ed25519_verify(const uint8_t pk[32], clo_bytes msg,
                                          const uint8_t sig[64]);

/* ---- ECDSA ---- */
typedef enum { CLO_CURVE_P256, CLO_CURVE_P384, CLO_CURVE_SECP256K1 } clo_curve;

/* Field/scalar size in bytes (32 or 48). */
size_t clo_curve_size(clo_curve curve);

/* pub is a SEC1 point (0x04||X||Y, or compressed). msg is hashed with `hash`. */
CLO_MUST_CHECK clo_err clo_ecdsa_verify_der(clo_curve curve, clo_hash_alg hash, clo_bytes pub,
                                            clo_bytes msg, clo_bytes der_sig);
/* sig is r||s, each exactly clo_curve_size(curve) bytes (IEEE P1363). */
CLO_MUST_CHECK clo_err clo_ecdsa_verify_raw(clo_curve curve, clo_hash_alg hash, clo_bytes pub,
                                            clo_bytes msg, clo_bytes sig);

/* A public key set up once for many verifications (warm attestation paths):
 * creating the OpenSSL key and context costs more than the verification. */
typedef struct clo_ec_pub clo_ec_pub;
CLO_MUST_CHECK clo_err clo_ec_pub_new(clo_ec_pub **out, clo_curve curve, clo_bytes pub);
void clo_ec_pub_free(clo_ec_pub *key);
CLO_MUST_CHECK clo_err clo_ec_pub_verify_der(const clo_ec_pub *key, clo_hash_alg hash,
                                             clo_bytes msg, clo_bytes der_sig);
CLO_MUST_CHECK clo_err clo_ec_pub_verify_raw(const clo_ec_pub *key, clo_hash_alg hash,
                                             clo_bytes msg, clo_bytes sig);

/* ---- ECDSA signing keys (P-256/P-384; the simulated TEE's CAs and QE) ---- */
typedef struct clo_ec_key clo_ec_key;

CLO_MUST_CHECK clo_err clo_ec_key_generate(clo_ec_key **out, clo_curve curve);
/* Load / save a private key as PKCS#8 DER. The saved bytes are secret. */
CLO_MUST_CHECK clo_err clo_ec_key_load(clo_ec_key **out, clo_bytes pkcs8_der);
CLO_MUST_CHECK clo_err clo_ec_key_save(const clo_ec_key *key, clo_buf *out);
/* The public key as an uncompressed SEC1 point. */
CLO_MUST_CHECK clo_err clo_ec_key_public(const clo_ec_key *key, uint8_t *out, size_t cap,
                                         size_t *len);
/* Sign msg (hashed with `hash`); sig receives r||s, 2 * clo_curve_size bytes. */
CLO_MUST_CHECK clo_err clo_ec_key_sign(const clo_ec_key *key, clo_hash_alg hash, clo_bytes msg,
                                       uint8_t *sig);
void clo_ec_key_free(clo_ec_key *key);

/* ---- RSA-PSS ---- */
/* spki is a DER SubjectPublicKeyInfo (rsaEncryption or RSASSA-PSS). MGF1 uses `hash`. */
CLO_MUST_CHECK clo_err clo_rsa_pss_verify(clo_bytes spki, clo_hash_alg hash, size_t salt_size,
                                          clo_bytes msg, clo_bytes sig);

#endif
