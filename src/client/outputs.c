/* outputs.c — the workloads' output and input layouts (see outputs.h). */
#include "client/outputs.h"

#include <string.h>

uint16_t clo_excluded_at(const clo_excluded *x, size_t i)
{
    return clo_load_u16be(x->pos.ptr + 2 * i);
}

uint32_t clo_vote_count(const clo_vote_public *v, size_t choice)
{
    return clo_load_u32be(v->counts.ptr + 4 * choice);
}

/* The version byte, then (after the caller's fields) the excluded tail. */
static clo_err version(clo_cur *c, const char *what)
{
    uint8_t v;
    CLO_TRY(clo_cur_u8(c, &v));
    CLO_ENSURE(v == CLO_PUBLIC_VERSION, CLO_E_VERSION, what);
    return CLO_OK;
}

static clo_err excluded(clo_cur *c, clo_excluded *x)
{
    uint16_t n;
    CLO_TRY(clo_cur_u16be(c, &n));
    x->count = n;
    CLO_TRY(clo_cur_take(c, 2 * (size_t)n, &x->pos));
    return clo_cur_end(c);
}

clo_err clo_auction_public_decode(clo_bytes p, clo_auction_public *out)
{
    clo_cur c = clo_cur_init(p);
    uint8_t sold;
    CLO_TRY(version(&c, "auction output: version"));
    CLO_TRY(clo_cur_u8(&c, &sold));
    out->sold = sold != 0;
    CLO_TRY(clo_cur_u16be(&c, &out->bids));
    CLO_TRY(clo_cur_copy(&c, out->winner, 20));
    CLO_TRY(clo_cur_copy(&c, out->price, 32));
    CLO_TRY(clo_cur_u16be(&c, &out->winner_index));
    return excluded(&c, &out->excluded);
}

clo_err clo_vote_public_decode(clo_bytes p, clo_vote_public *out)
{
    clo_cur c = clo_cur_init(p);
    CLO_TRY(version(&c, "vote output: version"));
    CLO_TRY(clo_cur_u16be(&c, &out->choices));
    CLO_TRY(clo_cur_u32be(&c, &out->total));
    CLO_TRY(clo_cur_take(&c, 4 * (size_t)out->choices, &out->counts));
    return excluded(&c, &out->excluded);
}

clo_err clo_oracle_public_decode(clo_bytes p, clo_oracle_public *out)
{
    clo_cur c = clo_cur_init(p);
    uint64_t v;
    CLO_TRY(version(&c, "oracle output: version"));
    CLO_TRY(clo_cur_u8(&c, &out->mode));
    CLO_TRY(clo_cur_u64be(&c, &v));
    out->value = (int64_t)v;
    CLO_TRY(clo_cur_u16be(&c, &out->used));
    CLO_TRY(clo_cur_u16be(&c, &out->rejected));
    CLO_TRY(clo_cur_u64be(&c, &out->as_of));
    return excluded(&c, &out->excluded);
}

const char *clo_fetch_outcome_name(uint8_t outcome)
{
    static const char *const names[] = {"used", "outlier", "not-fetched", "tls-auth",  "tls-stale",
                                        "http", "value",   "date",        "too-large", "no-secret"};
    return outcome < sizeof names / sizeof names[0] ? names[outcome] : "unknown";
}

clo_err clo_oracle_https_public_decode(clo_bytes p, clo_oracle_https_public *out)
{
    clo_cur c = clo_cur_init(p);
    uint64_t v;
    uint8_t n;
    memset(out, 0, sizeof *out);
    CLO_TRY(version(&c, "oracle-https output: version"));
    CLO_TRY(clo_cur_u64be(&c, &v));
    out->value = (int64_t)v;
    CLO_TRY(clo_cur_u16be(&c, &out->used));
    CLO_TRY(clo_cur_u16be(&c, &out->outliers));
    CLO_TRY(clo_cur_u16be(&c, &out->failed));
    CLO_TRY(clo_cur_u64be(&c, &out->as_of));
    CLO_TRY(clo_cur_u64be(&c, &out->valid_from));
    CLO_TRY(clo_cur_u64be(&c, &out->valid_until));
    CLO_TRY(clo_cur_u8(&c, &n));
    CLO_ENSURE(n >= 1 && n <= CLO_WL_MAX_SOURCES, CLO_E_FORMAT, "oracle-https output: sources");
    out->count = n;
    for (size_t i = 0; i < n; i++) {
        clo_https_record *r = &out->src[i];
        CLO_TRY(clo_cur_u8(&c, &r->outcome));
        CLO_TRY(clo_cur_str8(&c, r->host, sizeof r->host, "oracle-https output: host"));
        CLO_TRY(clo_cur_u16be(&c, &r->port));
        CLO_TRY(clo_cur_copy(&c, r->path_sha256, 32));
        CLO_TRY(clo_cur_copy(&c, r->spki_sha256, 32));
        CLO_TRY(clo_cur_u16be(&c, &r->tls_version));
        CLO_TRY(clo_cur_u16be(&c, &r->http_status));
        CLO_TRY(clo_cur_u64be(&c, &r->date));
        CLO_TRY(clo_cur_u64be(&c, &r->cert_from));
        CLO_TRY(clo_cur_u64be(&c, &r->cert_until));
        CLO_TRY(clo_cur_copy(&c, r->body_sha256, 32));
        CLO_TRY(clo_cur_u64be(&c, &v));
        r->value = (int64_t)v;
    }
    return excluded(&c, &out->excluded);
}

clo_err clo_oracle_https_config_encode(uint16_t min_sources, uint32_t max_dev_bps, uint32_t max_age,
                                       const clo_bytes *cas, size_t nca,
                                       const clo_https_source_spec *s, size_t n, clo_buf *out)
{
    CLO_ENSURE(n >= 1 && n <= CLO_WL_MAX_SOURCES, CLO_E_ARG,
               "oracle-https config: 1 to 16 sources");
    CLO_ENSURE(nca <= CLO_WL_MAX_CAS, CLO_E_ARG, "oracle-https config: at most 4 CAs");
    CLO_TRY(clo_buf_u8(out, 1));
    CLO_TRY(clo_buf_u16be(out, min_sources));
    CLO_TRY(clo_buf_u32be(out, max_dev_bps));
    CLO_TRY(clo_buf_u32be(out, max_age));
    CLO_TRY(clo_buf_u8(out, (uint8_t)nca));
    for (size_t i = 0; i < nca; i++) {
        CLO_ENSURE(cas[i].len <= UINT16_MAX, CLO_E_ARG, "oracle-https config: a CA's size");
        CLO_TRY(clo_buf_u16be(out, (uint16_t)cas[i].len));
        CLO_TRY(clo_buf_append_bytes(out, cas[i]));
    }
    CLO_TRY(clo_buf_u8(out, (uint8_t)n));
    for (size_t i = 0; i < n; i++) {
        size_t hl = strlen(s[i].host), pl = strlen(s[i].path), jl = strlen(s[i].json_path);
        CLO_ENSURE(hl <= 253 && pl <= 2048 && jl <= 255 && s[i].npins <= 8, CLO_E_ARG,
                   "oracle-https config: a source's field is too long");
        CLO_TRY(clo_buf_u8(out, (uint8_t)hl));
        CLO_TRY(clo_buf_append(out, s[i].host, hl));
        CLO_TRY(clo_buf_u16be(out, s[i].port));
        CLO_TRY(clo_buf_u16be(out, (uint16_t)pl));
        CLO_TRY(clo_buf_append(out, s[i].path, pl));
        CLO_TRY(clo_buf_u8(out, (uint8_t)jl));
        CLO_TRY(clo_buf_append(out, s[i].json_path, jl));
        CLO_TRY(clo_buf_u8(out, s[i].decimals));
        CLO_TRY(clo_buf_u8(out, s[i].trust));
        CLO_TRY(clo_buf_u8(out, (uint8_t)s[i].npins));
        if (s[i].npins) CLO_TRY(clo_buf_append(out, s[i].pins, 32 * s[i].npins));
        CLO_TRY(clo_buf_append(out, s[i].headers_secret, 32));
        CLO_TRY(clo_buf_append(out, s[i].client_secret, 32));
    }
    /* what the enclave will accept, checked the same way */
    return clo_workload_check(&clo_wl_oracle_https, clo_buf_view(out));
}

clo_err clo_policy_public_decode(clo_bytes p, clo_policy_public *out)
{
    clo_cur c = clo_cur_init(p);
    uint16_t n;
    CLO_TRY(version(&c, "policy output: version"));
    CLO_TRY(clo_cur_u16be(&c, &n));
    CLO_TRY(clo_cur_take(&c, n, &out->decisions));
    return excluded(&c, &out->excluded);
}

clo_err clo_onnx_public_decode(clo_bytes p, clo_onnx_public *out)
{
    clo_cur c = clo_cur_init(p);
    CLO_TRY(version(&c, "onnx output: version"));
    CLO_TRY(clo_cur_copy(&c, out->model_id, 32));
    CLO_TRY(clo_cur_u32be(&c, &out->inputs));
    CLO_TRY(clo_cur_u32be(&c, &out->answered));
    return excluded(&c, &out->excluded);
}

clo_err clo_auction_config_encode(uint8_t rule, const uint8_t reserve[32], clo_buf *out)
{
    CLO_ENSURE(rule == 1 || rule == 2, CLO_E_ARG, "auction config: rule");
    CLO_TRY(clo_buf_u8(out, 1));
    CLO_TRY(clo_buf_u8(out, rule));
    return clo_buf_append(out, reserve, 32);
}

clo_err clo_auction_bid_encode(const uint8_t bidder[20], const uint8_t amount[32], clo_buf *out)
{
    CLO_TRY(clo_buf_u8(out, 1));
    CLO_TRY(clo_buf_append(out, bidder, 20));
    return clo_buf_append(out, amount, 32);
}

clo_err clo_vote_ballot_encode(const uint8_t voter[20], uint16_t choice, clo_buf *out)
{
    CLO_TRY(clo_buf_u8(out, 1));
    CLO_TRY(clo_buf_append(out, voter, 20));
    return clo_buf_u16be(out, choice);
}

clo_err clo_oracle_report_encode(const uint8_t source[20], const clo_oracle_obs *obs, size_t n,
                                 clo_buf *out)
{
    CLO_ENSURE(n >= 1 && n <= 256, CLO_E_ARG, "oracle report: 1 to 256 observations");
    for (size_t i = 1; i < n; i++)
        CLO_ENSURE(obs[i].time > obs[i - 1].time, CLO_E_ARG, "oracle report: times increase");
    CLO_TRY(clo_buf_u8(out, 1));
    CLO_TRY(clo_buf_append(out, source, 20));
    CLO_TRY(clo_buf_u16be(out, (uint16_t)n));
    for (size_t i = 0; i < n; i++) {
        CLO_TRY(clo_buf_u64be(out, obs[i].time));
        CLO_TRY(clo_buf_u64be(out, (uint64_t)obs[i].price));
    }
    return CLO_OK;
}

clo_err clo_auction_private_decode(clo_bytes p, int *won, uint8_t price[32])
{
    clo_cur c = clo_cur_init(p);
    uint8_t v, w;
    CLO_TRY(clo_cur_u8(&c, &v));
    CLO_ENSURE(v == 1, CLO_E_VERSION, "auction answer: version");
    CLO_TRY(clo_cur_u8(&c, &w));
    CLO_TRY(clo_cur_copy(&c, price, 32));
    *won = w != 0;
    return clo_cur_end(&c);
}
