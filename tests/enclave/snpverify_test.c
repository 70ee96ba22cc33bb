/* snpverify_test.c — the verifier enclave (SNP_CHALLENGE, SNP_APPROVE): an
 * in-process sim enclave approves the SEV-SNP evidence of a sim-snp enclave
 * on the same simulated platform, and its approval recovers to its signer over
 * the registered SNP measurement; and everything a host could change is
 * refused: another operator, signer, key or epoch than the report binds, a
 * nonce it did not issue or already used, a flipped byte of the report, a VCEK
 * of another chip, no VCEK, an expiry in the past or beyond the VCEK. Real
 * AMD reports (Milan, Genoa, Turin, tests/vectors) pass the chain and
 * signature inside the enclave and are refused for their binding (or debug
 * policy), never for their signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "evidence/approval.h"
#include "evidence/measure.h"
#include "evidence/snp_report.h"
#include "base/timefmt.h"
#include "crypto/keccak.h"
#include "enclave_fixture.h"
#include "tv.h"

#define OK(x) assert_int_equal((x).code, CLO_OK_CODE)

static fx_platform P;
static uint8_t OPERATOR[20] = {0x0b, 0x0b};

/* An enclave on P with this backend. */
static clo_enclave *enclave(clo_tee_kind backend)
{
    clo_proto_init in;
    clo_enclave *e;
    clo_buf body, resp;
    fx_init_params(&P, P.measurement, 0, &in);
    in.backend = (uint8_t)backend;
    clo_buf_init(&body, 1 << 20);
    clo_buf_init(&resp, 1 << 20);
    OK(clo_enclave_new(&e));
    OK(clo_proto_init_encode(&in, &body));
    OK(fx_call(e, CLO_CALL_INIT, clo_buf_view(&body), FX_NOW, &resp));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &resp));
    clo_buf_free(&body);
    clo_buf_free(&resp);
    return e;
}

typedef struct {
    clo_enclave *verifier, *snp;
    clo_buf ev_resp;
    clo_proto_evidence ev;
    clo_proto_snp_approve req;
    uint8_t vsigner[20];
} world;

static void challenge(world *w, uint8_t nonce[32])
{
    clo_buf resp;
    clo_buf_init(&resp, 64);
    OK(fx_call(w->verifier, CLO_CALL_SNP_CHALLENGE, CLO_BYTES_EMPTY, FX_NOW, &resp));
    assert_int_equal(resp.len, 32);
    memcpy(nonce, resp.ptr, 32);
    clo_buf_free(&resp);
}

/* The SNP enclave's evidence over a fresh challenge of the verifier, and the
 * request a host would make of it. */
static void setup_world(world *w)
{
    memset(w, 0, sizeof *w);
    w->verifier = enclave(CLO_TEE_SIM);
    w->snp = enclave(CLO_TEE_SIM_SNP);
    clo_proto_keys k;
    OK(fx_keys(w->verifier, FX_NOW, &k));
    memcpy(w->vsigner, k.keys[0].signer, 20);
    uint8_t req[52];
    challenge(w, req);
    memcpy(req + 32, OPERATOR, 20);
    clo_buf_init(&w->ev_resp, 1 << 20);
    OK(fx_call(w->snp, CLO_CALL_EVIDENCE, CLO_BYTES(req, 52), FX_NOW, &w->ev_resp));
    OK(clo_proto_evidence_decode(clo_buf_view(&w->ev_resp), &w->ev));
    assert_int_equal(w->ev.format, CLO_EVIDENCE_SNP_REPORT);
    clo_proto_snp_approve *r = &w->req;
    memcpy(r->operator_addr, OPERATOR, 20);
    memcpy(r->signer, w->ev.signer, 20);
    memcpy(r->hpke_pk, w->ev.hpke_pk, 32);
    r->epoch = w->ev.epoch;
    memcpy(r->nonce, req, 32);
    r->expiry = FX_NOW + 86400;
    r->report = w->ev.evidence;
    r->ncerts = 1;
    r->certs[0] = clo_x509_der(P.sim.vcek);
}

static void free_world(world *w)
{
    clo_enclave_free(w->verifier);
    clo_enclave_free(w->snp);
    clo_buf_free(&w->ev_resp);
}

/* SNP_APPROVE with req; the error code, and the approval on success. */
static clo_err approve(world *w, const clo_proto_snp_approve *req, clo_proto_snp_approval *out)
{
    clo_buf body, resp;
    clo_buf_init(&body, 1 << 16);
    clo_buf_init(&resp, 1 << 12);
    OK(clo_proto_snp_approve_encode(req, &body));
    clo_err err = fx_call(w->verifier, CLO_CALL_SNP_APPROVE, clo_buf_view(&body), FX_NOW, &resp);
    if (!err.code)
        OK(clo_proto_snp_approval_decode(clo_buf_view(&resp), out));
    else
        assert_int_equal(resp.len, 0);
    clo_buf_free(&body);
    clo_buf_free(&resp);
    return err;
}

static void expect_refused(world *w, const clo_proto_snp_approve *req, const char *why)
{
    clo_proto_snp_approval out;
    clo_err err = approve(w, req, &out);
    assert_int_not_equal(err.code, CLO_OK_CODE);
    if (!strstr((err.what ? err.what : "(ok)"), why))
        fail_msg("refused for '%s', expected '%s'", (err.what ? err.what : "(ok)"), why);
}

static void test_approves_a_bound_report(void **state)
{
    (void)state;
    world w;
    setup_world(&w);
    clo_proto_snp_approval out;
    OK(approve(&w, &w.req, &out));
    /* The approval is the verifier enclave's, over what the report measures. */
    clo_snp_report r;
    OK(clo_snp_report_parse(w.req.report, &r));
    assert_true(r.policy & CLO_SNP_POLICY_DEBUG);
    clo_approval a = {.tee_type = CLO_TEE_SNP, .epoch = w.req.epoch, .expiry = out.expiry};
    memcpy(a.operator_addr, OPERATOR, 20);
    clo_measure_registered_snp(r.measurement, r.host_data, a.measurement);
    memcpy(a.signer, w.req.signer, 20);
    memcpy(a.hpke_key, w.req.hpke_pk, 32);
    clo_keccak256(w.req.report, a.evidence_digest);
    assert_memory_equal(out.measurement, a.measurement, 32);
    assert_memory_equal(out.evidence_digest, a.evidence_digest, 32);
    assert_int_equal(out.tee_type, CLO_TEE_SNP);
    assert_int_equal(out.expiry, FX_NOW + 86400);
    assert_string_equal(out.product, "Milan-B0");
    uint8_t who[20];
    OK(clo_approval_recover(&a, FX_CHAIN_ID, P.registry, out.sig, who));
    assert_memory_equal(who, w.vsigner, 20);
    /* HOST_DATA is the configuration's, as the VMM would set it. */
    uint8_t ch[32], cfg[48], hd[32];
    clo_proto_init in;
    fx_init_params(&P, P.measurement, 0, &in);
    OK(clo_committee_hash(&in.committee, ch));
    OK(clo_measure_config_event(in.chain_id, in.market, in.registry, ch, cfg));
    OK(clo_measure_snp_host_data(cfg, hd));
    assert_memory_equal(r.host_data, hd, 32);
    /* The nonce was taken: the same request again is refused. */
    expect_refused(&w, &w.req, "not an outstanding challenge");
    free_world(&w);
}

static void test_refuses_what_the_host_changes(void **state)
{
    (void)state;
    world w;
    setup_world(&w);
    clo_proto_snp_approve q;
    q = w.req, q.operator_addr[19] ^= 1;
    expect_refused(&w, &q, "REPORT_DATA does not bind");
    q = w.req, q.signer[0] ^= 1;
    expect_refused(&w, &q, "REPORT_DATA does not bind");
    q = w.req, q.hpke_pk[5] ^= 1;
    expect_refused(&w, &q, "REPORT_DATA does not bind");
    q = w.req, q.epoch++;
    expect_refused(&w, &q, "REPORT_DATA does not bind");
    q = w.req, q.nonce[0] ^= 1;
    expect_refused(&w, &q, "REPORT_DATA does not bind");
    q = w.req, q.expiry = FX_NOW - 1;
    expect_refused(&w, &q, "expiry is in the past");
    q = w.req, q.certs[0] = clo_x509_der(P.sim.ask);
    expect_refused(&w, &q, "no VCEK");
    /* Every byte of the signed part, flipped: refused (the signature, or a
     * field the parser checks first). */
    uint8_t rep[CLO_SNP_REPORT_SIZE];
    memcpy(rep, w.req.report.ptr, sizeof rep);
    for (size_t i = 0; i < CLO_SNP_SIGNED_SIZE + 144; i += 7) {
        rep[i] ^= 0x20;
        q = w.req, q.report = CLO_BYTES(rep, sizeof rep);
        clo_proto_snp_approval out;
        assert_int_not_equal(approve(&w, &q, &out).code, CLO_OK_CODE);
        rep[i] ^= 0x20;
    }
    /* A VCEK of another simulated platform (another chip, another ARK). */
    fx_platform other;
    OK(fx_platform_new(&other));
    q = w.req, q.certs[0] = clo_x509_der(other.sim.vcek);
    expect_refused(&w, &q, "snp:");
    fx_platform_free(&other);
    /* Nothing above used the nonce up: the untouched request still passes,
     * and the expiry is capped at the VCEK's end. */
    q = w.req, q.expiry = (uint64_t)clo_x509_not_after(P.sim.vcek) + 1000;
    clo_proto_snp_approval out;
    clo_err err = approve(&w, &q, &out);
    if (err.code) fail_msg("refused: %s", err.what);
    assert_int_equal(out.expiry, clo_x509_not_after(P.sim.vcek));
    free_world(&w);
}

/* Real AMD evidence: verified inside the enclave (chain to AMD's ARK, the
 * VCEK's signature), then refused for what it does not bind. */
static void test_real_reports(void **state)
{
    (void)state;
    static const struct {
        const char *dir, *why;
    } cases[] = {
        {"amd-sev-snp/milan-v2-gosevguest", "allows debugging"},
        {"amd-sev-snp/milan-v2-virtee", "REPORT_DATA does not bind"},
        {"amd-sev-snp/genoa-v5-oak", "REPORT_DATA does not bind"},
        {"amd-sev-snp/turin-v5-oak", "REPORT_DATA does not bind"},
    };
    int64_t at;
    OK(clo_time_parse("2025-09-01T00:00:00Z", &at));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/report.bin", tv_path(cases[i].dir));
        clo_buf report = tv_read_file(path);
        snprintf(path, sizeof path, "%s/vcek.der", tv_path(cases[i].dir));
        clo_buf vcek = tv_read_file(path);
        snprintf(path, sizeof path, "%s/ask_ark.pem", tv_path(cases[i].dir));
        clo_buf chain = tv_read_file(path);
        clo_enclave *v = enclave(CLO_TEE_SIM);
        clo_buf resp, body;
        clo_buf_init(&resp, 1 << 12);
        clo_buf_init(&body, 1 << 16);
        OK(fx_call(v, CLO_CALL_SNP_CHALLENGE, CLO_BYTES_EMPTY, at, &resp));
        clo_proto_snp_approve q;
        memset(&q, 0, sizeof q);
        memcpy(q.nonce, resp.ptr, 32);
        q.expiry = (uint64_t)at + 3600;
        q.report = clo_buf_view(&report);
        q.ncerts = 2;
        q.certs[0] = clo_buf_view(&vcek);
        q.certs[1] = clo_buf_view(&chain); /* ASK first in the file: the first certificate */
        OK(clo_proto_snp_approve_encode(&q, &body));
        clo_err err = fx_call(v, CLO_CALL_SNP_APPROVE, clo_buf_view(&body), at, &resp);
        if (!strstr((err.what ? err.what : "(ok)"), cases[i].why))
            fail_msg("%s: refused for '%s', expected '%s'", cases[i].dir,
                     (err.what ? err.what : "(ok)"), cases[i].why);
        /* One flipped bit of the signed report: the signature no longer verifies. */
        report.ptr[0x90] ^= 1;
        clo_buf_clear(&body);
        OK(clo_proto_snp_approve_encode(&q, &body));
        err = fx_call(v, CLO_CALL_SNP_APPROVE, clo_buf_view(&body), at, &resp);
        if (!strstr((err.what ? err.what : "(ok)"), "report signature"))
            fail_msg("%s: a flipped report refused for '%s'", cases[i].dir,
                     (err.what ? err.what : "(ok)"));
        clo_enclave_free(v);
        clo_buf_free(&resp);
        clo_buf_free(&body);
        clo_buf_free(&report);
        clo_buf_free(&vcek);
        clo_buf_free(&chain);
    }
}

static int group_setup(void **state)
{
    (void)state;
    return fx_platform_new(&P).code ? -1 : 0;
}

static int group_teardown(void **state)
{
    (void)state;
    fx_platform_free(&P);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_approves_a_bound_report),
        cmocka_unit_test(test_refuses_what_the_host_changes),
        cmocka_unit_test(test_real_reports),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
