/* secp256k1.h — secp256k1 keys on libsecp256k1: recoverable ECDSA over a
 * 32-byte digest and public-key recovery (Ethereum's conventions on top:
 * crypto/ethkey.h).
 *
 * Signatures are 65 bytes r||s||v with v in {0,1} (the recovery id; callers add
 * 27 or the EIP-155 offset themselves). Signing is deterministic (RFC 6979) and
 * always low-S; recovery rejects high-S (malleable) signatures. */
#ifndef CLO_CRYPTO_SECP256K1_H
#define CLO_CRYPTO_SECP256K1_H

#include "base/bytes.h"
#include "base/secret.h"

#define CLO_SECP256K1_SIG_SIZE 65
#define CLO_SECP256K1_PUB_SIZE 65 /* 0x04 || X || Y */

/* A valid secret scalar (1 <= sk < n). */
CLO_MUST_CHECK clo_err clo_secp256k1_keygen(clo_secret32 *sk);
CLO_MUST_CHECK clo_err clo_secp256k1_pubkey(const clo_secret32 *sk,
                                            uint8_t pub[CLO_SECP256K1_PUB_SIZE]);
CLO_MUST_CHECK clo_err clo_secp256k1_sign(const clo_secret32 *sk, const uint8_t digest[32],
                                          uint8_t sig[CLO_SECP256K1_SIG_SIZE]);
CLO_MUST_CHECK clo_err clo_secp256k1_recover(const uint8_t digest[32],
                                             const uint8_t sig[CLO_SECP256K1_SIG_SIZE],
                                             uint8_t pub[CLO_SECP256K1_PUB_SIZE]);
#endif
