/* cmd_envelope.c — `cloister envelope ...`: Cloister request/reply envelopes
 * (docs/formats.md §1) from the command line. */
#include <stdio.h>
#include <string.h>

#include "base/ct.h"
#include "cli/cli.h"
#include "client/seal.h"

#define REPLY_KEY_TOKEN_SIZE (2 + 32 + 32) /* u16 aead || secret || job_id */
#define DEFAULT_SUITE        "x25519-sha256-chacha20poly1305"

#define BINDING_OPTS(req)                                                                          \
    {"chain-id", "N", "EVM chain id", req, NULL},                                                  \
        {"contract", "HEX", "JobMarket contract address (20 bytes)", req, NULL},                   \
        {"job-id", "HEX", "job id (32 bytes)", req, NULL},                                         \
        {"workload-id", "HEX", "workload id (32 bytes)", req, NULL},                               \
    {                                                                                              \
        "epoch", "N", "enclave key epoch", req, NULL                                               \
    }

static int get_binding(const cli_spec *spec, clo_envelope_binding *b)
{
    uint64_t epoch;
    memset(b, 0, sizeof *b);
    if (cli_u64(spec, "chain-id", UINT64_MAX, &b->chain_id) ||
        cli_hex_fixed(spec, "contract", b->contract, 20) ||
        cli_hex_fixed(spec, "job-id", b->job_id, 32) ||
        cli_hex_fixed(spec, "workload-id", b->workload_id, 32) ||
        cli_u64(spec, "epoch", UINT32_MAX, &epoch))
        return CLI_EXIT_USAGE;
    b->epoch = (uint32_t)epoch;
    return CLI_EXIT_OK;
}

static int get_suite(const cli_spec *spec, clo_hpke_suite *s)
{
    const char *name = cli_get(spec, "suite");
    if (!name) name = DEFAULT_SUITE;
    if (clo_hpke_suite_from_name(name, s).code || s->aead == CLO_HPKE_AEAD_EXPORT_ONLY) {
        cli_error("--suite: unknown suite '%s'\n", name);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static void put_reply_key(json_t *out, const clo_envelope_reply_key *rk)
{
    uint8_t tok[REPLY_KEY_TOKEN_SIZE];
    clo_store_u16be(tok, rk->aead);
    memcpy(tok + 2, rk->secret, 32);
    memcpy(tok + 34, rk->job_id, 32);
    cli_json_hex(out, "reply_key", CLO_BYTES(tok, sizeof tok));
    clo_wipe(tok, sizeof tok);
}

static int get_reply_key(const cli_spec *spec, clo_envelope_reply_key *rk)
{
    uint8_t tok[REPLY_KEY_TOKEN_SIZE];
    if (cli_hex_fixed(spec, "reply-key", tok, sizeof tok)) return CLI_EXIT_USAGE;
    rk->aead = (uint16_t)(tok[0] << 8 | tok[1]);
    memcpy(rk->secret, tok + 2, 32);
    memcpy(rk->job_id, tok + 34, 32);
    clo_wipe(tok, sizeof tok);
    return CLI_EXIT_OK;
}

static int get_key(const cli_spec *spec, const char *name, clo_x25519_key **k)
{
    uint8_t sk[32];
    *k = NULL;
    if (cli_hex_fixed(spec, name, sk, 32)) return CLI_EXIT_USAGE;
    clo_err e = clo_x25519_key_new(k, sk);
    clo_wipe(sk, sizeof sk);
    return e.code ? cli_fail(e, "invalid private key") : CLI_EXIT_OK;
}

static int print_buf(const char *key, clo_buf *b, clo_envelope_reply_key *rk)
{
    json_t *out = json_object();
    cli_json_hex(out, key, clo_buf_view(b));
    if (rk) put_reply_key(out, rk);
    clo_buf_free(b);
    return cli_print(out);
}

static int seal(int argc, char **argv)
{
    cli_opt o[] = {
        {"pk", "HEX", "enclave epoch public key (32 bytes)", 1, NULL},
        BINDING_OPTS(1),
        {"suite", "S", "HPKE suite (default " DEFAULT_SUITE ")", 0, NULL},
        {"payload", "HEX", "request payload, or @FILE holding hex", 1, NULL},
    };
    cli_spec spec = {
        "cloister envelope seal --pk HEX <binding> [--suite S] --payload HEX",
        "Seal a request to an enclave key, bound to chain, contract, job, workload and "
        "epoch. Prints {\"envelope\":hex,\"reply_key\":hex}; keep reply_key (secret) to "
        "open the enclave's reply.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    clo_envelope_binding b;
    clo_hpke_suite s;
    uint8_t pk[32];
    clo_buf payload, env;
    clo_envelope_reply_key rk;
    if (rc || done) return rc;
    if ((rc = cli_hex_fixed(&spec, "pk", pk, 32)) || (rc = get_binding(&spec, &b)) ||
        (rc = get_suite(&spec, &s)) ||
        (rc = cli_hex(&spec, "payload", &payload, CLO_ENVELOPE_MAX_PAYLOAD)))
        return rc;
    clo_buf_init(&env, CLO_ENVELOPE_MAX_SIZE);
    clo_err e = clo_envelope_request_seal(&env, &rk, &b, s, pk, clo_buf_view(&payload));
    clo_buf_free(&payload);
    rc = e.code ? cli_fail(e, "seal failed") : print_buf("envelope", &env, &rk);
    clo_envelope_reply_key_wipe(&rk);
    clo_buf_free(&env);
    return rc;
}

static int open_cmd(int argc, char **argv)
{
    cli_opt o[] = {
        {"sk", "HEX", "enclave epoch private key (32 bytes)", 1, NULL},
        BINDING_OPTS(1),
        {"envelope", "HEX", "request envelope, or @FILE holding hex", 1, NULL},
    };
    cli_spec spec = {"cloister envelope open --sk HEX <binding> --envelope HEX",
                     "Open a request envelope as the enclave. Prints {\"payload\":hex,"
                     "\"reply_key\":hex}. Any failure after the header parses is one "
                     "authentication error.",
                     o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    clo_envelope_binding b;
    clo_x25519_key *k = NULL;
    clo_buf env, payload;
    clo_envelope_reply_key rk;
    if (rc || done) return rc;
    if ((rc = get_binding(&spec, &b)) ||
        (rc = cli_hex(&spec, "envelope", &env, CLO_ENVELOPE_MAX_SIZE)) ||
        (rc = get_key(&spec, "sk", &k)))
        return rc;
    clo_buf_init(&payload, CLO_ENVELOPE_MAX_PAYLOAD);
    clo_err e = clo_envelope_request_open(&payload, &rk, &b, k, clo_buf_view(&env));
    rc = e.code ? cli_fail(e, "envelope did not open") : print_buf("payload", &payload, &rk);
    clo_envelope_reply_key_wipe(&rk);
    clo_x25519_key_free(k);
    clo_buf_free(&env);
    clo_buf_free(&payload);
    return rc;
}

static int reply_seal(int argc, char **argv)
{
    cli_opt o[] = {
        {"reply-key", "HEX", "reply key from `envelope open` (exporter mode)", 0, NULL},
        {"sk", "HEX", "enclave private key (recipient mode, with --to)", 0, NULL},
        {"to", "HEX", "recipient X25519 public key (recipient mode)", 0, NULL},
        BINDING_OPTS(0),
        {"suite", "S", "HPKE suite for recipient mode (default " DEFAULT_SUITE ")", 0, NULL},
        {"payload", "HEX", "reply payload, or @FILE holding hex", 1, NULL},
    };
    cli_spec spec = {
        "cloister envelope reply-seal (--reply-key HEX | --sk HEX --to HEX <binding>) --payload "
        "HEX",
        "Seal a reply: under the request's reply key, or to a recipient's public key. "
        "Deterministic: the same payload gives the same bytes. Prints {\"envelope\":hex}.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    clo_buf payload, env;
    if (rc || done) return rc;
    int exporter = cli_get(&spec, "reply-key") != NULL;
    if (exporter == (cli_get(&spec, "to") != NULL) || (!exporter && !cli_get(&spec, "sk"))) {
        cli_error("give either --reply-key, or --sk with --to and the binding\n");
        return CLI_EXIT_USAGE;
    }
    if ((rc = cli_hex(&spec, "payload", &payload, CLO_ENVELOPE_MAX_PAYLOAD))) return rc;
    clo_buf_init(&env, CLO_ENVELOPE_MAX_SIZE);
    clo_err e;
    if (exporter) {
        clo_envelope_reply_key rk;
        if ((rc = get_reply_key(&spec, &rk))) goto out;
        e = clo_envelope_reply_seal(&env, &rk, clo_buf_view(&payload));
        clo_envelope_reply_key_wipe(&rk);
    } else {
        clo_envelope_binding b;
        clo_hpke_suite s;
        uint8_t to[32];
        clo_x25519_key *k;
        if ((rc = get_binding(&spec, &b)) || (rc = get_suite(&spec, &s)) ||
            (rc = cli_hex_fixed(&spec, "to", to, 32)) || (rc = get_key(&spec, "sk", &k)))
            goto out;
        e = clo_envelope_reply_seal_to(&env, k, &b, s, to, clo_buf_view(&payload));
        clo_x25519_key_free(k);
    }
    rc = e.code ? cli_fail(e, "reply seal failed") : print_buf("envelope", &env, NULL);
out:
    clo_buf_free(&payload);
    clo_buf_free(&env);
    return rc;
}

static int reply_open(int argc, char **argv)
{
    cli_opt o[] = {
        {"reply-key", "HEX", "reply key from `envelope seal` (exporter mode)", 0, NULL},
        {"recipient-sk", "HEX", "recipient private key (recipient mode, with the binding)", 0,
         NULL},
        BINDING_OPTS(0),
        {"envelope", "HEX", "reply envelope, or @FILE holding hex", 1, NULL},
    };
    cli_spec spec = {"cloister envelope reply-open (--reply-key HEX | --recipient-sk HEX "
                     "<binding>) --envelope HEX",
                     "Open a reply envelope. Prints {\"payload\":hex}; a reply that does not "
                     "authenticate exits 1 with an error document.",
                     o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    clo_buf env, payload;
    if (rc || done) return rc;
    int exporter = cli_get(&spec, "reply-key") != NULL;
    if (exporter == (cli_get(&spec, "recipient-sk") != NULL)) {
        cli_error("give either --reply-key or --recipient-sk with the binding\n");
        return CLI_EXIT_USAGE;
    }
    if ((rc = cli_hex(&spec, "envelope", &env, CLO_ENVELOPE_MAX_SIZE))) return rc;
    clo_buf_init(&payload, CLO_ENVELOPE_MAX_PAYLOAD);
    clo_err e;
    if (exporter) {
        clo_envelope_reply_key rk;
        if ((rc = get_reply_key(&spec, &rk))) goto out;
        e = clo_envelope_reply_open(&payload, &rk, clo_buf_view(&env));
        clo_envelope_reply_key_wipe(&rk);
    } else {
        clo_envelope_binding b;
        clo_x25519_key *k;
        if ((rc = get_binding(&spec, &b)) || (rc = get_key(&spec, "recipient-sk", &k))) goto out;
        e = clo_envelope_reply_open_as(&payload, k, &b, clo_buf_view(&env));
        clo_x25519_key_free(k);
    }
    rc = e.code ? cli_fail(e, "reply did not open") : print_buf("payload", &payload, NULL);
out:
    clo_buf_free(&env);
    clo_buf_free(&payload);
    return rc;
}

static int inspect(int argc, char **argv)
{
    cli_opt o[] = {{"envelope", "HEX", "any envelope, or @FILE holding hex", 1, NULL}};
    cli_spec spec = {"cloister envelope inspect --envelope HEX",
                     "Parse an envelope header without keys: version, kind, suite, epoch, sizes.",
                     o, 1};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    clo_buf env;
    clo_envelope_header h;
    if (rc || done) return rc;
    if ((rc = cli_hex(&spec, "envelope", &env, CLO_ENVELOPE_MAX_SIZE))) return rc;
    clo_err e = clo_envelope_parse_header(clo_buf_view(&env), &h);
    clo_buf_free(&env);
    if (e.code) return cli_fail(e, "not a valid envelope");
    static const char *kinds[] = {NULL, "request", "reply", "reply-to"};
    json_t *out = json_pack("{s:i,s:s,s:i}", "version", h.version, "kind", kinds[h.kind], "aead_id",
                            h.suite.aead);
    if (h.kind != CLO_ENVELOPE_KIND_REPLY) {
        json_object_set_new(out, "suite", json_string(clo_hpke_suite_name(h.suite)));
        json_object_set_new(out, "epoch", json_integer(h.epoch));
    }
    json_object_set_new(out, "payload_size",
                        json_integer((json_int_t)(h.ct_size - CLO_HPKE_TAG_SIZE)));
    return cli_print(out);
}

int cmd_envelope(int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    if (strcmp(sub, "seal") == 0) return seal(argc - 1, argv + 1);
    if (strcmp(sub, "open") == 0) return open_cmd(argc - 1, argv + 1);
    if (strcmp(sub, "reply-seal") == 0) return reply_seal(argc - 1, argv + 1);
    if (strcmp(sub, "reply-open") == 0) return reply_open(argc - 1, argv + 1);
    if (strcmp(sub, "inspect") == 0) return inspect(argc - 1, argv + 1);
    FILE *f = strcmp(sub, "--help") == 0 ? stdout : stderr;
    fprintf(
        f,
        "usage: cloister envelope seal|open|reply-seal|reply-open|inspect [options]\n"
        "  binding options: --chain-id N --contract HEX --job-id HEX --workload-id HEX --epoch N\n"
        "  (--help on each subcommand for details)\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
