/* onnx_shape_test.c — counts, strides and broadcasting, on the examples of
 * ONNX's Broadcasting.md and their refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "workloads/onnx/shape.h"

#define OK(x) assert_int_equal((x).code, CLO_OK_CODE)

static clo_shape S(uint32_t rank, const int64_t *d)
{
    clo_shape s;
    memset(&s, 0, sizeof s);
    s.rank = rank;
    memcpy(s.d, d, rank * sizeof *d);
    return s;
}
#define SH(...) S(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t), (int64_t[]){__VA_ARGS__})

static void expect(clo_shape a, clo_shape b, clo_shape want)
{
    clo_shape in[2] = {a, b}, out;
    OK(clo_shape_broadcast(in, 2, &out));
    assert_true(clo_shape_equal(&out, &want));
}

static void test_broadcast(void **state)
{
    (void)state;
    /* Broadcasting.md, multidirectional */
    expect(SH(2, 3, 4, 5), SH(1), SH(2, 3, 4, 5)); /* a scalar-like tensor */
    expect(SH(2, 3, 4, 5), SH(5), SH(2, 3, 4, 5));
    expect(SH(4, 5), SH(2, 3, 4, 5), SH(2, 3, 4, 5));
    expect(SH(1, 4, 5), SH(2, 3, 1, 1), SH(2, 3, 4, 5));
    expect(SH(3, 4, 5), SH(2, 1, 1, 1), SH(2, 3, 4, 5));
    clo_shape scalar = {0, {0}};
    expect(scalar, SH(3, 4), SH(3, 4));
    expect(SH(0, 3), SH(1, 3), SH(0, 3)); /* an empty tensor stays empty */
    clo_shape bad[2] = {SH(2, 3), SH(3, 2)}, out;
    assert_int_equal(clo_shape_broadcast(bad, 2, &out).code, CLO_E_FORMAT);
    clo_shape three[3] = {SH(2, 1, 4), SH(3, 1), SH(1)};
    OK(clo_shape_broadcast(three, 3, &out));
    clo_shape want = SH(2, 3, 4);
    assert_true(clo_shape_equal(&out, &want));
    /* unidirectional: B to A */
    clo_shape a = SH(2, 3, 4, 5), b1 = SH(5), b2 = SH(3, 1, 5), b3 = SH(2, 3, 4, 5, 1);
    assert_true(clo_shape_broadcasts_to(&b1, &a));
    assert_true(clo_shape_broadcasts_to(&b2, &a));
    assert_false(clo_shape_broadcasts_to(&b3, &a));
    clo_shape b4 = SH(4, 4);
    assert_false(clo_shape_broadcasts_to(&b4, &a));
}

static void test_strides_counts(void **state)
{
    (void)state;
    int64_t st[CLO_ONNX_MAX_RANK];
    clo_shape s = SH(2, 1, 4);
    clo_shape_strides(&s, 0, st);
    assert_int_equal(st[0], 4);
    assert_int_equal(st[1], 4);
    assert_int_equal(st[2], 1);
    clo_shape_strides(&s, 1, st);
    assert_int_equal(st[1], 0);
    clo_shape out = SH(3, 2, 5, 4);
    clo_shape_broadcast_strides(&s, &out, st);
    assert_int_equal(st[0], 0); /* a leading dim s lacks */
    assert_int_equal(st[1], 4);
    assert_int_equal(st[2], 0); /* broadcast */
    assert_int_equal(st[3], 1);
    uint64_t n;
    OK(clo_shape_count(&out, &n));
    assert_int_equal(n, 120);
    clo_shape huge = SH(65536, 65536, 2);
    assert_int_equal(clo_shape_count(&huge, &n).code, CLO_E_LIMIT);
    clo_shape neg = SH(2, -1);
    assert_int_equal(clo_shape_count(&neg, &n).code, CLO_E_FORMAT);
    clo_shape empty = SH(3, 0, 1 << 30);
    OK(clo_shape_count(&empty, &n));
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_broadcast),
        cmocka_unit_test(test_strides_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
