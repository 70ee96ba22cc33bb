/* cmd_job.c — `cloister job submit|status` against a node's API (`job result`:
 * cmd_result.c). The client side of docs/architecture.md §2: it seals inputs
 * to the enclave's current epoch key, checked against the registry, and keeps
 * the reply keys. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/ct.h"
#include "base/hex.h"
#include "cli/cli.h"
#include "client/calls.h"
#include "client/outputs.h"
#include "client/seal.h"

#define MAX_INPUTS CLO_SEAL_MAX_INPUTS

/* ---- workload input helpers (docs/formats.md §5.1) ---- */

static int parse_amount(const char *s, uint8_t out[32])
{
    char *end;
    if (!*s || *s == '-') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end) return -1;
    memset(out, 0, 32);
    clo_store_u64be(out + 24, v);
    return 0;
}

static int auction_config(const cli_spec *spec, clo_buf *cfg)
{
    const char *rule = cli_get(spec, "auction");
    uint8_t reserve[32] = {0};
    if (strcmp(rule, "first") && strcmp(rule, "second")) {
        cli_error("--auction must be first or second\n");
        return CLI_EXIT_USAGE;
    }
    if (cli_get(spec, "reserve") && parse_amount(cli_get(spec, "reserve"), reserve)) {
        cli_error("--reserve must be a decimal amount\n");
        return CLI_EXIT_USAGE;
    }
    return clo_auction_config_encode(strcmp(rule, "first") ? 2 : 1, reserve, cfg).code
               ? CLI_EXIT_FAIL
               : CLI_EXIT_OK;
}

/* "0xADDR:AMOUNT,..." into 53-byte bids. */
static int parse_bids(const char *list, clo_buf *plain, size_t *count)
{
    char *copy = strdup(list), *save = NULL;
    int rc = CLI_EXIT_OK;
    for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(t, ':');
        uint8_t bidder[20], amount[32];
        if (*count >= MAX_INPUTS || !colon || strncmp(t, "0x", 2) || colon - t != 42) {
            rc = CLI_EXIT_USAGE;
            break;
        }
        *colon = 0;
        if (clo_hex_decode_fixed(bidder, 20, t + 2).code || parse_amount(colon + 1, amount)) {
            rc = CLI_EXIT_USAGE;
            break;
        }
        clo_buf_init(&plain[*count], 64);
        if (clo_auction_bid_encode(bidder, amount, &plain[(*count)++]).code) rc = CLI_EXIT_FAIL;
    }
    free(copy);
    if (rc == CLI_EXIT_USAGE) cli_error("--bids: expected 0xADDRESS:AMOUNT[,...]\n");
    return rc;
}

static int parse_inputs(const char *list, clo_buf *plain, size_t *count)
{
    char *copy = strdup(list), *save = NULL;
    int rc = CLI_EXIT_OK;
    for (char *t = strtok_r(copy, ",", &save); t && !rc; t = strtok_r(NULL, ",", &save)) {
        if (*count >= MAX_INPUTS)
            rc = CLI_EXIT_USAGE;
        else {
            clo_buf_init(&plain[*count], 1 << 20);
            if (clo_hex_decode(&plain[(*count)++], t).code) rc = CLI_EXIT_USAGE;
        }
    }
    free(copy);
    if (rc) cli_error("--inputs: expected HEX[,HEX...] (at most %d)\n", MAX_INPUTS);
    return rc;
}

/* --records FILE: one record per line of comma-separated numbers, each
 * sealed as its own onnx input: u16 1 | u32 size | TensorProto float [1, n]. */
static int parse_records(const char *path, clo_buf *plain, size_t *count)
{
    clo_buf text;
    if (cli_read_file("--records", path, 16 << 20, &text)) return CLI_EXIT_FAIL;
    char *copy = strndup((const char *)text.ptr, text.len), *save = NULL;
    clo_buf_free(&text);
    int rc = copy ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    size_t line = 0;
    float *v = malloc(4096 * sizeof *v);
    if (!v) rc = CLI_EXIT_FAIL;
    for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l && !rc;
         l = strtok_r(NULL, "\n", &save)) {
        line++;
        size_t n = 0;
        char *p = l, *end;
        while (*p && *p != '\r' && n < 4096) {
            double d = strtod(p, &end);
            if (end == p || !isfinite(d)) break;
            v[n++] = (float)d;
            p = end;
            if (*p == ',')
                p++;
            else if (*p && *p != '\r')
                break;
        }
        if (!n || (*p && *p != '\r') || *count >= MAX_INPUTS) {
            cli_error("--records: line %zu is not a list of numbers (or more than %d records)\n",
                      line, MAX_INPUTS);
            cli_error_code("format");
            rc = CLI_EXIT_FAIL;
            break;
        }
        clo_tensor t = {CLO_ONNX_FLOAT, {2, {1, (int64_t)n}}, n, v};
        clo_buf *pl = &plain[*count];
        clo_buf_init(pl, 1 << 20);
        (*count)++;
        if (clo_onnx_input_encode(&t, 1, pl).code) rc = CLI_EXIT_FAIL;
    }
    if (!rc && !*count) {
        cli_error("--records: no records in %s\n", path);
        cli_error_code("format");
        rc = CLI_EXIT_FAIL;
    }
    free(v);
    free(copy);
    return rc;
}

/* The reply-key file: secret, so 0600 and no unwiped copy of its text. */
static int write_secret_file(const char *path, json_t *doc)
{
    char *s = json_dumps(doc, JSON_INDENT(2));
    if (!s) return CLI_EXIT_FAIL;
    int rc = cli_write_file(path, clo_bytes_str(s), 1);
    clo_wipe(s, strlen(s));
    free(s);
    return rc;
}

static int submit(int argc, char **argv)
{
    cli_opt o[] = {
        {"node", "URL", "the node API (default " CLI_DEFAULT_NODE ")", 0, NULL},
        {"workload", "NAME", "auction, vote, oracle, oracle-https, policy or onnx", 1, NULL},
        {"config", "HEX", "workload config bytes (docs/formats.md §5)", 0, NULL},
        {"auction", "RULE", "auction config shortcut: first or second (price)", 0, NULL},
        {"reserve", "AMOUNT", "with --auction: the reserve price (default 0)", 0, NULL},
        {"sources", "FILE",
         "oracle-https config shortcut: a JSON file of HTTPS sources (docs/formats.md §5.6); "
         "their private queries become the job's sealed input",
         0, NULL},
        {"inputs", "HEX,...", "plaintext inputs, one per participant", 0, NULL},
        {"bids", "ADDR:AMOUNT,...", "auction shortcut: bids as 0xaddress:amount", 0, NULL},
        {"model-id", "HEX", "onnx config shortcut: the provisioned model's id (SHA-256)", 0, NULL},
        {"threads", "N",
         "with --model-id: the job's inference threads (1 to 64, within the node's "
         "enclave.threads; default: all of the node's)",
         0, NULL},
        {"records", "FILE", "onnx shortcut: one record per line (numbers), each its own input", 0,
         NULL},
        {"job-id", "HEX",
         "a chain job's 32-byte id (with --print-request; default: an API job, keccak256(chain, "
         "market, 0, requester, client nonce))",
         0, NULL},
        {"requester-key", "FILE",
         "the API job's requester key, which signs its ticket (default: a fresh one per job)", 0,
         NULL},
        {"client-nonce", "HEX", "the API job's 32-byte client nonce (default: random)", 0, NULL},
        {"deadline", "SECONDS", "the API job's ticket is good this long (default 86400)", 0, NULL},
        {"keys-out", "FILE", "where to keep the reply keys (default: job-<id>.keys.json)", 0, NULL},
        {"print-request", NULL, "print the sealed request instead of submitting it", 0, NULL},
        {"deployment", "FILE",
         "seal only to the key of the node enclave's active EnclaveRegistry record on this "
         "deployment's chain (checked before anything is sealed)",
         0, NULL},
        {"wait", "SECONDS", "with --deployment: how long to wait for that record (default 30)", 0,
         NULL},
        {"trust-node", NULL,
         "experiments only: seal to whatever key the node serves, unchecked (a node that lies "
         "reads every input)",
         0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {
        "cloister job submit --workload NAME (--config HEX | --auction RULE | --model-id HEX | "
        "--sources FILE) "
        "(--inputs HEX,... | --bids ADDR:AMOUNT,... | --records FILE) (--deployment FILE | "
        "--trust-node) [--node URL] [--job-id HEX] [--keys-out FILE]",
        "Seal each input to the enclave's current epoch key (HPKE, bound to chain, JobMarket, job "
        "id, workload and epoch), keep the reply keys in a 0600 file, and submit the job to the "
        "node. The key is the one the chain vouches for: the node's signer must have an active "
        "EnclaveRegistry record of this epoch holding exactly that key, with its measurement "
        "allowed for the workload (exit 4 otherwise). An API job carries a JobTicket signed by "
        "its requester over the workload, config and sealed inputs; its id derives from the "
        "requester's address, so nobody else can run another input set under it. Prints the job "
        "id and its state.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    const char *wname = cli_get(&spec, "workload");
    if (!clo_workload_by_name(wname)) {
        cli_error("--workload: unknown workload '%s'\n", wname);
        return CLI_EXIT_USAGE;
    }
    int given_inputs =
        !!cli_get(&spec, "inputs") + !!cli_get(&spec, "bids") + !!cli_get(&spec, "records");
    if (!!cli_get(&spec, "config") + !!cli_get(&spec, "auction") + !!cli_get(&spec, "model-id") +
                !!cli_get(&spec, "sources") !=
            1 ||
        given_inputs > 1 || (given_inputs == 0 && !cli_get(&spec, "sources"))) {
        cli_error("give exactly one of --config/--auction/--model-id/--sources and of "
                  "--inputs/--bids/--records\n");
        return CLI_EXIT_USAGE;
    }
    clo_buf cfg, plain[MAX_INPUTS], env;
    static clo_sealer sealer; /* 24 KiB: not on the stack */
    size_t n = 0;
    json_t *keys = NULL, *doc = NULL, *secrets = NULL, *inputs = NULL;
    char url[2048], cfg_hex[2 * CLO_WL_MAX_CONFIG + 3];
    clo_buf_init(&cfg, CLO_WL_MAX_CONFIG);
    clo_buf_init(&env, 2 << 20);
    if (cli_get(&spec, "config")) {
        rc = cli_hex(&spec, "config", &cfg, CLO_WL_MAX_CONFIG);
    } else if (cli_get(&spec, "sources")) {
        /* the sources' private queries are the job's one input, unless given */
        clo_buf_init(&plain[0], 1 << 16);
        rc = cli_oracle_sources(cli_get(&spec, "sources"), &cfg, given_inputs ? NULL : &plain[0]);
        if (!given_inputs) n = 1;
    } else if (cli_get(&spec, "model-id")) {
        /* version 1, or 2 with the job's thread count (docs/formats.md §5.5) */
        uint8_t c[34] = {1};
        uint64_t threads = 0;
        if (cli_get(&spec, "threads") && !(rc = cli_u64(&spec, "threads", 64, &threads)) &&
            threads == 0) {
            cli_error("--threads: 1 to 64\n");
            cli_error_code("format");
            rc = CLI_EXIT_FAIL;
        }
        if (threads) c[0] = 2, c[33] = (uint8_t)threads;
        if (!rc && !(rc = cli_hex_fixed(&spec, "model-id", c + 1, 32)) &&
            clo_buf_append(&cfg, c, threads ? 34 : 33).code)
            rc = CLI_EXIT_FAIL;
    } else {
        rc = auction_config(&spec, &cfg);
    }
    if (!rc && given_inputs)
        rc = cli_get(&spec, "bids")      ? parse_bids(cli_get(&spec, "bids"), plain, &n)
             : cli_get(&spec, "records") ? parse_records(cli_get(&spec, "records"), plain, &n)
                                         : parse_inputs(cli_get(&spec, "inputs"), plain, &n);
    if (rc) goto out;
    if (!cli_get(&spec, "deployment") && !cli_get(&spec, "trust-node")) {
        cli_error("give --deployment FILE (seal to the key the registry vouches for) or "
                  "--trust-node (experiments: whatever key the node serves)\n");
        rc = CLI_EXIT_USAGE;
        goto out;
    }
    uint64_t wait = 30;
    if (cli_get(&spec, "wait") && (rc = cli_u64(&spec, "wait", 3600, &wait))) goto out;
    if (cli_get(&spec, "trust-node"))
        fprintf(stderr, "WARNING: --trust-node: sealing to the key the node serves, unchecked; a "
                        "node that lies reads every input\n");

    long status;
    snprintf(url, sizeof url, "%s/v1/enclave/keys", cli_node_url(&spec));
    keys = cli_http_json("GET", url, NULL, &status);
    if (!keys) {
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    if (status != 200) {
        rc = cli_api_fail(keys, status);
        keys = NULL;
        goto out;
    }
    struct {
        uint64_t chain_id;
        uint32_t epoch;
        uint8_t contract[20], job_id[32];
    } b;
    memset(&b, 0, sizeof b);
    uint8_t pk[32];
    json_t *cur = json_array_get(json_object_get(keys, "keys"), 0);
    b.chain_id = (uint64_t)json_integer_value(json_object_get(keys, "chain_id"));
    b.epoch = (uint32_t)json_integer_value(json_object_get(keys, "current"));
    uint8_t signer[20];
    if (cli_hex_member(keys, "job_market", b.contract, 20) ||
        cli_hex_member(cur, "hpke_public_key", pk, 32) ||
        cli_hex_member(cur, "signer", signer, 20)) {
        rc = cli_fail(CLO_ERR(CLO_E_FORMAT, "keys"), "the node's key document is malformed");
        goto out;
    }
    if (cli_get(&spec, "deployment") &&
        (rc = cli_registry_vouches(cli_get(&spec, "deployment"), b.chain_id, b.contract, b.epoch,
                                   signer, pk, wname, wait)))
        goto out;
    uint8_t client_nonce[32], requester[20];
    clo_secret32 rkey;
    memset(&rkey, 0, sizeof rkey);
    uint64_t lifetime = 86400;
    if (cli_get(&spec, "deadline") && (rc = cli_u64(&spec, "deadline", 366u * 86400, &lifetime)))
        goto out;
    if (cli_get(&spec, "job-id")) { /* a chain job's id (JobMarket.jobIdFor) */
        if (!cli_get(&spec, "print-request")) {
            cli_error("--job-id is for a job submitted on chain (with --print-request); a job "
                      "sent to the node takes its id from a client nonce\n");
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        if ((rc = cli_hex_fixed(&spec, "job-id", b.job_id, 32))) goto out;
    } else {
        /* An API job: keccak256(abi.encode(chain id, JobMarket, address(0), requester,
         * nonce)), a namespace no chain job can enter, and only the requester's
         * ticket opens it (wire/ticket.h). */
        clo_err e = cli_get(&spec, "requester-key")
                        ? clo_key_file_read(cli_get(&spec, "requester-key"), &rkey, requester)
                        : clo_account_new(&rkey, requester);
        if (e.code) {
            rc = cli_fail(e, "--requester-key: cannot use the key");
            goto out;
        }
        if (cli_get(&spec, "client-nonce")) {
            if ((rc = cli_hex_fixed(&spec, "client-nonce", client_nonce, 32))) goto out;
        } else if (clo_random(client_nonce, 32).code) {
            rc = CLI_EXIT_FAIL;
            goto out;
        }
        clo_api_job_id(b.chain_id, b.contract, requester, client_nonce, b.job_id);
    }
    clo_sealer_init(&sealer, b.chain_id, b.contract, b.job_id, wname, b.epoch, pk);
    inputs = json_array();
    secrets = json_array();
    for (size_t i = 0; i < n; i++) {
        clo_err e = clo_sealer_seal(&sealer, clo_buf_view(&plain[i]), &env);
        if (e.code) {
            rc = cli_fail(e, "sealing an input failed");
            goto out;
        }
        json_array_append_new(inputs, clo_json_hex(clo_buf_view(&env)));
        json_array_append_new(secrets, json_pack("{s:o,s:i}", "secret",
                                                 clo_json_hex(CLO_BYTES(sealer.rk[i].secret, 32)),
                                                 "aead", sealer.rk[i].aead));
    }
    char idhex[67] = "0x", kpath[1100];
    clo_hex_encode(idhex + 2, CLO_BYTES(b.job_id, 32));
    if (cli_get(&spec, "keys-out"))
        snprintf(kpath, sizeof kpath, "%s", cli_get(&spec, "keys-out"));
    else
        snprintf(kpath, sizeof kpath, "job-%.16s.keys.json", idhex + 2);
    /* Keys first: a submitted job whose reply keys are lost cannot be read. */
    /* What job result checks the statement against: this submission's input
     * hash, keccak256 of the envelopes' keccak256s (statement.h). */
    uint8_t ih[32];
    clo_sealer_input_hash(&sealer, ih);
    /* whole_job: this submission sealed every input of the job (it submits it
     * itself); with --print-request other parties may add theirs, so the
     * statement's input hash covers more than these envelopes. */
    json_t *kdoc = json_pack("{s:s,s:s,s:I,s:O,s:o,s:b,s:I,s:o,s:o,s:s}", "job_id", idhex, "node",
                             cli_node_url(&spec), "epoch", (json_int_t)b.epoch, "reply_keys",
                             secrets, "input_hash", clo_json_hex(CLO_BYTES(ih, 32)), "whole_job",
                             !cli_get(&spec, "print-request"), "chain_id", (json_int_t)b.chain_id,
                             "job_market", clo_json_hex(CLO_BYTES(b.contract, 20)), "signer",
                             clo_json_hex(CLO_BYTES(signer, 20)), "key_from",
                             cli_get(&spec, "deployment") ? "registry" : "node (unchecked)");
    rc = write_secret_file(kpath, kdoc);
    json_decref(kdoc);
    if (rc) goto out;
    cfg_hex[0] = '0', cfg_hex[1] = 'x';
    clo_hex_encode(cfg_hex + 2, clo_buf_view(&cfg));
    json_t *req = json_pack("{s:s,s:s,s:s,s:I,s:O}", "job_id", idhex, "workload", wname, "config",
                            cfg_hex, "epoch", (json_int_t)b.epoch, "inputs", inputs);
    if (!cli_get(&spec, "job-id")) {
        clo_ticket t;
        uint8_t tsig[65];
        uint64_t now = (uint64_t)time(NULL);
        clo_err e = clo_api_ticket(&sealer, clo_buf_view(&cfg), &rkey, requester, client_nonce, now,
                                   now + lifetime, &t, tsig);
        if (e.code) {
            json_decref(req);
            rc = cli_fail(e, "signing the ticket failed");
            goto out;
        }
        json_object_set_new(req, "client_nonce", clo_json_hex(CLO_BYTES(client_nonce, 32)));
        json_object_set_new(req, "ticket",
                            json_pack("{s:o,s:I,s:I,s:o}", "requester",
                                      clo_json_hex(CLO_BYTES(requester, 20)), "deadline",
                                      (json_int_t)t.deadline, "issued_at", (json_int_t)t.issued_at,
                                      "signature", clo_json_hex(CLO_BYTES(tsig, 65))));
    }
    if (cli_get(&spec, "print-request")) {
        /* For clients that submit (and retry) the identical request themselves. */
        json_t *outdoc = json_pack("{s:o,s:s}", "request", req, "keys_file", kpath);
        rc = cli_print(outdoc);
        goto out;
    }
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    snprintf(url, sizeof url, "%s/v1/jobs", cli_node_url(&spec));
    doc = cli_http_json("POST", url, body, &status);
    free(body);
    if (!doc)
        rc = CLI_EXIT_FAIL;
    else if (status != 200 && status != 202) {
        rc = cli_api_fail(doc, status);
        doc = NULL;
    } else {
        json_object_set_new(doc, "epoch", json_integer(b.epoch));
        json_object_set_new(doc, "keys_file", json_string(kpath));
        rc = cli_print(doc);
        doc = NULL;
    }
out:
    clo_wipe(&rkey, sizeof rkey);
    for (size_t i = 0; i < n; i++) clo_buf_free(&plain[i]);
    clo_sealer_wipe(&sealer);
    clo_buf_free(&cfg);
    clo_buf_free(&env);
    json_decref(keys);
    json_decref(doc);
    json_decref(inputs);
    if (secrets) {
        size_t i;
        json_t *s;
        json_array_foreach(secrets, i, s)
        {
            json_t *v = json_object_get(s, "secret");
            if (json_string_value(v)) clo_wipe((void *)(uintptr_t)json_string_value(v), 64);
        }
        json_decref(secrets);
    }
    return rc;
}

static int status_cmd(int argc, char **argv)
{
    cli_opt o[] = {{"node", "URL", "the node API (default " CLI_DEFAULT_NODE ")", 0, NULL},
                   {"id", "HEX", "the job id", 1, NULL},
                   {"json", NULL, "JSON output (the default)", 0, NULL}};
    cli_spec spec = {"cloister job status --id HEX [--node URL]",
                     "Show a job's state (accepted, done or failed) from the node's journal.", o,
                     3};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    char url[2048];
    long status;
    snprintf(url, sizeof url, "%s/v1/jobs/%s", cli_node_url(&spec), cli_get(&spec, "id"));
    json_t *doc = cli_http_json("GET", url, NULL, &status);
    if (!doc) return CLI_EXIT_FAIL;
    return status == 200 ? cli_print(doc) : cli_api_fail(doc, status);
}

int cmd_job(int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    if (!strcmp(sub, "submit")) return submit(argc - 1, argv + 1);
    if (!strcmp(sub, "status")) return status_cmd(argc - 1, argv + 1);
    if (!strcmp(sub, "result")) return cli_job_result(argc - 1, argv + 1);
    FILE *f = !strcmp(sub, "--help") ? stdout : stderr;
    fprintf(f, "usage: cloister job submit|status|result [options]   (--help on each)\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
