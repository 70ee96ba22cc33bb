/* teekind.c — TEE kind names. */
#include "base/teekind.h"

#include <string.h>

static const char *const names[] = {NULL, "sim", "tdx", "snp", "sgx", "sim-snp"};

const char *clo_tee_kind_name(unsigned kind)
{
    return kind >= CLO_TEE_FIRST && kind <= CLO_TEE_BACKEND_LAST ? names[kind] : "unknown";
}

clo_err clo_tee_kind_parse(const char *name, clo_tee_kind *out)
{
    for (unsigned k = CLO_TEE_FIRST; k <= CLO_TEE_BACKEND_LAST; k++)
        if (!strcmp(name, names[k])) {
            *out = (clo_tee_kind)k;
            return CLO_OK;
        }
    return CLO_ERR(CLO_E_UNSUPPORTED, "tee backend");
}

clo_tee_kind clo_tee_record_type(clo_tee_kind backend)
{
    return backend == CLO_TEE_SIM_SNP ? CLO_TEE_SNP : backend;
}

int clo_tee_is_simulated(clo_tee_kind backend)
{
    return backend == CLO_TEE_SIM || backend == CLO_TEE_SIM_SNP;
}
