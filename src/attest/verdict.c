/* verdict.c — policy parsing, evidence dispatch, and the verdict document. */
#include "attest/verdict.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attest/binding.h"
#include "base/hex.h"
#include "base/timefmt.h"

#define MAX_RULES 32
#define MAX_ADV   64

typedef struct {
    int has_mrenclave, has_mrsigner, has_prodid, has_min_svn;
    uint8_t mrenclave[32], mrsigner[32];
    uint16_t isvprodid, min_isvsvn;
} sgx_rule;

typedef struct {
    int has_mrtd, has_rtmr[4];
    uint8_t mrtd[48], rtmr[4][48];
} tdx_rule;

typedef struct {
    int has_measurement, has_host_data;
    uint8_t measurement[48], host_data[32];
} snp_rule;

struct clo_policy {
    int allow_debug, require_crls, require_tcb, allow_migration_agent, allow_smt;
    int any_measurement; /* experiments only: a TEE type with no list is accepted */
    int has_snp_min_tcb, has_snp_vmpl;
    clo_snp_tcb snp_min_tcb; /* each component at least this */
    int64_t snp_vmpl;        /* the report's VMPL must be exactly this */
    unsigned tcb_ok;         /* bit per clo_tcb_status */
    char advisories[MAX_ADV][CLO_ADVISORY_SIZE];
    size_t nadv;
    int has_max_age, has_report_data, has_at;
    int64_t max_age, at;
    uint8_t report_data[64];
    sgx_rule sgx[MAX_RULES];
    tdx_rule tdx[MAX_RULES];
    snp_rule snp[MAX_RULES];
    size_t nsgx, ntdx, nsnp;
    int has_sgx, has_tdx, has_snp;
};

clo_err clo_policy_default(clo_policy **out)
{
    clo_policy *p = calloc(1, sizeof *p);
    CLO_ENSURE(p != NULL, CLO_E_NOMEM, "policy");
    p->require_crls = p->require_tcb = 1;
    p->allow_smt = 1; /* SMT is the common deployment; forbid it explicitly where needed */
    p->tcb_ok = 1u << CLO_TCB_UP_TO_DATE;
    *out = p;
    return CLO_OK;
}

void clo_policy_free(clo_policy *p)
{
    free(p);
}

void clo_policy_any_measurement(clo_policy *p)
{
    p->any_measurement = 1;
}

int clo_policy_time(const clo_policy *p, int64_t *at)
{
    if (p->has_at) *at = p->at;
    return p->has_at;
}

/* ---- parsing ---- */

typedef struct {
    char *msg;
    size_t cap;
} perr;

/* "policy: <problem>: \"<key>\"" — the message always names the key. */
static clo_err bad(perr *e, const char *problem, const char *key)
{
    snprintf(e->msg, e->cap, "policy: %s: \"%s\"", problem, key);
    return CLO_ERR(CLO_E_FORMAT, "policy: invalid");
}

static clo_err get_bool(perr *e, const json_t *v, const char *key, int *out)
{
    if (!json_is_boolean(v)) return bad(e, "must be true or false", key);
    *out = json_is_true(v);
    return CLO_OK;
}

static clo_err get_hex(perr *e, const json_t *v, const char *key, uint8_t *out, size_t n)
{
    const char *s = json_is_string(v) ? json_string_value(v) : NULL;
    if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2; /* the 0x is optional */
    if (!s || strlen(s) != 2 * n || clo_hex_decode_fixed(out, n, s).code)
        return bad(e, "must be a hex string of the field's size", key);
    return CLO_OK;
}

static clo_err get_uint(perr *e, const json_t *v, const char *key, int64_t max, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return bad(e, "must be a non-negative integer in range", key);
    *out = json_integer_value(v);
    return CLO_OK;
}

static clo_err rules_sgx(perr *e, json_t *arr, clo_policy *p)
{
    json_t *r, *v;
    const char *k;
    size_t i;
    if (!json_is_array(arr) || json_array_size(arr) > MAX_RULES)
        return bad(e, "must be a list", "sgx");
    json_array_foreach(arr, i, r)
    {
        sgx_rule *x = &p->sgx[i];
        int64_t n;
        if (!json_is_object(r)) return bad(e, "entries must be objects", "sgx");
        json_object_foreach(r, k, v)
        {
            if (strcmp(k, "mrenclave") == 0) {
                CLO_TRY(get_hex(e, v, k, x->mrenclave, 32));
                x->has_mrenclave = 1;
            } else if (strcmp(k, "mrsigner") == 0) {
                CLO_TRY(get_hex(e, v, k, x->mrsigner, 32));
                x->has_mrsigner = 1;
            } else if (strcmp(k, "isvprodid") == 0) {
                CLO_TRY(get_uint(e, v, k, 65535, &n));
                x->isvprodid = (uint16_t)n;
                x->has_prodid = 1;
            } else if (strcmp(k, "min_isvsvn") == 0) {
                CLO_TRY(get_uint(e, v, k, 65535, &n));
                x->min_isvsvn = (uint16_t)n;
                x->has_min_svn = 1;
            } else
                return bad(e, "unknown key in an sgx entry", k);
        }
    }
    p->nsgx = json_array_size(arr);
    p->has_sgx = 1;
    return CLO_OK;
}

static clo_err rules_tdx(perr *e, json_t *arr, clo_policy *p)
{
    json_t *r, *v;
    const char *k;
    size_t i;
    if (!json_is_array(arr) || json_array_size(arr) > MAX_RULES)
        return bad(e, "must be a list", "tdx");
    json_array_foreach(arr, i, r)
    {
        tdx_rule *x = &p->tdx[i];
        if (!json_is_object(r)) return bad(e, "entries must be objects", "tdx");
        json_object_foreach(r, k, v)
        {
            if (strcmp(k, "mrtd") == 0) {
                CLO_TRY(get_hex(e, v, k, x->mrtd, 48));
                x->has_mrtd = 1;
            } else if (strncmp(k, "rtmr", 4) == 0 && k[4] >= '0' && k[4] <= '3' && k[5] == '\0') {
                CLO_TRY(get_hex(e, v, k, x->rtmr[k[4] - '0'], 48));
                x->has_rtmr[k[4] - '0'] = 1;
            } else {
                return bad(e, "unknown key in a tdx entry", k);
            }
        }
    }
    p->ntdx = json_array_size(arr);
    p->has_tdx = 1;
    return CLO_OK;
}

static clo_err rules_snp(perr *e, json_t *arr, clo_policy *p)
{
    json_t *r, *v;
    const char *k;
    size_t i;
    if (!json_is_array(arr) || json_array_size(arr) > MAX_RULES)
        return bad(e, "must be a list", "snp");
    json_array_foreach(arr, i, r)
    {
        snp_rule *x = &p->snp[i];
        if (!json_is_object(r)) return bad(e, "entries must be objects", "snp");
        json_object_foreach(r, k, v)
        {
            if (strcmp(k, "measurement") == 0) {
                CLO_TRY(get_hex(e, v, k, x->measurement, 48));
                x->has_measurement = 1;
            } else if (strcmp(k, "host_data") == 0) {
                CLO_TRY(get_hex(e, v, k, x->host_data, 32));
                x->has_host_data = 1;
            } else
                return bad(e, "unknown key in an snp entry", k);
        }
    }
    p->nsnp = json_array_size(arr);
    p->has_snp = 1;
    return CLO_OK;
}

/* "binding": the inputs of the docs/architecture.md §3 report_data; the expected report_data is
 * computed from them (and must agree with "report_data" if both are given). */
static clo_err parse_binding(perr *e, json_t *b, clo_policy *p)
{
    clo_key_binding kb;
    const char *k;
    json_t *v;
    int64_t n;
    unsigned seen = 0;
    memset(&kb, 0, sizeof kb);
    if (!json_is_object(b)) return bad(e, "must be an object", "binding");
    json_object_foreach(b, k, v)
    {
        if (strcmp(k, "signer") == 0) {
            CLO_TRY(get_hex(e, v, k, kb.signer, 20));
            seen |= 1;
        } else if (strcmp(k, "hpke_pk") == 0) {
            CLO_TRY(get_hex(e, v, k, kb.hpke_pk, 32));
            seen |= 2;
        } else if (strcmp(k, "epoch") == 0) {
            CLO_TRY(get_uint(e, v, k, UINT32_MAX, &n));
            kb.epoch = (uint32_t)n;
            seen |= 4;
        } else if (strcmp(k, "chain_id") == 0) {
            CLO_TRY(get_uint(e, v, k, INT64_MAX, &n));
            kb.chain_id = (uint64_t)n;
            seen |= 8;
        } else if (strcmp(k, "registry") == 0) {
            CLO_TRY(get_hex(e, v, k, kb.registry, 20));
            seen |= 16;
        } else if (strcmp(k, "nonce") == 0) {
            CLO_TRY(get_hex(e, v, k, kb.nonce, 32));
            seen |= 32;
        } else {
            return bad(e, "unknown key in binding", k);
        }
    }
    if (seen != 63)
        return bad(e, "needs signer, hpke_pk, epoch, chain_id, registry and nonce", "binding");
    uint8_t rd[64];
    if (clo_report_data(&kb, rd).code) return bad(e, "cannot be computed", "binding");
    if (p->has_report_data && memcmp(rd, p->report_data, 64) != 0)
        return bad(e, "disagrees with report_data", "binding");
    memcpy(p->report_data, rd, 64);
    p->has_report_data = 1;
    return CLO_OK;
}

static clo_err parse_into(perr *e, json_t *j, clo_policy *p)
{
    const char *k;
    json_t *v;
    if (!json_is_object(j)) return bad(e, "the document must be a JSON object", "");
    json_object_foreach(j, k, v)
    {
        if (strcmp(k, "allow_debug") == 0) {
            CLO_TRY(get_bool(e, v, k, &p->allow_debug));
        } else if (strcmp(k, "any_measurement") == 0) {
            CLO_TRY(get_bool(e, v, k, &p->any_measurement));
        } else if (strcmp(k, "snp_min_tcb") == 0) {
            /* the firmware a policy accepts, per component (finding 10) */
            static const char *const comp[] = {"fmc", "bl", "tee", "snp", "ucode"};
            uint8_t *dst[] = {&p->snp_min_tcb.fmc, &p->snp_min_tcb.bl, &p->snp_min_tcb.tee,
                              &p->snp_min_tcb.snp, &p->snp_min_tcb.ucode};
            const char *ck;
            json_t *cv;
            if (!json_is_object(v))
                return bad(e, "must be an object of fmc, bl, tee, snp, ucode", k);
            json_object_foreach(v, ck, cv)
            {
                size_t c = 0;
                while (c < 5 && strcmp(ck, comp[c])) c++;
                if (c == 5) return bad(e, "unknown TCB component (fmc, bl, tee, snp, ucode)", ck);
                int64_t n;
                CLO_TRY(get_uint(e, cv, ck, 255, &n));
                *dst[c] = (uint8_t)n;
            }
            p->has_snp_min_tcb = 1;
        } else if (strcmp(k, "snp_vmpl") == 0) {
            CLO_TRY(get_uint(e, v, k, 3, &p->snp_vmpl));
            p->has_snp_vmpl = 1;
        } else if (strcmp(k, "require_crls") == 0) {
            CLO_TRY(get_bool(e, v, k, &p->require_crls));
        } else if (strcmp(k, "require_tcb") == 0) {
            CLO_TRY(get_bool(e, v, k, &p->require_tcb));
        } else if (strcmp(k, "allow_snp_migration_agent") == 0) {
            CLO_TRY(get_bool(e, v, k, &p->allow_migration_agent));
        } else if (strcmp(k, "allow_snp_smt") == 0) {
            CLO_TRY(get_bool(e, v, k, &p->allow_smt));
        } else if (strcmp(k, "tcb_statuses") == 0) {
            json_t *s;
            size_t i;
            if (!json_is_array(v)) return bad(e, "must be a list of status names", k);
            p->tcb_ok = 0;
            json_array_foreach(v, i, s)
            {
                int found = 0;
                for (int t = 0; t < CLO_TCB__COUNT && json_is_string(s); t++)
                    if (strcmp(json_string_value(s), clo_tcb_status_name((clo_tcb_status)t)) == 0) {
                        p->tcb_ok |= 1u << t;
                        found = 1;
                    }
                if (!found) return bad(e, "holds an unknown TCB status", k);
            }
        } else if (strcmp(k, "allowed_advisories") == 0) {
            json_t *s;
            size_t i;
            if (!json_is_array(v) || json_array_size(v) > MAX_ADV)
                return bad(e, "must be a list of ids", k);
            json_array_foreach(v, i, s)
            {
                if (!json_is_string(s) || strlen(json_string_value(s)) >= CLO_ADVISORY_SIZE)
                    return bad(e, "must be a list of ids", k);
                strcpy(p->advisories[p->nadv++], json_string_value(s));
            }
        } else if (strcmp(k, "max_collateral_age") == 0) {
            CLO_TRY(get_uint(e, v, k, INT32_MAX, &p->max_age));
            p->has_max_age = 1;
        } else if (strcmp(k, "report_data") == 0) {
            uint8_t rd[64];
            CLO_TRY(get_hex(e, v, k, rd, 64));
            if (p->has_report_data && memcmp(rd, p->report_data, 64) != 0)
                return bad(e, "disagrees with binding", k);
            memcpy(p->report_data, rd, 64);
            p->has_report_data = 1;
        } else if (strcmp(k, "binding") == 0) {
            CLO_TRY(parse_binding(e, v, p));
        } else if (strcmp(k, "at") == 0) {
            if (!json_is_string(v) || clo_time_parse(json_string_value(v), &p->at).code)
                return bad(e, "must be an RFC 3339 UTC time", k);
            p->has_at = 1;
        } else if (strcmp(k, "sgx") == 0) {
            CLO_TRY(rules_sgx(e, v, p));
        } else if (strcmp(k, "tdx") == 0) {
            CLO_TRY(rules_tdx(e, v, p));
        } else if (strcmp(k, "snp") == 0) {
            CLO_TRY(rules_snp(e, v, p));
        } else {
            return bad(e, "unknown key", k);
        }
    }
    return CLO_OK;
}

clo_err clo_policy_parse(clo_bytes text, clo_policy **out, char *msg, size_t msg_cap)
{
    perr e = {msg, msg_cap};
    json_error_t je;
    clo_policy *p;
    *out = NULL;
    if (msg_cap) msg[0] = '\0';
    CLO_TRY(clo_policy_default(&p));
    json_t *j = json_loadb((const char *)text.ptr, text.len, JSON_REJECT_DUPLICATES, &je);
    clo_err err = j ? parse_into(&e, j, p)
                    : (snprintf(msg, msg_cap, "policy: not JSON: %s (line %d)", je.text, je.line),
                       CLO_ERR(CLO_E_FORMAT, "policy: not JSON"));
    json_decref(j);
    if (err.code) {
        free(p);
        return err;
    }
    *out = p;
    return CLO_OK;
}

/* ---- verdict ---- */

typedef struct {
    json_t *doc, *reasons;
} verdict;

/* One reason: `message`, with `detail` appended when given ("message: detail"). */
static void reason(verdict *v, const char *code, const char *message, const char *detail)
{
    char msg[256];
    snprintf(msg, sizeof msg, "%s%s%s", message, detail ? ": " : "", detail ? detail : "");
    json_array_append_new(v->reasons, json_pack("{s:s,s:s}", "code", code, "message", msg));
}

static void put_hex(json_t *o, const char *key, const uint8_t *p, size_t n)
{
    char s[2 + 2 * 64 + 1] = "0x";
    clo_hex_encode(s + 2, CLO_BYTES(p, n));
    json_object_set_new(o, key, json_string(s));
}

static void put_time(json_t *o, const char *key, int64_t t)
{
    char s[CLO_TIME_STRING_SIZE];
    clo_time_format(t, s);
    json_object_set_new(o, key, json_string(s));
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

static void check_common(verdict *v, const clo_policy *p, int debug, const uint8_t report_data[64])
{
    if (debug && !p->allow_debug)
        reason(v, "debug", "the TEE runs in debug mode; the policy forbids debug", NULL);
    if (p->has_report_data && memcmp(report_data, p->report_data, 64) != 0)
        reason(v, "report_data", "report_data differs from the policy's expected value", NULL);
}

/* Deny by default (issue 15, finding 5): evidence of a TEE type the policy
 * lists no measurements for is refused, unless the policy says any_measurement
 * (experiments: `cloister attest verify --any-measurement`, a simulated TEE).
 * Returns 1 if the evidence may go on unconstrained by measurement. */
/* "identity": the measurement fields that name the code in this verdict (the
 * ones the matching policy entry pins; with no rule, Cloister's measured-launch
 * fields). The registered measurement is computed over these (attest/measure.h). */
static void identity(verdict *v, const char *csv)
{
    json_t *a = json_array();
    char buf[64];
    snprintf(buf, sizeof buf, "%s", csv);
    char *save = NULL;
    for (char *f = strtok_r(buf, ",", &save); f; f = strtok_r(NULL, ",", &save))
        json_array_append_new(a, json_string(f));
    json_object_set_new(v->doc, "identity", a);
}

static int no_rule(verdict *v, const clo_policy *p, const char *tee)
{
    if (p->any_measurement) return 1;
    char msg[160];
    snprintf(msg, sizeof msg,
             "the policy lists no %s measurements: refused by default (list them, or set "
             "any_measurement for experiments)",
             tee);
    reason(v, "no_rule", msg, tee);
    return 0;
}

static void dcap_path(verdict *v, clo_bytes ev, const clo_dcap_collateral *col, const clo_policy *p,
                      const clo_verify_opts *o)
{
    clo_quote q;
    clo_dcap_result r;
    json_t *m = json_object(), *c = json_object();
    clo_err e = clo_quote_parse(ev, &q);
    json_object_set_new(v->doc, "measurements", m);
    json_object_set_new(v->doc, "collateral", c);
    put_time(c, "evaluated_at", o->at);
    if (e.code) {
        json_object_set_new(v->doc, "tee", json_string("unknown"));
        reason(v, "evidence", "evidence failed verification", e.what);
        return;
    }
    int tdx = q.tee_type == CLO_QUOTE_TEE_TDX;
    json_object_set_new(v->doc, "tee", json_string(tdx ? "tdx" : "sgx"));
    json_object_set_new(v->doc, "quote_version", json_integer(q.version));
    const uint8_t *rd;
    int debug;
    if (tdx) {
        put_hex(m, "mrtd", q.td.mrtd, 48);
        for (int i = 0; i < 4; i++) {
            char k[8];
            snprintf(k, sizeof k, "rtmr%d", i);
            put_hex(m, k, q.td.rtmr[i], 48);
        }
        put_hex(m, "mrseam", q.td.mrseam, 48);
        put_hex(m, "mrconfigid", q.td.mrconfigid, 48);
        put_hex(m, "mrowner", q.td.mrowner, 48);
        put_hex(m, "mrownerconfig", q.td.mrownerconfig, 48);
        put_hex(m, "td_attributes", q.td.td_attributes, 8);
        rd = q.td.report_data;
        debug = q.td.td_attributes[0] & 1; /* TUD.DEBUG */
    } else {
        put_hex(m, "mrenclave", q.sgx.mrenclave, 32);
        put_hex(m, "mrsigner", q.sgx.mrsigner, 32);
        json_object_set_new(m, "isvprodid", json_integer(q.sgx.isvprodid));
        json_object_set_new(m, "isvsvn", json_integer(q.sgx.isvsvn));
        put_hex(m, "attributes", q.sgx.attributes, 16);
        rd = q.sgx.report_data;
        debug = (q.sgx.attributes[0] & 0x02) != 0; /* ATTRIBUTES.DEBUG */
    }
    put_hex(v->doc, "report_data", rd, 64);
    json_object_set_new(v->doc, "debug", json_boolean(debug));
    if (q.trailing_size)
        json_object_set_new(v->doc, "ignored_trailing_bytes",
                            json_integer((json_int_t)q.trailing_size));

    clo_dcap_opts dopts = {o->at, o->anchor};
    e = clo_dcap_verify(&q, col, &dopts, &r);
    json_object_set_new(c, "pck_crl_checked", json_boolean(r.pck_crl_checked));
    json_object_set_new(c, "root_crl_checked", json_boolean(r.root_crl_checked));
    if (r.pck_ca[0]) json_object_set_new(c, "pck_ca", json_string(r.pck_ca));
    if (e.code) {
        reason(v, "evidence", "evidence failed verification", e.what);
        return;
    }
    put_hex(c, "fmspc", r.pck.fmspc, 6);
    if (r.tcb_evaluated) {
        json_object_set_new(v->doc, "tcb_status", json_string(clo_tcb_status_name(r.tcb_status)));
        json_t *adv = json_array();
        for (size_t i = 0; i < r.nadv; i++) {
            json_array_append_new(adv, json_string(r.advisories[i]));
            if (!advisory_allowed(p, r.advisories[i]))
                reason(v, "advisory", "advisory not allowed by the policy", r.advisories[i]);
        }
        json_object_set_new(v->doc, "advisories", adv);
        json_object_set_new(c, "tcb_info",
                            json_pack("{s:s,s:s,s:I}", "issue_date", "", "next_update", "",
                                      "tcb_evaluation_data_number", (json_int_t)r.tcb_eval_number));
        put_time(json_object_get(c, "tcb_info"), "issue_date", r.tcb_info_issue);
        put_time(json_object_get(c, "tcb_info"), "next_update", r.tcb_info_next);
        json_object_set_new(c, "qe_identity", json_object());
        put_time(json_object_get(c, "qe_identity"), "issue_date", r.qe_identity_issue);
        put_time(json_object_get(c, "qe_identity"), "next_update", r.qe_identity_next);
        if (!(p->tcb_ok & (1u << r.tcb_status)))
            reason(v, "tcb_status", "TCB status not accepted by the policy",
                   clo_tcb_status_name(r.tcb_status));
        if (p->has_max_age &&
            (o->at - r.tcb_info_issue > p->max_age || o->at - r.qe_identity_issue > p->max_age))
            reason(v, "collateral_age",
                   "TCB collateral is older than the policy's max_collateral_age", NULL);
    } else if (p->require_tcb) {
        reason(v, "tcb_missing", "no TCB Info and QE Identity: the TCB status cannot be evaluated",
               NULL);
    }
    if (p->require_crls && (!r.pck_crl_checked || !r.root_crl_checked))
        reason(v, "crl_missing",
               "revocation not checked: the PCK CRL or the root CA CRL is missing", NULL);
    check_common(v, p, debug, rd);

    int listed = tdx ? p->has_tdx : p->has_sgx, match = !listed; /* unlisted: no_rule decides */
    if (!listed && !no_rule(v, p, tdx ? "tdx" : "sgx")) return;
    if (!listed) identity(v, tdx ? "mrtd,rtmr3" : "mrenclave");
    for (size_t i = 0; listed && tdx && i < p->ntdx && !match; i++) {
        const tdx_rule *x = &p->tdx[i];
        int ok = !x->has_mrtd || memcmp(x->mrtd, q.td.mrtd, 48) == 0;
        for (int k = 0; k < 4; k++)
            ok &= !x->has_rtmr[k] || memcmp(x->rtmr[k], q.td.rtmr[k], 48) == 0;
        match = ok;
        if (match) {
            char pins[40] = "";
            if (x->has_mrtd) strcat(pins, "mrtd,");
            for (int k = 0; k < 4; k++)
                if (x->has_rtmr[k]) snprintf(pins + strlen(pins), 7, "rtmr%d,", k);
            identity(v, pins);
        }
    }
    if (!tdx && listed) identity(v, "mrenclave"); /* MRENCLAVE is the code, pinned or not */
    for (size_t i = 0; listed && !tdx && i < p->nsgx && !match; i++) {
        const sgx_rule *x = &p->sgx[i];
        match = (!x->has_mrenclave || memcmp(x->mrenclave, q.sgx.mrenclave, 32) == 0) &&
                (!x->has_mrsigner || memcmp(x->mrsigner, q.sgx.mrsigner, 32) == 0) &&
                (!x->has_prodid || x->isvprodid == q.sgx.isvprodid) &&
                (!x->has_min_svn || q.sgx.isvsvn >= x->min_isvsvn);
    }
    if (!match) reason(v, "measurement", "the measurements match no entry of the policy", NULL);
}

static void snp_path(verdict *v, clo_bytes ev, const clo_dcap_collateral *col, const clo_policy *p,
                     const clo_verify_opts *o)
{
    clo_snp_report r;
    clo_snp_result res;
    json_t *m = json_object(), *c = json_object();
    json_object_set_new(v->doc, "tee", json_string("snp"));
    json_object_set_new(v->doc, "measurements", m);
    json_object_set_new(v->doc, "collateral", c);
    put_time(c, "evaluated_at", o->at);
    clo_err e = clo_snp_report_parse(ev, &r);
    if (e.code) {
        reason(v, "evidence", "evidence failed verification", e.what);
        return;
    }
    json_object_set_new(v->doc, "report_version", json_integer(r.version));
    put_hex(m, "measurement", r.measurement, 48);
    put_hex(m, "host_data", r.host_data, 32);
    put_hex(m, "id_key_digest", r.id_key_digest, 48);
    put_hex(m, "author_key_digest", r.author_key_digest, 48);
    put_hex(m, "family_id", r.family_id, 16);
    put_hex(m, "image_id", r.image_id, 16);
    json_object_set_new(m, "guest_svn", json_integer(r.guest_svn));
    json_object_set_new(m, "vmpl", json_integer(r.vmpl));
    json_object_set_new(m, "policy", json_integer((json_int_t)r.policy));
    put_hex(v->doc, "report_data", r.report_data, 64);
    int debug = (r.policy & CLO_SNP_POLICY_DEBUG) != 0;
    json_object_set_new(v->doc, "debug", json_boolean(debug));
    clo_snp_opts so = {o->at, o->anchor};
    e = clo_snp_verify(&r, col, &so, &res);
    json_object_set_new(c, "crl_checked", json_boolean(res.crl_checked));
    if (res.product[0]) json_object_set_new(c, "product", json_string(res.product));
    if (e.code) {
        reason(v, "evidence", "evidence failed verification", e.what);
        return;
    }
    put_time(c, "vcek_not_before", res.vcek_not_before);
    put_time(c, "vcek_not_after", res.vcek_not_after);
    /* The VCEK is certified for exactly the reported TCB: that is SNP's "up to date". */
    json_object_set_new(v->doc, "tcb_status", json_string(clo_tcb_status_name(CLO_TCB_UP_TO_DATE)));
    json_object_set_new(v->doc, "advisories", json_array());
    json_object_set_new(v->doc, "tcb",
                        json_pack("{s:i,s:i,s:i,s:i,s:i}", "fmc", res.reported.fmc, "bl",
                                  res.reported.bl, "tee", res.reported.tee, "snp", res.reported.snp,
                                  "ucode", res.reported.ucode));
    if (!(p->tcb_ok & (1u << CLO_TCB_UP_TO_DATE)))
        reason(v, "tcb_status", "TCB status not accepted by the policy", "UpToDate");
    if (p->has_snp_min_tcb) {
        const clo_snp_tcb *lo = &p->snp_min_tcb, *t = &res.reported;
        static const char *const comp[] = {"fmc", "bl", "tee", "snp", "ucode"};
        const uint8_t want[] = {lo->fmc, lo->bl, lo->tee, lo->snp, lo->ucode},
                      got[] = {t->fmc, t->bl, t->tee, t->snp, t->ucode};
        for (int k = 0; k < 5; k++)
            if (got[k] < want[k])
                reason(v, "snp_tcb", "a TCB component is below the policy's snp_min_tcb", comp[k]);
    }
    if (p->has_snp_vmpl && (int64_t)r.vmpl != p->snp_vmpl)
        reason(v, "snp_vmpl", "the report's VMPL is not the policy's snp_vmpl", NULL);
    if (p->require_crls && !res.crl_checked)
        reason(v, "crl_missing", "revocation not checked: no CRL issued by the ARK was given",
               NULL);
    if ((r.policy & CLO_SNP_POLICY_SMT) && !p->allow_smt)
        reason(v, "smt", "the guest policy allows SMT; the policy forbids it", NULL);
    if ((r.policy & CLO_SNP_POLICY_MIGRATE_MA) && !p->allow_migration_agent)
        reason(v, "migration_agent",
               "the guest policy allows a migration agent; the policy forbids it", NULL);
    check_common(v, p, debug, r.report_data);
    int match = !p->has_snp; /* unlisted: no_rule decides */
    if (!p->has_snp && !no_rule(v, p, "snp")) return;
    if (!p->has_snp) identity(v, "measurement,host_data");
    for (size_t i = 0; p->has_snp && i < p->nsnp && !match; i++) {
        match =
            (!p->snp[i].has_measurement || memcmp(p->snp[i].measurement, r.measurement, 48) == 0) &&
            (!p->snp[i].has_host_data || memcmp(p->snp[i].host_data, r.host_data, 32) == 0);
        if (match)
            identity(v, p->snp[i].has_measurement && p->snp[i].has_host_data
                            ? "measurement,host_data"
                        : p->snp[i].has_measurement ? "measurement"
                        : p->snp[i].has_host_data   ? "host_data"
                                                    : "");
    }
    if (!match) reason(v, "measurement", "the measurement matches no entry of the policy", NULL);
}

clo_err clo_attest_verify(clo_bytes evidence, const clo_dcap_collateral *col,
                          const clo_policy *policy, const clo_verify_opts *opts, char **out,
                          int *accepted)
{
    verdict v = {json_object(), json_array()};
    clo_buf bin;
    clo_bytes ev;
    *out = NULL;
    *accepted = 0;
    CLO_ENSURE(v.doc && v.reasons, CLO_E_NOMEM, "verdict");
    clo_buf_init(&bin, 0);
    clo_err e = normalise(evidence, &bin, &ev);
    if (e.code) {
        json_object_set_new(v.doc, "tee", json_string("unknown"));
        reason(&v, "evidence", "evidence failed verification", e.what);
    } else if (is_snp(ev)) {
        snp_path(&v, ev, col, policy, opts);
    } else {
        dcap_path(&v, ev, col, policy, opts);
    }
    clo_buf_free(&bin);
    *accepted = json_array_size(v.reasons) == 0;
    if (!json_object_get(v.doc, "tcb_status"))
        json_object_set_new(v.doc, "tcb_status", json_null());
    if (!json_object_get(v.doc, "advisories"))
        json_object_set_new(v.doc, "advisories", json_array());
    /* A fixed key order, the decision first. */
    json_t *doc = json_pack("{s:s}", "status", *accepted ? "accepted" : "rejected");
    static const char *order[] = {"tee",          "tcb_status",  "advisories",
                                  "measurements", "report_data", "debug"};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (json_object_get(v.doc, order[i]))
            json_object_set(doc, order[i], json_object_get(v.doc, order[i]));
    const char *k;
    json_t *val;
    json_object_foreach(v.doc, k, val) if (!json_object_get(doc, k)) json_object_set(doc, k, val);
    json_object_set_new(doc, "reasons", v.reasons);
    *out = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(doc);
    json_decref(v.doc);
    CLO_ENSURE(*out != NULL, CLO_E_NOMEM, "verdict");
    return CLO_OK;
}
