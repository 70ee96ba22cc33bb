/* vote.c — private vote tally (docs/formats.md §5.2).
 *
 * config: u8 version=1 | u16 choices (1..256)
 * ballot: u8 version=1 | voter[20] | u16 choice (< choices)
 * public: u8 version=2 | u16 choices | u32 total | u32 count[choices]
 *         | u16 n | n x u16 excluded position
 * private (per ballot): u8 version=1 | u8 counted | u16 choice (a receipt)
 * Only the totals are public; who chose what stays inside. One ballot per
 * voter: a later ballot claiming a voter already counted is excluded, as is a
 * ballot that does not open or parse; none of them fails the tally. */
#include <stdlib.h>
#include <string.h>

#include "workloads/workload.h"

#define MAX_CHOICES 256

static clo_err open_vote(clo_bytes config, const clo_wl_env *env, void **state)
{
    (void)env;
    clo_cur c = clo_cur_init(config);
    uint8_t version;
    uint16_t choices;
    CLO_TRY(clo_cur_u8(&c, &version));
    CLO_ENSURE(version == 1, CLO_E_VERSION, "vote.config.version");
    CLO_TRY(clo_cur_u16be(&c, &choices));
    CLO_ENSURE(choices >= 1 && choices <= MAX_CHOICES, CLO_E_FORMAT, "vote.config.choices");
    CLO_ENSURE(clo_cur_left(&c) == 0, CLO_E_FORMAT, "vote.config: trailing bytes");
    return clo_wl_keep(&choices, sizeof choices, state);
}

typedef struct {
    uint8_t voter[20];
    uint16_t choice;
} ballot;

static clo_err parse_ballot(clo_bytes in, uint16_t choices, ballot *out)
{
    clo_cur c = clo_cur_init(in);
    uint8_t version;
    CLO_ENSURE(in.len == 23, CLO_E_FORMAT, "vote.ballot: size");
    CLO_TRY(clo_cur_u8(&c, &version));
    CLO_ENSURE(version == 1, CLO_E_VERSION, "vote.ballot.version");
    CLO_TRY(clo_cur_copy(&c, out->voter, 20));
    CLO_TRY(clo_cur_u16be(&c, &out->choice));
    CLO_ENSURE(out->choice < choices, CLO_E_FORMAT, "vote.ballot.choice");
    return clo_cur_end(&c);
}

static clo_err run_vote(const void *state, const clo_wl_call *call, clo_buf *pub, clo_buf *priv)
{
    const uint16_t choices = *(const uint16_t *)state;
    uint32_t counts[MAX_CHOICES] = {0};
    clo_err err = CLO_OK;
    ballot *b = calloc(call->count, sizeof *b);
    CLO_ENSURE(b, CLO_E_NOMEM, "vote.ballots");
    uint32_t total = 0;
    for (size_t i = 0; i < call->count; i++) {
        if (!call->excluded[i] && !parse_ballot(call->inputs[i], choices, &b[i]).code)
            for (size_t j = 0; j < i && !call->excluded[i]; j++)
                call->excluded[i] = !call->excluded[j] && !memcmp(b[j].voter, b[i].voter, 20);
        else
            call->excluded[i] = 1;
        if (call->excluded[i]) continue;
        counts[b[i].choice]++;
        total++;
    }
    CLO_CHECK(clo_buf_u8(pub, 2));
    CLO_CHECK(clo_buf_u16be(pub, choices));
    CLO_CHECK(clo_buf_u32be(pub, total));
    for (size_t k = 0; k < choices; k++) CLO_CHECK(clo_buf_u32be(pub, counts[k]));
    CLO_CHECK(clo_wl_put_excluded(pub, call));
    for (size_t i = 0; i < call->count; i++) {
        CLO_CHECK(clo_buf_u8(&priv[i], 1));
        CLO_CHECK(clo_buf_u8(&priv[i], !call->excluded[i]));
        CLO_CHECK(clo_buf_u16be(&priv[i], call->excluded[i] ? 0 : b[i].choice));
    }
out:
    free(b);
    return err;
}

const clo_workload clo_wl_vote = {"vote", open_vote, run_vote, free, NULL};
