/* seal.h — a client's side of a job. Before: seal each input to the enclave
 * key the registry vouches for (client/contracts.h: clo_registry_vouches),
 * bound to chain, JobMarket, job id, workload and epoch, and keep the reply
 * keys; for a job sent to a node's API, sign its JobTicket (wire/ticket.h).
 * After: check the result statement (wire/statement.h) and the outputs it
 * commits to, and open one's own replies.
 *
 * The envelope (crypto/envelope.h), RFC 9180 HPKE (crypto/hpke.h) and fresh
 * nonces (crypto/rand.h) are part of this header's surface: `cloister envelope` and `cloister hpke`
 * expose them for independent clients to test against. */
#ifndef CLO_CLIENT_SEAL_H
#define CLO_CLIENT_SEAL_H

#include "base/secret.h"
#include "crypto/envelope.h"
#include "crypto/hpke.h"
#include "crypto/rand.h"
#include "wire/statement.h"
#include "wire/ticket.h"

#define CLO_SEAL_MAX_INPUTS 256

/* Cloister's suite: X25519, HKDF-SHA256, ChaCha20-Poly1305. */
extern const clo_hpke_suite CLO_SEAL_SUITE;

/* keccak256(config): the job config's name in JobMarket, tickets and
 * statements (a model's id is the SHA-256 of its file). */
void clo_config_hash(clo_bytes config, uint8_t out[32]);

/* The inputs of one job sealed to one key; the reply keys and the envelopes'
 * hashes are kept for the ticket, the keys file and the result. */
typedef struct {
    clo_envelope_binding b;
    uint8_t pk[32];
    size_t count;
    clo_envelope_reply_key rk[CLO_SEAL_MAX_INPUTS];
    uint8_t env_hash[CLO_SEAL_MAX_INPUTS][32];
} clo_sealer;
void clo_sealer_init(clo_sealer *s, uint64_t chain_id, const uint8_t market[20],
                     const uint8_t job_id[32], const char *workload, uint32_t epoch,
                     const uint8_t pk[32]);
/* Seal the next input into env (cleared first); CLO_E_LIMIT past
 * CLO_SEAL_MAX_INPUTS. */
CLO_MUST_CHECK clo_err clo_sealer_seal(clo_sealer *s, clo_bytes plain, clo_buf *env);
/* keccak256 of the envelopes' keccak256s: the statement's input hash when
 * these are all of the job's inputs. */
void clo_sealer_input_hash(const clo_sealer *s, uint8_t out[32]);
void clo_sealer_wipe(clo_sealer *s);

/* An API job's id: keccak256(abi.encode(chain, market, address(0), requester,
 * client nonce)), a namespace no chain job enters. */
void clo_api_job_id(uint64_t chain_id, const uint8_t market[20], const uint8_t requester[20],
                    const uint8_t client_nonce[32], uint8_t out[32]);
/* The requester's JobTicket over the sealed inputs and config (consumer
 * none), good from issued_at to deadline; its signature into sig. */
CLO_MUST_CHECK clo_err clo_api_ticket(const clo_sealer *s, clo_bytes config,
                                      const clo_secret32 *requester_key,
                                      const uint8_t requester[20], const uint8_t client_nonce[32],
                                      uint64_t issued_at, uint64_t deadline, clo_ticket *t,
                                      uint8_t sig[65]);

/* A secret (a model) sealed for PROVISION to an attested key: the envelope
 * binds workload "provision" and, as its job id, the secret's id (SHA-256 of
 * the bytes: a model's id). digest = keccak256(bytes), what the enclave
 * reports it holds. PROVISION sends no reply, so no reply key is kept. */
CLO_MUST_CHECK clo_err clo_provision_seal(uint64_t chain_id, const uint8_t market[20],
                                          uint32_t epoch, const uint8_t pk[32], clo_bytes secret,
                                          uint8_t id[32], uint8_t digest[32], clo_buf *env);
/* The same for a secret of any size, streamed (crypto/envelope.h, kind 4):
 * sets s up and writes its header; seal each chunk with
 * clo_envelope_stream_seal_chunk as it is sent (clo_nodeapi_provision_stream). */
CLO_MUST_CHECK clo_err clo_provision_stream_init(clo_envelope_stream *s, uint64_t chain_id,
                                                 const uint8_t market[20], uint32_t epoch,
                                                 const uint8_t pk[32], clo_bytes secret,
                                                 uint32_t chunk_size, uint8_t id[32],
                                                 uint8_t digest[32]);
/* A model's id: SHA-256 of its file. */
CLO_MUST_CHECK clo_err clo_model_id(clo_bytes model, uint8_t out[32]);

/* Do these outputs hash to the statement's public and private output hashes? */
int clo_result_outputs_match(const clo_result_stmt *st, clo_bytes pub, const clo_bytes *priv,
                             size_t n);
/* Open a reply sealed to the reply key (job id, secret, AEAD) kept at sealing. */
CLO_MUST_CHECK clo_err clo_reply_open(const uint8_t job_id[32], const uint8_t secret[32],
                                      uint16_t aead, clo_bytes reply, clo_buf *out);

#endif
