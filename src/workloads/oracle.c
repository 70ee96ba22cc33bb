/* oracle.c — price aggregation over hidden sources: median or TWAP, with
 * outlier rejection (docs/formats.md §5.3).
 *
 * config: u8 version=1 | u8 mode (1 median of latest, 2 TWAP) | u16 min_sources
 *         | u32 max_deviation_bps (0: no rejection) | u32 window_seconds (TWAP)
 * report: u8 version=1 | source[20] | u16 n (1..256) | n x (u64 time | i64 price)
 *         times strictly increasing
 * public: u8 version=2 | u8 mode | i64 value | u16 used | u16 rejected | u64 as_of
 *         | u16 n | n x u16 excluded position
 * private (per report): u8 version=1 | u8 accepted
 *
 * A report that does not open or parse, or repeats a source already counted,
 * is excluded (named in the public output, not counted as rejected).
 *
 * as_of is the latest observation time over all reports. A source's value is
 * its latest price (median mode) or its time-weighted average over
 * [as_of - window, as_of], each price holding until the next observation and
 * the last until as_of. The aggregate is the median of the values whose
 * distance from the first median is within max_deviation_bps of it; fewer than
 * min_sources such values is a policy error. Integer arithmetic throughout
 * (128-bit intermediates, division truncates toward zero), so every enclave
 * computes the same value. */
#include <stdlib.h>
#include <string.h>

#include "workloads/workload.h"

enum { MODE_MEDIAN = 1, MODE_TWAP = 2 };
#define MAX_OBS 256

typedef struct {
    uint8_t mode;
    uint16_t min_sources;
    uint32_t max_dev_bps, window;
} oracle_cfg;

typedef struct {
    uint8_t source[20];
    uint16_t n;
    uint64_t t[MAX_OBS];
    int64_t p[MAX_OBS];
    int64_t value;
} report;

static clo_err open_oracle(clo_bytes config, const clo_wl_env *env, void **state)
{
    (void)env;
    clo_cur c = clo_cur_init(config);
    uint8_t version;
    oracle_cfg cfg = {0};
    CLO_TRY(clo_cur_u8(&c, &version));
    CLO_ENSURE(version == 1, CLO_E_VERSION, "oracle.config.version");
    CLO_TRY(clo_cur_u8(&c, &cfg.mode));
    CLO_ENSURE(cfg.mode == MODE_MEDIAN || cfg.mode == MODE_TWAP, CLO_E_FORMAT,
               "oracle.config.mode");
    CLO_TRY(clo_cur_u16be(&c, &cfg.min_sources));
    CLO_ENSURE(cfg.min_sources >= 1, CLO_E_FORMAT, "oracle.config.min_sources");
    CLO_TRY(clo_cur_u32be(&c, &cfg.max_dev_bps));
    CLO_TRY(clo_cur_u32be(&c, &cfg.window));
    CLO_ENSURE(cfg.mode != MODE_TWAP || cfg.window > 0, CLO_E_FORMAT, "oracle.config.window");
    CLO_ENSURE(clo_cur_left(&c) == 0, CLO_E_FORMAT, "oracle.config: trailing bytes");
    return clo_wl_keep(&cfg, sizeof cfg, state);
}

static clo_err parse_report(clo_bytes in, report *r)
{
    clo_cur c = clo_cur_init(in);
    uint8_t version;
    CLO_TRY(clo_cur_u8(&c, &version));
    CLO_ENSURE(version == 1, CLO_E_VERSION, "oracle.report.version");
    CLO_TRY(clo_cur_copy(&c, r->source, 20));
    CLO_TRY(clo_cur_u16be(&c, &r->n));
    CLO_ENSURE(r->n >= 1 && r->n <= MAX_OBS, CLO_E_FORMAT, "oracle.report.count");
    for (size_t i = 0; i < r->n; i++) {
        uint64_t p;
        CLO_TRY(clo_cur_u64be(&c, &r->t[i]));
        CLO_TRY(clo_cur_u64be(&c, &p));
        r->p[i] = (int64_t)p;
        CLO_ENSURE(i == 0 || r->t[i] > r->t[i - 1], CLO_E_FORMAT, "oracle.report.time order");
    }
    return clo_cur_end(&c);
}

static int64_t twap(const report *r, uint64_t as_of, uint32_t window)
{
    uint64_t start = as_of > window ? as_of - window : 0;
    __int128 sum = 0;
    uint64_t weight = 0;
    for (size_t i = 0; i < r->n; i++) {
        uint64_t a = r->t[i], b = i + 1 < r->n ? r->t[i + 1] : as_of;
        if (a < start) a = start;
        if (b <= a) continue;
        sum += (__int128)r->p[i] * (__int128)(b - a);
        weight += b - a;
    }
    /* No time inside the window (all observations older, or one at as_of):
     * the latest price stands. */
    return weight ? (int64_t)(sum / (__int128)weight) : r->p[r->n - 1];
}

static clo_err run_oracle(const void *state, const clo_wl_call *call, clo_buf *pub, clo_buf *priv)
{
    const oracle_cfg *cfg = state;
    clo_err err = CLO_OK;
    report *r = calloc(call->count, sizeof *r);
    int64_t *v = calloc(call->count, sizeof *v);
    uint8_t *ok = calloc(call->count, 1);
    CLO_FAIL_IF(!r || !v || !ok, CLO_E_NOMEM, "oracle.reports");
    uint64_t as_of = 0;
    size_t valid = 0;
    for (size_t i = 0; i < call->count; i++) {
        /* one report per source: a later report naming a counted source is excluded */
        if (!call->excluded[i] && !parse_report(call->inputs[i], &r[i]).code)
            for (size_t j = 0; j < i && !call->excluded[i]; j++)
                call->excluded[i] = !call->excluded[j] && !memcmp(r[j].source, r[i].source, 20);
        else
            call->excluded[i] = 1;
        if (call->excluded[i]) continue;
        valid++;
        if (r[i].t[r[i].n - 1] > as_of) as_of = r[i].t[r[i].n - 1];
    }
    CLO_FAIL_IF(valid == 0, CLO_E_POLICY, "oracle: fewer sources than min_sources");
    size_t k = 0;
    for (size_t i = 0; i < call->count; i++) {
        if (call->excluded[i]) continue;
        r[i].value =
            cfg->mode == MODE_MEDIAN ? r[i].p[r[i].n - 1] : twap(&r[i], as_of, cfg->window);
        v[k++] = r[i].value;
    }
    int64_t first = clo_wl_median(v, valid);
    size_t used = 0;
    for (size_t i = 0; i < call->count; i++)
        if (!call->excluded[i] &&
            (ok[i] = (uint8_t)clo_wl_within(r[i].value, first, cfg->max_dev_bps)))
            v[used++] = r[i].value;
    CLO_FAIL_IF(used < cfg->min_sources || used == 0, CLO_E_POLICY,
                "oracle: fewer sources than min_sources");
    int64_t value = clo_wl_median(v, used);
    CLO_CHECK(clo_buf_u8(pub, 2));
    CLO_CHECK(clo_buf_u8(pub, cfg->mode));
    CLO_CHECK(clo_buf_u64be(pub, (uint64_t)value));
    CLO_CHECK(clo_buf_u16be(pub, (uint16_t)used));
    CLO_CHECK(clo_buf_u16be(pub, (uint16_t)(valid - used)));
    CLO_CHECK(clo_buf_u64be(pub, as_of));
    CLO_CHECK(clo_wl_put_excluded(pub, call));
    for (size_t i = 0; i < call->count; i++) {
        CLO_CHECK(clo_buf_u8(&priv[i], 1));
        CLO_CHECK(clo_buf_u8(&priv[i], ok[i]));
    }
out:
    free(r);
    free(v);
    free(ok);
    return err;
}

const clo_workload clo_wl_oracle = {"oracle", open_oracle, run_oracle, free, NULL};
