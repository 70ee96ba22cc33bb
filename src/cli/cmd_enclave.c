/* cmd_enclave.c — `cloister enclave info`: evidence over a fresh nonce of our
 * own, and whether its report data binds the enclave's keys (docs/architecture.md §3). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attest/policy.h"
#include "base/hex.h"
#include "cli/cli.h"
#include "client/contracts.h"
#include "client/seal.h"

int cmd_enclave(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "info")) {
        FILE *f = argc > 0 && !strcmp(argv[0], "--help") ? stdout : stderr;
        fprintf(f, "usage: cloister enclave info [--node URL]   (--help for details)\n");
        return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    cli_opt o[] = {{"node", "URL", "the node API (default " CLI_DEFAULT_NODE ")", 0, NULL},
                   {"json", NULL, "JSON output (the default)", 0, NULL}};
    cli_spec spec = {
        "cloister enclave info [--node URL]",
        "Ask the node's enclave for evidence over a fresh random nonce and check "
        "that the evidence's report data binds the node's operator, the enclave's signer, HPKE "
        "key, "
        "epoch, chain and registry (docs/architecture.md §3). Prints the measurement, keys "
        "and the evidence digest (keccak256, as the registry records it). Verify the evidence "
        "itself with `cloister attest "
        "verify`.",
        o, 2};
    int done, rc = cli_parse(&spec, argc - 1, argv + 1, &done);
    if (rc || done) return rc;
    uint8_t nonce[32], rd[64], digest[32];
    char nhex[65], url[2048];
    if (clo_random(nonce, 32).code) return CLI_EXIT_FAIL;
    clo_hex_encode(nhex, CLO_BYTES(nonce, 32));
    snprintf(url, sizeof url, "%s/v1/enclave/evidence?nonce=%s", cli_node_url(&spec), nhex);
    long status;
    json_t *doc = cli_http_json("GET", url, NULL, &status);
    if (!doc) return CLI_EXIT_FAIL;
    if (status != 200) return cli_api_fail(doc, status);
    clo_key_binding b;
    memset(&b, 0, sizeof b);
    b.epoch = (uint32_t)json_integer_value(json_object_get(doc, "epoch"));
    b.chain_id = (uint64_t)json_integer_value(json_object_get(doc, "chain_id"));
    memcpy(b.nonce, nonce, 32);
    clo_buf ev;
    clo_buf_init(&ev, 1 << 20);
    int bad = cli_hex_member(doc, "signer", b.signer, 20) ||
              cli_hex_member(doc, "hpke_public_key", b.hpke_pk, 32) ||
              cli_hex_member(doc, "registry", b.registry, 20) ||
              cli_hex_member(doc, "operator", b.operator_addr, 20) ||
              clo_hex_decode(&ev, json_string_value(json_object_get(doc, "evidence"))).code;
    if (!bad) clo_report_data(&b, rd);
    uint8_t got[64];
    int binding_ok = !bad && !cli_hex_member(doc, "report_data", got, 64) && !memcmp(got, rd, 64);
    /* The report data must also be what the evidence itself carries. */
    binding_ok = binding_ok && ev.len >= 64 && memmem(ev.ptr, ev.len, rd, 64) != NULL;
    clo_registry_evidence_digest(clo_buf_view(&ev), digest);
    clo_buf_free(&ev);
    if (bad) {
        json_decref(doc);
        return cli_fail(CLO_ERR(CLO_E_FORMAT, "evidence"),
                        "the node's evidence document is malformed");
    }
    json_t *out = json_pack(
        "{s:O,s:O,s:O,s:O,s:O,s:O,s:O,s:o,s:b,s:s}", "backend", json_object_get(doc, "backend"),
        "measurement", json_object_get(doc, "measurement"), "epoch", json_object_get(doc, "epoch"),
        "signer", json_object_get(doc, "signer"), "operator", json_object_get(doc, "operator"),
        "hpke_public_key", json_object_get(doc, "hpke_public_key"), "evidence_format",
        json_object_get(doc, "format"), "evidence_digest", clo_json_hex(CLO_BYTES(digest, 32)),
        "binding_ok", binding_ok, "nonce", nhex);
    json_decref(doc);
    rc = cli_print(out);
    return binding_ok ? rc : CLI_EXIT_FAIL;
}
