/* ethkey.h — Ethereum's conventions over secp256k1 (crypto/secp256k1.h): an
 * address is keccak256(X || Y)[12..32] of the public key; a digest signature
 * (EIP-712, ecrecover) is r || s || v with v in {27, 28}. */
#ifndef CLO_CRYPTO_ETHKEY_H
#define CLO_CRYPTO_ETHKEY_H

#include "crypto/secp256k1.h"

#define CLO_ETH_ADDRESS_SIZE 20

/* The address of an uncompressed public key (0x04 || X || Y). */
CLO_MUST_CHECK clo_err clo_eth_address(const uint8_t pub[CLO_SECP256K1_PUB_SIZE],
                                       uint8_t addr[CLO_ETH_ADDRESS_SIZE]);
/* The address of a secret key. */
CLO_MUST_CHECK clo_err clo_eth_key_address(const clo_secret32 *sk,
                                           uint8_t addr[CLO_ETH_ADDRESS_SIZE]);
/* eth_signer refuses a v other than 27 or 28 (CLO_E_AUTH, naming `what`). */
CLO_MUST_CHECK clo_err clo_eth_sign(const clo_secret32 *sk, const uint8_t digest[32],
                                    uint8_t sig[CLO_SECP256K1_SIG_SIZE]);
CLO_MUST_CHECK clo_err clo_eth_signer(const uint8_t digest[32],
                                      const uint8_t sig[CLO_SECP256K1_SIG_SIZE], const char *what,
                                      uint8_t addr[CLO_ETH_ADDRESS_SIZE]);

#endif
