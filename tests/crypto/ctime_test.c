/* ctime_test.c — secret-independence check under valgrind (the Monocypher /
 * libsecp256k1 habit). Secrets are marked undefined; memcheck then reports any
 * branch or memory index that depends on them. Run by ctest under
 * `valgrind --error-exitcode=42`; without valgrind the marks are no-ops.
 *
 * Covered: constant-time helpers, HMAC and HKDF (SHA-256/384/512), AEAD seal
 * (all three), Keccak-256, hex encoding/decoding of keys, and a whole
 * deterministic reply seal. Not covered
 * here: paths whose control flow legitimately depends on a secret-derived
 * public verdict (a tag check, an all-zero DH result), which would need
 * declassification hooks inside the library. */
#include <stdio.h>
#include <string.h>

#include <valgrind/memcheck.h>

#include "base/ct.h"
#include "base/hex.h"
#include "crypto/aead.h"
#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/keccak.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static int failures;
static void expect(int ok, const char *what)
{
    if (!ok) {
        printf("FAIL %s\n", what);
        failures++;
    }
}

int main(void)
{
    uint8_t a[64], b[64], key[32], msg[300], out[512];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 13);
    memset(a, 7, sizeof a);
    memcpy(b, a, sizeof b);
    memset(key, 0x42, sizeof key);

    SECRET(a, sizeof a);
    SECRET(b, sizeof b);
    int eq = clo_ct_eq(a, b, sizeof a), zero = clo_ct_is_zero(a, sizeof a);
    PUBLIC(&eq, sizeof eq);
    PUBLIC(&zero, sizeof zero);
    expect(eq == 1 && zero == 0, "ct helpers");

    SECRET(key, sizeof key);
    SECRET(msg, sizeof msg);
    for (clo_hash_alg h = CLO_HASH_SHA256; h <= CLO_HASH_SHA512; h++) {
        expect(clo_hmac(h, CLO_BYTES(key, 32), CLO_BYTES(msg, sizeof msg), out).code == CLO_OK_CODE,
               "hmac");
        expect(clo_hkdf(h, CLO_BYTES(msg, 16), CLO_BYTES(key, 32), CLO_BYTES(msg, 20), out, 200)
                       .code == CLO_OK_CODE,
               "hkdf");
    }
    static const clo_aead_alg aeads[] = {CLO_AEAD_AES128GCM, CLO_AEAD_AES256GCM,
                                         CLO_AEAD_CHACHA20POLY1305};
    uint8_t nonce[12] = {1};
    for (int i = 0; i < 3; i++)
        expect(clo_aead_seal(aeads[i], CLO_BYTES(key, clo_aead_key_size(aeads[i])),
                             CLO_BYTES(nonce, 12), CLO_BYTES(msg, 13), CLO_BYTES(msg, sizeof msg),
                             out)
                       .code == CLO_OK_CODE,
               "aead seal");
    clo_keccak256(CLO_BYTES(msg, sizeof msg), out);

    /* Keys pass through hex on the CLI: both directions must be constant time. */
    char hx[65];
    uint8_t back[32];
    clo_hex_encode(hx, CLO_BYTES(key, 32));
    PUBLIC(&hx[64], 1);
    clo_err he = clo_hex_decode_digits(back, hx, 32);
    PUBLIC(&he, sizeof he);
    expect(he.code == CLO_OK_CODE, "hex decode");

    /* A whole reply seal: key schedule, synthetic nonce, AEAD — on a secret reply key and payload.
     */
    clo_envelope_reply_key rk;
    memset(&rk, 0, sizeof rk);
    rk.aead = CLO_HPKE_AEAD_CHACHA20POLY1305;
    memset(rk.secret, 0x5a, sizeof rk.secret);
    SECRET(rk.secret, sizeof rk.secret);
    clo_buf env;
    clo_buf_init(&env, 4096);
    expect(clo_envelope_reply_seal(&env, &rk, CLO_BYTES(msg, 100)).code == CLO_OK_CODE,
           "reply seal");
    clo_buf_free(&env);

    printf("ctime: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
