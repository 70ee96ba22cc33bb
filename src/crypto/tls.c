/* tls.c — a TLS client over memory BIOs (see tls.h). */
#include "crypto/tls.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct clo_tls {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in, *out; /* in: from the server; out: to the server */
    uint8_t pins[CLO_TLS_MAX_PINS][32];
    size_t npins;
    clo_tls_info info;
    int failed;
};

void clo_tls_free(clo_tls *t)
{
    if (!t) return;
    SSL_free(t->ssl); /* frees the BIOs it owns */
    SSL_CTX_free(t->ctx);
    free(t);
}

clo_err clo_tls_new(clo_tls **out, const clo_tls_opts *o)
{
    clo_err err = CLO_OK;
    *out = NULL;
    CLO_ENSURE(o && o->host && o->host[0] && strlen(o->host) < 256, CLO_E_ARG, "tls: host");
    CLO_ENSURE(o->nroots > 0 && o->nroots <= CLO_TLS_MAX_ROOTS, CLO_E_ARG, "tls: 1 to 256 roots");
    CLO_ENSURE(o->npins <= CLO_TLS_MAX_PINS, CLO_E_ARG, "tls: at most 8 pins");
    clo_tls *t = calloc(1, sizeof *t);
    CLO_ENSURE(t, CLO_E_NOMEM, "tls");
    t->ctx = SSL_CTX_new(TLS_client_method());
    CLO_FAIL_IF(!t->ctx, CLO_E_CRYPTO, "tls: context");
    CLO_FAIL_IF(SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1, CLO_E_CRYPTO,
                "tls: version");
    SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET | SSL_OP_NO_COMPRESSION);
    SSL_CTX_set_session_cache_mode(t->ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    X509_STORE *store = SSL_CTX_get_cert_store(t->ctx);
    for (size_t i = 0; i < o->nroots; i++) {
        const unsigned char *p = o->roots[i].ptr;
        X509 *x = d2i_X509(NULL, &p, (long)o->roots[i].len);
        int ok = x && p == o->roots[i].ptr + o->roots[i].len && X509_STORE_add_cert(store, x) == 1;
        X509_free(x);
        CLO_FAIL_IF(!ok, CLO_E_FORMAT, "tls: a root is not a DER certificate");
    }
    t->ssl = SSL_new(t->ctx);
    t->in = BIO_new(BIO_s_mem());
    t->out = BIO_new(BIO_s_mem());
    CLO_FAIL_IF(!t->ssl || !t->in || !t->out, CLO_E_NOMEM, "tls: objects");
    SSL_set_bio(t->ssl, t->in, t->out);
    SSL_set_connect_state(t->ssl);
    X509_VERIFY_PARAM *vp = SSL_get0_param(t->ssl);
    X509_VERIFY_PARAM_set_time(vp, (time_t)o->at);
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    CLO_FAIL_IF(SSL_set1_host(t->ssl, o->host) != 1 ||
                    SSL_set_tlsext_host_name(t->ssl, o->host) != 1,
                CLO_E_ARG, "tls: host");
    if (o->npins) memcpy(t->pins, o->pins, o->npins * 32);
    t->npins = o->npins;
    *out = t;
    return CLO_OK;
out:
    if (t && !t->ssl) {
        BIO_free(t->in);
        BIO_free(t->out);
    }
    clo_tls_free(t);
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
    return CLO_OK;
}

/* Why an SSL call failed, as this layer's errors. */
static clo_err failure(clo_tls *t, int rc)
{
    t->failed = 1;
    long v = SSL_get_verify_result(t->ssl);
    ERR_clear_error();
    (void)rc;
    if (v == X509_V_ERR_CERT_HAS_EXPIRED || v == X509_V_ERR_CERT_NOT_YET_VALID)
        return CLO_ERR(CLO_E_STALE, "tls: the server's certificate is not valid at the job's time");
    if (v == X509_V_ERR_HOSTNAME_MISMATCH)
        return CLO_ERR(CLO_E_AUTH, "tls: the certificate is for another host");
    if (v != X509_V_OK)
        return CLO_ERR(CLO_E_AUTH,
                       "tls: the server's certificate does not chain to a trusted root");
    return CLO_ERR(CLO_E_AUTH, "tls: handshake or record failure (tampered, truncated or refused)");
}

clo_err clo_tls_pump(clo_tls *t, clo_bytes from_server, clo_buf *to_server)
{
    CLO_ENSURE(!t->failed, CLO_E_STATE, "tls: the connection failed");
    if (from_server.len)
        CLO_ENSURE(BIO_write(t->in, from_server.ptr, (int)from_server.len) == (int)from_server.len,
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
                clo_err e = failure(t, rc);
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
            CLO_TRY(clo_buf_append(out, tmp, n));
            continue;
        }
        int why = SSL_get_error(t->ssl, 0);
        if (why == SSL_ERROR_WANT_READ) return CLO_OK;
        if (why == SSL_ERROR_ZERO_RETURN) {
            t->info.closed = 1;
            return CLO_OK;
        }
        return failure(t, 0);
    }
}

void clo_tls_info_get(const clo_tls *t, clo_tls_info *info)
{
    *info = t->info;
}
