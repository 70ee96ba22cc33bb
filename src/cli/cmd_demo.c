/* cmd_demo.c — `cloister demo`: what `make demo` runs.
 *
 * Until the enclave runtime and the chain exist (later issues), it runs the part
 * of the main flow that does exist, in one process: a client seals a request to
 * an enclave epoch key bound to (chain, contract, job, workload, epoch); the
 * enclave opens it, computes, and seals a deterministic reply; the client opens
 * it. Before sealing, the client verifies a quote from the simulated TEE platform
 * that binds the enclave's keys (the same verifier as for real hardware). Then a
 * self-check: tampering, replay into another job, signature recovery. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "attest/binding.h"
#include "attest/sim.h"
#include "attest/verdict.h"
#include "base/ct.h"
#include "base/hex.h"
#include "cli/cli.h"
#include "crypto/envelope.h"
#include "crypto/keccak.h"
#include "crypto/rand.h"
#include "crypto/secp256k1.h"

typedef struct {
    int json, failed;
    json_t *steps;
} demo;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void step(demo *d, const char *name, int ok, const char *detail)
{
    if (!ok) d->failed++;
    if (d->json)
        json_array_append_new(d->steps,
                              json_pack("{s:s,s:b,s:s}", "step", name, "ok", ok, "detail", detail));
    else
        printf("  [%s] %-40s %s\n", ok ? " ok " : "FAIL", name, detail);
}

static void hex_short(char *out, size_t cap, clo_bytes v)
{
    char full[2 * 64 + 1];
    size_t n = v.len > 64 ? 64 : v.len;
    clo_hex_encode(full, CLO_BYTES(v.ptr, n));
    snprintf(out, cap, "%.16s…(%zu bytes)", full, v.len);
}

/* SHA-384 of the running binary: what the simulated launcher would measure. */
static clo_err measure_self(uint8_t out[48])
{
    FILE *f = fopen("/proc/self/exe", "rb");
    char chunk[65536];
    size_t n;
    clo_hash_ctx h;
    CLO_ENSURE(f != NULL, CLO_E_IO, "demo: /proc/self/exe");
    clo_err err = clo_hash_init(&h, CLO_HASH_SHA384);
    while (!err.code && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        err = clo_hash_update(&h, CLO_BYTES(chunk, n));
    fclose(f);
    if (!err.code) err = clo_hash_final(&h, out);
    return err;
}

/* The client's side of attestation: verify the quote against the simulated
 * platform's root and a policy pinning the measurement and the key binding. */
static int attest_enclave(demo *d, const clo_sim *sim, const clo_dcap_collateral *col,
                          clo_bytes quote, const uint8_t mrtd[48], const uint8_t rd[64],
                          int64_t now)
{
    char policy[512], mr[97], rdh[129], *verdict = NULL, msg[160], detail[256];
    clo_policy *p = NULL;
    int accepted = 0;
    clo_hex_encode(mr, CLO_BYTES(mrtd, 48));
    clo_hex_encode(rdh, CLO_BYTES(rd, 64));
    snprintf(policy, sizeof policy,
             "{\"allow_debug\":true,\"tdx\":[{\"mrtd\":\"%s\"}],\"report_data\":\"%s\"}", mr, rdh);
    clo_verify_opts o = {now, sim->root};
    if (clo_policy_parse(clo_bytes_str(policy), &p, msg, sizeof msg).code ||
        clo_attest_verify(quote, col, p, &o, &verdict, &accepted).code) {
        step(d, "client verifies the enclave's quote", 0, "verification could not run");
        clo_policy_free(p);
        return 0;
    }
    json_error_t je;
    json_t *v = json_loads(verdict, 0, &je);
    snprintf(detail, sizeof detail, "%s; TCB %s; MRTD and report_data (key binding) match",
             accepted ? "accepted" : "REJECTED",
             v && json_is_string(json_object_get(v, "tcb_status"))
                 ? json_string_value(json_object_get(v, "tcb_status"))
                 : "?");
    step(d, "client verifies the enclave's quote", accepted, detail);
    json_decref(v);
    free(verdict);
    clo_policy_free(p);
    /* A production policy refuses simulated evidence, whatever else holds. */
    clo_policy *def = NULL;
    int prod_ok = 1;
    if (clo_policy_default(&def).code == CLO_OK_CODE &&
        clo_attest_verify(quote, col, def, &o, &verdict, &prod_ok).code == CLO_OK_CODE) {
        v = json_loads(verdict, 0, &je);
        const char *code = v ? json_string_value(json_object_get(
                                   json_array_get(json_object_get(v, "reasons"), 0), "code"))
                             : NULL;
        snprintf(detail, sizeof detail, "rejected, reason: %s (the simulated TEE is a debug TEE)",
                 code ? code : "?");
        step(d, "production policy refuses sim evidence",
             !prod_ok && code && strcmp(code, "debug") == 0, detail);
        json_decref(v);
        free(verdict);
    }
    clo_policy_free(def);
    return accepted;
}

/* job id = keccak256(abi.encode(uint256 chainId, address market, address requester, uint256 nonce))
 */
static void job_id(uint8_t out[32], uint64_t chain, const uint8_t market[20], const uint8_t req[20],
                   const uint8_t nonce[32])
{
    uint8_t w[128] = {0};
    clo_store_u64be(w + 24, chain);
    memcpy(w + 32 + 12, market, 20);
    memcpy(w + 64 + 12, req, 20);
    memcpy(w + 96, nonce, 32);
    clo_keccak256(CLO_BYTES(w, sizeof w), out);
}

int cmd_demo(int argc, char **argv)
{
    cli_opt o[] = {{"json", NULL, "print one JSON document instead of text", 0, NULL}};
    cli_spec spec = {
        "cloister demo [--json]",
        "Run the confidential request/reply flow between a simulated client and "
        "enclave, then a self-check of the security properties. Exits 1 if any step fails.",
        o, 1};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    demo d = {cli_get(&spec, "json") != NULL, 0, json_array()};
    char detail[256], h1[64];
    double t0;

    if (!d.json)
        printf("Cloister demo — attested enclave keys, then a confidential request/reply over "
               "HPKE\n\n");

    /* 1. The enclave creates its epoch keys. */
    clo_x25519_key *enclave = NULL;
    clo_secret32 signer;
    uint8_t signer_pub[65], signer_addr[20];
    int ok = clo_x25519_key_new(&enclave, NULL).code == CLO_OK_CODE &&
             clo_secp256k1_keygen(&signer).code == CLO_OK_CODE &&
             clo_secp256k1_pubkey(&signer, signer_pub).code == CLO_OK_CODE &&
             clo_eth_address(signer_pub, signer_addr).code == CLO_OK_CODE;
    if (!ok) {
        step(&d, "enclave epoch keys", 0, "key generation failed");
        goto finish;
    }
    char addr_hex[41];
    clo_hex_encode(addr_hex, CLO_BYTES(signer_addr, 20));
    hex_short(h1, sizeof h1, CLO_BYTES(clo_x25519_key_public(enclave), 32));
    snprintf(detail, sizeof detail, "hpke pk %s, signer 0x%s", h1, addr_hex);
    step(&d, "enclave epoch keys (epoch 1)", 1, detail);

    /* 2. The enclave's keys, bound into a quote from the simulated TEE platform; the
     * client verifies it with the same verifier real hardware evidence goes through. */
    int64_t now = (int64_t)time(NULL);
    clo_sim sim;
    clo_dcap_collateral col;
    clo_buf quote;
    uint8_t mrtd[48], rd[64];
    clo_key_binding kb = {.epoch = 1, .chain_id = 31337};
    int have_sim = 0;
    clo_dcap_collateral_init(&col);
    clo_buf_init(&quote, 1 << 16);
    memcpy(kb.signer, signer_addr, 20);
    memcpy(kb.hpke_pk, clo_x25519_key_public(enclave), 32);
    memset(kb.registry, 0xee, 20);
    t0 = now_ms();
    ok = clo_random(kb.nonce, sizeof kb.nonce).code == CLO_OK_CODE &&
         measure_self(mrtd).code == CLO_OK_CODE && clo_report_data(&kb, rd).code == CLO_OK_CODE &&
         clo_sim_create(&sim, now).code == CLO_OK_CODE;
    have_sim = ok;
    if (ok) {
        clo_sim_quote_params qp;
        memset(&qp, 0, sizeof qp);
        memcpy(qp.report_data, rd, 64);
        memcpy(qp.mrtd, mrtd, 48);
        ok = clo_sim_quote(&sim, &qp, &quote).code == CLO_OK_CODE;
        for (size_t i = 0; ok && i < CLO_SIM_COLLATERAL; i++) {
            clo_buf b2;
            clo_buf_init(&b2, 1 << 20);
            ok = clo_sim_collateral(&sim, now, i, &b2).code == CLO_OK_CODE &&
                 clo_dcap_collateral_add(&col, clo_buf_view(&b2)).code == CLO_OK_CODE;
            clo_buf_free(&b2);
        }
    }
    snprintf(detail, sizeof detail,
             "TDX v4 quote, %zu bytes, report_data = SHA-512 binding of the keys (%.1f ms)",
             quote.len, now_ms() - t0);
    step(&d, "simulated TEE quotes the enclave keys", ok, detail);
    if (ok) ok = attest_enclave(&d, &sim, &col, clo_buf_view(&quote), mrtd, rd, now);
    clo_buf_free(&quote);
    clo_dcap_collateral_free(&col);
    if (have_sim) clo_sim_free(&sim);
    if (!ok) goto finish;

    /* 3. The client binds a request to chain, contract, job, workload and epoch. */
    clo_envelope_binding b = {.chain_id = 31337, .epoch = 1};
    uint8_t requester[20], nonce[32];
    memset(b.contract, 0xcc, 20);
    memset(requester, 0xaa, 20);
    clo_keccak256(clo_bytes_str("cloister.workload.risk-score.v1"), b.workload_id);
    if (clo_random(nonce, sizeof nonce).code) goto finish;
    job_id(b.job_id, b.chain_id, b.contract, requester, nonce);
    const char *secret_input = "{\"age\":54,\"systolic\":141,\"ldl\":190,\"smoker\":true}";
    clo_buf env, payload, reply, reply2, result;
    clo_buf_init(&env, CLO_ENVELOPE_MAX_SIZE);
    clo_buf_init(&payload, CLO_ENVELOPE_MAX_PAYLOAD);
    clo_buf_init(&reply, CLO_ENVELOPE_MAX_SIZE);
    clo_buf_init(&reply2, CLO_ENVELOPE_MAX_SIZE);
    clo_buf_init(&result, CLO_ENVELOPE_MAX_PAYLOAD);
    clo_envelope_reply_key rk_client, rk_enclave;
    clo_hpke_suite suite;
    if (clo_hpke_suite_from_name("x25519-sha256-chacha20poly1305", &suite).code) goto finish;
    t0 = now_ms();
    ok = clo_envelope_request_seal(&env, &rk_client, &b, suite, clo_x25519_key_public(enclave),
                                   clo_bytes_str(secret_input))
             .code == CLO_OK_CODE;
    snprintf(detail, sizeof detail, "%zu-byte envelope for a %zu-byte input (%.2f ms)", env.len,
             strlen(secret_input), now_ms() - t0);
    step(&d, "client seals request", ok, detail);

    /* 4. The enclave opens it, computes, and seals the reply. */
    t0 = now_ms();
    ok = clo_envelope_request_open(&payload, &rk_enclave, &b, enclave, clo_buf_view(&env)).code ==
             CLO_OK_CODE &&
         clo_bytes_eq(clo_buf_view(&payload), clo_bytes_str(secret_input));
    snprintf(detail, sizeof detail, "input recovered inside the enclave (%.2f ms)", now_ms() - t0);
    step(&d, "enclave opens request", ok, detail);
    /* A stand-in computation until the workloads land: a fixed score from the input. */
    uint8_t digest[32];
    clo_keccak256(clo_buf_view(&payload), digest);
    char output[64];
    snprintf(output, sizeof output, "{\"risk\":\"%s\"}", digest[0] < 128 ? "elevated" : "normal");
    ok = clo_envelope_reply_seal(&reply, &rk_enclave, clo_bytes_str(output)).code == CLO_OK_CODE &&
         clo_envelope_reply_seal(&reply2, &rk_enclave, clo_bytes_str(output)).code == CLO_OK_CODE &&
         clo_bytes_eq(clo_buf_view(&reply), clo_buf_view(&reply2));
    step(&d, "enclave seals reply", ok, "sealed twice: byte-identical (deterministic retries)");

    /* 5. The enclave signs the reply hash; anyone recovers the signer address. */
    uint8_t rh[32], sig[65], rec_pub[65], rec_addr[20];
    clo_keccak256(clo_buf_view(&reply), rh);
    ok = clo_secp256k1_sign(&signer, rh, sig).code == CLO_OK_CODE &&
         clo_secp256k1_recover(rh, sig, rec_pub).code == CLO_OK_CODE &&
         clo_eth_address(rec_pub, rec_addr).code == CLO_OK_CODE &&
         clo_ct_eq(rec_addr, signer_addr, 20);
    step(&d, "signature recovers enclave signer", ok, "secp256k1, low-s, keccak256 of reply");

    /* 6. The client opens the reply. */
    ok = clo_envelope_reply_open(&result, &rk_client, clo_buf_view(&reply)).code == CLO_OK_CODE &&
         clo_bytes_eq(clo_buf_view(&result), clo_bytes_str(output));
    snprintf(detail, sizeof detail, "result %.*s", (int)result.len, (const char *)result.ptr);
    step(&d, "client opens reply", ok, detail);

    /* 7. Self-check of what must fail. */
    clo_buf tmp;
    clo_buf_init(&tmp, CLO_ENVELOPE_MAX_PAYLOAD);
    clo_envelope_reply_key rk_tmp;
    env.ptr[env.len - 3] ^= 0x01;
    clo_err e = clo_envelope_request_open(&tmp, &rk_tmp, &b, enclave, clo_buf_view(&env));
    env.ptr[env.len - 3] ^= 0x01;
    step(&d, "tampered request rejected", e.code == CLO_E_AUTH && tmp.len == 0,
         clo_code_name(e.code));
    clo_envelope_binding other = b;
    other.job_id[0] ^= 0x01;
    e = clo_envelope_request_open(&tmp, &rk_tmp, &other, enclave, clo_buf_view(&env));
    step(&d, "replay into another job rejected", e.code == CLO_E_AUTH, clo_code_name(e.code));
    other = b;
    other.epoch = 2;
    e = clo_envelope_request_open(&tmp, &rk_tmp, &other, enclave, clo_buf_view(&env));
    step(&d, "replay into another epoch rejected", e.code == CLO_E_AUTH, clo_code_name(e.code));
    env.ptr[0] = 9;
    e = clo_envelope_request_open(&tmp, &rk_tmp, &b, enclave, clo_buf_view(&env));
    step(&d, "unknown envelope version rejected", e.code == CLO_E_VERSION, clo_code_name(e.code));
    reply.ptr[reply.len - 1] ^= 0x80;
    e = clo_envelope_reply_open(&tmp, &rk_client, clo_buf_view(&reply));
    step(&d, "tampered reply rejected", e.code == CLO_E_AUTH && tmp.len == 0,
         clo_code_name(e.code));

    clo_buf_free(&tmp);
    clo_buf_free(&env);
    clo_buf_free(&payload);
    clo_buf_free(&reply);
    clo_buf_free(&reply2);
    clo_buf_free(&result);
    clo_envelope_reply_key_wipe(&rk_client);
    clo_envelope_reply_key_wipe(&rk_enclave);
finish:
    clo_wipe(&signer, sizeof signer);
    clo_x25519_key_free(enclave);
    if (d.json) {
        cli_print(json_pack("{s:o,s:b}", "steps", d.steps, "ok", d.failed == 0));
    } else {
        json_decref(d.steps);
        printf("\n%s\n", d.failed ? "demo FAILED" : "demo passed: every step behaved as specified");
    }
    return d.failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
