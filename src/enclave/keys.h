/* keys.h — enclave epoch keys (docs/architecture.md §4), trusted side.
 *
 * Each epoch has an HPKE X25519 key (requests are sealed to it) and a secp256k1
 * signer (results are signed by it), generated inside the enclave and held in
 * mlocked secret memory. Rotation makes a new current epoch; the previous ones
 * keep working until `retire_at` = rotation time + grace, and clo_keyring_expire
 * then wipes their private keys. A request for a wiped epoch is CLO_E_STALE
 * "epoch expired"; one for an epoch never issued is CLO_E_STALE "epoch unknown".
 * Epoch numbers start at 1 and only grow, also across restarts (sealed state).
 *
 * The keyring owns its keys; clo_keyring_wipe releases them. Not thread-safe:
 * the enclave serves one call at a time. */
#ifndef CLO_ENCLAVE_KEYS_H
#define CLO_ENCLAVE_KEYS_H

#include "base/bytes.h"
#include "base/secret.h"
#include "crypto/sig.h"

#define CLO_KEYS_MAX_EPOCHS 8

typedef struct {
    uint32_t epoch;
    int64_t created, retire_at; /* retire_at == 0 while current */
    clo_x25519_key *hpke;
    clo_secret32 *signer; /* secret memory */
    uint8_t hpke_pk[32], signer_addr[20];
} clo_epoch;

typedef struct {
    clo_epoch e[CLO_KEYS_MAX_EPOCHS]; /* oldest first; e[count-1] is current */
    size_t count;
    uint32_t last_epoch; /* highest epoch ever issued */
    uint32_t grace_seconds;
} clo_keyring;

void clo_keyring_init(clo_keyring *k, uint32_t grace_seconds);
/* New current epoch; the old current one retires at now + grace. CLO_E_LIMIT if
 * CLO_KEYS_MAX_EPOCHS epochs are still within their grace period. */
CLO_MUST_CHECK clo_err clo_keyring_rotate(clo_keyring *k, int64_t now);
/* Wipe every retired epoch whose grace period has ended. */
void clo_keyring_expire(clo_keyring *k, int64_t now);
const clo_epoch *clo_keyring_current(const clo_keyring *k); /* NULL before the first rotate */
CLO_MUST_CHECK clo_err clo_keyring_find(const clo_keyring *k, uint32_t epoch,
                                        const clo_epoch **out);
void clo_keyring_wipe(clo_keyring *k);

/* Serialise for sealed state (secret bytes; the caller seals and wipes them):
 *   u32 last_epoch | u8 count | count x (u32 epoch | i64 created | i64 retire_at
 *                                          | hpke sk[32] | signer sk[32]) */
CLO_MUST_CHECK clo_err clo_keyring_encode(const clo_keyring *k, clo_buf *out);
/* Replace k's contents (grace kept) with the decoded keyring; k is unchanged on failure. */
CLO_MUST_CHECK clo_err clo_keyring_decode(clo_keyring *k, clo_cur *c);
/* What one enclave hands another of the same measurement (issue 21): the
 * epochs' HPKE keys, never the signers (each enclave signs with its own, so
 * that two honest ones never look like one equivocating):
 *   u32 last_epoch | u8 count | count x (u32 epoch | i64 created | i64 retire_at | hpke sk[32]) */
CLO_MUST_CHECK clo_err clo_keyring_encode_shared(const clo_keyring *k, clo_buf *out);
/* Take a shared set into k, fresh or not: k's epochs must be the giver's
 * (each one the giver still holds has the same HPKE key; any other is older
 * than all of the giver's), and the set no older than k. The epochs k holds
 * keep their signers (their registry records stay good); the others get fresh
 * ones; retire times follow the giver. The whole cursor must be the set. k
 * is unchanged on failure. */
CLO_MUST_CHECK clo_err clo_keyring_take_shared(clo_keyring *k, clo_cur *c);

#endif
