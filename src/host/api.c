/* api.c — cloisterd's HTTP API, version 1 (docs/api.yaml), on libmicrohttpd.
 * Errors are RFC 9457 problem+json documents whose "code" names what was wrong
 * (a fixed set, also the label of cloister_rejected_total). Request bodies are
 * bounded by limits.max_body_bytes before they are parsed. */
#include "host/api.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/log.h"
#include "wire/frame.h"
#include "wire/proto.h"
#include "evidence/snp_report.h"
#include "client/approval.h"
#include "host/crash.h"
#include "host/httpd.h"
#include "chain/jsonread.h"
#include "chain/eth.h"
#include "chain/rpc.h"
#include "client/contracts.h"
#include "host/ledger.h"
#include "host/metrics.h"
#include "host/onchain.h"
#include "host/secrets.h"
#include "host/submit.h"

/* A secret streamed to a pool of enclaves (enclave.pool): each opens the
 * stream under a handle of its own; the first's names it to the client. */
#define POOL_STREAMS 8
typedef struct {
    int used;
    uint8_t handle[CLO_ENCLAVES_MAX][16];
} pool_stream;

struct clo_api {
    clo_httpd *h;
    clo_node *node;
    pthread_mutex_t streams_mu;
    pool_stream streams[POOL_STREAMS];
    unsigned next_stream;
};

/* ---- responses ---- */

static enum MHD_Result send_text(struct MHD_Connection *c, clo_route route, unsigned status,
                                 const char *type, char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    clo_metrics_request(route, status);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, clo_route route, unsigned status,
                                 json_t *doc)
{
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!s) return MHD_NO;
    return send_text(c, route, status, "application/json", s);
}

/* The request's method, for the log: each connection has its own thread. */
static __thread const char *request_method;

/* code: a fixed string literal (it becomes a metrics label). */
static enum MHD_Result problem_x(struct MHD_Connection *c, clo_route route, unsigned status,
                                 const char *code, const char *detail, json_t *extra)
{
    static const struct {
        unsigned status;
        const char *title;
    } titles[] = {{400, "Bad Request"},           {404, "Not Found"},
                  {405, "Method Not Allowed"},    {409, "Conflict"},
                  {413, "Content Too Large"},     {415, "Unsupported Media Type"},
                  {422, "Unprocessable Content"}, {503, "Service Unavailable"}};
    const char *title = "Error";
    for (size_t i = 0; i < sizeof titles / sizeof titles[0]; i++)
        if (titles[i].status == status) title = titles[i].title;
    char type[128];
    snprintf(type, sizeof type, "https://cloister.dev/problems/%s", code);
    json_t *doc = json_pack("{s:s,s:s,s:i,s:s,s:s}", "type", type, "title", title, "status",
                            (int)status, "detail", detail, "code", code);
    if (extra) {
        json_object_update(doc, extra);
        json_decref(extra);
    }
    /* A pending or failed job's answer is not a refused request. */
    if (strcmp(code, "job-pending") && strcmp(code, "job-failed")) clo_metrics_rejected(code);
    CLO_LOG(CLO_LOG_INFO, "http.rejected", CLO_LF_STR("code", code), CLO_LF_U64("status", status),
            CLO_LF_STR("route", clo_metrics_route_name(route)),
            CLO_LF_STR("method", request_method ? request_method : ""));
    char *s = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!s) return MHD_NO;
    return send_text(c, route, status, "application/problem+json", s);
}

static enum MHD_Result problem(struct MHD_Connection *c, clo_route route, unsigned status,
                               const char *code, const char *detail)
{
    return problem_x(c, route, status, code, detail, NULL);
}

static const char *evidence_format_name(uint8_t f)
{
    return f == 1 ? "tdx-quote" : f == 2 ? "sgx-quote" : f == 3 ? "snp-report" : "unknown";
}

/* Every POST body is JSON: anything else is 415 before the body is read. */
static int is_json(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    return ct && !strncmp(ct, "application/json", 16) && (ct[16] == 0 || ct[16] == ';');
}

/* What every JSON POST checks first: the type (415), the size (413). 1 when
 * it answered (*res is the answer). */
static int bad_json_body(struct MHD_Connection *c, clo_route R, const clo_httpd_req *rc,
                         enum MHD_Result *res)
{
    if (!is_json(c))
        *res = problem(c, R, 415, "unsupported-media-type", "send application/json");
    else if (rc->too_big)
        *res = problem(c, R, 413, "body-too-large", "the body exceeds limits.max_body_bytes");
    else
        return 0;
    return 1;
}

/* ---- handlers ---- */

static enum MHD_Result get_keys(clo_api *a, struct MHD_Connection *c)
{
    clo_super_status st;
    clo_super_status_get(a->node->super, &st);
    if (!st.keys.count) return problem(c, CLO_ROUTE_KEYS, 503, "not-ready", "no enclave keys yet");
    json_t *keys = json_array();
    for (size_t i = 0; i < st.keys.count; i++) {
        const clo_proto_key *k = &st.keys.keys[i];
        json_array_append_new(
            keys, json_pack("{s:I,s:I,s:o,s:o,s:o}", "epoch", (json_int_t)k->epoch, "created",
                            (json_int_t)k->created, "retire_at",
                            k->retire_at ? json_integer(k->retire_at) : json_null(), "signer",
                            clo_json_hex(CLO_BYTES(k->signer, 20)), "hpke_public_key",
                            clo_json_hex(CLO_BYTES(k->hpke_pk, 32))));
    }
    const clo_config *cfg = &a->node->cfg;
    return send_json(c, CLO_ROUTE_KEYS, 200,
                     json_pack("{s:I,s:o,s:I,s:o,s:o,s:s,s:o}", "current",
                               (json_int_t)st.keys.current, "keys", keys, "chain_id",
                               (json_int_t)cfg->chain_id, "job_market",
                               clo_json_hex(CLO_BYTES(cfg->job_market, 20)), "registry",
                               clo_json_hex(CLO_BYTES(cfg->registry, 20)), "backend", cfg->backend,
                               "measurement", clo_json_hex(CLO_BYTES(st.measurement, 48))));
}

static enum MHD_Result get_evidence(clo_api *a, struct MHD_Connection *c)
{
    const char *n = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "nonce");
    uint8_t req[52]; /* nonce, then the operator the report data names */
    if (!n)
        return problem(c, CLO_ROUTE_EVIDENCE, 400, "missing-nonce",
                       "nonce (32 bytes hex) is required");
    if (clo_hex_decode_fixed(req, 32, n).code)
        return problem(c, CLO_ROUTE_EVIDENCE, 400, "bad-nonce", "nonce must be 32 bytes of hex");
    clo_onchain_operator(a->node->chain, req + 32);
    clo_buf r;
    clo_buf_init(&r, 1 << 20);
    clo_err e = clo_super_call(a->node->super, CLO_CALL_EVIDENCE, CLO_BYTES(req, 52), &r);
    clo_proto_evidence ev;
    if (!e.code) e = clo_proto_evidence_decode(clo_buf_view(&r), &ev);
    if (e.code) {
        clo_buf_free(&r);
        return problem(c, CLO_ROUTE_EVIDENCE, 503, "enclave-unavailable",
                       "the enclave did not answer");
    }
    clo_super_status st;
    clo_super_status_get(a->node->super, &st);
    json_t *doc = json_pack(
        "{s:s,s:s,s:o,s:I,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o}", "backend", a->node->cfg.backend,
        "format", evidence_format_name(ev.format), "evidence", clo_json_hex(ev.evidence), "epoch",
        (json_int_t)ev.epoch, "signer", clo_json_hex(CLO_BYTES(ev.signer, 20)), "hpke_public_key",
        clo_json_hex(CLO_BYTES(ev.hpke_pk, 32)), "chain_id", (json_int_t)ev.chain_id, "registry",
        clo_json_hex(CLO_BYTES(ev.registry, 20)), "operator",
        clo_json_hex(CLO_BYTES(ev.operator_addr, 20)), "nonce",
        clo_json_hex(CLO_BYTES(ev.nonce, 32)), "report_data",
        clo_json_hex(CLO_BYTES(ev.report_data, 64)), "measurement",
        clo_json_hex(CLO_BYTES(st.measurement, 48)));
    clo_buf_free(&r);
    return send_json(c, CLO_ROUTE_EVIDENCE, 200, doc);
}

/* The verifier enclave (api.snp_verifier; enclave/snpverify.c): this node's
 * enclave checks another enclave's SEV-SNP evidence and signs its approval.
 * The host only relays: the enclave issues the challenge, checks the report
 * against AMD's chain and the binding, and signs. */
static enum MHD_Result snp_off(clo_api *a, struct MHD_Connection *c)
{
    (void)a;
    return problem(c, CLO_ROUTE_ATTEST, 403, "snp-verifier-off",
                   "this node does not verify SEV-SNP evidence (api.snp_verifier is false)");
}

/* A fresh nonce of the enclave's (SNP_CHALLENGE), good for one SNP_APPROVE
 * or SHARE_GIVE. */
static enum MHD_Result enclave_challenge(clo_api *a, struct MHD_Connection *c, clo_route R)
{
    clo_buf r;
    clo_buf_init(&r, 64);
    clo_err e = clo_super_call(a->node->super, CLO_CALL_SNP_CHALLENGE, CLO_BYTES_EMPTY, &r);
    enum MHD_Result res =
        e.code || r.len != 32
            ? problem(c, R, 503, "enclave-unavailable", "the enclave did not answer")
            : send_json(c, R, 200, json_pack("{s:o}", "nonce", clo_json_hex(clo_buf_view(&r))));
    clo_buf_free(&r);
    return res;
}

/* POST /v1/attest/snp/challenge: a fresh nonce of the enclave's, good for one approval. */
static enum MHD_Result snp_challenge(clo_api *a, struct MHD_Connection *c)
{
    if (!a->node->cfg.snp_verifier_api) return snp_off(a, c);
    return enclave_challenge(a, c, CLO_ROUTE_ATTEST);
}

/* POST /v1/attest/snp/approve {operator, signer, hpke_public_key, epoch, nonce,
 * expiry, report, vcek}: the enclave's EnclaveApproval of that SNP enclave. */
static enum MHD_Result snp_approve(clo_api *a, struct MHD_Connection *c, const clo_httpd_req *rc)
{
    const clo_route R = CLO_ROUTE_ATTEST;
    enum MHD_Result refused;
    if (!a->node->cfg.snp_verifier_api) return snp_off(a, c);
    if (bad_json_body(c, R, rc, &refused)) return refused;
    clo_proto_snp_approve q;
    uint64_t epoch = 0, expiry = 0;
    clo_buf report, vcek, body, r;
    memset(&q, 0, sizeof q);
    clo_buf_init(&report, CLO_SNP_REPORT_SIZE);
    clo_buf_init(&vcek, 1 << 14);
    clo_buf_init(&body, 1 << 16);
    clo_buf_init(&r, 1 << 12);
    const clo_jfield f[] = {
        {"operator", CLO_JF_HEX, q.operator_addr, 20, 0, 0, NULL, "operator: 20 bytes of hex",
         NULL},
        {"signer", CLO_JF_HEX, q.signer, 20, 0, 0, NULL, "signer: 20 bytes of hex", NULL},
        {"hpke_public_key", CLO_JF_HEX, q.hpke_pk, 32, 0, 0, NULL,
         "hpke_public_key: 32 bytes of hex", NULL},
        {"epoch", CLO_JF_UINT, &epoch, 0, 0, UINT32_MAX, NULL, "epoch: an integer (u32)", NULL},
        {"nonce", CLO_JF_HEX, q.nonce, 32, 0, 0, NULL, "nonce: 32 bytes of hex", NULL},
        {"expiry", CLO_JF_UINT, &expiry, 0, 1, INT64_MAX, NULL, "expiry: Unix seconds", NULL},
        {"report", CLO_JF_HEXBUF, &report, 0, CLO_SNP_REPORT_SIZE, 0, NULL,
         "report: the 1184-byte SEV-SNP report, hex", NULL},
        {"vcek", CLO_JF_HEXBUF, &vcek, 0, 1, 0, NULL,
         "vcek: the VCEK or VLEK certificate (DER or PEM), hex, at most 16 KiB", NULL},
    };
    char why[CLO_FRAME_MAX_WHAT + 1] = "";
    clo_err e = clo_json_read(rc->body, f, sizeof f / sizeof f[0]);
    enum MHD_Result res;
    if (e.code) {
        res = problem(c, R, 400, "invalid-body", e.what);
        goto out;
    }
    q.epoch = (uint32_t)epoch;
    q.expiry = expiry;
    q.report = clo_buf_view(&report);
    q.ncerts = 1;
    q.certs[0] = clo_buf_view(&vcek);
    e = clo_proto_snp_approve_encode(&q, &body);
    if (!e.code) e = clo_super_call(a->node->super, CLO_CALL_SNP_APPROVE, clo_buf_view(&body), &r);
    if (e.code && e.what) snprintf(why, sizeof why, "%s", e.what); /* the enclave's reason */
    clo_proto_snp_approval out;
    if (!e.code) e = clo_proto_snp_approval_decode(clo_buf_view(&r), &out);
    if (e.code) {
        int enclave_down = e.code == CLO_E_IO;
        res = enclave_down ? problem(c, R, 503, "enclave-unavailable", "the enclave did not answer")
                           : problem(c, R, 422, "evidence-rejected", why[0] ? why : "refused");
        goto out;
    }
    clo_approval ap = {.tee_type = out.tee_type, .epoch = q.epoch, .expiry = out.expiry};
    memcpy(ap.operator_addr, q.operator_addr, 20);
    memcpy(ap.measurement, out.measurement, 32);
    memcpy(ap.signer, q.signer, 20);
    memcpy(ap.hpke_key, q.hpke_pk, 32);
    memcpy(ap.evidence_digest, out.evidence_digest, 32);
    uint8_t who[20];
    if (clo_approval_recover(&ap, a->node->cfg.chain_id, a->node->cfg.registry, out.sig, who)
            .code) {
        res = problem(c, R, 503, "enclave-unavailable", "the enclave's approval does not recover");
        goto out;
    }
    res = send_json(c, R, 200,
                    json_pack("{s:o,s:o,s:o,s:s,s:I}", "approval", clo_approval_to_json(&ap),
                              "signature", clo_json_hex(CLO_BYTES(out.sig, 65)), "verifier",
                              clo_json_hex(CLO_BYTES(who, 20)), "product", out.product,
                              "vcek_not_after", (json_int_t)out.vcek_not_after));
out:
    clo_buf_free(&report);
    clo_buf_free(&vcek);
    clo_buf_free(&body);
    clo_buf_free(&r);
    return res;
}

/* Key sharing (issue 21): this node's enclave hands its epochs' HPKE keys to
 * an enclave of the same measurement, which it checks itself (SHARE_GIVE);
 * the host only relays, and only with api.key_sharing. */
static enum MHD_Result share_off(clo_api *a, struct MHD_Connection *c)
{
    (void)a;
    return problem(c, CLO_ROUTE_KEYS, 403, "key-sharing-off",
                   "this node does not share its enclave's keys (api.key_sharing is false)");
}

/* POST /v1/keys/challenge: a fresh nonce of the enclave's, good for one share. */
static enum MHD_Result share_challenge(clo_api *a, struct MHD_Connection *c)
{
    if (!a->node->cfg.key_sharing_api) return share_off(a, c);
    return enclave_challenge(a, c, CLO_ROUTE_KEYS);
}

static const char chain_unreadable[] =
    "the chain could not be read to check the taker's registry record";

/* A taker that holds keys names its signer: its registry record must be
 * active and unexpired at the chain's time, or it gets nothing. An enclave
 * whose record lapsed (or was revoked) starts fresh and registers again,
 * through the committee's checks again. A fresh taker (zero) has no record
 * yet; without the chain side there is nothing to check. NULL: share. */
static const char *taker_record_refusal(clo_api *a, const uint8_t signer[20])
{
    static const uint8_t zero[20];
    const clo_config *cfg = &a->node->cfg;
    if (!memcmp(signer, zero, 20) || !cfg->rpc_url[0]) return NULL;
    clo_rpc *rpc = NULL;
    clo_rpc_opts o = {cfg->rpc_url, 10000, 0, 100};
    const char *why = NULL;
    if (clo_rpc_new(&o, &rpc).code ||
        clo_registry_record_live(rpc, cfg->registry, signer, &why).code)
        why = chain_unreadable;
    clo_rpc_free(rpc);
    return why;
}

/* POST /v1/keys/share {nonce, transport_public_key, signer, format, evidence}: the
 * enclave's epoch keys sealed to that transport key, if the evidence is an
 * enclave of its own measurement. */
static enum MHD_Result share_give(clo_api *a, struct MHD_Connection *c, const clo_httpd_req *rc)
{
    const clo_route R = CLO_ROUTE_KEYS;
    enum MHD_Result refused;
    if (!a->node->cfg.key_sharing_api) return share_off(a, c);
    if (bad_json_body(c, R, rc, &refused)) return refused;
    clo_proto_share_give g;
    uint64_t format = 0;
    clo_buf ev, vcek, body, r;
    memset(&g, 0, sizeof g);
    clo_buf_init(&ev, 1 << 16);
    clo_buf_init(&vcek, 1 << 16);
    clo_buf_init(&body, 1 << 18);
    clo_buf_init(&r, 1 << 17);
    const clo_jfield f[] = {
        {"nonce", CLO_JF_HEX, g.nonce, 32, 0, 0, NULL, "nonce: 32 bytes of hex", NULL},
        {"transport_public_key", CLO_JF_HEX, g.transport_pk, 32, 0, 0, NULL,
         "transport_public_key: 32 bytes of hex", NULL},
        {"signer", CLO_JF_HEX, g.signer, 20, 0, 0, NULL,
         "signer: 20 bytes of hex (the taker's current signer, zero when it holds no keys)", NULL},
        {"format", CLO_JF_UINT, &format, 0, 1, 3, NULL,
         "format: 1 (a TDX quote) or 3 (an SEV-SNP report)", NULL},
        {"evidence", CLO_JF_HEXBUF, &ev, 0, 1, 0, NULL, "evidence: hex, at most 64 KiB", NULL},
        {"vcek", CLO_JF_HEXBUF, &vcek, 0, 0, 0, NULL,
         "vcek: hex, at most 64 KiB (an SEV-SNP report's VCEK; empty for a TDX quote)", NULL},
    };
    char why[CLO_FRAME_MAX_WHAT + 1] = "";
    clo_err e = clo_json_read(rc->body, f, sizeof f / sizeof f[0]);
    enum MHD_Result res;
    if (e.code) {
        res = problem(c, R, 400, "invalid-body", e.what);
        goto out;
    }
    g.format = (uint8_t)format;
    g.evidence = clo_buf_view(&ev);
    if (vcek.len) {
        g.parts[0] = clo_buf_view(&vcek);
        g.nparts = 1;
    }
    e = clo_proto_share_give_encode(&g, &body);
    if (!e.code) e = clo_super_call(a->node->super, CLO_CALL_SHARE_GIVE, clo_buf_view(&body), &r);
    if (!e.code) e = clo_super_share_add_vcek(&a->node->cfg, &r);
    if (e.code && e.what) snprintf(why, sizeof why, "%s", e.what); /* the enclave's reason */
    if (e.code) {
        CLO_LOG(CLO_LOG_INFO, "keys.share_refused", CLO_LF_STR("code", clo_code_name(e.code)),
                CLO_LF_STR("what", why));
        res = e.code == CLO_E_IO
                  ? problem(c, R, 503, "enclave-unavailable", "the enclave did not answer")
                  : problem(c, R, 422, "evidence-rejected", why[0] ? why : "refused");
        goto out;
    }
    /* The enclave checked the signer is the taker's own (bound in its quote). */
    const char *lapsed = taker_record_refusal(a, g.signer);
    if (lapsed) {
        snprintf(why, sizeof why, "the taker's enclave: %s", lapsed);
        CLO_LOG(CLO_LOG_INFO, "keys.share_refused", CLO_LF_STR("code", "policy"),
                CLO_LF_STR("what", why), CLO_LF_HEX("signer", CLO_BYTES(g.signer, 20)));
        res = lapsed == chain_unreadable ? problem(c, R, 503, "chain-unavailable", lapsed)
                                         : problem(c, R, 403, "taker-record-inactive", why);
        goto out;
    }
    CLO_LOG(CLO_LOG_INFO, "keys.shared",
            CLO_LF_HEX("transport_public_key", CLO_BYTES(g.transport_pk, 32)),
            CLO_LF_HEX("signer", CLO_BYTES(g.signer, 20)));
    res = send_json(c, R, 200, json_pack("{s:o}", "sealed", clo_json_hex(clo_buf_view(&r))));
out:
    clo_buf_free(&ev);
    clo_buf_free(&vcek);
    clo_buf_free(&body);
    clo_buf_free(&r);
    return res;
}

/* POST /v1/models {"config": hex}: store a workload config under its model id
 * (keccak256), for jobs that arrive on chain naming it. Configs are public. */
static enum MHD_Result model_put(clo_api *a, struct MHD_Connection *c, const clo_httpd_req *rc)
{
    const clo_route R = CLO_ROUTE_MODELS;
    enum MHD_Result refused;
    if (bad_json_body(c, R, rc, &refused)) return refused;
    clo_buf cfg;
    clo_buf_init(&cfg, 1 << 20);
    const clo_jfield f[] = {{"config", CLO_JF_HEXBUF, &cfg, 0, 1, 0, NULL,
                             "config: non-empty hex, at most 1 MiB", NULL}};
    if (clo_json_read(rc->body, f, 1).code) {
        clo_buf_free(&cfg);
        return problem(c, R, 400, "invalid-body",
                       "send {\"config\": hex}, a non-empty workload config of at most 1 MiB");
    }
    uint8_t id[32];
    clo_err e = clo_ledger_config_put(a->node->journal, clo_buf_view(&cfg), id);
    clo_buf_free(&cfg);
    if (e.code) return problem(c, R, 503, "journal-unavailable", "the config could not be stored");
    return send_json(c, R, 201, json_pack("{s:o}", "config_hash", clo_json_hex(CLO_BYTES(id, 32))));
}

static enum MHD_Result secret_refused(struct MHD_Connection *c, clo_err e);
static enum MHD_Result secret_held(struct MHD_Connection *c, const clo_proto_provisioned *done);

/* POST /v1/secrets {"id": hex32, "epoch": n, "envelope": hex}: hand a sealed
 * secret (a model owner's ONNX model, under its SHA-256 id) to the enclave,
 * which opens it with that epoch's key and keeps it in its sealed state. The
 * host never sees the plaintext; the state is persisted before the answer. */
static enum MHD_Result secret_put(clo_api *a, struct MHD_Connection *c, const clo_httpd_req *rc)
{
    const clo_route R = CLO_ROUTE_SECRETS;
    enum MHD_Result refused;
    if (bad_json_body(c, R, rc, &refused)) return refused;
    clo_secret_req req;
    clo_problem p;
    if (clo_secret_req_parse(rc->body, CLO_FRAME_MAX_BODY - 36, &req, &p))
        return problem(c, R, p.status, p.code, p.detail);
    clo_buf body;
    clo_buf_init(&body, CLO_FRAME_MAX_BODY);
    clo_err e = clo_proto_provision_encode(&req.call, &body);
    clo_secret_req_free(&req);
    clo_buf r;
    clo_buf_init(&r, 1024);
    clo_proto_provisioned done, also;
    /* Every enclave of the pool holds it, each sealed in its own directory. */
    for (size_t k = 0; k < a->node->npool && !e.code; k++) {
        clo_buf_clear(&r);
        e = clo_super_call(a->node->pool[k], CLO_CALL_PROVISION, clo_buf_view(&body), &r);
        if (!e.code) e = clo_proto_provisioned_decode(clo_buf_view(&r), k ? &also : &done);
        if (!e.code) e = clo_super_persist_secret(a->node->pool[k], done.id);
    }
    clo_buf_free(&body);
    clo_buf_free(&r);
    return e.code ? secret_refused(c, e) : secret_held(c, &done);
}

/* How the enclave's refusal of a secret (whole or streamed) is answered. */
static enum MHD_Result secret_refused(struct MHD_Connection *c, clo_err e)
{
    const clo_route R = CLO_ROUTE_SECRETS;
    if (e.code == CLO_E_AUTH || e.code == CLO_E_FORMAT || e.code == CLO_E_VERSION ||
        e.code == CLO_E_UNSUPPORTED || e.code == CLO_E_KEY)
        return problem(c, R, 422, "envelope-rejected",
                       "the envelope does not open under that epoch's key for that id");
    if (e.code == CLO_E_LIMIT) return problem(c, R, 413, "secret-too-large", e.what);
    if (e.code == CLO_E_POLICY)
        return problem(c, R, 422, "secret-id-mismatch",
                       "a secret is held only under its SHA-256 id, and an id never changes "
                       "its bytes");
    if (e.code == CLO_E_STALE || (e.code == CLO_E_STATE && e.what && !strncmp(e.what, "key", 3)))
        return problem(c, R, 409, "unknown-epoch", "that epoch's key is not held (any more)");
    if (e.code == CLO_E_STATE)
        return problem(c, R, 409, "stream-rejected", e.what ? e.what : "stream");
    return problem(c, R, 503, "enclave-unavailable", "the enclave did not take the secret");
}

static enum MHD_Result secret_held(struct MHD_Connection *c, const clo_proto_provisioned *done)
{
    json_t *out = json_pack("{s:o,s:o}", "id", clo_json_hex(CLO_BYTES(done->id, 32)), "digest",
                            clo_json_hex(CLO_BYTES(done->digest, 32)));
    return send_json(c, CLO_ROUTE_SECRETS, 201, out);
}

/* POST /v1/secrets/streams {"id": hex32, "header": hex}: open a streamed
 * provisioning (crypto/envelope.h, kind 4) of a secret of any size; its
 * chunks follow by PUT. The enclave keeps a few streams open at once. */
static enum MHD_Result stream_open(clo_api *a, struct MHD_Connection *c, const clo_httpd_req *rc)
{
    const clo_route R = CLO_ROUTE_SECRETS;
    enum MHD_Result refused;
    if (bad_json_body(c, R, rc, &refused)) return refused;
    clo_proto_stream_open req;
    uint8_t header[56];
    clo_problem p;
    if (clo_stream_req_parse(rc->body, &req, header, &p))
        return problem(c, R, p.status, p.code, p.detail);
    clo_buf body, r;
    clo_buf_init(&body, 128);
    clo_buf_init(&r, 64);
    clo_proto_stream st, each;
    pool_stream ps = {1, {{0}}};
    clo_err e = clo_proto_stream_open_encode(&req, &body);
    for (size_t k = 0; k < a->node->npool && !e.code; k++) {
        clo_buf_clear(&r);
        e = clo_super_call(a->node->pool[k], CLO_CALL_STREAM_OPEN, clo_buf_view(&body), &r);
        if (!e.code) e = clo_proto_stream_decode(clo_buf_view(&r), k ? &each : &st);
        if (!e.code) memcpy(ps.handle[k], k ? each.handle : st.handle, 16);
    }
    clo_buf_free(&body);
    clo_buf_free(&r);
    if (e.code) return secret_refused(c, e);
    if (a->node->npool > 1) { /* the oldest of a few streams gives way */
        pthread_mutex_lock(&a->streams_mu);
        a->streams[a->next_stream++ % POOL_STREAMS] = ps;
        pthread_mutex_unlock(&a->streams_mu);
    }
    return send_json(c, R, 201,
                     json_pack("{s:o,s:I}", "stream", clo_json_hex(CLO_BYTES(st.handle, 16)),
                               "chunks", (json_int_t)st.count));
}

/* PUT /v1/secrets/streams/{stream}/{index}, application/octet-stream: the
 * next chunk. 202 until the last, which answers as POST /v1/secrets does
 * once the secret's sealed chunks and the state naming it are on disk. */
static enum MHD_Result stream_chunk(clo_api *a, struct MHD_Connection *c, const char *rest,
                                    const clo_httpd_req *rc)
{
    const clo_route R = CLO_ROUTE_SECRETS;
    clo_proto_stream_chunk req;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (clo_stream_path_parse(rest, req.handle, &req.index))
        return problem(c, R, 404, "not-found",
                       "PUT /v1/secrets/streams/{stream: 32 hex digits}/{index}");
    if (!ct || strcmp(ct, "application/octet-stream"))
        return problem(c, R, 415, "unsupported-media-type", "send application/octet-stream");
    if (rc->too_big)
        return problem(c, R, 413, "body-too-large", "the body exceeds limits.max_body_bytes");
    req.chunk = rc->body;
    clo_buf body, r;
    clo_buf_init(&body, rc->body.len + 64);
    clo_buf_init(&r, 128);
    clo_proto_stream_done done;
    clo_err e = clo_proto_stream_chunk_encode(&req, &body);
    if (e.code) {
        clo_buf_free(&body);
        clo_buf_free(&r);
        return problem(c, R, 400, "invalid-chunk", "a chunk is 17 bytes to 4 MiB + 16");
    }
    /* The chunk to each enclave of the pool, under its own handle. */
    pool_stream ps = {1, {{0}}};
    memcpy(ps.handle[0], req.handle, 16);
    if (a->node->npool > 1) {
        ps.used = 0;
        pthread_mutex_lock(&a->streams_mu);
        for (size_t i = 0; i < POOL_STREAMS && !ps.used; i++)
            if (a->streams[i].used && !memcmp(a->streams[i].handle[0], req.handle, 16))
                ps = a->streams[i];
        pthread_mutex_unlock(&a->streams_mu);
    }
    e = ps.used
            ? CLO_OK
            : CLO_ERR(CLO_E_STATE, "stream: no such stream (never opened, finished, or displaced)");
    for (size_t k = 0; k < a->node->npool && !e.code; k++) {
        clo_proto_stream_done each;
        memcpy(req.handle, ps.handle[k], 16);
        clo_buf_clear(&body);
        clo_buf_clear(&r);
        e = clo_proto_stream_chunk_encode(&req, &body);
        if (!e.code)
            e = clo_super_call(a->node->pool[k], CLO_CALL_STREAM_CHUNK, clo_buf_view(&body), &r);
        if (!e.code) e = clo_proto_stream_done_decode(clo_buf_view(&r), k ? &each : &done);
        if (!e.code && done.done)
            e = clo_super_persist_secret(a->node->pool[k], done.provisioned.id);
    }
    clo_buf_free(&body);
    clo_buf_free(&r);
    if (e.code) return secret_refused(c, e);
    if (done.done) return secret_held(c, &done.provisioned);
    return send_json(c, R, 202, json_pack("{s:I}", "received", (json_int_t)req.index + 1));
}

static enum MHD_Result submit(clo_api *a, struct MHD_Connection *c, const clo_httpd_req *rc)
{
    const clo_route R = CLO_ROUTE_SUBMIT;
    enum MHD_Result refused;
    if (bad_json_body(c, R, rc, &refused)) return refused;
    clo_submit s;
    clo_problem p = {0, NULL, NULL};
    if (clo_submit_parse(rc->body, &s, &p)) return problem(c, R, p.status, p.code, p.detail);

    clo_super_status st;
    clo_super_status_get(a->node->super, &st);
    int found = 0;
    for (size_t i = 0; i < st.keys.count; i++) found |= st.keys.keys[i].epoch == s.job.epoch;
    if (!found && s.job.epoch <= st.keys.current)
        p = (clo_problem){422, "epoch-expired", "the epoch's keys have been wiped"};
    else if (!found)
        p = (clo_problem){422, "epoch-unknown", "no such epoch"};

    clo_buf req;
    clo_buf_init(&req, CLO_FRAME_MAX_BODY);
    int existed = 0;
    uint8_t want[32];
    clo_ticket_api_job_id(a->node->cfg.chain_id, a->node->cfg.job_market, s.job.requester,
                          s.client_nonce, want);
    if (!p.code && memcmp(want, s.job.job_id, 32))
        p = (clo_problem){400, "job-id-not-derived",
                          "job_id must be keccak256(abi.encode(chain id, JobMarket, address(0), "
                          "ticket.requester, client_nonce)): an API job cannot take a chain "
                          "job's id, nor another requester's"};
    s.job.chain_id = a->node->cfg.chain_id;
    memcpy(s.job.market, a->node->cfg.job_market, 20);
    if (!p.code) { /* the enclave checks it too; refusing here keeps it out of the journal */
        clo_ticket t;
        uint8_t who[20];
        clo_proto_job_ticket(&s.job, s.job.sigs[0].issued_at, &t);
        if (clo_ticket_signer(&t, s.job.chain_id, s.job.market, s.job.sigs[0].sig, who).code ||
            memcmp(who, s.job.requester, 20))
            p = (clo_problem){400, "ticket-invalid",
                              "the ticket is not signed by its requester over this job's "
                              "workload, config and inputs"};
    }
    if (!p.code) {
        clo_err e = clo_proto_job_encode(&s.job, &req);
        if (!e.code)
            e = clo_journal_put(a->node->journal, s.job.job_id, s.workload, clo_buf_view(&req),
                                &existed);
        if (e.code == CLO_E_POLICY)
            p = (clo_problem){409, "job-id-conflict", "this job id was used for a different job"};
        else if (e.code)
            p = (clo_problem){503, "journal-unavailable", "the job could not be journaled"};
    }
    enum MHD_Result ret;
    if (p.code) {
        ret = problem(c, R, p.status, p.code, p.detail);
    } else {
        clo_crash_point("after_journal");
        if (!existed) {
            CLO_LOG(CLO_LOG_INFO, "job.accepted", CLO_LF_HEX("job_id", CLO_BYTES(s.job.job_id, 32)),
                    CLO_LF_STR("workload", s.workload), CLO_LF_U64("inputs", s.job.count));
            pthread_mutex_lock(&a->node->wake_mu);
            pthread_cond_broadcast(&a->node->wake);
            pthread_mutex_unlock(&a->node->wake_mu);
        }
        clo_journal_job jj;
        clo_journal_job_init(&jj);
        const char *state = "accepted";
        if (existed && !clo_journal_get(a->node->journal, s.job.job_id, &jj).code)
            state = clo_job_state_name(jj.state);
        clo_journal_job_free(&jj);
        ret = send_json(c, R, existed ? 200 : 202,
                        json_pack("{s:o,s:s,s:b}", "job_id",
                                  clo_json_hex(CLO_BYTES(s.job.job_id, 32)), "state", state,
                                  "duplicate", existed));
    }
    clo_buf_free(&req);
    clo_submit_free(&s);
    return ret;
}

static json_t *result_json(const clo_config *cfg, const clo_journal_job *j,
                           const clo_proto_result *r)
{
    json_t *doc =
        json_pack("{s:o,s:s,s:s,s:I,s:I}", "job_id", clo_json_hex(CLO_BYTES(j->job_id, 32)),
                  "state", clo_job_state_name(j->state), "workload", j->workload, "created_ms",
                  (json_int_t)j->created_ms, "updated_ms", (json_int_t)j->updated_ms);
    if (j->state == CLO_JOB_FAILED)
        json_object_set_new(doc, "error",
                            json_pack("{s:s,s:s}", "code", clo_code_name(r->err.code), "what",
                                      r->err.what ? r->err.what : ""));
    if (j->state != CLO_JOB_DONE) return doc;
    json_t *priv = json_array();
    for (size_t i = 0; i < r->count; i++)
        json_array_append_new(priv, clo_json_hex(r->private_out[i]));
    const clo_result_stmt *s = &r->stmt;
    uint8_t digest[32];
    clo_result_digest(s, cfg->chain_id, cfg->job_market, digest);
    json_object_set_new(doc, "public_output", clo_json_hex(r->public_out));
    json_object_set_new(doc, "private_outputs", priv);
    json_object_set_new(
        doc, "statement",
        json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:I}", "job_id", clo_json_hex(CLO_BYTES(s->job_id, 32)),
                  "input_hash", clo_json_hex(CLO_BYTES(s->input_hash, 32)), "public_output_hash",
                  clo_json_hex(CLO_BYTES(s->public_output_hash, 32)), "private_output_hash",
                  clo_json_hex(CLO_BYTES(s->private_output_hash, 32)), "workload_id",
                  clo_json_hex(CLO_BYTES(s->workload_id, 32)), "config_hash",
                  clo_json_hex(CLO_BYTES(s->config_hash, 32)), "epoch", (json_int_t)s->epoch));
    json_object_set_new(doc, "digest", clo_json_hex(CLO_BYTES(digest, 32)));
    json_object_set_new(doc, "signer", clo_json_hex(CLO_BYTES(r->signer, 20)));
    json_object_set_new(doc, "signature", clo_json_hex(CLO_BYTES(r->sig, 65)));
    json_object_set_new(doc, "chain_id", json_integer((json_int_t)cfg->chain_id));
    json_object_set_new(doc, "job_market", clo_json_hex(CLO_BYTES(cfg->job_market, 20)));
    return doc;
}

/* A job seen on chain that is not (yet) an enclave job: why it waits, or why
 * this node will not run it. */
static enum MHD_Result chain_job(struct MHD_Connection *c, clo_route R, clo_journal *j,
                                 const uint8_t id[32], int want_result)
{
    clo_cjob cj;
    clo_cjob_init(&cj);
    clo_err e = clo_ledger_job_get(j, id, &cj);
    enum MHD_Result ret;
    if (e.code == CLO_E_STATE) {
        ret = problem(c, R, 404, "job-not-found", "no job with this id");
    } else if (e.code) {
        ret = problem(c, R, 503, "journal-unavailable", "the journal could not be read");
    } else if (want_result) {
        ret = cj.state == CLO_CJ_WAITING
                  ? problem(c, R, 409, "job-pending",
                            "the chain job waits for its workload config or its tickets")
                  : problem(c, R, 404, "job-not-found", "this node does not run this chain job");
    } else {
        /* waiting: waiting_for_config or waiting_for_ticket; else dropped (why). */
        const char *state = cj.state != CLO_CJ_WAITING ? clo_cjob_state_name(cj.state)
                            : cj.why[0]                ? cj.why
                                                       : "waiting"; /* seen, not yet looked at */
        json_t *doc = json_pack("{s:o,s:s,s:s,s:I,s:I}", "job_id", clo_json_hex(CLO_BYTES(id, 32)),
                                "state", state, "source", "chain", "block", (json_int_t)cj.block,
                                "updated_ms", (json_int_t)cj.updated_ms);
        if (cj.state == CLO_CJ_DROPPED) json_object_set_new(doc, "why", json_string(cj.why));
        ret = send_json(c, R, 200, doc);
    }
    clo_cjob_free(&cj);
    return ret;
}

static enum MHD_Result get_job(clo_api *a, struct MHD_Connection *c, const char *id_hex,
                               int want_result)
{
    const clo_route R = want_result ? CLO_ROUTE_RESULT : CLO_ROUTE_STATUS;
    uint8_t id[32];
    if (clo_hex_decode_fixed(id, 32, id_hex).code)
        return problem(c, R, 400, "bad-job-id", "the job id must be 32 bytes of hex");
    clo_journal_job j;
    clo_journal_job_init(&j);
    clo_err e = clo_journal_get(a->node->journal, id, &j);
    enum MHD_Result ret;
    static __thread clo_proto_result r;
    memset(&r, 0, sizeof r);
    if (e.code == CLO_E_STATE) {
        ret = chain_job(c, R, a->node->journal, id, want_result);
    } else if (e.code) {
        ret = problem(c, R, 503, "journal-unavailable", "the journal could not be read");
    } else {
        clo_cur cur = clo_cur_init(clo_buf_view(&j.result));
        if (j.state != CLO_JOB_ACCEPTED && clo_proto_result_decode(&cur, &r).code) {
            ret = problem(c, R, 503, "journal-corrupt", "a stored result does not decode");
        } else if (!want_result) {
            json_t *doc = result_json(&a->node->cfg, &j, &r);
            json_object_del(doc, "public_output");
            json_object_del(doc, "private_outputs");
            ret = send_json(c, R, 200, doc);
        } else if (j.state == CLO_JOB_ACCEPTED) {
            ret = problem(c, R, 409, "job-pending", "the job has no result yet");
        } else if (j.state == CLO_JOB_FAILED) {
            ret =
                problem_x(c, R, 422, "job-failed", "the enclave refused the job",
                          json_pack("{s:{s:s,s:s}}", "job_error", "code", clo_code_name(r.err.code),
                                    "what", r.err.what ? r.err.what : ""));
        } else {
            clo_crash_point("before_reply");
            ret = send_json(c, R, 200, result_json(&a->node->cfg, &j, &r));
        }
    }
    clo_journal_job_free(&j);
    return ret;
}

static enum MHD_Result metrics(clo_api *a, struct MHD_Connection *c)
{
    clo_metrics_gauges g = {CLO_VERSION, a->node->cfg.backend, {0}, 0, 0, 0, 0, 0, NULL};
    clo_super_status st;
    clo_super_status_get(a->node->super, &st);
    g.restarts = st.restarts;
    g.enclave_up = st.running && !st.halted;
    g.epoch = st.keys.current;
    g.silent_seconds = st.silent_ms < 0 ? -1 : (double)st.silent_ms / 1e3;
    g.busy_seconds = (double)st.busy_ms / 1e3;
    clo_chain_stats cs;
    if (clo_onchain_stats(a->node->chain, &cs)) g.chain = &cs;
    CLO_IGNORE(clo_journal_counts(a->node->journal, g.jobs));
    clo_buf b;
    clo_buf_init(&b, 1 << 20);
    clo_err e = clo_metrics_render(&g, &b);
    char *s = e.code ? NULL : strndup((const char *)b.ptr, b.len);
    clo_buf_free(&b);
    if (!s) return MHD_NO;
    return send_text(c, CLO_ROUTE_METRICS, 200, "text/plain; version=0.0.4", s);
}

static enum MHD_Result route(void *ud, struct MHD_Connection *c, const char *url,
                             const char *method, const clo_httpd_req *rc)
{
    clo_api *a = ud;
    int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    /* A fixed name, never the client's own string. */
    request_method = get ? "GET" : post ? "POST" : !strcmp(method, "PUT") ? "PUT" : "other";
    if (!strcmp(url, "/healthz"))
        return get ? send_json(c, CLO_ROUTE_HEALTH, 200, json_pack("{s:s}", "status", "ok"))
                   : problem(c, CLO_ROUTE_HEALTH, 405, "method-not-allowed", "use GET");
    if (!strcmp(url, "/readyz")) {
        clo_super_status st;
        clo_super_status_get(a->node->super, &st);
        if (!st.running || !st.keys.count)
            return problem(c, CLO_ROUTE_READY, 503, "not-ready", "the enclave is not running");
        if (st.halted)
            return problem(c, CLO_ROUTE_READY, 503, "not-ready",
                           "the enclave process is stopped (SIGSTOP) or has exited");
        if (st.silent_ms < 0 || st.silent_ms > (int64_t)a->node->cfg.heartbeat_seconds * 1000)
            return problem(c, CLO_ROUTE_READY, 503, "not-ready",
                           "the enclave has not answered for enclave.heartbeat_seconds (hung, "
                           "or busy with one long call)");
        return send_json(
            c, CLO_ROUTE_READY, 200,
            json_pack("{s:s,s:I}", "status", "ready", "epoch", (json_int_t)st.keys.current));
    }
    if (!strcmp(url, "/metrics")) return metrics(a, c);
    if (!strcmp(url, "/v1/enclave/keys"))
        return get ? get_keys(a, c)
                   : problem(c, CLO_ROUTE_KEYS, 405, "method-not-allowed", "use GET");
    if (!strcmp(url, "/v1/enclave/evidence"))
        return get ? get_evidence(a, c)
                   : problem(c, CLO_ROUTE_EVIDENCE, 405, "method-not-allowed", "use GET");
    if (!strcmp(url, "/v1/attest/snp/challenge"))
        return post ? snp_challenge(a, c)
                    : problem(c, CLO_ROUTE_ATTEST, 405, "method-not-allowed", "use POST");
    if (!strcmp(url, "/v1/attest/snp/approve"))
        return post ? snp_approve(a, c, rc)
                    : problem(c, CLO_ROUTE_ATTEST, 405, "method-not-allowed", "use POST");
    if (!strcmp(url, "/v1/keys/challenge"))
        return post ? share_challenge(a, c)
                    : problem(c, CLO_ROUTE_KEYS, 405, "method-not-allowed", "use POST");
    if (!strcmp(url, "/v1/keys/share"))
        return post ? share_give(a, c, rc)
                    : problem(c, CLO_ROUTE_KEYS, 405, "method-not-allowed", "use POST");
    if (!strcmp(url, "/v1/models"))
        return post ? model_put(a, c, rc)
                    : problem(c, CLO_ROUTE_MODELS, 405, "method-not-allowed", "use POST");
    if (!strcmp(url, "/v1/secrets"))
        return post ? secret_put(a, c, rc)
                    : problem(c, CLO_ROUTE_SECRETS, 405, "method-not-allowed", "use POST");
    if (!strcmp(url, "/v1/secrets/streams"))
        return post ? stream_open(a, c, rc)
                    : problem(c, CLO_ROUTE_SECRETS, 405, "method-not-allowed", "use POST");
    if (!strncmp(url, "/v1/secrets/streams/", 20))
        return !strcmp(method, "PUT")
                   ? stream_chunk(a, c, url + 20, rc)
                   : problem(c, CLO_ROUTE_SECRETS, 405, "method-not-allowed", "use PUT");
    if (!strcmp(url, "/v1/jobs"))
        return post ? submit(a, c, rc)
                    : problem(c, CLO_ROUTE_SUBMIT, 405, "method-not-allowed", "use POST");
    if (!strncmp(url, "/v1/jobs/", 9)) {
        char id[80];
        const char *rest = url + 9, *slash = strchr(rest, '/');
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
        int res = slash && !strcmp(slash, "/result");
        if (n >= sizeof id || (slash && !res))
            return problem(c, CLO_ROUTE_OTHER, 404, "not-found", "no such resource");
        memcpy(id, rest, n);
        id[n] = 0;
        if (!get) return problem(c, CLO_ROUTE_STATUS, 405, "method-not-allowed", "use GET");
        return get_job(a, c, id, res);
    }
    return problem(c, CLO_ROUTE_OTHER, 404, "not-found", "no such resource");
}

clo_err clo_api_start(clo_api **out, clo_node *node)
{
    clo_api *a = calloc(1, sizeof *a);
    CLO_ENSURE(a, CLO_E_NOMEM, "api");
    a->node = node;
    pthread_mutex_init(&a->streams_mu, NULL);
    clo_httpd_opts o = {
        node->cfg.listen_address,        node->cfg.listen_port, node->cfg.max_body_bytes,
        node->cfg.max_connections,       node->cfg.max_per_ip,  node->cfg.timeout_seconds,
        node->cfg.header_timeout_seconds};
    clo_err err = clo_httpd_start(&a->h, &o, route, a);
    if (err.code) {
        free(a);
        return err;
    }
    *out = a;
    return CLO_OK;
}

uint16_t clo_api_port(const clo_api *a)
{
    return clo_httpd_port(a->h);
}

void clo_api_stop(clo_api *a)
{
    if (!a) return;
    clo_httpd_stop(a->h);
    pthread_mutex_destroy(&a->streams_mu);
    free(a);
}
