// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DcapQuote} from "./lib/DcapQuote.sol";
import {P256} from "./lib/P256.sol";
import {PckExt} from "./lib/PckExt.sol";
import {X509} from "./lib/X509.sol";

/// @title DcapVerifier
/// @notice Intel DCAP evidence verified on chain, with cached trust (issue 18):
///         - collateral, once: the root certificate, whose key hash is pinned at
///           construction (Intel's, or a devnet's simulated root), and the CA
///           certificates it issued (PCK Platform/Processor CA);
///         - per machine: a PCK certificate issued by a cached CA, the QE report
///           it signs, and the attestation key that QE report binds
///           (`checkPlatform`);
///         - per enclave key: the quote body signed by that attestation key
///           (`checkQuote`).
///         Anyone may submit collateral: it is only stored once it verifies.
///         Work in progress: TCB Info, QE Identity and CRLs, and the stored
///         per-machine records, come next; nothing registers enclaves yet.
contract DcapVerifier {
    struct Ca {
        bytes32 x;
        bytes32 y;
        uint64 notAfter;
    }

    /// keccak256(x || y) of the trusted root's P-256 key
    bytes32 public immutable rootKeyHash;
    /// keccak256 of the root's subject Name, once its certificate is submitted
    bytes32 public rootSubject;
    /// CA certificates issued by the root, by keccak256 of their subject Name
    mapping(bytes32 subject => Ca) public cas;

    event RootSet(bytes32 indexed subject, uint64 notAfter);
    event CaAdded(bytes32 indexed subject, bytes32 indexed serialHash, uint64 notAfter);

    error NotTheRoot();
    error RootAlreadySet();
    error RootNotSet();
    error NotSelfSigned();
    error UnknownIssuer(bytes32 issuer);
    error BadCertSignature();
    error NotACa();
    error IsACa();
    error CertNotValidNow(uint64 notBefore, uint64 notAfter);
    error NoSgxExtension();
    error BadQeReportSignature();
    error QeReportDoesNotBindKey();
    error BadQuoteSignature();

    constructor(bytes32 rootKeyHash_) {
        rootKeyHash = rootKeyHash_;
    }

    // ---- collateral ----

    /// @notice Submit the root certificate: self-signed, under the pinned key, valid now.
    function setRoot(bytes calldata cert) external {
        if (rootSubject != bytes32(0)) revert RootAlreadySet();
        X509.Cert memory c = X509.parse(cert);
        if (keccak256(abi.encodePacked(c.x, c.y)) != rootKeyHash) revert NotTheRoot();
        if (c.issuerHash != c.subjectHash || !c.isCa) revert NotSelfSigned();
        if (!X509.signedBy(cert, c, c.x, c.y)) revert BadCertSignature();
        _current(c);
        rootSubject = c.subjectHash;
        cas[c.subjectHash] = Ca(c.x, c.y, c.notAfter);
        emit RootSet(c.subjectHash, c.notAfter);
    }

    /// @notice Submit a CA certificate issued by the root (PCK Platform or Processor CA).
    function addCa(bytes calldata cert) external {
        bytes32 root = rootSubject;
        if (root == bytes32(0)) revert RootNotSet();
        X509.Cert memory c = X509.parse(cert);
        if (c.issuerHash != root) revert UnknownIssuer(c.issuerHash);
        if (!c.isCa) revert NotACa();
        Ca storage r = cas[root];
        if (!X509.signedBy(cert, c, r.x, r.y)) revert BadCertSignature();
        _current(c);
        uint64 until = c.notAfter < r.notAfter ? c.notAfter : r.notAfter;
        cas[c.subjectHash] = Ca(c.x, c.y, until);
        emit CaAdded(c.subjectHash, c.serialHash, until);
    }

    // ---- per machine ----

    /// @notice Check a machine's certification: a PCK leaf issued by a cached CA and
    ///         valid now, its SGX extension, the QE report it signs, and that the QE
    ///         report's data is SHA-256(attestation key || QE auth data) || 0^32.
    /// @return f the PCK certificate's SGX fields (FMSPC, TCB components, PCESVN)
    /// @return validUntil the earliest expiry on the chain
    function checkPlatform(
        bytes calldata pck,
        bytes calldata qeReport,
        bytes calldata qeReportSig,
        bytes calldata qeAuth,
        bytes calldata attKey
    ) public view returns (PckExt.Fields memory f, uint64 validUntil) {
        bytes32 kx;
        bytes32 ky;
        (f, validUntil, kx, ky) = _pck(pck);
        _qe(qeReport, qeReportSig, qeAuth, attKey, kx, ky);
    }

    /// A PCK leaf issued by a cached CA, valid now, and its SGX extension.
    function _pck(bytes calldata pck)
        private
        view
        returns (PckExt.Fields memory f, uint64 validUntil, bytes32 kx, bytes32 ky)
    {
        X509.Cert memory c = X509.parse(pck);
        Ca storage ca = cas[c.issuerHash];
        if (ca.notAfter == 0 || c.issuerHash == rootSubject) revert UnknownIssuer(c.issuerHash);
        if (c.isCa) revert IsACa();
        if (!X509.signedBy(pck, c, ca.x, ca.y)) revert BadCertSignature();
        _current(c);
        if (block.timestamp > ca.notAfter) revert CertNotValidNow(0, ca.notAfter);
        validUntil = c.notAfter < ca.notAfter ? c.notAfter : ca.notAfter;
        (uint256 es, uint256 ee) = X509.extension(pck, c, PckExt.OID);
        if (es == ee) revert NoSgxExtension();
        f = PckExt.parse(pck, es, ee);
        (kx, ky) = (c.x, c.y);
    }

    /// The QE report signed by the PCK key (kx, ky), its data binding the attestation key.
    function _qe(
        bytes calldata qeReport,
        bytes calldata qeReportSig,
        bytes calldata qeAuth,
        bytes calldata attKey,
        bytes32 kx,
        bytes32 ky
    ) private view {
        if (qeReport.length != DcapQuote.SGX_REPORT || qeReportSig.length != 64 || attKey.length != 64) {
            revert BadQeReportSignature();
        }
        if (!P256.verify(sha256(qeReport), bytes32(qeReportSig[0:32]), bytes32(qeReportSig[32:64]), kx, ky)) {
            revert BadQeReportSignature();
        }
        bytes calldata rd = qeReport[DcapQuote.SGX_REPORT_DATA:DcapQuote.SGX_REPORT_DATA + 64];
        if (bytes32(rd[0:32]) != sha256(bytes.concat(attKey, qeAuth)) || bytes32(rd[32:64]) != bytes32(0)) {
            revert QeReportDoesNotBindKey();
        }
    }

    // ---- per enclave key ----

    /// @notice Check a quote's signed part (header, v5 descriptor, body) against its
    ///         signature by `attKey`, and read its header.
    function checkQuote(bytes calldata signedPart, bytes calldata sig, bytes calldata attKey)
        public
        view
        returns (DcapQuote.Header memory h)
    {
        h = DcapQuote.header(signedPart);
        if (!P256.verifySha256(signedPart, sig, attKey)) revert BadQuoteSignature();
    }

    function _current(X509.Cert memory c) private view {
        if (block.timestamp < c.notBefore || block.timestamp > c.notAfter) {
            revert CertNotValidNow(c.notBefore, c.notAfter);
        }
    }
}
