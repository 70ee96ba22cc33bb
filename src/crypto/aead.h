/* aead.h — AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305 (RFC 8439).
 * Algorithm values equal the HPKE AEAD ids. Nonces are 12 bytes, tags 16 bytes,
 * appended to the ciphertext. Open checks the tag and, on any failure, wipes the
 * output and returns CLO_E_AUTH. */
#ifndef CLO_CRYPTO_AEAD_H
#define CLO_CRYPTO_AEAD_H

#include "base/bytes.h"

typedef enum {
    CLO_AEAD_AES128GCM = 1,
    CLO_AEAD_AES256GCM = 2,
    CLO_AEAD_CHACHA20POLY1305 = 3,
} clo_aead_alg;

#define CLO_AEAD_NONCE_SIZE   12
#define CLO_AEAD_TAG_SIZE     16
#define CLO_AEAD_MAX_KEY_SIZE 32
#define CLO_AEAD_MAX_INPUT    ((size_t)1 << 30) /* per call; far below every AEAD's own limit */

/* Key size in bytes, 0 for an unknown algorithm. */
size_t clo_aead_key_size(clo_aead_alg alg);

/* out receives pt.len + CLO_AEAD_TAG_SIZE bytes. key and nonce lengths are checked. */
CLO_MUST_CHECK clo_err clo_aead_seal(clo_aead_alg alg, clo_bytes key, clo_bytes nonce,
                                     clo_bytes aad, clo_bytes pt, uint8_t *out);
/* out receives ct.len - CLO_AEAD_TAG_SIZE bytes (ct includes the tag). */
CLO_MUST_CHECK clo_err clo_aead_open(clo_aead_alg alg, clo_bytes key, clo_bytes nonce,
                                     clo_bytes aad, clo_bytes ct, uint8_t *out);

#endif
