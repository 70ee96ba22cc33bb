/* workload.h — the workload interface (docs/architecture.md §6), trusted side.
 *
 * A workload is opened once with its public configuration, then run on the
 * decrypted inputs of a job: one plaintext per input envelope, in job order.
 * It writes one public output and, for each input, one private output that the
 * enclave seals back to that input's requester (an empty one is allowed).
 * Workloads are pure and deterministic: the same config, job id and inputs
 * give the same bytes. Ties are broken with the job id, never with time or
 * randomness. Input, config and output layouts are in docs/formats.md §5.
 *
 * One input never fails a job (no bidder can veto an auction): an input whose
 * envelope did not open (the enclave marks it in `excluded` and hands an empty
 * plaintext) or that does not parse, or that repeats an earlier input's
 * identity where one per identity is the rule, is excluded. Each workload's
 * public output (version 2) ends with the excluded inputs' positions
 * (clo_wl_put_excluded), so everyone sees which inputs did not count; an
 * excluded input's private output says so to its sender where the envelope
 * opened. Only a job-level fault (a bad config, too few usable inputs for the
 * workload's own rule) fails the job.
 *
 * Every parser here reads untrusted plaintext through clo_cur; errors name the
 * field ("auction.bid.version") and carry no input bytes. */
#ifndef CLO_WORKLOADS_WORKLOAD_H
#define CLO_WORKLOADS_WORKLOAD_H

#include "base/bytes.h"

#define CLO_WL_MAX_INPUTS  1024
#define CLO_WL_MAX_CONFIG  4096
#define CLO_WL_MAX_PUBLIC  ((size_t)64 << 10)
#define CLO_WL_MAX_PRIVATE ((size_t)64 << 10)

/* What fetching one source gave (a workload with sources, issue 20): filled
 * in the enclave by src/enclave/fetch.c, which did the TLS and HTTP checks.
 * outcome is CLO_FETCH_OK or why the source gave no response to read. */
enum {
    CLO_FETCH_OK = 0,
    CLO_FETCH_OUTLIER = 1,     /* set by a workload: fetched, but its value was rejected */
    CLO_FETCH_NOT_FETCHED = 2, /* the host did not carry a whole response (dropped, cut, late) */
    CLO_FETCH_TLS_AUTH = 3,    /* certificate, chain, name, pin or client certificate refused, or
                                  a record failed (tampered) */
    CLO_FETCH_TLS_STALE = 4,   /* a certificate not valid at the job's time */
    CLO_FETCH_HTTP = 5,        /* not a valid HTTP/1.1 response, or a status other than 200 */
    CLO_FETCH_VALUE = 6,       /* set by a workload: no number at the JSON path */
    CLO_FETCH_DATE = 7,        /* set by a workload: no Date, or one outside the certificates'
                                  windows or too far from the job's time */
    CLO_FETCH_TOO_LARGE = 8,   /* the response is over the limits */
    CLO_FETCH_NO_SECRET = 9,   /* the source's credential is not provisioned here */
};

typedef struct {
    uint8_t outcome;
    uint8_t path_sha256[32];           /* of the request target: path, query, private query */
    uint16_t tls_version, http_status; /* 0 when not reached */
    uint8_t spki_sha256[32];           /* the leaf's, once the handshake passed */
    int64_t date;                      /* the response's Date; -1 when absent */
    int64_t cert_from, cert_until;     /* the verified chain's windows, intersected */
    clo_bytes body;                    /* the de-chunked body (outcome OK or HTTP) */
} clo_wl_fetched;

typedef struct {
    const uint8_t *job_id;   /* 32 bytes */
    const clo_bytes *inputs; /* borrowed plaintexts */
    size_t count;            /* 1 <= count <= CLO_WL_MAX_INPUTS */
    uint8_t *excluded;       /* count flags: in, 1 = the envelope did not open;
                                out, the workload sets 1 for each input it excluded */
    /* A workload with sources: one result per source, in config order, and
     * the job's time (the ticket's, never the host's clock). */
    const clo_wl_fetched *fetched;
    size_t nfetched;
    int64_t at;
} clo_wl_call;

/* A source a workload fetches over HTTPS from inside the enclave: views into
 * its opened state. trust: 1 the roots compiled into the enclave (Debian's
 * CA bundle), 2 the config's own CA certificates (ca), 3 the pins alone. */
#define CLO_WL_MAX_SOURCES 16
#define CLO_WL_MAX_CAS     4
enum { CLO_TRUST_SYSTEM = 1, CLO_TRUST_CA = 2, CLO_TRUST_PINS = 3 };
typedef struct {
    char host[254]; /* a DNS name */
    uint16_t port;
    clo_bytes path; /* origin-form: "/" path ["?" query] */
    uint8_t trust;
    const clo_bytes *ca; /* DER, nca of them (trust 2) */
    size_t nca;
    size_t npins;
    const uint8_t (*pins)[32];
    uint8_t headers_secret[32], client_secret[32]; /* provisioned secret ids; zero: none */
} clo_wl_source;

/* Public output tail: u16 n | n x u16 position of each excluded input. */
CLO_MUST_CHECK clo_err clo_wl_put_excluded(clo_buf *pub, const clo_wl_call *call);

/* What the enclave lends a workload when it opens: the provisioned secrets
 * (an ONNX model, by its id; secret() gives an empty view for an unknown id;
 * the view stays valid until close), and its threads (workloads/onnx/pool.h:
 * started before the sandbox, which forbids starting more; NULL: one). */
struct clo_pool;
typedef struct {
    clo_bytes (*secret)(const void *ctx, const uint8_t id[32]);
    const void *ctx;
    struct clo_pool *pool;
} clo_wl_env;

typedef struct clo_workload {
    const char *name;
    /* Parse and check the configuration; *state is freed by close. env is
     * NULL where there are no secrets (the host checking a job). */
    CLO_MUST_CHECK clo_err (*open)(clo_bytes config, const clo_wl_env *env, void **state);
    /* private_out has call->count initialised buffers. */
    CLO_MUST_CHECK clo_err (*run)(const void *state, const clo_wl_call *call, clo_buf *public_out,
                                  clo_buf *private_out);
    void (*close)(void *state);
    /* NULL for a workload that fetches nothing; else its sources, which the
     * enclave fetches before run (with FETCH_BEGIN, never with RUN). */
    size_t (*sources)(const void *state, const clo_wl_source **out);
} clo_workload;

/* workload id = keccak256("cloister/workload/" || name). */
void clo_workload_id(const char *name, uint8_t out[32]);
const clo_workload *clo_workload_by_name(const char *name);
const clo_workload *clo_workload_by_id(const uint8_t id[32]);
size_t clo_workload_count(void);
const clo_workload *clo_workload_at(size_t i);

/* For open(): a heap copy of a parsed configuration struct as the state. */
CLO_MUST_CHECK clo_err clo_wl_keep(const void *cfg, size_t size, void **state);

/* The configuration alone, as the host can check it: open with no env,
 * then close. */
CLO_MUST_CHECK clo_err clo_workload_check(const clo_workload *w, clo_bytes config);

extern const clo_workload clo_wl_auction, clo_wl_vote, clo_wl_oracle, clo_wl_policy, clo_wl_onnx,
    clo_wl_oracle_https;

/* The median of v[0..n) (sorts v; n >= 1), the mean of the middle two for an
 * even n, truncated toward zero. */
int64_t clo_wl_median(int64_t *v, size_t n);
/* Whether v is within bps basis points of ref (bps 0: always). */
int clo_wl_within(int64_t v, int64_t ref, uint32_t bps);

#endif
