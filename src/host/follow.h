/* follow.h — the chain side's follower (docs/architecture.md §7): reads the
 * JobMarket's JobSubmitted logs up to head - chain.confirmations, with a reorg
 * check on the block before its cursor, and the WorkloadConfig logs of any
 * contract in the same blocks (a config is content-addressed, so whoever
 * publishes it cannot lie about it). Each job becomes an enclave job in the
 * journal once its config and the committee's tickets are in hand; until then
 * it waits, visibly: state `waiting`, why waiting_for_config or
 * waiting_for_ticket (host/ledger.h), a log line when that changes. With
 * chain.stagger_seconds, a job another operator ranks before this one
 * (host/turns.h) waits for this node's turn (waiting_for_turn), and is left
 * alone if it is settled by then. */
#ifndef CLO_HOST_FOLLOW_H
#define CLO_HOST_FOLLOW_H

#include "chain/eth.h"
#include "host/chaintx.h"
#include "host/turns.h"
#include "wire/proto.h"

#define CLO_FOLLOW_MAX_CONFIG 65536 /* a published config above this is ignored */

typedef struct {
    clo_chaintx *tx;
    void (*wake)(void *ud); /* a job was queued for the enclave */
    void *wake_ud;
    clo_turns turns; /* with chain.stagger_seconds: whose turn each job is */
} clo_follower;

/* A WorkloadConfig log's config, if it is one to keep: the data decodes, the
 * config's keccak256 is the topic (CLO_E_AUTH otherwise: whoever emitted it
 * cannot lie about a config), some workload accepts it (CLO_E_UNSUPPORTED),
 * at most CLO_FOLLOW_MAX_CONFIG bytes. config is replaced. */
CLO_MUST_CHECK clo_err clo_follow_config_of(const clo_eth_log *l, clo_buf *config);

/* Whether `journaled` (an encoded job) is `seen` apart from their tickets: the
 * same chain job seen again after a crash moved the log cursor back, whose
 * freshly asked tickets carry other issue times. 1 same, 0 not (or
 * undecodable). */
int clo_follow_same_job(clo_bytes journaled, const clo_proto_job *seen);

/* One round: new logs, then the jobs still waiting. */
CLO_MUST_CHECK clo_err clo_follow_step(clo_follower *f);

#endif
