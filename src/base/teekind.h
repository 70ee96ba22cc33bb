/* teekind.h — the kinds of TEE, numbered once for the enclave's backends, the
 * INIT and HELLO calls (docs/formats.md §3) and EnclaveRegistry's teeType. */
#ifndef CLO_BASE_TEEKIND_H
#define CLO_BASE_TEEKIND_H

#include "base/err.h"

typedef enum {
    CLO_TEE_SIM = 1, /* the simulated platform (attest/sim.h) */
    CLO_TEE_TDX = 2,
    CLO_TEE_SNP = 3,
    CLO_TEE_SGX = 4,
    /* A backend only, never a teeType: the simulated platform producing SEV-SNP
     * reports (evidence/sim.h); its records are SNP's. */
    CLO_TEE_SIM_SNP = 5,
} clo_tee_kind;
#define CLO_TEE_FIRST        CLO_TEE_SIM
#define CLO_TEE_LAST         CLO_TEE_SGX /* the last teeType */
#define CLO_TEE_BACKEND_LAST CLO_TEE_SIM_SNP

/* "sim", "tdx", "snp", "sgx", "sim-snp"; "unknown" for any other value. */
const char *clo_tee_kind_name(unsigned kind);
/* The backend a name stands for; CLO_E_UNSUPPORTED naming "tee backend" otherwise. */
CLO_MUST_CHECK clo_err clo_tee_kind_parse(const char *name, clo_tee_kind *out);
/* The teeType a backend's records carry (sim-snp: snp). */
clo_tee_kind clo_tee_record_type(clo_tee_kind backend);
/* Whether the backend is the simulated platform (no hardware, no security). */
int clo_tee_is_simulated(clo_tee_kind backend);

#endif
