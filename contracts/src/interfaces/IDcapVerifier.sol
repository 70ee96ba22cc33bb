// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DcapQuote} from "../lib/DcapQuote.sol";

/// @title IDcapVerifier
/// @notice What EnclaveRegistry asks of the on-chain DCAP verifier (DcapVerifier):
///         the per-enclave-key check and the platform record it rests on. An
///         interface, so the registry and the market are not compiled with the
///         verifier's size-optimised settings.
interface IDcapVerifier {
    /// A machine's certified attestation key, evaluated once (tier 2).
    struct Platform {
        uint40 validUntil; // the earliest expiry of its certificates and collateral
        uint8 status; // TcbInfo status, converged
        bool tdx;
        bytes32 teeTcb; // TDX: keccak256(TEE TCB SVN || MRSIGNERSEAM || SEAM attributes) evaluated; SGX: 0
        bytes32 advisories; // keccak256 of the advisory ids, in order
        bytes32 pck; // keccak256(issuer subject hash || PCK serial hash): what a CRL revokes
        bytes32 ca; // the PCK's issuing CA, by subject
    }

    /// @notice The quote signed by a registered platform's attestation key, current,
    ///         not revoked, of its TEE, on the TDX module it was evaluated with, not
    ///         debug (unless `simulated`); reverts naming the reason otherwise.
    ///         Returns the quote's header, the platform's TCB status and validity, and
    ///         whether the root is a simulated TEE's (DcapPki.simulated).
    function checkEnclave(bytes calldata signedPart, bytes calldata sig, bytes calldata attKey)
        external
        view
        returns (DcapQuote.Header memory h, uint8 status, uint40 validUntil, bool sim);
}
