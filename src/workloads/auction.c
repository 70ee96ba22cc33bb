/* auction.c — sealed-bid auction, first or second price (docs/formats.md §5.1).
 *
 * config: u8 version=1 | u8 rule (1 first price, 2 second price) | reserve u256
 * bid:    u8 version=1 | bidder[20] | amount u256
 * public: u8 version=2 | u8 sold | u16 bids | winner[20] | price u256 | u16 winner_index
 *         | u16 n | n x u16 excluded position
 *         (winner_index: the winning input's position, so a contract can tell
 *         which depositor submitted the winning envelope; 0 when unsold)
 * private (per bid): u8 version=1 | u8 won | price u256 (zero unless won)
 *
 * Bids below the reserve do not qualify. The highest qualifying amount wins;
 * equal amounts are ordered by keccak256(job id || bidder), lowest first, which
 * nobody can steer without knowing the job id before bidding and which favours
 * no address range, then by position. Second price = max(reserve, best other
 * qualifying amount). A bid that does not open or parse is excluded and named
 * in the public output; it never fails the auction. The bidder field is the
 * bidder's own claim (the chain pays by position), so two bids claiming one
 * address both count: refusing them would let anyone veto an auction by
 * claiming another bidder's address. */
#include <stdlib.h>
#include <string.h>

#include "crypto/keccak.h"
#include "workloads/workload.h"

enum { RULE_FIRST = 1, RULE_SECOND = 2 };

typedef struct {
    uint8_t rule;
    uint8_t reserve[32];
} auction_cfg;

typedef struct {
    uint8_t bidder[20], amount[32], rank[32];
} bid;

static clo_err open_auction(clo_bytes config, const clo_wl_env *env, void **state)
{
    (void)env;
    clo_cur c = clo_cur_init(config);
    uint8_t version;
    auction_cfg cfg = {0};
    CLO_TRY(clo_cur_u8(&c, &version));
    CLO_ENSURE(version == 1, CLO_E_VERSION, "auction.config.version");
    CLO_TRY(clo_cur_u8(&c, &cfg.rule));
    CLO_ENSURE(cfg.rule == RULE_FIRST || cfg.rule == RULE_SECOND, CLO_E_FORMAT,
               "auction.config.rule");
    CLO_TRY(clo_cur_copy(&c, cfg.reserve, 32));
    CLO_ENSURE(clo_cur_left(&c) == 0, CLO_E_FORMAT, "auction.config: trailing bytes");
    return clo_wl_keep(&cfg, sizeof cfg, state);
}

static clo_err parse_bid(clo_bytes in, bid *out)
{
    clo_cur c = clo_cur_init(in);
    uint8_t version;
    CLO_ENSURE(in.len == 53, CLO_E_FORMAT, "auction.bid: size");
    CLO_TRY(clo_cur_u8(&c, &version));
    CLO_ENSURE(version == 1, CLO_E_VERSION, "auction.bid.version");
    CLO_TRY(clo_cur_copy(&c, out->bidder, 20));
    CLO_TRY(clo_cur_copy(&c, out->amount, 32));
    return clo_cur_end(&c);
}

/* a outranks b: higher amount, then lower tie-break rank. */
static int outranks(const bid *a, const bid *b)
{
    int d = memcmp(a->amount, b->amount, 32);
    return d > 0 || (d == 0 && memcmp(a->rank, b->rank, 32) < 0);
}

static clo_err run_auction(const void *state, const clo_wl_call *call, clo_buf *pub, clo_buf *priv)
{
    const auction_cfg *cfg = state;
    clo_err err = CLO_OK;
    bid *bids = calloc(call->count, sizeof *bids);
    CLO_ENSURE(bids, CLO_E_NOMEM, "auction.bids");
    size_t best = SIZE_MAX, second = SIZE_MAX;
    for (size_t i = 0; i < call->count; i++) {
        if (call->excluded[i] || parse_bid(call->inputs[i], &bids[i]).code) {
            call->excluded[i] = 1; /* never wins, never prices */
            continue;
        }
        clo_keccak_ctx k;
        clo_keccak256_init(&k);
        clo_keccak256_update(&k, CLO_BYTES(call->job_id, 32));
        clo_keccak256_update(&k, CLO_BYTES(bids[i].bidder, 20));
        clo_keccak256_final(&k, bids[i].rank);
        if (memcmp(bids[i].amount, cfg->reserve, 32) < 0) continue;
        if (best == SIZE_MAX || outranks(&bids[i], &bids[best])) {
            second = best;
            best = i;
        } else if (second == SIZE_MAX || outranks(&bids[i], &bids[second])) {
            second = i;
        }
    }
    uint8_t winner[20] = {0}, price[32] = {0};
    if (best != SIZE_MAX) {
        memcpy(winner, bids[best].bidder, 20);
        if (cfg->rule == RULE_FIRST)
            memcpy(price, bids[best].amount, 32);
        else
            memcpy(price, second != SIZE_MAX ? bids[second].amount : cfg->reserve, 32);
    }
    CLO_CHECK(clo_buf_u8(pub, 2));
    CLO_CHECK(clo_buf_u8(pub, best != SIZE_MAX));
    CLO_CHECK(clo_buf_u16be(pub, (uint16_t)call->count));
    CLO_CHECK(clo_buf_append(pub, winner, 20));
    CLO_CHECK(clo_buf_append(pub, price, 32));
    CLO_CHECK(clo_buf_u16be(pub, best != SIZE_MAX ? (uint16_t)best : 0));
    CLO_CHECK(clo_wl_put_excluded(pub, call));
    for (size_t i = 0; i < call->count; i++) {
        static const uint8_t zero[32];
        CLO_CHECK(clo_buf_u8(&priv[i], 1));
        CLO_CHECK(clo_buf_u8(&priv[i], i == best));
        CLO_CHECK(clo_buf_append(&priv[i], i == best ? price : zero, 32));
    }
out:
    free(bids);
    return err;
}

const clo_workload clo_wl_auction = {"auction", open_auction, run_auction, free, NULL};
