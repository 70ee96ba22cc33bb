/* seal.c — a client's side of a job: sealing, tickets, results (seal.h). */
#include "client/seal.h"

#include <string.h>

#include "base/ct.h"
#include "crypto/hash.h"
#include "crypto/keccak.h"
#include "workloads/workload.h"

const clo_hpke_suite CLO_SEAL_SUITE = {CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256,
                                       CLO_HPKE_AEAD_CHACHA20POLY1305};

void clo_config_hash(clo_bytes config, uint8_t out[32])
{
    clo_keccak256(config, out);
}

void clo_sealer_init(clo_sealer *s, uint64_t chain_id, const uint8_t market[20],
                     const uint8_t job_id[32], const char *workload, uint32_t epoch,
                     const uint8_t pk[32])
{
    memset(s, 0, sizeof *s);
    s->b.chain_id = chain_id;
    memcpy(s->b.contract, market, 20);
    memcpy(s->b.job_id, job_id, 32);
    clo_workload_id(workload, s->b.workload_id);
    s->b.epoch = epoch;
    memcpy(s->pk, pk, 32);
}

clo_err clo_sealer_seal(clo_sealer *s, clo_bytes plain, clo_buf *env)
{
    CLO_ENSURE(s->count < CLO_SEAL_MAX_INPUTS, CLO_E_LIMIT, "seal.inputs");
    clo_buf_clear(env);
    CLO_TRY(clo_envelope_request_seal(env, &s->rk[s->count], &s->b, CLO_SEAL_SUITE, s->pk, plain));
    clo_keccak256(clo_buf_view(env), s->env_hash[s->count]);
    s->count++;
    return CLO_OK;
}

void clo_sealer_input_hash(const clo_sealer *s, uint8_t out[32])
{
    clo_keccak256(CLO_BYTES(s->env_hash, 32 * s->count), out);
}

void clo_sealer_wipe(clo_sealer *s)
{
    for (size_t i = 0; i < s->count; i++) clo_envelope_reply_key_wipe(&s->rk[i]);
    clo_wipe(s, sizeof *s);
}

void clo_api_job_id(uint64_t chain_id, const uint8_t market[20], const uint8_t requester[20],
                    const uint8_t client_nonce[32], uint8_t out[32])
{
    clo_ticket_api_job_id(chain_id, market, requester, client_nonce, out);
}

clo_err clo_api_ticket(const clo_sealer *s, clo_bytes config, const clo_secret32 *requester_key,
                       const uint8_t requester[20], const uint8_t client_nonce[32],
                       uint64_t issued_at, uint64_t deadline, clo_ticket *t, uint8_t sig[65])
{
    static const uint8_t none[20];
    uint8_t config_hash[32], ih[32];
    memset(t, 0, sizeof *t);
    memcpy(t->job_id, s->b.job_id, 32);
    clo_config_hash(config, config_hash);
    clo_sealer_input_hash(s, ih);
    clo_ticket_spec(s->b.workload_id, config_hash, ih, none, t->spec);
    t->issued_at = issued_at;
    t->deadline = deadline;
    memcpy(t->requester, requester, 20);
    memcpy(t->client_nonce, client_nonce, 32);
    return clo_ticket_sign(t, s->b.chain_id, s->b.contract, requester_key, sig);
}

clo_err clo_model_id(clo_bytes model, uint8_t out[32])
{
    return clo_sha256(model, out);
}

static void provision_binding(uint64_t chain_id, const uint8_t market[20], uint32_t epoch,
                              const uint8_t id[32], clo_envelope_binding *b)
{
    memset(b, 0, sizeof *b);
    b->chain_id = chain_id;
    memcpy(b->contract, market, 20);
    memcpy(b->job_id, id, 32);
    clo_workload_id("provision", b->workload_id);
    b->epoch = epoch;
}

clo_err clo_provision_stream_init(clo_envelope_stream *s, uint64_t chain_id,
                                  const uint8_t market[20], uint32_t epoch, const uint8_t pk[32],
                                  clo_bytes secret, uint32_t chunk_size, uint8_t id[32],
                                  uint8_t digest[32])
{
    clo_envelope_binding b;
    CLO_TRY(clo_model_id(secret, id));
    provision_binding(chain_id, market, epoch, id, &b);
    clo_keccak256(secret, digest);
    return clo_envelope_stream_seal_init(s, &b, CLO_SEAL_SUITE, pk, secret.len, chunk_size);
}

clo_err clo_provision_seal(uint64_t chain_id, const uint8_t market[20], uint32_t epoch,
                           const uint8_t pk[32], clo_bytes secret, uint8_t id[32],
                           uint8_t digest[32], clo_buf *env)
{
    clo_envelope_binding b;
    clo_envelope_reply_key rk;
    CLO_TRY(clo_model_id(secret, id));
    provision_binding(chain_id, market, epoch, id, &b);
    clo_buf_clear(env);
    clo_err err = clo_envelope_request_seal(env, &rk, &b, CLO_SEAL_SUITE, pk, secret);
    clo_envelope_reply_key_wipe(&rk);
    clo_keccak256(secret, digest);
    return err;
}

int clo_result_outputs_match(const clo_result_stmt *st, clo_bytes pub, const clo_bytes *priv,
                             size_t n)
{
    uint8_t h[32];
    clo_keccak256(pub, h);
    int ok = !memcmp(h, st->public_output_hash, 32);
    clo_hash_list(priv, n, h);
    return ok & !memcmp(h, st->private_output_hash, 32);
}

clo_err clo_reply_open(const uint8_t job_id[32], const uint8_t secret[32], uint16_t aead,
                       clo_bytes reply, clo_buf *out)
{
    clo_envelope_reply_key rk;
    memcpy(rk.job_id, job_id, 32);
    memcpy(rk.secret, secret, 32);
    rk.aead = aead;
    clo_err err = clo_envelope_reply_open(out, &rk, reply);
    clo_envelope_reply_key_wipe(&rk);
    return err;
}
