/* jsonpath.c — a number at a JSON path, as fixed point (see jsonpath.h). */
#include "workloads/jsonpath.h"

#include <string.h>

#include "base/jsonraw.h"

typedef struct {
    int is_index;
    size_t index;
    char name[CLO_JSONPATH_MAX_LEN];
} segment;

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* Segment *i of the path at *p; *p moves past it. */
static clo_err next_segment(const char **p, segment *seg)
{
    const char *s = *p;
    memset(seg, 0, sizeof *seg);
    if (*s == '.') {
        size_t n = 0;
        for (s++; name_char(*s); s++) seg->name[n++] = *s;
        CLO_ENSURE(n > 0, CLO_E_FORMAT, "jsonpath: empty name after '.'");
    } else if (s[0] == '[' && s[1] == '"') {
        size_t n = 0;
        for (s += 2; *s && *s != '"'; s++) {
            CLO_ENSURE(*s != '\\' && (unsigned char)*s >= 0x20, CLO_E_FORMAT,
                       "jsonpath: bad quoted name");
            seg->name[n++] = *s;
        }
        CLO_ENSURE(s[0] == '"' && s[1] == ']' && n > 0, CLO_E_FORMAT,
                   "jsonpath: unterminated [\"name\"]");
        s += 2;
    } else if (*s == '[') {
        size_t v = 0, n = 0;
        for (s++; *s >= '0' && *s <= '9'; s++, n++) {
            CLO_ENSURE(n < 6, CLO_E_LIMIT, "jsonpath: index too large");
            v = v * 10 + (size_t)(*s - '0');
        }
        CLO_ENSURE(n > 0 && *s == ']', CLO_E_FORMAT, "jsonpath: bad [index]");
        s++;
        seg->is_index = 1;
        seg->index = v;
    } else {
        return CLO_ERR(CLO_E_FORMAT, "jsonpath: '.name', '[index]' or '[\"name\"]' expected");
    }
    *p = s;
    return CLO_OK;
}

clo_err clo_jsonpath_check(const char *path)
{
    segment seg;
    CLO_ENSURE(path && path[0] == '$' && strlen(path) < CLO_JSONPATH_MAX_LEN, CLO_E_FORMAT,
               "jsonpath: must start with '$' (and be under 256 bytes)");
    const char *p = path + 1;
    for (int n = 0; *p; n++) {
        CLO_ENSURE(n < CLO_JSONPATH_MAX_SEGMENTS, CLO_E_LIMIT, "jsonpath: too many segments");
        CLO_TRY(next_segment(&p, &seg));
    }
    return CLO_OK;
}

/* A decimal number's text (JSON number grammar), scaled by 10^decimals and truncated. */
static clo_err fixed_point(clo_bytes t, unsigned decimals, int64_t *out)
{
    size_t i = 0;
    int neg = 0;
    long exp10 = 0;
    uint8_t digits[64];
    size_t nd = 0;
    long point = -1; /* digits before the decimal point */
    if (i < t.len && t.ptr[i] == '-') neg = 1, i++;
    CLO_ENSURE(i < t.len && t.ptr[i] >= '0' && t.ptr[i] <= '9', CLO_E_FORMAT,
               "jsonpath: not a number");
    for (; i < t.len && ((t.ptr[i] >= '0' && t.ptr[i] <= '9') || t.ptr[i] == '.'); i++) {
        if (t.ptr[i] == '.') {
            CLO_ENSURE(point < 0 && i + 1 < t.len && t.ptr[i + 1] >= '0' && t.ptr[i + 1] <= '9',
                       CLO_E_FORMAT, "jsonpath: not a number");
            point = (long)nd;
            continue;
        }
        if (nd == 0 && t.ptr[i] == '0' && point < 0) continue; /* leading zeros */
        CLO_ENSURE(nd < sizeof digits, CLO_E_LIMIT, "jsonpath: too many digits");
        digits[nd++] = (uint8_t)(t.ptr[i] - '0');
    }
    if (point < 0) point = (long)nd;
    if (i < t.len && (t.ptr[i] == 'e' || t.ptr[i] == 'E')) {
        int eneg = 0;
        long e = 0;
        i++;
        if (i < t.len && (t.ptr[i] == '+' || t.ptr[i] == '-')) eneg = t.ptr[i++] == '-';
        CLO_ENSURE(i < t.len && t.ptr[i] >= '0' && t.ptr[i] <= '9', CLO_E_FORMAT,
                   "jsonpath: not a number");
        for (; i < t.len && t.ptr[i] >= '0' && t.ptr[i] <= '9'; i++) {
            CLO_ENSURE(e < 1000, CLO_E_LIMIT, "jsonpath: exponent out of range");
            e = e * 10 + (t.ptr[i] - '0');
        }
        exp10 = eneg ? -e : e;
    }
    CLO_ENSURE(i == t.len, CLO_E_FORMAT, "jsonpath: not a number");
    /* value = 0.d1 d2 ... * 10^(point + exp10); keep the integer part of value * 10^decimals */
    long keep = point + exp10 + (long)decimals; /* digits that land before the point */
    CLO_ENSURE(keep <= 19, CLO_E_LIMIT, "jsonpath: value out of range");
    uint64_t v = 0;
    for (long k = 0; k < keep; k++) {
        uint64_t d = k < (long)nd ? digits[k] : 0;
        CLO_ENSURE(v <= (UINT64_MAX - d) / 10, CLO_E_LIMIT, "jsonpath: value out of range");
        v = v * 10 + d;
    }
    CLO_ENSURE(v <= (uint64_t)INT64_MAX, CLO_E_LIMIT, "jsonpath: value out of range");
    *out = neg ? -(int64_t)v : (int64_t)v;
    return CLO_OK;
}

clo_err clo_jsonpath_decimal(clo_bytes doc, const char *path, unsigned decimals, int64_t *out)
{
    CLO_ENSURE(decimals <= 18, CLO_E_ARG, "jsonpath: decimals");
    CLO_TRY(clo_jsonpath_check(path));
    clo_bytes cur = doc;
    const char *p = path + 1;
    while (*p) {
        segment seg;
        CLO_TRY(next_segment(&p, &seg));
        CLO_TRY(seg.is_index ? clo_json_element_raw(cur, seg.index, &cur)
                             : clo_json_member_raw(cur, seg.name, &cur));
    }
    /* trim the value's surrounding whitespace; a string's quotes come off */
    while (cur.len &&
           (cur.ptr[0] == ' ' || cur.ptr[0] == '\t' || cur.ptr[0] == '\n' || cur.ptr[0] == '\r'))
        cur.ptr++, cur.len--;
    while (cur.len && (cur.ptr[cur.len - 1] == ' ' || cur.ptr[cur.len - 1] == '\t' ||
                       cur.ptr[cur.len - 1] == '\n' || cur.ptr[cur.len - 1] == '\r'))
        cur.len--;
    if (cur.len >= 2 && cur.ptr[0] == '"') cur = CLO_BYTES(cur.ptr + 1, cur.len - 2);
    return fixed_point(cur, decimals, out);
}
