/* tcb.c — TCB Info / QE Identity parsing and Intel's TCB level evaluation. */
#include "attest/tcb.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "base/hex.h"
#include "base/timefmt.h"

static const char *k_status_names[CLO_TCB__COUNT] = {
    "UpToDate",
    "SWHardeningNeeded",
    "ConfigurationNeeded",
    "ConfigurationAndSWHardeningNeeded",
    "OutOfDate",
    "OutOfDateConfigurationNeeded",
    "TDRelaunchAdvised",
    "TDRelaunchAdvisedConfigurationNeeded",
    "Revoked",
    "TcbLevelNotSupported",
};

const char *clo_tcb_status_name(clo_tcb_status s)
{
    return (unsigned)s < CLO_TCB__COUNT ? k_status_names[s] : "Unknown";
}

static clo_err status_from(const char *s, clo_tcb_status *out)
{
    for (int i = 0; s && i < CLO_TCB_NOT_SUPPORTED; i++)
        if (strcmp(s, k_status_names[i]) == 0) {
            *out = (clo_tcb_status)i;
            return CLO_OK;
        }
    return CLO_ERR(CLO_E_FORMAT, "tcb: unknown tcbStatus");
}

/* ---- JSON helpers (errors name the field) ---- */

static clo_err j_str(const json_t *o, const char *k, const char **out, const char *what)
{
    const json_t *v = json_object_get(o, k);
    CLO_ENSURE(json_is_string(v), CLO_E_FORMAT, what);
    *out = json_string_value(v);
    return CLO_OK;
}

static clo_err j_int(const json_t *o, const char *k, int64_t lo, int64_t hi, int64_t *out,
                     const char *what)
{
    const json_t *v = json_object_get(o, k);
    CLO_ENSURE(json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi,
               CLO_E_FORMAT, what);
    *out = json_integer_value(v);
    return CLO_OK;
}

static clo_err j_hex(const json_t *o, const char *k, uint8_t *dst, size_t n, const char *what)
{
    const char *s;
    CLO_TRY(j_str(o, k, &s, what));
    CLO_ENSURE(strlen(s) == 2 * n && clo_hex_decode_fixed(dst, n, s).code == CLO_OK_CODE,
               CLO_E_FORMAT, what);
    return CLO_OK;
}

static clo_err j_time(const json_t *o, const char *k, int64_t *out, const char *what)
{
    const char *s;
    CLO_TRY(j_str(o, k, &s, what));
    CLO_ENSURE(clo_time_parse(s, out).code == CLO_OK_CODE, CLO_E_FORMAT, what);
    return CLO_OK;
}

static clo_err load(clo_bytes text, json_t **out)
{
    json_error_t e;
    CLO_ENSURE(text.len <= ((size_t)1 << 20), CLO_E_LIMIT, "tcb: collateral JSON too large");
    *out = json_loadb((const char *)text.ptr, text.len, JSON_REJECT_DUPLICATES, &e);
    if (*out && !json_is_object(*out)) { /* valid JSON, not an object: freed (it leaked) */
        json_decref(*out);
        *out = NULL;
    }
    CLO_ENSURE(*out != NULL, CLO_E_FORMAT, "tcb: not a JSON object");
    return CLO_OK;
}

/* Advisory ids of a level: appended to a pool; the level records its slice. */
static clo_err advisories(const json_t *lvl, clo_advisory *pool, size_t *npool, clo_tcb_level *l)
{
    const json_t *arr = json_object_get(lvl, "advisoryIDs"), *v;
    size_t i;
    l->adv_first = (uint16_t)*npool;
    l->adv_count = 0;
    if (!arr) return CLO_OK;
    CLO_ENSURE(json_is_array(arr), CLO_E_FORMAT, "tcb: advisoryIDs");
    json_array_foreach(arr, i, v)
    {
        CLO_ENSURE(json_is_string(v) && strlen(json_string_value(v)) < CLO_ADVISORY_SIZE,
                   CLO_E_FORMAT, "tcb: advisory id");
        CLO_ENSURE(*npool < CLO_TCB_MAX_ADVISORIES, CLO_E_LIMIT, "tcb: too many advisories");
        strcpy(pool[(*npool)++].id, json_string_value(v));
        l->adv_count++;
    }
    return CLO_OK;
}

static clo_err level_common(const json_t *lvl, clo_advisory *pool, size_t *npool, clo_tcb_level *l)
{
    const char *st;
    CLO_TRY(j_str(lvl, "tcbStatus", &st, "tcb: tcbStatus"));
    CLO_TRY(status_from(st, &l->status));
    CLO_TRY(j_time(lvl, "tcbDate", &l->tcb_date, "tcb: tcbDate"));
    return advisories(lvl, pool, npool, l);
}

static clo_err components(const json_t *tcb, const char *key, uint8_t out[16])
{
    const json_t *arr = json_object_get(tcb, key), *c;
    size_t i;
    CLO_ENSURE(json_is_array(arr) && json_array_size(arr) == 16, CLO_E_FORMAT,
               "tcb: 16 TCB components expected");
    json_array_foreach(arr, i, c)
    {
        int64_t svn;
        CLO_TRY(j_int(c, "svn", 0, 255, &svn, "tcb: component svn"));
        out[i] = (uint8_t)svn;
    }
    return CLO_OK;
}

/* Intel keeps levels in a set ordered by descending TCB; sort the same way. */
static int level_cmp_desc(const void *a, const void *b)
{
    const clo_tcb_level *x = a, *y = b;
    int c = memcmp(y->sgx, x->sgx, 16);
    if (c) return c;
    if (x->pcesvn != y->pcesvn) return x->pcesvn < y->pcesvn ? 1 : -1;
    return memcmp(y->tdx, x->tdx, 16);
}

static clo_err module_identity(const json_t *m, clo_tcb_info *info, clo_tdx_module *out,
                               int with_levels)
{
    memset(out, 0, sizeof *out);
    CLO_TRY(j_hex(m, "mrsigner", out->mrsigner, 48, "tcb: TDX module mrsigner"));
    CLO_TRY(j_hex(m, "attributes", out->attributes, 8, "tcb: TDX module attributes"));
    CLO_TRY(j_hex(m, "attributesMask", out->attributes_mask, 8, "tcb: TDX module attributesMask"));
    if (!with_levels) return CLO_OK;
    const char *id;
    CLO_TRY(j_str(m, "id", &id, "tcb: TDX module id"));
    CLO_ENSURE(strlen(id) < sizeof out->id, CLO_E_FORMAT, "tcb: TDX module id");
    strcpy(out->id, id);
    const json_t *levels = json_object_get(m, "tcbLevels"), *lv;
    size_t i;
    CLO_ENSURE(json_is_array(levels) && json_array_size(levels) > 0 &&
                   json_array_size(levels) <= sizeof out->levels / sizeof out->levels[0],
               CLO_E_FORMAT, "tcb: TDX module tcbLevels");
    json_array_foreach(levels, i, lv)
    {
        int64_t isvsvn;
        CLO_TRY(
            j_int(json_object_get(lv, "tcb"), "isvsvn", 0, 255, &isvsvn, "tcb: TDX module isvsvn"));
        out->levels[i].sgx[0] = (uint8_t)isvsvn;
        CLO_TRY(level_common(lv, info->adv, &info->nadv, &out->levels[i]));
    }
    out->nlevels = json_array_size(levels);
    return CLO_OK;
}

clo_err clo_tcb_info_parse(clo_bytes text, clo_tcb_info *info)
{
    json_t *j;
    int64_t v, tcb_type;
    clo_err err = CLO_OK;
    memset(info, 0, sizeof *info);
    CLO_TRY(load(text, &j));
    CLO_CHECK(j_int(j, "version", 2, 3, &v, "tcb: TCB Info version is not 2 or 3"));
    info->version = (int)v;
    const json_t *id = json_object_get(j, "id");
    if (info->version == 3) {
        CLO_FAIL_IF(!json_is_string(id), CLO_E_FORMAT, "tcb: TCB Info id");
        info->is_tdx = strcmp(json_string_value(id), "TDX") == 0;
        CLO_FAIL_IF(!info->is_tdx && strcmp(json_string_value(id), "SGX") != 0, CLO_E_UNSUPPORTED,
                    "tcb: TCB Info id");
    }
    CLO_CHECK(j_time(j, "issueDate", &info->issue_date, "tcb: issueDate"));
    CLO_CHECK(j_time(j, "nextUpdate", &info->next_update, "tcb: nextUpdate"));
    CLO_CHECK(j_hex(j, "fmspc", info->fmspc, 6, "tcb: fmspc"));
    CLO_CHECK(j_hex(j, "pceId", info->pceid, 2, "tcb: pceId"));
    CLO_CHECK(j_int(j, "tcbType", 0, 0, &tcb_type, "tcb: tcbType is not 0"));
    CLO_CHECK(j_int(j, "tcbEvaluationDataNumber", 0, INT32_MAX, &info->eval_number,
                    "tcb: tcbEvaluationDataNumber"));

    const json_t *levels = json_object_get(j, "tcbLevels"), *lv;
    size_t i;
    CLO_FAIL_IF(!json_is_array(levels) || json_array_size(levels) == 0 ||
                    json_array_size(levels) > CLO_TCB_MAX_LEVELS,
                CLO_E_FORMAT, "tcb: tcbLevels");
    json_array_foreach(levels, i, lv)
    {
        clo_tcb_level *l = &info->levels[i];
        const json_t *tcb = json_object_get(lv, "tcb");
        CLO_FAIL_IF(!json_is_object(tcb), CLO_E_FORMAT, "tcb: level without tcb");
        if (info->version == 2) {
            for (int c = 0; c < 16; c++) {
                char key[24];
                snprintf(key, sizeof key, "sgxtcbcomp%02dsvn", c + 1);
                CLO_CHECK(j_int(tcb, key, 0, 255, &v, "tcb: sgxtcbcompNNsvn"));
                l->sgx[c] = (uint8_t)v;
            }
        } else {
            CLO_CHECK(components(tcb, "sgxtcbcomponents", l->sgx));
            if (info->is_tdx) CLO_CHECK(components(tcb, "tdxtcbcomponents", l->tdx));
        }
        CLO_CHECK(j_int(tcb, "pcesvn", 0, 65535, &v, "tcb: pcesvn"));
        l->pcesvn = (uint16_t)v;
        CLO_CHECK(level_common(lv, info->adv, &info->nadv, l));
    }
    info->nlevels = json_array_size(levels);
    qsort(info->levels, info->nlevels, sizeof info->levels[0], level_cmp_desc);

    if (info->is_tdx) {
        const json_t *m = json_object_get(j, "tdxModule"), *mi;
        CLO_FAIL_IF(!json_is_object(m), CLO_E_FORMAT, "tcb: tdxModule");
        CLO_CHECK(module_identity(m, info, &info->tdx_module, 0));
        info->has_tdx_module = 1;
        const json_t *ids = json_object_get(j, "tdxModuleIdentities");
        if (ids) {
            CLO_FAIL_IF(!json_is_array(ids) || json_array_size(ids) > CLO_TCB_MAX_MODULES,
                        CLO_E_FORMAT, "tcb: tdxModuleIdentities");
            json_array_foreach(ids, i, mi)
                CLO_CHECK(module_identity(mi, info, &info->modules[i], 1));
            info->nmodules = json_array_size(ids);
        }
    }
out:
    json_decref(j);
    return err;
}

clo_err clo_qe_identity_parse(clo_bytes text, clo_qe_identity *qe)
{
    json_t *j;
    int64_t v;
    const char *id;
    uint8_t u32[4];
    clo_err err = CLO_OK;
    memset(qe, 0, sizeof *qe);
    CLO_TRY(load(text, &j));
    CLO_CHECK(j_int(j, "version", 2, 2, &v, "qe identity: version is not 2"));
    qe->version = 2;
    CLO_CHECK(j_str(j, "id", &id, "qe identity: id"));
    qe->is_td_qe = strcmp(id, "TD_QE") == 0;
    CLO_FAIL_IF(!qe->is_td_qe && strcmp(id, "QE") != 0, CLO_E_UNSUPPORTED,
                "qe identity: id is not QE or TD_QE");
    CLO_CHECK(j_time(j, "issueDate", &qe->issue_date, "qe identity: issueDate"));
    CLO_CHECK(j_time(j, "nextUpdate", &qe->next_update, "qe identity: nextUpdate"));
    CLO_CHECK(j_int(j, "tcbEvaluationDataNumber", 0, INT32_MAX, &qe->eval_number,
                    "qe identity: tcbEvaluationDataNumber"));
    /* miscselect is written as big-endian hex of the little-endian u32 field's value */
    CLO_CHECK(j_hex(j, "miscselect", u32, 4, "qe identity: miscselect"));
    qe->miscselect =
        (uint32_t)u32[0] << 24 | (uint32_t)u32[1] << 16 | (uint32_t)u32[2] << 8 | u32[3];
    CLO_CHECK(j_hex(j, "miscselectMask", u32, 4, "qe identity: miscselectMask"));
    qe->miscselect_mask =
        (uint32_t)u32[0] << 24 | (uint32_t)u32[1] << 16 | (uint32_t)u32[2] << 8 | u32[3];
    CLO_CHECK(j_hex(j, "attributes", qe->attributes, 16, "qe identity: attributes"));
    CLO_CHECK(j_hex(j, "attributesMask", qe->attributes_mask, 16, "qe identity: attributesMask"));
    CLO_CHECK(j_hex(j, "mrsigner", qe->mrsigner, 32, "qe identity: mrsigner"));
    CLO_CHECK(j_int(j, "isvprodid", 0, 65535, &v, "qe identity: isvprodid"));
    qe->isvprodid = (uint16_t)v;
    const json_t *levels = json_object_get(j, "tcbLevels"), *lv;
    size_t i;
    CLO_FAIL_IF(!json_is_array(levels) || json_array_size(levels) == 0 ||
                    json_array_size(levels) > CLO_TCB_MAX_LEVELS,
                CLO_E_FORMAT, "qe identity: tcbLevels");
    json_array_foreach(levels, i, lv)
    {
        CLO_CHECK(j_int(json_object_get(lv, "tcb"), "isvsvn", 0, 65535, &v, "qe identity: isvsvn"));
        qe->levels[i].pcesvn = (uint16_t)v;
        CLO_CHECK(level_common(lv, qe->adv, &qe->nadv, &qe->levels[i]));
    }
    qe->nlevels = json_array_size(levels);
out:
    json_decref(j);
    return err;
}

/* ---- evaluation ---- */

static void add_advisories(clo_tcb_eval *e, const clo_advisory *pool, const clo_tcb_level *l)
{
    for (size_t i = 0; i < l->adv_count; i++) {
        const char *a = pool[l->adv_first + i].id;
        int dup = 0;
        for (size_t j = 0; j < e->nadv; j++) dup |= strcmp(e->advisories[j], a) == 0;
        if (!dup && e->nadv < CLO_TCB_EVAL_MAX_ADVISORIES) e->advisories[e->nadv++] = a;
    }
}

static int is_configuration_needed(clo_tcb_status s)
{
    return s == CLO_TCB_CONFIGURATION_NEEDED || s == CLO_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED ||
           s == CLO_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED ||
           s == CLO_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED;
}

/* QVL convergeTcbStatusWithQeTcbStatus / ...WithTdxModuleStatus. */
static clo_tcb_status converge(clo_tcb_status level, clo_tcb_status other)
{
    if (other == CLO_TCB_OUT_OF_DATE) {
        if (level == CLO_TCB_UP_TO_DATE || level == CLO_TCB_SW_HARDENING_NEEDED)
            return CLO_TCB_OUT_OF_DATE;
        if (level == CLO_TCB_CONFIGURATION_NEEDED ||
            level == CLO_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED)
            return CLO_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
    }
    if (other == CLO_TCB_REVOKED) return CLO_TCB_REVOKED;
    if (other == CLO_TCB_NOT_SUPPORTED) return CLO_TCB_NOT_SUPPORTED;
    return level;
}

static int sgx_ge(const clo_pck_ext *pck, const clo_tcb_level *l)
{
    for (int i = 0; i < 16; i++)
        if (pck->comp_svn[i] < l->sgx[i]) return 0;
    return pck->pcesvn >= l->pcesvn;
}

static int tdx_ge(const uint8_t svn[16], const clo_tcb_level *l)
{
    for (int i = svn[1] > 0 ? 2 : 0; i < 16; i++)
        if (svn[i] < l->tdx[i]) return 0;
    return 1;
}

static const clo_tdx_module *find_module(const clo_tcb_info *info, uint8_t version)
{
    char id[8];
    snprintf(id, sizeof id, "TDX_%02X", version);
    for (size_t i = 0; i < info->nmodules; i++)
        if (strcasecmp(info->modules[i].id, id) == 0) return &info->modules[i];
    return NULL;
}

/* QVL checkTdxModuleTcbStatus, plus the identity check on MRSIGNERSEAM and SEAM attributes. */
static clo_err module_status(const clo_quote *q, const clo_tcb_info *info, clo_tcb_eval *e)
{
    const uint8_t *svn = q->td.tee_tcb_svn;
    const clo_tdx_module *ident = info->has_tdx_module ? &info->tdx_module : NULL;
    e->module = CLO_TCB_UP_TO_DATE;
    if (svn[1] != 0) {
        ident = find_module(info, svn[1]);
        CLO_ENSURE(ident != NULL, CLO_E_POLICY,
                   "dcap: TDX module version has no identity in TCB Info");
    }
    if (ident) {
        CLO_ENSURE(memcmp(ident->mrsigner, q->td.mrsignerseam, 48) == 0, CLO_E_POLICY,
                   "dcap: TDX module MRSIGNERSEAM does not match TCB Info");
        for (int i = 0; i < 8; i++)
            CLO_ENSURE((q->td.seam_attributes[i] & ident->attributes_mask[i]) ==
                           (ident->attributes[i] & ident->attributes_mask[i]),
                       CLO_E_POLICY, "dcap: TDX module attributes do not match TCB Info");
    }
    if (svn[1] == 0) return CLO_OK; /* TDX 1.0 module: no module TCB levels (quote v4+) */
    e->module_checked = 1;
    for (size_t i = 0; i < ident->nlevels; i++) {
        if (svn[0] >= ident->levels[i].sgx[0]) {
            e->module = ident->levels[i].status;
            add_advisories(e, info->adv, &ident->levels[i]);
            return CLO_OK;
        }
    }
    e->module = CLO_TCB_NOT_SUPPORTED;
    return CLO_OK;
}

static clo_err qe_status(const clo_quote *q, const clo_qe_identity *qe, clo_tcb_eval *e)
{
    const clo_sgx_report *r = &q->qe_report;
    CLO_ENSURE(memcmp(r->mrsigner, qe->mrsigner, 32) == 0, CLO_E_POLICY,
               "dcap: QE report MRSIGNER does not match QE Identity");
    CLO_ENSURE(r->isvprodid == qe->isvprodid, CLO_E_POLICY,
               "dcap: QE report ISVPRODID does not match QE Identity");
    CLO_ENSURE((r->miscselect & qe->miscselect_mask) == (qe->miscselect & qe->miscselect_mask),
               CLO_E_POLICY, "dcap: QE report MISCSELECT does not match QE Identity");
    for (int i = 0; i < 16; i++)
        CLO_ENSURE((r->attributes[i] & qe->attributes_mask[i]) ==
                       (qe->attributes[i] & qe->attributes_mask[i]),
                   CLO_E_POLICY, "dcap: QE report ATTRIBUTES do not match QE Identity");
    for (size_t i = 0; i < qe->nlevels; i++) {
        if (r->isvsvn >= qe->levels[i].pcesvn) {
            e->qe = qe->levels[i].status;
            add_advisories(e, qe->adv, &qe->levels[i]);
            return CLO_OK;
        }
    }
    e->qe = CLO_TCB_NOT_SUPPORTED;
    return CLO_OK;
}

/* QVL checkForRelaunch (TD report 1.5). */
static clo_tcb_status relaunch(const clo_quote *q, const clo_tcb_info *info, clo_tcb_status sgx,
                               clo_tcb_status tdx, const clo_tcb_eval *e)
{
    const uint8_t *svn2 = q->td.tee_tcb_svn2;
    if (e->qe == CLO_TCB_OUT_OF_DATE || e->qe == CLO_TCB_REVOKED || e->qe == CLO_TCB_NOT_SUPPORTED)
        return tdx;
    if (!(sgx == CLO_TCB_UP_TO_DATE || sgx == CLO_TCB_SW_HARDENING_NEEDED ||
          sgx == CLO_TCB_CONFIGURATION_NEEDED ||
          sgx == CLO_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED))
        return tdx;
    if (!(tdx == CLO_TCB_OUT_OF_DATE || tdx == CLO_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED) ||
        e->module != CLO_TCB_OUT_OF_DATE)
        return tdx;
    const clo_tcb_level *latest = &info->levels[0];
    uint8_t module_svn_needed = latest->tdx[0];
    if (svn2[1] != 0) {
        const clo_tdx_module *m2 = find_module(info, svn2[1]);
        if (!m2 || m2->nlevels == 0) return CLO_TCB_NOT_SUPPORTED;
        module_svn_needed = m2->levels[0].sgx[0];
    }
    if (svn2[0] >= module_svn_needed && svn2[2] >= latest->tdx[2])
        return is_configuration_needed(sgx) || is_configuration_needed(tdx)
                   ? CLO_TCB_TD_RELAUNCH_ADVISED_CONFIGURATION_NEEDED
                   : CLO_TCB_TD_RELAUNCH_ADVISED;
    return tdx;
}

clo_err clo_tcb_evaluate(const clo_quote *q, const clo_pck_ext *pck, const clo_tcb_info *info,
                         const clo_qe_identity *qe, clo_tcb_eval *e)
{
    int tdx = q->tee_type == CLO_QUOTE_TEE_TDX;
    memset(e, 0, sizeof *e);
    CLO_ENSURE(tdx == info->is_tdx, CLO_E_POLICY, "dcap: TCB Info is for another TEE type");
    CLO_ENSURE(memcmp(pck->fmspc, info->fmspc, 6) == 0, CLO_E_POLICY,
               "dcap: TCB Info FMSPC does not match the PCK certificate");
    CLO_ENSURE(memcmp(pck->pceid, info->pceid, 2) == 0, CLO_E_POLICY,
               "dcap: TCB Info PCE-ID does not match the PCK certificate");
    CLO_ENSURE(qe->is_td_qe == tdx, CLO_E_POLICY, "dcap: QE Identity is for another TEE type");
    CLO_TRY(qe_status(q, qe, e));

    const clo_tcb_level *sgx_level = NULL, *tdx_level = NULL;
    for (size_t i = 0; i < info->nlevels && !tdx_level; i++) {
        const clo_tcb_level *l = &info->levels[i];
        if (!sgx_ge(pck, l)) continue;
        if (!sgx_level) sgx_level = l;
        if (!tdx) break;
        if (tdx_ge(q->td.tee_tcb_svn, l)) tdx_level = l;
    }
    if (!sgx_level || (tdx && !tdx_level)) {
        e->platform = e->status = CLO_TCB_NOT_SUPPORTED;
        return CLO_OK;
    }
    if (!tdx) {
        e->platform = sgx_level->status;
        add_advisories(e, info->adv, sgx_level);
        e->status = converge(e->platform, e->qe);
        return CLO_OK;
    }
    e->platform = tdx_level->status;
    add_advisories(e, info->adv, tdx_level);
    CLO_TRY(module_status(q, info, e));
    if (e->module == CLO_TCB_NOT_SUPPORTED) {
        e->status = CLO_TCB_NOT_SUPPORTED;
        return CLO_OK;
    }
    clo_tcb_status st = converge(tdx_level->status, e->module);
    if (q->td.is_v15) st = relaunch(q, info, sgx_level->status, st, e);
    e->status = converge(st, e->qe);
    return CLO_OK;
}
