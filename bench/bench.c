/* bench.c — `make bench`: Cloister's crypto paths against their primitive floor,
 * measured in one run on one machine, reported as ns/op, ops/s and ratios.
 *
 * Floors are OpenSSL's own X25519 done the cheapest way its public API allows
 * (this file may use OpenSSL directly: it measures, it ships nothing):
 *   keygen floor = EVP_PKEY_keygen on a reused context + reading the public key
 *   derive floor = EVP_PKEY_derive on a context whose key and peer are set up
 *                  (the scalar multiplication, as `openssl speed ecdhx25519`)
 * HPKE seal does one keygen and one derive; HPKE open does one derive. Each
 * figure is measured in batches alternating with its floor, so that drift in a
 * shared machine's speed hits both sides of a ratio alike.
 * Goal (issue 2): HPKE seal/open within 1.25x of their X25519 floor, and
 * envelope request-open + reply-seal >= 20k/s on one core. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "crypto/envelope.h"
#include "crypto/keccak.h"
#include "crypto/rand.h"
#include "crypto/secp256k1.h"

#define MSG 1024

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench: %s failed\n", what);
    exit(1);
}

typedef void (*bench_fn)(void *);
#define ROUNDS 9

/* Iterations for one ~40 ms batch of fn. */
static size_t batch_size(bench_fn fn, void *arg)
{
    size_t n = 1;
    for (;;) {
        double t = now_s();
        for (size_t i = 0; i < n; i++) fn(arg);
        if (now_s() - t > 0.04) return n;
        n *= 2;
    }
}

static double batch_ns(bench_fn fn, void *arg, size_t n)
{
    double t = now_s();
    for (size_t i = 0; i < n; i++) fn(arg);
    return (now_s() - t) / (double)n * 1e9;
}

static double median(double *v, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (v[j] < v[i]) {
                double x = v[i];
                v[i] = v[j];
                v[j] = x;
            }
    return v[n / 2];
}

/* Median ns/op of each fn over ROUNDS rounds; in each round every fn runs one
 * batch, in turn. */
static void measure(bench_fn *fns, int count, void *arg, double *out)
{
    size_t n[4];
    double v[4][ROUNDS];
    for (int f = 0; f < count; f++) n[f] = batch_size(fns[f], arg);
    for (int r = 0; r < ROUNDS; r++)
        for (int f = 0; f < count; f++) v[f][r] = batch_ns(fns[f], arg, n[f]);
    for (int f = 0; f < count; f++) out[f] = median(v[f], ROUNDS);
}

typedef struct {
    EVP_PKEY_CTX *kg, *dctx;
    EVP_PKEY *sk, *peer;
    clo_x25519_key *enclave, *recipient;
    clo_hpke_suite suite;
    uint8_t pt[MSG], enc[32], ct[MSG + 16], out[MSG + 16];
    clo_envelope_binding b;
    clo_buf env, payload, reply;
    clo_secret32 eth;
    uint8_t digest[32], sig[65];
} state;

static void b_ossl_keygen(void *a)
{
    state *s = a;
    EVP_PKEY *k = NULL;
    uint8_t pk[32];
    size_t len = 32;
    if (EVP_PKEY_keygen(s->kg, &k) != 1 || EVP_PKEY_get_raw_public_key(k, pk, &len) != 1)
        die("keygen");
    EVP_PKEY_free(k);
}

static void b_ossl_derive(void *a)
{
    state *s = a;
    uint8_t out[32];
    size_t len = 32;
    if (EVP_PKEY_derive(s->dctx, out, &len) != 1) die("derive");
}

static void b_hpke_seal(void *a)
{
    state *s = a;
    if (clo_hpke_seal_base(s->suite, clo_x25519_key_public(s->recipient), CLO_BYTES("info", 4),
                           CLO_BYTES_EMPTY, CLO_BYTES(s->pt, MSG), s->enc, s->ct)
            .code)
        die("hpke seal");
}

static void b_hpke_open(void *a)
{
    state *s = a;
    if (clo_hpke_open_base(s->suite, s->recipient, s->enc, CLO_BYTES("info", 4), CLO_BYTES_EMPTY,
                           CLO_BYTES(s->ct, MSG + 16), s->out)
            .code)
        die("hpke open");
}

static void b_aead(void *a)
{
    state *s = a;
    uint8_t key[16] = {1}, nonce[12] = {2};
    if (clo_aead_seal(CLO_AEAD_AES128GCM, CLO_BYTES(key, 16), CLO_BYTES(nonce, 12), CLO_BYTES_EMPTY,
                      CLO_BYTES(s->pt, MSG), s->out)
            .code)
        die("aead");
}

/* What the enclave does per job: open the request, seal the reply. */
static void b_envelope_roundtrip(void *a)
{
    state *s = a;
    clo_envelope_reply_key rk;
    clo_buf_clear(&s->payload);
    clo_buf_clear(&s->reply);
    if (clo_envelope_request_open(&s->payload, &rk, &s->b, s->enclave, clo_buf_view(&s->env))
            .code ||
        clo_envelope_reply_seal(&s->reply, &rk, CLO_BYTES(s->pt, MSG)).code)
        die("envelope");
    clo_envelope_reply_key_wipe(&rk);
}

static void b_sign(void *a)
{
    state *s = a;
    if (clo_secp256k1_sign(&s->eth, s->digest, s->sig).code) die("sign");
}

static void b_recover(void *a)
{
    state *s = a;
    uint8_t pub[65];
    if (clo_secp256k1_recover(s->digest, s->sig, pub).code) die("recover");
}

static void b_keccak(void *a)
{
    state *s = a;
    clo_keccak256(CLO_BYTES(s->pt, MSG), s->digest);
}

/* Peer for Keccak-256: OpenSSL's SHA3-256 runs the same permutation at the same
 * rate (only the padding byte differs). */
static EVP_MD *g_sha3;
static void b_sha3(void *a)
{
    state *s = a;
    unsigned int n = 32;
    if (EVP_Digest(s->pt, MSG, s->digest, &n, g_sha3, NULL) != 1) die("sha3");
}

static void row(const char *name, double ns, const char *note)
{
    printf("  %-44s %10.0f ns %10.0f /s  %s\n", name, ns, 1e9 / ns, note);
}

int main(void)
{
    static state s;
    memset(&s, 0, sizeof s);
    s.suite = (clo_hpke_suite){CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256,
                               CLO_HPKE_AEAD_AES128GCM};
    s.kg = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
    if (!s.kg || EVP_PKEY_keygen_init(s.kg) != 1 || EVP_PKEY_keygen(s.kg, &s.sk) != 1) die("setup");
    if (clo_x25519_key_new(&s.enclave, NULL).code || clo_x25519_key_new(&s.recipient, NULL).code)
        die("setup");
    s.peer = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL,
                                            clo_x25519_key_public(s.recipient), 32);
    s.dctx = EVP_PKEY_CTX_new_from_pkey(NULL, s.sk, NULL);
    if (!s.peer || !s.dctx || EVP_PKEY_derive_init(s.dctx) != 1 ||
        EVP_PKEY_derive_set_peer(s.dctx, s.peer) != 1)
        die("setup derive");
    if (clo_random(s.pt, sizeof s.pt).code) die("random");
    s.b.chain_id = 1;
    s.b.epoch = 1;
    clo_buf_init(&s.env, CLO_ENVELOPE_MAX_SIZE);
    clo_buf_init(&s.payload, CLO_ENVELOPE_MAX_PAYLOAD);
    clo_buf_init(&s.reply, CLO_ENVELOPE_MAX_SIZE);
    if (clo_envelope_request_seal(&s.env, NULL, &s.b, s.suite, clo_x25519_key_public(s.enclave),
                                  CLO_BYTES(s.pt, MSG))
            .code)
        die("setup envelope");
    if (clo_secp256k1_keygen(&s.eth).code) die("setup secp256k1");
    b_hpke_seal(&s);
    b_sign(&s);

    printf(
        "Cloister benchmarks — %s, one core, suite x25519-sha256-aes128gcm, %d-byte messages\n\n",
        OpenSSL_version(OPENSSL_VERSION), MSG);
    double r[4], kg, dv, seal, open, env, aead, sign, rec, kec;
    measure((bench_fn[]){b_ossl_keygen, b_ossl_derive, b_hpke_seal, b_hpke_open}, 4, &s, r);
    kg = r[0], dv = r[1], seal = r[2], open = r[3];
    measure((bench_fn[]){b_ossl_derive, b_envelope_roundtrip, b_aead}, 3, &s, r);
    double dv2 = r[0];
    env = r[1], aead = r[2];
    g_sha3 = EVP_MD_fetch(NULL, "SHA3-256", NULL);
    if (!g_sha3) die("sha3 fetch");
    measure((bench_fn[]){b_sign, b_recover, b_keccak, b_sha3}, 4, &s, r);
    sign = r[0], rec = r[1], kec = r[2];
    double sha3 = r[3];
    char note[96];
    row("floor: OpenSSL X25519 keygen", kg, "");
    row("floor: OpenSSL X25519 derive (scalar mult)", dv, "");
    snprintf(note, sizeof note, "%.2fx of keygen+derive floor", seal / (kg + dv));
    row("HPKE single-shot seal, 1 KiB", seal, note);
    snprintf(note, sizeof note, "%.2fx of derive floor", open / dv);
    row("HPKE single-shot open, 1 KiB", open, note);
    row("AES-128-GCM seal, 1 KiB (for reference)", aead, "");
    snprintf(note, sizeof note, "%.2fx of derive floor; goal >= 20000/s", env / dv2);
    row("envelope request-open + reply-seal, 1 KiB", env, note);
    row("secp256k1 sign (recoverable, RFC 6979)", sign, "");
    row("secp256k1 recover", rec, "");
    snprintf(note, sizeof note, "%.2fx of OpenSSL SHA3-256 (same permutation)", kec / sha3);
    row("Keccak-256, 1 KiB", kec, note);
    row("peer: OpenSSL SHA3-256, 1 KiB", sha3, "");
    printf("\nratios: hpke_seal/floor=%.3f hpke_open/floor=%.3f (goal <= 1.25); "
           "envelope=%.0f/s (goal >= 20000; the derive floor alone allows %.0f/s)\n",
           seal / (kg + dv), open / dv, 1e9 / env, 1e9 / dv2);

    clo_buf_free(&s.env);
    clo_buf_free(&s.payload);
    clo_buf_free(&s.reply);
    clo_x25519_key_free(s.enclave);
    clo_x25519_key_free(s.recipient);
    EVP_MD_free(g_sha3);
    EVP_PKEY_CTX_free(s.dctx);
    EVP_PKEY_free(s.peer);
    EVP_PKEY_free(s.sk);
    EVP_PKEY_CTX_free(s.kg);
    return 0;
}
