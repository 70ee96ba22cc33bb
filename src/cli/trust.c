/* trust.c — what a client trusts when it checks an enclave (cli.h): the
 * deployment, the policy, the roots; and fetching evidence over a nonce of
 * its own. Shared by `cloister verifier` and `cloister model provision`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/hex.h"
#include "cli/cli.h"
#include "client/contracts.h"
#include "client/deploy.h"
#include "client/outputs.h"
#include "client/seal.h"

#define MAX_FILE ((size_t)16 << 20)

void cli_trust_free(cli_trust *t)
{
    clo_buf_free(&t->policy);
    clo_policy_free(t->parsed);
    clo_dcap_collateral_free(&t->col);
    clo_x509_free(t->anchor);
    memset(t, 0, sizeof *t);
}

int cli_trust_load(const cli_spec *spec, cli_trust *t)
{
    memset(t, 0, sizeof *t);
    clo_buf_init(&t->policy, MAX_FILE);
    clo_dcap_collateral_init(&t->col);
    clo_deployment dep;
    int rc = cli_deployment_load(cli_get(spec, "deployment"), &dep);
    if (rc) return rc;
    t->v.chain_id = dep.chain_id;
    memcpy(t->v.registry, dep.registry, 20);
    memcpy(t->market, dep.market, 20);
    if (cli_get(spec, "policy")) {
        if (cli_read_file("--policy", cli_get(spec, "policy"), MAX_FILE, &t->policy))
            return CLI_EXIT_FAIL;
        char msg[256];
        if (clo_policy_parse(clo_buf_view(&t->policy), &t->parsed, msg, sizeof msg).code) {
            cli_error("--policy: %s\n", msg);
            cli_error_code("format");
            return CLI_EXIT_FAIL;
        }
        t->v.policy = t->parsed;
    }
    const char *sim = cli_get(spec, "sim-dir");
    char path[2048];
    if (sim && !cli_get(spec, "policy")) {
        /* The simulated TEE is a debug TEE: trusting it means allowing debug. */
        if (clo_policy_default(&t->parsed).code) return CLI_EXIT_FAIL;
        clo_policy_allow_debug(t->parsed);
        clo_policy_any_measurement(t->parsed);
        t->v.policy = t->parsed;
        fprintf(stderr, "WARNING: --sim-dir without --policy: a simulated TEE is trusted with any "
                        "measurement; no security, for development only\n");
    }
    if (cli_get(spec, "anchor") || sim) {
        if (sim) snprintf(path, sizeof path, "%s/root_ca.der", sim);
        if (!cli_get(spec, "anchor") && access(path, R_OK) != 0) {
            cli_error("--sim-dir: '%s' holds no simulated TEE (no root_ca.der); give the "
                      "node's enclave.sim_dir\n",
                      sim);
            return CLI_EXIT_FAIL;
        }
        rc = cli_load_anchor(cli_get(spec, "anchor") ? cli_get(spec, "anchor") : path, &t->anchor);
        if (rc) return rc;
        t->v.anchor = t->anchor;
    }
    const char *col = cli_get(spec, "collateral");
    if (!col && sim) {
        snprintf(path, sizeof path, "%s/collateral", sim);
        col = path;
    }
    size_t used = 0;
    if (col && cli_load_collateral(col, NULL, &t->col, &used)) return CLI_EXIT_FAIL;
    t->v.col = &t->col;
    return CLI_EXIT_OK;
}

int cli_fetch_evidence(const char *node, clo_approve_req *r, clo_buf *ev)
{
    uint8_t ch[32];
    char url[2300], nhex[65];
    long status;
    clo_buf_init(ev, 1 << 20);
    if (clo_random(ch, 32).code) return CLI_EXIT_FAIL;
    clo_approval_nonce((const uint8_t(*)[32])ch, 1, r->nonce);
    clo_hex_encode(nhex, CLO_BYTES(r->nonce, 32));
    snprintf(url, sizeof url, "%s/v1/enclave/evidence?nonce=%s", node, nhex);
    json_t *doc = cli_http_json("GET", url, NULL, &status);
    const json_t *ep = json_object_get(doc, "epoch");
    int bad = !doc || status != 200 || !json_is_integer(ep) ||
              clo_hex_decode_fixed(r->signer, 20, json_string_value(json_object_get(doc, "signer")))
                  .code ||
              clo_hex_decode_fixed(r->hpke_pk, 32,
                                   json_string_value(json_object_get(doc, "hpke_public_key")))
                  .code ||
              /* the operator the report data names (evidence/binding.h) */
              clo_hex_decode_fixed(r->operator_addr, 20,
                                   json_string_value(json_object_get(doc, "operator")))
                  .code ||
              clo_hex_decode(ev, json_string_value(json_object_get(doc, "evidence"))).code;
    r->epoch = (uint32_t)json_integer_value(ep);
    json_decref(doc);
    if (bad) {
        clo_buf_free(ev);
        return cli_fail(CLO_ERR(CLO_E_FORMAT, "evidence"),
                        "the node gave no usable evidence document");
    }
    r->evidence = clo_buf_view(ev);
    return CLI_EXIT_OK;
}

/* ---- what the chain says (clients trust the chain, not the node) ---- */

int cli_deployment_load(const char *path, clo_deployment *d)
{
    clo_buf text;
    if (cli_read_file("--deployment", path, MAX_FILE, &text)) return CLI_EXIT_FAIL;
    clo_err err = clo_deployment_parse(clo_buf_view(&text), d);
    clo_buf_free(&text);
    if (err.code) {
        cli_error("--deployment: needs chain_id and contracts.{EnclaveRegistry,JobMarket}\n");
        cli_error_code("format");
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

/* The chain vouches for the key the node serves (issue 15, finding 2): the
 * node's enclave is bound to the deployment's chain and JobMarket, and its
 * signer has an active record of this epoch holding exactly this HPKE key,
 * with a measurement allowed for the workload. Waits up to `wait` seconds for
 * the record (a node registers shortly after governance allows it). */
int cli_registry_vouches(const char *dep_path, uint64_t chain_id, const uint8_t market[20],
                         uint32_t epoch, const uint8_t signer[20], const uint8_t pk[32],
                         const char *wname, uint64_t wait)
{
    clo_deployment d;
    int rc = cli_deployment_load(dep_path, &d);
    if (rc) return rc;
    if (d.chain_id != chain_id || memcmp(d.market, market, 20)) {
        cli_fail(CLO_ERR(CLO_E_POLICY, "deployment"),
                 "the node's enclave is bound to another chain or JobMarket than the deployment");
        return CLI_EXIT_REFUSED;
    }
    if (!d.rpc[0]) {
        cli_error("--deployment: no rpc to read the registry from\n");
        cli_error_code("format");
        return CLI_EXIT_FAIL;
    }
    clo_rpc *rpc = NULL;
    clo_rpc_opts ro = {.url = d.rpc, .timeout_ms = 10000, .retries = 2, .backoff_ms = 200};
    if (clo_rpc_new(&ro, &rpc).code) return cli_fail(CLO_ERR(CLO_E_IO, "rpc"), "bad rpc URL");
    uint8_t wid[32];
    clo_workload_id(wname, wid);
    time_t until = time(NULL) + (time_t)wait;
    const char *why = NULL;
    for (int tries = 0;; tries++) {
        clo_err e =
            clo_registry_vouches(rpc, d.registry, signer, pk, epoch, wid, (uint64_t)time(NULL));
        if (!e.code) {
            clo_rpc_free(rpc);
            return CLI_EXIT_OK;
        }
        if (e.code == CLO_E_IO) {
            clo_rpc_free(rpc);
            return cli_fail(CLO_ERR(CLO_E_IO, "rpc"), e.what);
        }
        why = e.what;
        if (e.code != CLO_E_STALE || time(NULL) >= until) break; /* a lie, not a delay */
        if (tries % 5 == 0) fprintf(stderr, "waiting for the registry: %s...\n", why);
        sleep(1);
    }
    clo_rpc_free(rpc);
    cli_fail(CLO_ERR(CLO_E_POLICY, "registry"), why);
    return CLI_EXIT_REFUSED;
}
