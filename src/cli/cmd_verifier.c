/* cmd_verifier.c — `cloister verifier serve|approve`: one member of the
 * attestation-verifier committee (docs/architecture.md §3, host/approve.h). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/ct.h"
#include "base/hex.h"
#include "cli/cli.h"
#include "client/calls.h"
#include "committee/verifier.h"

#define MAX_FILE ((size_t)16 << 20)

static cli_opt common[] = {
    {"key", "FILE", "this verifier's secp256k1 key (hex)", 1, NULL},
    CLI_TRUST_OPTS,
    {"max-lifetime", "SECONDS", "longest approval this verifier signs (default 2592000)", 0, NULL},
};
#define NCOMMON (sizeof common / sizeof common[0])

typedef struct {
    cli_trust t;
    clo_secret32 key;
    uint8_t address[20];
} setup;

static void setup_free(setup *s)
{
    clo_wipe(&s->key, sizeof s->key);
    cli_trust_free(&s->t);
}

static int load_setup(const cli_spec *spec, setup *s)
{
    memset(s, 0, sizeof *s);
    int rc = cli_trust_load(spec, &s->t);
    if (rc) return rc;
    clo_err e = clo_key_file_read(cli_get(spec, "key"), &s->key, s->address);
    if (e.code) return cli_fail(e, "--key: cannot use the key file");
    s->t.v.max_lifetime = 30 * 86400;
    if (cli_get(spec, "max-lifetime") &&
        cli_u64(spec, "max-lifetime", 366u * 86400, &s->t.v.max_lifetime))
        return CLI_EXIT_USAGE;
    return CLI_EXIT_OK;
}

static volatile sig_atomic_t g_stop;
static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int serve(int argc, char **argv)
{
    cli_opt o[NCOMMON + 6];
    memcpy(o, common, sizeof common);
    o[NCOMMON] =
        (cli_opt){"listen", "ADDR", "IPv4 address to listen on (default 127.0.0.1)", 0, NULL};
    o[NCOMMON + 1] = (cli_opt){"port", "N", "TCP port (default 0: any free port)", 0, NULL};
    o[NCOMMON + 2] =
        (cli_opt){"port-file", "FILE", "write the port listened on to FILE once ready", 0, NULL};
    o[NCOMMON + 3] = (cli_opt){"rpc", "URL",
                               "JSON-RPC endpoint to read jobs from for tickets (default: the "
                               "deployment's rpc; none: no tickets)",
                               0, NULL};
    o[NCOMMON + 4] =
        (cli_opt){"confirmations", "N",
                  "blocks a job must be under before it gets a ticket (default 0)", 0, NULL};
    o[NCOMMON + 5] = (cli_opt){"state", "FILE",
                               "SQLite file of the enclaves' sealed-state versions this member "
                               "recorded (default: the key file's path + .state)",
                               0, NULL};
    cli_spec spec = {
        "cloister verifier serve --key FILE --deployment FILE [--policy FILE] [--sim-dir DIR] "
        "[--state FILE] [--listen ADDR] [--port N]",
        "Serve as one member of the attestation-verifier committee: GET /v1/challenge hands out "
        "a fresh nonce; POST /v1/approve verifies an enclave's evidence (over the committee "
        "nonce, keccak256 of the members' challenges) with the attestation verifier and the "
        "policy, checks that it binds the enclave's signer, HPKE key, epoch, chain and registry, "
        "and answers with a signed EIP-712 EnclaveApproval. POST /v1/ticket signs an EIP-712 "
        "JobTicket for a job that is open on chain under --confirmations blocks, naming its "
        "input set, so that an enclave runs that job on nothing else. POST /v1/state/record "
        "records an enclave's sealed-state version (only ever higher) and POST "
        "/v1/state/latest reports the highest, so that a restarted enclave refuses older state. "
        "Runs until SIGINT/SIGTERM; logs are JSON lines on stderr.",
        o, NCOMMON + 6};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    setup s;
    uint64_t port = 0, confirmations = 0;
    if ((rc = load_setup(&spec, &s)) ||
        (cli_get(&spec, "port") && cli_u64(&spec, "port", 65535, &port)) ||
        (cli_get(&spec, "confirmations") && cli_u64(&spec, "confirmations", 256, &confirmations))) {
        setup_free(&s);
        return rc ? rc : CLI_EXIT_USAGE;
    }
    clo_verifier_srv *srv = NULL;
    const char *addr = cli_get(&spec, "listen") ? cli_get(&spec, "listen") : "127.0.0.1";
    clo_deployment dep;
    if ((rc = cli_deployment_load(cli_get(&spec, "deployment"), &dep))) {
        setup_free(&s);
        return rc;
    }
    char state_path[4200];
    snprintf(state_path, sizeof state_path, "%s.state", cli_get(&spec, "key"));
    clo_verifier_chain chain = {cli_get(&spec, "rpc") ? cli_get(&spec, "rpc") : dep.rpc,
                                {0},
                                (uint32_t)confirmations,
                                cli_get(&spec, "state") ? cli_get(&spec, "state") : state_path};
    memcpy(chain.market, dep.market, 20);
    clo_err e = clo_verifier_start(&srv, &s.t.v, &chain, &s.key, addr, (uint16_t)port);
    if (e.code) {
        setup_free(&s);
        return cli_fail(e, "the verifier service could not start");
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    char pbuf[16], vaddr[43] = "0x";
    snprintf(pbuf, sizeof pbuf, "%u\n", clo_verifier_port(srv));
    clo_hex_encode(vaddr + 2, CLO_BYTES(s.address, 20));
    if (cli_get(&spec, "port-file") &&
        cli_write_file(cli_get(&spec, "port-file"), clo_bytes_str(pbuf), 0)) {
        clo_verifier_stop(srv);
        setup_free(&s);
        return CLI_EXIT_FAIL;
    }
    fprintf(stderr,
            "{\"level\":\"info\",\"event\":\"verifier.ready\",\"address\":\"%s\",\"port\":%u,"
            "\"verifier\":\"%s\"}\n",
            addr, clo_verifier_port(srv), vaddr);
    /* The command's one stdout document, once it serves: where to reach it. */
    char url[300];
    snprintf(url, sizeof url, "http://%s:%u", addr, clo_verifier_port(srv));
    cli_print(json_pack("{s:s,s:s,s:i,s:s}", "status", "ready", "url", url, "port",
                        (int)clo_verifier_port(srv), "verifier", vaddr));
    fflush(stdout);
    while (!g_stop) pause();
    clo_verifier_stop(srv);
    setup_free(&s);
    fprintf(stderr, "{\"level\":\"info\",\"event\":\"verifier.stopped\",\"verifier\":\"%s\"}\n",
            vaddr);
    return CLI_EXIT_OK;
}

static int approve(int argc, char **argv)
{
    cli_opt o[NCOMMON + 4];
    memcpy(o, common, sizeof common);
    o[NCOMMON] = (cli_opt){"node", "URL", "the node whose enclave to approve", 1, NULL};
    o[NCOMMON + 1] = (cli_opt){"operator", "ADDR", "the enclave's operator (0x address)", 1, NULL};
    o[NCOMMON + 2] =
        (cli_opt){"lifetime", "SECONDS", "how long the approval runs (default 604800)", 0, NULL};
    o[NCOMMON + 3] = (cli_opt){"json", NULL, "JSON output (the default)", 0, NULL};
    cli_spec spec = {
        "cloister verifier approve --node URL --operator ADDR --key FILE --deployment FILE "
        "[--policy FILE] [--sim-dir DIR]",
        "Ask a node's enclave for evidence over a fresh nonce of this verifier's, verify it with "
        "the attestation verifier and the policy, and print the signed EIP-712 EnclaveApproval "
        "(exit 4 with the verdict when it is refused).",
        o, NCOMMON + 4};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    setup s;
    clo_approve_req r;
    memset(&r, 0, sizeof r);
    uint64_t lifetime = 7 * 86400;
    if ((rc = load_setup(&spec, &s)) ||
        (rc = cli_hex_fixed(&spec, "operator", r.operator_addr, 20)) ||
        (cli_get(&spec, "lifetime") &&
         (rc = cli_u64(&spec, "lifetime", 366u * 86400, &lifetime)))) {
        setup_free(&s);
        return rc;
    }
    clo_buf ev;
    json_t *out = NULL;
    uint8_t op[20];
    memcpy(op, r.operator_addr, 20);
    if ((rc = cli_fetch_evidence(cli_get(&spec, "node"), &r, &ev))) {
        setup_free(&s);
        return rc;
    }
    if (memcmp(op, r.operator_addr, 20)) { /* the report data names the node's operator */
        clo_buf_free(&ev);
        setup_free(&s);
        return cli_fail(CLO_ERR(CLO_E_POLICY, "operator"),
                        "--operator is not the operator the node's evidence is bound to");
    }
    s.t.v.now = (int64_t)time(NULL);
    r.expiry = (uint64_t)s.t.v.now + lifetime;
    r.evidence = clo_buf_view(&ev);
    clo_approval a;
    uint8_t sig[65];
    char *verdict = NULL;
    clo_err e = clo_approve(&s.t.v, &r, &s.key, &a, sig, &verdict);
    json_t *v = verdict ? json_loads(verdict, 0, NULL) : NULL;
    free(verdict);
    if (e.code) {
        out = json_pack("{s:{s:s,s:s},s:o}", "error", "code", clo_code_name(e.code), "message",
                        e.what ? e.what : "refused", "verdict", v ? v : json_null());
        cli_print(out);
        rc = e.code == CLO_E_POLICY ? 4 : CLI_EXIT_FAIL;
    } else {
        out = json_pack("{s:o,s:o,s:o,s:o}", "approval", clo_approval_to_json(&a), "signature",
                        clo_json_hex(CLO_BYTES(sig, 65)), "verifier",
                        clo_json_hex(CLO_BYTES(s.address, 20)), "verdict", v ? v : json_null());
        rc = cli_print(out);
    }
    clo_buf_free(&ev);
    setup_free(&s);
    return rc;
}

int cmd_verifier(int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    if (!strcmp(sub, "serve")) return serve(argc - 1, argv + 1);
    if (!strcmp(sub, "approve")) return approve(argc - 1, argv + 1);
    FILE *f = !strcmp(sub, "--help") ? stdout : stderr;
    fprintf(f, "usage: cloister verifier serve|approve [options]   (--help on each)\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
