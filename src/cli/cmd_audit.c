/* cmd_audit.c — `cloister audit JOB_ID`: a job's chain of custody, read from
 * the chain alone and checked link by link (client/audit.h names the links).
 * Exit 0 when every link holds, 4 when one does not, 1 when the chain cannot
 * be read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "cli/cli.h"
#include "client/audit.h"

#define EXIT_BROKEN 4

int cmd_audit(int argc, char **argv)
{
    cli_opt o[] = {
        {"deployment", "FILE",
         "deployments/<chainId>.json (default data/devnet/deployments/31337.json)", 0, NULL},
        {"rpc", "URL", "JSON-RPC URL (default: the deployment's)", 0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {"cloister audit JOB_ID [--deployment FILE] [--rpc URL]",
                     "Print a job's chain of custody from the chain alone and check each link: "
                     "its submission; its one settlement; the result statement recomputed from "
                     "the settlement and its signature or batch proof; the signer's enclave "
                     "record and measurement allowance; the committee approvals that registered "
                     "it. Exit 0 when every link holds, 4 when one does not.",
                     o, 3};
    const char *id = argc > 0 && strncmp(argv[0], "--", 2) ? argv[0] : NULL;
    int done, rc = cli_parse(&spec, argc - (id != NULL), argv + (id != NULL), &done);
    if (rc || done) return rc;
    uint8_t job[32];
    if (!id || clo_hex_decode_fixed(job, 32, id).code) {
        cli_error("JOB_ID: give the job id, 32 bytes of hex, first\n");
        return CLI_EXIT_USAGE;
    }
    const char *dep_path = cli_get(&spec, "deployment") ? cli_get(&spec, "deployment")
                                                        : "data/devnet/deployments/31337.json";
    clo_buf text;
    if (cli_read_file("--deployment", dep_path, 1 << 20, &text)) return CLI_EXIT_FAIL;
    json_t *dep = json_loadb((const char *)text.ptr, text.len, 0, NULL);
    clo_buf_free(&text);
    uint8_t registry[20], market[20];
    const char *url = cli_get(&spec, "rpc") ? cli_get(&spec, "rpc")
                                            : json_string_value(json_object_get(dep, "rpc"));
    const char *reg = json_string_value(json_object_get(
        json_object_get(json_object_get(dep, "contracts"), "EnclaveRegistry"), "address"));
    const char *mkt = json_string_value(json_object_get(
        json_object_get(json_object_get(dep, "contracts"), "JobMarket"), "address"));
    clo_rpc_opts ro = {url, 10000, 0, 100};
    if (!url || !reg || !mkt || clo_hex_decode_fixed(registry, 20, reg).code ||
        clo_hex_decode_fixed(market, 20, mkt).code) {
        json_decref(dep);
        cli_error("--deployment: needs rpc and contracts.{EnclaveRegistry,JobMarket}\n");
        cli_error_code("format");
        return CLI_EXIT_FAIL;
    }
    clo_rpc *rpc = NULL;
    clo_audit_report r;
    clo_err e = clo_rpc_new(&ro, &rpc);
    json_decref(dep);
    if (!e.code) e = clo_audit_job(rpc, registry, market, job, &r);
    clo_rpc_free(rpc);
    if (e.code) return cli_fail(e, "the chain cannot be read");
    cli_print(json_pack("{s:o,s:I,s:o,s:b}", "job_id", clo_json_hex(CLO_BYTES(job, 32)), "chain_id",
                        (json_int_t)r.chain_id, "links", r.links, "custody_ok", r.custody_ok));
    return r.custody_ok ? CLI_EXIT_OK : EXIT_BROKEN;
}
