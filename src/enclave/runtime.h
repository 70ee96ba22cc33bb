/* runtime.h — the trusted enclave runtime: one call at a time, from frames on
 * one descriptor (proto.h), against the enclave's state: TEE backend, epoch
 * keys, provisioned secrets and the processed-job log. Trusted side.
 *
 * Every request body is untrusted; it is copied in once (frame.c) and decoded
 * in full before anything acts on it. A failed call changes no state.
 *
 * Sealed state (EXPORT/IMPORT), docs/formats.md §4:
 *   u8 version=1 | u8 backend | measurement[48] | nonce[12] | AES-256-GCM(ct || tag)
 *   key = HKDF-SHA256(salt = measurement, ikm = platform sealing secret,
 *                     info = "cloister/v1/sealing-key"); aad = the 62-byte header
 *   plaintext: u8 version=1 | keyring (keys.h) | u16 n | n x (id[32] | u32 size | secret)
 *              | u32 n | n x (job_id[32] | statement digest[32])
 * A different measurement derives a different key, so another binary cannot
 * read the state; IMPORT is accepted only by an enclave with no keys yet, so
 * it cannot roll back a running one. */
#ifndef CLO_ENCLAVE_RUNTIME_H
#define CLO_ENCLAVE_RUNTIME_H

#include "base/bytes.h"
#include "enclave/tee.h"

typedef struct clo_enclave clo_enclave;

CLO_MUST_CHECK clo_err clo_enclave_new(clo_enclave **out);
void clo_enclave_free(clo_enclave *e);
/* Lend the enclave threads for its workloads (ONNX plans split big products
 * over them; results are the same bits as on one thread). The pool is made
 * before the sandbox (which forbids starting threads) and outlives e. */
struct clo_pool;
void clo_enclave_use_pool(clo_enclave *e, struct clo_pool *pool);

/* Handle one request body; the response body is appended to resp (cleared on
 * failure). *stop is set once SHUTDOWN has been answered. */
CLO_MUST_CHECK clo_err clo_enclave_handle(clo_enclave *e, uint16_t call, clo_bytes body,
                                          int64_t now, clo_buf *resp, int *stop);

/* Called once, right after INIT succeeds, before any other call is served: the
 * executable installs its seccomp filter here. A failure stops the enclave. */
typedef clo_err (*clo_enclave_lockdown)(clo_tee_kind kind);

/* Serve frames on fd until SHUTDOWN or the channel closes (CLO_OK), or a framing
 * error (the channel cannot be trusted to resynchronise). */
CLO_MUST_CHECK clo_err clo_enclave_serve(clo_enclave *e, int fd, clo_enclave_lockdown lockdown);

#endif
