/* ethkey.c — Ethereum addresses and v-in-{27,28} signatures (see ethkey.h). */
#include "crypto/ethkey.h"

#include <string.h>

#include "crypto/keccak.h"

clo_err clo_eth_address(const uint8_t pub[CLO_SECP256K1_PUB_SIZE],
                        uint8_t addr[CLO_ETH_ADDRESS_SIZE])
{
    uint8_t h[CLO_KECCAK256_SIZE];
    CLO_ENSURE(pub[0] == 0x04, CLO_E_KEY, "uncompressed public key expected");
    clo_keccak256(CLO_BYTES(pub + 1, 64), h);
    memcpy(addr, h + 12, CLO_ETH_ADDRESS_SIZE);
    return CLO_OK;
}

clo_err clo_eth_key_address(const clo_secret32 *sk, uint8_t addr[CLO_ETH_ADDRESS_SIZE])
{
    uint8_t pub[CLO_SECP256K1_PUB_SIZE];
    CLO_TRY(clo_secp256k1_pubkey(sk, pub));
    return clo_eth_address(pub, addr);
}

clo_err clo_eth_sign(const clo_secret32 *sk, const uint8_t digest[32],
                     uint8_t sig[CLO_SECP256K1_SIG_SIZE])
{
    CLO_TRY(clo_secp256k1_sign(sk, digest, sig));
    sig[64] = (uint8_t)(sig[64] + 27);
    return CLO_OK;
}

clo_err clo_eth_signer(const uint8_t digest[32], const uint8_t sig[CLO_SECP256K1_SIG_SIZE],
                       const char *what, uint8_t addr[CLO_ETH_ADDRESS_SIZE])
{
    uint8_t raw[CLO_SECP256K1_SIG_SIZE], pub[CLO_SECP256K1_PUB_SIZE];
    CLO_ENSURE(sig[64] == 27 || sig[64] == 28, CLO_E_AUTH, what);
    memcpy(raw, sig, sizeof raw);
    raw[64] = (uint8_t)(sig[64] - 27);
    CLO_TRY(clo_secp256k1_recover(digest, raw, pub));
    return clo_eth_address(pub, addr);
}
