/* cmd_devnet.c — `cloister devnet up|down|status|allow|stagger|dcap`: a local EVM chain (anvil
 * from the npm package, on 127.0.0.1 at a free port, state kept in the devnet
 * directory) with Cloister's contracts deployed by the C client.
 *
 * D/devnet.json   pid, port, rpc url, chain id (written once anvil answers)
 * D/anvil.log     anvil's output
 * D/anvil-state.json  chain state, loaded on up and dumped on down
 * D/keys/<role>.key   hex secp256k1 keys (0600): deployer (governance owner),
 *                     operator, verifier1..3 (the 2-of-3 committee), operator2
 *                     (a second operator, e.g. one registering without the committee)
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
#include "base/file.h"
#include "base/hex.h"
#include "base/teekind.h"
#include "cli/cli.h"
#include "client/dcap.h"
#include "client/deploy.h"
#include "client/devnet.h"
#include "client/outputs.h"

#define PATH_CAP        4096
#define DEVNET_CHAIN_ID 31337
#define VERIFIERS       3
#define THRESHOLD       2

static const char *const ROLES[] = {"deployer",  "operator",  "verifier1",
                                    "verifier2", "verifier3", "operator2"};
enum { ROLE_DEPLOYER, ROLE_OPERATOR, ROLE_VERIFIER1, ROLE_COUNT = 6 };

static int path_of(char *out, const char *dir, const char *name)
{
    int n = snprintf(out, PATH_CAP, "%s/%s", dir, name);
    if (n < 0 || n >= PATH_CAP) {
        cli_error("path too long: '%s/%s'\n", dir, name);
        return -1;
    }
    return 0;
}

/* ---- keys ---- */

static int load_or_make_key(const char *dir, const char *role, clo_secret32 *sk, uint8_t addr[20])
{
    char kdir[PATH_CAP], path[PATH_CAP], name[64];
    if (path_of(kdir, dir, "keys")) return -1;
    if (mkdir(kdir, 0700) != 0 && errno != EEXIST) {
        cli_error("cannot create '%s': %s\n", kdir, strerror(errno));
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
            cli_error("'%s' is not a 32-byte hex key\n", path);
            return -1;
        }
    } else {
        char hex[65];
        if (clo_account_new(sk, addr).code) return -1;
        clo_hex_encode(hex, CLO_BYTES(sk->b, 32));
        hex[64] = '\n';
        int rc = cli_write_file(path, CLO_BYTES(hex, 65), 1);
        clo_wipe(hex, sizeof hex);
        if (rc) return -1;
    }
    if (clo_account_address(sk, addr).code) {
        cli_error("'%s' holds an invalid secp256k1 key\n", path);
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

static clo_err fund(clo_rpc *rpc, const uint8_t addr[20])
{
    uint8_t amount[32] = {0};
    amount[20] = 0x02; /* 2^89 wei, about 619 million ether: plenty */
    return clo_devnet_fund(rpc, addr, amount);
}

static int deploy_all(const char *dir, const char *url, const char *artifacts, json_t **out)
{
    clo_secret32 keys[ROLE_COUNT];
    uint8_t addrs[ROLE_COUNT][20];
    clo_rpc *rpc = NULL;
    clo_deployer d;
    memset(&d, 0, sizeof d);
    d.artifacts = artifacts;
    clo_err err = CLO_OK;
    int rc = CLI_EXIT_FAIL;
    for (int i = 0; i < ROLE_COUNT; i++)
        if (load_or_make_key(dir, ROLES[i], &keys[i], addrs[i])) goto done;
    CLO_CHECK(rpc_open(url, &rpc));
    for (int i = 0; i < ROLE_COUNT; i++) CLO_CHECK(fund(rpc, addrs[i]));
    CLO_CHECK(clo_sender_init(&d.s, rpc, &keys[ROLE_DEPLOYER]));
    clo_deploy_plan p = {.verifiers = (const uint8_t(*)[20])addrs[ROLE_VERIFIER1],
                         .verifier_count = VERIFIERS,
                         .threshold = THRESHOLD,
                         .owner = addrs[ROLE_DEPLOYER],
                         .tee_mask = 1u << CLO_TEE_SIM, /* a devnet trusts the simulated TEE */
                         .bond_wei = 1000000000000000000u,
                         .record_lifetime = 30 * 86400,
                         .rotation_grace = 86400,
                         .challenge_window = 60,
                         .max_deadline = 7 * 86400};
    if ((rc = cli_deploy_cloister(&d, &p, url, out))) goto done;
    json_object_set_new(*out, "operator", clo_json_hex(CLO_BYTES(addrs[ROLE_OPERATOR], 20)));
out:
    if (err.code) rc = cli_fail(err, "the devnet's chain did not answer");
done:
    clo_sender_wipe(&d.s);
    clo_wipe(keys, sizeof keys);
    clo_rpc_free(rpc);
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
    if (cli_mkdirs(dir, 0700) != 0 || path_of(deps, dir, "deployments") ||
        (mkdir(deps, 0755) != 0 && errno != EEXIST)) {
        cli_error("cannot create '%s': %s\n", dir, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    int port = free_port();
    long pid = port > 0 ? spawn_anvil(dir, anvil, port) : -1;
    char url[64];
    uint64_t chain = 0;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    if (pid < 0 || wait_ready(pid, url, &chain)) {
        if (pid > 0) kill((pid_t)pid, SIGKILL);
        cli_error("anvil did not start on %s (see %s/anvil.log)\n", url, dir);
        return CLI_EXIT_FAIL;
    }
    char path[PATH_CAP], name[64];
    json_t *st = json_pack("{s:I, s:i, s:s, s:I}", "pid", (json_int_t)pid, "port", port, "rpc", url,
                           "chain_id", (json_int_t)chain);
    if (path_of(path, dir, "devnet.json") || json_dump_file(st, path, JSON_INDENT(2)) != 0) {
        kill((pid_t)pid, SIGTERM);
        json_decref(st);
        cli_error("cannot write '%s/devnet.json'\n", dir);
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
        cli_error("cannot write '%s'\n", path);
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

/* The 20-byte address at deployment.contracts.NAME.address. */
static int dep_address(const json_t *dep, const char *name, uint8_t out[20])
{
    const char *a = json_string_value(
        json_object_get(json_object_get(json_object_get(dep, "contracts"), name), "address"));
    return !a || strncmp(a, "0x", 2) || clo_hex_decode_fixed(out, 20, a + 2).code ? -1 : 0;
}

/* A sim-snp node's registered measurement, from a report it gives. */
static int snp_measurement(const char *node, uint8_t m[32])
{
    char url[2200];
    long status;
    clo_buf ev;
    snprintf(url, sizeof url, "%s/v1/enclave/evidence?nonce=%064d", node, 0);
    json_t *doc = cli_http_json("GET", url, NULL, &status);
    const char *hex = json_string_value(json_object_get(doc, "evidence"));
    clo_buf_init(&ev, 1 << 16);
    int bad = !doc || status != 200 || !hex ||
              clo_hex_decode(&ev, strncmp(hex, "0x", 2) ? hex : hex + 2).code ||
              clo_devnet_snp_measurement(clo_buf_view(&ev), m).code;
    clo_buf_free(&ev);
    json_decref(doc);
    return bad;
}

/* What a governance command acts on: the deployment (--deployment, or the
 * running devnet's), the owner's key file (--key, or the devnet's deployer),
 * and the registry and market it names. 0, or the exit code (said). */
static int governance_of(cli_spec *spec, json_t **dep, char key_path[PATH_CAP],
                         uint8_t registry[20], uint8_t market[20])
{
    const char *dir = dir_of(spec);
    const char *dep_file = cli_get(spec, "deployment");
    *dep = NULL;
    if (dep_file) {
        if (!cli_get(spec, "key")) {
            cli_error("--deployment needs --key (the governance owner's key file)\n");
            return CLI_EXIT_USAGE;
        }
        json_error_t je;
        *dep = json_load_file(dep_file, 0, &je);
        if (!*dep)
            return cli_fail(CLO_ERR(CLO_E_IO, "deployment"), "--deployment: cannot read the file");
        snprintf(key_path, PATH_CAP, "%s", cli_get(spec, "key"));
    } else {
        json_t *st = NULL;
        if (!status_doc(dir, &st)) {
            json_decref(st);
            return cli_fail(CLO_ERR(CLO_E_IO, "devnet"),
                            "the devnet is not running (cloister devnet up), and no --deployment");
        }
        *dep = json_incref(json_object_get(st, "deployment"));
        json_decref(st);
        if (path_of(key_path, dir, "keys/deployer.key")) {
            json_decref(*dep);
            *dep = NULL;
            return CLI_EXIT_FAIL;
        }
    }
    if (!json_string_value(json_object_get(*dep, "rpc")) ||
        dep_address(*dep, "EnclaveRegistry", registry) || dep_address(*dep, "JobMarket", market)) {
        json_decref(*dep);
        *dep = NULL;
        return cli_fail(CLO_ERR(CLO_E_FORMAT, "deployment"),
                        "the deployment has no rpc, EnclaveRegistry or JobMarket");
    }
    return 0;
}

/* Governance: the operators' turn for a workload's jobs (issue 21),
 * EnclaveRegistry.setStagger: every node reads it. */
static int stagger(int argc, char **argv)
{
    cli_opt o[] = {
        {"workload", "NAME", "the workload (vote, auction, onnx, ...)", 1, NULL},
        {"seconds", "N", "the turn, 0 to 3600 (0 unsets it: each node's own setting)", 1, NULL},
        {"dir", "DIR", "devnet directory (default data/devnet): its deployment and owner key", 0,
         NULL},
        {"deployment", "FILE", "a deployment file (cloister deploy) instead of a devnet", 0, NULL},
        {"key", "FILE", "the governance owner's key (with --deployment)", 0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {
        "cloister devnet stagger --workload NAME --seconds N [--dir DIR | --deployment FILE --key "
        "FILE]",
        "As the governance owner, set the operators' turn for the workload's jobs "
        "(EnclaveRegistry.setStagger): the operator of rank k for a job starts it k times this "
        "many seconds after its block, if it is still open. Every node reads it, over its own "
        "chain.stagger_seconds.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    uint64_t secs = 0;
    if ((rc = cli_u64(&spec, "seconds", 3600, &secs))) return rc;
    const char *name = cli_get(&spec, "workload");
    if (!clo_workload_by_name(name)) {
        cli_error("--workload: unknown workload '%s'\n", name);
        return CLI_EXIT_USAGE;
    }
    char key_path[PATH_CAP];
    json_t *dep = NULL;
    uint8_t registry[20], market[20], wid[32], owner[20];
    if ((rc = governance_of(&spec, &dep, key_path, registry, market))) return rc;
    clo_workload_id(name, wid);
    clo_secret32 key;
    clo_rpc *rpc = NULL;
    clo_deployer d;
    memset(&d, 0, sizeof d);
    clo_err err = clo_key_file_read(key_path, &key, owner);
    if (err.code) {
        rc = cli_fail(err, "cannot read the governance owner's key file");
        goto done;
    }
    CLO_CHECK(rpc_open(json_string_value(json_object_get(dep, "rpc")), &rpc));
    CLO_CHECK(clo_sender_init(&d.s, rpc, &key));
    clo_abi_val args[2] = {clo_abi_word(wid), clo_abi_uint(secs)}, t = clo_abi_tuple(args, 2);
    CLO_CHECK(clo_deployer_call(&d, registry, CLO_ENCLAVE_REGISTRY_SET_STAGGER, &t));
    rc =
        cli_print(json_pack("{s:s,s:o,s:I}", "workload", name, "workload_id",
                            clo_json_hex(CLO_BYTES(wid, 32)), "stagger_seconds", (json_int_t)secs));
out:
    if (err.code) rc = cli_fail(err, d.why[0] ? d.why : "setStagger failed");
done:
    clo_sender_wipe(&d.s);
    clo_wipe(&key, sizeof key);
    clo_rpc_free(rpc);
    json_decref(dep);
    return rc;
}

/* Governance: allow the node enclave's measurement (keccak256 of the simulated
 * MRTD and the RTMR3 the node reports, as the verifiers put it in approvals:
 * attest/measure.h) for workloads, after checking that the node's enclave is
 * bound to this deployment's chain, JobMarket and registry (RTMR3 covers them,
 * so a node bound to another market would be allowed for nothing). */
static int allow(int argc, char **argv)
{
    cli_opt o[] = {
        {"node", "URL", "the node whose enclave measurement to allow", 1, NULL},
        {"dir", "DIR", "devnet directory (default data/devnet): its deployment and owner key", 0,
         NULL},
        {"deployment", "FILE", "a deployment file (cloister deploy) instead of a devnet", 0, NULL},
        {"key", "FILE", "the governance owner's key (with --deployment)", 0, NULL},
        {"workloads", "LIST",
         "comma-separated workloads (default: every built-in one); attest-snp allows the enclave "
         "as a verifier enclave of SEV-SNP evidence",
         0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {
        "cloister devnet allow --node URL [--workloads LIST] [--dir DIR | --deployment FILE --key "
        "FILE]",
        "As the governance owner, allow the node enclave's measurement for the given workloads "
        "(EnclaveRegistry.setMeasurement); for a sim-snp node, SEV-SNP records too "
        "(setTeeAllowed, once). Refused, with the reason, if the node's enclave is "
        "bound to another chain, JobMarket or registry than the deployment.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    char key_path[PATH_CAP];
    json_t *dep = NULL;
    uint8_t registry[20], market[20];
    if ((rc = governance_of(&spec, &dep, key_path, registry, market))) return rc;
    const char *rpc_url = json_string_value(json_object_get(dep, "rpc"));
    json_int_t dep_chain = json_integer_value(json_object_get(dep, "chain_id"));

    /* What the node says its enclave is bound to. */
    char url[2100];
    long status;
    snprintf(url, sizeof url, "%s/v1/enclave/keys", cli_get(&spec, "node"));
    json_t *keys = cli_http_json("GET", url, NULL, &status);
    uint8_t m48[48], node_market[20], node_registry[20], m[32];
    const char *mh = json_string_value(json_object_get(keys, "measurement"));
    const char *nm = json_string_value(json_object_get(keys, "job_market"));
    const char *nr = json_string_value(json_object_get(keys, "registry"));
    const char *backend = json_string_value(json_object_get(keys, "backend"));
    json_int_t node_chain = json_integer_value(json_object_get(keys, "chain_id"));
    int bad = !keys || status != 200 || !mh || !nm || !nr ||
              clo_hex_decode_fixed(m48, 48, strncmp(mh, "0x", 2) ? mh : mh + 2).code ||
              clo_hex_decode_fixed(node_market, 20, nm + 2).code ||
              clo_hex_decode_fixed(node_registry, 20, nr + 2).code;
    char why[400] = "";
    if (bad)
        snprintf(why, sizeof why,
                 "the node at %s did not describe its enclave (GET /v1/enclave/keys)",
                 cli_get(&spec, "node"));
    else if (node_chain != dep_chain)
        snprintf(why, sizeof why,
                 "the node's enclave is bound to chain %lld, the deployment is on %lld",
                 (long long)node_chain, (long long)dep_chain);
    else if (!backend || (strcmp(backend, "sim") && strcmp(backend, "sim-snp")))
        snprintf(why, sizeof why,
                 "the node's enclave runs on %s: devnet allow derives the measurement of the "
                 "simulated TEE only; allow a hardware enclave's measurement as the committee's "
                 "policy registers it (cloister verifier approve prints it)",
                 backend ? backend : "an unnamed backend");
    else if (memcmp(node_market, market, 20) || memcmp(node_registry, registry, 20))
        snprintf(why, sizeof why,
                 "the node's enclave is bound to JobMarket %s and registry %s, not this "
                 "deployment's; configure the node for it (cloister config init --deployment ...)",
                 nm, nr);
    char backend_name[16];
    snprintf(backend_name, sizeof backend_name, "%s", backend ? backend : "");
    json_decref(keys);
    if (why[0]) {
        json_decref(dep);
        cli_fail(CLO_ERR(bad ? CLO_E_IO : CLO_E_POLICY, "node"), why);
        return bad ? CLI_EXIT_FAIL : CLI_EXIT_REFUSED;
    }
    /* As the verifiers register it (client/devnet.h); a sim-snp enclave's from
     * one of its reports (MEASUREMENT and HOST_DATA). */
    if (!strcmp(backend_name, "sim-snp") ? snp_measurement(cli_get(&spec, "node"), m)
                                         : clo_devnet_sim_measurement(m48, m).code != 0) {
        json_decref(dep);
        return cli_fail(CLO_ERR(CLO_E_IO, "node"), "the node's enclave measurement is unavailable");
    }

    clo_secret32 key;
    uint8_t owner[20];
    clo_rpc *rpc = NULL;
    clo_deployer d;
    memset(&d, 0, sizeof d);
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
    err = clo_key_file_read(key_path, &key, owner);
    if (err.code) {
        rc = cli_fail(err, "cannot read the governance owner's key file");
        goto done;
    }
    CLO_CHECK(rpc_open(rpc_url, &rpc));
    CLO_CHECK(clo_sender_init(&d.s, rpc, &key));
    /* A devnet trusts the simulated TEE, whose sim-snp enclaves are SNP records. */
    int tee_changed = 0;
    if (!strcmp(backend_name, "sim-snp"))
        CLO_CHECK(clo_deployer_allow_tee(&d, registry, CLO_TEE_SNP, &tee_changed));
    char *save = NULL;
    for (char *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (!clo_workload_by_name(w) && strcmp(w, CLO_ROLE_ATTEST_SNP)) {
            cli_error("--workloads: unknown workload '%s'\n", w);
            rc = CLI_EXIT_USAGE;
            goto done;
        }
        CLO_CHECK(clo_deployer_allow_measurement(&d, registry, w, m));
        json_array_append_new(done_list, json_string(w));
    }
    rc = cli_print(json_pack("{s:o,s:O,s:b}", "measurement", clo_json_hex(CLO_BYTES(m, 32)),
                             "workloads", done_list, "snp_records_allowed", tee_changed));
out:
    if (err.code) rc = cli_fail(err, d.why[0] ? d.why : "setMeasurement failed");
done:
    json_decref(done_list);
    clo_sender_wipe(&d.s);
    clo_wipe(&key, sizeof key);
    clo_rpc_free(rpc);
    json_decref(dep);
    return rc;
}

/* Governance: verify the simulated TEE's quotes on chain (issue 18). Deploys
 * DcapPki pinned to the simulated root (marked simulated), DcapCollateral and
 * DcapVerifier, turns the registry's on-chain path on for the simulated TEE,
 * and uploads the simulated platform's collateral (root, PCK CA, TCB Info, QE
 * Identity), so a node with chain.registration "onchain" registers its enclave
 * with its own quote, no committee. The deployment file gains the three. */
static int dcap(int argc, char **argv)
{
    cli_opt o[] = {
        {"sim-dir", "DIR", "the simulated platform (cloister sim init)", 1, NULL},
        {"no-upload", NULL,
         "deploy only: leave the collateral to whoever registers first (a node uploads it)", 0,
         NULL},
        {"dir", "DIR", "devnet directory (default data/devnet): its deployment and owner key", 0,
         NULL},
        {"contracts", "DIR",
         "contract artifacts (default: $CLOISTER_CONTRACTS, else PREFIX/share/cloister/contracts)",
         0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {
        "cloister devnet dcap --sim-dir DIR [--no-upload] [--dir DIR] [--contracts DIR]",
        "As the governance owner, let enclaves of the simulated TEE register with their own "
        "quotes, no committee: deploy DcapPki (pinned to the simulated root), DcapCollateral and "
        "DcapVerifier, switch EnclaveRegistry's on-chain path on for the simulated TEE "
        "(UpToDate only), and upload the platform's root, PCK CA, TCB Info and QE Identity. "
        "Adds the three contracts to the deployment file. Once per devnet.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    const char *dir = dir_of(&spec);
    const char *sim = cli_get(&spec, "sim-dir");
    char artifacts[CLI_PATH_CAP], key_path[PATH_CAP], dep_path[PATH_CAP], name[64];
    if (cli_find_share("contracts", cli_get(&spec, "contracts"), "CLOISTER_CONTRACTS", artifacts))
        return CLI_EXIT_FAIL;
    json_t *st = NULL;
    if (!status_doc(dir, &st)) {
        json_decref(st);
        return cli_fail(CLO_ERR(CLO_E_IO, "devnet"),
                        "the devnet is not running (cloister devnet up)");
    }
    json_t *dep = json_incref(json_object_get(st, "deployment"));
    json_decref(st);
    uint8_t registry[20];
    const char *rpc_url = json_string_value(json_object_get(dep, "rpc"));
    snprintf(name, sizeof name, "deployments/%lld.json",
             (long long)json_integer_value(json_object_get(dep, "chain_id")));
    if (!rpc_url || dep_address(dep, "EnclaveRegistry", registry) ||
        path_of(key_path, dir, "keys/deployer.key") || path_of(dep_path, dir, name)) {
        json_decref(dep);
        return cli_fail(CLO_ERR(CLO_E_FORMAT, "deployment"),
                        "the devnet's deployment has no rpc or EnclaveRegistry");
    }
    static const char *const files[] = {"root_ca.der", "pck_ca.der", "collateral/tcb_info.json",
                                        "collateral/qe_identity.json",
                                        "collateral/tcb_info_issuer_chain.pem"};
    clo_buf f[5];
    for (int i = 0; i < 5; i++) clo_buf_init(&f[i], 1 << 20);
    clo_secret32 key;
    uint8_t owner[20];
    clo_rpc *rpc = NULL;
    clo_deployer d;
    memset(&d, 0, sizeof d);
    d.artifacts = artifacts;
    d.contracts = json_object();
    clo_err err = CLO_OK;
    rc = CLI_EXIT_FAIL;
    for (int i = 0; i < 5; i++) {
        char path[PATH_CAP];
        if (path_of(path, sim, files[i]) || clo_file_read(path, &f[i]).code) {
            cli_error("--sim-dir: cannot read '%s/%s' (cloister sim init makes it)\n", sim,
                      files[i]);
            cli_error_code("io");
            goto done;
        }
    }
    err = clo_key_file_read(key_path, &key, owner);
    if (err.code) {
        rc = cli_fail(err, "cannot read the governance owner's key file");
        goto done;
    }
    CLO_CHECK(rpc_open(rpc_url, &rpc));
    CLO_CHECK(clo_sender_init(&d.s, rpc, &key));
    clo_dcap_chain dc;
    if ((rc = cli_dcap_install(&d, rpc, registry, clo_buf_view(&f[0]), 1, "sim", dep, dep_path,
                               &dc)))
        goto done;
    rc = CLI_EXIT_FAIL;
    clo_dcap_collateral_in in = {clo_buf_view(&f[0]), clo_buf_view(&f[1]), clo_buf_view(&f[2]),
                                 clo_buf_view(&f[3]), clo_buf_view(&f[4])};
    size_t sent = 0;
    if (!cli_get(&spec, "no-upload")) CLO_CHECK(clo_dcap_upload(&d, &dc, &in, &sent));
    rc = cli_print(json_pack("{s:O,s:s,s:s,s:I}", "contracts", d.contracts, "tee", "sim", "accepts",
                             "UpToDate", "uploads", (json_int_t)sent));
out:
    if (err.code) rc = cli_fail(err, d.why[0] ? d.why : "the on-chain verifier's setup failed");
done:
    for (int i = 0; i < 5; i++) clo_buf_free(&f[i]);
    json_decref(d.contracts);
    clo_sender_wipe(&d.s);
    clo_wipe(&key, sizeof key);
    clo_rpc_free(rpc);
    json_decref(dep);
    return rc;
}

int cmd_devnet(int argc, char **argv)
{
    if (argc > 0 && !strcmp(argv[0], "allow")) return allow(argc - 1, argv + 1);
    if (argc > 0 && !strcmp(argv[0], "stagger")) return stagger(argc - 1, argv + 1);
    if (argc > 0 && !strcmp(argv[0], "dcap")) return dcap(argc - 1, argv + 1);
    if (argc > 0 && !strcmp(argv[0], "up")) return up(argc - 1, argv + 1);
    if (argc > 0 && !strcmp(argv[0], "down")) return down(argc - 1, argv + 1);
    if (argc > 0 && !strcmp(argv[0], "status")) return status(argc - 1, argv + 1);
    FILE *f = argc > 0 && !strcmp(argv[0], "--help") ? stdout : stderr;
    fprintf(f, "usage: cloister devnet up|down|status|allow|stagger|dcap [--dir DIR]\n"
               "  up      start anvil on 127.0.0.1 and deploy the contracts\n"
               "  down    stop it (its state is kept for the next up)\n"
               "  status  whether it answers, its block and deployment\n"
               "  allow   allow a node enclave's measurement for workloads (governance)\n"
               "  stagger set the operators' turn for a workload's jobs (governance)\n"
               "  dcap    verify the simulated TEE's quotes on chain, no committee (governance)\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
