// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Binding
/// @notice Report data version 2 (docs/attestation.md, src/evidence/binding.h): how an
///         enclave binds its keys into its quote, checkable on chain for one keccak256:
///         report_data = keccak256("cloister/v2/report-data" || operator || signer ||
///         HPKE key || u32 epoch || u64 chain id || registry || nonce) || 0^32.
library Binding {
    function reportData(
        address operator,
        address signer,
        bytes32 hpkeKey,
        uint32 epoch,
        uint64 chainId,
        address registry,
        bytes32 nonce
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encodePacked("cloister/v2/report-data", operator, signer, hpkeKey, epoch, chainId, registry, nonce)
        );
    }

    /// @notice Whether 64 bytes of report data are this binding's (the second half zero).
    function matches(bytes calldata rd, bytes32 expected) internal pure returns (bool) {
        return rd.length == 64 && bytes32(rd[0:32]) == expected && bytes32(rd[32:64]) == bytes32(0);
    }
}
