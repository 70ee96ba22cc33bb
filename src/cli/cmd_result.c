/* cmd_result.c — `cloister job result`: fetch a job's signed result, check the
 * statement against the submission's keys file (its job id and input hash),
 * the signature under the deployment's chain and JobMarket, and the signer
 * against the registry; then open this requester's own private outputs. And
 * the workloads' public outputs decoded for people (client/outputs.h). */
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
#include "client/contracts.h"
#include "client/outputs.h"
#include "client/seal.h"

#define MAX_INPUTS CLO_SEAL_MAX_INPUTS

static json_t *excluded_json(const clo_excluded *x)
{
    json_t *a = json_array();
    for (size_t i = 0; i < x->count; i++)
        json_array_append_new(a, json_integer(clo_excluded_at(x, i)));
    return a;
}

/* A u256 as a JSON integer when it fits in 64 bits, else as hex. */
static json_t *u256_json(const uint8_t w[32])
{
    for (size_t i = 0; i < 24; i++)
        if (w[i]) return clo_json_hex(CLO_BYTES(w, 32));
    return json_integer((json_int_t)clo_load_u64be(w + 24));
}

/* The public output of a known workload, for people (client/outputs.h); NULL
 * when it is not that workload's layout. */
json_t *cli_decode_public(const char *workload, clo_bytes p)
{
    json_t *doc = NULL;
    if (!strcmp(workload, "auction")) {
        clo_auction_public a;
        if (!clo_auction_public_decode(p, &a).code)
            doc = json_pack("{s:b,s:i,s:o,s:o,s:i,s:o}", "sold", a.sold, "bids", a.bids, "winner",
                            clo_json_hex(CLO_BYTES(a.winner, 20)), "price", u256_json(a.price),
                            "winner_index", a.winner_index, "excluded", excluded_json(&a.excluded));
    } else if (!strcmp(workload, "onnx")) {
        clo_onnx_public o;
        if (!clo_onnx_public_decode(p, &o).code)
            doc =
                json_pack("{s:o,s:I,s:I,s:o}", "model_id", clo_json_hex(CLO_BYTES(o.model_id, 32)),
                          "inputs", (json_int_t)o.inputs, "answered", (json_int_t)o.answered,
                          "excluded", excluded_json(&o.excluded));
    } else if (!strcmp(workload, "vote")) {
        clo_vote_public v;
        if (!clo_vote_public_decode(p, &v).code) {
            json_t *counts = json_array();
            for (size_t k = 0; k < v.choices; k++)
                json_array_append_new(counts, json_integer(clo_vote_count(&v, k)));
            doc = json_pack("{s:I,s:o,s:o}", "total", (json_int_t)v.total, "counts", counts,
                            "excluded", excluded_json(&v.excluded));
        }
    } else if (!strcmp(workload, "oracle")) {
        clo_oracle_public o;
        if (!clo_oracle_public_decode(p, &o).code)
            doc = json_pack("{s:i,s:I,s:i,s:i,s:I,s:o}", "mode", o.mode, "value",
                            (json_int_t)o.value, "used", o.used, "rejected", o.rejected, "as_of",
                            (json_int_t)o.as_of, "excluded", excluded_json(&o.excluded));
    } else if (!strcmp(workload, "oracle-https")) {
        static clo_oracle_https_public o;
        if (!clo_oracle_https_public_decode(p, &o).code) {
            json_t *srcs = json_array();
            for (size_t i = 0; i < o.count; i++) {
                const clo_https_record *r = &o.src[i];
                json_array_append_new(
                    srcs,
                    json_pack("{s:s,s:s,s:i,s:o,s:o,s:s,s:i,s:I,s:I,s:I,s:o,s:I}", "outcome",
                              clo_fetch_outcome_name(r->outcome), "host", r->host, "port", r->port,
                              "path_sha256", clo_json_hex(CLO_BYTES(r->path_sha256, 32)),
                              "spki_sha256", clo_json_hex(CLO_BYTES(r->spki_sha256, 32)), "tls",
                              r->tls_version == 0x0304   ? "1.3"
                              : r->tls_version == 0x0303 ? "1.2"
                                                         : "",
                              "http_status", r->http_status, "date", (json_int_t)r->date,
                              "cert_from", (json_int_t)r->cert_from, "cert_until",
                              (json_int_t)r->cert_until, "body_sha256",
                              clo_json_hex(CLO_BYTES(r->body_sha256, 32)), "value",
                              (json_int_t)r->value));
            }
            doc = json_pack("{s:I,s:i,s:i,s:i,s:I,s:I,s:I,s:o,s:o}", "value", (json_int_t)o.value,
                            "used", o.used, "outliers", o.outliers, "failed", o.failed, "as_of",
                            (json_int_t)o.as_of, "valid_from", (json_int_t)o.valid_from,
                            "valid_until", (json_int_t)o.valid_until, "sources", srcs, "excluded",
                            excluded_json(&o.excluded));
        }
    } else if (!strcmp(workload, "policy")) {
        clo_policy_public q;
        if (!clo_policy_public_decode(p, &q).code) {
            json_t *d = json_array();
            for (size_t i = 0; i < q.decisions.len; i++)
                json_array_append_new(d, json_boolean(q.decisions.ptr[i]));
            doc = json_pack("{s:o,s:o}", "approved", d, "excluded", excluded_json(&q.excluded));
        }
    }
    return doc;
}

/* An onnx private output (docs/formats.md §5.5) for people: the status and
 * the output tensors with their names; NULL if it does not decode. */
static json_t *decode_onnx_private(clo_bytes p)
{
    clo_onnx_answer a;
    if (clo_onnx_answer_decode(p, &a).code) return NULL;
    if (a.status) {
        char w[256];
        clo_bytes_printable(w, sizeof w, a.what);
        return json_pack("{s:s,s:s}", "status", clo_code_name((clo_code)a.status), "error", w);
    }
    json_t *outs = json_array();
    for (size_t i = 0; i < a.n; i++) {
        const clo_onnx_tensor *ft = &a.t[i];
        size_t es = clo_tensor_elem_size(ft->dtype);
        void *mem = es ? malloc(ft->count * es + 1) : NULL;
        if (!mem || clo_tensor_decode(ft, mem).code) {
            free(mem);
            json_decref(outs);
            return NULL;
        }
        clo_tensor t = {ft->dtype, {0, {0}}, ft->count, mem};
        clo_tensor_shape_of(ft, &t.shape);
        char name[128];
        clo_bytes_printable(name, sizeof name, ft->name);
        json_array_append_new(outs, cli_tensor_json(name, &t));
        free(mem);
    }
    return json_pack("{s:s,s:o}", "status", "ok", "outputs", outs);
}

/* What the chain says of the statement's signer (NULL dep: not checked). */
static json_t *signer_on_chain(const clo_deployment *dep, const clo_result_stmt *st,
                               const uint8_t signer[20])
{
    clo_rpc *rpc = NULL;
    clo_rpc_opts ro = {.url = dep->rpc, .timeout_ms = 10000, .retries = 2, .backoff_ms = 200};
    clo_enclave_record rec;
    int ok =
        dep->rpc[0] && !clo_rpc_new(&ro, &rpc).code &&
        !clo_registry_enclave(rpc, dep->registry, signer, &rec).code && rec.status == 1 &&
        rec.epoch == st->epoch &&
        clo_registry_measurement_allowed(rpc, dep->registry, st->workload_id, rec.measurement) == 1;
    clo_rpc_free(rpc);
    return json_boolean(ok);
}

/* "verified" says exactly what was checked (issue 15, finding 2): the
 * signature over the statement under the deployment's chain and JobMarket (or,
 * without --deployment, the node's word for them), the outputs against the
 * statement, the statement against this submission (job id, and the input
 * hash when the submission sealed the whole job,
 * from the keys file), and the signer against the registry. A check that could
 * not be made is null. */
static int verify_result(json_t *doc, const json_t *keys_file, const clo_deployment *dep,
                         json_t *out)
{
    clo_result_stmt st;
    uint8_t market[20], sig[65], signer[20];
    const json_t *s = json_object_get(doc, "statement");
    memset(&st, 0, sizeof st);
    if (cli_hex_member(s, "job_id", st.job_id, 32) ||
        cli_hex_member(s, "input_hash", st.input_hash, 32) ||
        cli_hex_member(s, "public_output_hash", st.public_output_hash, 32) ||
        cli_hex_member(s, "private_output_hash", st.private_output_hash, 32) ||
        cli_hex_member(s, "workload_id", st.workload_id, 32) ||
        cli_hex_member(s, "config_hash", st.config_hash, 32) ||
        cli_hex_member(doc, "job_market", market, 20) ||
        cli_hex_member(doc, "signature", sig, 65) || cli_hex_member(doc, "signer", signer, 20))
        return cli_fail(CLO_ERR(CLO_E_FORMAT, "result"), "the result document is malformed");
    st.epoch = (uint32_t)json_integer_value(json_object_get(s, "epoch"));
    uint64_t chain = (uint64_t)json_integer_value(json_object_get(doc, "chain_id"));
    if (dep) { /* the chain's contracts, never the node's word for them */
        json_object_set_new(
            out, "bound_to_deployment",
            json_boolean(chain == dep->chain_id && !memcmp(market, dep->market, 20)));
        chain = dep->chain_id;
        memcpy(market, dep->market, 20);
    }
    clo_err e = clo_result_verify(&st, chain, market, sig, signer);
    json_object_set_new(out, "signature_valid", json_boolean(!e.code));
    json_object_set_new(out, "signer_registered",
                        dep ? signer_on_chain(dep, &st, signer) : json_null());
    uint8_t want_id[32], want_ih[32];
    int have_id = keys_file && !cli_hex_member(keys_file, "job_id", want_id, 32);
    int have_ih = keys_file && json_is_true(json_object_get(keys_file, "whole_job")) &&
                  !cli_hex_member(keys_file, "input_hash", want_ih, 32);
    json_object_set_new(out, "job_matches_submission",
                        have_id ? json_boolean(!memcmp(want_id, st.job_id, 32) &&
                                               (!have_ih || !memcmp(want_ih, st.input_hash, 32)))
                                : json_null());
    /* The outputs are the ones the statement commits to. */
    clo_buf pub, priv[MAX_INPUTS];
    clo_bytes views[MAX_INPUTS];
    size_t n = json_array_size(json_object_get(doc, "private_outputs"));
    int outputs_ok = n <= MAX_INPUTS;
    clo_buf_init(&pub, 1 << 20);
    outputs_ok &=
        !clo_hex_decode(&pub, json_string_value(json_object_get(doc, "public_output"))).code;
    for (size_t i = 0; i < n && i < MAX_INPUTS; i++) {
        clo_buf_init(&priv[i], 2 << 20);
        outputs_ok &= !clo_hex_decode(&priv[i], json_string_value(json_array_get(
                                                    json_object_get(doc, "private_outputs"), i)))
                           .code;
        views[i] = clo_buf_view(&priv[i]);
    }
    outputs_ok = outputs_ok && clo_result_outputs_match(&st, clo_buf_view(&pub), views, n);
    json_object_set_new(out, "outputs_match_statement", json_boolean(outputs_ok));
    json_t *pd =
        cli_decode_public(json_string_value(json_object_get(doc, "workload")), clo_buf_view(&pub));
    if (pd) json_object_set_new(out, "public", pd);
    /* Private outputs, opened with the reply keys kept at submission. A key
     * opens only its own reply, wherever the job put it (a bidder's envelope
     * is one of many in an auction), so each output is tried with each key. */
    const json_t *rks = json_object_get(keys_file, "reply_keys");
    if (rks && n <= MAX_INPUTS) {
        json_t *opened = json_array();
        for (size_t i = 0; i < n; i++) {
            json_t *got = NULL;
            for (size_t k = 0; k < json_array_size(rks) && !got; k++) {
                uint8_t secret[32];
                clo_buf pt;
                clo_buf_init(&pt, 1 << 20);
                const json_t *kj = json_array_get(rks, k);
                uint16_t aead = (uint16_t)json_integer_value(json_object_get(kj, "aead"));
                if (!cli_hex_member(kj, "secret", secret, 32) &&
                    !clo_reply_open(st.job_id, secret, aead, clo_buf_view(&priv[i]), &pt).code)
                    got = clo_json_hex(clo_buf_view(&pt));
                clo_wipe(secret, sizeof secret);
                clo_buf_free(&pt);
            }
            json_array_append_new(opened, got ? got : json_null());
        }
        if (!strcmp(json_string_value(json_object_get(doc, "workload")) ?: "", "onnx")) {
            json_t *dec = json_array();
            for (size_t i = 0; i < json_array_size(opened); i++) {
                const char *hx = json_string_value(json_array_get(opened, i));
                clo_buf b;
                clo_buf_init(&b, 1 << 20);
                json_t *d = hx && !clo_hex_decode(&b, hx).code
                                ? decode_onnx_private(clo_buf_view(&b))
                                : NULL;
                json_array_append_new(dec, d ? d : json_null());
                clo_buf_free(&b);
            }
            json_object_set_new(out, "private_decoded", dec);
        }
        json_object_set_new(out, "private", opened);
    }
    for (size_t i = 0; i < n && i < MAX_INPUTS; i++) clo_buf_free(&priv[i]);
    clo_buf_free(&pub);
    return CLI_EXIT_OK;
}

int cli_job_result(int argc, char **argv)
{
    cli_opt o[] = {
        {"node", "URL", "the node API (default " CLI_DEFAULT_NODE ")", 0, NULL},
        {"id", "HEX", "the job id", 1, NULL},
        {"keys", "FILE", "reply keys from `job submit` (opens the private outputs)", 0, NULL},
        {"wait", "SECONDS", "wait up to this long for the result (default 30)", 0, NULL},
        {"deployment", "FILE",
         "check the signature under this deployment's chain and JobMarket, and the signer "
         "against its EnclaveRegistry",
         0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {
        "cloister job result --id HEX [--keys FILE] [--deployment FILE] [--wait SECONDS] [--node "
        "URL]",
        "Fetch a job's signed result, check the EIP-712 signature and that the outputs are the "
        "ones the statement commits to, decode the public output, and open the private outputs "
        "with the reply keys. Progress goes to stderr while waiting.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    uint64_t wait = 30;
    if (cli_get(&spec, "wait") && (rc = cli_u64(&spec, "wait", 86400, &wait))) return rc;
    json_t *kf = NULL;
    if (cli_get(&spec, "keys")) {
        clo_buf t;
        if (cli_read_file("--keys", cli_get(&spec, "keys"), 1 << 24, &t)) return CLI_EXIT_FAIL;
        kf = json_loadb((const char *)t.ptr, t.len, 0, NULL);
        clo_buf_free(&t);
        if (!kf) return cli_fail(CLO_ERR(CLO_E_FORMAT, "--keys"), "the keys file is not JSON");
    }
    clo_deployment dep;
    int have_dep = cli_get(&spec, "deployment") != NULL;
    if (have_dep && (rc = cli_deployment_load(cli_get(&spec, "deployment"), &dep))) {
        json_decref(kf);
        return rc;
    }
    char url[2048];
    snprintf(url, sizeof url, "%s/v1/jobs/%s/result", cli_node_url(&spec), cli_get(&spec, "id"));
    time_t until = time(NULL) + (time_t)wait;
    long status = 0;
    json_t *doc = NULL;
    for (int tries = 0;; tries++) {
        doc = cli_http_json("GET", url, NULL, &status);
        if (!doc || status != 409 || time(NULL) >= until) break;
        if (tries % 10 == 0) fprintf(stderr, "waiting for the result...\n");
        json_decref(doc);
        usleep(100000);
    }
    if (!doc)
        rc = CLI_EXIT_FAIL;
    else if (status != 200)
        rc = cli_api_fail(doc, status), doc = NULL;
    else {
        json_t *check = json_object();
        rc = verify_result(doc, kf, have_dep ? &dep : NULL, check);
        if (!rc) {
            /* A result that does not verify is refused (exit 4), shown in full;
             * a check that could not be made (null) is not a pass either way. */
            int valid = json_is_true(json_object_get(check, "signature_valid")) &&
                        json_is_true(json_object_get(check, "outputs_match_statement")) &&
                        !json_is_false(json_object_get(check, "job_matches_submission")) &&
                        !json_is_false(json_object_get(check, "signer_registered")) &&
                        !json_is_false(json_object_get(check, "bound_to_deployment"));
            json_object_set_new(doc, "verified", check);
            rc = cli_print(doc);
            if (!valid) rc = CLI_EXIT_REFUSED;
            doc = NULL;
        } else {
            json_decref(check);
        }
    }
    json_decref(doc);
    json_decref(kf);
    return rc;
}
