/* devnet.h — what a local development chain adds to a client: test ether,
 * moving its clock, and the simulated TEE (evidence/sim.h: its platform,
 * collateral and quotes) with the measurement the registry records for a
 * simulated enclave. anvil's cheat calls; never on a real chain. */
#ifndef CLO_CLIENT_DEVNET_H
#define CLO_CLIENT_DEVNET_H

#include "chain/rpc.h"
#include "evidence/sim.h"

/* anvil_setBalance(addr, wei: 32 bytes big-endian). */
CLO_MUST_CHECK clo_err clo_devnet_fund(clo_rpc *rpc, const uint8_t addr[20], const uint8_t wei[32]);
/* evm_increaseTime(seconds), then evm_mine: the next block is that much later. */
CLO_MUST_CHECK clo_err clo_devnet_advance(clo_rpc *rpc, uint64_t seconds);
/* The registry's measurement of a simulated (TDX-format) enclave whose RTMR3
 * is rtmr3: keccak256(simulated MRTD || RTMR3), as the verifiers register it
 * (evidence/measure.h). */
CLO_MUST_CHECK clo_err clo_devnet_sim_measurement(const uint8_t rtmr3[48], uint8_t out[32]);
/* The registry's measurement of an SEV-SNP enclave from one of its reports:
 * keccak256(MEASUREMENT || HOST_DATA), as a verifier enclave approves it. */
CLO_MUST_CHECK clo_err clo_devnet_snp_measurement(clo_bytes report, uint8_t out[32]);
/* The role a verifier enclave's measurement is allowed for
 * (EnclaveRegistry.ATTEST_SNP = keccak256("cloister/workload/attest-snp")). */
#define CLO_ROLE_ATTEST_SNP "attest-snp"

#endif
