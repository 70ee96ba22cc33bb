/* ticket.c — JobTickets (EIP-712) and the committee that signs them. */
#include "wire/ticket.h"

#include <string.h>

#include "crypto/eip712.h"
#include "crypto/ethkey.h"
#include "crypto/keccak.h"

void clo_ticket_spec(const uint8_t workload_id[32], const uint8_t config_hash[32],
                     const uint8_t input_hash[32], const uint8_t consumer[20], uint8_t out[32])
{
    uint8_t pre[128] = {0};
    memcpy(pre, workload_id, 32);
    memcpy(pre + 32, config_hash, 32);
    memcpy(pre + 64, input_hash, 32);
    memcpy(pre + 108, consumer, 20);
    clo_keccak256(CLO_BYTES(pre, sizeof pre), out);
}

void clo_ticket_api_job_id(uint64_t chain_id, const uint8_t market[20], const uint8_t requester[20],
                           const uint8_t client_nonce[32], uint8_t out[32])
{
    uint8_t pre[160] = {0};
    clo_store_u64be(pre + 24, chain_id);
    memcpy(pre + 44, market, 20);
    memcpy(pre + 108, requester, 20);
    memcpy(pre + 128, client_nonce, 32);
    clo_keccak256(CLO_BYTES(pre, sizeof pre), out);
}

void clo_ticket_digest(const clo_ticket *t, uint64_t chain_id, const uint8_t market[20],
                       uint8_t out[32])
{
    uint8_t th[32], w[6][32], hs[32], ds[32];
    clo_eip712_type_hash(CLO_TICKET_TYPE, th);
    memcpy(w[0], t->job_id, 32);
    memcpy(w[1], t->spec, 32);
    clo_eip712_word_uint(t->deadline, w[2]);
    clo_eip712_word_uint(t->issued_at, w[3]);
    clo_eip712_word_address(t->requester, w[4]);
    memcpy(w[5], t->client_nonce, 32);
    clo_eip712_hash_struct(th, (const uint8_t(*)[32])w, 6, hs);
    clo_eip712_domain d = {"Cloister", "1", chain_id, {0}};
    memcpy(d.verifying_contract, market, 20);
    clo_eip712_domain_separator(&d, ds);
    clo_eip712_digest(ds, hs, out);
}

clo_err clo_ticket_sign(const clo_ticket *t, uint64_t chain_id, const uint8_t market[20],
                        const clo_secret32 *sk, uint8_t sig[65])
{
    uint8_t digest[32];
    clo_ticket_digest(t, chain_id, market, digest);
    return clo_eth_sign(sk, digest, sig);
}

clo_err clo_ticket_signer(const clo_ticket *t, uint64_t chain_id, const uint8_t market[20],
                          const uint8_t sig[65], uint8_t signer[20])
{
    uint8_t digest[32];
    clo_ticket_digest(t, chain_id, market, digest);
    return clo_eth_signer(digest, sig, "ticket.signature.v", signer);
}

clo_err clo_committee_hash(const clo_committee *c, uint8_t out[32])
{
    uint8_t buf[2 + CLO_COMMITTEE_MAX * 20];
    CLO_ENSURE(c->count <= CLO_COMMITTEE_MAX, CLO_E_LIMIT, "committee: more than 16 members");
    CLO_ENSURE(c->threshold <= c->count && (c->count == 0) == (c->threshold == 0), CLO_E_FORMAT,
               "committee: threshold must be 1..members (0 only with no members)");
    for (size_t i = 1; i < c->count; i++)
        CLO_ENSURE(memcmp(c->members[i - 1], c->members[i], 20) < 0, CLO_E_FORMAT,
                   "committee: members must be strictly ascending");
    buf[0] = c->threshold;
    buf[1] = (uint8_t)c->count;
    memcpy(buf + 2, c->members, c->count * 20);
    clo_keccak256(CLO_BYTES(buf, 2 + c->count * 20), out);
    return CLO_OK;
}
