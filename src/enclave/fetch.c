/* fetch.c — FETCH_BEGIN, FETCH_PUMP, FETCH_END: a job whose workload
 * fetches HTTPS sources from inside the enclave (issue 20; docs/formats.md
 * §3). The host connects sockets and carries ciphertext; the TLS client
 * (crypto/tls.h) checks the server at the job's time, and the response is
 * read here (workloads/httpresp.h). What each source gave, or why it gave
 * nothing, goes to the workload, which names it in the public output: a host
 * that drops, cuts, delays or tampers can only make a source fail, visibly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ct.h"
#include "base/hex.h"
#include "crypto/hash.h"
#include "crypto/rand.h"
#include "crypto/tls.h"
#include "enclave/runtime_impl.h"
#include "workloads/httpresp.h"

/* Debian's CA bundle, compiled in at build time (src/enclave/CMakeLists.txt):
 * part of the enclave's measurement. */
extern const unsigned char clo_system_roots[];
extern const unsigned long clo_system_roots_size;

/* A response's raw bytes: the head, the largest body and chunked framing. */
#define MAX_RESPONSE       ((size_t)CLO_HTTP_MAX_HEAD + CLO_HTTP_MAX_BODY + (64u << 10))
#define MAX_HEADERS_SECRET 8192
#define MAX_QUERY          2048

typedef struct {
    clo_tls *tls;
    int done, sent, fresh; /* fresh: bytes arrived since the last parse */
    clo_buf raw, body;
    clo_buf query; /* the private query, from the job's sealed input */
    clo_wl_fetched f;
} fetch_src;

struct fetch_session {
    uint8_t handle[16];
    uint64_t touched;
    uint8_t *job_bytes;
    clo_proto_job job;
    clo_bytes inputs[CLO_PROTO_MAX_INPUTS];
    int64_t at;
    const clo_workload *wl;
    void *wl_state;
    const clo_wl_source *src;
    size_t n;
    fetch_src s[CLO_WL_MAX_SOURCES];
    clo_wl_fetched f[CLO_WL_MAX_SOURCES];
};

static void session_free(struct fetch_session *fs)
{
    if (!fs) return;
    for (size_t i = 0; i < fs->n; i++) {
        clo_tls_free(fs->s[i].tls);
        clo_wipe(fs->s[i].raw.ptr, fs->s[i].raw.len);
        clo_wipe(fs->s[i].body.ptr, fs->s[i].body.len);
        clo_wipe(fs->s[i].query.ptr, fs->s[i].query.len);
        clo_buf_free(&fs->s[i].raw);
        clo_buf_free(&fs->s[i].body);
        clo_buf_free(&fs->s[i].query);
    }
    if (fs->wl) fs->wl->close(fs->wl_state);
    free(fs->job_bytes);
    clo_wipe(fs, sizeof *fs);
    free(fs);
}

void clo_rt_fetches_free(clo_enclave *e)
{
    for (size_t i = 0; i < MAX_FETCHES; i++) {
        session_free(e->fetches[i]);
        e->fetches[i] = NULL;
    }
    clo_tls_trust_free(e->system_roots);
    e->system_roots = NULL;
    for (size_t i = 0; i < MAX_FETCHES; i++) clo_tls_trust_free(e->ca_sets[i].trust);
    memset(e->ca_sets, 0, sizeof e->ca_sets);
}

/* A config's CA set as a trust store, parsed once and kept (a context costs
 * more than a handshake's verification): the least recently used gives way. */
static clo_err ca_set(clo_enclave *e, const clo_bytes *ca, size_t n, const clo_tls_trust **out)
{
    uint8_t key[32];
    clo_hash_ctx h;
    clo_err err = clo_hash_init(&h, CLO_HASH_SHA256);
    for (size_t i = 0; i < n && !err.code; i++) {
        uint8_t len[4];
        clo_store_u32be(len, (uint32_t)ca[i].len);
        err = clo_hash_update(&h, CLO_BYTES(len, 4));
        if (!err.code) err = clo_hash_update(&h, ca[i]);
    }
    if (err.code) {
        clo_hash_wipe(&h);
        return err;
    }
    CLO_TRY(clo_hash_final(&h, key));
    size_t lru = 0;
    for (size_t i = 0; i < MAX_FETCHES; i++) {
        if (e->ca_sets[i].trust && !memcmp(e->ca_sets[i].key, key, 32)) {
            e->ca_sets[i].used = ++e->fetch_clock;
            *out = e->ca_sets[i].trust;
            return CLO_OK;
        }
        if (e->ca_sets[i].used < e->ca_sets[lru].used) lru = i;
    }
    clo_tls_trust *t;
    CLO_TRY(clo_tls_trust_new(&t, ca, n));
    clo_tls_trust_free(e->ca_sets[lru].trust);
    memcpy(e->ca_sets[lru].key, key, 32);
    e->ca_sets[lru].trust = t;
    e->ca_sets[lru].used = ++e->fetch_clock;
    *out = t;
    return CLO_OK;
}

static clo_err system_roots(clo_enclave *e, const clo_tls_trust **out)
{
    if (!e->system_roots) {
        clo_bytes b = CLO_BYTES(clo_system_roots, clo_system_roots_size);
        CLO_TRY(clo_tls_trust_new(&e->system_roots, &b, 1));
    }
    *out = e->system_roots;
    return CLO_OK;
}

/* Header lines from a provisioned secret: "Name: value" CRLF each, a token
 * name and a visible value, so the secret cannot reshape the request. */
static int header_lines_ok(clo_bytes h)
{
    size_t i = 0;
    if (h.len == 0 || h.len > MAX_HEADERS_SECRET) return 0;
    while (i < h.len) {
        size_t name = 0;
        while (i < h.len && (h.ptr[i] == '-' || (h.ptr[i] >= '0' && h.ptr[i] <= '9') ||
                             ((h.ptr[i] | 0x20) >= 'a' && (h.ptr[i] | 0x20) <= 'z'))) {
            i++;
            name++;
        }
        if (name == 0 || i >= h.len || h.ptr[i++] != ':') return 0;
        while (i < h.len && h.ptr[i] != '\r') {
            if (h.ptr[i] != ' ' && h.ptr[i] != '\t' && (h.ptr[i] < 0x21 || h.ptr[i] > 0x7e))
                return 0;
            i++;
        }
        if (i + 1 >= h.len || h.ptr[i + 1] != '\n') return 0;
        i += 2;
    }
    return 1;
}

/* A headers secret names where it may go, on its first line, which is never
 * sent: "Cloister-For: " then hosts and "sha256:<hex>" leaf key pins, space
 * separated, CRLF. The job's config is anyone's to write: without this, it
 * could point a source at a server of its own (under a CA of its own) and
 * name the secret. So the secret goes only to a host it names, and only to a
 * leaf whose key it pins or, with no pin, one that Debian's roots vouch for. */
#define FOR_PREFIX "Cloister-For:"
typedef struct {
    clo_bytes headers; /* the lines that are sent */
    uint8_t pins[CLO_TLS_MAX_PINS][32];
    size_t npins;
    int host_named;
} headers_secret;

static int read_headers_secret(clo_bytes sec, const char *host, headers_secret *out)
{
    const size_t pl = sizeof FOR_PREFIX - 1, hl = strlen(host);
    memset(out, 0, sizeof *out);
    if (sec.len < pl + 2 || memcmp(sec.ptr, FOR_PREFIX, pl)) return 0;
    const uint8_t *eol = memchr(sec.ptr, '\r', sec.len);
    if (!eol || (size_t)(eol - sec.ptr) + 1 >= sec.len || eol[1] != '\n') return 0;
    for (const uint8_t *p = sec.ptr + pl; p < eol;) {
        while (p < eol && *p == ' ') p++;
        const uint8_t *t = p;
        while (p < eol && *p != ' ') p++;
        size_t tl = (size_t)(p - t);
        if (tl == 7 + 64 && !memcmp(t, "sha256:", 7)) {
            char hex[65];
            memcpy(hex, t + 7, 64);
            hex[64] = 0;
            if (out->npins == CLO_TLS_MAX_PINS ||
                clo_hex_decode_fixed(out->pins[out->npins++], 32, hex).code)
                return 0;
        } else if (tl) {
            out->host_named |= tl == hl && !memcmp(t, host, hl);
        }
    }
    out->headers = CLO_BYTES(eol + 2, sec.len - (size_t)(eol + 2 - sec.ptr));
    return header_lines_ok(out->headers);
}

static const uint8_t zero32[32];

static void finish(fetch_src *s, uint8_t outcome)
{
    s->done = 1;
    s->f.outcome = outcome;
    clo_tls_free(s->tls);
    s->tls = NULL;
}

/* The request: its path and the source's header secret, sent only once the
 * server has passed every check. */
static clo_err send_request(clo_enclave *e, const clo_wl_source *src, fetch_src *s, clo_buf *out)
{
    clo_buf req;
    clo_err err = CLO_OK;
    char port[16] = "";
    if (src->port != 443) snprintf(port, sizeof port, ":%u", src->port);
    clo_buf_init(&req, 4096 + 2 * MAX_QUERY + MAX_HEADERS_SECRET);
    CLO_CHECK(clo_buf_append(&req, "GET ", 4));
    CLO_CHECK(clo_buf_append_bytes(&req, src->path));
    CLO_CHECK(clo_buf_append_bytes(&req, clo_buf_view(&s->query)));
    CLO_CHECK(clo_buf_append_bytes(&req, clo_bytes_str(" HTTP/1.1\r\nHost: ")));
    CLO_CHECK(clo_buf_append_bytes(&req, clo_bytes_str(src->host)));
    CLO_CHECK(clo_buf_append_bytes(&req, clo_bytes_str(port)));
    CLO_CHECK(clo_buf_append_bytes(
        &req, clo_bytes_str("\r\nUser-Agent: cloister-enclave/1\r\nAccept: application/json\r\n"
                            "Accept-Encoding: identity\r\nConnection: close\r\n")));
    if (memcmp(src->headers_secret, zero32, 32)) {
        headers_secret hs;
        CLO_FAIL_IF(
            !read_headers_secret(clo_rt_secret_view(e, src->headers_secret), src->host, &hs),
            CLO_E_STATE, "fetch: headers secret");
        CLO_CHECK(clo_buf_append_bytes(&req, hs.headers));
    }
    CLO_CHECK(clo_buf_append(&req, "\r\n", 2));
    CLO_CHECK(clo_tls_write(s->tls, clo_buf_view(&req), out));
    s->sent = 1;
out:
    clo_wipe(req.ptr, req.len);
    clo_buf_free(&req);
    return err;
}

/* Whether the source's headers secret (if any) may go to this server: a host
 * it names, and a leaf it pins or, with no pin, Debian's roots vouched for. */
static int secret_may_go(clo_enclave *e, const clo_wl_source *src, const uint8_t spki[32])
{
    headers_secret hs;
    if (!memcmp(src->headers_secret, zero32, 32)) return 1;
    if (!read_headers_secret(clo_rt_secret_view(e, src->headers_secret), src->host, &hs) ||
        !hs.host_named)
        return 0;
    if (!hs.npins) return src->trust == CLO_TRUST_SYSTEM;
    int pinned = 0;
    for (size_t i = 0; i < hs.npins; i++) pinned |= !memcmp(hs.pins[i], spki, 32);
    return pinned;
}

/* Carry bytes for one source: TLS, then the request, then the response. */
static clo_err step(clo_enclave *e, const clo_wl_source *src, fetch_src *s, clo_bytes in, int eof,
                    clo_buf *out)
{
    if (s->done) return CLO_OK;
    clo_err err = clo_tls_pump(s->tls, in, out);
    if (err.code) {
        finish(s, err.code == CLO_E_STALE ? CLO_FETCH_TLS_STALE : CLO_FETCH_TLS_AUTH);
        return CLO_OK;
    }
    clo_tls_info info;
    clo_tls_info_get(s->tls, &info);
    if (info.handshake_done && !s->sent) {
        s->f.tls_version = (uint16_t)info.version;
        memcpy(s->f.spki_sha256, info.leaf_spki_sha256, 32);
        s->f.cert_from = info.valid_from;
        s->f.cert_until = info.valid_until;
        if (!secret_may_go(e, src, info.leaf_spki_sha256)) {
            finish(s, CLO_FETCH_NO_SECRET);
            return CLO_OK;
        }
        if (send_request(e, src, s, out).code) { /* the connection, not the call, failed */
            finish(s, CLO_FETCH_TLS_AUTH);
            return CLO_OK;
        }
    }
    if (info.handshake_done) {
        size_t before = s->raw.len;
        err = clo_tls_read(s->tls, &s->raw);
        if (err.code) {
            finish(s, err.code == CLO_E_LIMIT ? CLO_FETCH_TOO_LARGE : CLO_FETCH_TLS_AUTH);
            return CLO_OK;
        }
        s->fresh |= s->raw.len != before;
    }
    if (s->fresh) {
        clo_http_response r;
        s->fresh = 0;
        clo_buf_clear(&s->body);
        err = clo_http_response_parse(clo_buf_view(&s->raw), CLO_HTTP_MAX_BODY, &r, &s->body);
        if (err.code) {
            finish(s, err.code == CLO_E_LIMIT ? CLO_FETCH_TOO_LARGE : CLO_FETCH_HTTP);
            return CLO_OK;
        }
        if (r.complete) {
            s->f.http_status = (uint16_t)r.status;
            s->f.date = r.date;
            s->f.body = clo_buf_view(&s->body);
            finish(s, CLO_FETCH_OK);
            return CLO_OK;
        }
    }
    clo_tls_info_get(s->tls, &info);
    /* No more bytes (the host's word) or the server closed: whatever came is
     * not a whole response. */
    if (eof || info.closed) finish(s, CLO_FETCH_NOT_FETCHED);
    return CLO_OK;
}

static clo_err open_source(clo_enclave *e, struct fetch_session *fs, size_t i, clo_buf *out)
{
    const clo_wl_source *src = &fs->src[i];
    fetch_src *s = &fs->s[i];
    const clo_tls_trust *trust = NULL;
    clo_bytes client = CLO_BYTES_EMPTY;
    clo_buf_init(&s->raw, MAX_RESPONSE);
    clo_buf_init(&s->body, CLO_HTTP_MAX_BODY);
    s->f.date = -1;
    clo_hash_ctx h; /* the request target as sent: the path and the private query */
    clo_err herr = clo_hash_init(&h, CLO_HASH_SHA256);
    if (!herr.code) herr = clo_hash_update(&h, src->path);
    if (!herr.code) herr = clo_hash_update(&h, clo_buf_view(&s->query));
    if (herr.code) {
        clo_hash_wipe(&h);
        return herr;
    }
    CLO_TRY(clo_hash_final(&h, s->f.path_sha256));
    headers_secret hs;
    if (memcmp(src->headers_secret, zero32, 32) &&
        (!read_headers_secret(clo_rt_secret_view(e, src->headers_secret), src->host, &hs) ||
         !hs.host_named)) {
        finish(s, CLO_FETCH_NO_SECRET); /* missing, malformed, or not for this host */
        return CLO_OK;
    }
    if (memcmp(src->client_secret, zero32, 32)) {
        client = clo_rt_secret_view(e, src->client_secret);
        if (!client.len) {
            finish(s, CLO_FETCH_NO_SECRET);
            return CLO_OK;
        }
    }
    if (src->trust == CLO_TRUST_SYSTEM) CLO_TRY(system_roots(e, &trust));
    if (src->trust == CLO_TRUST_CA) CLO_TRY(ca_set(e, src->ca, src->nca, &trust));
    clo_tls_opts o = {src->host, fs->at, trust, src->pins, src->npins, client};
    clo_err err = clo_tls_new(&s->tls, &o);
    if (err.code && client.len) { /* a credential that does not parse */
        finish(s, CLO_FETCH_NO_SECRET);
        return CLO_OK;
    }
    CLO_TRY(err);
    return step(e, src, s, CLO_BYTES_EMPTY, 0, out);
}

/* The job's one input: the sources' private queries (formats.md §5.6), u8
 * version=1 | u8 n | n x (u8 source | u16 size | query), opened here so that
 * each request carries its query; neither host nor chain sees them. */
static clo_err private_queries(clo_enclave *e, struct fetch_session *fs, int64_t now)
{
    const clo_epoch *ep;
    clo_envelope_binding b;
    clo_envelope_reply_key rk;
    clo_buf plain;
    clo_err err = CLO_OK;
    CLO_ENSURE(fs->job.count == 1, CLO_E_FORMAT,
               "fetch: the job has one input (its sources' private queries)");
    clo_keyring_expire(&e->keys, now);
    CLO_TRY(clo_keyring_find(&e->keys, fs->job.epoch, &ep));
    clo_rt_job_binding(&fs->job, &b);
    clo_buf_init(&plain, 64 + CLO_WL_MAX_SOURCES * (3 + MAX_QUERY));
    err = clo_envelope_request_open(&plain, &rk, &b, ep->hpke, fs->inputs[0]);
    clo_envelope_reply_key_wipe(&rk);
    if (err.code) {
        clo_buf_free(&plain);
        return CLO_ERR(CLO_E_AUTH, "fetch: the job's input (its private queries) does not open");
    }
    clo_cur c = clo_cur_init(clo_buf_view(&plain));
    uint8_t version, n, seen[CLO_WL_MAX_SOURCES] = {0};
    CLO_CHECK(clo_cur_u8(&c, &version));
    CLO_FAIL_IF(version != 1, CLO_E_VERSION, "fetch.queries.version");
    CLO_CHECK(clo_cur_u8(&c, &n));
    for (size_t k = 0; k < n; k++) {
        uint8_t src;
        uint16_t len;
        clo_bytes q;
        CLO_CHECK(clo_cur_u8(&c, &src));
        CLO_FAIL_IF(src >= fs->n || seen[src], CLO_E_FORMAT,
                    "fetch.queries: a source not in the config, or twice");
        seen[src] = 1;
        CLO_CHECK(clo_cur_u16be(&c, &len));
        CLO_FAIL_IF(len == 0 || len > MAX_QUERY, CLO_E_FORMAT, "fetch.queries: 1 to 2048 bytes");
        CLO_CHECK(clo_cur_take(&c, len, &q));
        for (size_t i = 0; i < len; i++)
            CLO_FAIL_IF(q.ptr[i] <= 0x20 || q.ptr[i] >= 0x7f, CLO_E_FORMAT,
                        "fetch.queries: visible ASCII only");
        CLO_CHECK(clo_buf_append_bytes(&fs->s[src].query, q));
    }
    CLO_CHECK(clo_cur_end(&c));
out:
    clo_wipe(plain.ptr, plain.len);
    clo_buf_free(&plain);
    return err;
}

static struct fetch_session **find(clo_enclave *e, const uint8_t handle[16])
{
    for (size_t i = 0; i < MAX_FETCHES; i++)
        if (e->fetches[i] && !memcmp(e->fetches[i]->handle, handle, 16)) return &e->fetches[i];
    return NULL;
}

/* A slot for a new fetch: a free one, or the least recently used. */
static struct fetch_session **slot(clo_enclave *e)
{
    struct fetch_session **lru = &e->fetches[0];
    for (size_t i = 0; i < MAX_FETCHES; i++) {
        if (!e->fetches[i]) return &e->fetches[i];
        if (e->fetches[i]->touched < (*lru)->touched) lru = &e->fetches[i];
    }
    session_free(*lru);
    *lru = NULL;
    return lru;
}

clo_err clo_rt_fetch_begin(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp)
{
    clo_err err = CLO_OK;
    struct fetch_session *fs = calloc(1, sizeof *fs);
    CLO_ENSURE(fs, CLO_E_NOMEM, "fetch");
    fs->job_bytes = malloc(body.len ? body.len : 1);
    CLO_FAIL_IF(!fs->job_bytes, CLO_E_NOMEM, "fetch");
    if (body.len) memcpy(fs->job_bytes, body.ptr, body.len);
    clo_cur c = clo_cur_init(CLO_BYTES(fs->job_bytes, body.len));
    CLO_CHECK(clo_proto_job_decode(&c, &fs->job, fs->inputs));
    CLO_CHECK(clo_cur_end(&c));
    CLO_CHECK(clo_rt_job_check(e, &fs->job, now, &fs->at));
    const clo_workload *wl = clo_workload_by_id(fs->job.workload_id);
    CLO_FAIL_IF(!wl->sources, CLO_E_POLICY, "fetch: the job's workload fetches nothing");
    clo_wl_env env = {clo_rt_secret_view, e, e->pool};
    CLO_CHECK(wl->open(fs->job.config, &env, &fs->wl_state));
    fs->wl = wl;
    fs->n = wl->sources(fs->wl_state, &fs->src);
    CLO_FAIL_IF(fs->n < 1 || fs->n > CLO_PROTO_FETCH_MAX_SOURCES, CLO_E_FORMAT, "fetch: sources");
    for (size_t i = 0; i < fs->n; i++) clo_buf_init(&fs->s[i].query, MAX_QUERY);
    CLO_CHECK(private_queries(e, fs, now));
    CLO_CHECK(clo_random(fs->handle, 16));

    static clo_proto_fetch_begun b;
    clo_buf hello[CLO_WL_MAX_SOURCES];
    for (size_t i = 0; i < fs->n; i++) clo_buf_init(&hello[i], 1 << 16);
    memset(&b, 0, sizeof b);
    memcpy(b.handle, fs->handle, 16);
    b.count = fs->n;
    for (size_t i = 0; i < fs->n && !err.code; i++) {
        err = open_source(e, fs, i, &hello[i]);
        memcpy(b.s[i].host, fs->src[i].host, sizeof b.s[i].host);
        b.s[i].port = fs->src[i].port;
        b.s[i].state = (uint8_t)fs->s[i].done;
        b.s[i].to_server = clo_buf_view(&hello[i]);
    }
    if (!err.code) err = clo_proto_fetch_begun_encode(&b, resp);
    for (size_t i = 0; i < fs->n; i++) clo_buf_free(&hello[i]);
    CLO_CHECK(err);
    struct fetch_session **at = slot(e);
    fs->touched = ++e->fetch_clock;
    *at = fs;
    return CLO_OK;
out:
    session_free(fs);
    return err;
}

clo_err clo_rt_fetch_pump(clo_enclave *e, clo_bytes body, clo_buf *resp)
{
    clo_proto_fetch_pump p;
    CLO_TRY(clo_proto_fetch_pump_decode(body, &p));
    struct fetch_session **at = find(e, p.handle);
    CLO_ENSURE(at, CLO_E_STATE, "fetch_pump: no such fetch (ended, or given way to a newer one)");
    struct fetch_session *fs = *at;
    CLO_ENSURE(p.source < fs->n, CLO_E_ARG, "fetch_pump: source");
    fs->touched = ++e->fetch_clock;
    clo_buf out;
    clo_buf_init(&out, CLO_PROTO_FETCH_MAX_BYTES);
    fetch_src *s = &fs->s[p.source];
    clo_err err = step(e, &fs->src[p.source], s, p.from_server, p.eof, &out);
    if (!err.code) {
        clo_proto_fetch_pumped r = {(uint8_t)s->done, clo_buf_view(&out)};
        err = clo_proto_fetch_pumped_encode(&r, resp);
    }
    clo_buf_free(&out);
    return err;
}

clo_err clo_rt_fetch_end(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp)
{
    CLO_ENSURE(body.len == 16, CLO_E_FORMAT, "fetch_end: handle[16]");
    struct fetch_session **at = find(e, body.ptr);
    CLO_ENSURE(at, CLO_E_STATE, "fetch_end: no such fetch (ended, or given way to a newer one)");
    struct fetch_session *fs = *at;
    *at = NULL;
    /* A source the host never finished carrying was not fetched. */
    for (size_t i = 0; i < fs->n; i++) {
        if (!fs->s[i].done) finish(&fs->s[i], CLO_FETCH_NOT_FETCHED);
        fs->f[i] = fs->s[i].f;
    }
    clo_rt_fetched fetched = {fs->f, fs->n, fs->at};
    clo_err err = clo_rt_run_fetched(e, &fs->job, now, &fetched, resp);
    session_free(fs);
    return err;
}
