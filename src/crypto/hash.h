/* hash.h — SHA-2, HMAC and HKDF (RFC 5869) over OpenSSL 3.0.
 * Sizes are both constants and functions; outputs are caller-allocated. */
#ifndef CLO_CRYPTO_HASH_H
#define CLO_CRYPTO_HASH_H

#include "base/bytes.h"

typedef enum { CLO_HASH_SHA256 = 0, CLO_HASH_SHA384 = 1, CLO_HASH_SHA512 = 2 } clo_hash_alg;

#define CLO_SHA256_SIZE   32
#define CLO_SHA384_SIZE   48
#define CLO_SHA512_SIZE   64
#define CLO_HASH_MAX_SIZE 64

/* Output size in bytes, 0 for an unknown algorithm. */
size_t clo_hash_size(clo_hash_alg alg);

CLO_MUST_CHECK clo_err clo_hash(clo_hash_alg alg, clo_bytes in, uint8_t *out);
CLO_MUST_CHECK clo_err clo_sha256(clo_bytes in, uint8_t out[CLO_SHA256_SIZE]);

/* Streaming hash. init allocates; final (or wipe, on an error path) releases. */
typedef struct {
    void *md_ctx;
    clo_hash_alg alg;
} clo_hash_ctx;
CLO_MUST_CHECK clo_err clo_hash_init(clo_hash_ctx *ctx, clo_hash_alg alg);
CLO_MUST_CHECK clo_err clo_hash_update(clo_hash_ctx *ctx, clo_bytes in);
CLO_MUST_CHECK clo_err clo_hash_final(clo_hash_ctx *ctx, uint8_t *out);
void clo_hash_wipe(clo_hash_ctx *ctx);

/* Streaming HMAC with any number of update calls. Caller-allocated; holds key
 * material: final() wipes it, and so does clo_hmac_wipe() on an error path. */
#define CLO_HMAC_STATE_SIZE 224
typedef struct {
    _Alignas(16) uint8_t state[2][CLO_HMAC_STATE_SIZE]; /* inner, outer hash states */
    clo_hash_alg alg;
    int ready;
} clo_hmac_ctx;
CLO_MUST_CHECK clo_err clo_hmac_init(clo_hmac_ctx *ctx, clo_hash_alg alg, clo_bytes key);
CLO_MUST_CHECK clo_err clo_hmac_update(clo_hmac_ctx *ctx, clo_bytes in);
CLO_MUST_CHECK clo_err clo_hmac_final(clo_hmac_ctx *ctx, uint8_t *out);
void clo_hmac_wipe(clo_hmac_ctx *ctx);
CLO_MUST_CHECK clo_err clo_hmac(clo_hash_alg alg, clo_bytes key, clo_bytes msg, uint8_t *out);

/* HKDF. Extract writes clo_hash_size(alg) bytes. Expand writes out_size bytes,
 * at most 255 * clo_hash_size(alg) (CLO_E_LIMIT past that). The _parts forms take
 * the input keying material / info as a list of pieces that are concatenated. */
CLO_MUST_CHECK clo_err clo_hkdf_extract(clo_hash_alg alg, clo_bytes salt, clo_bytes ikm,
                                        uint8_t *prk);
CLO_MUST_CHECK clo_err clo_hkdf_expand(clo_hash_alg alg, clo_bytes prk, clo_bytes info,
                                       uint8_t *out, size_t out_size);
CLO_MUST_CHECK clo_err clo_hkdf(clo_hash_alg alg, clo_bytes salt, clo_bytes ikm, clo_bytes info,
                                uint8_t *out, size_t out_size);
CLO_MUST_CHECK clo_err clo_hkdf_extract_parts(clo_hash_alg alg, clo_bytes salt,
                                              const clo_bytes *ikm, size_t count, uint8_t *prk);
CLO_MUST_CHECK clo_err clo_hkdf_expand_parts(clo_hash_alg alg, clo_bytes prk, const clo_bytes *info,
                                             size_t count, uint8_t *out, size_t out_size);

#endif
