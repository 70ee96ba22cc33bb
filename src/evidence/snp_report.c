/* snp_report.c — SEV-SNP attestation report parsing (see snp_report.h). */
#include "evidence/snp_report.h"

#include <string.h>

#include "base/ct.h"

#define SIG_OFF   0x2A0
#define SIG_FIELD 72

static clo_err u32le(clo_cur *c, uint32_t *v)
{
    return clo_cur_u32le(c, v);
}
static clo_err u64le(clo_cur *c, uint64_t *v)
{
    return clo_cur_u64le(c, v);
}

/* A little-endian 72-byte signature field to a 48-byte big-endian scalar; the
 * top 24 bytes must be zero. */
static clo_err le_scalar(clo_bytes f, uint8_t out[48])
{
    CLO_ENSURE(clo_ct_is_zero(f.ptr + 48, SIG_FIELD - 48), CLO_E_FORMAT,
               "snp: signature field padding not zero");
    for (int i = 0; i < 48; i++) out[i] = f.ptr[47 - i];
    return CLO_OK;
}

clo_err clo_snp_report_parse(clo_bytes in, clo_snp_report *r)
{
    clo_cur c = clo_cur_init(in);
    clo_bytes f;
    memset(r, 0, sizeof *r);
    CLO_ENSURE(in.len == CLO_SNP_REPORT_SIZE, CLO_E_FORMAT, "snp: report is not 1184 bytes");
    CLO_TRY(u32le(&c, &r->version));
    CLO_ENSURE(r->version >= 2 && r->version <= 5, CLO_E_VERSION, "snp: report version not 2 to 5");
    CLO_TRY(u32le(&c, &r->guest_svn));
    CLO_TRY(u64le(&c, &r->policy));
    CLO_TRY(clo_cur_copy(&c, r->family_id, 16));
    CLO_TRY(clo_cur_copy(&c, r->image_id, 16));
    CLO_TRY(u32le(&c, &r->vmpl));
    CLO_TRY(u32le(&c, &r->sig_algo));
    CLO_ENSURE(r->sig_algo == 1, CLO_E_UNSUPPORTED,
               "snp: signature algorithm is not ECDSA P-384 with SHA-384");
    CLO_TRY(u64le(&c, &r->current_tcb));
    CLO_TRY(u64le(&c, &r->platform_info));
    CLO_TRY(u32le(&c, &r->flags));
    CLO_TRY(clo_cur_skip(&c, 4));
    CLO_TRY(clo_cur_copy(&c, r->report_data, 64));
    CLO_TRY(clo_cur_copy(&c, r->measurement, 48));
    CLO_TRY(clo_cur_copy(&c, r->host_data, 32));
    CLO_TRY(clo_cur_copy(&c, r->id_key_digest, 48));
    CLO_TRY(clo_cur_copy(&c, r->author_key_digest, 48));
    CLO_TRY(clo_cur_copy(&c, r->report_id, 32));
    CLO_TRY(clo_cur_copy(&c, r->report_id_ma, 32));
    CLO_TRY(u64le(&c, &r->reported_tcb));
    if (r->version >= 3) {
        CLO_TRY(clo_cur_u8(&c, &r->cpuid_fam));
        CLO_TRY(clo_cur_u8(&c, &r->cpuid_mod));
        CLO_TRY(clo_cur_u8(&c, &r->cpuid_step));
        CLO_TRY(clo_cur_skip(&c, 21));
    } else {
        CLO_TRY(clo_cur_skip(&c, 24));
    }
    CLO_TRY(clo_cur_copy(&c, r->chip_id, 64));
    CLO_TRY(u64le(&c, &r->committed_tcb));
    CLO_TRY(clo_cur_skip(&c, 8)); /* current / committed build, minor, major */
    CLO_TRY(u64le(&c, &r->launch_tcb));
    r->signed_part = CLO_BYTES(in.ptr, SIG_OFF);
    c.off = SIG_OFF;
    CLO_TRY(clo_cur_take(&c, SIG_FIELD, &f));
    CLO_TRY(le_scalar(f, r->sig));
    CLO_TRY(clo_cur_take(&c, SIG_FIELD, &f));
    CLO_TRY(le_scalar(f, r->sig + 48));
    /* The rest is reserved and unsigned: it must be zero, or it could carry anything. */
    CLO_TRY(clo_cur_take(&c, clo_cur_left(&c), &f));
    CLO_ENSURE(clo_ct_is_zero(f.ptr, f.len), CLO_E_FORMAT,
               "snp: reserved bytes after the signature not zero");
    return CLO_OK;
}

clo_snp_tcb clo_snp_tcb_decode(uint64_t raw, int turin)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(raw >> (8 * i));
    clo_snp_tcb t = {0};
    if (turin) {
        t.fmc = b[0], t.bl = b[1], t.tee = b[2], t.snp = b[3], t.ucode = b[7];
    } else {
        t.bl = b[0], t.tee = b[1], t.snp = b[6], t.ucode = b[7];
    }
    return t;
}
