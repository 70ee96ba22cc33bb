/* cmd_deploy.c — `cloister deploy`: deploy and wire Cloister's contracts on any
 * EVM JSON-RPC endpoint, and write the deployment file every other command
 * reads. `cloister devnet up` deploys through the same cli_deploy_cloister.
 *
 * Order (each step one transaction from the deployer key, waited for):
 *   EnclaveRegistry(owner, verifiers, threshold, bond, record lifetime, rotation grace)
 *   JobMarket(registry, challenge window, max deadline); registry.setMarket
 *   registry.setTeeAllowed for each TEE type; registry.setMeasurement for each
 *   measurement and built-in workload
 *   SealedBidAuction(market); PriceFeed(market, owner, keccak256(oracle config),
 *   8, description); feed.setUpdater(owner)
 *   ModelRegistry()
 * Governance calls need the deployer to be the owner; with --owner another
 * address, they are left to it (the file says which were done). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/ct.h"
#include "base/hex.h"
#include "chain/approval.h"
#include "chain/deploy.h"
#include "cli/cli.h"
#include "client/contracts.h"
#include "crypto/keccak.h"
#include "workloads/workload.h"

/* The PriceFeed's oracle config (docs/formats.md §5.3): median of the latest
 * reports, at least 3 sources, outliers beyond 5% of the median dropped. */
const uint8_t CLI_ORACLE_CONFIG[12] = {1, 1, 0, 3, 0, 0, 0x01, 0xf4, 0, 0, 0, 0};

/* The custom errors the deployment's constructors and calls can raise. */

static const char *const TEE_NAMES[] = {NULL, "sim", "tdx", "snp", "sgx"};

clo_err cli_deploy_one(cli_deployer *d, const char *name, const clo_abi_val *args, uint8_t out[20])
{
    clo_buf code, revert;
    clo_eth_receipt rc = {0}; /* freed on every path */
    clo_buf_init(&code, CLO_ARTIFACT_MAX_SIZE);
    clo_buf_init(&revert, 4096);
    clo_err err = clo_artifact_bytecode(d->artifacts, name, &code);
    if (err.code)
        snprintf(d->why, sizeof d->why, "artifact %s/%s.sol/%s.json", d->artifacts, name, name);
    if (!err.code) err = clo_deploy(&d->s, clo_buf_view(&code), args, out, &rc, &revert);
    if (err.code && !d->why[0]) {
        char reason[160];
        clo_abi_revert_text(clo_buf_view(&revert), clo_contract_errors, reason, sizeof reason);
        snprintf(d->why, sizeof d->why, "deploying %s: %s", name,
                 revert.len ? reason : (err.what ? err.what : "failed"));
    }
    if (!err.code) {
        json_t *c = json_object();
        json_object_set_new(c, "address", clo_json_hex(CLO_BYTES(out, 20)));
        json_object_set_new(c, "tx", clo_json_hex(CLO_BYTES(rc.tx_hash, 32)));
        json_object_set_new(c, "block", json_integer((json_int_t)rc.block_number));
        json_object_set_new(c, "gas_used", json_integer((json_int_t)rc.gas_used));
        json_object_set_new(d->contracts, name, c);
        fprintf(stderr, "deploy: %-16s at 0x", name);
        for (int i = 0; i < 20; i++) fprintf(stderr, "%02x", out[i]);
        fprintf(stderr, " (%llu gas)\n", (unsigned long long)rc.gas_used);
    }
    clo_eth_receipt_free(&rc);
    clo_buf_free(&code);
    clo_buf_free(&revert);
    return err;
}

clo_err cli_deploy_call(cli_deployer *d, const uint8_t to[20], const char *sig,
                        const clo_abi_val *args)
{
    clo_buf data, revert;
    clo_eth_receipt rc = {0}; /* freed on every path */
    clo_buf_init(&data, 1u << 16);
    clo_buf_init(&revert, 4096);
    clo_err err = clo_abi_encode_call(sig, args, &data);
    if (!err.code) err = clo_sender_transact(&d->s, to, NULL, clo_buf_view(&data), &rc, &revert);
    if (err.code) {
        char reason[160];
        clo_abi_revert_text(clo_buf_view(&revert), clo_contract_errors, reason, sizeof reason);
        snprintf(d->why, sizeof d->why, "%s: %s", sig, revert.len ? reason : err.what);
    }
    clo_eth_receipt_free(&rc);
    clo_buf_free(&data);
    clo_buf_free(&revert);
    return err;
}

clo_err cli_allow_measurement(cli_deployer *d, const uint8_t registry[20], const char *workload,
                              const uint8_t measurement[32])
{
    uint8_t wid[32];
    clo_workload_id(workload, wid);
    clo_abi_val a[3] = {clo_abi_word(wid), clo_abi_word(measurement), clo_abi_bool(1)};
    clo_abi_val t = clo_abi_tuple(a, 3);
    return cli_deploy_call(d, registry, CLO_ENCLAVE_REGISTRY_SET_MEASUREMENT, &t);
}

int cli_deploy_cloister(cli_deployer *d, const cli_deploy_plan *p, const char *rpc_url,
                        json_t **out)
{
    uint8_t registry[20], market[20], auction[20], feed[20], models[20], oracle_model[32];
    clo_err err = CLO_OK;
    int governs = !memcmp(p->owner, d->s.address, 20);
    json_t *tees = json_array(), *allowed = json_array(), *committee = json_array();
    d->contracts = json_object();
    d->why[0] = 0;

    clo_abi_val verifiers[CLI_DEPLOY_MAX_VERIFIERS];
    for (size_t i = 0; i < p->verifier_count; i++) {
        verifiers[i] = clo_abi_address(p->verifiers[i]);
        json_array_append_new(committee, clo_json_hex(CLO_BYTES(p->verifiers[i], 20)));
    }
    clo_abi_val reg_args[6] = {
        clo_abi_address(p->owner),        clo_abi_array(verifiers, p->verifier_count),
        clo_abi_uint(p->threshold),       clo_abi_uint(p->bond_wei),
        clo_abi_uint(p->record_lifetime), clo_abi_uint(p->rotation_grace)};
    clo_abi_val t = clo_abi_tuple(reg_args, 6);
    CLO_CHECK(cli_deploy_one(d, "EnclaveRegistry", &t, registry));
    clo_abi_val mk_args[3] = {clo_abi_address(registry), clo_abi_uint(p->challenge_window),
                              clo_abi_uint(p->max_deadline)};
    t = clo_abi_tuple(mk_args, 3);
    CLO_CHECK(cli_deploy_one(d, "JobMarket", &t, market));
    clo_abi_val one[1] = {clo_abi_address(market)};
    if (governs) {
        t = clo_abi_tuple(one, 1);
        CLO_CHECK(cli_deploy_call(d, registry, CLO_ENCLAVE_REGISTRY_SET_MARKET, &t));
        for (uint8_t k = CLO_TEE_SIM; k <= CLO_TEE_SGX; k++) {
            if (!(p->tee_mask & (1u << k))) continue;
            clo_abi_val tee[2] = {clo_abi_uint(k), clo_abi_bool(1)};
            t = clo_abi_tuple(tee, 2);
            CLO_CHECK(cli_deploy_call(d, registry, CLO_ENCLAVE_REGISTRY_SET_TEE_ALLOWED, &t));
            json_array_append_new(tees, json_string(TEE_NAMES[k]));
        }
        for (size_t m = 0; m < p->measurement_count; m++) {
            for (size_t i = 0; i < clo_workload_count(); i++)
                CLO_CHECK(cli_allow_measurement(d, registry, clo_workload_at(i)->name,
                                                p->measurements[m]));
            json_array_append_new(allowed, clo_json_hex(CLO_BYTES(p->measurements[m], 32)));
        }
    }
    t = clo_abi_tuple(one, 1);
    CLO_CHECK(cli_deploy_one(d, "SealedBidAuction", &t, auction));
    clo_keccak256(CLO_BYTES(CLI_ORACLE_CONFIG, sizeof CLI_ORACLE_CONFIG), oracle_model);
    clo_abi_val pf[5] = {clo_abi_address(market), clo_abi_address(d->s.address),
                         clo_abi_word(oracle_model), clo_abi_uint(8),
                         clo_abi_string("CLO / USD (enclave median)")};
    t = clo_abi_tuple(pf, 5);
    CLO_CHECK(cli_deploy_one(d, "PriceFeed", &t, feed));
    clo_abi_val upd[2] = {clo_abi_address(p->owner), clo_abi_bool(1)};
    t = clo_abi_tuple(upd, 2);
    CLO_CHECK(cli_deploy_call(d, feed, CLO_PRICE_FEED_SET_UPDATER, &t));
    t = clo_abi_tuple(NULL, 0);
    CLO_CHECK(cli_deploy_one(d, "ModelRegistry", &t, models));

    json_t *doc =
        json_pack("{s:I, s:s, s:o, s:{s:o, s:I}, s:o, s:o, s:b, s:o, s:o}", "chain_id",
                  (json_int_t)d->s.chain_id, "rpc", rpc_url, "contracts", d->contracts, "committee",
                  "verifiers", committee, "threshold", (json_int_t)p->threshold, "owner",
                  clo_json_hex(CLO_BYTES(p->owner, 20)), "deployer",
                  clo_json_hex(CLO_BYTES(d->s.address, 20)), "wired", governs, "tee_types", tees,
                  "measurements", allowed);
    json_object_set_new(doc, "oracle_config",
                        clo_json_hex(CLO_BYTES(CLI_ORACLE_CONFIG, sizeof CLI_ORACLE_CONFIG)));
    d->contracts = NULL;
    *out = doc;
    return CLI_EXIT_OK;
out:
    json_decref(tees);
    json_decref(allowed);
    json_decref(committee);
    json_decref(d->contracts);
    d->contracts = NULL;
    return cli_fail(err, d->why[0] ? d->why : "deployment failed");
}

/* "a,b,c" into up to max 20-byte addresses. */
static int parse_addresses(const char *opt, const char *list, uint8_t (*out)[20], size_t max,
                           size_t *count)
{
    char copy[CLI_DEPLOY_MAX_VERIFIERS * 44 + 64], *save = NULL;
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

    uint8_t verifiers[CLI_DEPLOY_MAX_VERIFIERS][20], owner[20];
    uint8_t measurements[CLI_DEPLOY_MAX_MEASUREMENTS][32];
    cli_deploy_plan p = {.verifiers = (const uint8_t(*)[20])verifiers,
                         .measurements = (const uint8_t(*)[32])measurements,
                         .tee_mask =
                             (1u << CLO_TEE_TDX) | (1u << CLO_TEE_SNP) | (1u << CLO_TEE_SGX),
                         .bond_wei = 1000000000000000000u,
                         .record_lifetime = 30 * 86400,
                         .rotation_grace = 86400,
                         .challenge_window = 60,
                         .max_deadline = 7 * 86400};
    if ((rc = parse_addresses("verifiers", cli_get(&spec, "verifiers"), verifiers,
                              CLI_DEPLOY_MAX_VERIFIERS, &p.verifier_count)))
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
            uint8_t k = 0;
            for (uint8_t i = CLO_TEE_SIM; i <= CLO_TEE_SGX; i++)
                if (!strcmp(w, TEE_NAMES[i])) k = i;
            if (!k) {
                cli_error("--tee: '%s' is not one of sim, tdx, snp, sgx\n", w);
                return CLI_EXIT_USAGE;
            }
            p.tee_mask |= (uint8_t)(1u << k);
        }
    }
    if (cli_get(&spec, "measurements")) {
        char list[CLI_DEPLOY_MAX_MEASUREMENTS * 100], *save = NULL;
        if (strlen(cli_get(&spec, "measurements")) >= sizeof list) {
            cli_error("--measurements: at most %d\n", CLI_DEPLOY_MAX_MEASUREMENTS);
            return CLI_EXIT_USAGE;
        }
        snprintf(list, sizeof list, "%s", cli_get(&spec, "measurements"));
        for (char *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
            uint8_t raw[48];
            const char *h = strncmp(m, "0x", 2) ? m : m + 2;
            if (p.measurement_count == CLI_DEPLOY_MAX_MEASUREMENTS) {
                cli_error("--measurements: at most %d\n", CLI_DEPLOY_MAX_MEASUREMENTS);
                return CLI_EXIT_USAGE;
            }
            if (strlen(h) == 96 && !clo_hex_decode_fixed(raw, 48, h).code)
                clo_keccak256(CLO_BYTES(raw, 48), measurements[p.measurement_count]);
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
    cli_deployer d;
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
