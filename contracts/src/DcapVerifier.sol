// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {DcapCollateral} from "./DcapCollateral.sol";
import {DcapPki} from "./DcapPki.sol";
import {IDcapVerifier} from "./interfaces/IDcapVerifier.sol";
import {DcapQuote} from "./lib/DcapQuote.sol";
import {P256} from "./lib/P256.sol";
import {PckExt} from "./lib/PckExt.sol";
import {TcbInfo} from "./lib/TcbInfo.sol";
import {X509} from "./lib/X509.sol";

/// @title DcapVerifier
/// @notice Intel DCAP evidence verified on chain with cached trust (issue 18), over
///         the certificates DcapPki and the collateral DcapCollateral hold:
///         - per machine (`registerPlatform`): a PCK certificate issued by a held CA
///           and not revoked, the QE report it signs binding the attestation key,
///           one quote, and the TCB evaluation of Intel's QVL on the collateral;
///           the attestation key's record keeps the outcome;
///         - per enclave key (`checkEnclave`): the quote body under a recorded key,
///           one P-256 verification and one SHA-256.
contract DcapVerifier is IDcapVerifier {
    DcapPki public immutable pki;
    DcapCollateral public immutable collateral;
    /// pki.simulated(): a devnet's simulated root, whose quotes are all debug enclaves
    bool public immutable simulated;

    /// by platformKey(attestation key, TDX module)
    mapping(bytes32 => Platform) public platforms;

    event PlatformRegistered(
        bytes32 indexed attKeyHash, bytes6 indexed fmspc, uint8 status, uint40 validUntil, bytes32[] advisories
    );

    error UnknownIssuer(bytes32 issuer);
    error BadCertSignature();
    error IsACa();
    error CertNotValidNow(uint64 notBefore, uint64 notAfter);
    error NoSgxExtension();
    error BadQeReportSignature();
    error QeReportDoesNotBindKey();
    error BadQuoteSignature();
    error UnknownCollateral();
    error CollateralMismatch();
    error CollateralNotCurrent(uint64 issued, uint64 nextUpdate);
    error UnknownPlatform(bytes32 attKeyHash);
    error PlatformExpired(uint40 validUntil);
    error DebugEnclave();
    error Revoked(bytes32 id);

    constructor(DcapCollateral collateral_) {
        collateral = collateral_;
        pki = collateral_.pki();
        simulated = pki.simulated();
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
        (bytes32 cx, bytes32 cy, uint64 caUntil,,) = pki.cas(c.issuerHash);
        if (caUntil == 0 || c.issuerHash == pki.rootSubject()) revert UnknownIssuer(c.issuerHash);
        k.id = keccak256(abi.encodePacked(c.issuerHash, c.serialHash));
        if (pki.revoked(k.id)) revert Revoked(k.id);
        if (c.isCa) revert IsACa();
        if (!X509.signedBy(pck, c, cx, cy)) revert BadCertSignature();
        _current(c);
        if (block.timestamp > caUntil) revert CertNotValidNow(0, caUntil);
        k.validUntil = c.notAfter < caUntil ? c.notAfter : caUntil;
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
        uint64 until = _collateralUntil(s, tcbInfo, qeIdentity, k.validUntil);
        e = TcbInfo.evaluate(s, abi.decode(tcbInfo, (TcbInfo.Info)), abi.decode(qeIdentity, (TcbInfo.QeIdentity)));
        bytes32 teeTcb = _teeTcb(q.signedPart, DcapQuote.header(q.signedPart));
        keyHash = platformKey(q.attKey, teeTcb);
        platforms[keyHash] = Platform({
            validUntil: uint40(until),
            status: e.status,
            tdx: s.tdx,
            teeTcb: teeTcb,
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

    /// The TCB Info and QE Identity held for this subject match what is supplied and
    /// are current; the earliest expiry.
    function _collateralUntil(TcbInfo.Subject memory s, bytes calldata tcbInfo, bytes calldata qeIdentity, uint64 until)
        private
        view
        returns (uint64)
    {
        (bytes32 digest, uint64 next,,) = collateral.tcbInfos(keccak256(abi.encodePacked(s.tdx, s.fmspc)));
        until = _held(digest, next, tcbInfo, until);
        (digest, next,,) = collateral.qeIdentities(s.tdx);
        return _held(digest, next, qeIdentity, until);
    }

    /// The collateral held matches what is supplied and is current; the earlier expiry.
    function _held(bytes32 digest, uint64 nextUpdate, bytes calldata enc, uint64 until) private view returns (uint64) {
        if (digest == bytes32(0)) revert UnknownCollateral();
        if (keccak256(enc) != digest) revert CollateralMismatch();
        if (block.timestamp > nextUpdate) revert CollateralNotCurrent(0, nextUpdate);
        return nextUpdate < until ? nextUpdate : until;
    }

    /// What a TD's TCB evaluation depended on beyond the machine: its TDX module
    /// (TEE TCB SVN, MRSIGNERSEAM, SEAM attributes); nothing for SGX.
    function _teeTcb(bytes calldata s, DcapQuote.Header memory h) private pure returns (bytes32) {
        if (h.teeType != DcapQuote.TEE_TDX) return bytes32(0);
        uint256 b = h.body;
        return keccak256(bytes.concat(s[b:b + 16], s[b + 64:b + 120]));
    }

    /// @notice A platform record's key: the attestation key and, for TDX, the module it
    ///         was evaluated on. Records of one machine on two modules stand side by
    ///         side, so replaying an old quote's registration cannot unseat the current
    ///         module's record.
    function platformKey(bytes calldata attKey, bytes32 teeTcb) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(keccak256(attKey), teeTcb));
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
    ///         platform's attestation key, current, of its TEE, not a debug enclave
    ///         (unless the root is a simulated TEE's), and for TDX on the module its
    ///         platform was evaluated with. Returns the platform record; the caller
    ///         checks status policy, measurement and binding.
    function checkEnclave(bytes calldata signedPart, bytes calldata sig, bytes calldata attKey)
        external
        view
        override
        returns (DcapQuote.Header memory h, uint8 status, uint40 validUntil, bool sim)
    {
        h = checkQuote(signedPart, sig, attKey);
        bytes32 kh = platformKey(attKey, _teeTcb(signedPart, h));
        (status, validUntil) = _standing(kh);
        sim = simulated;
        if (!sim && DcapQuote.isDebug(signedPart, h)) revert DebugEnclave();
    }

    /// A platform record current and not revoked (its PCK, its CA), read field by
    /// field: only what is checked.
    function _standing(bytes32 kh) private view returns (uint8 status, uint40 validUntil) {
        Platform storage p = platforms[kh];
        (validUntil, status) = (p.validUntil, p.status);
        if (validUntil == 0) revert UnknownPlatform(kh);
        if (block.timestamp > validUntil) revert PlatformExpired(validUntil);
        (bytes32 pck, bytes32 ca) = (p.pck, p.ca);
        (bool pckRevoked, uint64 caUntil) = pki.standing(pck, ca);
        if (pckRevoked) revert Revoked(pck);
        if (caUntil == 0) revert Revoked(ca); // its CA was revoked
    }

    function _current(X509.Cert memory c) private view {
        if (block.timestamp < c.notBefore || block.timestamp > c.notAfter) {
            revert CertNotValidNow(c.notBefore, c.notAfter);
        }
    }
}
