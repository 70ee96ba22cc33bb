/* rpc.h — Ethereum JSON-RPC 2.0 over HTTP (libcurl), for an untrusted node.
 *
 * One connection is kept alive across calls. Every call has a deadline; a
 * transport failure, an HTTP 429/5xx or a reply that is not a well-formed
 * JSON-RPC response is retried with exponential backoff (all the calls the
 * client makes are idempotent: reads, and re-sending the same signed bytes).
 * A reply must carry the request's id and exactly one of result and error.
 * A JSON-RPC error object is not retried: it comes back as CLO_E_POLICY
 * "rpc.node_error", with its code, message and revert data in last_error. */
#ifndef CLO_CHAIN_RPC_H
#define CLO_CHAIN_RPC_H
#include <jansson.h>

#include "base/bytes.h"
#include "base/jsonhex.h" /* clo_json_hex: how every byte string is written */

#define CLO_RPC_MAX_REPLY (32u << 20)

typedef struct {
    const char *url;
    long timeout_ms; /* per attempt; default 10000 */
    int retries;     /* extra attempts after the first; 0: default 4; < 0: none */
    long backoff_ms; /* first backoff, doubled each time; default 100 */
} clo_rpc_opts;

typedef struct {
    long code;          /* JSON-RPC error code (0: none) */
    char message[256];  /* printable ASCII only */
    uint8_t data[1024]; /* the error's hex `data` (revert data), decoded */
    size_t data_len;
} clo_rpc_error;

typedef struct clo_rpc clo_rpc;

CLO_MUST_CHECK clo_err clo_rpc_new(const clo_rpc_opts *opts, clo_rpc **out);
void clo_rpc_free(clo_rpc *rpc);
/* Call method with params (a JSON array; the reference is stolen). On success
 * *result is a new reference the caller releases. */
CLO_MUST_CHECK clo_err clo_rpc_call(clo_rpc *rpc, const char *method, json_t *params,
                                    json_t **result);
/* The node's error from the last call that failed with "rpc.node_error". */
const clo_rpc_error *clo_rpc_last_error(const clo_rpc *rpc);
/* Counters for metrics and tests: attempts and retries since creation. */
void clo_rpc_stats(const clo_rpc *rpc, uint64_t *attempts, uint64_t *retries);

/* Parse one reply body for request id (exposed for the fuzz harness). Returns
 * the result as a new reference, or "rpc.node_error" with *error filled. */
CLO_MUST_CHECK clo_err clo_rpc_parse_reply(clo_bytes body, uint64_t id, json_t **result,
                                           clo_rpc_error *error);

/* ---- hex quantities and data (the JSON-RPC encodings) ---- */
/* "0x0", "0x1a": no leading zeros, at most 64 bits. */
CLO_MUST_CHECK clo_err clo_rpc_quantity(const json_t *v, uint64_t *out);
/* A quantity of at most 256 bits, as a 32-byte big-endian word. */
CLO_MUST_CHECK clo_err clo_rpc_quantity256(const json_t *v, uint8_t out[32]);
/* "0x" + even hex digits, appended to out. */
CLO_MUST_CHECK clo_err clo_rpc_data(const json_t *v, clo_buf *out);
/* Exactly n bytes of "0x" data. */
CLO_MUST_CHECK clo_err clo_rpc_data_fixed(const json_t *v, uint8_t *out, size_t n);
json_t *clo_rpc_hex_quantity(uint64_t v); /* "0x1a" */
json_t *clo_rpc_hex_quantity256(const uint8_t w[32]);
#endif
