/* base_test.c — cursor, buffer, hex, constant-time helpers, secret memory, logger.
 * Negative cases first: truncated, trailing, over the limit, malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "base/ct.h"
#include "base/hex.h"
#include "base/log.h"
#include "base/secret.h"

static void test_cursor_rejects_truncation_and_trailing(void **state)
{
    (void)state;
    const uint8_t in[] = {0x01, 0x02, 0x03, 0x04, 0x05};
    clo_cur c = clo_cur_init(CLO_BYTES(in, sizeof in));
    uint32_t u32;
    uint64_t u64;
    clo_bytes v;
    assert_int_equal(clo_cur_u64be(&c, &u64).code, CLO_E_FORMAT); /* 8 > 5 */
    assert_int_equal(c.off, 0); /* a failed read consumes nothing */
    assert_int_equal(clo_cur_u32be(&c, &u32).code, CLO_OK_CODE);
    assert_int_equal(u32, 0x01020304);
    assert_int_equal(clo_cur_end(&c).code, CLO_E_FORMAT);
    assert_string_equal(clo_cur_end(&c).what, "trailing bytes");
    assert_int_equal(clo_cur_take(&c, 2, &v).code, CLO_E_FORMAT);
    assert_int_equal(clo_cur_take(&c, SIZE_MAX, &v).code, CLO_E_FORMAT); /* no overflow */
    assert_int_equal(clo_cur_take(&c, 1, &v).code, CLO_OK_CODE);
    assert_int_equal(v.ptr[0], 0x05);
    assert_int_equal(clo_cur_end(&c).code, CLO_OK_CODE);

    c = clo_cur_init(CLO_BYTES(in, sizeof in));
    uint16_t u16;
    assert_int_equal(clo_cur_u16le(&c, &u16).code, CLO_OK_CODE);
    assert_int_equal(u16, 0x0201);
    assert_int_equal(clo_cur_u32le(&c, &u32).code, CLO_E_FORMAT);
    assert_int_equal(clo_cur_skip(&c, 3).code, CLO_OK_CODE);
    assert_int_equal(clo_cur_left(&c), 0);
}

static void test_buffer_limits(void **state)
{
    (void)state;
    clo_buf b;
    uint8_t *p;
    clo_buf_init(&b, 10);
    assert_int_equal(clo_buf_append(&b, "0123456789", 10).code, CLO_OK_CODE);
    assert_int_equal(clo_buf_u8(&b, 'x').code, CLO_E_LIMIT);
    assert_int_equal(b.len, 10); /* a refused append changes nothing */
    assert_int_equal(clo_buf_extend(&b, SIZE_MAX, &p).code, CLO_E_LIMIT);
    clo_buf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_true(clo_ct_is_zero(b.ptr, b.cap));
    clo_buf_free(&b);
    assert_null(b.ptr);

    clo_buf_init(&b, 1 << 20);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(clo_buf_u32be(&b, (uint32_t)i).code, CLO_OK_CODE);
    assert_int_equal(b.len, 4000);
    assert_int_equal(b.ptr[3999], 999 & 0xff);
    assert_int_equal(clo_buf_u64be(&b, 0x0102030405060708ULL).code, CLO_OK_CODE);
    assert_int_equal(b.ptr[4000], 1);
    clo_buf_free(&b);
}

static void test_hex(void **state)
{
    (void)state;
    clo_buf b;
    uint8_t fixed[2];
    char out[7];
    clo_buf_init(&b, 16);
    assert_int_equal(clo_hex_decode(&b, "abc").code, CLO_E_FORMAT);
    assert_int_equal(clo_hex_decode(&b, "zz").code, CLO_E_FORMAT);
    assert_int_equal(clo_hex_decode(&b, NULL).code, CLO_E_ARG);
    assert_int_equal(b.len, 0);
    assert_int_equal(clo_hex_decode(&b, "0xDEadBe").code, CLO_OK_CODE);
    assert_int_equal(b.len, 3);
    clo_hex_encode(out, clo_buf_view(&b));
    assert_string_equal(out, "deadbe");
    assert_int_equal(clo_hex_decode_fixed(fixed, 2, "aabbcc").code, CLO_E_FORMAT);
    assert_int_equal(clo_hex_decode_fixed(fixed, 2, "aabb").code, CLO_OK_CODE);
    assert_int_equal(fixed[1], 0xbb);
    assert_int_equal(clo_hex_decode(&b, "").code, CLO_OK_CODE);
    /* every byte value round-trips, and every non-hex character is refused */
    uint8_t all[256], dec[256];
    char enc[513];
    for (int i = 0; i < 256; i++) all[i] = (uint8_t)i;
    clo_hex_encode(enc, CLO_BYTES(all, 256));
    assert_int_equal(clo_hex_decode_fixed(dec, 256, enc).code, CLO_OK_CODE);
    assert_memory_equal(dec, all, 256);
    for (int c = 1; c < 256; c++) {
        char two[3] = {'a', (char)c, 0};
        int is_hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        assert_int_equal(clo_hex_decode_fixed(fixed, 1, two).code == CLO_OK_CODE, is_hex);
        if (is_hex) assert_int_equal(fixed[0], 0xa0 | (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10));
    }
    size_t before = b.len;
    assert_int_equal(clo_hex_decode(&b, "00zz").code, CLO_E_FORMAT);
    assert_int_equal(b.len, before); /* a refused decode appends nothing */
    clo_buf_free(&b);
}

static void test_ct_and_wipe(void **state)
{
    (void)state;
    uint8_t a[33], b[33];
    memset(a, 7, sizeof a);
    memset(b, 7, sizeof b);
    assert_true(clo_ct_eq(a, b, sizeof a));
    for (size_t i = 0; i < sizeof a; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1 << bit);
            assert_false(clo_ct_eq(a, b, sizeof a));
            b[i] ^= (uint8_t)(1 << bit);
        }
    }
    assert_true(clo_ct_eq(a, b, 0));
    clo_wipe(a, sizeof a);
    assert_true(clo_ct_is_zero(a, sizeof a));
    a[32] = 1;
    assert_false(clo_ct_is_zero(a, sizeof a));
    clo_wipe(NULL, 5);
}

static long vm_locked_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

static void test_secret_alloc(void **state)
{
    (void)state;
    assert_null(clo_secret_alloc(0));
    long before = vm_locked_kb();
    uint8_t *p = clo_secret_alloc(100);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    assert_int_equal(clo_secret_size(p), 100);
    assert_true(clo_ct_is_zero(p, 100));
    memset(p, 0xa5, 100);
#if !defined(__SANITIZE_ADDRESS__)
    assert_true(vm_locked_kb() >
                before); /* the pages are locked in RAM (ASan makes mlock a no-op) */
#endif
    uint8_t *q = clo_secret_alloc(10000);
    assert_non_null(q);
    memset(q, 1, 10000);
    assert_int_equal(clo_secret_size(q), 10000);
    clo_secret_free(p);
    clo_secret_free(q);
    clo_secret_free(NULL);
    assert_int_equal(vm_locked_kb(), before);
}

/* Writing one byte past a secret block hits the guard page: the child dies by
 * SIGSEGV instead of silently touching a neighbour. */
static void test_secret_guard_page(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        volatile uint8_t *p = clo_secret_alloc(64);
        if (!p) _exit(2);
        signal(SIGSEGV, SIG_DFL); /* not cmocka's handler (ASan keeps its own) */
        p[63] = 1;                /* in bounds: fine */
        p[64] = 1;                /* one past the end */
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
#if defined(__SANITIZE_ADDRESS__)
    /* ASan's handler reports the fault and exits or aborts, per ASAN_OPTIONS */
    assert_false(WIFEXITED(status) && (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 2));
#else
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGSEGV);
#endif
}

static void test_logger_lines_are_json(void **state)
{
    (void)state;
    int fds[2];
    char text[8192] = {0};
    assert_int_equal(pipe(fds), 0);
    clo_log_set_fd(fds[1]);
    clo_log_set_level(CLO_LOG_INFO);
    uint8_t id[4] = {0xde, 0xad, 0xbe, 0xef};
    CLO_LOG(CLO_LOG_INFO, "job.accepted", CLO_LF_STR("who", "a \"quoted\"\nline\x01"),
            CLO_LF_I64("n", -5), CLO_LF_U64("u", 1ULL << 40), CLO_LF_BOOL("ok", 1),
            CLO_LF_HEX("job_id", CLO_BYTES(id, 4)));
    CLO_LOG0(CLO_LOG_DEBUG, "dropped.below.level");
    CLO_LOG0(CLO_LOG_WARN, "second");
    clo_log_set_fd(2);
    close(fds[1]);
    ssize_t n = read(fds[0], text, sizeof text - 1);
    close(fds[0]);
    assert_true(n > 0);
    char *save = NULL, *l1 = strtok_r(text, "\n", &save), *l2 = strtok_r(NULL, "\n", &save);
    assert_non_null(l1);
    assert_non_null(l2);
    assert_null(strtok_r(NULL, "\n", &save));
    json_error_t e;
    json_t *j = json_loads(l1, 0, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "event")), "job.accepted");
    assert_string_equal(json_string_value(json_object_get(j, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(j, "who")), "a \"quoted\"\nline\x01");
    assert_int_equal(json_integer_value(json_object_get(j, "n")), -5);
    assert_string_equal(json_string_value(json_object_get(j, "job_id")), "0xdeadbeef");
    assert_true(json_is_true(json_object_get(j, "ok")));
    assert_int_equal(json_integer_value(json_object_get(j, "u")), 1LL << 40);
    json_decref(j);
    j = json_loads(l2, 0, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
    json_decref(j);
}

static void test_error_names(void **state)
{
    (void)state;
    assert_string_equal(clo_code_name(CLO_E_AUTH), "auth");
    assert_string_equal(clo_code_name((clo_code)999), "unknown");
    for (int c = 0; c < CLO_E__COUNT; c++) {
        assert_non_null(clo_code_name((clo_code)c));
        assert_non_null(clo_code_text((clo_code)c));
    }
}

static void test_printable(void **state)
{
    (void)state;
    char out[8];
    static const uint8_t text[] = {'o', 'k', '\n', 0x00, 0x7f, 0xff, 'z', 'y', 'x'};
    assert_int_equal(clo_bytes_printable(out, sizeof out, CLO_BYTES(text, sizeof text)), 7);
    assert_string_equal(out, "ok????z"); /* controls and high bytes masked, cut to fit */
    assert_int_equal(clo_bytes_printable(out, 1, CLO_BYTES(text, 2)), 0);
    assert_string_equal(out, "");
    assert_int_equal(clo_bytes_printable(out, sizeof out, CLO_BYTES_EMPTY), 0);
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cursor_rejects_truncation_and_trailing),
        cmocka_unit_test(test_buffer_limits),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_ct_and_wipe),
        cmocka_unit_test(test_secret_alloc),
        cmocka_unit_test(test_secret_guard_page),
        cmocka_unit_test(test_logger_lines_are_json),
        cmocka_unit_test(test_error_names),
        cmocka_unit_test(test_printable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
