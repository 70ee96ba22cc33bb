// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DcapPki} from "./DcapPki.sol";
import {P256} from "./lib/P256.sol";
import {TcbInfo} from "./lib/TcbInfo.sol";

/// @title DcapCollateral
/// @notice Intel's TCB collateral on chain (issue 18's first tier, JSON): TCB Info
///         and QE Identity verified under the TCB Signing certificate (DcapPki),
///         parsed once, current, never older than what is held, and kept as the
///         digest of their parsed form, which a platform's registration supplies
///         again in calldata (`encodeTcbInfo`, `encodeQeIdentity`).
contract DcapCollateral {
    struct Collateral {
        bytes32 digest;
        uint64 nextUpdate;
        uint32 evalNumber;
        uint64 issueDate;
    }

    DcapPki public immutable pki;
    /// by keccak256(abi.encodePacked(isTdx, fmspc))
    mapping(bytes32 => Collateral) public tcbInfos;
    /// by isTdQe
    mapping(bool => Collateral) public qeIdentities;

    event TcbInfoAdded(bytes6 indexed fmspc, bool tdx, uint32 evalNumber, uint64 nextUpdate, bytes32 digest);
    event QeIdentityAdded(bool tdQe, uint32 evalNumber, uint64 nextUpdate, bytes32 digest);

    error BadCollateralSignature();
    error CollateralNotCurrent(uint64 issued, uint64 nextUpdate);
    error CollateralRollback(uint32 stored, uint32 offered);

    constructor(DcapPki pki_) {
        pki = pki_;
    }

    /// @notice Submit a TCB Info: the signed "tcbInfo" object's exact bytes, Intel's
    ///         signature over them (r || s) and the TCB Signing certificate (issued by
    ///         the root, not a CA, valid now). Current now; never older than the one held.
    function addTcbInfo(bytes calldata body, bytes calldata sig, bytes calldata signer) external {
        _signedByTcbSigner(body, sig, signer);
        TcbInfo.Info memory info = TcbInfo.parse(body);
        _currentCollateral(info.issueDate, info.nextUpdate);
        bytes32 key = keccak256(abi.encodePacked(info.tdx, info.fmspc));
        bytes32 digest = keccak256(abi.encode(info));
        tcbInfos[key] = _newer(tcbInfos[key], Collateral(digest, info.nextUpdate, info.evalNumber, info.issueDate));
        emit TcbInfoAdded(info.fmspc, info.tdx, info.evalNumber, info.nextUpdate, digest);
    }

    /// @notice Submit a QE Identity (QE for SGX, TD_QE for TDX), as addTcbInfo.
    function addQeIdentity(bytes calldata body, bytes calldata sig, bytes calldata signer) external {
        _signedByTcbSigner(body, sig, signer);
        TcbInfo.QeIdentity memory q = TcbInfo.parseQeIdentity(body);
        _currentCollateral(q.issueDate, q.nextUpdate);
        bytes32 digest = keccak256(abi.encode(q));
        qeIdentities[q.tdQe] = _newer(qeIdentities[q.tdQe], Collateral(digest, q.nextUpdate, q.evalNumber, q.issueDate));
        emit QeIdentityAdded(q.tdQe, q.evalNumber, q.nextUpdate, digest);
    }

    /// @notice Whether this TCB Info (its signed body) is the one held: a submitter
    ///         skips an upload that would change nothing.
    function holdsTcbInfo(bytes calldata body) external view returns (bool) {
        TcbInfo.Info memory info = TcbInfo.parse(body);
        return tcbInfos[keccak256(abi.encodePacked(info.tdx, info.fmspc))].digest == keccak256(abi.encode(info));
    }

    /// @notice The same for a QE Identity.
    function holdsQeIdentity(bytes calldata body) external view returns (bool) {
        TcbInfo.QeIdentity memory q = TcbInfo.parseQeIdentity(body);
        return qeIdentities[q.tdQe].digest == keccak256(abi.encode(q));
    }

    /// @notice The compact form a platform's registration supplies (what the digest covers).
    function encodeTcbInfo(bytes calldata body) external pure returns (bytes memory) {
        return abi.encode(TcbInfo.parse(body));
    }

    function encodeQeIdentity(bytes calldata body) external pure returns (bytes memory) {
        return abi.encode(TcbInfo.parseQeIdentity(body));
    }

    function _signedByTcbSigner(bytes calldata body, bytes calldata sig, bytes calldata signer) private view {
        (bytes32 x, bytes32 y) = pki.tcbSigner(signer);
        if (sig.length != 64) revert BadCollateralSignature();
        if (!P256.verify(sha256(body), bytes32(sig[0:32]), bytes32(sig[32:64]), x, y)) {
            revert BadCollateralSignature();
        }
    }

    function _currentCollateral(uint64 issued, uint64 nextUpdate) private view {
        if (block.timestamp < issued || block.timestamp > nextUpdate) revert CollateralNotCurrent(issued, nextUpdate);
    }

    /// Collateral replaces what is held only if it is newer: a higher evaluation data
    /// number, or the same one issued no earlier (Intel re-signs each day; an older
    /// copy replayed would bring its earlier next update back).
    function _newer(Collateral memory held, Collateral memory offered) private pure returns (Collateral memory) {
        if (
            held.digest != bytes32(0)
                && (offered.evalNumber < held.evalNumber
                    || (offered.evalNumber == held.evalNumber && offered.issueDate < held.issueDate))
        ) {
            revert CollateralRollback(held.evalNumber, offered.evalNumber);
        }
        return offered;
    }
}
