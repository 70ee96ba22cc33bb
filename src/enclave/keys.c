/* keys.c — epoch keys: generation, rotation, grace and wiping. */
#include "enclave/keys.h"

#include <string.h>

#include "base/ct.h"
#include "crypto/ethkey.h"
#include "crypto/secp256k1.h"

void clo_keyring_init(clo_keyring *k, uint32_t grace_seconds)
{
    memset(k, 0, sizeof *k);
    k->grace_seconds = grace_seconds;
}

static void epoch_wipe(clo_epoch *e)
{
    clo_x25519_key_free(e->hpke);
    clo_secret_free(e->signer);
    clo_wipe(e, sizeof *e);
}

/* Build an epoch from private keys (hpke_sk NULL / signer NULL: fresh ones). */
static clo_err epoch_make(clo_epoch *e, uint32_t epoch, int64_t created, int64_t retire_at,
                          const uint8_t *hpke_sk, const uint8_t *signer_sk)
{
    clo_err err = CLO_OK;
    memset(e, 0, sizeof *e);
    e->epoch = epoch;
    e->created = created;
    e->retire_at = retire_at;
    e->signer = clo_secret_alloc(sizeof *e->signer);
    CLO_FAIL_IF(!e->signer, CLO_E_NOMEM, "keys.signer");
    if (signer_sk)
        memcpy(e->signer->b, signer_sk, 32);
    else
        CLO_CHECK(clo_secp256k1_keygen(e->signer));
    CLO_CHECK(clo_eth_key_address(e->signer, e->signer_addr));
    CLO_CHECK(clo_x25519_key_new(&e->hpke, hpke_sk));
    memcpy(e->hpke_pk, clo_x25519_key_public(e->hpke), 32);
out:
    if (err.code) epoch_wipe(e);
    return err;
}

clo_err clo_keyring_rotate(clo_keyring *k, int64_t now)
{
    clo_keyring_expire(k, now);
    CLO_ENSURE(k->count < CLO_KEYS_MAX_EPOCHS, CLO_E_LIMIT, "keys: too many epochs in grace");
    CLO_ENSURE(k->last_epoch < UINT32_MAX, CLO_E_LIMIT, "keys: epoch counter exhausted");
    clo_epoch next;
    CLO_TRY(epoch_make(&next, k->last_epoch + 1, now, 0, NULL, NULL));
    if (k->count) k->e[k->count - 1].retire_at = now + (int64_t)k->grace_seconds;
    k->e[k->count++] = next;
    k->last_epoch = next.epoch;
    clo_wipe(&next, sizeof next);
    return CLO_OK;
}

void clo_keyring_expire(clo_keyring *k, int64_t now)
{
    size_t keep = 0;
    for (size_t i = 0; i < k->count; i++) {
        clo_epoch *e = &k->e[i];
        if (e->retire_at != 0 && e->retire_at <= now)
            epoch_wipe(e);
        else
            k->e[keep++] = *e;
    }
    for (size_t i = keep; i < k->count; i++) clo_wipe(&k->e[i], sizeof k->e[i]);
    k->count = keep;
}

const clo_epoch *clo_keyring_current(const clo_keyring *k)
{
    return k->count ? &k->e[k->count - 1] : NULL;
}

clo_err clo_keyring_find(const clo_keyring *k, uint32_t epoch, const clo_epoch **out)
{
    for (size_t i = 0; i < k->count; i++)
        if (k->e[i].epoch == epoch) {
            *out = &k->e[i];
            return CLO_OK;
        }
    CLO_ENSURE(epoch == 0 || epoch > k->last_epoch, CLO_E_STALE, "epoch expired");
    return CLO_ERR(CLO_E_STALE, "epoch unknown");
}

void clo_keyring_wipe(clo_keyring *k)
{
    for (size_t i = 0; i < k->count; i++) epoch_wipe(&k->e[i]);
    k->count = 0;
}

/* with_signers: the sealed state's form; without: the shared form, each
 * epoch's signer made here. */
static clo_err encode(const clo_keyring *k, int with_signers, clo_buf *out)
{
    uint8_t sk[32];
    clo_err err = CLO_OK;
    CLO_CHECK(clo_buf_u32be(out, k->last_epoch));
    CLO_CHECK(clo_buf_u8(out, (uint8_t)k->count));
    for (size_t i = 0; i < k->count; i++) {
        const clo_epoch *e = &k->e[i];
        CLO_CHECK(clo_buf_u32be(out, e->epoch));
        CLO_CHECK(clo_buf_u64be(out, (uint64_t)e->created));
        CLO_CHECK(clo_buf_u64be(out, (uint64_t)e->retire_at));
        clo_x25519_key_private(e->hpke, sk);
        CLO_CHECK(clo_buf_append(out, sk, 32));
        if (with_signers) CLO_CHECK(clo_buf_append(out, e->signer->b, 32));
    }
out:
    clo_wipe(sk, sizeof sk);
    return err;
}

static clo_err decode(clo_keyring *k, int with_signers, clo_cur *c)
{
    clo_keyring next;
    clo_err err = CLO_OK;
    uint8_t count;
    clo_keyring_init(&next, k->grace_seconds);
    CLO_CHECK(clo_cur_u32be(c, &next.last_epoch));
    CLO_CHECK(clo_cur_u8(c, &count));
    CLO_FAIL_IF(count > CLO_KEYS_MAX_EPOCHS, CLO_E_LIMIT, "state.keys.count");
    for (size_t i = 0; i < count; i++) {
        uint32_t epoch;
        uint64_t created, retire;
        clo_bytes hsk, ssk = CLO_BYTES_EMPTY;
        CLO_CHECK(clo_cur_u32be(c, &epoch));
        CLO_CHECK(clo_cur_u64be(c, &created));
        CLO_CHECK(clo_cur_u64be(c, &retire));
        CLO_CHECK(clo_cur_take(c, 32, &hsk));
        if (with_signers) CLO_CHECK(clo_cur_take(c, 32, &ssk));
        CLO_FAIL_IF(epoch == 0 || epoch > next.last_epoch || (i && epoch <= next.e[i - 1].epoch),
                    CLO_E_FORMAT, "state.keys.epoch");
        CLO_FAIL_IF((retire == 0) != (i + 1 == count), CLO_E_FORMAT, "state.keys.retire_at");
        CLO_CHECK(epoch_make(&next.e[i], epoch, (int64_t)created, (int64_t)retire, hsk.ptr,
                             with_signers ? ssk.ptr : NULL));
        next.count = i + 1;
    }
    clo_keyring_wipe(k);
    *k = next;
    return CLO_OK;
out:
    clo_keyring_wipe(&next);
    return err;
}

clo_err clo_keyring_encode(const clo_keyring *k, clo_buf *out)
{
    return encode(k, 1, out);
}

clo_err clo_keyring_decode(clo_keyring *k, clo_cur *c)
{
    return decode(k, 1, c);
}

clo_err clo_keyring_encode_shared(const clo_keyring *k, clo_buf *out)
{
    return encode(k, 0, out);
}

static clo_epoch *find_epoch(clo_keyring *k, uint32_t epoch)
{
    for (size_t i = 0; i < k->count; i++)
        if (k->e[i].epoch == epoch) return &k->e[i];
    return NULL;
}

clo_err clo_keyring_take_shared(clo_keyring *k, clo_cur *c)
{
    clo_keyring in;
    clo_err err = CLO_OK;
    clo_keyring_init(&in, k->grace_seconds);
    CLO_TRY(decode(&in, 0, c));
    CLO_CHECK(clo_cur_end(c));
    CLO_FAIL_IF(in.count == 0, CLO_E_FORMAT, "share: no epochs");
    CLO_FAIL_IF(in.last_epoch < k->last_epoch, CLO_E_STALE,
                "share: the giver's keys are older than this enclave's");
    /* The lineage: every epoch this enclave holds that the giver still holds
     * is the giver's; one the giver no longer holds must be older than all of
     * the giver's (retired there). */
    for (size_t i = 0; i < k->count; i++) {
        clo_epoch *mine = &k->e[i], *theirs = find_epoch(&in, mine->epoch);
        CLO_FAIL_IF(theirs ? memcmp(theirs->hpke_pk, mine->hpke_pk, 32) != 0
                           : mine->epoch > in.e[0].epoch,
                    CLO_E_POLICY,
                    "share: this enclave's keys are not the giver's (it made keys of its own)");
    }
    /* Epochs held already keep their signers: their records stay good. */
    for (size_t i = 0; i < in.count; i++) {
        clo_epoch *mine = find_epoch(k, in.e[i].epoch);
        if (!mine) continue;
        clo_secret32 *fresh = in.e[i].signer;
        in.e[i].signer = mine->signer;
        memcpy(in.e[i].signer_addr, mine->signer_addr, 20);
        mine->signer = fresh;
    }
    clo_keyring_wipe(k);
    *k = in;
    return CLO_OK;
out:
    clo_keyring_wipe(&in);
    return err;
}
