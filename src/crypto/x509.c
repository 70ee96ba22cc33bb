/* x509.c — X.509 certificates parsed with our own strict DER reader (RFC 5280
 * profile used by Intel and AMD: v3, ECDSA-with-SHA256/384 or RSASSA-PSS
 * signatures, EC P-256/P-384 or RSA keys), with OpenSSL for the signature
 * arithmetic (CRLs: x509_crl.c; creation: x509_create.c).
 *
 * Why not d2i_X509: OpenSSL 3.0 decodes every certificate's public key through
 * its generic decoder, ~140 us each (measured); a cold quote verification
 * parses eight. Here keys are built only when used, from the SPKI point. */
#include "crypto/x509.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/der.h"
#include "base/pem.h"
#include "base/timefmt.h"
#include "crypto/ossl.h"
#include "crypto/x509_impl.h"

/* ---- OIDs (DER contents) ---- */
static const uint8_t OID_ECDSA_SHA256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t OID_ECDSA_SHA384[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t OID_RSASSA_PSS[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a};
static const uint8_t OID_RSA[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
static const uint8_t OID_MGF1[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08};
static const uint8_t OID_EC_KEY[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t OID_P256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t OID_P384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t OID_SHA256[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01};
static const uint8_t OID_SHA384[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02};
static const uint8_t OID_SHA512[] = {0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03};
static const uint8_t OID_BASIC_CONSTRAINTS[] = {0x55, 0x1d, 0x13};
static const uint8_t OID_KEY_USAGE[] = {0x55, 0x1d, 0x0f};
static const uint8_t OID_CN[] = {0x55, 0x04, 0x03};
#define OIDB(o) CLO_BYTES(o, sizeof o)

/* Dotted text to DER contents (for the extension lookup API). */
static int oid_from_text(const char *text, uint8_t *out, size_t cap, size_t *len)
{
    uint64_t arcs[32];
    size_t n = 0, o = 0;
    const char *p = text;
    while (*p && n < 32) {
        char *end;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p) return 0;
        arcs[n++] = v;
        p = *end == '.' ? end + 1 : end;
        if (*end && *end != '.') return 0;
    }
    if (n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39)) return 0;
    arcs[1] += arcs[0] * 40;
    for (size_t i = 1; i < n; i++) {
        uint8_t tmp[10];
        size_t t = 0;
        uint64_t v = arcs[i];
        do tmp[t++] = (uint8_t)(v & 0x7f), v >>= 7;
        while (v);
        if (o + t > cap) return 0;
        while (t > 0) {
            t--;
            out[o++] = (uint8_t)(tmp[t] | (t > 0 ? 0x80 : 0));
        }
    }
    *len = o;
    return 1;
}

/* UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ). */
static clo_err der_time(const clo_der *d, int64_t *out)
{
    char s[32];
    const uint8_t *p = d->body.ptr;
    if (d->tag == 0x17) {
        CLO_ENSURE(d->body.len == 13 && p[12] == 'Z', CLO_E_FORMAT, "x509: UTCTime");
        int yy = (p[0] - '0') * 10 + (p[1] - '0');
        snprintf(s, sizeof s, "%d%c%c-%c%c-%c%cT%c%c:%c%c:%c%cZ", yy >= 50 ? 19 : 20, p[0], p[1],
                 p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]);
    } else {
        CLO_ENSURE(d->tag == 0x18 && d->body.len == 15 && p[14] == 'Z', CLO_E_FORMAT,
                   "x509: GeneralizedTime");
        snprintf(s, sizeof s, "%c%c%c%c-%c%c-%c%cT%c%c:%c%c:%c%cZ", p[0], p[1], p[2], p[3], p[4],
                 p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13]);
    }
    for (size_t i = 0; i < d->body.len - 1; i++)
        CLO_ENSURE(p[i] >= '0' && p[i] <= '9', CLO_E_FORMAT, "x509: time digits");
    CLO_ENSURE(clo_time_parse(s, out).code == CLO_OK_CODE, CLO_E_FORMAT, "x509: time value");
    return CLO_OK;
}

static clo_err hash_alg_id(clo_bytes alg_seq_body, clo_hash_alg *out)
{
    clo_cur c = clo_cur_init(alg_seq_body);
    clo_der oid, nul;
    CLO_TRY(clo_der_expect(&c, CLO_DER_OID, &oid));
    if (clo_cur_left(&c)) {
        CLO_TRY(clo_der_expect(&c, 0x05, &nul));
        CLO_ENSURE(nul.body.len == 0, CLO_E_FORMAT, "x509: hash parameters");
    }
    CLO_TRY(clo_cur_end(&c));
    if (clo_der_oid_eq(&oid, OIDB(OID_SHA256)))
        *out = CLO_HASH_SHA256;
    else if (clo_der_oid_eq(&oid, OIDB(OID_SHA384)))
        *out = CLO_HASH_SHA384;
    else if (clo_der_oid_eq(&oid, OIDB(OID_SHA512)))
        *out = CLO_HASH_SHA512;
    else
        return CLO_ERR(CLO_E_UNSUPPORTED, "x509: hash algorithm");
    return CLO_OK;
}

/* RSASSA-PSS-params: [0] hash, [1] MGF1(hash), [2] salt; MGF1's hash must be the hash. */
static clo_err pss_params(clo_cur *c, clo_x509 *x)
{
    clo_der seq, f, inner;
    clo_hash_alg mgf_hash = CLO_HASH_SHA256;
    uint64_t salt = 20;
    x->sig_hash = CLO_HASH_SHA256; /* RFC 4055 defaults (SHA-1) are refused below */
    int have_hash = 0, have_mgf = 0;
    CLO_TRY(clo_der_expect(c, CLO_DER_SEQUENCE, &seq));
    clo_cur p = clo_cur_init(seq.body);
    while (clo_cur_left(&p)) {
        CLO_TRY(clo_der_next(&p, &f));
        clo_cur in = clo_cur_init(f.body);
        if (f.tag == 0xa0) {
            CLO_TRY(clo_der_expect(&in, CLO_DER_SEQUENCE, &inner));
            CLO_TRY(hash_alg_id(inner.body, &x->sig_hash));
            have_hash = 1;
        } else if (f.tag == 0xa1) {
            clo_der mgf_oid, mgf_hash_seq;
            CLO_TRY(clo_der_expect(&in, CLO_DER_SEQUENCE, &inner));
            clo_cur m = clo_cur_init(inner.body);
            CLO_TRY(clo_der_expect(&m, CLO_DER_OID, &mgf_oid));
            CLO_ENSURE(clo_der_oid_eq(&mgf_oid, OIDB(OID_MGF1)), CLO_E_UNSUPPORTED,
                       "x509: PSS mask generation");
            CLO_TRY(clo_der_expect(&m, CLO_DER_SEQUENCE, &mgf_hash_seq));
            CLO_TRY(clo_cur_end(&m));
            CLO_TRY(hash_alg_id(mgf_hash_seq.body, &mgf_hash));
            have_mgf = 1;
        } else if (f.tag == 0xa2) {
            clo_der i;
            CLO_TRY(clo_der_expect(&in, CLO_DER_INTEGER, &i));
            CLO_TRY(clo_der_uint(&i, &salt));
        } else if (f.tag == 0xa3) {
            clo_der i;
            uint64_t trailer;
            CLO_TRY(clo_der_expect(&in, CLO_DER_INTEGER, &i));
            CLO_TRY(clo_der_uint(&i, &trailer));
            CLO_ENSURE(trailer == 1, CLO_E_UNSUPPORTED, "x509: PSS trailer field");
        } else {
            return CLO_ERR(CLO_E_FORMAT, "x509: PSS parameters");
        }
        CLO_TRY(clo_cur_end(&in));
    }
    CLO_ENSURE(have_hash && have_mgf && mgf_hash == x->sig_hash, CLO_E_UNSUPPORTED,
               "x509: PSS must name one SHA-2 hash for both digest and MGF1");
    CLO_ENSURE(salt <= 512, CLO_E_FORMAT, "x509: PSS salt length");
    x->pss_salt = (size_t)salt;
    return CLO_OK;
}

static clo_err sig_algorithm(clo_bytes alg_tlv, clo_x509 *x)
{
    clo_cur c = clo_cur_init(alg_tlv);
    clo_der seq, oid;
    CLO_TRY(clo_der_expect(&c, CLO_DER_SEQUENCE, &seq));
    clo_cur a = clo_cur_init(seq.body);
    CLO_TRY(clo_der_expect(&a, CLO_DER_OID, &oid));
    if (clo_der_oid_eq(&oid, OIDB(OID_ECDSA_SHA256)) ||
        clo_der_oid_eq(&oid, OIDB(OID_ECDSA_SHA384))) {
        x->sig_kind = SIG_ECDSA;
        x->sig_hash =
            clo_der_oid_eq(&oid, OIDB(OID_ECDSA_SHA256)) ? CLO_HASH_SHA256 : CLO_HASH_SHA384;
    } else if (clo_der_oid_eq(&oid, OIDB(OID_RSASSA_PSS))) {
        x->sig_kind = SIG_RSA_PSS;
        CLO_TRY(pss_params(&a, x));
    } else {
        return CLO_ERR(CLO_E_UNSUPPORTED, "x509: signature algorithm");
    }
    return clo_cur_end(&a); /* ECDSA: parameters absent */
}

static clo_err spki(clo_bytes spki_tlv, clo_x509 *x)
{
    clo_cur c = clo_cur_init(spki_tlv);
    clo_der seq, alg, oid, param, bits;
    CLO_TRY(clo_der_expect(&c, CLO_DER_SEQUENCE, &seq));
    clo_cur s = clo_cur_init(seq.body);
    CLO_TRY(clo_der_expect(&s, CLO_DER_SEQUENCE, &alg));
    CLO_TRY(clo_der_expect(&s, CLO_DER_BIT_STRING, &bits));
    CLO_TRY(clo_cur_end(&s));
    CLO_ENSURE(bits.body.len >= 2 && bits.body.ptr[0] == 0, CLO_E_FORMAT, "x509: public key bits");
    x->key = CLO_BYTES(bits.body.ptr + 1, bits.body.len - 1);
    clo_cur a = clo_cur_init(alg.body);
    CLO_TRY(clo_der_expect(&a, CLO_DER_OID, &oid));
    if (clo_der_oid_eq(&oid, OIDB(OID_EC_KEY))) {
        CLO_TRY(clo_der_expect(&a, CLO_DER_OID, &param));
        if (clo_der_oid_eq(&param, OIDB(OID_P256))) {
            x->key_kind = KEY_EC_P256;
            CLO_ENSURE(x->key.len == 65 && x->key.ptr[0] == 4, CLO_E_KEY,
                       "x509: P-256 point encoding");
        } else if (clo_der_oid_eq(&param, OIDB(OID_P384))) {
            x->key_kind = KEY_EC_P384;
            CLO_ENSURE(x->key.len == 97 && x->key.ptr[0] == 4, CLO_E_KEY,
                       "x509: P-384 point encoding");
        } else {
            return CLO_ERR(CLO_E_UNSUPPORTED, "x509: EC curve");
        }
    } else if (clo_der_oid_eq(&oid, OIDB(OID_RSA)) || clo_der_oid_eq(&oid, OIDB(OID_RSASSA_PSS))) {
        x->key_kind = KEY_RSA;
        if (clo_cur_left(&a)) CLO_TRY(clo_der_next(&a, &param)); /* NULL or PSS parameters */
    } else {
        return CLO_ERR(CLO_E_UNSUPPORTED, "x509: public key algorithm");
    }
    return clo_cur_end(&a);
}

static clo_err extensions(clo_bytes body, clo_x509 *x)
{
    clo_cur c = clo_cur_init(body);
    clo_der seq;
    CLO_TRY(clo_der_expect(&c, CLO_DER_SEQUENCE, &seq));
    CLO_TRY(clo_cur_end(&c));
    clo_cur e = clo_cur_init(seq.body);
    CLO_ENSURE(clo_cur_left(&e) > 0, CLO_E_FORMAT, "x509: empty extensions");
    while (clo_cur_left(&e)) {
        clo_der ext, oid, crit, val;
        CLO_TRY(clo_der_expect(&e, CLO_DER_SEQUENCE, &ext));
        clo_cur x1 = clo_cur_init(ext.body);
        CLO_TRY(clo_der_expect(&x1, CLO_DER_OID, &oid));
        int critical = 0;
        if (clo_der_expect(&x1, 0x01, &crit).code == CLO_OK_CODE) {
            /* DER: DEFAULT FALSE is omitted, so a present flag must be TRUE (0xff) */
            CLO_ENSURE(crit.body.len == 1 && crit.body.ptr[0] == 0xff, CLO_E_FORMAT,
                       "x509: critical flag");
            critical = 1;
        }
        CLO_TRY(clo_der_expect(&x1, CLO_DER_OCTET_STRING, &val));
        CLO_TRY(clo_cur_end(&x1));
        CLO_ENSURE(x->next < MAX_EXT, CLO_E_LIMIT, "x509: too many extensions");
        for (size_t i = 0; i < x->next; i++)
            CLO_ENSURE(!clo_bytes_eq(x->ext[i].oid, oid.body), CLO_E_FORMAT,
                       "x509: extension repeated");
        x->ext[x->next].oid = oid.body;
        x->ext[x->next].value = val.body;
        x->ext[x->next].critical = critical;
        x->next++;
        clo_cur v = clo_cur_init(val.body);
        if (clo_bytes_eq(oid.body, OIDB(OID_BASIC_CONSTRAINTS))) {
            clo_der bc, ca;
            CLO_TRY(clo_der_expect(&v, CLO_DER_SEQUENCE, &bc));
            CLO_TRY(clo_cur_end(&v));
            clo_cur b = clo_cur_init(bc.body);
            if (clo_der_expect(&b, 0x01, &ca).code == CLO_OK_CODE) {
                CLO_ENSURE(ca.body.len == 1 && ca.body.ptr[0] == 0xff, CLO_E_FORMAT,
                           "x509: basicConstraints cA");
                x->is_ca = 1;
            }
            if (clo_cur_left(&b)) {
                clo_der plen;
                uint64_t n;
                CLO_TRY(clo_der_expect(&b, CLO_DER_INTEGER, &plen));
                CLO_TRY(clo_der_uint(&plen, &n));
            }
            CLO_TRY(clo_cur_end(&b));
        } else if (clo_bytes_eq(oid.body, OIDB(OID_KEY_USAGE))) {
            clo_der ku;
            CLO_TRY(clo_der_expect(&v, CLO_DER_BIT_STRING, &ku));
            CLO_TRY(clo_cur_end(&v));
            CLO_ENSURE(ku.body.len >= 2 && ku.body.len <= 3 && ku.body.ptr[0] < 8, CLO_E_FORMAT,
                       "x509: keyUsage");
            x->ku[0] = ku.body.ptr[1];
            x->ku[1] = ku.body.len == 3 ? ku.body.ptr[2] : 0;
            x->has_ku = 1;
        } else {
            /* RFC 5280 §4.2: an unrecognised critical extension makes the certificate unusable */
            CLO_ENSURE(!critical, CLO_E_UNSUPPORTED, "x509: unrecognised critical extension");
        }
    }
    return CLO_OK;
}

static clo_err parse_into(clo_x509 *x)
{
    clo_cur c = clo_cur_init(clo_buf_view(&x->der));
    clo_der cert, tbs, alg, sig, f;
    CLO_TRY(clo_der_expect(&c, CLO_DER_SEQUENCE, &cert));
    CLO_ENSURE(clo_cur_left(&c) == 0, CLO_E_FORMAT, "x509: trailing bytes after certificate");
    clo_cur k = clo_cur_init(cert.body);
    CLO_TRY(clo_der_expect(&k, CLO_DER_SEQUENCE, &tbs));
    CLO_TRY(clo_der_expect(&k, CLO_DER_SEQUENCE, &alg));
    CLO_TRY(clo_der_expect(&k, CLO_DER_BIT_STRING, &sig));
    CLO_TRY(clo_cur_end(&k));
    x->tbs = tbs.all;
    x->sig_alg = alg.all;
    CLO_ENSURE(sig.body.len >= 2 && sig.body.ptr[0] == 0, CLO_E_FORMAT, "x509: signature bits");
    x->sig = CLO_BYTES(sig.body.ptr + 1, sig.body.len - 1);
    CLO_TRY(sig_algorithm(alg.all, x));

    clo_cur t = clo_cur_init(tbs.body);
    clo_der ver, vint, serial, tbs_alg, validity, nb, na;
    uint64_t version;
    CLO_TRY(clo_der_expect(&t, 0xa0, &ver));
    clo_cur vc = clo_cur_init(ver.body);
    CLO_TRY(clo_der_expect(&vc, CLO_DER_INTEGER, &vint));
    CLO_TRY(clo_cur_end(&vc));
    CLO_TRY(clo_der_uint(&vint, &version));
    CLO_ENSURE(version == 2, CLO_E_UNSUPPORTED, "x509: not a version 3 certificate");
    CLO_TRY(clo_der_expect(&t, CLO_DER_INTEGER, &serial));
    CLO_ENSURE(serial.body.len >= 1 && serial.body.len <= CLO_X509_SERIAL_MAX + 1, CLO_E_FORMAT,
               "x509: serial number");
    x->serial = serial.all;
    CLO_TRY(clo_der_expect(&t, CLO_DER_SEQUENCE, &tbs_alg));
    CLO_ENSURE(clo_bytes_eq(tbs_alg.all, alg.all), CLO_E_FORMAT,
               "x509: inner and outer signature algorithms differ");
    CLO_TRY(clo_der_expect(&t, CLO_DER_SEQUENCE, &f));
    x->issuer = f.all;
    CLO_TRY(clo_der_expect(&t, CLO_DER_SEQUENCE, &validity));
    clo_cur vv = clo_cur_init(validity.body);
    CLO_TRY(clo_der_next(&vv, &nb));
    CLO_TRY(clo_der_next(&vv, &na));
    CLO_TRY(clo_cur_end(&vv));
    CLO_TRY(der_time(&nb, &x->not_before));
    CLO_TRY(der_time(&na, &x->not_after));
    CLO_TRY(clo_der_expect(&t, CLO_DER_SEQUENCE, &f));
    x->subject = f.all;
    CLO_TRY(clo_der_expect(&t, CLO_DER_SEQUENCE, &f));
    x->spki = f.all;
    CLO_TRY(spki(f.all, x));
    while (clo_cur_left(&t)) {
        CLO_TRY(clo_der_next(&t, &f));
        if (f.tag == 0x81 || f.tag == 0x82) continue; /* issuer/subject unique ids: not used */
        CLO_ENSURE(f.tag == 0xa3 && clo_cur_left(&t) == 0, CLO_E_FORMAT,
                   "x509: unexpected field in certificate");
        CLO_TRY(extensions(f.body, x));
    }
    return CLO_OK;
}

clo_err clo_x509_parse(clo_bytes der, clo_x509 **out)
{
    *out = NULL;
    CLO_ENSURE(der.len > 0 && der.len <= 65536, CLO_E_LIMIT, "x509: certificate size");
    clo_x509 *c = calloc(1, sizeof *c);
    CLO_ENSURE(c != NULL, CLO_E_NOMEM, "x509");
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c);
        return CLO_ERR(CLO_E_NOMEM, "x509");
    }
    clo_buf_init(&c->der, der.len);
    clo_err err = clo_buf_append_bytes(&c->der, der);
    if (!err.code) err = parse_into(c); /* views into c->der, which never moves again */
    if (err.code) {
        clo_x509_free(c);
        return err;
    }
    *out = c;
    return CLO_OK;
}

void clo_x509_free(clo_x509 *cert)
{
    if (!cert) return;
    clo_ec_pub_free(cert->ec);
    EVP_PKEY_free(cert->pkey);
    pthread_mutex_destroy(&cert->lock);
    clo_buf_free(&cert->der);
    free(cert);
}

/* ---- keys, built on first use ---- */

clo_err clo_x509i_ec_key(const clo_x509 *cc, const clo_ec_pub **out)
{
    clo_x509 *c = (clo_x509 *)(uintptr_t)cc; /* the caches are not the certificate's value */
    clo_err err = CLO_OK;
    CLO_ENSURE(c->key_kind == KEY_EC_P256 || c->key_kind == KEY_EC_P384, CLO_E_KEY,
               "x509: not an EC key");
    pthread_mutex_lock(&c->lock);
    if (!c->ec)
        err = clo_ec_pub_new(&c->ec, c->key_kind == KEY_EC_P256 ? CLO_CURVE_P256 : CLO_CURVE_P384,
                             c->key);
    pthread_mutex_unlock(&c->lock);
    *out = c->ec;
    return err;
}

clo_err clo_x509i_evp_key(const clo_x509 *cc, EVP_PKEY **out)
{
    clo_x509 *c = (clo_x509 *)(uintptr_t)cc;
    pthread_mutex_lock(&c->lock);
    if (!c->pkey) {
        const unsigned char *p = c->spki.ptr;
        c->pkey = d2i_PUBKEY(NULL, &p, (long)c->spki.len);
    }
    pthread_mutex_unlock(&c->lock);
    *out = c->pkey;
    CLO_ENSURE(*out != NULL, CLO_E_KEY, "x509: public key");
    return CLO_OK;
}

/* ---- queries ---- */

clo_bytes clo_x509_der(const clo_x509 *cert)
{
    return clo_buf_view(&cert->der);
}
int64_t clo_x509_not_before(const clo_x509 *cert)
{
    return cert->not_before;
}
int64_t clo_x509_not_after(const clo_x509 *cert)
{
    return cert->not_after;
}
int clo_x509_is_ca(const clo_x509 *cert)
{
    return cert->is_ca;
}

int clo_x509_same_key(const clo_x509 *a, const clo_x509 *b)
{
    return a->key_kind == b->key_kind && clo_bytes_eq(a->key, b->key);
}

int clo_x509_names_issuer(const clo_x509 *cert, const clo_x509 *issuer)
{
    return clo_bytes_eq(cert->issuer, issuer->subject);
}

int clo_x509i_ku_has(const clo_x509 *c, int bit)
{
    return !c->has_ku || (c->ku[bit / 8] & (0x80 >> (bit % 8)));
}

clo_err clo_x509_check_issued_by(const clo_x509 *cert, const clo_x509 *issuer)
{
    CLO_ENSURE(clo_bytes_eq(cert->issuer, issuer->subject), CLO_E_POLICY,
               "x509: issuer name does not match");
    CLO_ENSURE(issuer->is_ca, CLO_E_POLICY, "x509: issuer is not a CA");
    CLO_ENSURE(clo_x509i_ku_has(issuer, KU_BIT_CERT_SIGN), CLO_E_POLICY,
               "x509: issuer key may not sign certificates");
    if (cert->sig_kind == SIG_ECDSA) {
        const clo_ec_pub *k;
        CLO_ENSURE(clo_x509i_ec_key(issuer, &k).code == CLO_OK_CODE, CLO_E_KEY,
                   "x509: issuer key is not an EC key");
        CLO_ENSURE(clo_ec_pub_verify_der(k, cert->sig_hash, cert->tbs, cert->sig).code ==
                       CLO_OK_CODE,
                   CLO_E_AUTH, "x509: certificate signature");
        return CLO_OK;
    }
    CLO_ENSURE(issuer->key_kind == KEY_RSA, CLO_E_KEY, "x509: issuer key is not an RSA key");
    CLO_ENSURE(
        clo_rsa_pss_verify(issuer->spki, cert->sig_hash, cert->pss_salt, cert->tbs, cert->sig)
                .code == CLO_OK_CODE,
        CLO_E_AUTH, "x509: certificate signature");
    return CLO_OK;
}

clo_err clo_x509_ec_point(const clo_x509 *cert, uint8_t *out, size_t cap, size_t *len)
{
    CLO_ENSURE(cert->key_kind == KEY_EC_P256 || cert->key_kind == KEY_EC_P384, CLO_E_KEY,
               "x509: not an EC key");
    CLO_ENSURE(cert->key.len <= cap, CLO_E_ARG, "x509: point buffer");
    memcpy(out, cert->key.ptr, cert->key.len);
    *len = cert->key.len;
    return CLO_OK;
}

clo_err clo_x509_extension(const clo_x509 *cert, const char *oid, clo_bytes *value)
{
    uint8_t enc[64];
    size_t n;
    CLO_ENSURE(oid_from_text(oid, enc, sizeof enc, &n), CLO_E_ARG, "x509: bad OID");
    for (size_t i = 0; i < cert->next; i++)
        if (clo_bytes_eq(cert->ext[i].oid, CLO_BYTES(enc, n))) {
            *value = cert->ext[i].value;
            return CLO_OK;
        }
    return CLO_ERR(CLO_E_FORMAT, "x509: extension absent");
}

void clo_x509_subject_cn(const clo_x509 *cert, char *out, size_t cap)
{
    clo_cur c = clo_cur_init(cert->subject);
    clo_der name, rdn, atv, oid, val;
    if (cap == 0) return;
    out[0] = '\0';
    if (clo_der_expect(&c, CLO_DER_SEQUENCE, &name).code) return;
    clo_cur n = clo_cur_init(name.body);
    while (clo_cur_left(&n) && clo_der_expect(&n, CLO_DER_SET, &rdn).code == CLO_OK_CODE) {
        clo_cur r = clo_cur_init(rdn.body);
        while (clo_cur_left(&r) && clo_der_expect(&r, CLO_DER_SEQUENCE, &atv).code == CLO_OK_CODE) {
            clo_cur a = clo_cur_init(atv.body);
            if (clo_der_expect(&a, CLO_DER_OID, &oid).code || clo_der_next(&a, &val).code) return;
            if (clo_der_oid_eq(&oid, OIDB(OID_CN))) {
                clo_bytes_printable(out, cap, val.body);
                return;
            }
        }
    }
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
