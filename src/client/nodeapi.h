/* nodeapi.h — a client's requests to a node's API (docs/api.yaml): JSON over
 * HTTP (chain/http.h), with the time a node may take to answer. */
#ifndef CLO_CLIENT_NODEAPI_H
#define CLO_CLIENT_NODEAPI_H

#include "chain/http.h"
#include "crypto/envelope.h"

#define CLO_NODEAPI_TIMEOUT_MS 60000

/* method url [body as application/json]: the answer's status and JSON
 * document (CLO_E_FORMAT when it is not JSON; CLO_E_IO on transport). */
CLO_MUST_CHECK clo_err clo_nodeapi_json(const char *method, const char *url, const char *body,
                                        long *status, json_t **doc);

/* Stream a secret to a node: POST /v1/secrets/streams with s's header, then
 * PUT each chunk, sealed as it goes, so the sealed secret is never held
 * whole. progress (may be NULL) after each chunk. CLO_OK with the last
 * answer's status and document: 201 when the enclave holds the secret, or
 * the refusal that stopped the stream. CLO_E_IO/FORMAT as clo_nodeapi_json. */
typedef void (*clo_nodeapi_progress)(void *ud, uint64_t sent, uint64_t total);
CLO_MUST_CHECK clo_err clo_nodeapi_provision_stream(const char *node, clo_envelope_stream *s,
                                                    const uint8_t id[32], clo_bytes secret,
                                                    clo_nodeapi_progress progress, void *ud,
                                                    long *status, json_t **doc);

#endif
