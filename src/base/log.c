/* log.c — JSON-lines logger. */
#include "base/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/hex.h"

#define LOG_LINE_MAX 8192 /* a longer line is cut and marked "truncated":true */

static _Atomic int g_fd = 2;
static _Atomic int g_level = CLO_LOG_INFO;

void clo_log_set_fd(int fd)
{
    atomic_store(&g_fd, fd);
}
void clo_log_set_level(clo_log_level min_level)
{
    atomic_store(&g_level, (int)min_level);
}

static const char *level_name(clo_log_level l)
{
    switch (l) {
    case CLO_LOG_DEBUG: return "debug";
    case CLO_LOG_INFO: return "info";
    case CLO_LOG_WARN: return "warn";
    default: return "error";
    }
}

clo_err clo_json_str(clo_buf *b, const char *s)
{
    CLO_TRY(clo_buf_u8(b, '"'));
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        char esc[8];
        const char *e = NULL;
        switch (*p) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                snprintf(esc, sizeof esc, "\\u%04x", *p);
                e = esc;
            }
        }
        if (e)
            CLO_TRY(clo_buf_append(b, e, strlen(e)));
        else
            CLO_TRY(clo_buf_u8(b, *p));
    }
    return clo_buf_u8(b, '"');
}

static clo_err append_cstr(clo_buf *b, const char *s)
{
    return clo_buf_append(b, s, strlen(s));
}

static clo_err append_field(clo_buf *b, const clo_log_field *f)
{
    char num[32];
    CLO_TRY(clo_buf_u8(b, ','));
    CLO_TRY(clo_json_str(b, f->key));
    CLO_TRY(clo_buf_u8(b, ':'));
    switch (f->type) {
    case CLO_LF_T_STR: return clo_json_str(b, f->v.s);
    case CLO_LF_T_I64: snprintf(num, sizeof num, "%" PRId64, f->v.i); return append_cstr(b, num);
    case CLO_LF_T_U64: snprintf(num, sizeof num, "%" PRIu64, f->v.u); return append_cstr(b, num);
    case CLO_LF_T_BOOL: return append_cstr(b, f->v.i ? "true" : "false");
    case CLO_LF_T_HEX: {
        uint8_t *dst;
        CLO_ENSURE(f->v.hex.len < LOG_LINE_MAX / 2, CLO_E_LIMIT, "log field");
        CLO_TRY(clo_buf_append(b, "\"0x", 3)); /* hex looks the same in logs as in JSON answers */
        CLO_TRY(clo_buf_extend(b, 2 * f->v.hex.len + 1, &dst));
        clo_hex_encode((char *)dst, f->v.hex);
        b->len--; /* drop the NUL */
        return clo_buf_u8(b, '"');
    }
    }
    return CLO_ERR(CLO_E_ARG, "log field type");
}

void clo_log_fields(clo_log_level level, const char *event, const clo_log_field *fields, size_t n)
{
    if ((int)level < atomic_load(&g_level)) return;
    struct timespec ts;
    struct tm tm;
    char head[96];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(head, sizeof head,
             "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\",\"event\":",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             ts.tv_nsec / 1000000, level_name(level));

    clo_buf b;
    clo_buf_init(&b, LOG_LINE_MAX);
    int truncated = append_cstr(&b, head).code || clo_json_str(&b, event).code;
    for (size_t i = 0; i < n && !truncated; i++) {
        size_t mark = b.len;
        if (append_field(&b, &fields[i]).code) {
            b.len = mark;
            truncated = 1;
        }
    }
    if (truncated && b.len + 20 < b.max && b.len > 0) (void)append_cstr(&b, ",\"truncated\":true");
    if (b.len + 2 <= b.max) (void)append_cstr(&b, "}\n");
    int fd = atomic_load(&g_fd);
    for (size_t off = 0; off < b.len;) {
        ssize_t w = write(fd, b.ptr + off, b.len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        off += (size_t)w;
    }
    clo_buf_free(&b);
}
