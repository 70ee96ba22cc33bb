/* eth.c — typed wrappers over the JSON-RPC calls Cloister uses. */
#include "chain/eth.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static clo_err eth_scalar(clo_rpc *rpc, const char *method, json_t *params, uint64_t *out)
{
    json_t *res;
    CLO_TRY(clo_rpc_call(rpc, method, params, &res));
    clo_err err = clo_rpc_quantity(res, out);
    json_decref(res);
    return err;
}

clo_err clo_eth_chain_id(clo_rpc *rpc, uint64_t *out)
{
    return eth_scalar(rpc, "eth_chainId", NULL, out);
}

clo_err clo_eth_block_number(clo_rpc *rpc, uint64_t *out)
{
    return eth_scalar(rpc, "eth_blockNumber", NULL, out);
}

static json_t *block_ref(const char *tag, uint64_t number)
{
    return tag ? json_string(tag) : clo_rpc_hex_quantity(number);
}

clo_err clo_eth_get_block(clo_rpc *rpc, const char *tag, uint64_t number, clo_eth_block *out)
{
    json_t *res;
    memset(out, 0, sizeof *out);
    CLO_TRY(clo_rpc_call(rpc, "eth_getBlockByNumber",
                         json_pack("[o, b]", block_ref(tag, number), 0), &res));
    clo_err err = CLO_OK;
    CLO_FAIL_IF(json_is_null(res), CLO_E_STATE, "eth.no_block");
    CLO_FAIL_IF(!json_is_object(res), CLO_E_FORMAT, "eth.block");
    CLO_CHECK(clo_rpc_quantity(json_object_get(res, "number"), &out->number));
    CLO_CHECK(clo_rpc_quantity(json_object_get(res, "timestamp"), &out->timestamp));
    CLO_CHECK(clo_rpc_data_fixed(json_object_get(res, "hash"), out->hash, 32));
    CLO_CHECK(clo_rpc_data_fixed(json_object_get(res, "parentHash"), out->parent_hash, 32));
    if (json_object_get(res, "baseFeePerGas"))
        CLO_CHECK(clo_rpc_quantity256(json_object_get(res, "baseFeePerGas"), out->base_fee));
out:
    json_decref(res);
    return err;
}

clo_err clo_eth_nonce(clo_rpc *rpc, const uint8_t addr[20], const char *tag, uint64_t *out)
{
    return eth_scalar(rpc, "eth_getTransactionCount",
                      json_pack("[o, s]", clo_json_hex(CLO_BYTES(addr, 20)), tag), out);
}

clo_err clo_eth_balance(clo_rpc *rpc, const uint8_t addr[20], uint8_t out[32])
{
    json_t *res;
    CLO_TRY(clo_rpc_call(rpc, "eth_getBalance",
                         json_pack("[o, s]", clo_json_hex(CLO_BYTES(addr, 20)), "latest"), &res));
    clo_err err = clo_rpc_quantity256(res, out);
    json_decref(res);
    return err;
}

clo_err clo_eth_code_size(clo_rpc *rpc, const uint8_t addr[20], size_t *out)
{
    json_t *res;
    clo_buf code;
    CLO_TRY(clo_rpc_call(rpc, "eth_getCode",
                         json_pack("[o, s]", clo_json_hex(CLO_BYTES(addr, 20)), "latest"), &res));
    clo_buf_init(&code, 1u << 20);
    clo_err err = clo_rpc_data(res, &code);
    *out = code.len;
    clo_buf_free(&code);
    json_decref(res);
    return err;
}

/* 32-byte big-endian add; 1 on overflow. */
static int word_add(uint8_t acc[32], const uint8_t x[32])
{
    unsigned carry = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned s = (unsigned)acc[i] + x[i] + carry;
        acc[i] = (uint8_t)s;
        carry = s >> 8;
    }
    return carry != 0;
}

clo_err clo_eth_fees(clo_rpc *rpc, uint8_t max_fee[32], uint8_t priority[32])
{
    clo_eth_block b;
    json_t *res;
    CLO_TRY(clo_eth_get_block(rpc, "latest", 0, &b));
    CLO_TRY(clo_rpc_call(rpc, "eth_maxPriorityFeePerGas", NULL, &res));
    clo_err err = clo_rpc_quantity256(res, priority);
    json_decref(res);
    CLO_TRY(err);
    memcpy(max_fee, b.base_fee, 32);
    CLO_ENSURE(!word_add(max_fee, b.base_fee) && !word_add(max_fee, priority), CLO_E_LIMIT,
               "eth.fee_overflow");
    return CLO_OK;
}

/* A node error that is an EVM revert: keep its data, say "eth.reverted". */
static clo_err revert_or(clo_rpc *rpc, clo_err err, clo_buf *revert)
{
    if (err.code != CLO_E_POLICY) return err;
    const clo_rpc_error *e = clo_rpc_last_error(rpc);
    int reverted = e->code == 3 || strstr(e->message, "revert") != NULL;
    if (!reverted) return err;
    if (revert) CLO_TRY(clo_buf_append(revert, e->data, e->data_len));
    return CLO_ERR(CLO_E_POLICY, "eth.reverted");
}

static json_t *call_object(const uint8_t *from, const uint8_t *to, const uint8_t *value,
                           clo_bytes data)
{
    json_t *o = json_object();
    if (!o) return NULL;
    if (from) json_object_set_new(o, "from", clo_json_hex(CLO_BYTES(from, 20)));
    if (to) json_object_set_new(o, "to", clo_json_hex(CLO_BYTES(to, 20)));
    if (value) json_object_set_new(o, "value", clo_rpc_hex_quantity256(value));
    json_object_set_new(o, "input", clo_json_hex(data));
    return o;
}

static clo_err call_at(clo_rpc *rpc, const uint8_t *from, const uint8_t to[20], clo_bytes data,
                       uint64_t block, clo_buf *out, clo_buf *revert)
{
    json_t *res;
    char tag[24] = "latest";
    if (block != CLO_ETH_LATEST) snprintf(tag, sizeof tag, "0x%llx", (unsigned long long)block);
    clo_err err = clo_rpc_call(rpc, "eth_call",
                               json_pack("[o, s]", call_object(from, to, NULL, data), tag), &res);
    CLO_TRY(revert_or(rpc, err, revert));
    err = clo_rpc_data(res, out);
    json_decref(res);
    return err;
}

clo_err clo_eth_call(clo_rpc *rpc, const uint8_t *from, const uint8_t to[20], clo_bytes data,
                     clo_buf *out, clo_buf *revert)
{
    return call_at(rpc, from, to, data, CLO_ETH_LATEST, out, revert);
}

clo_err clo_eth_estimate_gas(clo_rpc *rpc, const uint8_t from[20], const uint8_t *to,
                             const uint8_t value[32], clo_bytes data, uint64_t *out,
                             clo_buf *revert)
{
    json_t *res;
    clo_err err = clo_rpc_call(rpc, "eth_estimateGas",
                               json_pack("[o]", call_object(from, to, value, data)), &res);
    CLO_TRY(revert_or(rpc, err, revert));
    err = clo_rpc_quantity(res, out);
    json_decref(res);
    return err;
}

clo_err clo_eth_view(clo_rpc *rpc, const uint8_t to[20], const char *sig, const clo_abi_val *args,
                     const char *ret, clo_abi_val *out)
{
    return clo_eth_view_at(rpc, to, sig, args, ret, CLO_ETH_LATEST, out);
}

clo_err clo_eth_view_at(clo_rpc *rpc, const uint8_t to[20], const char *sig,
                        const clo_abi_val *args, const char *ret, uint64_t block, clo_abi_val *out)
{
    clo_buf data, res;
    clo_buf_init(&data, 1 << 20);
    clo_buf_init(&res, 1 << 20);
    clo_err err = clo_abi_encode_call(sig, args, &data);
    if (!err.code) err = call_at(rpc, NULL, to, clo_buf_view(&data), block, &res, NULL);
    if (!err.code) err = clo_abi_decode_as(ret, clo_buf_view(&res), out);
    clo_buf_free(&data);
    clo_buf_free(&res);
    return err;
}

clo_err clo_eth_send_raw(clo_rpc *rpc, clo_bytes raw, uint8_t hash[32])
{
    json_t *res;
    CLO_TRY(clo_rpc_call(rpc, "eth_sendRawTransaction", json_pack("[o]", clo_json_hex(raw)), &res));
    clo_err err = clo_rpc_data_fixed(res, hash, 32);
    json_decref(res);
    return err;
}

void clo_eth_logs_free(clo_eth_log *logs, size_t count)
{
    for (size_t i = 0; logs && i < count; i++) clo_buf_free(&logs[i].data);
    free(logs);
}

clo_err clo_eth_parse_log(const json_t *j, clo_eth_log *out)
{
    memset(out, 0, sizeof *out);
    clo_buf_init(&out->data, 1u << 20);
    CLO_ENSURE(json_is_object(j), CLO_E_FORMAT, "eth.log");
    json_t *topics = json_object_get(j, "topics"), *removed = json_object_get(j, "removed");
    CLO_TRY(clo_rpc_data_fixed(json_object_get(j, "address"), out->address, 20));
    CLO_ENSURE(json_is_array(topics) && json_array_size(topics) <= CLO_ETH_MAX_TOPICS, CLO_E_FORMAT,
               "eth.log_topics");
    out->topic_count = json_array_size(topics);
    for (size_t i = 0; i < out->topic_count; i++)
        CLO_TRY(clo_rpc_data_fixed(json_array_get(topics, i), out->topics[i], 32));
    CLO_TRY(clo_rpc_data(json_object_get(j, "data"), &out->data));
    CLO_TRY(clo_rpc_quantity(json_object_get(j, "blockNumber"), &out->block_number));
    CLO_TRY(clo_rpc_quantity(json_object_get(j, "logIndex"), &out->log_index));
    CLO_TRY(clo_rpc_data_fixed(json_object_get(j, "blockHash"), out->block_hash, 32));
    CLO_TRY(clo_rpc_data_fixed(json_object_get(j, "transactionHash"), out->tx_hash, 32));
    CLO_ENSURE(removed == NULL || json_is_boolean(removed), CLO_E_FORMAT, "eth.log_removed");
    out->removed = json_is_true(removed);
    return CLO_OK;
}

static clo_err parse_logs(const json_t *arr, clo_eth_log **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    CLO_ENSURE(json_is_array(arr), CLO_E_FORMAT, "eth.logs");
    size_t n = json_array_size(arr);
    if (n == 0) return CLO_OK;
    clo_eth_log *logs = calloc(n, sizeof *logs);
    CLO_ENSURE(logs != NULL, CLO_E_NOMEM, "eth.logs");
    for (size_t i = 0; i < n; i++) {
        clo_err err = clo_eth_parse_log(json_array_get(arr, i), &logs[i]);
        if (err.code) {
            clo_eth_logs_free(logs, i + 1);
            return err;
        }
    }
    *out = logs;
    *count = n;
    return CLO_OK;
}

clo_err clo_eth_get_logs(clo_rpc *rpc, const uint8_t address[20], const uint8_t (*topic0s)[32],
                         size_t topic_count, uint64_t from, uint64_t to, clo_eth_log **out,
                         size_t *count)
{
    json_t *t0 = json_array(), *res;
    for (size_t i = 0; t0 && i < topic_count; i++)
        json_array_append_new(t0, clo_json_hex(CLO_BYTES(topic0s[i], 32)));
    json_t *filter = json_pack("{s:o, s:o, s:[o]}", "fromBlock", clo_rpc_hex_quantity(from),
                               "toBlock", clo_rpc_hex_quantity(to), "topics", t0);
    CLO_ENSURE(filter != NULL, CLO_E_NOMEM, "eth.logs");
    if (address) json_object_set_new(filter, "address", clo_json_hex(CLO_BYTES(address, 20)));
    CLO_TRY(clo_rpc_call(rpc, "eth_getLogs", json_pack("[o]", filter), &res));
    clo_err err = parse_logs(res, out, count);
    json_decref(res);
    return err;
}

void clo_eth_receipt_free(clo_eth_receipt *r)
{
    clo_eth_logs_free(r->logs, r->log_count);
    r->logs = NULL;
    r->log_count = 0;
}

clo_err clo_eth_get_receipt(clo_rpc *rpc, const uint8_t hash[32], clo_eth_receipt *out)
{
    json_t *res;
    uint64_t status;
    memset(out, 0, sizeof *out);
    CLO_TRY(clo_rpc_call(rpc, "eth_getTransactionReceipt",
                         json_pack("[o]", clo_json_hex(CLO_BYTES(hash, 32))), &res));
    clo_err err = CLO_OK;
    CLO_FAIL_IF(json_is_null(res), CLO_E_STATE, "eth.no_receipt");
    CLO_FAIL_IF(!json_is_object(res), CLO_E_FORMAT, "eth.receipt");
    CLO_CHECK(clo_rpc_quantity(json_object_get(res, "status"), &status));
    CLO_FAIL_IF(status > 1, CLO_E_FORMAT, "eth.receipt_status");
    out->status = (int)status;
    CLO_CHECK(clo_rpc_quantity(json_object_get(res, "blockNumber"), &out->block_number));
    CLO_CHECK(clo_rpc_quantity(json_object_get(res, "gasUsed"), &out->gas_used));
    CLO_CHECK(
        clo_rpc_quantity(json_object_get(res, "effectiveGasPrice"), &out->effective_gas_price));
    CLO_CHECK(clo_rpc_data_fixed(json_object_get(res, "blockHash"), out->block_hash, 32));
    CLO_CHECK(clo_rpc_data_fixed(json_object_get(res, "transactionHash"), out->tx_hash, 32));
    CLO_FAIL_IF(memcmp(out->tx_hash, hash, 32) != 0, CLO_E_FORMAT, "eth.receipt_hash");
    json_t *ca = json_object_get(res, "contractAddress");
    if (ca && !json_is_null(ca)) {
        CLO_CHECK(clo_rpc_data_fixed(ca, out->contract_address, 20));
        out->has_contract = 1;
    }
    CLO_CHECK(parse_logs(json_object_get(res, "logs"), &out->logs, &out->log_count));
out:
    json_decref(res);
    if (err.code) clo_eth_receipt_free(out);
    return err;
}

clo_err clo_eth_dev_mine(clo_rpc *rpc, uint64_t blocks)
{
    json_t *res;
    CLO_TRY(clo_rpc_call(rpc, "anvil_mine", json_pack("[o]", clo_rpc_hex_quantity(blocks)), &res));
    json_decref(res);
    return CLO_OK;
}
