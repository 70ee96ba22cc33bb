/* cmd_devnet.c — `cloister devnet up|down|status`: a local EVM chain (anvil
 * from the npm package, on 127.0.0.1 at a free port, state kept in the devnet
 * directory) with Cloister's contracts deployed by the C client.
 *
 * D/devnet.json   pid, port, rpc url, chain id (written once anvil answers)
 * D/anvil.log     anvil's output
 * D/anvil-state.json  chain state, loaded on up and dumped on down
 * D/keys/<role>.key   hex secp256k1 keys (0600): deployer (governance owner),
 *                     operator, verifier1..3 (the 2-of-3 committee)
 * D/deployments/<chainId>.json  contract addresses */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/ct.h"
#include "base/hex.h"
#include "chain/approval.h"
#include "chain/deploy.h"
#include "cli/cli.h"
#include "crypto/keccak.h"
#include "crypto/secp256k1.h"
#include "workloads/workload.h"

#define PATH_CAP        4096
#define DEVNET_CHAIN_ID 31337
#define VERIFIERS       3
#define THRESHOLD       2

/* The PriceFeed's oracle config (docs/formats.md §5.3): median of the latest
 * reports, at least 3 sources, outliers beyond 5% of the median dropped. */
static const uint8_t ORACLE_CONFIG[12] = {1, 1, 0, 3, 0, 0, 0x01, 0xf4, 0, 0, 0, 0};

static const char *const ROLES[] = {"deployer", "operator", "verifier1", "verifier2", "verifier3"};
enum { ROLE_DEPLOYER, ROLE_OPERATOR, ROLE_VERIFIER1, ROLE_COUNT = 5 };

/* The custom errors the deployment's constructors and calls can raise. */
static const char *const CONTRACT_ERRORS[] = {"NotOwner()", "MarketAlreadySet()", "ZeroAddress()",
                                              "BadThreshold()", NULL};

static int path_of(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_CAP, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_CAP) {
        fprintf(stderr, "error: path too long: '%s/%s'\n", dir, name);
        return -1;
    }
    return 0;
}

/* ---- keys ---- */

static int load_or_make_key(const char *dir, const char *role, clo_secret32 *sk, uint8_t addr[20])
{
    char kdir[PATH_CAP], path[PATH_CAP], name[64];
    uint8_t pub[65];
    if (path_of(kdir, dir, "keys")) return -1;
    if (mkdir(kdir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "error: cannot create '%s': %s\n", kdir, strerror(errno));
        return -1;
    }
    snprintf(name, sizeof name, "%s.key", role);
    if (path_of(path, kdir, name)) return -1;
    clo_buf text;
    if (access(path, F_OK) == 0) {
        if (cli_read_file("key", path, 200, &text)) return -1;
        if (clo_buf_u8(&text, 0).code) {
            clo_buf_free(&text);
            return -1;
        }
        char *s = (char *)text.ptr;
        s[strcspn(s, "\r\n")] = 0;
        clo_err e = clo_hex_decode_fixed(sk->b, 32, s);
        clo_buf_free(&text);
        if (e.code) {
            fprintf(stderr, "error: '%s' is not a 32-byte hex key\n", path);
            return -1;
        }
    } else {
        char hex[65];
        if (clo_secp256k1_keygen(sk).code) return -1;
        clo_hex_encode(hex, CLO_BYTES(sk->b, 32));
        hex[64] = '\n';
        int rc = cli_write_file(path, CLO_BYTES(hex, 65), 1);
        clo_wipe(hex, sizeof hex);
        if (rc) return -1;
    }
    if (clo_secp256k1_pubkey(sk, pub).code || clo_eth_address(pub, addr).code) {
        fprintf(stderr, "error: '%s' holds an invalid secp256k1 key\n", path);
        return -1;
    }
    return 0;
}

/* ---- the anvil process ---- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* 1 if pid is alive and is an anvil. */
static int is_anvil(long pid)
{
    char path[64], cmd[256] = {0};
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(cmd, 1, sizeof cmd - 1, f);
    fclose(f);
    return n > 0 && strstr(cmd, "anvil") != NULL;
}

static json_t *read_state(const char *dir)
{
    char path[PATH_CAP];
    if (path_of(path, dir, "devnet.json")) return NULL;
    return json_load_file(path, 0, NULL);
}

static clo_err rpc_open(const char *url, clo_rpc **out)
{
    clo_rpc_opts o = {.url = url, .timeout_ms = 5000, .retries = 2, .backoff_ms = 100};
    return clo_rpc_new(&o, out);
}

static long spawn_anvil(const char *dir, const char *anvil, int port)
{
    char log[PATH_CAP], state[PATH_CAP], ports[16], chain[16];
    if (path_of(log, dir, "anvil.log") || path_of(state, dir, "anvil-state.json")) return -1;
    snprintf(ports, sizeof ports, "%d", port);
    snprintf(chain, sizeof chain, "%d", DEVNET_CHAIN_ID);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        setsid(); /* outlives this command; `devnet down` stops it */
        int in = open("/dev/null", O_RDONLY), out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (in < 0 || out < 0) _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(out, 2);
        for (int fd = 3; fd < 1024; fd++) close(fd);
        execl(anvil, anvil, "--host", "127.0.0.1", "--port", ports, "--chain-id", chain, "--state",
              state, "--accounts", "1", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Wait until the node answers eth_chainId (or the child died). */
static int wait_ready(long pid, const char *url, uint64_t *chain_id)
{
    clo_rpc *rpc;
    clo_rpc_opts o = {.url = url, .timeout_ms = 500, .retries = -1};
    if (clo_rpc_new(&o, &rpc).code) return -1;
    int rc = -1;
    for (int i = 0; i < 300 && rc; i++) {
        int status;
        if (waitpid((pid_t)pid, &status, WNOHANG) == pid) break;
        if (!clo_eth_chain_id(rpc, chain_id).code)
            rc = 0;
        else
            usleep(50 * 1000);
    }
    clo_rpc_free(rpc);
    return rc;
}

/* ---- deployment ---- */

typedef struct {
    clo_sender s;
    const char *artifacts;
    json_t *contracts;
    char why[256];
} deployer;

static clo_err deploy_one(deployer *d, const char *name, const clo_abi_val *args, uint8_t out[20])
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
        clo_abi_revert_text(clo_buf_view(&revert), CONTRACT_ERRORS, reason, sizeof reason);
        snprintf(d->why, sizeof d->why, "deploying %s: %s", name,
                 revert.len ? reason : (err.what ? err.what : "failed"));
    }
    if (!err.code) {
        json_t *c = json_object();
        json_object_set_new(c, "address", clo_rpc_hex(CLO_BYTES(out, 20)));
        json_object_set_new(c, "tx", clo_rpc_hex(CLO_BYTES(rc.tx_hash, 32)));
        json_object_set_new(c, "block", json_integer((json_int_t)rc.block_number));
        json_object_set_new(c, "gasUsed", json_integer((json_int_t)rc.gas_used));
        json_object_set_new(d->contracts, name, c);
        fprintf(stderr, "devnet: deployed %-16s at 0x", name);
        for (int i = 0; i < 20; i++) fprintf(stderr, "%02x", out[i]);
        fprintf(stderr, " (%llu gas)\n", (unsigned long long)rc.gas_used);
    }
    clo_eth_receipt_free(&rc);
    clo_buf_free(&code);
    clo_buf_free(&revert);
    return err;
}

static clo_err call_one(deployer *d, const uint8_t to[20], const char *sig, const clo_abi_val *args)
{
    clo_buf data, revert;
    clo_eth_receipt rc = {0}; /* freed on every path */
    clo_buf_init(&data, 1u << 16);
    clo_buf_init(&revert, 4096);
    clo_err err = clo_abi_encode_call(sig, args, &data);
    if (!err.code) err = clo_sender_transact(&d->s, to, NULL, clo_buf_view(&data), &rc, &revert);
    if (err.code) {
        char reason[160];
        clo_abi_revert_text(clo_buf_view(&revert), CONTRACT_ERRORS, reason, sizeof reason);
        snprintf(d->why, sizeof d->why, "%s: %s", sig, revert.len ? reason : err.what);
    }
    clo_eth_receipt_free(&rc);
    clo_buf_free(&data);
    clo_buf_free(&revert);
    return err;
}

static clo_err fund(clo_rpc *rpc, const uint8_t addr[20])
{
    json_t *res;
    uint8_t amount[32] = {0};
    amount[20] = 0x02; /* 2^89 wei, about 619 million ether: plenty */
    CLO_TRY(clo_rpc_call(
        rpc, "anvil_setBalance",
        json_pack("[o,o]", clo_rpc_hex(CLO_BYTES(addr, 20)), clo_rpc_hex_quantity256(amount)),
        &res));
    json_decref(res);
    return CLO_OK;
}

static int deploy_all(const char *dir, const char *url, const char *artifacts, json_t **out)
{
    clo_secret32 keys[ROLE_COUNT];
    uint8_t addrs[ROLE_COUNT][20], registry[20], market[20], auction[20], feed[20], models[20];
    clo_rpc *rpc = NULL;
    deployer d = {.artifacts = artifacts, .contracts = json_object()};
    clo_err err = CLO_OK;
    int rc = CLI_EXIT_FAIL;
    for (int i = 0; i < ROLE_COUNT; i++)
        if (load_or_make_key(dir, ROLES[i], &keys[i], addrs[i])) goto done;
    CLO_CHECK(rpc_open(url, &rpc));
    for (int i = 0; i < ROLE_COUNT; i++) CLO_CHECK(fund(rpc, addrs[i]));
    CLO_CHECK(clo_sender_init(&d.s, rpc, &keys[ROLE_DEPLOYER]));

    clo_abi_val verifiers[VERIFIERS];
    for (int i = 0; i < VERIFIERS; i++) verifiers[i] = clo_abi_address(addrs[ROLE_VERIFIER1 + i]);
    clo_abi_val reg_args[6] = {clo_abi_address(addrs[ROLE_DEPLOYER]),
                               clo_abi_array(verifiers, VERIFIERS),
                               clo_abi_uint(THRESHOLD),
                               clo_abi_uint(1000000000000000000u) /* 1 ether bond */,
                               clo_abi_uint(30 * 86400),
                               clo_abi_uint(86400)};
    clo_abi_val t = clo_abi_tuple(reg_args, 6);
    CLO_CHECK(deploy_one(&d, "EnclaveRegistry", &t, registry));
    clo_abi_val mk_args[3] = {clo_abi_address(registry), clo_abi_uint(60), clo_abi_uint(7 * 86400)};
    t = clo_abi_tuple(mk_args, 3);
    CLO_CHECK(deploy_one(&d, "JobMarket", &t, market));
    clo_abi_val one[1] = {clo_abi_address(market)};
    t = clo_abi_tuple(one, 1);
    CLO_CHECK(call_one(&d, registry, "setMarket(address)", &t));
    clo_abi_val tee[2] = {clo_abi_uint(CLO_REG_TEE_SIM /* a devnet trusts the simulated TEE */),
                          clo_abi_bool(1)};
    t = clo_abi_tuple(tee, 2);
    CLO_CHECK(call_one(&d, registry, "setTeeAllowed(uint8,bool)", &t));
    t = clo_abi_tuple(one, 1);
    CLO_CHECK(deploy_one(&d, "SealedBidAuction", &t, auction));
    uint8_t oracle_model[32];
    clo_keccak256(CLO_BYTES(ORACLE_CONFIG, sizeof ORACLE_CONFIG), oracle_model);
    clo_abi_val pf[5] = {clo_abi_address(market), clo_abi_address(addrs[ROLE_DEPLOYER]),
                         clo_abi_word(oracle_model), clo_abi_uint(8),
                         clo_abi_string("CLO / USD (enclave median)")};
    t = clo_abi_tuple(pf, 5);
    CLO_CHECK(deploy_one(&d, "PriceFeed", &t, feed));
    clo_abi_val upd[2] = {clo_abi_address(addrs[ROLE_DEPLOYER]), clo_abi_bool(1)};
    t = clo_abi_tuple(upd, 2);
    CLO_CHECK(call_one(&d, feed, "setUpdater(address,bool)", &t));
    t = clo_abi_tuple(NULL, 0);
    CLO_CHECK(deploy_one(&d, "ModelRegistry", &t, models));

    json_t *committee = json_array();
    for (int i = 0; i < VERIFIERS; i++) {
        json_array_append_new(committee, clo_rpc_hex(CLO_BYTES(addrs[ROLE_VERIFIER1 + i], 20)));
    }
    json_t *doc = json_pack("{s:I, s:s, s:o, s:{s:o, s:i}}", "chainId", (json_int_t)d.s.chain_id,
                            "rpc", url, "contracts", d.contracts, "committee", "verifiers",
                            committee, "threshold", THRESHOLD);
    d.contracts = NULL;
    json_object_set_new(doc, "owner", clo_rpc_hex(CLO_BYTES(addrs[ROLE_DEPLOYER], 20)));
    json_object_set_new(doc, "operator", clo_rpc_hex(CLO_BYTES(addrs[ROLE_OPERATOR], 20)));
    json_object_set_new(doc, "oracleConfig",
                        clo_rpc_hex(CLO_BYTES(ORACLE_CONFIG, sizeof ORACLE_CONFIG)));
    *out = doc;
    rc = CLI_EXIT_OK;
out:
    if (err.code) {
        rc = cli_fail(err, d.why[0] ? d.why : "deployment failed");
    }
done:
    clo_sender_wipe(&d.s);
    clo_wipe(keys, sizeof keys);
    clo_rpc_free(rpc);
    json_decref(d.contracts);
    return rc;
}

/* ---- commands ---- */

static cli_opt devnet_opts[] = {
    {"dir", "DIR", "devnet directory (default data/devnet)", 0, NULL},
    {"anvil", "PATH",
     "anvil binary (default: $CLOISTER_ANVIL, else PREFIX/libexec/cloister/anvil, else PATH)", 0,
     NULL},
    {"contracts", "DIR",
     "contract artifacts (default: $CLOISTER_CONTRACTS, else PREFIX/share/cloister/contracts)", 0,
     NULL},
    {"json", NULL, "JSON output (the default)", 0, NULL},
};

static int parse(const char *usage, const char *about, int argc, char **argv, cli_spec *spec,
                 int *done)
{
    for (size_t i = 0; i < sizeof devnet_opts / sizeof devnet_opts[0]; i++)
        devnet_opts[i].value = NULL;
    *spec = (cli_spec){usage, about, devnet_opts, sizeof devnet_opts / sizeof devnet_opts[0]};
    return cli_parse(spec, argc, argv, done);
}

static const char *dir_of(const cli_spec *spec)
{
    const char *d = cli_get(spec, "dir");
    return d ? d : "data/devnet";
}

static int status_doc(const char *dir, json_t **out)
{
    json_t *st = read_state(dir);
    if (!st) {
        *out = json_pack("{s:s, s:b}", "dir", dir, "running", 0);
        return 0;
    }
    long pid = (long)json_integer_value(json_object_get(st, "pid"));
    const char *url = json_string_value(json_object_get(st, "rpc"));
    int alive = pid > 0 && is_anvil(pid);
    uint64_t chain = 0, block = 0;
    clo_rpc *rpc = NULL;
    int answers = alive && url && !rpc_open(url, &rpc).code &&
                  !clo_eth_chain_id(rpc, &chain).code && !clo_eth_block_number(rpc, &block).code;
    clo_rpc_free(rpc);
    json_object_set_new(st, "dir", json_string(dir));
    json_object_set_new(st, "running", json_boolean(alive && answers));
    if (answers) json_object_set_new(st, "block", json_integer((json_int_t)block));
    char path[PATH_CAP], name[64];
    snprintf(name, sizeof name, "deployments/%llu.json",
             (unsigned long long)(chain ? chain : DEVNET_CHAIN_ID));
    if (!path_of(path, dir, name)) {
        json_t *dep = json_load_file(path, 0, NULL);
        if (dep) json_object_set_new(st, "deployment", dep);
    }
    *out = st;
    return alive && answers;
}

static int up(int argc, char **argv)
{
    cli_spec spec;
    int done,
        rc = parse(
            "cloister devnet up [--dir DIR] [--anvil PATH] [--contracts DIR]",
            "Start a local chain (anvil on 127.0.0.1 at a free port, state in the "
            "devnet directory) and deploy Cloister's contracts with the C client: "
            "EnclaveRegistry (2-of-3 verifier committee), JobMarket, "
            "SealedBidAuction, PriceFeed and ModelRegistry. Writes DIR/deployments/<chainId>.json. "
            "Running it again while the devnet is up changes nothing.",
            argc, argv, &spec, &done);
    if (rc || done) return rc;
    const char *dir = dir_of(&spec);
    char anvil[CLI_PATH_CAP], artifacts[CLI_PATH_CAP];
    json_t *doc;
    if (status_doc(dir, &doc)) { /* already up */
        json_object_set_new(doc, "started", json_false());
        return cli_print(doc);
    }
    json_decref(doc);
    if (cli_find_tool("anvil", cli_get(&spec, "anvil"), "CLOISTER_ANVIL", anvil) ||
        cli_find_share("contracts", cli_get(&spec, "contracts"), "CLOISTER_CONTRACTS", artifacts))
        return CLI_EXIT_FAIL;
    char deps[PATH_CAP];
    if ((mkdir(dir, 0700) != 0 && errno != EEXIST) || path_of(deps, dir, "deployments") ||
        (mkdir(deps, 0755) != 0 && errno != EEXIST)) {
        fprintf(stderr, "error: cannot create '%s': %s\n", dir, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    int port = free_port();
    long pid = port > 0 ? spawn_anvil(dir, anvil, port) : -1;
    char url[64];
    uint64_t chain = 0;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    if (pid < 0 || wait_ready(pid, url, &chain)) {
        if (pid > 0) kill((pid_t)pid, SIGKILL);
        fprintf(stderr, "error: anvil did not start on %s (see %s/anvil.log)\n", url, dir);
        return CLI_EXIT_FAIL;
    }
    char path[PATH_CAP], name[64];
    json_t *st = json_pack("{s:I, s:i, s:s, s:I}", "pid", (json_int_t)pid, "port", port, "rpc", url,
                           "chainId", (json_int_t)chain);
    if (path_of(path, dir, "devnet.json") || json_dump_file(st, path, JSON_INDENT(2)) != 0) {
        kill((pid_t)pid, SIGTERM);
        json_decref(st);
        fprintf(stderr, "error: cannot write '%s/devnet.json'\n", dir);
        return CLI_EXIT_FAIL;
    }
    json_decref(st);
    fprintf(stderr, "devnet: anvil (pid %ld) on %s, chain id %llu\n", pid, url,
            (unsigned long long)chain);

    /* Deploy unless the loaded state already holds this deployment. */
    snprintf(name, sizeof name, "deployments/%llu.json", (unsigned long long)chain);
    if (path_of(path, dir, name)) return CLI_EXIT_FAIL;
    json_t *dep = json_load_file(path, 0, NULL);
    int reuse = 0;
    if (dep) {
        clo_rpc *rpc;
        uint8_t market[20];
        size_t size = 0;
        json_t *m = json_object_get(json_object_get(json_object_get(dep, "contracts"), "JobMarket"),
                                    "address");
        reuse = !rpc_open(url, &rpc).code && !clo_rpc_data_fixed(m, market, 20).code &&
                !clo_eth_code_size(rpc, market, &size).code && size > 0;
        clo_rpc_free(rpc);
        if (reuse)
            json_object_set_new(dep, "rpc", json_string(url));
        else
            json_decref(dep);
    }
    if (!reuse && (rc = deploy_all(dir, url, artifacts, &dep))) {
        kill((pid_t)pid, SIGKILL); /* no state dump: the half-deployed chain is not kept */
        if (!path_of(path, dir, "devnet.json")) unlink(path);
        return rc;
    }
    if (json_dump_file(dep, path, JSON_INDENT(2)) != 0) {
        json_decref(dep);
        fprintf(stderr, "error: cannot write '%s'\n", path);
        return CLI_EXIT_FAIL;
    }
    json_decref(dep);
    status_doc(dir, &doc);
    json_object_set_new(doc, "started", json_true());
    json_object_set_new(doc, "deployed", json_boolean(!reuse));
    return cli_print(doc);
}

static int down(int argc, char **argv)
{
    cli_spec spec;
    int done, rc = parse("cloister devnet down [--dir DIR]",
                         "Stop the devnet's anvil; it writes its state to DIR/anvil-state.json so "
                         "the next `devnet up` resumes the same chain.",
                         argc, argv, &spec, &done);
    if (rc || done) return rc;
    const char *dir = dir_of(&spec);
    json_t *st = read_state(dir);
    long pid = st ? (long)json_integer_value(json_object_get(st, "pid")) : 0;
    json_decref(st);
    int stopped = 0;
    if (pid > 0 && is_anvil(pid)) {
        kill((pid_t)pid, SIGTERM);
        for (int i = 0; i < 200 && is_anvil(pid); i++) usleep(25 * 1000);
        if (is_anvil(pid)) kill((pid_t)pid, SIGKILL);
        stopped = 1;
    }
    char path[PATH_CAP];
    if (!path_of(path, dir, "devnet.json")) unlink(path);
    return cli_print(json_pack("{s:s, s:b, s:b}", "dir", dir, "stopped", stopped, "running", 0));
}

static int status(int argc, char **argv)
{
    cli_spec spec;
    int done, rc = parse("cloister devnet status [--dir DIR]",
                         "Whether the devnet answers, its block height and its deployment.", argc,
                         argv, &spec, &done);
    if (rc || done) return rc;
    json_t *doc;
    status_doc(dir_of(&spec), &doc);
    return cli_print(doc);
}

/* Governance on a devnet: allow the node's enclave measurement (keccak256 of
 * the platform measurement, as the verifiers put it in approvals) for workloads. */
static int allow(int argc, char **argv)
{
    cli_opt o[] = {
        {"dir", "DIR", "devnet directory (default data/devnet)", 0, NULL},
        {"node", "URL", "the node whose enclave measurement to allow", 1, NULL},
        {"workloads", "LIST", "comma-separated workloads (default: every built-in one)", 0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {"cloister devnet allow --node URL [--workloads LIST] [--dir DIR]",
                     "As the devnet's governance owner, allow the node enclave's measurement "
                     "for the given workloads (EnclaveRegistry.setMeasurement).",
                     o, 4};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    const char *dir = cli_get(&spec, "dir") ? cli_get(&spec, "dir") : "data/devnet";
    json_t *st = NULL;
    if (!status_doc(dir, &st)) {
        json_decref(st);
        fprintf(stderr, "error: the devnet in '%s' is not running (cloister devnet up)\n", dir);
        return CLI_EXIT_FAIL;
    }
    char url[2100], path[PATH_CAP];
    long status;
    snprintf(url, sizeof url, "%s/v1/enclave/evidence?nonce=%064d", cli_get(&spec, "node"), 0);
    json_t *ev = cli_http_json("GET", url, NULL, &status);
    clo_buf m48;
    clo_buf_init(&m48, 64);
    uint8_t m[32], registry[20];
    const char *reg = json_string_value(json_object_get(
        json_object_get(json_object_get(json_object_get(st, "deployment"), "contracts"),
                        "EnclaveRegistry"),
        "address"));
    int bad = !ev || status != 200 ||
              clo_hex_decode(&m48, json_string_value(json_object_get(ev, "measurement"))).code ||
              !reg || clo_hex_decode_fixed(registry, 20, reg).code;
    json_decref(ev);
    if (bad) {
        json_decref(st);
        clo_buf_free(&m48);
        return cli_fail(CLO_ERR(CLO_E_FORMAT, "allow"),
                        "no measurement from the node, or no registry in the deployment");
    }
    clo_keccak256(clo_buf_view(&m48), m);
    clo_buf_free(&m48);
    clo_secret32 key;
    uint8_t owner[20];
    clo_rpc *rpc = NULL;
    deployer d = {.contracts = NULL};
    clo_err err = CLO_OK;
    json_t *done_list = json_array();
    char list[256];
    list[0] = 0;
    if (cli_get(&spec, "workloads"))
        snprintf(list, sizeof list, "%s", cli_get(&spec, "workloads"));
    else /* every built-in workload, from the one registry */
        for (size_t i = 0; i < clo_workload_count(); i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "," : "",
                     clo_workload_at(i)->name);
    rc = CLI_EXIT_FAIL;
    if (path_of(path, dir, "keys/deployer.key")) goto out;
    CLO_CHECK(clo_key_file_read(path, &key, owner));
    CLO_CHECK(rpc_open(json_string_value(json_object_get(st, "rpc")), &rpc));
    CLO_CHECK(clo_sender_init(&d.s, rpc, &key));
    char *save = NULL;
    for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        uint8_t wid[32];
        if (!clo_workload_by_name(w)) {
            fprintf(stderr, "error: --workloads: unknown workload '%s'\n", w);
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        clo_workload_id(w, wid);
        clo_abi_val a[3] = {clo_abi_word(wid), clo_abi_word(m), clo_abi_bool(1)};
        clo_abi_val t = clo_abi_tuple(a, 3);
        CLO_CHECK(call_one(&d, registry, "setMeasurement(bytes32,bytes32,bool)", &t));
        json_array_append_new(done_list, json_string(w));
    }
    rc = cli_print(json_pack("{s:o,s:O}", "measurement", clo_rpc_hex(CLO_BYTES(m, 32)), "workloads",
                             done_list));
out:
    if (err.code) rc = cli_fail(err, d.why[0] ? d.why : "setMeasurement failed");
    json_decref(done_list);
    clo_sender_wipe(&d.s);
    clo_wipe(&key, sizeof key);
    clo_rpc_free(rpc);
    json_decref(st);
    return rc;
}

int cmd_devnet(int argc, char **argv)
{
    if (argc > 0 && !strcmp(argv[0], "allow")) return allow(argc - 1, argv + 1);
    if (argc > 0 && !strcmp(argv[0], "up")) return up(argc - 1, argv + 1);
    if (argc > 0 && !strcmp(argv[0], "down")) return down(argc - 1, argv + 1);
    if (argc > 0 && !strcmp(argv[0], "status")) return status(argc - 1, argv + 1);
    FILE *f = argc > 0 && !strcmp(argv[0], "--help") ? stdout : stderr;
    fprintf(f, "usage: cloister devnet up|down|status|allow [--dir DIR]\n"
               "  up      start anvil on 127.0.0.1 and deploy the contracts\n"
               "  down    stop it (its state is kept for the next up)\n"
               "  status  whether it answers, its block and deployment\n"
               "  allow   allow a node enclave's measurement for workloads (governance)\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
