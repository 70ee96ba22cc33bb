/* pckext.h — the Intel SGX extension of PCK certificates
 * (OID 1.2.840.113741.1.13.1; Intel SGX PCK Certificate and CRL Profile):
 *   SEQUENCE { SEQUENCE { OID, value } ... } with PPID, TCB (16 SGX TCB
 *   component SVNs, PCESVN, CPUSVN), PCE-ID, FMSPC, SGX type, and optional
 *   entries (platform instance id, configuration) that are skipped.
 * Parsed with the strict DER reader; every required entry exactly once. */
#ifndef CLO_EVIDENCE_PCKEXT_H
#define CLO_EVIDENCE_PCKEXT_H

#include "base/bytes.h"

#define CLO_SGX_EXTENSION_OID "1.2.840.113741.1.13.1"

typedef struct {
    uint8_t ppid[16];
    uint8_t comp_svn[16]; /* sgxtcbcomp01svn .. sgxtcbcomp16svn */
    uint16_t pcesvn;
    uint8_t cpusvn[16];
    uint8_t pceid[2];
    uint8_t fmspc[6];
    uint8_t sgx_type;
} clo_pck_ext;

/* ext: the contents of the extension's extnValue OCTET STRING. */
CLO_MUST_CHECK clo_err clo_pck_ext_parse(clo_bytes ext, clo_pck_ext *out);

#endif
