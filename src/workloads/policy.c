/* policy.c — a credit/KYC decision over private attributes that returns only
 * the decision (docs/formats.md §5.4).
 *
 * config:    u8 version=1 | u16 min_score | u64 min_income | u32 max_dti_bps
 *            | u8 min_age | u8 required_kyc (bit mask) | u8 n (<= 32)
 *            | n x u16 blocked country (ISO 3166 numeric)
 * applicant: u8 version=1 | u16 score | u64 income | u64 debt_payments | u8 age
 *            | u8 kyc_flags | u16 country          (income and debt per year)
 * public:    u8 version=2 | u16 n | n x u8 decision (1 approve, 0 deny) | u16 m | m x u16
 *            excluded position (an applicant that did not open or parse: decision 0)
 * private (per applicant): u8 version=1 | u8 decision | u8 failed rules
 *            (bits: 1 score, 2 income, 4 debt-to-income, 8 age, 16 KYC, 32 country)
 * The attributes never leave the enclave; the reasons go only to the applicant. */
#include <stdlib.h>
#include <string.h>

#include "workloads/workload.h"

#define MAX_BLOCKED 32

typedef struct {
    uint16_t min_score;
    uint64_t min_income;
    uint32_t max_dti_bps;
    uint8_t min_age, kyc, n_blocked;
    uint16_t blocked[MAX_BLOCKED];
} policy_cfg;

enum { F_SCORE = 1, F_INCOME = 2, F_DTI = 4, F_AGE = 8, F_KYC = 16, F_COUNTRY = 32 };

static clo_err open_policy(clo_bytes config, const clo_wl_env *env, void **state)
{
    (void)env;
    clo_cur c = clo_cur_init(config);
    uint8_t version;
    policy_cfg cfg = {0};
    CLO_TRY(clo_cur_u8(&c, &version));
    CLO_ENSURE(version == 1, CLO_E_VERSION, "policy.config.version");
    CLO_TRY(clo_cur_u16be(&c, &cfg.min_score));
    CLO_TRY(clo_cur_u64be(&c, &cfg.min_income));
    CLO_TRY(clo_cur_u32be(&c, &cfg.max_dti_bps));
    CLO_TRY(clo_cur_u8(&c, &cfg.min_age));
    CLO_TRY(clo_cur_u8(&c, &cfg.kyc));
    CLO_TRY(clo_cur_u8(&c, &cfg.n_blocked));
    CLO_ENSURE(cfg.n_blocked <= MAX_BLOCKED, CLO_E_LIMIT, "policy.config.blocked");
    for (size_t i = 0; i < cfg.n_blocked; i++) CLO_TRY(clo_cur_u16be(&c, &cfg.blocked[i]));
    CLO_ENSURE(clo_cur_left(&c) == 0, CLO_E_FORMAT, "policy.config: trailing bytes");
    return clo_wl_keep(&cfg, sizeof cfg, state);
}

static clo_err decide(const policy_cfg *cfg, clo_bytes in, uint8_t *failed)
{
    clo_cur c = clo_cur_init(in);
    uint8_t version, age, kyc;
    uint16_t score, country;
    uint64_t income, debt;
    CLO_ENSURE(in.len == 23, CLO_E_FORMAT, "policy.applicant: size");
    CLO_TRY(clo_cur_u8(&c, &version));
    CLO_ENSURE(version == 1, CLO_E_VERSION, "policy.applicant.version");
    CLO_TRY(clo_cur_u16be(&c, &score));
    CLO_TRY(clo_cur_u64be(&c, &income));
    CLO_TRY(clo_cur_u64be(&c, &debt));
    CLO_TRY(clo_cur_u8(&c, &age));
    CLO_TRY(clo_cur_u8(&c, &kyc));
    CLO_TRY(clo_cur_u16be(&c, &country));
    CLO_TRY(clo_cur_end(&c));
    uint8_t f = 0;
    if (score < cfg->min_score) f |= F_SCORE;
    if (income < cfg->min_income) f |= F_INCOME;
    /* debt / income > max_dti_bps / 10000, without division */
    if ((unsigned __int128)debt * 10000 > (unsigned __int128)income * cfg->max_dti_bps) f |= F_DTI;
    if (age < cfg->min_age) f |= F_AGE;
    if ((kyc & cfg->kyc) != cfg->kyc) f |= F_KYC;
    for (size_t i = 0; i < cfg->n_blocked; i++)
        if (country == cfg->blocked[i]) f |= F_COUNTRY;
    *failed = f;
    return CLO_OK;
}

/* An applicant record that does not open or parse is excluded: decision 0
 * (not approved) in the public list, its position named after it, and its
 * private output says "failed rules" 0xff (none could be evaluated). */
static clo_err run_policy(const void *state, const clo_wl_call *call, clo_buf *pub, clo_buf *priv)
{
    CLO_TRY(clo_buf_u8(pub, 2));
    CLO_TRY(clo_buf_u16be(pub, (uint16_t)call->count));
    for (size_t i = 0; i < call->count; i++) {
        uint8_t failed = 0xff;
        if (call->excluded[i] || decide(state, call->inputs[i], &failed).code) {
            call->excluded[i] = 1;
            failed = 0xff;
        }
        CLO_TRY(clo_buf_u8(pub, failed == 0));
        CLO_TRY(clo_buf_u8(&priv[i], 1));
        CLO_TRY(clo_buf_u8(&priv[i], failed == 0));
        CLO_TRY(clo_buf_u8(&priv[i], failed));
    }
    return clo_wl_put_excluded(pub, call);
}

const clo_workload clo_wl_policy = {"policy", open_policy, run_policy, free, NULL};
