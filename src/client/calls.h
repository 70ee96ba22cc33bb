/* calls.h — the transactions and views a client sends to Cloister's
 * contracts, typed. Every transaction goes through clo_call_send: it encodes
 * the call from the generated signature (client/abi_gen.h), sends it from a
 * clo_sender (chain/sender.h: the connection and key a client holds), waits
 * for the receipt and, on a revert, names the contract's custom error. */
#ifndef CLO_CLIENT_CALLS_H
#define CLO_CLIENT_CALLS_H

#include "chain/abi.h"
#include "chain/sender.h"
#include "client/abi_gen.h"

/* A client's account: a new secp256k1 key with its address, and the address
 * of a key (a key file is read with clo_key_file_read, chain/sender.h). */
CLO_MUST_CHECK clo_err clo_account_new(clo_secret32 *sk, uint8_t addr[20]);
CLO_MUST_CHECK clo_err clo_account_address(const clo_secret32 *sk, uint8_t addr[20]);

/* What a sent call did: its transaction and gas, or why it failed (the
 * revert reason decoded, else the transport's error). */
typedef struct {
    uint8_t tx_hash[32];
    uint64_t block, gas_used;
    char why[200];
} clo_call_result;

/* Send `sig(args)` to `to` (NULL: nothing else to say) with `value` (a
 * 32-byte big-endian wei amount, NULL for none) and wait for it. */
CLO_MUST_CHECK clo_err clo_call_send(clo_sender *s, const uint8_t to[20], const uint8_t *value,
                                     const char *sig, const clo_abi_val *args, clo_call_result *r);
/* The same with the calldata already encoded (no value). */
CLO_MUST_CHECK clo_err clo_call_send_data(clo_sender *s, const uint8_t to[20], clo_bytes data,
                                          clo_call_result *r);

/* JobMarket.submitJob: a job of `workload` over sealed `inputs` (their
 * keccak list hash is the request's input hash), paying `fee` wei. */
typedef struct {
    const char *workload;
    uint8_t config_hash[32];
    uint8_t consumer[20];
    uint64_t deadline, nonce;
    const clo_bytes *inputs;
    size_t count; /* at most CLO_CALL_MAX_INPUTS */
    uint64_t fee_wei;
} clo_job_submission;
#define CLO_CALL_MAX_INPUTS 256
CLO_MUST_CHECK clo_err clo_market_submit(clo_sender *s, const uint8_t market[20],
                                         const clo_job_submission *j, clo_call_result *r);

/* SealedBidAuction: create (its config, bidding and reveal ends, the uniform
 * deposit, paying the market's fee), bid (one sealed bid with the deposit),
 * submit (the auction's job, once bidding ended) and auctionCount. */
CLO_MUST_CHECK clo_err clo_auction_create(clo_sender *s, const uint8_t auction[20],
                                          clo_bytes config, uint64_t bidding_end, uint64_t deadline,
                                          uint64_t deposit_wei, uint64_t fee_wei,
                                          clo_call_result *r);
CLO_MUST_CHECK clo_err clo_auction_bid(clo_sender *s, const uint8_t auction[20], uint64_t id,
                                       clo_bytes sealed_bid, uint64_t deposit_wei,
                                       clo_call_result *r);
CLO_MUST_CHECK clo_err clo_auction_submit(clo_sender *s, const uint8_t auction[20], uint64_t id,
                                          clo_call_result *r);
CLO_MUST_CHECK clo_err clo_auction_count(clo_rpc *rpc, const uint8_t auction[20], uint64_t *out);

/* PriceFeed.latestRoundData: the round and its answer (CLO_E_STATE before
 * the first round: NoDataPresent). */
CLO_MUST_CHECK clo_err clo_feed_latest(clo_rpc *rpc, const uint8_t feed[20], uint64_t *round,
                                       int64_t *answer);

/* A ModelRegistry name: keccak256 of its text. */
void clo_models_name(const char *text, uint8_t out[32]);
/* ModelRegistry.register(name, workload, model id: the file's SHA-256) and
 * isCurrent(name, config hash: is the job config the name's current model). */
CLO_MUST_CHECK clo_err clo_models_register(clo_sender *s, const uint8_t models[20],
                                           const uint8_t name[32], const char *workload,
                                           const uint8_t model_id[32], clo_call_result *r);
CLO_MUST_CHECK clo_err clo_models_is_current(clo_rpc *rpc, const uint8_t models[20],
                                             const uint8_t name[32], const uint8_t config_hash[32],
                                             int *current);

#endif
