/* approve_test.c — what a committee verifier registers for an enclave (issue 15,
 * finding 4): the registered measurement names the enclave's code and
 * configuration, not only the firmware.
 *
 * Two simulated enclaves on one platform run different executables (launcher
 * events 0x11… and 0x22…) on the same simulated firmware, so their quotes
 * share MRTD and differ in RTMR3, as two binaries in TDs of one image would.
 * The old rule, keccak256(MRTD), registered both under one measurement, so
 * allowing one allowed the other. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "evidence/measure.h"
#include "evidence/sim.h"
#include "base/hex.h"
#include "enclave_fixture.h"
#include "committee/approve.h"

#define OK(x) assert_int_equal((x).code, CLO_OK_CODE)

static fx_platform P;
static clo_dcap_collateral COL;

static int setup(void **state)
{
    (void)state;
    if (fx_platform_new(&P).code) return -1;
    clo_dcap_collateral_init(&COL);
    for (size_t i = 0; i < CLO_SIM_COLLATERAL; i++) {
        clo_buf cb;
        clo_buf_init(&cb, 1 << 20);
        clo_err err = clo_sim_collateral(&P.sim, FX_NOW, i, &cb);
        if (!err.code) err = clo_dcap_collateral_add(&COL, clo_buf_view(&cb));
        clo_buf_free(&cb);
        if (err.code) return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    clo_dcap_collateral_free(&COL);
    fx_platform_free(&P);
    return 0;
}

/* An enclave with this executable event, its evidence over a nonce, and the
 * approval request for it. ev holds the response the request points into. */
static void request(const uint8_t exe_event[48], clo_enclave **e, clo_buf *ev, clo_approve_req *r)
{
    clo_buf tmp;
    clo_buf_init(&tmp, 1 << 16);
    clo_buf_init(ev, 1 << 20);
    OK(fx_enclave(&P, exe_event, 60, e));
    OK(fx_call(*e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &tmp));
    memset(r, 0, sizeof *r);
    memset(r->nonce, 0x4e, 32);
    memset(r->operator_addr, 0x0a, 20);
    uint8_t req[52];
    memcpy(req, r->nonce, 32);
    memcpy(req + 32, r->operator_addr, 20);
    OK(fx_call(*e, CLO_CALL_EVIDENCE, CLO_BYTES(req, 52), FX_NOW, ev));
    clo_proto_evidence pe;
    OK(clo_proto_evidence_decode(clo_buf_view(ev), &pe));
    memcpy(r->signer, pe.signer, 20);
    memcpy(r->hpke_pk, pe.hpke_pk, 32);
    r->epoch = pe.epoch;
    r->evidence = pe.evidence;
    r->expiry = FX_NOW + 3600;
    clo_buf_free(&tmp);
}

static clo_err approve(const char *policy, const clo_approve_req *r, clo_approval *out)
{
    clo_approver v;
    memset(&v, 0, sizeof v);
    char msg[256];
    clo_policy *parsed = NULL;
    CLO_TRY(clo_policy_parse(clo_bytes_str(policy), &parsed, msg, sizeof msg));
    v.policy = parsed;
    v.col = &COL;
    v.anchor = P.sim.root;
    v.chain_id = FX_CHAIN_ID;
    memcpy(v.registry, P.registry, 20);
    v.max_lifetime = 86400;
    v.now = FX_NOW + 60;
    clo_secret32 key;
    memset(key.b, 0x31, 32);
    uint8_t sig[65];
    char *verdict = NULL;
    clo_err err = clo_approve(&v, r, &key, out, sig, &verdict);
    free(verdict);
    clo_policy_free(parsed);
    return err;
}

static void hex48(char out[2 + 96 + 1], const uint8_t v[48])
{
    out[0] = '0';
    out[1] = 'x';
    clo_hex_encode(out + 2, CLO_BYTES(v, 48));
}

static void test_measurement_names_the_code(void **state)
{
    (void)state;
    uint8_t ea[48], eb[48];
    memset(ea, 0x11, 48);
    memset(eb, 0x22, 48);
    clo_enclave *a, *b;
    clo_buf eva, evb;
    clo_approve_req ra, rb;
    request(ea, &a, &eva, &ra);
    request(eb, &b, &evb, &rb);
    clo_approval xa, xb;

    /* Unpinned (experiments): the measured-launch fields still name the code,
     * so the two executables register under different measurements. */
    const char *any = "{\"allow_debug\":true,\"any_measurement\":true}";
    OK(approve(any, &ra, &xa));
    OK(approve(any, &rb, &xb));
    assert_memory_not_equal(xa.measurement, xb.measurement, 32);
    uint8_t mrtd[48], rtmr[4][48], want[32];
    memset(rtmr, 0, sizeof rtmr);
    OK(clo_measure_sim_mrtd(mrtd));
    OK(fx_measurement(&P, ea, rtmr[3]));
    clo_measure_registered_tdx(mrtd, (const uint8_t(*)[48])rtmr, 1u << 3, want);
    assert_memory_equal(xa.measurement, want, 32); /* keccak256(MRTD || RTMR3) */

    /* A policy that pins the firmware alone is refused: what it would register
     * does not name the code. */
    char m[99], r3[99], pol[600];
    hex48(m, mrtd);
    snprintf(pol, sizeof pol, "{\"allow_debug\":true,\"tdx\":[{\"mrtd\":\"%s\"}]}", m);
    clo_err err = approve(pol, &ra, &xa);
    assert_int_equal(err.code, CLO_E_POLICY);
    assert_non_null(strstr(err.what, "rtmr3"));

    /* Pinning MRTD and A's RTMR3: A is approved under exactly that, B refused. */
    hex48(r3, rtmr[3]);
    snprintf(pol, sizeof pol, "{\"allow_debug\":true,\"tdx\":[{\"mrtd\":\"%s\",\"rtmr3\":\"%s\"}]}",
             m, r3);
    OK(approve(pol, &ra, &xa));
    assert_memory_equal(xa.measurement, want, 32);
    assert_int_equal(approve(pol, &rb, &xb).code, CLO_E_POLICY);

    /* More pins, more in the measurement: RTMR0 (zero here) joins it. */
    uint8_t z[48] = {0}, want2[32];
    char r0[99];
    hex48(r0, z);
    snprintf(pol, sizeof pol,
             "{\"allow_debug\":true,\"tdx\":[{\"mrtd\":\"%s\",\"rtmr0\":\"%s\",\"rtmr3\":\"%s\"}]}",
             m, r0, r3);
    OK(approve(pol, &ra, &xa));
    clo_measure_registered_tdx(mrtd, (const uint8_t(*)[48])rtmr, (1u << 0) | (1u << 3), want2);
    assert_memory_equal(xa.measurement, want2, 32);
    assert_memory_not_equal(want, want2, 32);

    clo_buf_free(&eva);
    clo_buf_free(&evb);
    clo_enclave_free(a);
    clo_enclave_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_measurement_names_the_code),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
