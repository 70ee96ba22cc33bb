/* tls.h — a TLS client over memory buffers, for an enclave that fetches from
 * HTTPS sources while the host only carries bytes (issue 20). Nothing here
 * touches a socket or a file: ciphertext goes in and out through buffers.
 *
 * Checks, all on by construction:
 *   TLS 1.2 or 1.3 only; no renegotiation; no session resumption or 0-RTT
 *   (a fresh handshake each time);
 *   the chain to one of the trust's roots, verified at `at`, the job's chain
 *   time, never the host's clock;
 *   the leaf's name: `host` as a DNS name (SNI is sent for it too);
 *   when pins are given, the leaf's SubjectPublicKeyInfo SHA-256 is one of
 *   them. With pins and no trust, the pins alone vouch for the leaf (its
 *   issuer need not be known), and the name and validity are still checked. */
#ifndef CLO_CRYPTO_TLS_H
#define CLO_CRYPTO_TLS_H

#include <stdint.h>

#include "base/bytes.h"

typedef struct clo_tls clo_tls;
typedef struct clo_tls_trust clo_tls_trust;

#define CLO_TLS_MAX_ROOTS 512
#define CLO_TLS_MAX_PINS  8

/* Before any other OpenSSL use, in a process that will be sandboxed: no
 * configuration file is read, now or later (OpenSSL would otherwise open one
 * at its first use). */
void clo_tls_init_early(void);

/* Trust anchors, each DER or PEM text of one or more CERTIFICATE blocks (a
 * CA bundle); parsed once and shared by the connections made with them. */
CLO_MUST_CHECK clo_err clo_tls_trust_new(clo_tls_trust **out, const clo_bytes *certs, size_t n);
size_t clo_tls_trust_count(const clo_tls_trust *t);
void clo_tls_trust_free(clo_tls_trust *t);

typedef struct {
    const char *host;           /* DNS name: SNI and the name the leaf must carry */
    int64_t at;                 /* verification time, Unix seconds */
    const clo_tls_trust *trust; /* NULL: the pins alone (npins >= 1) */
    const uint8_t (*pins)[32];  /* leaf SPKI SHA-256 pins; none: any leaf the roots vouch for */
    size_t npins;
    clo_bytes client_pem; /* client certificate (leaf first) and its key; empty: none */
} clo_tls_opts;

typedef struct {
    int handshake_done;
    int version; /* 0x0303 TLS 1.2, 0x0304 TLS 1.3 */
    uint8_t leaf_spki_sha256[32];
    /* The intersection of the verified chain's validity windows. */
    int64_t valid_from, valid_until;
    int closed; /* the server sent close_notify */
} clo_tls_info;

/* Keeps no reference to opts (the trust may be freed after). */
CLO_MUST_CHECK clo_err clo_tls_new(clo_tls **out, const clo_tls_opts *o);
void clo_tls_free(clo_tls *t);

/* Feed what the server sent (may be empty), and append to `to_server` what
 * must go back; drives the handshake. CLO_E_AUTH for a peer that fails a
 * check, CLO_E_FORMAT for bytes that are not TLS, CLO_E_STALE for a
 * certificate not valid at `at`. */
CLO_MUST_CHECK clo_err clo_tls_pump(clo_tls *t, clo_bytes from_server, clo_buf *to_server);
/* Application data to send (after the handshake): its records go to `to_server`. */
CLO_MUST_CHECK clo_err clo_tls_write(clo_tls *t, clo_bytes data, clo_buf *to_server);
/* Application data received so far, appended to `out` (past out's cap:
 * CLO_E_LIMIT). */
CLO_MUST_CHECK clo_err clo_tls_read(clo_tls *t, clo_buf *out);
void clo_tls_info_get(const clo_tls *t, clo_tls_info *info);

#endif
