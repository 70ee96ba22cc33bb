/* verifier.c — the committee verifier's HTTP service. */
#include "host/verifier.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/ct.h"
#include "base/hex.h"
#include "base/log.h"
#include "crypto/keccak.h"
#include "crypto/rand.h"
#include "crypto/secp256k1.h"
#include "host/httpd.h"
#include "host/json.h"

#define MAX_BODY ((size_t)4 << 20)

typedef struct {
    uint8_t nonce[32];
    int64_t expires;
} nonce_slot;

struct clo_verifier_srv {
    clo_httpd *h;
    clo_approver v;
    clo_secret32 key;
    uint8_t address[20];
    pthread_mutex_t mu;
    nonce_slot nonces[CLO_VERIFIER_MAX_NONCES];
    size_t next;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!s) return MHD_NO;
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result refuse(struct MHD_Connection *c, unsigned status, const char *code,
                              const char *detail, char *verdict)
{
    json_t *doc = json_pack("{s:s,s:s}", "code", code, "detail", detail);
    json_error_t je;
    json_t *v = verdict ? json_loads(verdict, 0, &je) : NULL;
    if (v) json_object_set_new(doc, "verdict", v);
    free(verdict);
    return reply(c, status, doc);
}

static enum MHD_Result challenge(clo_verifier_srv *s, struct MHD_Connection *c)
{
    nonce_slot n;
    if (clo_random(n.nonce, 32).code) return refuse(c, 503, "internal", "no randomness", NULL);
    n.expires = (int64_t)time(NULL) + CLO_VERIFIER_NONCE_SECONDS;
    pthread_mutex_lock(&s->mu);
    s->nonces[s->next] = n;
    s->next = (s->next + 1) % CLO_VERIFIER_MAX_NONCES;
    pthread_mutex_unlock(&s->mu);
    return reply(c, 200,
                 json_pack("{s:o,s:i}", "nonce", clo_json_hex(CLO_BYTES(n.nonce, 32)), "expires_in",
                           CLO_VERIFIER_NONCE_SECONDS));
}

/* Consume a live nonce we issued: 1 if it was there. */
static int take_nonce(clo_verifier_srv *s, const uint8_t nonce[32])
{
    int found = 0;
    int64_t now = (int64_t)time(NULL);
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < CLO_VERIFIER_MAX_NONCES && !found; i++) {
        nonce_slot *n = &s->nonces[i];
        if (n->expires > now && !memcmp(n->nonce, nonce, 32)) {
            found = 1;
            memset(n, 0, sizeof *n);
        }
    }
    pthread_mutex_unlock(&s->mu);
    return found;
}

void clo_committee_nonce(const uint8_t (*challenges)[32], size_t n, uint8_t out[32])
{
    clo_keccak256(CLO_BYTES(challenges, n * 32), out);
}

static int hexfield(const json_t *doc, const char *key, uint8_t *dst, size_t n)
{
    const char *s = json_string_value(json_object_get(doc, key));
    return !s || clo_hex_decode_fixed(dst, n, s).code;
}

const char *clo_approve_req_parse(clo_bytes body, clo_approve_req *r, clo_buf *ev,
                                  clo_challenges *ch)
{
    json_error_t je;
    json_t *doc = json_loadb((const char *)body.ptr, body.len, JSON_REJECT_DUPLICATES, &je), *v;
    memset(r, 0, sizeof *r);
    ch->n = 0;
    const json_t *epoch = json_object_get(doc, "epoch"), *expiry = json_object_get(doc, "expiry"),
                 *a = json_object_get(doc, "challenges");
    const char *bad =
        !json_is_object(doc)                               ? "body: not a JSON object"
        : json_object_size(doc) != 7                       ? "body: exactly the 7 documented fields"
        : hexfield(doc, "signer", r->signer, 20)           ? "signer: 20 bytes of hex"
        : hexfield(doc, "hpke_public_key", r->hpke_pk, 32) ? "hpke_public_key: 32 bytes"
        : hexfield(doc, "operator", r->operator_addr, 20)  ? "operator: 20 bytes of hex"
        : !json_is_integer(epoch) || json_integer_value(epoch) < 0 ||
                json_integer_value(epoch) > UINT32_MAX
            ? "epoch: an integer (u32)"
        : !json_is_integer(expiry) || json_integer_value(expiry) <= 0
            ? "expiry: a positive integer (unix seconds)"
        : !json_is_array(a) || json_array_size(a) < 1 ||
                json_array_size(a) > CLO_VERIFIER_MAX_CHALLENGES
            ? "challenges: an array of 1 to 16 nonces"
        : !json_string_value(json_object_get(doc, "evidence")) ||
                clo_hex_decode(ev, json_string_value(json_object_get(doc, "evidence"))).code ||
                ev->len == 0
            ? "evidence: non-empty hex"
            : NULL;
    size_t i;
    if (!bad) {
        json_array_foreach(a, i, v)
        {
            if (!json_string_value(v) ||
                clo_hex_decode_fixed(ch->ch[i], 32, json_string_value(v)).code) {
                bad = "challenges: 32 bytes of hex each";
                break;
            }
        }
    }
    if (!bad) {
        ch->n = json_array_size(a);
        r->epoch = (uint32_t)json_integer_value(epoch);
        r->expiry = (uint64_t)json_integer_value(expiry);
        r->evidence = clo_buf_view(ev);
    }
    json_decref(doc);
    return bad;
}

static enum MHD_Result approve(clo_verifier_srv *s, struct MHD_Connection *c, clo_bytes body)
{
    clo_approve_req r;
    clo_challenges ch;
    clo_buf ev;
    clo_buf_init(&ev, 1 << 20);
    const char *bad = clo_approve_req_parse(body, &r, &ev, &ch);
    if (bad) {
        clo_buf_free(&ev);
        return refuse(c, 400, "bad_request", bad, NULL);
    }
    /* One of the challenges must be a live one of ours; it is used up. */
    int ours = 0;
    for (size_t i = 0; i < ch.n && !ours; i++) ours = take_nonce(s, ch.ch[i]);
    if (!ours) {
        clo_buf_free(&ev);
        return refuse(c, 422, "nonce",
                      "challenges: none was issued by this verifier (or it was used or expired)",
                      NULL);
    }
    clo_committee_nonce((const uint8_t(*)[32])ch.ch, ch.n, r.nonce);
    clo_approver v = s->v;
    v.now = (int64_t)time(NULL);
    clo_approval a;
    uint8_t sig[65];
    char *verdict = NULL;
    clo_err err = clo_approve(&v, &r, &s->key, &a, sig, &verdict);
    clo_buf_free(&ev);
    if (err.code) {
        CLO_LOG(CLO_LOG_INFO, "verifier.refused", CLO_LF_STR("what", err.what ? err.what : ""));
        return refuse(c, 422, "refused", err.what ? err.what : "refused", verdict);
    }
    free(verdict);
    CLO_LOG(CLO_LOG_INFO, "verifier.approved", CLO_LF_HEX("signer", CLO_BYTES(a.signer, 20)),
            CLO_LF_U64("epoch", a.epoch));
    return reply(c, 200,
                 json_pack("{s:o,s:o,s:o}", "approval", clo_approval_to_json(&a), "signature",
                           clo_json_hex(CLO_BYTES(sig, 65)), "verifier",
                           clo_json_hex(CLO_BYTES(s->address, 20))));
}

static enum MHD_Result route(void *ud, struct MHD_Connection *c, const char *url,
                             const char *method, const clo_httpd_req *req)
{
    clo_verifier_srv *s = ud;
    if (!strcmp(url, "/healthz")) return reply(c, 200, json_pack("{s:s}", "status", "ok"));
    if (!strcmp(url, "/v1/challenge") && !strcmp(method, "GET")) return challenge(s, c);
    if (!strcmp(url, "/v1/approve") && !strcmp(method, "POST")) {
        if (req->too_big) return refuse(c, 413, "too_large", "body: larger than 4 MiB", NULL);
        return approve(s, c, req->body);
    }
    return refuse(c, 404, "not_found", "no such endpoint", NULL);
}

clo_err clo_verifier_start(clo_verifier_srv **out, const clo_approver *v, const clo_secret32 *key,
                           const char *address, uint16_t port)
{
    uint8_t pub[65];
    clo_verifier_srv *s = calloc(1, sizeof *s);
    CLO_ENSURE(s, CLO_E_NOMEM, "verifier");
    s->v = *v;
    s->key = *key;
    pthread_mutex_init(&s->mu, NULL);
    clo_httpd_opts o = {address, port, MAX_BODY, 64, 30};
    clo_err err = clo_secp256k1_pubkey(&s->key, pub);
    if (!err.code) err = clo_eth_address(pub, s->address);
    if (!err.code) err = clo_httpd_start(&s->h, &o, route, s);
    if (err.code) {
        clo_verifier_stop(s);
        return err;
    }
    *out = s;
    return CLO_OK;
}

uint16_t clo_verifier_port(const clo_verifier_srv *s)
{
    return clo_httpd_port(s->h);
}

void clo_verifier_stop(clo_verifier_srv *s)
{
    if (!s) return;
    clo_httpd_stop(s->h);
    pthread_mutex_destroy(&s->mu);
    clo_wipe(s, sizeof *s);
    free(s);
}
