/* deploy.c — contract creation. */
#include "chain/deploy.h"

#include <stdio.h>
#include <string.h>

#include "chain/tx.h"

clo_err clo_artifact_bytecode(const char *out_dir, const char *name, clo_buf *code)
{
    char path[4096];
    CLO_ENSURE(snprintf(path, sizeof path, "%s/%s.sol/%s.json", out_dir, name, name) <
                   (int)sizeof path,
               CLO_E_LIMIT, "artifact.path");
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    CLO_ENSURE(doc != NULL, CLO_E_IO, "artifact.read");
    clo_err err = CLO_OK;
    json_t *bc = json_object_get(doc, "bytecode"), *links = json_object_get(bc, "linkReferences");
    CLO_FAIL_IF(!json_is_object(bc), CLO_E_FORMAT, "artifact.bytecode");
    CLO_FAIL_IF(json_object_size(links) != 0, CLO_E_UNSUPPORTED, "artifact.link_references");
    CLO_CHECK(clo_rpc_data(json_object_get(bc, "object"), code));
    CLO_FAIL_IF(code->len == 0, CLO_E_FORMAT, "artifact.empty_bytecode");
out:
    json_decref(doc);
    return err;
}

clo_err clo_deploy(clo_sender *s, clo_bytes code, const clo_abi_val *args, uint8_t address[20],
                   clo_eth_receipt *receipt, clo_buf *revert)
{
    clo_buf init;
    clo_err err = CLO_OK;
    size_t size = 0;
    clo_buf_init(&init, CLO_TX_MAX_SIZE);
    memset(receipt, 0, sizeof *receipt);
    CLO_CHECK(clo_buf_append_bytes(&init, code));
    if (args) CLO_CHECK(clo_abi_encode(args, &init));
    CLO_CHECK(clo_sender_transact(s, NULL, NULL, clo_buf_view(&init), receipt, revert));
    CLO_FAIL_IF(!receipt->has_contract, CLO_E_FORMAT, "deploy.no_contract_address");
    memcpy(address, receipt->contract_address, 20);
    CLO_CHECK(clo_eth_code_size(s->rpc, address, &size));
    CLO_FAIL_IF(size == 0, CLO_E_STATE, "deploy.no_code");
out:
    clo_buf_free(&init);
    return err;
}
