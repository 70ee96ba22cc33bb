/* metrics.c — counters and histograms behind /metrics. */
#include "host/metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const route_names[CLO_ROUTE__COUNT] = {
    "evidence", "keys",    "submit", "status",  "result", "healthz",
    "readyz",   "metrics", "models", "secrets", "attest", "other"};

#define MAX_CODES 64
#define NBUCKETS  12
static const double buckets[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                         0.05,   0.1,   0.25,   0.5,   1,    5};

typedef struct {
    uint64_t count[NBUCKETS + 1];
    double sum;
} histogram;

static struct {
    pthread_mutex_t mu;
    uint64_t requests[CLO_ROUTE__COUNT][6]; /* by status class 1xx..5xx */
    const char *codes[MAX_CODES];
    uint64_t rejected[MAX_CODES];
    histogram job, call;
} m = {PTHREAD_MUTEX_INITIALIZER, {{0}}, {0}, {0}, {{0}, 0}, {{0}, 0}};

void clo_metrics_request(clo_route route, unsigned status)
{
    pthread_mutex_lock(&m.mu);
    if ((unsigned)route < CLO_ROUTE__COUNT && status / 100 <= 5) m.requests[route][status / 100]++;
    pthread_mutex_unlock(&m.mu);
}

void clo_metrics_rejected(const char *code)
{
    pthread_mutex_lock(&m.mu);
    for (size_t i = 0; i < MAX_CODES; i++) {
        if (!m.codes[i]) m.codes[i] = code;
        if (m.codes[i] == code || !strcmp(m.codes[i], code)) {
            m.rejected[i]++;
            break;
        }
    }
    pthread_mutex_unlock(&m.mu);
}

static void observe(histogram *h, double v)
{
    pthread_mutex_lock(&m.mu);
    size_t i = 0;
    while (i < NBUCKETS && v > buckets[i]) i++;
    h->count[i]++;
    h->sum += v;
    pthread_mutex_unlock(&m.mu);
}

const char *clo_metrics_route_name(clo_route r)
{
    return (unsigned)r < CLO_ROUTE__COUNT ? route_names[r] : "other";
}

void clo_metrics_job_latency(double s)
{
    observe(&m.job, s);
}

void clo_metrics_enclave_call(double s)
{
    observe(&m.call, s);
}

static clo_err put(clo_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static clo_err put(clo_buf *b, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    CLO_ENSURE(n >= 0 && (size_t)n < sizeof line, CLO_E_LIMIT, "metrics line");
    return clo_buf_append(b, line, (size_t)n);
}

static clo_err put_hist(clo_buf *b, const char *name, const char *help, const histogram *h)
{
    CLO_TRY(put(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name));
    uint64_t cum = 0;
    for (size_t i = 0; i < NBUCKETS; i++) {
        cum += h->count[i];
        CLO_TRY(put(b, "%s_bucket{le=\"%g\"} %llu\n", name, buckets[i], (unsigned long long)cum));
    }
    cum += h->count[NBUCKETS];
    CLO_TRY(put(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum));
    CLO_TRY(put(b, "%s_sum %.6f\n%s_count %llu\n", name, h->sum, name, (unsigned long long)cum));
    return CLO_OK;
}

static clo_err render_chain(const clo_chain_stats *c, clo_buf *b)
{
    static const char *const states[] = {
        "waiting_for_config", "waiting_for_ticket", "queued", "settling", "settled", "dropped"};
    const uint64_t n[] = {c->waiting_config, c->waiting_ticket, c->queued,
                          c->settling,       c->settled,        c->dropped};
    CLO_TRY(put(b,
                "# HELP cloister_chain_head_block The chain's latest block.\n# TYPE "
                "cloister_chain_head_block gauge\ncloister_chain_head_block %llu\n",
                (unsigned long long)c->head));
    CLO_TRY(put(b,
                "# HELP cloister_chain_followed_block The next block the follower reads.\n"
                "# TYPE cloister_chain_followed_block gauge\ncloister_chain_followed_block %llu\n",
                (unsigned long long)c->followed));
    CLO_TRY(put(b, "# HELP cloister_chain_jobs Chain jobs by state (pending settlements: queued "
                   "and settling).\n# TYPE cloister_chain_jobs gauge\n"));
    for (size_t i = 0; i < sizeof n / sizeof n[0]; i++)
        CLO_TRY(put(b, "cloister_chain_jobs{state=\"%s\"} %llu\n", states[i],
                    (unsigned long long)n[i]));
    CLO_TRY(put(b,
                "# HELP cloister_chain_tx_total Transactions closed or refused, by outcome.\n"
                "# TYPE cloister_chain_tx_total counter\ncloister_chain_tx_total{outcome=\"ok\"} "
                "%llu\n",
                (unsigned long long)c->tx_ok));
    for (size_t i = 0; i < CLO_CHAINTX_REASONS; i++)
        CLO_TRY(put(b, "cloister_chain_tx_total{outcome=\"%s\"} %llu\n",
                    clo_chaintx_reason_names[i], (unsigned long long)c->tx_failed[i]));
    CLO_TRY(put(b,
                "# HELP cloister_operator_balance_eth The operator account's balance.\n# TYPE "
                "cloister_operator_balance_eth gauge\ncloister_operator_balance_eth %.6f\n",
                c->balance_eth));
    if (c->record_expiry) {
        int64_t left = c->record_expiry - (int64_t)time(NULL);
        CLO_TRY(put(b,
                    "# HELP cloister_enclave_record_expires_seconds Until the enclave's "
                    "registry record expires.\n# TYPE cloister_enclave_record_expires_seconds "
                    "gauge\ncloister_enclave_record_expires_seconds %lld\n",
                    (long long)left));
    }
    return CLO_OK;
}

static clo_err render_locked(const clo_metrics_gauges *g, clo_buf *b)
{
    static const char *const states[3] = {"accepted", "done", "failed"};
    CLO_TRY(put(b,
                "# HELP cloister_build_info Build and backend.\n# TYPE cloister_build_info "
                "gauge\ncloister_build_info{version=\"%s\",backend=\"%s\"} 1\n",
                g->version, g->backend));
    CLO_TRY(
        put(b, "# HELP cloister_jobs Jobs in the journal by state.\n# TYPE cloister_jobs gauge\n"));
    for (size_t i = 0; i < 3; i++)
        CLO_TRY(put(b, "cloister_jobs{state=\"%s\"} %llu\n", states[i],
                    (unsigned long long)g->jobs[i]));
    CLO_TRY(put(b, "# HELP cloister_http_requests_total HTTP requests by route and status "
                   "class.\n# TYPE cloister_http_requests_total counter\n"));
    for (size_t r = 0; r < CLO_ROUTE__COUNT; r++)
        for (size_t c = 1; c <= 5; c++)
            if (m.requests[r][c])
                CLO_TRY(put(b, "cloister_http_requests_total{route=\"%s\",status=\"%zuxx\"} %llu\n",
                            route_names[r], c, (unsigned long long)m.requests[r][c]));
    CLO_TRY(put(b, "# HELP cloister_rejected_total Requests refused, by problem code.\n# TYPE "
                   "cloister_rejected_total counter\n"));
    for (size_t i = 0; i < MAX_CODES && m.codes[i]; i++)
        CLO_TRY(put(b, "cloister_rejected_total{code=\"%s\"} %llu\n", m.codes[i],
                    (unsigned long long)m.rejected[i]));
    CLO_TRY(put_hist(b, "cloister_job_latency_seconds", "Submit to result, per job.", &m.job));
    CLO_TRY(put_hist(b, "cloister_enclave_call_seconds", "Enclave RUN call duration.", &m.call));
    CLO_TRY(put(b,
                "# HELP cloister_enclave_restarts_total Enclave restarts.\n# TYPE "
                "cloister_enclave_restarts_total counter\ncloister_enclave_restarts_total %llu\n",
                (unsigned long long)g->restarts));
    CLO_TRY(put(b,
                "# HELP cloister_enclave_up Whether the enclave is running.\n# TYPE "
                "cloister_enclave_up gauge\ncloister_enclave_up %d\n",
                g->enclave_up));
    CLO_TRY(put(b,
                "# HELP cloister_enclave_epoch Current key epoch.\n# TYPE cloister_enclave_epoch "
                "gauge\ncloister_enclave_epoch %u\n",
                g->epoch));
    CLO_TRY(put(b,
                "# HELP cloister_enclave_silent_seconds Since the enclave last answered a call "
                "(-1: never).\n# TYPE cloister_enclave_silent_seconds gauge\n"
                "cloister_enclave_silent_seconds %.3f\n",
                g->silent_seconds));
    CLO_TRY(put(b,
                "# HELP cloister_enclave_busy_seconds How long the call under way has taken "
                "(0: none).\n# TYPE cloister_enclave_busy_seconds gauge\n"
                "cloister_enclave_busy_seconds %.3f\n",
                g->busy_seconds));
    return g->chain ? render_chain(g->chain, b) : CLO_OK;
}

clo_err clo_metrics_render(const clo_metrics_gauges *g, clo_buf *out)
{
    pthread_mutex_lock(&m.mu);
    clo_err err = render_locked(g, out);
    pthread_mutex_unlock(&m.mu);
    return err;
}
