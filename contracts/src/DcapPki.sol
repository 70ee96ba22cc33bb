// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {P256} from "./lib/P256.sol";
import {X509} from "./lib/X509.sol";

/// @title DcapPki
/// @notice Intel's SGX/TDX PKI on chain (issue 18's first tier, certificates): the
///         root certificate, whose key hash is pinned at construction (Intel's, or a
///         devnet's simulated root, then `simulated` is set); the CA certificates it issued; the TCB Signing
///         certificate's check for DcapCollateral; and revocation by proof (a current
///         CRL and an entry's index). Anyone may submit: nothing is stored unless it
///         verifies.
contract DcapPki {
    struct Ca {
        bytes32 x;
        bytes32 y;
        uint64 notAfter; // 0 once revoked
        bytes32 issuer; // subject of the CA that issued it (the root's own for the root)
        bytes32 serialHash;
    }

    /// keccak256(x || y) of the trusted root's P-256 key
    bytes32 public immutable rootKeyHash;
    /// The pinned root is a simulated TEE's (a devnet): its quotes are debug
    /// enclaves, and they register as the simulated TEE, never as TDX or SGX.
    bool public immutable simulated;
    /// keccak256 of the root's subject Name, once its certificate is submitted
    bytes32 public rootSubject;
    /// CA certificates (and the root), by keccak256 of their subject Name
    mapping(bytes32 subject => Ca) public cas;
    /// Certificates revoked by a CRL, by keccak256(issuer subject hash || serial hash)
    mapping(bytes32 => bool) public revoked;
    /// The CA certificates held, by the same id
    mapping(bytes32 => bytes32) public caBySerial;

    event RootSet(bytes32 indexed subject, uint64 notAfter);
    event CaAdded(bytes32 indexed subject, bytes32 indexed serialHash, uint64 notAfter);
    event CertificateRevoked(bytes32 indexed id, bytes32 indexed issuer, bytes32 serialHash);

    error NotTheRoot();
    error RootAlreadySet();
    error RootNotSet();
    error NotSelfSigned();
    error UnknownIssuer(bytes32 issuer);
    error BadCertSignature();
    error NotACa();
    error CertNotValidNow(uint64 notBefore, uint64 notAfter);
    error NotATcbSigner();
    error Revoked(bytes32 id);
    error BadCrlSignature();
    error CrlNotCurrent(uint64 thisUpdate, uint64 nextUpdate);

    constructor(bytes32 rootKeyHash_, bool simulated_) {
        rootKeyHash = rootKeyHash_;
        simulated = simulated_;
    }

    /// @notice A PCK's standing, in one call: whether it is revoked, and its CA's
    ///         expiry (0 once the CA is revoked or if it is not held).
    function standing(bytes32 pck, bytes32 ca) external view returns (bool pckRevoked, uint64 caUntil) {
        return (revoked[pck], cas[ca].notAfter);
    }

    /// @notice Submit the root certificate: self-signed, under the pinned key, valid now.
    function setRoot(bytes calldata cert) external {
        if (rootSubject != bytes32(0)) revert RootAlreadySet();
        X509.Cert memory c = X509.parse(cert);
        if (keccak256(abi.encodePacked(c.x, c.y)) != rootKeyHash) revert NotTheRoot();
        if (c.issuerHash != c.subjectHash || !c.isCa) revert NotSelfSigned();
        if (!X509.signedBy(cert, c, c.x, c.y)) revert BadCertSignature();
        _current(c);
        rootSubject = c.subjectHash;
        cas[c.subjectHash] = Ca(c.x, c.y, c.notAfter, c.issuerHash, c.serialHash);
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
        bytes32 id = keccak256(abi.encodePacked(root, c.serialHash));
        if (revoked[id]) revert Revoked(id);
        cas[c.subjectHash] = Ca(c.x, c.y, until, root, c.serialHash);
        caBySerial[id] = c.subjectHash;
        emit CaAdded(c.subjectHash, c.serialHash, until);
    }

    /// @notice Whether this CA certificate is the one held under its subject (a
    ///         submitter skips an upload that would change nothing).
    function holdsCa(bytes calldata cert) external view returns (bool) {
        X509.Cert memory c = X509.parse(cert);
        Ca storage h = cas[c.subjectHash];
        return h.notAfter != 0 && h.serialHash == c.serialHash;
    }

    /// @notice The key of a TCB Signing certificate: issued by the root, not a CA, valid now.
    function tcbSigner(bytes calldata cert) external view returns (bytes32 x, bytes32 y) {
        bytes32 root = rootSubject;
        if (root == bytes32(0)) revert RootNotSet();
        X509.Cert memory c = X509.parse(cert);
        if (c.issuerHash != root || c.isCa) revert NotATcbSigner();
        Ca storage r = cas[root];
        if (!X509.signedBy(cert, c, r.x, r.y)) revert BadCertSignature();
        _current(c);
        return (c.x, c.y);
    }

    /// @notice Revocation by proof: a current CRL signed by a CA held here (the root's
    ///         for CA certificates, a PCK CA's for PCK certificates) and the index of one
    ///         of its entries. That certificate is refused from now on, and a CA it names
    ///         is dropped with every platform under it.
    function revoke(bytes calldata crl, uint256 index) external returns (bytes32 id) {
        X509.Crl memory x = X509.parseCrl(crl);
        Ca storage issuer = cas[x.issuerHash];
        if (issuer.notAfter == 0) revert UnknownIssuer(x.issuerHash);
        if (!P256.verify(sha256(crl[x.tbsStart:x.tbsEnd]), x.r, x.s, issuer.x, issuer.y)) revert BadCrlSignature();
        if (block.timestamp < x.thisUpdate || (x.nextUpdate != 0 && block.timestamp > x.nextUpdate)) {
            revert CrlNotCurrent(x.thisUpdate, x.nextUpdate);
        }
        bytes32 serial = X509.crlSerial(crl, x, index);
        id = keccak256(abi.encodePacked(x.issuerHash, serial));
        revoked[id] = true;
        bytes32 ca = caBySerial[id];
        if (ca != bytes32(0)) cas[ca].notAfter = 0;
        emit CertificateRevoked(id, x.issuerHash, serial);
    }

    function _current(X509.Cert memory c) private view {
        if (block.timestamp < c.notBefore || block.timestamp > c.notAfter) {
            revert CertNotValidNow(c.notBefore, c.notAfter);
        }
    }
}
