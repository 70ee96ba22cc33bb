/* sim_test.c — the simulated TEE through the real verifier: accepted only under
 * its own root and a policy that allows debug; rejected by default and under the
 * Intel root; and the revocation cases no real evidence allows (a CRL listing
 * the PCK certificate, the PCK CA, the TCB Signing certificate). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "evidence/binding.h"
#include "evidence/sim.h"
#include "attest/verdict.h"

#define NOW 1767225600 /* 2026-01-01T00:00:00Z */

typedef struct {
    clo_sim sim;
    clo_buf quote;
    clo_dcap_collateral col;
    clo_sim_quote_params qp;
} fixture;

static void collateral(fixture *f, int64_t at)
{
    clo_dcap_collateral_init(&f->col);
    for (size_t i = 0; i < CLO_SIM_COLLATERAL; i++) {
        clo_buf b;
        clo_buf_init(&b, 1 << 20);
        assert_int_equal(clo_sim_collateral(&f->sim, at, i, &b).code, CLO_OK_CODE);
        assert_int_equal(clo_dcap_collateral_add(&f->col, clo_buf_view(&b)).code, CLO_OK_CODE);
        clo_buf_free(&b);
    }
}

static int setup(void **state)
{
    static fixture f;
    memset(&f, 0, sizeof f);
    if (clo_sim_create(&f.sim, NOW).code) return -1;
    memset(f.qp.report_data, 0x5a, 64);
    memset(f.qp.mrtd, 0x3c, 48);
    clo_buf_init(&f.quote, 1 << 16);
    if (clo_sim_quote(&f.sim, &f.qp, &f.quote).code) return -1;
    collateral(&f, NOW);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    clo_dcap_collateral_free(&f->col);
    clo_buf_free(&f->quote);
    clo_sim_free(&f->sim);
    return 0;
}

/* Verify with a policy (NULL: default) and an anchor; return the verdict document. */
static json_t *verdict(fixture *f, const clo_dcap_collateral *col, const char *policy_json,
                       const clo_x509 *anchor, int64_t at, int *accepted)
{
    clo_policy *p;
    char msg[128], *out;
    if (policy_json)
        assert_int_equal(clo_policy_parse(clo_bytes_str(policy_json), &p, msg, sizeof msg).code,
                         CLO_OK_CODE);
    else
        assert_int_equal(clo_policy_default(&p).code, CLO_OK_CODE);
    clo_verify_opts o = {at, anchor};
    static clo_verdict vd;
    assert_int_equal(clo_attest_verify(clo_buf_view(&f->quote), col, p, &o, &vd).code, CLO_OK_CODE);
    assert_int_equal(clo_verdict_json(&vd, &out).code, CLO_OK_CODE);
    *accepted = vd.accepted;
    json_error_t e;
    json_t *v = json_loads(out, 0, &e);
    assert_non_null(v);
    free(out);
    clo_policy_free(p);
    return v;
}

static const char *first_reason(json_t *v)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(v, "reasons"), 0), "message"));
}

static void test_accepted_under_sim_root_and_debug_policy(void **state)
{
    fixture *f = *state;
    int ok;
    json_t *v = verdict(f, &f->col, "{\"allow_debug\":true,\"any_measurement\":true}", f->sim.root,
                        NOW + 60, &ok);
    if (!ok) fail_msg("rejected: %s", first_reason(v));
    assert_string_equal(json_string_value(json_object_get(v, "tee")), "tdx");
    assert_string_equal(json_string_value(json_object_get(v, "tcb_status")), "UpToDate");
    assert_true(json_is_true(json_object_get(v, "debug")));
    const char *mrtd =
        json_string_value(json_object_get(json_object_get(v, "measurements"), "mrtd"));
    assert_memory_equal(mrtd, "0x", 2); /* every hex in a verdict is 0x-prefixed */
    assert_int_equal(strspn(mrtd + 2, "3c"), 96);
    const char *rd = json_string_value(json_object_get(v, "report_data"));
    assert_memory_equal(rd, "0x", 2);
    assert_int_equal(strspn(rd + 2, "5a"), 128);
    json_decref(v);
}

/* The policy may give the key binding's inputs instead of report_data. */
static void test_policy_binding(void **state)
{
    fixture *f = *state;
    clo_key_binding kb;
    uint8_t rd[64];
    char hex_op[41], hex_signer[41], hex_pk[65], hex_reg[41], hex_nonce[65], pol[1024];
    int ok;
    memset(&kb, 0, sizeof kb);
    memset(kb.operator_addr, 0x55, 20);
    memset(kb.signer, 0x11, 20);
    memset(kb.hpke_pk, 0x22, 32);
    memset(kb.registry, 0x33, 20);
    memset(kb.nonce, 0x44, 32);
    kb.epoch = 7;
    kb.chain_id = 31337;
    clo_report_data(&kb, rd);
    clo_buf q;
    clo_buf_init(&q, 1 << 16);
    clo_sim_quote_params qp = f->qp;
    memcpy(qp.report_data, rd, 64);
    assert_int_equal(clo_sim_quote(&f->sim, &qp, &q).code, CLO_OK_CODE);
    clo_buf saved = f->quote;
    f->quote = q;
    memset(hex_op, '5', 40), hex_op[40] = 0;
    memset(hex_signer, '1', 40), hex_signer[40] = 0;
    memset(hex_pk, '2', 64), hex_pk[64] = 0;
    memset(hex_reg, '3', 40), hex_reg[40] = 0;
    memset(hex_nonce, '4', 64), hex_nonce[64] = 0;
    snprintf(pol, sizeof pol,
             "{\"allow_debug\":true,\"any_measurement\":true,\"binding\":{\"operator\":\"%s\","
             "\"signer\":\"%s\",\"hpke_pk\":\"%s\",\"epoch\":7,"
             "\"chain_id\":31337,\"registry\":\"%s\",\"nonce\":\"%s\"}}",
             hex_op, hex_signer, hex_pk, hex_reg, hex_nonce);
    json_t *v = verdict(f, &f->col, pol, f->sim.root, NOW + 60, &ok);
    assert_true(ok);
    json_decref(v);
    /* another epoch: the binding no longer matches */
    char *at = strstr(pol, "\"epoch\":7");
    at[8] = '8';
    v = verdict(f, &f->col, pol, f->sim.root, NOW + 60, &ok);
    assert_false(ok);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(v, "reasons"), 0), "code")),
                        "report_data");
    json_decref(v);
    f->quote = saved;
    clo_buf_free(&q);
    /* an incomplete binding is refused, naming it */
    clo_policy *p;
    char msg[128];
    assert_int_not_equal(
        clo_policy_parse(clo_bytes_str("{\"binding\":{\"epoch\":1}}"), &p, msg, sizeof msg).code,
        CLO_OK_CODE);
    assert_non_null(strstr(msg, "binding"));
}

static void test_rejected_by_default_and_under_intel_root(void **state)
{
    fixture *f = *state;
    int ok;
    json_t *v = verdict(f, &f->col, NULL, f->sim.root, NOW + 60, &ok);
    assert_false(ok);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(v, "reasons"), 0), "code")),
                        "debug");
    assert_string_equal(json_string_value(json_object_get(v, "tcb_status")),
                        "UpToDate"); /* still reported */
    json_decref(v);
    v = verdict(f, &f->col, "{\"allow_debug\":true,\"any_measurement\":true}", NULL, NOW + 60, &ok);
    assert_false(ok);
    assert_non_null(strstr(first_reason(v), "dcap: PCK chain root is not the trust anchor"));
    json_decref(v);
    v = verdict(f, &f->col, "{\"allow_debug\":true,\"any_measurement\":true}", f->sim.root,
                NOW + 31 * 86400, &ok);
    assert_false(ok);
    assert_non_null(strstr(first_reason(v), "expired"));
    json_decref(v);
}

/* A reason code of the verdict, or 0. */
static int has_reason(json_t *v, const char *code)
{
    json_t *r = json_object_get(v, "reasons"), *x;
    size_t i;
    json_array_foreach(
        r, i, x) if (!strcmp(json_string_value(json_object_get(x, "code")), code)) return 1;
    return 0;
}

/* Issue 15, finding 5: measurement rules failed open across TEE types, and no
 * rules meant no constraint. Now a TEE type the policy lists nothing for is
 * refused (no_rule), unless the policy says any_measurement. */
static void test_deny_by_default(void **state)
{
    fixture *f = *state;
    int ok;
    json_t *v = verdict(f, &f->col, "{\"allow_debug\":true}", f->sim.root, NOW + 60, &ok);
    assert_false(ok); /* no rules at all */
    assert_true(has_reason(v, "no_rule"));
    json_decref(v);
    v = verdict(f, &f->col, "{\"allow_debug\":true,\"sgx\":[{}],\"snp\":[{}]}", f->sim.root,
                NOW + 60, &ok);
    assert_false(ok); /* rules for the other TEE types only: a TDX quote is refused */
    assert_true(has_reason(v, "no_rule"));
    json_decref(v);
    v = verdict(f, &f->col, "{\"allow_debug\":true,\"tdx\":[{}]}", f->sim.root, NOW + 60, &ok);
    assert_true(ok); /* an entry {} names the TEE type and matches any measurement */
    json_decref(v);
    v = verdict(f, &f->col, "{\"allow_debug\":true,\"tdx\":[]}", f->sim.root, NOW + 60, &ok);
    assert_false(ok); /* an empty list allows nothing */
    assert_true(has_reason(v, "measurement"));
    json_decref(v);
}

/* Replace one CRL of the collateral with one that lists `who`. */
static void revoked(fixture *f, const clo_x509 *issuer, const clo_ec_key *key, const clo_x509 *who,
                    const char *want)
{
    clo_dcap_collateral col;
    clo_buf crl;
    int ok;
    clo_dcap_collateral_init(&col);
    clo_buf_init(&crl, 1 << 16);
    for (size_t i = 0; i < CLO_SIM_COLLATERAL; i++) {
        clo_buf b;
        clo_buf_init(&b, 1 << 20);
        int replaced = (i == 2 && issuer == f->sim.ca) || (i == 3 && issuer == f->sim.root);
        if (replaced)
            assert_int_equal(
                clo_x509_crl_create(issuer, key, NOW, NOW + 86400 * 30, &who, 1, &b).code,
                CLO_OK_CODE);
        else
            assert_int_equal(clo_sim_collateral(&f->sim, NOW, i, &b).code, CLO_OK_CODE);
        assert_int_equal(clo_dcap_collateral_add(&col, clo_buf_view(&b)).code, CLO_OK_CODE);
        clo_buf_free(&b);
    }
    json_t *v = verdict(f, &col, "{\"allow_debug\":true,\"any_measurement\":true}", f->sim.root,
                        NOW + 60, &ok);
    assert_false(ok);
    if (!strstr(first_reason(v), want)) fail_msg("got '%s', want '%s'", first_reason(v), want);
    json_decref(v);
    clo_buf_free(&crl);
    clo_dcap_collateral_free(&col);
}

static void test_revocation(void **state)
{
    fixture *f = *state;
    revoked(f, f->sim.ca, f->sim.ca_key, f->sim.pck, "dcap: PCK certificate revoked");
    revoked(f, f->sim.root, f->sim.root_key, f->sim.ca, "dcap: PCK CA certificate revoked");
    revoked(f, f->sim.root, f->sim.root_key, f->sim.tcb, "dcap: TCB Signing certificate revoked");
}

static void test_parts_round_trip(void **state)
{
    fixture *f = *state;
    clo_sim copy;
    memset(&copy, 0, sizeof copy);
    for (size_t i = 0; i < CLO_SIM_PARTS; i++) {
        clo_buf b;
        clo_buf_init(&b, 1 << 16);
        assert_int_equal(clo_sim_save_part(&f->sim, i, &b).code, CLO_OK_CODE);
        assert_int_equal(clo_sim_load_part(&copy, i, clo_buf_view(&b)).code, CLO_OK_CODE);
        clo_buf_free(&b);
    }
    clo_buf q;
    clo_buf_init(&q, 1 << 16);
    assert_int_equal(clo_sim_quote(&copy, &f->qp, &q).code, CLO_OK_CODE);
    clo_quote parsed;
    clo_dcap_result r;
    clo_dcap_opts o = {NOW + 60, f->sim.root};
    assert_int_equal(clo_quote_parse(clo_buf_view(&q), &parsed).code, CLO_OK_CODE);
    assert_int_equal(clo_dcap_verify(&parsed, &f->col, &o, &r).code, CLO_OK_CODE);
    assert_true(r.tcb_evaluated);
    clo_buf_free(&q);
    clo_sim_free(&copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted_under_sim_root_and_debug_policy),
        cmocka_unit_test(test_rejected_by_default_and_under_intel_root),
        cmocka_unit_test(test_revocation),
        cmocka_unit_test(test_policy_binding),
        cmocka_unit_test(test_deny_by_default),
        cmocka_unit_test(test_parts_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
