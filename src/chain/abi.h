/* abi.h — the Solidity contract ABI: types parsed from their canonical
 * strings, values encoded and decoded (static and dynamic types, tuples,
 * fixed and dynamic arrays), selectors and revert reasons.
 *
 * Values are trees of clo_abi_val. A value built for encoding points at the
 * caller's memory (children arrays, byte strings); a decoded value owns its
 * children arrays (free with clo_abi_val_free) but its byte strings are views
 * into the decoded input. Decoding is strict: every offset and length stays
 * inside the input, padding and unused high bits must be zero (or the sign
 * extension, for intN), bool is 0 or 1, and the total number of nodes is
 * bounded by the input size, so offsets that alias cannot blow up. */
#ifndef CLO_CHAIN_ABI_H
#define CLO_CHAIN_ABI_H
#include "base/bytes.h"

#define CLO_ABI_MAX_DEPTH 16

typedef enum {
    CLO_ABI_UINT,
    CLO_ABI_INT,
    CLO_ABI_ADDRESS,
    CLO_ABI_BOOL,
    CLO_ABI_FIXED_BYTES, /* bytes1..bytes32 */
    CLO_ABI_BYTES,
    CLO_ABI_STRING,
    CLO_ABI_ARRAY,       /* T[] */
    CLO_ABI_FIXED_ARRAY, /* T[k] */
    CLO_ABI_TUPLE,
} clo_abi_kind;

typedef struct clo_abi_type {
    clo_abi_kind kind;
    unsigned size;                 /* uintN/intN: N bits; bytesN: N */
    size_t count;                  /* T[k]: k; tuple: member count */
    struct clo_abi_type *elem;     /* arrays */
    struct clo_abi_type **members; /* tuple */
} clo_abi_type;

typedef struct clo_abi_val {
    clo_abi_kind kind;
    uint8_t word[32];          /* static atoms, exactly as encoded */
    clo_bytes bytes;           /* bytes, string */
    size_t count;              /* tuple and array children */
    struct clo_abi_val *items; /* children */
    int owned;                 /* items allocated by the decoder */
} clo_abi_val;

/* Parse "uint256", "bytes32[]", "(address,(bytes,uint8)[])" ... */
CLO_MUST_CHECK clo_err clo_abi_type_parse(const char *text, clo_abi_type **out);
void clo_abi_type_free(clo_abi_type *t);

/* Value constructors for encoding. */
clo_abi_val clo_abi_uint(uint64_t v);
clo_abi_val clo_abi_word(const uint8_t w[32]); /* uint256, bytes32 */
clo_abi_val clo_abi_address(const uint8_t a[20]);
clo_abi_val clo_abi_bool(int b);
clo_abi_val clo_abi_bytes(clo_bytes v);
clo_abi_val clo_abi_string(const char *s);
clo_abi_val clo_abi_tuple(clo_abi_val *items, size_t count);
clo_abi_val clo_abi_array(clo_abi_val *items, size_t count);       /* T[] */
clo_abi_val clo_abi_fixed_array(clo_abi_val *items, size_t count); /* T[k] */

/* Append the encoding of v (a tuple is encoded as an argument list). */
CLO_MUST_CHECK clo_err clo_abi_encode(const clo_abi_val *v, clo_buf *out);
/* selector(signature) || encode(args): calldata for a function call. */
CLO_MUST_CHECK clo_err clo_abi_encode_call(const char *signature, const clo_abi_val *args,
                                           clo_buf *out);
/* keccak256(signature)[0..4]. */
void clo_abi_selector(const char *signature, uint8_t out[4]);

/* Decode in (all of it, as the encoding of a value of type t). */
CLO_MUST_CHECK clo_err clo_abi_decode(const clo_abi_type *t, clo_bytes in, clo_abi_val *out);
/* Parse the type and decode in one step. */
CLO_MUST_CHECK clo_err clo_abi_decode_as(const char *type, clo_bytes in, clo_abi_val *out);
void clo_abi_val_free(clo_abi_val *v);

/* Accessors for decoded atoms. */
CLO_MUST_CHECK clo_err clo_abi_get_u64(const clo_abi_val *v, uint64_t *out);
void clo_abi_get_address(const clo_abi_val *v, uint8_t out[20]);

/* Describe revert data for people: Error(string), Panic(uint256), a custom
 * error whose signature is in custom (NULL-terminated list), or its selector.
 * Writes a NUL-terminated string of at most cap bytes. Never fails. */
void clo_abi_revert_text(clo_bytes data, const char *const *custom, char *out, size_t cap);
#endif
