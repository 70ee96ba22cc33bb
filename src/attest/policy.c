/* policy.c — the policy file's strict reader, and the policy API. Every object
 * is read by one table-driven reader that names the bad key. */
#include "attest/policy_impl.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/hex.h"
#include "base/timefmt.h"

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

clo_err clo_policy_copy(const clo_policy *p, clo_policy **out)
{
    *out = malloc(sizeof **out);
    CLO_ENSURE(*out != NULL, CLO_E_NOMEM, "policy");
    **out = *p;
    return CLO_OK;
}

void clo_policy_free(clo_policy *p)
{
    free(p);
}

void clo_policy_bind(clo_policy *p, const clo_key_binding *kb)
{
    clo_report_data(kb, p->report_data);
    p->has_report_data = 1;
}

void clo_policy_any_measurement(clo_policy *p)
{
    p->any_measurement = 1;
}

void clo_policy_allow_debug(clo_policy *p)
{
    p->allow_debug = 1;
}

int clo_policy_time(const clo_policy *p, int64_t *at)
{
    if (p->has_at) *at = p->at;
    return p->has_at;
}

/* ---- the reader ---- */

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

typedef enum { F_BOOL, F_UINT, F_HEX, F_CALL } fkind;
typedef clo_err (*fcall)(perr *e, json_t *v, const char *key, clo_policy *p);

#define NO_FLAG ((size_t)-1)
typedef struct {
    const char *key;
    fkind kind;
    size_t off;     /* into the object being filled */
    size_t size;    /* F_UINT: width in bytes; F_HEX: bytes */
    int64_t max;    /* F_UINT */
    size_t has_off; /* an int set to 1 when the key is present, or NO_FLAG */
    fcall call;     /* F_CALL: reads the value into the policy itself */
} field;

static clo_err get_uint(perr *e, json_t *v, const char *key, int64_t max, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return bad(e, "must be a non-negative integer in range", key);
    *out = json_integer_value(v);
    return CLO_OK;
}

static clo_err set_field(perr *e, const field *f, json_t *v, uint8_t *dst, clo_policy *p)
{
    switch (f->kind) {
    case F_BOOL:
        if (!json_is_boolean(v)) return bad(e, "must be true or false", f->key);
        *(int *)(void *)(dst + f->off) = json_is_true(v);
        return CLO_OK;
    case F_UINT: {
        int64_t n;
        CLO_TRY(get_uint(e, v, f->key, f->max, &n));
        if (f->size == 1) *(dst + f->off) = (uint8_t)n;
        if (f->size == 2) *(uint16_t *)(void *)(dst + f->off) = (uint16_t)n;
        if (f->size == 4) *(uint32_t *)(void *)(dst + f->off) = (uint32_t)n;
        if (f->size == 8) *(int64_t *)(void *)(dst + f->off) = n;
        return CLO_OK;
    }
    case F_HEX: {
        const char *s = json_is_string(v) ? json_string_value(v) : NULL;
        if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s += 2; /* the 0x is optional */
        if (!s || strlen(s) != 2 * f->size || clo_hex_decode_fixed(dst + f->off, f->size, s).code)
            return bad(e, "must be a hex string of the field's size", f->key);
        return CLO_OK;
    }
    case F_CALL: return f->call(e, v, f->key, p);
    }
    return bad(e, "unknown key", f->key);
}

/* Read object `obj` into dst by the table; an unknown key is `unknown`.
 * *seen (may be NULL) gets bit i for each fields[i] present. */
static clo_err read_object(perr *e, json_t *obj, const char *unknown, const field *fields, size_t n,
                           void *dst, clo_policy *p, unsigned *seen)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        size_t i = 0;
        while (i < n && strcmp(k, fields[i].key)) i++;
        if (i == n) return bad(e, unknown, k);
        CLO_TRY(set_field(e, &fields[i], v, dst, p));
        if (fields[i].has_off != NO_FLAG) *(int *)(void *)((uint8_t *)dst + fields[i].has_off) = 1;
        if (seen) *seen |= 1u << i;
    }
    return CLO_OK;
}

#define HEX(T, k, m, flag)                                                                         \
    {                                                                                              \
        k, F_HEX, offsetof(T, m), sizeof(((T *)0)->m), 0, offsetof(T, flag), NULL                  \
    }
#define UINT(T, k, m, max_, flag)                                                                  \
    {                                                                                              \
        k, F_UINT, offsetof(T, m), sizeof(((T *)0)->m), max_, flag, NULL                           \
    }
#define BOOL(k, m)                                                                                 \
    {                                                                                              \
        k, F_BOOL, offsetof(clo_policy, m), 0, 0, NO_FLAG, NULL                                    \
    }
#define CALL(k, fn)                                                                                \
    {                                                                                              \
        k, F_CALL, 0, 0, 0, NO_FLAG, fn                                                            \
    }

static const field SGX_FIELDS[] = {
    HEX(clo_sgx_rule, "mrenclave", mrenclave, has_mrenclave),
    HEX(clo_sgx_rule, "mrsigner", mrsigner, has_mrsigner),
    UINT(clo_sgx_rule, "isvprodid", isvprodid, 65535, offsetof(clo_sgx_rule, has_prodid)),
    UINT(clo_sgx_rule, "min_isvsvn", min_isvsvn, 65535, offsetof(clo_sgx_rule, has_min_svn)),
};
static const field TDX_FIELDS[] = {
    HEX(clo_tdx_rule, "mrtd", mrtd, has_mrtd),
    HEX(clo_tdx_rule, "rtmr0", rtmr[0], has_rtmr[0]),
    HEX(clo_tdx_rule, "rtmr1", rtmr[1], has_rtmr[1]),
    HEX(clo_tdx_rule, "rtmr2", rtmr[2], has_rtmr[2]),
    HEX(clo_tdx_rule, "rtmr3", rtmr[3], has_rtmr[3]),
};
static const field SNP_FIELDS[] = {
    HEX(clo_snp_rule, "measurement", measurement, has_measurement),
    HEX(clo_snp_rule, "host_data", host_data, has_host_data),
};
#define N(a) (sizeof a / sizeof a[0])

/* A list of rule entries: each an object read by the table. */
static clo_err rules(perr *e, json_t *arr, const char *list, const char *unknown,
                     const field *fields, size_t nf, void *rules_, size_t rule_size, size_t *count,
                     int *has, clo_policy *p)
{
    json_t *r;
    size_t i;
    if (!json_is_array(arr) || json_array_size(arr) > CLO_POLICY_MAX_RULES)
        return bad(e, "must be a list", list);
    json_array_foreach(arr, i, r)
    {
        if (!json_is_object(r)) return bad(e, "entries must be objects", list);
        CLO_TRY(read_object(e, r, unknown, fields, nf, (uint8_t *)rules_ + i * rule_size, p, NULL));
    }
    *count = json_array_size(arr);
    *has = 1;
    return CLO_OK;
}

static clo_err sgx_list(perr *e, json_t *v, const char *k, clo_policy *p)
{
    (void)k;
    return rules(e, v, "sgx", "unknown key in an sgx entry", SGX_FIELDS, N(SGX_FIELDS), p->sgx,
                 sizeof p->sgx[0], &p->nsgx, &p->has_sgx, p);
}

static clo_err tdx_list(perr *e, json_t *v, const char *k, clo_policy *p)
{
    (void)k;
    return rules(e, v, "tdx", "unknown key in a tdx entry", TDX_FIELDS, N(TDX_FIELDS), p->tdx,
                 sizeof p->tdx[0], &p->ntdx, &p->has_tdx, p);
}

static clo_err snp_list(perr *e, json_t *v, const char *k, clo_policy *p)
{
    (void)k;
    return rules(e, v, "snp", "unknown key in an snp entry", SNP_FIELDS, N(SNP_FIELDS), p->snp,
                 sizeof p->snp[0], &p->nsnp, &p->has_snp, p);
}

/* Expected report data, from "report_data" or the "binding" inputs: both
 * given must agree. */
static clo_err expect(perr *e, const uint8_t rd[64], const char *key, clo_policy *p)
{
    if (p->has_report_data && memcmp(rd, p->report_data, 64) != 0)
        return bad(e,
                   strcmp(key, "binding") ? "disagrees with binding" : "disagrees with report_data",
                   key);
    memcpy(p->report_data, rd, 64);
    p->has_report_data = 1;
    return CLO_OK;
}

static clo_err report_data(perr *e, json_t *v, const char *k, clo_policy *p)
{
    static const field f = {"report_data", F_HEX, 0, 64, 0, NO_FLAG, NULL};
    uint8_t rd[64];
    CLO_TRY(set_field(e, &f, v, rd, p));
    return expect(e, rd, k, p);
}

#define KB(k, m, kind_, max_)                                                                      \
    {                                                                                              \
        k, kind_, offsetof(clo_key_binding, m), sizeof(((clo_key_binding *)0)->m), max_, NO_FLAG,  \
            NULL                                                                                   \
    }
static const field BINDING_FIELDS[] = {
    KB("operator", operator_addr, F_HEX, 0),
    KB("signer", signer, F_HEX, 0),
    KB("hpke_pk", hpke_pk, F_HEX, 0),
    KB("epoch", epoch, F_UINT, UINT32_MAX),
    KB("chain_id", chain_id, F_UINT, INT64_MAX),
    KB("registry", registry, F_HEX, 0),
    KB("nonce", nonce, F_HEX, 0),
};

/* "binding": the inputs of the report data (attest/binding.h). */
static clo_err binding(perr *e, json_t *v, const char *k, clo_policy *p)
{
    clo_key_binding kb;
    unsigned seen = 0;
    uint8_t rd[64];
    memset(&kb, 0, sizeof kb);
    if (!json_is_object(v)) return bad(e, "must be an object", k);
    CLO_TRY(read_object(e, v, "unknown key in binding", BINDING_FIELDS, N(BINDING_FIELDS), &kb, p,
                        &seen));
    if (seen != (1u << N(BINDING_FIELDS)) - 1)
        return bad(e, "needs operator, signer, hpke_pk, epoch, chain_id, registry and nonce", k);
    clo_report_data(&kb, rd);
    return expect(e, rd, k, p);
}

/* the firmware a policy accepts, per component (finding 10) */
#define TCB(k, m)                                                                                  \
    {                                                                                              \
        k, F_UINT, offsetof(clo_snp_tcb, m), 1, 255, NO_FLAG, NULL                                 \
    }
static const field TCB_FIELDS[] = {TCB("fmc", fmc), TCB("bl", bl), TCB("tee", tee), TCB("snp", snp),
                                   TCB("ucode", ucode)};

static clo_err snp_min_tcb(perr *e, json_t *v, const char *k, clo_policy *p)
{
    if (!json_is_object(v)) return bad(e, "must be an object of fmc, bl, tee, snp, ucode", k);
    CLO_TRY(read_object(e, v, "unknown TCB component (fmc, bl, tee, snp, ucode)", TCB_FIELDS,
                        N(TCB_FIELDS), &p->snp_min_tcb, p, NULL));
    p->has_snp_min_tcb = 1;
    return CLO_OK;
}

static clo_err snp_vmpl(perr *e, json_t *v, const char *k, clo_policy *p)
{
    int64_t n;
    CLO_TRY(get_uint(e, v, k, 3, &n));
    p->snp_vmpl = (uint8_t)n;
    p->has_snp_vmpl = 1;
    return CLO_OK;
}

static clo_err max_age(perr *e, json_t *v, const char *k, clo_policy *p)
{
    CLO_TRY(get_uint(e, v, k, INT32_MAX, &p->max_age));
    p->has_max_age = 1;
    return CLO_OK;
}

static clo_err at(perr *e, json_t *v, const char *k, clo_policy *p)
{
    if (!json_is_string(v) || clo_time_parse(json_string_value(v), &p->at).code)
        return bad(e, "must be an RFC 3339 UTC time", k);
    p->has_at = 1;
    return CLO_OK;
}

static clo_err tcb_statuses(perr *e, json_t *v, const char *k, clo_policy *p)
{
    json_t *s;
    size_t i;
    if (!json_is_array(v)) return bad(e, "must be a list of status names", k);
    p->tcb_ok = 0;
    json_array_foreach((json_t *)v, i, s)
    {
        int found = 0;
        for (int t = 0; t < CLO_TCB__COUNT && json_is_string(s); t++)
            if (strcmp(json_string_value(s), clo_tcb_status_name((clo_tcb_status)t)) == 0) {
                p->tcb_ok |= 1u << t;
                found = 1;
            }
        if (!found) return bad(e, "holds an unknown TCB status", k);
    }
    return CLO_OK;
}

static clo_err advisories(perr *e, json_t *v, const char *k, clo_policy *p)
{
    json_t *s;
    size_t i;
    if (!json_is_array(v) || json_array_size(v) > CLO_POLICY_MAX_ADV)
        return bad(e, "must be a list of ids", k);
    json_array_foreach((json_t *)v, i, s)
    {
        if (!json_is_string(s) || strlen(json_string_value(s)) >= CLO_ADVISORY_SIZE)
            return bad(e, "must be a list of ids", k);
        strcpy(p->advisories[p->nadv++], json_string_value(s));
    }
    return CLO_OK;
}

static const field POLICY_FIELDS[] = {
    BOOL("allow_debug", allow_debug),
    BOOL("any_measurement", any_measurement),
    BOOL("require_crls", require_crls),
    BOOL("require_tcb", require_tcb),
    BOOL("allow_snp_migration_agent", allow_migration_agent),
    BOOL("allow_snp_smt", allow_smt),
    CALL("snp_min_tcb", snp_min_tcb),
    CALL("snp_vmpl", snp_vmpl),
    CALL("tcb_statuses", tcb_statuses),
    CALL("allowed_advisories", advisories),
    CALL("max_collateral_age", max_age),
    CALL("report_data", report_data),
    CALL("binding", binding),
    CALL("at", at),
    CALL("sgx", sgx_list),
    CALL("tdx", tdx_list),
    CALL("snp", snp_list),
};

clo_err clo_policy_parse(clo_bytes text, clo_policy **out, char *msg, size_t msg_cap)
{
    perr e = {msg, msg_cap};
    json_error_t je;
    clo_policy *p;
    *out = NULL;
    if (msg_cap) msg[0] = '\0';
    CLO_TRY(clo_policy_default(&p));
    json_t *j = json_loadb((const char *)text.ptr, text.len, JSON_REJECT_DUPLICATES, &je);
    clo_err err;
    if (!j) {
        snprintf(msg, msg_cap, "policy: not JSON: %s (line %d)", je.text, je.line);
        err = CLO_ERR(CLO_E_FORMAT, "policy: not JSON");
    } else if (!json_is_object(j)) {
        err = bad(&e, "the document must be a JSON object", "");
    } else {
        err = read_object(&e, j, "unknown key", POLICY_FIELDS, N(POLICY_FIELDS), p, p, NULL);
    }
    json_decref(j);
    if (err.code) {
        free(p);
        return err;
    }
    *out = p;
    return CLO_OK;
}
