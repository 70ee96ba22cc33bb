/* turns.h — whose turn a chain job is (issue 21, "the chain is the queue").
 * The active operators on chain (EnclaveRegistry: registered, bonded at least
 * minBond, not unbonding, not slashed) are ranked for each job by
 * keccak256(job id || operator), ascending; the operator of rank k starts the
 * job k * stagger after its block, if it is still open then; the stagger is
 * the registry's for the workload, else the node's chain.stagger_seconds. So
 * normally one operator runs each job, and when it is down the next one does,
 * a little later; a duplicate only wastes gas, since the market settles each
 * job once. Every node computes the same ranks from the chain alone. Untrusted
 * side (liveness only: a wrong rank delays or duplicates work, nothing else). */
#ifndef CLO_HOST_TURNS_H
#define CLO_HOST_TURNS_H

#include "host/chaintx.h"

#define CLO_TURNS_MAX_OPERATORS 256

typedef struct {
    uint8_t known[CLO_TURNS_MAX_OPERATORS][20]; /* every OperatorRegistered, in order */
    size_t nknown;
    uint64_t next_block; /* the logs read so far end before it */
    uint8_t active[CLO_TURNS_MAX_OPERATORS][20];
    size_t nactive;
    int64_t refreshed; /* wall clock, seconds; 0: never */
    /* governance's stagger per workload (EnclaveRegistry.staggerSeconds),
     * read again after 30 s */
    struct {
        uint8_t workload[32];
        uint32_t seconds;
        int64_t read_at;
    } stagger[16];
    size_t nstagger;
} clo_turns;

/* Re-read the operators when the last reading is older than max_age seconds. */
CLO_MUST_CHECK clo_err clo_turns_refresh(clo_turns *t, clo_chaintx *tx, int64_t now,
                                         int64_t max_age);
/* The stagger for a job of this workload: the registry's (governance's, the
 * same for every node) when it sets one, else this node's configuration
 * (clo_config_stagger). Read at most every 30 s per workload. */
CLO_MUST_CHECK clo_err clo_turns_stagger(clo_turns *t, clo_chaintx *tx, const uint8_t workload[32],
                                         const char *name, int64_t now, uint32_t *out);
/* self's rank for this job: 0 first; nactive (after everyone) when self is
 * not an active operator. */
size_t clo_turns_rank(const clo_turns *t, const uint8_t job_id[32], const uint8_t self[20]);

#endif
