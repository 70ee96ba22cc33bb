/* envelope.h — Cloister request/response envelopes over HPKE (docs/formats.md §1).
 *
 * Wire v1, big-endian. Request (kind 1) and reply-to (kind 3):
 *   u8 version=1 | u8 kind | u16 kem | u16 kdf | u16 aead | u32 epoch | enc[32] | u32 ct_len | ct
 * Reply (kind 2):
 *   u8 version=1 | u8 kind=2 | u16 aead | nonce[12] | u32 ct_len | ct
 * The header (everything before ct) is the AEAD's associated data. The HPKE info
 * binds domain, chain id, contract, job id, workload id and epoch, so an envelope
 * opens only in the job, contract, chain and key epoch it was made for.
 *
 * Errors: a header that does not parse is CLO_E_FORMAT / CLO_E_VERSION /
 * CLO_E_UNSUPPORTED / CLO_E_LIMIT with the field named; once the header parses,
 * every failure is CLO_E_AUTH and the payload output is wiped. Other versions
 * are rejected, never guessed; a layout change is a new version. */
#ifndef CLO_CRYPTO_ENVELOPE_H
#define CLO_CRYPTO_ENVELOPE_H

#include "base/bytes.h"
#include "crypto/hpke.h"

#define CLO_ENVELOPE_VERSION             1
#define CLO_ENVELOPE_KIND_REQUEST        1
#define CLO_ENVELOPE_KIND_REPLY          2
#define CLO_ENVELOPE_KIND_REPLY_TO       3
#define CLO_ENVELOPE_KIND_STREAM         4
#define CLO_ENVELOPE_MAX_PAYLOAD         ((size_t)16 << 20)
#define CLO_ENVELOPE_REQUEST_HEADER_SIZE 48
#define CLO_ENVELOPE_REPLY_HEADER_SIZE   20
#define CLO_ENVELOPE_MAX_SIZE                                                                      \
    (CLO_ENVELOPE_REQUEST_HEADER_SIZE + CLO_ENVELOPE_MAX_PAYLOAD + CLO_HPKE_TAG_SIZE)

/* What an envelope is bound to; never on the wire, always from the caller's context. */
typedef struct {
    uint64_t chain_id;
    uint8_t contract[20];
    uint8_t job_id[32];
    uint8_t workload_id[32];
    uint32_t epoch;
} clo_envelope_binding;

/* Secret shared by requester and enclave after a request; it seals and opens the
 * reply. Wipe with clo_envelope_reply_key_wipe. */
typedef struct {
    uint8_t secret[32];
    uint8_t job_id[32];
    uint16_t aead;
} clo_envelope_reply_key;

typedef struct {
    uint8_t version, kind;
    clo_hpke_suite suite; /* kem and kdf are 0 for kind 2 */
    uint32_t epoch;       /* 0 for kind 2 */
    size_t ct_size;
} clo_envelope_header;

/* Parse and check the header of any envelope kind (no keys needed). */
CLO_MUST_CHECK clo_err clo_envelope_parse_header(clo_bytes env, clo_envelope_header *out);

/* Seal a request to the enclave epoch key pk; appends the envelope to out and,
 * if reply_key is not NULL, derives the key that will open the reply. */
CLO_MUST_CHECK clo_err clo_envelope_request_seal(clo_buf *out, clo_envelope_reply_key *reply_key,
                                                 const clo_envelope_binding *b,
                                                 clo_hpke_suite suite,
                                                 const uint8_t pk[CLO_HPKE_PK_SIZE],
                                                 clo_bytes payload);
/* Open a request with the enclave epoch key; appends the payload to out. */
CLO_MUST_CHECK clo_err clo_envelope_request_open(clo_buf *out, clo_envelope_reply_key *reply_key,
                                                 const clo_envelope_binding *b,
                                                 const clo_x25519_key *sk, clo_bytes env);

/* Reply under the request's exporter secret. Deterministic: the nonce is a MAC of
 * the payload under a key derived from the exporter and job id, so the same
 * payload for the same request always gives the same bytes, and two different
 * payloads never share a nonce. */
CLO_MUST_CHECK clo_err clo_envelope_reply_seal(clo_buf *out, const clo_envelope_reply_key *rk,
                                               clo_bytes payload);
CLO_MUST_CHECK clo_err clo_envelope_reply_open(clo_buf *out, const clo_envelope_reply_key *rk,
                                               clo_bytes env);

/* Reply sealed to a recipient's X25519 key (HPKE base mode). Deterministic too:
 * the ephemeral key is derived from the enclave key `sk`, the binding, the
 * recipient and the payload, so only the enclave can compute it. */
CLO_MUST_CHECK clo_err clo_envelope_reply_seal_to(clo_buf *out, const clo_x25519_key *sk,
                                                  const clo_envelope_binding *b,
                                                  clo_hpke_suite suite,
                                                  const uint8_t recipient_pk[CLO_HPKE_PK_SIZE],
                                                  clo_bytes payload);
CLO_MUST_CHECK clo_err clo_envelope_reply_open_as(clo_buf *out, const clo_x25519_key *recipient,
                                                  const clo_envelope_binding *b, clo_bytes env);

void clo_envelope_reply_key_wipe(clo_envelope_reply_key *rk);

/* Streams (kind 4): a payload too large for one envelope (a model), sealed in
 * chunks under one HPKE context so that neither side holds it whole twice.
 *   header: u8 version=1 | u8 kind=4 | u16 kem | u16 kdf | u16 aead | u32 epoch
 *           | enc[32] | u64 size | u32 chunk_size                      (56 bytes)
 *   chunk i (0..count-1): Seal(aad = header || u32 i, the payload's bytes
 *           [i*chunk_size, min(size, (i+1)*chunk_size)))
 * count = ceil(size / chunk_size). The HPKE info is the binding's under domain
 * "cloister/v1/stream". The header is in every chunk's AAD and the HPKE
 * sequence number orders the chunks, so a chunk that is dropped, repeated,
 * reordered, cut short or taken from another stream does not open, and the
 * stream ends only where the sealed size says. */
#define CLO_ENVELOPE_STREAM_HEADER_SIZE 56
#define CLO_ENVELOPE_STREAM_MAX_SIZE    ((uint64_t)1 << 30)
#define CLO_ENVELOPE_STREAM_MIN_CHUNK   ((uint32_t)4 << 10)
#define CLO_ENVELOPE_STREAM_MAX_CHUNK   ((uint32_t)4 << 20)

/* Caller-allocated; holds the HPKE context: clo_envelope_stream_wipe it. */
typedef struct {
    clo_hpke_ctx hpke;
    uint8_t header[CLO_ENVELOPE_STREAM_HEADER_SIZE];
    uint32_t epoch, chunk_size, count, next; /* next: the chunk index to seal or open */
    uint64_t size;
} clo_envelope_stream;

/* The header's fields, checked (no keys needed): size 1..MAX_SIZE, chunk_size
 * MIN_CHUNK..MAX_CHUNK, a sealing suite. */
CLO_MUST_CHECK clo_err clo_envelope_stream_parse_header(clo_bytes header, clo_envelope_stream *out);
/* Plaintext bytes in chunk `index` (0 past the end). */
size_t clo_envelope_stream_chunk_len(const clo_envelope_stream *s, uint32_t index);

CLO_MUST_CHECK clo_err clo_envelope_stream_seal_init(clo_envelope_stream *s,
                                                     const clo_envelope_binding *b,
                                                     clo_hpke_suite suite,
                                                     const uint8_t pk[CLO_HPKE_PK_SIZE],
                                                     uint64_t size, uint32_t chunk_size);
/* Seal the next chunk: pt.len must be its length; appends pt.len + 16 bytes. */
CLO_MUST_CHECK clo_err clo_envelope_stream_seal_chunk(clo_envelope_stream *s, clo_bytes pt,
                                                      clo_buf *out);
/* CLO_E_FORMAT/VERSION/UNSUPPORTED/LIMIT for a header that does not parse;
 * CLO_E_AUTH for one that does not set up under sk and the binding. */
CLO_MUST_CHECK clo_err clo_envelope_stream_open_init(clo_envelope_stream *s,
                                                     const clo_envelope_binding *b,
                                                     const clo_x25519_key *sk, clo_bytes header);
/* Open the next chunk into out (its chunk_len bytes). CLO_E_AUTH, out wiped,
 * for a chunk that does not open as the next one; CLO_E_STATE past the end. */
CLO_MUST_CHECK clo_err clo_envelope_stream_open_chunk(clo_envelope_stream *s, clo_bytes ct,
                                                      uint8_t *out);
void clo_envelope_stream_wipe(clo_envelope_stream *s);

#endif
