/* ticket.h — the JobTicket: who vouches that a job id names exactly this input
 * set (issue 15, finding 1; docs/formats.md §3.2). EIP-712 typed data under
 * JobMarket's domain (name "Cloister", version "1", chainId, JobMarket):
 *
 *   JobTicket(bytes32 jobId,bytes32 spec,uint64 deadline,uint64 issuedAt,
 *             address requester,bytes32 clientNonce)
 *
 *   spec = keccak256(abi.encode(workloadId, configHash, inputHash, consumer)),
 *          exactly JobMarket's Job.spec, so a verifier compares it with the chain.
 *
 * Two kinds, told apart by requester:
 *   - committee ticket (chain jobs): requester = 0, clientNonce = 0; each of at
 *     least `threshold` committee members signs it with its own issuedAt (its
 *     clock), after reading the job from the chain at finality;
 *   - requester ticket (API jobs): signed by `requester`, and the job id must
 *     be clo_ticket_api_job_id(chain, market, requester, clientNonce), so only
 *     the holder of that key can commit an input set to that id.
 * Shared by the enclave (checks), the verifier (signs) and clients (sign). */
#ifndef CLO_WIRE_TICKET_H
#define CLO_WIRE_TICKET_H

#include "base/bytes.h"
#include "base/secret.h"

#define CLO_TICKET_TYPE                                                                            \
    "JobTicket(bytes32 jobId,bytes32 spec,uint64 deadline,uint64 issuedAt,address requester,"      \
    "bytes32 clientNonce)"
#define CLO_COMMITTEE_MAX 16

typedef struct {
    uint8_t job_id[32], spec[32];
    uint64_t deadline, issued_at;
    uint8_t requester[20], client_nonce[32];
} clo_ticket;

/* The committee an enclave trusts for tickets: part of its configuration, so
 * of its measurement (docs/attestation.md). */
typedef struct {
    uint8_t threshold;
    size_t count;
    uint8_t members[CLO_COMMITTEE_MAX][20];
} clo_committee;

/* keccak256(abi.encode(workloadId, configHash, inputHash, consumer)). */
void clo_ticket_spec(const uint8_t workload_id[32], const uint8_t config_hash[32],
                     const uint8_t input_hash[32], const uint8_t consumer[20], uint8_t out[32]);
/* keccak256(abi.encode(chainId, market, address(0), requester, clientNonce)):
 * five words, so never a chain job's id (JobMarket.jobIdFor hashes four). */
void clo_ticket_api_job_id(uint64_t chain_id, const uint8_t market[20], const uint8_t requester[20],
                           const uint8_t client_nonce[32], uint8_t out[32]);
/* The EIP-712 digest a ticket signer signs. */
void clo_ticket_digest(const clo_ticket *t, uint64_t chain_id, const uint8_t market[20],
                       uint8_t out[32]);
CLO_MUST_CHECK clo_err clo_ticket_sign(const clo_ticket *t, uint64_t chain_id,
                                       const uint8_t market[20], const clo_secret32 *sk,
                                       uint8_t sig[65]);
/* The address that signed this ticket (sig: r || s || v, v in {27, 28}). */
CLO_MUST_CHECK clo_err clo_ticket_signer(const clo_ticket *t, uint64_t chain_id,
                                         const uint8_t market[20], const uint8_t sig[65],
                                         uint8_t signer[20]);
/* keccak256 over u8 threshold | u8 n | n x member: what the measurement binds.
 * Members must be strictly ascending (one order, one hash). */
CLO_MUST_CHECK clo_err clo_committee_hash(const clo_committee *c, uint8_t out[32]);

#endif
