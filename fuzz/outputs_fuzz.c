/* outputs_fuzz.c — the clients' decoders of workload outputs (client/outputs.h)
 * on untrusted bytes (a settled job's public output is whatever the chain
 * holds). Beyond "no crash": an accepted output's views lie inside the input,
 * and every excluded position and vote count can be read. */
#include <stdlib.h>
#include <string.h>

#include "client/outputs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(clo_bytes in, clo_bytes v)
{
    if (v.len && (v.ptr < in.ptr || v.ptr + v.len > in.ptr + in.len)) abort();
}

static void excluded(clo_bytes in, const clo_excluded *x)
{
    inside(in, x->pos);
    if (x->pos.len != 2 * x->count) abort();
    volatile uint16_t sink = 0;
    for (size_t i = 0; i < x->count; i++) sink ^= clo_excluded_at(x, i);
    (void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    clo_bytes in = CLO_BYTES(data, size);
    clo_auction_public a;
    clo_vote_public v;
    clo_oracle_public o;
    clo_policy_public p;
    clo_onnx_public x;
    if (!clo_auction_public_decode(in, &a).code) excluded(in, &a.excluded);
    if (!clo_vote_public_decode(in, &v).code) {
        inside(in, v.counts);
        if (v.counts.len != 4 * (size_t)v.choices) abort();
        for (size_t k = 0; k < v.choices; k++) (void)clo_vote_count(&v, k);
        excluded(in, &v.excluded);
    }
    if (!clo_oracle_public_decode(in, &o).code) excluded(in, &o.excluded);
    if (!clo_policy_public_decode(in, &p).code) {
        inside(in, p.decisions);
        excluded(in, &p.excluded);
    }
    if (!clo_onnx_public_decode(in, &x).code) excluded(in, &x.excluded);
    static clo_oracle_https_public h;
    if (!clo_oracle_https_public_decode(in, &h).code) {
        if (h.count < 1 || h.count > CLO_WL_MAX_SOURCES) abort();
        for (size_t i = 0; i < h.count; i++)
            if (!h.src[i].host[0] || strlen(h.src[i].host) >= sizeof h.src[i].host ||
                !clo_fetch_outcome_name(h.src[i].outcome))
                abort();
        excluded(in, &h.excluded);
    }
    int won;
    uint8_t price[32];
    CLO_IGNORE(clo_auction_private_decode(in, &won, price));
    return 0;
}
