/* tee.h — TEE backends behind one interface (docs/architecture.md §2), trusted side.
 *
 *   sim  the simulated platform (attest/sim.h): TDX v4 quotes with MRTD = the
 *        launcher's measurement; the parts of the platform come in the INIT call.
 *        Platform sealing secret = HKDF(PCK private key, "cloister/sim/sealing").
 *   tdx, snp  Linux configfs-tsm: a report entry is made under the directory
 *        given at INIT (normally /sys/kernel/config/tsm/report), inblob written,
 *        provider and generation checked, outblob read, the entry removed.
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

typedef enum {
    CLO_BACKEND_SIM = 1,
    CLO_BACKEND_TDX = 2,
    CLO_BACKEND_SNP = 3,
    CLO_BACKEND_SGX = 4
} clo_backend;

/* Evidence formats (frame EVIDENCE). */
typedef enum {
    CLO_EVIDENCE_TDX_QUOTE = 1,
    CLO_EVIDENCE_SGX_QUOTE = 2,
    CLO_EVIDENCE_SNP_REPORT = 3
} clo_evidence_format;

typedef struct clo_tee clo_tee;

const char *clo_tee_name(clo_backend kind);
CLO_MUST_CHECK clo_err clo_tee_from_name(const char *name, clo_backend *out);

/* sim: parts are the CLO_SIM_PARTS platform files in clo_sim_part_names order.
 * tdx/snp/sgx: parts[0] is the directory path. measurement: 48 bytes (sim). */
CLO_MUST_CHECK clo_err clo_tee_open(clo_tee **out, clo_backend kind, const clo_bytes *parts,
                                    size_t count, const uint8_t measurement[48]);
void clo_tee_free(clo_tee *tee);
clo_backend clo_backend_of(const clo_tee *tee);
const uint8_t *clo_tee_measurement(const clo_tee *tee); /* 48 bytes */
/* Native evidence carrying report_data. */
CLO_MUST_CHECK clo_err clo_tee_evidence(clo_tee *tee, const uint8_t report_data[64], clo_buf *out,
                                        clo_evidence_format *format);
CLO_MUST_CHECK clo_err clo_tee_sealing_secret(clo_tee *tee, clo_secret32 *out);

#endif
