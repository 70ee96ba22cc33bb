/* verifier.h — the committee verifier's HTTP service (`cloister verifier
 * serve`, docs/operations.md): a node asks for a fresh nonce, has its enclave
 * attest over it, and posts the evidence; the service decides with
 * clo_approve and answers with a signed EnclaveApproval.
 *
 *   GET  /v1/challenge  -> {"nonce": hex32, "expires_in": seconds}
 *   POST /v1/approve    {"challenges", "evidence", "signer", "hpke_public_key",
 *                        "epoch", "operator", "expiry"}
 *                       -> 200 {"approval": {...}, "signature": 0x.., "verifier": 0x..}
 *                          422 {"code", "detail", "verdict"} when it refuses
 *   POST /v1/ticket     {"job_id", "workload_id", "config_hash", "input_hash", "consumer"}
 *                       -> 200 {"ticket": {...}, "signature": 0x.., "verifier": 0x..}
 *                          409 {"code": "not_final"|"not_open", ...}, 422 {"code": "spec"}
 *   POST /v1/state/record {"lineage", "version", "signature"}   (wire/witness.h)
 *                       -> 200 {"version", "signature" (StateRecorded), "verifier"}
 *                          409 {"code": "stale", "recorded"} below the record,
 *                          422 {"code": "signature"} not the lineage key's StateExport
 *   POST /v1/state/latest {"lineage", "nonce"}
 *                       -> 200 {"version" (0: none), "signature" (StateLatest), "verifier"}
 *   GET  /healthz
 * A nonce is good once, for CLO_VERIFIER_NONCE_SECONDS.
 *
 * Tickets (wire/ticket.h): the verifier reads JobMarket.job(jobId) at the
 * block `confirmations` below the head, and signs a JobTicket only for a job
 * that is open there, whose spec is keccak256(abi.encode(workload, model,
 * input hash, consumer)) of the request, with issuedAt = that block's
 * timestamp: the chain's time at finality, which the host cannot move.
 *
 * A committee must sign one identical approval, so all its members see the
 * same evidence: its nonce is the committee nonce (clo_approval_nonce), and
 * each member checks that one of its challenges is a live one of its own. */
#ifndef CLO_COMMITTEE_VERIFIER_H
#define CLO_COMMITTEE_VERIFIER_H

#include "wire/ticket.h"
#include "committee/approve.h"

#define CLO_VERIFIER_NONCE_SECONDS  300
#define CLO_VERIFIER_MAX_NONCES     1024
#define CLO_VERIFIER_MAX_CHALLENGES CLO_APPROVAL_MAX_CHALLENGES

typedef struct {
    uint8_t ch[CLO_VERIFIER_MAX_CHALLENGES][32];
    size_t n;
} clo_challenges;

/* The body of POST /v1/approve, read strictly (chain/jsonread.h; untrusted
 * input, fuzzed by fuzz/approve_req_fuzz.c): a filled r (r->evidence views
 * ev; r->nonce is left for the caller), or CLO_E_FORMAT naming the member. */
CLO_MUST_CHECK clo_err clo_approve_req_parse(clo_bytes body, clo_approve_req *r, clo_buf *ev,
                                             clo_challenges *ch);

/* The body of POST /v1/ticket, read strictly (fuzzed with the approval
 * request): a ticket with job_id and spec set, or the refusal. */
CLO_MUST_CHECK clo_err clo_ticket_req_parse(clo_bytes body, clo_ticket *t);

/* The bodies of POST /v1/state/record and /v1/state/latest, read strictly
 * (fuzzed with the approval request). */
CLO_MUST_CHECK clo_err clo_state_record_req_parse(clo_bytes body, uint8_t lineage[20],
                                                  uint64_t *version, uint8_t sig[65]);
CLO_MUST_CHECK clo_err clo_state_latest_req_parse(clo_bytes body, uint8_t lineage[20],
                                                  uint8_t nonce[32]);

/* The verifier's duties beside approvals: tickets, read from rpc_url at
 * `confirmations` ("" serves none), and state records kept in the SQLite file
 * state_path (NULL keeps none). market names the EIP-712 domain of both. */
typedef struct {
    const char *rpc_url;
    uint8_t market[20];
    uint32_t confirmations;
    const char *state_path;
} clo_verifier_chain;

typedef struct clo_verifier_srv clo_verifier_srv;

/* v is copied (its pointers must outlive the service; v->now is ignored: the
 * service uses the clock). */
CLO_MUST_CHECK clo_err clo_verifier_start(clo_verifier_srv **out, const clo_approver *v,
                                          const clo_verifier_chain *chain, const clo_secret32 *key,
                                          const char *address, uint16_t port);
uint16_t clo_verifier_port(const clo_verifier_srv *s);
void clo_verifier_stop(clo_verifier_srv *s);

#endif
