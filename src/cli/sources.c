/* sources.c — an oracle-https config from a JSON file (`cloister job submit
 * --sources FILE`; docs/formats.md §5.6):
 *
 *   {"min_sources": 2, "max_deviation_bps": 500, "max_age_seconds": 300,
 *    "ca_files": ["ca.pem"],
 *    "sources": [{"url": "https://api.example.com/v1/price?pair=ETH-USD",
 *                 "private_query": "&apikey=...",
 *                 "json_path": "$.price", "decimals": 8,
 *                 "trust": "system" | "ca" | "pins",
 *                 "pins": ["<spki sha-256 hex>"],
 *                 "headers_secret": "<id hex>", "client_secret": "<id hex>"}]}
 *
 * Every key but url and json_path is optional (trust "system", decimals 8,
 * min_sources a majority, max_deviation_bps 0, max_age_seconds 300); trust
 * "ca" trusts the ca_files (PEM or DER, at most 4). A private_query is
 * appended to the URL's path by the enclave: it goes in the job's sealed
 * input, never in the public config (the output shows only the hash of the
 * whole request target). */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/hex.h"
#include "base/pem.h"
#include "cli/cli.h"
#include "client/outputs.h"

typedef struct {
    char host[256], path[2049], json_path[256];
    uint8_t pins[8][32];
} source_text;

static int bad(const char *what, size_t i, const char *why)
{
    cli_error("--sources: sources[%zu].%s: %s\n", i, what, why);
    cli_error_code("format");
    return CLI_EXIT_FAIL;
}

/* https://host[:port]/path?query */
static int parse_url(const char *url, size_t i, source_text *t, uint16_t *port)
{
    if (strncmp(url, "https://", 8)) return bad("url", i, "must start with https://");
    const char *h = url + 8, *slash = strchr(h, '/');
    if (!slash) return bad("url", i, "needs a path (at least /)");
    const char *colon = memchr(h, ':', (size_t)(slash - h));
    size_t hl = (size_t)((colon ? colon : slash) - h);
    if (hl == 0 || hl >= sizeof t->host) return bad("url", i, "host");
    memcpy(t->host, h, hl);
    t->host[hl] = 0;
    *port = 443;
    if (colon) {
        char *end;
        unsigned long p = strtoul(colon + 1, &end, 10);
        if (end != slash || p == 0 || p > 65535) return bad("url", i, "port: 1 to 65535");
        *port = (uint16_t)p;
    }
    if (strlen(slash) >= sizeof t->path) return bad("url", i, "path: at most 2048 bytes");
    snprintf(t->path, sizeof t->path, "%s", slash);
    return 0;
}

static int hex32(json_t *v, const char *what, size_t i, uint8_t out[32])
{
    if (!v) return 0;
    const char *s = json_string_value(v);
    if (s && !strncmp(s, "0x", 2)) s += 2;
    if (!s || clo_hex_decode_fixed(out, 32, s).code) return bad(what, i, "32 bytes of hex");
    return 0;
}

static int one_source(json_t *j, size_t i, size_t nca, source_text *t, clo_https_source_spec *s)
{
    const char *url = json_string_value(json_object_get(j, "url"));
    const char *jp = json_string_value(json_object_get(j, "json_path"));
    const char *trust = json_string_value(json_object_get(j, "trust"));
    json_t *dec = json_object_get(j, "decimals"), *pins = json_object_get(j, "pins");
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        static const char *const known[] = {
            "url",   "private_query", "json_path",      "decimals",
            "trust", "pins",          "headers_secret", "client_secret"};
        int ok = 0;
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) ok |= !strcmp(key, known[k]);
        if (!ok) return bad(key, i, "unknown key");
    }
    if (!url) return bad("url", i, "missing (a string)");
    if (!jp || strlen(jp) >= sizeof t->json_path) return bad("json_path", i, "missing (a string)");
    int rc = parse_url(url, i, t, &s->port);
    if (rc) return rc;
    snprintf(t->json_path, sizeof t->json_path, "%s", jp);
    s->host = t->host;
    s->path = t->path;
    s->json_path = t->json_path;
    s->decimals = 8;
    if (dec) {
        if (!json_is_integer(dec) || json_integer_value(dec) < 0 || json_integer_value(dec) > 18)
            return bad("decimals", i, "0 to 18");
        s->decimals = (uint8_t)json_integer_value(dec);
    }
    s->trust = CLO_TRUST_SYSTEM;
    if (trust && !strcmp(trust, "ca"))
        s->trust = CLO_TRUST_CA;
    else if (trust && !strcmp(trust, "pins"))
        s->trust = CLO_TRUST_PINS;
    else if (trust && strcmp(trust, "system"))
        return bad("trust", i, "\"system\", \"ca\" or \"pins\"");
    if (pins) {
        if (!json_is_array(pins) || json_array_size(pins) > 8)
            return bad("pins", i, "a list of at most 8");
        for (size_t k = 0; k < json_array_size(pins); k++)
            if ((rc = hex32(json_array_get(pins, k), "pins", i, t->pins[k]))) return rc;
        s->npins = json_array_size(pins);
        s->pins = (const uint8_t(*)[32])t->pins;
    }
    if (s->trust == CLO_TRUST_CA && !nca) return bad("trust", i, "\"ca\" needs ca_files");
    if ((rc = hex32(json_object_get(j, "headers_secret"), "headers_secret", i, s->headers_secret)))
        return rc;
    return hex32(json_object_get(j, "client_secret"), "client_secret", i, s->client_secret);
}

/* A CA certificate file, PEM or DER, as DER. */
static int read_ca(const char *path, clo_buf *der)
{
    clo_buf text;
    char label[CLO_PEM_LABEL_MAX];
    int found = 0, rc = 0;
    if (cli_read_file("ca_files", path, 1 << 16, &text)) return CLI_EXIT_FAIL;
    clo_cur c = clo_cur_init(clo_buf_view(&text));
    if (!clo_pem_is(clo_buf_view(&text))) {
        if (clo_buf_append_bytes(der, clo_buf_view(&text)).code) rc = CLI_EXIT_FAIL;
    } else if (clo_pem_next(&c, label, der, &found).code || !found ||
               strcmp(label, "CERTIFICATE")) {
        cli_error("--sources: ca_files: %s is not a PEM or DER certificate\n", path);
        cli_error_code("format");
        rc = CLI_EXIT_FAIL;
    }
    clo_buf_free(&text);
    return rc;
}

/* The job's input: u8 version=1 | u8 n | n x (u8 source | u16 size | query). */
static int private_queries(json_t *list, clo_buf *input)
{
    size_t n = 0, i;
    json_t *src;
    json_array_foreach(list, i, src) n += json_object_get(src, "private_query") != NULL;
    if (clo_buf_u8(input, 1).code || clo_buf_u8(input, (uint8_t)n).code) return CLI_EXIT_FAIL;
    json_array_foreach(list, i, src)
    {
        json_t *q = json_object_get(src, "private_query");
        if (!q) continue;
        const char *t = json_string_value(q);
        size_t len = t ? strlen(t) : 0;
        int ok = len >= 1 && len <= 2048;
        for (size_t k = 0; ok && k < len; k++) ok = t[k] > 0x20 && t[k] < 0x7f;
        if (!ok) return bad("private_query", i, "1 to 2048 visible ASCII characters");
        if (clo_buf_u8(input, (uint8_t)i).code || clo_buf_u16be(input, (uint16_t)len).code ||
            clo_buf_append(input, t, len).code)
            return CLI_EXIT_FAIL;
    }
    return 0;
}

int cli_oracle_sources(const char *path, clo_buf *cfg, clo_buf *input)
{
    clo_buf ca[CLO_WL_MAX_CAS];
    clo_bytes cas[CLO_WL_MAX_CAS];
    static source_text t[CLO_WL_MAX_SOURCES];
    clo_https_source_spec s[CLO_WL_MAX_SOURCES];
    json_error_t je;
    int rc = 0;
    size_t n = 0;
    memset(s, 0, sizeof s);
    for (size_t i = 0; i < CLO_WL_MAX_CAS; i++) clo_buf_init(&ca[i], 1 << 16);
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    json_t *list = json_object_get(doc, "sources"), *cafiles = json_object_get(doc, "ca_files");
    size_t nca = json_array_size(cafiles);
    if (!doc || !json_is_array(list) || json_array_size(list) < 1 ||
        json_array_size(list) > CLO_WL_MAX_SOURCES) {
        cli_error("--sources: %s: %s\n", path,
                  doc ? "needs \"sources\": a list of 1 to 16 sources" : je.text);
        cli_error_code("format");
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    if ((cafiles && !json_is_array(cafiles)) || nca > CLO_WL_MAX_CAS) {
        cli_error("--sources: ca_files: a list of at most 4 files\n");
        cli_error_code("format");
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < nca && !rc; i++) {
        const char *f = json_string_value(json_array_get(cafiles, i));
        rc = f ? read_ca(f, &ca[i]) : CLI_EXIT_FAIL;
        cas[i] = clo_buf_view(&ca[i]);
    }
    n = json_array_size(list);
    for (size_t i = 0; i < n && !rc; i++)
        rc = one_source(json_array_get(list, i), i, nca, &t[i], &s[i]);
    if (rc) goto out;
    json_int_t min = json_is_integer(json_object_get(doc, "min_sources"))
                         ? json_integer_value(json_object_get(doc, "min_sources"))
                         : (json_int_t)(n / 2 + 1);
    json_int_t dev = json_integer_value(json_object_get(doc, "max_deviation_bps"));
    json_int_t age = json_object_get(doc, "max_age_seconds")
                         ? json_integer_value(json_object_get(doc, "max_age_seconds"))
                         : 300;
    if (min < 1 || min > (json_int_t)n || dev < 0 || dev > UINT32_MAX || age < 1 ||
        age > UINT32_MAX) {
        cli_error("--sources: min_sources (1 to the number of sources), max_deviation_bps "
                  "(0 or more) or max_age_seconds (1 or more) out of range\n");
        cli_error_code("format");
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    clo_err e = clo_oracle_https_config_encode((uint16_t)min, (uint32_t)dev, (uint32_t)age, cas,
                                               nca, s, n, cfg);
    if (e.code) rc = cli_fail(e, "--sources: the config is refused");
    if (!rc && input) rc = private_queries(list, input);
out:
    for (size_t i = 0; i < CLO_WL_MAX_CAS; i++) clo_buf_free(&ca[i]);
    json_decref(doc);
    return rc;
}
