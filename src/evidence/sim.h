/* sim.h — the simulated TEE platform, with protocol parity (docs/architecture.md §3): a
 * PKI shaped like Intel's (root CA -> PCK CA -> PCK certificate with the SGX
 * extension; root -> TCB Signing), collateral in Intel's formats (TCB Info v3
 * for TDX, TD QE Identity v2, PCK and root CRLs), and TDX v4 quotes built like
 * real ones (QE report signed by the PCK key and binding the attestation key,
 * PEM chain in certification data type 6/5). The TD DEBUG attribute is always
 * set, so a production policy rejects these quotes even under a trusted root.
 *
 * Beside it, a PKI shaped like AMD's (ARK -> ASK -> VCEK, the VCEK with AMD's
 * productName, TCB and hwID extensions) and SEV-SNP attestation reports signed
 * by the VCEK (ECDSA P-384, AMD's layout), for the sim-snp backend. The
 * simulated ARK and ASK sign with ECDSA P-384 where AMD's use RSA-PSS: the
 * verifier's chain check does not depend on the algorithm. The guest policy's
 * DEBUG bit is always set.
 *
 * Only the trust anchor differs from real hardware; the same verifier checks
 * them. No file I/O here: the CLI saves and loads the parts. */
#ifndef CLO_EVIDENCE_SIM_H
#define CLO_EVIDENCE_SIM_H

#include "crypto/sig.h"
#include "crypto/x509.h"

typedef struct {
    clo_ec_key *root_key, *ca_key, *pck_key, *tcb_key, *att_key;
    clo_x509 *root, *ca, *pck, *tcb;
    clo_ec_key *ark_key, *ask_key, *vcek_key; /* the AMD-shaped half */
    clo_x509 *ark, *ask, *vcek;
} clo_sim;

/* The parts, by file name (keys are PKCS#8 DER, certificates DER). */
#define CLO_SIM_PARTS 15
extern const char *const clo_sim_part_names[CLO_SIM_PARTS];

/* A new platform whose certificates are valid from `now` - 1 day for 10 years. */
CLO_MUST_CHECK clo_err clo_sim_create(clo_sim *sim, int64_t now);
void clo_sim_free(clo_sim *sim);
/* Serialise / restore part i (0 <= i < CLO_SIM_PARTS). Keys are secret. */
CLO_MUST_CHECK clo_err clo_sim_save_part(const clo_sim *sim, size_t i, clo_buf *out);
CLO_MUST_CHECK clo_err clo_sim_load_part(clo_sim *sim, size_t i, clo_bytes in);
/* Whether part i is a private key (saved 0600). */
int clo_sim_part_is_secret(size_t i);

/* Collateral files current at `now` (valid 30 days), by name. */
#define CLO_SIM_COLLATERAL 6
extern const char *const clo_sim_collateral_names[CLO_SIM_COLLATERAL];
CLO_MUST_CHECK clo_err clo_sim_collateral(const clo_sim *sim, int64_t now, size_t i, clo_buf *out);

typedef struct {
    uint8_t report_data[64];
    uint8_t mrtd[48];
    uint8_t rtmr[4][48];
} clo_sim_quote_params;

/* A TDX v4 quote for these measurements and report data. */
CLO_MUST_CHECK clo_err clo_sim_quote(const clo_sim *sim, const clo_sim_quote_params *p,
                                     clo_buf *out);

typedef struct {
    uint8_t report_data[64];
    uint8_t measurement[48];
    uint8_t host_data[32];
} clo_sim_snp_params;

/* An SEV-SNP attestation report (version 2, 1184 bytes) signed by the VCEK, for
 * its chip and reported TCB. */
CLO_MUST_CHECK clo_err clo_sim_snp_report(const clo_sim *sim, const clo_sim_snp_params *p,
                                          clo_buf *out);
/* The simulated launch image's MEASUREMENT: SHA-384 over a label and the
 * launcher's executable event (the executable is in the image, as on SNP). */
CLO_MUST_CHECK clo_err clo_sim_snp_measurement(const uint8_t exe_event[48], uint8_t out[48]);

#endif
