/* abi_fuzz.c — strict ABI decoding of untrusted return data and logs. The
 * first byte picks a type (the shapes Cloister decodes, and harder ones); the
 * rest is the data. Property beyond "no crash": a decoded value re-encodes to
 * bytes that decode to a value that encodes the same (a fixed point). */
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const TYPES[] = {
    "(uint256)",
    "(bool)",
    "(address,uint8,bytes32,address,bytes32,uint32,uint64,bytes32)",
    "(bytes32,bytes32,bytes32,bytes32,uint32,address,bytes,bytes[])",
    "(string)",
    "(bytes)",
    "(uint256[])",
    "(uint256[][],string[])",
    "(bytes,bool,uint256[])",
    "(uint256,uint32[],bytes10,bytes)",
    "((address,bytes)[],int8,int256)",
    "(bytes32[3],(uint16,bytes)[2])",
    "(uint80,int256,uint256,uint256,uint80)",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    const char *type = TYPES[data[0] % (sizeof TYPES / sizeof TYPES[0])];
    clo_abi_val v, w;
    if (clo_abi_decode_as(type, CLO_BYTES(data + 1, size - 1), &v).code) return 0;
    /* Heads may alias (as Solidity's decoder allows), so the canonical
     * re-encoding can be larger than the input: at most every value node
     * (size / 8 + 64, the decoder's budget) holding all of the input. */
    size_t cap = (size / 8 + 64) * (size + 96);
    clo_buf a, b;
    clo_buf_init(&a, cap);
    clo_buf_init(&b, cap);
    if (clo_abi_encode(&v, &a).code) abort();
    if (clo_abi_decode_as(type, clo_buf_view(&a), &w).code) abort();
    if (clo_abi_encode(&w, &b).code) abort();
    if (a.len != b.len || memcmp(a.ptr, b.ptr, a.len) != 0) abort();
    clo_abi_val_free(&v);
    clo_abi_val_free(&w);
    clo_buf_free(&a);
    clo_buf_free(&b);
    return 0;
}
