/* verdict.c — evidence dispatch and the policy's decision, into a typed verdict. */
#include "attest/verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "attest/policy_impl.h"
#include "base/hex.h"

static const char *const why_names[CLO_WHY__COUNT] = {
    "evidence",    "advisory", "tcb_status",  "collateral_age",  "tcb_missing",
    "crl_missing", "debug",    "report_data", "no_rule",         "measurement",
    "snp_tcb",     "snp_vmpl", "smt",         "migration_agent",
};

const char *clo_why_name(clo_why w)
{
    return (unsigned)w < CLO_WHY__COUNT ? why_names[w] : "unknown";
}

/* One reason: `message`, with `detail` appended when given ("message: detail"). */
static void reason(clo_verdict *v, clo_why code, const char *message, const char *detail)
{
    if (v->nreasons == CLO_VERDICT_MAX_REASONS) return; /* already rejected many times over */
    clo_verdict_reason *r = &v->reasons[v->nreasons++];
    r->code = code;
    snprintf(r->message, sizeof r->message, "%s%s%s", message, detail ? ": " : "",
             detail ? detail : "");
}

/* Hex text evidence (e.g. quote.hex) is decoded; anything else is taken as binary. */
static clo_err normalise(clo_bytes in, clo_buf *bin, clo_bytes *out)
{
    size_t digits = 0;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'))) {
            *out = in;
            return CLO_OK;
        }
        digits++;
    }
    CLO_ENSURE(digits % 2 == 0 && digits > 0, CLO_E_FORMAT, "evidence: odd-length hex text");
    clo_buf_init(bin, in.len / 2 + 1);
    char pair[3] = {0};
    size_t k = 0;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        pair[k++] = (char)c;
        if (k == 2) {
            CLO_TRY(clo_hex_decode(bin, pair));
            k = 0;
        }
    }
    *out = clo_buf_view(bin);
    return CLO_OK;
}

static int is_snp(clo_bytes ev)
{
    if (ev.len != CLO_SNP_REPORT_SIZE) return 0;
    uint32_t ver = (uint32_t)ev.ptr[0] | (uint32_t)ev.ptr[1] << 8 | (uint32_t)ev.ptr[2] << 16 |
                   (uint32_t)ev.ptr[3] << 24;
    return ver >= 2 && ver <= 5 && ev.ptr[0x34] == 1 && ev.ptr[0x35] == 0;
}

static int advisory_allowed(const clo_policy *p, const char *id)
{
    for (size_t i = 0; i < p->nadv; i++)
        if (strcmp(p->advisories[i], id) == 0) return 1;
    return 0;
}

static void check_common(clo_verdict *v, const clo_policy *p)
{
    if (v->debug && !p->allow_debug)
        reason(v, CLO_WHY_DEBUG, "the TEE runs in debug mode; the policy forbids debug", NULL);
    if (p->has_report_data && memcmp(v->report_data, p->report_data, 64) != 0)
        reason(v, CLO_WHY_REPORT_DATA, "report_data differs from the policy's expected value",
               NULL);
}

static void identity(clo_verdict *v, unsigned fields)
{
    v->has_identity = 1;
    v->identity = fields;
}

/* Deny by default (issue 15, finding 5): evidence of a TEE type the policy
 * lists no measurements for is refused, unless the policy says any_measurement
 * (experiments: `cloister attest verify --any-measurement`, a simulated TEE).
 * Returns 1 if the evidence may go on unconstrained by measurement; its
 * identity is then Cloister's measured-launch fields (attest/measure.h). */
static int no_rule(clo_verdict *v, const clo_policy *p, const char *tee, unsigned fields)
{
    if (p->any_measurement) {
        identity(v, fields);
        return 1;
    }
    char msg[160];
    snprintf(msg, sizeof msg,
             "the policy lists no %s measurements: refused by default (list them, or set "
             "any_measurement for experiments)",
             tee);
    reason(v, CLO_WHY_NO_RULE, msg, tee);
    return 0;
}

static void dcap_tcb(clo_verdict *v, const clo_dcap_result *r, const clo_policy *p)
{
    v->has_tcb = 1;
    v->tcb_status = r->tcb_status;
    v->nadv = r->nadv;
    for (size_t i = 0; i < r->nadv; i++) {
        memcpy(v->advisories[i], r->advisories[i], CLO_ADVISORY_SIZE);
        if (!advisory_allowed(p, r->advisories[i]))
            reason(v, CLO_WHY_ADVISORY, "advisory not allowed by the policy", r->advisories[i]);
    }
    v->col.has_tcb_info = 1;
    v->col.tcb_info_issue = r->tcb_info_issue;
    v->col.tcb_info_next = r->tcb_info_next;
    v->col.tcb_eval_number = r->tcb_eval_number;
    v->col.qe_identity_issue = r->qe_identity_issue;
    v->col.qe_identity_next = r->qe_identity_next;
    if (!(p->tcb_ok & (1u << r->tcb_status)))
        reason(v, CLO_WHY_TCB_STATUS, "TCB status not accepted by the policy",
               clo_tcb_status_name(r->tcb_status));
    if (p->has_max_age && (v->col.evaluated_at - r->tcb_info_issue > p->max_age ||
                           v->col.evaluated_at - r->qe_identity_issue > p->max_age))
        reason(v, CLO_WHY_COLLATERAL_AGE,
               "TCB collateral is older than the policy's max_collateral_age", NULL);
}

static void dcap_measurements(clo_verdict *v, const clo_quote *q, const clo_policy *p)
{
    int tdx = v->tee == CLO_TEE_TDX;
    int listed = tdx ? p->has_tdx : p->has_sgx, match = 0;
    if (!listed) {
        no_rule(v, p, tdx ? "tdx" : "sgx", tdx ? CLO_ID_MRTD | CLO_ID_RTMR(3) : CLO_ID_MRENCLAVE);
        return;
    }
    for (size_t i = 0; tdx && i < p->ntdx && !match; i++) {
        const clo_tdx_rule *x = &p->tdx[i];
        int ok = !x->has_mrtd || memcmp(x->mrtd, q->td.mrtd, 48) == 0;
        for (int k = 0; k < 4; k++)
            ok &= !x->has_rtmr[k] || memcmp(x->rtmr[k], q->td.rtmr[k], 48) == 0;
        match = ok;
        if (match) {
            unsigned pins = x->has_mrtd ? CLO_ID_MRTD : 0;
            for (int k = 0; k < 4; k++)
                if (x->has_rtmr[k]) pins |= CLO_ID_RTMR(k);
            identity(v, pins);
        }
    }
    if (!tdx) identity(v, CLO_ID_MRENCLAVE); /* MRENCLAVE is the code, pinned or not */
    for (size_t i = 0; !tdx && i < p->nsgx && !match; i++) {
        const clo_sgx_rule *x = &p->sgx[i];
        match = (!x->has_mrenclave || memcmp(x->mrenclave, q->sgx.mrenclave, 32) == 0) &&
                (!x->has_mrsigner || memcmp(x->mrsigner, q->sgx.mrsigner, 32) == 0) &&
                (!x->has_prodid || x->isvprodid == q->sgx.isvprodid) &&
                (!x->has_min_svn || q->sgx.isvsvn >= x->min_isvsvn);
    }
    if (!match)
        reason(v, CLO_WHY_MEASUREMENT, "the measurements match no entry of the policy", NULL);
}

static void dcap_path(clo_verdict *v, clo_bytes ev, const clo_dcap_collateral *col,
                      const clo_policy *p, const clo_verify_opts *o)
{
    clo_quote q;
    clo_dcap_result r;
    v->examined = 1;
    clo_err e = clo_quote_parse(ev, &q);
    if (e.code) {
        reason(v, CLO_WHY_EVIDENCE, "evidence failed verification", e.what);
        return;
    }
    int tdx = q.tee_type == CLO_QUOTE_TEE_TDX;
    v->tee = tdx ? CLO_TEE_TDX : CLO_TEE_SGX;
    v->version = q.version;
    v->has_body = 1;
    if (tdx) {
        memcpy(v->m.td.mrtd, q.td.mrtd, 48);
        memcpy(v->m.td.rtmr, q.td.rtmr, sizeof v->m.td.rtmr);
        memcpy(v->m.td.mrseam, q.td.mrseam, 48);
        memcpy(v->m.td.mrconfigid, q.td.mrconfigid, 48);
        memcpy(v->m.td.mrowner, q.td.mrowner, 48);
        memcpy(v->m.td.mrownerconfig, q.td.mrownerconfig, 48);
        memcpy(v->m.td.td_attributes, q.td.td_attributes, 8);
        memcpy(v->report_data, q.td.report_data, 64);
        v->debug = q.td.td_attributes[0] & 1; /* TUD.DEBUG */
    } else {
        memcpy(v->m.sgx.mrenclave, q.sgx.mrenclave, 32);
        memcpy(v->m.sgx.mrsigner, q.sgx.mrsigner, 32);
        memcpy(v->m.sgx.attributes, q.sgx.attributes, 16);
        v->m.sgx.isvprodid = q.sgx.isvprodid;
        v->m.sgx.isvsvn = q.sgx.isvsvn;
        memcpy(v->report_data, q.sgx.report_data, 64);
        v->debug = (q.sgx.attributes[0] & 0x02) != 0; /* ATTRIBUTES.DEBUG */
    }
    v->ignored_trailing = q.trailing_size;

    clo_dcap_opts dopts = {o->at, o->anchor};
    e = clo_dcap_verify(&q, col, &dopts, &r);
    v->col.checked = 1;
    v->col.pck_crl_checked = r.pck_crl_checked;
    v->col.root_crl_checked = r.root_crl_checked;
    snprintf(v->col.pck_ca, sizeof v->col.pck_ca, "%s", r.pck_ca);
    if (e.code) {
        reason(v, CLO_WHY_EVIDENCE, "evidence failed verification", e.what);
        return;
    }
    v->col.has_fmspc = 1;
    memcpy(v->col.fmspc, r.pck.fmspc, 6);
    if (r.tcb_evaluated)
        dcap_tcb(v, &r, p);
    else if (p->require_tcb)
        reason(v, CLO_WHY_TCB_MISSING,
               "no TCB Info and QE Identity: the TCB status cannot be evaluated", NULL);
    if (p->require_crls && (!r.pck_crl_checked || !r.root_crl_checked))
        reason(v, CLO_WHY_CRL_MISSING,
               "revocation not checked: the PCK CRL or the root CA CRL is missing", NULL);
    check_common(v, p);
    dcap_measurements(v, &q, p);
}

static void snp_policy(clo_verdict *v, const clo_snp_report *r, const clo_policy *p)
{
    if (!(p->tcb_ok & (1u << CLO_TCB_UP_TO_DATE)))
        reason(v, CLO_WHY_TCB_STATUS, "TCB status not accepted by the policy", "UpToDate");
    if (p->has_snp_min_tcb) {
        const clo_snp_tcb *lo = &p->snp_min_tcb, *t = &v->snp_tcb;
        static const char *const comp[] = {"fmc", "bl", "tee", "snp", "ucode"};
        const uint8_t want[] = {lo->fmc, lo->bl, lo->tee, lo->snp, lo->ucode},
                      got[] = {t->fmc, t->bl, t->tee, t->snp, t->ucode};
        for (int k = 0; k < 5; k++)
            if (got[k] < want[k])
                reason(v, CLO_WHY_SNP_TCB, "a TCB component is below the policy's snp_min_tcb",
                       comp[k]);
    }
    if (p->has_snp_vmpl && r->vmpl != p->snp_vmpl)
        reason(v, CLO_WHY_SNP_VMPL, "the report's VMPL is not the policy's snp_vmpl", NULL);
    if (p->require_crls && !v->col.crl_checked)
        reason(v, CLO_WHY_CRL_MISSING, "revocation not checked: no CRL issued by the ARK was given",
               NULL);
    if ((r->policy & CLO_SNP_POLICY_SMT) && !p->allow_smt)
        reason(v, CLO_WHY_SMT, "the guest policy allows SMT; the policy forbids it", NULL);
    if ((r->policy & CLO_SNP_POLICY_MIGRATE_MA) && !p->allow_migration_agent)
        reason(v, CLO_WHY_MIGRATION_AGENT,
               "the guest policy allows a migration agent; the policy forbids it", NULL);
    check_common(v, p);
    if (!p->has_snp) {
        no_rule(v, p, "snp", CLO_ID_MEASUREMENT | CLO_ID_HOST_DATA);
        return;
    }
    for (size_t i = 0; i < p->nsnp; i++) {
        const clo_snp_rule *x = &p->snp[i];
        if ((!x->has_measurement || memcmp(x->measurement, r->measurement, 48) == 0) &&
            (!x->has_host_data || memcmp(x->host_data, r->host_data, 32) == 0)) {
            identity(v, (x->has_measurement ? CLO_ID_MEASUREMENT : 0) |
                            (x->has_host_data ? CLO_ID_HOST_DATA : 0));
            return;
        }
    }
    reason(v, CLO_WHY_MEASUREMENT, "the measurement matches no entry of the policy", NULL);
}

static void snp_path(clo_verdict *v, clo_bytes ev, const clo_dcap_collateral *col,
                     const clo_policy *p, const clo_verify_opts *o)
{
    clo_snp_report r;
    clo_snp_result res;
    v->tee = CLO_TEE_SNP;
    v->examined = 1;
    clo_err e = clo_snp_report_parse(ev, &r);
    if (e.code) {
        reason(v, CLO_WHY_EVIDENCE, "evidence failed verification", e.what);
        return;
    }
    v->version = r.version;
    v->has_body = 1;
    memcpy(v->m.snp.measurement, r.measurement, 48);
    memcpy(v->m.snp.host_data, r.host_data, 32);
    memcpy(v->m.snp.id_key_digest, r.id_key_digest, 48);
    memcpy(v->m.snp.author_key_digest, r.author_key_digest, 48);
    memcpy(v->m.snp.family_id, r.family_id, 16);
    memcpy(v->m.snp.image_id, r.image_id, 16);
    v->m.snp.guest_svn = r.guest_svn;
    v->m.snp.vmpl = r.vmpl;
    v->m.snp.policy = r.policy;
    memcpy(v->report_data, r.report_data, 64);
    v->debug = (r.policy & CLO_SNP_POLICY_DEBUG) != 0;
    clo_snp_opts so = {o->at, o->anchor};
    e = clo_snp_verify(&r, col, &so, &res);
    v->col.checked = 1;
    v->col.crl_checked = res.crl_checked;
    snprintf(v->col.product, sizeof v->col.product, "%s", res.product);
    if (e.code) {
        reason(v, CLO_WHY_EVIDENCE, "evidence failed verification", e.what);
        return;
    }
    v->col.has_vcek = 1;
    v->col.vcek_not_before = res.vcek_not_before;
    v->col.vcek_not_after = res.vcek_not_after;
    /* The VCEK is certified for exactly the reported TCB: that is SNP's "up to date". */
    v->has_tcb = 1;
    v->tcb_status = CLO_TCB_UP_TO_DATE;
    v->has_snp_tcb = 1;
    v->snp_tcb = res.reported;
    snp_policy(v, &r, p);
}

clo_err clo_attest_verify(clo_bytes evidence, const clo_dcap_collateral *col,
                          const clo_policy *policy, const clo_verify_opts *opts, clo_verdict *v)
{
    clo_buf bin;
    clo_bytes ev;
    memset(v, 0, sizeof *v);
    v->col.evaluated_at = opts->at;
    clo_buf_init(&bin, 0);
    clo_err e = normalise(evidence, &bin, &ev);
    if (e.code == CLO_E_NOMEM) return e;
    if (e.code)
        reason(v, CLO_WHY_EVIDENCE, "evidence failed verification", e.what);
    else if (is_snp(ev))
        snp_path(v, ev, col, policy, opts);
    else
        dcap_path(v, ev, col, policy, opts);
    clo_buf_free(&bin);
    v->accepted = v->nreasons == 0;
    return CLO_OK;
}
