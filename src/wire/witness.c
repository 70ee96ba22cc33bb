/* witness.c — state-version messages and the committee's signatures on them. */
#include "wire/witness.h"

#include <string.h>

#include "crypto/eip712.h"
#include "crypto/ethkey.h"

void clo_state_digest(clo_state_msg kind, const uint8_t lineage[20], uint64_t version,
                      const uint8_t nonce[32], uint64_t chain_id, const uint8_t market[20],
                      uint8_t out[32])
{
    static const char *const types[] = {CLO_STATE_EXPORT_TYPE, CLO_STATE_RECORDED_TYPE,
                                        CLO_STATE_LATEST_TYPE};
    uint8_t th[32], w[3][32], hs[32], ds[32];
    clo_eip712_type_hash(types[kind], th);
    clo_eip712_word_address(lineage, w[0]);
    clo_eip712_word_uint(version, w[1]);
    size_t n = 2;
    if (kind == CLO_STATE_LATEST) memcpy(w[n++], nonce, 32);
    clo_eip712_hash_struct(th, (const uint8_t(*)[32])w, n, hs);
    clo_eip712_domain d = {"Cloister", "1", chain_id, {0}};
    memcpy(d.verifying_contract, market, 20);
    clo_eip712_domain_separator(&d, ds);
    clo_eip712_digest(ds, hs, out);
}

void clo_state_header_encode(const clo_state_header *h, uint8_t out[CLO_STATE_HEADER_SIZE])
{
    out[0] = h->format;
    out[1] = h->backend;
    memcpy(out + 2, h->measurement, 48);
    memcpy(out + 50, h->lineage, 20);
    clo_store_u64be(out + 70, h->version);
    memcpy(out + 78, h->nonce, 12);
}

clo_err clo_state_header_decode(clo_bytes state, clo_state_header *out)
{
    clo_cur c = clo_cur_init(state);
    CLO_ENSURE(state.len >= CLO_STATE_HEADER_SIZE, CLO_E_FORMAT, "state: shorter than its header");
    CLO_TRY(clo_cur_u8(&c, &out->format));
    CLO_TRY(clo_cur_u8(&c, &out->backend));
    CLO_TRY(clo_cur_copy(&c, out->measurement, 48));
    CLO_TRY(clo_cur_copy(&c, out->lineage, 20));
    CLO_TRY(clo_cur_u64be(&c, &out->version));
    return clo_cur_copy(&c, out->nonce, 12);
}

size_t clo_state_read_quorum(const clo_committee *c)
{
    /* Recorded by `threshold`, of whom up to threshold - 1 may side with the
     * host: only asking every member reaches one honest recorder for sure. */
    return c->count;
}

clo_err clo_committee_signer(const clo_committee *c, const uint8_t digest[32],
                             const uint8_t sig[65], const char *what, size_t *member)
{
    uint8_t who[20];
    CLO_TRY(clo_eth_signer(digest, sig, what, who));
    for (size_t m = 0; m < c->count; m++)
        if (!memcmp(c->members[m], who, 20)) {
            *member = m;
            return CLO_OK;
        }
    return CLO_ERR(CLO_E_AUTH, what);
}
