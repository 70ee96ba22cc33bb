/* cmd_demo.c — `cloister demo`: what `make demo` runs, the whole story with
 * real parts. A devnet (anvil, contracts deployed by the C client), a
 * simulated TEE, a committee of three attestation verifiers and a node are
 * started as their own processes; governance allows the node's enclave
 * measurement; the node has its enclave approved by the committee and
 * registered. Then a sealed-bid auction: bidders seal their bids to the
 * enclave (HPKE, client side) and bid on chain; the auction's job is settled
 * by the node and decided by the consumer contract; each bidder opens its own
 * result and no other. Then an enclave-signed price from three hidden sources
 * lands in the Chainlink-compatible PriceFeed. Then confidential inference:
 * a model owner trains a breast-cancer classifier, registers its id on chain,
 * verifies the enclave and provisions the model sealed to it; three patients'
 * encrypted records are diagnosed in one job settled on chain, each patient
 * reading only their own diagnosis, and the chain's record names the
 * registered model. A report ends it: what happened, gas per operation,
 * timings. Everything is left in --dir for inspection. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/ct.h"
#include "base/hex.h"
#include "cli/cli.h"
#include "cli/demo.h"
#include "client/calls.h"
#include "client/contracts.h"
#include "client/dcap.h"
#include "client/devnet.h"
#include "client/nodeapi.h"
#include "client/outputs.h"
#include "client/seal.h"
#include "model/train.h"

extern char **environ;

void demo_step(demo *d, const char *name, int ok, const char *detail)
{
    if (!ok) d->failed++;
    if (d->json)
        json_array_append_new(d->steps, json_pack("{s:s,s:b,s:s,s:f}", "step", name, "ok", ok,
                                                  "detail", detail, "at_s",
                                                  ((double)clo_mono_ns() / 1e6 - d->t0) / 1e3));
    else
        printf("  [%s] %-44s %s\n", ok ? " ok " : "FAIL", name, detail);
    fflush(stdout);
}

void demo_gas(demo *d, const char *what, uint64_t used)
{
    json_object_set_new(d->gas, what, json_integer((json_int_t)used));
}

/* ---- processes ---- */

/* Run `cloister args...` and parse its stdout as JSON (NULL on failure). */
json_t *demo_run_self(demo *d, const char *const *args)
{
    char *argv[32];
    int fds[2];
    size_t n = 0;
    argv[n++] = d->self;
    for (; args[n - 1] && n < 31; n++) argv[n] = (char *)(uintptr_t)args[n - 1];
    argv[n] = NULL;
    if (pipe(fds) != 0) return NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 01 /* O_WRONLY */, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, d->self, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    clo_buf out;
    clo_buf_init(&out, 1 << 20);
    char chunk[4096];
    ssize_t k;
    while (rc == 0 && (k = read(fds[0], chunk, sizeof chunk)) > 0)
        if (clo_buf_append(&out, chunk, (size_t)k).code) break;
    close(fds[0]);
    int status = 1;
    if (rc == 0) waitpid(pid, &status, 0);
    json_t *doc = WIFEXITED(status) && WEXITSTATUS(status) == 0
                      ? json_loadb((const char *)out.ptr, out.len, 0, NULL)
                      : NULL;
    clo_buf_free(&out);
    return doc;
}

/* Start `prog argv[1..]` in the background, stdout to /dev/null, stderr to log. */
static int spawn_prog(demo *d, const char *prog, const char *const *args, const char *log)
{
    char *argv[32];
    size_t n = 0;
    argv[n++] = (char *)(uintptr_t)prog;
    for (; args[n - 1] && n < 31; n++) argv[n] = (char *)(uintptr_t)args[n - 1];
    argv[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 01, 0);
    posix_spawn_file_actions_addopen(&fa, 2, log, 01 | 0100 | 01000 /* WRONLY|CREAT|TRUNC */, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0 || d->nbg >= sizeof d->bg / sizeof d->bg[0]) return -1;
    d->bg[d->nbg++] = pid;
    return 0;
}

/* Start `cloister args...` in the background. */
static int spawn_bg(demo *d, const char *const *args, const char *log)
{
    return spawn_prog(d, d->self, args, log);
}

static void stop_bg(demo *d)
{
    for (size_t i = d->nbg; i-- > 0;) {
        kill(d->bg[i], SIGTERM);
        waitpid(d->bg[i], NULL, 0);
    }
    d->nbg = 0;
}

void demo_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int demo_read_text(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(out, 1, cap - 1, f);
    fclose(f);
    out[n] = 0;
    out[strcspn(out, "\r\n")] = 0;
    return n ? 0 : -1;
}

/* ---- chain helpers ---- */

static int addr_of(const json_t *dep, const char *name, uint8_t out[20])
{
    const char *a = json_string_value(
        json_object_get(json_object_get(json_object_get(dep, "contracts"), name), "address"));
    return !a || clo_hex_decode_fixed(out, 20, a).code;
}

/* A sent call's outcome: its gas recorded under `what` (NULL: not shown),
 * or why it failed on stderr. Returns e. */
clo_err demo_sent(demo *d, clo_err e, const clo_call_result *r, const char *what)
{
    if (!e.code && what) demo_gas(d, what, r->gas_used);
    if (e.code) fprintf(stderr, "demo: %s\n", r->why);
    return e;
}

clo_err demo_new_wallet(demo *d, clo_sender *s)
{
    clo_secret32 k;
    uint8_t addr[20], amount[32] = {0};
    amount[20] = 1; /* 2^88 wei */
    CLO_TRY(clo_account_new(&k, addr));
    clo_err err = clo_sender_init(s, d->rpc, &k);
    clo_wipe(&k, sizeof k);
    CLO_TRY(err);
    return clo_devnet_fund(d->rpc, s->address, amount);
}

clo_err demo_chain_now(demo *d, uint64_t *t)
{
    clo_eth_block b;
    CLO_TRY(clo_eth_get_block(d->rpc, "latest", 0, &b));
    *t = b.timestamp;
    return CLO_OK;
}

void demo_job_id_for(const demo *d, const uint8_t requester[20], uint64_t nonce, uint8_t out[32])
{
    clo_job_id_for(d->chain_id, d->market, requester, nonce, out);
}

/* What a JobSettled event carried, with its transaction's gas and the wait. */
void demo_outcome_free(outcome *o)
{
    clo_buf_free(&o->pub);
    for (int i = 0; i < BIDDERS; i++) clo_buf_free(&o->priv[i]);
}

/* Wait for JobSettled(jobId) and record it in *o (freed by outcome_free). */
clo_err demo_wait_settled(demo *d, const uint8_t job[32], outcome *o)
{
    clo_settlement st;
    double t0 = (double)clo_mono_ns() / 1e6;
    memset(o, 0, sizeof *o);
    clo_buf_init(&o->pub, 1 << 16);
    for (int i = 0; i < BIDDERS; i++) clo_buf_init(&o->priv[i], 1 << 16);
    clo_err err = clo_market_wait_settled(d->rpc, d->market, job, 120000, &st);
    if (!err.code) err = clo_buf_append_bytes(&o->pub, clo_buf_view(&st.public_out));
    o->npriv = st.count;
    for (size_t k = 0; k < st.count && k < BIDDERS && !err.code; k++)
        err = clo_buf_append_bytes(&o->priv[k], clo_buf_view(&st.private_out[k]));
    o->gas = st.gas_used;
    o->ms = (double)clo_mono_ns() / 1e6 - t0;
    clo_settlement_free(&st);
    return err;
}

static clo_err node_keys_at(const char *node, uint32_t *epoch, uint8_t pk[32], uint8_t signer[20])
{
    char url[128];
    long status;
    snprintf(url, sizeof url, "%s/v1/enclave/keys", node);
    json_t *k = cli_http_json("GET", url, NULL, &status);
    json_t *cur = json_array_get(json_object_get(k, "keys"), 0);
    int bad =
        !k || status != 200 ||
        clo_hex_decode_fixed(pk, 32, json_string_value(json_object_get(cur, "hpke_public_key")))
            .code ||
        clo_hex_decode_fixed(signer, 20, json_string_value(json_object_get(cur, "signer"))).code;
    *epoch = (uint32_t)json_integer_value(json_object_get(k, "current"));
    json_decref(k);
    return bad ? CLO_ERR(CLO_E_FORMAT, "demo: the node's keys") : CLO_OK;
}

clo_err demo_node_keys(demo *d, uint32_t *epoch, uint8_t pk[32], uint8_t signer[20])
{
    return node_keys_at(d->node_url, epoch, pk, signer);
}

clo_err demo_seal(demo *d, const uint8_t job[32], const char *workload, clo_bytes plain,
                  clo_buf *env, clo_envelope_reply_key *rk)
{
    uint32_t epoch;
    uint8_t pk[32], signer[20];
    CLO_TRY(demo_node_keys(d, &epoch, pk, signer));
    clo_sealer *s = malloc(sizeof *s);
    CLO_ENSURE(s, CLO_E_NOMEM, "demo: sealer");
    clo_sealer_init(s, d->chain_id, d->market, job, workload, epoch, pk);
    clo_err err = clo_sealer_seal(s, plain, env);
    *rk = s->rk[0];
    clo_sealer_wipe(s);
    free(s);
    return err;
}

int demo_post_model(demo *d, const char *hex)
{
    char url[128];
    long status = 0;
    snprintf(url, sizeof url, "%s/v1/models", d->node_url);
    json_t *req = json_pack("{s:s}", "config", hex);
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_t *r = body ? cli_http_json("POST", url, body, &status) : NULL;
    json_decref(r);
    json_decref(req);
    free(body);
    return status == 201 ? 0 : -1;
}

/* JobMarket.submitJob for sealed inputs, the requester paying 0.001 ETH. */
clo_err demo_submit_job(demo *d, clo_sender *from, const char *workload, const uint8_t model[32],
                        const uint8_t consumer[20], uint64_t deadline, uint64_t nonce,
                        const clo_bytes *inputs, size_t n, const char *what)
{
    clo_job_submission j = {.workload = workload,
                            .deadline = deadline,
                            .nonce = nonce,
                            .inputs = inputs,
                            .count = n,
                            .fee_wei = 1000000000000000u};
    clo_call_result r;
    memcpy(j.config_hash, model, 32);
    memcpy(j.consumer, consumer, 20);
    return demo_sent(d, clo_market_submit(from, d->market, &j, &r), &r, what);
}

/* ---- the story ---- */

/* Start a node (cloisterd + simulated enclave) named `name` (its config,
 * data and log in DIR) with the devnet key `role` on `port`, and wait until it
 * is ready. collateral: NULL to register through the committee, else the
 * PCS collateral directory for registering with its own quote (issue 18). */
static int start_node(demo *d, const char *name, const char *role, int port, const char *collateral)
{
    char sim[1024], data[1100], key[1100], cfg_path[1100], log[1100], url[128];
    snprintf(sim, sizeof sim, "%s/sim", d->dir);
    snprintf(data, sizeof data, "%s/%s", d->dir, name);
    snprintf(key, sizeof key, "%s/devnet/keys/%s.key", d->dir, role);
    snprintf(cfg_path, sizeof cfg_path, "%s/%s.json", d->dir, name);
    snprintf(log, sizeof log, "%s/%s.log", d->dir, name);
    json_t *contracts = json_object_get(d->dep, "contracts");
    json_t *cfg = json_pack(
        "{s:{s:i},s:s,s:{s:s},s:{s:I,s:O,s:O,s:O,s:s,s:s,s:i,s:i}}", "listen", "port", port,
        "data_dir", data, "enclave", "sim_dir", sim, "chain", "chain_id", (json_int_t)d->chain_id,
        "job_market", json_object_get(json_object_get(contracts, "JobMarket"), "address"),
        "registry", json_object_get(json_object_get(contracts, "EnclaveRegistry"), "address"),
        "rpc", json_object_get(d->dep, "rpc"), "key_file", key, "verifiers", d->verifier_urls,
        "poll_ms", 200, "settle_wait_ms", 500);
    json_t *cm = json_object_get(d->dep, "committee"), *ch = json_object_get(cfg, "chain");
    json_object_set(ch, "committee", json_object_get(cm, "verifiers"));
    json_object_set(ch, "committee_threshold", json_object_get(cm, "threshold"));
    if (d->fetch_connect)
        json_object_set_new(cfg, "fetch", json_pack("{s:O}", "connect", d->fetch_connect));
    if (collateral) {
        json_object_set_new(ch, "registration", json_string("onchain"));
        json_object_set_new(ch, "collateral_dir", json_string(collateral));
    }
    int wrote = cfg && json_dump_file(cfg, cfg_path, 0) == 0;
    json_decref(cfg);
    const char *nargs[] = {"node", "run", "--config", cfg_path, NULL};
    if (!wrote || spawn_bg(d, nargs, log)) return -1;
    long status = 0;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/readyz", port);
    for (int t = 0; t < 200 && status != 200; t++) {
        json_t *r = NULL;
        if (clo_nodeapi_json("GET", url, NULL, &status, &r).code) status = 0;
        json_decref(r);
        if (status != 200) demo_sleep_ms(100);
    }
    return status == 200 ? 0 : -1;
}

/* Three HTTPS price APIs with a CA of their own (examples/price-sources,
 * run by node), for the oracle-https round; their names are not in DNS, so
 * the node's fetch.connect says where they listen. */
static int start_sources(demo *d)
{
    char node[CLI_PATH_CAP], script[CLI_PATH_CAP], ready[1200], log[1200];
    snprintf(d->sources_dir, sizeof d->sources_dir, "%s/price-sources", d->dir);
    snprintf(ready, sizeof ready, "%s/ready.json", d->sources_dir);
    snprintf(log, sizeof log, "%s/price-sources.log", d->dir);
    unlink(ready);
    const char *args[] = {script, d->sources_dir, NULL};
    int ok = !cli_find_tool("node", NULL, "CLOISTER_NODE", node) &&
             !cli_find_share("price-sources/serve.mjs", NULL, NULL, script) &&
             cli_mkdirs(d->sources_dir, 0700) == 0 && !spawn_prog(d, node, args, log);
    json_t *doc = NULL;
    for (int t = 0; ok && t < 200 && !doc; t++) {
        doc = json_load_file(ready, 0, NULL);
        if (!doc) demo_sleep_ms(50);
    }
    d->fetch_connect = json_incref(json_object_get(doc, "connect"));
    json_decref(doc);
    ok = ok && json_array_size(d->fetch_connect) == SOURCES;
    demo_step(d, "3 HTTPS price APIs (a CA of their own)", ok,
              ok ? "prices-{1,2,3}.cloister.test on 127.0.0.1: one answers chunked, one late"
                 : "examples/price-sources/serve.mjs did not start (see price-sources.log)");
    return ok ? 0 : -1;
}

static int start_everything(demo *d)
{
    char p[2][1024], detail[2400];
    snprintf(p[0], sizeof p[0], "%s/devnet", d->dir);
    const char *up[] = {"devnet", "up", "--dir", p[0], NULL};
    json_t *up_doc = demo_run_self(d, up);
    d->dep = json_incref(json_object_get(up_doc, "deployment"));
    json_decref(up_doc);
    if (!d->dep) {
        demo_step(d, "devnet: anvil + contracts", 0, "cloister devnet up failed (see its --help)");
        return -1;
    }
    d->chain_id = (uint64_t)json_integer_value(json_object_get(d->dep, "chain_id"));
    const char *rpc_url = json_string_value(json_object_get(d->dep, "rpc"));
    clo_rpc_opts ro = {rpc_url, 10000, 0, 100};
    if (addr_of(d->dep, "EnclaveRegistry", d->registry) ||
        addr_of(d->dep, "JobMarket", d->market) ||
        addr_of(d->dep, "SealedBidAuction", d->auction) || addr_of(d->dep, "PriceFeed", d->feed) ||
        addr_of(d->dep, "ModelRegistry", d->models) || clo_rpc_new(&ro, &d->rpc).code) {
        demo_step(d, "devnet: anvil + contracts", 0, "the deployment file is incomplete");
        return -1;
    }
    snprintf(detail, sizeof detail,
             "chain %llu at %s; registry, market, auction, feed, model registry deployed",
             (unsigned long long)d->chain_id, rpc_url);
    demo_step(d, "devnet: anvil + contracts", 1, detail);

    snprintf(p[1], sizeof p[1], "%s/sim", d->dir);
    struct stat st;
    if (stat(p[1], &st) != 0 && cli_sim_create(p[1], (int64_t)time(NULL)) != 0) {
        demo_step(d, "simulated TEE platform", 0, "cloister sim init failed");
        return -1;
    }
    demo_step(d, "simulated TEE platform", 1, "DCAP-format quotes under a simulated Intel root");

    char urls[600] = "", dep_path[1100], key[1100], pf[1100], log[1100], port[16];
    snprintf(dep_path, sizeof dep_path, "%s/deployments/%llu.json", p[0],
             (unsigned long long)d->chain_id);
    for (int i = 1; i <= 3; i++) {
        snprintf(key, sizeof key, "%s/keys/verifier%d.key", p[0], i);
        snprintf(pf, sizeof pf, "%s/verifier%d.port", d->dir, i);
        snprintf(log, sizeof log, "%s/verifier%d.log", d->dir, i);
        unlink(pf);
        const char *args[] = {"verifier",     "serve",  "--key",     key,
                              "--deployment", dep_path, "--sim-dir", p[1],
                              "--port-file",  pf,       NULL};
        if (spawn_bg(d, args, log)) return -1;
        for (int t = 0; t < 100 && demo_read_text(pf, port, sizeof port); t++) demo_sleep_ms(50);
        if (demo_read_text(pf, port, sizeof port)) {
            demo_step(d, "verifier committee (3, threshold 2)", 0, "a verifier did not start");
            return -1;
        }
        snprintf(urls + strlen(urls), sizeof urls - strlen(urls), "%shttp://127.0.0.1:%s",
                 i > 1 ? "," : "", port);
    }
    demo_step(d, "verifier committee (3, threshold 2)", 1, urls);

    if (start_sources(d)) return -1;
    /* The node: its chain side on, batches of up to 16 after 500 ms. */
    snprintf(d->verifier_urls, sizeof d->verifier_urls, "%s", urls);
    int nport = 18645 + (int)(getpid() % 1000);
    snprintf(d->node_url, sizeof d->node_url, "http://127.0.0.1:%d", nport);
    int ready = !start_node(d, "node", "operator", nport, NULL);
    snprintf(detail, sizeof detail, "%s (log: %s/node.log)", d->node_url, d->dir);
    demo_step(d, "node (cloisterd + enclave) running", ready, detail);
    return ready ? 0 : -1;
}

static int register_enclave(demo *d)
{
    char dev[1200], detail[300];
    snprintf(dev, sizeof dev, "%s/devnet", d->dir);
    const char *args[] = {"devnet", "allow", "--dir", dev, "--node", d->node_url, NULL};
    json_t *a = demo_run_self(d, args);
    const char *m = json_string_value(json_object_get(a, "measurement"));
    snprintf(detail, sizeof detail, "measurement %.18s… allowed for %zu workloads", m ? m : "?",
             json_array_size(json_object_get(a, "workloads")));
    demo_step(d, "governance allows the enclave measurement", m != NULL, detail);
    json_decref(a);
    if (!m) return -1;
    uint32_t epoch;
    uint8_t pk[32], signer[20];
    double t0 = (double)clo_mono_ns() / 1e6;
    for (int t = 0; t < 600; t++) {
        clo_enclave_record rec;
        if (demo_node_keys(d, &epoch, pk, signer).code) return -1;
        if (!clo_registry_enclave(d->rpc, d->registry, signer, &rec).code &&
            rec.status == CLO_RECORD_ACTIVE)
            break;
        demo_sleep_ms(100);
    }
    /* The registration's gas, from its event. */
    uint64_t g = 0;
    int found = !clo_registry_registration_gas(d->rpc, d->registry, signer, &g).code;
    if (found) demo_gas(d, "registerEnclave (2-of-3 approvals)", g);
    char sh[41];
    clo_hex_encode(sh, CLO_BYTES(signer, 20));
    snprintf(detail, sizeof detail, "signer 0x%.10s…, epoch %u, %.1f s (evidence → 3 verifiers)",
             sh, epoch, ((double)clo_mono_ns() / 1e6 - t0) / 1e3);
    demo_step(d, "committee approves, registry records the enclave", found, detail);
    return found ? 0 : -1;
}

/* The permissionless path next to the committee's (issue 18): governance puts
 * the on-chain DCAP verifier in place for the simulated TEE (`devnet dcap`:
 * the simulated root pinned, its collateral uploaded), and a second operator's
 * node, with chain.registration "onchain", registers its enclave with its own
 * quote: its machine's attestation key once (tier 2), then the record (tier
 * 3), no verifier asked. */
static int register_attested(demo *d)
{
    char dev[1200], sim[1200], col[1300], detail[400], url[64];
    snprintf(dev, sizeof dev, "%s/devnet", d->dir);
    snprintf(sim, sizeof sim, "%s/sim", d->dir);
    snprintf(col, sizeof col, "%s/collateral", sim);
    const char *args[] = {"devnet", "dcap", "--dir", dev, "--sim-dir", sim, NULL};
    json_t *a = demo_run_self(d, args);
    const char *v = json_string_value(json_object_get(
        json_object_get(json_object_get(a, "contracts"), "DcapVerifier"), "address"));
    snprintf(detail, sizeof detail,
             "DcapVerifier %.12s…, simulated root pinned; root, CA, TCB "
             "Info, QE Identity uploaded",
             v ? v : "?");
    demo_step(d, "governance: on-chain DCAP verifier (sim TEE)", v != NULL, detail);
    json_decref(a);
    if (!v) return -1;
    int port = 19645 + (int)(getpid() % 1000);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    double t0 = (double)clo_mono_ns() / 1e6;
    if (start_node(d, "node2", "operator2", port, col)) {
        demo_step(d, "second operator's enclave: its own quote", 0,
                  "node2 did not start (see node2.log)");
        return -1;
    }
    uint32_t epoch = 0;
    uint8_t pk[32], signer[20];
    clo_enclave_record rec;
    int found = 0;
    for (int t = 0; t < 600 && !found; t++) {
        found = !node_keys_at(url, &epoch, pk, signer).code &&
                !clo_registry_enclave(d->rpc, d->registry, signer, &rec).code &&
                rec.status == CLO_RECORD_ACTIVE;
        if (!found) demo_sleep_ms(100);
    }
    uint64_t g = 0;
    clo_dcap_chain dc;
    if (found && !clo_dcap_chain_of(d->rpc, d->registry, &dc).code &&
        !clo_dcap_platform_gas(d->rpc, &dc, &g).code)
        demo_gas(d, "registerPlatform (its machine, tier 2)", g);
    found = found && !clo_registry_registration_gas(d->rpc, d->registry, signer, &g).code;
    if (found) demo_gas(d, "registerAttested (own quote, tier 3)", g);
    char sh[41];
    clo_hex_encode(sh, CLO_BYTES(signer, 20));
    snprintf(detail, sizeof detail,
             "signer 0x%.10s…, tee sim, no committee, %.1f s; node2 then stopped (node2.log)", sh,
             ((double)clo_mono_ns() / 1e6 - t0) / 1e3);
    /* One node serves the jobs from here: every node follows every job, and one
     * whose enclave cannot open the inputs would settle them without (issue 21). */
    kill(d->bg[d->nbg - 1], SIGTERM);
    waitpid(d->bg[--d->nbg], NULL, 0);
    demo_step(d, "second operator's enclave: its own quote", found && rec.tee_type == CLO_TEE_SIM,
              detail);
    return found ? 0 : -1;
}

int cmd_demo(int argc, char **argv)
{
    cli_opt o[] = {{"dir", "DIR", "where everything is kept (default data/demo)", 0, NULL},
                   {"json", NULL, "print one JSON document instead of text", 0, NULL}};
    cli_spec spec = {
        "cloister demo [--dir DIR] [--json]",
        "The whole story on a local chain: devnet, simulated TEE, a committee of three "
        "attestation verifiers and a node as their own processes; the enclave approved and "
        "registered; a sealed-bid auction settled on chain with each bidder reading only its "
        "own result; an enclave-signed median price in a Chainlink-compatible feed, from sealed "
        "reports "
        "and from three HTTPS APIs the enclave fetches itself over TLS; a "
        "breast-cancer classifier trained, registered on chain and provisioned to the attested "
        "enclave, with three patients' encrypted records diagnosed and each patient reading only "
        "their own; a report with gas and timings. The processes are stopped at the end; their "
        "state and logs stay "
        "in DIR.",
        o, 2};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    demo d;
    memset(&d, 0, sizeof d);
    d.dir = cli_get(&spec, "dir") ? cli_get(&spec, "dir") : "data/demo";
    d.json = cli_get(&spec, "json") != NULL;
    if (strlen(d.dir) > 900) {
        cli_error("--dir: path too long\n");
        return CLI_EXIT_USAGE;
    }
    d.steps = json_array();
    d.gas = json_object();
    d.t0 = (double)clo_mono_ns() / 1e6;
    ssize_t n = readlink("/proc/self/exe", d.self, sizeof d.self - 1);
    if (n <= 0) return CLI_EXIT_FAIL;
    d.self[n] = 0;
    if (cli_mkdirs(d.dir, 0700) != 0) {
        cli_error("cannot create '%s': %s\n", d.dir, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    if (!d.json) {
        cli_mark_output(); /* a report for people */
        printf("Cloister demo — everything real except the TEE (simulated), in %s\n\n", d.dir);
    }
    clo_sender seller;
    memset(&seller, 0, sizeof seller);
    char key[1200];
    clo_secret32 sk;
    uint8_t addr[20];
    snprintf(key, sizeof key, "%s/devnet/keys/deployer.key", d.dir);
    int ok = !start_everything(&d) && !register_enclave(&d) && !register_attested(&d) &&
             !clo_key_file_read(key, &sk, addr).code && !clo_sender_init(&seller, d.rpc, &sk).code;
    clo_wipe(&sk, sizeof sk);
    ok = ok && !demo_auction(&d, &seller);
    ok = ok && !demo_price(&d, &seller);
    ok = ok && !demo_price_https(&d, &seller);
    ok = ok && !demo_diagnosis(&d, &seller);
    clo_sender_wipe(&seller);
    stop_bg(&d);
    char dev[1200];
    snprintf(dev, sizeof dev, "%s/devnet", d.dir);
    const char *down[] = {"devnet", "down", "--dir", dev, NULL};
    json_decref(demo_run_self(&d, down));
    double total = ((double)clo_mono_ns() / 1e6 - d.t0) / 1e3;
    if (d.json) {
        rc = cli_print(json_pack("{s:o,s:o,s:b,s:f,s:s,s:s}", "steps", d.steps, "gas", d.gas, "ok",
                                 ok && !d.failed, "seconds", total, "dir", d.dir, "auction_job",
                                 d.auction_job));
    } else {
        const char *k;
        json_t *v;
        printf("\nGas per operation (anvil, Osaka rules):\n");
        json_object_foreach(d.gas, k, v)
            printf("  %-44s %8lld\n", k, (long long)json_integer_value(v));
        printf("\n%s in %.1f s. Logs and state: %s (node.log, verifier*.log, devnet/).\n",
               ok && !d.failed ? "Done" : "FAILED", total, d.dir);
        if (d.auction_job[0])
            printf("The auction's chain of custody, checked link by link:\n"
                   "  cloister devnet up --dir %s/devnet\n"
                   "  cloister audit %s --deployment %s/devnet/deployments/%llu.json\n",
                   d.dir, d.auction_job, d.dir, (unsigned long long)d.chain_id);
        json_decref(d.steps);
        json_decref(d.gas);
    }
    json_decref(d.dep);
    json_decref(d.fetch_connect);
    clo_rpc_free(d.rpc);
    return ok && !d.failed ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
