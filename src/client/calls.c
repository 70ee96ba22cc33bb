/* calls.c — typed transactions and views of Cloister's contracts (calls.h). */
#include "client/calls.h"

#include <stdio.h>
#include <string.h>

#include "crypto/ethkey.h"
#include "crypto/keccak.h"
#include "crypto/secp256k1.h"
#include "workloads/workload.h"

clo_err clo_account_new(clo_secret32 *sk, uint8_t addr[20])
{
    CLO_TRY(clo_secp256k1_keygen(sk));
    return clo_eth_key_address(sk, addr);
}

clo_err clo_account_address(const clo_secret32 *sk, uint8_t addr[20])
{
    return clo_eth_key_address(sk, addr);
}

static clo_err send_data(clo_sender *s, const uint8_t to[20], const uint8_t *value,
                         const char *what, clo_bytes data, clo_call_result *r)
{
    clo_buf revert;
    clo_eth_receipt rc = {0}; /* freed on every path */
    clo_buf_init(&revert, 4096);
    clo_err err = clo_sender_transact(s, to, value, data, &rc, &revert);
    if (err.code) {
        char reason[160];
        clo_abi_revert_text(clo_buf_view(&revert), clo_contract_errors, reason, sizeof reason);
        snprintf(r->why, sizeof r->why, "%s: %s", what,
                 revert.len ? reason : (err.what ? err.what : "failed"));
    } else {
        memcpy(r->tx_hash, rc.tx_hash, 32);
        r->block = rc.block_number;
        r->gas_used = rc.gas_used;
    }
    clo_eth_receipt_free(&rc);
    clo_buf_free(&revert);
    return err;
}

clo_err clo_call_send(clo_sender *s, const uint8_t to[20], const uint8_t *value, const char *sig,
                      const clo_abi_val *args, clo_call_result *r)
{
    clo_buf data;
    memset(r, 0, sizeof *r);
    clo_buf_init(&data, 1u << 20);
    clo_err err = clo_abi_encode_call(sig, args, &data);
    if (!err.code)
        err = send_data(s, to, value, sig, clo_buf_view(&data), r);
    else
        snprintf(r->why, sizeof r->why, "%s: %s", sig, err.what ? err.what : "encoding failed");
    clo_buf_free(&data);
    return err;
}

clo_err clo_call_send_data(clo_sender *s, const uint8_t to[20], clo_bytes data, clo_call_result *r)
{
    memset(r, 0, sizeof *r);
    return send_data(s, to, NULL, "call", data, r);
}

static void wei(uint64_t v, uint8_t out[32])
{
    memset(out, 0, 32);
    clo_store_u64be(out + 24, v);
}

clo_err clo_market_submit(clo_sender *s, const uint8_t market[20], const clo_job_submission *j,
                          clo_call_result *r)
{
    clo_abi_val in[CLO_CALL_MAX_INPUTS];
    clo_abi_val none[1];
    uint8_t input_hash[32], wid[32], fee[32];
    CLO_ENSURE(j->count <= CLO_CALL_MAX_INPUTS, CLO_E_ARG, "submit.inputs");
    for (size_t i = 0; i < j->count; i++) in[i] = clo_abi_bytes(j->inputs[i]);
    clo_hash_list(j->inputs, j->count, input_hash);
    clo_workload_id(j->workload, wid);
    clo_abi_val req[9] = {clo_abi_word(wid),         clo_abi_word(j->config_hash),
                          clo_abi_word(input_hash),  clo_abi_address(j->consumer),
                          clo_abi_uint(j->deadline), clo_abi_uint(j->nonce),
                          clo_abi_array(none, 0),    clo_abi_array(in, j->count),
                          clo_abi_string("")};
    clo_abi_val t = clo_abi_tuple(req, 9), args = clo_abi_tuple(&t, 1);
    wei(j->fee_wei, fee);
    return clo_call_send(s, market, fee, CLO_JOB_MARKET_SUBMIT_JOB, &args, r);
}

clo_err clo_auction_create(clo_sender *s, const uint8_t auction[20], clo_bytes config,
                           uint64_t bidding_end, uint64_t deadline, uint64_t deposit_wei,
                           uint64_t fee_wei, clo_call_result *r)
{
    uint8_t fee[32];
    clo_abi_val a[4] = {clo_abi_bytes(config), clo_abi_uint(bidding_end), clo_abi_uint(deadline),
                        clo_abi_uint(deposit_wei)};
    clo_abi_val t = clo_abi_tuple(a, 4);
    wei(fee_wei, fee);
    return clo_call_send(s, auction, fee, CLO_SEALED_BID_AUCTION_CREATE, &t, r);
}

clo_err clo_auction_bid(clo_sender *s, const uint8_t auction[20], uint64_t id, clo_bytes sealed_bid,
                        uint64_t deposit_wei, clo_call_result *r)
{
    uint8_t deposit[32];
    clo_abi_val a[2] = {clo_abi_uint(id), clo_abi_bytes(sealed_bid)};
    clo_abi_val t = clo_abi_tuple(a, 2);
    wei(deposit_wei, deposit);
    return clo_call_send(s, auction, deposit, CLO_SEALED_BID_AUCTION_BID, &t, r);
}

clo_err clo_auction_submit(clo_sender *s, const uint8_t auction[20], uint64_t id,
                           clo_call_result *r)
{
    clo_abi_val a[1] = {clo_abi_uint(id)};
    clo_abi_val t = clo_abi_tuple(a, 1);
    return clo_call_send(s, auction, NULL, CLO_SEALED_BID_AUCTION_SUBMIT, &t, r);
}

/* A view returning one uint256 that fits 64 bits. */
static clo_err view_u64(clo_rpc *rpc, const uint8_t to[20], const char *sig, const char *ret,
                        const clo_abi_val *args, size_t item, uint64_t *out)
{
    clo_abi_val v;
    CLO_TRY(clo_eth_view(rpc, to, sig, args, ret, &v));
    clo_err err = clo_abi_get_u64(&v.items[item], out);
    clo_abi_val_free(&v);
    return err;
}

clo_err clo_auction_count(clo_rpc *rpc, const uint8_t auction[20], uint64_t *out)
{
    clo_abi_val none = clo_abi_tuple(NULL, 0);
    return view_u64(rpc, auction, CLO_SEALED_BID_AUCTION_AUCTION_COUNT,
                    CLO_SEALED_BID_AUCTION_AUCTION_COUNT_RET, &none, 0, out);
}

clo_err clo_feed_latest(clo_rpc *rpc, const uint8_t feed[20], uint64_t *round, int64_t *answer)
{
    clo_abi_val none = clo_abi_tuple(NULL, 0), v;
    CLO_TRY(clo_eth_view(rpc, feed, CLO_PRICE_FEED_LATEST_ROUND_DATA, &none,
                         CLO_PRICE_FEED_LATEST_ROUND_DATA_RET, &v));
    /* int256: two's complement; an answer outside int64 is refused */
    const uint8_t *w = v.items[1].word;
    int neg = w[0] >> 7, ok = 1;
    for (size_t i = 0; i < 24; i++) ok &= w[i] == (neg ? 0xff : 0);
    ok &= (w[24] >> 7) == neg;
    clo_err err = clo_abi_get_u64(&v.items[0], round);
    *answer = (int64_t)clo_load_u64be(w + 24);
    clo_abi_val_free(&v);
    CLO_TRY(err);
    CLO_ENSURE(ok, CLO_E_LIMIT, "feed.answer");
    return CLO_OK;
}

void clo_models_name(const char *text, uint8_t out[32])
{
    clo_keccak256(clo_bytes_str(text), out);
}

clo_err clo_models_register(clo_sender *s, const uint8_t models[20], const uint8_t name[32],
                            const char *workload, const uint8_t model_id[32], clo_call_result *r)
{
    uint8_t wid[32];
    clo_workload_id(workload, wid);
    clo_abi_val a[3] = {clo_abi_word(name), clo_abi_word(wid), clo_abi_word(model_id)};
    clo_abi_val t = clo_abi_tuple(a, 3);
    return clo_call_send(s, models, NULL, CLO_MODEL_REGISTRY_REGISTER, &t, r);
}

clo_err clo_models_is_current(clo_rpc *rpc, const uint8_t models[20], const uint8_t name[32],
                              const uint8_t config_hash[32], int *current)
{
    uint64_t v = 0;
    clo_abi_val a[2] = {clo_abi_word(name), clo_abi_word(config_hash)};
    clo_abi_val t = clo_abi_tuple(a, 2);
    CLO_TRY(view_u64(rpc, models, CLO_MODEL_REGISTRY_IS_CURRENT, CLO_MODEL_REGISTRY_IS_CURRENT_RET,
                     &t, 0, &v));
    *current = v != 0;
    return CLO_OK;
}
