/* dcap.c — the C side of the on-chain DCAP verifier (dcap.h). */
#include "client/dcap.h"

#include <stdio.h>
#include <string.h>

#include "base/hex.h"
#include "base/jsonraw.h"
#include "base/pem.h"
#include "chain/eth.h"
#include "crypto/keccak.h"
#include "crypto/x509.h"
#include "evidence/quote.h"

static clo_err view_address(clo_rpc *rpc, const uint8_t to[20], const char *sig, const char *ret,
                            uint8_t out[20])
{
    clo_abi_val none = clo_abi_tuple(NULL, 0), v;
    CLO_TRY(clo_eth_view(rpc, to, sig, &none, ret, &v));
    clo_abi_get_address(&v.items[0], out);
    clo_abi_val_free(&v);
    return CLO_OK;
}

clo_err clo_dcap_chain_of(clo_rpc *rpc, const uint8_t registry[20], clo_dcap_chain *out)
{
    static const uint8_t zero[20];
    CLO_TRY(view_address(rpc, registry, CLO_ENCLAVE_REGISTRY_DCAP_VERIFIER,
                         CLO_ENCLAVE_REGISTRY_DCAP_VERIFIER_RET, out->verifier));
    CLO_ENSURE(memcmp(out->verifier, zero, 20), CLO_E_STATE,
               "the registry has no on-chain verifier");
    CLO_TRY(view_address(rpc, out->verifier, CLO_DCAP_VERIFIER_COLLATERAL,
                         CLO_DCAP_VERIFIER_COLLATERAL_RET, out->collateral));
    return view_address(rpc, out->collateral, CLO_DCAP_COLLATERAL_PKI, CLO_DCAP_COLLATERAL_PKI_RET,
                        out->pki);
}

/* keccak256(x || y) of a certificate's P-256 key: how DcapPki pins its root. */
static clo_err key_hash(clo_bytes der, uint8_t out[32])
{
    clo_x509 *c;
    uint8_t pt[97];
    size_t n = 0;
    CLO_TRY(clo_x509_parse(der, &c));
    clo_err err = clo_x509_ec_point(c, pt, sizeof pt, &n);
    clo_x509_free(c);
    CLO_TRY(err);
    CLO_ENSURE(n == 65, CLO_E_UNSUPPORTED, "dcap: the root key is not P-256");
    clo_keccak256(CLO_BYTES(pt + 1, 64), out);
    return CLO_OK;
}

clo_err clo_dcap_deploy(clo_deployer *d, const uint8_t registry[20], clo_bytes root_der,
                        int simulated, uint8_t tee_type, uint64_t statuses, clo_dcap_chain *out)
{
    uint8_t h[32];
    CLO_TRY(key_hash(root_der, h));
    clo_abi_val a[5] = {clo_abi_word(h), clo_abi_bool(simulated)};
    clo_abi_val t = clo_abi_tuple(a, 2);
    CLO_TRY(clo_deployer_create(d, "DcapPki", &t, out->pki));
    a[0] = clo_abi_address(out->pki);
    t = clo_abi_tuple(a, 1);
    CLO_TRY(clo_deployer_create(d, "DcapCollateral", &t, out->collateral));
    a[0] = clo_abi_address(out->collateral);
    CLO_TRY(clo_deployer_create(d, "DcapVerifier", &t, out->verifier));
    a[0] = clo_abi_address(out->verifier);
    a[1] = clo_abi_uint(tee_type);
    a[2] = clo_abi_bool(1);
    a[3] = clo_abi_uint(statuses);
    a[4] = clo_abi_uint(1u << 3); /* RTMR3: the enclave's executable and configuration */
    t = clo_abi_tuple(a, 5);
    return clo_deployer_call(d, registry, CLO_ENCLAVE_REGISTRY_SET_ON_CHAIN_ATTESTATION, &t);
}

/* The DER of the quote's PCK chain certificates: leaf, CA, root. */
typedef struct {
    clo_buf der[3];
    size_t n;
} pck_chain;

static clo_err take_cert(void *ctx, const char *label, clo_bytes der)
{
    pck_chain *p = ctx;
    CLO_ENSURE(!strcmp(label, "CERTIFICATE"), CLO_E_FORMAT, "dcap: PCK chain: not a certificate");
    CLO_ENSURE(p->n < 3, CLO_E_FORMAT, "dcap: PCK chain: more than three certificates");
    return clo_buf_append_bytes(&p->der[p->n++], der);
}

static clo_err chain_of(const clo_quote *q, pck_chain *p)
{
    size_t count;
    memset(p, 0, sizeof *p);
    for (int i = 0; i < 3; i++) clo_buf_init(&p->der[i], 1 << 14);
    CLO_TRY(clo_pem_foreach(q->pck_chain, take_cert, p, &count));
    CLO_ENSURE(p->n == 3, CLO_E_FORMAT, "dcap: PCK chain: needs leaf, CA and root");
    return CLO_OK;
}

static void chain_free(pck_chain *p)
{
    for (int i = 0; i < 3; i++) clo_buf_free(&p->der[i]);
}

clo_err clo_dcap_quote_chain(clo_bytes quote, clo_buf *ca, clo_buf *root)
{
    clo_quote q;
    pck_chain p;
    CLO_TRY(clo_quote_parse(quote, &q));
    clo_err err = chain_of(&q, &p);
    if (!err.code) err = clo_buf_append_bytes(ca, clo_buf_view(&p.der[1]));
    if (!err.code) err = clo_buf_append_bytes(root, clo_buf_view(&p.der[2]));
    chain_free(&p);
    return err;
}

/* A PCS response's signed body (the raw member `name`) and its signature. */
static clo_err pcs_split(clo_bytes json, const char *name, clo_bytes *body, uint8_t sig[64])
{
    clo_bytes s;
    char hex[131];
    CLO_TRY(clo_json_member_raw(json, name, body));
    CLO_TRY(clo_json_member_raw(json, "signature", &s));
    CLO_ENSURE(s.len == 130 && s.ptr[0] == '"' && s.ptr[129] == '"', CLO_E_FORMAT,
               "dcap: collateral signature: 64 bytes of hex");
    memcpy(hex, s.ptr + 1, 128);
    hex[128] = 0;
    return clo_hex_decode_fixed(sig, 64, hex);
}

/* A bool view of one bytes argument (holdsCa, holdsTcbInfo, holdsQeIdentity). */
static clo_err holds(clo_rpc *rpc, const uint8_t to[20], const char *sig, clo_bytes body, int *out)
{
    clo_abi_val a = clo_abi_bytes(body), t = clo_abi_tuple(&a, 1), v;
    uint64_t b = 0;
    CLO_TRY(clo_eth_view(rpc, to, sig, &t, "(bool)", &v));
    clo_err err = clo_abi_get_u64(&v.items[0], &b);
    clo_abi_val_free(&v);
    *out = b != 0;
    return err;
}

/* Add one transaction: to, sig(args) encoded. */
static clo_err add_tx(clo_dcap_tx *tx, const uint8_t to[20], const char *what, const char *sig,
                      const clo_abi_val *args)
{
    memcpy(tx->to, to, 20);
    tx->what = what;
    clo_buf_init(&tx->data, 1 << 20);
    return clo_abi_encode_call(sig, args, &tx->data);
}

clo_err clo_dcap_upload_txs(clo_rpc *rpc, const clo_dcap_chain *c, const clo_dcap_collateral_in *in,
                            clo_dcap_tx txs[CLO_DCAP_UPLOAD_MAX], size_t *n)
{
    clo_cur cur = clo_cur_init(in->tcb_chain_pem);
    char label[CLO_PEM_LABEL_MAX];
    clo_buf signer;
    int found = 0, held = 0;
    *n = 0;
    clo_buf_init(&signer, 1 << 14);
    clo_err err = clo_pem_next(&cur, label, &signer, &found);
    if (!err.code && !found) err = CLO_ERR(CLO_E_FORMAT, "dcap: no TCB Signing certificate");
    clo_abi_val a[3], t, none = clo_abi_tuple(NULL, 0), v;
    /* the root once */
    if (!err.code)
        err = clo_eth_view(rpc, c->pki, CLO_DCAP_PKI_ROOT_SUBJECT, &none,
                           CLO_DCAP_PKI_ROOT_SUBJECT_RET, &v);
    if (!err.code) {
        static const uint8_t zero[32];
        int unset = !memcmp(v.items[0].word, zero, 32);
        clo_abi_val_free(&v);
        a[0] = clo_abi_bytes(in->root);
        t = clo_abi_tuple(a, 1);
        if (unset) err = add_tx(&txs[(*n)++], c->pki, "setRoot", CLO_DCAP_PKI_SET_ROOT, &t);
    }
    /* the CA unless held (with no root yet, none is) */
    if (!err.code && !*n) err = holds(rpc, c->pki, CLO_DCAP_PKI_HOLDS_CA, in->ca, &held);
    if (!err.code && (*n || !held)) {
        a[0] = clo_abi_bytes(in->ca);
        t = clo_abi_tuple(a, 1);
        err = add_tx(&txs[(*n)++], c->pki, "addCa", CLO_DCAP_PKI_ADD_CA, &t);
    }
    /* TCB Info and QE Identity unless held */
    clo_bytes body;
    uint8_t sig[64];
    if (!err.code) err = pcs_split(in->tcb_info, "tcbInfo", &body, sig);
    if (!err.code) err = holds(rpc, c->collateral, CLO_DCAP_COLLATERAL_HOLDS_TCB_INFO, body, &held);
    if (!err.code && !held) {
        a[0] = clo_abi_bytes(body), a[1] = clo_abi_bytes(CLO_BYTES(sig, 64));
        a[2] = clo_abi_bytes(clo_buf_view(&signer));
        t = clo_abi_tuple(a, 3);
        err =
            add_tx(&txs[(*n)++], c->collateral, "addTcbInfo", CLO_DCAP_COLLATERAL_ADD_TCB_INFO, &t);
    }
    if (!err.code) err = pcs_split(in->qe_identity, "enclaveIdentity", &body, sig);
    if (!err.code)
        err = holds(rpc, c->collateral, CLO_DCAP_COLLATERAL_HOLDS_QE_IDENTITY, body, &held);
    if (!err.code && !held) {
        a[0] = clo_abi_bytes(body), a[1] = clo_abi_bytes(CLO_BYTES(sig, 64));
        a[2] = clo_abi_bytes(clo_buf_view(&signer));
        t = clo_abi_tuple(a, 3);
        err = add_tx(&txs[(*n)++], c->collateral, "addQeIdentity",
                     CLO_DCAP_COLLATERAL_ADD_QE_IDENTITY, &t);
    }
    clo_buf_free(&signer);
    if (err.code) {
        clo_dcap_txs_free(txs, *n);
        *n = 0;
    }
    return err;
}

void clo_dcap_txs_free(clo_dcap_tx *txs, size_t n)
{
    for (size_t i = 0; i < n; i++) clo_buf_free(&txs[i].data);
}

clo_err clo_dcap_upload(clo_deployer *d, const clo_dcap_chain *c, const clo_dcap_collateral_in *in,
                        size_t *sent)
{
    clo_dcap_tx txs[CLO_DCAP_UPLOAD_MAX];
    size_t n = 0;
    *sent = 0;
    CLO_TRY(clo_dcap_upload_txs(d->s.rpc, c, in, txs, &n));
    clo_err err = CLO_OK;
    for (size_t i = 0; i < n && !err.code; i++) {
        clo_call_result r;
        err = clo_call_send_data(&d->s, txs[i].to, clo_buf_view(&txs[i].data), &r);
        if (err.code)
            snprintf(d->why, sizeof d->why, "%s: %s", txs[i].what, r.why);
        else
            (*sent)++;
    }
    clo_dcap_txs_free(txs, n);
    return err;
}

/* One bytes-returning view of the collateral contract (encodeTcbInfo /
 * encodeQeIdentity), its result copied out. */
static clo_err encode_view(clo_rpc *rpc, const uint8_t to[20], const char *sig, clo_bytes body,
                           clo_buf *out)
{
    clo_abi_val a = clo_abi_bytes(body), t = clo_abi_tuple(&a, 1), v;
    clo_buf data, res;
    clo_buf_init(&data, 1 << 20);
    clo_buf_init(&res, 1 << 20);
    clo_err err = clo_abi_encode_call(sig, &t, &data);
    if (!err.code) err = clo_eth_call(rpc, NULL, to, clo_buf_view(&data), &res, NULL);
    if (!err.code) err = clo_abi_decode_as("(bytes)", clo_buf_view(&res), &v);
    if (!err.code) {
        err = clo_buf_append_bytes(out, v.items[0].bytes);
        clo_abi_val_free(&v);
    }
    clo_buf_free(&data);
    clo_buf_free(&res);
    return err;
}

clo_err clo_dcap_platform_calldata(clo_rpc *rpc, const clo_dcap_chain *c, clo_bytes quote,
                                   clo_bytes tcb_info, clo_bytes qe_identity, clo_buf *out)
{
    clo_quote q;
    pck_chain p;
    clo_bytes body;
    uint8_t sig[64];
    clo_buf info, qe;
    CLO_TRY(clo_quote_parse(quote, &q));
    clo_buf_init(&info, 1 << 20);
    clo_buf_init(&qe, 1 << 20);
    clo_err err = chain_of(&q, &p);
    if (!err.code) err = pcs_split(tcb_info, "tcbInfo", &body, sig);
    if (!err.code)
        err = encode_view(rpc, c->collateral, CLO_DCAP_COLLATERAL_ENCODE_TCB_INFO, body, &info);
    if (!err.code) err = pcs_split(qe_identity, "enclaveIdentity", &body, sig);
    if (!err.code)
        err = encode_view(rpc, c->collateral, CLO_DCAP_COLLATERAL_ENCODE_QE_IDENTITY, body, &qe);
    if (!err.code) {
        clo_abi_val parts[6] = {clo_abi_bytes(q.signed_part),
                                clo_abi_bytes(CLO_BYTES(q.signature, 64)),
                                clo_abi_bytes(CLO_BYTES(q.att_key, 64)),
                                clo_abi_bytes(q.qe_report.raw),
                                clo_abi_bytes(CLO_BYTES(q.qe_report_sig, 64)),
                                clo_abi_bytes(q.qe_auth_data)};
        clo_abi_val a[4] = {clo_abi_bytes(clo_buf_view(&p.der[0])), clo_abi_tuple(parts, 6),
                            clo_abi_bytes(clo_buf_view(&info)), clo_abi_bytes(clo_buf_view(&qe))};
        clo_abi_val t = clo_abi_tuple(a, 4);
        err = clo_abi_encode_call(CLO_DCAP_VERIFIER_REGISTER_PLATFORM, &t, out);
    }
    chain_free(&p);
    clo_buf_free(&info);
    clo_buf_free(&qe);
    return err;
}

clo_err clo_dcap_check_enclave(clo_rpc *rpc, const clo_dcap_chain *c, clo_bytes quote,
                               uint64_t *valid_until, char *why, size_t cap)
{
    clo_quote q;
    CLO_TRY(clo_quote_parse(quote, &q));
    clo_abi_val a[3] = {clo_abi_bytes(q.signed_part), clo_abi_bytes(CLO_BYTES(q.signature, 64)),
                        clo_abi_bytes(CLO_BYTES(q.att_key, 64))};
    clo_abi_val t = clo_abi_tuple(a, 3);
    clo_buf data, res, revert;
    clo_buf_init(&data, 1 << 16);
    clo_buf_init(&res, 1 << 16);
    clo_buf_init(&revert, 4096);
    clo_err err = clo_abi_encode_call(CLO_DCAP_VERIFIER_CHECK_ENCLAVE, &t, &data);
    if (!err.code) err = clo_eth_call(rpc, NULL, c->verifier, clo_buf_view(&data), &res, &revert);
    if (err.code && revert.len) {
        clo_abi_revert_text(clo_buf_view(&revert), clo_contract_errors, why, cap);
        err = CLO_ERR(CLO_E_POLICY, "dcap: the verifier refuses the quote");
    }
    clo_abi_val v;
    if (!err.code)
        err = clo_abi_decode_as(CLO_DCAP_VERIFIER_CHECK_ENCLAVE_RET, clo_buf_view(&res), &v);
    if (!err.code) {
        err = clo_abi_get_u64(&v.items[2], valid_until);
        clo_abi_val_free(&v);
    }
    clo_buf_free(&data);
    clo_buf_free(&res);
    clo_buf_free(&revert);
    return err;
}

clo_err clo_dcap_platform_gas(clo_rpc *rpc, const clo_dcap_chain *c, uint64_t *gas)
{
    uint8_t topic0[32];
    uint64_t head = 0;
    clo_eth_log *logs = NULL;
    size_t n = 0;
    clo_keccak256(clo_bytes_str(CLO_DCAP_VERIFIER_EV_PLATFORM_REGISTERED), topic0);
    CLO_TRY(clo_eth_block_number(rpc, &head));
    CLO_TRY(
        clo_eth_get_logs(rpc, c->verifier, (const uint8_t(*)[32])topic0, 1, 0, head, &logs, &n));
    clo_err err = n ? CLO_OK : CLO_ERR(CLO_E_STALE, "dcap: no machine registered");
    if (n) {
        clo_eth_receipt rc = {0};
        err = clo_eth_get_receipt(rpc, logs[n - 1].tx_hash, &rc);
        *gas = rc.gas_used;
        clo_eth_receipt_free(&rc);
    }
    clo_eth_logs_free(logs, n);
    return err;
}

clo_err clo_dcap_attested_calldata(const clo_dcap_attested *a, clo_buf *out)
{
    clo_quote q;
    CLO_TRY(clo_quote_parse(a->quote, &q));
    clo_abi_val f[8] = {clo_abi_address(a->signer),
                        clo_abi_word(a->hpke_pk),
                        clo_abi_uint(a->epoch),
                        clo_abi_uint(a->expiry),
                        clo_abi_word(a->nonce),
                        clo_abi_bytes(q.signed_part),
                        clo_abi_bytes(CLO_BYTES(q.signature, 64)),
                        clo_abi_bytes(CLO_BYTES(q.att_key, 64))};
    clo_abi_val s[2] = {clo_abi_tuple(f, 8)};
    if (!a->previous) {
        clo_abi_val t = clo_abi_tuple(s, 1);
        return clo_abi_encode_call(CLO_ENCLAVE_REGISTRY_REGISTER_ATTESTED, &t, out);
    }
    s[1] = s[0];
    s[0] = clo_abi_address(a->previous);
    clo_abi_val t = clo_abi_tuple(s, 2);
    return clo_abi_encode_call(CLO_ENCLAVE_REGISTRY_ROTATE_ATTESTED, &t, out);
}
