/* workload.c — the registry of built-in workloads. */
#include "workloads/workload.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/keccak.h"

static const clo_workload *const all[] = {&clo_wl_auction, &clo_wl_vote, &clo_wl_oracle,
                                          &clo_wl_policy,  &clo_wl_onnx, &clo_wl_oracle_https};

void clo_workload_id(const char *name, uint8_t out[32])
{
    clo_keccak_ctx k;
    clo_keccak256_init(&k);
    clo_keccak256_update(&k, clo_bytes_str("cloister/workload/"));
    clo_keccak256_update(&k, clo_bytes_str(name));
    clo_keccak256_final(&k, out);
}

size_t clo_workload_count(void)
{
    return sizeof all / sizeof all[0];
}

const clo_workload *clo_workload_at(size_t i)
{
    return i < clo_workload_count() ? all[i] : NULL;
}

const clo_workload *clo_workload_by_name(const char *name)
{
    for (size_t i = 0; i < clo_workload_count(); i++)
        if (!strcmp(all[i]->name, name)) return all[i];
    return NULL;
}

const clo_workload *clo_workload_by_id(const uint8_t id[32])
{
    uint8_t want[32];
    for (size_t i = 0; i < clo_workload_count(); i++) {
        clo_workload_id(all[i]->name, want);
        if (!memcmp(want, id, 32)) return all[i];
    }
    return NULL;
}

clo_err clo_wl_put_excluded(clo_buf *pub, const clo_wl_call *call)
{
    uint16_t n = 0;
    for (size_t i = 0; i < call->count; i++) n += call->excluded[i] != 0;
    CLO_TRY(clo_buf_u16be(pub, n));
    for (size_t i = 0; i < call->count; i++)
        if (call->excluded[i]) CLO_TRY(clo_buf_u16be(pub, (uint16_t)i));
    return CLO_OK;
}

clo_err clo_wl_keep(const void *cfg, size_t size, void **state)
{
    void *s = malloc(size);
    CLO_ENSURE(s, CLO_E_NOMEM, "workload config");
    memcpy(s, cfg, size);
    *state = s;
    return CLO_OK;
}

clo_err clo_workload_check(const clo_workload *w, clo_bytes config)
{
    void *st = NULL;
    CLO_TRY(w->open(config, NULL, &st));
    w->close(st);
    return CLO_OK;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t clo_wl_median(int64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_i64);
    if (n % 2) return v[n / 2];
    return (int64_t)(((__int128)v[n / 2 - 1] + v[n / 2]) / 2);
}

int clo_wl_within(int64_t v, int64_t ref, uint32_t bps)
{
    if (bps == 0) return 1;
    __int128 d = (__int128)v - ref, m = ref;
    if (d < 0) d = -d;
    if (m < 0) m = -m;
    return d * 10000 <= m * bps;
}
