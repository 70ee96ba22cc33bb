/* measure.h — what names the enclave's code and configuration on TDX and SNP,
 * and in the simulated TEE (docs/formats.md §4.1; issue 15, finding 4).
 *
 * MRTD measures the TD firmware and SNP's MEASUREMENT the launch image, not
 * the cloister-enclave process that runs inside the guest. So the launch is
 * measured into RTMR3, two events in this order:
 *   executable = SHA-384("cloister/rtmr3/executable/v1" || SHA-384(executable))
 *       extended by the launcher before it executes that very descriptor;
 *   config     = SHA-384("cloister/rtmr3/config/v1" || u64be chain id ||
 *                        JobMarket[20] || registry[20] || committee hash[32])
 *       extended by the enclave at INIT, from the INIT it accepted, before it
 *       makes any key.
 *   RTMR3 = SHA-384(SHA-384(0^48 || executable) || config)
 * SNP has no runtime register: the VMM sets HOST_DATA at launch to
 *   SHA-256("cloister/snp/host_data/v1" || config)
 * and the enclave refuses INIT when its own report says otherwise; the
 * executable is in the launch image, so in MEASUREMENT.
 * The simulated TEE emulates TDX: MRTD = SHA-384("cloister/sim/mrtd/v1"),
 * RTMR0..2 zero, RTMR3 as above.
 *
 * The registered measurement (EnclaveRegistry, EnclaveApproval) is keccak256
 * over the identity fields the verifier's policy pins, in a fixed order:
 *   tdx  MRTD || RTMRi for each pinned i ascending   (MRTD and RTMR3 required)
 *   snp  MEASUREMENT || HOST_DATA                     (both required)
 *   sgx  MRENCLAVE */
#ifndef CLO_EVIDENCE_MEASURE_H
#define CLO_EVIDENCE_MEASURE_H

#include "base/bytes.h"

#define CLO_MEASURE_RTMR 3 /* the RTMR the launch events go to */

CLO_MUST_CHECK clo_err clo_measure_exe_event(const uint8_t exe_sha384[48], uint8_t event[48]);
CLO_MUST_CHECK clo_err clo_measure_config_event(uint64_t chain_id, const uint8_t market[20],
                                                const uint8_t registry[20],
                                                const uint8_t committee_hash[32],
                                                uint8_t event[48]);
/* rtmr = SHA-384(rtmr || event), as TDG.MR.RTMR.EXTEND does. */
CLO_MUST_CHECK clo_err clo_rtmr_extend(uint8_t rtmr[48], const uint8_t event[48]);
/* RTMR3 after both launch events, from zero. */
CLO_MUST_CHECK clo_err clo_measure_rtmr3(const uint8_t exe_event[48],
                                         const uint8_t config_event[48], uint8_t out[48]);
/* Extend RTMR3 through a tdx_guest measurements directory (Linux 6.16:
 * rtmr3:sha384): the launcher's executable event, the enclave's config event. */
CLO_MUST_CHECK clo_err clo_measure_rtmr_extend_at(int mrfd, const uint8_t event[48]);
CLO_MUST_CHECK clo_err clo_measure_snp_host_data(const uint8_t config_event[48], uint8_t out[32]);
CLO_MUST_CHECK clo_err clo_measure_sim_mrtd(uint8_t out[48]);

/* Registered TDX measurement; rtmr_pins: bit i set when RTMRi is pinned. */
void clo_measure_registered_tdx(const uint8_t mrtd[48], const uint8_t rtmr[4][48],
                                unsigned rtmr_pins, uint8_t out[32]);
void clo_measure_registered_snp(const uint8_t measurement[48], const uint8_t host_data[32],
                                uint8_t out[32]);

#endif
