/* tee_test.c — the hardware TEE backends against fake directory trees that
 * behave like the kernel and Gramine interfaces they talk to:
 *
 *   configfs-tsm (tdx, snp): mkdir of a report entry makes its attributes
 *   (provider, generation, inblob, outblob); a write to inblob bumps the
 *   generation; reading outblob renders the report for the inblob; rmdir takes
 *   the attributes with it. tdx_guest measurements: a write of 48 bytes to
 *   rtmr3:sha384 extends RTMR3 (kept here as the list of events), and the TDX
 *   report carries the register. Gramine's /dev/attestation (sgx): reading `quote`
 *   renders a quote for the last user_report_data; keys/_sgx_mrenclave is the
 *   sealing key.
 *
 * A plain directory does none of that, so this test defines mkdirat, openat
 * and unlinkat itself; the backend's calls bind to these, which add the
 * behaviour above and then make the real system call. The rendered reports
 * are real formats: a simulated-platform TDX quote, and the test vectors' SNP
 * report and SGX quote with the report data spliced in. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "evidence/measure.h"
#include "evidence/quote.h"
#include "attest/snp.h"
#include "enclave/sandbox.h"
#include "enclave_fixture.h"
#include "tv.h"

#define OK(x) assert_int_equal((x).code, CLO_OK_CODE)

enum { RENDER_TDX, RENDER_SNP, RENDER_SGX };

static struct {
    const char *provider; /* what a new report entry's provider says */
    int race;             /* another writer bumps the generation during outblob */
    int entries;          /* report entries made */
    fx_platform plat;
    clo_buf snp_report, sgx_quote;
    uint8_t host_data[32]; /* what the fake SNP launch put in HOST_DATA */
} F;

static char root[256];

/* ---- the fake kernel / Gramine behaviour ---- */

static int raw_openat(int dirfd, const char *name, int flags, mode_t mode)
{
    return (int)syscall(SYS_openat, dirfd, name, flags, mode);
}

static int put(int dirfd, const char *name, const void *p, size_t n)
{
    int fd = raw_openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    int ok = write(fd, p, n) == (ssize_t)n;
    return close(fd) == 0 && ok ? 0 : -1;
}

static ssize_t get(int dirfd, const char *name, void *p, size_t cap)
{
    int fd = raw_openat(dirfd, name, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) return -1;
    ssize_t n = read(fd, p, cap);
    close(fd);
    return n;
}

static void bump_generation(int dirfd)
{
    char g[32] = {0};
    if (get(dirfd, "generation", g, sizeof g - 1) < 0) return;
    int n = snprintf(g, sizeof g, "%ld\n", strtol(g, NULL, 10) + 1);
    (void)put(dirfd, "generation", g, (size_t)n);
}

static ssize_t rtmr_log(uint8_t *p, size_t cap)
{
    char path[300];
    snprintf(path, sizeof path, "%s/tdxmr", root);
    int dfd = open(path, O_RDONLY | O_DIRECTORY);
    if (dfd < 0) return 0;
    ssize_t n = get(dfd, "rtmr3:sha384", p, cap);
    close(dfd);
    return n < 0 ? 0 : n;
}

/* The report for report data rd, in the entry's provider's format. */
static int render(int kind, const uint8_t rd[64], clo_buf *out)
{
    if (kind == RENDER_TDX) {
        clo_sim_quote_params p;
        memset(&p, 0, sizeof p);
        memcpy(p.report_data, rd, 64);
        memset(p.mrtd, 0x5a, 48);
        /* RTMR3: every event written to the fake register, in order. */
        uint8_t ev[16 * 48];
        ssize_t n = rtmr_log(ev, sizeof ev);
        for (ssize_t i = 0; i + 48 <= n; i += 48)
            if (clo_rtmr_extend(p.rtmr[CLO_MEASURE_RTMR], ev + i).code) return -1;
        return clo_sim_quote(&F.plat.sim, &p, out).code ? -1 : 0;
    }
    const clo_buf *src = kind == RENDER_SNP ? &F.snp_report : &F.sgx_quote;
    size_t at = kind == RENDER_SNP ? 0x50 : 48 + 320; /* REPORT_DATA; header + body offset */
    if (clo_buf_append(out, src->ptr, src->len).code) return -1;
    memcpy(out->ptr + at, rd, 64);
    if (kind == RENDER_SNP) memcpy(out->ptr + 0xC0, F.host_data, 32); /* HOST_DATA */
    return 0;
}

static void render_into(int dirfd, int kind, const char *in_name, const char *out_name)
{
    uint8_t rd[64];
    if (get(dirfd, in_name, rd, 64) != 64) return; /* nothing written: empty outblob */
    clo_buf b;
    clo_buf_init(&b, 1 << 16);
    if (!render(kind, rd, &b)) (void)put(dirfd, out_name, b.ptr, b.len);
    clo_buf_free(&b);
}

int mkdirat(int dirfd, const char *name, mode_t mode)
{
    int rc = (int)syscall(SYS_mkdirat, dirfd, name, mode);
    if (rc != 0 || !F.provider) return rc;
    int efd = raw_openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (efd < 0) return rc;
    (void)put(efd, "provider", F.provider, strlen(F.provider));
    (void)put(efd, "generation", "0\n", 2);
    (void)put(efd, "inblob", "", 0);
    (void)put(efd, "outblob", "", 0);
    close(efd);
    F.entries++;
    return 0;
}

int unlinkat(int dirfd, const char *name, int flags)
{
    if (flags & AT_REMOVEDIR) {
        static const char *const attrs[] = {"provider", "generation", "inblob", "outblob"};
        int efd = raw_openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
        if (efd >= 0) {
            for (size_t i = 0; i < 4; i++) (void)syscall(SYS_unlinkat, efd, attrs[i], 0);
            close(efd);
        }
    }
    return (int)syscall(SYS_unlinkat, dirfd, name, flags);
}

int openat(int dirfd, const char *name, int flags, ...)
{
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    int writing = (flags & O_ACCMODE) != O_RDONLY;
    if (!strcmp(name, "inblob") && writing) {
        bump_generation(dirfd);
        flags |= O_TRUNC;
    } else if (!strcmp(name, "outblob") && !writing) {
        char prov[32] = {0};
        (void)get(dirfd, "provider", prov, sizeof prov - 1);
        render_into(dirfd, strcmp(prov, "tdx_guest") ? RENDER_SNP : RENDER_TDX, "inblob",
                    "outblob");
        if (F.race) bump_generation(dirfd);
    } else if (!strcmp(name, "rtmr3:sha384") && writing) {
        flags |= O_APPEND; /* an extension, never a replacement */
    } else if (!strcmp(name, "user_report_data") && writing) {
        flags |= O_TRUNC;
    } else if (!strcmp(name, "quote") && !writing) {
        render_into(dirfd, RENDER_SGX, "user_report_data", "quote");
    }
    return raw_openat(dirfd, name, flags, mode);
}

/* ---- fixtures ---- */

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    for (struct dirent *de; (de = readdir(d));)
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void write_file(const char *dir, const char *name, const char *data, size_t n)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    assert_int_equal(put(dfd, name, data, n), 0);
    close(dfd);
}

/* root/tsm: an empty configfs-tsm report directory. root/attestation: Gramine's. */
static void make_gramine(const char *type, const uint8_t key[16])
{
    char p[300];
    snprintf(p, sizeof p, "%s/attestation", root);
    mkdir(p, 0700);
    write_file(p, "attestation_type", type, strlen(type));
    write_file(p, "user_report_data", "", 0);
    write_file(p, "quote", "", 0);
    snprintf(p, sizeof p, "%s/attestation/keys", root);
    mkdir(p, 0700);
    write_file(p, "_sgx_mrenclave", (const char *)key, 16);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/clo-tee-XXXXXX");
    if (!mkdtemp(root)) return -1;
    char p[300];
    snprintf(p, sizeof p, "%s/tsm", root);
    if (mkdir(p, 0700)) return -1;
    snprintf(p, sizeof p, "%s/tdxmr", root);
    if (mkdir(p, 0700)) return -1;
    F.snp_report = tv_read_file(tv_path("amd-sev-snp/milan-v2-virtee/report.bin"));
    F.sgx_quote = tv_read_file(tv_path("intel-dcap/sgx-v3-dcapqvl/quote.bin"));
    return fx_platform_new(&F.plat).code;
}

static int teardown(void **state)
{
    (void)state;
    fx_platform_free(&F.plat);
    clo_buf_free(&F.snp_report);
    clo_buf_free(&F.sgx_quote);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd);
}

static const char *sub_dir(const char *sub)
{
    static char p[2][300];
    static int k;
    k ^= 1;
    snprintf(p[k], sizeof p[k], "%s/%s", root, sub);
    return p[k];
}

static clo_tee *open_backend(clo_tee_kind kind, const char *sub)
{
    clo_bytes parts[2] = {clo_bytes_str(sub_dir(sub)), clo_bytes_str(sub_dir("tdxmr"))};
    uint8_t m[48] = {0};
    clo_tee *t = NULL;
    OK(clo_tee_open(&t, kind, parts, kind == CLO_TEE_TDX ? 2 : 1, m));
    return t;
}

/* Empty the fake RTMR3 (a fresh TD). */
static void reset_rtmr(void)
{
    int dfd = open(sub_dir("tdxmr"), O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    assert_int_equal(put(dfd, "rtmr3:sha384", "", 0), 0);
    close(dfd);
}

/* The configuration event an enclave INITed with `in` extends. */
static void config_event(const clo_proto_init *in, uint8_t ev[48])
{
    uint8_t ch[32];
    OK(clo_committee_hash(&in->committee, ch));
    OK(clo_measure_config_event(in->chain_id, in->market, in->registry, ch, ev));
}

static const char *tsm_dir(void)
{
    static char p[300];
    snprintf(p, sizeof p, "%s/tsm", root);
    return p;
}

/* ---- configfs-tsm ---- */

/* The whole enclave path: INIT on the tdx backend, keys, EVIDENCE whose TDX
 * quote carries the binding of those keys; sealing is refused by name. */
static void test_tdx_evidence_through_runtime(void **state)
{
    (void)state;
    F.provider = "tdx_guest";
    F.race = 0;
    clo_proto_init in;
    memset(&in, 0, sizeof in);
    in.backend = CLO_TEE_TDX;
    in.chain_id = FX_CHAIN_ID;
    memcpy(in.registry, F.plat.registry, 20);
    in.grace_seconds = 60;
    in.count = 2;
    in.parts[0] = clo_bytes_str(tsm_dir());
    in.parts[1] = clo_bytes_str(sub_dir("tdxmr"));
    memset(in.measurement, 0xe1, 48); /* the launcher's executable event */
    clo_buf body, resp;
    clo_buf_init(&body, 1 << 16);
    clo_buf_init(&resp, 1 << 20);
    /* The launcher extends RTMR3 with the executable event before the enclave runs. */
    reset_rtmr();
    int mrfd = open(sub_dir("tdxmr"), O_RDONLY | O_DIRECTORY);
    assert_true(mrfd >= 0);
    OK(clo_measure_rtmr_extend_at(mrfd, in.measurement));
    close(mrfd);
    clo_enclave *e;
    OK(clo_enclave_new(&e));
    OK(clo_proto_init_encode(&in, &body));
    OK(fx_call(e, CLO_CALL_INIT, clo_buf_view(&body), FX_NOW, &resp));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &resp));

    uint8_t nonce[52]; /* the nonce, then the operator */
    memset(nonce, 0xc3, 32);
    memset(nonce + 32, 0x0c, 20);
    int before = F.entries;
    OK(fx_call(e, CLO_CALL_EVIDENCE, CLO_BYTES(nonce, 52), FX_NOW, &resp));
    assert_int_equal(F.entries, before + 1);
    assert_int_equal(count_entries(tsm_dir()), 0); /* the entry is removed */

    clo_proto_evidence ev;
    OK(clo_proto_evidence_decode(clo_buf_view(&resp), &ev));
    assert_int_equal(ev.format, CLO_EVIDENCE_TDX_QUOTE);
    uint8_t rd[64];
    fx_expected_report_data(&F.plat, &ev, nonce, rd);
    assert_memory_equal(ev.report_data, rd, 64);
    clo_quote q;
    OK(clo_quote_parse(ev.evidence, &q));
    assert_int_equal(q.version, 4);
    assert_memory_equal(q.td.report_data, rd, 64);
    /* RTMR3 names the executable and the configuration INIT gave: the enclave
     * extended the configuration event itself, after the launcher's event. */
    uint8_t cfg[48], want[48];
    config_event(&in, cfg);
    OK(clo_measure_rtmr3(in.measurement, cfg, want));
    assert_memory_equal(q.td.rtmr[CLO_MEASURE_RTMR], want, 48);

    /* configfs-tsm gives no sealing secret: EXPORT says so, and changes nothing. */
    clo_err err = fx_call(e, CLO_CALL_EXPORT, CLO_BYTES_EMPTY, FX_NOW, &resp);
    assert_int_equal(err.code, CLO_E_UNSUPPORTED);
    assert_non_null(strstr(err.what, "key broker"));
    OK(fx_call(e, CLO_CALL_EVIDENCE, CLO_BYTES(nonce, 52), FX_NOW, &resp));

    clo_enclave_free(e);
    clo_buf_free(&body);
    clo_buf_free(&resp);
}

static void test_snp_report(void **state)
{
    (void)state;
    F.provider = "sev_guest";
    F.race = 0;
    clo_tee *t = open_backend(CLO_TEE_SNP, "tsm");
    uint8_t rd[64];
    for (int i = 0; i < 64; i++) rd[i] = (uint8_t)(i * 7 + 1);
    clo_buf out;
    clo_buf_init(&out, 1 << 16);
    clo_evidence_format fmt;
    OK(clo_tee_evidence(t, rd, &out, &fmt));
    assert_int_equal(fmt, CLO_EVIDENCE_SNP_REPORT);
    assert_int_equal(out.len, CLO_SNP_REPORT_SIZE);
    clo_snp_report r;
    OK(clo_snp_report_parse(clo_buf_view(&out), &r));
    assert_memory_equal(r.report_data, rd, 64);
    assert_int_equal(count_entries(tsm_dir()), 0);
    /* Each call has its own entry: a second one renders the new report data. */
    rd[0] ^= 0xff;
    clo_buf_clear(&out);
    OK(clo_tee_evidence(t, rd, &out, &fmt));
    OK(clo_snp_report_parse(clo_buf_view(&out), &r));
    assert_memory_equal(r.report_data, rd, 64);
    clo_secret32 sec;
    assert_int_equal(clo_tee_sealing_secret(t, &sec).code, CLO_E_UNSUPPORTED);
    clo_buf_free(&out);
    clo_tee_free(t);
}

/* SNP has no runtime register: the VMM sets HOST_DATA at launch, and an
 * enclave INITed with another configuration than HOST_DATA names refuses to
 * start (no keys, nothing to attest); with the right one it runs. */
static void test_snp_init_checks_host_data(void **state)
{
    (void)state;
    F.provider = "sev_guest";
    F.race = 0;
    clo_proto_init in;
    memset(&in, 0, sizeof in);
    in.backend = CLO_TEE_SNP;
    in.chain_id = FX_CHAIN_ID;
    memcpy(in.registry, F.plat.registry, 20);
    in.grace_seconds = 60;
    in.count = 1;
    in.parts[0] = clo_bytes_str(tsm_dir());
    clo_buf body, resp;
    clo_buf_init(&body, 1 << 16);
    clo_buf_init(&resp, 1 << 20);
    OK(clo_proto_init_encode(&in, &body));
    uint8_t cfg[48];
    config_event(&in, cfg);

    memset(F.host_data, 0, 32); /* launched for another configuration */
    clo_enclave *e;
    OK(clo_enclave_new(&e));
    clo_err err = fx_call(e, CLO_CALL_INIT, clo_buf_view(&body), FX_NOW, &resp);
    assert_int_equal(err.code, CLO_E_POLICY);
    assert_non_null(strstr(err.what, "HOST_DATA"));
    assert_int_equal(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &resp).code, CLO_E_STATE);
    clo_enclave_free(e);

    OK(clo_measure_snp_host_data(cfg, F.host_data));
    OK(clo_enclave_new(&e));
    OK(fx_call(e, CLO_CALL_INIT, clo_buf_view(&body), FX_NOW, &resp));
    OK(fx_call(e, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &resp));
    assert_int_equal(count_entries(tsm_dir()), 0);
    clo_enclave_free(e);
    clo_buf_free(&body);
    clo_buf_free(&resp);
}

/* A tdx backend on a machine whose configfs-tsm provider is SEV: refused, and
 * the entry it made is gone. */
static void test_provider_mismatch(void **state)
{
    (void)state;
    F.provider = "sev_guest";
    F.race = 0;
    clo_tee *t = open_backend(CLO_TEE_TDX, "tsm");
    uint8_t rd[64] = {1};
    clo_buf out;
    clo_buf_init(&out, 1 << 16);
    clo_evidence_format fmt;
    clo_err err = clo_tee_evidence(t, rd, &out, &fmt);
    assert_int_equal(err.code, CLO_E_UNSUPPORTED);
    assert_non_null(strstr(err.what, "provider"));
    assert_int_equal(out.len, 0);
    assert_int_equal(count_entries(tsm_dir()), 0);
    clo_buf_free(&out);
    clo_tee_free(t);
}

/* Another writer to the same entry between inblob and outblob: the outblob may
 * be for someone else's report data, so it is refused, not returned. */
static void test_generation_race(void **state)
{
    (void)state;
    F.provider = "tdx_guest";
    F.race = 1;
    clo_tee *t = open_backend(CLO_TEE_TDX, "tsm");
    uint8_t rd[64] = {2};
    clo_buf out;
    clo_buf_init(&out, 1 << 16);
    clo_evidence_format fmt;
    clo_err err = clo_tee_evidence(t, rd, &out, &fmt);
    assert_int_equal(err.code, CLO_E_STATE);
    assert_int_equal(out.len, 0);
    assert_int_equal(count_entries(tsm_dir()), 0);
    F.race = 0;
    OK(clo_tee_evidence(t, rd, &out, &fmt));
    clo_buf_free(&out);
    clo_tee_free(t);
}

static void test_missing_directories(void **state)
{
    (void)state;
    char p[300];
    snprintf(p, sizeof p, "%s/absent", root);
    clo_bytes part = clo_bytes_str(p), two[2] = {part, clo_bytes_str(sub_dir("tdxmr"))},
              two_bad[2] = {clo_bytes_str(tsm_dir()), part};
    uint8_t m[48] = {0};
    clo_tee *t = NULL;
    assert_int_equal(clo_tee_open(&t, CLO_TEE_TDX, two, 2, m).code, CLO_E_IO);
    assert_int_equal(clo_tee_open(&t, CLO_TEE_TDX, two_bad, 2, m).code, CLO_E_IO);
    assert_int_equal(clo_tee_open(&t, CLO_TEE_SGX, &part, 1, m).code, CLO_E_IO);
    assert_int_equal(clo_tee_open(&t, CLO_TEE_TDX, &part, 0, m).code, CLO_E_FORMAT);
    /* tdx without its measurement registers: the launch could not be measured. */
    assert_int_equal(clo_tee_open(&t, CLO_TEE_TDX, two, 1, m).code, CLO_E_FORMAT);
    /* A directory that is not configfs-tsm (no attributes appear): refused. */
    F.provider = NULL;
    t = open_backend(CLO_TEE_TDX, "tsm");
    uint8_t rd[64] = {3};
    clo_buf out;
    clo_buf_init(&out, 1 << 16);
    clo_evidence_format fmt;
    assert_int_equal(clo_tee_evidence(t, rd, &out, &fmt).code, CLO_E_IO);
    assert_int_equal(count_entries(tsm_dir()), 0);
    clo_buf_free(&out);
    clo_tee_free(t);
}

/* Under the enclave's seccomp filter for a hardware backend, the evidence path
 * (mkdirat, openat, read, write, unlinkat) still works. */
static void test_evidence_under_lockdown(void **state)
{
    (void)state;
    F.provider = "tdx_guest";
    F.race = 0;
    clo_tee *t = open_backend(CLO_TEE_TDX, "tsm");
    pid_t pid = fork();
    if (pid == 0) {
        if (clo_sandbox_lockdown(CLO_TEE_TDX).code) _exit(3);
        uint8_t rd[64] = {4};
        clo_buf out;
        clo_buf_init(&out, 1 << 16);
        clo_evidence_format fmt;
        clo_quote q;
        if (clo_tee_evidence(t, rd, &out, &fmt).code) _exit(4);
        if (clo_quote_parse(clo_buf_view(&out), &q).code || memcmp(q.td.report_data, rd, 64))
            _exit(5);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(count_entries(tsm_dir()), 0);
    clo_tee_free(t);
}

/* ---- Gramine ---- */

static void test_sgx_quote_and_sealing(void **state)
{
    (void)state;
    uint8_t key[16];
    memset(key, 0x42, 16);
    make_gramine("dcap", key);
    clo_tee *t = open_backend(CLO_TEE_SGX, "attestation");
    uint8_t rd[64];
    memset(rd, 0x9e, 64);
    clo_buf out;
    clo_buf_init(&out, 1 << 16);
    clo_evidence_format fmt;
    OK(clo_tee_evidence(t, rd, &out, &fmt));
    assert_int_equal(fmt, CLO_EVIDENCE_SGX_QUOTE);
    clo_quote q;
    OK(clo_quote_parse(clo_buf_view(&out), &q));
    assert_int_equal(q.version, 3);
    assert_memory_equal(q.sgx.report_data, rd, 64);

    /* The sealing secret follows keys/_sgx_mrenclave, and only it. */
    clo_secret32 s1, s2, s3;
    OK(clo_tee_sealing_secret(t, &s1));
    OK(clo_tee_sealing_secret(t, &s2));
    assert_memory_equal(s1.b, s2.b, 32);
    key[0] ^= 1;
    make_gramine("dcap", key);
    OK(clo_tee_sealing_secret(t, &s3));
    assert_memory_not_equal(s1.b, s3.b, 32);
    char p[300];
    snprintf(p, sizeof p, "%s/attestation/keys", root);
    write_file(p, "_sgx_mrenclave", "short", 5);
    assert_int_equal(clo_tee_sealing_secret(t, &s3).code, CLO_E_FORMAT);

    /* Gramine without DCAP (epid, none) cannot give a quote this verifier takes. */
    make_gramine("none", key);
    clo_buf_clear(&out);
    assert_int_equal(clo_tee_evidence(t, rd, &out, &fmt).code, CLO_E_UNSUPPORTED);
    assert_int_equal(out.len, 0);
    clo_buf_free(&out);
    clo_tee_free(t);
}

/* Sealed state on sgx: EXPORT from one enclave, IMPORT into a restarted one
 * with the same mrenclave key keeps the keys; a different key cannot read it. */
static void test_sgx_sealed_state(void **state)
{
    (void)state;
    uint8_t key[16];
    memset(key, 0x17, 16);
    make_gramine("dcap", key);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/attestation", root);
    clo_proto_init in;
    memset(&in, 0, sizeof in);
    in.backend = CLO_TEE_SGX;
    in.chain_id = FX_CHAIN_ID;
    in.grace_seconds = 60;
    in.count = 1;
    in.parts[0] = clo_bytes_str(dir);
    clo_buf body, sealed, resp;
    clo_buf_init(&body, 1 << 16);
    clo_buf_init(&sealed, 1 << 20);
    clo_buf_init(&resp, 1 << 20);
    OK(clo_proto_init_encode(&in, &body));
    clo_enclave *a, *b, *c;
    OK(clo_enclave_new(&a));
    OK(fx_call(a, CLO_CALL_INIT, clo_buf_view(&body), FX_NOW, &resp));
    OK(fx_call(a, CLO_CALL_ROTATE, CLO_BYTES_EMPTY, FX_NOW, &resp));
    clo_proto_keys ka, kb;
    OK(fx_keys(a, FX_NOW, &ka));
    OK(fx_export(a, FX_NOW, &sealed));
    /* IMPORT: u32 size | state | no committee reports (these enclaves trust no committee) */
    clo_buf imp;
    clo_buf_init(&imp, 1 << 20);
    OK(clo_buf_u32be(&imp, (uint32_t)sealed.len));
    OK(clo_buf_append_bytes(&imp, clo_buf_view(&sealed)));
    OK(clo_buf_u8(&imp, 0));

    OK(clo_enclave_new(&b));
    OK(fx_call(b, CLO_CALL_INIT, clo_buf_view(&body), FX_NOW, &resp));
    OK(fx_call(b, CLO_CALL_IMPORT, clo_buf_view(&imp), FX_NOW, &resp));
    OK(fx_keys(b, FX_NOW, &kb));
    assert_memory_equal(ka.keys[0].signer, kb.keys[0].signer, 20);
    assert_memory_equal(ka.keys[0].hpke_pk, kb.keys[0].hpke_pk, 32);

    key[5] ^= 0x80;
    make_gramine("dcap", key);
    OK(clo_enclave_new(&c));
    OK(fx_call(c, CLO_CALL_INIT, clo_buf_view(&body), FX_NOW, &resp));
    assert_int_not_equal(fx_call(c, CLO_CALL_IMPORT, clo_buf_view(&imp), FX_NOW, &resp).code,
                         CLO_OK_CODE);
    assert_int_equal(fx_call(c, CLO_CALL_KEYS, CLO_BYTES_EMPTY, FX_NOW, &resp).code, CLO_OK_CODE);
    clo_proto_keys kc;
    OK(clo_proto_keys_decode(clo_buf_view(&resp), &kc));
    assert_int_equal(kc.count, 0);

    clo_buf_free(&imp);
    clo_enclave_free(a);
    clo_enclave_free(b);
    clo_enclave_free(c);
    clo_buf_free(&body);
    clo_buf_free(&sealed);
    clo_buf_free(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tdx_evidence_through_runtime),
        cmocka_unit_test(test_snp_report),
        cmocka_unit_test(test_snp_init_checks_host_data),
        cmocka_unit_test(test_provider_mismatch),
        cmocka_unit_test(test_generation_race),
        cmocka_unit_test(test_missing_directories),
        cmocka_unit_test(test_evidence_under_lockdown),
        cmocka_unit_test(test_sgx_quote_and_sealing),
        cmocka_unit_test(test_sgx_sealed_state),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
