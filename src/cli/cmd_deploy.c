/* cmd_deploy.c — `cloister deploy`: deploy and wire Cloister's contracts on any
 * EVM JSON-RPC endpoint (client/deploy.h says in which order), and write the
 * deployment file every other command reads. `cloister devnet up` deploys
 * through the same cli_deploy_cloister. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/ct.h"
#include "base/hex.h"
#include "base/teekind.h"
#include "cli/cli.h"
#include "client/contracts.h"
#include "client/deploy.h"

static void progress(const char *name, const uint8_t address[20], uint64_t gas_used)
{
    fprintf(stderr, "deploy: %-16s at 0x", name);
    for (int i = 0; i < 20; i++) fprintf(stderr, "%02x", address[i]);
    fprintf(stderr, " (%llu gas)\n", (unsigned long long)gas_used);
}

int cli_deploy_cloister(clo_deployer *d, const clo_deploy_plan *p, const char *rpc_url,
                        json_t **out)
{
    d->progress = progress;
    clo_err err = clo_deploy_cloister(d, p, rpc_url, out);
    return err.code ? cli_fail(err, d->why) : CLI_EXIT_OK;
}

/* "a,b,c" into up to max 20-byte addresses. */
static int parse_addresses(const char *opt, const char *list, uint8_t (*out)[20], size_t max,
                           size_t *count)
{
    char copy[CLO_DEPLOY_MAX_VERIFIERS * 44 + 64], *save = NULL;
    *count = 0;
    if (strlen(list) >= sizeof copy) {
        cli_error("--%s: too long\n", opt);
        return CLI_EXIT_USAGE;
    }
    snprintf(copy, sizeof copy, "%s", list);
    for (char *a = strtok_r(copy, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
        const char *h = strncmp(a, "0x", 2) ? a : a + 2;
        if (*count == max || clo_hex_decode_fixed(out[*count], 20, h).code) {
            cli_error("--%s: '%s' is not a 20-byte hex address (at most %zu)\n", opt, a, max);
            return CLI_EXIT_USAGE;
        }
        (*count)++;
    }
    if (!*count) {
        cli_error("--%s: give at least one address\n", opt);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cmd_deploy(int argc, char **argv)
{
    cli_opt o[] = {
        {"rpc", "URL", "the chain's JSON-RPC endpoint", 1, NULL},
        {"key", "FILE", "the deployer's secp256k1 key (hex), funded on that chain", 1, NULL},
        {"verifiers", "ADDRS", "comma-separated addresses of the attestation-verifier committee", 1,
         NULL},
        {"threshold", "K", "approvals an enclave record needs (default: a majority)", 0, NULL},
        {"owner", "ADDR", "governance owner (default: the deployer, which then also wires it)", 0,
         NULL},
        {"tee", "LIST", "TEE types the registry accepts: sim,tdx,snp,sgx (default tdx,snp,sgx)", 0,
         NULL},
        {"measurements", "HEX,...",
         "enclave measurements to allow for every built-in workload (48-byte platform "
         "measurement, or its 32-byte keccak256)",
         0, NULL},
        {"bond-wei", "N", "operator bond (default 10^18)", 0, NULL},
        {"record-lifetime", "SECONDS", "longest enclave record (default 30 days)", 0, NULL},
        {"rotation-grace", "SECONDS", "old epoch record overlap on rotation (default 1 day)", 0,
         NULL},
        {"max-deadline", "SECONDS", "longest job deadline (default 7 days)", 0, NULL},
        {"contracts", "DIR",
         "contract artifacts (default: $CLOISTER_CONTRACTS, else PREFIX/share/cloister/contracts)",
         0, NULL},
        {"out", "FILE", "where to write the deployment (default deployments/<chain id>.json)", 0,
         NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {
        "cloister deploy --rpc URL --key FILE --verifiers ADDRS [--threshold K] [--tee LIST] "
        "[--measurements HEX,...] [--out FILE]",
        "Deploy Cloister's contracts (EnclaveRegistry, JobMarket, SealedBidAuction, PriceFeed, "
        "ModelRegistry) on any EVM chain and wire them: the registry's market, the TEE types it "
        "accepts, allowed measurements and the PriceFeed's updater. Every transaction stays under "
        "the EIP-7825 per-transaction gas cap. Writes and prints the deployment file; "
        "`cloister config init --deployment FILE` turns it into a node configuration.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;

    uint8_t verifiers[CLO_DEPLOY_MAX_VERIFIERS][20], owner[20];
    uint8_t measurements[CLO_DEPLOY_MAX_MEASUREMENTS][32];
    clo_deploy_plan p = {.verifiers = (const uint8_t(*)[20])verifiers,
                         .measurements = (const uint8_t(*)[32])measurements,
                         .tee_mask =
                             (1u << CLO_TEE_TDX) | (1u << CLO_TEE_SNP) | (1u << CLO_TEE_SGX),
                         .bond_wei = 1000000000000000000u,
                         .record_lifetime = 30 * 86400,
                         .rotation_grace = 86400,
                         .challenge_window = 60,
                         .max_deadline = 7 * 86400};
    if ((rc = parse_addresses("verifiers", cli_get(&spec, "verifiers"), verifiers,
                              CLO_DEPLOY_MAX_VERIFIERS, &p.verifier_count)))
        return rc;
    p.threshold = p.verifier_count / 2 + 1;
    if (cli_get(&spec, "threshold") &&
        (rc = cli_u64(&spec, "threshold", p.verifier_count, &p.threshold)))
        return rc;
    if (!p.threshold) {
        cli_error("--threshold: at least 1\n");
        return CLI_EXIT_USAGE;
    }
    if (cli_get(&spec, "bond-wei") && (rc = cli_u64(&spec, "bond-wei", UINT64_MAX, &p.bond_wei)))
        return rc;
    if (cli_get(&spec, "record-lifetime") &&
        (rc = cli_u64(&spec, "record-lifetime", 366u * 86400, &p.record_lifetime)))
        return rc;
    if (cli_get(&spec, "rotation-grace") &&
        (rc = cli_u64(&spec, "rotation-grace", 366u * 86400, &p.rotation_grace)))
        return rc;
    if (cli_get(&spec, "max-deadline") &&
        (rc = cli_u64(&spec, "max-deadline", 366u * 86400, &p.max_deadline)))
        return rc;
    if (cli_get(&spec, "tee")) {
        char list[64], *save = NULL;
        snprintf(list, sizeof list, "%s", cli_get(&spec, "tee"));
        p.tee_mask = 0;
        for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
            clo_tee_kind k;
            if (clo_tee_kind_parse(w, &k).code) {
                cli_error("--tee: '%s' is not one of sim, tdx, snp, sgx\n", w);
                return CLI_EXIT_USAGE;
            }
            p.tee_mask |= (uint8_t)(1u << k);
        }
    }
    if (cli_get(&spec, "measurements")) {
        char list[CLO_DEPLOY_MAX_MEASUREMENTS * 100], *save = NULL;
        if (strlen(cli_get(&spec, "measurements")) >= sizeof list) {
            cli_error("--measurements: at most %d\n", CLO_DEPLOY_MAX_MEASUREMENTS);
            return CLI_EXIT_USAGE;
        }
        snprintf(list, sizeof list, "%s", cli_get(&spec, "measurements"));
        for (char *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
            uint8_t raw[48];
            const char *h = strncmp(m, "0x", 2) ? m : m + 2;
            if (p.measurement_count == CLO_DEPLOY_MAX_MEASUREMENTS) {
                cli_error("--measurements: at most %d\n", CLO_DEPLOY_MAX_MEASUREMENTS);
                return CLI_EXIT_USAGE;
            }
            if (strlen(h) == 96 && !clo_hex_decode_fixed(raw, 48, h).code)
                clo_registry_measurement_hash(CLO_BYTES(raw, 48),
                                              measurements[p.measurement_count]);
            else if (strlen(h) != 64 ||
                     clo_hex_decode_fixed(measurements[p.measurement_count], 32, h).code) {
                cli_error("--measurements: '%s' is neither 48 nor 32 bytes of hex\n", m);
                return CLI_EXIT_USAGE;
            }
            p.measurement_count++;
        }
    }

    char artifacts[CLI_PATH_CAP];
    if (cli_find_share("contracts", cli_get(&spec, "contracts"), "CLOISTER_CONTRACTS", artifacts))
        return CLI_EXIT_FAIL;
    clo_secret32 key;
    clo_rpc *rpc = NULL;
    clo_deployer d;
    memset(&d, 0, sizeof d);
    d.artifacts = artifacts;
    clo_err err = clo_key_file_read(cli_get(&spec, "key"), &key, owner);
    if (err.code) return cli_fail(err, "--key: not a readable hex secp256k1 key file");
    if (cli_get(&spec, "owner")) {
        size_t n;
        if ((rc = parse_addresses("owner", cli_get(&spec, "owner"), &owner, 1, &n))) goto done;
    }
    p.owner = owner;
    clo_rpc_opts ro = {
        .url = cli_get(&spec, "rpc"), .timeout_ms = 10000, .retries = 2, .backoff_ms = 200};
    err = clo_rpc_new(&ro, &rpc);
    if (!err.code) err = clo_sender_init(&d.s, rpc, &key);
    if (err.code) {
        rc = cli_fail(err, "cannot reach the chain at --rpc (or read the deployer's nonce)");
        goto done;
    }
    fprintf(stderr, "deploy: chain %llu at %s, deployer 0x", (unsigned long long)d.s.chain_id,
            ro.url);
    for (int i = 0; i < 20; i++) fprintf(stderr, "%02x", d.s.address[i]);
    fprintf(stderr, "\n");
    json_t *doc = NULL;
    if ((rc = cli_deploy_cloister(&d, &p, ro.url, &doc))) goto done;
    char path[CLI_PATH_CAP];
    if (cli_get(&spec, "out"))
        snprintf(path, sizeof path, "%s", cli_get(&spec, "out"));
    else {
        if (mkdir("deployments", 0755) != 0 && errno != EEXIST) {
            json_decref(doc);
            rc = cli_fail(CLO_ERR(CLO_E_IO, "out"), "cannot create the directory 'deployments'");
            goto done;
        }
        snprintf(path, sizeof path, "deployments/%llu.json", (unsigned long long)d.s.chain_id);
    }
    if (json_dump_file(doc, path, JSON_INDENT(2)) != 0) {
        json_decref(doc);
        rc = cli_fail(CLO_ERR(CLO_E_IO, "out"), "cannot write the deployment file");
        goto done;
    }
    json_object_set_new(doc, "path", json_string(path));
    rc = cli_print(doc);
done:
    clo_sender_wipe(&d.s);
    clo_wipe(&key, sizeof key);
    clo_rpc_free(rpc);
    return rc;
}
