/* cmd_attest.c — `cloister attest verify`: evidence + collateral + policy -> verdict. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "attest/verdict.h"
#include "base/timefmt.h"
#include "cli/cli.h"

#define EXIT_REJECTED 4
#define MAX_FILE      ((size_t)16 << 20)

int cli_load_anchor(const char *path, clo_x509 **out)
{
    clo_buf b;
    clo_dcap_collateral tmp;
    if (cli_read_file("--anchor", path, MAX_FILE, &b)) return CLI_EXIT_FAIL;
    clo_dcap_collateral_init(&tmp);
    int ok = !clo_dcap_collateral_add(&tmp, clo_buf_view(&b)).code && tmp.ncerts == 1;
    if (ok) {
        *out = tmp.certs[0];
        tmp.ncerts = 0;
    }
    clo_dcap_collateral_free(&tmp);
    clo_buf_free(&b);
    if (!ok) cli_error("--anchor: '%s' is not one certificate\n", path);
    return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL; /* a file's content: not a usage error */
}

int cli_load_collateral(const char *dir, const char *skip, clo_dcap_collateral *col, size_t *used)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    struct stat st, skip_st;
    int have_skip = skip && stat(skip, &skip_st) == 0;
    if (!d) {
        cli_error("--collateral: cannot open directory '%s': %s\n", dir, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    *used = 0;
    while ((e = readdir(d))) {
        char path[4096];
        clo_buf b;
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (have_skip && st.st_ino == skip_st.st_ino && st.st_dev == skip_st.st_dev) continue;
        if (cli_read_file("--collateral", path, MAX_FILE, &b) != 0) continue; /* said why */
        if (clo_dcap_collateral_add(col, clo_buf_view(&b)).code == CLO_OK_CODE) (*used)++;
        clo_buf_free(&b);
    }
    closedir(d);
    return CLI_EXIT_OK;
}

static void print_human(const char *verdict_json)
{
    json_error_t e;
    json_t *v = json_loads(verdict_json, 0, &e), *r;
    size_t i;
    if (!v) return;
    cli_mark_output();
    printf("%s: %s evidence, TCB status %s\n", json_string_value(json_object_get(v, "status")),
           json_string_value(json_object_get(v, "tee")),
           json_is_string(json_object_get(v, "tcb_status"))
               ? json_string_value(json_object_get(v, "tcb_status"))
               : "unknown");
    json_array_foreach(json_object_get(v, "advisories"), i, r)
        printf("  advisory %s\n", json_string_value(r));
    json_array_foreach(json_object_get(v, "reasons"), i, r)
        printf("  reason [%s] %s\n", json_string_value(json_object_get(r, "code")),
               json_string_value(json_object_get(r, "message")));
    json_decref(v);
}

static int verify(int argc, char **argv)
{
    cli_opt o[] = {
        {"evidence", "FILE", "a DCAP quote or SEV-SNP report (binary or hex text)", 1, NULL},
        {"collateral", "DIR", "directory of collateral files, recognised by content", 0, NULL},
        {"policy", "FILE", "policy (JSON); default: debug forbidden, UpToDate only, CRLs required",
         0, NULL},
        {"at", "TIME", "evaluation time, RFC 3339 UTC (default: the policy's, else now)", 0, NULL},
        {"anchor", "FILE", "trust anchor certificate (PEM/DER) instead of the built-in roots", 0,
         NULL},
        {"any-measurement", NULL,
         "experiments only: accept a TEE type the policy lists no measurements for (without it, "
         "such evidence is refused: deny by default)",
         0, NULL},
        {"json", NULL, "print the verdict document (JSON)", 0, NULL},
    };
    cli_spec spec = {
        "cloister attest verify --evidence FILE [--collateral DIR] [--policy FILE] [--at TIME] "
        "[--any-measurement] [--json]",
        "Verify attestation evidence and decide it against a policy. Deny by default: evidence "
        "of a TEE type the policy lists no measurements for is refused (reason no_rule). Exit "
        "status: 0 accepted, 4 rejected, 1 input/output error, 2 usage error.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;

    clo_buf ev = {0}, pol = {0};
    clo_policy *policy = NULL;
    clo_dcap_collateral col;
    clo_x509 *anchor = NULL;
    char *verdict = NULL, msg[256];
    clo_verdict *vd = malloc(sizeof *vd);
    clo_dcap_collateral_init(&col);
    rc = CLI_EXIT_FAIL;
    if (!vd) goto out;
    const char *ev_path = cli_get(&spec, "evidence");
    if (cli_read_file("--evidence", ev_path, MAX_FILE, &ev) != 0) goto out;
    if (cli_get(&spec, "policy")) {
        if (cli_read_file("--policy", cli_get(&spec, "policy"), MAX_FILE, &pol) != 0) goto out;
        if (clo_policy_parse(clo_buf_view(&pol), &policy, msg, sizeof msg).code) {
            cli_error("--policy: %s\n", msg);
            cli_error_code("format");
            rc = CLI_EXIT_FAIL;
            goto out;
        }
    } else if (clo_policy_default(&policy).code) {
        goto out;
    }
    if (cli_get(&spec, "any-measurement")) {
        fprintf(stderr, "WARNING: --any-measurement: evidence is accepted whatever code it "
                        "measures; for experiments only, never to trust an enclave\n");
        clo_policy_any_measurement(policy);
    }
    if (cli_get(&spec, "anchor") && (rc = cli_load_anchor(cli_get(&spec, "anchor"), &anchor)))
        goto out;
    rc = CLI_EXIT_FAIL;
    int64_t at = (int64_t)time(NULL);
    (void)clo_policy_time(policy, &at);
    if (cli_get(&spec, "at") && clo_time_parse(cli_get(&spec, "at"), &at).code) {
        cli_error("--at: '%s' is not an RFC 3339 UTC time (2025-06-19T10:56:11Z)\n",
                  cli_get(&spec, "at"));
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    size_t used = 0;
    if (cli_get(&spec, "collateral") &&
        cli_load_collateral(cli_get(&spec, "collateral"), ev_path, &col, &used) != CLI_EXIT_OK)
        goto out;
    clo_verify_opts vo = {at, anchor};
    if (clo_attest_verify(clo_buf_view(&ev), &col, policy, &vo, vd).code ||
        clo_verdict_json(vd, &verdict).code)
        goto out;
    if (cli_get(&spec, "json")) {
        cli_mark_output();
        puts(verdict);
    } else
        print_human(verdict);
    rc = vd->accepted ? CLI_EXIT_OK : EXIT_REJECTED;
out:
    free(vd);
    free(verdict);
    clo_x509_free(anchor);
    clo_policy_free(policy);
    clo_dcap_collateral_free(&col);
    clo_buf_free(&ev);
    clo_buf_free(&pol);
    return rc;
}

int cmd_attest(int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    if (strcmp(sub, "verify") == 0) return verify(argc - 1, argv + 1);
    FILE *f = strcmp(sub, "--help") == 0 ? stdout : stderr;
    fprintf(f, "usage: cloister attest verify [options]   (--help for details)\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
