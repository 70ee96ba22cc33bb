/* node.c — cloisterd's main loop: start, feed jobs to the enclave, stop. */
#include "host/node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "wire/frame.h"
#include "host/crash.h"
#include "host/fetch.h"
#include "host/ledger.h"
#include "host/metrics.h"
#include "host/api.h"
#include "host/onchain.h"

/* One enclave of the pool and the thread feeding it jobs it claims. */
typedef struct {
    clo_node *n;
    clo_super *super;
    char owner[CLO_OWNER_MAX + 16]; /* the node's, then #k for the k-th member */
    size_t index;                   /* in the pool */
    pthread_t th;
    int started;
} worker;

static void wait_for_work(clo_node *n, int ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (long)ms * 1000000;
    ts.tv_sec += ts.tv_nsec / 1000000000;
    ts.tv_nsec %= 1000000000;
    pthread_mutex_lock(&n->wake_mu);
    pthread_cond_timedwait(&n->wake, &n->wake_mu, &ts);
    pthread_mutex_unlock(&n->wake_mu);
}

/* Record each result of a RUN response in the journal (after the sealed state
 * that produced them is safely on disk). */
static clo_err record(worker *w, clo_bytes resp, clo_journal_job *jobs, size_t count)
{
    clo_node *n = w->n;
    static _Thread_local clo_proto_result r;
    clo_cur c;
    CLO_TRY(clo_proto_run_resp_open(resp, count, &c));
    for (size_t i = 0; i < count; i++) {
        size_t start = c.off;
        CLO_TRY(clo_proto_result_decode(&c, &r));
        CLO_ENSURE(!memcmp(r.job_id, jobs[i].job_id, 32), CLO_E_FORMAT, "enclave: result order");
        clo_bytes blob = CLO_BYTES(resp.ptr + start, c.off - start);
        CLO_TRY(clo_journal_finish(n->journal, r.job_id, r.err.code != 0, blob));
        clo_metrics_job_latency((double)(clo_now_ms() - jobs[i].created_ms) / 1e3);
        if (r.err.code)
            CLO_LOG(CLO_LOG_INFO, "job.failed", CLO_LF_HEX("job_id", CLO_BYTES(r.job_id, 32)),
                    CLO_LF_STR("code", clo_code_name(r.err.code)), CLO_LF_STR("what", r.err.what));
        else
            CLO_LOG(CLO_LOG_INFO, "job.done", CLO_LF_HEX("job_id", CLO_BYTES(r.job_id, 32)),
                    CLO_LF_U64("epoch", r.stmt.epoch), CLO_LF_U64("enclave", w->index));
    }
    return clo_cur_end(&c);
}

/* Run jobs[0..count) in one RUN call. Returns a channel/enclave error if the
 * batch as a whole was not processed (the jobs stay accepted). */
static clo_err run_batch(worker *w, clo_journal_job *jobs, size_t count, clo_buf *body,
                         clo_buf *resp)
{
    clo_node *n = w->n;
    clo_bytes req[CLO_PROTO_MAX_BATCH];
    CLO_ENSURE(count <= CLO_PROTO_MAX_BATCH, CLO_E_LIMIT, "run.batch size");
    for (size_t i = 0; i < count; i++) req[i] = clo_buf_view(&jobs[i].request);
    double t0 = (double)clo_now_ms() / 1e3;
    if (count == 1 && clo_fetch_job_fetches(req[0])) {
        clo_fetch_opts fo = {n->cfg.fetch_timeout_ms, n->cfg.fetch_connect};
        clo_err e = clo_fetch_run(w->super, &fo, req[0], resp);
        if (e.code == CLO_E_IO || e.code == CLO_E_STALE) return e;
        if (e.code) { /* the enclave refused to begin it: the job's own failure */
            static _Thread_local clo_proto_result r;
            memset(&r, 0, sizeof r);
            memcpy(r.job_id, jobs[0].job_id, 32);
            r.err = e;
            clo_buf_clear(resp);
            CLO_TRY(clo_proto_run_resp_begin(1, resp));
            CLO_TRY(clo_proto_result_encode(&r, resp));
        }
    } else {
        clo_buf_clear(body);
        CLO_TRY(clo_proto_run_encode(req, count, body));
        CLO_TRY(clo_super_call(w->super, CLO_CALL_RUN, clo_buf_view(body), resp));
    }
    clo_metrics_enclave_call((double)clo_now_ms() / 1e3 - t0);
    clo_crash_point("after_enclave_result");
    /* The enclave's processed-job log changed: seal it to disk first. */
    CLO_TRY(clo_super_persist(w->super));
    return record(w, clo_buf_view(resp), jobs, count);
}

static void *work(void *arg)
{
    worker *w = arg;
    clo_node *n = w->n;
    size_t max = n->cfg.batch_max;
    clo_journal_job *jobs = calloc(max, sizeof *jobs);
    clo_buf body, resp;
    clo_buf_init(&body, CLO_FRAME_MAX_BODY);
    clo_buf_init(&resp, CLO_FRAME_MAX_BODY);
    for (size_t i = 0; i < max; i++) clo_journal_job_init(&jobs[i]);
    time_t last_rotate_check = 0;
    while (!*n->stop) {
        time_t now = time(NULL);
        clo_super_status st;
        clo_super_status_get(w->super, &st);
        /* Once a second, or at once when the enclave is down: restart it promptly. */
        if (now != last_rotate_check || !st.running) {
            last_rotate_check = now;
            clo_err e = clo_super_maybe_rotate(w->super, now);
            if (e.code) {
                wait_for_work(n, 100);
                continue;
            }
        }
        size_t count = 0;
        clo_err e = clo_journal_claim(n->journal, w->owner, (int64_t)n->cfg.claim_seconds * 1000,
                                      jobs, max, &count);
        if (e.code || count == 0) {
            /* Nothing to run: a PING keeps readiness's heartbeat current. */
            CLO_IGNORE(clo_super_heartbeat(w->super, 1000));
            wait_for_work(n, e.code ? 200 : 50);
            continue;
        }
        /* A job that fetches runs alone (its own calls, host/fetch.h). */
        for (size_t i = 0; i < count && count > 1; i++)
            if (clo_fetch_job_fetches(clo_buf_view(&jobs[i].request))) count = i ? i : 1;
        e = run_batch(w, jobs, count, &body, &resp);
        if (e.code && count > 1 && e.code != CLO_E_IO && e.code != CLO_E_STALE) {
            /* The enclave refused the batch: find the job it refuses, alone. */
            for (size_t i = 0; i < count && !*n->stop; i++) {
                clo_err one = run_batch(w, &jobs[i], 1, &body, &resp);
                if (one.code && one.code != CLO_E_IO && one.code != CLO_E_STALE) {
                    clo_buf_clear(&resp);
                    static _Thread_local clo_proto_result r;
                    memset(&r, 0, sizeof r);
                    memcpy(r.job_id, jobs[i].job_id, 32);
                    r.err = one;
                    if (!clo_proto_result_encode(&r, &resp).code)
                        CLO_IGNORE(
                            clo_journal_finish(n->journal, jobs[i].job_id, 1, clo_buf_view(&resp)));
                }
            }
        } else if (e.code) {
            CLO_LOG(CLO_LOG_WARN, "node.batch_retry", CLO_LF_STR("code", clo_code_name(e.code)),
                    CLO_LF_STR("what", e.what ? e.what : ""));
            wait_for_work(n, 100);
        }
    }
    for (size_t i = 0; i < max; i++) clo_journal_job_free(&jobs[i]);
    free(jobs);
    clo_buf_free(&body);
    clo_buf_free(&resp);
    return NULL;
}

/* The pool's k-th enclave (k >= 1): a data directory of its own (its sealed
 * state and models), its keys from the first enclave, jobs claimed as
 * owner#k. */
static clo_err add_member(clo_node *n, size_t k, const char *enclave_path)
{
    static clo_config mc; /* one at a time, at start */
    mc = n->cfg;
    mc.key_peers[0] = 0;
    int len = snprintf(mc.data_dir, sizeof mc.data_dir, "%s/pool-%zu", n->cfg.data_dir, k);
    CLO_ENSURE(len > 0 && (size_t)len < sizeof mc.data_dir, CLO_E_LIMIT, "data_dir: too long");
    CLO_ENSURE(mkdir(mc.data_dir, 0700) == 0 || errno == EEXIST, CLO_E_IO,
               "data_dir: cannot create a pool member's directory");
    CLO_TRY(clo_super_new(&n->pool[k], &mc, enclave_path));
    n->npool = k + 1;
    clo_super_set_giver(n->pool[k], n->pool[0]);
    return clo_super_maybe_rotate(n->pool[k], time(NULL));
}

clo_err clo_node_run(const clo_config *cfg, const char *enclave_path, volatile sig_atomic_t *stop,
                     clo_node_ready_fn ready, void *ud)
{
    clo_node n;
    memset(&n, 0, sizeof n);
    n.cfg = *cfg;
    n.stop = stop;
    pthread_mutex_init(&n.wake_mu, NULL);
    pthread_cond_init(&n.wake, NULL);
    clo_api *api = NULL;
    clo_err err = CLO_OK;
    char path[CLO_PATH_MAX + 32];
    static worker workers[CLO_ENCLAVES_MAX];
    CLO_FAIL_IF(mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST, CLO_E_IO,
                "data_dir: cannot create");
    snprintf(path, sizeof path, "%s/journal.sqlite", cfg->data_dir);
    clo_config_owner(cfg, n.owner, sizeof n.owner);
    CLO_CHECK(clo_journal_open(&n.journal, cfg->journal_url[0] ? cfg->journal_url : path, n.owner));
    CLO_CHECK(clo_ledger_init(n.journal));
    CLO_CHECK(clo_super_new(&n.pool[0], cfg, enclave_path));
    n.npool = 1;
    n.super = n.pool[0];
    CLO_CHECK(clo_super_maybe_rotate(n.super, time(NULL)));
    for (size_t k = 1; k < cfg->enclave_pool; k++) CLO_CHECK(add_member(&n, k, enclave_path));
    for (size_t k = 0; k < n.npool; k++) {
        workers[k] = (worker){.n = &n, .super = n.pool[k], .index = k};
        if (k == 0)
            snprintf(workers[k].owner, sizeof workers[k].owner, "%s", n.owner);
        else
            snprintf(workers[k].owner, sizeof workers[k].owner, "%s#%u", n.owner, (unsigned)k);
        CLO_CHECK(clo_journal_release(n.journal, workers[k].owner));
    }
    /* The chain side first: the API shows its figures (and stops first). */
    CLO_CHECK(clo_onchain_start(&n.chain, &n));
    CLO_CHECK(clo_api_start(&api, &n));
    CLO_LOG(CLO_LOG_INFO, "node.ready", CLO_LF_STR("address", cfg->listen_address),
            CLO_LF_U64("port", clo_api_port(api)), CLO_LF_STR("backend", cfg->backend),
            CLO_LF_I64("pid", getpid()), CLO_LF_U64("enclaves", n.npool));
    if (ready) ready(cfg, clo_api_port(api), ud);
    for (size_t k = 1; k < n.npool; k++)
        workers[k].started = pthread_create(&workers[k].th, NULL, work, &workers[k]) == 0;
    work(&workers[0]);
    for (size_t k = 1; k < n.npool; k++)
        if (workers[k].started) pthread_join(workers[k].th, NULL);
    CLO_LOG0(CLO_LOG_INFO, "node.stopping");
out:
    if (err.code) {
        /* err.what may name the enclave's own reason, held by the supervisor
         * freed below: the caller gets a copy. */
        static char what[CLO_FRAME_MAX_WHAT + 1];
        snprintf(what, sizeof what, "%s", err.what ? err.what : "");
        err.what = what;
        CLO_LOG(CLO_LOG_ERROR, "node.start_failed", CLO_LF_STR("code", clo_code_name(err.code)),
                CLO_LF_STR("what", what));
    }
    if (err.code) *stop = 1; /* the chain thread, if it started, must see it */
    clo_api_stop(api);
    clo_onchain_stop(n.chain);
    for (size_t k = n.npool; k-- > 0;) clo_super_free(n.pool[k]);
    clo_journal_close(n.journal);
    pthread_cond_destroy(&n.wake);
    pthread_mutex_destroy(&n.wake_mu);
    return err;
}
