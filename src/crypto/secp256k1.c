/* secp256k1.c — libsecp256k1 0.2 with the recovery module. */
#include "crypto/secp256k1.h"

#include <pthread.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "base/ct.h"
#include "crypto/keccak.h"
#include "crypto/rand.h"

static secp256k1_context *g_ctx;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void ctx_create(void)
{
    uint8_t seed[32];
    secp256k1_context *c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    /* Blinding for side-channel resistance; without a seed the context still works. */
    if (c && clo_random(seed, sizeof seed).code == CLO_OK_CODE &&
        !secp256k1_context_randomize(c, seed)) {
        /* randomize only fails on an invalid context; signing still works unblinded */
    }
    clo_wipe(seed, sizeof seed);
    g_ctx = c;
}

static const secp256k1_context *ctx(void)
{
    pthread_once(&g_once, ctx_create);
    return g_ctx;
}

clo_err clo_secp256k1_keygen(clo_secret32 *sk)
{
    CLO_ENSURE(ctx() != NULL, CLO_E_CRYPTO, "secp256k1 context");
    for (int tries = 0; tries < 64; tries++) {
        CLO_TRY(clo_random(sk->b, sizeof sk->b));
        if (secp256k1_ec_seckey_verify(ctx(), sk->b)) return CLO_OK;
    }
    clo_wipe(sk, sizeof *sk);
    return CLO_ERR(CLO_E_CRYPTO, "secp256k1 keygen");
}

clo_err clo_secp256k1_pubkey(const clo_secret32 *sk, uint8_t pub[CLO_SECP256K1_PUB_SIZE])
{
    secp256k1_pubkey pk;
    size_t len = CLO_SECP256K1_PUB_SIZE;
    CLO_ENSURE(ctx() != NULL, CLO_E_CRYPTO, "secp256k1 context");
    CLO_ENSURE(secp256k1_ec_pubkey_create(ctx(), &pk, sk->b), CLO_E_KEY, "secp256k1 secret key");
    CLO_ENSURE(secp256k1_ec_pubkey_serialize(ctx(), pub, &len, &pk, SECP256K1_EC_UNCOMPRESSED),
               CLO_E_CRYPTO, "secp256k1 public key");
    return CLO_OK;
}

clo_err clo_secp256k1_sign(const clo_secret32 *sk, const uint8_t digest[32],
                           uint8_t sig[CLO_SECP256K1_SIG_SIZE])
{
    secp256k1_ecdsa_recoverable_signature rs;
    int recid = 0;
    CLO_ENSURE(ctx() != NULL, CLO_E_CRYPTO, "secp256k1 context");
    CLO_ENSURE(secp256k1_ecdsa_sign_recoverable(ctx(), &rs, digest, sk->b, NULL, NULL), CLO_E_KEY,
               "secp256k1 secret key");
    CLO_ENSURE(secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx(), sig, &recid, &rs),
               CLO_E_CRYPTO, "secp256k1 signature");
    sig[64] = (uint8_t)recid;
    return CLO_OK;
}

clo_err clo_secp256k1_recover(const uint8_t digest[32], const uint8_t sig[CLO_SECP256K1_SIG_SIZE],
                              uint8_t pub[CLO_SECP256K1_PUB_SIZE])
{
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_ecdsa_signature plain;
    secp256k1_pubkey pk;
    size_t len = CLO_SECP256K1_PUB_SIZE;
    CLO_ENSURE(ctx() != NULL, CLO_E_CRYPTO, "secp256k1 context");
    CLO_ENSURE(sig[64] <= 3, CLO_E_FORMAT, "secp256k1 recovery id");
    CLO_ENSURE(secp256k1_ecdsa_recoverable_signature_parse_compact(ctx(), &rs, sig, sig[64]),
               CLO_E_FORMAT, "secp256k1 signature encoding (r or s out of range)");
    CLO_ENSURE(secp256k1_ecdsa_recoverable_signature_convert(ctx(), &plain, &rs), CLO_E_CRYPTO,
               "secp256k1 signature");
    /* normalize returns 1 when s was high: that signature is malleable, refuse it (EIP-2). */
    CLO_ENSURE(!secp256k1_ecdsa_signature_normalize(ctx(), NULL, &plain), CLO_E_AUTH,
               "secp256k1 signature has high s");
    CLO_ENSURE(secp256k1_ecdsa_recover(ctx(), &pk, &rs, digest), CLO_E_AUTH, "secp256k1 recovery");
    CLO_ENSURE(secp256k1_ec_pubkey_serialize(ctx(), pub, &len, &pk, SECP256K1_EC_UNCOMPRESSED),
               CLO_E_CRYPTO, "secp256k1 public key");
    return CLO_OK;
}
