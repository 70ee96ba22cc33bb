/* chain_tool.c — the chain client driven line by line from JSON (stdin ->
 * stdout), so tests/chain/ethers_cross.mjs can compare it with ethers 6:
 *   {"op":"tx_decode","raw":"0x.."}          -> {"from","hash","chainId","nonce","type"}
 *   {"op":"tx_sign","key":"0x..","tx":{...}}  -> {"raw"}
 *   {"op":"abi","type":"(..)","data":"0x.."}  -> {"data"} (decoded and re-encoded)
 *   {"op":"result","stmt":{...},"chainId":n,"market":"0x..","key":"0x.."} -> {"digest","sig"}
 * A refusal is {"error":"<what>"}. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/ct.h"
#include "chain/abi.h"
#include "chain/rpc.h"
#include "chain/tx.h"
#include "wire/statement.h"

static json_t *hexj(clo_bytes b)
{
    return clo_json_hex(b);
}

static clo_err get_fixed(json_t *o, const char *k, uint8_t *out, size_t n)
{
    return clo_rpc_data_fixed(json_object_get(o, k), out, n);
}

static clo_err op_tx_decode(json_t *in, json_t *out)
{
    clo_buf raw;
    clo_tx tx;
    uint8_t from[20], hash[32];
    clo_buf_init(&raw, CLO_TX_MAX_SIZE);
    clo_err err = clo_rpc_data(json_object_get(in, "raw"), &raw);
    if (!err.code) err = clo_tx_decode(clo_buf_view(&raw), &tx);
    if (!err.code) err = clo_tx_check(&tx, tx.chain_id ? tx.chain_id : 1);
    if (!err.code) err = clo_tx_sender(&tx, from);
    if (!err.code) {
        clo_tx_hash(clo_buf_view(&raw), hash);
        json_object_set_new(out, "from", hexj(CLO_BYTES(from, 20)));
        json_object_set_new(out, "hash", hexj(CLO_BYTES(hash, 32)));
        json_object_set_new(out, "chainId", json_integer((json_int_t)tx.chain_id));
        json_object_set_new(out, "nonce", json_integer((json_int_t)tx.nonce));
        json_object_set_new(out, "type", json_integer(tx.type));
    }
    clo_buf_free(&raw);
    return err;
}

static clo_err op_tx_sign(json_t *in, json_t *out)
{
    json_t *t = json_object_get(in, "tx");
    clo_secret32 sk;
    clo_buf data, raw;
    clo_tx tx = {.type = (uint8_t)json_integer_value(json_object_get(t, "type"))};
    clo_buf_init(&data, CLO_TX_MAX_SIZE);
    clo_buf_init(&raw, CLO_TX_MAX_SIZE);
    clo_err err = get_fixed(in, "key", sk.b, 32);
    if (!err.code) err = clo_rpc_quantity(json_object_get(t, "chainId"), &tx.chain_id);
    if (!err.code) err = clo_rpc_quantity(json_object_get(t, "nonce"), &tx.nonce);
    if (!err.code) err = clo_rpc_quantity(json_object_get(t, "gas"), &tx.gas_limit);
    if (!err.code) err = clo_rpc_quantity256(json_object_get(t, "value"), tx.value);
    if (!err.code && tx.type == CLO_TX_1559) {
        err = clo_rpc_quantity256(json_object_get(t, "maxFee"), tx.max_fee);
        if (!err.code)
            err = clo_rpc_quantity256(json_object_get(t, "maxPriority"), tx.max_priority_fee);
    } else if (!err.code) {
        err = clo_rpc_quantity256(json_object_get(t, "gasPrice"), tx.gas_price);
    }
    if (!err.code && json_is_string(json_object_get(t, "to"))) {
        tx.has_to = 1;
        err = get_fixed(t, "to", tx.to, 20);
    }
    if (!err.code) err = clo_rpc_data(json_object_get(t, "data"), &data);
    tx.data = clo_buf_view(&data);
    if (!err.code) err = clo_tx_sign(&tx, &sk);
    if (!err.code) err = clo_tx_encode(&tx, &raw);
    if (!err.code) json_object_set_new(out, "raw", hexj(clo_buf_view(&raw)));
    clo_wipe(&sk, sizeof sk);
    clo_buf_free(&data);
    clo_buf_free(&raw);
    return err;
}

static clo_err op_abi(json_t *in, json_t *out)
{
    clo_buf data, again;
    clo_abi_val v;
    clo_buf_init(&data, 1u << 20);
    clo_buf_init(&again, 1u << 22);
    clo_err err = clo_rpc_data(json_object_get(in, "data"), &data);
    if (!err.code)
        err = clo_abi_decode_as(json_string_value(json_object_get(in, "type")), clo_buf_view(&data),
                                &v);
    if (!err.code) {
        err = clo_abi_encode(&v, &again);
        clo_abi_val_free(&v);
    }
    if (!err.code) json_object_set_new(out, "data", hexj(clo_buf_view(&again)));
    clo_buf_free(&data);
    clo_buf_free(&again);
    return err;
}

static clo_err op_result(json_t *in, json_t *out)
{
    json_t *s = json_object_get(in, "stmt");
    clo_result_stmt st;
    uint8_t market[20], digest[32], sig[65];
    clo_secret32 sk;
    uint64_t chain, epoch;
    CLO_TRY(get_fixed(s, "jobId", st.job_id, 32));
    CLO_TRY(get_fixed(s, "inputHash", st.input_hash, 32));
    CLO_TRY(get_fixed(s, "publicOutputHash", st.public_output_hash, 32));
    CLO_TRY(get_fixed(s, "privateOutputHash", st.private_output_hash, 32));
    CLO_TRY(get_fixed(s, "workloadId", st.workload_id, 32));
    CLO_TRY(get_fixed(s, "configHash", st.config_hash, 32));
    CLO_TRY(clo_rpc_quantity(json_object_get(s, "epoch"), &epoch));
    st.epoch = (uint32_t)epoch;
    CLO_TRY(clo_rpc_quantity(json_object_get(in, "chainId"), &chain));
    CLO_TRY(get_fixed(in, "market", market, 20));
    CLO_TRY(get_fixed(in, "key", sk.b, 32));
    clo_result_digest(&st, chain, market, digest);
    clo_err err = clo_result_sign(&st, chain, market, &sk, sig);
    clo_wipe(&sk, sizeof sk);
    CLO_TRY(err);
    json_object_set_new(out, "digest", hexj(CLO_BYTES(digest, 32)));
    json_object_set_new(out, "sig", hexj(CLO_BYTES(sig, 65)));
    return CLO_OK;
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        json_t *in = json_loads(line, 0, NULL), *out = json_object();
        const char *op = json_string_value(json_object_get(in, "op"));
        clo_err err = CLO_ERR(CLO_E_ARG, "unknown op");
        if (!op)
            err = CLO_ERR(CLO_E_FORMAT, "not a request");
        else if (!strcmp(op, "tx_decode"))
            err = op_tx_decode(in, out);
        else if (!strcmp(op, "tx_sign"))
            err = op_tx_sign(in, out);
        else if (!strcmp(op, "abi"))
            err = op_abi(in, out);
        else if (!strcmp(op, "result"))
            err = op_result(in, out);
        if (err.code) json_object_set_new(out, "error", json_string(err.what ? err.what : "?"));
        char *s = json_dumps(out, JSON_COMPACT);
        printf("%s\n", s);
        fflush(stdout);
        free(s);
        json_decref(in);
        json_decref(out);
    }
    free(line);
    return 0;
}
