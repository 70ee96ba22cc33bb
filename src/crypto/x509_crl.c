/* x509_crl.c — CRLs, on OpenSSL's parser (no key decoding involved). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/timefmt.h"
#include "crypto/ossl.h"
#include "crypto/x509_impl.h"

/* ---- CRLs (OpenSSL's parser: no key decoding involved) ---- */

static int64_t asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
    return (int64_t)timegm(&tm);
}

clo_err clo_x509_crl_parse(clo_bytes der, clo_x509_crl **out)
{
    const unsigned char *p = der.ptr;
    unsigned char *name = NULL;
    *out = NULL;
    CLO_ENSURE(der.len > 0 && der.len <= ((size_t)4 << 20), CLO_E_LIMIT, "crl: size");
    X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)der.len);
    CLO_ENSURE(c != NULL, CLO_E_FORMAT, "crl: not a DER CRL");
    clo_x509_crl *r = calloc(1, sizeof *r);
    int n = i2d_X509_NAME(X509_CRL_get_issuer(c), &name); /* the encoding as parsed */
    clo_err err = CLO_OK;
    if (p != der.ptr + der.len)
        err = CLO_ERR(CLO_E_FORMAT, "crl: trailing bytes after CRL");
    else if (!r || n <= 0)
        err = CLO_ERR(CLO_E_NOMEM, "crl");
    if (!err.code) {
        r->c = c;
        clo_buf_init(&r->issuer, (size_t)n);
        err = clo_buf_append(&r->issuer, name, (size_t)n);
    }
    OPENSSL_free(name);
    if (err.code) {
        if (r && r->c)
            clo_x509_crl_free(r);
        else {
            free(r);
            X509_CRL_free(c);
        }
        return err;
    }
    *out = r;
    return CLO_OK;
}

void clo_x509_crl_free(clo_x509_crl *crl)
{
    if (!crl) return;
    X509_CRL_free(crl->c);
    clo_buf_free(&crl->issuer);
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
    return clo_bytes_eq(clo_buf_view(&crl->issuer), cert->subject);
}

clo_err clo_x509_crl_check_issued_by(const clo_x509_crl *crl, const clo_x509 *issuer)
{
    EVP_PKEY *k;
    CLO_ENSURE(clo_x509_crl_issuer_is(crl, issuer), CLO_E_POLICY,
               "crl: issuer name does not match");
    CLO_ENSURE(clo_x509i_ku_has(issuer, KU_BIT_CRL_SIGN), CLO_E_POLICY,
               "crl: issuer key may not sign CRLs");
    if (issuer->key_kind == KEY_RSA) {
        CLO_TRY(clo_x509i_evp_key(issuer, &k));
    } else {
        const clo_ec_pub *e;
        CLO_TRY(clo_x509i_ec_key(issuer, &e));
        k = clo_ec_pub_evp(e);
    }
    CLO_ENSURE(X509_CRL_verify(crl->c, k) == 1, CLO_E_AUTH, "crl: signature");
    return CLO_OK;
}

int clo_x509_crl_lists(const clo_x509_crl *crl, const clo_x509 *cert)
{
    X509_REVOKED *r = NULL;
    const unsigned char *p = cert->serial.ptr;
    ASN1_INTEGER *s = d2i_ASN1_INTEGER(NULL, &p, (long)cert->serial.len);
    int listed = s && X509_CRL_get0_by_serial(crl->c, &r, s) == 1;
    ASN1_INTEGER_free(s);
    return listed;
}
