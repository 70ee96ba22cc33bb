/* hpke.h — Hybrid Public Key Encryption, RFC 9180.
 *
 * KEM DHKEM(X25519, HKDF-SHA256) (0x0020); KDF HKDF-SHA256 (0x0001); AEADs
 * AES-128-GCM (1), AES-256-GCM (2), ChaCha20-Poly1305 (3) and export-only
 * (0xFFFF). Modes base, psk, auth and auth_psk. A context seals or opens a
 * sequence of messages (nonce = base_nonce XOR seq) and exports secrets.
 *
 * Contexts are caller-allocated and hold secrets: clo_hpke_ctx_wipe() them.
 * Keys are clo_x25519_key objects (crypto/sig.h). Limits: info, psk, psk_id and
 * exporter contexts are at most CLO_HPKE_MAX_INPUT bytes; a PSK has >= 32 bytes. */
#ifndef CLO_CRYPTO_HPKE_H
#define CLO_CRYPTO_HPKE_H

#include "base/bytes.h"
#include "crypto/aead.h"
#include "crypto/sig.h"

#define CLO_HPKE_KEM_X25519_SHA256     0x0020
#define CLO_HPKE_KDF_HKDF_SHA256       0x0001
#define CLO_HPKE_AEAD_AES128GCM        0x0001
#define CLO_HPKE_AEAD_AES256GCM        0x0002
#define CLO_HPKE_AEAD_CHACHA20POLY1305 0x0003
#define CLO_HPKE_AEAD_EXPORT_ONLY      0xFFFF

#define CLO_HPKE_ENC_SIZE              32 /* Nenc of DHKEM(X25519) */
#define CLO_HPKE_PK_SIZE               32
#define CLO_HPKE_SK_SIZE               32
#define CLO_HPKE_TAG_SIZE              16
#define CLO_HPKE_MIN_PSK_SIZE          32
#define CLO_HPKE_MAX_INPUT             65536

typedef struct {
    uint16_t kem, kdf, aead;
} clo_hpke_suite;

typedef enum {
    CLO_HPKE_MODE_BASE = 0,
    CLO_HPKE_MODE_PSK = 1,
    CLO_HPKE_MODE_AUTH = 2,
    CLO_HPKE_MODE_AUTH_PSK = 3,
} clo_hpke_mode;

/* Mode inputs. A NULL clo_hpke_opts* means base mode. */
typedef struct {
    clo_hpke_mode mode;
    clo_bytes psk, psk_id;            /* psk modes only */
    const clo_x25519_key *sender_key; /* auth modes, sender side */
    const uint8_t *sender_pk;         /* auth modes, receiver side (32 bytes) */
} clo_hpke_opts;

typedef struct {
    clo_hpke_suite suite;
    uint8_t key[CLO_AEAD_MAX_KEY_SIZE];
    uint8_t base_nonce[CLO_AEAD_NONCE_SIZE];
    uint8_t exporter_secret[32];
    uint64_t seq;
    int ready; /* 0 once wiped or after a failed setup */
} clo_hpke_ctx;

/* CLO_OK for a suite this build implements, CLO_E_UNSUPPORTED otherwise. */
CLO_MUST_CHECK clo_err clo_hpke_suite_check(clo_hpke_suite suite);
/* Names: "x25519-sha256-aes128gcm", "x25519-sha256-aes256gcm",
 * "x25519-sha256-chacha20poly1305", "x25519-sha256-exportonly". */
CLO_MUST_CHECK clo_err clo_hpke_suite_from_name(const char *name, clo_hpke_suite *out);
const char *clo_hpke_suite_name(clo_hpke_suite suite);

/* DeriveKeyPair(ikm) of RFC 9180 §7.1.3; ikm must have at least 32 bytes. */
CLO_MUST_CHECK clo_err clo_hpke_derive_keypair(clo_hpke_suite suite, clo_bytes ikm,
                                               clo_x25519_key **out);

/* Sender set-up with a fresh ephemeral key; writes enc (32 bytes). */
CLO_MUST_CHECK clo_err clo_hpke_setup_sender(clo_hpke_ctx *ctx, clo_hpke_suite suite,
                                             const uint8_t pk_r[CLO_HPKE_PK_SIZE], clo_bytes info,
                                             const clo_hpke_opts *opts,
                                             uint8_t enc[CLO_HPKE_ENC_SIZE]);
/* The same with a caller-chosen ephemeral key: for test vectors and deterministic
 * constructions only. Reusing an ephemeral key for two messages breaks HPKE. */
CLO_MUST_CHECK clo_err clo_hpke_setup_sender_with(clo_hpke_ctx *ctx, clo_hpke_suite suite,
                                                  const clo_x25519_key *eph,
                                                  const uint8_t pk_r[CLO_HPKE_PK_SIZE],
                                                  clo_bytes info, const clo_hpke_opts *opts,
                                                  uint8_t enc[CLO_HPKE_ENC_SIZE]);
CLO_MUST_CHECK clo_err clo_hpke_setup_receiver(clo_hpke_ctx *ctx, clo_hpke_suite suite,
                                               const clo_x25519_key *sk_r,
                                               const uint8_t enc[CLO_HPKE_ENC_SIZE], clo_bytes info,
                                               const clo_hpke_opts *opts);

/* Seal writes pt.len + 16 bytes; open writes ct.len - 16 bytes. Each success
 * advances the sequence number; a failed open does not (RFC 9180 §5.2). */
CLO_MUST_CHECK clo_err clo_hpke_seal(clo_hpke_ctx *ctx, clo_bytes aad, clo_bytes pt, uint8_t *out);
CLO_MUST_CHECK clo_err clo_hpke_open(clo_hpke_ctx *ctx, clo_bytes aad, clo_bytes ct, uint8_t *out);
/* Secret export (RFC 9180 §5.3): out_size <= 255 * 32. */
CLO_MUST_CHECK clo_err clo_hpke_export(const clo_hpke_ctx *ctx, clo_bytes exporter_context,
                                       uint8_t *out, size_t out_size);
void clo_hpke_ctx_wipe(clo_hpke_ctx *ctx);

/* Single-shot base mode. */
CLO_MUST_CHECK clo_err clo_hpke_seal_base(clo_hpke_suite suite,
                                          const uint8_t pk_r[CLO_HPKE_PK_SIZE], clo_bytes info,
                                          clo_bytes aad, clo_bytes pt,
                                          uint8_t enc[CLO_HPKE_ENC_SIZE], uint8_t *ct);
CLO_MUST_CHECK clo_err clo_hpke_open_base(clo_hpke_suite suite, const clo_x25519_key *sk_r,
                                          const uint8_t enc[CLO_HPKE_ENC_SIZE], clo_bytes info,
                                          clo_bytes aad, clo_bytes ct, uint8_t *pt);

#endif
