/* tx.c — transaction encoding, signing and validation. */
#include "chain/tx.h"

#include <string.h>

#include "chain/rlp.h"
#include "crypto/ethkey.h"
#include "crypto/keccak.h"
#include "crypto/secp256k1.h"

#define TX_MAX_FIELDS 12

__extension__ typedef unsigned __int128 u128;

/* The unsigned fields in wire order, then (with_sig) the signature; for a
 * legacy EIP-155 signing payload, (chain_id, 0, 0) instead. */
static clo_err tx_put_fields(const clo_tx *tx, clo_buf *out, int with_sig)
{
    size_t mark;
    CLO_TRY(clo_rlp_list_open(out, &mark));
    if (tx->type != CLO_TX_LEGACY) CLO_TRY(clo_rlp_put_u64(out, tx->chain_id));
    CLO_TRY(clo_rlp_put_u64(out, tx->nonce));
    if (tx->type == CLO_TX_1559) {
        CLO_TRY(clo_rlp_put_uint_be(out, CLO_BYTES(tx->max_priority_fee, 32)));
        CLO_TRY(clo_rlp_put_uint_be(out, CLO_BYTES(tx->max_fee, 32)));
    } else {
        CLO_TRY(clo_rlp_put_uint_be(out, CLO_BYTES(tx->gas_price, 32)));
    }
    CLO_TRY(clo_rlp_put_u64(out, tx->gas_limit));
    CLO_TRY(clo_rlp_put_bytes(out, tx->has_to ? CLO_BYTES(tx->to, 20) : CLO_BYTES_EMPTY));
    CLO_TRY(clo_rlp_put_uint_be(out, CLO_BYTES(tx->value, 32)));
    CLO_TRY(clo_rlp_put_bytes(out, tx->data));
    if (tx->type != CLO_TX_LEGACY) {
        static const uint8_t empty_list = 0xc0;
        CLO_TRY(clo_rlp_put_raw(out,
                                tx->access_list.len ? tx->access_list : CLO_BYTES(&empty_list, 1)));
    }
    if (with_sig) {
        uint64_t v = tx->y_parity;
        if (tx->type == CLO_TX_LEGACY)
            v = tx->chain_id ? tx->chain_id * 2 + 35 + tx->y_parity : 27u + tx->y_parity;
        CLO_TRY(clo_rlp_put_u64(out, v));
        CLO_TRY(clo_rlp_put_uint_be(out, CLO_BYTES(tx->r, 32)));
        CLO_TRY(clo_rlp_put_uint_be(out, CLO_BYTES(tx->s, 32)));
    } else if (tx->type == CLO_TX_LEGACY && tx->chain_id) {
        CLO_TRY(clo_rlp_put_u64(out, tx->chain_id));
        CLO_TRY(clo_rlp_put_u64(out, 0));
        CLO_TRY(clo_rlp_put_u64(out, 0));
    }
    return clo_rlp_list_close(out, mark);
}

static clo_err tx_serialise(const clo_tx *tx, clo_buf *out, int with_sig)
{
    CLO_ENSURE(tx->type <= CLO_TX_1559, CLO_E_UNSUPPORTED, "tx.type");
    CLO_ENSURE(tx->type == CLO_TX_LEGACY || tx->chain_id, CLO_E_ARG, "tx.chain_id");
    size_t mark = out->len;
    clo_err err = CLO_OK;
    if (tx->type != CLO_TX_LEGACY) CLO_CHECK(clo_buf_u8(out, tx->type));
    CLO_CHECK(tx_put_fields(tx, out, with_sig));
out:
    if (err.code) clo_buf_truncate(out, mark);
    return err;
}

clo_err clo_tx_signing_hash(const clo_tx *tx, uint8_t out[32])
{
    clo_buf b;
    clo_buf_init(&b, CLO_TX_MAX_SIZE);
    clo_err err = tx_serialise(tx, &b, 0);
    if (!err.code) clo_keccak256(clo_buf_view(&b), out);
    clo_buf_free(&b);
    return err;
}

clo_err clo_tx_sign(clo_tx *tx, const clo_secret32 *sk)
{
    uint8_t h[32], sig[CLO_SECP256K1_SIG_SIZE];
    CLO_TRY(clo_tx_signing_hash(tx, h));
    CLO_TRY(clo_secp256k1_sign(sk, h, sig));
    memcpy(tx->r, sig, 32);
    memcpy(tx->s, sig + 32, 32);
    tx->y_parity = sig[64];
    return CLO_OK;
}

clo_err clo_tx_encode(const clo_tx *tx, clo_buf *out)
{
    return tx_serialise(tx, out, 1);
}

void clo_tx_hash(clo_bytes raw, uint8_t out[CLO_TX_HASH_SIZE])
{
    clo_keccak256(raw, out);
}

/* access_list = [[address(20), [key(32), ...]], ...] */
static clo_err tx_check_access_list(const clo_rlp_item *al)
{
    CLO_ENSURE(al->is_list, CLO_E_FORMAT, "tx.access_list");
    clo_cur c = clo_cur_init(al->payload);
    while (clo_cur_left(&c)) {
        clo_rlp_item entry, addr, keys, key;
        CLO_TRY(clo_rlp_next(&c, &entry));
        CLO_ENSURE(entry.is_list, CLO_E_FORMAT, "tx.access_list_entry");
        clo_cur e = clo_cur_init(entry.payload);
        CLO_TRY(clo_rlp_next(&e, &addr));
        CLO_TRY(clo_rlp_next(&e, &keys));
        CLO_TRY(clo_cur_end(&e));
        CLO_ENSURE(!addr.is_list && addr.payload.len == 20, CLO_E_FORMAT, "tx.access_list_address");
        CLO_ENSURE(keys.is_list, CLO_E_FORMAT, "tx.access_list_keys");
        clo_cur k = clo_cur_init(keys.payload);
        while (clo_cur_left(&k)) {
            CLO_TRY(clo_rlp_next(&k, &key));
            CLO_ENSURE(!key.is_list && key.payload.len == 32, CLO_E_FORMAT, "tx.access_list_key");
        }
    }
    return CLO_OK;
}

clo_err clo_tx_decode(clo_bytes raw, clo_tx *out)
{
    clo_rlp_item list, f[TX_MAX_FIELDS];
    size_t n = 0, i = 0, want;
    memset(out, 0, sizeof *out);
    CLO_ENSURE(raw.len > 0, CLO_E_FORMAT, "tx.empty");
    CLO_ENSURE(raw.len <= CLO_TX_MAX_SIZE, CLO_E_LIMIT, "tx.size");
    if (raw.ptr[0] < 0x80) { /* EIP-2718 typed envelope */
        out->type = raw.ptr[0];
        CLO_ENSURE(out->type == CLO_TX_2930 || out->type == CLO_TX_1559, CLO_E_UNSUPPORTED,
                   "tx.type");
        raw = CLO_BYTES(raw.ptr + 1, raw.len - 1);
    }
    CLO_TRY(clo_rlp_decode(raw, &list));
    CLO_ENSURE(list.is_list, CLO_E_FORMAT, "tx.not_a_list");
    clo_cur c = clo_cur_init(list.payload);
    while (clo_cur_left(&c)) {
        CLO_ENSURE(n < TX_MAX_FIELDS, CLO_E_FORMAT, "tx.field_count");
        CLO_TRY(clo_rlp_next(&c, &f[n++]));
    }
    want = out->type == CLO_TX_LEGACY ? 9 : out->type == CLO_TX_2930 ? 11 : 12;
    CLO_ENSURE(n == want, CLO_E_FORMAT, "tx.field_count");

    if (out->type != CLO_TX_LEGACY) {
        CLO_TRY(clo_rlp_get_u64(&f[i++], &out->chain_id));
        /* as the encoder: a typed transaction names its chain, so it re-encodes
         * to the same bytes (fuzz/corpus/rlp/typed-chain-id-zero) */
        CLO_ENSURE(out->chain_id != 0, CLO_E_FORMAT, "tx.chain_id");
    }
    CLO_TRY(clo_rlp_get_u64(&f[i++], &out->nonce));
    if (out->type == CLO_TX_1559) {
        CLO_TRY(clo_rlp_get_uint(&f[i++], out->max_priority_fee, 32));
        CLO_TRY(clo_rlp_get_uint(&f[i++], out->max_fee, 32));
    } else {
        CLO_TRY(clo_rlp_get_uint(&f[i++], out->gas_price, 32));
    }
    CLO_TRY(clo_rlp_get_u64(&f[i++], &out->gas_limit));
    CLO_ENSURE(!f[i].is_list, CLO_E_FORMAT, "tx.to");
    out->has_to = f[i].payload.len != 0;
    if (out->has_to) CLO_TRY(clo_rlp_get_fixed(&f[i], out->to, 20));
    i++;
    CLO_TRY(clo_rlp_get_uint(&f[i++], out->value, 32));
    CLO_ENSURE(!f[i].is_list, CLO_E_FORMAT, "tx.data");
    out->data = f[i++].payload;
    if (out->type != CLO_TX_LEGACY) {
        CLO_TRY(tx_check_access_list(&f[i]));
        out->access_list = f[i++].raw;
    }
    if (out->type == CLO_TX_LEGACY) {
        /* v = 27|28, or chain_id*2 + 35|36 (EIP-155), within 64 bits so
         * that it re-encodes to the same bytes. */
        uint64_t v;
        CLO_TRY(clo_rlp_get_u64(&f[i++], &v));
        if (v == 27 || v == 28) {
            out->y_parity = (uint8_t)(v - 27);
        } else {
            CLO_ENSURE(v >= 37, CLO_E_AUTH, "tx.v");
            out->chain_id = (v - 35) / 2;
            out->y_parity = (uint8_t)((v - 35) & 1);
        }
    } else {
        uint64_t yp;
        CLO_TRY(clo_rlp_get_u64(&f[i++], &yp));
        CLO_ENSURE(yp <= 1, CLO_E_AUTH, "tx.y_parity");
        out->y_parity = (uint8_t)yp;
    }
    CLO_TRY(clo_rlp_get_uint(&f[i++], out->r, 32));
    CLO_TRY(clo_rlp_get_uint(&f[i++], out->s, 32));
    return CLO_OK;
}

clo_err clo_tx_intrinsic_gas(const clo_tx *tx, uint64_t *out)
{
    uint64_t g = 21000;
    if (!tx->has_to) g += 32000 + 2 * ((tx->data.len + 31) / 32);
    for (size_t k = 0; k < tx->data.len; k++) g += tx->data.ptr[k] ? 16 : 4;
    if (tx->access_list.len) {
        clo_rlp_item al;
        CLO_TRY(clo_rlp_decode(tx->access_list, &al));
        CLO_TRY(tx_check_access_list(&al));
        clo_cur c = clo_cur_init(al.payload);
        while (clo_cur_left(&c)) {
            clo_rlp_item entry, addr, keys;
            CLO_TRY(clo_rlp_next(&c, &entry));
            clo_cur e = clo_cur_init(entry.payload);
            CLO_TRY(clo_rlp_next(&e, &addr));
            CLO_TRY(clo_rlp_next(&e, &keys));
            g += 2400 + 1900 * (keys.payload.len / 33); /* each key encodes as 33 bytes */
        }
    }
    *out = g;
    return CLO_OK;
}

static int word_is_zero(const uint8_t w[32])
{
    uint8_t acc = 0;
    for (int k = 0; k < 32; k++) acc |= w[k];
    return acc == 0;
}

/* 1 if gas * price needs more than 256 bits. */
static int product_overflows(uint64_t gas, const uint8_t price[32])
{
    u128 carry = 0;
    for (int limb = 3; limb >= 0; limb--) {
        uint64_t w = 0;
        for (int k = 0; k < 8; k++) w = (w << 8) | price[limb * 8 + k];
        u128 p = (u128)w * gas + carry;
        carry = p >> 64;
    }
    return carry != 0;
}

/* secp256k1 group order n, and n/2 for the EIP-2 low-s rule. */
static const uint8_t SECP_N_HALF[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

clo_err clo_tx_check(const clo_tx *tx, uint64_t chain_id)
{
    /* A legacy transaction without EIP-155 is valid on any chain. */
    CLO_ENSURE(tx->chain_id == chain_id || (tx->type == CLO_TX_LEGACY && tx->chain_id == 0),
               CLO_E_POLICY, "tx.chain_id");
    CLO_ENSURE(tx->nonce < UINT64_MAX, CLO_E_LIMIT, "tx.nonce"); /* EIP-2681 */
    CLO_ENSURE(!word_is_zero(tx->r) && !word_is_zero(tx->s), CLO_E_AUTH, "tx.signature");
    CLO_ENSURE(memcmp(tx->s, SECP_N_HALF, 32) <= 0, CLO_E_AUTH, "tx.signature_high_s");
    const uint8_t *fee = tx->type == CLO_TX_1559 ? tx->max_fee : tx->gas_price;
    if (tx->type == CLO_TX_1559)
        CLO_ENSURE(memcmp(tx->max_priority_fee, tx->max_fee, 32) <= 0, CLO_E_POLICY,
                   "tx.priority_fee_above_max_fee");
    CLO_ENSURE(!product_overflows(tx->gas_limit, fee), CLO_E_LIMIT, "tx.gas_fee_product");
    CLO_ENSURE(tx->has_to || tx->data.len <= CLO_TX_MAX_INITCODE, CLO_E_LIMIT, "tx.initcode");
    uint64_t intrinsic;
    CLO_TRY(clo_tx_intrinsic_gas(tx, &intrinsic));
    CLO_ENSURE(tx->gas_limit >= intrinsic, CLO_E_POLICY, "tx.intrinsic_gas");
    uint8_t who[20];
    return clo_tx_sender(tx, who);
}

clo_err clo_tx_sender(const clo_tx *tx, uint8_t out[20])
{
    uint8_t h[32], sig[CLO_SECP256K1_SIG_SIZE], pub[CLO_SECP256K1_PUB_SIZE];
    CLO_TRY(clo_tx_signing_hash(tx, h));
    memcpy(sig, tx->r, 32);
    memcpy(sig + 32, tx->s, 32);
    sig[64] = tx->y_parity;
    CLO_TRY(clo_secp256k1_recover(h, sig, pub));
    return clo_eth_address(pub, out);
}

clo_err clo_tx_create_address(const uint8_t sender[20], uint64_t nonce, uint8_t out[20])
{
    uint8_t h[32];
    clo_buf b;
    size_t mark;
    clo_err err = CLO_OK;
    clo_buf_init(&b, 64);
    CLO_CHECK(clo_rlp_list_open(&b, &mark));
    CLO_CHECK(clo_rlp_put_bytes(&b, CLO_BYTES(sender, 20)));
    CLO_CHECK(clo_rlp_put_u64(&b, nonce));
    CLO_CHECK(clo_rlp_list_close(&b, mark));
    clo_keccak256(clo_buf_view(&b), h);
    memcpy(out, h + 12, 20);
out:
    clo_buf_free(&b);
    return err;
}
