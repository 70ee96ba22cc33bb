/* tls.c — a TLS client over memory BIOs (see tls.h). */
#include "crypto/tls.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/pem.h"

struct clo_tls_trust {
    SSL_CTX *ctx;
    size_t count;
};

struct clo_tls {
    SSL *ssl;
    BIO *in, *out; /* in: from the server; out: to the server */
    uint8_t pins[CLO_TLS_MAX_PINS][32];
    size_t npins;
    clo_tls_info info;
    int failed;
};

void clo_tls_init_early(void)
{
    /* The first call decides: later implicit initialisations, which would
     * load the configuration, find it done. */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
}

/* A client context with the fixed protocol rules; its store is empty. */
static SSL_CTX *client_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return NULL;
    if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    return ctx;
}

static clo_err add_root(X509_STORE *store, clo_bytes der)
{
    const unsigned char *p = der.ptr;
    X509 *x = d2i_X509(NULL, &p, (long)der.len);
    int ok = x && p == der.ptr + der.len && X509_STORE_add_cert(store, x) == 1;
    X509_free(x);
    CLO_ENSURE(ok, CLO_E_FORMAT, "tls: a root is not a certificate");
    return CLO_OK;
}

typedef struct {
    X509_STORE *store;
    size_t *count;
} pem_ctx;

static clo_err add_pem_root(void *ctx, const char *label, clo_bytes der)
{
    pem_ctx *pc = ctx;
    if (strcmp(label, "CERTIFICATE") != 0) return CLO_OK; /* a bundle may carry others */
    CLO_ENSURE(*pc->count < CLO_TLS_MAX_ROOTS, CLO_E_LIMIT, "tls: more than 512 roots");
    CLO_TRY(add_root(pc->store, der));
    ++*pc->count;
    return CLO_OK;
}

void clo_tls_trust_free(clo_tls_trust *t)
{
    if (!t) return;
    SSL_CTX_free(t->ctx);
    free(t);
}

size_t clo_tls_trust_count(const clo_tls_trust *t)
{
    return t->count;
}

clo_err clo_tls_trust_new(clo_tls_trust **out, const clo_bytes *certs, size_t n)
{
    clo_err err = CLO_OK;
    *out = NULL;
    clo_tls_trust *t = calloc(1, sizeof *t);
    CLO_ENSURE(t, CLO_E_NOMEM, "tls: trust");
    t->ctx = client_ctx();
    CLO_FAIL_IF(!t->ctx, CLO_E_CRYPTO, "tls: context");
    X509_STORE *store = SSL_CTX_get_cert_store(t->ctx);
    for (size_t i = 0; i < n; i++) {
        if (clo_pem_is(certs[i])) {
            pem_ctx pc = {store, &t->count};
            size_t blocks;
            CLO_CHECK(clo_pem_foreach(certs[i], add_pem_root, &pc, &blocks));
        } else {
            CLO_FAIL_IF(t->count >= CLO_TLS_MAX_ROOTS, CLO_E_LIMIT, "tls: more than 512 roots");
            CLO_CHECK(add_root(store, certs[i]));
            t->count++;
        }
    }
    CLO_FAIL_IF(t->count == 0, CLO_E_ARG, "tls: no root certificate");
    *out = t;
    return CLO_OK;
out:
    ERR_clear_error();
    clo_tls_trust_free(t);
    return err;
}

void clo_tls_free(clo_tls *t)
{
    if (!t) return;
    SSL_free(t->ssl); /* frees the BIOs it owns, drops its context */
    free(t);
}

/* Pins alone vouch for the leaf: an unknown issuer is no error, every other
 * check (time, name, signatures within the chain) still is. */
static int pinned_verify(int ok, X509_STORE_CTX *x)
{
    if (ok) return 1;
    switch (X509_STORE_CTX_get_error(x)) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED: return 1;
    default: return 0;
    }
}

/* The client certificate and key, from PEM in memory (no file). */
static clo_err use_client_pem(SSL *ssl, clo_bytes pem)
{
    clo_err err = CLO_OK;
    BIO *b = BIO_new_mem_buf(pem.ptr, (int)pem.len);
    X509 *leaf = NULL, *extra = NULL;
    EVP_PKEY *key = NULL;
    CLO_ENSURE(b, CLO_E_NOMEM, "tls: client certificate");
    leaf = PEM_read_bio_X509(b, NULL, NULL, NULL);
    CLO_FAIL_IF(!leaf || SSL_use_certificate(ssl, leaf) != 1, CLO_E_FORMAT,
                "tls: the client credential has no certificate");
    while ((extra = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        int ok = SSL_add0_chain_cert(ssl, extra) == 1;
        if (!ok) X509_free(extra);
        CLO_FAIL_IF(!ok, CLO_E_CRYPTO, "tls: client chain");
    }
    ERR_clear_error();
    BIO_free(b);
    b = BIO_new_mem_buf(pem.ptr, (int)pem.len);
    CLO_FAIL_IF(!b, CLO_E_NOMEM, "tls: client key");
    key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    CLO_FAIL_IF(!key || SSL_use_PrivateKey(ssl, key) != 1 || SSL_check_private_key(ssl) != 1,
                CLO_E_FORMAT,
                "tls: the client credential's key is missing or not its certificate's");
out:
    ERR_clear_error();
    X509_free(leaf);
    EVP_PKEY_free(key);
    BIO_free(b);
    return err;
}

clo_err clo_tls_new(clo_tls **out, const clo_tls_opts *o)
{
    clo_err err = CLO_OK;
    SSL_CTX *own = NULL;
    *out = NULL;
    CLO_ENSURE(o && o->host && o->host[0] && strlen(o->host) < 256, CLO_E_ARG, "tls: host");
    CLO_ENSURE(o->trust || o->npins, CLO_E_ARG, "tls: neither roots nor pins");
    CLO_ENSURE(o->npins <= CLO_TLS_MAX_PINS, CLO_E_ARG, "tls: at most 8 pins");
    CLO_ENSURE(o->client_pem.len <= INT32_MAX, CLO_E_ARG, "tls: client credential size");
    clo_tls *t = calloc(1, sizeof *t);
    CLO_ENSURE(t, CLO_E_NOMEM, "tls");
    if (!o->trust) CLO_FAIL_IF(!(own = client_ctx()), CLO_E_CRYPTO, "tls: context");
    t->ssl = SSL_new(o->trust ? o->trust->ctx : own);
    t->in = BIO_new(BIO_s_mem());
    t->out = BIO_new(BIO_s_mem());
    CLO_FAIL_IF(!t->ssl || !t->in || !t->out, CLO_E_NOMEM, "tls: objects");
    SSL_set_bio(t->ssl, t->in, t->out);
    SSL_set_connect_state(t->ssl);
    SSL_set_verify(t->ssl, SSL_VERIFY_PEER, o->trust ? NULL : pinned_verify);
    X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);
    X509_VERIFY_PARAM_set_time(vp, (time_t)o->at);
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    CLO_FAIL_IF(SSL_set1_host(t->ssl, o->host) != 1 ||
                    SSL_set_tlsext_host_name(t->ssl, o->host) != 1,
                CLO_E_ARG, "tls: host");
    if (o->client_pem.len) CLO_CHECK(use_client_pem(t->ssl, o->client_pem));
    if (o->npins) memcpy(t->pins, o->pins, o->npins * 32);
    t->npins = o->npins;
    SSL_CTX_free(own); /* the connection holds its own reference */
    *out = t;
    return CLO_OK;
out:
    if (t && !t->ssl) {
        BIO_free(t->in);
        BIO_free(t->out);
    }
    ERR_clear_error();
    clo_tls_free(t);
    SSL_CTX_free(own);
    return err;
}

static clo_err drain(clo_tls *t, clo_buf *to_server)
{
    char tmp[4096];
    int n;
    while ((n = BIO_read(t->out, tmp, sizeof tmp)) > 0)
        CLO_TRY(clo_buf_append(to_server, tmp, (size_t)n));
    return CLO_OK;
}

static int64_t asn1_seconds(const ASN1_TIME *a)
{
    struct tm tm;
    if (!a || ASN1_TIME_to_tm(a, &tm) != 1) return -1;
    return (int64_t)timegm(&tm);
}

/* The intersection of the verified chain's validity windows. */
static clo_err chain_window(clo_tls *t)
{
    STACK_OF(X509) *chain = SSL_get0_verified_chain(t->ssl);
    int n = chain ? sk_X509_num(chain) : 0;
    CLO_ENSURE(n > 0, CLO_E_AUTH, "tls: no verified chain");
    t->info.valid_from = INT64_MIN;
    t->info.valid_until = INT64_MAX;
    for (int i = 0; i < n; i++) {
        X509 *x = sk_X509_value(chain, i);
        int64_t from = asn1_seconds(X509_get0_notBefore(x));
        int64_t until = asn1_seconds(X509_get0_notAfter(x));
        CLO_ENSURE(from >= 0 && until >= 0, CLO_E_FORMAT, "tls: a certificate's validity");
        if (from > t->info.valid_from) t->info.valid_from = from;
        if (until < t->info.valid_until) t->info.valid_until = until;
    }
    return CLO_OK;
}

/* The peer's leaf, once the handshake is done: its SPKI hash and the pins. */
static clo_err check_leaf(clo_tls *t)
{
    X509 *leaf = SSL_get1_peer_certificate(t->ssl);
    CLO_ENSURE(leaf, CLO_E_AUTH, "tls: no server certificate");
    unsigned char *spki = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &spki);
    unsigned int len = 0;
    int ok = n > 0 &&
             EVP_Digest(spki, (size_t)n, t->info.leaf_spki_sha256, &len, EVP_sha256(), NULL) == 1;
    OPENSSL_free(spki);
    X509_free(leaf);
    CLO_ENSURE(ok && len == 32, CLO_E_CRYPTO, "tls: leaf key hash");
    if (t->npins) {
        int pinned = 0;
        for (size_t i = 0; i < t->npins; i++)
            pinned |= memcmp(t->pins[i], t->info.leaf_spki_sha256, 32) == 0;
        CLO_ENSURE(pinned, CLO_E_AUTH, "tls: the server's key is not a pinned one");
    }
    t->info.version = SSL_version(t->ssl);
    return chain_window(t);
}

/* Why an SSL call failed, as this layer's errors. */
static clo_err failure(clo_tls *t)
{
    t->failed = 1;
    long v = SSL_get_verify_result(t->ssl);
    int reason = ERR_GET_REASON(ERR_peek_last_error());
    ERR_clear_error();
    if (v == X509_V_ERR_CERT_HAS_EXPIRED || v == X509_V_ERR_CERT_NOT_YET_VALID)
        return CLO_ERR(CLO_E_STALE, "tls: the server's certificate is not valid at the job's time");
    if (v == X509_V_ERR_HOSTNAME_MISMATCH)
        return CLO_ERR(CLO_E_AUTH, "tls: the certificate is for another host");
    if (v != X509_V_OK)
        return CLO_ERR(CLO_E_AUTH,
                       "tls: the server's certificate does not chain to a trusted root");
    if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED)
        return CLO_ERR(CLO_E_AUTH, "tls: the server requires a client certificate");
    return CLO_ERR(CLO_E_AUTH, "tls: handshake or record failure (tampered, truncated or refused)");
}

clo_err clo_tls_pump(clo_tls *t, clo_bytes from_server, clo_buf *to_server)
{
    CLO_ENSURE(!t->failed, CLO_E_STATE, "tls: the connection failed");
    if (from_server.len)
        CLO_ENSURE(from_server.len <= INT32_MAX &&
                       BIO_write(t->in, from_server.ptr, (int)from_server.len) ==
                           (int)from_server.len,
                   CLO_E_NOMEM, "tls: input");
    if (!t->info.handshake_done) {
        int rc = SSL_do_handshake(t->ssl);
        if (rc == 1) {
            t->info.handshake_done = 1;
            clo_err e = check_leaf(t);
            if (e.code) {
                t->failed = 1;
                return e;
            }
        } else {
            int why = SSL_get_error(t->ssl, rc);
            if (why != SSL_ERROR_WANT_READ && why != SSL_ERROR_WANT_WRITE) {
                clo_err e = failure(t);
                CLO_IGNORE(drain(t, to_server)); /* the alert, if any */
                return e;
            }
        }
    }
    return drain(t, to_server);
}

clo_err clo_tls_write(clo_tls *t, clo_bytes data, clo_buf *to_server)
{
    CLO_ENSURE(!t->failed && t->info.handshake_done, CLO_E_STATE, "tls: not connected");
    size_t done = 0;
    while (done < data.len) {
        size_t w = 0;
        CLO_ENSURE(SSL_write_ex(t->ssl, data.ptr + done, data.len - done, &w) == 1, CLO_E_CRYPTO,
                   "tls: write");
        done += w;
    }
    return drain(t, to_server);
}

clo_err clo_tls_read(clo_tls *t, clo_buf *out)
{
    CLO_ENSURE(!t->failed && t->info.handshake_done, CLO_E_STATE, "tls: not connected");
    char tmp[4096];
    for (;;) {
        size_t n = 0;
        if (SSL_read_ex(t->ssl, tmp, sizeof tmp, &n) == 1) {
            clo_err e = clo_buf_append(out, tmp, n);
            if (e.code) {
                t->failed = 1;
                return e;
            }
            continue;
        }
        int why = SSL_get_error(t->ssl, 0);
        if (why == SSL_ERROR_WANT_READ) return CLO_OK;
        if (why == SSL_ERROR_ZERO_RETURN) {
            t->info.closed = 1;
            return CLO_OK;
        }
        return failure(t);
    }
}

void clo_tls_info_get(const clo_tls *t, clo_tls_info *info)
{
    *info = t->info;
}
