/* share.c — SHARE_BEGIN, SHARE_GIVE, SHARE_TAKE: an enclave hands its epochs'
 * HPKE keys to another enclave of the same measurement (issue 21; docs/formats.md
 * §3), so that a request sealed to the epoch key opens in either, and a
 * restarted TDX/SNP enclave, which has no sealed state, gets its keys back.
 *
 *   taker  SHARE_BEGIN(giver's nonce): a fresh transport key, and evidence
 *          whose report data binds it and the taker's current signer (zero
 *          when it holds no keys: the giver's node checks that signer's
 *          registry record) to the nonce
 *   giver  SHARE_GIVE: the evidence verified inside this enclave (a TDX
 *          quote by DCAP: the PCK chain to Intel's root, or in the simulated
 *          TEE to its own simulated root; the QE report; the quote's
 *          signature; TCB when the host passes collateral; an SEV-SNP report
 *          by its VCEK, which the host passes, to AMD's ARKs or the simulated
 *          ARK), its identity (TDX: MRTD, RTMR0-3, MRCONFIGID, MROWNER,
 *          MROWNERCONFIG, TD attributes, XFAM; SNP: MEASUREMENT, HOST_DATA,
 *          policy, family and image ids, guest SVN) equal to this enclave's own, the binding, the
 * nonce taken last; then the epochs' HPKE keys (never the signers) sealed to the transport key and
 * this enclave's own quote, whose report data binds what it sealed and its current signer to the
 * taker's transport key and nonce (the taker's node checks that signer's registry record) taker
 * SHARE_TAKE: the giver's quote verified as above (identity equal to its own, the binding): anyone
 * can seal to a transport key, so keys come only from a copy of itself, never from the host; then
 *          opened with the transport key, installed as its epochs,
 *          each with a signer of its own; a taker takes again to catch up the
 *          giver's later epochs (the ones it holds keep their signers), and
 *          never makes epochs of its own, so that an epoch number names one
 *          key in every enclave that holds it
 *
 * Same measurement means same code and same INIT configuration (chain,
 * registry, market, committee: RTMR3), so the giver hands its keys only to a
 * copy of itself, and the taker takes keys only from one. The host carries
 * the bytes and can only withhold them. */
#include <string.h>

#include "attest/dcap.h"
#include "base/ct.h"
#include "crypto/hpke.h"
#include "crypto/keccak.h"
#include "enclave/runtime_impl.h"
#include "evidence/quote.h"

#define SHARE_DOMAIN "cloister/share/v1"

static const clo_hpke_suite suite = {CLO_HPKE_KEM_X25519_SHA256, CLO_HPKE_KDF_HKDF_SHA256,
                                     CLO_HPKE_AEAD_CHACHA20POLY1305};

/* report_data = keccak256(domain || transport_pk || nonce || signer) || 32
 * zero bytes; signer: the taker's current one, zero with no keys. */
static void binding(const uint8_t pk[32], const uint8_t nonce[32], const uint8_t signer[20],
                    uint8_t rd[64])
{
    clo_keccak_ctx k;
    clo_keccak256_init(&k);
    clo_keccak256_update(&k, clo_bytes_str(SHARE_DOMAIN));
    clo_keccak256_update(&k, CLO_BYTES(pk, 32));
    clo_keccak256_update(&k, CLO_BYTES(nonce, 32));
    clo_keccak256_update(&k, CLO_BYTES(signer, 20));
    clo_keccak256_final(&k, rd);
    memset(rd + 32, 0, 32);
}

static void info_of(const uint8_t nonce[32], uint8_t out[sizeof SHARE_DOMAIN - 1 + 32])
{
    memcpy(out, SHARE_DOMAIN, sizeof SHARE_DOMAIN - 1);
    memcpy(out + sizeof SHARE_DOMAIN - 1, nonce, 32);
}

clo_err clo_rt_share_begin(clo_enclave *e, clo_bytes body, clo_buf *resp)
{
    CLO_ENSURE(body.len == 32, CLO_E_FORMAT, "share_begin: the giver's nonce[32]");
    clo_x25519_key_free(e->share_key);
    e->share_key = NULL;
    CLO_TRY(clo_x25519_key_new(&e->share_key, NULL));
    memcpy(e->share_nonce, body.ptr, 32);
    clo_proto_share_hello h;
    memset(&h, 0, sizeof h);
    memcpy(h.transport_pk, clo_x25519_key_public(e->share_key), 32);
    if (e->keys.count) memcpy(h.signer, e->keys.e[e->keys.count - 1].signer_addr, 20);
    uint8_t rd[64];
    binding(h.transport_pk, e->share_nonce, h.signer, rd);
    clo_buf ev;
    clo_buf_init(&ev, 1 << 16);
    clo_evidence_format fmt;
    clo_err err = clo_tee_evidence(e->tee, rd, &ev, &fmt);
    if (!err.code) {
        h.format = (uint8_t)fmt;
        h.evidence = clo_buf_view(&ev);
        err = clo_proto_share_hello_encode(&h, resp);
    }
    clo_buf_free(&ev);
    return err;
}

/* The fields that make a TD what it is; equal in both, or no keys. */
static int same_td(const clo_td_report *a, const clo_td_report *b)
{
    int same = !memcmp(a->mrtd, b->mrtd, 48) && !memcmp(a->mrconfigid, b->mrconfigid, 48) &&
               !memcmp(a->mrowner, b->mrowner, 48) &&
               !memcmp(a->mrownerconfig, b->mrownerconfig, 48) &&
               !memcmp(a->td_attributes, b->td_attributes, 8) && !memcmp(a->xfam, b->xfam, 8);
    for (int i = 0; i < 4; i++) same &= !memcmp(a->rtmr[i], b->rtmr[i], 48);
    return same;
}

/* What a check of the other enclave's quote says when it fails: as giver
 * (the taker's quote) or as taker (the giver's). */
typedef struct {
    const char *format, *own_format, *tcb, *identity, *binding;
} peer_msgs;
static const peer_msgs as_giver = {
    "share_give: TDX quotes or SEV-SNP reports only (the simulated TEE's included)",
    "share_give: this enclave's own evidence is of another kind",
    "share_give: the peer's platform TCB is not up to date",
    "share_give: the peer is not an enclave of this measurement",
    "share_give: the evidence does not bind this transport key and nonce"};
static const peer_msgs as_taker = {
    "share_take: TDX quotes or SEV-SNP reports only (the simulated TEE's included)",
    "share_take: this enclave's own evidence is of another kind",
    "share_take: the giver's platform TCB is not up to date",
    "share_take: the giver is not an enclave of this measurement",
    "share_take: the giver's evidence does not bind these keys to this transport key and nonce"};

/* The other enclave's SEV-SNP report, checked: its VCEK's chain and policy
 * (clo_rt_snp_check), the launch identity (MEASUREMENT, HOST_DATA, which
 * binds the INIT configuration, policy, family and image ids, guest SVN)
 * equal to this enclave's own, REPORT_DATA equal to rd. */
static clo_err check_peer_snp(clo_enclave *e, clo_bytes evidence, const clo_bytes *parts,
                              size_t nparts, const uint8_t rd[64], int64_t now, const peer_msgs *m)
{
    static const uint8_t zero[64];
    clo_snp_report peer, self;
    clo_evidence_format fmt;
    clo_buf own;
    clo_buf_init(&own, 1 << 14);
    clo_err err = CLO_OK;
    CLO_CHECK(clo_tee_evidence(e->tee, zero, &own, &fmt));
    CLO_FAIL_IF(fmt != CLO_EVIDENCE_SNP_REPORT, CLO_E_UNSUPPORTED, m->own_format);
    CLO_CHECK(clo_snp_report_parse(clo_buf_view(&own), &self));
    CLO_CHECK(clo_rt_snp_check(e, evidence, parts, nparts, now, &peer));
    int same = !memcmp(peer.measurement, self.measurement, 48) &&
               !memcmp(peer.host_data, self.host_data, 32) && peer.policy == self.policy &&
               !memcmp(peer.family_id, self.family_id, 16) &&
               !memcmp(peer.image_id, self.image_id, 16) && peer.guest_svn == self.guest_svn;
    CLO_FAIL_IF(!same, CLO_E_POLICY, m->identity);
    CLO_FAIL_IF(memcmp(peer.report_data, rd, 64) != 0, CLO_E_AUTH, m->binding);
out:
    clo_buf_free(&own);
    return err;
}

/* The other enclave's quote, checked: DCAP, identity equal to this
 * enclave's own, report data equal to rd. */
static clo_err check_peer(clo_enclave *e, uint8_t format, clo_bytes evidence,
                          const clo_bytes *parts, size_t nparts, const uint8_t rd[64], int64_t now,
                          const peer_msgs *m)
{
    if (format == CLO_EVIDENCE_SNP_REPORT)
        return check_peer_snp(e, evidence, parts, nparts, rd, now, m);
    clo_err err = CLO_OK;
    clo_quote peer, self;
    clo_buf own;
    clo_dcap_collateral col;
    clo_dcap_result res;
    clo_evidence_format fmt;
    static const uint8_t zero[64];
    clo_buf_init(&own, 1 << 16);
    clo_dcap_collateral_init(&col);
    CLO_FAIL_IF(format != CLO_EVIDENCE_TDX_QUOTE, CLO_E_UNSUPPORTED, m->format);
    CLO_CHECK(clo_tee_evidence(e->tee, zero, &own, &fmt));
    CLO_FAIL_IF(fmt != CLO_EVIDENCE_TDX_QUOTE, CLO_E_UNSUPPORTED, m->own_format);
    CLO_CHECK(clo_quote_parse(clo_buf_view(&own), &self));
    CLO_CHECK(clo_quote_parse(evidence, &peer));
    for (size_t i = 0; i < nparts; i++) CLO_CHECK(clo_dcap_collateral_add(&col, parts[i]));
    /* The anchor: Intel's root; in the simulated TEE, its own simulated root
     * (a real platform's enclave has no simulated parts). */
    const clo_sim *sim = clo_tee_sim(e->tee);
    clo_dcap_opts o = {now, sim ? sim->root : NULL};
    CLO_CHECK(clo_dcap_verify(&peer, &col, &o, &res));
    CLO_FAIL_IF(res.tcb_evaluated && res.tcb_status != CLO_TCB_UP_TO_DATE, CLO_E_POLICY, m->tcb);
    CLO_FAIL_IF(!same_td(&peer.td, &self.td), CLO_E_POLICY, m->identity);
    CLO_FAIL_IF(memcmp(peer.td.report_data, rd, 64) != 0, CLO_E_AUTH, m->binding);
out:
    clo_dcap_collateral_free(&col);
    clo_buf_free(&own);
    return err;
}

/* The giver's report data: keccak256(domain "/give" || transport_pk || nonce
 * || keccak256(sealed) || the giver's signer) || 32 zero bytes. */
static void give_binding(const uint8_t pk[32], const uint8_t nonce[32], clo_bytes sealed,
                         const uint8_t signer[20], uint8_t rd[64])
{
    uint8_t h[32];
    clo_keccak256(sealed, h);
    clo_keccak_ctx k;
    clo_keccak256_init(&k);
    clo_keccak256_update(&k, clo_bytes_str(SHARE_DOMAIN "/give"));
    clo_keccak256_update(&k, CLO_BYTES(pk, 32));
    clo_keccak256_update(&k, CLO_BYTES(nonce, 32));
    clo_keccak256_update(&k, CLO_BYTES(h, 32));
    clo_keccak256_update(&k, CLO_BYTES(signer, 20));
    clo_keccak256_final(&k, rd);
    memset(rd + 32, 0, 32);
}

clo_err clo_rt_share_give(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp)
{
    clo_proto_share_give g;
    uint8_t rd[64];
    CLO_TRY(clo_proto_share_give_decode(body, &g));
    clo_keyring_expire(&e->keys, now);
    CLO_ENSURE(e->keys.count > 0, CLO_E_STATE, "share_give: no keys to share yet");
    binding(g.transport_pk, g.nonce, g.signer, rd);
    CLO_TRY(check_peer(e, g.format, g.evidence, g.parts, g.nparts, rd, now, &as_giver));
    CLO_TRY(clo_rt_take_challenge(e, g.nonce)); /* last: a refusal keeps it */
    clo_buf keys, sealed, ev;
    clo_buf_init(&keys, 4096);
    clo_buf_init(&sealed, 4096);
    clo_buf_init(&ev, 1 << 16);
    uint8_t info[sizeof SHARE_DOMAIN - 1 + 32], *enc = NULL;
    info_of(g.nonce, info);
    clo_err err = clo_keyring_encode_shared(&e->keys, &keys);
    if (!err.code) err = clo_buf_extend(&sealed, CLO_HPKE_ENC_SIZE + keys.len + 16, &enc);
    if (!err.code)
        err =
            clo_hpke_seal_base(suite, g.transport_pk, CLO_BYTES(info, sizeof info), CLO_BYTES_EMPTY,
                               clo_buf_view(&keys), enc, enc + CLO_HPKE_ENC_SIZE);
    clo_wipe(keys.ptr, keys.len);
    clo_buf_free(&keys);
    /* This enclave's own quote over what it sealed: the taker takes keys only
     * from an enclave of its measurement (anyone can seal to its key). */
    clo_evidence_format fmt = CLO_EVIDENCE_TDX_QUOTE;
    clo_proto_share_keys k;
    memset(&k, 0, sizeof k);
    memcpy(k.signer, e->keys.e[e->keys.count - 1].signer_addr, 20);
    if (!err.code) {
        give_binding(g.transport_pk, g.nonce, clo_buf_view(&sealed), k.signer, rd);
        err = clo_tee_evidence(e->tee, rd, &ev, &fmt);
    }
    if (!err.code) {
        k.sealed = clo_buf_view(&sealed);
        k.format = (uint8_t)fmt;
        k.evidence = clo_buf_view(&ev);
        err = clo_proto_share_keys_encode(&k, resp);
    }
    clo_buf_free(&sealed);
    clo_buf_free(&ev);
    return err;
}

clo_err clo_rt_share_take(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp)
{
    CLO_ENSURE(e->share_key, CLO_E_STATE, "share_take: no SHARE_BEGIN before it");
    clo_proto_share_keys k;
    uint8_t rd[64];
    CLO_TRY(clo_proto_share_keys_decode(body, &k));
    CLO_ENSURE(k.sealed.len > CLO_HPKE_ENC_SIZE + 16, CLO_E_FORMAT, "share_take: sealed keys");
    give_binding(clo_x25519_key_public(e->share_key), e->share_nonce, k.sealed, k.signer, rd);
    CLO_TRY(check_peer(e, k.format, k.evidence, k.parts, k.nparts, rd, now, &as_taker));
    uint8_t info[sizeof SHARE_DOMAIN - 1 + 32];
    info_of(e->share_nonce, info);
    clo_buf plain;
    clo_buf_init(&plain, 4096);
    uint8_t *pt = NULL;
    size_t n = k.sealed.len - CLO_HPKE_ENC_SIZE - 16;
    clo_err err = clo_buf_extend(&plain, n, &pt);
    if (!err.code &&
        clo_hpke_open_base(
            suite, e->share_key, k.sealed.ptr, CLO_BYTES(info, sizeof info), CLO_BYTES_EMPTY,
            CLO_BYTES(k.sealed.ptr + CLO_HPKE_ENC_SIZE, k.sealed.len - CLO_HPKE_ENC_SIZE), pt)
            .code)
        err = CLO_ERR(CLO_E_AUTH, "share_take: the keys do not open (another transport key)");
    clo_cur c = clo_cur_init(clo_buf_view(&plain));
    if (!err.code) err = clo_keyring_take_shared(&e->keys, &c);
    clo_wipe(plain.ptr, plain.len);
    clo_buf_free(&plain);
    CLO_TRY(err);
    clo_x25519_key_free(e->share_key);
    e->share_key = NULL;
    return clo_rt_keys(e, resp);
}
