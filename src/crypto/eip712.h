/* eip712.h — EIP-712 typed structured data hashing, exactly as Solidity's
 * abi.encode/keccak256 computes it (checked against the EIP's Mail example).
 *
 *   digest     = keccak256(0x19 0x01 || domainSeparator || hashStruct(message))
 *   hashStruct = keccak256(typeHash || enc(v1) || ... || enc(vn))
 *   typeHash   = keccak256(encodeType)
 * enc() of atomic values is one 32-byte word: uintN big-endian, address left-
 * padded, bytes32 as is; string and bytes are keccak256 of their contents; a
 * nested struct is its hashStruct. Callers build the words; this module hashes. */
#ifndef CLO_CRYPTO_EIP712_H
#define CLO_CRYPTO_EIP712_H

#include "base/bytes.h"

#define CLO_EIP712_WORD 32

typedef struct {
    const char *name, *version;
    uint64_t chain_id;
    uint8_t verifying_contract[20];
} clo_eip712_domain;

/* keccak256 of an encodeType string such as "Mail(Person from,...)Person(...)". */
void clo_eip712_type_hash(const char *encode_type, uint8_t out[32]);
/* Word encoders. */
void clo_eip712_word_uint(uint64_t v, uint8_t out[32]);
void clo_eip712_word_address(const uint8_t addr[20], uint8_t out[32]);
void clo_eip712_word_dynamic(clo_bytes v, uint8_t out[32]); /* string, bytes */
/* keccak256(type_hash || words[0] || ... || words[count-1]). */
void clo_eip712_hash_struct(const uint8_t type_hash[32], const uint8_t (*words)[32], size_t count,
                            uint8_t out[32]);
/* hashStruct of EIP712Domain(string name,string version,uint256 chainId,address verifyingContract).
 */
void clo_eip712_domain_separator(const clo_eip712_domain *d, uint8_t out[32]);
void clo_eip712_digest(const uint8_t domain_separator[32], const uint8_t struct_hash[32],
                       uint8_t out[32]);

#endif
