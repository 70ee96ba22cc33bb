/* onnx_pb_test.c — the protocol buffers wire reader: its edge cases by hand,
 * then every model of the ONNX backend test suite (Debian libonnx-testdata)
 * walked down to its nodes' operator types. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "workloads/onnx/pb.h"

#define OK(x) assert_int_equal((x).code, CLO_OK_CODE)

static clo_err one(const uint8_t *p, size_t n, clo_pb_field *f)
{
    clo_cur c = clo_cur_init(CLO_BYTES(p, n));
    int done;
    CLO_TRY(clo_pb_next(&c, f, &done));
    CLO_ENSURE(!done, CLO_E_STATE, "empty");
    return clo_cur_end(&c);
}

static void test_wire(void **state)
{
    (void)state;
    clo_pb_field f;
    /* field 1 varint 150 (the protobuf documentation's example) */
    OK(one((const uint8_t[]){0x08, 0x96, 0x01}, 3, &f));
    assert_int_equal(f.field, 1);
    assert_int_equal(f.wire, CLO_PB_VARINT);
    assert_int_equal(f.v, 150);
    /* field 2 string "testing" */
    OK(one((const uint8_t[]){0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'}, 9, &f));
    assert_int_equal(f.b.len, 7);
    assert_memory_equal(f.b.ptr, "testing", 7);
    /* the largest varint: 2^64 - 1 in 10 bytes */
    uint8_t max[11] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    OK(one(max, 11, &f));
    assert_true(f.v == UINT64_MAX);
    /* fixed 32 and 64 */
    OK(one((const uint8_t[]){0x15, 0x00, 0x00, 0x80, 0x3f}, 5, &f)); /* 1.0f */
    assert_int_equal(f.v, 0x3f800000);
    OK(one((const uint8_t[]){0x19, 1, 0, 0, 0, 0, 0, 0, 0x80}, 9, &f));
    assert_true(f.v == 0x8000000000000001ull);
}

static void test_refusals(void **state)
{
    (void)state;
    clo_pb_field f;
    uint8_t over[11] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    assert_int_equal(one(over, 11, &f).code, CLO_E_FORMAT); /* more than 64 bits */
    uint8_t eleven[12] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x81, 0x01};
    assert_int_equal(one(eleven, 12, &f).code, CLO_E_FORMAT);
    assert_int_equal(one((const uint8_t[]){0x08, 0x96}, 2, &f).code, CLO_E_FORMAT); /* cut */
    assert_int_equal(one((const uint8_t[]){0x12, 0x08, 'x'}, 3, &f).code, CLO_E_FORMAT);
    assert_int_equal(one((const uint8_t[]){0x0b, 0x00}, 2, &f).code, CLO_E_FORMAT); /* group */
    assert_int_equal(one((const uint8_t[]){0x0c}, 1, &f).code, CLO_E_FORMAT);       /* end group */
    assert_int_equal(one((const uint8_t[]){0x00, 0x01}, 2, &f).code, CLO_E_FORMAT); /* field 0 */
    assert_int_equal(one((const uint8_t[]){0x1d, 0x00, 0x00}, 3, &f).code, CLO_E_FORMAT);
    int64_t v[2];
    size_t n;
    OK(clo_pb_packed_varints(CLO_BYTES("\x01\x96\x01\x03", 4), NULL, 0, &n));
    assert_int_equal(n, 3);
    assert_int_equal(clo_pb_packed_varints(CLO_BYTES("\x01\x96\x01\x03", 4), v, 2, &n).code,
                     CLO_E_LIMIT);
    assert_int_equal(clo_pb_packed_varints(CLO_BYTES("\x01\x96", 2), NULL, 0, &n).code,
                     CLO_E_FORMAT);
    assert_int_equal(clo_pb_packed_fixed32(CLO_BYTES("\x00\x00\x80", 3), &n).code, CLO_E_FORMAT);
}

/* ModelProto.graph (7) -> GraphProto.node (1) -> NodeProto.op_type (4). */
static clo_err op_types(clo_bytes model, size_t *nodes, int *has_conv)
{
    clo_cur c = clo_cur_init(model);
    clo_pb_field f;
    int done;
    for (;;) {
        CLO_TRY(clo_pb_next(&c, &f, &done));
        if (done) return CLO_OK;
        if (f.field != 7 || f.wire != CLO_PB_LEN) continue;
        clo_cur g = clo_cur_init(f.b);
        clo_pb_field gf;
        for (;;) {
            CLO_TRY(clo_pb_next(&g, &gf, &done));
            if (done) break;
            if (gf.field != 1 || gf.wire != CLO_PB_LEN) continue;
            clo_cur nc = clo_cur_init(gf.b);
            clo_pb_field nf;
            int seen = 0;
            for (;;) {
                CLO_TRY(clo_pb_next(&nc, &nf, &done));
                if (done) break;
                if (nf.field == 4 && nf.wire == CLO_PB_LEN) {
                    seen = 1;
                    if (nf.b.len == 4 && !memcmp(nf.b.ptr, "Conv", 4)) *has_conv = 1;
                }
            }
            CLO_ENSURE(seen, CLO_E_FORMAT, "node without op_type");
            (*nodes)++;
        }
    }
}

static void test_backend_suite(void **state)
{
    (void)state;
    const char *root = getenv("CLO_ONNX_TESTDATA");
    char dir[1024], path[2048];
    snprintf(dir, sizeof dir, "%s/node", root ? root : "/usr/share/libonnx-testdata/data");
    DIR *d = opendir(dir);
    assert_non_null(d); /* scripts/deps.sh installs libonnx-testdata */
    struct dirent *e;
    size_t models = 0, nodes = 0;
    int has_conv = 0;
    clo_buf b;
    clo_buf_init(&b, (size_t)64 << 20);
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s/model.onnx", dir, e->d_name);
        FILE *fp = fopen(path, "rb");
        if (!fp) continue;
        clo_buf_clear(&b);
        char chunk[65536];
        size_t k;
        while ((k = fread(chunk, 1, sizeof chunk, fp)) > 0) OK(clo_buf_append(&b, chunk, k));
        fclose(fp);
        size_t before = nodes;
        clo_err err = op_types(clo_buf_view(&b), &nodes, &has_conv);
        if (err.code) fail_msg("%s: %s", path, err.what);
        assert_true(nodes > before);
        models++;
    }
    closedir(d);
    clo_buf_free(&b);
    printf("walked %zu backend-suite node models, %zu nodes\n", models, nodes);
    assert_true(models > 900);
    assert_true(has_conv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_backend_suite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
