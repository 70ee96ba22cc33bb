/* snpverify.c — the verifier enclave (issue 18): SEV-SNP evidence checked
 * inside this enclave and approved with its own signing key, so that an SNP
 * enclave registers on chain without a committee and without P-384 on chain
 * (EnclaveRegistry.registerVerified; docs/attestation.md "Verifier enclave").
 *
 * The host supplies the report, the VCEK and the time. It cannot make a bad
 * report pass: the chain ends at AMD's built-in ARKs (or, in the simulated
 * TEE only, at the simulated platform's own ARK, whose reports are DEBUG);
 * the report must bind this very approval's operator, signer, HPKE key and
 * epoch to this enclave's chain and registry over a nonce this enclave issued
 * and has not used; the expiry never outlives the VCEK. The host's clock only
 * moves the certificate windows, and a record expiring before the chain's own
 * time is refused by the registry. */
#include <stdio.h>
#include <string.h>

#include "attest/snp.h"
#include "evidence/approval.h"
#include "evidence/binding.h"
#include "evidence/measure.h"
#include "evidence/sim.h"
#include "crypto/keccak.h"
#include "crypto/rand.h"
#include "enclave/runtime_impl.h"

clo_err clo_rt_snp_challenge(clo_enclave *e, clo_bytes body, clo_buf *resp)
{
    CLO_ENSURE(body.len == 0, CLO_E_FORMAT, "snp_challenge: unexpected body");
    CLO_ENSURE(e->initialised, CLO_E_STATE, "snp_challenge: not initialised");
    /* The oldest outstanding challenge gives way. */
    uint8_t *slot = e->snp_challenges[e->snp_next++ % SNP_CHALLENGES];
    CLO_TRY(clo_random(slot, 32));
    return clo_buf_append(resp, slot, 32);
}

clo_err clo_rt_take_challenge(clo_enclave *e, const uint8_t nonce[32])
{
    static const uint8_t zero[32];
    CLO_ENSURE(memcmp(nonce, zero, 32) != 0, CLO_E_AUTH, "challenge: none given");
    for (size_t i = 0; i < SNP_CHALLENGES; i++)
        if (!memcmp(e->snp_challenges[i], nonce, 32)) {
            memset(e->snp_challenges[i], 0, 32);
            return CLO_OK;
        }
    return CLO_ERR(CLO_E_AUTH, "challenge: the nonce is not an outstanding challenge of this "
                               "enclave (ask SNP_CHALLENGE, call 19; each is used once)");
}

/* The host's certificates (each DER, or PEM of one or more), and room for the
 * simulated ASK. */
#define SNP_MAX_PARSED 8
typedef struct {
    clo_x509 *certs[SNP_MAX_PARSED];
    size_t n;
} certs;

static clo_err parse_certs(const clo_bytes *in, size_t n, certs *out)
{
    for (size_t i = 0; i < n; i++) {
        clo_bytes c = in[i];
        size_t got = 1;
        CLO_ENSURE(out->n < SNP_MAX_PARSED - 1, CLO_E_LIMIT, "snp: too many certificates");
        if (c.len && c.ptr[0] == 0x30)
            CLO_TRY(clo_x509_parse(c, &out->certs[out->n]));
        else
            CLO_TRY(clo_x509_parse_pem(c, &out->certs[out->n], SNP_MAX_PARSED - 1 - out->n, &got));
        out->n += got;
    }
    return CLO_OK;
}

static void certs_free(certs *c)
{
    for (size_t i = 0; i < c->n; i++) clo_x509_free(c->certs[i]);
    c->n = 0;
}

/* A report checked with its certificates (the VCEK, maybe the ASK and ARK):
 * the signature and the chain to AMD's built-in ARKs; in the simulated TEE,
 * to its own ARK for certificates its own ASK names as issuer (and only
 * there: a real platform's enclave has no simulated parts). The name only
 * picks the anchor; clo_snp_verify checks every signature under it. Then
 * what a production policy forbids (the simulated platform always sets
 * DEBUG), and VMPL 0. */
static clo_err check_report(clo_enclave *e, const clo_snp_report *r, certs *cs, int64_t now,
                            clo_snp_result *res)
{
    clo_dcap_collateral col;
    memset(&col, 0, sizeof col);
    for (size_t i = 0; i < cs->n; i++) col.certs[col.ncerts++] = cs->certs[i];
    const clo_sim *sim = clo_tee_sim(e->tee);
    int simulated = 0;
    for (size_t i = 0; sim && i < cs->n; i++)
        if (clo_x509_names_issuer(cs->certs[i], sim->ask)) simulated = 1;
    if (simulated) col.certs[col.ncerts++] = sim->ask;
    clo_snp_opts o = {now, simulated ? sim->ark : NULL};
    CLO_TRY(clo_snp_verify(r, &col, &o, res));
    CLO_ENSURE(simulated || !(r->policy & CLO_SNP_POLICY_DEBUG), CLO_E_POLICY,
               "snp: the guest policy allows debugging");
    CLO_ENSURE(!(r->policy & CLO_SNP_POLICY_MIGRATE_MA), CLO_E_POLICY,
               "snp: the guest policy allows a migration agent");
    CLO_ENSURE(r->vmpl == 0, CLO_E_POLICY, "snp: the report is not from VMPL 0");
    return CLO_OK;
}

clo_err clo_rt_snp_check(clo_enclave *e, clo_bytes report, const clo_bytes *certs_in, size_t n,
                         int64_t now, clo_snp_report *r)
{
    certs cs = {{0}, 0};
    clo_snp_result res;
    clo_err err = clo_snp_report_parse(report, r);
    if (!err.code) err = parse_certs(certs_in, n, &cs);
    if (!err.code) err = check_report(e, r, &cs, now, &res);
    certs_free(&cs);
    return err;
}

static clo_err approve(clo_enclave *e, const clo_proto_snp_approve *in, int64_t now,
                       const clo_epoch *ep, certs *cs, clo_proto_snp_approval *out)
{
    clo_snp_report r;
    clo_snp_result res;
    CLO_TRY(clo_snp_report_parse(in->report, &r));
    CLO_TRY(parse_certs(in->certs, in->ncerts, cs));
    CLO_TRY(check_report(e, &r, cs, now, &res));

    /* The binding: this approval's keys, for this enclave's chain and registry. */
    clo_key_binding b;
    uint8_t want[64];
    memcpy(b.operator_addr, in->operator_addr, 20);
    memcpy(b.signer, in->signer, 20);
    memcpy(b.hpke_pk, in->hpke_pk, 32);
    b.epoch = in->epoch;
    b.chain_id = e->cfg.chain_id;
    memcpy(b.registry, e->cfg.registry, 20);
    memcpy(b.nonce, in->nonce, 32);
    clo_report_data(&b, want);
    CLO_ENSURE(!memcmp(want, r.report_data, 64), CLO_E_POLICY,
               "snp_approve: REPORT_DATA does not bind this operator, signer, HPKE key, epoch, "
               "chain, registry and nonce");

    int64_t until = res.vcek_not_after;
    CLO_ENSURE((int64_t)in->expiry > now, CLO_E_POLICY, "snp_approve: expiry is in the past");
    CLO_ENSURE(until > now, CLO_E_STALE, "snp_approve: VCEK expired");
    clo_approval a;
    memset(&a, 0, sizeof a);
    memcpy(a.operator_addr, in->operator_addr, 20);
    a.tee_type = CLO_TEE_SNP;
    clo_measure_registered_snp(r.measurement, r.host_data, a.measurement);
    memcpy(a.signer, in->signer, 20);
    memcpy(a.hpke_key, in->hpke_pk, 32);
    a.epoch = in->epoch;
    a.expiry = (int64_t)in->expiry < until ? in->expiry : (uint64_t)until;
    clo_keccak256(in->report, a.evidence_digest);

    memset(out, 0, sizeof *out);
    out->tee_type = a.tee_type;
    memcpy(out->measurement, a.measurement, 32);
    out->expiry = a.expiry;
    memcpy(out->evidence_digest, a.evidence_digest, 32);
    out->vcek_not_after = (uint64_t)until;
    snprintf(out->product, sizeof out->product, "%s", res.product);
    /* Last: a refused request leaves its challenge usable. */
    CLO_TRY(clo_rt_take_challenge(e, in->nonce));
    return clo_approval_sign(&a, e->cfg.chain_id, e->cfg.registry, ep->signer, out->sig);
}

clo_err clo_rt_snp_approve(clo_enclave *e, clo_bytes body, int64_t now, clo_buf *resp)
{
    clo_proto_snp_approve in;
    clo_proto_snp_approval out;
    const clo_epoch *ep = clo_keyring_current(&e->keys);
    CLO_ENSURE(e->initialised, CLO_E_STATE, "snp_approve: not initialised");
    CLO_ENSURE(ep, CLO_E_STATE, "snp_approve: no epoch keys yet (rotate first)");
    CLO_TRY(clo_proto_snp_approve_decode(body, &in));
    certs cs = {{0}, 0};
    clo_err err = approve(e, &in, now, ep, &cs, &out);
    certs_free(&cs);
    CLO_TRY(err);
    return clo_proto_snp_approval_encode(&out, resp);
}
