/* cmd_config.c — `cloister config check|init`: a node configuration checked
 * (the bad key named) and printed as the node will run it, or made for a
 * deployment. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/cli.h"
#include "host/node.h"

/* Load and check a config file (or the defaults when path is NULL). */
int cli_config_load(const char *path, clo_config *cfg)
{
    clo_config_defaults(cfg);
    if (!path) return CLI_EXIT_OK;
    clo_buf text;
    if (cli_read_file("--config", path, CLO_CONFIG_MAX_SIZE, &text)) return CLI_EXIT_FAIL;
    char msg[256];
    clo_err e = clo_config_parse(clo_buf_view(&text), cfg, msg, sizeof msg);
    clo_buf_free(&text);
    if (e.code) return cli_fail(e, msg);
    return CLI_EXIT_OK;
}

static int check(int argc, char **argv)
{
    cli_opt o[] = {{"config", "FILE", "the configuration file", 1, NULL},
                   {"json", NULL, "JSON output (the default)", 0, NULL}};
    cli_spec spec = {"cloister config check --config FILE",
                     "Validate a cloisterd configuration file strictly (unknown keys, duplicate "
                     "keys, types and ranges) and print the effective configuration with every "
                     "default filled in.",
                     o, 2};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    clo_config cfg;
    if ((rc = cli_config_load(cli_get(&spec, "config"), &cfg))) return rc;
    char *s = clo_config_dump(&cfg);
    json_t *doc = s ? json_loads(s, 0, NULL) : NULL;
    free(s);
    return cli_print(json_pack("{s:b,s:o}", "valid", 1, "config", doc ? doc : json_null()));
}

/* A node configuration for a deployment: what its enclave is bound to (chain,
 * JobMarket, registry) and where it settles, checked by the same parser the
 * node uses before it is written. */
static int init(int argc, char **argv)
{
    cli_opt o[] = {
        {"deployment", "FILE",
         "the deployment (cloister deploy, or devnet's deployments/<id>.json)", 1, NULL},
        {"key-file", "FILE", "the operator's funded key; turns the chain side on", 0, NULL},
        {"verifiers", "URLS", "the committee's verifier service URLs, comma-separated", 0, NULL},
        {"rpc", "URL", "JSON-RPC endpoint (default: the deployment's)", 0, NULL},
        {"data-dir", "DIR", "journal and sealed state (default cloister-data)", 0, NULL},
        {"sim-dir", "DIR", "the simulated TEE (default sim-tee)", 0, NULL},
        {"port", "N", "API port (default 8645)", 0, NULL},
        {"registration", "HOW",
         "committee (the verifiers' approvals, the default) or onchain (the enclave's own quote, "
         "no committee; needs --collateral-dir)",
         0, NULL},
        {"collateral-dir", "DIR",
         "with onchain: the platform's PCS collateral (tcb_info.json, qe_identity.json, "
         "tcb_info_issuer_chain.pem; a simulated platform's is sim-tee/collateral)",
         0, NULL},
        {"key-sharing", NULL,
         "share this node's enclave's epoch keys with enclaves of its measurement "
         "(api.key_sharing)",
         0, NULL},
        {"key-peers", "URLS",
         "nodes whose enclaves give this one their epoch keys, comma-separated "
         "(enclave.key_peers)",
         0, NULL},
        {"stagger-seconds", "N",
         "several operators: this node's turn on a job comes N seconds per rank after its block "
         "(chain.stagger_seconds)",
         0, NULL},
        {"out", "FILE", "write the configuration there too (refuses to overwrite)", 0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {
        "cloister config init --deployment FILE [--key-file FILE --verifiers URLS] [--out FILE]",
        "Print a node configuration bound to a deployment: chain id, JobMarket and registry (which "
        "the enclave's envelopes, evidence and statements are bound to) and, with --key-file, the "
        "chain side (rpc, operator key, committee). The output is what `cloister node run "
        "--config` reads; it is validated with the node's own parser first.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    json_error_t je;
    json_t *dep = json_load_file(cli_get(&spec, "deployment"), JSON_REJECT_DUPLICATES, &je);
    if (!dep)
        return cli_fail(CLO_ERR(CLO_E_IO, "deployment"), "--deployment: cannot read the file");
    json_t *contracts = json_object_get(dep, "contracts");
    json_t *market = json_object_get(json_object_get(contracts, "JobMarket"), "address");
    json_t *registry = json_object_get(json_object_get(contracts, "EnclaveRegistry"), "address");
    json_t *chain = json_object_get(dep, "chain_id");
    const char *rpc = cli_get(&spec, "rpc") ? cli_get(&spec, "rpc")
                                            : json_string_value(json_object_get(dep, "rpc"));
    if (!json_is_string(market) || !json_is_string(registry) || !json_is_integer(chain)) {
        json_decref(dep);
        return cli_fail(CLO_ERR(CLO_E_FORMAT, "deployment"),
                        "--deployment: no chain_id, JobMarket or EnclaveRegistry address");
    }
    json_t *cfg = json_pack("{s:{s:O,s:O,s:O}}", "chain", "chain_id", chain, "job_market", market,
                            "registry", registry);
    json_t *c = json_object_get(cfg, "chain");
    /* The committee whose tickets the enclave takes and who records its sealed
     * state: part of its measurement, and it needs the members' URLs. */
    json_t *cm = json_object_get(dep, "committee");
    if (json_is_array(json_object_get(cm, "verifiers")) && cli_get(&spec, "verifiers")) {
        json_object_set(c, "committee", json_object_get(cm, "verifiers"));
        json_object_set(c, "committee_threshold", json_object_get(cm, "threshold"));
    }
    if (cli_get(&spec, "key-file")) {
        if (!rpc || !cli_get(&spec, "verifiers")) {
            json_decref(cfg);
            json_decref(dep);
            cli_error("--key-file needs --verifiers (and an rpc in the deployment "
                      "or --rpc)\n");
            return CLI_EXIT_USAGE;
        }
        char abs[PATH_MAX];
        const char *kf = cli_get(&spec, "key-file");
        json_object_set_new(c, "rpc", json_string(rpc));
        json_object_set_new(c, "key_file", json_string(realpath(kf, abs) ? abs : kf));
        json_t *list = json_array();
        char urls[2048], *save = NULL;
        snprintf(urls, sizeof urls, "%s", cli_get(&spec, "verifiers"));
        for (char *u = strtok_r(urls, ",", &save); u; u = strtok_r(NULL, ",", &save))
            json_array_append_new(list, json_string(u));
        json_object_set_new(c, "verifiers", list);
    } else if (cli_get(&spec, "verifiers")) {
        json_decref(cfg);
        json_decref(dep);
        cli_error("--verifiers needs --key-file (the chain side)\n");
        return CLI_EXIT_USAGE;
    }
    json_decref(dep);
    if (cli_get(&spec, "data-dir"))
        json_object_set_new(cfg, "data_dir", json_string(cli_get(&spec, "data-dir")));
    if (cli_get(&spec, "sim-dir"))
        json_object_set_new(cfg, "enclave",
                            json_pack("{s:s}", "sim_dir", cli_get(&spec, "sim-dir")));
    json_t *ch = json_object_get(cfg, "chain");
    if (cli_get(&spec, "registration"))
        json_object_set_new(ch, "registration", json_string(cli_get(&spec, "registration")));
    if (cli_get(&spec, "collateral-dir"))
        json_object_set_new(ch, "collateral_dir", json_string(cli_get(&spec, "collateral-dir")));
    if (cli_get(&spec, "key-sharing"))
        json_object_set_new(cfg, "api", json_pack("{s:b}", "key_sharing", 1));
    if (cli_get(&spec, "key-peers")) {
        if (!json_object_get(cfg, "enclave")) json_object_set_new(cfg, "enclave", json_object());
        json_object_set_new(json_object_get(cfg, "enclave"), "key_peers",
                            json_string(cli_get(&spec, "key-peers")));
    }
    if (cli_get(&spec, "stagger-seconds")) {
        uint64_t st;
        if ((rc = cli_u64(&spec, "stagger-seconds", 3600, &st))) {
            json_decref(cfg);
            return rc;
        }
        json_object_set_new(ch, "stagger_seconds", json_integer((json_int_t)st));
    }
    if (cli_get(&spec, "port")) {
        uint64_t port;
        if ((rc = cli_u64(&spec, "port", 65535, &port))) {
            json_decref(cfg);
            return rc;
        }
        json_object_set_new(cfg, "listen", json_pack("{s:I}", "port", (json_int_t)port));
    }
    char *text = json_dumps(cfg, JSON_INDENT(2));
    clo_config parsed;
    char msg[256];
    clo_config_defaults(&parsed);
    clo_err e = text ? clo_config_parse(CLO_BYTES(text, strlen(text)), &parsed, msg, sizeof msg)
                     : CLO_ERR(CLO_E_NOMEM, "config");
    if (!e.code && cli_get(&spec, "out")) {
        if (access(cli_get(&spec, "out"), F_OK) == 0) {
            free(text);
            json_decref(cfg);
            return cli_fail(CLO_ERR(CLO_E_IO, "out"), "--out: the file exists; not overwritten");
        }
        if (cli_write_file(cli_get(&spec, "out"), CLO_BYTES(text, strlen(text)), 0))
            e = CLO_ERR(CLO_E_IO, "out");
    }
    free(text);
    if (e.code) {
        json_decref(cfg);
        return cli_fail(e, e.code == CLO_E_IO ? "cannot write --out" : msg);
    }
    return cli_print(cfg);
}

int cmd_config(int argc, char **argv)
{
    if (argc > 0 && !strcmp(argv[0], "check")) return check(argc - 1, argv + 1);
    if (argc > 0 && !strcmp(argv[0], "init")) return init(argc - 1, argv + 1);
    FILE *f = argc > 0 && !strcmp(argv[0], "--help") ? stdout : stderr;
    fprintf(f, "usage: cloister config check|init   (--help for details)\n"
               "  check   validate a node configuration and print the effective one\n"
               "  init    print a node configuration bound to a deployment\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
