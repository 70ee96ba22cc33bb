/* main.c — `cloister`: dispatch to one file per command. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: cloister <command> [options]\n\n"
        "commands:\n"
        "  hpke keygen|seal|open          raw RFC 9180 HPKE (base mode, single shot), hex in/out\n"
        "  envelope seal|open|reply-seal|reply-open|inspect\n"
        "                                 Cloister request/reply envelopes (docs/formats.md)\n"
        "  node run                       run cloisterd and its enclave (the HTTP API)\n"
        "  job submit|status|result       seal inputs, submit a job, fetch and check its result\n"
        "  enclave info                   the node enclave's measurement, keys and evidence\n"
        "  config check|init              validate a node configuration; make one for a "
        "deployment\n"
        "  sim init|quote                 the simulated TEE platform\n"
        "  deploy                         deploy and wire the contracts on any EVM chain\n"
        "  devnet up|down|status|allow|dcap\n"
        "                                 a local chain (anvil) with the contracts deployed;\n"
        "                                 allow a node enclave's measurement, verify the\n"
        "                                 simulated TEE on chain (governance)\n"
        "  dcap deploy|upload|platform|check|revoke\n"
        "                                 the on-chain DCAP verifier: deploy it, submit\n"
        "                                 collateral, register a machine, check a quote,\n"
        "                                 revoke a certificate by proof\n"
        "  verifier serve|approve         a member of the attestation-verifier committee\n"
        "  audit JOB_ID                   a job's chain of custody, checked link by link\n"
        "  attest verify                  verify DCAP or SEV-SNP evidence against a policy\n"
        "  onnx info|run|test             the ONNX engine: describe, run, conformance-test models\n"
        "  model train|provision          train a diagnosis classifier; seal a model to an "
        "enclave\n"
        "  demo                           run the end-to-end demonstration and self-check\n"
        "  version                        print the version\n\n"
        "Every command prints one JSON document on stdout, a failure too:\n"
        "{\"error\":{\"code\":...,\"message\":...}}. Exit codes: 0 ok, 1 failed (run time, I/O,\n"
        "bad file content), 2 usage, 4 a verification or policy check refused.\n"
        "`cloister <command> --help` for details.\n");
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        return cli_print(json_pack("{s:s}", "version", CLO_VERSION));
    }
    if (strcmp(cmd, "attest") == 0) return cmd_attest(argc - 2, argv + 2);
    if (strcmp(cmd, "hpke") == 0) return cmd_hpke(argc - 2, argv + 2);
    if (strcmp(cmd, "envelope") == 0) return cmd_envelope(argc - 2, argv + 2);
    if (strcmp(cmd, "demo") == 0) return cmd_demo(argc - 2, argv + 2);
    if (strcmp(cmd, "sim") == 0) return cmd_sim(argc - 2, argv + 2);
    if (strcmp(cmd, "deploy") == 0) return cmd_deploy(argc - 2, argv + 2);
    if (strcmp(cmd, "devnet") == 0) return cmd_devnet(argc - 2, argv + 2);
    if (strcmp(cmd, "dcap") == 0) return cmd_dcap(argc - 2, argv + 2);
    if (strcmp(cmd, "verifier") == 0) return cmd_verifier(argc - 2, argv + 2);
    if (strcmp(cmd, "audit") == 0) return cmd_audit(argc - 2, argv + 2);
    if (strcmp(cmd, "node") == 0) return cmd_node(argc - 2, argv + 2);
    if (strcmp(cmd, "job") == 0) return cmd_job(argc - 2, argv + 2);
    if (strcmp(cmd, "enclave") == 0) return cmd_enclave(argc - 2, argv + 2);
    if (strcmp(cmd, "onnx") == 0) return cmd_onnx(argc - 2, argv + 2);
    if (strcmp(cmd, "model") == 0) return cmd_model(argc - 2, argv + 2);
    if (strcmp(cmd, "config") == 0) return cmd_config(argc - 2, argv + 2);
    cli_error("unknown command '%s'\n\n", cmd);
    usage(stderr);
    return CLI_EXIT_USAGE;
}

/* Every failure ends as one JSON document on stdout (cli.h, cli_finish). */
int main(int argc, char **argv)
{
    return cli_finish(dispatch(argc, argv));
}
