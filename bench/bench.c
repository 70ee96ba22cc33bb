/* bench.c — `make bench`: Cloister's crypto paths against their primitive floor,
 * measured in one run on one machine, reported as ns/op, ops/s and ratios.
 *
 * Signature floors (attestation) are a hash plus EVP_PKEY_verify on a context
 * set up in advance: the cheapest route OpenSSL offers.
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

#include <dirent.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "attest/dcap.h"
#include "attest/snp.h"

#include "base/file.h"
#include "base/timefmt.h"
#include "crypto/envelope.h"
#include "crypto/keccak.h"
#include "crypto/rand.h"
#include "crypto/secp256k1.h"

#include "bench_util.h"

#define MSG 1024

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

/* ---- attestation: cold verification against its signature floor ---- */

typedef struct {
    clo_buf evidence;
    clo_buf files[16];
    size_t nfiles;
    int64_t at;
    int snp;
} attest_case;

static void read_all(const char *path, clo_buf *b)
{
    clo_buf_init(b, 1 << 22);
    if (clo_file_read(path, b).code) die(path);
}

static int load_attest_case(attest_case *c, const char *dir, const char *evidence, int64_t at,
                            int snp)
{
    char path[1024];
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d) return 0;
    memset(c, 0, sizeof *c);
    snprintf(path, sizeof path, "%s/%s", dir, evidence);
    read_all(path, &c->evidence);
    while ((e = readdir(d)) && c->nfiles < 16) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, evidence) == 0 || strstr(e->d_name, "quote."))
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        read_all(path, &c->files[c->nfiles++]);
    }
    closedir(d);
    c->at = at;
    c->snp = snp;
    return 1;
}

static void b_attest_cold(void *a)
{
    attest_case *c = a;
    clo_dcap_collateral col;
    clo_dcap_collateral_init(&col);
    for (size_t i = 0; i < c->nfiles; i++)
        CLO_IGNORE(clo_dcap_collateral_add(&col, clo_buf_view(&c->files[i])));
    if (c->snp) {
        clo_snp_report r;
        clo_snp_result res;
        clo_snp_opts o = {c->at, NULL};
        if (clo_snp_report_parse(clo_buf_view(&c->evidence), &r).code ||
            clo_snp_verify(&r, &col, &o, &res).code)
            die("snp verify");
    } else {
        clo_quote q;
        clo_dcap_result r;
        clo_dcap_opts o = {c->at, NULL};
        if (clo_quote_parse(clo_buf_view(&c->evidence), &q).code ||
            clo_dcap_verify(&q, &col, &o, &r).code || !r.tcb_evaluated)
            die("dcap verify");
    }
    clo_dcap_collateral_free(&col);
}

/* Signature floors: one verification with a ready key, message hashed inside. */
typedef struct {
    EVP_PKEY *key;
    EVP_PKEY_CTX *vctx; /* ready verify context: the cheapest route OpenSSL offers */
    const char *md;
    int pss;
    unsigned char sig[512];
    size_t siglen;
} sig_floor;

static void sign_for_floor(sig_floor *f, const char *alg, int bits_or_nid)
{
    EVP_PKEY_CTX *kc = EVP_PKEY_CTX_new_from_name(NULL, alg, NULL);
    if (!kc || EVP_PKEY_keygen_init(kc) != 1) die("floor keygen");
    if (f->pss) {
        if (EVP_PKEY_CTX_set_rsa_keygen_bits(kc, bits_or_nid) != 1) die("floor keygen");
    } else if (EVP_PKEY_CTX_set_ec_paramgen_curve_nid(kc, bits_or_nid) != 1) {
        die("floor keygen");
    }
    if (EVP_PKEY_keygen(kc, &f->key) != 1) die("floor keygen");
    EVP_PKEY_CTX_free(kc);
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pc = NULL;
    f->siglen = sizeof f->sig;
    if (EVP_DigestSignInit_ex(m, &pc, f->md, NULL, NULL, f->key, NULL) != 1 ||
        (f->pss && (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) != 1 ||
                    EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 48) != 1)) ||
        EVP_DigestSign(m, f->sig, &f->siglen, (const unsigned char *)"floor", 5) != 1)
        die("floor sign");
    EVP_MD_CTX_free(m);
    f->vctx = EVP_PKEY_CTX_new_from_pkey(NULL, f->key, NULL);
    if (!f->vctx || EVP_PKEY_verify_init(f->vctx) != 1 ||
        (f->pss && (EVP_PKEY_CTX_set_rsa_padding(f->vctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                    EVP_PKEY_CTX_set_rsa_pss_saltlen(f->vctx, 48) != 1 ||
                    EVP_PKEY_CTX_set_signature_md(f->vctx, EVP_get_digestbyname(f->md)) != 1)))
        die("floor verify init");
}

/* The floor of one verification: hash the message, verify on a ready context. */
static void verify_floor_once(const sig_floor *f)
{
    unsigned char dig[64];
    unsigned int dlen = 0;
    if (EVP_Digest("floor", 5, dig, &dlen, EVP_get_digestbyname(f->md), NULL) != 1 ||
        EVP_PKEY_verify(f->vctx, f->sig, f->siglen, dig, dlen) != 1)
        die("floor verify");
}

static sig_floor g_p256, g_p384, g_rsa4096;

/* Warm: a verifier that has seen this platform; per quote the two signatures
 * (QE report, quote) and the TCB evaluation remain. */
typedef struct {
    attest_case *c;
    clo_dcap_collateral col;
    clo_dcap_verifier *v;
} warm_case;

static void b_attest_warm(void *a)
{
    warm_case *w = a;
    clo_quote q;
    clo_dcap_result r;
    if (clo_quote_parse(clo_buf_view(&w->c->evidence), &q).code ||
        clo_dcap_verifier_verify(w->v, &q, w->c->at, &r).code || !r.tcb_evaluated)
        die("warm verify");
}

static void b_floor_warm(void *a)
{
    (void)a;
    verify_floor_once(&g_p256);
    verify_floor_once(&g_p256);
}

typedef struct {
    attest_case *c;
    clo_dcap_collateral col;
    clo_snp_verifier *v;
} snp_warm_case;

static void b_snp_warm(void *a)
{
    snp_warm_case *w = a;
    clo_snp_report r;
    clo_snp_result res;
    if (clo_snp_report_parse(clo_buf_view(&w->c->evidence), &r).code ||
        clo_snp_verifier_verify(w->v, &r, w->c->at, &res).code)
        die("snp warm verify");
}

static void b_floor_p384(void *a)
{
    (void)a;
    verify_floor_once(&g_p384);
}

static void snp_warm_row(attest_case *c)
{
    snp_warm_case w;
    double r[2];
    char note[128];
    memset(&w, 0, sizeof w);
    w.c = c;
    clo_dcap_collateral_init(&w.col);
    for (size_t i = 0; i < c->nfiles; i++)
        CLO_IGNORE(clo_dcap_collateral_add(&w.col, clo_buf_view(&c->files[i])));
    if (clo_snp_verifier_new(&w.v, &w.col, NULL).code) die("snp verifier");
    b_snp_warm(&w);
    measure((bench_fn[]){b_snp_warm, b_floor_p384}, 2, &w, r);
    snprintf(note, sizeof note, "%.2fx of its 1 P-384 verification (%.0f ns); goal <= 1.3x",
             r[0] / r[1], r[1]);
    row("SEV-SNP report (Milan), warm", r[0], note);
    clo_snp_verifier_free(w.v);
    clo_dcap_collateral_free(&w.col);
}

static void warm_row(const char *name, attest_case *c)
{
    warm_case w;
    memset(&w, 0, sizeof w);
    w.c = c;
    double r[2];
    char note[128];
    clo_dcap_collateral_init(&w.col);
    for (size_t i = 0; i < c->nfiles; i++)
        CLO_IGNORE(clo_dcap_collateral_add(&w.col, clo_buf_view(&c->files[i])));
    if (clo_dcap_verifier_new(&w.v, &w.col, NULL).code) die("verifier");
    b_attest_warm(&w); /* fill the cache */
    measure((bench_fn[]){b_attest_warm, b_floor_warm}, 2, &w, r);
    snprintf(note, sizeof note,
             "%.2fx of its 2 P-256 verifications (%.0f ns); goal <= 1.3x, >= 5000/s", r[0] / r[1],
             r[1]);
    row(name, r[0], note);
    clo_dcap_verifier_free(w.v);
    clo_dcap_collateral_free(&w.col);
}

static void b_floor_dcap(void *a)
{
    (void)a;
    for (int i = 0; i < 11; i++) verify_floor_once(&g_p256); /* see the count in bench_attest */
}

static void b_floor_snp(void *a)
{
    (void)a;
    for (int i = 0; i < 3; i++) verify_floor_once(&g_rsa4096);
    verify_floor_once(&g_p384);
}

static void bench_attest(void)
{
    static attest_case tdx, sgx, snp;
    char dir[1024];
    int64_t t;
    printf(
        "\nAttestation, cold (collateral files and evidence parsed and verified from scratch):\n");
    snprintf(dir, sizeof dir, "%s/intel-dcap/tdx-v4-dcapqvl", CLO_TESTVECTORS_DIR);
    if (clo_time_parse("2025-06-19T10:32:27Z", &t).code ||
        !load_attest_case(&tdx, dir, "quote.bin", t, 0)) {
        printf("  (skipped: no test vectors at %s)\n", CLO_TESTVECTORS_DIR);
        return;
    }
    snprintf(dir, sizeof dir, "%s/intel-dcap/sgx-v3-dcapqvl", CLO_TESTVECTORS_DIR);
    if (clo_time_parse("2025-06-19T10:56:11Z", &t).code ||
        !load_attest_case(&sgx, dir, "quote.bin", t, 0))
        die("sgx case");
    snprintf(dir, sizeof dir, "%s/amd-sev-snp/milan-v2-virtee", CLO_TESTVECTORS_DIR);
    if (clo_time_parse("2025-09-01T00:00:00Z", &t).code ||
        !load_attest_case(&snp, dir, "report.bin", t, 1))
        die("snp case");
    g_p256.md = "SHA256";
    sign_for_floor(&g_p256, "EC", NID_X9_62_prime256v1);
    g_p384.md = "SHA384";
    sign_for_floor(&g_p384, "EC", NID_secp384r1);
    g_rsa4096.md = "SHA384";
    g_rsa4096.pss = 1;
    sign_for_floor(&g_rsa4096, "RSA", 4096);
    double r[2];
    char note[128];
    /* DCAP: anchor and chain-root self-signatures, PCK CA, PCK leaf, PCK CRL, root CRL,
     * TCB Signing cert, TCB Info, QE Identity, QE report, quote = 11 ECDSA P-256 verifications. */
    measure((bench_fn[]){b_attest_cold, b_floor_dcap}, 2, &tdx, r);
    snprintf(note, sizeof note, "%.2fx of its 11 P-256 verifications (%.0f ns)", r[0] / r[1], r[1]);
    row("TDX v4 quote, cold", r[0], note);
    measure((bench_fn[]){b_attest_cold, b_floor_dcap}, 2, &sgx, r);
    snprintf(note, sizeof note, "%.2fx of its 11 P-256 verifications (%.0f ns)", r[0] / r[1], r[1]);
    row("SGX v3 quote, cold", r[0], note);
    warm_row("TDX v4 quote, warm", &tdx);
    warm_row("SGX v3 quote, warm", &sgx);
    /* SNP: ARK self-signature, ASK, VCEK (RSA-PSS 4096) + report (ECDSA P-384). */
    measure((bench_fn[]){b_attest_cold, b_floor_snp}, 2, &snp, r);
    snprintf(note, sizeof note, "%.2fx of its 3 RSA-4096 + 1 P-384 verifications (%.0f ns)",
             r[0] / r[1], r[1]);
    row("SEV-SNP report (Milan), cold", r[0], note);
    snp_warm_row(&snp);
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

    bench_attest();

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
