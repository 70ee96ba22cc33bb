/* tee.c — sim, sim-snp, configfs-tsm (tdx, snp) and Gramine (sgx) backends. */
#include "enclave/tee.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evidence/measure.h"
#include "evidence/sim.h"
#include "evidence/snp_report.h"
#include "base/ct.h"
#include "base/file.h"
#include "crypto/hash.h"

struct clo_tee {
    clo_tee_kind kind;
    uint8_t exe_event[48], measurement[48];
    clo_sim sim;           /* sim, sim-snp */
    uint8_t rtmr[4][48];   /* sim: the emulated RTMRs */
    uint8_t host_data[32]; /* sim-snp: as the VMM would set it */
    int dirfd;             /* tdx, snp, sgx */
    int mrfd;              /* tdx: the measurement registers */
    unsigned seq;          /* report entry names */
};

static clo_err open_dir(clo_bytes name, int *fd)
{
    char path[4096];
    CLO_ENSURE(name.len > 0 && name.len < sizeof path && !memchr(name.ptr, 0, name.len),
               CLO_E_FORMAT, "init.tee directory");
    memcpy(path, name.ptr, name.len);
    path[name.len] = 0;
    *fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CLO_ENSURE(*fd >= 0, CLO_E_IO, "tee directory cannot be opened");
    return CLO_OK;
}

clo_err clo_tee_open(clo_tee **out, clo_tee_kind kind, const clo_bytes *parts, size_t count,
                     const uint8_t exe_event[48])
{
    clo_err err = CLO_OK;
    clo_tee *t = calloc(1, sizeof *t);
    CLO_ENSURE(t, CLO_E_NOMEM, "tee");
    t->kind = kind;
    t->dirfd = t->mrfd = -1;
    memcpy(t->exe_event, exe_event, 48);
    if (clo_tee_is_simulated(kind)) {
        CLO_FAIL_IF(count != CLO_SIM_PARTS, CLO_E_FORMAT, "init.sim parts");
        for (size_t i = 0; i < count; i++) CLO_CHECK(clo_sim_load_part(&t->sim, i, parts[i]));
        /* The simulated launcher's event, as a TDX launcher's would be. */
        CLO_CHECK(clo_rtmr_extend(t->rtmr[CLO_MEASURE_RTMR], exe_event));
    } else if (kind == CLO_TEE_TDX) {
        /* The report directory and the measurement registers (tdx_guest). */
        CLO_FAIL_IF(count != 2, CLO_E_FORMAT,
                    "init.tee: tdx needs the report and RTMR directories");
        CLO_CHECK(open_dir(parts[0], &t->dirfd));
        CLO_CHECK(open_dir(parts[1], &t->mrfd));
    } else if (kind == CLO_TEE_SNP || kind == CLO_TEE_SGX) {
        CLO_FAIL_IF(count != 1, CLO_E_FORMAT, "init.tee directory");
        CLO_CHECK(open_dir(parts[0], &t->dirfd));
    } else {
        CLO_FAIL_IF(1, CLO_E_UNSUPPORTED, "tee backend");
    }
    *out = t;
    return CLO_OK;
out:
    clo_tee_free(t);
    return err;
}

void clo_tee_free(clo_tee *t)
{
    if (!t) return;
    if (clo_tee_is_simulated(t->kind)) clo_sim_free(&t->sim);
    if (t->dirfd >= 0) close(t->dirfd);
    if (t->mrfd >= 0) close(t->mrfd);
    clo_wipe(t, sizeof *t);
    free(t);
}

const clo_sim *clo_tee_sim(const clo_tee *t)
{
    return t && clo_tee_is_simulated(t->kind) ? &t->sim : NULL;
}

clo_tee_kind clo_tee_kind_of(const clo_tee *t)
{
    return t->kind;
}

const uint8_t *clo_tee_measurement(const clo_tee *t)
{
    return t->measurement;
}

/* Whole-file helpers relative to a directory descriptor. */
static clo_err read_small(int dirfd, const char *name, char *dst, size_t cap)
{
    clo_buf b;
    clo_buf_init(&b, cap - 1);
    clo_err err = clo_file_read_at(dirfd, name, &b);
    if (!err.code) {
        size_t n = b.len;
        while (n && (b.ptr[n - 1] == '\n' || b.ptr[n - 1] == ' ')) n--;
        memcpy(dst, b.ptr, n);
        dst[n] = 0;
    }
    clo_buf_free(&b);
    return err;
}

/* configfs-tsm: docs/ABI/testing/configfs-tsm in the Linux tree. */
static clo_err tsm_report(clo_tee *t, const uint8_t rd[64], clo_buf *out)
{
    char entry[64], provider[64], gen1[32], gen2[32];
    snprintf(entry, sizeof entry, "cloister-%ld-%u", (long)getpid(), t->seq++);
    CLO_ENSURE(mkdirat(t->dirfd, entry, 0700) == 0, CLO_E_IO, "tsm: cannot create report entry");
    clo_err err = CLO_OK;
    int efd = openat(t->dirfd, entry, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CLO_FAIL_IF(efd < 0, CLO_E_IO, "tsm: cannot open report entry");
    CLO_CHECK(read_small(efd, "provider", provider, sizeof provider));
    const char *want = t->kind == CLO_TEE_TDX ? "tdx_guest" : "sev_guest";
    CLO_FAIL_IF(strcmp(provider, want), CLO_E_UNSUPPORTED, "tsm: provider is not this backend");
    CLO_CHECK(clo_file_write_at(efd, "inblob", CLO_BYTES(rd, 64)));
    CLO_CHECK(read_small(efd, "generation", gen1, sizeof gen1));
    CLO_CHECK(clo_file_read_at(efd, "outblob", out));
    CLO_CHECK(read_small(efd, "generation", gen2, sizeof gen2));
    /* Another writer between our inblob and outblob would bump the generation. */
    CLO_FAIL_IF(strcmp(gen1, gen2) || !strcmp(gen1, "0"), CLO_E_STATE,
                "tsm: report entry changed under us");
out:
    if (efd >= 0) close(efd);
    if (unlinkat(t->dirfd, entry, AT_REMOVEDIR) != 0 && !err.code)
        err = CLO_ERR(CLO_E_IO, "tsm: cannot remove report entry");
    if (err.code) clo_buf_clear(out);
    return err;
}

static clo_err gramine_quote(clo_tee *t, const uint8_t rd[64], clo_buf *out)
{
    char type[32];
    CLO_TRY(read_small(t->dirfd, "attestation_type", type, sizeof type));
    CLO_ENSURE(!strcmp(type, "dcap"), CLO_E_UNSUPPORTED, "gramine: attestation_type is not dcap");
    CLO_TRY(clo_file_write_at(t->dirfd, "user_report_data", CLO_BYTES(rd, 64)));
    return clo_file_read_at(t->dirfd, "quote", out);
}

clo_err clo_tee_evidence(clo_tee *t, const uint8_t rd[64], clo_buf *out,
                         clo_evidence_format *format)
{
    switch (t->kind) {
    case CLO_TEE_SIM: {
        clo_sim_quote_params p;
        memset(&p, 0, sizeof p);
        memcpy(p.report_data, rd, 64);
        CLO_TRY(clo_measure_sim_mrtd(p.mrtd));
        memcpy(p.rtmr, t->rtmr, sizeof p.rtmr);
        *format = CLO_EVIDENCE_TDX_QUOTE;
        return clo_sim_quote(&t->sim, &p, out);
    }
    case CLO_TEE_SIM_SNP: {
        clo_sim_snp_params p;
        memcpy(p.report_data, rd, 64);
        CLO_TRY(clo_sim_snp_measurement(t->exe_event, p.measurement));
        memcpy(p.host_data, t->host_data, 32);
        *format = CLO_EVIDENCE_SNP_REPORT;
        return clo_sim_snp_report(&t->sim, &p, out);
    }
    case CLO_TEE_TDX: *format = CLO_EVIDENCE_TDX_QUOTE; return tsm_report(t, rd, out);
    case CLO_TEE_SNP: *format = CLO_EVIDENCE_SNP_REPORT; return tsm_report(t, rd, out);
    case CLO_TEE_SGX: *format = CLO_EVIDENCE_SGX_QUOTE; return gramine_quote(t, rd, out);
    }
    return CLO_ERR(CLO_E_UNSUPPORTED, "tee backend");
}

clo_err clo_tee_bind_config(clo_tee *t, const uint8_t config_event[48])
{
    switch (t->kind) {
    case CLO_TEE_SIM: CLO_TRY(clo_rtmr_extend(t->rtmr[CLO_MEASURE_RTMR], config_event)); break;
    case CLO_TEE_TDX: CLO_TRY(clo_measure_rtmr_extend_at(t->mrfd, config_event)); break;
    case CLO_TEE_SNP: {
        /* The VMM set HOST_DATA at launch; refuse to serve another configuration. */
        uint8_t rd[64] = {0}, want[32];
        clo_buf rep;
        clo_snp_report r;
        clo_buf_init(&rep, 1 << 16);
        clo_err err = tsm_report(t, rd, &rep);
        if (!err.code) err = clo_snp_report_parse(clo_buf_view(&rep), &r);
        if (!err.code) err = clo_measure_snp_host_data(config_event, want);
        if (!err.code && memcmp(r.host_data, want, 32))
            err = CLO_ERR(CLO_E_POLICY, "init: the SNP report's HOST_DATA is not this "
                                        "configuration's (launch the guest with it)");
        clo_buf_free(&rep);
        CLO_TRY(err);
        break;
    }
    case CLO_TEE_SIM_SNP: CLO_TRY(clo_measure_snp_host_data(config_event, t->host_data)); break;
    case CLO_TEE_SGX: break; /* MRENCLAVE covers the code; Gramine's manifest the rest */
    }
    return clo_measure_rtmr3(t->exe_event, config_event, t->measurement);
}

clo_err clo_tee_sealing_secret(clo_tee *t, clo_secret32 *out)
{
    if (clo_tee_is_simulated(t->kind)) {
        clo_buf pck;
        clo_buf_init(&pck, 1 << 14);
        size_t i = 0;
        while (strcmp(clo_sim_part_names[i], "pck.key")) i++; /* always present */
        clo_err err = clo_sim_save_part(&t->sim, i, &pck);
        if (!err.code)
            err = clo_hkdf(CLO_HASH_SHA256, CLO_BYTES_EMPTY, clo_buf_view(&pck),
                           clo_bytes_str("cloister/sim/sealing"), out->b, 32);
        clo_buf_free(&pck);
        return err;
    }
    if (t->kind == CLO_TEE_SGX) {
        clo_buf k;
        clo_buf_init(&k, 64);
        clo_err err = clo_file_read_at(t->dirfd, "keys/_sgx_mrenclave", &k);
        if (!err.code && k.len != 16) err = CLO_ERR(CLO_E_FORMAT, "gramine: sealing key size");
        if (!err.code)
            err = clo_hkdf(CLO_HASH_SHA256, CLO_BYTES_EMPTY, clo_buf_view(&k),
                           clo_bytes_str("cloister/sgx/sealing"), out->b, 32);
        clo_buf_free(&k);
        return err;
    }
    return CLO_ERR(CLO_E_UNSUPPORTED, "sealing: this platform needs a key broker");
}
