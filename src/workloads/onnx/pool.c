/* pool.c — see pool.h. One mutex, two condition variables and a generation
 * counter: a run bumps the generation, each worker does its part once per
 * generation, the caller waits until every part is done. */
#include "workloads/onnx/pool.h"

#include <pthread.h>
#include <stdlib.h>

struct clo_pool {
    unsigned threads; /* parts, the caller included */
    pthread_t tid[CLO_POOL_MAX];
    unsigned started;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long generation;
    unsigned pending;
    int quit;
    clo_pool_fn fn;
    void *ctx;
};

typedef struct {
    clo_pool *p;
    unsigned part;
} worker_arg;

static void *worker(void *a)
{
    clo_pool *p = ((worker_arg *)a)->p;
    unsigned part = ((worker_arg *)a)->part;
    free(a);
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->generation == seen) pthread_cond_wait(&p->go, &p->mu);
        if (p->quit) break;
        seen = p->generation;
        clo_pool_fn fn = p->fn;
        void *ctx = p->ctx;
        pthread_mutex_unlock(&p->mu);
        fn(ctx, part, p->threads);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

clo_err clo_pool_new(unsigned threads, clo_pool **out)
{
    *out = NULL;
    CLO_ENSURE(threads >= 1 && threads <= CLO_POOL_MAX, CLO_E_ARG, "pool: threads");
    if (threads == 1) return CLO_OK; /* no pool: everything on the caller */
    clo_pool *p = calloc(1, sizeof *p);
    CLO_ENSURE(p, CLO_E_NOMEM, "pool");
    p->threads = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    for (unsigned i = 1; i < threads; i++) {
        worker_arg *a = malloc(sizeof *a);
        if (!a) break;
        a->p = p;
        a->part = i;
        if (pthread_create(&p->tid[p->started], NULL, worker, a)) {
            free(a);
            break;
        }
        p->started++;
    }
    if (p->started != threads - 1) {
        clo_pool_free(p);
        return CLO_ERR(CLO_E_NOMEM, "pool: threads");
    }
    *out = p;
    return CLO_OK;
}

unsigned clo_pool_size(const clo_pool *p)
{
    return p ? p->threads : 1;
}

void clo_pool_run(clo_pool *p, clo_pool_fn fn, void *ctx)
{
    if (!p) {
        fn(ctx, 0, 1);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->pending = p->threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    fn(ctx, 0, p->threads);
    pthread_mutex_lock(&p->mu);
    while (p->pending) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

void clo_pool_free(clo_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->started; i++) pthread_join(p->tid[i], NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
