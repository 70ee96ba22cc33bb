// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Der} from "./Der.sol";

/// @title PckExt
/// @notice The Intel SGX extension of PCK certificates (OID 1.2.840.113741.1.13.1):
///         SEQUENCE { SEQUENCE { OID, value } ... } with PPID, TCB (16 component
///         SVNs, PCESVN, CPUSVN), PCE-ID, FMSPC and SGX type, every required
///         entry exactly once, others skipped; as src/evidence/pckext.c.
library PckExt {
    using Der for bytes;

    error BadPckExtension(string what);

    struct Fields {
        bytes16 compSvn; // sgxtcbcomp01svn .. sgxtcbcomp16svn, one byte each
        uint16 pceSvn;
        bytes16 cpuSvn;
        bytes2 pceId;
        bytes6 fmspc;
        uint8 sgxType;
    }

    /// DER content of the extension's OID; entries' OIDs append one or two arcs.
    bytes internal constant OID = hex"2a864886f84d010d01";
    bytes9 private constant BASE = 0x2a864886f84d010d01;

    /// The arcs after the base (1 or 2 of them, each < 128), or (0, 0, 0) when not below it.
    function _arcs(bytes calldata c, Der.Node memory oid) private pure returns (uint256 n, uint8 a0, uint8 a1) {
        uint256 len = oid.end - oid.start;
        if (oid.tag != 0x06 || len < 10 || len > 11 || bytes9(c[oid.start:oid.start + 9]) != BASE) return (0, 0, 0);
        a0 = uint8(c[oid.start + 9]);
        if (len == 11) a1 = uint8(c[oid.start + 10]);
        if (a0 & 0x80 != 0 || a1 & 0x80 != 0) return (0, 0, 0);
        n = len - 9;
    }

    /// The OID and value of the { OID, value } entry at `off`.
    function _entry(bytes calldata c, uint256 off, uint256 end)
        private
        pure
        returns (Der.Node memory e, Der.Node memory oid, Der.Node memory val)
    {
        e = c.expect(off, end, 0x30);
        oid = Der.node(c, e.start, e.end);
        val = Der.node(c, oid.end, e.end);
        if (val.end != e.end) revert BadPckExtension("entry");
    }

    function _octets(bytes calldata c, Der.Node memory v, uint256 n, string memory what)
        private
        pure
        returns (bytes32)
    {
        if (v.tag != 0x04 || v.end - v.start != n) revert BadPckExtension(what);
        return bytes32(c[v.start:v.end]);
    }

    function _small(bytes calldata c, Der.Node memory v, uint256 max, string memory what)
        private
        pure
        returns (uint256 x)
    {
        x = Der.uintOf(c, v);
        if (x > max) revert BadPckExtension(what);
    }

    /// @param start, end the extnValue OCTET STRING's content
    function parse(bytes calldata c, uint256 start, uint256 end) internal pure returns (Fields memory f) {
        Der.Node memory top = c.expect(start, end, 0x30);
        if (top.end != end) revert BadPckExtension("bytes after the extension");
        uint256 seen;
        uint256 off = top.start;
        while (off < top.end) {
            (Der.Node memory e, Der.Node memory oid, Der.Node memory val) = _entry(c, off, top.end);
            (uint256 n, uint8 a,) = _arcs(c, oid);
            if (n != 1) revert BadPckExtension("entry outside the SGX extension");
            if (a >= 32 || seen & (1 << a) != 0) revert BadPckExtension("entry repeated");
            seen |= 1 << a;
            if (a == 1) {
                _octets(c, val, 16, "PPID");
            } else if (a == 2) {
                if (val.tag != 0x30) revert BadPckExtension("TCB");
                _tcb(c, val, f);
            } else if (a == 3) {
                f.pceId = bytes2(_octets(c, val, 2, "PCE-ID"));
            } else if (a == 4) {
                f.fmspc = bytes6(_octets(c, val, 6, "FMSPC"));
            } else if (a == 5) {
                if (val.tag != 0x0a) revert BadPckExtension("SGX type");
                f.sgxType = uint8(_small(c, Der.Node(0x02, val.start, val.end), 255, "SGX type"));
            }
            off = e.end;
        }
        if (seen & 0x3e != 0x3e) revert BadPckExtension("required entry missing");
    }

    function _tcb(bytes calldata c, Der.Node memory seq, Fields memory f) private pure {
        uint256 seen;
        uint256 off = seq.start;
        bytes memory comps = new bytes(16);
        while (off < seq.end) {
            (Der.Node memory e, Der.Node memory oid, Der.Node memory val) = _entry(c, off, seq.end);
            (uint256 n, uint8 a0, uint8 a) = _arcs(c, oid);
            if (n != 2 || a0 != 2 || a < 1 || a > 18) revert BadPckExtension("unknown TCB component");
            if (seen & (1 << a) != 0) revert BadPckExtension("TCB component repeated");
            seen |= 1 << a;
            if (a <= 16) comps[a - 1] = bytes1(uint8(_small(c, val, 255, "TCB component SVN")));
            else if (a == 17) f.pceSvn = uint16(_small(c, val, 65535, "PCESVN"));
            else f.cpuSvn = bytes16(_octets(c, val, 16, "CPUSVN"));
            off = e.end;
        }
        if (seen != 0x7fffe) revert BadPckExtension("TCB components missing");
        f.compSvn = bytes16(comps);
    }
}
