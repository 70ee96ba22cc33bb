/* merkle.c — sorted-pair Keccak-256 Merkle trees. */
#include "crypto/merkle.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/keccak.h"

void clo_merkle_pair(const uint8_t a[32], const uint8_t b[32], uint8_t out[32])
{
    uint8_t cat[64];
    int a_first = memcmp(a, b, 32) < 0;
    memcpy(cat, a_first ? a : b, 32);
    memcpy(cat + 32, a_first ? b : a, 32);
    clo_keccak256(CLO_BYTES(cat, 64), out);
}

/* Walk the tree level by level in one scratch array; if want_proof, collect
 * the sibling of the node that `index` has become on each level. */
static clo_err walk(const uint8_t (*leaves)[32], size_t n, size_t index, uint8_t root[32],
                    uint8_t (*proof)[32], size_t *len)
{
    CLO_ENSURE(n >= 1 && n <= CLO_MERKLE_MAX_LEAVES, CLO_E_ARG, "merkle: leaf count");
    CLO_ENSURE(index < n, CLO_E_ARG, "merkle: leaf index");
    uint8_t(*level)[32] = malloc(n * 32);
    CLO_ENSURE(level, CLO_E_NOMEM, "merkle");
    memcpy(level, leaves, n * 32);
    size_t depth = 0;
    while (n > 1) {
        size_t sib = index ^ 1;
        if (proof && sib < n) memcpy(proof[depth++], level[sib], 32);
        size_t m = 0;
        for (size_t i = 0; i < n; i += 2, m++) {
            if (i + 1 < n)
                clo_merkle_pair(level[i], level[i + 1], level[m]);
            else
                memmove(level[m], level[i], 32);
        }
        n = m;
        index /= 2;
    }
    memcpy(root, level[0], 32);
    free(level);
    if (len) *len = depth;
    return CLO_OK;
}

clo_err clo_merkle_root(const uint8_t (*leaves)[32], size_t n, uint8_t root[32])
{
    return walk(leaves, n, 0, root, NULL, NULL);
}

clo_err clo_merkle_proof(const uint8_t (*leaves)[32], size_t n, size_t index, uint8_t (*proof)[32],
                         size_t *len)
{
    uint8_t root[32];
    return walk(leaves, n, index, root, proof, len);
}

int clo_merkle_verify(const uint8_t (*proof)[32], size_t len, const uint8_t leaf[32],
                      const uint8_t root[32])
{
    uint8_t h[32];
    memcpy(h, leaf, 32);
    for (size_t i = 0; i < len; i++) clo_merkle_pair(h, proof[i], h);
    return memcmp(h, root, 32) == 0;
}
