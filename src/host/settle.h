/* settle.h — the chain side's settler (docs/architecture.md §5, §7): done jobs
 * still open on chain and inside their deadline are settled singly (`settle`)
 * or, when more are ready, as one enclave-signed batch root (`settleBatch`),
 * halved until the calldata fits the txpool's limit. A batch holds the results
 * of one enclave, which signs its root. A job leaves `queued`
 * only with the journaling of the transaction that settles it (host/ledger.h). */
#ifndef CLO_HOST_SETTLE_H
#define CLO_HOST_SETTLE_H

#include "host/chaintx.h"
#include "host/ledger.h"
#include "host/supervisor.h"

typedef struct ready_job ready_job;

typedef struct {
    clo_chaintx *tx;
    clo_super *const *enclaves; /* the node's pool: each signs the batches of its results */
    size_t nenclaves;
    int flush;       /* a batch was cut to fit: settle the rest without waiting */
    ready_job *pool; /* CLO_PROTO_MAX_BATCH of them */
    clo_cjob *queue; /* the ledger's queued jobs, CLO_PROTO_MAX_BATCH */
} clo_settler;

CLO_MUST_CHECK clo_err clo_settle_init(clo_settler *s, clo_chaintx *tx, clo_super *const *enclaves,
                                       size_t nenclaves);
void clo_settle_free(clo_settler *s);
/* One round: settle what is ready (or wait up to chain.settle_wait_ms for more). */
CLO_MUST_CHECK clo_err clo_settle_step(clo_settler *s);

#endif
