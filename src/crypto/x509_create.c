/* x509_create.c — certificates and CRLs made for the simulated TEE's platform. */
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
    X509 *x = X509_new(), *ix = NULL;
    unsigned char *der = NULL;
    clo_err err = CLO_OK;
    *out = NULL;
    CLO_ENSURE(x != NULL, CLO_E_NOMEM, "x509 create");
    if (sp->issuer) { /* OpenSSL's builders want the issuer as an X509 */
        const unsigned char *p = sp->issuer->der.ptr;
        ix = d2i_X509(NULL, &p, (long)sp->issuer->der.len);
        CLO_FAIL_IF(ix == NULL, CLO_E_CRYPTO, "x509 create: issuer");
    }
    EVP_PKEY *subject = clo_ec_key_evp(sp->key),
             *signer = clo_ec_key_evp(sp->issuer ? sp->issuer_key : sp->key);
    X509V3_CTX v3;
    int ok =
        X509_set_version(x, X509_VERSION_3) == 1 &&
        ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), sp->serial) == 1 &&
        set_name(X509_get_subject_name(x), sp->cn, sp->org) &&
        X509_set_issuer_name(x, ix ? X509_get_subject_name(ix) : X509_get_subject_name(x)) == 1 &&
        ASN1_TIME_set(X509_getm_notBefore(x), (time_t)sp->not_before) != NULL &&
        ASN1_TIME_set(X509_getm_notAfter(x), (time_t)sp->not_after) != NULL &&
        X509_set_pubkey(x, subject) == 1;
    if (ok) {
        X509V3_set_ctx(&v3, ix ? ix : x, x, NULL, NULL, 0);
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
    X509_free(ix);
    X509_free(x);
    return err;
}

clo_err clo_x509_crl_create(const clo_x509 *issuer, const clo_ec_key *issuer_key,
                            int64_t this_update, int64_t next_update,
                            const clo_x509 *const *revoked, size_t nrevoked, clo_buf *der_out)
{
    X509_CRL *c = X509_CRL_new();
    const unsigned char *np = issuer->subject.ptr;
    X509_NAME *iname = d2i_X509_NAME(NULL, &np, (long)issuer->subject.len);
    ASN1_TIME *t1 = ASN1_TIME_set(NULL, (time_t)this_update),
              *t2 = ASN1_TIME_set(NULL, (time_t)next_update);
    unsigned char *der = NULL;
    clo_err err = CLO_OK;
    int ok = c && t1 && t2 && iname && X509_CRL_set_version(c, X509_CRL_VERSION_2) == 1 &&
             X509_CRL_set_issuer_name(c, iname) == 1 && X509_CRL_set1_lastUpdate(c, t1) == 1 &&
             X509_CRL_set1_nextUpdate(c, t2) == 1;
    for (size_t i = 0; ok && i < nrevoked; i++) {
        X509_REVOKED *r = X509_REVOKED_new();
        const unsigned char *sp = revoked[i]->serial.ptr;
        ASN1_INTEGER *serial = d2i_ASN1_INTEGER(NULL, &sp, (long)revoked[i]->serial.len);
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
    X509_NAME_free(iname);
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
