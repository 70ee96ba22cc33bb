/* x509.c — certificate and CRL wrappers over OpenSSL 3.0. */
#include "crypto/x509.h"

#include "base/pem.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct clo_x509 {
    X509 *x;
    clo_buf der;
};

struct clo_x509_crl {
    X509_CRL *c;
};

static int64_t asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
    return (int64_t)timegm(&tm);
}

clo_err clo_x509_parse(clo_bytes der, clo_x509 **out)
{
    const unsigned char *p = der.ptr;
    *out = NULL;
    CLO_ENSURE(der.len > 0 && der.len <= 65536, CLO_E_LIMIT, "x509: certificate size");
    X509 *x = d2i_X509(NULL, &p, (long)der.len);
    CLO_ENSURE(x != NULL, CLO_E_FORMAT, "x509: not a DER certificate");
    if (p != der.ptr + der.len) {
        X509_free(x);
        return CLO_ERR(CLO_E_FORMAT, "x509: trailing bytes after certificate");
    }
    clo_x509 *c = calloc(1, sizeof *c);
    if (!c) {
        X509_free(x);
        return CLO_ERR(CLO_E_NOMEM, "x509");
    }
    c->x = x;
    clo_buf_init(&c->der, der.len);
    if (clo_buf_append_bytes(&c->der, der).code) {
        clo_x509_free(c);
        return CLO_ERR(CLO_E_NOMEM, "x509");
    }
    *out = c;
    return CLO_OK;
}

void clo_x509_free(clo_x509 *cert)
{
    if (!cert) return;
    X509_free(cert->x);
    clo_buf_free(&cert->der);
    free(cert);
}

typedef struct {
    clo_x509 **out;
    size_t max, n;
} pem_certs;

static clo_err one_cert(void *ctx, const char *label, clo_bytes der)
{
    pem_certs *pc = ctx;
    CLO_ENSURE(strcmp(label, "CERTIFICATE") == 0, CLO_E_FORMAT,
               "x509: PEM block is not a certificate");
    CLO_ENSURE(pc->n < pc->max, CLO_E_LIMIT, "x509: too many certificates");
    CLO_TRY(clo_x509_parse(der, &pc->out[pc->n]));
    pc->n++;
    return CLO_OK;
}

clo_err clo_x509_parse_pem(clo_bytes pem, clo_x509 **out, size_t max, size_t *n)
{
    pem_certs pc = {out, max, 0};
    size_t blocks;
    clo_err err = clo_pem_foreach(pem, one_cert, &pc, &blocks);
    if (err.code) {
        for (size_t i = 0; i < pc.n; i++) clo_x509_free(out[i]);
        pc.n = 0;
    }
    *n = pc.n;
    return err;
}

clo_err clo_x509_check_time(const clo_x509 *cert, int64_t at, const char *not_yet,
                            const char *expired)
{
    CLO_ENSURE(at >= clo_x509_not_before(cert), CLO_E_STALE, not_yet);
    CLO_ENSURE(at <= clo_x509_not_after(cert), CLO_E_STALE, expired);
    return CLO_OK;
}

clo_bytes clo_x509_der(const clo_x509 *cert)
{
    return clo_buf_view(&cert->der);
}
int64_t clo_x509_not_before(const clo_x509 *cert)
{
    return asn1_time(X509_get0_notBefore(cert->x));
}
int64_t clo_x509_not_after(const clo_x509 *cert)
{
    return asn1_time(X509_get0_notAfter(cert->x));
}

int clo_x509_is_ca(const clo_x509 *cert)
{
    return (X509_get_extension_flags(cert->x) & EXFLAG_CA) != 0;
}

int clo_x509_same_key(const clo_x509 *a, const clo_x509 *b)
{
    EVP_PKEY *ka = X509_get0_pubkey(a->x), *kb = X509_get0_pubkey(b->x);
    return ka && kb && EVP_PKEY_eq(ka, kb) == 1;
}

clo_err clo_x509_check_issued_by(const clo_x509 *cert, const clo_x509 *issuer)
{
    CLO_ENSURE(X509_NAME_cmp(X509_get_issuer_name(cert->x), X509_get_subject_name(issuer->x)) == 0,
               CLO_E_POLICY, "x509: issuer name does not match");
    CLO_ENSURE(clo_x509_is_ca(issuer), CLO_E_POLICY, "x509: issuer is not a CA");
    EVP_PKEY *k = X509_get0_pubkey(issuer->x);
    CLO_ENSURE(k != NULL, CLO_E_KEY, "x509: issuer public key");
    CLO_ENSURE(X509_verify(cert->x, k) == 1, CLO_E_AUTH, "x509: certificate signature");
    return CLO_OK;
}

clo_err clo_x509_ec_point(const clo_x509 *cert, uint8_t *out, size_t cap, size_t *len)
{
    EVP_PKEY *k = X509_get0_pubkey(cert->x);
    CLO_ENSURE(k != NULL && EVP_PKEY_is_a(k, "EC"), CLO_E_KEY, "x509: not an EC key");
    unsigned char *enc = NULL;
    size_t n = EVP_PKEY_get1_encoded_public_key(k, &enc);
    int ok = n > 0 && n <= cap && enc && enc[0] == 0x04;
    if (ok) memcpy(out, enc, n);
    OPENSSL_free(enc);
    CLO_ENSURE(ok, CLO_E_KEY, "x509: EC public key encoding");
    *len = n;
    return CLO_OK;
}

clo_err clo_x509_spki(const clo_x509 *cert, clo_buf *out)
{
    unsigned char *der = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert->x), &der);
    CLO_ENSURE(n > 0, CLO_E_KEY, "x509: public key");
    clo_err e = clo_buf_append(out, der, (size_t)n);
    OPENSSL_free(der);
    return e;
}

clo_err clo_x509_extension(const clo_x509 *cert, const char *oid, clo_bytes *value)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    CLO_ENSURE(obj != NULL, CLO_E_ARG, "x509: bad OID");
    int idx = X509_get_ext_by_OBJ(cert->x, obj, -1);
    int again = idx >= 0 ? X509_get_ext_by_OBJ(cert->x, obj, idx) : -1;
    ASN1_OBJECT_free(obj);
    CLO_ENSURE(idx >= 0, CLO_E_FORMAT, "x509: extension absent");
    CLO_ENSURE(again < 0, CLO_E_FORMAT, "x509: extension repeated");
    ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(X509_get_ext(cert->x, idx));
    CLO_ENSURE(data != NULL, CLO_E_FORMAT, "x509: extension value");
    *value = CLO_BYTES(ASN1_STRING_get0_data(data), (size_t)ASN1_STRING_length(data));
    return CLO_OK;
}

void clo_x509_subject_cn(const clo_x509 *cert, char *out, size_t cap)
{
    if (cap == 0) return;
    out[0] = '\0';
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert->x), NID_commonName, out, (int)cap);
}

/* ---- CRLs ---- */

clo_err clo_x509_crl_parse(clo_bytes der, clo_x509_crl **out)
{
    const unsigned char *p = der.ptr;
    *out = NULL;
    CLO_ENSURE(der.len > 0 && der.len <= ((size_t)4 << 20), CLO_E_LIMIT, "crl: size");
    X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)der.len);
    CLO_ENSURE(c != NULL, CLO_E_FORMAT, "crl: not a DER CRL");
    if (p != der.ptr + der.len) {
        X509_CRL_free(c);
        return CLO_ERR(CLO_E_FORMAT, "crl: trailing bytes after CRL");
    }
    clo_x509_crl *r = calloc(1, sizeof *r);
    if (!r) {
        X509_CRL_free(c);
        return CLO_ERR(CLO_E_NOMEM, "crl");
    }
    r->c = c;
    *out = r;
    return CLO_OK;
}

void clo_x509_crl_free(clo_x509_crl *crl)
{
    if (!crl) return;
    X509_CRL_free(crl->c);
    free(crl);
}

int64_t clo_x509_crl_this_update(const clo_x509_crl *crl)
{
    return asn1_time(X509_CRL_get0_lastUpdate(crl->c));
}

int64_t clo_x509_crl_next_update(const clo_x509_crl *crl)
{
    return asn1_time(X509_CRL_get0_nextUpdate(crl->c));
}

int clo_x509_crl_issuer_is(const clo_x509_crl *crl, const clo_x509 *cert)
{
    return X509_NAME_cmp(X509_CRL_get_issuer(crl->c), X509_get_subject_name(cert->x)) == 0;
}

clo_err clo_x509_crl_check_issued_by(const clo_x509_crl *crl, const clo_x509 *issuer)
{
    CLO_ENSURE(clo_x509_crl_issuer_is(crl, issuer), CLO_E_POLICY,
               "crl: issuer name does not match");
    EVP_PKEY *k = X509_get0_pubkey(issuer->x);
    CLO_ENSURE(k != NULL, CLO_E_KEY, "crl: issuer public key");
    CLO_ENSURE(X509_CRL_verify(crl->c, k) == 1, CLO_E_AUTH, "crl: signature");
    return CLO_OK;
}

int clo_x509_crl_lists(const clo_x509_crl *crl, const clo_x509 *cert)
{
    X509_REVOKED *r = NULL;
    return X509_CRL_get0_by_serial(crl->c, &r, X509_get0_serialNumber(cert->x)) == 1;
}
