/* tv.c — test-vector helpers. */
#include "tv.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/file.h"
#include "base/hex.h"

#ifndef CLO_TESTVECTORS_DIR
#error "CLO_TESTVECTORS_DIR must be defined by the build"
#endif

__attribute__((format(printf, 1, 2))) static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fail();
}

const char *tv_path(const char *rel)
{
    static char buf[4096];
    const char *dir = getenv("CLO_TESTVECTORS");
    snprintf(buf, sizeof buf, "%s/%s", dir && *dir ? dir : CLO_TESTVECTORS_DIR, rel);
    return buf;
}

json_t *tv_json(const char *rel)
{
    json_error_t e;
    json_t *j = json_load_file(tv_path(rel), JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    if (!j) die("cannot load %s: %s (line %d)", tv_path(rel), e.text, e.line);
    return j;
}

clo_buf tv_read_file(const char *path)
{
    clo_buf b;
    clo_buf_init(&b, (size_t)1 << 30);
    clo_err err = clo_file_read(path, &b);
    if (err.code) die("cannot read %s: %s", path, err.what);
    return b;
}

clo_buf tv_hex_str(const char *hex)
{
    clo_buf b;
    clo_buf_init(&b, (size_t)1 << 28);
    if (clo_hex_decode(&b, hex).code) die("bad hex: %.60s", hex);
    return b;
}

const char *tv_str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) die("missing string field '%s'", key);
    return json_string_value(v);
}

long long tv_int(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v)) die("missing integer field '%s'", key);
    return json_integer_value(v);
}

clo_buf tv_hex(const json_t *obj, const char *key)
{
    return tv_hex_str(tv_str(obj, key));
}

int tv_has_flag(const json_t *obj, const char *key, const char *s)
{
    const json_t *arr = json_object_get(obj, key), *v;
    size_t i;
    json_array_foreach(arr, i,
                       v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return 1;
    return 0;
}

void tv_assert_bytes(const char *what, clo_bytes got, clo_bytes want)
{
    if (clo_bytes_eq(got, want)) return;
    char g[129] = {0}, w[129] = {0};
    clo_hex_encode(g, CLO_BYTES(got.ptr, got.len > 64 ? 64 : got.len));
    clo_hex_encode(w, CLO_BYTES(want.ptr, want.len > 64 ? 64 : want.len));
    die("%s mismatch: got %s (%zu bytes), want %s (%zu bytes)", what, g, got.len, w, want.len);
}
