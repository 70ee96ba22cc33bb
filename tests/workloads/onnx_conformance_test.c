/* onnx_conformance_test.c — the ONNX backend test suite (Debian
 * libonnx-testdata): every node, pytorch-converted, pytorch-operator and
 * simple model is planned and run on each of its data sets, and compared
 * with the expected outputs (rtol 1e-3, atol 1e-7 for floats; exact for
 * integers and bool). A model the engine does not support must be refused as
 * unsupported, naming why; every other model must pass. Prints the table of
 * tests per operator that docs/onnx.md records. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/file.h"
#include "model/onnx_suite.h"
#include "workloads/onnx/model.h"
#include "workloads/onnx/op.h"

#define MAX_OPS 256

typedef struct {
    char name[48];
    unsigned run, passed, refused;
} op_row;

typedef struct {
    op_row ops[MAX_OPS];
    size_t nops;
    unsigned tests, passed, unsupported, failed, bad_data;
    /* per test */
    int any_fail, any_unsupported, all_pass;
    char first_error[300];
} tally;

static const char *suite(void)
{
    const char *root = getenv("CLO_ONNX_TESTDATA");
    return root ? root : "/usr/share/libonnx-testdata/data";
}

static op_row *row(tally *t, const char *name)
{
    for (size_t i = 0; i < t->nops; i++)
        if (!strcmp(t->ops[i].name, name)) return &t->ops[i];
    assert_true(t->nops < MAX_OPS);
    op_row *r = &t->ops[t->nops++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    return r;
}

/* Tests whose own data contradicts their graph, which the engine refuses
 * as a caller's error (the suite's later releases fixed them): counted
 * apart, and they must fail for that reason. */
static const struct {
    const char *name, *why;
} bad_data[] = {
    {"test_castlike_BFLOAT16_to_FLOAT", "'like' is given as [1]; the graph declares [3, 4]"},
    {"test_castlike_BFLOAT16_to_FLOAT_expanded",
     "'like' is given as [1]; the graph declares [3, 4]"},
    {"test_castlike_FLOAT_to_BFLOAT16", "'like' is given as [1]; the graph declares [3, 4]"},
    {"test_castlike_FLOAT_to_BFLOAT16_expanded",
     "'like' is given as [1]; the graph declares [3, 4]"},
};

static const char *data_is_bad(const char *name)
{
    for (size_t i = 0; i < sizeof bad_data / sizeof bad_data[0]; i++)
        if (!strcmp(name, bad_data[i].name)) return bad_data[i].why;
    return NULL;
}

static void on_case(void *ud, const clo_onnx_case *c)
{
    tally *t = ud;
    if (c->passed) return;
    if (c->code == CLO_E_UNSUPPORTED)
        t->any_unsupported = 1;
    else
        t->any_fail = 1;
    if (!t->first_error[0])
        snprintf(t->first_error, sizeof t->first_error, "set %d: %s", c->data_set, c->error);
}

static int cmp_rows(const void *a, const void *b)
{
    return strcmp(((const op_row *)a)->name, ((const op_row *)b)->name);
}

static void run_kind(tally *t, const char *kind, int verbose)
{
    char dir[1024], path[2048];
    snprintf(dir, sizeof dir, "%s/%s", suite(), kind);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    clo_buf b;
    clo_buf_init(&b, (size_t)1 << 30);
    char **names = NULL;
    size_t nn = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        names = realloc(names, (nn + 1) * sizeof *names);
        names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    for (size_t i = 0; i < nn; i++) {
        snprintf(path, sizeof path, "%s/%s/model.onnx", dir, names[i]);
        if (clo_file_read(path, &b).code) {
            free(names[i]);
            continue; /* real/: download stubs, no model */
        }
        clo_onnx_model m;
        const char *ops[64];
        size_t nops = 0;
        char opnames[64][48];
        if (!clo_onnx_load(clo_buf_view(&b), &m).code) {
            for (size_t k = 0; k < m.nnodes && nops < 64; k++) {
                char nm[48];
                clo_bytes_printable(nm, sizeof nm, m.nodes[k].op_type);
                size_t j = 0;
                while (j < nops && strcmp(ops[j], nm)) j++;
                if (j == nops) {
                    snprintf(opnames[nops], sizeof opnames[0], "%s", nm);
                    ops[nops] = opnames[nops];
                    nops++;
                }
            }
            clo_onnx_free(&m);
        }
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        t->any_fail = t->any_unsupported = 0;
        t->first_error[0] = 0;
        clo_onnx_suite_dir(path, 1e-3, 1e-7, on_case, t);
        t->tests++;
        int ok = !t->any_fail && !t->any_unsupported;
        const char *bad = data_is_bad(names[i]);
        if (bad) {
            if (ok || !strstr(t->first_error, "not of the declared type and shape")) {
                t->failed++;
                print_message("FAILED %s/%s (listed as bad data: %s): %s\n", kind, names[i], bad,
                              ok ? "it passed" : t->first_error);
            } else {
                t->bad_data++;
                print_message("bad data %s/%s: %s\n", kind, names[i], bad);
            }
            free(names[i]);
            continue;
        }
        if (ok)
            t->passed++;
        else if (t->any_unsupported && !t->any_fail)
            t->unsupported++;
        else {
            t->failed++;
            print_message("FAILED %s/%s: %s\n", kind, names[i], t->first_error);
        }
        if (verbose && t->any_unsupported && !t->any_fail)
            print_message("unsupported %s/%s: %s\n", kind, names[i], t->first_error);
        for (size_t k = 0; k < nops; k++) {
            op_row *r = row(t, ops[k]);
            if (t->any_unsupported && !t->any_fail)
                r->refused++;
            else {
                r->run++;
                r->passed += ok;
            }
        }
        free(names[i]);
    }
    free(names);
    clo_buf_free(&b);
}

static void test_suite(void **state)
{
    (void)state;
    static tally t;
    int verbose = getenv("CLO_ONNX_VERBOSE") != NULL;
    memset(&t, 0, sizeof t);
    run_kind(&t, "node", verbose);
    run_kind(&t, "pytorch-converted", verbose);
    run_kind(&t, "pytorch-operator", verbose);
    run_kind(&t, "simple", verbose);
    qsort(t.ops, t.nops, sizeof t.ops[0], cmp_rows);
    /* Implemented operators in a table, then those whose tests are refused
     * because the operator itself is not implemented. */
    print_message("| operator | tests run | passed | refused (the model needs a type, mode or "
                  "operator not supported) |\n"
                  "|---|---|---|---|\n");
    for (size_t i = 0; i < t.nops; i++)
        if (clo_onnx_op_find(CLO_BYTES_EMPTY, clo_bytes_str(t.ops[i].name)))
            print_message("| %s | %u | %u | %u |\n", t.ops[i].name, t.ops[i].run, t.ops[i].passed,
                          t.ops[i].refused);
    print_message("\nNot implemented (tests refused):");
    for (size_t i = 0; i < t.nops; i++)
        if (!clo_onnx_op_find(CLO_BYTES_EMPTY, clo_bytes_str(t.ops[i].name)))
            print_message(" %s (%u)", t.ops[i].name, t.ops[i].refused);
    print_message("\n");
    /* Implemented operators the suite has no model for: their tests are the
     * hand-worked ones (onnx_ml, onnx_plan). */
    size_t nreg = clo_onnx_op_count(), unexercised = 0;
    print_message("\nImplemented, no suite model run:");
    for (size_t i = 0; i < nreg; i++) {
        const clo_onnx_op *op = clo_onnx_op_at(i);
        int seen = 0;
        for (size_t k = 0; k < t.nops && !seen; k++)
            seen = t.ops[k].run > 0 && !strcmp(t.ops[k].name, op->op_type);
        if (!seen) {
            print_message(" %s%s%s", op->domain, op->domain[0] ? "." : "", op->op_type);
            unexercised++;
        }
    }
    print_message("\nOperators implemented: %zu (%zu not in the suite)\n", nreg, unexercised);
    assert_null(clo_onnx_op_at(nreg));
    print_message("models: %u, passed %u, refused as unsupported %u, failed %u, suite data "
                  "inconsistent %u\n",
                  t.tests, t.passed, t.unsupported, t.failed, t.bad_data);
    assert_int_equal(t.failed, 0);
    assert_true(t.passed > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
