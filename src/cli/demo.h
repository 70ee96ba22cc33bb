/* demo.h — the demo's state and helpers (cmd_demo.c), shared with its three
 * flows (demo_flows.c: the auction, the price feed, the diagnosis). Private to
 * src/cli. */
#ifndef CLO_CLI_DEMO_H
#define CLO_CLI_DEMO_H

#include <sys/types.h>

#include "cli/cli.h"
#include "client/calls.h"
#include "client/seal.h"

#define BIDDERS 3
#define SOURCES 3

typedef struct {
    const char *dir;
    char self[1024];
    int json, failed;
    json_t *steps, *gas;
    pid_t bg[8];
    size_t nbg;
    clo_rpc *rpc;
    json_t *dep;
    uint64_t chain_id;
    uint8_t registry[20], market[20], auction[20], feed[20], models[20];
    char node_url[64];
    char verifier_urls[600]; /* the committee's services, comma-separated */
    char auction_job[67];    /* 0x-hex, for the audit hint */
    json_t *fetch_connect;   /* the price APIs' addresses (node fetch.connect) */
    char sources_dir[1100];  /* their CA and sources.json */
    double t0;
} demo;

typedef struct {
    clo_buf pub, priv[BIDDERS];
    size_t npriv;
    uint64_t gas;
    double ms;
} outcome;

void demo_step(demo *d, const char *name, int ok, const char *detail);
void demo_gas(demo *d, const char *what, uint64_t used);
clo_err demo_sent(demo *d, clo_err e, const clo_call_result *r, const char *what);
clo_err demo_new_wallet(demo *d, clo_sender *s);
clo_err demo_chain_now(demo *d, uint64_t *t);
void demo_job_id_for(const demo *d, const uint8_t requester[20], uint64_t nonce, uint8_t out[32]);
void demo_outcome_free(outcome *o);
clo_err demo_wait_settled(demo *d, const uint8_t job[32], outcome *o);
clo_err demo_node_keys(demo *d, uint32_t *epoch, uint8_t pk[32], uint8_t signer[20]);
clo_err demo_seal(demo *d, const uint8_t job[32], const char *workload, clo_bytes plain,
                  clo_buf *env, clo_envelope_reply_key *rk);
int demo_post_model(demo *d, const char *hex);
clo_err demo_submit_job(demo *d, clo_sender *from, const char *workload, const uint8_t model[32],
                        const uint8_t consumer[20], uint64_t deadline, uint64_t nonce,
                        const clo_bytes *inputs, size_t n, const char *what);
void demo_sleep_ms(long ms);
json_t *demo_run_self(demo *d, const char *const *args);
int demo_read_text(const char *path, char *out, size_t cap);

int demo_auction(demo *d, clo_sender *seller);
int demo_price(demo *d, clo_sender *updater);
int demo_price_https(demo *d, clo_sender *updater);
int demo_diagnosis(demo *d, clo_sender *owner);

#endif
