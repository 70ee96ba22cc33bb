/* proto.h — the calls on the host <-> enclave channel and their bodies
 * (docs/formats.md §3). Big-endian; every variable-size field is u32 size | bytes
 * unless noted. Every body is built and read with the codecs below, by both
 * sides; nothing frames a call by hand.
 *
 *   1 HELLO      req u16 version            resp clo_proto_hello
 *   2 INIT       req clo_proto_init         resp empty        (once, first)
 *   3 EVIDENCE   req nonce[32] operator[20] resp clo_proto_evidence
 *   4 KEYS       req empty                  resp clo_proto_keys
 *   5 ROTATE     req empty                  resp clo_proto_keys
 *   6 PROVISION  req clo_proto_provision    resp clo_proto_provisioned
 *   7 RUN        req u16 n | n x job        resp u16 n | n x result
 *   8 EXPORT     req empty                  resp clo_proto_export
 *   9 IMPORT     req clo_proto_import       resp clo_proto_imported
 *  10 SHUTDOWN   req empty                  resp empty, then the enclave exits
 *  11 PING       req anything (<= 64 KiB)   resp the same bytes
 *  12 SIGN_BATCH req clo_proto_batch         resp clo_proto_batch_sig
 *  13 WITNESS    req clo_proto_witness     resp empty
 *  14 STATE      req empty                  resp clo_proto_state
 *  15 STREAM_OPEN  req clo_proto_stream_open  resp clo_proto_stream
 *  16 STREAM_CHUNK req clo_proto_stream_chunk resp clo_proto_stream_done
 *  17 SECRET_SEAL  req clo_proto_secret_ref   resp clo_proto_sealed_chunk
 *  18 SECRET_LOAD  req clo_proto_secret_load  resp u8 done (1 after the last chunk)
 *  19 SNP_CHALLENGE req empty                resp nonce[32]
 *  20 SNP_APPROVE   req clo_proto_snp_approve resp clo_proto_snp_approval
 *  21 FETCH_BEGIN   req job (as in RUN)      resp clo_proto_fetch_begun
 *  22 FETCH_PUMP    req clo_proto_fetch_pump resp clo_proto_fetch_pumped
 *  23 FETCH_END     req handle[16]           resp as RUN's: u16 1 | result
 *  24 SHARE_BEGIN   req nonce[32]            resp clo_proto_share_hello
 *  25 SHARE_GIVE    req clo_proto_share_give resp clo_proto_share_keys
 *  26 SHARE_TAKE    req clo_proto_share_keys resp clo_proto_keys
 */
#ifndef CLO_WIRE_PROTO_H
#define CLO_WIRE_PROTO_H

#include "base/bytes.h"
#include "wire/statement.h"
#include "wire/ticket.h"
#include "wire/witness.h"

#define CLO_PROTO_VERSION 1

/* Evidence formats (EVIDENCE's format byte). */
typedef enum {
    CLO_EVIDENCE_TDX_QUOTE = 1,
    CLO_EVIDENCE_SGX_QUOTE = 2,
    CLO_EVIDENCE_SNP_REPORT = 3
} clo_evidence_format;

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
    CLO_CALL_STREAM_OPEN = 15,
    CLO_CALL_STREAM_CHUNK = 16,
    CLO_CALL_SECRET_SEAL = 17,
    CLO_CALL_SECRET_LOAD = 18,
    CLO_CALL_SNP_CHALLENGE = 19,
    CLO_CALL_SNP_APPROVE = 20,
    CLO_CALL_FETCH_BEGIN = 21,
    CLO_CALL_FETCH_PUMP = 22,
    CLO_CALL_FETCH_END = 23,
    CLO_CALL_SHARE_BEGIN = 24,
    CLO_CALL_SHARE_GIVE = 25,
    CLO_CALL_SHARE_TAKE = 26,
};

#define CLO_PROTO_MAX_PARTS    16
#define CLO_PROTO_MAX_BATCH    256
#define CLO_PROTO_MAX_INPUTS   1024
#define CLO_PROTO_MAX_ENVELOPE ((size_t)1 << 20)
#define CLO_PROTO_MAX_SECRETS  64

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
 *                | operator[20] | nonce[32] | report_data[64] | u8 format | evidence (rest) */
typedef struct {
    uint32_t epoch;
    uint8_t signer[20], hpke_pk[32];
    uint64_t chain_id;
    uint8_t registry[20], operator_addr[20], nonce[32], report_data[64];
    uint8_t format;
    clo_bytes evidence;
} clo_proto_evidence;

/* SNP_APPROVE (a verifier enclave checks another enclave's SEV-SNP evidence
 * and signs its EnclaveApproval; docs/attestation.md "Verifier enclave"):
 *   req  operator[20] | signer[20] | hpke_pk[32] | u32 epoch | nonce[32]
 *        | u64 expiry | u32 size | report (1184 bytes) | u8 n | n x (u32 size | certificate)
 *   resp u8 tee_type | measurement[32] | u64 expiry | evidence_digest[32] | sig[65]
 *        | u64 vcek_not_after | u8 size | product
 * nonce is one of this enclave's outstanding SNP_CHALLENGE answers; the
 * certificates (DER or PEM, up to 4) are the VCEK and, optionally, its ASK. */
#define CLO_PROTO_SNP_MAX_CERTS 4
typedef struct {
    uint8_t operator_addr[20], signer[20], hpke_pk[32];
    uint32_t epoch;
    uint8_t nonce[32];
    uint64_t expiry;
    clo_bytes report;
    size_t ncerts;
    clo_bytes certs[CLO_PROTO_SNP_MAX_CERTS];
} clo_proto_snp_approve;
typedef struct {
    uint8_t tee_type, measurement[32];
    uint64_t expiry;
    uint8_t evidence_digest[32], sig[65];
    uint64_t vcek_not_after;
    char product[32];
} clo_proto_snp_approval;

/* A job whose workload fetches HTTPS sources (issue 20; docs/formats.md §3):
 * the enclave opens a TLS client per source, the host connects each to its
 * host and port and carries the ciphertext both ways, then ends the fetch and
 * gets the job's result.
 *   FETCH_BEGIN resp: handle[16] | u8 n | n x (u8 state | u8 size | host | u16 port
 *                     | u32 size | bytes for the server)
 *   FETCH_PUMP  req:  handle[16] | u8 source | u8 eof | u32 size | bytes from the server
 *               resp: u8 state | u32 size | bytes for the server
 * state 0: the source wants more bytes; 1: it is finished (a whole response,
 * or a failure the result will name). eof: the host has no more bytes for it
 * (closed, refused, timed out). */
#define CLO_PROTO_FETCH_MAX_SOURCES 16
#define CLO_PROTO_FETCH_MAX_BYTES   ((size_t)4 << 20)
typedef struct {
    uint8_t state;
    char host[254];
    uint16_t port;
    clo_bytes to_server;
} clo_proto_fetch_source;
typedef struct {
    uint8_t handle[16];
    size_t count;
    clo_proto_fetch_source s[CLO_PROTO_FETCH_MAX_SOURCES];
} clo_proto_fetch_begun;
typedef struct {
    uint8_t handle[16];
    uint8_t source, eof;
    clo_bytes from_server;
} clo_proto_fetch_pump;
typedef struct {
    uint8_t state;
    clo_bytes to_server;
} clo_proto_fetch_pumped;

/* Key sharing between enclaves of one measurement (issue 21; docs/formats.md
 * §3): a fresh enclave (the taker) answers the giver's challenge with evidence
 * binding a transport key; the giver checks it is a genuine enclave of its own
 * measurement and seals its epochs' HPKE keys to that key.
 *   SHARE_BEGIN resp: transport_pk[32] | signer[20] | u8 format | evidence (rest)
 *                     (signer: the taker's current one, zero when it holds no
 *                     keys; bound in the evidence, so the giver's node can
 *                     check its registry record)
 *   SHARE_GIVE  req:  nonce[32] | transport_pk[32] | signer[20] | u8 format
 *                     | u32 size | evidence
 *                     | u8 n (0..8) | n x (u32 size | collateral: PEM, DER or PCS JSON) */
#define CLO_PROTO_SHARE_MAX_PARTS 8
typedef struct {
    uint8_t transport_pk[32], signer[20];
    uint8_t format;
    clo_bytes evidence;
} clo_proto_share_hello;
typedef struct {
    uint8_t nonce[32], transport_pk[32], signer[20];
    uint8_t format;
    clo_bytes evidence;
    size_t nparts;
    clo_bytes parts[CLO_PROTO_SHARE_MAX_PARTS];
} clo_proto_share_give;
/* SHARE_GIVE resp, SHARE_TAKE req: u32 size | sealed (enc[32] | ciphertext)
 * | signer[20] | u8 format | u32 size | evidence | u8 n (0..8) | n x (u32 size
 * | certificate): the giver's evidence (its host adds the certificates an
 * SNP report needs), whose report data binds
 * the sealed keys and the giver's current signer to the taker's transport key
 * and nonce, so that the taker takes keys only from an enclave of its own
 * measurement, never from the host, and its node can check the giver's
 * registry record. */
typedef struct {
    clo_bytes sealed;
    uint8_t signer[20];
    uint8_t format;
    clo_bytes evidence;
    size_t nparts; /* the giver's certificates (an SNP report's VCEK), its host's */
    clo_bytes parts[CLO_PROTO_SHARE_MAX_PARTS];
} clo_proto_share_keys;

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
 *                    | workload_id[32] | config_hash[32] | u32 epoch | signer[20] | sig[65] */
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

/* HELLO req: u16 version. */
CLO_MUST_CHECK clo_err clo_proto_hello_req_encode(uint16_t version, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_hello_req_decode(clo_bytes body, uint16_t *version);

/* PROVISION req: id[32] | u32 epoch | envelope (rest, 1..CLO_FRAME_MAX_BODY - 36)
 * resp: id[32] | digest[32] = keccak256(the secret as the enclave holds it) */
typedef struct {
    uint8_t id[32];
    uint32_t epoch;
    clo_bytes envelope;
} clo_proto_provision;
typedef struct {
    uint8_t id[32], digest[32];
} clo_proto_provisioned;
CLO_MUST_CHECK clo_err clo_proto_provision_encode(const clo_proto_provision *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_provision_decode(clo_bytes body, clo_proto_provision *out);
CLO_MUST_CHECK clo_err clo_proto_provisioned_encode(const clo_proto_provisioned *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_provisioned_decode(clo_bytes body, clo_proto_provisioned *out);

/* RUN req: u16 n (1..CLO_PROTO_MAX_BATCH) | n x job; resp: u16 n | n x result,
 * in the request's order. Jobs travel as clo_proto_job_encode made them (the
 * journal keeps each one encoded), so the batch codec takes them as bytes. */
CLO_MUST_CHECK clo_err clo_proto_run_encode(const clo_bytes *jobs, size_t n, clo_buf *out);
/* The batch's size, with c at its first job: decode n jobs, then clo_cur_end. */
CLO_MUST_CHECK clo_err clo_proto_run_open(clo_bytes body, clo_cur *c, size_t *n);
CLO_MUST_CHECK clo_err clo_proto_run_resp_begin(size_t n, clo_buf *out);
/* Check the response holds n results, with c at the first: decode n, then clo_cur_end. */
CLO_MUST_CHECK clo_err clo_proto_run_resp_open(clo_bytes body, size_t n, clo_cur *c);

/* EXPORT resp: u32 size | sealed state (wire/witness.h) | sig[65], the
 * lineage key's StateExport over the state's version. The enclave seals in
 * place: reserve, write the state at *state, then finish with the signature. */
typedef struct {
    clo_bytes state;
    uint8_t sig[65];
} clo_proto_export;
CLO_MUST_CHECK clo_err clo_proto_export_reserve(size_t state_size, clo_buf *out, uint8_t **state);
CLO_MUST_CHECK clo_err clo_proto_export_finish(const uint8_t sig[65], clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_export_decode(clo_bytes body, clo_proto_export *out);

/* IMPORT req: u32 size | sealed state | u8 n | n x (u64 version | sig[65]),
 * each member's StateLatest over the enclave's nonce; resp: u32 current epoch. */
typedef struct {
    uint64_t version;
    uint8_t sig[65];
} clo_proto_state_report;
typedef struct {
    clo_bytes state;
    size_t count;
    clo_proto_state_report reports[CLO_COMMITTEE_MAX];
} clo_proto_import;
CLO_MUST_CHECK clo_err clo_proto_import_encode(const clo_proto_import *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_import_decode(clo_bytes body, clo_proto_import *out);

/* IMPORT resp: u32 current epoch | u16 n | n x (id[32] | u64 size): the
 * secrets the state names, which the host then loads (SECRET_LOAD). */
typedef struct {
    uint32_t epoch;
    size_t count;
    struct {
        uint8_t id[32];
        uint64_t size;
    } secrets[CLO_PROTO_MAX_SECRETS];
} clo_proto_imported;
CLO_MUST_CHECK clo_err clo_proto_imported_encode(const clo_proto_imported *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_imported_decode(clo_bytes body, clo_proto_imported *out);

/* Streamed provisioning (crypto/envelope.h, kind 4), for secrets of any size.
 * STREAM_OPEN req: id[32] | stream header[56]; resp: handle[16] | u32 count.
 * STREAM_CHUNK req: handle[16] | u32 index | chunk (rest, 17..MAX_CHUNK + 16);
 * resp: u8 done | (done = 1) id[32] | digest[32] as PROVISION's. */
typedef struct {
    uint8_t id[32];
    clo_bytes header;
} clo_proto_stream_open;
typedef struct {
    uint8_t handle[16];
    uint32_t count;
} clo_proto_stream;
typedef struct {
    uint8_t handle[16];
    uint32_t index;
    clo_bytes chunk;
} clo_proto_stream_chunk;
typedef struct {
    int done;
    clo_proto_provisioned provisioned; /* when done */
} clo_proto_stream_done;
CLO_MUST_CHECK clo_err clo_proto_stream_open_encode(const clo_proto_stream_open *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_stream_open_decode(clo_bytes body, clo_proto_stream_open *out);
CLO_MUST_CHECK clo_err clo_proto_stream_encode(const clo_proto_stream *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_stream_decode(clo_bytes body, clo_proto_stream *out);
CLO_MUST_CHECK clo_err clo_proto_stream_chunk_encode(const clo_proto_stream_chunk *in,
                                                     clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_stream_chunk_decode(clo_bytes body, clo_proto_stream_chunk *out);
CLO_MUST_CHECK clo_err clo_proto_stream_done_encode(const clo_proto_stream_done *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_stream_done_decode(clo_bytes body, clo_proto_stream_done *out);

/* A held secret's sealed form, chunk by chunk (the host stores it; the sealed
 * state names the secret only). SECRET_SEAL req: id[32] | u32 index; resp:
 * u32 count | sealed chunk (rest). SECRET_LOAD req: id[32] | u32 index |
 * sealed chunk (rest), in order from 0. Sealed chunks: CLO_SECRET_CHUNK bytes
 * of the secret (the last one fewer), AES-256-GCM, 16-byte tag. */
#define CLO_SECRET_CHUNK ((uint32_t)4 << 20)
typedef struct {
    uint8_t id[32];
    uint32_t index;
} clo_proto_secret_ref;
typedef struct {
    uint32_t count;
    clo_bytes sealed;
} clo_proto_sealed_chunk;
typedef struct {
    uint8_t id[32];
    uint32_t index;
    clo_bytes sealed;
} clo_proto_secret_load;
CLO_MUST_CHECK clo_err clo_proto_secret_ref_encode(const clo_proto_secret_ref *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_secret_ref_decode(clo_bytes body, clo_proto_secret_ref *out);
CLO_MUST_CHECK clo_err clo_proto_sealed_chunk_encode(const clo_proto_sealed_chunk *in,
                                                     clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_sealed_chunk_decode(clo_bytes body, clo_proto_sealed_chunk *out);
CLO_MUST_CHECK clo_err clo_proto_secret_load_encode(const clo_proto_secret_load *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_secret_load_decode(clo_bytes body, clo_proto_secret_load *out);
CLO_MUST_CHECK clo_err clo_proto_done_decode(clo_bytes body, int *done);

/* WITNESS req: u64 version | u8 n | n x sig[65], members' StateRecorded of
 * the last export; resp empty. */
typedef struct {
    uint64_t version;
    size_t count;
    uint8_t sigs[CLO_COMMITTEE_MAX][65];
} clo_proto_witness;
CLO_MUST_CHECK clo_err clo_proto_witness_encode(const clo_proto_witness *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_witness_decode(clo_bytes body, clo_proto_witness *out);

/* STATE resp: lineage[20] | u64 version | u64 witnessed | nonce[32], the
 * nonce the committee's StateLatest reports for an IMPORT must be over. */
typedef struct {
    uint8_t lineage[20];
    uint64_t version, witnessed;
    uint8_t nonce[32];
} clo_proto_state;
CLO_MUST_CHECK clo_err clo_proto_state_encode(const clo_proto_state *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_state_decode(clo_bytes body, clo_proto_state *out);

/* A call whose request is empty (EXPORT, STATE). */
CLO_MUST_CHECK clo_err clo_proto_empty_decode(clo_bytes body, const char *what);

/* SIGN_BATCH req: u32 epoch | u16 n (1..CLO_PROTO_MAX_BATCH) | n x (job_id | input_hash
 *                 | public_hash | private_hash | workload_id | config_hash), 32 bytes each.
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
CLO_MUST_CHECK clo_err clo_proto_snp_approve_encode(const clo_proto_snp_approve *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_snp_approve_decode(clo_bytes body, clo_proto_snp_approve *out);
CLO_MUST_CHECK clo_err clo_proto_snp_approval_encode(const clo_proto_snp_approval *in,
                                                     clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_snp_approval_decode(clo_bytes body, clo_proto_snp_approval *out);
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
CLO_MUST_CHECK clo_err clo_proto_fetch_begun_encode(const clo_proto_fetch_begun *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_fetch_begun_decode(clo_bytes body, clo_proto_fetch_begun *out);
CLO_MUST_CHECK clo_err clo_proto_fetch_pump_encode(const clo_proto_fetch_pump *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_fetch_pump_decode(clo_bytes body, clo_proto_fetch_pump *out);
CLO_MUST_CHECK clo_err clo_proto_fetch_pumped_encode(const clo_proto_fetch_pumped *in,
                                                     clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_fetch_pumped_decode(clo_bytes body, clo_proto_fetch_pumped *out);
CLO_MUST_CHECK clo_err clo_proto_share_hello_encode(const clo_proto_share_hello *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_share_hello_decode(clo_bytes body, clo_proto_share_hello *out);
CLO_MUST_CHECK clo_err clo_proto_share_give_encode(const clo_proto_share_give *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_share_give_decode(clo_bytes body, clo_proto_share_give *out);
CLO_MUST_CHECK clo_err clo_proto_share_keys_encode(const clo_proto_share_keys *in, clo_buf *out);
CLO_MUST_CHECK clo_err clo_proto_share_keys_decode(clo_bytes body, clo_proto_share_keys *out);

#endif
