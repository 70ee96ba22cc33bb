/* snp_report.h — AMD SEV-SNP attestation reports (SEV-SNP Firmware ABI, table
 * "ATTESTATION_REPORT Structure"), versions 2 to 5: the format the platform
 * produces and every reader parses (verification: attest/snp.h). */
#ifndef CLO_EVIDENCE_SNP_REPORT_H
#define CLO_EVIDENCE_SNP_REPORT_H

#include "base/bytes.h"

#define CLO_SNP_REPORT_SIZE 0x4A0
#define CLO_SNP_SIGNED_SIZE 0x2A0

/* Guest policy bits. */
#define CLO_SNP_POLICY_SMT           (1ull << 16)
#define CLO_SNP_POLICY_MIGRATE_MA    (1ull << 18)
#define CLO_SNP_POLICY_DEBUG         (1ull << 19)
#define CLO_SNP_POLICY_SINGLE_SOCKET (1ull << 20)

typedef struct {
    uint8_t fmc, bl, tee, snp, ucode; /* fmc: Turin only */
} clo_snp_tcb;

typedef struct {
    uint32_t version, guest_svn, vmpl, sig_algo, flags;
    uint64_t policy, current_tcb, platform_info, reported_tcb, committed_tcb, launch_tcb;
    uint8_t family_id[16], image_id[16];
    uint8_t report_data[64], measurement[48], host_data[32];
    uint8_t id_key_digest[48], author_key_digest[48], report_id[32], report_id_ma[32];
    uint8_t cpuid_fam, cpuid_mod, cpuid_step; /* version >= 3 */
    uint8_t chip_id[64];
    uint8_t sig[96]; /* r || s, big-endian P-384 scalars */
    clo_bytes signed_part;
} clo_snp_report;

/* Exactly 1184 bytes; version 2..5; signature algorithm 1 (ECDSA P-384 SHA-384);
 * the signature's padding and the reserved tail after it must be zero. */
CLO_MUST_CHECK clo_err clo_snp_report_parse(clo_bytes in, clo_snp_report *out);

/* TCB_VERSION fields: Milan/Genoa bl=byte0 tee=byte1 snp=byte6 ucode=byte7;
 * Turin fmc=byte0 bl=byte1 tee=byte2 snp=byte3 ucode=byte7. */
clo_snp_tcb clo_snp_tcb_decode(uint64_t raw, int turin);

#endif
