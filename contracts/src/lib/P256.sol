// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title P256
/// @notice ECDSA P-256 verification through the EIP-7951 precompile at 0x100
///         (Osaka; 6,900 gas). The precompile returns one word 1 on a valid
///         signature and empty data otherwise, and an address with no code
///         returns empty data too, so only the word 1 counts as valid: a chain
///         without the precompile fails closed.
library P256 {
    address internal constant PRECOMPILE = address(0x100);

    /// @return ok whether (r, s) is a signature of digest h by the key (x, y)
    function verify(bytes32 h, bytes32 r, bytes32 s, bytes32 x, bytes32 y) internal view returns (bool ok) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, h)
            mstore(add(p, 0x20), r)
            mstore(add(p, 0x40), s)
            mstore(add(p, 0x60), x)
            mstore(add(p, 0x80), y)
            mstore(0x00, 0)
            let success := staticcall(gas(), 0x100, p, 0xa0, 0x00, 0x20)
            ok := and(success, and(eq(returndatasize(), 0x20), eq(mload(0x00), 1)))
        }
    }

    /// @notice verify() over SHA-256(message), with a 64-byte r || s and a
    ///         64-byte x || y, as Intel's quotes carry them.
    function verifySha256(bytes calldata message, bytes calldata sig, bytes calldata key) internal view returns (bool) {
        if (sig.length != 64 || key.length != 64) return false;
        return verify(sha256(message), bytes32(sig[0:32]), bytes32(sig[32:64]), bytes32(key[0:32]), bytes32(key[32:64]));
    }
}
