/* cmd_dcap.c — `cloister dcap deploy|upload|platform|check|revoke`: the on-chain DCAP
 * verifier of any deployment (issue 18; docs/attestation.md "On chain").
 * deploy is governance's (the registry's owner); upload, platform and revoke
 * are anyone's, as the contracts allow; check is a view. */
#include <stdio.h>
#include <string.h>

#include "attest/dcap.h"
#include "attest/tcb.h"
#include "base/ct.h"
#include "base/hex.h"
#include "base/teekind.h"
#include "cli/cli.h"
#include "client/dcap.h"
#include "client/deploy.h"

#define MAX_FILE (4u << 20)

/* What every subcommand opens: the deployment file (rpc, registry) and,
 * for transactions, the sender. */
typedef struct {
    json_t *dep;
    uint8_t registry[20];
    clo_rpc *rpc;
    clo_deployer d;
    clo_secret32 key;
    char artifacts[CLI_PATH_CAP];
} ctx;

static void ctx_free(ctx *c)
{
    json_decref(c->dep);
    json_decref(c->d.contracts);
    clo_sender_wipe(&c->d.s);
    clo_wipe(&c->key, sizeof c->key);
    clo_rpc_free(c->rpc);
}

static int ctx_open(const cli_spec *spec, int sends, ctx *c)
{
    memset(c, 0, sizeof *c);
    json_error_t je;
    c->dep = json_load_file(cli_get(spec, "deployment"), 0, &je);
    const char *rpc = json_string_value(json_object_get(c->dep, "rpc"));
    if (!c->dep || !rpc || clo_deployment_contract(c->dep, "EnclaveRegistry", c->registry).code) {
        cli_error("--deployment: needs rpc and contracts.EnclaveRegistry (cloister deploy writes "
                  "them)\n");
        cli_error_code("format");
        return CLI_EXIT_FAIL;
    }
    clo_rpc_opts o = {rpc, 30000, 0, 100};
    clo_err err = clo_rpc_new(&o, &c->rpc);
    if (err.code) return cli_fail(err, "the deployment's rpc");
    if (!sends) return CLI_EXIT_OK;
    uint8_t addr[20];
    err = clo_key_file_read(cli_get(spec, "key"), &c->key, addr);
    if (err.code) return cli_fail(err, "--key: cannot read the key file");
    err = clo_sender_init(&c->d.s, c->rpc, &c->key);
    if (err.code) return cli_fail(err, "the deployment's rpc");
    c->d.artifacts = c->artifacts;
    c->d.contracts = json_object();
    return CLI_EXIT_OK;
}

/* The verifier's contracts, as the registry names them. */
static int chain_of(ctx *c, clo_dcap_chain *dc)
{
    clo_err err = clo_dcap_chain_of(c->rpc, c->registry, dc);
    if (err.code)
        return cli_fail(err, err.code == CLO_E_STATE
                                 ? "the registry has no on-chain verifier (cloister dcap deploy)"
                                 : "the registry cannot be read at the rpc");
    return CLI_EXIT_OK;
}

/* DIR/NAME read whole. */
static int read_in(const char *dir, const char *name, clo_buf *out)
{
    char path[CLI_PATH_CAP + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return cli_read_file("--collateral-dir", path, MAX_FILE, out);
}

static int sent(ctx *c, clo_err err, const char *what, json_t *doc)
{
    if (err.code) {
        json_decref(doc);
        return cli_fail(err, c->d.why[0] ? c->d.why : what);
    }
    return cli_print(doc);
}

/* Record what the deployer created in the deployment file (dep updated). */
static int record_contracts(clo_deployer *d, json_t *dep, const char *dep_path)
{
    const char *k;
    json_t *v, *contracts = json_object_get(dep, "contracts");
    if (!json_object_size(d->contracts)) return CLI_EXIT_OK;
    json_object_foreach(d->contracts, k, v) json_object_set(contracts, k, v);
    if (json_dump_file(dep, dep_path, JSON_INDENT(2)) == 0) return CLI_EXIT_OK;
    cli_error("cannot write '%s'\n", dep_path);
    return CLI_EXIT_FAIL;
}

int cli_dcap_install(clo_deployer *d, clo_rpc *rpc, const uint8_t registry[20], clo_bytes root,
                     int simulated, const char *tees, json_t *dep, const char *dep_path,
                     clo_dcap_chain *out)
{
    uint8_t kinds[8];
    size_t n = 0;
    char list[64], *save = NULL;
    snprintf(list, sizeof list, "%s", simulated ? "sim" : tees);
    for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        uint8_t kind = simulated           ? CLO_TEE_SIM
                       : !strcmp(t, "tdx") ? CLO_TEE_TDX
                       : !strcmp(t, "sgx") ? CLO_TEE_SGX
                                           : 0;
        if (!kind || n == sizeof kinds) {
            cli_error("--tee: '%s' is not tdx or sgx (SEV-SNP has no on-chain path)\n", t);
            return CLI_EXIT_USAGE;
        }
        kinds[n++] = kind;
    }
    if (!n) {
        cli_error("--tee: no TEE type\n");
        return CLI_EXIT_USAGE;
    }
    if (!clo_dcap_chain_of(rpc, registry, out).code) { /* set once (EnclaveRegistry) */
        char hex[41];
        clo_hex_encode(hex, CLO_BYTES(out->verifier, 20));
        cli_error("the registry already has an on-chain verifier (0x%s); nothing changed\n", hex);
        cli_error_code("state");
        return CLI_EXIT_FAIL;
    }
    clo_err err =
        clo_dcap_deploy(d, registry, root, simulated, kinds[0], 1u << CLO_TCB_UP_TO_DATE, out);
    /* What was created is recorded even if a later step failed: the registry
     * keeps the verifier it was given, so its address must not be lost. */
    int rc = record_contracts(d, dep, dep_path);
    for (size_t i = 1; i < n && !err.code; i++) {
        clo_abi_val a[5] = {clo_abi_address(out->verifier), clo_abi_uint(kinds[i]), clo_abi_bool(1),
                            clo_abi_uint(1u << CLO_TCB_UP_TO_DATE), clo_abi_uint(1u << 3)};
        clo_abi_val t = clo_abi_tuple(a, 5);
        err = clo_deployer_call(d, registry, CLO_ENCLAVE_REGISTRY_SET_ON_CHAIN_ATTESTATION, &t);
    }
    if (err.code) return cli_fail(err, d->why[0] ? d->why : "the on-chain verifier's setup failed");
    return rc;
}

static int deploy(int argc, char **argv)
{
    cli_opt o[] = {
        {"deployment", "FILE", "the deployment file (cloister deploy); the verifier is added to it",
         1, NULL},
        {"key", "FILE", "the registry owner's key", 1, NULL},
        {"root", "FILE", "the root certificate (DER) to pin (default: Intel's SGX Root CA)", 0,
         NULL},
        {"simulated", NULL, "the root is a simulated TEE's: debug quotes pass, as the sim TEE", 0,
         NULL},
        {"tee", "LIST", "TEE types that may register with their own quote: tdx,sgx (default both)",
         0, NULL},
        {"contracts", "DIR",
         "contract artifacts (default: $CLOISTER_CONTRACTS, else PREFIX/share/cloister/contracts)",
         0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {
        "cloister dcap deploy --deployment FILE --key FILE [--root FILE [--simulated]] [--tee "
        "LIST]",
        "As the registry's owner: deploy DcapPki (pinned to the root's key), DcapCollateral and "
        "DcapVerifier, and let the TEE types register with their own quotes at TCB status "
        "UpToDate (EnclaveRegistry.setOnChainAttestation; the verifier is set once). The "
        "deployment file gains the three contracts.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    ctx c;
    clo_buf root;
    clo_buf_init(&root, MAX_FILE);
    char tees[64];
    snprintf(tees, sizeof tees, "%s", cli_get(&spec, "tee") ? cli_get(&spec, "tee") : "tdx,sgx");
    int sim = cli_get(&spec, "simulated") != NULL;
    rc = ctx_open(&spec, 1, &c);
    if (!rc)
        rc = cli_find_share("contracts", cli_get(&spec, "contracts"), "CLOISTER_CONTRACTS",
                            c.artifacts);
    if (!rc && cli_get(&spec, "root"))
        rc = cli_read_file("--root", cli_get(&spec, "root"), MAX_FILE, &root);
    else if (!rc && sim) {
        cli_error("--simulated needs --root (the simulated platform's root_ca.der)\n");
        rc = CLI_EXIT_USAGE;
    } else if (!rc && clo_buf_append_bytes(&root, clo_dcap_intel_root_der()).code)
        rc = CLI_EXIT_FAIL;
    clo_dcap_chain dc;
    if (!rc)
        rc = cli_dcap_install(&c.d, c.rpc, c.registry, clo_buf_view(&root), sim, tees, c.dep,
                              cli_get(&spec, "deployment"), &dc);
    if (!rc) rc = cli_print(json_pack("{s:O,s:b}", "contracts", c.d.contracts, "simulated", sim));
    clo_buf_free(&root);
    ctx_free(&c);
    return rc;
}

static const cli_opt COLLATERAL_OPTS[] = {
    {"deployment", "FILE", "the deployment file (with the on-chain verifier)", 1, NULL},
    {"key", "FILE", "a funded key (anyone may send these)", 1, NULL},
    {"quote", "FILE", "a quote of the platform (binary): its PCK chain, or the machine", 1, NULL},
    {"collateral-dir", "DIR",
     "Intel PCS collateral: tcb_info.json, qe_identity.json, tcb_info_issuer_chain.pem", 1, NULL},
    {"json", NULL, "JSON output (the default)", 0, NULL},
};

/* upload and platform: the same options and inputs. */
static int collateral_cmd(int argc, char **argv, int platform)
{
    cli_opt o[sizeof COLLATERAL_OPTS / sizeof COLLATERAL_OPTS[0]];
    memcpy(o, COLLATERAL_OPTS, sizeof o);
    cli_spec spec = {
        platform ? "cloister dcap platform --deployment FILE --key FILE --quote FILE "
                   "--collateral-dir DIR"
                 : "cloister dcap upload --deployment FILE --key FILE --quote FILE "
                   "--collateral-dir DIR",
        platform
            ? "Register the quote's machine with the on-chain verifier (tier 2): its PCK "
              "certificate, QE report and attestation key, evaluated against the TCB Info and QE "
              "Identity the chain holds (the compact forms of the directory's, made by the "
              "collateral contract's own views)."
            : "Submit collateral to the on-chain verifier (tier 1): the root and PCK CA of the "
              "quote's certificate chain (each unless held), then the directory's TCB Info and QE "
              "Identity, verified on chain under Intel's TCB Signing certificate.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    ctx c;
    clo_buf q, info, qe, chain, ca, root, call;
    clo_buf *bufs[] = {&q, &info, &qe, &chain, &ca, &root, &call};
    for (size_t i = 0; i < 7; i++) clo_buf_init(bufs[i], MAX_FILE);
    const char *dir = cli_get(&spec, "collateral-dir");
    rc = ctx_open(&spec, 1, &c);
    clo_dcap_chain dc;
    if (!rc) rc = chain_of(&c, &dc);
    if (!rc) rc = cli_read_file("--quote", cli_get(&spec, "quote"), MAX_FILE, &q);
    if (!rc) rc = read_in(dir, "tcb_info.json", &info);
    if (!rc) rc = read_in(dir, "qe_identity.json", &qe);
    if (!rc && !platform) rc = read_in(dir, "tcb_info_issuer_chain.pem", &chain);
    clo_err err = CLO_OK;
    if (!rc && platform) {
        err = clo_dcap_platform_calldata(c.rpc, &dc, clo_buf_view(&q), clo_buf_view(&info),
                                         clo_buf_view(&qe), &call);
        clo_call_result r = {0};
        if (!err.code) {
            err = clo_call_send_data(&c.d.s, dc.verifier, clo_buf_view(&call), &r);
            snprintf(c.d.why, sizeof c.d.why, "%s", r.why);
        }
        if (!rc)
            rc = sent(
                &c, err, "registerPlatform failed",
                json_pack("{s:s,s:I}", "registered", "machine", "gas", (json_int_t)r.gas_used));
    } else if (!rc) {
        size_t n = 0;
        err = clo_dcap_quote_chain(clo_buf_view(&q), &ca, &root);
        clo_dcap_collateral_in in = {clo_buf_view(&root), clo_buf_view(&ca), clo_buf_view(&info),
                                     clo_buf_view(&qe), clo_buf_view(&chain)};
        if (!err.code) err = clo_dcap_upload(&c.d, &dc, &in, &n);
        rc = sent(&c, err, "the collateral's upload failed",
                  json_pack("{s:I}", "transactions", (json_int_t)n));
    }
    for (size_t i = 0; i < 7; i++) clo_buf_free(bufs[i]);
    ctx_free(&c);
    return rc;
}

static int revoke(int argc, char **argv)
{
    cli_opt o[] = {
        {"deployment", "FILE", "the deployment file (with the on-chain verifier)", 1, NULL},
        {"key", "FILE", "a funded key (anyone may send it)", 1, NULL},
        {"crl", "FILE", "a current CRL (DER) signed by a CA the chain holds", 1, NULL},
        {"index", "N", "the entry of the CRL whose certificate is revoked", 1, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {"cloister dcap revoke --deployment FILE --key FILE --crl FILE --index N",
                     "Revocation by proof (DcapPki.revoke): the certificate of the CRL's entry "
                     "N is refused from then on; a PCK takes its machine's record with it, a CA "
                     "every machine under it.",
                     o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    ctx c;
    clo_buf crl;
    uint64_t index = 0;
    clo_buf_init(&crl, MAX_FILE);
    rc = cli_u64(&spec, "index", UINT32_MAX, &index);
    if (!rc) rc = ctx_open(&spec, 1, &c);
    clo_dcap_chain dc;
    if (!rc) rc = chain_of(&c, &dc);
    if (!rc) rc = cli_read_file("--crl", cli_get(&spec, "crl"), MAX_FILE, &crl);
    if (!rc) {
        clo_abi_val a[2] = {clo_abi_bytes(clo_buf_view(&crl)), clo_abi_uint(index)};
        clo_abi_val t = clo_abi_tuple(a, 2);
        clo_call_result r;
        clo_err err = clo_call_send(&c.d.s, dc.pki, NULL, CLO_DCAP_PKI_REVOKE, &t, &r);
        snprintf(c.d.why, sizeof c.d.why, "%s", r.why);
        rc = sent(&c, err, "revoke failed",
                  json_pack("{s:I,s:I}", "revoked_index", (json_int_t)index, "gas",
                            (json_int_t)r.gas_used));
    }
    clo_buf_free(&crl);
    ctx_free(&c);
    return rc;
}

static int check(int argc, char **argv)
{
    cli_opt o[] = {
        {"deployment", "FILE", "the deployment file (with the on-chain verifier)", 1, NULL},
        {"quote", "FILE", "the quote (binary)", 1, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {"cloister dcap check --deployment FILE --quote FILE",
                     "Whether the on-chain verifier accepts the quote for an enclave key's "
                     "registration now (DcapVerifier.checkEnclave, a view): its machine "
                     "registered and current, not revoked, not a debug enclave. Exit 4 with the "
                     "verifier's reason otherwise.",
                     o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    ctx c;
    clo_buf q;
    clo_buf_init(&q, MAX_FILE);
    rc = ctx_open(&spec, 0, &c);
    clo_dcap_chain dc;
    if (!rc) rc = chain_of(&c, &dc);
    if (!rc) rc = cli_read_file("--quote", cli_get(&spec, "quote"), MAX_FILE, &q);
    if (!rc) {
        uint64_t until = 0;
        char why[200] = "";
        clo_err err = clo_dcap_check_enclave(c.rpc, &dc, clo_buf_view(&q), &until, why, sizeof why);
        if (err.code == CLO_E_POLICY) {
            cli_print(json_pack("{s:b,s:s}", "accepted", 0, "reason", why));
            rc = CLI_EXIT_REFUSED;
        } else if (err.code) {
            rc = cli_fail(err, "the verifier cannot be asked at the rpc");
        } else {
            rc = cli_print(
                json_pack("{s:b,s:I}", "accepted", 1, "machine_valid_until", (json_int_t)until));
        }
    }
    clo_buf_free(&q);
    ctx_free(&c);
    return rc;
}

int cmd_dcap(int argc, char **argv)
{
    if (argc > 0 && !strcmp(argv[0], "deploy")) return deploy(argc - 1, argv + 1);
    if (argc > 0 && !strcmp(argv[0], "upload")) return collateral_cmd(argc - 1, argv + 1, 0);
    if (argc > 0 && !strcmp(argv[0], "platform")) return collateral_cmd(argc - 1, argv + 1, 1);
    if (argc > 0 && !strcmp(argv[0], "check")) return check(argc - 1, argv + 1);
    if (argc > 0 && !strcmp(argv[0], "revoke")) return revoke(argc - 1, argv + 1);
    FILE *f = argc > 0 && !strcmp(argv[0], "--help") ? stdout : stderr;
    fprintf(f, "usage: cloister dcap deploy|upload|platform|check|revoke [options]   (--help on "
               "each)\n"
               "  deploy    the on-chain DCAP verifier, pinned to a root (governance)\n"
               "  upload    a platform's root, PCK CA, TCB Info and QE Identity (anyone)\n"
               "  platform  register a quote's machine (anyone)\n"
               "  check     whether a quote would pass an enclave key's registration (a view)\n"
               "  revoke    revoke a certificate by proof: a signed CRL and an entry (anyone)\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
