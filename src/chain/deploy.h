/* deploy.h — contract creation from forge's compiled artifacts
 * (contracts/out/<Name>.sol/<Name>.json, member bytecode.object). */
#ifndef CLO_CHAIN_DEPLOY_H
#define CLO_CHAIN_DEPLOY_H
#include "chain/abi.h"
#include "chain/sender.h"

#define CLO_ARTIFACT_MAX_SIZE (8u << 20)

/* The creation bytecode of contract name from the artifacts directory. An
 * artifact with unlinked library references is refused. */
CLO_MUST_CHECK clo_err clo_artifact_bytecode(const char *out_dir, const char *name, clo_buf *code);
/* Deploy code with constructor args (a tuple, or NULL for none); waits for
 * the receipt and checks the created address holds code. */
CLO_MUST_CHECK clo_err clo_deploy(clo_sender *s, clo_bytes code, const clo_abi_val *args,
                                  uint8_t address[20], clo_eth_receipt *receipt, clo_buf *revert);
#endif
