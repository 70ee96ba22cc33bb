/* cmd_hpke.c — `cloister hpke keygen|seal|open`: raw RFC 9180 base mode,
 * single shot, everything in hex, for interoperability testing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ct.h"
#include "cli/cli.h"
#include "client/seal.h"

#define MAX_FIELD ((size_t)16 << 20)

static const char k_suites_help[] =
    "suite: x25519-sha256-aes128gcm | x25519-sha256-aes256gcm | x25519-sha256-chacha20poly1305";

static int get_suite(const cli_spec *spec, clo_hpke_suite *s)
{
    const char *name = cli_get(spec, "suite");
    if (clo_hpke_suite_from_name(name, s).code || s->aead == CLO_HPKE_AEAD_EXPORT_ONLY) {
        cli_error("--suite: unknown suite '%s' (%s)\n", name ? name : "", k_suites_help);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

static int keygen(int argc, char **argv)
{
    cli_opt o[] = {{"suite", "S", k_suites_help, 1, NULL}};
    cli_spec spec = {"cloister hpke keygen --suite S",
                     "Generate an X25519 key pair; prints {\"sk\":hex,\"pk\":hex}.", o, 1};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    clo_hpke_suite s;
    if (rc || done) return rc;
    if ((rc = get_suite(&spec, &s))) return rc;
    clo_x25519_key *k;
    clo_err e = clo_x25519_key_new(&k, NULL);
    if (e.code) return cli_fail(e, "key generation failed");
    uint8_t sk[32];
    clo_x25519_key_private(k, sk);
    json_t *out = json_object();
    cli_json_hex(out, "sk", CLO_BYTES(sk, 32));
    cli_json_hex(out, "pk", CLO_BYTES(clo_x25519_key_public(k), 32));
    clo_wipe(sk, sizeof sk);
    clo_x25519_key_free(k);
    return cli_print(out);
}

static int seal(int argc, char **argv)
{
    cli_opt o[] = {
        {"suite", "S", k_suites_help, 1, NULL},
        {"pk", "HEX", "recipient public key (32 bytes)", 1, NULL},
        {"info", "HEX", "HPKE info (default empty)", 0, NULL},
        {"aad", "HEX", "associated data (default empty)", 0, NULL},
        {"pt", "HEX", "plaintext, or @FILE holding hex", 1, NULL},
    };
    cli_spec spec = {
        "cloister hpke seal --suite S --pk HEX [--info HEX] [--aad HEX] --pt HEX",
        "Seal to a public key (base mode, single shot); prints {\"enc\":hex,\"ct\":hex}.", o,
        sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    clo_hpke_suite s;
    uint8_t pk[32], enc[32];
    clo_buf info, aad, pt;
    if (rc || done) return rc;
    if ((rc = get_suite(&spec, &s)) || (rc = cli_hex_fixed(&spec, "pk", pk, 32)) ||
        (rc = cli_hex(&spec, "info", &info, CLO_HPKE_MAX_INPUT)) ||
        (rc = cli_hex(&spec, "aad", &aad, MAX_FIELD)) ||
        (rc = cli_hex(&spec, "pt", &pt, MAX_FIELD)))
        return rc;
    uint8_t *ct = malloc(pt.len + CLO_HPKE_TAG_SIZE);
    if (!ct) return cli_fail(CLO_ERR(CLO_E_NOMEM, "ciphertext"), NULL);
    clo_err e = clo_hpke_seal_base(s, pk, clo_buf_view(&info), clo_buf_view(&aad),
                                   clo_buf_view(&pt), enc, ct);
    if (e.code) {
        rc = cli_fail(e, "seal failed");
    } else {
        json_t *out = json_object();
        cli_json_hex(out, "enc", CLO_BYTES(enc, 32));
        cli_json_hex(out, "ct", CLO_BYTES(ct, pt.len + CLO_HPKE_TAG_SIZE));
        rc = cli_print(out);
    }
    free(ct);
    clo_buf_free(&info);
    clo_buf_free(&aad);
    clo_buf_free(&pt);
    return rc;
}

static int open_cmd(int argc, char **argv)
{
    cli_opt o[] = {
        {"suite", "S", k_suites_help, 1, NULL},
        {"sk", "HEX", "recipient private key (32 bytes)", 1, NULL},
        {"enc", "HEX", "encapsulated key (32 bytes)", 1, NULL},
        {"info", "HEX", "HPKE info (default empty)", 0, NULL},
        {"aad", "HEX", "associated data (default empty)", 0, NULL},
        {"ct", "HEX", "ciphertext with tag, or @FILE holding hex", 1, NULL},
    };
    cli_spec spec = {
        "cloister hpke open --suite S --sk HEX --enc HEX [--info HEX] [--aad HEX] --ct HEX",
        "Open a base-mode single-shot ciphertext; prints {\"pt\":hex}. A ciphertext that "
        "does not authenticate exits 1 with an error document.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    clo_hpke_suite s;
    uint8_t sk[32], enc[32];
    clo_buf info, aad, ct;
    if (rc || done) return rc;
    if ((rc = get_suite(&spec, &s)) || (rc = cli_hex_fixed(&spec, "sk", sk, 32)) ||
        (rc = cli_hex_fixed(&spec, "enc", enc, 32)) ||
        (rc = cli_hex(&spec, "info", &info, CLO_HPKE_MAX_INPUT)) ||
        (rc = cli_hex(&spec, "aad", &aad, MAX_FIELD)) ||
        (rc = cli_hex(&spec, "ct", &ct, MAX_FIELD + 16)))
        return rc;
    clo_x25519_key *k = NULL;
    clo_err e = clo_x25519_key_new(&k, sk);
    clo_wipe(sk, sizeof sk);
    uint8_t *pt = malloc(ct.len + 1);
    if (!e.code && !pt) e = CLO_ERR(CLO_E_NOMEM, "plaintext");
    if (!e.code)
        e = clo_hpke_open_base(s, k, enc, clo_buf_view(&info), clo_buf_view(&aad),
                               clo_buf_view(&ct), pt);
    if (e.code) {
        rc = cli_fail(e, e.code == CLO_E_AUTH ? "ciphertext did not authenticate" : "open failed");
    } else {
        json_t *out = json_object();
        cli_json_hex(out, "pt", CLO_BYTES(pt, ct.len - CLO_HPKE_TAG_SIZE));
        rc = cli_print(out);
    }
    if (pt) clo_wipe(pt, ct.len);
    free(pt);
    clo_x25519_key_free(k);
    clo_buf_free(&info);
    clo_buf_free(&aad);
    clo_buf_free(&ct);
    return rc;
}

int cmd_hpke(int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    if (strcmp(sub, "keygen") == 0) return keygen(argc - 1, argv + 1);
    if (strcmp(sub, "seal") == 0) return seal(argc - 1, argv + 1);
    if (strcmp(sub, "open") == 0) return open_cmd(argc - 1, argv + 1);
    FILE *f = strcmp(sub, "--help") == 0 ? stdout : stderr;
    fprintf(f, "usage: cloister hpke keygen|seal|open [options]   (--help on each for details)\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
