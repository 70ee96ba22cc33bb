/* cmd_onnx.c — `cloister onnx info|run|test`: the ONNX engine from the
 * command line, the way a model owner checks that an exported model runs
 * here before provisioning it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "base/clock.h"
#include "client/seal.h"
#include "model/engine.h"
#include "model/onnx_suite.h"

#define MAX_MODEL ((size_t)1 << 30)
#define MAX_FEEDS 64

static int load_model(const char *path, clo_buf *bytes, clo_onnx_model *m, json_t **info)
{
    if (cli_read_file("--model", path, MAX_MODEL, bytes)) return CLI_EXIT_FAIL;
    clo_err e = clo_onnx_load(clo_buf_view(bytes), m);
    if (e.code) {
        char msg[300];
        snprintf(msg, sizeof msg, "the model cannot be read: %s", m->why[0] ? m->why : e.what);
        return cli_fail(e, msg);
    }
    uint8_t id[32];
    if (clo_model_id(clo_buf_view(bytes), id).code) {
        clo_onnx_free(m);
        return cli_fail(CLO_ERR(CLO_E_CRYPTO, "sha256"), "hashing the model failed");
    }
    *info = json_object();
    cli_json_hex(*info, "model_id", CLO_BYTES(id, sizeof id));
    json_object_set_new(*info, "ir_version", json_integer(m->ir_version));
    json_object_set_new(*info, "opset", json_integer(clo_onnx_opset(m, "")));
    json_object_set_new(*info, "nodes", json_integer((json_int_t)m->nnodes));
    json_object_set_new(*info, "subgraph_nodes", json_integer((json_int_t)m->ngnodes));
    return CLI_EXIT_OK;
}

static void name_of(clo_bytes b, char *out, size_t cap)
{
    clo_bytes_printable(out, cap, b);
}

static int info(int argc, char **argv)
{
    cli_opt o[] = {{"model", "FILE", "the model (.onnx)", 1, NULL},
                   {"json", NULL, "JSON output (the default)", 0, NULL}};
    cli_spec spec = {"cloister onnx info --model FILE",
                     "Describe a model: its id (SHA-256 of the file), opsets, inputs and "
                     "outputs with their types and shapes, and each operator it uses with "
                     "whether this engine implements it.",
                     o, 2};
    int done, rc = cli_parse(&spec, argc, argv, &done);
    if (rc || done) return rc;
    clo_buf bytes;
    clo_buf_init(&bytes, MAX_MODEL);
    clo_onnx_model m;
    json_t *doc;
    if ((rc = load_model(cli_get(&spec, "model"), &bytes, &m, &doc))) {
        clo_buf_free(&bytes);
        return rc;
    }
    char name[128];
    json_t *ins = json_array(), *outs = json_array(), *ops = json_object();
    const clo_onnx_value *feeds[MAX_FEEDS];
    size_t nf = clo_onnx_feeds(&m, feeds, MAX_FEEDS);
    for (size_t i = 0; i < nf && i < MAX_FEEDS; i++) {
        json_t *v = json_object();
        name_of(feeds[i]->name, name, sizeof name);
        json_object_set_new(v, "name", json_string(name));
        json_object_set_new(v, "type", json_string(clo_tensor_type_name(feeds[i]->elem_type)));
        json_t *sh = json_array();
        for (uint32_t d = 0; d < feeds[i]->rank; d++)
            json_array_append_new(sh, feeds[i]->dims[d] < 0 ? json_null()
                                                            : json_integer(feeds[i]->dims[d]));
        json_object_set_new(v, "shape", feeds[i]->has_shape ? sh : (json_decref(sh), json_null()));
        json_array_append_new(ins, v);
    }
    for (size_t i = 0; i < m.noutputs; i++) {
        name_of(m.outputs[i].name, name, sizeof name);
        json_array_append_new(outs, json_string(name));
    }
    size_t unsupported = 0;
    /* the graph's nodes, then its subgraphs' (If branches, Loop bodies) */
    for (size_t i = 0; i < m.nnodes + m.ngnodes; i++) {
        const clo_onnx_node *n = i < m.nnodes ? &m.nodes[i] : &m.gnodes[i - m.nnodes];
        char op[96], dom[48];
        name_of(n->op_type, op, sizeof op);
        name_of(n->domain, dom, sizeof dom);
        char key[150];
        snprintf(key, sizeof key, "%s%s%s", dom, dom[0] ? "." : "", op);
        json_t *e = json_object_get(ops, key);
        if (!e) {
            int ok = clo_onnx_op_find(n->domain, n->op_type) != NULL;
            unsupported += !ok;
            e = json_object();
            json_object_set_new(e, "supported", json_boolean(ok));
            json_object_set_new(e, "nodes", json_integer(0));
            json_object_set_new(ops, key, e);
        }
        json_object_set_new(e, "nodes",
                            json_integer(json_integer_value(json_object_get(e, "nodes")) + 1));
    }
    json_object_set_new(doc, "inputs", ins);
    json_object_set_new(doc, "outputs", outs);
    json_object_set_new(doc, "operators", ops);
    json_object_set_new(doc, "unsupported_operators", json_integer((json_int_t)unsupported));
    clo_onnx_free(&m);
    clo_buf_free(&bytes);
    return cli_print(doc);
}

static int run(int argc, char **argv)
{
    /* --input may repeat: take those out before the common parser sees argv. */
    const char *inputs[MAX_FEEDS];
    size_t ninputs = 0;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    if (!rest) return cli_fail(CLO_ERR(CLO_E_NOMEM, "argv"), NULL);
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--input") && i + 1 < argc) {
            if (ninputs == MAX_FEEDS) {
                cli_error("more than %d --input options\n", MAX_FEEDS);
                free(rest);
                return CLI_EXIT_USAGE;
            }
            inputs[ninputs++] = argv[++i];
        } else {
            rest[nrest++] = argv[i];
        }
    }
    cli_opt o[] = {
        {"model", "FILE", "the model (.onnx)", 1, NULL},
        {"input", "NAME=FILE.pb", "a graph input as a TensorProto file (repeat for each input)", 0,
         NULL},
        {"repeat", "N", "run N times and report the mean latency (default 1)", 0, NULL},
        {"warmup", "N", "first run N times untimed (default 0: the first run is timed too)", 0,
         NULL},
        {"threads", "N", "threads (1 to 64, default 1)", 0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {"cloister onnx run --model FILE [--input NAME=FILE.pb ...] [--repeat N] "
                     "[--warmup N] [--threads N]",
                     "Plan and run a model on the given inputs; prints each output's type, "
                     "shape and values, the plan's size and the time taken.",
                     o, 6};
    int done, rc = cli_parse(&spec, nrest, rest, &done);
    free(rest);
    if (rc || done) return rc;
    uint64_t repeat = 1;
    if (cli_get(&spec, "repeat") && (rc = cli_u64(&spec, "repeat", 1000000, &repeat))) return rc;
    if (!repeat) repeat = 1;
    uint64_t warmup = 0;
    if (cli_get(&spec, "warmup") && (rc = cli_u64(&spec, "warmup", 1000000, &warmup))) return rc;
    uint64_t threads = 1;
    if (cli_get(&spec, "threads") && (rc = cli_u64(&spec, "threads", 64, &threads))) return rc;
    if (!threads) {
        cli_error("--threads: 1 to 64\n");
        return CLI_EXIT_USAGE;
    }
    clo_buf bytes, raw;
    clo_buf_init(&bytes, MAX_MODEL);
    clo_buf_init(&raw, MAX_MODEL);
    clo_onnx_model m;
    json_t *doc;
    if ((rc = load_model(cli_get(&spec, "model"), &bytes, &m, &doc))) {
        clo_buf_free(&bytes);
        return rc;
    }
    const clo_onnx_value *feeds[MAX_FEEDS];
    size_t nf = clo_onnx_feeds(&m, feeds, MAX_FEEDS);
    clo_tensor t[MAX_FEEDS];
    void *mem[MAX_FEEDS] = {0};
    int given[MAX_FEEDS] = {0};
    clo_onnx_plan *plan = NULL;
    char name[128], why[CLO_ONNX_WHY];
    rc = CLI_EXIT_OK;
    if (nf > MAX_FEEDS) {
        rc = cli_fail(CLO_ERR(CLO_E_LIMIT, "onnx: inputs"), "the model has more than 64 inputs");
        goto out;
    }
    for (size_t k = 0; k < ninputs; k++) {
        const char *eq = strchr(inputs[k], '=');
        size_t j = nf;
        if (eq)
            for (j = 0; j < nf; j++) {
                name_of(feeds[j]->name, name, sizeof name);
                if (strlen(name) == (size_t)(eq - inputs[k]) &&
                    !strncmp(name, inputs[k], (size_t)(eq - inputs[k])))
                    break;
            }
        if (!eq || j == nf || given[j]) {
            cli_error("--input %s: %s\n", inputs[k],
                      !eq       ? "give NAME=FILE.pb"
                      : j == nf ? "the model has no input of that name"
                                : "given twice");
            rc = CLI_EXIT_USAGE;
            goto out;
        }
        clo_err e = clo_onnx_tensor_load(eq + 1, &raw, &t[j], &mem[j]);
        if (e.code) {
            char msg[300];
            snprintf(msg, sizeof msg, "--input %s: %s", inputs[k], e.what);
            rc = cli_fail(e, msg);
            goto out;
        }
        given[j] = 1;
    }
    for (size_t j = 0; j < nf; j++)
        if (!given[j]) {
            name_of(feeds[j]->name, name, sizeof name);
            cli_error("the model's input '%s' needs --input %s=FILE.pb\n", name, name);
            rc = CLI_EXIT_USAGE;
            goto out;
        }
    double t0 = (double)clo_mono_ns() / 1e6;
    clo_onnx_plan_opts popts = {(unsigned)threads, NULL};
    clo_err e = clo_onnx_plan_new_opts(&m, t, nf, &popts, &plan, why);
    double t1 = (double)clo_mono_ns() / 1e6;
    if (e.code) {
        rc = cli_fail(e, why);
        goto out;
    }
    for (uint64_t r = 0; r < warmup && !e.code; r++) e = clo_onnx_plan_run(plan, t, nf);
    double t1r = (double)clo_mono_ns() / 1e6;
    for (uint64_t r = 0; r < repeat && !e.code; r++) e = clo_onnx_plan_run(plan, t, nf);
    double t2 = (double)clo_mono_ns() / 1e6;
    if (e.code) {
        rc = cli_fail(e, "the model failed while running");
        goto out;
    }
    json_t *outs = json_array();
    for (size_t k = 0; k < clo_onnx_plan_noutputs(plan); k++) {
        name_of(m.outputs[k].name, name, sizeof name);
        json_array_append_new(outs, cli_tensor_json(name, clo_onnx_plan_output(plan, k)));
    }
    json_t *pl = json_object();
    json_object_set_new(pl, "steps", json_integer((json_int_t)clo_onnx_plan_steps(plan)));
    json_object_set_new(pl, "arena_bytes",
                        json_integer((json_int_t)clo_onnx_plan_arena_size(plan)));
    json_object_set_new(pl, "plan_ms", json_real(t1 - t0));
    json_object_set_new(pl, "run_ms", json_real((t2 - t1r) / (double)repeat));
    json_object_set_new(pl, "runs", json_integer((json_int_t)repeat));
    json_object_set_new(pl, "warmup_runs", json_integer((json_int_t)warmup));
    json_object_set_new(pl, "threads", json_integer((json_int_t)threads));
    json_object_set_new(doc, "plan", pl);
    json_object_set_new(doc, "outputs", outs);
    rc = cli_print(doc);
    doc = NULL;
out:
    if (doc) json_decref(doc);
    clo_onnx_plan_free(plan);
    for (size_t j = 0; j < MAX_FEEDS; j++) free(mem[j]);
    clo_onnx_free(&m);
    clo_buf_free(&bytes);
    clo_buf_free(&raw);
    return rc;
}

static void collect(void *ud, const clo_onnx_case *c)
{
    json_t *r = json_object();
    json_object_set_new(r, "dir", json_string(c->dir));
    json_object_set_new(r, "data_set", c->data_set < 0 ? json_null() : json_integer(c->data_set));
    json_object_set_new(r, "passed", json_boolean(c->passed));
    json_object_set_new(r, "max_abs_err", json_real(c->max_abs_err));
    if (!c->passed) {
        char msg[300];
        snprintf(msg, sizeof msg, "%s: %s", clo_code_name(c->code), c->error);
        json_object_set_new(r, "error", json_string(msg));
    } else {
        json_object_set_new(r, "error", json_null());
    }
    json_array_append_new(ud, r);
}

static int test(int argc, char **argv)
{
    /* DIR arguments are positional: gather them, pass the options on. */
    char **rest = calloc((size_t)argc + 1, sizeof *rest),
         **dirs = calloc((size_t)argc + 1, sizeof *dirs);
    int nrest = 0, ndirs = 0;
    if (!rest || !dirs) {
        free(rest);
        free(dirs);
        return cli_fail(CLO_ERR(CLO_E_NOMEM, "argv"), NULL);
    }
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "--", 2)) {
            rest[nrest++] = argv[i];
            if ((!strcmp(argv[i], "--rtol") || !strcmp(argv[i], "--atol")) && i + 1 < argc)
                rest[nrest++] = argv[++i];
        } else {
            dirs[ndirs++] = argv[i];
        }
    }
    cli_opt o[] = {
        {"rtol", "R", "relative tolerance for floats (default 1e-3)", 0, NULL},
        {"atol", "A", "absolute tolerance for floats (default 1e-7)", 0, NULL},
        {"json", NULL, "JSON output (the default)", 0, NULL},
    };
    cli_spec spec = {"cloister onnx test [--rtol R] [--atol A] DIR...",
                     "Run models in the ONNX backend-test layout: each DIR holds model.onnx and "
                     "test_data_set_N/ with input_K.pb and output_K.pb (outputs matched by "
                     "position). Floats match within atol + rtol * |expected|; integers and "
                     "bool exactly. A model the engine cannot run is a failed result with the "
                     "reason. Exit 0 when every data set passed, 1 otherwise.",
                     o, 3};
    int done, rc = cli_parse(&spec, nrest, rest, &done);
    free(rest);
    if (rc || done || !ndirs) {
        if (!rc && !done) {
            cli_error("give at least one DIR (see --help)\n");
            rc = CLI_EXIT_USAGE;
        }
        free(dirs);
        return rc;
    }
    double tol[2] = {1e-3, 1e-7};
    const char *names[2] = {"rtol", "atol"};
    for (int k = 0; k < 2; k++) {
        const char *v = cli_get(&spec, names[k]);
        if (!v) continue;
        char *end;
        tol[k] = strtod(v, &end);
        if (*end || end == v || !(tol[k] >= 0)) {
            cli_error("--%s: give a non-negative number\n", names[k]);
            free(dirs);
            return CLI_EXIT_USAGE;
        }
    }
    json_t *results = json_array();
    size_t failed = 0;
    for (int i = 0; i < ndirs; i++)
        failed += clo_onnx_suite_dir(dirs[i], tol[0], tol[1], collect, results);
    free(dirs);
    json_t *doc = json_object();
    json_object_set_new(doc, "passed",
                        json_integer((json_int_t)(json_array_size(results) - failed)));
    json_object_set_new(doc, "failed", json_integer((json_int_t)failed));
    json_object_set_new(doc, "results", results);
    cli_print(doc);
    return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cmd_onnx(int argc, char **argv)
{
    const char *sub = argc > 0 ? argv[0] : "";
    if (!strcmp(sub, "info")) return info(argc - 1, argv + 1);
    if (!strcmp(sub, "run")) return run(argc - 1, argv + 1);
    if (!strcmp(sub, "test")) return test(argc - 1, argv + 1);
    FILE *f = (!strcmp(sub, "--help") || !strcmp(sub, "-h")) ? stdout : stderr;
    fprintf(f, "usage: cloister onnx info|run|test [options]\n\n"
               "  info   describe a model and which of its operators this engine implements\n"
               "  run    plan and run a model on TensorProto inputs\n"
               "  test   run models in the ONNX backend-test layout and compare outputs\n");
    return f == stdout ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}
