/* contracts.h — the one place the C code knows the contracts: their function,
 * event and error signatures (client/abi_gen.h, generated at build time from
 * the forge artifacts by scripts/gen-abi.mjs, never copied by hand) and typed
 * reads of the records the node, the CLI and the demo look at. */
#ifndef CLO_CLIENT_CONTRACTS_H
#define CLO_CLIENT_CONTRACTS_H

#include "chain/rpc.h"
#include "client/abi_gen.h"

/* EnclaveRegistry.Status */
enum { CLO_RECORD_NONE = 0, CLO_RECORD_ACTIVE = 1, CLO_RECORD_REVOKED = 2 };
/* JobMarket.State */
enum { CLO_MARKET_NONE = 0, CLO_MARKET_OPEN = 1, CLO_MARKET_SETTLED = 2 };

/* EnclaveRegistry.enclave(signer), and the HPKE key and evidence digest from
 * the record's one EnclaveRegistered event (the registry stores two slots). */
typedef struct {
    uint8_t operator_addr[20];
    uint64_t expiry;
    uint32_t epoch;
    uint8_t tee_type; /* clo_tee_kind */
    uint8_t status;   /* CLO_RECORD_* */
    uint8_t measurement[32], hpke_key[32], evidence_digest[32];
} clo_enclave_record;
CLO_MUST_CHECK clo_err clo_registry_enclave(clo_rpc *rpc, const uint8_t registry[20],
                                            const uint8_t signer[20], clo_enclave_record *out);

/* Whether signer's record is live at the chain's latest block: *why NULL if
 * it is active and unexpired, else one of the two reasons below. CLO_E_IO if
 * the chain cannot be read. */
extern const char clo_record_not_active[], clo_record_expired[];
CLO_MUST_CHECK clo_err clo_registry_record_live(clo_rpc *rpc, const uint8_t registry[20],
                                                const uint8_t signer[20], const char **why);

/* EnclaveRegistry.staggerSeconds(workload): governance's operator turn for
 * the workload's jobs (issue 21); 0: not set there. */
CLO_MUST_CHECK clo_err clo_registry_stagger(clo_rpc *rpc, const uint8_t registry[20],
                                            const uint8_t workload[32], uint32_t *out);

/* The registry's measurement: keccak256 of the platform's measurement bytes
 * (e.g. a 48-byte MRTD or SNP launch digest; evidence/measure.h composes them). */
void clo_registry_measurement_hash(clo_bytes platform, uint8_t out[32]);

/* The registry's evidence digest: keccak256 of the evidence bytes, as the
 * committee's EnclaveApproval carries it. */
void clo_registry_evidence_digest(clo_bytes evidence, uint8_t out[32]);

/* EnclaveRegistry.measurementAllowed(workload, measurement): 1 allowed, 0
 * not, -1 when the registry cannot be read. */
int clo_registry_measurement_allowed(clo_rpc *rpc, const uint8_t registry[20],
                                     const uint8_t workload[32], const uint8_t measurement[32]);

/* The gas of the transaction that emitted EnclaveRegistered(signer) (the
 * latest, if it registered more than once); CLO_E_STALE if none did. */
CLO_MUST_CHECK clo_err clo_registry_registration_gas(clo_rpc *rpc, const uint8_t registry[20],
                                                     const uint8_t signer[20], uint64_t *gas);

/* JobMarket.job(jobId), at `block` (CLO_ETH_LATEST: the latest). */
typedef struct {
    uint8_t requester[20], signer[20], spec[32];
    uint8_t state; /* CLO_MARKET_* */
    uint64_t deadline, settled_at;
} clo_market_job;
/* JobMarket.claims(id): who claimed the job and until when (zero: nobody). */
CLO_MUST_CHECK clo_err clo_market_claim_get(clo_rpc *rpc, const uint8_t market[20],
                                            const uint8_t job_id[32], uint8_t holder[20],
                                            uint64_t *until);
CLO_MUST_CHECK clo_err clo_market_job_get(clo_rpc *rpc, const uint8_t market[20],
                                          const uint8_t job_id[32], uint64_t block,
                                          clo_market_job *out);

/* Does the registry vouch that `pk` is the HPKE key of `signer`'s enclave for
 * `epoch`, its measurement allowed for `workload_id`, at time `now`? The key a
 * client seals to comes from the chain, never from a node's word (issue 15,
 * finding 2). CLO_OK; CLO_E_POLICY when it never will (the registry holds
 * another key, or the record is revoked); CLO_E_STALE when it does not yet
 * (no record, another epoch, not allowed, expired: a registration may be in
 * progress); CLO_E_IO when the registry cannot be read. `what` says why. */
CLO_MUST_CHECK clo_err clo_registry_vouches(clo_rpc *rpc, const uint8_t registry[20],
                                            const uint8_t signer[20], const uint8_t pk[32],
                                            uint32_t epoch, const uint8_t workload_id[32],
                                            uint64_t now);

/* JobSettled(jobId): the public and private outputs, and the settling
 * transaction's gas. Waits up to timeout_ms (CLO_E_STALE after it). */
#define CLO_SETTLED_MAX_PRIVATE 1024
typedef struct {
    clo_buf public_out;
    size_t count;
    clo_buf *private_out; /* count of them */
    uint8_t tx_hash[32];
    uint64_t gas_used;
} clo_settlement;
CLO_MUST_CHECK clo_err clo_market_wait_settled(clo_rpc *rpc, const uint8_t market[20],
                                               const uint8_t job_id[32], long timeout_ms,
                                               clo_settlement *out);
void clo_settlement_free(clo_settlement *s);

/* JobMarket.jobIdFor(requester, nonce) =
 * keccak256(abi.encode(chainId, market, requester, nonce)): a chain job's id. */
void clo_job_id_for(uint64_t chain_id, const uint8_t market[20], const uint8_t requester[20],
                    uint64_t nonce, uint8_t out[32]);

#endif
