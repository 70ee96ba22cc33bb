/* cli.c — option parsing and JSON output shared by every command. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/ct.h"
#include "base/file.h"
#include "base/hex.h"
#include "client/contracts.h"

static void print_help(const cli_spec *spec, FILE *f)
{
    fprintf(f, "usage: %s\n\n%s\n", spec->usage, spec->about);
    if (spec->count) fprintf(f, "\noptions:\n");
    for (size_t i = 0; i < spec->count; i++) {
        const cli_opt *o = &spec->opts[i];
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-26s %s%s\n", left, o->help, o->required ? " (required)" : "");
    }
    fprintf(f, "  %-26s %s\n", "--help", "show this help");
}

int cli_parse(const cli_spec *spec, int argc, char **argv, int *done)
{
    *done = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(spec, stdout);
            *done = 1;
            return CLI_EXIT_OK;
        }
        if (strncmp(a, "--", 2) != 0) {
            cli_error("unexpected argument '%s'\n\n", a);
            print_help(spec, stderr);
            return CLI_EXIT_USAGE;
        }
        cli_opt *o = NULL;
        for (size_t j = 0; j < spec->count; j++)
            if (strcmp(spec->opts[j].name, a + 2) == 0) o = &spec->opts[j];
        if (!o) {
            cli_error("unknown option '%s' (see --help)\n", a);
            return CLI_EXIT_USAGE;
        }
        if (o->value) {
            cli_error("option '%s' given twice\n", a);
            return CLI_EXIT_USAGE;
        }
        if (!o->arg) {
            o->value = "1";
            continue;
        }
        if (i + 1 >= argc) {
            cli_error("option '%s' needs a value %s\n", a, o->arg);
            return CLI_EXIT_USAGE;
        }
        o->value = argv[++i];
    }
    for (size_t j = 0; j < spec->count; j++) {
        if (spec->opts[j].required && !spec->opts[j].value) {
            cli_error("missing required option --%s (see --help)\n", spec->opts[j].name);
            return CLI_EXIT_USAGE;
        }
    }
    return CLI_EXIT_OK;
}

const char *cli_get(const cli_spec *spec, const char *name)
{
    for (size_t j = 0; j < spec->count; j++)
        if (strcmp(spec->opts[j].name, name) == 0) return spec->opts[j].value;
    return NULL;
}

int cli_read_file(const char *what, const char *path, size_t max, clo_buf *out)
{
    clo_buf_init(out, max);
    clo_err err = clo_file_read(path, out);
    if (!err.code) return 0;
    cli_error("%s: cannot read '%s': %s\n", what, path,
              err.code == CLO_E_LIMIT ? "file is too large" : strerror(errno));
    clo_buf_free(out);
    return -1;
}

/* The option's hex text: inline, or the contents of @PATH (whitespace dropped). */
static int hex_text(const char *name, const char *v, clo_buf *text)
{
    char what[64];
    clo_buf file;
    clo_buf_init(text, (size_t)64 << 20);
    if (v[0] != '@')
        return clo_buf_append(text, v, strlen(v) + 1).code ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    snprintf(what, sizeof what, "--%s", name);
    if (cli_read_file(what, v + 1, text->max - 1, &file)) return CLI_EXIT_USAGE;
    clo_err e = CLO_OK;
    for (size_t i = 0; i < file.len && !e.code; i++) {
        uint8_t c = file.ptr[i];
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') e = clo_buf_u8(text, c);
    }
    if (!e.code) e = clo_buf_u8(text, 0);
    clo_buf_free(&file);
    if (e.code) {
        cli_error("--%s: cannot hold '%s' in memory\n", name, v + 1);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_hex(const cli_spec *spec, const char *name, clo_buf *out, size_t max)
{
    const char *v = cli_get(spec, name);
    clo_buf text;
    clo_buf_init(out, max);
    if (!v) return CLI_EXIT_OK; /* absent optional hex = empty */
    if (hex_text(name, v, &text) != CLI_EXIT_OK) {
        clo_buf_free(&text);
        return CLI_EXIT_USAGE;
    }
    clo_err e = clo_hex_decode(out, (const char *)text.ptr);
    clo_buf_free(&text);
    if (e.code) {
        cli_error("--%s: %s\n", name, e.code == CLO_E_LIMIT ? "value is too long" : e.what);
        clo_buf_free(out);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_hex_fixed(const cli_spec *spec, const char *name, void *dst, size_t n)
{
    clo_buf b;
    if (cli_hex(spec, name, &b, n + 1) != CLI_EXIT_OK) return CLI_EXIT_USAGE;
    int ok = b.len == n;
    if (ok) memcpy(dst, b.ptr, n);
    clo_buf_free(&b);
    if (!ok) {
        cli_error("--%s must be exactly %zu bytes (%zu hex digits)\n", name, n, 2 * n);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_u64(const cli_spec *spec, const char *name, uint64_t max, uint64_t *out)
{
    const char *v = cli_get(spec, name);
    char *end = NULL;
    if (!v || !*v || *v == '-') {
        cli_error("--%s needs a non-negative integer\n", name);
        return CLI_EXIT_USAGE;
    }
    unsigned long long x = strtoull(v, &end, 0);
    if (*end || x > max) {
        cli_error("--%s: '%s' is not an integer in [0, %llu]\n", name, v, (unsigned long long)max);
        return CLI_EXIT_USAGE;
    }
    *out = x;
    return CLI_EXIT_OK;
}

void cli_json_hex(json_t *obj, const char *key, clo_bytes v)
{
    json_object_set_new(obj, key, clo_json_hex(v));
}

int cli_write_file(const char *path, clo_bytes data, int secret)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
    if (fd < 0) {
        cli_error("cannot write '%s': %s\n", path, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    size_t off = 0;
    while (off < data.len) {
        ssize_t w = write(fd, data.ptr + off, data.len - off);
        if (w <= 0) {
            close(fd);
            cli_error("cannot write '%s'\n", path);
            return CLI_EXIT_FAIL;
        }
        off += (size_t)w;
    }
    return close(fd) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* The output contract (cli.h): what was said on stdout, and the first error
 * said on stderr, for the failure document cli_finish prints if the command
 * printed none. */
static int g_printed;
static char g_error[512];
static const char *g_error_code;

void cli_error(const char *fmt, ...)
{
    char msg[sizeof g_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "error: %s", msg);
    if (!g_error[0]) {
        msg[strcspn(msg, "\n")] = 0;
        snprintf(g_error, sizeof g_error, "%s", msg);
    }
}

void cli_error_code(const char *code)
{
    if (!g_error_code) g_error_code = code;
}

void cli_mark_output(void)
{
    g_printed = 1;
}

int cli_finish(int rc)
{
    if (rc == CLI_EXIT_OK || g_printed) return rc;
    const char *code = rc == CLI_EXIT_USAGE     ? "usage"
                       : rc == CLI_EXIT_REFUSED ? "policy"
                       : g_error_code           ? g_error_code
                                                : "io";
    cli_print(json_pack("{s:{s:s,s:s}}", "error", "code", code, "message",
                        g_error[0]             ? g_error
                        : rc == CLI_EXIT_USAGE ? "bad command line (see --help)"
                                               : "the command failed"));
    return rc;
}

int cli_print(json_t *obj)
{
    g_printed = 1;
    char *s = json_dumps(obj, JSON_COMPACT);
    if (s) {
        puts(s);
        clo_wipe(s, strlen(s));
        free(s);
    }
    json_decref(obj);
    return CLI_EXIT_OK;
}

int cli_fail(clo_err err, const char *message)
{
    json_t *e = json_pack("{s:s,s:s}", "code", clo_code_name(err.code), "message",
                          message ? message : clo_code_text(err.code));
    if (err.what) json_object_set_new(e, "what", json_string(err.what));
    cli_print(json_pack("{s:o}", "error", e));
    return CLI_EXIT_FAIL;
}

static json_t *shape_json(const clo_shape *s)
{
    json_t *a = json_array();
    for (uint32_t i = 0; i < s->rank; i++) json_array_append_new(a, json_integer(s->d[i]));
    return a;
}

json_t *cli_tensor_json(const char *name, const clo_tensor *t)
{
    json_t *o = json_object(), *data = json_array();
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "type", json_string(clo_tensor_type_name(t->dtype)));
    json_object_set_new(o, "shape", shape_json(&t->shape));
    for (uint64_t i = 0; i < t->count; i++) {
        json_t *v;
        if (clo_tensor_is_real(t->dtype)) {
            /* JSON has no NaN or infinities: those values are the strings
             * "NaN", "Infinity" and "-Infinity" (as JavaScript prints them). */
            double f = clo_tensor_get_f64(t, i);
            v = isfinite(f) ? json_real(f)
                : isnan(f)  ? json_string("NaN")
                            : json_string(f > 0 ? "Infinity" : "-Infinity");
        } else if (t->dtype == CLO_ONNX_STRING) {
            /* JSON strings are UTF-8: other bytes are given as {"hex": ...} */
            clo_bytes b = ((const clo_bytes *)t->data)[i];
            v = json_stringn((const char *)b.ptr, b.len);
            if (!v) {
                char *h = malloc(2 * b.len + 1);
                if (h) clo_hex_encode(h, b);
                v = h ? json_pack("{s:s}", "hex", h) : json_null();
                free(h);
            }
        } else if (t->dtype == CLO_ONNX_BOOL) {
            v = json_boolean(((const uint8_t *)t->data)[i]);
        } else if (t->dtype == CLO_ONNX_INT64) {
            v = json_integer(((const int64_t *)t->data)[i]);
        } else if (t->dtype == CLO_ONNX_UINT64) {
            uint64_t u = ((const uint64_t *)t->data)[i];
            char d[24]; /* past JSON's integers here: its decimal digits */
            snprintf(d, sizeof d, "%llu", (unsigned long long)u);
            v = u > INT64_MAX ? json_string(d) : json_integer((json_int_t)u);
        } else {
            v = json_integer((json_int_t)clo_tensor_get_f64(t, i)); /* exact below 2^53 */
        }
        json_array_append_new(data, v);
    }
    json_object_set_new(o, "data", data);
    return o;
}

/* ---- the node API, for the commands that talk to it ---- */

const char *cli_node_url(const cli_spec *spec)
{
    return cli_get(spec, "node") ? cli_get(spec, "node") : CLI_DEFAULT_NODE;
}

/* A fixed-size hex member of doc (optional 0x prefix) into dst; -1 if absent or wrong. */
int cli_hex_member(const json_t *doc, const char *key, uint8_t *dst, size_t n)
{
    return clo_hex_decode_fixed(dst, n, json_string_value(json_object_get(doc, key))).code ? -1 : 0;
}

/* The node's problem document as the command's failure: its status, code and
 * detail, and for a failed job the enclave's own reason. */
int cli_api_fail(json_t *doc, long status)
{
    const char *code = json_string_value(json_object_get(doc, "code"));
    const char *detail = json_string_value(json_object_get(doc, "detail"));
    const json_t *je = json_object_get(doc, "job_error");
    const char *jwhat = json_string_value(json_object_get(je, "what"));
    const char *jcode = json_string_value(json_object_get(je, "code"));
    char msg[512];
    if (je)
        snprintf(msg, sizeof msg, "the enclave refused the job: %s (%s)", jwhat ? jwhat : "",
                 jcode ? jcode : "");
    else
        snprintf(msg, sizeof msg, "node answered %ld %s: %s", status, code ? code : "",
                 detail ? detail : "");
    json_t *e =
        json_pack("{s:s,s:s,s:s,s:I,s:s}", "code", clo_code_name(CLO_E_STATE), "message", msg,
                  "what", "api", "http_status", (json_int_t)status, "problem", code ? code : "");
    if (je) json_object_set(e, "job_error", (json_t *)(uintptr_t)je);
    json_decref(doc);
    cli_print(json_pack("{s:o}", "error", e));
    return CLI_EXIT_FAIL;
}
