/* jsonraw.c — a validating JSON skipper (RFC 8259 syntax) that reports spans. */
#include "base/jsonraw.h"

#include <string.h>

#define MAX_DEPTH 64

typedef struct {
    const uint8_t *p, *end;
} scan;

static void ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

static int is_hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}
static int is_digit(uint8_t c)
{
    return c >= '0' && c <= '9';
}

/* On success s->p is past the closing quote; *body is the content between quotes. */
static clo_err string(scan *s, clo_bytes *body)
{
    CLO_ENSURE(s->p < s->end && *s->p == '"', CLO_E_FORMAT, "json: string expected");
    const uint8_t *start = ++s->p;
    while (s->p < s->end && *s->p != '"') {
        uint8_t c = *s->p++;
        CLO_ENSURE(c >= 0x20, CLO_E_FORMAT, "json: control character in string");
        if (c == '\\') {
            CLO_ENSURE(s->p < s->end, CLO_E_FORMAT, "json: truncated escape");
            c = *s->p++;
            if (c == 'u') {
                CLO_ENSURE(s->end - s->p >= 4 && is_hex(s->p[0]) && is_hex(s->p[1]) &&
                               is_hex(s->p[2]) && is_hex(s->p[3]),
                           CLO_E_FORMAT, "json: bad \\u escape");
                s->p += 4;
            } else {
                CLO_ENSURE(strchr("\"\\/bfnrt", c) != NULL && c != 0, CLO_E_FORMAT,
                           "json: bad escape");
            }
        }
    }
    CLO_ENSURE(s->p < s->end, CLO_E_FORMAT, "json: unterminated string");
    *body = CLO_BYTES(start, (size_t)(s->p - start));
    s->p++;
    return CLO_OK;
}

static clo_err number(scan *s)
{
    if (s->p < s->end && *s->p == '-') s->p++;
    CLO_ENSURE(s->p < s->end && is_digit(*s->p), CLO_E_FORMAT, "json: bad number");
    if (*s->p == '0')
        s->p++;
    else
        while (s->p < s->end && is_digit(*s->p)) s->p++;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        CLO_ENSURE(s->p < s->end && is_digit(*s->p), CLO_E_FORMAT, "json: bad number");
        while (s->p < s->end && is_digit(*s->p)) s->p++;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) s->p++;
        CLO_ENSURE(s->p < s->end && is_digit(*s->p), CLO_E_FORMAT, "json: bad number");
        while (s->p < s->end && is_digit(*s->p)) s->p++;
    }
    return CLO_OK;
}

static clo_err literal(scan *s, const char *lit)
{
    size_t n = strlen(lit);
    CLO_ENSURE((size_t)(s->end - s->p) >= n && memcmp(s->p, lit, n) == 0, CLO_E_FORMAT,
               "json: bad literal");
    s->p += n;
    return CLO_OK;
}

static clo_err value(scan *s, int depth);

static clo_err container(scan *s, int depth, uint8_t close)
{
    CLO_ENSURE(depth < MAX_DEPTH, CLO_E_LIMIT, "json: nested too deeply");
    s->p++; /* past '{' or '[' */
    ws(s);
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return CLO_OK;
    }
    for (;;) {
        if (close == '}') {
            clo_bytes k;
            CLO_TRY(string(s, &k));
            ws(s);
            CLO_ENSURE(s->p < s->end && *s->p == ':', CLO_E_FORMAT, "json: ':' expected");
            s->p++;
        }
        CLO_TRY(value(s, depth + 1));
        ws(s);
        CLO_ENSURE(s->p < s->end, CLO_E_FORMAT, "json: truncated");
        if (*s->p == close) {
            s->p++;
            return CLO_OK;
        }
        CLO_ENSURE(*s->p == ',', CLO_E_FORMAT, "json: ',' expected");
        s->p++;
        ws(s);
    }
}

static clo_err value(scan *s, int depth)
{
    clo_bytes str;
    ws(s);
    CLO_ENSURE(s->p < s->end, CLO_E_FORMAT, "json: value expected");
    switch (*s->p) {
    case '{': return container(s, depth, '}');
    case '[': return container(s, depth, ']');
    case '"': return string(s, &str);
    case 't': return literal(s, "true");
    case 'f': return literal(s, "false");
    case 'n': return literal(s, "null");
    default: return number(s);
    }
}

/* The raw value of member `key` (an object) or element `index` (an array,
 * key NULL) of `text`, which must be exactly that one container. */
static clo_err find(clo_bytes text, const char *key, size_t index, clo_bytes *out)
{
    scan s = {text.ptr, text.ptr + text.len};
    const uint8_t open = key ? '{' : '[', close = key ? '}' : ']';
    size_t klen = key ? strlen(key) : 0;
    int found = 0;
    ws(&s);
    CLO_ENSURE(s.p < s.end && *s.p == open, CLO_E_FORMAT,
               key ? "json: object expected" : "json: array expected");
    s.p++;
    ws(&s);
    if (s.p < s.end && *s.p == close) {
        s.p++;
    } else {
        for (size_t i = 0;; i++) {
            clo_bytes k = CLO_BYTES_EMPTY;
            if (key) {
                CLO_TRY(string(&s, &k));
                ws(&s);
                CLO_ENSURE(s.p < s.end && *s.p == ':', CLO_E_FORMAT, "json: ':' expected");
                s.p++;
                ws(&s);
            }
            const uint8_t *vstart = s.p;
            CLO_TRY(value(&s, 1));
            /* Keys with escapes never match: the keys looked up are plain ASCII. */
            if (key ? k.len == klen && memcmp(k.ptr, key, klen) == 0 : i == index) {
                CLO_ENSURE(!found, CLO_E_FORMAT, "json: member repeated");
                found = 1;
                *out = CLO_BYTES(vstart, (size_t)(s.p - vstart));
            }
            ws(&s);
            CLO_ENSURE(s.p < s.end, CLO_E_FORMAT, "json: truncated");
            if (*s.p == close) {
                s.p++;
                break;
            }
            CLO_ENSURE(*s.p == ',', CLO_E_FORMAT, "json: ',' expected");
            s.p++;
            ws(&s);
        }
    }
    ws(&s);
    CLO_ENSURE(s.p == s.end, CLO_E_FORMAT, "json: trailing bytes after the value");
    CLO_ENSURE(found, CLO_E_FORMAT, key ? "json: member absent" : "json: no such element");
    return CLO_OK;
}

clo_err clo_json_member_raw(clo_bytes text, const char *key, clo_bytes *out)
{
    return find(text, key, 0, out);
}

clo_err clo_json_element_raw(clo_bytes text, size_t index, clo_bytes *out)
{
    return find(text, NULL, index, out);
}
