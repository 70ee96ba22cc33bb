// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Der} from "./Der.sol";
import {P256} from "./P256.sol";

/// @title X509
/// @notice The profile of Intel's SGX/TDX PKI, in calldata: v3 certificates
///         signed with ecdsa-with-SHA256 over a P-256 key, and their CRLs.
///         Names are compared as DER bytes (their keccak256), as the C
///         verifier does. Anything outside the profile is refused.
library X509 {
    using Der for bytes;

    error NotInProfile(string what);

    struct Cert {
        uint256 tbsStart; // offset of the TBSCertificate header
        uint256 tbsEnd;
        bytes32 serialHash; // keccak256 of the serial's content bytes (CRL entries match on it)
        bytes32 issuerHash; // keccak256 of the issuer Name's DER
        bytes32 subjectHash;
        uint64 notBefore;
        uint64 notAfter;
        bytes32 x;
        bytes32 y;
        bytes32 r;
        bytes32 s;
        bool isCa;
        uint256 extStart; // the SEQUENCE OF Extension's content, 0..0 when absent
        uint256 extEnd;
    }

    // DER of the AlgorithmIdentifier ecdsa-with-SHA256 (1.2.840.10045.4.3.2), no parameters
    bytes32 private constant ALG_ECDSA_SHA256 = keccak256(hex"300a06082a8648ce3d040302");
    // DER of the AlgorithmIdentifier id-ecPublicKey with prime256v1
    bytes32 private constant ALG_EC_P256 = keccak256(hex"301306072a8648ce3d020106082a8648ce3d030107");

    function parse(bytes calldata c) internal pure returns (Cert memory x) {
        Der.Node memory tbs;
        (tbs, x.r, x.s) = _signed(c);
        (x.tbsStart, x.tbsEnd) = (_tbsOffset(c), tbs.end);
        _tbs(c, tbs, x);
    }

    /// SEQUENCE { tbs SEQUENCE, ecdsa-with-SHA256, BIT STRING signature }, the whole input:
    /// the outer form of certificates and CRLs alike.
    function _signed(bytes calldata c) private pure returns (Der.Node memory tbs, bytes32 r, bytes32 s) {
        Der.Node memory all = c.expect(0, c.length, 0x30);
        if (all.end != c.length) revert NotInProfile("bytes after the signed object");
        tbs = c.first(all, 0x30);
        Der.Node memory alg = c.next(tbs, all.end, 0x30);
        if (keccak256(c[tbs.end:alg.end]) != ALG_ECDSA_SHA256) revert NotInProfile("signature algorithm");
        Der.Node memory bits = c.next(alg, all.end, 0x03);
        if (bits.end != all.end) revert NotInProfile("fields after the signature");
        (r, s) = _ecdsaSig(c, bits);
    }

    /// The offset of the tbs header: the outer SEQUENCE's first content byte.
    function _tbsOffset(bytes calldata c) private pure returns (uint256) {
        return c.expect(0, c.length, 0x30).start;
    }

    /// TBSCertificate: [0] version 3, serial, algorithm, issuer, validity, subject, key, [3] extensions
    function _tbs(bytes calldata c, Der.Node memory tbs, Cert memory x) private pure {
        Der.Node memory n = c.first(tbs, 0xa0);
        if (keccak256(c[n.start:n.end]) != keccak256(hex"020102")) revert NotInProfile("version");
        n = c.next(n, tbs.end, 0x02);
        x.serialHash = keccak256(c[n.start:n.end]);
        uint256 off = n.end;
        n = c.next(n, tbs.end, 0x30);
        if (keccak256(c[off:n.end]) != ALG_ECDSA_SHA256) revert NotInProfile("inner signature algorithm");
        off = n.end;
        n = c.next(n, tbs.end, 0x30);
        x.issuerHash = keccak256(c[off:n.end]);
        n = _validity(c, c.next(n, tbs.end, 0x30), x);
        off = n.end;
        n = c.next(n, tbs.end, 0x30);
        x.subjectHash = keccak256(c[off:n.end]);
        n = c.next(n, tbs.end, 0x30);
        (x.x, x.y) = _p256Key(c, n);
        if (n.end == tbs.end) return;
        n = c.next(n, tbs.end, 0xa3);
        if (n.end != tbs.end) revert NotInProfile("TBSCertificate fields");
        Der.Node memory list = c.first(n, 0x30);
        if (list.end != n.end) revert NotInProfile("extensions");
        x.extStart = list.start;
        x.extEnd = list.end;
        x.isCa = _isCa(c, x);
    }

    function _validity(bytes calldata c, Der.Node memory validity, Cert memory x)
        private
        pure
        returns (Der.Node memory)
    {
        Der.Node memory t0 = Der.node(c, validity.start, validity.end);
        Der.Node memory t1 = Der.node(c, t0.end, validity.end);
        if (t1.end != validity.end) revert NotInProfile("validity");
        x.notBefore = Der.timeOf(c, t0);
        x.notAfter = Der.timeOf(c, t1);
        return validity;
    }

    /// @notice Whether `x` verifies under the key (kx, ky): the caller has matched names.
    function signedBy(bytes calldata c, Cert memory x, bytes32 kx, bytes32 ky) internal view returns (bool) {
        return P256.verify(sha256(c[x.tbsStart:x.tbsEnd]), x.r, x.s, kx, ky);
    }

    /// @notice The value (OCTET STRING content) of the extension whose OID content is
    ///         `oid`; empty when absent.
    function extension(bytes calldata c, Cert memory x, bytes memory oid)
        internal
        pure
        returns (uint256 start, uint256 end)
    {
        bytes32 want = keccak256(oid);
        uint256 off = x.extStart;
        while (off < x.extEnd) {
            Der.Node memory e = c.expect(off, x.extEnd, 0x30);
            Der.Node memory id = c.first(e, 0x06);
            if (keccak256(c[id.start:id.end]) == want) {
                Der.Node memory v = Der.node(c, id.end, e.end);
                if (v.tag == 0x01) v = Der.node(c, v.end, e.end); // critical
                if (v.tag != 0x04 || v.end != e.end) revert NotInProfile("extension");
                return (v.start, v.end);
            }
            off = e.end;
        }
        return (0, 0);
    }

    /// BIT STRING { 0 unused bits, SEQUENCE { INTEGER r, INTEGER s } }
    function _ecdsaSig(bytes calldata c, Der.Node memory bits) private pure returns (bytes32 r, bytes32 s) {
        if (bits.end - bits.start < 1 || c[bits.start] != 0x00) revert NotInProfile("signature bits");
        Der.Node memory seq = c.expect(bits.start + 1, bits.end, 0x30);
        if (seq.end != bits.end) revert NotInProfile("signature");
        Der.Node memory ri = c.first(seq, 0x02);
        Der.Node memory si = c.next(ri, seq.end, 0x02);
        if (si.end != seq.end) revert NotInProfile("signature");
        r = bytes32(Der.uintOf(c, ri));
        s = bytes32(Der.uintOf(c, si));
    }

    /// SEQUENCE { id-ecPublicKey prime256v1, BIT STRING { 0, 04 || x || y } }
    function _p256Key(bytes calldata c, Der.Node memory spki) private pure returns (bytes32 kx, bytes32 ky) {
        Der.Node memory alg = c.first(spki, 0x30);
        if (keccak256(c[spki.start:alg.end]) != ALG_EC_P256) revert NotInProfile("public key algorithm");
        Der.Node memory bits = c.next(alg, spki.end, 0x03);
        if (bits.end != spki.end || bits.end - bits.start != 66) revert NotInProfile("public key");
        if (c[bits.start] != 0x00 || c[bits.start + 1] != 0x04) revert NotInProfile("public key encoding");
        kx = bytes32(c[bits.start + 2:bits.start + 34]);
        ky = bytes32(c[bits.start + 34:bits.start + 66]);
    }

    /// basicConstraints { cA BOOLEAN DEFAULT FALSE, ... }
    function _isCa(bytes calldata c, Cert memory x) private pure returns (bool) {
        (uint256 start, uint256 end) = extension(c, x, hex"551d13");
        if (start == end) return false;
        Der.Node memory seq = c.expect(start, end, 0x30);
        if (seq.end != end) revert NotInProfile("basicConstraints");
        if (seq.start == seq.end) return false;
        Der.Node memory b = Der.node(c, seq.start, seq.end);
        return b.tag == 0x01 && b.end - b.start == 1 && c[b.start] == 0xff;
    }

    struct Crl {
        uint256 tbsStart;
        uint256 tbsEnd;
        bytes32 issuerHash;
        uint64 thisUpdate;
        uint64 nextUpdate; // 0: none given
        uint256 listStart; // revokedCertificates' content; empty when absent
        uint256 listEnd;
        bytes32 r;
        bytes32 s;
    }

    /// @notice A v2 CRL signed with ecdsa-with-SHA256: TBSCertList { version 1,
    ///         algorithm, issuer, thisUpdate, nextUpdate?, revokedCertificates?, [0] extensions? }.
    function parseCrl(bytes calldata c) internal pure returns (Crl memory x) {
        Der.Node memory tbs;
        (tbs, x.r, x.s) = _signed(c);
        (x.tbsStart, x.tbsEnd) = (_tbsOffset(c), tbs.end);
        _tbsCrl(c, tbs, x);
    }

    function _tbsCrl(bytes calldata c, Der.Node memory tbs, Crl memory x) private pure {
        Der.Node memory n = c.first(tbs, 0x02);
        if (keccak256(c[n.start:n.end]) != keccak256(hex"01")) revert NotInProfile("CRL version");
        uint256 off = n.end;
        n = c.next(n, tbs.end, 0x30);
        if (keccak256(c[off:n.end]) != ALG_ECDSA_SHA256) revert NotInProfile("CRL inner signature algorithm");
        off = n.end;
        n = c.next(n, tbs.end, 0x30);
        x.issuerHash = keccak256(c[off:n.end]);
        n = Der.node(c, n.end, tbs.end);
        x.thisUpdate = Der.timeOf(c, n);
        if (n.end == tbs.end) return;
        n = Der.node(c, n.end, tbs.end);
        if (n.tag == 0x17 || n.tag == 0x18) {
            x.nextUpdate = Der.timeOf(c, n);
            if (n.end == tbs.end) return;
            n = Der.node(c, n.end, tbs.end);
        }
        if (n.tag == 0x30) {
            x.listStart = n.start;
            x.listEnd = n.end;
            if (n.end == tbs.end) return;
            n = Der.node(c, n.end, tbs.end);
        }
        if (n.tag != 0xa0 || n.end != tbs.end) revert NotInProfile("CRL fields");
    }

    /// @notice keccak256 of the serial of revoked entry number `index` (walked from the
    ///         first, so only a real entry boundary is ever read).
    function crlSerial(bytes calldata c, Crl memory x, uint256 index) internal pure returns (bytes32) {
        uint256 off = x.listStart;
        for (uint256 i = 0; i < index; i++) {
            off = c.expect(off, x.listEnd, 0x30).end;
        }
        Der.Node memory e = c.expect(off, x.listEnd, 0x30);
        Der.Node memory serial = c.first(e, 0x02);
        return keccak256(c[serial.start:serial.end]);
    }
}
