/* quote.h — Intel DCAP ECDSA quotes: SGX v3, TDX v4 and v5 (Intel SGX ECDSA
 * Quote Library API, appendix "Quote Format"; TDX DCAP Quoting Library API).
 *
 * Layout (little-endian):
 *   header (48): u16 version | u16 att_key_type | u32 tee_type | u16 qe_svn |
 *                u16 pce_svn | qe_vendor_id[16] | user_data[20]
 *   v5 only:     u16 body_type | u32 body_size
 *   body:        SGX report (384) | TD report 1.0 (584) | TD report 1.5 (648)
 *   u32 sig_data_size, then sig_data:
 *     signature[64] (r||s) | attestation_key[64] (x||y) | certification data
 *     v3:    qe_report[384] | qe_report_sig[64] | u16 n | qe_auth[n] |
 *            u16 type=5 | u32 size | PEM PCK chain
 *     v4/v5: u16 type=6 | u32 size | { the v3 tail above }
 *
 * The parser is strict inside the structure: every nested size must match
 * exactly. Bytes after the declared signature data are not signed and are
 * reported (trailing_size), not parsed. Views borrow the input. */
#ifndef CLO_EVIDENCE_QUOTE_H
#define CLO_EVIDENCE_QUOTE_H

#include "base/bytes.h"

#define CLO_QUOTE_TEE_SGX            0x00000000u
#define CLO_QUOTE_TEE_TDX            0x00000081u
#define CLO_QUOTE_ATT_KEY_ECDSA_P256 2
#define CLO_SGX_REPORT_SIZE          384
#define CLO_TD10_REPORT_SIZE         584
#define CLO_TD15_REPORT_SIZE         648
#define CLO_QUOTE_MAX_SIZE           (1u << 20)

/* SGX REPORT body (also the QE report). */
typedef struct {
    clo_bytes raw; /* all 384 bytes */
    uint8_t cpusvn[16];
    uint32_t miscselect;
    uint8_t attributes[16]; /* flags (u64 LE) || xfrm (u64 LE) */
    uint8_t mrenclave[32];
    uint8_t mrsigner[32];
    uint16_t isvprodid, isvsvn;
    uint8_t report_data[64];
} clo_sgx_report;

/* TD report body (TDX 1.0, and the 1.5 additions). */
typedef struct {
    clo_bytes raw;
    uint8_t tee_tcb_svn[16];
    uint8_t mrseam[48], mrsignerseam[48];
    uint8_t seam_attributes[8], td_attributes[8], xfam[8];
    uint8_t mrtd[48], mrconfigid[48], mrowner[48], mrownerconfig[48];
    uint8_t rtmr[4][48];
    uint8_t report_data[64];
    int is_v15;
    uint8_t tee_tcb_svn2[16], mrservicetd[48];
} clo_td_report;

typedef struct {
    uint16_t version, att_key_type;
    uint32_t tee_type;
    uint16_t qe_svn, pce_svn;
    uint8_t qe_vendor_id[16], user_data[20];
    uint16_t body_type;    /* v5's field: 1 SGX report, 2 TD 1.0, 3 TD 1.5; implied for v3/v4 */
    clo_sgx_report sgx;    /* tee_type == SGX */
    clo_td_report td;      /* tee_type == TDX */
    clo_bytes signed_part; /* header (and v5 body descriptor) and body */
    uint8_t signature[64];
    uint8_t att_key[64];
    clo_sgx_report qe_report;
    uint8_t qe_report_sig[64];
    clo_bytes qe_auth_data;
    clo_bytes pck_chain; /* certification data type 5: PEM certificates */
    size_t quote_size, trailing_size;
} clo_quote;

/* Parse a quote. Errors name the field: CLO_E_FORMAT for structure,
 * CLO_E_VERSION for a version other than 3/4/5, CLO_E_UNSUPPORTED for an
 * attestation key, TEE, body or certification data type this verifier does
 * not implement. */
CLO_MUST_CHECK clo_err clo_quote_parse(clo_bytes in, clo_quote *out);

/* Intel's QE vendor id, 939A7233-F79C-4CA9-940A-0DB3957F0607. */
extern const uint8_t clo_intel_qe_vendor_id[16];

#endif
