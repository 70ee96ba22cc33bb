/* dcap.h — the C side of the on-chain DCAP verifier (contracts/src/Dcap*.sol,
 * issue 18; docs/attestation.md "On chain"): its contracts, found from the
 * registry; Intel's collateral uploaded (tier 1); a machine's attestation key
 * registered (tier 2); an enclave registered with its own quote, no committee
 * (tier 3). Tiers 2 and 3 are built as calldata, so cloisterd can send them
 * through its transaction journal (host/chaintx.h) like any other. */
#ifndef CLO_CLIENT_DCAP_H
#define CLO_CLIENT_DCAP_H

#include "chain/rpc.h"
#include "client/deploy.h"

typedef struct {
    uint8_t verifier[20], collateral[20], pki[20];
} clo_dcap_chain;

/* registry.dcapVerifier(), its collateral() and that one's pki(). CLO_E_STATE
 * "the registry has no on-chain verifier" before governance set one. */
CLO_MUST_CHECK clo_err clo_dcap_chain_of(clo_rpc *rpc, const uint8_t registry[20],
                                         clo_dcap_chain *out);

/* Deploy DcapPki pinned to root_der's key (simulated: a devnet's simulated
 * root, whose quotes are debug enclaves and register as the simulated TEE),
 * DcapCollateral and DcapVerifier, then EnclaveRegistry.setOnChainAttestation
 * for tee_type, accepting the TCB statuses of the bitmask `statuses` (bit
 * TcbInfo status) and pinning RTMR3 in TDX measurements. The deployer must own
 * the registry. */
CLO_MUST_CHECK clo_err clo_dcap_deploy(clo_deployer *d, const uint8_t registry[20],
                                       clo_bytes root_der, int simulated, uint8_t tee_type,
                                       uint64_t statuses, clo_dcap_chain *out);

/* The CA and root certificates (DER) of a quote's PCK chain. */
CLO_MUST_CHECK clo_err clo_dcap_quote_chain(clo_bytes quote, clo_buf *ca, clo_buf *root);

/* Tier 1's inputs: the root and a PCK CA certificate (DER), the PCS TCB Info
 * and QE Identity responses (JSON, as Intel serves them) and the TCB Signing
 * chain (PEM, the signing certificate first). */
typedef struct {
    clo_bytes root, ca, tcb_info, qe_identity, tcb_chain_pem;
} clo_dcap_collateral_in;

/* One transaction: to, calldata, and what it is (for logs and errors). */
typedef struct {
    uint8_t to[20];
    clo_buf data;
    const char *what;
} clo_dcap_tx;
#define CLO_DCAP_UPLOAD_MAX 4

/* Tier 1's transactions, skipping what the chain holds: setRoot unless a root
 * is set, addCa, addTcbInfo and addQeIdentity unless the very ones are held
 * (holdsCa, holdsTcbInfo, holdsQeIdentity). Anyone may send them,
 * in order. Free with clo_dcap_txs_free. */
CLO_MUST_CHECK clo_err clo_dcap_upload_txs(clo_rpc *rpc, const clo_dcap_chain *c,
                                           const clo_dcap_collateral_in *in,
                                           clo_dcap_tx txs[CLO_DCAP_UPLOAD_MAX], size_t *n);
void clo_dcap_txs_free(clo_dcap_tx *txs, size_t n);
/* The same, sent from the deployer's key; *sent of them went in. */
CLO_MUST_CHECK clo_err clo_dcap_upload(clo_deployer *d, const clo_dcap_chain *c,
                                       const clo_dcap_collateral_in *in, size_t *sent);

/* Tier 2: DcapVerifier.registerPlatform's calldata for the machine that
 * signed `quote`, with the compact TCB Info and QE Identity read from the
 * collateral contract's own views of the PCS responses. */
CLO_MUST_CHECK clo_err clo_dcap_platform_calldata(clo_rpc *rpc, const clo_dcap_chain *c,
                                                  clo_bytes quote, clo_bytes tcb_info,
                                                  clo_bytes qe_identity, clo_buf *out);

/* Whether DcapVerifier.checkEnclave passes for `quote` now: CLO_OK with the
 * platform record's expiry in *valid_until (a record may not outlive it), else
 * CLO_E_POLICY with the verifier's error in why (UnknownPlatform(...),
 * PlatformExpired(...), DebugEnclave() ...). */
CLO_MUST_CHECK clo_err clo_dcap_check_enclave(clo_rpc *rpc, const clo_dcap_chain *c,
                                              clo_bytes quote, uint64_t *valid_until, char *why,
                                              size_t cap);

/* The gas of the latest machine registration (PlatformRegistered) on this
 * verifier: CLO_E_STALE if there is none. */
CLO_MUST_CHECK clo_err clo_dcap_platform_gas(clo_rpc *rpc, const clo_dcap_chain *c, uint64_t *gas);

/* Tier 3: EnclaveRegistry.registerAttested's calldata, or rotateAttested's
 * when previous (the sender's active record of an earlier epoch) is given.
 * The quote's report data must bind these keys to the sender
 * (evidence/binding.h). */
typedef struct {
    const uint8_t *previous; /* NULL: a first registration */
    uint8_t signer[20], hpke_pk[32], nonce[32];
    uint32_t epoch;
    uint64_t expiry;
    clo_bytes quote;
} clo_dcap_attested;
CLO_MUST_CHECK clo_err clo_dcap_attested_calldata(const clo_dcap_attested *a, clo_buf *out);

#endif
