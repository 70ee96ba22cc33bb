/* sender.h — signs and sends a key's transactions: nonces, fees, gas
 * estimation (a call that would revert is not sent; its reason comes back),
 * and receipt waiting.
 *
 * Every signed transaction is handed to the journal hook before it is
 * broadcast, so a caller that journals durably can rebroadcast the same bytes
 * after a crash instead of signing a second, different transaction for the
 * same nonce. The nonce comes from the journal's view (next) and the chain's
 * pending count, whichever is higher. A transaction the node refuses does not
 * spend its nonce: the journal hook is then called again for that nonce with
 * the next transaction, which replaces the refused one. */
#ifndef CLO_CHAIN_SENDER_H
#define CLO_CHAIN_SENDER_H
#include "base/secret.h"
#include "chain/eth.h"

/* EIP-7825: no transaction may ask for more gas than 2^24 (mainnet since
 * Osaka). Estimates plus the margin are clamped to it; an estimate above it is
 * CLO_E_LIMIT "eth.gas_cap" and nothing is sent. */
#define CLO_TX_GAS_CAP ((uint64_t)1 << 24)

typedef struct {
    uint8_t hash[32];
    uint64_t nonce;
} clo_sent;

/* Called with each signed transaction before broadcast; a failure stops the send. */
typedef clo_err (*clo_sender_journal_fn)(void *ud, uint64_t nonce, clo_bytes raw,
                                         const uint8_t hash[32]);

typedef struct {
    clo_rpc *rpc;
    clo_secret32 key;
    uint8_t address[20];
    uint64_t chain_id;
    uint64_t next_nonce;
    uint32_t gas_margin_pct; /* added to estimates; default 20 */
    clo_sender_journal_fn journal;
    void *journal_ud;
} clo_sender;

/* Reads the chain id and the account's pending nonce. Copies sk. */
CLO_MUST_CHECK clo_err clo_sender_init(clo_sender *s, clo_rpc *rpc, const clo_secret32 *sk);
void clo_sender_wipe(clo_sender *s);

/* Build, sign, journal and broadcast. to == NULL creates a contract; value may
 * be NULL (zero); gas_limit 0 estimates. On "eth.reverted" the revert data is
 * appended to revert (if not NULL) and nothing was signed. */
CLO_MUST_CHECK clo_err clo_sender_send(clo_sender *s, const uint8_t *to, const uint8_t *value,
                                       clo_bytes data, uint64_t gas_limit, clo_sent *out,
                                       clo_buf *revert);
/* A stuck transaction's replacement: the same nonce, gas, destination, value
 * and data, re-signed with fees of at least 12.5% + 1 wei above the old ones
 * and at least today's (eth fees). Neither journaled nor broadcast: the caller
 * journals raw_new first (CLO_TX_MAX_SIZE capacity). */
CLO_MUST_CHECK clo_err clo_sender_bump(clo_sender *s, clo_bytes raw_old, clo_buf *raw_new,
                                       uint8_t hash[32]);
/* Poll for the receipt until timeout_ms. "eth.no_receipt" if it did not come. */
CLO_MUST_CHECK clo_err clo_sender_wait(clo_sender *s, const uint8_t hash[32], long timeout_ms,
                                       clo_eth_receipt *out);
/* send + wait; a mined but reverted transaction is CLO_E_POLICY "eth.tx_failed".
 * *out is always initialised: release it with clo_eth_receipt_free. */
CLO_MUST_CHECK clo_err clo_sender_transact(clo_sender *s, const uint8_t *to, const uint8_t *value,
                                           clo_bytes data, clo_eth_receipt *out, clo_buf *revert);
/* Read a key file: 32 bytes of hex (an optional 0x, trailing whitespace), and
 * its address. The text is wiped. CLO_E_IO if unreadable, CLO_E_FORMAT if not a key. */
CLO_MUST_CHECK clo_err clo_key_file_read(const char *path, clo_secret32 *sk, uint8_t addr[20]);

#endif
