/* x509.c — certificate and CRL wrappers over OpenSSL 3.0. */
#include "crypto/x509.h"

#include "base/pem.h"
#include "crypto/ossl.h"

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

/* ---- creation ---- */

static int set_name(X509_NAME *n, const char *cn, const char *org)
{
    return X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                      0) == 1 &&
           (!org || X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)org,
                                               -1, -1, 0) == 1);
}

static int add_ext_der(X509 *x, const char *oid, clo_bytes value, int critical)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *e = NULL;
    int ok = obj && os && ASN1_OCTET_STRING_set(os, value.ptr, (int)value.len) == 1 &&
             (e = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, os)) != NULL &&
             X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
    return ok;
}

clo_err clo_x509_create(const clo_x509_spec *sp, clo_x509 **out)
{
    X509 *x = X509_new();
    unsigned char *der = NULL;
    clo_err err = CLO_OK;
    *out = NULL;
    CLO_ENSURE(x != NULL, CLO_E_NOMEM, "x509 create");
    EVP_PKEY *subject = clo_ec_key_evp(sp->key),
             *signer = clo_ec_key_evp(sp->issuer ? sp->issuer_key : sp->key);
    X509V3_CTX v3;
    int ok = X509_set_version(x, X509_VERSION_3) == 1 &&
             ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), sp->serial) == 1 &&
             set_name(X509_get_subject_name(x), sp->cn, sp->org) &&
             X509_set_issuer_name(x, sp->issuer ? X509_get_subject_name(sp->issuer->x)
                                                : X509_get_subject_name(x)) == 1 &&
             ASN1_TIME_set(X509_getm_notBefore(x), (time_t)sp->not_before) != NULL &&
             ASN1_TIME_set(X509_getm_notAfter(x), (time_t)sp->not_after) != NULL &&
             X509_set_pubkey(x, subject) == 1;
    if (ok) {
        X509V3_set_ctx(&v3, sp->issuer ? sp->issuer->x : x, x, NULL, NULL, 0);
        X509_EXTENSION *bc = X509V3_EXT_conf_nid(
            NULL, &v3, NID_basic_constraints, sp->is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
        X509_EXTENSION *ku =
            X509V3_EXT_conf_nid(NULL, &v3, NID_key_usage,
                                sp->is_ca ? "critical,keyCertSign,cRLSign"
                                          : "critical,digitalSignature,nonRepudiation");
        X509_EXTENSION *ski = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_key_identifier, "hash");
        ok = bc && ku && ski && X509_add_ext(x, bc, -1) == 1 && X509_add_ext(x, ku, -1) == 1 &&
             X509_add_ext(x, ski, -1) == 1;
        X509_EXTENSION_free(bc);
        X509_EXTENSION_free(ku);
        X509_EXTENSION_free(ski);
        if (ok && sp->issuer) {
            X509_EXTENSION *aki =
                X509V3_EXT_conf_nid(NULL, &v3, NID_authority_key_identifier, "keyid:always");
            ok = aki && X509_add_ext(x, aki, -1) == 1;
            X509_EXTENSION_free(aki);
        }
    }
    for (size_t i = 0; ok && i < sp->next && i < CLO_X509_MAX_EXTRA_EXT; i++)
        ok = add_ext_der(x, sp->ext[i].oid, sp->ext[i].value, 0);
    CLO_FAIL_IF(!ok, CLO_E_CRYPTO, "x509 create: fields");
    CLO_FAIL_IF(X509_sign(x, signer, EVP_sha256()) <= 0, CLO_E_CRYPTO, "x509 create: sign");
    int n = i2d_X509(x, &der);
    CLO_FAIL_IF(n <= 0, CLO_E_CRYPTO, "x509 create: encode");
    CLO_CHECK(clo_x509_parse(CLO_BYTES(der, (size_t)n), out));
out:
    OPENSSL_free(der);
    X509_free(x);
    return err;
}

clo_err clo_x509_crl_create(const clo_x509 *issuer, const clo_ec_key *issuer_key,
                            int64_t this_update, int64_t next_update,
                            const clo_x509 *const *revoked, size_t nrevoked, clo_buf *der_out)
{
    X509_CRL *c = X509_CRL_new();
    ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)this_update),
              *t2 = ASN1_TIME_set(NULL, (time_t)next_update);
    unsigned char *der = NULL;
    clo_err err = CLO_OK;
    int ok = c && t1 && t2 && X509_CRL_set_version(c, X509_CRL_VERSION_2) == 1 &&
             X509_CRL_set_issuer_name(c, X509_get_subject_name(issuer->x)) == 1 &&
             X509_CRL_set1_lastUpdate(c, t1) == 1 && X509_CRL_set1_nextUpdate(c, t2) == 1;
    for (size_t i = 0; ok && i < nrevoked; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        ASN1_INTEGER *serial = ASN1_INTEGER_dup(X509_get0_serialNumber(revoked[i]->x));
        ok = r && serial && X509_REVOKED_set_serialNumber(r, serial) == 1 &&
             X509_REVOKED_set_revocationDate(r, t1) == 1 && X509_CRL_add0_revoked(c, r) == 1;
        ASN1_INTEGER_free(serial);
        if (!ok) X509_REVOKED_free(r);
    }
    CLO_FAIL_IF(!ok, CLO_E_CRYPTO, "crl create: fields");
    CLO_FAIL_IF(X509_CRL_sort(c) != 1 ||
                    X509_CRL_sign(c, clo_ec_key_evp(issuer_key), EVP_sha256()) <= 0,
                CLO_E_CRYPTO, "crl create: sign");
    int n = i2d_X509_CRL(c, &der);
    CLO_FAIL_IF(n <= 0, CLO_E_CRYPTO, "crl create: encode");
    CLO_CHECK(clo_buf_append(der_out, der, (size_t)n));
out:
    OPENSSL_free(der);
    ASN1_TIME_free(t1);
    ASN1_TIME_free(t2);
    X509_CRL_free(c);
    return err;
}

clo_err clo_x509_to_pem(const clo_x509 *cert, clo_buf *out)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    clo_bytes d = clo_buf_view(&cert->der);
    CLO_TRY(clo_buf_append(out, "-----BEGIN CERTIFICATE-----\n", 28));
    for (size_t i = 0, col = 0; i < d.len; i += 3) {
        uint32_t v = (uint32_t)d.ptr[i] << 16 | (i + 1 < d.len ? (uint32_t)d.ptr[i + 1] << 8 : 0) |
                     (i + 2 < d.len ? d.ptr[i + 2] : 0);
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], i + 1 < d.len ? b64[(v >> 6) & 63] : '=',
                     i + 2 < d.len ? b64[v & 63] : '='};
        CLO_TRY(clo_buf_append(out, q, 4));
        if ((col += 4) == 64 || i + 3 >= d.len) {
            CLO_TRY(clo_buf_u8(out, '\n'));
            col = 0;
        }
    }
    return clo_buf_append(out, "-----END CERTIFICATE-----\n", 26);
}
