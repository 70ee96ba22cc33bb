/* train_test.c — the diagnosis flow's trainer: the CSV reader refuses
 * malformed files naming the line; logistic regression and the MLP reach
 * the expected held-out accuracy on the Wisconsin breast-cancer data (from
 * the Debian package python3-sklearn, extracted by scripts/deps.sh), measured
 * by running the exported ONNX file through the engine; training is
 * deterministic (same bytes, same model id); a separable toy set is learnt
 * exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/file.h"
#include "model/onnx_suite.h"
#include "model/train.h"

static void bad_csv(const char *text, size_t want_line, const char *what_part)
{
    clo_dataset d;
    size_t line;
    clo_err e = clo_dataset_parse_csv(clo_bytes_str(text), &d, &line);
    if (e.code != CLO_E_FORMAT && e.code != CLO_E_LIMIT) fail_msg("accepted: %s", text);
    if (line != want_line) fail_msg("line %zu, want %zu (%s)", line, want_line, text);
    if (what_part && !strstr(e.what, what_part)) fail_msg("'%s' lacks '%s'", e.what, what_part);
    assert_null(d.x);
}

static void test_csv_refusals(void **state)
{
    (void)state;
    bad_csv("", 1, "empty");
    bad_csv("two,3,a,b\n", 1, "header");
    bad_csv("2,2,only\n1,2,0\n3,4,1\n", 1, "two class names");
    bad_csv("2,2,a,b\n1,2,0\n3,4\n", 3, "row");     /* a field short */
    bad_csv("2,2,a,b\n1,2,0\n3,x,1\n", 3, "row");   /* not a number */
    bad_csv("2,2,a,b\n1,2,0\n3,4,2\n", 3, "row");   /* class 2 of 2 */
    bad_csv("2,2,a,b\n1,2,0\n3,4,1,9\n", 3, "row"); /* an extra field */
    bad_csv("2,2,a,b\n1,2,0.5\n3,4,1\n", 2, "row"); /* a fractional class */
    bad_csv("3,2,a,b\n1,2,0\n3,4,1\n", 4, "fewer");
    bad_csv("1,2,a,b\n1,2,0\n3,4,1\n", 3, "more");
    bad_csv("0,2,a,b\n", 1, "range");
    bad_csv("2,2,a,b\n1,inf,0\n3,4,1\n", 2, "row");
    bad_csv("2,2,a,b\n1,1e39,0\n3,4,1\n", 2, "row"); /* past float32: found by the fuzzer */
    bad_csv("2,2,,b\n1,2,0\n3,4,1\n", 1, "empty class name");
    clo_dataset d;
    size_t line;
    assert_int_equal(
        clo_dataset_parse_csv(clo_bytes_str("2,2,a,b\r\n1,2,0\r\n3,4,1\r\n"), &d, &line).code,
        CLO_OK_CODE);
    assert_true(d.rows == 2 && d.features == 2 && d.classes == 2 && d.y[1] == 1 && d.x[2] == 3.0f);
    assert_string_equal(d.class_names[1], "b");
    clo_dataset_free(&d);
}

static void load_breast_cancer(clo_dataset *d)
{
    clo_buf text;
    clo_buf_init(&text, (size_t)64 << 20);
    const char *path =
        getenv("CLO_DATASETS") ? getenv("CLO_DATASETS") : CLO_SOURCE_DIR "/data/datasets";
    char file[1024];
    snprintf(file, sizeof file, "%s/breast_cancer.csv", path);
    if (clo_file_read(file, &text).code)
        fail_msg("%s is missing: run scripts/deps.sh (make test does)", file);
    size_t line;
    assert_int_equal(clo_dataset_parse_csv(clo_buf_view(&text), d, &line).code, CLO_OK_CODE);
    clo_buf_free(&text);
    assert_true(d->rows == 569 && d->features == 30 && d->classes == 2);
    assert_string_equal(d->class_names[0], "malignant");
}

static void train_and_check(clo_model_kind kind, double min_accuracy)
{
    clo_dataset d;
    load_breast_cancer(&d);
    clo_train_opts o;
    clo_train_defaults(kind, &o);
    clo_buf a, b;
    clo_buf_init(&a, (size_t)1 << 24);
    clo_buf_init(&b, (size_t)1 << 24);
    clo_train_report r, r2;
    assert_int_equal(clo_train(&d, &o, &a, &r).code, CLO_OK_CODE);
    assert_true(r.train_rows == 455 && r.test_rows == 114);
    double acc;
    assert_int_equal(clo_train_evaluate(clo_buf_view(&a), &d, r.test_index, r.test_rows, &acc).code,
                     CLO_OK_CODE);
    print_message("%s: train %.4f, held-out %.4f (engine)\n",
                  kind == CLO_MODEL_MLP ? "mlp" : "logreg", r.train_accuracy, acc);
    assert_true(acc >= min_accuracy);
    /* the held-out rows were not trained on: no index appears twice */
    for (size_t i = 1; i < r.test_rows; i++) assert_true(r.test_index[i] != r.test_index[i - 1]);
    /* deterministic: the same bytes again */
    assert_int_equal(clo_train(&d, &o, &b, &r2).code, CLO_OK_CODE);
    assert_true(a.len == b.len && !memcmp(a.ptr, b.ptr, a.len));
    /* another seed gives another model */
    clo_train_report_free(&r2);
    clo_buf_clear(&b);
    o.seed++;
    assert_int_equal(clo_train(&d, &o, &b, &r2).code, CLO_OK_CODE);
    assert_false(a.len == b.len && !memcmp(a.ptr, b.ptr, a.len));
    clo_train_report_free(&r);
    clo_train_report_free(&r2);
    clo_buf_free(&a);
    clo_buf_free(&b);
    clo_dataset_free(&d);
}

static void test_logreg(void **state)
{
    (void)state;
    train_and_check(CLO_MODEL_LOGREG, 0.93);
}

static void test_mlp(void **state)
{
    (void)state;
    train_and_check(CLO_MODEL_MLP, 0.93);
}

static void test_separable(void **state)
{
    (void)state;
    /* class = x0 > x1, 40 points on a grid away from the diagonal */
    char text[4096];
    size_t off = (size_t)snprintf(text, sizeof text, "40,2,below,above\n");
    for (int i = 0; i < 40; i++) {
        int x0 = i % 8, x1 = (i * 5) % 9;
        if (x0 == x1) x1 = (x1 + 4) % 9;
        off += (size_t)snprintf(text + off, sizeof text - off, "%d,%d,%d\n", x0, x1, x0 > x1);
    }
    clo_dataset d;
    size_t line;
    assert_int_equal(clo_dataset_parse_csv(clo_bytes_str(text), &d, &line).code, CLO_OK_CODE);
    clo_train_opts o;
    clo_train_defaults(CLO_MODEL_LOGREG, &o);
    o.epochs = 3000;
    o.l2 = 0;
    clo_buf m;
    clo_buf_init(&m, 1 << 20);
    clo_train_report r;
    assert_int_equal(clo_train(&d, &o, &m, &r).code, CLO_OK_CODE);
    uint32_t all[40];
    for (uint32_t i = 0; i < 40; i++) all[i] = i;
    double acc;
    assert_int_equal(clo_train_evaluate(clo_buf_view(&m), &d, all, 40, &acc).code, CLO_OK_CODE);
    assert_true(acc == 1.0);
    clo_train_report_free(&r);
    clo_buf_free(&m);
    clo_dataset_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_refusals),
        cmocka_unit_test(test_logreg),
        cmocka_unit_test(test_mlp),
        cmocka_unit_test(test_separable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
