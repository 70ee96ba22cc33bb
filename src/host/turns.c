/* turns.c — the active operator set and each job's order over it (see turns.h). */
#include "host/turns.h"

#include <string.h>

#include "chain/eth.h"
#include "client/contracts.h"
#include "crypto/keccak.h"

#define LOG_RANGE 2000 /* blocks per eth_getLogs */

static clo_err view_u64(clo_chaintx *tx, const char *sig, const char *ret, const uint8_t who[20],
                        size_t item, uint64_t *out)
{
    clo_abi_val a, args = clo_abi_tuple(NULL, 0), v;
    if (who) {
        a = clo_abi_address(who);
        args = clo_abi_tuple(&a, 1);
    }
    CLO_TRY(clo_eth_view(tx->rpc, tx->cfg->registry, sig, &args, ret, &v));
    clo_err err = clo_abi_get_u64(&v.items[item], out);
    clo_abi_val_free(&v);
    return err;
}

/* registered, bonded at least minBond, not unbonding, not slashed */
static clo_err is_active(clo_chaintx *tx, const uint8_t op[20], uint64_t min_bond, int *active)
{
    clo_abi_val a = clo_abi_address(op), args = clo_abi_tuple(&a, 1), v;
    uint64_t bond = 0, unbond_at = 0, registered = 0, slashed = 0;
    CLO_TRY(clo_eth_view(tx->rpc, tx->cfg->registry, CLO_ENCLAVE_REGISTRY_OPERATORS, &args,
                         CLO_ENCLAVE_REGISTRY_OPERATORS_RET, &v));
    clo_err err = clo_abi_get_u64(&v.items[1], &unbond_at);
    if (!err.code) err = clo_abi_get_u64(&v.items[2], &registered);
    /* a bond past u64 wei (18 ETH) is surely enough: only its low word is compared */
    if (!err.code && clo_abi_get_u64(&v.items[0], &bond).code) bond = UINT64_MAX;
    clo_abi_val_free(&v);
    CLO_TRY(err);
    CLO_TRY(view_u64(tx, CLO_ENCLAVE_REGISTRY_SLASHED, CLO_ENCLAVE_REGISTRY_SLASHED_RET, op, 0,
                     &slashed));
    *active = registered && !unbond_at && !slashed && bond >= min_bond;
    return CLO_OK;
}

clo_err clo_turns_refresh(clo_turns *t, clo_chaintx *tx, int64_t now, int64_t max_age)
{
    if (t->refreshed && now - t->refreshed < max_age) return CLO_OK;
    uint64_t head;
    CLO_TRY(clo_eth_block_number(tx->rpc, &head));
    uint8_t topic[1][32];
    clo_keccak256(clo_bytes_str(CLO_ENCLAVE_REGISTRY_EV_OPERATOR_REGISTERED), topic[0]);
    if (t->next_block < tx->cfg->start_block) t->next_block = tx->cfg->start_block;
    while (t->next_block <= head) {
        uint64_t to = head - t->next_block >= LOG_RANGE ? t->next_block + LOG_RANGE - 1 : head;
        clo_eth_log *logs = NULL;
        size_t n = 0;
        CLO_TRY(clo_eth_get_logs(tx->rpc, tx->cfg->registry, (const uint8_t(*)[32])topic, 1,
                                 t->next_block, to, &logs, &n));
        for (size_t i = 0; i < n; i++) {
            const clo_eth_log *l = &logs[i];
            if (l->removed || l->topic_count != 2) continue;
            int seen = 0;
            for (size_t k = 0; k < t->nknown && !seen; k++)
                seen = !memcmp(t->known[k], l->topics[1] + 12, 20);
            if (!seen && t->nknown < CLO_TURNS_MAX_OPERATORS)
                memcpy(t->known[t->nknown++], l->topics[1] + 12, 20);
        }
        clo_eth_logs_free(logs, n);
        t->next_block = to + 1;
    }
    uint64_t min_bond = 0;
    CLO_TRY(view_u64(tx, CLO_ENCLAVE_REGISTRY_MIN_BOND, CLO_ENCLAVE_REGISTRY_MIN_BOND_RET, NULL, 0,
                     &min_bond));
    size_t n = 0;
    for (size_t k = 0; k < t->nknown; k++) {
        int active;
        CLO_TRY(is_active(tx, t->known[k], min_bond, &active));
        if (active) memcpy(t->active[n++], t->known[k], 20);
    }
    t->nactive = n;
    t->refreshed = now;
    return CLO_OK;
}

static void order_key(const uint8_t job_id[32], const uint8_t op[20], uint8_t out[32])
{
    clo_keccak_ctx k;
    clo_keccak256_init(&k);
    clo_keccak256_update(&k, CLO_BYTES(job_id, 32));
    clo_keccak256_update(&k, CLO_BYTES(op, 20));
    clo_keccak256_final(&k, out);
}

size_t clo_turns_rank(const clo_turns *t, const uint8_t job_id[32], const uint8_t self[20])
{
    uint8_t mine[32], theirs[32];
    int active = 0;
    for (size_t k = 0; k < t->nactive && !active; k++) active = !memcmp(t->active[k], self, 20);
    if (!active) return t->nactive;
    order_key(job_id, self, mine);
    size_t rank = 0;
    for (size_t k = 0; k < t->nactive; k++) {
        if (!memcmp(t->active[k], self, 20)) continue;
        order_key(job_id, t->active[k], theirs);
        rank += memcmp(theirs, mine, 32) < 0;
    }
    return rank;
}

clo_err clo_turns_stagger(clo_turns *t, clo_chaintx *tx, const uint8_t workload[32],
                          const char *name, int64_t now, uint32_t *out)
{
    size_t i = 0;
    while (i < t->nstagger && memcmp(t->stagger[i].workload, workload, 32)) i++;
    if (i == t->nstagger) {
        CLO_ENSURE(i < sizeof t->stagger / sizeof t->stagger[0], CLO_E_LIMIT, "turns: workloads");
        memcpy(t->stagger[i].workload, workload, 32);
        t->stagger[i].read_at = 0;
        t->nstagger++;
    }
    if (t->stagger[i].read_at == 0 || now - t->stagger[i].read_at >= 30) {
        /* Unreadable (a registry from before issue 21 has no staggerSeconds,
         * or the RPC failed): this node's own setting until the next read. */
        if (clo_registry_stagger(tx->rpc, tx->cfg->registry, workload, &t->stagger[i].seconds).code)
            t->stagger[i].seconds = 0;
        t->stagger[i].read_at = now;
    }
    *out = t->stagger[i].seconds ? t->stagger[i].seconds : clo_config_stagger(tx->cfg, name);
    return CLO_OK;
}
