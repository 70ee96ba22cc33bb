/* runtime_impl.h — the enclave runtime's state, private to src/enclave:
 * runtime.c (dispatch, jobs), secrets.c (provisioning, the secrets' sealed
 * chunks) and state.c (the sealed state and the committee's witnesses of its
 * versions). */
#ifndef CLO_ENCLAVE_RUNTIME_IMPL_H
#define CLO_ENCLAVE_RUNTIME_IMPL_H

#include "crypto/envelope.h"
#include "crypto/hash.h"
#include "crypto/keccak.h"
#include "enclave/keys.h"
#include "enclave/runtime.h"
#include "evidence/snp_report.h"
#include "workloads/onnx/pool.h"
#include "workloads/workload.h"
#include "enclave/tee.h"
#include "wire/proto.h"

#define MAX_SECRETS CLO_PROTO_MAX_SECRETS
/* A secret may be a model: up to 1 GiB each, 2 GiB in all (secret memory,
 * open streams included). The sealed state names secrets only; their bytes
 * travel and are stored in chunks (wire/proto.h), so no frame holds one. */
#define MAX_SECRET_SIZE   ((uint64_t)1 << 30)
#define MAX_SECRETS_TOTAL ((uint64_t)2 << 30)
/* Streamed provisionings open at once (the least recently used gives way). */
#define MAX_STREAMS 4
/* Processed jobs are kept until the committee's clock passes their deadline,
 * never evicted: a full log refuses new jobs instead (issue 15, finding 1). */
#define JOB_LOG_MAX     32768
#define JOB_LOG_BUCKETS 8192 /* power of two */
/* Jobs an enclave with a committee logs beyond its last witnessed export: what
 * a rollback could make it forget (wire/witness.h). */
#define JOB_WINDOW      1024
#define MAX_INPUT_PLAIN ((size_t)1 << 20)
/* Fetches open at once (fetch.c; the least recently used gives way). */
#define MAX_FETCHES 4
/* Outstanding SNP_CHALLENGE nonces (snpverify.c). */
#define SNP_CHALLENGES 256

typedef struct {
    uint8_t id[32];
    uint8_t *data; /* secret memory; NULL until loaded after an IMPORT */
    uint64_t size;
    int loaded;    /* wholly held and checked: only then is it used */
    uint32_t next; /* SECRET_LOAD: the next sealed chunk */
} secret_item;

typedef struct {
    int used;
    uint8_t handle[16], id[32];
    uint64_t touched;
    clo_envelope_stream env;
    clo_hash_ctx sha;
    clo_keccak_ctx keccak;
    uint8_t *data; /* secret memory, env.size bytes */
} stream_item;

/* Processed jobs: (job id, statement digest, deadline) with a chained hash
 * index, so a re-run of a job is checked in O(1). */
typedef struct {
    uint8_t job_id[32], digest[32];
    uint64_t deadline;
    int32_t next; /* next entry in the same bucket, -1 at the end */
} log_entry;

struct clo_enclave {
    int initialised;
    clo_pool *pool; /* borrowed: the process's threads, started before the sandbox */
    clo_tee *tee;
    clo_proto_init cfg; /* parts[] are not kept */
    clo_keyring keys;
    secret_item secrets[MAX_SECRETS];
    size_t n_secrets;
    stream_item streams[MAX_STREAMS];
    uint64_t stream_clock;
    log_entry log[JOB_LOG_MAX];
    int32_t bucket[JOB_LOG_BUCKETS];
    size_t log_count;
    /* The committee's clock: the latest time a threshold of members vouched
     * for (the least issued_at of a ticket's counted signatures). Only it
     * retires log entries; the host's clock cannot. */
    uint64_t clock;
    uint64_t jobs_run;
    /* The sealed state's lineage and version (wire/witness.h): the last
     * export, the highest the committee recorded, jobs logged since that
     * record and, of them, those the last export holds. */
    clo_secret32 lineage_key;
    uint8_t lineage[20], import_nonce[32];
    uint64_t version, witnessed;
    size_t unwitnessed, at_export;
    /* The verifier enclave's challenges, each taken by one SNP_APPROVE. */
    uint8_t snp_challenges[SNP_CHALLENGES][32];
    size_t snp_next;
    /* Open fetches, the compiled-in roots (parsed at first use) and the
     * configs' CA sets, each parsed once (fetch.c). */
    struct fetch_session *fetches[MAX_FETCHES];
    uint64_t fetch_clock;
    struct clo_tls_trust *system_roots;
    /* SHARE_BEGIN's transport key and the giver's nonce it answered, until
     * SHARE_TAKE (share.c). */
    clo_x25519_key *share_key;
    uint8_t share_nonce[32];
    struct {
        uint8_t key[32]; /* SHA-256 over the set's certificates */
        struct clo_tls_trust *trust;
        uint64_t used;
    } ca_sets[MAX_FETCHES];
};

/* What a fetch gathered, for the workload's run (fetch.c): the job was
 * checked at FETCH_BEGIN, on the enclave's own copy, at time `at`. */
typedef struct {
    const clo_wl_fetched *f;
    size_t n;
    int64_t at;
} clo_rt_fetched;

/* Shared by runtime.c (calls, jobs) and state.c (sealed state, witnesses). */
void clo_rt_secrets_wipe(secret_item *s, size_t n);
void clo_rt_log_link(clo_enclave *e, int32_t idx);
/* Count a committee member's signature once (counted[] marks members). */
CLO_MUST_CHECK clo_err clo_rt_count_member(const clo_committee *cm, const uint8_t digest[32],
                                           const uint8_t sig[65], const char *what,
                                           uint8_t counted[CLO_COMMITTEE_MAX], size_t *members);
/* PROVISION, STREAM_OPEN, STREAM_CHUNK, SECRET_SEAL, SECRET_LOAD (secrets.c). */
CLO_MUST_CHECK clo_err clo_rt_provision(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp);
CLO_MUST_CHECK clo_err clo_rt_stream_open(clo_enclave *e, clo_bytes body, int64_t now,
                                          clo_buf *resp);
CLO_MUST_CHECK clo_err clo_rt_stream_chunk(clo_enclave *e, clo_bytes body, clo_buf *resp);
CLO_MUST_CHECK clo_err clo_rt_secret_seal(clo_enclave *e, clo_bytes body, clo_buf *resp);
CLO_MUST_CHECK clo_err clo_rt_secret_load(clo_enclave *e, clo_bytes body, clo_buf *resp);
void clo_rt_streams_wipe(clo_enclave *e);
/* The workloads' secret() (workloads/workload.h); ctx is the clo_enclave. */
clo_bytes clo_rt_secret_view(const void *ctx, const uint8_t id[32]);
/* The key the sealed state and the secrets' chunks are sealed under: from the
 * platform's sealing secret and the measurement (state.c). */
CLO_MUST_CHECK clo_err clo_rt_sealing_key(clo_enclave *e, uint8_t key[32]);
/* EXPORT, IMPORT, WITNESS and STATE (wire/proto.h). */
CLO_MUST_CHECK clo_err clo_rt_export(clo_enclave *e, clo_bytes body, clo_buf *resp);
CLO_MUST_CHECK clo_err clo_rt_import(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp);
CLO_MUST_CHECK clo_err clo_rt_witness(clo_enclave *e, clo_bytes body);
CLO_MUST_CHECK clo_err clo_rt_state(clo_enclave *e, clo_bytes body, clo_buf *resp);
/* A job's checks before anything runs (workload known, this chain and
 * market, its ticket) and its time (runtime.c). */
CLO_MUST_CHECK clo_err clo_rt_job_check(clo_enclave *e, const clo_proto_job *job, int64_t now,
                                        int64_t *at);
/* What a job's input envelopes are bound to (formats.md §1.2). */
void clo_rt_job_binding(const clo_proto_job *job, clo_envelope_binding *b);
/* Run a job whose sources were fetched; resp gets RUN's response for it. */
CLO_MUST_CHECK clo_err clo_rt_run_fetched(clo_enclave *e, const clo_proto_job *job, int64_t now,
                                          const clo_rt_fetched *fetched, clo_buf *resp);
/* FETCH_BEGIN, FETCH_PUMP, FETCH_END (fetch.c). */
CLO_MUST_CHECK clo_err clo_rt_fetch_begin(clo_enclave *e, clo_bytes body, int64_t now,
                                          clo_buf *resp);
CLO_MUST_CHECK clo_err clo_rt_fetch_pump(clo_enclave *e, clo_bytes body, clo_buf *resp);
CLO_MUST_CHECK clo_err clo_rt_fetch_end(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp);
void clo_rt_fetches_free(clo_enclave *e);
/* KEYS's response: the epochs, current first. */
CLO_MUST_CHECK clo_err clo_rt_keys(clo_enclave *e, clo_buf *resp);
/* Take one of the enclave's outstanding challenges (SNP_CHALLENGE), each good
 * for one SNP_APPROVE or SHARE_GIVE; a refusal before this keeps it. */
CLO_MUST_CHECK clo_err clo_rt_take_challenge(clo_enclave *e, const uint8_t nonce[32]);
/* SHARE_BEGIN, SHARE_GIVE, SHARE_TAKE: epoch keys from an enclave of the same
 * measurement (share.c). */
CLO_MUST_CHECK clo_err clo_rt_share_begin(clo_enclave *e, clo_bytes body, clo_buf *resp);
CLO_MUST_CHECK clo_err clo_rt_share_give(clo_enclave *e, clo_bytes body, int64_t now,
                                         clo_buf *resp);
CLO_MUST_CHECK clo_err clo_rt_share_take(clo_enclave *e, clo_bytes body, int64_t now,
                                         clo_buf *resp);
/* An SEV-SNP report and its certificates checked (the chain to AMD's ARKs,
 * or in the simulated TEE to its own; no debug outside it; VMPL 0), parsed
 * into *r (snpverify.c; SNP_APPROVE and the key sharing use it). */
CLO_MUST_CHECK clo_err clo_rt_snp_check(clo_enclave *e, clo_bytes report, const clo_bytes *certs,
                                        size_t n, int64_t now, clo_snp_report *r);
/* SNP_CHALLENGE and SNP_APPROVE: the verifier enclave (snpverify.c). */
CLO_MUST_CHECK clo_err clo_rt_snp_challenge(clo_enclave *e, clo_bytes body, clo_buf *resp);
CLO_MUST_CHECK clo_err clo_rt_snp_approve(clo_enclave *e, clo_bytes body, int64_t now,
                                          clo_buf *resp);

#endif
