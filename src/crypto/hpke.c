/* hpke.c — RFC 9180 on OpenSSL primitives (OpenSSL 3.0 has no HPKE).
 * Section numbers below refer to RFC 9180. */
#include "crypto/hpke.h"

#include <string.h>

#include "base/ct.h"

#define NH 32 /* HKDF-SHA256 output size */

static const uint8_t k_version[] = {'H', 'P', 'K', 'E', '-', 'v', '1'};

typedef struct {
    uint8_t id[10];
    size_t len;
} suite_id;

static suite_id kem_suite_id(void)
{
    suite_id s = {{'K', 'E', 'M', 0x00, 0x20}, 5};
    return s;
}

static suite_id hpke_suite_id(clo_hpke_suite su)
{
    suite_id s = {{'H', 'P', 'K', 'E'}, 10};
    clo_store_u16be(s.id + 4, su.kem);
    clo_store_u16be(s.id + 6, su.kdf);
    clo_store_u16be(s.id + 8, su.aead);
    return s;
}

/* §4: LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm) */
static clo_err labeled_extract(const suite_id *sid, clo_bytes salt, const char *label,
                               clo_bytes ikm, uint8_t prk[NH])
{
    clo_bytes parts[4] = {CLO_BYTES(k_version, sizeof k_version), CLO_BYTES(sid->id, sid->len),
                          clo_bytes_str(label), ikm};
    return clo_hkdf_extract_parts(CLO_HASH_SHA256, salt, parts, 4, prk);
}

/* LabeledExpand(prk, label, info, L) = Expand(prk, I2OSP(L,2) || "HPKE-v1" || suite_id || label ||
 * info, L) */
static clo_err labeled_expand(const suite_id *sid, const uint8_t prk[NH], const char *label,
                              clo_bytes info, uint8_t *out, size_t len)
{
    uint8_t l2[2];
    CLO_ENSURE(len <= 0xffff, CLO_E_LIMIT, "hpke expand length");
    clo_store_u16be(l2, (uint16_t)len);
    clo_bytes parts[5] = {CLO_BYTES(l2, 2), CLO_BYTES(k_version, sizeof k_version),
                          CLO_BYTES(sid->id, sid->len), clo_bytes_str(label), info};
    return clo_hkdf_expand_parts(CLO_HASH_SHA256, CLO_BYTES(prk, NH), parts, 5, out, len);
}

static size_t aead_nk(uint16_t aead)
{
    return aead == CLO_HPKE_AEAD_EXPORT_ONLY ? 0 : clo_aead_key_size((clo_aead_alg)aead);
}

clo_err clo_hpke_suite_check(clo_hpke_suite s)
{
    CLO_ENSURE(s.kem == CLO_HPKE_KEM_X25519_SHA256, CLO_E_UNSUPPORTED, "hpke kem");
    CLO_ENSURE(s.kdf == CLO_HPKE_KDF_HKDF_SHA256, CLO_E_UNSUPPORTED, "hpke kdf");
    CLO_ENSURE(s.aead == CLO_HPKE_AEAD_EXPORT_ONLY || aead_nk(s.aead) != 0, CLO_E_UNSUPPORTED,
               "hpke aead");
    return CLO_OK;
}

static const struct {
    const char *name;
    uint16_t aead;
} k_suite_names[] = {
    {"x25519-sha256-aes128gcm", CLO_HPKE_AEAD_AES128GCM},
    {"x25519-sha256-aes256gcm", CLO_HPKE_AEAD_AES256GCM},
    {"x25519-sha256-chacha20poly1305", CLO_HPKE_AEAD_CHACHA20POLY1305},
    {"x25519-sha256-exportonly", CLO_HPKE_AEAD_EXPORT_ONLY},
};

clo_err clo_hpke_suite_from_name(const char *name, clo_hpke_suite *out)
{
    for (size_t i = 0; name && i < sizeof k_suite_names / sizeof k_suite_names[0]; i++) {
        if (strcmp(name, k_suite_names[i].name) == 0) {
            *out = (clo_hpke_suite){CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256,
                                    k_suite_names[i].aead};
            return CLO_OK;
        }
    }
    return CLO_ERR(CLO_E_UNSUPPORTED, "hpke suite name");
}

const char *clo_hpke_suite_name(clo_hpke_suite s)
{
    if (clo_hpke_suite_check(s).code) return NULL;
    for (size_t i = 0; i < sizeof k_suite_names / sizeof k_suite_names[0]; i++)
        if (k_suite_names[i].aead == s.aead) return k_suite_names[i].name;
    return NULL;
}

/* §7.1.3 DeriveKeyPair for X25519. */
clo_err clo_hpke_derive_keypair(clo_hpke_suite suite, clo_bytes ikm, clo_x25519_key **out)
{
    suite_id sid = kem_suite_id();
    uint8_t prk[NH], sk[CLO_HPKE_SK_SIZE];
    clo_err err = CLO_OK;
    *out = NULL;
    CLO_TRY(clo_hpke_suite_check(suite));
    CLO_ENSURE(ikm.len >= CLO_HPKE_SK_SIZE && ikm.len <= CLO_HPKE_MAX_INPUT, CLO_E_ARG,
               "hpke ikm size");
    CLO_CHECK(labeled_extract(&sid, CLO_BYTES_EMPTY, "dkp_prk", ikm, prk));
    CLO_CHECK(labeled_expand(&sid, prk, "sk", CLO_BYTES_EMPTY, sk, sizeof sk));
    CLO_CHECK(clo_x25519_key_new(out, sk));
out:
    clo_wipe(prk, sizeof prk);
    clo_wipe(sk, sizeof sk);
    return err;
}

/* §4.1 ExtractAndExpand(dh, kem_context) */
static clo_err extract_and_expand(clo_bytes dh, clo_bytes kem_context, uint8_t shared[NH])
{
    suite_id sid = kem_suite_id();
    uint8_t prk[NH];
    clo_err err = labeled_extract(&sid, CLO_BYTES_EMPTY, "eae_prk", dh, prk);
    if (!err.code) err = labeled_expand(&sid, prk, "shared_secret", kem_context, shared, NH);
    clo_wipe(prk, sizeof prk);
    return err;
}

static int is_auth(clo_hpke_mode m)
{
    return m == CLO_HPKE_MODE_AUTH || m == CLO_HPKE_MODE_AUTH_PSK;
}
static int is_psk(clo_hpke_mode m)
{
    return m == CLO_HPKE_MODE_PSK || m == CLO_HPKE_MODE_AUTH_PSK;
}

/* §5.1 VerifyPSKInputs plus the auth-key presence and our length limits. */
static clo_err check_opts(const clo_hpke_opts *o, clo_bytes info, int sender)
{
    CLO_ENSURE(info.len <= CLO_HPKE_MAX_INPUT, CLO_E_LIMIT, "hpke info size");
    if (!o) return CLO_OK;
    CLO_ENSURE((unsigned)o->mode <= CLO_HPKE_MODE_AUTH_PSK, CLO_E_ARG, "hpke mode");
    if (is_psk(o->mode)) {
        CLO_ENSURE(o->psk.len >= CLO_HPKE_MIN_PSK_SIZE && o->psk_id.len > 0, CLO_E_ARG,
                   "hpke psk and psk_id required (psk >= 32 bytes)");
        CLO_ENSURE(o->psk.len <= CLO_HPKE_MAX_INPUT && o->psk_id.len <= CLO_HPKE_MAX_INPUT,
                   CLO_E_LIMIT, "hpke psk size");
    } else {
        CLO_ENSURE(o->psk.len == 0 && o->psk_id.len == 0, CLO_E_ARG,
                   "hpke psk given in a mode without psk");
    }
    if (is_auth(o->mode))
        CLO_ENSURE(sender ? o->sender_key != NULL : o->sender_pk != NULL, CLO_E_ARG,
                   "hpke sender key required in auth modes");
    return CLO_OK;
}

/* §5.1 KeySchedule */
static clo_err key_schedule(clo_hpke_ctx *ctx, clo_hpke_suite suite, const clo_hpke_opts *o,
                            const uint8_t shared[NH], clo_bytes info)
{
    suite_id sid = hpke_suite_id(suite);
    uint8_t ksc[1 + 2 * NH], secret[NH];
    clo_hpke_mode mode = o ? o->mode : CLO_HPKE_MODE_BASE;
    clo_bytes psk = o ? o->psk : CLO_BYTES_EMPTY, psk_id = o ? o->psk_id : CLO_BYTES_EMPTY;
    size_t nk = aead_nk(suite.aead);
    clo_err err = CLO_OK;

    ksc[0] = (uint8_t)mode;
    CLO_CHECK(labeled_extract(&sid, CLO_BYTES_EMPTY, "psk_id_hash", psk_id, ksc + 1));
    CLO_CHECK(labeled_extract(&sid, CLO_BYTES_EMPTY, "info_hash", info, ksc + 1 + NH));
    CLO_CHECK(labeled_extract(&sid, CLO_BYTES(shared, NH), "secret", psk, secret));
    clo_bytes kscv = CLO_BYTES(ksc, sizeof ksc);
    if (nk) {
        CLO_CHECK(labeled_expand(&sid, secret, "key", kscv, ctx->key, nk));
        CLO_CHECK(
            labeled_expand(&sid, secret, "base_nonce", kscv, ctx->base_nonce, CLO_AEAD_NONCE_SIZE));
    }
    CLO_CHECK(labeled_expand(&sid, secret, "exp", kscv, ctx->exporter_secret, NH));
    ctx->suite = suite;
    ctx->seq = 0;
    ctx->ready = 1;
out:
    clo_wipe(secret, sizeof secret);
    if (err.code) clo_hpke_ctx_wipe(ctx);
    return err;
}

clo_err clo_hpke_setup_sender_with(clo_hpke_ctx *ctx, clo_hpke_suite suite,
                                   const clo_x25519_key *eph, const uint8_t pk_r[CLO_HPKE_PK_SIZE],
                                   clo_bytes info, const clo_hpke_opts *opts,
                                   uint8_t enc[CLO_HPKE_ENC_SIZE])
{
    uint8_t dh[2 * CLO_X25519_SIZE], kem_ctx[3 * CLO_X25519_SIZE], shared[NH];
    size_t dh_len = CLO_X25519_SIZE, kc_len = 2 * CLO_X25519_SIZE;
    clo_err err = CLO_OK;

    memset(ctx, 0, sizeof *ctx);
    CLO_TRY(clo_hpke_suite_check(suite));
    CLO_TRY(check_opts(opts, info, 1));
    /* §4.1 Encap / AuthEncap */
    CLO_CHECK(clo_x25519_key_dh(eph, pk_r, dh));
    memcpy(kem_ctx, clo_x25519_key_public(eph), CLO_X25519_SIZE);
    memcpy(kem_ctx + CLO_X25519_SIZE, pk_r, CLO_X25519_SIZE);
    if (opts && is_auth(opts->mode)) {
        CLO_CHECK(clo_x25519_key_dh(opts->sender_key, pk_r, dh + CLO_X25519_SIZE));
        memcpy(kem_ctx + 2 * CLO_X25519_SIZE, clo_x25519_key_public(opts->sender_key),
               CLO_X25519_SIZE);
        dh_len += CLO_X25519_SIZE;
        kc_len += CLO_X25519_SIZE;
    }
    CLO_CHECK(extract_and_expand(CLO_BYTES(dh, dh_len), CLO_BYTES(kem_ctx, kc_len), shared));
    CLO_CHECK(key_schedule(ctx, suite, opts, shared, info));
    memcpy(enc, clo_x25519_key_public(eph), CLO_HPKE_ENC_SIZE);
out:
    clo_wipe(dh, sizeof dh);
    clo_wipe(shared, sizeof shared);
    return err;
}

clo_err clo_hpke_setup_sender(clo_hpke_ctx *ctx, clo_hpke_suite suite,
                              const uint8_t pk_r[CLO_HPKE_PK_SIZE], clo_bytes info,
                              const clo_hpke_opts *opts, uint8_t enc[CLO_HPKE_ENC_SIZE])
{
    clo_x25519_key *eph;
    memset(ctx, 0, sizeof *ctx);
    CLO_TRY(clo_hpke_suite_check(suite));
    CLO_TRY(clo_x25519_key_ephemeral(&eph));
    clo_err err = clo_hpke_setup_sender_with(ctx, suite, eph, pk_r, info, opts, enc);
    clo_x25519_key_free(eph);
    return err;
}

clo_err clo_hpke_setup_receiver(clo_hpke_ctx *ctx, clo_hpke_suite suite, const clo_x25519_key *sk_r,
                                const uint8_t enc[CLO_HPKE_ENC_SIZE], clo_bytes info,
                                const clo_hpke_opts *opts)
{
    uint8_t dh[2 * CLO_X25519_SIZE], kem_ctx[3 * CLO_X25519_SIZE], shared[NH];
    size_t dh_len = CLO_X25519_SIZE, kc_len = 2 * CLO_X25519_SIZE;
    clo_err err = CLO_OK;

    memset(ctx, 0, sizeof *ctx);
    CLO_TRY(clo_hpke_suite_check(suite));
    CLO_TRY(check_opts(opts, info, 0));
    /* §4.1 Decap / AuthDecap */
    CLO_CHECK(clo_x25519_key_dh(sk_r, enc, dh));
    memcpy(kem_ctx, enc, CLO_X25519_SIZE);
    memcpy(kem_ctx + CLO_X25519_SIZE, clo_x25519_key_public(sk_r), CLO_X25519_SIZE);
    if (opts && is_auth(opts->mode)) {
        CLO_CHECK(clo_x25519_key_dh(sk_r, opts->sender_pk, dh + CLO_X25519_SIZE));
        memcpy(kem_ctx + 2 * CLO_X25519_SIZE, opts->sender_pk, CLO_X25519_SIZE);
        dh_len += CLO_X25519_SIZE;
        kc_len += CLO_X25519_SIZE;
    }
    CLO_CHECK(extract_and_expand(CLO_BYTES(dh, dh_len), CLO_BYTES(kem_ctx, kc_len), shared));
    CLO_CHECK(key_schedule(ctx, suite, opts, shared, info));
out:
    clo_wipe(dh, sizeof dh);
    clo_wipe(shared, sizeof shared);
    return err;
}

/* §5.2 ComputeNonce: base_nonce XOR I2OSP(seq, Nn) */
static void compute_nonce(const clo_hpke_ctx *ctx, uint8_t nonce[CLO_AEAD_NONCE_SIZE])
{
    memcpy(nonce, ctx->base_nonce, CLO_AEAD_NONCE_SIZE);
    for (int i = 0; i < 8; i++)
        nonce[CLO_AEAD_NONCE_SIZE - 1 - i] ^= (uint8_t)(ctx->seq >> (8 * i));
}

static clo_err check_aead_ctx(const clo_hpke_ctx *ctx)
{
    CLO_ENSURE(ctx->ready, CLO_E_STATE, "hpke context not set up");
    CLO_ENSURE(ctx->suite.aead != CLO_HPKE_AEAD_EXPORT_ONLY, CLO_E_UNSUPPORTED,
               "hpke export-only context cannot seal or open");
    /* §5.2: the sequence must never wrap; a u64 is far below 2^96 - 1. */
    CLO_ENSURE(ctx->seq != UINT64_MAX, CLO_E_STATE, "hpke message limit reached");
    return CLO_OK;
}

clo_err clo_hpke_seal(clo_hpke_ctx *ctx, clo_bytes aad, clo_bytes pt, uint8_t *out)
{
    uint8_t nonce[CLO_AEAD_NONCE_SIZE];
    CLO_TRY(check_aead_ctx(ctx));
    compute_nonce(ctx, nonce);
    CLO_TRY(clo_aead_seal((clo_aead_alg)ctx->suite.aead,
                          CLO_BYTES(ctx->key, aead_nk(ctx->suite.aead)),
                          CLO_BYTES(nonce, sizeof nonce), aad, pt, out));
    ctx->seq++;
    return CLO_OK;
}

clo_err clo_hpke_open(clo_hpke_ctx *ctx, clo_bytes aad, clo_bytes ct, uint8_t *out)
{
    uint8_t nonce[CLO_AEAD_NONCE_SIZE];
    CLO_TRY(check_aead_ctx(ctx));
    compute_nonce(ctx, nonce);
    CLO_TRY(clo_aead_open((clo_aead_alg)ctx->suite.aead,
                          CLO_BYTES(ctx->key, aead_nk(ctx->suite.aead)),
                          CLO_BYTES(nonce, sizeof nonce), aad, ct, out));
    ctx->seq++;
    return CLO_OK;
}

clo_err clo_hpke_export(const clo_hpke_ctx *ctx, clo_bytes exporter_context, uint8_t *out,
                        size_t out_size)
{
    suite_id sid = hpke_suite_id(ctx->suite);
    CLO_ENSURE(ctx->ready, CLO_E_STATE, "hpke context not set up");
    CLO_ENSURE(exporter_context.len <= CLO_HPKE_MAX_INPUT, CLO_E_LIMIT, "hpke exporter context");
    CLO_ENSURE(out_size <= 255 * NH, CLO_E_LIMIT, "hpke export length");
    return labeled_expand(&sid, ctx->exporter_secret, "sec", exporter_context, out, out_size);
}

void clo_hpke_ctx_wipe(clo_hpke_ctx *ctx)
{
    clo_wipe(ctx, sizeof *ctx);
}

clo_err clo_hpke_seal_base(clo_hpke_suite suite, const uint8_t pk_r[CLO_HPKE_PK_SIZE],
                           clo_bytes info, clo_bytes aad, clo_bytes pt,
                           uint8_t enc[CLO_HPKE_ENC_SIZE], uint8_t *ct)
{
    clo_hpke_ctx ctx;
    clo_err err = clo_hpke_setup_sender(&ctx, suite, pk_r, info, NULL, enc);
    if (!err.code) err = clo_hpke_seal(&ctx, aad, pt, ct);
    clo_hpke_ctx_wipe(&ctx);
    return err;
}

clo_err clo_hpke_open_base(clo_hpke_suite suite, const clo_x25519_key *sk_r,
                           const uint8_t enc[CLO_HPKE_ENC_SIZE], clo_bytes info, clo_bytes aad,
                           clo_bytes ct, uint8_t *pt)
{
    clo_hpke_ctx ctx;
    clo_err err = clo_hpke_setup_receiver(&ctx, suite, sk_r, enc, info, NULL);
    if (!err.code) err = clo_hpke_open(&ctx, aad, ct, pt);
    clo_hpke_ctx_wipe(&ctx);
    return err;
}
