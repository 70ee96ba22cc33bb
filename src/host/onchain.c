/* onchain.c — cloisterd's chain thread: each round reconciles journaled
 * transactions, registers the enclave, follows the logs and settles (see
 * onchain.h). */
#include "host/onchain.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "chain/eth.h"
#include "host/follow.h"
#include "host/register.h"
#include "host/settle.h"

struct clo_onchain {
    clo_node *n;
    pthread_t th;
    int started;
    clo_chaintx tx;
    clo_registrar reg[CLO_ENCLAVES_MAX]; /* one per enclave of the pool */
    clo_follower fol;
    clo_settler set;
    int64_t next_balance_ms;
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void wake_worker(void *ud)
{
    clo_node *n = ud;
    pthread_mutex_lock(&n->wake_mu);
    pthread_cond_broadcast(&n->wake);
    pthread_mutex_unlock(&n->wake_mu);
}

/* The operator's balance, every 10 s (it pays gas and the bond). */
static void poll_balance(clo_onchain *c)
{
    uint8_t wei[32];
    if (clo_now_ms() < c->next_balance_ms || clo_eth_balance(c->tx.rpc, c->tx.s.address, wei).code)
        return;
    c->next_balance_ms = clo_now_ms() + 10000;
    double eth = 0;
    for (size_t i = 0; i < 32; i++) eth = eth * 256 + wei[i];
    pthread_mutex_lock(&c->tx.mu);
    c->tx.stats.balance_eth = eth / 1e18;
    pthread_mutex_unlock(&c->tx.mu);
}

static void *run(void *ud)
{
    clo_onchain *c = ud;
    const char *last = NULL;
    while (!*c->n->stop) {
        clo_err err = clo_chaintx_reconcile(&c->tx);
        /* Each enclave registers its own signer; settlement starts with the first. */
        int registered = 0;
        for (size_t k = 0; !err.code && k < c->n->npool; k++)
            registered |= clo_register_step(&c->reg[k]);
        if (!err.code) err = clo_follow_step(&c->fol);
        if (!err.code && registered) err = clo_settle_step(&c->set);
        poll_balance(c);
        if (err.code && err.what != last)
            CLO_LOG(CLO_LOG_WARN, "chain.retry", CLO_LF_STR("code", clo_code_name(err.code)),
                    CLO_LF_STR("what", err.what ? err.what : ""));
        last = err.code ? err.what : NULL;
        sleep_ms(err.code ? 1000 : (long)c->n->cfg.poll_ms);
    }
    return NULL;
}

clo_err clo_onchain_start(clo_onchain **out, clo_node *node)
{
    *out = NULL;
    if (!node->cfg.rpc_url[0]) return CLO_OK;
    clo_onchain *c = calloc(1, sizeof *c);
    CLO_ENSURE(c, CLO_E_NOMEM, "chain");
    c->n = node;
    clo_err err = clo_chaintx_init(&c->tx, &node->cfg, node->journal);
    if (err.code) {
        free(c);
        return err;
    }
    for (size_t k = 0; k < node->npool; k++)
        c->reg[k] = (clo_registrar){.tx = &c->tx, .super = node->pool[k]};
    c->fol = (clo_follower){.tx = &c->tx, .wake = wake_worker, .wake_ud = node};
    err = clo_settle_init(&c->set, &c->tx, node->pool, node->npool);
    if (!err.code && pthread_create(&c->th, NULL, run, c) != 0)
        err = CLO_ERR(CLO_E_NOMEM, "chain thread");
    if (err.code) {
        clo_settle_free(&c->set);
        clo_chaintx_free(&c->tx);
        free(c);
        return err;
    }
    c->started = 1;
    CLO_LOG(CLO_LOG_INFO, "chain.started", CLO_LF_STR("rpc", node->cfg.rpc_url),
            CLO_LF_HEX("operator", CLO_BYTES(c->tx.s.address, 20)),
            CLO_LF_U64("next_nonce", c->tx.s.next_nonce));
    *out = c;
    return CLO_OK;
}

int clo_onchain_stats(clo_onchain *c, clo_chain_stats *out)
{
    if (!c) return 0;
    clo_chaintx_stats_get(&c->tx, out);
    return 1;
}

void clo_onchain_operator(const clo_onchain *c, uint8_t out[20])
{
    if (c)
        memcpy(out, c->tx.s.address, 20);
    else
        memset(out, 0, 20);
}

void clo_onchain_stop(clo_onchain *c)
{
    if (!c) return;
    if (c->started) pthread_join(c->th, NULL);
    clo_settle_free(&c->set);
    clo_chaintx_free(&c->tx);
    free(c);
}
