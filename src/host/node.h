/* node.h — cloisterd: the untrusted daemon (docs/architecture.md §2, §7). It supervises the
 * enclave, keeps the job journal (SQLite, or PostgreSQL shared with the
 * operator's other daemons), serves the HTTP API (api.c,
 * docs/api.yaml) and feeds accepted jobs to the enclave in batches. */
#ifndef CLO_HOST_NODE_H
#define CLO_HOST_NODE_H

#include <pthread.h>
#include <signal.h>

#include "host/config.h"
#include "host/journal.h"
#include "host/supervisor.h"

typedef struct {
    clo_config cfg;
    clo_journal *journal;
    char owner[CLO_OWNER_MAX];         /* this daemon's name in the journal (clo_config_owner) */
    clo_super *super;                  /* the first enclave: keys, evidence, the API's calls */
    clo_super *pool[CLO_ENCLAVES_MAX]; /* enclave.pool of them, super first */
    size_t npool;
    pthread_mutex_t wake_mu;
    pthread_cond_t wake; /* signalled when a job is accepted */
    volatile sig_atomic_t *stop;
    struct clo_onchain *chain; /* NULL without chain.rpc */
} clo_node;

/* Called once the node serves its API, with the port it listens on (the
 * configured one, or the one the system chose for listen.port 0). */
typedef void (*clo_node_ready_fn)(const clo_config *cfg, uint16_t port, void *ud);

/* Run until *stop becomes non-zero (SIGINT/SIGTERM). Returns the startup error
 * if the node cannot start (message on the log). ready may be NULL. */
CLO_MUST_CHECK clo_err clo_node_run(const clo_config *cfg, const char *enclave_path,
                                    volatile sig_atomic_t *stop, clo_node_ready_fn ready, void *ud);

#endif
