/* cmd_model.c — `cloister model train`: the model owner's side of the
 * diagnosis flow. Trains a classifier on a data set in scikit-learn's CSV
 * layout, exports it to ONNX with the project's writer, and checks it: the
 * held-out accuracy is measured by running the exported file through the
 * engine, not the trainer's own weights. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include "base/hex.h"
#include "cli/cli.h"
#include "client/nodeapi.h"
#include "client/outputs.h"
#include "client/seal.h"
#include "model/train.h"

#define MAX_CSV ((size_t)64 << 20)

static int train(int argc, char **argv)
{
    cli_opt o[] = {
        {"kind", "logreg|mlp", "logistic regression or a one-hidden-layer MLP (default logreg)", 0,
         NULL},
        {"csv", "FILE",
         "data set (default: PREFIX/share/cloister/datasets/breast_cancer.csv, the Wisconsin "
         "data `make deps` extracts from Debian's python3-sklearn)",
         0, NULL},
        {"out", "FILE", "where to write the model (.onnx)", 1, NULL},
        {"epochs", "N", "passes over the training rows (default 500 logreg, 200 mlp)", 0, NULL},
        {"hidden", "N", "MLP hidden units (default 16)", 0, NULL},
        {"seed", "N", "seed of the split and the initial weights (default 20261121)", 0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {"cloister model train [--kind logreg|mlp] [--csv FILE] --out FILE",
                     "Train a diagnosis classifier, hold out 20% of the rows, write it as ONNX "
                     "(input \"record\" [N, features]; outputs \"probabilities\" [N, classes] and "
                     "\"diagnosis\" [N]) and report its id (SHA-256 of the file) and its accuracy "
                     "on the held-out rows, measured by running the file through the engine.",
                     o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    const char *kind = cli_get(&spec, "kind") ? cli_get(&spec, "kind") : "logreg";
    clo_train_opts opts;
    if (!strcmp(kind, "logreg"))
        clo_train_defaults(CLO_MODEL_LOGREG, &opts);
    else if (!strcmp(kind, "mlp"))
        clo_train_defaults(CLO_MODEL_MLP, &opts);
    else {
        cli_error("--kind: give logreg or mlp\n");
        return CLI_EXIT_USAGE;
    }
    uint64_t v;
    if (cli_get(&spec, "epochs")) {
        if ((rc = cli_u64(&spec, "epochs", 100000, &v))) return rc;
        opts.epochs = (size_t)v;
    }
    if (cli_get(&spec, "hidden")) {
        if ((rc = cli_u64(&spec, "hidden", 4096, &v))) return rc;
        if (!v) {
            cli_error("--hidden: at least 1\n");
            return CLI_EXIT_USAGE;
        }
        opts.hidden = (size_t)v;
    }
    if (cli_get(&spec, "seed")) {
        if ((rc = cli_u64(&spec, "seed", UINT64_MAX, &v))) return rc;
        opts.seed = v;
    }
    char csv[CLI_PATH_CAP];
    clo_buf text, model;
    if (cli_find_share("datasets/breast_cancer.csv", cli_get(&spec, "csv"), NULL, csv) ||
        cli_read_file("--csv", csv, MAX_CSV, &text))
        return CLI_EXIT_FAIL;
    clo_buf_init(&model, (size_t)1 << 30);
    clo_dataset d;
    size_t line;
    clo_err e = clo_dataset_parse_csv(clo_buf_view(&text), &d, &line);
    clo_buf_free(&text);
    if (e.code) {
        char msg[CLI_PATH_CAP + 200];
        snprintf(msg, sizeof msg, "%s: line %zu: %s", csv, line, e.what);
        return cli_fail(e, msg);
    }
    clo_train_report r;
    double test_acc = 0;
    e = clo_train(&d, &opts, &model, &r);
    if (!e.code)
        e = clo_train_evaluate(clo_buf_view(&model), &d, r.test_index, r.test_rows, &test_acc);
    if (e.code) {
        rc = cli_fail(e, "training or checking the model failed");
        goto out;
    }
    if ((rc = cli_write_file(cli_get(&spec, "out"), clo_buf_view(&model), 0))) goto out;
    uint8_t id[CLO_SHA256_SIZE];
    if (clo_sha256(clo_buf_view(&model), id).code) {
        rc = cli_fail(CLO_ERR(CLO_E_CRYPTO, "sha256"), "hashing the model failed");
        goto out;
    }
    json_t *doc = json_object(), *classes = json_array();
    cli_json_hex(doc, "model_id", CLO_BYTES(id, sizeof id));
    json_object_set_new(doc, "file", json_string(cli_get(&spec, "out")));
    json_object_set_new(doc, "bytes", json_integer((json_int_t)model.len));
    json_object_set_new(doc, "kind", json_string(kind));
    json_object_set_new(doc, "features", json_integer((json_int_t)d.features));
    for (size_t i = 0; i < d.classes; i++)
        json_array_append_new(classes, json_string(d.class_names[i]));
    json_object_set_new(doc, "classes", classes);
    json_object_set_new(doc, "train_rows", json_integer((json_int_t)r.train_rows));
    json_object_set_new(doc, "test_rows", json_integer((json_int_t)r.test_rows));
    json_object_set_new(doc, "train_accuracy", json_real(r.train_accuracy));
    json_object_set_new(doc, "test_accuracy", json_real(test_acc));
    json_object_set_new(doc, "final_loss", json_real(r.final_loss));
    rc = cli_print(doc);
out:
    clo_train_report_free(&r);
    clo_dataset_free(&d);
    clo_buf_free(&model);
    return rc;
}

#define MAX_MODEL ((size_t)1 << 30) /* the enclave's limit for one secret */
/* Larger models are streamed in chunks (POST /v1/secrets/streams), so no
 * request holds more than one chunk: a whole envelope in hex would pass the
 * node's default body limit (4 MiB) at 2 MiB. */
#define STREAM_ABOVE ((size_t)1 << 20)
#define STREAM_CHUNK ((uint32_t)1 << 20)

/* Progress on stderr, every tenth of the way. */
static void stream_progress(void *ud, uint64_t sent, uint64_t total)
{
    int *shown = ud;
    int tenth = (int)(sent * 10 / total);
    if (tenth == *shown) return;
    *shown = tenth;
    fprintf(stderr, "provision: %d%% (%.1f of %.1f MB sealed and sent)\n", tenth * 10,
            (double)sent / 1e6, (double)total / 1e6);
}

static int provision(int argc, char **argv)
{
    cli_opt o[] = {
        {"model", "FILE",
         "the model (.onnx), at most 1 GiB; over 1 MiB it is streamed in 1 MiB chunks", 1, NULL},
        {"node", "URL", "the node whose enclave gets the model", 1, NULL},
        CLI_TRUST_OPTS,
        {"wait", "SECONDS", "how long to wait for the enclave's registry record (default 30)", 0,
         NULL},
        {"no-registry", NULL,
         "experiments only: provision on the evidence alone, without the registry record", 0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {
        "cloister model provision --model FILE --node URL --deployment FILE [--policy FILE] "
        "[--sim-dir DIR | --anchor FILE] [--no-registry]",
        "Provision a model to a node's enclave without the node seeing it: ask the enclave for "
        "evidence over a fresh nonce, verify it against the policy with the enclave's keys bound, "
        "then HPKE-seal the model to the attested key (bound to the chain, the JobMarket, the "
        "model id as job id, and the epoch) and hand it over, once the deployment's "
        "EnclaveRegistry also holds that signer and key (an active record of this epoch, the "
        "measurement allowed for onnx). The enclave checks the model "
        "against its id, SHA-256 of the file, whenever a job uses it. Exit 4 with the verdict "
        "when the evidence is refused.",
        o, sizeof o / sizeof o[0]};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    cli_trust t;
    clo_buf model, ev, env;
    clo_buf_init(&env, STREAM_ABOVE + 4096);
    clo_buf_init(&ev, 1);
    clo_buf_init(&model, 1);
    json_t *verdict = NULL, *answer = NULL;
    char *vtext = NULL, *body = NULL;
    if ((rc = cli_trust_load(&spec, &t))) goto out;
    static const uint8_t none[20];
    if (!memcmp(t.market, none, 20)) { /* the envelope is bound to the market */
        cli_error("--deployment: no contracts.JobMarket.address\n");
        cli_error_code("format");
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    if (cli_read_file("--model", cli_get(&spec, "model"), MAX_MODEL, &model)) {
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    uint8_t id[32], digest[32];
    clo_approve_req r;
    memset(&r, 0, sizeof r);
    if ((rc = cli_fetch_evidence(cli_get(&spec, "node"), &r, &ev))) goto out;
    t.v.now = (int64_t)time(NULL);
    clo_err e = clo_approve_check(&t.v, &r, &vtext);
    verdict = vtext ? json_loads(vtext, 0, NULL) : NULL;
    if (e.code) {
        json_t *doc =
            json_pack("{s:{s:s,s:s},s:O}", "error", "code", clo_code_name(e.code), "message",
                      "the enclave's evidence is refused: the model was not sent", "verdict",
                      verdict ? verdict : json_null());
        cli_print(doc);
        rc = e.code == CLO_E_POLICY ? 4 : CLI_EXIT_FAIL;
        goto out;
    }
    /* The chain must vouch for the same key (issue 15, finding 2). */
    uint64_t wait = 30;
    if (cli_get(&spec, "wait") && (rc = cli_u64(&spec, "wait", 3600, &wait))) goto out;
    if (cli_get(&spec, "no-registry"))
        fprintf(stderr, "WARNING: --no-registry: provisioning on the evidence alone, without the "
                        "registry's record of this enclave\n");
    else if ((rc = cli_registry_vouches(cli_get(&spec, "deployment"), t.v.chain_id, t.market,
                                        r.epoch, r.signer, r.hpke_pk, "onnx", wait)))
        goto out;
    /* Sealed to the attested key only: r.hpke_pk is bound by the evidence. */
    char url[2300];
    long status;
    if (model.len > STREAM_ABOVE) {
        clo_envelope_stream st;
        int shown = 0;
        e = clo_provision_stream_init(&st, t.v.chain_id, t.market, r.epoch, r.hpke_pk,
                                      clo_buf_view(&model), STREAM_CHUNK, id, digest);
        if (!e.code)
            e = clo_nodeapi_provision_stream(cli_get(&spec, "node"), &st, id, clo_buf_view(&model),
                                             stream_progress, &shown, &status, &answer);
        clo_envelope_stream_wipe(&st);
        if (e.code) {
            rc = cli_fail(e, "streaming the model to the node failed");
            goto out;
        }
    } else {
        e = clo_provision_seal(t.v.chain_id, t.market, r.epoch, r.hpke_pk, clo_buf_view(&model), id,
                               digest, &env);
        if (e.code) {
            rc = cli_fail(e, "sealing the model failed");
            goto out;
        }
        json_t *req = json_pack("{s:o,s:I,s:o}", "id", clo_json_hex(CLO_BYTES(id, 32)), "epoch",
                                (json_int_t)r.epoch, "envelope", clo_json_hex(clo_buf_view(&env)));
        body = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        snprintf(url, sizeof url, "%s/v1/secrets", cli_get(&spec, "node"));
        answer = body ? cli_http_json("POST", url, body, &status) : NULL;
        if (!answer) {
            rc = CLI_EXIT_FAIL;
            goto out;
        }
    }
    uint8_t got[32];
    if (status != 201 ||
        clo_hex_decode_fixed(got, 32, json_string_value(json_object_get(answer, "digest"))).code) {
        const char *detail = json_string_value(json_object_get(answer, "detail"));
        char msg[300];
        snprintf(msg, sizeof msg, "the node refused the model (HTTP %ld): %s", status,
                 detail ? detail : "no detail");
        rc = cli_fail(CLO_ERR(CLO_E_STATE, "provision"), msg);
        goto out;
    }
    if (memcmp(got, digest, 32)) {
        rc = cli_fail(CLO_ERR(CLO_E_AUTH, "provision"),
                      "the enclave holds other bytes than the model sent");
        goto out;
    }
    json_t *doc = json_object();
    cli_json_hex(doc, "model_id", CLO_BYTES(id, 32));
    json_object_set_new(doc, "bytes", json_integer((json_int_t)model.len));
    json_object_set_new(doc, "epoch", json_integer(r.epoch));
    json_object_set_new(doc, "signer", clo_json_hex(CLO_BYTES(r.signer, 20)));
    json_object_set_new(doc, "enclave_digest", clo_json_hex(CLO_BYTES(got, 32)));
    json_object_set_new(doc, "verdict", verdict ? json_incref(verdict) : json_null());
    rc = cli_print(doc);
out:
    json_decref(verdict);
    json_decref(answer);
    free(vtext);
    free(body);
    clo_buf_free(&ev);
    clo_buf_free(&model);
    clo_buf_free(&env);
    cli_trust_free(&t);
    return rc;
}

int cmd_model(int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    if (!strcmp(sub, "train")) return train(argc - 1, argv + 1);
    if (!strcmp(sub, "provision")) return provision(argc - 1, argv + 1);
    FILE *f = (!strcmp(sub, "--help") || !strcmp(sub, "-h")) ? stdout : stderr;
    fprintf(f, "usage: cloister model train|provision [options]\n\n"
               "  train       train a diagnosis classifier and export it to ONNX\n"
               "  provision   verify a node's enclave, then seal a model to it\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
