/* seal_test.c — a client's side of a job (client/seal.h) against the
 * enclave's side of the same formats: what the sealer seals, the enclave's
 * key opens under the same binding and no other; the reply key it keeps opens
 * the enclave's reply and no other; the input hash is the statement's list
 * hash; the API ticket recovers to the requester; outputs that differ from
 * the statement by one byte do not match. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "base/ct.h"
#include "client/calls.h"
#include "client/seal.h"
#include "crypto/keccak.h"
#include "workloads/workload.h"

static const uint8_t MARKET[20] = {0x4d, 0x4d, 0x4d};
static const uint8_t JOB[32] = {0x1b, 0x0b};

static clo_sealer s;

static void test_seal_open_reply(void **state)
{
    (void)state;
    clo_x25519_key *enclave;
    assert_int_equal(clo_x25519_key_ephemeral(&enclave).code, CLO_OK_CODE);
    clo_sealer_init(&s, 31337, MARKET, JOB, "vote", 7, clo_x25519_key_public(enclave));
    clo_buf env[3], pt, reply;
    clo_bytes views[3];
    const char *plain[3] = {"alpha", "bravo", "charlie"};
    clo_buf_init(&pt, 1 << 16);
    clo_buf_init(&reply, 1 << 16);
    for (int i = 0; i < 3; i++) {
        clo_buf_init(&env[i], 1 << 16);
        assert_int_equal(clo_sealer_seal(&s, clo_bytes_str(plain[i]), &env[i]).code, CLO_OK_CODE);
        views[i] = clo_buf_view(&env[i]);
    }
    assert_int_equal(s.count, 3);
    /* The input hash is the list hash the statement carries. */
    uint8_t ih[32], want[32];
    clo_sealer_input_hash(&s, ih);
    clo_hash_list(views, 3, want);
    assert_memory_equal(ih, want, 32);
    /* The enclave opens each under the same binding... */
    clo_envelope_binding b = s.b;
    for (int i = 0; i < 3; i++) {
        clo_envelope_reply_key rk;
        clo_buf_clear(&pt);
        assert_int_equal(clo_envelope_request_open(&pt, &rk, &b, enclave, views[i]).code,
                         CLO_OK_CODE);
        assert_int_equal(pt.len, strlen(plain[i]));
        assert_memory_equal(pt.ptr, plain[i], pt.len);
        /* ...and its reply opens with the key the client kept, and only that one. */
        clo_buf_clear(&reply);
        assert_int_equal(clo_envelope_reply_seal(&reply, &rk, clo_bytes_str("yes")).code,
                         CLO_OK_CODE);
        clo_buf_clear(&pt);
        assert_int_equal(
            clo_reply_open(JOB, s.rk[i].secret, s.rk[i].aead, clo_buf_view(&reply), &pt).code,
            CLO_OK_CODE);
        assert_memory_equal(pt.ptr, "yes", 3);
        clo_buf_clear(&pt);
        assert_int_not_equal(
            clo_reply_open(JOB, s.rk[(i + 1) % 3].secret, s.rk[i].aead, clo_buf_view(&reply), &pt)
                .code,
            CLO_OK_CODE);
        clo_envelope_reply_key_wipe(&rk);
    }
    /* Not under another workload, epoch or job. */
    clo_envelope_reply_key rk;
    b.epoch = 8;
    assert_int_not_equal(clo_envelope_request_open(&pt, &rk, &b, enclave, views[0]).code,
                         CLO_OK_CODE);
    b = s.b;
    clo_workload_id("auction", b.workload_id);
    assert_int_not_equal(clo_envelope_request_open(&pt, &rk, &b, enclave, views[0]).code,
                         CLO_OK_CODE);
    b = s.b;
    b.job_id[31] ^= 1;
    assert_int_not_equal(clo_envelope_request_open(&pt, &rk, &b, enclave, views[0]).code,
                         CLO_OK_CODE);
    clo_sealer_wipe(&s);
    static const uint8_t zero[sizeof s];
    assert_memory_equal(&s, zero, sizeof s);
    for (int i = 0; i < 3; i++) clo_buf_free(&env[i]);
    clo_buf_free(&pt);
    clo_buf_free(&reply);
    clo_x25519_key_free(enclave);
}

static void test_sealer_limit(void **state)
{
    (void)state;
    uint8_t pk[32] = {9}; /* the X25519 base point: a valid public key */
    clo_buf env;
    clo_buf_init(&env, 4096);
    clo_sealer_init(&s, 1, MARKET, JOB, "vote", 1, pk);
    for (size_t i = 0; i < CLO_SEAL_MAX_INPUTS; i++)
        assert_int_equal(clo_sealer_seal(&s, clo_bytes_str("x"), &env).code, CLO_OK_CODE);
    assert_int_equal(clo_sealer_seal(&s, clo_bytes_str("x"), &env).code, CLO_E_LIMIT);
    assert_int_equal(s.count, CLO_SEAL_MAX_INPUTS);
    clo_sealer_wipe(&s);
    clo_buf_free(&env);
}

static void test_api_ticket(void **state)
{
    (void)state;
    clo_secret32 key;
    uint8_t requester[20], nonce[32] = {0x77}, job[32], pk[32] = {9}, sig[65], who[20];
    assert_int_equal(clo_account_new(&key, requester).code, CLO_OK_CODE);
    clo_api_job_id(31337, MARKET, requester, nonce, job);
    clo_sealer_init(&s, 31337, MARKET, job, "auction", 3, pk);
    clo_buf env;
    clo_buf_init(&env, 4096);
    assert_int_equal(clo_sealer_seal(&s, clo_bytes_str("bid"), &env).code, CLO_OK_CODE);
    clo_ticket t;
    static const uint8_t config[] = {1, 2};
    assert_int_equal(
        clo_api_ticket(&s, CLO_BYTES(config, 2), &key, requester, nonce, 100, 200, &t, sig).code,
        CLO_OK_CODE);
    assert_int_equal(clo_ticket_signer(&t, 31337, MARKET, sig, who).code, CLO_OK_CODE);
    assert_memory_equal(who, requester, 20);
    assert_memory_equal(t.job_id, job, 32);
    /* spec = the market's Job.spec over workload, config hash, input hash, no consumer */
    uint8_t ch[32], ih[32], spec[32], none[20] = {0};
    clo_config_hash(CLO_BYTES(config, 2), ch);
    clo_sealer_input_hash(&s, ih);
    clo_ticket_spec(s.b.workload_id, ch, ih, none, spec);
    assert_memory_equal(t.spec, spec, 32);
    /* Under another market the signature names someone else. */
    uint8_t other[20] = {1};
    assert_true(clo_ticket_signer(&t, 31337, other, sig, who).code ||
                memcmp(who, requester, 20) != 0);
    clo_sealer_wipe(&s);
    clo_buf_free(&env);
    clo_wipe(&key, sizeof key);
}

static void test_outputs_match(void **state)
{
    (void)state;
    clo_result_stmt st;
    memset(&st, 0, sizeof st);
    uint8_t pub[] = {2, 1, 0}, p0[] = {5, 6}, p1[] = {7};
    clo_bytes priv[2] = {CLO_BYTES(p0, 2), CLO_BYTES(p1, 1)};
    clo_keccak256(CLO_BYTES(pub, 3), st.public_output_hash);
    clo_hash_list(priv, 2, st.private_output_hash);
    assert_true(clo_result_outputs_match(&st, CLO_BYTES(pub, 3), priv, 2));
    p1[0] ^= 1;
    assert_false(clo_result_outputs_match(&st, CLO_BYTES(pub, 3), priv, 2));
    p1[0] ^= 1;
    pub[2] ^= 1;
    assert_false(clo_result_outputs_match(&st, CLO_BYTES(pub, 3), priv, 2));
    pub[2] ^= 1;
    assert_false(clo_result_outputs_match(&st, CLO_BYTES(pub, 3), priv, 1)); /* one dropped */
}

static void test_provision_seal(void **state)
{
    (void)state;
    clo_x25519_key *enclave;
    assert_int_equal(clo_x25519_key_ephemeral(&enclave).code, CLO_OK_CODE);
    static const char model[] = "an onnx file";
    uint8_t id[32], digest[32], want[32];
    clo_buf env, pt;
    clo_buf_init(&env, 4096);
    clo_buf_init(&pt, 4096);
    assert_int_equal(clo_provision_seal(5, MARKET, 2, clo_x25519_key_public(enclave),
                                        clo_bytes_str(model), id, digest, &env)
                         .code,
                     CLO_OK_CODE);
    assert_int_equal(clo_model_id(clo_bytes_str(model), want).code, CLO_OK_CODE);
    assert_memory_equal(id, want, 32);
    clo_keccak256(clo_bytes_str(model), want);
    assert_memory_equal(digest, want, 32);
    clo_envelope_binding b;
    memset(&b, 0, sizeof b);
    b.chain_id = 5;
    memcpy(b.contract, MARKET, 20);
    memcpy(b.job_id, id, 32);
    clo_workload_id("provision", b.workload_id);
    b.epoch = 2;
    clo_envelope_reply_key rk;
    assert_int_equal(clo_envelope_request_open(&pt, &rk, &b, enclave, clo_buf_view(&env)).code,
                     CLO_OK_CODE);
    assert_int_equal(pt.len, strlen(model));
    clo_envelope_reply_key_wipe(&rk);
    clo_buf_free(&env);
    clo_buf_free(&pt);
    clo_x25519_key_free(enclave);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_open_reply), cmocka_unit_test(test_sealer_limit),
        cmocka_unit_test(test_api_ticket),      cmocka_unit_test(test_outputs_match),
        cmocka_unit_test(test_provision_seal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
