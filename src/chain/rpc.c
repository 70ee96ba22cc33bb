/* rpc.c — JSON-RPC 2.0 client on libcurl. */
#include "chain/rpc.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/ct.h"
#include "base/hex.h"

struct clo_rpc {
    CURL *h;
    struct curl_slist *headers;
    char *url;
    clo_rpc_opts opts;
    uint64_t next_id, attempts, retries;
    clo_rpc_error last;
};

clo_err clo_rpc_new(const clo_rpc_opts *opts, clo_rpc **out)
{
    static int curl_ready;
    *out = NULL;
    CLO_ENSURE(opts && opts->url && *opts->url, CLO_E_ARG, "rpc.url");
    if (!curl_ready) { /* not thread-safe: the first call happens before threads start */
        CLO_ENSURE(curl_global_init(CURL_GLOBAL_DEFAULT) == 0, CLO_E_IO, "rpc.curl_init");
        curl_ready = 1;
    }
    clo_rpc *r = calloc(1, sizeof *r);
    CLO_ENSURE(r != NULL, CLO_E_NOMEM, "rpc.new");
    r->opts = *opts;
    if (r->opts.timeout_ms <= 0) r->opts.timeout_ms = 10000;
    r->opts.retries = opts->retries == 0 ? 4 : opts->retries < 0 ? 0 : opts->retries;
    if (r->opts.backoff_ms <= 0) r->opts.backoff_ms = 100;
    r->url = strdup(opts->url);
    r->h = curl_easy_init();
    r->headers = curl_slist_append(NULL, "Content-Type: application/json");
    r->next_id = 1;
    if (!r->url || !r->h || !r->headers) {
        clo_rpc_free(r);
        return CLO_ERR(CLO_E_NOMEM, "rpc.new");
    }
    r->opts.url = r->url;
    *out = r;
    return CLO_OK;
}

void clo_rpc_free(clo_rpc *rpc)
{
    if (!rpc) return;
    if (rpc->h) curl_easy_cleanup(rpc->h);
    curl_slist_free_all(rpc->headers);
    free(rpc->url);
    free(rpc);
}

const clo_rpc_error *clo_rpc_last_error(const clo_rpc *rpc)
{
    return &rpc->last;
}

void clo_rpc_stats(const clo_rpc *rpc, uint64_t *attempts, uint64_t *retries)
{
    *attempts = rpc->attempts;
    *retries = rpc->retries;
}

static size_t rpc_sink(char *p, size_t size, size_t n, void *ud)
{
    clo_buf *b = ud;
    return clo_buf_append(b, p, size * n).code ? 0 : size * n;
}

clo_err clo_rpc_parse_reply(clo_bytes body, uint64_t id, json_t **result, clo_rpc_error *error)
{
    *result = NULL;
    memset(error, 0, sizeof *error);
    CLO_ENSURE(body.len <= CLO_RPC_MAX_REPLY, CLO_E_LIMIT, "rpc.reply_size");
    json_t *doc = json_loadb((const char *)body.ptr, body.len, JSON_REJECT_DUPLICATES, NULL);
    CLO_ENSURE(doc != NULL, CLO_E_FORMAT, "rpc.reply_not_json");
    clo_err err = CLO_OK;
    json_t *ver = json_object_get(doc, "jsonrpc"), *jid = json_object_get(doc, "id"),
           *res = json_object_get(doc, "result"), *e = json_object_get(doc, "error");
    CLO_FAIL_IF(!json_is_object(doc), CLO_E_FORMAT, "rpc.reply_not_object");
    CLO_FAIL_IF(!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0, CLO_E_FORMAT,
                "rpc.reply_version");
    CLO_FAIL_IF(!json_is_integer(jid) || json_integer_value(jid) < 0 ||
                    (uint64_t)json_integer_value(jid) != id,
                CLO_E_FORMAT, "rpc.reply_id");
    CLO_FAIL_IF((res != NULL) == (e != NULL), CLO_E_FORMAT, "rpc.reply_result_or_error");
    if (e) {
        json_t *code = json_object_get(e, "code"), *msg = json_object_get(e, "message"),
               *data = json_object_get(e, "data");
        CLO_FAIL_IF(!json_is_object(e) || !json_is_integer(code) || !json_is_string(msg),
                    CLO_E_FORMAT, "rpc.reply_error_object");
        error->code = (long)json_integer_value(code);
        if (error->code == 0) error->code = -1;
        clo_bytes_printable(error->message, sizeof error->message,
                            CLO_BYTES(json_string_value(msg), json_string_length(msg)));
        if (json_is_string(data)) { /* revert data; anything else is ignored */
            clo_buf b;
            clo_buf_init(&b, sizeof error->data);
            if (!clo_hex_decode(&b, json_string_value(data)).code) {
                memcpy(error->data, b.ptr, b.len);
                error->data_len = b.len;
            }
            clo_buf_free(&b);
        }
        err = CLO_ERR(CLO_E_POLICY, "rpc.node_error");
        goto out;
    }
    *result = json_incref(res);
out:
    json_decref(doc);
    return err;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

/* One HTTP exchange. Returns CLO_E_IO for transport failures and retryable
 * statuses (the caller retries), and the parse result otherwise. */
static clo_err rpc_attempt(clo_rpc *rpc, const char *body, uint64_t id, json_t **result)
{
    clo_buf reply;
    long status = 0;
    clo_err err = CLO_OK;
    clo_buf_init(&reply, CLO_RPC_MAX_REPLY);
    CURL *h = rpc->h;
    curl_easy_setopt(h, CURLOPT_URL, rpc->url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, rpc->headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, rpc_sink);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, rpc->opts.timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, rpc->opts.timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    rpc->attempts++;
    CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        err = CLO_ERR(CLO_E_IO, rc == CURLE_OPERATION_TIMEDOUT ? "rpc.timeout" : "rpc.transport");
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    CLO_FAIL_IF(status == 429 || status >= 500, CLO_E_IO, "rpc.http_status");
    /* Nodes answer JSON-RPC errors with 200 (or 4xx with a JSON body): parse either. */
    err = clo_rpc_parse_reply(clo_buf_view(&reply), id, result, &rpc->last);
    if (err.code == CLO_E_FORMAT || err.code == CLO_E_LIMIT) {
        if (status != 200) err = CLO_ERR(CLO_E_IO, "rpc.http_status");
    }
out:
    clo_buf_free(&reply);
    return err;
}

clo_err clo_rpc_call(clo_rpc *rpc, const char *method, json_t *params, json_t **result)
{
    *result = NULL;
    memset(&rpc->last, 0, sizeof rpc->last);
    if (!params) params = json_array();
    json_t *req = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id", (json_int_t)0, "method",
                            method, "params", params);
    CLO_ENSURE(req != NULL, CLO_E_NOMEM, "rpc.request");
    clo_err err = CLO_OK;
    long backoff = rpc->opts.backoff_ms;
    for (int attempt = 0;; attempt++) {
        uint64_t id = rpc->next_id++; /* a fresh id per attempt: a late reply cannot match */
        json_object_set_new(req, "id", json_integer((json_int_t)id));
        char *body = json_dumps(req, JSON_COMPACT);
        CLO_FAIL_IF(body == NULL, CLO_E_NOMEM, "rpc.request");
        err = rpc_attempt(rpc, body, id, result);
        free(body);
        /* transport, status and malformed replies are retried; node errors are answers */
        int retry = err.code == CLO_E_IO || err.code == CLO_E_FORMAT;
        if (!retry || attempt >= rpc->opts.retries) break;
        rpc->retries++;
        sleep_ms(backoff);
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
out:
    json_decref(req);
    return err;
}

/* ---------------------------------------------------------------- hex -- */

static clo_err quantity_digits(const json_t *v, const char **digits, size_t *n)
{
    CLO_ENSURE(json_is_string(v), CLO_E_FORMAT, "rpc.quantity");
    const char *s = json_string_value(v);
    CLO_ENSURE(s[0] == '0' && (s[1] == 'x' || s[1] == 'X'), CLO_E_FORMAT, "rpc.quantity");
    s += 2;
    size_t len = strlen(s);
    CLO_ENSURE(len >= 1 && (len == 1 || s[0] != '0'), CLO_E_FORMAT, "rpc.quantity");
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        CLO_ENSURE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'),
                   CLO_E_FORMAT, "rpc.quantity");
    }
    *digits = s;
    *n = len;
    return CLO_OK;
}

static unsigned hexval(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

clo_err clo_rpc_quantity(const json_t *v, uint64_t *out)
{
    const char *s;
    size_t n;
    CLO_TRY(quantity_digits(v, &s, &n));
    CLO_ENSURE(n <= 16, CLO_E_LIMIT, "rpc.quantity_range");
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) x = (x << 4) | hexval(s[i]);
    *out = x;
    return CLO_OK;
}

clo_err clo_rpc_quantity256(const json_t *v, uint8_t out[32])
{
    const char *s;
    size_t n;
    CLO_TRY(quantity_digits(v, &s, &n));
    CLO_ENSURE(n <= 64, CLO_E_LIMIT, "rpc.quantity_range");
    memset(out, 0, 32);
    for (size_t i = 0; i < n; i++) {
        size_t nib = 63 - (n - 1 - i); /* nibble index from the left of 64 */
        out[nib / 2] |= (uint8_t)(hexval(s[i]) << ((nib & 1) ? 0 : 4));
    }
    return CLO_OK;
}

clo_err clo_rpc_data(const json_t *v, clo_buf *out)
{
    CLO_ENSURE(json_is_string(v), CLO_E_FORMAT, "rpc.data");
    const char *s = json_string_value(v);
    CLO_ENSURE(s[0] == '0' && s[1] == 'x', CLO_E_FORMAT, "rpc.data");
    return clo_hex_decode(out, s);
}

clo_err clo_rpc_data_fixed(const json_t *v, uint8_t *out, size_t n)
{
    CLO_ENSURE(json_is_string(v), CLO_E_FORMAT, "rpc.data");
    const char *s = json_string_value(v);
    CLO_ENSURE(s[0] == '0' && s[1] == 'x', CLO_E_FORMAT, "rpc.data");
    return clo_hex_decode_fixed(out, n, s);
}

json_t *clo_rpc_hex_quantity(uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "0x%llx", (unsigned long long)v);
    return json_string(s);
}

json_t *clo_rpc_hex_quantity256(const uint8_t w[32])
{
    char s[67] = "0x", *p = s + 2;
    size_t i = 0;
    while (i < 32 && w[i] == 0) i++;
    if (i == 32) return json_string("0x0");
    static const char dig[] = "0123456789abcdef";
    if (w[i] < 0x10) *p++ = dig[w[i++] & 0xf];
    for (; i < 32; i++) {
        *p++ = dig[w[i] >> 4];
        *p++ = dig[w[i] & 0xf];
    }
    *p = 0;
    return json_string(s);
}
