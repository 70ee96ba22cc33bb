/* snp_test.c — the real SEV-SNP reports in tests/vectors/amd-sev-snp:
 * parse, verify (signature, VCEK <- ASK <- ARK, TCB, chip id) at a time inside
 * their validity, check the fields the README states, and reject tampering. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "attest/snp.h"
#include "cases.h"
#include "base/timefmt.h"
#include "tv.h"

typedef struct {
    clo_buf file;
    clo_snp_report r;
    clo_dcap_collateral col;
    int64_t at;
} loaded;

static void load_case(const json_t *c, loaded *l)
{
    char path[1024];
    const char *dir = tv_str(c, "dir");
    snprintf(path, sizeof path, "%s/report.bin", tv_path(dir));
    l->file = tv_read_file(path);
    assert_int_equal(clo_snp_report_parse(clo_buf_view(&l->file), &l->r).code, CLO_OK_CODE);
    assert_int_equal(clo_time_parse(tv_str(c, "at"), &l->at).code, CLO_OK_CODE);
    assert_true(load_case_collateral(dir, "report.", NULL, &l->col) > 0);
}

static void unload(loaded *l)
{
    clo_dcap_collateral_free(&l->col);
    clo_buf_free(&l->file);
}

static clo_err verify(loaded *l, const clo_snp_report *r, int64_t at, const clo_x509 *ark,
                      clo_snp_result *res)
{
    clo_snp_opts o = {at, ark};
    return clo_snp_verify(r, &l->col, &o, res);
}

static int setup(void **state)
{
    (void)state;
    return cases_load("snp_cases.json");
}

static void test_every_report_verifies(void **state)
{
    (void)state;
    const json_t *c;
    size_t i;
    json_array_foreach(json_object_get(g_cases, "cases"), i, c)
    {
        loaded l;
        clo_snp_result res;
        load_case(c, &l);
        clo_err e = verify(&l, &l.r, l.at, NULL, &res);
        printf("  %-34s v%u %-9s %s; DEBUG=%d\n", tv_str(c, "dir"), l.r.version, res.product,
               e.code ? e.what : "signature, VCEK<-ASK<-ARK, TCB and chip id valid",
               !!(l.r.policy & CLO_SNP_POLICY_DEBUG));
        if (e.code) fail_msg("%s: %s", tv_str(c, "dir"), e.what);
        assert_int_equal(l.r.version, tv_int(c, "version"));
        assert_string_equal(res.product, tv_str(c, "product"));
        assert_int_equal(!!(l.r.policy & CLO_SNP_POLICY_DEBUG),
                         json_is_true(json_object_get(c, "debug")));
        const json_t *t = json_object_get(c, "tcb");
        assert_int_equal(res.reported.bl, tv_int(t, "bl"));
        assert_int_equal(res.reported.tee, tv_int(t, "tee"));
        assert_int_equal(res.reported.snp, tv_int(t, "snp"));
        assert_int_equal(res.reported.ucode, tv_int(t, "ucode"));
        if (json_object_get(t, "fmc")) assert_int_equal(res.reported.fmc, tv_int(t, "fmc"));
        clo_buf m = tv_hex(c, "measurement");
        tv_assert_bytes("measurement", CLO_BYTES(l.r.measurement, 48), clo_buf_view(&m));
        clo_buf_free(&m);
        unload(&l);
    }
}

static void test_tampering(void **state)
{
    (void)state;
    const json_t *c;
    size_t i;
    /* offsets: version, policy, vmpl, current tcb, report data, measurement, host data,
     * reported tcb, chip id, launch tcb, signature r, signature s; and the README's own
     * case: bit 7 of byte 21 (virtee). */
    static const size_t offs[] = {0,    8,     0x15,  0x30,  0x38,  0x50,     0x90,
                                  0xC0, 0x180, 0x1A0, 0x1F0, 0x2A0, 0x2E8 + 7};
    json_array_foreach(json_object_get(g_cases, "cases"), i, c)
    {
        loaded l;
        clo_snp_result res;
        load_case(c, &l);
        for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++) {
            clo_buf mod;
            clo_snp_report r2;
            clo_buf_init(&mod, CLO_SNP_REPORT_SIZE);
            assert_int_equal(clo_buf_append_bytes(&mod, clo_buf_view(&l.file)).code, CLO_OK_CODE);
            mod.ptr[offs[k]] ^= offs[k] == 0x15 ? 0x80 : 0x01;
            clo_err e = clo_snp_report_parse(clo_buf_view(&mod), &r2);
            if (!e.code) e = verify(&l, &r2, l.at, NULL, &res);
            if (!e.code) fail_msg("%s: flip at 0x%zx accepted", tv_str(c, "dir"), offs[k]);
            clo_buf_free(&mod);
        }
        /* unsigned reserved tail and signature padding must be zero */
        clo_buf mod;
        clo_snp_report r2;
        clo_buf_init(&mod, CLO_SNP_REPORT_SIZE);
        assert_int_equal(clo_buf_append_bytes(&mod, clo_buf_view(&l.file)).code, CLO_OK_CODE);
        mod.ptr[0x400] = 1;
        assert_string_equal(clo_snp_report_parse(clo_buf_view(&mod), &r2).what,
                            "snp: reserved bytes after the signature not zero");
        mod.ptr[0x400] = 0;
        mod.ptr[0x2A0 + 60] = 1;
        assert_string_equal(clo_snp_report_parse(clo_buf_view(&mod), &r2).what,
                            "snp: signature field padding not zero");
        clo_buf_free(&mod);
        /* wrong length, version */
        assert_int_equal(
            clo_snp_report_parse(CLO_BYTES(l.file.ptr, CLO_SNP_REPORT_SIZE - 1), &r2).code,
            CLO_E_FORMAT);
        /* times outside the VCEK validity */
        assert_int_equal(verify(&l, &l.r, 1000000000, NULL, &res).code, CLO_E_STALE);
        assert_int_equal(verify(&l, &l.r, 4102444800LL, NULL, &res).code, CLO_E_STALE);
        unload(&l);
    }
}

/* The warm verifier: same results as cold, re-checks outside the chain's window,
 * and still checks each report. */
static void test_warm_verifier(void **state)
{
    (void)state;
    const json_t *c;
    size_t i;
    json_array_foreach(json_object_get(g_cases, "cases"), i, c)
    {
        loaded l;
        clo_snp_result cold, warm;
        clo_snp_verifier *v;
        load_case(c, &l);
        assert_int_equal(verify(&l, &l.r, l.at, NULL, &cold).code, CLO_OK_CODE);
        assert_int_equal(clo_snp_verifier_new(&v, &l.col, NULL).code, CLO_OK_CODE);
        for (int round = 0; round < 3; round++) {
            assert_int_equal(clo_snp_verifier_verify(v, &l.r, l.at, &warm).code, CLO_OK_CODE);
            assert_string_equal(warm.product, cold.product);
            assert_memory_equal(&warm.reported, &cold.reported, sizeof cold.reported);
            assert_int_equal(warm.vcek_not_after, cold.vcek_not_after);
        }
        assert_int_equal(clo_snp_verifier_verify(v, &l.r, 4102444800LL, &warm).code, CLO_E_STALE);
        clo_snp_report r2 = l.r;
        r2.sig[10] ^= 1;
        clo_err e = clo_snp_verifier_verify(v, &r2, l.at, &warm);
        assert_string_equal(e.code ? e.what : "accepted", "snp: report signature");
        r2 = l.r;
        r2.chip_id[0] ^= 1; /* the signature is over the bytes; this checks the hwID comparison */
        e = clo_snp_verifier_verify(v, &r2, l.at, &warm);
        assert_int_not_equal(e.code, CLO_OK_CODE);
        assert_int_equal(clo_snp_verifier_verify(v, &l.r, l.at, &warm).code, CLO_OK_CODE);
        clo_snp_verifier_free(v);
        unload(&l);
    }
}

/* The built-in AMD chains: every ASK and ASVK is issued by its ARK (RSA-PSS). */
static void test_builtin_amd_chains(void **state)
{
    (void)state;
    static const char *files[] = {"amd_ask_ark_milan.pem",  "amd_ask_ark_genoa.pem",
                                  "amd_ask_ark_turin.pem",  "amd_asvk_ark_milan.pem",
                                  "amd_asvk_ark_genoa.pem", "amd_asvk_ark_turin.pem"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[1024];
        clo_x509 *c[2];
        size_t n;
        snprintf(path, sizeof path, "%s/../data/anchors/%s", CLO_TESTS_DIR, files[i]);
        clo_buf pem = tv_read_file(path);
        assert_int_equal(clo_x509_parse_pem(clo_buf_view(&pem), c, 2, &n).code, CLO_OK_CODE);
        assert_int_equal(n, 2);
        assert_int_equal(clo_x509_check_issued_by(c[1], c[1]).code, CLO_OK_CODE); /* ARK */
        assert_int_equal(clo_x509_check_issued_by(c[0], c[1]).code, CLO_OK_CODE); /* ASK / ASVK */
        clo_x509_free(c[0]);
        clo_x509_free(c[1]);
        clo_buf_free(&pem);
    }
}

/* Another root than AMD's: the Intel root as the configured ARK. */
static void test_foreign_anchor(void **state)
{
    (void)state;
    loaded l;
    clo_snp_result res;
    clo_x509 *intel;
    load_case(json_array_get(json_object_get(g_cases, "cases"), 1), &l);
    assert_int_equal(clo_dcap_intel_root(&intel).code, CLO_OK_CODE);
    clo_err e = verify(&l, &l.r, l.at, intel, &res);
    assert_string_equal(e.code ? e.what : "accepted", "snp: ASK not issued by the trust anchor");
    clo_x509_free(intel);
    unload(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_foreign_anchor),        cmocka_unit_test(test_builtin_amd_chains),
        cmocka_unit_test(test_warm_verifier),         cmocka_unit_test(test_tampering),
        cmocka_unit_test(test_every_report_verifies),
    };
    return cmocka_run_group_tests(tests, setup, cases_free);
}
