/* oracle_https.c — a price from HTTPS sources the enclave fetches itself
 * (issue 20; docs/formats.md §5.6). The host carries only ciphertext; the
 * fetching (TLS, HTTP) is src/enclave/fetch.c, which hands this workload one
 * clo_wl_fetched per source.
 *
 * config: u8 version=1 | u16 min_sources | u32 max_deviation_bps (0: none)
 *         | u32 max_age (the Date's allowed distance from the job's time, s)
 *         | u8 nca (0..4) | nca x (u16 size | CA certificate, DER)
 *         | u8 n (1..16) | n x source
 * source: u8 size | host | u16 port | u16 size | path | u8 size | json path
 *         | u8 decimals (0..18) | u8 trust (1 system roots, 2 the config's CAs, 3 pins)
 *         | u8 npins (0..8) | npins x spki_sha256[32]
 *         | headers_secret[32] | client_secret[32]       (zero: none)
 * input:  exactly one, read by the fetch (src/enclave/fetch.c), not here: the
 *         sources' private queries, sealed, so that neither host nor chain sees
 *         them: u8 version=1 | u8 n | n x (u8 source | u16 size | query), each
 *         appended to its source's path as it is (visible ASCII, at most 2048
 *         bytes); its private output is empty
 * public: u8 version=2 | i64 value | u16 used | u16 outliers | u16 failed
 *         | u64 as_of | u64 valid_from | u64 valid_until | u8 n | n x record
 *         | u16 n | n x u16 excluded input position
 * record: u8 outcome | u8 size | host | u16 port | path_sha256[32]
 *         | spki_sha256[32] | u16 tls_version | u16 http_status | u64 date
 *         | u64 cert_from | u64 cert_until | body_sha256[32] | i64 value
 *
 * A source counts when its response was 200 with a Date inside its chain's
 * windows and within max_age of the job's time, and a number at its path.
 * The value is the median of the counted values within max_deviation_bps of
 * their first median; fewer than min_sources is a policy error. as_of is the
 * latest Date of the used sources; [valid_from, valid_until] is the
 * intersection of their chains' windows, which the consumer checks against
 * block.timestamp. */
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "workloads/jsonpath.h"
#include "workloads/workload.h"

typedef struct {
    clo_wl_source src;
    char jsonpath[256]; /* a u8 size and its NUL */
    uint8_t decimals;
    uint8_t pins[8][32];
} source;

typedef struct {
    uint16_t min_sources;
    uint32_t max_dev_bps, max_age;
    size_t nca;
    clo_bytes ca[CLO_WL_MAX_CAS];
    size_t n;
    source s[CLO_WL_MAX_SOURCES];
    clo_wl_source views[CLO_WL_MAX_SOURCES];
    uint8_t *config; /* the copy the views point into */
} https_cfg;

static void close_https(void *state)
{
    https_cfg *c = state;
    if (c) free(c->config);
    free(c);
}

static int host_ok(const uint8_t *p, size_t n)
{
    if (n == 0 || n > 253 || p[0] == '.' || p[0] == '-' || p[n - 1] == '.') return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = p[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                 (ch == '.' && p[i - 1] != '.');
        if (!ok) return 0;
    }
    return 1;
}

static int path_ok(clo_bytes p)
{
    if (p.len == 0 || p.len > 2048 || p.ptr[0] != '/') return 0;
    for (size_t i = 0; i < p.len; i++)
        if (p.ptr[i] <= 0x20 || p.ptr[i] >= 0x7f) return 0;
    return 1;
}

static clo_err parse_source(clo_cur *c, const https_cfg *cfg, source *s)
{
    uint8_t hl, jl, npins;
    uint16_t pl;
    clo_bytes host, jp;
    CLO_TRY(clo_cur_u8(c, &hl));
    CLO_TRY(clo_cur_take(c, hl, &host));
    CLO_ENSURE(host_ok(host.ptr, host.len), CLO_E_FORMAT,
               "oracle-https.source.host: a lowercase DNS name");
    memcpy(s->src.host, host.ptr, host.len);
    s->src.host[host.len] = 0;
    CLO_TRY(clo_cur_u16be(c, &s->src.port));
    CLO_ENSURE(s->src.port != 0, CLO_E_FORMAT, "oracle-https.source.port");
    CLO_TRY(clo_cur_u16be(c, &pl));
    CLO_TRY(clo_cur_take(c, pl, &s->src.path));
    CLO_ENSURE(path_ok(s->src.path), CLO_E_FORMAT,
               "oracle-https.source.path: '/' then visible ASCII, at most 2048 bytes");
    CLO_TRY(clo_cur_u8(c, &jl));
    CLO_TRY(clo_cur_take(c, jl, &jp));
    CLO_ENSURE(jl > 0 && !memchr(jp.ptr, 0, jl), CLO_E_FORMAT, "oracle-https.source.json_path");
    memcpy(s->jsonpath, jp.ptr, jl);
    s->jsonpath[jl] = 0;
    CLO_TRY(clo_jsonpath_check(s->jsonpath));
    CLO_TRY(clo_cur_u8(c, &s->decimals));
    CLO_ENSURE(s->decimals <= 18, CLO_E_FORMAT, "oracle-https.source.decimals: 0 to 18");
    CLO_TRY(clo_cur_u8(c, &s->src.trust));
    CLO_ENSURE(s->src.trust >= CLO_TRUST_SYSTEM && s->src.trust <= CLO_TRUST_PINS, CLO_E_FORMAT,
               "oracle-https.source.trust: 1 system roots, 2 a CA, 3 pins");
    CLO_TRY(clo_cur_u8(c, &npins));
    CLO_ENSURE(npins <= 8, CLO_E_FORMAT, "oracle-https.source.pins: at most 8");
    CLO_TRY(clo_cur_copy(c, s->pins, (size_t)npins * 32));
    s->src.npins = npins;
    s->src.pins = (const uint8_t(*)[32])s->pins;
    CLO_ENSURE(s->src.trust != CLO_TRUST_PINS || npins > 0, CLO_E_FORMAT,
               "oracle-https.source.pins: trust 3 needs at least one");
    CLO_ENSURE(s->src.trust != CLO_TRUST_CA || cfg->nca > 0, CLO_E_FORMAT,
               "oracle-https.source.trust: 2 needs the config's CAs");
    s->src.ca = cfg->ca;
    s->src.nca = s->src.trust == CLO_TRUST_CA ? cfg->nca : 0;
    CLO_TRY(clo_cur_copy(c, s->src.headers_secret, 32));
    CLO_TRY(clo_cur_copy(c, s->src.client_secret, 32));
    return CLO_OK;
}

static clo_err open_https(clo_bytes config, const clo_wl_env *env, void **state)
{
    (void)env;
    clo_err err = CLO_OK;
    uint8_t version, n;
    https_cfg *cfg = calloc(1, sizeof *cfg);
    CLO_ENSURE(cfg, CLO_E_NOMEM, "oracle-https.config");
    cfg->config = malloc(config.len ? config.len : 1);
    CLO_FAIL_IF(!cfg->config, CLO_E_NOMEM, "oracle-https.config");
    if (config.len) memcpy(cfg->config, config.ptr, config.len);
    clo_cur c = clo_cur_init(CLO_BYTES(cfg->config, config.len));
    CLO_CHECK(clo_cur_u8(&c, &version));
    CLO_FAIL_IF(version != 1, CLO_E_VERSION, "oracle-https.config.version");
    CLO_CHECK(clo_cur_u16be(&c, &cfg->min_sources));
    CLO_CHECK(clo_cur_u32be(&c, &cfg->max_dev_bps));
    CLO_CHECK(clo_cur_u32be(&c, &cfg->max_age));
    CLO_FAIL_IF(cfg->max_age == 0, CLO_E_FORMAT, "oracle-https.config.max_age");
    CLO_CHECK(clo_cur_u8(&c, &n));
    CLO_FAIL_IF(n > CLO_WL_MAX_CAS, CLO_E_FORMAT, "oracle-https.config.cas: at most 4");
    cfg->nca = n;
    for (size_t i = 0; i < cfg->nca; i++) {
        uint16_t len;
        CLO_CHECK(clo_cur_u16be(&c, &len));
        CLO_FAIL_IF(len == 0, CLO_E_FORMAT, "oracle-https.config.cas: empty");
        CLO_CHECK(clo_cur_take(&c, len, &cfg->ca[i]));
    }
    CLO_CHECK(clo_cur_u8(&c, &n));
    CLO_FAIL_IF(n < 1 || n > CLO_WL_MAX_SOURCES, CLO_E_FORMAT,
                "oracle-https.config.sources: 1 to 16");
    CLO_FAIL_IF(cfg->min_sources < 1 || cfg->min_sources > n, CLO_E_FORMAT,
                "oracle-https.config.min_sources: 1 to the number of sources");
    cfg->n = n;
    for (size_t i = 0; i < n; i++) {
        CLO_CHECK(parse_source(&c, cfg, &cfg->s[i]));
        cfg->views[i] = cfg->s[i].src;
    }
    CLO_FAIL_IF(clo_cur_left(&c) != 0, CLO_E_FORMAT, "oracle-https.config: trailing bytes");
    *state = cfg;
    return CLO_OK;
out:
    close_https(cfg);
    return err;
}

static size_t https_sources(const void *state, const clo_wl_source **out)
{
    const https_cfg *cfg = state;
    *out = cfg->views;
    return cfg->n;
}

/* A fetched source's value, or why it does not count. */
static uint8_t judge(const https_cfg *cfg, const source *s, const clo_wl_fetched *f, int64_t at,
                     int64_t *value)
{
    if (f->outcome != CLO_FETCH_OK) return f->outcome;
    if (f->http_status != 200) return CLO_FETCH_HTTP;
    if (f->date < 0 || f->date < f->cert_from || f->date > f->cert_until ||
        f->date < at - (int64_t)cfg->max_age || f->date > at + (int64_t)cfg->max_age)
        return CLO_FETCH_DATE;
    if (clo_jsonpath_decimal(f->body, s->jsonpath, s->decimals, value).code) return CLO_FETCH_VALUE;
    return CLO_FETCH_OK;
}

static clo_err run_https(const void *state, const clo_wl_call *call, clo_buf *pub, clo_buf *priv)
{
    const https_cfg *cfg = state;
    (void)priv; /* the input is the fetch's: its private output stays empty */
    CLO_ENSURE(call->fetched && call->nfetched == cfg->n, CLO_E_STATE,
               "oracle-https: run without its sources fetched");
    int64_t value[CLO_WL_MAX_SOURCES], v[CLO_WL_MAX_SOURCES];
    uint8_t outcome[CLO_WL_MAX_SOURCES];
    size_t valid = 0, used = 0, failed = 0;
    for (size_t i = 0; i < cfg->n; i++) {
        value[i] = 0;
        outcome[i] = judge(cfg, &cfg->s[i], &call->fetched[i], call->at, &value[i]);
        if (outcome[i] == CLO_FETCH_OK)
            v[valid++] = value[i];
        else
            failed++;
    }
    CLO_ENSURE(valid >= cfg->min_sources, CLO_E_POLICY,
               "oracle-https: fewer sources than min_sources answered");
    int64_t first = clo_wl_median(v, valid);
    for (size_t i = 0; i < cfg->n; i++) {
        if (outcome[i] != CLO_FETCH_OK) continue;
        if (clo_wl_within(value[i], first, cfg->max_dev_bps))
            v[used++] = value[i];
        else
            outcome[i] = CLO_FETCH_OUTLIER;
    }
    CLO_ENSURE(used >= cfg->min_sources, CLO_E_POLICY,
               "oracle-https: fewer sources than min_sources agree");
    int64_t result = clo_wl_median(v, used);
    int64_t as_of = INT64_MIN, from = INT64_MIN, until = INT64_MAX;
    for (size_t i = 0; i < cfg->n; i++) {
        const clo_wl_fetched *f = &call->fetched[i];
        if (outcome[i] != CLO_FETCH_OK) continue;
        if (f->date > as_of) as_of = f->date;
        if (f->cert_from > from) from = f->cert_from;
        if (f->cert_until < until) until = f->cert_until;
    }
    CLO_TRY(clo_buf_u8(pub, 2));
    CLO_TRY(clo_buf_u64be(pub, (uint64_t)result));
    CLO_TRY(clo_buf_u16be(pub, (uint16_t)used));
    CLO_TRY(clo_buf_u16be(pub, (uint16_t)(valid - used)));
    CLO_TRY(clo_buf_u16be(pub, (uint16_t)failed));
    CLO_TRY(clo_buf_u64be(pub, (uint64_t)as_of));
    CLO_TRY(clo_buf_u64be(pub, (uint64_t)from));
    CLO_TRY(clo_buf_u64be(pub, (uint64_t)until));
    CLO_TRY(clo_buf_u8(pub, (uint8_t)cfg->n));
    for (size_t i = 0; i < cfg->n; i++) {
        const clo_wl_source *s = &cfg->s[i].src;
        const clo_wl_fetched *f = &call->fetched[i];
        uint8_t h[32] = {0};
        size_t hl = strlen(s->host);
        int reached = f->outcome == CLO_FETCH_OK || f->outcome == CLO_FETCH_HTTP;
        CLO_TRY(clo_buf_u8(pub, outcome[i]));
        CLO_TRY(clo_buf_u8(pub, (uint8_t)hl));
        CLO_TRY(clo_buf_append(pub, s->host, hl));
        CLO_TRY(clo_buf_u16be(pub, s->port));
        CLO_TRY(clo_buf_append(pub, f->path_sha256, 32));
        CLO_TRY(clo_buf_append(pub, f->spki_sha256, 32));
        CLO_TRY(clo_buf_u16be(pub, f->tls_version));
        CLO_TRY(clo_buf_u16be(pub, f->http_status));
        CLO_TRY(clo_buf_u64be(pub, (uint64_t)(f->date < 0 ? 0 : f->date)));
        CLO_TRY(clo_buf_u64be(pub, (uint64_t)(reached ? f->cert_from : 0)));
        CLO_TRY(clo_buf_u64be(pub, (uint64_t)(reached ? f->cert_until : 0)));
        memset(h, 0, 32);
        if (reached) CLO_TRY(clo_sha256(f->body, h));
        CLO_TRY(clo_buf_append(pub, h, 32));
        CLO_TRY(clo_buf_u64be(pub, (uint64_t)value[i]));
    }
    return clo_wl_put_excluded(pub, call);
}

const clo_workload clo_wl_oracle_https = {"oracle-https", open_https, run_https, close_https,
                                          https_sources};
