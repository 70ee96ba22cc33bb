/* pool.c — see pool.h. A generation counter: a run bumps it, each worker
 * does its part once per generation, the caller waits until every part is
 * done. A plan's runs come back to back (one per step), so both sides spin a
 * little before they sleep on a condition variable: a hand-off then costs a
 * cache line, not two futex calls. */
#include "workloads/onnx/pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Some 100-400 microseconds of polling (pause is 40-140 cycles): longer than
 * most of a plan's serial steps, so a worker is awake for the next hand-off. */
#define SPIN 8192

struct clo_pool {
    unsigned threads; /* the caller included */
    unsigned active;  /* parts of a run: workers 1..active-1 take part */
    pthread_t tid[CLO_POOL_MAX];
    unsigned started;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    atomic_ulong generation;
    atomic_uint pending;
    atomic_int quit;
    atomic_int hold;   /* clo_pool_hold: spin, do not sleep */
    unsigned sleeping; /* workers waiting on go (under mu) */
    clo_pool_fn fn;    /* written before the generation is bumped */
    void *ctx;
};

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

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
    for (;;) {
        for (int k = 0; (k < SPIN || atomic_load_explicit(&p->hold, memory_order_relaxed)) &&
                        atomic_load_explicit(&p->generation, memory_order_acquire) == seen &&
                        !atomic_load(&p->quit);
             k++)
            relax();
        pthread_mutex_lock(&p->mu);
        p->sleeping++;
        while (!atomic_load(&p->quit) && atomic_load(&p->generation) == seen)
            pthread_cond_wait(&p->go, &p->mu);
        p->sleeping--;
        pthread_mutex_unlock(&p->mu);
        if (atomic_load(&p->quit)) break;
        seen = atomic_load_explicit(&p->generation, memory_order_acquire);
        if (part >= p->active) continue; /* not in this run */
        p->fn(p->ctx, part, p->active);
        if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&p->mu);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mu);
        }
    }
    return NULL;
}

clo_err clo_pool_new(unsigned threads, clo_pool **out)
{
    *out = NULL;
    CLO_ENSURE(threads >= 1 && threads <= CLO_POOL_MAX, CLO_E_ARG, "pool: threads");
    if (threads == 1) return CLO_OK; /* no pool: everything on the caller */
    clo_pool *p = calloc(1, sizeof *p);
    CLO_ENSURE(p, CLO_E_NOMEM, "pool");
    p->threads = p->active = threads;
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

void clo_pool_use(clo_pool *p, unsigned parts)
{
    if (p) p->active = parts < 1 ? 1 : parts > p->threads ? p->threads : parts;
}

unsigned clo_pool_parts(const clo_pool *p)
{
    return p ? p->active : 1;
}

void clo_pool_run(clo_pool *p, clo_pool_fn fn, void *ctx)
{
    if (!p || p->active == 1) {
        fn(ctx, 0, 1);
        return;
    }
    p->fn = fn;
    p->ctx = ctx;
    atomic_store_explicit(&p->pending, p->active - 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    /* A worker that saw the old generation under mu is waiting, or will
     * look again under mu: taking it here loses no wake-up. */
    pthread_mutex_lock(&p->mu);
    if (p->sleeping) pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    fn(ctx, 0, p->active);
    for (int k = 0; k < SPIN && atomic_load_explicit(&p->pending, memory_order_acquire); k++)
        relax();
    if (atomic_load_explicit(&p->pending, memory_order_acquire)) {
        pthread_mutex_lock(&p->mu);
        while (atomic_load_explicit(&p->pending, memory_order_acquire))
            pthread_cond_wait(&p->done, &p->mu);
        pthread_mutex_unlock(&p->mu);
    }
}

void clo_pool_hold(clo_pool *p, int on)
{
    if (p) atomic_store_explicit(&p->hold, on != 0, memory_order_relaxed);
}

void clo_pool_free(clo_pool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->quit, 1);
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->started; i++) pthread_join(p->tid[i], NULL);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
