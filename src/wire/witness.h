/* witness.h — the committee witnesses the sealed state's version, so a host
 * cannot roll the enclave back (issue 15, "no rollback"; docs/formats.md §4.2).
 *
 * Each sealed state belongs to a lineage: the Ethereum address of a secp256k1
 * key made with the enclave's first state and kept in it. Every EXPORT raises
 * the state's version and is signed by the lineage key. Three EIP-712 types,
 * under JobMarket's domain (name "Cloister", version "1", chainId, JobMarket):
 *
 *   StateExport(address lineage,uint64 version)         by the lineage key
 *   StateRecorded(address lineage,uint64 version)       by a committee member
 *       that stored it: its record only grows, and it refuses a lower version
 *   StateLatest(address lineage,uint64 version,bytes32 nonce)
 *       by a committee member: the highest version it holds, over the
 *       enclave's fresh nonce
 *
 * The enclave takes a WITNESS of `threshold` members' StateRecorded for its
 * last export, and imports a state only with StateLatest reports over its own
 * nonce from every member, none of which is above the state's version: the
 * committee's assumption is that fewer than `threshold` members side with the
 * host, and a recording set of `threshold` then holds an honest member that
 * only a report from every member is sure to include. Shared by the enclave (checks), the verifier
 * (signs) and the host (relays). */
#ifndef CLO_WIRE_WITNESS_H
#define CLO_WIRE_WITNESS_H

#include "base/bytes.h"
#include "base/secret.h"
#include "wire/ticket.h"

#define CLO_STATE_EXPORT_TYPE   "StateExport(address lineage,uint64 version)"
#define CLO_STATE_RECORDED_TYPE "StateRecorded(address lineage,uint64 version)"
#define CLO_STATE_LATEST_TYPE   "StateLatest(address lineage,uint64 version,bytes32 nonce)"

typedef enum { CLO_STATE_EXPORT, CLO_STATE_RECORDED, CLO_STATE_LATEST } clo_state_msg;

/* The EIP-712 digest of one message (nonce only for CLO_STATE_LATEST). */
void clo_state_digest(clo_state_msg kind, const uint8_t lineage[20], uint64_t version,
                      const uint8_t nonce[32], uint64_t chain_id, const uint8_t market[20],
                      uint8_t out[32]);

/* A sealed state's clear header, the AEAD's associated data (docs/formats.md §4):
 *   u8 format | u8 backend | measurement[48] | lineage[20] | u64 version | nonce[12]
 * It names the lineage and version in clear, so the host can ask the
 * committee about a state before the enclave opens it. */
#define CLO_STATE_FORMAT      4
#define CLO_STATE_HEADER_SIZE 90
typedef struct {
    uint8_t format, backend; /* backend: clo_tee_kind */
    uint8_t measurement[48], lineage[20];
    uint64_t version;
    uint8_t nonce[12];
} clo_state_header;
void clo_state_header_encode(const clo_state_header *h, uint8_t out[CLO_STATE_HEADER_SIZE]);
/* The header at the start of a sealed state (only its length is checked). */
CLO_MUST_CHECK clo_err clo_state_header_decode(clo_bytes state, clo_state_header *out);

/* Members whose reports a restarted enclave needs: all of them (see above). */
size_t clo_state_read_quorum(const clo_committee *c);

/* The committee member that signed this digest, as its index in c, or
 * CLO_E_AUTH naming `what` (not a member, or a bad signature). */
CLO_MUST_CHECK clo_err clo_committee_signer(const clo_committee *c, const uint8_t digest[32],
                                            const uint8_t sig[65], const char *what,
                                            size_t *member);

#endif
