/* tx.h — Ethereum transactions: legacy (with and without EIP-155), EIP-2930
 * and EIP-1559; signing, encoding, decoding and the validity rules a node
 * applies before a transaction can enter a block (Shanghai/Cancun rules:
 * canonical RLP, field widths, EIP-155 chain id, low-s signatures, EIP-2681
 * nonce bound, fee ordering and overflow, intrinsic gas, EIP-3860 initcode).
 *
 * A decoded transaction's `data` and `access_list` are views into the raw
 * bytes it was decoded from; a transaction being built points them at the
 * caller's memory. Amounts are 32-byte big-endian words. */
#ifndef CLO_CHAIN_TX_H
#define CLO_CHAIN_TX_H
#include "base/bytes.h"
#include "base/secret.h"

enum { CLO_TX_LEGACY = 0, CLO_TX_2930 = 1, CLO_TX_1559 = 2 };
#define CLO_TX_MAX_SIZE     (128u * 1024) /* the txpool limit of geth and reth */
#define CLO_TX_MAX_INITCODE 49152         /* EIP-3860 */
#define CLO_TX_HASH_SIZE    32

typedef struct {
    uint8_t type;
    uint64_t chain_id; /* 0: a legacy transaction signed without EIP-155 */
    uint64_t nonce, gas_limit;
    uint8_t gas_price[32];        /* legacy and EIP-2930 */
    uint8_t max_priority_fee[32]; /* EIP-1559 */
    uint8_t max_fee[32];          /* EIP-1559 */
    int has_to;                   /* 0: contract creation */
    uint8_t to[20];
    uint8_t value[32];
    clo_bytes data;
    clo_bytes access_list; /* the list's RLP encoding; empty view means the empty list */
    uint8_t y_parity;
    uint8_t r[32], s[32];
} clo_tx;

/* The digest a sender signs (EIP-155 / EIP-2718 typed payload). */
CLO_MUST_CHECK clo_err clo_tx_signing_hash(const clo_tx *tx, uint8_t out[32]);
/* Sign with sk: sets y_parity, r, s. */
CLO_MUST_CHECK clo_err clo_tx_sign(clo_tx *tx, const clo_secret32 *sk);
/* The signed transaction as broadcast (eth_sendRawTransaction), appended to out. */
CLO_MUST_CHECK clo_err clo_tx_encode(const clo_tx *tx, clo_buf *out);
/* keccak256 of the raw transaction: its hash on chain. */
void clo_tx_hash(clo_bytes raw, uint8_t out[CLO_TX_HASH_SIZE]);

/* Decode a raw signed transaction (views into raw). Structural rules only:
 * canonical RLP, field count and widths, address sizes, access list shape. */
CLO_MUST_CHECK clo_err clo_tx_decode(clo_bytes raw, clo_tx *out);
/* The rules that do not need chain state, for a chain with id chain_id. */
CLO_MUST_CHECK clo_err clo_tx_check(const clo_tx *tx, uint64_t chain_id);
/* Recover the sender's address from the signature. */
CLO_MUST_CHECK clo_err clo_tx_sender(const clo_tx *tx, uint8_t out[20]);
/* Intrinsic gas (EIP-2028 calldata, EIP-2930 access list, EIP-3860 initcode). */
CLO_MUST_CHECK clo_err clo_tx_intrinsic_gas(const clo_tx *tx, uint64_t *out);
/* The contract address a creation from sender at nonce deploys to. */
CLO_MUST_CHECK clo_err clo_tx_create_address(const uint8_t sender[20], uint64_t nonce,
                                             uint8_t out[20]);
#endif
