// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DcapQuote} from "./lib/DcapQuote.sol";
import {P256} from "./lib/P256.sol";
import {PckExt} from "./lib/PckExt.sol";
import {TcbInfo} from "./lib/TcbInfo.sol";
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
///         TCB Info and QE Identity are verified under the TCB Signing certificate,
///         parsed once and held as digests of their parsed form; a machine's
///         registration evaluates its TCB as Intel's QVL does and keeps the outcome.
///         Revocation is by proof: a current CRL and an entry's index (`revoke`).
///         Work in progress: nothing registers enclaves through it yet.
contract DcapVerifier {
    struct Ca {
        bytes32 x;
        bytes32 y;
        uint64 notAfter; // 0 once revoked
        bytes32 issuer; // subject of the CA that issued it (the root's own for the root)
        bytes32 serialHash;
    }

    /// keccak256(x || y) of the trusted root's P-256 key
    bytes32 public immutable rootKeyHash;
    /// keccak256 of the root's subject Name, once its certificate is submitted
    bytes32 public rootSubject;
    /// CA certificates issued by the root, by keccak256 of their subject Name
    mapping(bytes32 subject => Ca) public cas;

    /// Verified TCB collateral, stored compactly: the keccak256 of its parsed form's
    /// ABI encoding (`encodeTcbInfo`, `encodeQeIdentity`), which a platform's
    /// registration supplies again in calldata.
    struct Collateral {
        bytes32 digest;
        uint64 nextUpdate;
        uint32 evalNumber;
    }

    /// by keccak256(abi.encodePacked(isTdx, fmspc))
    mapping(bytes32 => Collateral) public tcbInfos;
    /// by isTdQe
    mapping(bool => Collateral) public qeIdentities;

    /// A machine's certified attestation key, evaluated once (tier 2).
    struct Platform {
        uint40 validUntil; // the earliest expiry of its certificates and collateral
        uint8 status; // TcbInfo status, converged
        bool tdx;
        bytes32 teeTcb; // TDX: keccak256(TEE TCB SVN || MRSIGNERSEAM || SEAM attributes) evaluated
        bytes32 advisories; // keccak256 of the advisory ids, in order
        bytes32 pck; // keccak256(issuer subject hash || PCK serial hash): what a CRL revokes
        bytes32 ca; // the PCK's issuing CA, by subject
    }

    /// by keccak256(attestation key)
    mapping(bytes32 => Platform) public platforms;

    /// Certificates revoked by a CRL, by keccak256(issuer subject hash || serial hash)
    mapping(bytes32 => bool) public revoked;
    /// The CA certificates held, by the same id
    mapping(bytes32 => bytes32) public caBySerial;

    event RootSet(bytes32 indexed subject, uint64 notAfter);
    event CaAdded(bytes32 indexed subject, bytes32 indexed serialHash, uint64 notAfter);
    event TcbInfoAdded(bytes6 indexed fmspc, bool tdx, uint32 evalNumber, uint64 nextUpdate, bytes32 digest);
    event CertificateRevoked(bytes32 indexed id, bytes32 indexed issuer, bytes32 serialHash);
    event QeIdentityAdded(bool tdQe, uint32 evalNumber, uint64 nextUpdate, bytes32 digest);
    event PlatformRegistered(
        bytes32 indexed attKeyHash, bytes6 indexed fmspc, uint8 status, uint40 validUntil, bytes32[] advisories
    );

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
    error NotATcbSigner();
    error BadCollateralSignature();
    error CollateralNotCurrent(uint64 issued, uint64 nextUpdate);
    error CollateralRollback(uint32 stored, uint32 offered);
    error UnknownCollateral();
    error CollateralMismatch();
    error UnknownPlatform(bytes32 attKeyHash);
    error PlatformExpired(uint40 validUntil);
    error TeeMismatch();
    error TdxModuleChanged();
    error DebugEnclave();
    error Revoked(bytes32 id);
    error BadCrlSignature();
    error CrlNotCurrent(uint64 thisUpdate, uint64 nextUpdate);

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

    /// @notice Submit a TCB Info: the signed "tcbInfo" object's exact bytes, Intel's
    ///         signature over them (r || s) and the TCB Signing certificate (issued by
    ///         the root, not a CA, valid now). Current now; never older than the one held.
    function addTcbInfo(bytes calldata body, bytes calldata sig, bytes calldata signer) external {
        _signedByTcbSigner(body, sig, signer);
        TcbInfo.Info memory info = TcbInfo.parse(body);
        _currentCollateral(info.issueDate, info.nextUpdate);
        bytes32 key = keccak256(abi.encodePacked(info.tdx, info.fmspc));
        bytes32 digest = keccak256(abi.encode(info));
        tcbInfos[key] = _newer(tcbInfos[key], digest, info.nextUpdate, info.evalNumber);
        emit TcbInfoAdded(info.fmspc, info.tdx, info.evalNumber, info.nextUpdate, digest);
    }

    /// @notice Submit a QE Identity (QE for SGX, TD_QE for TDX), as addTcbInfo.
    function addQeIdentity(bytes calldata body, bytes calldata sig, bytes calldata signer) external {
        _signedByTcbSigner(body, sig, signer);
        TcbInfo.QeIdentity memory q = TcbInfo.parseQeIdentity(body);
        _currentCollateral(q.issueDate, q.nextUpdate);
        bytes32 digest = keccak256(abi.encode(q));
        qeIdentities[q.tdQe] = _newer(qeIdentities[q.tdQe], digest, q.nextUpdate, q.evalNumber);
        emit QeIdentityAdded(q.tdQe, q.evalNumber, q.nextUpdate, digest);
    }

    /// @notice The compact form a platform's registration supplies (what the digest covers).
    function encodeTcbInfo(bytes calldata body) external pure returns (bytes memory) {
        return abi.encode(TcbInfo.parse(body));
    }

    function encodeQeIdentity(bytes calldata body) external pure returns (bytes memory) {
        return abi.encode(TcbInfo.parseQeIdentity(body));
    }

    function _signedByTcbSigner(bytes calldata body, bytes calldata sig, bytes calldata signer) private view {
        bytes32 root = rootSubject;
        if (root == bytes32(0)) revert RootNotSet();
        X509.Cert memory c = X509.parse(signer);
        if (c.issuerHash != root || c.isCa) revert NotATcbSigner();
        Ca storage r = cas[root];
        if (!X509.signedBy(signer, c, r.x, r.y)) revert BadCertSignature();
        _current(c);
        if (sig.length != 64) revert BadCollateralSignature();
        if (!P256.verify(sha256(body), bytes32(sig[0:32]), bytes32(sig[32:64]), c.x, c.y)) {
            revert BadCollateralSignature();
        }
    }

    function _currentCollateral(uint64 issued, uint64 nextUpdate) private view {
        if (block.timestamp < issued || block.timestamp > nextUpdate) revert CollateralNotCurrent(issued, nextUpdate);
    }

    /// Collateral replaces what is held only if its evaluation data number is not lower.
    function _newer(Collateral memory held, bytes32 digest, uint64 nextUpdate, uint32 evalNumber)
        private
        pure
        returns (Collateral memory)
    {
        if (held.digest != bytes32(0) && evalNumber < held.evalNumber) {
            revert CollateralRollback(held.evalNumber, evalNumber);
        }
        return Collateral(digest, nextUpdate, evalNumber);
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
        Pck memory k = _pck(pck);
        _qe(qeReport, qeReportSig, qeAuth, attKey, k.x, k.y);
        return (k.f, k.validUntil);
    }

    /// What a checked PCK certificate gives.
    struct Pck {
        PckExt.Fields f;
        uint64 validUntil;
        bytes32 x;
        bytes32 y;
        bytes32 id; // keccak256(issuer || serial), as CRLs name it
        bytes32 ca; // issuer subject
    }

    /// A PCK leaf issued by a cached CA, not revoked, valid now, and its SGX extension.
    function _pck(bytes calldata pck) private view returns (Pck memory k) {
        X509.Cert memory c = X509.parse(pck);
        Ca storage ca = cas[c.issuerHash];
        if (ca.notAfter == 0 || c.issuerHash == rootSubject) revert UnknownIssuer(c.issuerHash);
        k.id = keccak256(abi.encodePacked(c.issuerHash, c.serialHash));
        if (revoked[k.id]) revert Revoked(k.id);
        if (c.isCa) revert IsACa();
        if (!X509.signedBy(pck, c, ca.x, ca.y)) revert BadCertSignature();
        _current(c);
        if (block.timestamp > ca.notAfter) revert CertNotValidNow(0, ca.notAfter);
        k.validUntil = c.notAfter < ca.notAfter ? c.notAfter : ca.notAfter;
        (uint256 es, uint256 ee) = X509.extension(pck, c, PckExt.OID);
        if (es == ee) revert NoSgxExtension();
        k.f = PckExt.parse(pck, es, ee);
        (k.x, k.y, k.ca) = (c.x, c.y, c.issuerHash);
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

    /// The quote parts a platform's registration carries.
    struct QuoteParts {
        bytes signedPart;
        bytes sig;
        bytes attKey;
        bytes qeReport;
        bytes qeReportSig;
        bytes qeAuth;
    }

    /// @notice Register a machine's attestation key (tier 2): its PCK certificate and
    ///         QE report (checkPlatform), one quote it signed, and the compact TCB Info
    ///         and QE Identity held for it (encodeTcbInfo / encodeQeIdentity of the
    ///         bytes submitted), evaluated as Intel's QVL does. The record holds the
    ///         status, whatever it is: a policy decides which statuses it accepts.
    function registerPlatform(
        bytes calldata pck,
        QuoteParts calldata q,
        bytes calldata tcbInfo,
        bytes calldata qeIdentity
    ) external returns (bytes32 keyHash, TcbInfo.Eval memory e) {
        (TcbInfo.Subject memory s, Pck memory k) = _subject(pck, q);
        uint64 until = _held(tcbInfos[keccak256(abi.encodePacked(s.tdx, s.fmspc))], tcbInfo, k.validUntil);
        until = _held(qeIdentities[s.tdx], qeIdentity, until);
        e = TcbInfo.evaluate(s, abi.decode(tcbInfo, (TcbInfo.Info)), abi.decode(qeIdentity, (TcbInfo.QeIdentity)));
        keyHash = keccak256(q.attKey);
        platforms[keyHash] = Platform({
            validUntil: uint40(until),
            status: e.status,
            tdx: s.tdx,
            teeTcb: s.tdx ? _teeTcb(q.signedPart, DcapQuote.header(q.signedPart)) : bytes32(0),
            advisories: keccak256(abi.encodePacked(e.advisories)),
            pck: k.id,
            ca: k.ca
        });
        emit PlatformRegistered(keyHash, s.fmspc, e.status, uint40(until), e.advisories);
    }

    /// checkPlatform and checkQuote on a registration's parts: what evaluation reads.
    function _subject(bytes calldata pck, QuoteParts calldata q)
        private
        view
        returns (TcbInfo.Subject memory s, Pck memory k)
    {
        k = _pck(pck);
        _qe(q.qeReport, q.qeReportSig, q.qeAuth, q.attKey, k.x, k.y);
        DcapQuote.Header memory h = checkQuote(q.signedPart, q.sig, q.attKey);
        s = DcapQuote.subject(q.signedPart, h, q.qeReport, k.f);
    }

    /// The collateral held matches what is supplied and is current; the earlier expiry.
    function _held(Collateral storage c, bytes calldata enc, uint64 until) private view returns (uint64) {
        if (c.digest == bytes32(0)) revert UnknownCollateral();
        if (keccak256(enc) != c.digest) revert CollateralMismatch();
        if (block.timestamp > c.nextUpdate) revert CollateralNotCurrent(0, c.nextUpdate);
        return c.nextUpdate < until ? c.nextUpdate : until;
    }

    /// What a TD's TCB evaluation depended on beyond the machine: its TDX module.
    function _teeTcb(bytes calldata s, DcapQuote.Header memory h) private pure returns (bytes32) {
        uint256 b = h.body;
        return keccak256(bytes.concat(s[b:b + 16], s[b + 64:b + 120]));
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

    /// @notice The per-enclave-key check (tier 3): the quote signed by a registered
    ///         platform's attestation key, current, of its TEE, not a debug enclave, and
    ///         for TDX on the module its platform was evaluated with. Returns the
    ///         platform record; the caller checks status policy, measurement and binding.
    function checkEnclave(bytes calldata signedPart, bytes calldata sig, bytes calldata attKey)
        external
        view
        returns (DcapQuote.Header memory h, Platform memory p)
    {
        h = checkQuote(signedPart, sig, attKey);
        bytes32 kh = keccak256(attKey);
        p = platforms[kh];
        if (p.validUntil == 0) revert UnknownPlatform(kh);
        if (block.timestamp > p.validUntil) revert PlatformExpired(p.validUntil);
        if (revoked[p.pck]) revert Revoked(p.pck);
        if (cas[p.ca].notAfter == 0) revert Revoked(p.ca); // its CA was revoked
        if (p.tdx != (h.teeType == DcapQuote.TEE_TDX)) revert TeeMismatch();
        if (p.tdx && _teeTcb(signedPart, h) != p.teeTcb) revert TdxModuleChanged();
        if (DcapQuote.isDebug(signedPart, h)) revert DebugEnclave();
    }

    function _current(X509.Cert memory c) private view {
        if (block.timestamp < c.notBefore || block.timestamp > c.notAfter) {
            revert CertNotValidNow(c.notBefore, c.notAfter);
        }
    }
}
