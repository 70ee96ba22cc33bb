/* merkle.h — the sorted-pair Keccak-256 Merkle tree JobMarket verifies
 * (contracts/src/JobMarket.sol `_verify`): an inner node is
 * keccak256(min(a, b) || max(a, b)), so a proof is just the sibling hashes,
 * leaf to root, with no left/right flags. A level with an odd node carries it
 * up unchanged. One leaf is its own root (an empty proof).
 *
 * Leaves are result struct hashes, distinct by construction (each names its
 * job id); the tree does not sort or deduplicate them. */
#ifndef CLO_CRYPTO_MERKLE_H
#define CLO_CRYPTO_MERKLE_H

#include "base/bytes.h"

#define CLO_MERKLE_MAX_LEAVES 4096
#define CLO_MERKLE_MAX_DEPTH  12 /* ceil(log2(CLO_MERKLE_MAX_LEAVES)) */

void clo_merkle_pair(const uint8_t a[32], const uint8_t b[32], uint8_t out[32]);
/* Root of leaves[0..n), 1 <= n <= CLO_MERKLE_MAX_LEAVES. */
CLO_MUST_CHECK clo_err clo_merkle_root(const uint8_t (*leaves)[32], size_t n, uint8_t root[32]);
/* Proof for leaves[index]: *len sibling hashes into proof (capacity
 * CLO_MERKLE_MAX_DEPTH). */
CLO_MUST_CHECK clo_err clo_merkle_proof(const uint8_t (*leaves)[32], size_t n, size_t index,
                                        uint8_t (*proof)[32], size_t *len);
/* 1 if proof leads from leaf to root. */
int clo_merkle_verify(const uint8_t (*proof)[32], size_t len, const uint8_t leaf[32],
                      const uint8_t root[32]);

#endif
