/* cli.h — shared plumbing for the `cloister` command: option parsing, hex
 * arguments, and one JSON document on stdout per run.
 *
 * Exit codes: 0 success, 1 the operation failed at run time or on I/O (the
 * JSON document says why), 2 usage error (message on stderr), 4 a
 * verification or policy check refused. */
#ifndef CLO_CLI_CLI_H
#define CLO_CLI_CLI_H

#include <jansson.h>
#include <sys/types.h>

#include "attest/dcap.h"
#include "committee/approve.h"
#include "client/outputs.h"
#include "base/bytes.h"
#include "client/dcap.h"
#include "client/deploy.h"
#include "host/config.h"

#define CLI_EXIT_OK      0
#define CLI_EXIT_FAIL    1
#define CLI_EXIT_USAGE   2
#define CLI_EXIT_REFUSED 4 /* a verification or policy check refused (the document says why) */

#define CLI_PATH_CAP     4096

/* paths.c: a tool (e.g. "anvil") from the option value `given`, else $env,
 * else PREFIX/libexec/cloister/NAME (PREFIX = the directory above the running
 * executable's bin/), else PATH. Shared data (e.g. "contracts") from `given`,
 * else $env, else PREFIX/share/cloister/REL. Each returns 0, or -1 after
 * printing the failure document (cli_fail) naming every place it looked. */
int cli_find_tool(const char *name, const char *given, const char *env, char out[CLI_PATH_CAP]);
int cli_find_share(const char *rel, const char *given, const char *env, char out[CLI_PATH_CAP]);
/* mkdir -p: dir and its missing parents (mode for each); 0, or -1 with errno. */
int cli_mkdirs(const char *dir, mode_t mode);

typedef struct {
    const char *name; /* without the leading "--" */
    const char *arg;  /* placeholder shown in help, NULL for a flag */
    const char *help;
    int required;
    const char *value; /* out: the value, "1" for a given flag, NULL if absent */
} cli_opt;

typedef struct {
    const char *usage; /* "cloister hpke seal [options]" */
    const char *about; /* one paragraph */
    cli_opt *opts;
    size_t count;
} cli_spec;

/* Parse argv (after the subcommand words). Handles --help itself (returns
 * CLI_EXIT_OK with *done set). Returns CLI_EXIT_USAGE on a bad command line. */
int cli_parse(const cli_spec *spec, int argc, char **argv, int *done);
const char *cli_get(const cli_spec *spec, const char *name);

/* Decode a hex option into out (limit max bytes). A value "@PATH" reads the hex
 * from that file. Prints a usage error naming the option on failure. */
int cli_hex(const cli_spec *spec, const char *name, clo_buf *out, size_t max);
/* Decode a hex option of exactly n bytes. */
int cli_hex_fixed(const cli_spec *spec, const char *name, void *dst, size_t n);
/* Parse an unsigned decimal (or 0x-hex) option into *out, at most max. */
int cli_u64(const cli_spec *spec, const char *name, uint64_t max, uint64_t *out);

/* Read the whole file at path into out (at most max bytes). Returns 0, or -1
 * and prints "error: <what>: cannot read '<path>': <reason>" on stderr. */
int cli_read_file(const char *what, const char *path, size_t max, clo_buf *out);
/* An oracle-https config from a JSON sources file, and (input not NULL) the
 * job's input: the sources' private queries (sources.c). */
int cli_oracle_sources(const char *path, clo_buf *cfg, clo_buf *input);

/* Write data to path (created or truncated; mode 0600 when secret, else 0644).
 * Returns 0, or CLI_EXIT_FAIL with "error: cannot write '<path>'..." on stderr. */
int cli_write_file(const char *path, clo_bytes data, int secret);

/* Add a hex string member to obj. */
void cli_json_hex(json_t *obj, const char *key, clo_bytes v);
/* The output contract. A command prints one JSON document on stdout: its
 * result, or on failure {"error":{"code":...,"message":...}}. cli_error says
 * "error: ..." on stderr and keeps the first such message; when a command
 * fails without having printed a document, main's cli_finish prints the
 * failure document from it (code "usage" for exit 2, "policy" for exit 4, the
 * cli_error_code given, else "io"). cli_mark_output tells it that a command
 * printed for people instead (demo, attest verify without --json). */
__attribute__((format(printf, 1, 2))) void cli_error(const char *fmt, ...);
void cli_error_code(const char *code);
void cli_mark_output(void);
int cli_finish(int rc);

/* Print obj (consumed) as one JSON document on stdout; returns CLI_EXIT_OK. */
int cli_print(json_t *obj);
/* Print {"error":{"code":...,"message":...,"what":...}} on stdout; returns CLI_EXIT_FAIL. */
int cli_fail(clo_err err, const char *message);

/* A tensor for people: name, type, shape and every value. */
json_t *cli_tensor_json(const char *name, const clo_tensor *t);
/* A workload's public output, decoded for people (NULL if not decodable). */
json_t *cli_decode_public(const char *workload, clo_bytes p);
/* `cloister job result` (cmd_result.c). */
int cli_job_result(int argc, char **argv);
/* A node configuration file checked over the defaults (path NULL: the
 * defaults); a CLI exit code, the bad key named on failure. */
int cli_config_load(const char *path, clo_config *cfg);

/* The node API: --node or the default; a fixed-size hex member of a JSON
 * answer (-1 if absent or wrong); a problem document as the command's failure
 * (prints it; CLI_EXIT_FAIL). */
#define CLI_DEFAULT_NODE "http://127.0.0.1:8645"
const char *cli_node_url(const cli_spec *spec);
int cli_hex_member(const json_t *doc, const char *key, uint8_t *dst, size_t n);
int cli_api_fail(json_t *doc, long status);
/* Load a trust anchor (one certificate, PEM or DER) for --anchor. */
int cli_load_anchor(const char *path, clo_x509 **out);
/* Load every regular file of dir except `skip` (the evidence) into col,
 * recognised by content; *used counts what was taken. */
int cli_load_collateral(const char *dir, const char *skip, clo_dcap_collateral *col, size_t *used);

/* HTTP request to the node API; the JSON answer (NULL on a transport error,
 * message on stderr). body != NULL is sent as application/json. */
json_t *cli_http_json(const char *method, const char *url, const char *body, long *status);
/* Create a simulated platform in dir (no output). */
int cli_sim_create(const char *dir, int64_t now);

/* What a client trusts when it checks an enclave's evidence: the chain and
 * contracts of a deployment file, an attestation policy, and the roots (the
 * built-in Intel/AMD ones, a test anchor, or a simulated TEE's). */
typedef struct {
    clo_approver v; /* chain id, registry, policy, anchor, collateral */
    uint8_t market[20];
    clo_buf policy;
    clo_dcap_collateral col;
    clo_x509 *anchor;
    clo_policy *parsed; /* --policy, or the simulated TEE's */
} cli_trust;
#define CLI_TRUST_OPTS                                                                             \
    {"deployment", "FILE", "deployments/<chainId>.json (chain id, EnclaveRegistry, JobMarket)", 1, \
     NULL},                                                                                        \
        {"policy", "FILE", "attestation policy (JSON; default: production, debug forbidden)", 0,   \
         NULL},                                                                                    \
        {"sim-dir", "DIR", "trust the simulated TEE in DIR (its root and collateral)", 0, NULL},   \
        {"anchor", "FILE", "trust anchor certificate instead of the built-in roots", 0, NULL},     \
    {                                                                                              \
        "collateral", "DIR", "collateral directory (default with --sim-dir: DIR/collateral)", 0,   \
            NULL                                                                                   \
    }
int cli_trust_load(const cli_spec *spec, cli_trust *t);
void cli_trust_free(cli_trust *t);
/* A deployment file's chain and contracts (client/deploy.h; prints the
 * failure; CLI exit code). */
int cli_deployment_load(const char *path, clo_deployment *d);

/* Clients trust the chain (issue 15, finding 2): the node's enclave is bound
 * to the deployment's chain and JobMarket, and its signer has an active
 * EnclaveRegistry record of this epoch holding exactly the HPKE key pk, with
 * a measurement allowed for workload wname. Waits up to `wait` seconds for a
 * registration in progress. Returns a CLI exit code (4: refused; the failure
 * document printed). */
int cli_registry_vouches(const char *dep_path, uint64_t chain_id, const uint8_t market[20],
                         uint32_t epoch, const uint8_t signer[20], const uint8_t pk[32],
                         const char *wname, uint64_t wait);

/* Ask node for evidence over a fresh random nonce: fills r's signer, HPKE
 * key, epoch and nonce, and ev (which r->evidence views). Prints the error. */
int cli_fetch_evidence(const char *node, clo_approve_req *r, clo_buf *ev);

/* cmd_deploy.c: client/deploy.h's deployment with progress on stderr; a CLI
 * exit code (the failure document printed). Shared by `cloister deploy` and
 * `cloister devnet up`. */
int cli_deploy_cloister(clo_deployer *d, const clo_deploy_plan *p, const char *rpc_url,
                        json_t **out);

int cmd_deploy(int argc, char **argv);
int cmd_attest(int argc, char **argv);
int cmd_node(int argc, char **argv);
int cmd_job(int argc, char **argv);
int cmd_enclave(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_hpke(int argc, char **argv);
int cmd_onnx(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_envelope(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_devnet(int argc, char **argv);
/* cmd_dcap.c: the on-chain DCAP verifier of a deployment (client/dcap.h). */
int cmd_dcap(int argc, char **argv);
/* Deploy the on-chain verifier for `registry` pinned to `root` (refused, and
 * nothing sent, if it has one), let the TEE types of the comma list `tees`
 * (or the simulated TEE) register with their own quotes at UpToDate, and record
 * the contracts in the deployment document `dep`, written to dep_path. */
int cli_dcap_install(clo_deployer *d, clo_rpc *rpc, const uint8_t registry[20], clo_bytes root,
                     int simulated, const char *tees, json_t *dep, const char *dep_path,
                     clo_dcap_chain *out);
int cmd_verifier(int argc, char **argv);
int cmd_audit(int argc, char **argv);

#endif
