/* verdict_json.c — the verdict document (docs/attestation.md), from a typed
 * verdict. Keys come in a fixed order: the decision first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attest/verdict.h"
#include "base/jsonhex.h"
#include "base/timefmt.h"

static void put_hex(json_t *o, const char *key, const uint8_t *p, size_t n)
{
    json_object_set_new(o, key, clo_json_hex(CLO_BYTES(p, n)));
}

static void put_time(json_t *o, const char *key, int64_t t)
{
    char s[CLO_TIME_STRING_SIZE];
    clo_time_format(t, s);
    json_object_set_new(o, key, json_string(s));
}

static json_t *measurements(const clo_verdict *v)
{
    json_t *m = json_object();
    if (!v->has_body) return m;
    if (v->tee == CLO_TEE_TDX) {
        put_hex(m, "mrtd", v->m.td.mrtd, 48);
        for (int i = 0; i < 4; i++) {
            char k[8];
            snprintf(k, sizeof k, "rtmr%d", i);
            put_hex(m, k, v->m.td.rtmr[i], 48);
        }
        put_hex(m, "mrseam", v->m.td.mrseam, 48);
        put_hex(m, "mrconfigid", v->m.td.mrconfigid, 48);
        put_hex(m, "mrowner", v->m.td.mrowner, 48);
        put_hex(m, "mrownerconfig", v->m.td.mrownerconfig, 48);
        put_hex(m, "td_attributes", v->m.td.td_attributes, 8);
    } else if (v->tee == CLO_TEE_SGX) {
        put_hex(m, "mrenclave", v->m.sgx.mrenclave, 32);
        put_hex(m, "mrsigner", v->m.sgx.mrsigner, 32);
        json_object_set_new(m, "isvprodid", json_integer(v->m.sgx.isvprodid));
        json_object_set_new(m, "isvsvn", json_integer(v->m.sgx.isvsvn));
        put_hex(m, "attributes", v->m.sgx.attributes, 16);
    } else {
        put_hex(m, "measurement", v->m.snp.measurement, 48);
        put_hex(m, "host_data", v->m.snp.host_data, 32);
        put_hex(m, "id_key_digest", v->m.snp.id_key_digest, 48);
        put_hex(m, "author_key_digest", v->m.snp.author_key_digest, 48);
        put_hex(m, "family_id", v->m.snp.family_id, 16);
        put_hex(m, "image_id", v->m.snp.image_id, 16);
        json_object_set_new(m, "guest_svn", json_integer(v->m.snp.guest_svn));
        json_object_set_new(m, "vmpl", json_integer(v->m.snp.vmpl));
        json_object_set_new(m, "policy", json_integer((json_int_t)v->m.snp.policy));
    }
    return m;
}

static json_t *collateral(const clo_verdict *v)
{
    json_t *c = json_object();
    put_time(c, "evaluated_at", v->col.evaluated_at);
    if (!v->col.checked) return c;
    if (v->tee == CLO_TEE_SNP) {
        json_object_set_new(c, "crl_checked", json_boolean(v->col.crl_checked));
        if (v->col.product[0]) json_object_set_new(c, "product", json_string(v->col.product));
        if (v->col.has_vcek) {
            put_time(c, "vcek_not_before", v->col.vcek_not_before);
            put_time(c, "vcek_not_after", v->col.vcek_not_after);
        }
        return c;
    }
    json_object_set_new(c, "pck_crl_checked", json_boolean(v->col.pck_crl_checked));
    json_object_set_new(c, "root_crl_checked", json_boolean(v->col.root_crl_checked));
    if (v->col.pck_ca[0]) json_object_set_new(c, "pck_ca", json_string(v->col.pck_ca));
    if (v->col.has_fmspc) put_hex(c, "fmspc", v->col.fmspc, 6);
    if (v->col.has_tcb_info) {
        json_t *ti = json_object(), *qe = json_object();
        put_time(ti, "issue_date", v->col.tcb_info_issue);
        put_time(ti, "next_update", v->col.tcb_info_next);
        json_object_set_new(ti, "tcb_evaluation_data_number",
                            json_integer((json_int_t)v->col.tcb_eval_number));
        put_time(qe, "issue_date", v->col.qe_identity_issue);
        put_time(qe, "next_update", v->col.qe_identity_next);
        json_object_set_new(c, "tcb_info", ti);
        json_object_set_new(c, "qe_identity", qe);
    }
    return c;
}

static json_t *identity(unsigned id)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{CLO_ID_MRTD, "mrtd"},
                 {CLO_ID_RTMR(0), "rtmr0"},
                 {CLO_ID_RTMR(1), "rtmr1"},
                 {CLO_ID_RTMR(2), "rtmr2"},
                 {CLO_ID_RTMR(3), "rtmr3"},
                 {CLO_ID_MRENCLAVE, "mrenclave"},
                 {CLO_ID_MEASUREMENT, "measurement"},
                 {CLO_ID_HOST_DATA, "host_data"}};
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (id & names[i].bit) json_array_append_new(a, json_string(names[i].name));
    return a;
}

clo_err clo_verdict_json(const clo_verdict *v, char **out)
{
    *out = NULL;
    int snp = v->tee == CLO_TEE_SNP;
    json_t *d = json_pack("{s:s,s:s}", "status", v->accepted ? "accepted" : "rejected", "tee",
                          v->tee ? clo_tee_kind_name(v->tee) : "unknown");
    CLO_ENSURE(d, CLO_E_NOMEM, "verdict");
    json_object_set_new(d, "tcb_status",
                        v->has_tcb ? json_string(clo_tcb_status_name(v->tcb_status)) : json_null());
    json_t *adv = json_array();
    for (size_t i = 0; i < v->nadv; i++) json_array_append_new(adv, json_string(v->advisories[i]));
    json_object_set_new(d, "advisories", adv);
    if (v->examined) json_object_set_new(d, "measurements", measurements(v));
    if (v->has_body) {
        put_hex(d, "report_data", v->report_data, 64);
        json_object_set_new(d, "debug", json_boolean(v->debug));
    }
    if (v->examined) json_object_set_new(d, "collateral", collateral(v));
    if (v->has_body)
        json_object_set_new(d, snp ? "report_version" : "quote_version", json_integer(v->version));
    if (v->ignored_trailing)
        json_object_set_new(d, "ignored_trailing_bytes",
                            json_integer((json_int_t)v->ignored_trailing));
    if (v->has_snp_tcb)
        json_object_set_new(d, "tcb",
                            json_pack("{s:i,s:i,s:i,s:i,s:i}", "fmc", v->snp_tcb.fmc, "bl",
                                      v->snp_tcb.bl, "tee", v->snp_tcb.tee, "snp", v->snp_tcb.snp,
                                      "ucode", v->snp_tcb.ucode));
    if (v->has_identity) json_object_set_new(d, "identity", identity(v->identity));
    json_t *reasons = json_array();
    for (size_t i = 0; i < v->nreasons; i++)
        json_array_append_new(reasons,
                              json_pack("{s:s,s:s}", "code", clo_why_name(v->reasons[i].code),
                                        "message", v->reasons[i].message));
    json_object_set_new(d, "reasons", reasons);
    *out = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(d);
    CLO_ENSURE(*out != NULL, CLO_E_NOMEM, "verdict");
    return CLO_OK;
}
