/* x509.h — X.509 certificates and CRLs (RFC 5280) for the attestation layer,
 * which may not touch OpenSSL itself. Parsing and signature checks are
 * OpenSSL's; chain policy (which issuer, which anchor, which time) is the
 * caller's, so every failure can be reported precisely.
 *
 * Times are Unix seconds (UTC). Views returned by these functions borrow from
 * the object and live until it is freed. */
#ifndef CLO_CRYPTO_X509_H
#define CLO_CRYPTO_X509_H

#include <stdint.h>

#include "base/bytes.h"

typedef struct clo_x509 clo_x509;
typedef struct clo_x509_crl clo_x509_crl;

#define CLO_X509_SERIAL_MAX 32

/* Parse one DER certificate; the whole input must be consumed. */
CLO_MUST_CHECK clo_err clo_x509_parse(clo_bytes der, clo_x509 **out);
void clo_x509_free(clo_x509 *cert);
clo_bytes clo_x509_der(const clo_x509 *cert);
int64_t clo_x509_not_before(const clo_x509 *cert);
int64_t clo_x509_not_after(const clo_x509 *cert);
/* Every CERTIFICATE block of PEM text, parsed into out[0..*n), at most max.
 * Any other block label is CLO_E_FORMAT. On error nothing is left allocated. */
CLO_MUST_CHECK clo_err clo_x509_parse_pem(clo_bytes pem, clo_x509 **out, size_t max, size_t *n);
/* CLO_E_STALE with `not_yet` / `expired` unless notBefore <= at <= notAfter. */
CLO_MUST_CHECK clo_err clo_x509_check_time(const clo_x509 *cert, int64_t at, const char *not_yet,
                                           const char *expired);
/* 1 if basicConstraints says CA:TRUE. */
int clo_x509_is_ca(const clo_x509 *cert);
/* 1 if both certificates carry the same public key. */
int clo_x509_same_key(const clo_x509 *a, const clo_x509 *b);
/* 1 if `cert`'s issuer Name is `issuer`'s subject: where to look, never trust
 * (clo_x509_check_issued_by checks the signature). */
int clo_x509_names_issuer(const clo_x509 *cert, const clo_x509 *issuer);
/* `cert` names `issuer` as its issuer, `issuer` is a CA, and the signature on
 * `cert` verifies under `issuer`'s key (ECDSA or RSA-PSS as the cert says).
 * CLO_E_AUTH for a bad signature, CLO_E_POLICY for a name or CA mismatch. */
CLO_MUST_CHECK clo_err clo_x509_check_issued_by(const clo_x509 *cert, const clo_x509 *issuer);
/* The subject's EC public key as an uncompressed SEC1 point (65 or 97 bytes). */
CLO_MUST_CHECK clo_err clo_x509_ec_point(const clo_x509 *cert, uint8_t *out, size_t cap,
                                         size_t *len);
/* The contents of the extnValue OCTET STRING of the extension with the dotted
 * OID, or CLO_E_FORMAT ("extension absent") if there is none. */
CLO_MUST_CHECK clo_err clo_x509_extension(const clo_x509 *cert, const char *oid, clo_bytes *value);
/* The subject's common name (truncated to cap - 1 bytes), for messages. */
void clo_x509_subject_cn(const clo_x509 *cert, char *out, size_t cap);

/* ---- creation (the simulated TEE's PKI) ---- */
#include "crypto/sig.h"

#define CLO_X509_MAX_EXTRA_EXT 8

typedef struct {
    const char *cn, *org; /* subject common name and organisation */
    uint64_t serial;
    int64_t not_before, not_after;
    int is_ca;
    const clo_ec_key *key;  /* the subject's key (its public half goes in) */
    const clo_x509 *issuer; /* NULL: self-signed */
    const clo_ec_key *issuer_key;
    struct {
        const char *oid; /* dotted */
        clo_bytes value; /* the extnValue contents (DER) */
    } ext[CLO_X509_MAX_EXTRA_EXT];
    size_t next;
} clo_x509_spec;

/* Create and sign (ECDSA with SHA-256) a certificate. */
CLO_MUST_CHECK clo_err clo_x509_create(const clo_x509_spec *spec, clo_x509 **out);
/* Create and sign a CRL of `issuer` listing the given certificates; append its DER. */
CLO_MUST_CHECK clo_err clo_x509_crl_create(const clo_x509 *issuer, const clo_ec_key *issuer_key,
                                           int64_t this_update, int64_t next_update,
                                           const clo_x509 *const *revoked, size_t nrevoked,
                                           clo_buf *der_out);
/* Append the certificate as PEM text. */
CLO_MUST_CHECK clo_err clo_x509_to_pem(const clo_x509 *cert, clo_buf *out);

/* ---- CRLs ---- */
CLO_MUST_CHECK clo_err clo_x509_crl_parse(clo_bytes der, clo_x509_crl **out);
void clo_x509_crl_free(clo_x509_crl *crl);
int64_t clo_x509_crl_this_update(const clo_x509_crl *crl);
/* 0 when the CRL has no nextUpdate. */
int64_t clo_x509_crl_next_update(const clo_x509_crl *crl);
/* Issuer name matches `issuer`'s subject and the signature verifies. */
CLO_MUST_CHECK clo_err clo_x509_crl_check_issued_by(const clo_x509_crl *crl,
                                                    const clo_x509 *issuer);
/* 1 if `cert`'s serial number is on the CRL. */
int clo_x509_crl_lists(const clo_x509_crl *crl, const clo_x509 *cert);
/* 1 if the CRL's issuer name equals `cert`'s subject name. */
int clo_x509_crl_issuer_is(const clo_x509_crl *crl, const clo_x509 *cert);

#endif
