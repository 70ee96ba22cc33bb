/* enclave_fixture.c — see enclave_fixture.h. */
#include "enclave_fixture.h"

#include <string.h>

#include "crypto/ethkey.h"
#include "evidence/binding.h"
#include "evidence/measure.h"
#include "crypto/secp256k1.h"
#include "wire/frame.h"
#include "wire/witness.h"
#include "workloads/workload.h"

clo_err fx_platform_new(fx_platform *p)
{
    memset(p, 0, sizeof *p);
    CLO_TRY(clo_sim_create(&p->sim, FX_NOW));
    for (size_t i = 0; i < CLO_SIM_PARTS; i++) {
        clo_buf_init(&p->parts[i], 1 << 16);
        CLO_TRY(clo_sim_save_part(&p->sim, i, &p->parts[i]));
    }
    memset(p->measurement, 0x11, 48);
    memset(p->market, 0xAA, 20);
    memset(p->registry, 0xBB, 20);
    return CLO_OK;
}

void fx_platform_free(fx_platform *p)
{
    clo_sim_free(&p->sim);
    for (size_t i = 0; i < CLO_SIM_PARTS; i++) clo_buf_free(&p->parts[i]);
}

clo_err fx_call(clo_enclave *e, uint16_t call, clo_bytes body, int64_t now, clo_buf *resp)
{
    int stop = 0;
    clo_buf_clear(resp);
    return clo_enclave_handle(e, call, body, now, resp, &stop);
}

void fx_init_params(const fx_platform *p, const uint8_t measurement[48], uint32_t grace,
                    clo_proto_init *out)
{
    clo_proto_init in;
    memset(&in, 0, sizeof in);
    in.backend = CLO_TEE_SIM;
    in.chain_id = FX_CHAIN_ID;
    memcpy(in.registry, p->registry, 20);
    memcpy(in.market, p->market, 20);
    in.grace_seconds = grace;
    memcpy(in.measurement, measurement, 48);
    in.committee.threshold = 2;
    in.committee.count = FX_COMMITTEE;
    for (size_t i = 0; i < FX_COMMITTEE; i++) {
        clo_secret32 k;
        fx_member(i, &k, in.committee.members[i]);
    }
    /* ascending, as INIT requires */
    for (size_t i = 1; i < FX_COMMITTEE; i++)
        for (size_t j = i;
             j > 0 && memcmp(in.committee.members[j - 1], in.committee.members[j], 20) > 0; j--) {
            uint8_t t[20];
            memcpy(t, in.committee.members[j], 20);
            memcpy(in.committee.members[j], in.committee.members[j - 1], 20);
            memcpy(in.committee.members[j - 1], t, 20);
        }
    in.count = CLO_SIM_PARTS;
    for (size_t i = 0; i < CLO_SIM_PARTS; i++) in.parts[i] = clo_buf_view(&p->parts[i]);
    *out = in;
}

clo_err fx_measurement(const fx_platform *p, const uint8_t exe_event[48], uint8_t out[48])
{
    clo_proto_init in;
    uint8_t ch[32], cfg[48];
    fx_init_params(p, exe_event, 0, &in);
    CLO_TRY(clo_committee_hash(&in.committee, ch));
    CLO_TRY(clo_measure_config_event(in.chain_id, in.market, in.registry, ch, cfg));
    return clo_measure_rtmr3(exe_event, cfg, out);
}

clo_err fx_enclave(const fx_platform *p, const uint8_t measurement[48], uint32_t grace,
                   clo_enclave **out)
{
    clo_proto_init in;
    fx_init_params(p, measurement, grace, &in);
    clo_buf body, resp;
    clo_buf_init(&body, 1 << 20);
    clo_buf_init(&resp, 1 << 20);
    clo_err err = clo_enclave_new(out);
    if (!err.code) err = clo_proto_init_encode(&in, &body);
    if (!err.code) err = fx_call(*out, CLO_CALL_INIT, clo_buf_view(&body), FX_NOW, &resp);
    clo_buf_free(&body);
    clo_buf_free(&resp);
    return err;
}

void fx_expected_report_data(const fx_platform *p, const clo_proto_evidence *ev,
                             const uint8_t req[52], uint8_t rd[64])
{
    clo_key_binding b;
    memcpy(b.operator_addr, req + 32, 20);
    memcpy(b.signer, ev->signer, 20);
    memcpy(b.hpke_pk, ev->hpke_pk, 32);
    b.epoch = ev->epoch;
    b.chain_id = FX_CHAIN_ID;
    memcpy(b.registry, p->registry, 20);
    memcpy(b.nonce, req, 32);
    clo_report_data(&b, rd);
}

clo_err fx_keys(clo_enclave *e, int64_t now, clo_proto_keys *out)
{
    clo_buf resp;
    clo_buf_init(&resp, 1 << 16);
    clo_err err = fx_call(e, CLO_CALL_KEYS, CLO_BYTES_EMPTY, now, &resp);
    if (!err.code) err = clo_proto_keys_decode(clo_buf_view(&resp), out);
    clo_buf_free(&resp);
    return err;
}

void fx_member(size_t i, clo_secret32 *key, uint8_t addr[20])
{
    uint8_t pub[65];
    memset(key->b, (int)(0x70 + i), 32);
    if (clo_secp256k1_pubkey(key, pub).code || clo_eth_address(pub, addr).code) memset(addr, 0, 20);
}

clo_err fx_sign_ticket(const fx_platform *p, clo_proto_job *job, const size_t *members, size_t n,
                       uint64_t issued_at)
{
    CLO_ENSURE(n <= CLO_PROTO_MAX_TICKET_SIGS, CLO_E_LIMIT, "fixture: signatures");
    for (size_t i = 0; i < n; i++) {
        clo_secret32 k;
        uint8_t a[20];
        clo_ticket t;
        fx_member(members[i], &k, a);
        clo_proto_job_ticket(job, issued_at, &t);
        job->sigs[i].issued_at = issued_at;
        CLO_TRY(clo_ticket_sign(&t, FX_CHAIN_ID, p->market, &k, job->sigs[i].sig));
    }
    job->nsigs = n;
    return CLO_OK;
}

clo_err fx_job_make(const fx_platform *p, const uint8_t job_id[32], const char *workload,
                    clo_bytes config, uint32_t epoch, const uint8_t pk[32], const clo_bytes *plain,
                    size_t count, clo_envelope_reply_key *reply_keys, clo_buf *env,
                    clo_bytes *views, clo_proto_job *job)
{
    clo_err err = CLO_OK;
    memset(job, 0, sizeof *job);
    memcpy(job->job_id, job_id, 32);
    clo_workload_id(workload, job->workload_id);
    job->chain_id = FX_CHAIN_ID;
    memcpy(job->market, p->market, 20);
    job->epoch = epoch;
    job->config = config;
    job->count = count;
    job->inputs = views;
    job->deadline = FX_DEADLINE;
    clo_envelope_binding b;
    memset(&b, 0, sizeof b);
    b.chain_id = FX_CHAIN_ID;
    memcpy(b.contract, p->market, 20);
    memcpy(b.job_id, job_id, 32);
    memcpy(b.workload_id, job->workload_id, 32);
    b.epoch = epoch;
    clo_hpke_suite suite = {CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256,
                            CLO_HPKE_AEAD_CHACHA20POLY1305};
    for (size_t i = 0; i < count; i++) clo_buf_init(&env[i], 1 << 20);
    for (size_t i = 0; i < count && !err.code; i++) {
        err = clo_envelope_request_seal(&env[i], &reply_keys[i], &b, suite, pk, plain[i]);
        views[i] = clo_buf_view(&env[i]);
    }
    return err;
}

clo_err fx_job_encoded(const fx_platform *p, const uint8_t job_id[32], const char *workload,
                       clo_bytes config, uint32_t epoch, const uint8_t pk[32],
                       const clo_bytes *plain, size_t count, clo_envelope_reply_key *reply_keys,
                       clo_buf *out)
{
    static const size_t two[2] = {0, 1};
    clo_proto_job job;
    clo_bytes views[64];
    clo_buf env[64];
    CLO_ENSURE(count <= 64, CLO_E_LIMIT, "fixture: inputs");
    clo_err err = fx_job_make(p, job_id, workload, config, epoch, pk, plain, count, reply_keys, env,
                              views, &job);
    if (!err.code) err = fx_sign_ticket(p, &job, two, 2, FX_NOW);
    if (!err.code) err = clo_proto_job_encode(&job, out);
    for (size_t i = 0; i < count; i++) clo_buf_free(&env[i]);
    return err;
}

clo_err fx_run_body(const clo_proto_job *job, clo_buf *body)
{
    clo_buf one;
    clo_buf_init(&one, CLO_FRAME_MAX_BODY);
    clo_err err = clo_proto_job_encode(job, &one);
    clo_bytes jobs[1] = {clo_buf_view(&one)};
    if (!err.code) err = clo_proto_run_encode(jobs, 1, body);
    clo_buf_free(&one);
    return err;
}

clo_err fx_job_body(const fx_platform *p, const uint8_t job_id[32], const char *workload,
                    clo_bytes config, uint32_t epoch, const uint8_t pk[32], const clo_bytes *plain,
                    size_t count, clo_envelope_reply_key *reply_keys, clo_buf *body)
{
    clo_buf one;
    clo_buf_init(&one, CLO_FRAME_MAX_BODY);
    clo_err err =
        fx_job_encoded(p, job_id, workload, config, epoch, pk, plain, count, reply_keys, &one);
    clo_bytes jobs[1] = {clo_buf_view(&one)};
    if (!err.code) err = clo_proto_run_encode(jobs, 1, body);
    clo_buf_free(&one);
    return err;
}

clo_err fx_provision(clo_enclave *e, const fx_platform *p, const uint8_t id[32], clo_bytes secret,
                     uint32_t epoch, const uint8_t pk[32], clo_buf *resp)
{
    clo_envelope_binding b;
    memset(&b, 0, sizeof b);
    b.chain_id = FX_CHAIN_ID;
    memcpy(b.contract, p->market, 20);
    memcpy(b.job_id, id, 32);
    clo_workload_id("provision", b.workload_id);
    b.epoch = epoch;
    clo_hpke_suite suite = {CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256,
                            CLO_HPKE_AEAD_CHACHA20POLY1305};
    clo_envelope_reply_key rk;
    clo_buf env, body;
    clo_proto_provision req = {.epoch = epoch};
    memcpy(req.id, id, 32);
    clo_buf_init(&env, (size_t)16 << 20);
    clo_buf_init(&body, (size_t)16 << 20);
    clo_err err = clo_envelope_request_seal(&env, &rk, &b, suite, pk, secret);
    clo_envelope_reply_key_wipe(&rk); /* PROVISION has no reply */
    req.envelope = clo_buf_view(&env);
    if (!err.code) err = clo_proto_provision_encode(&req, &body);
    if (!err.code) err = fx_call(e, CLO_CALL_PROVISION, clo_buf_view(&body), FX_NOW, resp);
    clo_buf_free(&env);
    clo_buf_free(&body);
    return err;
}

clo_err fx_state_header(clo_bytes blob, uint8_t lineage[20], uint64_t *version)
{
    clo_state_header h;
    CLO_TRY(clo_state_header_decode(blob, &h));
    memcpy(lineage, h.lineage, 20);
    *version = h.version;
    return CLO_OK;
}

clo_err fx_export(clo_enclave *e, int64_t now, clo_buf *blob)
{
    clo_buf r;
    clo_buf_init(&r, (size_t)32 << 20);
    clo_err err = fx_call(e, CLO_CALL_EXPORT, CLO_BYTES_EMPTY, now, &r);
    clo_proto_export ex;
    if (!err.code) err = clo_proto_export_decode(clo_buf_view(&r), &ex);
    if (!err.code && blob) {
        clo_buf_clear(blob);
        err = clo_buf_append_bytes(blob, ex.state);
    }
    clo_buf_free(&r);
    return err;
}

/* Member `member` signs a state message for the blob's lineage. */
static clo_err sign_state(const fx_platform *p, clo_state_msg kind, const uint8_t lineage[20],
                          uint64_t version, const uint8_t nonce[32], size_t member, uint8_t sig[65])
{
    clo_secret32 k;
    uint8_t a[20], digest[32];
    fx_member(member, &k, a);
    clo_state_digest(kind, lineage, version, nonce, FX_CHAIN_ID, p->market, digest);
    return clo_eth_sign(&k, digest, sig);
}

clo_err fx_checkpoint(const fx_platform *p, clo_enclave *e, int64_t now, clo_buf *blob)
{
    clo_buf b, body;
    clo_buf_init(&b, (size_t)32 << 20);
    clo_buf_init(&body, 256);
    uint8_t lineage[20];
    clo_proto_witness w = {.count = 2};
    clo_err err = fx_export(e, now, &b);
    if (!err.code) err = fx_state_header(clo_buf_view(&b), lineage, &w.version);
    for (size_t m = 0; m < 2 && !err.code; m++)
        err = sign_state(p, CLO_STATE_RECORDED, lineage, w.version, NULL, m, w.sigs[m]);
    if (!err.code) err = clo_proto_witness_encode(&w, &body);
    clo_buf r;
    clo_buf_init(&r, 64);
    if (!err.code) err = fx_call(e, CLO_CALL_WITNESS, clo_buf_view(&body), now, &r);
    if (!err.code && blob) {
        clo_buf_clear(blob);
        err = clo_buf_append_bytes(blob, clo_buf_view(&b));
    }
    clo_buf_free(&r);
    clo_buf_free(&b);
    clo_buf_free(&body);
    return err;
}

clo_err fx_import_body(const fx_platform *p, clo_enclave *e, clo_bytes blob, uint64_t recorded,
                       clo_buf *body)
{
    clo_buf st;
    clo_buf_init(&st, 128);
    uint8_t lineage[20] = {0};
    uint64_t v;
    clo_proto_state state;
    clo_proto_import in = {.state = blob, .count = FX_COMMITTEE};
    clo_err err = fx_call(e, CLO_CALL_STATE, CLO_BYTES_EMPTY, 0, &st);
    if (!err.code) err = clo_proto_state_decode(clo_buf_view(&st), &state);
    /* A mangled blob still names some lineage: report for what it says. */
    if (!err.code && fx_state_header(blob, lineage, &v).code) memset(lineage, 0, 20);
    for (size_t m = 0; m < FX_COMMITTEE && !err.code; m++) {
        in.reports[m].version = recorded;
        err = sign_state(p, CLO_STATE_LATEST, lineage, recorded, state.nonce, m, in.reports[m].sig);
    }
    clo_buf_clear(body);
    if (!err.code) err = clo_proto_import_encode(&in, body);
    clo_buf_free(&st);
    return err;
}

clo_err fx_import(const fx_platform *p, clo_enclave *e, clo_bytes blob, uint64_t recorded,
                  int64_t now, clo_buf *resp)
{
    clo_buf body;
    clo_buf_init(&body, (size_t)32 << 20);
    clo_err err = fx_import_body(p, e, blob, recorded, &body);
    if (!err.code) err = fx_call(e, CLO_CALL_IMPORT, clo_buf_view(&body), now, resp);
    clo_buf_free(&body);
    return err;
}

clo_err fx_carry_secrets(clo_enclave *from, clo_enclave *to, clo_bytes imported, int64_t now)
{
    static clo_proto_imported imp;
    clo_buf req, r, done;
    clo_buf_init(&req, (size_t)CLO_SECRET_CHUNK + 64);
    clo_buf_init(&r, (size_t)CLO_SECRET_CHUNK + 64);
    clo_buf_init(&done, 16);
    clo_err err = clo_proto_imported_decode(imported, &imp);
    for (size_t i = 0; i < imp.count && !err.code; i++) {
        clo_proto_secret_ref ref = {.index = 0};
        clo_proto_sealed_chunk ch = {.count = 1};
        memcpy(ref.id, imp.secrets[i].id, 32);
        for (; ref.index < ch.count && !err.code; ref.index++) {
            clo_buf_clear(&req);
            err = clo_proto_secret_ref_encode(&ref, &req);
            if (!err.code) err = fx_call(from, CLO_CALL_SECRET_SEAL, clo_buf_view(&req), now, &r);
            if (!err.code) err = clo_proto_sealed_chunk_decode(clo_buf_view(&r), &ch);
            clo_proto_secret_load ld = {.index = ref.index, .sealed = ch.sealed};
            memcpy(ld.id, ref.id, 32);
            clo_buf_clear(&req);
            if (!err.code) err = clo_proto_secret_load_encode(&ld, &req);
            if (!err.code) err = fx_call(to, CLO_CALL_SECRET_LOAD, clo_buf_view(&req), now, &done);
        }
    }
    clo_buf_free(&req);
    clo_buf_free(&r);
    clo_buf_free(&done);
    return err;
}
