/* cmd_sim.c — `cloister sim init|quote`: the simulated TEE platform on disk.
 * D/<part> holds keys (0600) and certificates; D/collateral/ holds the
 * collateral files in Intel's formats; D/root_ca.der is the anchor to pass to
 * `cloister attest verify --anchor`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/devnet.h"
#include "base/hex.h"
#include "base/timefmt.h"
#include "cli/cli.h"

/* dir/name into path[PATH_CAP]; says so when it does not fit. */
#define PATH_CAP 4096
static int join(char *path, const char *dir, const char *name)
{
    int n = snprintf(path, PATH_CAP, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= PATH_CAP) {
        cli_error("path too long: '%s/%s'\n", dir, name);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

static int write_file(const char *dir, const char *name, clo_bytes data, int secret)
{
    char path[PATH_CAP];
    return join(path, dir, name) ? CLI_EXIT_FAIL : cli_write_file(path, data, secret);
}

int cli_sim_create(const char *dir, int64_t now)
{
    char coldir[PATH_CAP];
    if (join(coldir, dir, "collateral")) return CLI_EXIT_FAIL;
    if (cli_mkdirs(dir, 0700) != 0 || (mkdir(coldir, 0755) != 0 && errno != EEXIST)) {
        cli_error("cannot create '%s': %s\n", coldir, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    clo_sim sim;
    clo_err e = clo_sim_create(&sim, now);
    if (e.code) return cli_fail(e, "simulated platform creation failed");
    int rc = CLI_EXIT_OK;
    for (size_t i = 0; i < CLO_SIM_PARTS && !rc; i++) {
        clo_buf b;
        clo_buf_init(&b, 1 << 16);
        e = clo_sim_save_part(&sim, i, &b);
        rc = e.code ? cli_fail(e, "save failed")
                    : write_file(dir, clo_sim_part_names[i], clo_buf_view(&b),
                                 clo_sim_part_is_secret(i));
        clo_buf_free(&b);
    }
    for (size_t i = 0; i < CLO_SIM_COLLATERAL && !rc; i++) {
        clo_buf b;
        clo_buf_init(&b, 1 << 20);
        e = clo_sim_collateral(&sim, now, i, &b);
        rc = e.code ? cli_fail(e, "collateral failed")
                    : write_file(coldir, clo_sim_collateral_names[i], clo_buf_view(&b), 0);
        clo_buf_free(&b);
    }
    clo_sim_free(&sim);
    return rc;
}

static int init(int argc, char **argv)
{
    cli_opt o[] = {
        {"dir", "D", "directory to create the simulated platform in (default: ./sim-tee)", 0, NULL},
        {"at", "TIME", "issue time of the collateral, RFC 3339 UTC (default: now)", 0, NULL},
    };
    cli_spec spec = {
        "cloister sim init [--dir D] [--at TIME]",
        "Create a simulated TEE platform: root CA, PCK CA, PCK certificate with the SGX "
        "extension, TCB Signing certificate, QE attestation key, and collateral (TCB Info, "
        "TD QE Identity, CRLs) in Intel's formats. Its quotes always carry TD DEBUG.",
        o, 2};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    const char *dir = cli_get(&spec, "dir") ? cli_get(&spec, "dir") : "sim-tee";
    int64_t now = (int64_t)time(NULL);
    if (cli_get(&spec, "at") && clo_time_parse(cli_get(&spec, "at"), &now).code) {
        cli_error("--at: not an RFC 3339 UTC time\n");
        return CLI_EXIT_USAGE;
    }
    char anchor[PATH_CAP], coldir[PATH_CAP];
    if (join(coldir, dir, "collateral") || join(anchor, dir, "root_ca.der")) return CLI_EXIT_FAIL;
    if ((rc = cli_sim_create(dir, now))) return rc;
    char t[CLO_TIME_STRING_SIZE];
    clo_time_format(now, t);
    return cli_print(json_pack("{s:s,s:s,s:s,s:s}", "dir", dir, "anchor", anchor, "collateral",
                               coldir, "issued_at", t));
}

static int quote(int argc, char **argv)
{
    cli_opt o[] = {
        {"dir", "D", "the simulated platform (default: ./sim-tee)", 0, NULL},
        {"report-data", "HEX", "64 bytes of report data", 1, NULL},
        {"mrtd", "HEX", "MRTD, 48 bytes (default zeros)", 0, NULL},
        {"rtmr0", "HEX", "RTMR0, 48 bytes", 0, NULL},
        {"rtmr1", "HEX", "RTMR1, 48 bytes", 0, NULL},
        {"rtmr2", "HEX", "RTMR2, 48 bytes", 0, NULL},
        {"rtmr3", "HEX", "RTMR3, 48 bytes", 0, NULL},
        {"out", "FILE", "write the quote (binary) here instead of printing it as hex", 0, NULL},
    };
    cli_spec spec = {
        "cloister sim quote [--dir D] --report-data HEX [--mrtd HEX] [--rtmr0..3 HEX] [--out FILE]",
        "Emit a TDX v4 quote from the simulated platform, built like a real one, with the TD "
        "DEBUG attribute set. Prints {\"quote\":hex} or {\"out\":FILE,\"size\":N}.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    const char *dir = cli_get(&spec, "dir") ? cli_get(&spec, "dir") : "sim-tee";
    clo_sim_quote_params p;
    memset(&p, 0, sizeof p);
    if ((rc = cli_hex_fixed(&spec, "report-data", p.report_data, 64))) return rc;
    if (cli_get(&spec, "mrtd") && (rc = cli_hex_fixed(&spec, "mrtd", p.mrtd, 48))) return rc;
    for (int i = 0; i < 4; i++) {
        char name[8];
        snprintf(name, sizeof name, "rtmr%d", i);
        if (cli_get(&spec, name) && (rc = cli_hex_fixed(&spec, name, p.rtmr[i], 48))) return rc;
    }
    clo_sim sim;
    memset(&sim, 0, sizeof sim);
    for (size_t i = 0; i < CLO_SIM_PARTS; i++) {
        char path[PATH_CAP];
        clo_buf b;
        if (join(path, dir, clo_sim_part_names[i]) || cli_read_file("--dir", path, 1 << 20, &b)) {
            fprintf(stderr, "hint: run `cloister sim init --dir %s` first\n", dir);
            clo_sim_free(&sim);
            return CLI_EXIT_FAIL;
        }
        clo_err e = clo_sim_load_part(&sim, i, clo_buf_view(&b));
        clo_buf_free(&b);
        if (e.code) {
            clo_sim_free(&sim);
            return cli_fail(e, "the simulated platform's files do not load");
        }
    }
    clo_buf q;
    clo_buf_init(&q, 1 << 16);
    clo_err e = clo_sim_quote(&sim, &p, &q);
    clo_sim_free(&sim);
    if (e.code) {
        clo_buf_free(&q);
        return cli_fail(e, "quote generation failed");
    }
    const char *outp = cli_get(&spec, "out");
    if (outp) {
        rc = cli_write_file(outp, clo_buf_view(&q), 0);
        if (!rc) rc = cli_print(json_pack("{s:s,s:i}", "out", outp, "size", (int)q.len));
    } else {
        json_t *j = json_object();
        cli_json_hex(j, "quote", clo_buf_view(&q));
        rc = cli_print(j);
    }
    clo_buf_free(&q);
    return rc;
}

int cmd_sim(int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    if (strcmp(sub, "init") == 0) return init(argc - 1, argv + 1);
    if (strcmp(sub, "quote") == 0) return quote(argc - 1, argv + 1);
    FILE *f = strcmp(sub, "--help") == 0 ? stdout : stderr;
    fprintf(f, "usage: cloister sim init|quote [options]   (--help on each for details)\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
