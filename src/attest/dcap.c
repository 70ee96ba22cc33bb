/* dcap.c — DCAP quote verification: PCK chain, CRLs, QE report, quote signature. */
#include "attest/dcap.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ct.h"
#include "base/hex.h"
#include "base/jsonraw.h"
#include "base/pem.h"
#include "crypto/hash.h"
#include "crypto/sig.h"

extern const unsigned char clo_anchor_intel_sgx_root_ca[];
extern const unsigned long clo_anchor_intel_sgx_root_ca_size;

clo_bytes clo_dcap_intel_root_der(void)
{
    return CLO_BYTES(clo_anchor_intel_sgx_root_ca, clo_anchor_intel_sgx_root_ca_size);
}

clo_err clo_dcap_intel_root(clo_x509 **out)
{
    return clo_x509_parse(clo_dcap_intel_root_der(), out);
}

/* The built-in root, parsed and checked as self-signed once per process: a
 * certificate parse costs ~140 us in OpenSSL 3.0 (its key decoder), a signature
 * check ~90 us. Never freed; reachable from this static, so no leak. */
static clo_x509 *g_root;
static pthread_once_t g_root_once = PTHREAD_ONCE_INIT;

static void root_load(void)
{
    clo_x509 *r;
    if (clo_dcap_intel_root(&r).code) return;
    if (clo_x509_check_issued_by(r, r).code) {
        clo_x509_free(r);
        return;
    }
    g_root = r;
}

static const clo_x509 *builtin_root(void)
{
    pthread_once(&g_root_once, root_load);
    return g_root;
}

/* ---- collateral ---- */

void clo_dcap_collateral_init(clo_dcap_collateral *col)
{
    memset(col, 0, sizeof *col);
    clo_buf_init(&col->tcb_info, (size_t)1 << 20);
    clo_buf_init(&col->qe_identity, (size_t)1 << 20);
}

void clo_dcap_collateral_free(clo_dcap_collateral *col)
{
    for (size_t i = 0; i < col->ncerts; i++) clo_x509_free(col->certs[i]);
    for (size_t i = 0; i < col->ncrls; i++) clo_x509_crl_free(col->crls[i]);
    clo_buf_free(&col->tcb_info);
    clo_buf_free(&col->qe_identity);
    memset(col, 0, sizeof *col);
}

static clo_err add_cert(clo_dcap_collateral *col, clo_bytes der)
{
    CLO_ENSURE(col->ncerts < CLO_COLLATERAL_MAX_CERTS, CLO_E_LIMIT,
               "collateral: too many certificates");
    return clo_x509_parse(der, &col->certs[col->ncerts++]).code == CLO_OK_CODE
               ? CLO_OK
               : (col->ncerts--, CLO_ERR(CLO_E_FORMAT, "collateral: bad certificate"));
}

static clo_err add_crl(clo_dcap_collateral *col, clo_bytes der)
{
    CLO_ENSURE(col->ncrls < CLO_COLLATERAL_MAX_CRLS, CLO_E_LIMIT, "collateral: too many CRLs");
    return clo_x509_crl_parse(der, &col->crls[col->ncrls++]).code == CLO_OK_CODE
               ? CLO_OK
               : (col->ncrls--, CLO_ERR(CLO_E_FORMAT, "collateral: bad CRL"));
}

/* 1 if the JSON text has the top-level-looking key (a quick content sniff;
 * the JSON is parsed strictly when it is used). */
static int json_has_key(clo_bytes in, const char *key)
{
    size_t n = strlen(key);
    for (size_t i = 0; i + n + 2 <= in.len; i++)
        if (in.ptr[i] == '"' && memcmp(in.ptr + i + 1, key, n) == 0 && in.ptr[i + 1 + n] == '"')
            return 1;
    return 0;
}

/* PEM collateral: certificates and CRLs; other blocks (keys, ...) are ignored. */
static clo_err add_pem_block(void *ctx, const char *label, clo_bytes der)
{
    clo_dcap_collateral *col = ctx;
    if (strcmp(label, "CERTIFICATE") == 0) return add_cert(col, der);
    if (strcmp(label, "X509 CRL") == 0) return add_crl(col, der);
    return CLO_OK;
}

clo_err clo_dcap_collateral_add(clo_dcap_collateral *col, clo_bytes in)
{
    size_t i = 0;
    while (i < in.len &&
           (in.ptr[i] == ' ' || in.ptr[i] == '\n' || in.ptr[i] == '\r' || in.ptr[i] == '\t'))
        i++;
    if (i < in.len && in.ptr[i] == '{') {
        clo_buf *dst = json_has_key(in, "tcbInfo")           ? &col->tcb_info
                       : json_has_key(in, "enclaveIdentity") ? &col->qe_identity
                                                             : NULL;
        CLO_ENSURE(dst != NULL, CLO_E_FORMAT, "collateral: unrecognised content");
        CLO_ENSURE(dst->len == 0, CLO_E_FORMAT, "collateral: duplicate TCB Info or QE Identity");
        return clo_buf_append_bytes(dst, in);
    }
    if (clo_pem_is(in)) {
        size_t blocks;
        CLO_TRY(clo_pem_foreach(in, add_pem_block, col, &blocks));
        CLO_ENSURE(blocks > 0, CLO_E_FORMAT, "collateral: unrecognised content");
        return CLO_OK;
    }
    /* DER: a certificate or a CRL (both are SEQUENCEs; let the parsers decide) */
    if (add_cert(col, in).code == CLO_OK_CODE) return CLO_OK;
    if (add_crl(col, in).code == CLO_OK_CODE) return CLO_OK;
    return CLO_ERR(CLO_E_FORMAT, "collateral: unrecognised content");
}

/* ---- verification ---- */

#define CHAIN_MAX 4

typedef struct {
    clo_x509 *c[CHAIN_MAX];
    size_t n;
} chain;

static void chain_free(chain *ch)
{
    for (size_t i = 0; i < ch->n; i++) clo_x509_free(ch->c[i]);
    ch->n = 0;
}

static clo_err parse_pck_chain(clo_bytes pem, chain *ch)
{
    clo_err e = clo_x509_parse_pem(pem, ch->c, CHAIN_MAX, &ch->n);
    CLO_ENSURE(e.code == CLO_OK_CODE, e.code == CLO_E_LIMIT ? CLO_E_FORMAT : e.code,
               e.code == CLO_E_LIMIT ? "dcap: PCK chain too long"
                                     : "dcap: PCK chain does not parse");
    if (ch->n < 2) {
        chain_free(ch);
        return CLO_ERR(CLO_E_FORMAT, "dcap: PCK chain has fewer than two certificates");
    }
    return CLO_OK;
}

/* A CRL from the collateral issued by `issuer`, verified and current; NULL if none. */
typedef struct {
    const char *bad_sig, *not_yet, *expired;
} crl_msgs;

static const crl_msgs k_pck_crl = {"dcap: PCK CRL signature does not verify",
                                   "dcap: PCK CRL not yet valid", "dcap: PCK CRL expired"};
static const crl_msgs k_root_crl = {"dcap: root CA CRL signature does not verify",
                                    "dcap: root CA CRL not yet valid", "dcap: root CA CRL expired"};

static clo_err find_crl(const clo_dcap_collateral *col, const clo_x509 *issuer, int64_t at,
                        const crl_msgs *m, const clo_x509_crl **out)
{
    *out = NULL;
    for (size_t i = 0; col && i < col->ncrls; i++) {
        const clo_x509_crl *crl = col->crls[i];
        if (!clo_x509_crl_issuer_is(crl, issuer)) continue;
        CLO_ENSURE(clo_x509_crl_check_issued_by(crl, issuer).code == CLO_OK_CODE, CLO_E_AUTH,
                   m->bad_sig);
        CLO_ENSURE(at >= clo_x509_crl_this_update(crl), CLO_E_STALE, m->not_yet);
        int64_t next = clo_x509_crl_next_update(crl);
        CLO_ENSURE(next == 0 || at <= next, CLO_E_STALE, m->expired);
        *out = crl;
        return CLO_OK;
    }
    return CLO_OK;
}

/* The TCB Signing certificate: a non-CA certificate of the collateral issued by the
 * anchor, current at `at`, and not on the root CA CRL. */
static clo_err tcb_signer(const clo_dcap_collateral *col, const clo_x509 *anchor, int64_t at,
                          const clo_x509_crl *root_crl, const clo_x509 **out)
{
    for (size_t i = 0; i < col->ncerts; i++) {
        const clo_x509 *c = col->certs[i];
        if (clo_x509_is_ca(c) || clo_x509_check_issued_by(c, anchor).code) continue;
        CLO_TRY(clo_x509_check_time(c, at, "dcap: TCB Signing certificate not yet valid",
                                    "dcap: TCB Signing certificate expired"));
        CLO_ENSURE(!root_crl || !clo_x509_crl_lists(root_crl, c), CLO_E_POLICY,
                   "dcap: TCB Signing certificate revoked");
        *out = c;
        return CLO_OK;
    }
    return CLO_ERR(CLO_E_POLICY, "dcap: no TCB Signing certificate issued by the trust anchor");
}

/* PCS response {"<key>": {...}, "signature": "<hex r||s>"}: verify the signature over
 * the raw bytes of the inner object and return them. */
static clo_err signed_json(clo_bytes response, const char *key, const clo_x509 *signer,
                           const char *bad_sig, clo_bytes *inner)
{
    clo_bytes sig_raw;
    uint8_t sig[64], point[97];
    size_t plen;
    CLO_TRY(clo_json_member_raw(response, key, inner));
    CLO_TRY(clo_json_member_raw(response, "signature", &sig_raw));
    CLO_ENSURE(sig_raw.len == 2 + 128 && sig_raw.ptr[0] == '"' && sig_raw.ptr[129] == '"',
               CLO_E_FORMAT, "dcap: collateral signature is not 64 bytes of hex");
    char hex[129];
    memcpy(hex, sig_raw.ptr + 1, 128);
    hex[128] = '\0';
    CLO_TRY(clo_hex_decode_fixed(sig, 64, hex));
    CLO_TRY(clo_x509_ec_point(signer, point, sizeof point, &plen));
    CLO_ENSURE(clo_ecdsa_verify_raw(CLO_CURVE_P256, CLO_HASH_SHA256, CLO_BYTES(point, plen), *inner,
                                    CLO_BYTES(sig, 64))
                       .code == CLO_OK_CODE,
               CLO_E_AUTH, bad_sig);
    return CLO_OK;
}

/* ---- stages: chain (cacheable), TCB collateral (cacheable), the quote itself ---- */

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}
static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* What a verified PCK chain gives the quote checks, and when that holds. */
typedef struct {
    clo_ec_pub *pck_key;
    clo_pck_ext pck;
    char pck_ca[64];
    int pck_crl_checked, root_crl_checked;
    int64_t from, to;
} pck_state;

static void pck_state_free(pck_state *st)
{
    clo_ec_pub_free(st->pck_key);
    memset(st, 0, sizeof *st);
}

/* The chain in the quote, trust, validity, CRLs and the SGX extension at `at`. */
static clo_err stage_chain(const clo_quote *q, const clo_dcap_collateral *col,
                           const clo_x509 *anchor, int anchor_configured, int64_t at, pck_state *st,
                           const clo_x509_crl **root_crl_out)
{
    chain ch = {0};
    const clo_x509_crl *crl, *root_crl;
    uint8_t point[97];
    size_t plen;
    clo_bytes ext;
    clo_err err = CLO_OK;
    memset(st, 0, sizeof *st);
    CLO_CHECK(parse_pck_chain(q->pck_chain, &ch));
    const clo_x509 *leaf = ch.c[0], *ca = ch.c[1], *root = ch.c[ch.n - 1];
    clo_x509_subject_cn(ca, st->pck_ca, sizeof st->pck_ca);

    /* Trust: the chain's root carries the anchor's key (any issuance of it). */
    CLO_FAIL_IF(ch.n != 3, CLO_E_FORMAT, "dcap: PCK chain is not leaf, CA, root");
    CLO_FAIL_IF(!clo_x509_same_key(root, anchor), CLO_E_POLICY,
                "dcap: PCK chain root is not the trust anchor");
    /* Its own bytes are not vouched for by the anchor: it must verify as self-signed. */
    CLO_FAIL_IF(clo_x509_check_issued_by(root, root).code != CLO_OK_CODE, CLO_E_AUTH,
                "dcap: PCK chain root is not self-signed");
    CLO_FAIL_IF(anchor_configured && clo_x509_check_issued_by(anchor, anchor).code != CLO_OK_CODE,
                CLO_E_AUTH,
                "dcap: trust anchor is not self-signed"); /* the built-in one was checked at load */
    CLO_FAIL_IF(clo_x509_check_issued_by(ca, anchor).code != CLO_OK_CODE, CLO_E_AUTH,
                "dcap: PCK CA certificate not issued by the trust anchor");
    CLO_FAIL_IF(clo_x509_check_issued_by(leaf, ca).code != CLO_OK_CODE, CLO_E_AUTH,
                "dcap: PCK certificate not issued by the PCK CA");
    CLO_CHECK(clo_x509_check_time(anchor, at, "dcap: trust anchor not yet valid",
                                  "dcap: trust anchor expired"));
    CLO_CHECK(clo_x509_check_time(ca, at, "dcap: PCK CA certificate not yet valid",
                                  "dcap: PCK CA certificate expired"));
    CLO_CHECK(clo_x509_check_time(leaf, at, "dcap: PCK certificate not yet valid",
                                  "dcap: PCK certificate expired"));
    st->from = max64(max64(clo_x509_not_before(anchor), clo_x509_not_before(ca)),
                     clo_x509_not_before(leaf));
    st->to =
        min64(min64(clo_x509_not_after(anchor), clo_x509_not_after(ca)), clo_x509_not_after(leaf));

    /* Revocation, when the CRLs are given (whether they must be is policy's call). */
    CLO_CHECK(find_crl(col, ca, at, &k_pck_crl, &crl));
    if (crl) {
        st->pck_crl_checked = 1;
        CLO_FAIL_IF(clo_x509_crl_lists(crl, leaf), CLO_E_POLICY, "dcap: PCK certificate revoked");
        st->from = max64(st->from, clo_x509_crl_this_update(crl));
        if (clo_x509_crl_next_update(crl)) st->to = min64(st->to, clo_x509_crl_next_update(crl));
    }
    CLO_CHECK(find_crl(col, anchor, at, &k_root_crl, &root_crl));
    if (root_crl) {
        st->root_crl_checked = 1;
        CLO_FAIL_IF(clo_x509_crl_lists(root_crl, ca), CLO_E_POLICY,
                    "dcap: PCK CA certificate revoked");
        st->from = max64(st->from, clo_x509_crl_this_update(root_crl));
        if (clo_x509_crl_next_update(root_crl))
            st->to = min64(st->to, clo_x509_crl_next_update(root_crl));
    }
    *root_crl_out = root_crl;

    CLO_CHECK(clo_x509_ec_point(leaf, point, sizeof point, &plen));
    CLO_FAIL_IF(plen != 65, CLO_E_KEY, "dcap: PCK key is not P-256");
    CLO_CHECK(clo_ec_pub_new(&st->pck_key, CLO_CURVE_P256, CLO_BYTES(point, 65)));
    /* The PCK certificate always carries the SGX extension. */
    CLO_CHECK(clo_x509_extension(leaf, CLO_SGX_EXTENSION_OID, &ext));
    CLO_CHECK(clo_pck_ext_parse(ext, &st->pck));
out:
    chain_free(&ch);
    if (err.code) pck_state_free(st);
    return err;
}

/* Verified, parsed TCB Info and QE Identity, and when they hold. */
typedef struct {
    clo_tcb_info *info;
    clo_qe_identity *qe;
    int64_t from, to;
} tcb_state;

static void tcb_state_free(tcb_state *t)
{
    free(t->info);
    free(t->qe);
    memset(t, 0, sizeof *t);
}

static clo_err stage_tcb(const clo_dcap_collateral *col, const clo_x509 *anchor,
                         const clo_x509_crl *root_crl, int64_t at, tcb_state *t)
{
    const clo_x509 *signer;
    clo_bytes raw_info, raw_qe;
    clo_err err = CLO_OK;
    memset(t, 0, sizeof *t);
    CLO_TRY(tcb_signer(col, anchor, at, root_crl, &signer));
    CLO_TRY(signed_json(clo_buf_view(&col->tcb_info), "tcbInfo", signer, "dcap: TCB Info signature",
                        &raw_info));
    CLO_TRY(signed_json(clo_buf_view(&col->qe_identity), "enclaveIdentity", signer,
                        "dcap: QE Identity signature", &raw_qe));
    t->info = malloc(sizeof *t->info);
    t->qe = malloc(sizeof *t->qe);
    CLO_FAIL_IF(!t->info || !t->qe, CLO_E_NOMEM, "dcap: TCB collateral");
    CLO_CHECK(clo_tcb_info_parse(raw_info, t->info));
    CLO_CHECK(clo_qe_identity_parse(raw_qe, t->qe));
    CLO_FAIL_IF(at < t->info->issue_date, CLO_E_STALE, "dcap: TCB Info not yet valid");
    CLO_FAIL_IF(at > t->info->next_update, CLO_E_STALE, "dcap: TCB Info expired");
    CLO_FAIL_IF(at < t->qe->issue_date, CLO_E_STALE, "dcap: QE Identity not yet valid");
    CLO_FAIL_IF(at > t->qe->next_update, CLO_E_STALE, "dcap: QE Identity expired");
    t->from = max64(max64(t->info->issue_date, t->qe->issue_date), clo_x509_not_before(signer));
    t->to = min64(min64(t->info->next_update, t->qe->next_update), clo_x509_not_after(signer));
    if (root_crl) {
        t->from = max64(t->from, clo_x509_crl_this_update(root_crl));
        if (clo_x509_crl_next_update(root_crl))
            t->to = min64(t->to, clo_x509_crl_next_update(root_crl));
    }
out:
    if (err.code) tcb_state_free(t);
    return err;
}

/* Per quote: the QE vouches for the attestation key, the PCK key vouches for the QE;
 * then the TCB evaluation when the collateral is there. */
static clo_err check_quote(const clo_quote *q, const pck_state *st, const tcb_state *t,
                           clo_ec_pub **att_cache, uint8_t att_cached[64], clo_dcap_result *r)
{
    uint8_t h[32], point[65];
    clo_hash_ctx hc;
    clo_tcb_eval ev;
    CLO_ENSURE(clo_ct_eq(q->qe_vendor_id, clo_intel_qe_vendor_id, 16), CLO_E_POLICY,
               "dcap: QE vendor is not Intel");
    CLO_ENSURE(clo_ec_pub_verify_raw(st->pck_key, CLO_HASH_SHA256, q->qe_report.raw,
                                     CLO_BYTES(q->qe_report_sig, 64))
                       .code == CLO_OK_CODE,
               CLO_E_AUTH, "dcap: QE report signature");
    CLO_TRY(clo_hash_init(&hc, CLO_HASH_SHA256));
    CLO_TRY(clo_hash_update(&hc, CLO_BYTES(q->att_key, 64)));
    CLO_TRY(clo_hash_update(&hc, q->qe_auth_data));
    CLO_TRY(clo_hash_final(&hc, h));
    CLO_ENSURE(clo_ct_eq(h, q->qe_report.report_data, 32) &&
                   clo_ct_is_zero(q->qe_report.report_data + 32, 32),
               CLO_E_AUTH, "dcap: QE report data does not bind the attestation key");
    /* The attestation key is the QE's and stays the same across its quotes: keep the last one. */
    if (!*att_cache || memcmp(att_cached, q->att_key, 64) != 0) {
        clo_ec_pub_free(*att_cache);
        *att_cache = NULL;
        point[0] = 0x04;
        memcpy(point + 1, q->att_key, 64);
        CLO_ENSURE(clo_ec_pub_new(att_cache, CLO_CURVE_P256, CLO_BYTES(point, 65)).code ==
                       CLO_OK_CODE,
                   CLO_E_AUTH, "dcap: quote signature"); /* not a curve point */
        memcpy(att_cached, q->att_key, 64);
    }
    CLO_ENSURE(clo_ec_pub_verify_raw(*att_cache, CLO_HASH_SHA256, q->signed_part,
                                     CLO_BYTES(q->signature, 64))
                       .code == CLO_OK_CODE,
               CLO_E_AUTH, "dcap: quote signature");
    r->pck = st->pck;
    snprintf(r->pck_ca, sizeof r->pck_ca, "%s", st->pck_ca);
    r->pck_crl_checked = st->pck_crl_checked;
    r->root_crl_checked = st->root_crl_checked;
    if (!t) return CLO_OK;
    CLO_TRY(clo_tcb_evaluate(q, &st->pck, t->info, t->qe, &ev));
    r->tcb_evaluated = 1;
    r->tcb_status = ev.status;
    r->platform_status = ev.platform;
    r->qe_status = ev.qe;
    r->module_checked = ev.module_checked;
    r->module_status = ev.module;
    for (size_t i = 0; i < ev.nadv; i++)
        snprintf(r->advisories[i], CLO_ADVISORY_SIZE, "%s", ev.advisories[i]);
    r->nadv = ev.nadv;
    r->tcb_info_issue = t->info->issue_date;
    r->tcb_info_next = t->info->next_update;
    r->qe_identity_issue = t->qe->issue_date;
    r->qe_identity_next = t->qe->next_update;
    r->tcb_eval_number = t->info->eval_number;
    return CLO_OK;
}

static int has_tcb(const clo_dcap_collateral *col)
{
    return col && col->tcb_info.len && col->qe_identity.len;
}

clo_err clo_dcap_verify(const clo_quote *q, const clo_dcap_collateral *col,
                        const clo_dcap_opts *opts, clo_dcap_result *r)
{
    const clo_x509 *anchor = opts->anchor ? opts->anchor : builtin_root();
    const clo_x509_crl *root_crl = NULL;
    pck_state st = {0};
    tcb_state t = {0};
    clo_ec_pub *att = NULL;
    uint8_t att_bytes[64];
    clo_err err = CLO_OK;
    memset(r, 0, sizeof *r);
    r->trailing_size = q->trailing_size;
    CLO_FAIL_IF(anchor == NULL, CLO_E_CRYPTO, "dcap: built-in Intel root does not load");
    CLO_CHECK(stage_chain(q, col, anchor, opts->anchor != NULL, opts->at, &st, &root_crl));
    snprintf(r->pck_ca, sizeof r->pck_ca, "%s", st.pck_ca);
    r->pck_crl_checked = st.pck_crl_checked;
    r->root_crl_checked = st.root_crl_checked;
    if (has_tcb(col)) CLO_CHECK(stage_tcb(col, anchor, root_crl, opts->at, &t));
    CLO_CHECK(check_quote(q, &st, has_tcb(col) ? &t : NULL, &att, att_bytes, r));
out:
    clo_ec_pub_free(att);
    pck_state_free(&st);
    tcb_state_free(&t);
    return err;
}

/* ---- the warm verifier ---- */

#define VERIFIER_SLOTS 16

typedef struct {
    uint8_t chain_hash[32];
    pck_state st;
    int used;
} pck_slot;

struct clo_dcap_verifier {
    const clo_dcap_collateral *col;
    const clo_x509 *anchor; /* NULL: built-in */
    pck_slot slots[VERIFIER_SLOTS];
    size_t next;
    tcb_state tcb;
    int tcb_ready;
    clo_ec_pub *att;
    uint8_t att_bytes[64];
};

clo_err clo_dcap_verifier_new(clo_dcap_verifier **out, const clo_dcap_collateral *col,
                              const clo_x509 *anchor)
{
    *out = calloc(1, sizeof **out);
    CLO_ENSURE(*out != NULL, CLO_E_NOMEM, "dcap verifier");
    (*out)->col = col;
    (*out)->anchor = anchor;
    return CLO_OK;
}

void clo_dcap_verifier_free(clo_dcap_verifier *v)
{
    if (!v) return;
    for (size_t i = 0; i < VERIFIER_SLOTS; i++) pck_state_free(&v->slots[i].st);
    tcb_state_free(&v->tcb);
    clo_ec_pub_free(v->att);
    free(v);
}

clo_err clo_dcap_verifier_verify(clo_dcap_verifier *v, const clo_quote *q, int64_t at,
                                 clo_dcap_result *r)
{
    const clo_x509 *anchor = v->anchor ? v->anchor : builtin_root();
    uint8_t h[32];
    pck_slot *slot = NULL;
    memset(r, 0, sizeof *r);
    r->trailing_size = q->trailing_size;
    CLO_ENSURE(anchor != NULL, CLO_E_CRYPTO, "dcap: built-in Intel root does not load");
    CLO_TRY(clo_sha256(q->pck_chain, h));
    for (size_t i = 0; i < VERIFIER_SLOTS && !slot; i++)
        if (v->slots[i].used && memcmp(v->slots[i].chain_hash, h, 32) == 0) slot = &v->slots[i];
    /* A cached chain is reused only inside the window its checks hold for; otherwise
     * check again, which also gives the precise error. */
    if (!slot || at < slot->st.from || at > slot->st.to || (has_tcb(v->col) && !v->tcb_ready) ||
        (v->tcb_ready && (at < v->tcb.from || at > v->tcb.to))) {
        const clo_x509_crl *root_crl = NULL;
        pck_state st;
        CLO_TRY(stage_chain(q, v->col, anchor, v->anchor != NULL, at, &st, &root_crl));
        if (has_tcb(v->col)) {
            tcb_state t;
            clo_err e = stage_tcb(v->col, anchor, root_crl, at, &t);
            if (e.code) {
                pck_state_free(&st);
                return e;
            }
            tcb_state_free(&v->tcb);
            v->tcb = t;
            v->tcb_ready = 1;
        }
        if (!slot) {
            slot = &v->slots[v->next];
            v->next = (v->next + 1) % VERIFIER_SLOTS;
        }
        pck_state_free(&slot->st);
        slot->st = st;
        memcpy(slot->chain_hash, h, 32);
        slot->used = 1;
    }
    return check_quote(q, &slot->st, v->tcb_ready ? &v->tcb : NULL, &v->att, v->att_bytes, r);
}
