/* runtime_test.c — the enclave runtime in process, on a simulated platform:
 * calls before INIT, keys and rotation with grace, evidence binding, an
 * auction job end to end (signature, private outputs), byte-identical re-runs,
 * per-job errors, and sealed state across a restart (and not across binaries). */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "attest/dcap.h"
#include "crypto/ethkey.h"
#include "evidence/measure.h"
#include "evidence/quote.h"
#include "crypto/keccak.h"
#include "crypto/secp256k1.h"
#include "wire/frame.h"
#include "enclave/sandbox.h"
#include "enclave/keys.h"
#include "crypto/hpke.h"
#include "enclave_fixture.h"
#include "workloads/workload.h"

#define OK(x) assert_int_equal((x).code, CLO_OK_CODE)

static fx_platform P;

static int setup(void **state)
{
    (void)state;
    return fx_platform_new(&P).code;
}

static int teardown(void **state)
{
    (void)state;
    fx_platform_free(&P);
    return 0;
}

static void bid(uint8_t out[53], uint8_t who, uint64_t amount)
{
    memset(out, 0, 53);
    out[0] = 1;
    memset(out + 1, who, 20);
    clo_store_u64be(out + 45, amount);
}

static const uint8_t auction_cfg[34] = {1, 2 /* second price */};

static void test_calls_need_init(void **state)
{
    (void)state;
    clo_enclave *e;
    clo_buf r;
    clo_buf_init(&r, 1 << 20);
    OK(clo_enclave_new(&e));
    clo_err err = fx_call(e, CLO_CALL_KEYS, CLO_BYTES_EMPTY, FX_NOW, &r);
    assert_int_equal(err.code, CLO_E_STATE);
    uint8_t v[2] = {0, 1};
    OK(fx_call(e, CLO_CALL_HELLO, CLO_BYTES(v, 2), FX_NOW, &r));
    v[1] = 2;
    assert_int_equal(fx_call(e, CLO_CALL_HELLO, CLO_BYTES(v, 2), FX_NOW, &r).code, CLO_E_VERSION);
    assert_int_equal(fx_call(e, CLO_CALL_INIT, CLO_BYTES(v, 2), FX_NOW, &r).code, CLO_E_FORMAT);
    assert_int_equal(fx_call(e, 99, CLO_BYTES_EMPTY, FX_NOW, &r).code, CLO_E_STATE);
    clo_enclave_free(e);
    OK(fx_enclave(&P, P.measurement, 60, &e));
    assert_int_equal(fx_call(e, 99, CLO_BYTES_EMPTY, FX_NOW, &r).code, CLO_E_UNSUPPORTED);
    /* A second INIT is refused. */
    clo_proto_init in;
    memset(&in, 0, sizeof in);
    in.backend = CLO_TEE_SIM;
    clo_buf body;
    clo_buf_init(&body, 1 << 16);
    OK(clo_proto_init_encode(&in, &body));
    assert_int_equal(fx_call(e, CLO_CALL_INIT, clo_buf_view(&body), FX_NOW, &r).code, CLO_E_STATE);
    /* No keys before the first rotation. */
    uint8_t nonce[52] = {0};
    assert_int_equal(fx_call(e, CLO_CALL_EVIDENCE, CLO_BYTES(nonce, 52), FX_NOW, &r).code,
                     CLO_E_STATE);
    clo_buf_free(&body);
    clo_buf_free(&r);
    clo_enclave_free(e);
}

static void test_rotation_and_grace(void **state)
{
    (void)state;
    clo_enclave *e;
    clo_buf r;
    clo_proto_keys k;
    clo_buf_init(&r, 1 << 16);
    OK(fx_enclave(&P, P.measurement, 100, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    OK(fx_keys(e, FX_NOW, &k));
    assert_int_equal(k.current, 1);
    assert_int_equal(k.count, 1);
    uint8_t pk1[32];
    memcpy(pk1, k.keys[0].hpke_pk, 32);
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW + 10, &r));
    OK(fx_keys(e, FX_NOW + 10, &k));
    assert_int_equal(k.current, 2);
    assert_int_equal(k.count, 2);
    assert_int_equal(k.keys[1].epoch, 1);
    assert_int_equal(k.keys[1].retire_at, FX_NOW + 110);
    assert_memory_not_equal(k.keys[0].hpke_pk, pk1, 32);

    /* A job for epoch 1 works within the grace period ... */
    uint8_t b[53], job_id[32] = {7};
    bid(b, 1, 100);
    clo_bytes in = CLO_BYTES(b, 53);
    clo_envelope_reply_key rk;
    clo_buf body, out;
    clo_buf_init(&body, 1 << 20);
    clo_buf_init(&out, 1 << 20);
    OK(fx_job_body(&P, job_id, "auction", CLO_BYTES(auction_cfg, 34), 1, pk1, &in, 1, &rk, &body));
    OK(fx_call(e, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW + 109, &out));
    clo_cur c = clo_cur_init(clo_buf_view(&out));
    uint16_t n;
    static clo_proto_result res;
    OK(clo_cur_u16be(&c, &n));
    OK(clo_proto_result_decode(&c, &res));
    OK(res.err);
    /* ... and fails cleanly once its key is wiped. */
    OK(fx_call(e, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW + 110, &out));
    c = clo_cur_init(clo_buf_view(&out));
    OK(clo_cur_u16be(&c, &n));
    OK(clo_proto_result_decode(&c, &res));
    assert_int_equal(res.err.code, CLO_E_STALE);
    assert_string_equal(res.err.what, "epoch expired");
    OK(fx_keys(e, FX_NOW + 110, &k));
    assert_int_equal(k.count, 1);
    /* An epoch never issued is a different error. */
    clo_buf_clear(&body);
    OK(fx_job_body(&P, job_id, "auction", CLO_BYTES(auction_cfg, 34), 9, pk1, &in, 1, &rk, &body));
    OK(fx_call(e, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW + 110, &out));
    c = clo_cur_init(clo_buf_view(&out));
    OK(clo_cur_u16be(&c, &n));
    OK(clo_proto_result_decode(&c, &res));
    assert_string_equal(res.err.what, "epoch unknown");
    clo_envelope_reply_key_wipe(&rk);
    clo_buf_free(&body);
    clo_buf_free(&out);
    clo_buf_free(&r);
    clo_enclave_free(e);
}

static void test_evidence_binds_keys(void **state)
{
    (void)state;
    clo_enclave *e;
    clo_buf r;
    clo_buf_init(&r, 1 << 20);
    OK(fx_enclave(&P, P.measurement, 60, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    uint8_t nonce[52]; /* the nonce, then the operator */
    memset(nonce, 0x5A, 32);
    memset(nonce + 32, 0x0b, 20);
    assert_int_equal(fx_call(e, CLO_CALL_EVIDENCE, CLO_BYTES(nonce, 32), FX_NOW, &r).code,
                     CLO_E_FORMAT); /* no operator */
    OK(fx_call(e, CLO_CALL_EVIDENCE, CLO_BYTES(nonce, 52), FX_NOW, &r));
    clo_proto_evidence ev;
    OK(clo_proto_evidence_decode(clo_buf_view(&r), &ev));
    assert_int_equal(ev.format, CLO_EVIDENCE_TDX_QUOTE);
    assert_memory_equal(ev.operator_addr, nonce + 32, 20);
    uint8_t rd[64];
    fx_expected_report_data(&P, &ev, nonce, rd);
    clo_quote q;
    OK(clo_quote_parse(ev.evidence, &q));
    assert_memory_equal(q.td.report_data, rd, 64);
    /* The measured launch, emulated: the simulated firmware in MRTD, and RTMR3
     * over the launcher's executable event and the configuration INIT gave. */
    uint8_t mrtd[48], rtmr3[48];
    OK(clo_measure_sim_mrtd(mrtd));
    OK(fx_measurement(&P, P.measurement, rtmr3));
    assert_memory_equal(q.td.mrtd, mrtd, 48);
    assert_memory_equal(q.td.rtmr[3], rtmr3, 48);
    /* The quote verifies under the simulated root, through the real verifier. */
    clo_dcap_collateral col;
    clo_dcap_collateral_init(&col);
    for (size_t i = 0; i < CLO_SIM_COLLATERAL; i++) {
        clo_buf cb;
        clo_buf_init(&cb, 1 << 20);
        OK(clo_sim_collateral(&P.sim, FX_NOW, i, &cb));
        OK(clo_dcap_collateral_add(&col, clo_buf_view(&cb)));
        clo_buf_free(&cb);
    }
    clo_dcap_opts o = {FX_NOW + 60, P.sim.root};
    clo_dcap_result vr;
    OK(clo_dcap_verify(&q, &col, &o, &vr));
    clo_dcap_collateral_free(&col);
    clo_buf_free(&r);
    clo_enclave_free(e);
}

/* Run one auction with three bids; returns the raw RUN response in out. */
static void run_auction(clo_enclave *e, const uint8_t job_id[32], clo_buf *out,
                        clo_envelope_reply_key rk[3])
{
    clo_proto_keys k;
    OK(fx_keys(e, FX_NOW, &k));
    uint8_t b[3][53];
    bid(b[0], 0x01, 500);
    bid(b[1], 0x02, 900);
    bid(b[2], 0x03, 700);
    clo_bytes in[3] = {CLO_BYTES(b[0], 53), CLO_BYTES(b[1], 53), CLO_BYTES(b[2], 53)};
    clo_buf body;
    clo_buf_init(&body, 1 << 20);
    OK(fx_job_body(&P, job_id, "auction", CLO_BYTES(auction_cfg, 34), k.current, k.keys[0].hpke_pk,
                   in, 3, rk, &body));
    OK(fx_call(e, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW, out));
    clo_buf_free(&body);
}

static void test_auction_job(void **state)
{
    (void)state;
    clo_enclave *e;
    clo_buf r, out, again;
    clo_buf_init(&r, 1 << 16);
    clo_buf_init(&out, 1 << 20);
    clo_buf_init(&again, 1 << 20);
    OK(fx_enclave(&P, P.measurement, 60, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    clo_proto_keys k;
    OK(fx_keys(e, FX_NOW, &k));
    uint8_t job_id[32];
    memset(job_id, 0x42, 32);
    clo_envelope_reply_key rk[3], rk2[3];
    run_auction(e, job_id, &out, rk);

    clo_cur c = clo_cur_init(clo_buf_view(&out));
    uint16_t n;
    static clo_proto_result res;
    OK(clo_cur_u16be(&c, &n));
    assert_int_equal(n, 1);
    OK(clo_proto_result_decode(&c, &res));
    OK(clo_cur_end(&c));
    OK(res.err);
    /* Public output: sold to bidder 2 at the second price, 700; none excluded. */
    assert_int_equal(res.public_out.len, 60);
    assert_int_equal(res.public_out.ptr[1], 1);
    uint8_t want[20];
    memset(want, 0x02, 20);
    assert_memory_equal(res.public_out.ptr + 4, want, 20);
    assert_int_equal(res.public_out.ptr[55], 700 & 0xff);
    assert_int_equal(res.public_out.ptr[54], 700 >> 8);
    /* Signed by the epoch signer over the statement, and the hashes are right. */
    assert_memory_equal(res.signer, k.keys[0].signer, 20);
    OK(clo_result_verify(&res.stmt, FX_CHAIN_ID, P.market, res.sig, k.keys[0].signer));
    uint8_t h[32];
    clo_keccak256(res.public_out, h);
    assert_memory_equal(h, res.stmt.public_output_hash, 32);
    clo_keccak256(CLO_BYTES(auction_cfg, 34), h);
    assert_memory_equal(h, res.stmt.config_hash, 32);
    clo_hash_list(res.private_out, res.count, h);
    assert_memory_equal(h, res.stmt.private_output_hash, 32);
    res.stmt.epoch++;
    assert_int_equal(
        clo_result_verify(&res.stmt, FX_CHAIN_ID, P.market, res.sig, k.keys[0].signer).code,
        CLO_E_AUTH);
    res.stmt.epoch--;
    /* Each bidder opens only their own private output. */
    for (size_t i = 0; i < 3; i++) {
        clo_buf p;
        clo_buf_init(&p, 1 << 16);
        OK(clo_envelope_reply_open(&p, &rk[i], res.private_out[i]));
        assert_int_equal(p.len, 34);
        assert_int_equal(p.ptr[1], i == 1);
        clo_buf_clear(&p);
        assert_int_equal(clo_envelope_reply_open(&p, &rk[(i + 1) % 3], res.private_out[i]).code,
                         CLO_E_AUTH);
        clo_buf_free(&p);
    }
    /* A re-run of the same job is refused only if it would differ; new client
     * envelopes are a different input, hence a different statement. */
    run_auction(e, job_id, &again, rk2);
    c = clo_cur_init(clo_buf_view(&again));
    OK(clo_cur_u16be(&c, &n));
    OK(clo_proto_result_decode(&c, &res));
    assert_int_equal(res.err.code, CLO_E_STATE);
    for (size_t i = 0; i < 3; i++) {
        clo_envelope_reply_key_wipe(&rk[i]);
        clo_envelope_reply_key_wipe(&rk2[i]);
    }
    clo_buf_free(&r);
    clo_buf_free(&out);
    clo_buf_free(&again);
    clo_enclave_free(e);
}

static void test_rerun_is_byte_identical(void **state)
{
    (void)state;
    clo_enclave *e;
    clo_buf r, body, out1, out2;
    clo_buf_init(&r, 1 << 16);
    clo_buf_init(&body, 1 << 20);
    clo_buf_init(&out1, 1 << 20);
    clo_buf_init(&out2, 1 << 20);
    OK(fx_enclave(&P, P.measurement, 60, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    clo_proto_keys k;
    OK(fx_keys(e, FX_NOW, &k));
    uint8_t b[53], job_id[32] = {1, 2, 3};
    bid(b, 9, 10);
    clo_bytes in = CLO_BYTES(b, 53);
    clo_envelope_reply_key rk;
    OK(fx_job_body(&P, job_id, "auction", CLO_BYTES(auction_cfg, 34), 1, k.keys[0].hpke_pk, &in, 1,
                   &rk, &body));
    OK(fx_call(e, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW, &out1));
    OK(fx_call(e, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW + 1, &out2));
    assert_true(clo_bytes_eq(clo_buf_view(&out1), clo_buf_view(&out2)));
    /* After a restart with the sealed state, still byte-identical. */
    OK(fx_checkpoint(&P, e, FX_NOW, &r));
    clo_enclave *e2;
    OK(fx_enclave(&P, P.measurement, 60, &e2));
    clo_buf r2;
    clo_buf_init(&r2, 1 << 16);
    OK(fx_import(&P, e2, clo_buf_view(&r), 1, FX_NOW, &r2));
    OK(fx_call(e2, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW + 2, &out2));
    assert_true(clo_bytes_eq(clo_buf_view(&out1), clo_buf_view(&out2)));
    clo_envelope_reply_key_wipe(&rk);
    clo_buf_free(&r);
    clo_buf_free(&r2);
    clo_buf_free(&body);
    clo_buf_free(&out1);
    clo_buf_free(&out2);
    clo_enclave_free(e);
    clo_enclave_free(e2);
}

static void test_sealed_state(void **state)
{
    (void)state;
    clo_enclave *e, *same, *other, *fresh;
    clo_buf r, blob;
    clo_buf_init(&r, 1 << 16);
    clo_buf_init(&blob, 1 << 20);
    OK(fx_enclave(&P, P.measurement, 60, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW + 1, &r));
    OK(fx_export(e, FX_NOW + 1, &blob));
    clo_proto_keys k1, k2;
    memset(&k1, 0, sizeof k1);
    memset(&k2, 0, sizeof k2);
    OK(fx_keys(e, FX_NOW + 1, &k1));
    /* A non-fresh enclave refuses an import (no rollback of a live one). */
    assert_int_equal(fx_import(&P, e, clo_buf_view(&blob), 0, FX_NOW, &r).code, CLO_E_STATE);
    /* Same measurement: the keys come back. */
    OK(fx_enclave(&P, P.measurement, 60, &same));
    OK(fx_import(&P, same, clo_buf_view(&blob), 0, FX_NOW + 1, &r));
    OK(fx_keys(same, FX_NOW + 1, &k2));
    assert_int_equal(k2.count, 2);
    assert_memory_equal(&k1, &k2, sizeof k1);
    /* Another binary (measurement) cannot read it, even with the header edited. */
    uint8_t m2[48];
    memset(m2, 0x22, 48);
    OK(fx_enclave(&P, m2, 60, &other));
    clo_err err = fx_import(&P, other, clo_buf_view(&blob), 0, FX_NOW, &r);
    assert_int_equal(err.code, CLO_E_POLICY);
    uint8_t mm[48];
    OK(fx_measurement(&P, m2, mm));
    memcpy(blob.ptr + 2, mm, 48);
    assert_int_equal(fx_import(&P, other, clo_buf_view(&blob), 0, FX_NOW, &r).code, CLO_E_AUTH);
    /* Every single-bit flip and every truncation is refused, and changes nothing. */
    OK(fx_measurement(&P, P.measurement, mm));
    memcpy(blob.ptr + 2, mm, 48);
    OK(fx_enclave(&P, P.measurement, 60, &fresh));
    for (size_t i = 0; i < blob.len; i += 7) {
        blob.ptr[i] ^= 0x10;
        assert_int_not_equal(fx_import(&P, fresh, clo_buf_view(&blob), 0, FX_NOW, &r).code,
                             CLO_OK_CODE);
        blob.ptr[i] ^= 0x10;
    }
    for (size_t n = 0; n < blob.len; n += 13)
        assert_int_not_equal(fx_import(&P, fresh, CLO_BYTES(blob.ptr, n), 0, FX_NOW, &r).code,
                             CLO_OK_CODE);
    clo_proto_keys k3;
    OK(fx_keys(fresh, FX_NOW, &k3));
    assert_int_equal(k3.count, 0);
    OK(fx_import(&P, fresh, clo_buf_view(&blob), 0, FX_NOW + 1, &r));
    clo_buf_free(&r);
    clo_buf_free(&blob);
    clo_enclave_free(e);
    clo_enclave_free(same);
    clo_enclave_free(other);
    clo_enclave_free(fresh);
}

static void test_job_errors(void **state)
{
    (void)state;
    clo_enclave *e;
    clo_buf r, body, out;
    clo_buf_init(&r, 1 << 16);
    clo_buf_init(&body, 1 << 20);
    clo_buf_init(&out, 1 << 20);
    OK(fx_enclave(&P, P.measurement, 60, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    clo_proto_keys k;
    OK(fx_keys(e, FX_NOW, &k));
    uint8_t b[53], job_id[32] = {9};
    bid(b, 9, 10);
    clo_bytes in = CLO_BYTES(b, 53);
    clo_envelope_reply_key rk;
    static clo_proto_result res;
    struct {
        const char *workload;
        size_t cfg_len;
        uint8_t flip; /* byte of the job id changed after sealing */
        clo_code code;
    } cases[] = {
        {"nosuch", 34, 0, CLO_E_UNSUPPORTED},
        {"auction", 33, 0, CLO_E_FORMAT},
        /* an input sealed for another job is excluded, not the job's error
         * (issue 15, finding 3): the auction is decided without it */
        {"auction", 34, 1, CLO_OK_CODE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clo_buf_clear(&body);
        if (!cases[i].flip) {
            OK(fx_job_body(&P, job_id, cases[i].workload, CLO_BYTES(auction_cfg, cases[i].cfg_len),
                           1, k.keys[0].hpke_pk, &in, 1, &rk, &body));
        } else { /* sealed for job_id, ticketed and run as another job */
            static const size_t two[2] = {0, 1};
            clo_proto_job job;
            clo_buf env[1];
            clo_bytes views[1];
            OK(fx_job_make(&P, job_id, cases[i].workload, CLO_BYTES(auction_cfg, cases[i].cfg_len),
                           1, k.keys[0].hpke_pk, &in, 1, &rk, env, views, &job));
            job.job_id[0] ^= 1;
            OK(fx_sign_ticket(&P, &job, two, 2, FX_NOW));
            OK(fx_run_body(&job, &body));
            clo_buf_free(&env[0]);
        }
        OK(fx_call(e, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW, &out));
        clo_cur c = clo_cur_init(clo_buf_view(&out));
        uint16_t n;
        OK(clo_cur_u16be(&c, &n));
        OK(clo_proto_result_decode(&c, &res));
        assert_int_equal(res.err.code, cases[i].code);
        if (cases[i].flip) {
            static const uint8_t tail[4] = {0, 1, 0, 0}; /* one excluded: position 0 */
            assert_int_equal(res.public_out.len, 62);
            assert_int_equal(res.public_out.ptr[1], 0); /* unsold */
            assert_memory_equal(res.public_out.ptr + 58, tail, 4);
            assert_int_equal(res.count, 1);
            assert_int_equal(res.private_out[0].len, 0); /* nothing to seal a reply to */
        }
        clo_envelope_reply_key_wipe(&rk);
    }
    /* A malformed batch is refused whole. */
    assert_int_equal(fx_call(e, CLO_CALL_RUN, CLO_BYTES(body.ptr, body.len - 1), FX_NOW, &out).code,
                     CLO_E_FORMAT);
    clo_buf_free(&r);
    clo_buf_free(&body);
    clo_buf_free(&out);
    clo_enclave_free(e);
}

/* ---- input probing (issue 15, finding 1) ---- */

/* One RUN of `job` (inputs as given, ticket as signed); the result in *res
 * (static storage of the caller), the raw response in out. */
static clo_code run_one(clo_enclave *e, const clo_proto_job *job, clo_buf *out,
                        clo_proto_result *res)
{
    clo_buf body;
    clo_buf_init(&body, 8 << 20);
    OK(fx_run_body(job, &body));
    OK(fx_call(e, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW, out));
    clo_buf_free(&body);
    clo_cur c = clo_cur_init(clo_buf_view(out));
    uint16_t n;
    OK(clo_cur_u16be(&c, &n));
    OK(clo_proto_result_decode(&c, res));
    return res->err.code;
}

/* Run n junk API jobs of the host's own (requester tickets for its ids) in
 * batches, from the template's workload, config, epoch and inputs; with
 * `record`, the committee records each batch's export, as cloisterd has it do.
 * Returns the first error code a job got, or 0. */
static clo_code run_junk(clo_enclave *e, const clo_proto_job *tmpl, uint32_t from, uint32_t n,
                         int record)
{
    static clo_proto_result res;
    clo_secret32 host;
    uint8_t pub[65], haddr[20];
    memset(host.b, 0x0e, 32);
    OK(clo_secp256k1_pubkey(&host, pub));
    OK(clo_eth_address(pub, haddr));
    clo_buf body, out;
    clo_buf_init(&body, 32 << 20);
    clo_buf_init(&out, 32 << 20);
    clo_proto_job job = *tmpl;
    memcpy(job.requester, haddr, 20);
    job.nsigs = 1;
    clo_code first = CLO_OK_CODE;
    for (uint32_t i = from; i < from + n;) {
        uint16_t cnt = 0;
        clo_buf_clear(&body);
        OK(clo_buf_u16be(&body, 0));
        for (; cnt < CLO_PROTO_MAX_BATCH && i < from + n; cnt++, i++) {
            clo_ticket t;
            memset(job.client_nonce, 0, 32);
            clo_store_u32be(job.client_nonce + 28, i);
            clo_ticket_api_job_id(FX_CHAIN_ID, P.market, haddr, job.client_nonce, job.job_id);
            clo_proto_job_ticket(&job, FX_NOW, &t);
            job.sigs[0].issued_at = FX_NOW;
            OK(clo_ticket_sign(&t, FX_CHAIN_ID, P.market, &host, job.sigs[0].sig));
            OK(clo_proto_job_encode(&job, &body));
        }
        body.ptr[0] = (uint8_t)(cnt >> 8);
        body.ptr[1] = (uint8_t)cnt;
        OK(fx_call(e, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW, &out));
        clo_cur c = clo_cur_init(clo_buf_view(&out));
        uint16_t m;
        OK(clo_cur_u16be(&c, &m));
        for (uint16_t j = 0; j < m; j++) {
            OK(clo_proto_result_decode(&c, &res));
            if (res.err.code && first == CLO_OK_CODE) first = res.err.code;
        }
        if (record) OK(fx_checkpoint(&P, e, FX_NOW, NULL));
    }
    clo_buf_free(&body);
    clo_buf_free(&out);
    return first;
}

/* A host holding a victim's sealed bid for job X gets no output that depends
 * on it except X on the input set the chain committed to: not with its own
 * bid beside it, not with a ticket of its own, not after 10,000 junk jobs, not
 * after a restart from older sealed state. Fails on the code before tickets,
 * which ran any input set under any job id. */
static void test_tickets_stop_input_probing(void **state)
{
    (void)state;
    static const size_t m01[2] = {0, 1}, m0[1] = {0}, m00[2] = {0, 0};
    static clo_proto_result res;
    clo_enclave *e, *e2;
    clo_buf r, out, first, older;
    clo_buf_init(&r, 1 << 16);
    clo_buf_init(&out, 1 << 20);
    clo_buf_init(&first, 1 << 20);
    clo_buf_init(&older, 32 << 20);
    OK(fx_enclave(&P, P.measurement, 60, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    OK(fx_checkpoint(&P, e, FX_NOW, &older)); /* before job X */
    clo_proto_keys k;
    OK(fx_keys(e, FX_NOW, &k));
    uint8_t x[32], b[3][53];
    memset(x, 0x58, 32);
    bid(b[0], 0x01, 500);        /* the victim */
    bid(b[1], 0x02, 300);        /* the other committed bidder */
    bid(b[2], 0x0f, UINT64_MAX); /* the host's probe */
    clo_bytes plain[3] = {CLO_BYTES(b[0], 53), CLO_BYTES(b[1], 53), CLO_BYTES(b[2], 53)};
    clo_envelope_reply_key rk[3];
    clo_buf env[3];
    clo_bytes views[3], committed[2], probe[2];
    clo_proto_job job;
    OK(fx_job_make(&P, x, "auction", CLO_BYTES(auction_cfg, 34), k.current, k.keys[0].hpke_pk,
                   plain, 3, rk, env, views, &job));
    committed[0] = probe[0] = views[0];
    committed[1] = views[1];
    probe[1] = views[2]; /* the host's bid, sealed to job X too */
    job.count = 2;
    job.inputs = committed;
    OK(fx_sign_ticket(&P, &job, m01, 2, FX_NOW)); /* the committee's ticket for [victim, other] */

    /* The committed ticket does not cover [victim, probe]. */
    clo_proto_job evil = job;
    evil.inputs = probe;
    assert_int_equal(run_one(e, &evil, &out, &res), CLO_E_AUTH);
    /* Nor does one member alone, a member twice, a non-member, or no ticket. */
    OK(fx_sign_ticket(&P, &evil, m0, 1, FX_NOW));
    assert_int_equal(run_one(e, &evil, &out, &res), CLO_E_POLICY);
    OK(fx_sign_ticket(&P, &evil, m00, 2, FX_NOW));
    assert_int_equal(run_one(e, &evil, &out, &res), CLO_E_AUTH);
    evil.nsigs = 0;
    assert_int_equal(run_one(e, &evil, &out, &res), CLO_E_POLICY);
    {
        clo_secret32 host;
        uint8_t pub[65], haddr[20];
        memset(host.b, 0x0f, 32);
        OK(clo_secp256k1_pubkey(&host, pub));
        OK(clo_eth_address(pub, haddr));
        clo_ticket t;
        memcpy(evil.requester, haddr, 20); /* a requester ticket by the host for X */
        evil.nsigs = 1;
        evil.sigs[0].issued_at = FX_NOW;
        clo_proto_job_ticket(&evil, FX_NOW, &t);
        OK(clo_ticket_sign(&t, FX_CHAIN_ID, P.market, &host, evil.sigs[0].sig));
        assert_int_equal(run_one(e, &evil, &out, &res), CLO_E_POLICY); /* X is not its id */
        /* A signature by a non-member over the committed set. */
        clo_proto_job other = job;
        clo_proto_job_ticket(&other, FX_NOW, &t);
        OK(clo_ticket_sign(&t, FX_CHAIN_ID, P.market, &host, other.sigs[1].sig));
        assert_int_equal(run_one(e, &other, &out, &res), CLO_E_AUTH);
    }
    /* X on its committed input set: sold to the victim at the other's 300. */
    assert_int_equal(run_one(e, &job, &first, &res), CLO_OK_CODE);
    assert_int_equal(res.public_out.ptr[1], 1);
    assert_int_equal(res.public_out.ptr[55], 300 & 0xff);

    /* 10,000 junk jobs of the host's own, each with its bid sealed to X. */
    {
        clo_proto_job junk = job;
        clo_bytes one[1] = {probe[1]};
        junk.count = 1;
        junk.inputs = one;
        assert_int_equal(run_junk(e, &junk, 0, 10000, 1), CLO_OK_CODE); /* each logged */
    }
    evil = job; /* the committee's ticket, the probe's inputs */
    evil.inputs = probe;
    assert_int_equal(run_one(e, &evil, &out, &res), CLO_E_AUTH);
    assert_int_equal(run_one(e, &job, &out, &res),
                     CLO_OK_CODE); /* X itself: still the very same bytes */
    assert_int_equal(out.len, first.len);
    assert_memory_equal(out.ptr, first.ptr, out.len);

    /* A restart from sealed state exported before X ran: the committee
     * recorded later versions, so the enclave refuses it (a rollback). */
    uint8_t lineage[20];
    uint64_t v_older, v_now;
    clo_buf latest;
    clo_buf_init(&latest, 32 << 20);
    OK(fx_checkpoint(&P, e, FX_NOW, &latest));
    OK(fx_state_header(clo_buf_view(&latest), lineage, &v_now));
    clo_buf_free(&latest);
    OK(fx_state_header(clo_buf_view(&older), lineage, &v_older));
    assert_true(v_now > v_older);
    OK(fx_enclave(&P, P.measurement, 60, &e2));
    clo_err rb = fx_import(&P, e2, clo_buf_view(&older), v_now, FX_NOW, &r);
    assert_int_equal(rb.code, CLO_E_POLICY);
    assert_non_null(strstr(rb.what, "rollback"));
    /* Had the committee lost its records, the older state would import: X's
     * entry is gone from that log, yet the probe is still refused and X is
     * still X. */
    OK(fx_import(&P, e2, clo_buf_view(&older), v_older, FX_NOW, &r));
    assert_int_equal(run_one(e2, &evil, &out, &res), CLO_E_AUTH);
    assert_int_equal(run_one(e2, &job, &out, &res), CLO_OK_CODE);
    assert_int_equal(out.len, first.len);
    assert_memory_equal(out.ptr, first.ptr, out.len);

    /* The committee's clock, not the host's, retires tickets: once a ticket
     * issued after X's deadline has been seen, X no longer runs. */
    {
        clo_proto_job late = job;
        uint8_t id2[32];
        memset(id2, 0x59, 32);
        memcpy(late.job_id, id2, 32);
        late.deadline = FX_DEADLINE + 100000;
        OK(fx_sign_ticket(&P, &late, m01, 2, FX_DEADLINE + 1));
        run_one(e2, &late, &out, &res); /* inputs are sealed to X: excluded, still a result */
        assert_int_equal(run_one(e2, &job, &out, &res), CLO_E_POLICY);
    }
    for (size_t i = 0; i < 3; i++) {
        clo_envelope_reply_key_wipe(&rk[i]);
        clo_buf_free(&env[i]);
    }
    clo_buf_free(&r);
    clo_buf_free(&out);
    clo_buf_free(&first);
    clo_buf_free(&older);
    clo_enclave_free(e);
    clo_enclave_free(e2);
}

/* Sealed state cannot be rolled back: every export carries a version the
 * committee records, and a restarted enclave imports a state only when a read
 * quorum of members, over its own nonce, report nothing newer. The enclave
 * logs at most 1024 jobs beyond the last recorded export. Fails on the code
 * before, whose IMPORT took any older state it had sealed. */
static void test_state_rollback_refused(void **state)
{
    (void)state;
    clo_enclave *e, *e2;
    clo_buf r, v1, v2, body;
    clo_buf_init(&r, 1 << 16);
    clo_buf_init(&v1, 32 << 20);
    clo_buf_init(&v2, 32 << 20);
    clo_buf_init(&body, 32 << 20);
    OK(fx_enclave(&P, P.measurement, 60, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    OK(fx_checkpoint(&P, e, FX_NOW, &v1));
    clo_proto_keys k;
    OK(fx_keys(e, FX_NOW, &k));
    uint8_t b[53], id[32] = {0};
    bid(b, 0x0e, 1);
    clo_bytes plain = CLO_BYTES(b, 53), views[1];
    clo_envelope_reply_key rk;
    clo_buf env[1];
    clo_proto_job tmpl;
    OK(fx_job_make(&P, id, "auction", CLO_BYTES(auction_cfg, 34), k.current, k.keys[0].hpke_pk,
                   &plain, 1, &rk, env, views, &tmpl));
    assert_int_equal(run_junk(e, &tmpl, 0, 10, 0), CLO_OK_CODE);
    OK(fx_checkpoint(&P, e, FX_NOW, &v2));
    uint8_t lineage[20], lineage2[20];
    uint64_t ver1, ver2;
    OK(fx_state_header(clo_buf_view(&v1), lineage, &ver1));
    OK(fx_state_header(clo_buf_view(&v2), lineage2, &ver2));
    assert_memory_equal(lineage, lineage2, 20);
    assert_true(ver2 == ver1 + 1);

    /* The older state, with the committee reporting the newer version: refused. */
    OK(fx_enclave(&P, P.measurement, 60, &e2));
    clo_err err = fx_import(&P, e2, clo_buf_view(&v1), ver2, FX_NOW, &r);
    assert_int_equal(err.code, CLO_E_POLICY);
    assert_non_null(strstr(err.what, "rollback"));
    /* Reports over another enclave's nonce (replayed): refused. */
    clo_enclave *e3;
    OK(fx_enclave(&P, P.measurement, 60, &e3));
    OK(fx_import_body(&P, e3, clo_buf_view(&v1), ver1, &body));
    assert_int_equal(fx_call(e2, CLO_CALL_IMPORT, clo_buf_view(&body), FX_NOW, &r).code,
                     CLO_E_AUTH);
    clo_enclave_free(e3);
    /* A threshold of members (2 of 3) is not enough, as a host that had the
     * third member's record withheld would want; nor is one member twice. */
    OK(fx_import_body(&P, e2, clo_buf_view(&v1), ver1, &body));
    size_t two = 4 + v1.len + 1 + 2 * 73;
    body.ptr[4 + v1.len] = 2;
    assert_int_equal(fx_call(e2, CLO_CALL_IMPORT, CLO_BYTES(body.ptr, two), FX_NOW, &r).code,
                     CLO_E_POLICY);
    memcpy(body.ptr + two, body.ptr + two - 73, 73);
    body.ptr[4 + v1.len] = 3;
    assert_int_equal(fx_call(e2, CLO_CALL_IMPORT, clo_buf_view(&body), FX_NOW, &r).code,
                     CLO_E_AUTH);
    /* The newest state with honest reports: imported, and it goes on. */
    OK(fx_import(&P, e2, clo_buf_view(&v2), ver2, FX_NOW, &r));
    assert_int_equal(run_junk(e2, &tmpl, 100, 5, 0), CLO_OK_CODE);

    /* WITNESS takes only the last export's version, by threshold members. */
    OK(fx_export(e2, FX_NOW, &v1));
    OK(fx_state_header(clo_buf_view(&v1), lineage, &ver1));
    clo_buf_clear(&body);
    OK(clo_buf_u64be(&body, ver1 - 1));
    OK(clo_buf_u8(&body, 0));
    assert_int_equal(fx_call(e2, CLO_CALL_WITNESS, clo_buf_view(&body), FX_NOW, &r).code,
                     CLO_E_STATE);
    clo_buf_clear(&body);
    OK(clo_buf_u64be(&body, ver1));
    OK(clo_buf_u8(&body, 0));
    assert_int_equal(fx_call(e2, CLO_CALL_WITNESS, clo_buf_view(&body), FX_NOW, &r).code,
                     CLO_E_POLICY);

    /* Without the committee recording its exports, a host gets 1024 jobs, no more. */
    assert_int_equal(run_junk(e2, &tmpl, 1000, 1019, 0), CLO_OK_CODE);
    assert_int_equal(run_junk(e2, &tmpl, 3000, 1, 0), CLO_E_STATE);
    OK(fx_checkpoint(&P, e2, FX_NOW, NULL));
    assert_int_equal(run_junk(e2, &tmpl, 3000, 1, 0), CLO_OK_CODE);
    clo_envelope_reply_key_wipe(&rk);
    clo_buf_free(&env[0]);

    clo_buf_free(&r);
    clo_buf_free(&v1);
    clo_buf_free(&v2);
    clo_buf_free(&body);
    clo_enclave_free(e);
    clo_enclave_free(e2);
}

/* An API job is vouched for by its requester: its id is derived from the
 * requester's address, and only that key commits an input set to it. */
static void test_requester_tickets(void **state)
{
    (void)state;
    static clo_proto_result res;
    clo_enclave *e;
    clo_buf r, out;
    clo_buf_init(&r, 1 << 16);
    clo_buf_init(&out, 1 << 20);
    OK(fx_enclave(&P, P.measurement, 60, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    clo_proto_keys k;
    OK(fx_keys(e, FX_NOW, &k));
    clo_secret32 req;
    uint8_t pub[65], raddr[20], nonce[32] = {5}, id[32], b[53];
    memset(req.b, 0x21, 32);
    OK(clo_secp256k1_pubkey(&req, pub));
    OK(clo_eth_address(pub, raddr));
    clo_ticket_api_job_id(FX_CHAIN_ID, P.market, raddr, nonce, id);
    bid(b, 0x01, 10);
    clo_bytes plain = CLO_BYTES(b, 53), views[1];
    clo_envelope_reply_key rk;
    clo_buf env[1];
    clo_proto_job job;
    OK(fx_job_make(&P, id, "auction", CLO_BYTES(auction_cfg, 34), k.current, k.keys[0].hpke_pk,
                   &plain, 1, &rk, env, views, &job));
    memcpy(job.requester, raddr, 20);
    memcpy(job.client_nonce, nonce, 32);
    job.nsigs = 1;
    job.sigs[0].issued_at = FX_NOW;
    clo_ticket t;
    clo_proto_job_ticket(&job, FX_NOW, &t);
    OK(clo_ticket_sign(&t, FX_CHAIN_ID, P.market, &req, job.sigs[0].sig));
    clo_proto_job wrong = job;
    wrong.sigs[0].sig[5] ^= 1; /* another signer, or none */
    assert_int_not_equal(run_one(e, &wrong, &out, &res), CLO_OK_CODE);
    wrong = job;
    wrong.client_nonce[0] ^= 1; /* the id is not this requester's with this nonce */
    assert_int_equal(run_one(e, &wrong, &out, &res), CLO_E_POLICY);
    assert_int_equal(run_one(e, &job, &out, &res), CLO_OK_CODE);
    clo_envelope_reply_key_wipe(&rk);
    clo_buf_free(&env[0]);
    clo_buf_free(&r);
    clo_buf_free(&out);
    clo_enclave_free(e);
}

/* ---- fetching workloads (issue 20): the calls' rules, without a server ---- */

/* An oracle-https config of two sources on pins alone (formats.md §5.6); the
 * second names a headers secret that is not provisioned. */
static size_t https_cfg(uint8_t *c)
{
    size_t n = 0;
    static const uint8_t head[] = {1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 44, 0, 2};
    memcpy(c, head, sizeof head);
    n += sizeof head;
    for (int k = 0; k < 2; k++) {
        c[n++] = 9;
        memcpy(c + n, k ? "b.example" : "a.example", 9);
        n += 9;
        c[n++] = 1, c[n++] = 0xbb, c[n++] = 0, c[n++] = 1, c[n++] = '/';
        c[n++] = 3, memcpy(c + n, "$.p", 3), n += 3;
        c[n++] = 0, c[n++] = 3, c[n++] = 1; /* decimals, trust: pins, one pin */
        memset(c + n, 0x77, 32), n += 32;
        memset(c + n, k ? 0x55 : 0, 32), n += 32; /* headers secret */
        memset(c + n, 0, 32), n += 32;
    }
    return n;
}

static void put_frame(FILE *f, uint16_t call, uint32_t id, clo_bytes body)
{
    uint8_t h[12] = {1, 1};
    clo_store_u16be(h + 2, call);
    clo_store_u32be(h + 4, id);
    clo_store_u32be(h + 8, (uint32_t)body.len);
    fwrite(h, 1, 12, f);
    fwrite(body.ptr, 1, body.len, f);
}

/* With CLO_FRAME_SEED set, the frames of this fetch as a seed for the frame
 * fuzzer's corpus (fuzz/corpus/frame/fetch). */
static void seed_fetch_frames(clo_bytes job, clo_bytes pump, const uint8_t handle[16])
{
    const char *path = getenv("CLO_FRAME_SEED");
    FILE *f = path ? fopen(path, "wb") : NULL;
    if (!f) return;
    put_frame(f, CLO_CALL_ROTATE, 1, CLO_BYTES_EMPTY);
    put_frame(f, CLO_CALL_FETCH_BEGIN, 2, job);
    put_frame(f, CLO_CALL_FETCH_PUMP, 3, pump);
    put_frame(f, CLO_CALL_FETCH_END, 4, CLO_BYTES(handle, 16));
    fclose(f);
}

static void test_fetch_calls(void **state)
{
    (void)state;
    static clo_proto_result res;
    static clo_proto_fetch_begun b;
    clo_enclave *e;
    clo_buf r, job, out, body;
    clo_buf_init(&r, 1 << 16);
    clo_buf_init(&job, 1 << 20);
    clo_buf_init(&out, 1 << 20);
    clo_buf_init(&body, 1 << 20);
    OK(fx_enclave(&P, P.measurement, 60, &e));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    clo_proto_keys k;
    OK(fx_keys(e, FX_NOW, &k));
    uint8_t cfg[512], job_id[32] = {0x42};
    clo_bytes cv = CLO_BYTES(cfg, https_cfg(cfg)), in = CLO_BYTES("\1\1\0\0\2?q", 7);
    clo_envelope_reply_key rk;
    /* RUN refuses it: without its fetch there is nothing to run on */
    OK(fx_job_body(&P, job_id, "oracle-https", cv, k.current, k.keys[0].hpke_pk, &in, 1, &rk,
                   &body));
    OK(fx_call(e, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW, &out));
    clo_cur c = clo_cur_init(clo_buf_view(&out));
    uint16_t n;
    OK(clo_cur_u16be(&c, &n));
    OK(clo_proto_result_decode(&c, &res));
    assert_int_equal(res.err.code, CLO_E_POLICY);
    assert_non_null(strstr(res.err.what, "FETCH_BEGIN"));
    clo_envelope_reply_key_wipe(&rk);
    /* FETCH_BEGIN: a TLS ClientHello for a.example, b.example finished at once */
    OK(fx_job_encoded(&P, job_id, "oracle-https", cv, k.current, k.keys[0].hpke_pk, &in, 1, &rk,
                      &job));
    clo_buf_clear(&out);
    OK(fx_call(e, CLO_CALL_FETCH_BEGIN, clo_buf_view(&job), FX_NOW, &out));
    OK(clo_proto_fetch_begun_decode(clo_buf_view(&out), &b));
    assert_int_equal(b.count, 2);
    assert_string_equal(b.s[0].host, "a.example");
    assert_int_equal(b.s[0].port, 443);
    assert_int_equal(b.s[0].state, 0);
    assert_true(b.s[0].to_server.len > 100 && b.s[0].to_server.ptr[0] == 0x16); /* handshake */
    assert_int_equal(b.s[1].state, 1); /* its credential is not provisioned */
    uint8_t handle[16];
    memcpy(handle, b.handle, 16);
    /* plaintext where TLS should be: the source fails, the fetch goes on */
    clo_proto_fetch_pump p = {{0}, 0, 0, clo_bytes_str("HTTP/1.1 200 OK\r\n\r\n")};
    memcpy(p.handle, handle, 16);
    clo_buf_clear(&body);
    OK(clo_proto_fetch_pump_encode(&p, &body));
    clo_buf_clear(&out);
    OK(fx_call(e, CLO_CALL_FETCH_PUMP, clo_buf_view(&body), FX_NOW, &out));
    clo_proto_fetch_pumped pd;
    OK(clo_proto_fetch_pumped_decode(clo_buf_view(&out), &pd));
    assert_int_equal(pd.state, 1);
    p.source = 2; /* no such source */
    clo_buf_clear(&body);
    OK(clo_proto_fetch_pump_encode(&p, &body));
    assert_int_equal(fx_call(e, CLO_CALL_FETCH_PUMP, clo_buf_view(&body), FX_NOW, &out).code,
                     CLO_E_ARG);
    /* FETCH_END: no source answered, so under the quorum of one: the job's own error */
    clo_buf_clear(&out);
    OK(fx_call(e, CLO_CALL_FETCH_END, CLO_BYTES(handle, 16), FX_NOW, &out));
    seed_fetch_frames(clo_buf_view(&job), clo_buf_view(&body), handle);
    c = clo_cur_init(clo_buf_view(&out));
    OK(clo_cur_u16be(&c, &n));
    assert_int_equal(n, 1);
    OK(clo_proto_result_decode(&c, &res));
    assert_int_equal(res.err.code, CLO_E_POLICY);
    assert_memory_equal(res.job_id, job_id, 32);
    /* the fetch is gone once ended */
    assert_int_equal(fx_call(e, CLO_CALL_FETCH_END, CLO_BYTES(handle, 16), FX_NOW, &out).code,
                     CLO_E_STATE);
    clo_buf_clear(&body);
    OK(clo_proto_fetch_pump_encode(&p, &body));
    assert_int_equal(fx_call(e, CLO_CALL_FETCH_PUMP, clo_buf_view(&body), FX_NOW, &out).code,
                     CLO_E_STATE);
    /* FETCH_BEGIN refuses a job that fetches nothing, and one its ticket does not commit to */
    uint8_t bb[53];
    bid(bb, 3, 10);
    clo_bytes bin = CLO_BYTES(bb, 53);
    clo_envelope_reply_key_wipe(&rk);
    clo_buf_clear(&job);
    OK(fx_job_encoded(&P, job_id, "auction", CLO_BYTES(auction_cfg, 34), k.current,
                      k.keys[0].hpke_pk, &bin, 1, &rk, &job));
    assert_int_equal(fx_call(e, CLO_CALL_FETCH_BEGIN, clo_buf_view(&job), FX_NOW, &out).code,
                     CLO_E_POLICY);
    clo_envelope_reply_key_wipe(&rk);
    clo_buf_clear(&job);
    OK(fx_job_encoded(&P, job_id, "oracle-https", cv, k.current, k.keys[0].hpke_pk, &in, 1, &rk,
                      &job));
    job.ptr[job.len - 1] ^= 1; /* a ticket signature */
    assert_int_not_equal(fx_call(e, CLO_CALL_FETCH_BEGIN, clo_buf_view(&job), FX_NOW, &out).code,
                         CLO_OK_CODE);
    clo_envelope_reply_key_wipe(&rk);
    /* private queries for a source not in the config, or not visible ASCII */
    static const struct {
        const char *in;
        size_t len;
    } bad_queries[] = {{"\1\1\5\0\2?q", 7}, {"\1\1\0\0\2? ", 7}, {"\2\0", 2}, {"\1\2\0\0\1?", 6}};
    for (size_t i = 0; i < sizeof bad_queries / sizeof bad_queries[0]; i++) {
        clo_bytes bq = CLO_BYTES(bad_queries[i].in, bad_queries[i].len);
        clo_buf_clear(&job);
        OK(fx_job_encoded(&P, job_id, "oracle-https", cv, k.current, k.keys[0].hpke_pk, &bq, 1, &rk,
                          &job));
        clo_err be = fx_call(e, CLO_CALL_FETCH_BEGIN, clo_buf_view(&job), FX_NOW, &out);
        assert_true(be.code == CLO_E_FORMAT || be.code == CLO_E_VERSION);
        clo_envelope_reply_key_wipe(&rk);
    }
    clo_buf_free(&r);
    clo_buf_free(&job);
    clo_buf_free(&out);
    clo_buf_free(&body);
    clo_enclave_free(e);
}

/* ---- key sharing between enclaves of one measurement (issue 21) ---- */

/* The host forges the keys a taker takes (issue 21, review): it makes a
 * keyring of its own and seals it to the taker's transport key, which it saw
 * in the hello. Every way of presenting it is refused; mutation check: with
 * the giver's quote unchecked, the taker installs the host's key. */
static void forged_take(clo_enclave *b, const clo_proto_share_hello *h, const uint8_t nonce[32],
                        clo_bytes genuine)
{
    static const clo_hpke_suite suite = {CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256,
                                         CLO_HPKE_AEAD_CHACHA20POLY1305};
    static clo_keyring host;
    clo_keyring_init(&host, 60);
    OK(clo_keyring_rotate(&host, FX_NOW));
    clo_buf plain, forged, blob, r;
    clo_buf_init(&plain, 4096);
    clo_buf_init(&forged, 4096);
    clo_buf_init(&blob, 1 << 16);
    clo_buf_init(&r, 1 << 16);
    OK(clo_keyring_encode_shared(&host, &plain));
    uint8_t info[17 + 32], *enc = NULL;
    memcpy(info, "cloister/share/v1", 17);
    memcpy(info + 17, nonce, 32);
    OK(clo_buf_extend(&forged, CLO_HPKE_ENC_SIZE + plain.len + 16, &enc));
    OK(clo_hpke_seal_base(suite, h->transport_pk, CLO_BYTES(info, sizeof info), CLO_BYTES_EMPTY,
                          clo_buf_view(&plain), enc, enc + CLO_HPKE_ENC_SIZE));
    clo_proto_share_keys real, k;
    OK(clo_proto_share_keys_decode(genuine, &real));
    /* 1. the genuine giver's quote, replayed over the host's keys */
    k = real;
    k.sealed = clo_buf_view(&forged);
    OK(clo_proto_share_keys_encode(&k, &blob));
    clo_err e = fx_call(b, CLO_CALL_SHARE_TAKE, clo_buf_view(&blob), FX_NOW, &r);
    assert_int_equal(e.code, CLO_E_AUTH);
    assert_non_null(strstr(e.what, "does not bind these keys"));
    /* 2. a quote of this platform binding them, for another measurement */
    uint8_t h32[32];
    clo_keccak256(clo_buf_view(&forged), h32);
    clo_keccak_ctx kc;
    clo_sim_quote_params qp;
    memset(&qp, 0, sizeof qp);
    clo_keccak256_init(&kc);
    clo_keccak256_update(&kc, clo_bytes_str("cloister/share/v1/give"));
    clo_keccak256_update(&kc, CLO_BYTES(h->transport_pk, 32));
    clo_keccak256_update(&kc, CLO_BYTES(nonce, 32));
    clo_keccak256_update(&kc, CLO_BYTES(h32, 32));
    clo_keccak256_update(&kc, CLO_BYTES(k.signer, 20));
    clo_keccak256_final(&kc, qp.report_data);
    OK(clo_measure_sim_mrtd(qp.mrtd));
    memset(qp.rtmr[3], 0x5c, 48);
    clo_buf q;
    clo_buf_init(&q, 1 << 16);
    OK(clo_sim_quote(&P.sim, &qp, &q));
    k.evidence = clo_buf_view(&q);
    clo_buf_clear(&blob);
    OK(clo_proto_share_keys_encode(&k, &blob));
    e = fx_call(b, CLO_CALL_SHARE_TAKE, clo_buf_view(&blob), FX_NOW, &r);
    assert_int_equal(e.code, CLO_E_POLICY);
    assert_non_null(strstr(e.what, "not an enclave of this measurement"));
    /* 3. no quote at all: one byte */
    k.evidence = CLO_BYTES(genuine.ptr, 1);
    clo_buf_clear(&blob);
    OK(clo_proto_share_keys_encode(&k, &blob));
    assert_int_not_equal(fx_call(b, CLO_CALL_SHARE_TAKE, clo_buf_view(&blob), FX_NOW, &r).code,
                         CLO_OK_CODE);
    /* nothing was taken: the taker still has no keys */
    clo_proto_keys kb;
    OK(fx_keys(b, FX_NOW, &kb));
    assert_int_equal(kb.count, 0);
    clo_keyring_wipe(&host);
    clo_buf_free(&plain);
    clo_buf_free(&forged);
    clo_buf_free(&blob);
    clo_buf_free(&r);
    clo_buf_free(&q);
}

/* SHARE_GIVE's answer is untrusted bytes to the taker (the host carries
 * them): every cut, a list longer than 8, an empty evidence and trailing
 * bytes are refused by the decoder, before any check. */
static void share_keys_malformed(clo_bytes good)
{
    clo_proto_share_keys k;
    OK(clo_proto_share_keys_decode(good, &k));
    for (size_t cut = 0; cut < good.len; cut += 1 + good.len / 64)
        assert_int_not_equal(clo_proto_share_keys_decode(CLO_BYTES(good.ptr, cut), &k).code,
                             CLO_OK_CODE);
    clo_buf b;
    clo_buf_init(&b, 1 << 17);
    OK(clo_buf_append_bytes(&b, good));
    OK(clo_buf_u8(&b, 0)); /* trailing */
    assert_int_not_equal(clo_proto_share_keys_decode(clo_buf_view(&b), &k).code, CLO_OK_CODE);
    OK(clo_proto_share_keys_decode(good, &k));
    clo_bytes ev = k.evidence;
    k.evidence = CLO_BYTES_EMPTY;
    clo_buf_clear(&b);
    OK(clo_proto_share_keys_encode(&k, &b));
    assert_int_equal(clo_proto_share_keys_decode(clo_buf_view(&b), &k).code, CLO_E_FORMAT);
    k.evidence = ev;
    clo_buf_clear(&b);
    OK(clo_proto_share_keys_encode(&k, &b));
    b.ptr[b.len - 1] = CLO_PROTO_SHARE_MAX_PARTS + 1; /* n, with no parts: the list's count */
    assert_int_equal(clo_proto_share_keys_decode(clo_buf_view(&b), &k).code, CLO_E_LIMIT);
    clo_buf_free(&b);
}

/* SHARE_GIVE's body for a taker's hello, over nonce. */
static void give_body(const uint8_t nonce[32], const clo_proto_share_hello *h, clo_buf *body)
{
    clo_proto_share_give g;
    memset(&g, 0, sizeof g);
    memcpy(g.nonce, nonce, 32);
    memcpy(g.transport_pk, h->transport_pk, 32);
    memcpy(g.signer, h->signer, 20);
    g.format = h->format;
    g.evidence = h->evidence;
    clo_buf_clear(body);
    OK(clo_proto_share_give_encode(&g, body));
}

static void test_key_sharing(void **state)
{
    (void)state;
    clo_enclave *a, *b, *c;
    clo_buf r, hello, body, sealed;
    clo_buf_init(&r, 1 << 16);
    clo_buf_init(&hello, 1 << 16);
    clo_buf_init(&body, 1 << 16);
    clo_buf_init(&sealed, 1 << 16);
    uint8_t other[48];
    memset(other, 0x22, 48);
    OK(fx_enclave(&P, P.measurement, 60, &a));
    OK(fx_enclave(&P, P.measurement, 60, &b));
    OK(fx_enclave(&P, other, 60, &c)); /* another executable: another measurement */
    OK(fx_call(a, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    clo_proto_keys ka, kb;
    OK(fx_keys(a, FX_NOW, &ka));
    uint8_t nonce[32], nonce2[32];
    OK(fx_call(a, CLO_CALL_SNP_CHALLENGE, CLO_BYTES_EMPTY, FX_NOW, &r));
    memcpy(nonce, r.ptr, 32);
    OK(fx_call(a, CLO_CALL_SNP_CHALLENGE, CLO_BYTES_EMPTY, FX_NOW, &r));
    memcpy(nonce2, r.ptr, 32);

    /* another measurement gets nothing, and the refusal keeps the nonce */
    clo_proto_share_hello h;
    OK(fx_call(c, CLO_CALL_SHARE_BEGIN, CLO_BYTES(nonce, 32), FX_NOW, &hello));
    OK(clo_proto_share_hello_decode(clo_buf_view(&hello), &h));
    give_body(nonce, &h, &body);
    clo_err e = fx_call(a, CLO_CALL_SHARE_GIVE, clo_buf_view(&body), FX_NOW, &sealed);
    assert_int_equal(e.code, CLO_E_POLICY);
    assert_non_null(strstr(e.what, "measurement"));

    /* the taker's evidence, then tampered ways to present it */
    OK(fx_call(b, CLO_CALL_SHARE_BEGIN, CLO_BYTES(nonce, 32), FX_NOW, &hello));
    OK(clo_proto_share_hello_decode(clo_buf_view(&hello), &h));
    clo_proto_share_hello bad = h;
    bad.transport_pk[0] ^= 1; /* the host's own transport key */
    give_body(nonce, &bad, &body);
    assert_int_equal(fx_call(a, CLO_CALL_SHARE_GIVE, clo_buf_view(&body), FX_NOW, &sealed).code,
                     CLO_E_AUTH);
    give_body(nonce2, &h, &body); /* evidence over another nonce */
    assert_int_equal(fx_call(a, CLO_CALL_SHARE_GIVE, clo_buf_view(&body), FX_NOW, &sealed).code,
                     CLO_E_AUTH);
    static uint8_t flipped[1 << 14];
    assert_true(h.evidence.len <= sizeof flipped);
    for (size_t at = 48; at < h.evidence.len; at += h.evidence.len / 7) {
        memcpy(flipped, h.evidence.ptr, h.evidence.len);
        flipped[at] ^= 0x10;
        bad = h;
        bad.evidence = CLO_BYTES(flipped, h.evidence.len);
        give_body(nonce, &bad, &body);
        assert_int_not_equal(
            fx_call(a, CLO_CALL_SHARE_GIVE, clo_buf_view(&body), FX_NOW, &sealed).code,
            CLO_OK_CODE);
    }
    /* the honest request: sealed keys */
    give_body(nonce, &h, &body);
    OK(fx_call(a, CLO_CALL_SHARE_GIVE, clo_buf_view(&body), FX_NOW, &sealed));
    assert_int_equal(fx_call(a, CLO_CALL_SHARE_GIVE, clo_buf_view(&body), FX_NOW, &r).code,
                     CLO_E_AUTH); /* the nonce is spent */
    /* sealed to another transport key: nothing opens */
    clo_buf_clear(&body);
    OK(clo_buf_append_bytes(&body, clo_buf_view(&sealed)));
    body.ptr[40] ^= 1;
    assert_int_equal(fx_call(b, CLO_CALL_SHARE_TAKE, clo_buf_view(&body), FX_NOW, &r).code,
                     CLO_E_AUTH);
    /* The host's own keys, sealed to the taker's transport key (anyone can):
     * with the giver's quote (it binds other sealed bytes), with a quote of
     * the platform for another measurement binding them, or none. */
    forged_take(b, &h, nonce, clo_buf_view(&sealed));
    share_keys_malformed(clo_buf_view(&sealed));
    /* The giver's signer, bound in its quote: the host cannot name another
     * (whose registry record the taker's node would check instead). */
    clo_proto_share_keys sk;
    OK(clo_proto_share_keys_decode(clo_buf_view(&sealed), &sk));
    assert_memory_equal(sk.signer, ka.keys[0].signer, 20);
    sk.signer[0] ^= 1;
    clo_buf_clear(&body);
    OK(clo_proto_share_keys_encode(&sk, &body));
    assert_int_equal(fx_call(b, CLO_CALL_SHARE_TAKE, clo_buf_view(&body), FX_NOW, &r).code,
                     CLO_E_AUTH);
    OK(fx_call(b, CLO_CALL_SHARE_TAKE, clo_buf_view(&sealed), FX_NOW, &r));
    OK(clo_proto_keys_decode(clo_buf_view(&r), &kb));
    assert_int_equal(kb.current, ka.current);
    assert_memory_equal(kb.keys[0].hpke_pk, ka.keys[0].hpke_pk, 32);   /* the shared key */
    assert_memory_not_equal(kb.keys[0].signer, ka.keys[0].signer, 20); /* its own signer */
    /* The giver rotates; the taker takes again and catches up: epoch 2 is the
     * giver's key, epoch 1 keeps the taker's signer (its record stays good). */
    OK(fx_call(a, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW + 10, &r));
    clo_proto_keys ka2, kb2;
    OK(fx_keys(a, FX_NOW + 10, &ka2));
    OK(fx_call(b, CLO_CALL_SHARE_BEGIN, CLO_BYTES(nonce2, 32), FX_NOW + 10, &hello));
    OK(clo_proto_share_hello_decode(clo_buf_view(&hello), &h));
    /* A taker holding keys names its signer, bound in its quote (the giver's
     * node checks its registry record): its host cannot pass it off as new. */
    assert_memory_equal(h.signer, kb.keys[0].signer, 20);
    bad = h;
    memset(bad.signer, 0, 20);
    give_body(nonce2, &bad, &body);
    assert_int_equal(
        fx_call(a, CLO_CALL_SHARE_GIVE, clo_buf_view(&body), FX_NOW + 10, &sealed).code,
        CLO_E_AUTH);
    give_body(nonce2, &h, &body);
    OK(fx_call(a, CLO_CALL_SHARE_GIVE, clo_buf_view(&body), FX_NOW + 10, &sealed));
    OK(fx_call(b, CLO_CALL_SHARE_TAKE, clo_buf_view(&sealed), FX_NOW + 10, &r));
    OK(clo_proto_keys_decode(clo_buf_view(&r), &kb2));
    assert_int_equal(kb2.current, 2);
    assert_int_equal(kb2.count, 2);
    assert_memory_equal(kb2.keys[0].hpke_pk, ka2.keys[0].hpke_pk, 32); /* the giver's epoch 2 */
    assert_memory_not_equal(kb2.keys[0].signer, ka2.keys[0].signer, 20);
    assert_memory_equal(kb2.keys[1].signer, kb.keys[0].signer, 20); /* epoch 1: the same signer */
    /* An enclave that made keys of its own cannot join: its epoch 1 is not the
     * giver's (the same number would name two keys). */
    clo_enclave *d;
    uint8_t nonce3[32];
    OK(fx_enclave(&P, P.measurement, 60, &d));
    OK(fx_call(d, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r));
    OK(fx_call(a, CLO_CALL_SNP_CHALLENGE, CLO_BYTES_EMPTY, FX_NOW + 10, &r));
    memcpy(nonce3, r.ptr, 32);
    OK(fx_call(d, CLO_CALL_SHARE_BEGIN, CLO_BYTES(nonce3, 32), FX_NOW + 10, &hello));
    OK(clo_proto_share_hello_decode(clo_buf_view(&hello), &h));
    give_body(nonce3, &h, &body);
    OK(fx_call(a, CLO_CALL_SHARE_GIVE, clo_buf_view(&body), FX_NOW + 10, &sealed));
    clo_err de = fx_call(d, CLO_CALL_SHARE_TAKE, clo_buf_view(&sealed), FX_NOW + 10, &r);
    assert_int_equal(de.code, CLO_E_POLICY);
    assert_non_null(strstr(de.what, "keys of its own"));
    clo_enclave_free(d);

    /* a job sealed to the giver's epoch key runs in the taker, signed by the taker */
    static clo_proto_result res;
    uint8_t bb[53], job_id[32] = {0x5a};
    bid(bb, 4, 12);
    clo_bytes in = CLO_BYTES(bb, 53);
    clo_envelope_reply_key rk;
    clo_buf_clear(&body);
    OK(fx_job_body(&P, job_id, "auction", CLO_BYTES(auction_cfg, 34), ka.current,
                   ka.keys[0].hpke_pk, &in, 1, &rk, &body));
    OK(fx_call(b, CLO_CALL_RUN, clo_buf_view(&body), FX_NOW, &r));
    clo_cur cur = clo_cur_init(clo_buf_view(&r));
    uint16_t n;
    OK(clo_cur_u16be(&cur, &n));
    OK(clo_proto_result_decode(&cur, &res));
    assert_int_equal(res.err.code, CLO_OK_CODE);
    assert_int_equal(res.public_out.ptr[1], 1); /* sold: the bid opened */
    assert_memory_equal(res.signer, kb.keys[0].signer, 20);
    clo_envelope_reply_key_wipe(&rk);
    clo_buf_free(&r);
    clo_buf_free(&hello);
    clo_buf_free(&body);
    clo_buf_free(&sealed);
    clo_enclave_free(a);
    clo_enclave_free(b);
    clo_enclave_free(c);
}

/* The same flow in a child under the enclave's seccomp filter (sim): the
 * peer's quote is verified and the keys sealed and opened with no system call
 * the filter refuses (SIGSYS otherwise). */
static void test_key_sharing_sandboxed(void **state)
{
    (void)state;
    pid_t pid = fork();
    if (pid == 0) {
        clo_enclave *a, *b;
        clo_buf r, hello, body, sealed;
        clo_buf_init(&r, 1 << 16);
        clo_buf_init(&hello, 1 << 16);
        clo_buf_init(&body, 1 << 16);
        clo_buf_init(&sealed, 1 << 16);
        if (fx_enclave(&P, P.measurement, 60, &a).code ||
            fx_enclave(&P, P.measurement, 60, &b).code || clo_sandbox_lockdown(CLO_TEE_SIM).code)
            _exit(3);
        clo_proto_share_hello h;
        clo_proto_share_give g;
        memset(&g, 0, sizeof g);
        int ok = !fx_call(a, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &r).code &&
                 !fx_call(a, CLO_CALL_SNP_CHALLENGE, CLO_BYTES_EMPTY, FX_NOW, &r).code &&
                 r.len == 32 && (memcpy(g.nonce, r.ptr, 32), 1) &&
                 !fx_call(b, CLO_CALL_SHARE_BEGIN, CLO_BYTES(g.nonce, 32), FX_NOW, &hello).code &&
                 !clo_proto_share_hello_decode(clo_buf_view(&hello), &h).code;
        if (ok) {
            memcpy(g.transport_pk, h.transport_pk, 32);
            g.format = h.format;
            g.evidence = h.evidence;
            ok = !clo_proto_share_give_encode(&g, &body).code &&
                 !fx_call(a, CLO_CALL_SHARE_GIVE, clo_buf_view(&body), FX_NOW, &sealed).code &&
                 !fx_call(b, CLO_CALL_SHARE_TAKE, clo_buf_view(&sealed), FX_NOW, &r).code;
        }
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("killed by signal %d (SIGSYS: a call the filter refuses)", WTERMSIG(status));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calls_need_init),
        cmocka_unit_test(test_rotation_and_grace),
        cmocka_unit_test(test_evidence_binds_keys),
        cmocka_unit_test(test_auction_job),
        cmocka_unit_test(test_rerun_is_byte_identical),
        cmocka_unit_test(test_sealed_state),
        cmocka_unit_test(test_job_errors),
        cmocka_unit_test(test_tickets_stop_input_probing),
        cmocka_unit_test(test_requester_tickets),
        cmocka_unit_test(test_state_rollback_refused),
        cmocka_unit_test(test_fetch_calls),
        cmocka_unit_test(test_key_sharing),
        cmocka_unit_test(test_key_sharing_sandboxed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
