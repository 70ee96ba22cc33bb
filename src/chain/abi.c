/* abi.c — Solidity ABI types, encoding and strict decoding. */
#include "chain/abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keccak.h"

#define ABI_MAX_FIXED_COUNT 4096
#define ABI_MAX_MEMBERS     256

/* ---------------------------------------------------------------- types -- */

void clo_abi_type_free(clo_abi_type *t)
{
    if (!t) return;
    clo_abi_type_free(t->elem);
    if (t->members)
        for (size_t i = 0; i < t->count; i++) clo_abi_type_free(t->members[i]);
    free(t->members);
    free(t);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Decimal without leading zeros, at most max. */
static clo_err parse_num(const char **p, size_t max, size_t *out)
{
    size_t v = 0;
    const char *s = *p;
    CLO_ENSURE(is_digit(*s) && (*s != '0' || !is_digit(s[1])), CLO_E_FORMAT, "abi.type_number");
    while (is_digit(*s)) {
        v = v * 10 + (size_t)(*s++ - '0');
        CLO_ENSURE(v <= max, CLO_E_LIMIT, "abi.type_number");
    }
    *p = s;
    *out = v;
    return CLO_OK;
}

static clo_err parse_type(const char **p, int depth, clo_abi_type **out);

static clo_err parse_tuple(const char **p, int depth, clo_abi_type *t)
{
    t->kind = CLO_ABI_TUPLE;
    (*p)++; /* '(' */
    if (**p == ')') {
        (*p)++;
        return CLO_OK;
    }
    for (;;) {
        CLO_ENSURE(t->count < ABI_MAX_MEMBERS, CLO_E_LIMIT, "abi.tuple_members");
        clo_abi_type **m = realloc(t->members, (t->count + 1) * sizeof *m);
        CLO_ENSURE(m != NULL, CLO_E_NOMEM, "abi.type");
        t->members = m;
        t->members[t->count++] = NULL; /* counted now, so a failure below frees it */
        CLO_TRY(parse_type(p, depth + 1, &t->members[t->count - 1]));
        if (**p == ')') break;
        CLO_ENSURE(**p == ',', CLO_E_FORMAT, "abi.tuple_syntax");
        (*p)++;
    }
    (*p)++;
    return CLO_OK;
}

static clo_err parse_atom(const char **p, clo_abi_type *t)
{
    static const struct {
        const char *name;
        clo_abi_kind kind;
    } names[] = {{"uint", CLO_ABI_UINT}, {"int", CLO_ABI_INT},     {"address", CLO_ABI_ADDRESS},
                 {"bool", CLO_ABI_BOOL}, {"bytes", CLO_ABI_BYTES}, {"string", CLO_ABI_STRING}};
    const char *s = *p;
    size_t n = 0, size = 0;
    while (s[n] >= 'a' && s[n] <= 'z') n++;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) != n || memcmp(s, names[i].name, n) != 0) continue;
        t->kind = names[i].kind;
        s += n;
        int sized = t->kind == CLO_ABI_UINT || t->kind == CLO_ABI_INT || t->kind == CLO_ABI_BYTES;
        if (sized && is_digit(*s)) {
            CLO_TRY(parse_num(&s, 256, &size));
            if (t->kind == CLO_ABI_BYTES) {
                CLO_ENSURE(size >= 1 && size <= 32, CLO_E_FORMAT, "abi.bytes_size");
                t->kind = CLO_ABI_FIXED_BYTES;
            } else {
                CLO_ENSURE(size >= 8 && size % 8 == 0, CLO_E_FORMAT, "abi.int_size");
            }
            t->size = (unsigned)size;
        } else if (t->kind == CLO_ABI_UINT || t->kind == CLO_ABI_INT) {
            t->size = 256;
        }
        *p = s;
        return CLO_OK;
    }
    return CLO_ERR(CLO_E_FORMAT, "abi.type_name");
}

static clo_err parse_type(const char **p, int depth, clo_abi_type **out)
{
    CLO_ENSURE(depth < CLO_ABI_MAX_DEPTH, CLO_E_LIMIT, "abi.type_depth");
    clo_abi_type *t = calloc(1, sizeof *t);
    CLO_ENSURE(t != NULL, CLO_E_NOMEM, "abi.type");
    *out = t;
    if (**p == '(')
        CLO_TRY(parse_tuple(p, depth, t));
    else
        CLO_TRY(parse_atom(p, t));
    while (**p == '[') {
        CLO_ENSURE(++depth < CLO_ABI_MAX_DEPTH, CLO_E_LIMIT, "abi.type_depth");
        clo_abi_type *arr = calloc(1, sizeof *arr);
        CLO_ENSURE(arr != NULL, CLO_E_NOMEM, "abi.type");
        arr->elem = *out;
        *out = arr;
        (*p)++;
        arr->kind = CLO_ABI_ARRAY;
        if (**p != ']') {
            arr->kind = CLO_ABI_FIXED_ARRAY;
            CLO_TRY(parse_num(p, ABI_MAX_FIXED_COUNT, &arr->count));
            CLO_ENSURE(arr->count > 0, CLO_E_FORMAT, "abi.array_size");
        }
        CLO_ENSURE(**p == ']', CLO_E_FORMAT, "abi.array_syntax");
        (*p)++;
    }
    return CLO_OK;
}

clo_err clo_abi_type_parse(const char *text, clo_abi_type **out)
{
    const char *p = text;
    *out = NULL;
    clo_err err = parse_type(&p, 0, out);
    if (!err.code && *p) err = CLO_ERR(CLO_E_FORMAT, "abi.type_trailing");
    if (err.code) {
        clo_abi_type_free(*out);
        *out = NULL;
    }
    return err;
}

static int type_dynamic(const clo_abi_type *t)
{
    switch (t->kind) {
    case CLO_ABI_BYTES:
    case CLO_ABI_STRING:
    case CLO_ABI_ARRAY: return 1;
    case CLO_ABI_FIXED_ARRAY: return type_dynamic(t->elem);
    case CLO_ABI_TUPLE:
        for (size_t i = 0; i < t->count; i++)
            if (type_dynamic(t->members[i])) return 1;
        return 0;
    default: return 0;
    }
}

/* Head size of a static type (callers check it is static). Nested fixed
 * arrays multiply, so the product is checked against overflow. */
static clo_err type_static_size(const clo_abi_type *t, size_t *out)
{
    size_t n = 0, each;
    switch (t->kind) {
    case CLO_ABI_FIXED_ARRAY:
        CLO_TRY(type_static_size(t->elem, &each));
        CLO_ENSURE(each <= (SIZE_MAX / 2) / t->count, CLO_E_LIMIT, "abi.type_size");
        *out = each * t->count;
        return CLO_OK;
    case CLO_ABI_TUPLE:
        for (size_t i = 0; i < t->count; i++) {
            CLO_TRY(type_static_size(t->members[i], &each));
            CLO_ENSURE(n <= SIZE_MAX / 2 - each, CLO_E_LIMIT, "abi.type_size");
            n += each;
        }
        *out = n;
        return CLO_OK;
    default: *out = 32; return CLO_OK;
    }
}

/* ---------------------------------------------------------- constructors -- */

clo_abi_val clo_abi_word(const uint8_t w[32])
{
    clo_abi_val v = {.kind = CLO_ABI_UINT};
    memcpy(v.word, w, 32);
    return v;
}

clo_abi_val clo_abi_uint(uint64_t x)
{
    clo_abi_val v = {.kind = CLO_ABI_UINT};
    clo_store_u64be(v.word + 24, x);
    return v;
}

clo_abi_val clo_abi_address(const uint8_t a[20])
{
    clo_abi_val v = {.kind = CLO_ABI_ADDRESS};
    memcpy(v.word + 12, a, 20);
    return v;
}

clo_abi_val clo_abi_bool(int b)
{
    clo_abi_val v = {.kind = CLO_ABI_BOOL};
    v.word[31] = b ? 1 : 0;
    return v;
}

clo_abi_val clo_abi_bytes(clo_bytes b)
{
    clo_abi_val v = {.kind = CLO_ABI_BYTES};
    v.bytes = b;
    return v;
}

clo_abi_val clo_abi_string(const char *s)
{
    clo_abi_val v = {.kind = CLO_ABI_STRING};
    v.bytes = clo_bytes_str(s);
    return v;
}

static clo_abi_val abi_list(clo_abi_kind kind, clo_abi_val *items, size_t count)
{
    clo_abi_val v = {.kind = kind};
    v.items = items;
    v.count = count;
    return v;
}

clo_abi_val clo_abi_tuple(clo_abi_val *items, size_t count)
{
    return abi_list(CLO_ABI_TUPLE, items, count);
}

clo_abi_val clo_abi_array(clo_abi_val *items, size_t count)
{
    return abi_list(CLO_ABI_ARRAY, items, count);
}

clo_abi_val clo_abi_fixed_array(clo_abi_val *items, size_t count)
{
    return abi_list(CLO_ABI_FIXED_ARRAY, items, count);
}

/* -------------------------------------------------------------- encoding -- */

static int val_dynamic(const clo_abi_val *v)
{
    switch (v->kind) {
    case CLO_ABI_BYTES:
    case CLO_ABI_STRING:
    case CLO_ABI_ARRAY: return 1;
    case CLO_ABI_TUPLE:
    case CLO_ABI_FIXED_ARRAY:
        for (size_t i = 0; i < v->count; i++)
            if (val_dynamic(&v->items[i])) return 1;
        return 0;
    default: return 0;
    }
}

/* Bytes a static value occupies in place: a word per atom. */
static size_t val_static_size(const clo_abi_val *v)
{
    if (v->kind != CLO_ABI_TUPLE && v->kind != CLO_ABI_FIXED_ARRAY) return 32;
    size_t n = 0;
    for (size_t i = 0; i < v->count; i++) n += val_static_size(&v->items[i]);
    return n;
}

static clo_err put_word_u64(clo_buf *out, uint64_t x)
{
    uint8_t w[32] = {0};
    clo_store_u64be(w + 24, x);
    return clo_buf_append(out, w, 32);
}

static clo_err encode_value(const clo_abi_val *v, clo_buf *out, int depth);

/* Heads then tails: a static item is encoded in place, a dynamic one by the
 * offset (from the start of this sequence) of its tail. */
static clo_err encode_seq(const clo_abi_val *items, size_t count, clo_buf *out, int depth)
{
    size_t start = out->len;
    for (size_t i = 0; i < count; i++) {
        if (val_dynamic(&items[i]))
            CLO_TRY(put_word_u64(out, 0));
        else
            CLO_TRY(encode_value(&items[i], out, depth + 1));
    }
    size_t head = start;
    for (size_t i = 0; i < count; i++) {
        if (!val_dynamic(&items[i])) {
            head += val_static_size(&items[i]);
            continue;
        }
        uint8_t w[32] = {0};
        clo_store_u64be(w + 24, (uint64_t)(out->len - start));
        memcpy(out->ptr + head, w, 32);
        head += 32;
        CLO_TRY(encode_value(&items[i], out, depth + 1));
    }
    return CLO_OK;
}

static clo_err encode_value(const clo_abi_val *v, clo_buf *out, int depth)
{
    CLO_ENSURE(depth < CLO_ABI_MAX_DEPTH, CLO_E_LIMIT, "abi.depth");
    switch (v->kind) {
    case CLO_ABI_BYTES:
    case CLO_ABI_STRING: {
        static const uint8_t zero[32] = {0};
        CLO_TRY(put_word_u64(out, v->bytes.len));
        CLO_TRY(clo_buf_append_bytes(out, v->bytes));
        return clo_buf_append(out, zero, (32 - v->bytes.len % 32) % 32);
    }
    case CLO_ABI_ARRAY:
        CLO_TRY(put_word_u64(out, v->count));
        return encode_seq(v->items, v->count, out, depth);
    case CLO_ABI_TUPLE:
    case CLO_ABI_FIXED_ARRAY: return encode_seq(v->items, v->count, out, depth);
    default: return clo_buf_append(out, v->word, 32);
    }
}

clo_err clo_abi_encode(const clo_abi_val *v, clo_buf *out)
{
    size_t mark = out->len;
    clo_err err = encode_value(v, out, 0);
    if (err.code) clo_buf_truncate(out, mark);
    return err;
}

void clo_abi_selector(const char *signature, uint8_t out[4])
{
    uint8_t h[32];
    clo_keccak256(clo_bytes_str(signature), h);
    memcpy(out, h, 4);
}

clo_err clo_abi_encode_call(const char *signature, const clo_abi_val *args, clo_buf *out)
{
    uint8_t sel[4];
    size_t mark = out->len;
    clo_abi_selector(signature, sel);
    CLO_TRY(clo_buf_append(out, sel, 4));
    clo_err err = clo_abi_encode(args, out);
    if (err.code) clo_buf_truncate(out, mark);
    return err;
}

/* -------------------------------------------------------------- decoding -- */

typedef struct {
    size_t nodes_left;
} abi_dec;

static clo_err read_len(clo_bytes region, size_t at, size_t *out)
{
    CLO_ENSURE(at <= region.len && region.len - at >= 32, CLO_E_FORMAT, "abi.truncated");
    const uint8_t *w = region.ptr + at;
    for (int k = 0; k < 24; k++) CLO_ENSURE(w[k] == 0, CLO_E_FORMAT, "abi.length_too_large");
    uint64_t v = 0;
    for (int k = 24; k < 32; k++) v = (v << 8) | w[k];
    CLO_ENSURE(v <= region.len, CLO_E_FORMAT, "abi.length_out_of_range");
    *out = (size_t)v;
    return CLO_OK;
}

static clo_err check_atom(const clo_abi_type *t, const uint8_t w[32])
{
    size_t k;
    switch (t->kind) {
    case CLO_ABI_UINT:
        for (k = 0; k < (256 - t->size) / 8; k++)
            CLO_ENSURE(w[k] == 0, CLO_E_FORMAT, "abi.uint_range");
        return CLO_OK;
    case CLO_ABI_INT: {
        uint8_t ext = (w[32 - t->size / 8] & 0x80) ? 0xff : 0x00;
        for (k = 0; k < (256 - t->size) / 8; k++)
            CLO_ENSURE(w[k] == ext, CLO_E_FORMAT, "abi.int_range");
        return CLO_OK;
    }
    case CLO_ABI_ADDRESS:
        for (k = 0; k < 12; k++) CLO_ENSURE(w[k] == 0, CLO_E_FORMAT, "abi.address_padding");
        return CLO_OK;
    case CLO_ABI_BOOL:
        for (k = 0; k < 31; k++) CLO_ENSURE(w[k] == 0, CLO_E_FORMAT, "abi.bool");
        CLO_ENSURE(w[31] <= 1, CLO_E_FORMAT, "abi.bool");
        return CLO_OK;
    case CLO_ABI_FIXED_BYTES:
        for (k = t->size; k < 32; k++) CLO_ENSURE(w[k] == 0, CLO_E_FORMAT, "abi.bytesN_padding");
        return CLO_OK;
    default: return CLO_ERR(CLO_E_ARG, "abi.not_an_atom");
    }
}

static clo_err decode_value(abi_dec *d, const clo_abi_type *t, clo_bytes region, size_t at,
                            clo_abi_val *out, int depth);

/* count items of types (members[i], or elem for every i) laid out as heads
 * starting at `at` in region; offsets are relative to `at`. */
static clo_err decode_seq(abi_dec *d, const clo_abi_type *t, size_t count, clo_bytes region,
                          size_t at, clo_abi_val *out, int depth)
{
    CLO_ENSURE(count <= d->nodes_left, CLO_E_LIMIT, "abi.too_many_values");
    d->nodes_left -= count;
    out->count = count;
    out->owned = 1;
    if (count == 0) return CLO_OK;
    out->items = calloc(count, sizeof *out->items);
    CLO_ENSURE(out->items != NULL, CLO_E_NOMEM, "abi.decode");
    CLO_ENSURE(at <= region.len, CLO_E_FORMAT, "abi.truncated");
    clo_bytes seq = CLO_BYTES(region.ptr + at, region.len - at);
    size_t head = 0;
    for (size_t i = 0; i < count; i++) {
        const clo_abi_type *it = t->kind == CLO_ABI_TUPLE ? t->members[i] : t->elem;
        if (type_dynamic(it)) {
            size_t off;
            CLO_TRY(read_len(seq, head, &off));
            CLO_TRY(decode_value(d, it, seq, off, &out->items[i], depth + 1));
            head += 32;
        } else {
            size_t sz;
            CLO_TRY(type_static_size(it, &sz));
            CLO_TRY(decode_value(d, it, seq, head, &out->items[i], depth + 1));
            head += sz;
        }
    }
    return CLO_OK;
}

static clo_err decode_value(abi_dec *d, const clo_abi_type *t, clo_bytes region, size_t at,
                            clo_abi_val *out, int depth)
{
    CLO_ENSURE(depth < CLO_ABI_MAX_DEPTH, CLO_E_LIMIT, "abi.depth");
    memset(out, 0, sizeof *out);
    out->kind = t->kind;
    switch (t->kind) {
    case CLO_ABI_BYTES:
    case CLO_ABI_STRING: {
        size_t len;
        CLO_TRY(read_len(region, at, &len));
        size_t padded = len + (32 - len % 32) % 32;
        CLO_ENSURE(region.len - at - 32 >= padded, CLO_E_FORMAT, "abi.bytes_truncated");
        const uint8_t *p = region.ptr + at + 32;
        for (size_t k = len; k < padded; k++)
            CLO_ENSURE(p[k] == 0, CLO_E_FORMAT, "abi.bytes_padding");
        out->bytes = CLO_BYTES(p, len);
        return CLO_OK;
    }
    case CLO_ABI_ARRAY: {
        size_t n, each = 32;
        CLO_TRY(read_len(region, at, &n));
        if (!type_dynamic(t->elem)) CLO_TRY(type_static_size(t->elem, &each));
        /* every element needs at least its head in the input */
        CLO_ENSURE(each == 0 || n <= (region.len - at - 32) / each, CLO_E_FORMAT,
                   "abi.array_truncated");
        return decode_seq(d, t, n, region, at + 32, out, depth);
    }
    case CLO_ABI_FIXED_ARRAY: return decode_seq(d, t, t->count, region, at, out, depth);
    case CLO_ABI_TUPLE: return decode_seq(d, t, t->count, region, at, out, depth);
    default:
        CLO_ENSURE(at <= region.len && region.len - at >= 32, CLO_E_FORMAT, "abi.truncated");
        memcpy(out->word, region.ptr + at, 32);
        return check_atom(t, out->word);
    }
}

clo_err clo_abi_decode(const clo_abi_type *t, clo_bytes in, clo_abi_val *out)
{
    abi_dec d = {in.len / 8 + 64};
    clo_err err = decode_value(&d, t, in, 0, out, 0);
    if (err.code) clo_abi_val_free(out);
    return err;
}

clo_err clo_abi_decode_as(const char *type, clo_bytes in, clo_abi_val *out)
{
    clo_abi_type *t;
    memset(out, 0, sizeof *out);
    CLO_TRY(clo_abi_type_parse(type, &t));
    clo_err err = clo_abi_decode(t, in, out);
    clo_abi_type_free(t);
    return err;
}

void clo_abi_val_free(clo_abi_val *v)
{
    if (!v || !v->owned) return;
    for (size_t i = 0; i < v->count && v->items; i++) clo_abi_val_free(&v->items[i]);
    free(v->items);
    v->items = NULL;
    v->count = 0;
    v->owned = 0;
}

clo_err clo_abi_get_u64(const clo_abi_val *v, uint64_t *out)
{
    for (int k = 0; k < 24; k++) CLO_ENSURE(v->word[k] == 0, CLO_E_LIMIT, "abi.u64_range");
    uint64_t x = 0;
    for (int k = 24; k < 32; k++) x = (x << 8) | v->word[k];
    *out = x;
    return CLO_OK;
}

void clo_abi_get_address(const clo_abi_val *v, uint8_t out[20])
{
    memcpy(out, v->word + 12, 20);
}

/* ------------------------------------------------------------ reverts -- */

static const char *panic_text(uint64_t code)
{
    switch (code) {
    case 0x01: return "assertion failed";
    case 0x11: return "arithmetic overflow or underflow";
    case 0x12: return "division or modulo by zero";
    case 0x21: return "invalid enum value";
    case 0x22: return "corrupt storage byte array";
    case 0x31: return "pop on an empty array";
    case 0x32: return "array index out of bounds";
    case 0x41: return "out of memory";
    case 0x51: return "call to an uninitialised function";
    default: return "unknown panic code";
    }
}

void clo_abi_revert_text(clo_bytes data, const char *const *custom, char *out, size_t cap)
{
    static const uint8_t ERROR_SEL[4] = {0x08, 0xc3, 0x79, 0xa0},
                         PANIC_SEL[4] = {0x4e, 0x48, 0x7b, 0x71};
    if (!cap) return;
    out[0] = 0;
    if (data.len == 0) {
        snprintf(out, cap, "reverted without a reason");
        return;
    }
    if (data.len < 4) {
        snprintf(out, cap, "reverted with %zu bytes of data", data.len);
        return;
    }
    clo_bytes args = CLO_BYTES(data.ptr + 4, data.len - 4);
    clo_abi_val v;
    if (memcmp(data.ptr, ERROR_SEL, 4) == 0 && !clo_abi_decode_as("(string)", args, &v).code) {
        int n = snprintf(out, cap, "reverted: ");
        if (n > 0 && (size_t)n < cap) /* node text goes to logs: printable only */
            clo_bytes_printable(out + n, cap - (size_t)n, v.items[0].bytes);
        clo_abi_val_free(&v);
        return;
    }
    if (memcmp(data.ptr, PANIC_SEL, 4) == 0 && !clo_abi_decode_as("(uint256)", args, &v).code) {
        uint64_t code = 0;
        CLO_IGNORE(clo_abi_get_u64(&v.items[0], &code));
        snprintf(out, cap, "panic 0x%02llx: %s", (unsigned long long)code, panic_text(code));
        clo_abi_val_free(&v);
        return;
    }
    for (size_t i = 0; custom && custom[i]; i++) {
        uint8_t sel[4];
        clo_abi_selector(custom[i], sel);
        if (memcmp(sel, data.ptr, 4) == 0) {
            snprintf(out, cap, "reverted: %s", custom[i]);
            return;
        }
    }
    snprintf(out, cap, "reverted with custom error 0x%02x%02x%02x%02x", data.ptr[0], data.ptr[1],
             data.ptr[2], data.ptr[3]);
}
