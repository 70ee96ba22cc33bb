/* enclave_fixture.h — an in-process enclave on a fresh simulated platform, and
 * client-side helpers to seal job inputs and check results. For the enclave
 * runtime tests, the fuzz harness of the call decoder, and the benchmark. */
#ifndef CLO_TESTS_ENCLAVE_FIXTURE_H
#define CLO_TESTS_ENCLAVE_FIXTURE_H

#include "evidence/sim.h"
#include "crypto/envelope.h"
#include "wire/proto.h"
#include "enclave/runtime.h"

#define FX_CHAIN_ID  31337
#define FX_NOW       1790000000
#define FX_DEADLINE  (FX_NOW + 86400)
#define FX_COMMITTEE 3 /* members; the fixture's enclaves need 2 of them */

typedef struct {
    clo_sim sim;
    clo_buf parts[CLO_SIM_PARTS];
    uint8_t measurement[48];
    uint8_t market[20], registry[20];
} fx_platform;

/* A fresh simulated platform; measurement (the launcher's executable event) = 0x11 bytes. */
clo_err fx_platform_new(fx_platform *p);
void fx_platform_free(fx_platform *p);
/* A new enclave, INITed on p with this executable event and grace. */
clo_err fx_enclave(const fx_platform *p, const uint8_t measurement[48], uint32_t grace,
                   clo_enclave **out);
/* The INIT parameters of the fixture's enclaves (views into p's parts). */
void fx_init_params(const fx_platform *p, const uint8_t measurement[48], uint32_t grace,
                    clo_proto_init *out);
/* The measurement (RTMR3) of a fixture enclave INITed with this executable event. */
clo_err fx_measurement(const fx_platform *p, const uint8_t exe_event[48], uint8_t out[48]);
/* Sealed state (wire/witness.h): the lineage and version in a blob's
 * header; EXPORT alone (blob: the sealed state, without the size and the
 * lineage signature); EXPORT and the WITNESS of members 0 and 1 (blob may be
 * NULL); IMPORT with every member reporting `recorded` as the latest
 * version, over the enclave's nonce (the body alone, or the call). */
clo_err fx_state_header(clo_bytes blob, uint8_t lineage[20], uint64_t *version);
clo_err fx_export(clo_enclave *e, int64_t now, clo_buf *blob);
clo_err fx_checkpoint(const fx_platform *p, clo_enclave *e, int64_t now, clo_buf *blob);
clo_err fx_import_body(const fx_platform *p, clo_enclave *e, clo_bytes blob, uint64_t recorded,
                       clo_buf *body);
clo_err fx_import(const fx_platform *p, clo_enclave *e, clo_bytes blob, uint64_t recorded,
                  int64_t now, clo_buf *resp);
/* After an IMPORT into `to` (imported: its response), the secrets it names:
 * each one's sealed chunks from `from` (SECRET_SEAL), loaded into `to`
 * (SECRET_LOAD), as cloisterd carries them through its data directory. */
clo_err fx_carry_secrets(clo_enclave *from, clo_enclave *to, clo_bytes imported, int64_t now);
/* One call; resp is cleared first. */
clo_err fx_call(clo_enclave *e, uint16_t call, clo_bytes body, int64_t now, clo_buf *resp);
/* The report data evidence must carry for these keys and nonce, with the
 * chain and registry the fixture INITs with (not the ones ev claims). */
void fx_expected_report_data(const fx_platform *p, const clo_proto_evidence *ev,
                             const uint8_t req[52], uint8_t rd[64]);
/* Current keys of e. */
clo_err fx_keys(clo_enclave *e, int64_t now, clo_proto_keys *out);

/* Committee member i's key and address (the fixture's enclaves trust members
 * 0..FX_COMMITTEE-1, threshold 2). */
void fx_member(size_t i, clo_secret32 *key, uint8_t addr[20]);
/* Sign the job's committee ticket (requester 0) by members[0..n), each with
 * issued_at, and set job->nsigs. */
clo_err fx_sign_ticket(const fx_platform *p, clo_proto_job *job, const size_t *members, size_t n,
                       uint64_t issued_at);

/* One job, encoded (clo_proto_job_encode), with these plaintext inputs sealed
 * to pk; reply keys (count entries) receive the keys that open the private
 * outputs. The job carries a committee ticket by members 0 and 1 (deadline
 * FX_DEADLINE, issued at FX_NOW). fx_job_body: the same as a one-job RUN body. */
clo_err fx_job_encoded(const fx_platform *p, const uint8_t job_id[32], const char *workload,
                       clo_bytes config, uint32_t epoch, const uint8_t pk[32],
                       const clo_bytes *plain, size_t count, clo_envelope_reply_key *reply_keys,
                       clo_buf *job);
/* A one-job RUN body (clo_proto_run_encode) for an encoded-here job. */
clo_err fx_run_body(const clo_proto_job *job, clo_buf *body);
clo_err fx_job_body(const fx_platform *p, const uint8_t job_id[32], const char *workload,
                    clo_bytes config, uint32_t epoch, const uint8_t pk[32], const clo_bytes *plain,
                    size_t count, clo_envelope_reply_key *reply_keys, clo_buf *body);

/* The same job, its envelopes and ticket left to the caller: *job gets the
 * sealed inputs (views into env[0..count), which the caller frees). */
clo_err fx_job_make(const fx_platform *p, const uint8_t job_id[32], const char *workload,
                    clo_bytes config, uint32_t epoch, const uint8_t pk[32], const clo_bytes *plain,
                    size_t count, clo_envelope_reply_key *reply_keys, clo_buf *env,
                    clo_bytes *views, clo_proto_job *job);

/* PROVISION a secret under id, sealed to pk for that epoch (bound to job id
 * = id and the "provision" workload); resp gets the id and keccak256. */
clo_err fx_provision(clo_enclave *e, const fx_platform *p, const uint8_t id[32], clo_bytes secret,
                     uint32_t epoch, const uint8_t pk[32], clo_buf *resp);

#endif
