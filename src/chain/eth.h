/* eth.h — the Ethereum calls Cloister makes, typed: chain id, blocks, nonces,
 * fees, eth_call and gas estimation with revert reasons, raw transactions,
 * receipts and logs. Everything a node returns is parsed strictly; a reply
 * that does not fit is an error, never a default. */
#ifndef CLO_CHAIN_ETH_H
#define CLO_CHAIN_ETH_H
#include "chain/abi.h"
#include "chain/rpc.h"

#define CLO_ETH_MAX_TOPICS 4

typedef struct {
    uint8_t address[20];
    uint8_t topics[CLO_ETH_MAX_TOPICS][32];
    size_t topic_count;
    clo_buf data;
    uint64_t block_number, log_index;
    uint8_t block_hash[32], tx_hash[32];
    int removed;
} clo_eth_log;

typedef struct {
    int status; /* 1 success, 0 reverted */
    uint64_t block_number, gas_used, effective_gas_price;
    uint8_t block_hash[32], tx_hash[32];
    int has_contract;
    uint8_t contract_address[20];
    clo_eth_log *logs;
    size_t log_count;
} clo_eth_receipt;

typedef struct {
    uint64_t number, timestamp;
    uint8_t hash[32], parent_hash[32];
    uint8_t base_fee[32];
} clo_eth_block;

CLO_MUST_CHECK clo_err clo_eth_chain_id(clo_rpc *rpc, uint64_t *out);
CLO_MUST_CHECK clo_err clo_eth_block_number(clo_rpc *rpc, uint64_t *out);
/* tag: "latest", "pending" or NULL with number. A missing block is CLO_E_STATE. */
CLO_MUST_CHECK clo_err clo_eth_get_block(clo_rpc *rpc, const char *tag, uint64_t number,
                                         clo_eth_block *out);
CLO_MUST_CHECK clo_err clo_eth_nonce(clo_rpc *rpc, const uint8_t addr[20], const char *tag,
                                     uint64_t *out);
CLO_MUST_CHECK clo_err clo_eth_balance(clo_rpc *rpc, const uint8_t addr[20], uint8_t out[32]);
CLO_MUST_CHECK clo_err clo_eth_code_size(clo_rpc *rpc, const uint8_t addr[20], size_t *out);
/* EIP-1559 fees: priority from eth_maxPriorityFeePerGas, max = 2*baseFee + priority. */
CLO_MUST_CHECK clo_err clo_eth_fees(clo_rpc *rpc, uint8_t max_fee[32], uint8_t priority[32]);

/* eth_call / eth_estimateGas. On a revert the result is CLO_E_POLICY
 * "eth.reverted" and, if revert is not NULL, the revert data is appended to it. */
CLO_MUST_CHECK clo_err clo_eth_call(clo_rpc *rpc, const uint8_t *from, const uint8_t to[20],
                                    clo_bytes data, clo_buf *out, clo_buf *revert);
CLO_MUST_CHECK clo_err clo_eth_estimate_gas(clo_rpc *rpc, const uint8_t from[20], const uint8_t *to,
                                            const uint8_t value[32], clo_bytes data, uint64_t *out,
                                            clo_buf *revert);

/* eth_call of to.sig(args) (a view), its return data decoded as `ret` (a
 * tuple type such as "(uint256,bool)"); free *out with clo_abi_val_free. */
CLO_MUST_CHECK clo_err clo_eth_view(clo_rpc *rpc, const uint8_t to[20], const char *sig,
                                    const clo_abi_val *args, const char *ret, clo_abi_val *out);
/* The same at one block (CLO_ETH_LATEST: the newest). */
#define CLO_ETH_LATEST UINT64_MAX
CLO_MUST_CHECK clo_err clo_eth_view_at(clo_rpc *rpc, const uint8_t to[20], const char *sig,
                                       const clo_abi_val *args, const char *ret, uint64_t block,
                                       clo_abi_val *out);

/* eth_sendRawTransaction; the node's answer must be the transaction's hash. */
CLO_MUST_CHECK clo_err clo_eth_send_raw(clo_rpc *rpc, clo_bytes raw, uint8_t hash[32]);
/* A receipt, or CLO_E_STATE "eth.no_receipt" while the transaction is pending. */
CLO_MUST_CHECK clo_err clo_eth_get_receipt(clo_rpc *rpc, const uint8_t hash[32],
                                           clo_eth_receipt *out);
void clo_eth_receipt_free(clo_eth_receipt *r);
/* Logs of address (NULL: of any address) in [from, to] whose first topic is
 * one of topic0s. */
CLO_MUST_CHECK clo_err clo_eth_get_logs(clo_rpc *rpc, const uint8_t address[20],
                                        const uint8_t (*topic0s)[32], size_t topic_count,
                                        uint64_t from, uint64_t to, clo_eth_log **out,
                                        size_t *count);
void clo_eth_logs_free(clo_eth_log *logs, size_t count);
/* Parse one log object (exposed for tests and the fuzz harness). */
CLO_MUST_CHECK clo_err clo_eth_parse_log(const json_t *j, clo_eth_log *out);

/* Anvil/Hardhat development calls. */
CLO_MUST_CHECK clo_err clo_eth_dev_mine(clo_rpc *rpc, uint64_t blocks);
#endif
