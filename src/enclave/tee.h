/* tee.h — TEE backends behind one interface (docs/architecture.md §2), trusted side.
 *
 *   sim  the simulated platform (attest/sim.h): TDX v4 quotes with the measured
 *        launch emulated (attest/measure.h): MRTD = the simulated firmware,
 *        RTMR3 = the launcher's executable event, then the configuration event;
 *        the parts of the platform come in the INIT call.
 *        Platform sealing secret = HKDF(PCK private key, "cloister/sim/sealing").
 *   sim-snp  the same platform as SEV-SNP: reports signed by its VCEK, with
 *        MEASUREMENT = clo_sim_snp_measurement(the launcher's event) and
 *        HOST_DATA as the VMM would set it from the configuration; same
 *        sealing secret.
 *   tdx, snp  Linux configfs-tsm: a report entry is made under the directory
 *        given at INIT (normally /sys/kernel/config/tsm/report), inblob written,
 *        provider and generation checked, outblob read, the entry removed.
 *        tdx also takes the measurement-register directory (normally
 *        /sys/devices/virtual/misc/tdx_guest/measurements, Linux 6.16): the
 *        configuration event is written to rtmr3:sha384, which extends RTMR3.
 *        snp checks at INIT that its report's HOST_DATA is the configuration's.
 *        These platforms expose no sealing secret through configfs-tsm, so
 *        sealed state needs a key broker there (CLO_E_UNSUPPORTED for now).
 *   sgx  Gramine's /dev/attestation: user_report_data written, quote read;
 *        sealing secret = keys/_sgx_mrenclave (bound to the enclave measurement).
 * The directory is opened once at INIT; later evidence calls work relative to
 * that descriptor (the seccomp filter allows *at() calls for these backends). */
#ifndef CLO_ENCLAVE_TEE_H
#define CLO_ENCLAVE_TEE_H

#include "base/bytes.h"
#include "base/secret.h"
#include "base/teekind.h"
#include "evidence/sim.h"
#include "wire/proto.h"

typedef struct clo_tee clo_tee;

/* sim: parts are the CLO_SIM_PARTS platform files in clo_sim_part_names order.
 * tdx: parts are the report and measurement-register directories; snp/sgx:
 * parts[0] is the directory. exe_event: the launcher's executable event
 * (attest/measure.h). */
CLO_MUST_CHECK clo_err clo_tee_open(clo_tee **out, clo_tee_kind kind, const clo_bytes *parts,
                                    size_t count, const uint8_t exe_event[48]);
/* Measure the configuration the enclave was INITed with (attest/measure.h),
 * before any key exists; sets the enclave measurement (RTMR3's expected value). */
CLO_MUST_CHECK clo_err clo_tee_bind_config(clo_tee *tee, const uint8_t config_event[48]);
void clo_tee_free(clo_tee *tee);
clo_tee_kind clo_tee_kind_of(const clo_tee *tee);
/* 48 bytes: RTMR3 as the measured launch makes it (sealing-key salt, HELLO). */
const uint8_t *clo_tee_measurement(const clo_tee *tee);
/* Native evidence carrying report_data. */
CLO_MUST_CHECK clo_err clo_tee_evidence(clo_tee *tee, const uint8_t report_data[64], clo_buf *out,
                                        clo_evidence_format *format);
CLO_MUST_CHECK clo_err clo_tee_sealing_secret(clo_tee *tee, clo_secret32 *out);
/* The simulated platform's parts (sim, sim-snp); NULL on real hardware. */
const clo_sim *clo_tee_sim(const clo_tee *tee);

#endif
