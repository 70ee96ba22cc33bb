/* fuzz_keys.h — fixed keys and bindings shared by the harnesses and the seed
 * generator, so generated seeds open and the fuzzer starts from deep inside. */
#ifndef CLO_FUZZ_KEYS_H
#define CLO_FUZZ_KEYS_H

#include <string.h>

#include "crypto/envelope.h"

static inline clo_x25519_key *fuzz_key(const char *label)
{
    uint8_t ikm[32] = {0};
    clo_x25519_key *k = NULL;
    size_t n = strlen(label);
    memcpy(ikm, label, n < sizeof ikm ? n : sizeof ikm);
    clo_hpke_suite s = {CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256,
                        CLO_HPKE_AEAD_AES128GCM};
    if (clo_hpke_derive_keypair(s, CLO_BYTES(ikm, sizeof ikm), &k).code) return NULL;
    return k;
}

static inline clo_envelope_binding fuzz_binding(void)
{
    clo_envelope_binding b = {.chain_id = 31337, .epoch = 5};
    memset(b.contract, 0xcc, sizeof b.contract);
    memset(b.job_id, 0x11, sizeof b.job_id);
    memset(b.workload_id, 0x22, sizeof b.workload_id);
    return b;
}

/* The reply key a request sealed to fuzz_key("enclave") with fuzz_binding() yields is
 * random per seal; the reply harness uses this fixed one instead. */
static inline clo_envelope_reply_key fuzz_reply_key(void)
{
    clo_envelope_reply_key rk;
    memset(rk.secret, 0x5a, sizeof rk.secret);
    memset(rk.job_id, 0x11, sizeof rk.job_id);
    rk.aead = CLO_HPKE_AEAD_CHACHA20POLY1305;
    return rk;
}

#endif
