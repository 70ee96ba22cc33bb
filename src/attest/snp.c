/* snp.c — SEV-SNP report parsing and verification (see snp.h). */
#include "attest/snp.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ct.h"
#include "base/der.h"
#include "crypto/sig.h"

extern const unsigned char clo_anchor_amd_milan[], clo_anchor_amd_genoa[], clo_anchor_amd_turin[];
extern const unsigned long clo_anchor_amd_milan_size, clo_anchor_amd_genoa_size,
    clo_anchor_amd_turin_size;
extern const unsigned char clo_anchor_amd_milan_vlek[], clo_anchor_amd_genoa_vlek[],
    clo_anchor_amd_turin_vlek[];
extern const unsigned long clo_anchor_amd_milan_vlek_size, clo_anchor_amd_genoa_vlek_size,
    clo_anchor_amd_turin_vlek_size;

/* ---- VCEK extensions (AMD "Versioned Chip Endorsement Key" specification) ---- */

static clo_err ext_int(const clo_x509 *c, const char *oid, uint8_t *out, int required)
{
    clo_bytes v;
    clo_der d;
    uint64_t x;
    clo_err e = clo_x509_extension(c, oid, &v);
    if (e.code) {
        CLO_ENSURE(!required, CLO_E_FORMAT, "snp: VCEK TCB extension missing");
        *out = 0;
        return CLO_OK;
    }
    clo_cur cur = clo_cur_init(v);
    CLO_TRY(clo_der_expect(&cur, CLO_DER_INTEGER, &d));
    CLO_TRY(clo_cur_end(&cur));
    CLO_TRY(clo_der_uint(&d, &x));
    CLO_ENSURE(x <= 255, CLO_E_FORMAT, "snp: VCEK SPL out of range");
    *out = (uint8_t)x;
    return CLO_OK;
}

static clo_err product_name(const clo_x509 *c, char *out, size_t cap)
{
    clo_bytes v;
    clo_der d;
    CLO_TRY(clo_x509_extension(c, "1.3.6.1.4.1.3704.1.2", &v));
    clo_cur cur = clo_cur_init(v);
    CLO_TRY(clo_der_expect(&cur, 0x16 /* IA5String */, &d));
    CLO_TRY(clo_cur_end(&cur));
    CLO_ENSURE(d.body.len > 0 && d.body.len < cap, CLO_E_FORMAT, "snp: productName");
    for (size_t i = 0; i < d.body.len; i++)
        CLO_ENSURE(d.body.ptr[i] >= 0x20 && d.body.ptr[i] < 0x7f, CLO_E_FORMAT, "snp: productName");
    memcpy(out, d.body.ptr, d.body.len);
    out[d.body.len] = '\0';
    return CLO_OK;
}

/* ---- anchors ---- */

typedef struct {
    clo_x509 *certs[12]; /* ASK + ARK and ASVK + ARK for each of Milan, Genoa, Turin */
    size_t n;
} certset;

static void certset_free(certset *s)
{
    for (size_t i = 0; i < s->n; i++) clo_x509_free(s->certs[i]);
    s->n = 0;
}

static clo_err certset_add_pem(certset *s, const unsigned char *pem, unsigned long len)
{
    size_t n;
    CLO_TRY(clo_x509_parse_pem(CLO_BYTES(pem, len), s->certs + s->n,
                               sizeof s->certs / sizeof s->certs[0] - s->n, &n));
    s->n += n;
    return CLO_OK;
}

static clo_err builtin_load(certset *s)
{
    s->n = 0;
    CLO_TRY(certset_add_pem(s, clo_anchor_amd_milan, clo_anchor_amd_milan_size));
    CLO_TRY(certset_add_pem(s, clo_anchor_amd_genoa, clo_anchor_amd_genoa_size));
    CLO_TRY(certset_add_pem(s, clo_anchor_amd_turin, clo_anchor_amd_turin_size));
    /* VLEK chains: VLEK <- ASVK <- ARK */
    CLO_TRY(certset_add_pem(s, clo_anchor_amd_milan_vlek, clo_anchor_amd_milan_vlek_size));
    CLO_TRY(certset_add_pem(s, clo_anchor_amd_genoa_vlek, clo_anchor_amd_genoa_vlek_size));
    return certset_add_pem(s, clo_anchor_amd_turin_vlek, clo_anchor_amd_turin_vlek_size);
}

/* The built-in ASK/ARK chains, parsed once per process (a certificate parse costs
 * ~140 us in OpenSSL 3.0); never freed, reachable from this static. */
static certset g_builtin;
static int g_builtin_ok;
static pthread_once_t g_builtin_once = PTHREAD_ONCE_INIT;

static void builtin_init(void)
{
    if (builtin_load(&g_builtin).code == CLO_OK_CODE)
        g_builtin_ok = 1;
    else
        certset_free(&g_builtin);
}

/* What a verified endorsement chain gives the report checks, and when it holds. */
typedef struct {
    clo_ec_pub *key; /* VCEK / VLEK, P-384 */
    char product[32];
    int turin, crl_checked;
    clo_snp_tcb tcb; /* the TCB the VCEK is certified for */
    uint8_t hwid[64];
    size_t hwid_len; /* 0: no hwID (VLEK) */
    int64_t not_before, not_after, from, to;
} snp_state;

static void snp_state_free(snp_state *st)
{
    clo_ec_pub_free(st->key);
    memset(st, 0, sizeof *st);
}

static clo_err snp_stage_chain(const clo_dcap_collateral *col, const clo_snp_opts *o, snp_state *st)
{
    const clo_x509 *vcek = NULL, *ask = NULL, *ark = NULL;
    uint8_t point[97];
    size_t plen;
    clo_bytes hwid;
    clo_err err = CLO_OK;
    memset(st, 0, sizeof *st);
    pthread_once(&g_builtin_once, builtin_init);
    CLO_FAIL_IF(!g_builtin_ok, CLO_E_CRYPTO, "snp: built-in AMD anchors do not load");
    const certset *builtin = &g_builtin;

    /* The endorsement key: the collateral's non-CA certificate with an AMD productName. */
    for (size_t i = 0; col && i < col->ncerts && !vcek; i++)
        if (!clo_x509_is_ca(col->certs[i]) &&
            product_name(col->certs[i], st->product, sizeof st->product).code == CLO_OK_CODE)
            vcek = col->certs[i];
    CLO_FAIL_IF(vcek == NULL, CLO_E_POLICY, "snp: no VCEK/VLEK certificate in the collateral");

    /* Its issuer (ASK/ASVK) from the collateral or the built-in chains, then an ARK anchor. */
    for (size_t i = 0; col && i < col->ncerts && !ask; i++)
        if (col->certs[i] != vcek &&
            clo_x509_check_issued_by(vcek, col->certs[i]).code == CLO_OK_CODE)
            ask = col->certs[i];
    for (size_t i = 0; i < builtin->n && !ask; i++)
        if (clo_x509_check_issued_by(vcek, builtin->certs[i]).code == CLO_OK_CODE)
            ask = builtin->certs[i];
    CLO_FAIL_IF(ask == NULL, CLO_E_AUTH, "snp: VCEK not issued by a known ASK");
    if (o->ark) {
        CLO_FAIL_IF(clo_x509_check_issued_by(ask, o->ark).code, CLO_E_POLICY,
                    "snp: ASK not issued by the trust anchor");
        ark = o->ark;
    } else {
        for (size_t i = 0; i < builtin->n && !ark; i++)
            if (clo_x509_check_issued_by(builtin->certs[i], builtin->certs[i]).code ==
                    CLO_OK_CODE &&
                clo_x509_check_issued_by(ask, builtin->certs[i]).code == CLO_OK_CODE)
                ark = builtin->certs[i];
        CLO_FAIL_IF(ark == NULL, CLO_E_POLICY, "snp: ASK not issued by an AMD root key (ARK)");
    }
    CLO_FAIL_IF(clo_x509_check_issued_by(ark, ark).code, CLO_E_AUTH,
                "snp: trust anchor is not self-signed");
    CLO_CHECK(clo_x509_check_time(ark, o->at, "snp: ARK not yet valid", "snp: ARK expired"));
    CLO_CHECK(clo_x509_check_time(ask, o->at, "snp: ASK not yet valid", "snp: ASK expired"));
    CLO_CHECK(clo_x509_check_time(vcek, o->at, "snp: VCEK not yet valid", "snp: VCEK expired"));
    st->not_before = clo_x509_not_before(vcek);
    st->not_after = clo_x509_not_after(vcek);
    st->from =
        st->not_before > clo_x509_not_before(ask) ? st->not_before : clo_x509_not_before(ask);
    st->to = st->not_after < clo_x509_not_after(ask) ? st->not_after : clo_x509_not_after(ask);
    if (clo_x509_not_before(ark) > st->from) st->from = clo_x509_not_before(ark);
    if (clo_x509_not_after(ark) < st->to) st->to = clo_x509_not_after(ark);

    /* Revocation: an ARK-issued CRL, when given. */
    for (size_t i = 0; col && i < col->ncrls; i++) {
        const clo_x509_crl *crl = col->crls[i];
        if (!clo_x509_crl_issuer_is(crl, ark)) continue;
        CLO_FAIL_IF(clo_x509_crl_check_issued_by(crl, ark).code, CLO_E_AUTH,
                    "snp: CRL signature does not verify");
        CLO_FAIL_IF(o->at < clo_x509_crl_this_update(crl), CLO_E_STALE, "snp: CRL not yet valid");
        CLO_FAIL_IF(clo_x509_crl_next_update(crl) && o->at > clo_x509_crl_next_update(crl),
                    CLO_E_STALE, "snp: CRL expired");
        CLO_FAIL_IF(clo_x509_crl_lists(crl, ask) || clo_x509_crl_lists(crl, vcek), CLO_E_POLICY,
                    "snp: ASK or VCEK revoked");
        st->crl_checked = 1;
        if (clo_x509_crl_this_update(crl) > st->from) st->from = clo_x509_crl_this_update(crl);
        if (clo_x509_crl_next_update(crl) && clo_x509_crl_next_update(crl) < st->to)
            st->to = clo_x509_crl_next_update(crl);
    }

    CLO_CHECK(clo_x509_ec_point(vcek, point, sizeof point, &plen));
    CLO_FAIL_IF(plen != 97, CLO_E_KEY, "snp: VCEK key is not P-384");
    CLO_CHECK(clo_ec_pub_new(&st->key, CLO_CURVE_P384, CLO_BYTES(point, plen)));

    /* The TCB the VCEK is certified for, and the chip it belongs to. */
    st->turin = strncmp(st->product, "Turin", 5) == 0;
    CLO_CHECK(ext_int(vcek, "1.3.6.1.4.1.3704.1.3.1", &st->tcb.bl, 1));
    CLO_CHECK(ext_int(vcek, "1.3.6.1.4.1.3704.1.3.2", &st->tcb.tee, 1));
    CLO_CHECK(ext_int(vcek, "1.3.6.1.4.1.3704.1.3.3", &st->tcb.snp, 1));
    CLO_CHECK(ext_int(vcek, "1.3.6.1.4.1.3704.1.3.8", &st->tcb.ucode, 1));
    CLO_CHECK(ext_int(vcek, "1.3.6.1.4.1.3704.1.3.9", &st->tcb.fmc, st->turin));
    if (clo_x509_extension(vcek, "1.3.6.1.4.1.3704.1.4", &hwid).code == CLO_OK_CODE) {
        CLO_FAIL_IF(hwid.len != (st->turin ? 8u : 64u), CLO_E_FORMAT, "snp: VCEK hwID length");
        memcpy(st->hwid, hwid.ptr, hwid.len);
        st->hwid_len = hwid.len;
    }
out:
    if (err.code) snp_state_free(st);
    return err;
}

static clo_err snp_check_report(const clo_snp_report *r, const snp_state *st, clo_snp_result *res)
{
    unsigned signing_key = (r->flags >> 2) & 7;
    CLO_ENSURE(signing_key <= 1, CLO_E_UNSUPPORTED, "snp: report not signed by a VCEK or VLEK");
    snprintf(res->product, sizeof res->product, "%s", st->product);
    res->vlek = signing_key == 1;
    res->crl_checked = st->crl_checked;
    res->vcek_not_before = st->not_before;
    res->vcek_not_after = st->not_after;
    res->vcek_tcb = st->tcb;
    res->reported = clo_snp_tcb_decode(r->reported_tcb, st->turin);
    CLO_ENSURE(
        clo_ec_pub_verify_raw(st->key, CLO_HASH_SHA384, r->signed_part, CLO_BYTES(r->sig, 96))
                .code == CLO_OK_CODE,
        CLO_E_AUTH, "snp: report signature");
    /* The VCEK was derived for exactly the reported TCB. */
    CLO_ENSURE(memcmp(&res->vcek_tcb, &res->reported, sizeof res->reported) == 0, CLO_E_POLICY,
               "snp: VCEK TCB does not match REPORTED_TCB");
    /* The VCEK is this chip's (VLEKs are not chip-specific). */
    if (!res->vlek) {
        CLO_ENSURE(!(r->flags & 2), CLO_E_POLICY,
                   "snp: CHIP_ID masked: cannot bind the VCEK to the chip");
        CLO_ENSURE(st->hwid_len != 0, CLO_E_FORMAT, "snp: VCEK has no hwID");
        CLO_ENSURE(memcmp(st->hwid, r->chip_id, st->hwid_len) == 0 &&
                       clo_ct_is_zero(r->chip_id + st->hwid_len, 64 - st->hwid_len),
                   CLO_E_POLICY, "snp: VCEK hwID does not match CHIP_ID");
    }
    return CLO_OK;
}

clo_err clo_snp_verify(const clo_snp_report *r, const clo_dcap_collateral *col,
                       const clo_snp_opts *o, clo_snp_result *res)
{
    snp_state st;
    memset(res, 0, sizeof *res);
    CLO_TRY(snp_stage_chain(col, o, &st));
    clo_err err = snp_check_report(r, &st, res);
    snp_state_free(&st);
    return err;
}

/* ---- the warm verifier: the endorsement chain checked once per window ---- */

struct clo_snp_verifier {
    const clo_dcap_collateral *col;
    const clo_x509 *ark;
    snp_state st;
    int ready;
};

clo_err clo_snp_verifier_new(clo_snp_verifier **out, const clo_dcap_collateral *col,
                             const clo_x509 *ark)
{
    *out = calloc(1, sizeof **out);
    CLO_ENSURE(*out != NULL, CLO_E_NOMEM, "snp verifier");
    (*out)->col = col;
    (*out)->ark = ark;
    return CLO_OK;
}

void clo_snp_verifier_free(clo_snp_verifier *v)
{
    if (!v) return;
    snp_state_free(&v->st);
    free(v);
}

clo_err clo_snp_verifier_verify(clo_snp_verifier *v, const clo_snp_report *r, int64_t at,
                                clo_snp_result *res)
{
    memset(res, 0, sizeof *res);
    if (!v->ready || at < v->st.from || at > v->st.to) {
        snp_state st;
        clo_snp_opts o = {at, v->ark};
        CLO_TRY(snp_stage_chain(v->col, &o, &st));
        snp_state_free(&v->st);
        v->st = st;
        v->ready = 1;
    }
    return snp_check_report(r, &v->st, res);
}
