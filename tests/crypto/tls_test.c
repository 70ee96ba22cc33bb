/* tls_test.c — the enclave's TLS client (crypto/tls.h) against an OpenSSL
 * server in the same process, bytes carried by the test as a host would carry
 * them: a request and a response go through, and the client refuses a
 * certificate for another host, one not yet valid or expired at the job's
 * time (whatever the machine's clock), one from another CA, a key not pinned,
 * a flipped byte in the server's flight, and a server that offers only TLS 1.1.
 * The certificates are made here (a P-256 CA and leaf with a DNS name). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/tls.h"
#include "workloads/httpresp.h"

#define OK(x) assert_int_equal((x).code, CLO_OK_CODE)
#define NOW   1790000000L
#define DAY   86400L

typedef struct {
    EVP_PKEY *key;
    X509 *cert;
    unsigned char der[4096];
    int der_len;
} cred;

static void make_cert(cred *c, const char *cn, const char *dns, const cred *issuer, long from,
                      long to)
{
    c->key = EVP_EC_gen("P-256");
    c->cert = X509_new();
    X509_set_version(c->cert, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(c->cert), (long)(from & 0xffffff) + (dns ? 2 : 1));
    X509_NAME *n = X509_get_subject_name(c->cert);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(c->cert, issuer ? X509_get_subject_name(issuer->cert) : n);
    ASN1_TIME_set(X509_getm_notBefore(c->cert), (time_t)from);
    ASN1_TIME_set(X509_getm_notAfter(c->cert), (time_t)to);
    X509_set_pubkey(c->cert, c->key);
    X509V3_CTX v3;
    X509V3_set_ctx(&v3, issuer ? issuer->cert : c->cert, c->cert, NULL, NULL, 0);
    X509_EXTENSION *bc = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
                                             dns ? "critical,CA:FALSE" : "critical,CA:TRUE");
    X509_add_ext(c->cert, bc, -1);
    X509_EXTENSION_free(bc);
    if (dns) {
        char san[256];
        snprintf(san, sizeof san, "DNS:%s", dns);
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, san);
        X509_add_ext(c->cert, e, -1);
        X509_EXTENSION_free(e);
    } else {
        X509_EXTENSION *ku =
            X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
        X509_add_ext(c->cert, ku, -1);
        X509_EXTENSION_free(ku);
    }
    assert_true(X509_sign(c->cert, issuer ? issuer->key : c->key, EVP_sha256()) > 0);
    unsigned char *p = c->der;
    c->der_len = i2d_X509(c->cert, &p);
    assert_true(c->der_len > 0);
}

static void free_cred(cred *c)
{
    EVP_PKEY_free(c->key);
    X509_free(c->cert);
}

static cred ca, leaf, other_ca, other_leaf, client_cred;

static int setup(void **state)
{
    (void)state;
    make_cert(&ca, "Test Root", NULL, NULL, NOW - 10 * DAY, NOW + 3650 * DAY);
    make_cert(&leaf, "price.example", "price.example", &ca, NOW - DAY, NOW + 90 * DAY);
    make_cert(&other_ca, "Other Root", NULL, NULL, NOW - 10 * DAY, NOW + 3650 * DAY);
    make_cert(&other_leaf, "price.example", "price.example", &other_ca, NOW - DAY, NOW + 90 * DAY);
    make_cert(&client_cred, "cloister enclave", "client.example", &ca, NOW - DAY, NOW + 90 * DAY);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free_cred(&ca);
    free_cred(&leaf);
    free_cred(&other_ca);
    free_cred(&other_leaf);
    free_cred(&client_cred);
    return 0;
}

/* A server over memory BIOs. */
typedef struct {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *in, *out;
} server;

static void server_new(server *s, const cred *c, int max_version)
{
    s->ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate(s->ctx, c->cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(s->ctx, c->key), 1);
    SSL_CTX_set_min_proto_version(s->ctx, TLS1_VERSION);
    SSL_CTX_set_security_level(s->ctx, 0);
    if (max_version) SSL_CTX_set_max_proto_version(s->ctx, max_version);
    s->ssl = SSL_new(s->ctx);
    s->in = BIO_new(BIO_s_mem());
    s->out = BIO_new(BIO_s_mem());
    SSL_set_bio(s->ssl, s->in, s->out);
    SSL_set_accept_state(s->ssl);
}

static void server_free(server *s)
{
    SSL_free(s->ssl);
    SSL_CTX_free(s->ctx);
}

/* Carry bytes both ways until the client's handshake ends or fails; flip
 * byte `flip` of the server's first flight when flip >= 0. */
static clo_err connect_through(clo_tls *c, server *s, long flip)
{
    clo_buf to_server, from_server;
    clo_buf_init(&to_server, 1 << 20);
    clo_buf_init(&from_server, 1 << 20);
    clo_err e = CLO_OK;
    for (int round = 0; round < 20; round++) {
        e = clo_tls_pump(c, clo_buf_view(&from_server), &to_server);
        clo_buf_clear(&from_server);
        clo_tls_info info;
        clo_tls_info_get(c, &info);
        if (e.code) break;
        BIO_write(s->in, to_server.ptr,
                  (int)to_server.len); /* the client's flight, its last one too */
        clo_buf_clear(&to_server);
        SSL_do_handshake(s->ssl);
        if (info.handshake_done) break;
        char tmp[8192];
        int n;
        while ((n = BIO_read(s->out, tmp, sizeof tmp)) > 0)
            CLO_IGNORE(clo_buf_append(&from_server, tmp, (size_t)n));
        if (flip >= 0 && (size_t)flip < from_server.len) {
            from_server.ptr[flip] ^= 0x40;
            flip = -1;
        }
    }
    clo_buf_free(&to_server);
    clo_buf_free(&from_server);
    return e;
}

/* root NULL: the pins alone. The trust is freed at once: the connection
 * keeps what it needs. */
static clo_tls *client_with(const char *host, long at, const cred *root, const uint8_t (*pins)[32],
                            size_t npins, clo_bytes client_pem)
{
    clo_tls_trust *trust = NULL;
    if (root) {
        clo_bytes r = CLO_BYTES(root->der, (size_t)root->der_len);
        OK(clo_tls_trust_new(&trust, &r, 1));
        assert_int_equal(clo_tls_trust_count(trust), 1);
    }
    clo_tls_opts o = {host, at, trust, pins, npins, client_pem};
    clo_tls *c;
    OK(clo_tls_new(&c, &o));
    clo_tls_trust_free(trust);
    return c;
}

static clo_tls *client(const char *host, long at, const cred *root, const uint8_t (*pins)[32],
                       size_t npins)
{
    return client_with(host, at, root, pins, npins, CLO_BYTES_EMPTY);
}

static void leaf_spki(const cred *c, uint8_t out[32])
{
    unsigned char *spki = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(c->cert), &spki);
    unsigned int len = 0;
    EVP_Digest(spki, (size_t)n, out, &len, EVP_sha256(), NULL);
    OPENSSL_free(spki);
}

static void test_request_and_response(void **state)
{
    (void)state;
    server s;
    server_new(&s, &leaf, 0);
    clo_tls *c = client("price.example", NOW, &ca, NULL, 0);
    OK(connect_through(c, &s, -1));
    clo_tls_info info;
    clo_tls_info_get(c, &info);
    uint8_t want[32];
    leaf_spki(&leaf, want);
    assert_true(info.handshake_done && info.version == TLS1_3_VERSION);
    assert_memory_equal(info.leaf_spki_sha256, want, 32);
    /* the chain's windows intersected: the leaf's inside the root's */
    assert_int_equal(info.valid_from, NOW - DAY);
    assert_int_equal(info.valid_until, NOW + 90 * DAY);
    /* the request, through the server, and the response back */
    static const char req[] =
        "GET /price HTTP/1.1\r\nHost: price.example\r\nConnection: close\r\n\r\n";
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n{\"price\":\"101.5\"}";
    clo_buf wire, got, body;
    clo_buf_init(&wire, 1 << 16);
    clo_buf_init(&got, 1 << 16);
    clo_buf_init(&body, 1 << 16);
    OK(clo_tls_write(c, clo_bytes_str(req), &wire));
    assert_int_equal(memmem(wire.ptr, wire.len, "GET /price", 10) == NULL,
                     1); /* only ciphertext on the wire */
    BIO_write(s.in, wire.ptr, (int)wire.len);
    char tmp[4096];
    size_t n = 0;
    assert_int_equal(SSL_read_ex(s.ssl, tmp, sizeof tmp, &n), 1);
    assert_int_equal(n, strlen(req));
    assert_int_equal(SSL_write_ex(s.ssl, resp, strlen(resp), &n), 1);
    SSL_shutdown(s.ssl);
    clo_buf_clear(&wire);
    int m;
    while ((m = BIO_read(s.out, tmp, sizeof tmp)) > 0)
        CLO_IGNORE(clo_buf_append(&wire, tmp, (size_t)m));
    clo_buf sink;
    clo_buf_init(&sink, 1 << 16);
    OK(clo_tls_pump(c, clo_buf_view(&wire), &sink));
    OK(clo_tls_read(c, &got));
    clo_tls_info_get(c, &info);
    assert_true(info.closed);
    clo_http_response r;
    OK(clo_http_response_parse(clo_buf_view(&got), 4096, &r, &body));
    assert_true(r.complete && r.status == 200);
    assert_memory_equal(body.ptr, "{\"price\":\"101.5\"}", 17);
    clo_buf_free(&wire);
    clo_buf_free(&got);
    clo_buf_free(&body);
    clo_buf_free(&sink);
    clo_tls_free(c);
    server_free(&s);
}

static void refused(const char *host, long at, const cred *root, const cred *serving,
                    const uint8_t (*pins)[32], size_t npins, long flip, int max_version,
                    clo_code code, const char *why)
{
    server s;
    server_new(&s, serving, max_version);
    clo_tls *c = client(host, at, root, pins, npins);
    clo_err e = connect_through(c, &s, flip);
    if (e.code != code || (why && (!e.what || !strstr(e.what, why))))
        fail_msg("refused with %s (code %d), expected code %d (%s)", e.what ? e.what : "nothing",
                 e.code, code, why ? why : "");
    /* a failed connection stays failed */
    clo_buf b;
    clo_buf_init(&b, 1024);
    assert_int_equal(clo_tls_pump(c, CLO_BYTES_EMPTY, &b).code, CLO_E_STATE);
    clo_buf_free(&b);
    clo_tls_free(c);
    server_free(&s);
}

static void test_refusals(void **state)
{
    (void)state;
    uint8_t pin[1][32], good[1][32];
    memset(pin, 7, sizeof pin);
    leaf_spki(&leaf, good[0]);
    refused("other.example", NOW, &ca, &leaf, NULL, 0, -1, 0, CLO_E_AUTH, "another host");
    refused("price.example", NOW - 2 * DAY, &ca, &leaf, NULL, 0, -1, 0, CLO_E_STALE, "job's time");
    refused("price.example", NOW + 91 * DAY, &ca, &leaf, NULL, 0, -1, 0, CLO_E_STALE, "job's time");
    refused("price.example", NOW, &ca, &other_leaf, NULL, 0, -1, 0, CLO_E_AUTH, "trusted root");
    refused("price.example", NOW, &ca, &leaf, (const uint8_t(*)[32])pin, 1, -1, 0, CLO_E_AUTH,
            "pinned");
    refused("price.example", NOW, &ca, &leaf, NULL, 0, 100, 0, CLO_E_AUTH,
            NULL); /* a flipped byte */
    refused("price.example", NOW, &ca, &leaf, NULL, 0, -1, TLS1_1_VERSION, CLO_E_AUTH, NULL);
    /* the pins alone: the leaf's issuer unknown, yet its name and time still checked */
    refused("price.example", NOW, NULL, &leaf, (const uint8_t(*)[32])pin, 1, -1, 0, CLO_E_AUTH,
            "pinned");
    refused("other.example", NOW, NULL, &leaf, (const uint8_t(*)[32])good, 1, -1, 0, CLO_E_AUTH,
            "another host");
    refused("price.example", NOW + 91 * DAY, NULL, &leaf, (const uint8_t(*)[32])good, 1, -1, 0,
            CLO_E_STALE, "job's time");
    /* and the right pin passes, with roots or alone */
    for (int alone = 0; alone < 2; alone++) {
        server s;
        server_new(&s, &leaf, 0);
        clo_tls *c =
            client("price.example", NOW, alone ? NULL : &ca, (const uint8_t(*)[32])good, 1);
        OK(connect_through(c, &s, -1));
        clo_tls_free(c);
        server_free(&s);
    }
}

/* PEM of a credential's certificate and key, as a sealed secret holds it. */
static size_t cred_pem(const cred *c, char *out, size_t cap)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, c->cert);
    PEM_write_bio_PrivateKey(b, c->key, NULL, NULL, 0, NULL, NULL);
    int n = BIO_read(b, out, (int)cap);
    BIO_free(b);
    assert_true(n > 0);
    return (size_t)n;
}

/* A server that demands a client certificate from the test CA: refused
 * without one (named as such), served with one. */
static void test_client_certificate(void **state)
{
    (void)state;
    static char pem[8192];
    size_t pem_len = cred_pem(&client_cred, pem, sizeof pem);
    for (int with = 0; with < 2; with++) {
        server s;
        server_new(&s, &leaf, 0);
        X509_STORE_add_cert(SSL_CTX_get_cert_store(s.ctx), ca.cert);
        SSL_set_verify(s.ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        clo_tls *c = client_with("price.example", NOW, &ca, NULL, 0,
                                 with ? CLO_BYTES(pem, pem_len) : CLO_BYTES_EMPTY);
        OK(connect_through(c, &s, -1)); /* TLS 1.3: the client is done first */
        int rc = SSL_do_handshake(s.ssl);
        assert_int_equal(rc == 1, with);
        clo_buf wire, got;
        clo_buf_init(&wire, 1 << 16);
        clo_buf_init(&got, 1 << 16);
        char tmp[4096];
        int m;
        while ((m = BIO_read(s.out, tmp, sizeof tmp)) > 0)
            CLO_IGNORE(clo_buf_append(&wire, tmp, (size_t)m));
        clo_err e = clo_tls_pump(c, clo_buf_view(&wire), &got);
        if (!e.code) e = clo_tls_read(c, &got);
        if (with)
            OK(e);
        else
            assert_true(e.code == CLO_E_AUTH && strstr(e.what, "client certificate"));
        clo_buf_free(&wire);
        clo_buf_free(&got);
        clo_tls_free(c);
        server_free(&s);
    }
    /* a credential whose key is not its certificate's */
    static char bad[16384];
    size_t a = cred_pem(&client_cred, bad, sizeof bad);
    size_t b = cred_pem(&leaf, bad + a, sizeof bad - a);
    char *key = strstr(bad + a, "-----BEGIN PRIVATE KEY");
    memmove(strstr(bad, "-----BEGIN PRIVATE KEY"), key, (size_t)(bad + a + b - key));
    clo_tls_opts o = {"price.example", NOW, NULL, NULL, 0, clo_bytes_str(bad)};
    uint8_t pin[1][32] = {{1}};
    o.pins = (const uint8_t(*)[32])pin;
    o.npins = 1;
    clo_tls *c = NULL;
    assert_int_equal(clo_tls_new(&c, &o).code, CLO_E_FORMAT);
    assert_null(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_and_response),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_client_certificate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
