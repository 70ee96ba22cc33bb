/* pool.h — a fixed set of worker threads for a plan's optional thread count.
 * Made once with the plan (so a run still allocates nothing) and used by
 * the GEMM to split a product's rows: fn(ctx, part, parts) runs for every
 * part, part 0 on the calling thread, and clo_pool_run returns when all are
 * done. With one thread there are no workers and nothing is created. */
#ifndef CLO_WORKLOADS_ONNX_POOL_H
#define CLO_WORKLOADS_ONNX_POOL_H

#include "base/err.h"

#define CLO_POOL_MAX 64

typedef struct clo_pool clo_pool;
typedef void (*clo_pool_fn)(void *ctx, unsigned part, unsigned parts);

CLO_MUST_CHECK clo_err clo_pool_new(unsigned threads, clo_pool **out);
/* The threads it holds, the caller's included (1 for a NULL pool): what a
 * plan sizes its per-thread scratch for. */
unsigned clo_pool_size(const clo_pool *p);
/* The parts the next runs split into: 1..clo_pool_size (clamped; at first all
 * of them), a job's own thread count within the node's. Set between runs
 * only. */
void clo_pool_use(clo_pool *p, unsigned parts);
unsigned clo_pool_parts(const clo_pool *p);
void clo_pool_run(clo_pool *p, clo_pool_fn fn, void *ctx);
/* While held (a plan's run), idle workers spin instead of sleeping, so a
 * step's hand-off after a stretch of single-threaded steps costs no wake-up;
 * released, they sleep after a short spin as before. */
void clo_pool_hold(clo_pool *p, int on);
void clo_pool_free(clo_pool *p);

#endif
