/* statement.h — the signed result statement (docs/architecture.md §5), EIP-712 typed data:
 *
 *   Result(bytes32 jobId,bytes32 inputHash,bytes32 publicOutputHash,
 *          bytes32 privateOutputHash,bytes32 workloadId,bytes32 configHash,uint32 epoch)
 *   domain: name "Cloister", version "1", chainId, verifyingContract = JobMarket
 *
 *   inputHash         = keccak256(keccak256(envelope_1) || ... || keccak256(envelope_n))
 *   publicOutputHash  = keccak256(public output)
 *   privateOutputHash = keccak256(keccak256(sealed_1) || ... || keccak256(sealed_n))
 *   configHash        = keccak256(workload config); an onnx config is 0x01 || model
 *                       id, the model file's SHA-256 (two names, two hashes)
 * Shared by the enclave (signs) and the host and clients (verify). */
#ifndef CLO_WIRE_STATEMENT_H
#define CLO_WIRE_STATEMENT_H

#include "base/bytes.h"
#include "base/secret.h"

#define CLO_RESULT_TYPE                                                                            \
    "Result(bytes32 jobId,bytes32 inputHash,bytes32 publicOutputHash,bytes32 privateOutputHash,"   \
    "bytes32 workloadId,bytes32 configHash,uint32 epoch)"

typedef struct {
    uint8_t job_id[32], input_hash[32], public_output_hash[32], private_output_hash[32],
        workload_id[32], config_hash[32];
    uint32_t epoch;
} clo_result_stmt;

/* A batch: one signature over the sorted-pair Merkle root (crypto/merkle.h)
 * of its Results' struct hashes, all of one epoch. */
#define CLO_BATCH_TYPE "ResultBatch(bytes32 root,uint32 count,uint32 epoch)"

/* hashStruct(Result): a batch's Merkle leaf. */
void clo_result_struct_hash(const clo_result_stmt *s, uint8_t out[32]);
/* The EIP-712 digest the enclave signs. */
void clo_result_digest(const clo_result_stmt *s, uint64_t chain_id, const uint8_t market[20],
                       uint8_t out[32]);
/* 65-byte Ethereum signature r || s || v, v in {27, 28}. */
CLO_MUST_CHECK clo_err clo_result_sign(const clo_result_stmt *s, uint64_t chain_id,
                                       const uint8_t market[20], const clo_secret32 *sk,
                                       uint8_t sig[65]);
/* CLO_OK only if sig is by `signer` over this statement. */
CLO_MUST_CHECK clo_err clo_result_verify(const clo_result_stmt *s, uint64_t chain_id,
                                         const uint8_t market[20], const uint8_t sig[65],
                                         const uint8_t signer[20]);

/* The EIP-712 digest of ResultBatch(root, count, epoch), and its signature
 * (same form as a result's). */
void clo_batch_digest(const uint8_t root[32], uint32_t count, uint32_t epoch, uint64_t chain_id,
                      const uint8_t market[20], uint8_t out[32]);
CLO_MUST_CHECK clo_err clo_batch_sign(const uint8_t root[32], uint32_t count, uint32_t epoch,
                                      uint64_t chain_id, const uint8_t market[20],
                                      const clo_secret32 *sk, uint8_t sig[65]);

#endif
