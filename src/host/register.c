/* register.c — operator bond and enclave registration (see register.h). */
#include "host/register.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/hex.h"
#include "base/log.h"
#include "client/approval.h"
#include "chain/eth.h"
#include "chain/http.h"
#include "chain/rpc.h"
#include "client/dcap.h"
#include "crypto/rand.h"

static void set_expiry(clo_registrar *r, uint64_t expiry)
{
    pthread_mutex_lock(&r->tx->mu);
    r->tx->stats.record_expiry = (int64_t)expiry;
    pthread_mutex_unlock(&r->tx->mu);
}

static clo_err ensure_operator(clo_registrar *r)
{
    clo_abi_val a = clo_abi_address(r->tx->s.address), args = clo_abi_tuple(&a, 1), out;
    CLO_TRY(clo_eth_view(r->tx->rpc, r->tx->cfg->registry, CLO_ENCLAVE_REGISTRY_OPERATORS, &args,
                         CLO_ENCLAVE_REGISTRY_OPERATORS_RET, &out));
    uint64_t registered = 0;
    clo_err err = clo_abi_get_u64(&out.items[2], &registered);
    clo_abi_val_free(&out);
    CLO_TRY(err);
    if (registered) return CLO_OK;
    uint8_t bond[32] = {0};
    clo_store_u64be(bond + 24, r->tx->cfg->bond_wei);
    clo_abi_val none = clo_abi_tuple(NULL, 0);
    return clo_chaintx_call(r->tx, r->tx->cfg->registry, bond,
                            CLO_ENCLAVE_REGISTRY_REGISTER_OPERATOR, &none, "registerOperator");
}

/* The signer's record: its status (CLO_RECORD_*), operator and expiry. */
static clo_err record_status(clo_registrar *r, const uint8_t signer[20], uint64_t *status,
                             uint8_t operator_addr[20], uint64_t *expiry)
{
    clo_enclave_record rec;
    CLO_TRY(clo_registry_enclave(r->tx->rpc, r->tx->cfg->registry, signer, &rec));
    *status = rec.status;
    *expiry = rec.expiry;
    memcpy(operator_addr, rec.operator_addr, 20);
    return CLO_OK;
}

typedef struct {
    uint8_t verifier[20], sig[65];
} approval_sig;

static int by_verifier(const void *a, const void *b)
{
    return memcmp(((const approval_sig *)a)->verifier, ((const approval_sig *)b)->verifier, 20);
}

/* Ask each verifier for a challenge, attest over the committee nonce, and
 * collect approvals of one identical record. */
static clo_err collect_approvals(clo_registrar *r, const clo_proto_key *key, clo_approval *a,
                                 approval_sig *sigs, size_t *count)
{
    char urls[sizeof r->tx->cfg->verifiers], *save = NULL, *u;
    const char *list[CLO_APPROVAL_MAX_CHALLENGES];
    uint8_t ch[CLO_APPROVAL_MAX_CHALLENGES][32], nonce[52];
    size_t nv = 0;
    *count = 0;
    snprintf(urls, sizeof urls, "%s", r->tx->cfg->verifiers);
    for (u = strtok_r(urls, ",", &save); u && nv < CLO_APPROVAL_MAX_CHALLENGES;
         u = strtok_r(NULL, ",", &save)) {
        char url[2100];
        long status;
        json_t *doc = NULL;
        snprintf(url, sizeof url, "%s/v1/challenge", u);
        if (clo_http_json("GET", url, NULL, 10000, &status, &doc).code || status != 200 ||
            clo_hex_decode_fixed(ch[nv], 32, json_string_value(json_object_get(doc, "nonce")))
                .code) {
            CLO_LOG(CLO_LOG_WARN, "chain.verifier_unavailable", CLO_LF_STR("url", u));
            json_decref(doc);
            continue;
        }
        json_decref(doc);
        list[nv++] = u;
    }
    CLO_ENSURE(nv > 0, CLO_E_IO, "registration: no verifier answered");
    clo_approval_nonce((const uint8_t(*)[32])ch, nv, nonce);
    memcpy(nonce + 32, r->tx->s.address, 20); /* the report data names us */
    clo_buf resp;
    clo_buf_init(&resp, 1 << 20);
    clo_err err = clo_super_call(r->super, CLO_CALL_EVIDENCE, CLO_BYTES(nonce, 52), &resp);
    clo_proto_evidence ev;
    if (!err.code) err = clo_proto_evidence_decode(clo_buf_view(&resp), &ev);
    if (!err.code && (ev.epoch != key->epoch || memcmp(ev.signer, key->signer, 20)))
        err = CLO_ERR(CLO_E_STATE, "registration: the enclave rotated meanwhile");
    if (err.code) {
        clo_buf_free(&resp);
        return err;
    }
    json_t *chs = json_array();
    for (size_t i = 0; i < nv; i++) json_array_append_new(chs, clo_json_hex(CLO_BYTES(ch[i], 32)));
    uint64_t expiry = (uint64_t)(clo_now_ms() / 1000) + r->tx->cfg->approval_seconds;
    json_t *req = json_pack(
        "{s:o,s:o,s:o,s:o,s:I,s:o,s:I}", "challenges", chs, "evidence", clo_json_hex(ev.evidence),
        "signer", clo_json_hex(CLO_BYTES(ev.signer, 20)), "hpke_public_key",
        clo_json_hex(CLO_BYTES(ev.hpke_pk, 32)), "epoch", (json_int_t)ev.epoch, "operator",
        clo_json_hex(CLO_BYTES(r->tx->s.address, 20)), "expiry", (json_int_t)expiry);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    clo_buf_free(&resp);
    CLO_ENSURE(body, CLO_E_NOMEM, "registration");
    int have = 0;
    for (size_t i = 0; i < nv; i++) {
        char url[2100];
        long status;
        json_t *doc = NULL;
        clo_approval got;
        approval_sig as;
        uint8_t who[20];
        snprintf(url, sizeof url, "%s/v1/approve", list[i]);
        int ok =
            !clo_http_json("POST", url, body, 30000, &status, &doc).code && status == 200 &&
            !clo_approval_from_json(json_object_get(doc, "approval"), &got).code &&
            json_string_value(json_object_get(doc, "signature")) &&
            !clo_hex_decode_fixed(as.sig, 65, json_string_value(json_object_get(doc, "signature")))
                 .code &&
            !clo_approval_recover(&got, r->tx->cfg->chain_id, r->tx->cfg->registry, as.sig, who)
                 .code;
        /* The record must be ours and the same for every member. */
        ok = ok && !memcmp(got.signer, key->signer, 20) && got.epoch == key->epoch &&
             !memcmp(got.hpke_key, key->hpke_pk, 32) &&
             !memcmp(got.operator_addr, r->tx->s.address, 20) && got.expiry == expiry &&
             (!have || !memcmp(&got, a, sizeof got));
        if (ok) {
            if (!have) *a = got;
            have = 1;
            memcpy(as.verifier, who, 20);
            sigs[(*count)++] = as;
        } else {
            const char *detail = json_string_value(json_object_get(doc, "detail"));
            CLO_LOG(CLO_LOG_WARN, "chain.approval_refused", CLO_LF_STR("url", list[i]),
                    CLO_LF_STR("detail", detail ? detail : "no valid approval"));
        }
        json_decref(doc);
    }
    free(body);
    qsort(sigs, *count, sizeof *sigs, by_verifier);
    return CLO_OK;
}

/* One file of chain.collateral_dir, into an initialised buffer. */
static clo_err collateral_file(const clo_registrar *r, const char *name, clo_buf *out)
{
    char path[sizeof r->tx->cfg->collateral_dir + 64];
    snprintf(path, sizeof path, "%s/%s", r->tx->cfg->collateral_dir, name);
    clo_err err = clo_file_read(path, out);
    if (err.code) CLO_LOG(CLO_LOG_WARN, "chain.collateral_unreadable", CLO_LF_STR("path", path));
    return err;
}

/* The machine that signed `quote`, on chain: first whatever of its collateral
 * the chain lacks (tier 1, from chain.collateral_dir and the quote's own PCK
 * chain; anyone may send it), then its attestation key (tier 2). */
static clo_err register_machine(clo_registrar *r, const clo_dcap_chain *dc, clo_bytes quote)
{
    clo_buf info, qe, pem, ca, root, call;
    clo_buf *bufs[] = {&info, &qe, &pem, &ca, &root, &call};
    for (size_t i = 0; i < 6; i++) clo_buf_init(bufs[i], 1 << 20);
    clo_err err = collateral_file(r, "tcb_info.json", &info);
    if (!err.code) err = collateral_file(r, "qe_identity.json", &qe);
    if (!err.code) err = collateral_file(r, "tcb_info_issuer_chain.pem", &pem);
    if (!err.code) err = clo_dcap_quote_chain(quote, &ca, &root);
    clo_dcap_tx txs[CLO_DCAP_UPLOAD_MAX];
    size_t n = 0;
    clo_dcap_collateral_in in = {clo_buf_view(&root), clo_buf_view(&ca), clo_buf_view(&info),
                                 clo_buf_view(&qe), clo_buf_view(&pem)};
    if (!err.code) err = clo_dcap_upload_txs(r->tx->rpc, dc, &in, txs, &n);
    for (size_t i = 0; i < n && !err.code; i++)
        err = clo_chaintx_send(r->tx, txs[i].to, NULL, clo_buf_view(&txs[i].data), NULL, 0, NULL,
                               txs[i].what);
    clo_dcap_txs_free(txs, n);
    if (!err.code && n) CLO_LOG(CLO_LOG_INFO, "chain.collateral_submitted", CLO_LF_U64("txs", n));
    if (!err.code)
        err = clo_dcap_platform_calldata(r->tx->rpc, dc, quote, clo_buf_view(&info),
                                         clo_buf_view(&qe), &call);
    if (!err.code)
        err = clo_chaintx_send(r->tx, dc->verifier, NULL, clo_buf_view(&call), NULL, 0, NULL,
                               "registerPlatform");
    for (size_t i = 0; i < 6; i++) clo_buf_free(bufs[i]);
    return err;
}

/* chain.registration "onchain" (issue 18): the enclave's quote, bound to us,
 * registered with no committee. The machine's attestation key first, when the
 * verifier holds no current record for it (tier 2); then the record (tier 3),
 * as the next epoch of prev when that is our active record. */
static clo_err register_attested(clo_registrar *r, const clo_proto_key *key, const uint8_t *prev)
{
    clo_dcap_chain dc;
    CLO_TRY(clo_dcap_chain_of(r->tx->rpc, r->tx->cfg->registry, &dc));
    uint8_t req[52];
    CLO_TRY(clo_random(req, 32)); /* no challenger here: the nonce only varies the quote */
    memcpy(req + 32, r->tx->s.address, 20);
    clo_buf resp, call;
    clo_buf_init(&resp, 1 << 20);
    clo_buf_init(&call, 1 << 20);
    clo_proto_evidence ev;
    char why[200] = "";
    uint64_t until = 0;
    clo_err err = clo_super_call(r->super, CLO_CALL_EVIDENCE, CLO_BYTES(req, 52), &resp);
    if (!err.code) err = clo_proto_evidence_decode(clo_buf_view(&resp), &ev);
    if (!err.code && (ev.epoch != key->epoch || memcmp(ev.signer, key->signer, 20)))
        err = CLO_ERR(CLO_E_STATE, "registration: the enclave rotated meanwhile");
    if (!err.code && ev.format == CLO_EVIDENCE_SNP_REPORT)
        err = CLO_ERR(CLO_E_UNSUPPORTED, "registration: SEV-SNP evidence cannot be verified on "
                                         "chain (no P-384 precompile); use the committee");
    if (!err.code &&
        clo_dcap_check_enclave(r->tx->rpc, &dc, ev.evidence, &until, why, sizeof why).code ==
            CLO_E_POLICY &&
        (strstr(why, "UnknownPlatform") || strstr(why, "PlatformExpired"))) {
        err = register_machine(r, &dc, ev.evidence);
        if (!err.code) CLO_LOG(CLO_LOG_INFO, "chain.platform_registered", CLO_LF_STR("was", why));
        if (!err.code) /* the new record's expiry */
            err = clo_dcap_check_enclave(r->tx->rpc, &dc, ev.evidence, &until, why, sizeof why);
    }
    clo_dcap_attested a;
    memcpy(a.signer, key->signer, 20);
    memcpy(a.hpke_pk, key->hpke_pk, 32);
    memcpy(a.nonce, req, 32);
    a.previous = prev;
    a.epoch = key->epoch;
    a.expiry = (uint64_t)(clo_now_ms() / 1000) + r->tx->cfg->approval_seconds;
    if (until && until < a.expiry) a.expiry = until; /* not past the machine's record */
    if (!err.code) {
        a.quote = ev.evidence;
        err = clo_dcap_attested_calldata(&a, &call);
    }
    if (!err.code)
        err = clo_chaintx_send(r->tx, r->tx->cfg->registry, NULL, clo_buf_view(&call), NULL, 0,
                               NULL, prev ? "rotateAttested" : "registerAttested");
    if (!err.code) {
        memcpy(r->registered_signer, key->signer, 20);
        set_expiry(r, a.expiry);
        CLO_LOG(CLO_LOG_INFO, "chain.enclave_registered",
                CLO_LF_HEX("signer", CLO_BYTES(key->signer, 20)), CLO_LF_U64("epoch", key->epoch),
                CLO_LF_STR("by", "own quote (DcapVerifier)"));
    }
    clo_buf_free(&resp);
    clo_buf_free(&call);
    return err;
}

/* chain.registration "verifier-enclave" (issue 18, SEV-SNP): the verifier
 * enclave behind chain.snp_verifier issues a challenge, our enclave's report
 * binds it, and that enclave's one approval registers us
 * (EnclaveRegistry.registerVerified). The approval is checked here before it
 * is sent: ours, and recovering to the verifier it names. The next epoch
 * rotates from prev (rotateVerified) when that is our active record. */
static clo_err register_verified(clo_registrar *r, const clo_proto_key *key, const uint8_t *prev)
{
    const clo_config *cfg = r->tx->cfg;
    char url[sizeof cfg->snp_verifier + 64];
    long status;
    json_t *doc = NULL;
    uint8_t req[52], who[20], sig[65], named[20];
    clo_buf resp, vcek;
    clo_approval a;
    clo_err err = CLO_OK;
    clo_buf_init(&resp, 1 << 20);
    clo_buf_init(&vcek, 1 << 14);
    char *body = NULL;
    snprintf(url, sizeof url, "%s/v1/attest/snp/challenge", cfg->snp_verifier);
    err = clo_http_json("POST", url, "{}", 10000, &status, &doc);
    if (!err.code &&
        (status != 200 ||
         clo_hex_decode_fixed(req, 32, json_string_value(json_object_get(doc, "nonce"))).code))
        err = CLO_ERR(CLO_E_IO, "registration: the SNP verifier gave no challenge");
    json_decref(doc);
    doc = NULL;
    CLO_CHECK(err);
    memcpy(req + 32, r->tx->s.address, 20);
    CLO_CHECK(clo_super_call(r->super, CLO_CALL_EVIDENCE, CLO_BYTES(req, 52), &resp));
    clo_proto_evidence ev;
    CLO_CHECK(clo_proto_evidence_decode(clo_buf_view(&resp), &ev));
    CLO_FAIL_IF(ev.epoch != key->epoch || memcmp(ev.signer, key->signer, 20), CLO_E_STATE,
                "registration: the enclave rotated meanwhile");
    CLO_FAIL_IF(ev.format != CLO_EVIDENCE_SNP_REPORT, CLO_E_UNSUPPORTED,
                "registration: a verifier enclave approves SEV-SNP reports only");
    CLO_CHECK(clo_config_read_vcek(r->tx->cfg, &vcek));
    uint64_t expiry = (uint64_t)(clo_now_ms() / 1000) + cfg->approval_seconds;
    json_t *q =
        json_pack("{s:o,s:o,s:o,s:I,s:o,s:I,s:o,s:o}", "operator",
                  clo_json_hex(CLO_BYTES(r->tx->s.address, 20)), "signer",
                  clo_json_hex(CLO_BYTES(key->signer, 20)), "hpke_public_key",
                  clo_json_hex(CLO_BYTES(key->hpke_pk, 32)), "epoch", (json_int_t)key->epoch,
                  "nonce", clo_json_hex(CLO_BYTES(req, 32)), "expiry", (json_int_t)expiry, "report",
                  clo_json_hex(ev.evidence), "vcek", clo_json_hex(clo_buf_view(&vcek)));
    body = q ? json_dumps(q, JSON_COMPACT) : NULL;
    json_decref(q);
    CLO_FAIL_IF(!body, CLO_E_NOMEM, "registration");
    snprintf(url, sizeof url, "%s/v1/attest/snp/approve", cfg->snp_verifier);
    CLO_CHECK(clo_http_json("POST", url, body, 30000, &status, &doc));
    if (status != 200) {
        const char *detail = json_string_value(json_object_get(doc, "detail"));
        CLO_LOG(CLO_LOG_WARN, "chain.approval_refused", CLO_LF_STR("url", cfg->snp_verifier),
                CLO_LF_STR("detail", detail ? detail : "no approval"));
        CLO_FAIL_IF(1, CLO_E_POLICY, "registration: the verifier enclave refused");
    }
    CLO_FAIL_IF(
        clo_approval_from_json(json_object_get(doc, "approval"), &a).code ||
            clo_hex_decode_fixed(sig, 65, json_string_value(json_object_get(doc, "signature")))
                .code ||
            clo_hex_decode_fixed(named, 20, json_string_value(json_object_get(doc, "verifier")))
                .code ||
            clo_approval_recover(&a, cfg->chain_id, cfg->registry, sig, who).code ||
            memcmp(who, named, 20),
        CLO_E_FORMAT, "registration: the verifier's answer is not a valid approval");
    CLO_FAIL_IF(memcmp(a.signer, key->signer, 20) || a.epoch != key->epoch ||
                    memcmp(a.hpke_key, key->hpke_pk, 32) ||
                    memcmp(a.operator_addr, r->tx->s.address, 20) || a.expiry > expiry ||
                    a.tee_type != CLO_TEE_SNP,
                CLO_E_POLICY, "registration: the verifier approved another record than ours");
    clo_abi_val items[8],
        args[4] = {prev ? clo_abi_address(prev) : clo_abi_uint(0), clo_approval_abi(&a, items),
                   clo_abi_address(who), clo_abi_bytes(CLO_BYTES(sig, 65))};
    clo_abi_val t = prev ? clo_abi_tuple(args, 4) : clo_abi_tuple(args + 1, 3);
    CLO_CHECK(clo_chaintx_call(r->tx, cfg->registry, NULL,
                               prev ? CLO_ENCLAVE_REGISTRY_ROTATE_VERIFIED
                                    : CLO_ENCLAVE_REGISTRY_REGISTER_VERIFIED,
                               &t, prev ? "rotateVerified" : "registerVerified"));
    memcpy(r->registered_signer, key->signer, 20);
    set_expiry(r, a.expiry);
    CLO_LOG(CLO_LOG_INFO, "chain.enclave_registered", CLO_LF_HEX("signer", CLO_BYTES(a.signer, 20)),
            CLO_LF_U64("epoch", a.epoch), CLO_LF_HEX("verifier_enclave", CLO_BYTES(who, 20)),
            CLO_LF_HEX("measurement", CLO_BYTES(a.measurement, 32)));
out:
    free(body);
    json_decref(doc);
    clo_buf_free(&resp);
    clo_buf_free(&vcek);
    return err;
}

static clo_err ensure_enclave(clo_registrar *r)
{
    clo_super_status st;
    clo_super_status_get(r->super, &st);
    CLO_ENSURE(st.keys.count > 0, CLO_E_STATE, "registration: the enclave has no keys yet");
    const clo_proto_key *cur = &st.keys.keys[0];
    if (!memcmp(r->registered_signer, cur->signer, 20)) return CLO_OK;
    uint64_t status, expiry;
    uint8_t op[20];
    CLO_TRY(record_status(r, cur->signer, &status, op, &expiry));
    if (status == CLO_RECORD_ACTIVE) {
        memcpy(r->registered_signer, cur->signer, 20);
        set_expiry(r, expiry);
        return CLO_OK;
    }
    CLO_ENSURE(status == CLO_RECORD_NONE, CLO_E_POLICY,
               "registration: this enclave's record is revoked");
    CLO_TRY(ensure_operator(r));
    /* Rotate from our previous epoch's record if it is still active. */
    const uint8_t *prev = NULL;
    for (size_t i = 1; i < st.keys.count && !prev; i++) {
        if (!record_status(r, st.keys.keys[i].signer, &status, op, &expiry).code &&
            status == CLO_RECORD_ACTIVE && !memcmp(op, r->tx->s.address, 20))
            prev = st.keys.keys[i].signer;
    }
    if (!strcmp(r->tx->cfg->registration, "onchain")) return register_attested(r, cur, prev);
    if (!strcmp(r->tx->cfg->registration, "verifier-enclave"))
        return register_verified(r, cur, prev);
    clo_abi_val none = clo_abi_tuple(NULL, 0), th;
    CLO_TRY(clo_eth_view(r->tx->rpc, r->tx->cfg->registry, CLO_ENCLAVE_REGISTRY_THRESHOLD, &none,
                         CLO_ENCLAVE_REGISTRY_THRESHOLD_RET, &th));
    uint64_t k = 0;
    clo_err err = clo_abi_get_u64(&th.items[0], &k);
    clo_abi_val_free(&th);
    CLO_TRY(err);
    clo_approval a;
    approval_sig sigs[CLO_APPROVAL_MAX_CHALLENGES];
    size_t n = 0;
    CLO_TRY(collect_approvals(r, cur, &a, sigs, &n));
    CLO_ENSURE(n >= k, CLO_E_STATE, "registration: too few committee approvals");
    clo_abi_val items[8], sv[CLO_APPROVAL_MAX_CHALLENGES];
    for (size_t i = 0; i < n; i++) sv[i] = clo_abi_bytes(CLO_BYTES(sigs[i].sig, 65));
    if (prev) {
        clo_abi_val args[3] = {clo_abi_address(prev), clo_approval_abi(&a, items),
                               clo_abi_array(sv, n)};
        clo_abi_val t = clo_abi_tuple(args, 3);
        err = clo_chaintx_call(r->tx, r->tx->cfg->registry, NULL,
                               CLO_ENCLAVE_REGISTRY_ROTATE_ENCLAVE, &t, "rotateEnclave");
    } else {
        clo_abi_val args[2] = {clo_approval_abi(&a, items), clo_abi_array(sv, n)};
        clo_abi_val t = clo_abi_tuple(args, 2);
        err = clo_chaintx_call(r->tx, r->tx->cfg->registry, NULL,
                               CLO_ENCLAVE_REGISTRY_REGISTER_ENCLAVE, &t, "registerEnclave");
    }
    if (!err.code) {
        memcpy(r->registered_signer, cur->signer, 20);
        set_expiry(r, a.expiry);
        CLO_LOG(CLO_LOG_INFO, "chain.enclave_registered",
                CLO_LF_HEX("signer", CLO_BYTES(a.signer, 20)), CLO_LF_U64("epoch", a.epoch),
                CLO_LF_U64("approvals", n),
                CLO_LF_HEX("measurement", CLO_BYTES(a.measurement, 32)));
    }
    return err;
}

int clo_register_step(clo_registrar *r)
{
    static const uint8_t none[20];
    if (clo_now_ms() >= r->next_try_ms) {
        clo_err e = ensure_enclave(r);
        if (e.code) {
            CLO_LOG(CLO_LOG_WARN, "chain.registration_pending",
                    CLO_LF_STR("code", clo_code_name(e.code)),
                    CLO_LF_STR("what", e.what ? e.what : ""));
            r->next_try_ms = clo_now_ms() + 2000;
        }
    }
    return memcmp(r->registered_signer, none, 20) != 0;
}
