/* sender.c — nonces, fees, estimation, journaling, broadcast, receipts. */
#include "chain/sender.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/ct.h"
#include "base/hex.h"
#include "chain/tx.h"
#include "crypto/ethkey.h"

clo_err clo_sender_init(clo_sender *s, clo_rpc *rpc, const clo_secret32 *sk)
{
    memset(s, 0, sizeof *s);
    s->rpc = rpc;
    s->key = *sk;
    s->gas_margin_pct = 20;
    CLO_TRY(clo_eth_key_address(&s->key, s->address));
    CLO_TRY(clo_eth_chain_id(rpc, &s->chain_id));
    return clo_eth_nonce(rpc, s->address, "pending", &s->next_nonce);
}

void clo_sender_wipe(clo_sender *s)
{
    clo_wipe(&s->key, sizeof s->key);
}

/* The node already has this exact transaction: not an error for a rebroadcast. */
static int already_known(clo_rpc *rpc)
{
    const char *m = clo_rpc_last_error(rpc)->message;
    return strstr(m, "already known") || strstr(m, "already imported") || strstr(m, "AlreadyKnown");
}

clo_err clo_sender_send(clo_sender *s, const uint8_t *to, const uint8_t *value, clo_bytes data,
                        uint64_t gas_limit, clo_sent *out, clo_buf *revert)
{
    clo_tx tx = {.type = CLO_TX_1559, .chain_id = s->chain_id, .data = data};
    uint64_t chain_nonce;
    if (to) {
        tx.has_to = 1;
        memcpy(tx.to, to, 20);
    }
    if (value) memcpy(tx.value, value, 32);
    if (!gas_limit) {
        CLO_TRY(clo_eth_estimate_gas(s->rpc, s->address, to, value, data, &gas_limit, revert));
        CLO_ENSURE(gas_limit <= CLO_TX_GAS_CAP, CLO_E_LIMIT, "eth.gas_cap");
        gas_limit += gas_limit * s->gas_margin_pct / 100;
        /* the margin must not push a transaction that fits over the cap */
        if (gas_limit > CLO_TX_GAS_CAP) gas_limit = CLO_TX_GAS_CAP;
    }
    tx.gas_limit = gas_limit;
    CLO_TRY(clo_eth_fees(s->rpc, tx.max_fee, tx.max_priority_fee));
    CLO_TRY(clo_eth_nonce(s->rpc, s->address, "pending", &chain_nonce));
    tx.nonce = chain_nonce > s->next_nonce ? chain_nonce : s->next_nonce;
    CLO_TRY(clo_tx_sign(&tx, &s->key));

    clo_buf raw;
    clo_err err = CLO_OK;
    uint8_t hash[32], got[32];
    clo_buf_init(&raw, CLO_TX_MAX_SIZE);
    CLO_CHECK(clo_tx_encode(&tx, &raw));
    clo_tx_hash(clo_buf_view(&raw), hash);
    if (s->journal) CLO_CHECK(s->journal(s->journal_ud, tx.nonce, clo_buf_view(&raw), hash));
    err = clo_eth_send_raw(s->rpc, clo_buf_view(&raw), got);
    if (err.code == CLO_E_POLICY && already_known(s->rpc))
        err = CLO_OK;
    else if (!err.code && memcmp(got, hash, 32) != 0)
        err = CLO_ERR(CLO_E_FORMAT, "eth.tx_hash");
    /* Sent, or its fate unknown (transport): the nonce is spent and the journal
     * holds the bytes to rebroadcast. Refused by the node: the nonce is free
     * again, and the next transaction replaces the journaled one. */
    if (err.code != CLO_E_POLICY) s->next_nonce = tx.nonce + 1;
    if (!err.code) {
        memcpy(out->hash, hash, 32);
        out->nonce = tx.nonce;
    }
out:
    clo_buf_free(&raw);
    return err;
}

/* w = max(w + w/8 + 1, floor): the least replacement price nodes accept is
 * +10%; 12.5% plus one wei clears it. Saturates rather than wraps. */
static void bump_u256(uint8_t w[32], const uint8_t floor_[32])
{
    uint8_t add[32];
    unsigned carry = 0;
    for (int i = 31; i >= 0; i--) { /* add = w >> 3 */
        unsigned hi = i > 0 ? w[i - 1] : 0;
        add[i] = (uint8_t)((w[i] >> 3) | (hi << 5));
    }
    carry = 1;
    for (int i = 31; i >= 0; i--) {
        unsigned v = (unsigned)w[i] + add[i] + carry;
        w[i] = (uint8_t)v;
        carry = v >> 8;
    }
    if (carry) memset(w, 0xff, 32);
    if (memcmp(w, floor_, 32) < 0) memcpy(w, floor_, 32);
}

clo_err clo_sender_bump(clo_sender *s, clo_bytes raw_old, clo_buf *raw_new, uint8_t hash[32])
{
    clo_tx tx;
    uint8_t max_fee[32], prio[32];
    CLO_TRY(clo_tx_decode(raw_old, &tx));
    CLO_ENSURE(tx.type == CLO_TX_1559, CLO_E_UNSUPPORTED, "tx.bump: not an EIP-1559 transaction");
    CLO_ENSURE(tx.chain_id == s->chain_id, CLO_E_POLICY, "tx.bump: another chain");
    CLO_TRY(clo_eth_fees(s->rpc, max_fee, prio));
    bump_u256(tx.max_priority_fee, prio);
    bump_u256(tx.max_fee, max_fee);
    if (memcmp(tx.max_fee, tx.max_priority_fee, 32) < 0)
        memcpy(tx.max_fee, tx.max_priority_fee, 32);
    CLO_TRY(clo_tx_sign(&tx, &s->key)); /* same nonce, gas, to, value, data, access list */
    clo_buf_clear(raw_new);
    CLO_TRY(clo_tx_encode(&tx, raw_new));
    clo_tx_hash(clo_buf_view(raw_new), hash);
    return CLO_OK;
}

clo_err clo_sender_wait(clo_sender *s, const uint8_t hash[32], long timeout_ms,
                        clo_eth_receipt *out)
{
    struct timespec nap = {0, 20 * 1000000L};
    int64_t t0 = clo_mono_ms();
    for (;;) {
        clo_err err = clo_eth_get_receipt(s->rpc, hash, out);
        if (err.code != CLO_E_STATE) return err;
        if (clo_mono_ms() - t0 >= timeout_ms) return err;
        nanosleep(&nap, NULL);
        if (nap.tv_nsec < 250 * 1000000L) nap.tv_nsec *= 2;
    }
}

clo_err clo_sender_transact(clo_sender *s, const uint8_t *to, const uint8_t *value, clo_bytes data,
                            clo_eth_receipt *out, clo_buf *revert)
{
    clo_sent sent;
    memset(out, 0, sizeof *out); /* always safe to clo_eth_receipt_free */
    CLO_TRY(clo_sender_send(s, to, value, data, 0, &sent, revert));
    CLO_TRY(clo_sender_wait(s, sent.hash, 30000, out));
    CLO_ENSURE(out->status == 1, CLO_E_POLICY, "eth.tx_failed");
    return CLO_OK;
}

clo_err clo_key_file_read(const char *path, clo_secret32 *sk, uint8_t addr[20])
{
    FILE *f = fopen(path, "r");
    char hex[100] = {0};
    CLO_ENSURE(f, CLO_E_IO, "key file: cannot open");
    size_t n = fread(hex, 1, sizeof hex - 1, f);
    fclose(f);
    while (n > 0 && (hex[n - 1] == '\n' || hex[n - 1] == '\r' || hex[n - 1] == ' ')) hex[--n] = 0;
    clo_err err = clo_hex_decode_fixed(sk->b, 32, hex);
    clo_wipe(hex, sizeof hex);
    if (!err.code) err = clo_eth_key_address(sk, addr);
    return err.code ? CLO_ERR(CLO_E_FORMAT, "key file: not a 32-byte hex secp256k1 key") : CLO_OK;
}
