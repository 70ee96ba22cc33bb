/* jsonread.c — the strict table-driven JSON object reader (see jsonread.h). */
#include "chain/jsonread.h"

#include <jansson.h>
#include <string.h>

#include "base/hex.h"

static clo_err read_doc(json_t *doc, const clo_jfield *fields, size_t n, clo_jread_fail *fail);

static clo_err member(const clo_jfield *f, json_t *v)
{
    const char *s = json_string_value(v);
    switch (f->kind) {
    case CLO_JF_HEX:
        CLO_ENSURE(s && !clo_hex_decode_fixed(f->dst, f->size, s).code, CLO_E_FORMAT, f->want);
        return CLO_OK;
    case CLO_JF_HEXBUF: {
        clo_buf *b = f->dst;
        CLO_ENSURE(s, CLO_E_FORMAT, f->want);
        clo_err e = clo_hex_decode(b, s);
        CLO_ENSURE(e.code != CLO_E_LIMIT, CLO_E_LIMIT, f->want);
        CLO_ENSURE(!e.code && b->len >= f->min, CLO_E_FORMAT, f->want);
        return CLO_OK;
    }
    case CLO_JF_UINT:
        CLO_ENSURE(json_is_integer(v) && json_integer_value(v) >= 0 &&
                       (uint64_t)json_integer_value(v) >= f->min &&
                       (uint64_t)json_integer_value(v) <= f->max,
                   CLO_E_FORMAT, f->want);
        *(uint64_t *)f->dst = (uint64_t)json_integer_value(v);
        return CLO_OK;
    case CLO_JF_STRING: {
        size_t len = s ? json_string_length(v) : 0;
        CLO_ENSURE(s && len >= 1 && len < f->size && strlen(s) == len, CLO_E_FORMAT, f->want);
        memcpy(f->dst, s, len + 1);
        return CLO_OK;
    }
    case CLO_JF_OBJECT: {
        clo_err e = read_doc(v, f->dst, f->size, NULL);
        return e.code ? CLO_ERR(e.code, f->want) : CLO_OK;
    }
    case CLO_JF_CUSTOM: return f->read(f->dst, v);
    case CLO_JF_HEXLIST: {
        size_t i;
        json_t *item;
        uint8_t(*out)[32] = f->dst;
        CLO_ENSURE(json_is_array(v) && json_array_size(v) >= f->min &&
                       json_array_size(v) <= f->size,
                   CLO_E_FORMAT, f->want);
        json_array_foreach(v, i, item)
        {
            const char *h = json_string_value(item);
            CLO_ENSURE(h && !clo_hex_decode_fixed(out[i], 32, h).code, CLO_E_FORMAT, f->want);
        }
        *f->count = json_array_size(v);
        return CLO_OK;
    }
    }
    return CLO_ERR(CLO_E_FORMAT, f->want);
}

static clo_err fail_at(clo_jread_fail *fail, clo_jr_kind kind, size_t field, clo_err e)
{
    if (fail) {
        fail->kind = kind;
        fail->field = field;
    }
    return e;
}

static clo_err read_doc(json_t *doc, const clo_jfield *fields, size_t n, clo_jread_fail *fail)
{
    const char *key;
    json_t *v;
    if (!json_is_object(doc))
        return fail_at(fail, CLO_JR_NOT_OBJECT, 0,
                       CLO_ERR(CLO_E_FORMAT, "body: not a JSON object"));
    json_object_foreach(doc, key, v)
    {
        size_t i = 0;
        while (i < n && strcmp(key, fields[i].name)) i++;
        if (i == n)
            return fail_at(fail, CLO_JR_UNKNOWN, 0,
                           CLO_ERR(CLO_E_FORMAT, "body: a member this request does not have"));
    }
    for (size_t i = 0; i < n; i++) /* the shape first, then the values */
        if (!json_object_get(doc, fields[i].name))
            return fail_at(fail, CLO_JR_MISSING, i, CLO_ERR(CLO_E_FORMAT, fields[i].want));
    for (size_t i = 0; i < n; i++) {
        clo_err e = member(&fields[i], json_object_get(doc, fields[i].name));
        if (e.code) return fail_at(fail, CLO_JR_VALUE, i, e);
    }
    return fail_at(fail, CLO_JR_OK, 0, CLO_OK);
}

clo_err clo_json_read_at(clo_bytes body, const clo_jfield *fields, size_t n, clo_jread_fail *fail)
{
    json_error_t je;
    json_t *doc = json_loadb((const char *)body.ptr, body.len, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        return fail_at(fail, strstr(je.text, "duplicate") ? CLO_JR_DUPLICATE : CLO_JR_JSON, 0,
                       CLO_ERR(CLO_E_FORMAT, "body: not JSON"));
    clo_err err = read_doc(doc, fields, n, fail);
    json_decref(doc);
    return err;
}

clo_err clo_json_read(clo_bytes body, const clo_jfield *fields, size_t n)
{
    return clo_json_read_at(body, fields, n, NULL);
}
