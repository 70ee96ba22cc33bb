// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Eip712
/// @notice EIP-712 domain ("Cloister", "1", chainId, this contract) and strict
///         ECDSA recovery: 65-byte r || s || v, v in {27, 28}, low s (EIP-2),
///         no zero address. The domain is recomputed if the chain id changes
///         (a fork), so a signature never verifies on the other branch.
abstract contract Eip712 {
    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("Cloister");
    bytes32 private constant VERSION_HASH = keccak256("1");
    /// secp256k1 n / 2
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    uint256 private immutable cachedChainId;
    bytes32 private immutable cachedDomain;

    error BadSignatureLength();
    error BadSignatureV();
    error HighS();
    error BadSignature();

    constructor() {
        cachedChainId = block.chainid;
        cachedDomain = _buildDomain();
    }

    function _buildDomain() private view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }

    /// @notice The EIP-712 domain separator of this contract on this chain.
    function domainSeparator() public view returns (bytes32) {
        return block.chainid == cachedChainId ? cachedDomain : _buildDomain();
    }

    function _digest(bytes32 structHash) internal view returns (bytes32 d) {
        bytes32 dom = domainSeparator();
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, hex"1901")
            mstore(add(p, 0x02), dom)
            mstore(add(p, 0x22), structHash)
            d := keccak256(p, 0x42)
        }
    }

    /// @dev Recover the signer of digest; reverts on any malformed or malleable signature.
    function _recover(bytes32 digest, bytes calldata sig) internal pure returns (address signer) {
        if (sig.length != 65) revert BadSignatureLength();
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(sig.offset)
            s := calldataload(add(sig.offset, 0x20))
            v := byte(0, calldataload(add(sig.offset, 0x40)))
        }
        if (v != 27 && v != 28) revert BadSignatureV();
        if (uint256(s) > HALF_N) revert HighS();
        signer = ecrecover(digest, v, r, s);
        if (signer == address(0)) revert BadSignature();
    }

    /// The same for an EIP-2098 compact signature (r, yParity << 255 | s): 64 bytes
    /// of calldata, no length word.
    function _recoverCompact(bytes32 digest, bytes32 r, bytes32 vs) internal pure returns (address signer) {
        bytes32 s = vs & bytes32(type(uint256).max >> 1);
        if (uint256(s) > HALF_N) revert HighS();
        signer = ecrecover(digest, uint8(uint256(vs) >> 255) + 27, r, s);
        if (signer == address(0)) revert BadSignature();
    }
}
