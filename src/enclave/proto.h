/* proto.h — the calls on the host <-> enclave channel and their bodies
 * (docs/formats.md §3). Big-endian; every variable-size field is u32 size | bytes
 * unless noted. The enclave decodes requests in runtime.c; this module holds the
 * encoders and decoders both sides share.
 *
 *   1 HELLO      req u16 version            resp clo_proto_hello
 *   2 INIT       req clo_proto_init         resp empty        (once, first)
 *   3 EVIDENCE   req nonce[32]              resp clo_proto_evidence
 *   4 KEYS       req empty                  resp clo_proto_keys
 *   5 ROTATE     req empty                  resp clo_proto_keys
 *   6 PROVISION  req id[32] | u32 epoch | envelope (rest)   resp id[32] | keccak256(secret)
 *   7 RUN        req u16 n | n x job        resp u16 n | n x result
 *   8 EXPORT     req empty                  resp u32 size | sealed state | sig[65]
 *                (the lineage key's StateExport of the state's version: enclave/witness.h)
 *   9 IMPORT     req u32 size | sealed state | u8 n | n x (u64 version | sig[65])
 *                (the committee's StateLatest reports)   resp u32 current epoch
 *  10 SHUTDOWN   req empty                  resp empty, then the enclave exits
 *  11 PING       req anything (<= 64 KiB)   resp the same bytes
 *  12 SIGN_BATCH req clo_proto_batch         resp clo_proto_batch_sig
 *  13 WITNESS    req u64 version | u8 n | n x sig[65] (StateRecorded)   resp empty
 *  14 STATE      req empty   resp lineage[20] | u64 version | u64 witnessed | nonce[32]
 */
#ifndef CLO_ENCLAVE_PROTO_H
#define CLO_ENCLAVE_PROTO_H

#include "base/bytes.h"
#include "enclave/statement.h"
#include "enclave/ticket.h"

#define CLO_PROTO_VERSION 1

enum {
    CLO_CALL_HELLO = 1,
    CLO_CALL_INIT = 2,
    CLO_CALL_EVIDENCE = 3,
    CLO_CALL_KEYS = 4,
    CLO_CALL_ROTATE = 5,
    CLO_CALL_PROVISION = 6,
    CLO_CALL_RUN = 7,
    CLO_CALL_EXPORT = 8,
    CLO_CALL_IMPORT = 9,
    CLO_CALL_SHUTDOWN = 10,
    CLO_CALL_PING = 11,
    CLO_CALL_SIGN_BATCH = 12,
    CLO_CALL_WITNESS = 13,
    CLO_CALL_STATE = 14,
};

#define CLO_PROTO_MAX_PARTS    16
#define CLO_PROTO_MAX_BATCH    256
#define CLO_PROTO_MAX_INPUTS   1024
#define CLO_PROTO_MAX_ENVELOPE ((size_t)1 << 20)

/* INIT: u8 backend | u64 chain_id | registry[20] | market[20] | u32 grace_seconds
 *       | measurement[48] | u8 threshold | u8 m | m x member[20]
 *       | u8 n | n x (u32 size | part)
 * measurement is the launcher's executable event; the enclave extends its own
 * configuration event (chain, registry, market, committee) over it
 * (attest/measure.h). The committee (ascending members) is the one whose
 * tickets the enclave takes and who records its sealed state. */
typedef struct {
    uint8_t backend;
    uint64_t chain_id;
    uint8_t registry[20], market[20];
    uint32_t grace_seconds;
    uint8_t measurement[48];
    clo_committee committee;
    size_t count;
    clo_bytes parts[CLO_PROTO_MAX_PARTS];
} clo_proto_init;

/* HELLO resp: u16 version | u8 backend | u8 initialised | measurement[48]
 *             | u32 current epoch | u64 jobs run | u16 secrets */
typedef struct {
    uint16_t version;
    uint8_t backend, initialised;
    uint8_t measurement[48];
    uint32_t epoch;
    uint64_t jobs;
    uint16_t secrets;
} clo_proto_hello;

/* EVIDENCE resp: u32 epoch | signer[20] | hpke_pk[32] | u64 chain_id | registry[20]
 *                | nonce[32] | report_data[64] | u8 format | evidence (rest) */
typedef struct {
    uint32_t epoch;
    uint8_t signer[20], hpke_pk[32];
    uint64_t chain_id;
    uint8_t registry[20], nonce[32], report_data[64];
    uint8_t format;
    clo_bytes evidence;
} clo_proto_evidence;

/* KEYS resp: u32 current | u8 n | n x (u32 epoch | i64 created | i64 retire_at
 *            | signer[20] | hpke_pk[32])      (retire_at 0: current) */
typedef struct {
    uint32_t epoch;
    int64_t created, retire_at;
    uint8_t signer[20], hpke_pk[32];
} clo_proto_key;
typedef struct {
    uint32_t current;
    size_t count;
    clo_proto_key keys[8];
} clo_proto_keys;

/* job: job_id[32] | workload_id[32] | u64 chain_id | market[20] | u32 epoch
 *      | u32 size | config | u16 n | n x (u32 size | envelope)
 *      | ticket: consumer[20] | u64 deadline | requester[20] | client_nonce[32]
 *               | u8 k | k x (u64 issued_at | sig[65])
 * The ticket's job id is the job's, and its spec is recomputed from the job
 * (ticket.h); each signature is over the ticket with its own issued_at. */
#define CLO_PROTO_MAX_TICKET_SIGS CLO_COMMITTEE_MAX
typedef struct {
    uint64_t issued_at;
    uint8_t sig[65];
} clo_proto_ticket_sig;
typedef struct {
    uint8_t job_id[32], workload_id[32];
    uint64_t chain_id;
    uint8_t market[20];
    uint32_t epoch;
    clo_bytes config;
    size_t count;
    const clo_bytes *inputs; /* decode: points into `storage` */
    uint8_t consumer[20], requester[20], client_nonce[32];
    uint64_t deadline;
    size_t nsigs;
    clo_proto_ticket_sig sigs[CLO_PROTO_MAX_TICKET_SIGS];
} clo_proto_job;

/* The ticket a job's signatures are over, with issued_at from one of them. */
void clo_proto_job_ticket(const clo_proto_job *job, uint64_t issued_at, clo_ticket *out);

/* result: job_id[32] | u16 code | code != 0: u16 size | what
 *         code == 0: u32 size | public | u16 n | n x (u32 size | sealed private)
 *                    | input_hash[32] | public_hash[32] | private_hash[32]
 *                    | workload_id[32] | model_id[32] | u32 epoch | signer[20] | sig[65] */
typedef struct {
    uint8_t job_id[32];
    clo_err err; /* what points into what_buf */
    char what_buf[129];
    clo_bytes public_out;
    size_t count;
    clo_bytes private_out[CLO_PROTO_MAX_INPUTS];
    clo_result_stmt stmt;
    uint8_t signer[20], sig[65];
} clo_proto_result;

/* SIGN_BATCH req: u32 epoch | u16 n (1..CLO_PROTO_MAX_BATCH) | n x (job_id | input_hash
 *                 | public_hash | private_hash | workload_id | model_id), 32 bytes each.
 * The enclave signs the Merkle root of these Results only if it signed each one
 * itself (its processed-job log holds each statement's digest).
 * resp: root[32] | u32 n | u32 epoch | signer[20] | sig[65] */
typedef struct {
    uint32_t epoch;
    size_t count;
    clo_result_stmt stmts[CLO_PROTO_MAX_BATCH]; /* each stmt.epoch == epoch */
} clo_proto_batch;
typedef struct {
    uint8_t root[32];
    uint32_t count, epoch;
    uint8_t signer[20], sig[65];
} clo_proto_batch_sig;

CLO_MUST_CHECK clo_err clo_proto_init_encode(const clo_proto_init *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_init_decode(clo_bytes body, clo_proto_init *out);
CLO_MUST_CHECK clo_err clo_proto_hello_encode(const clo_proto_hello *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_hello_decode(clo_bytes body, clo_proto_hello *out);
CLO_MUST_CHECK clo_err clo_proto_evidence_encode(const clo_proto_evidence *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_evidence_decode(clo_bytes body, clo_proto_evidence *out);
CLO_MUST_CHECK clo_err clo_proto_keys_encode(const clo_proto_keys *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_keys_decode(clo_bytes body, clo_proto_keys *out);
CLO_MUST_CHECK clo_err clo_proto_job_encode(const clo_proto_job *in, clo_buf *out);
/* Decode one job at the cursor; inputs[] (capacity CLO_PROTO_MAX_INPUTS) receives views. */
CLO_MUST_CHECK clo_err clo_proto_job_decode(clo_cur *c, clo_proto_job *out, clo_bytes *inputs);
CLO_MUST_CHECK clo_err clo_proto_result_encode(const clo_proto_result *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_result_decode(clo_cur *c, clo_proto_result *out);
CLO_MUST_CHECK clo_err clo_proto_batch_encode(const clo_proto_batch *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_batch_decode(clo_bytes body, clo_proto_batch *out);
CLO_MUST_CHECK clo_err clo_proto_batch_sig_encode(const clo_proto_batch_sig *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_batch_sig_decode(clo_bytes body, clo_proto_batch_sig *out);

#endif
