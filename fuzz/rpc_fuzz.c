/* rpc_fuzz.c — JSON-RPC replies from an untrusted node: the envelope parser,
 * then the typed readers Cloister applies to results (quantities, data, logs,
 * receipts' log arrays). Property beyond "no crash": a refusal holds nothing. */
#include <stdlib.h>

#include "chain/eth.h"
#include "chain/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *res;
    clo_rpc_error e;
    clo_err err = clo_rpc_parse_reply(CLO_BYTES(data, size), 1, &res, &e);
    if (err.code) {
        if (res) abort();
        return 0;
    }
    uint64_t q;
    uint8_t w[32];
    clo_buf b;
    clo_buf_init(&b, 1u << 20);
    CLO_IGNORE(clo_rpc_quantity(res, &q));
    CLO_IGNORE(clo_rpc_quantity256(res, w));
    CLO_IGNORE(clo_rpc_data(res, &b));
    clo_buf_free(&b);
    const json_t *logs = json_is_array(res) ? res : json_object_get(res, "logs");
    for (size_t i = 0; i < json_array_size(logs); i++) {
        clo_eth_log log;
        CLO_IGNORE(clo_eth_parse_log(json_array_get(logs, i), &log));
        clo_buf_free(&log.data);
    }
    json_decref(res);
    return 0;
}
