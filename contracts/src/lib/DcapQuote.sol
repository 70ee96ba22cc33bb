// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {PckExt} from "./PckExt.sol";
import {TcbInfo} from "./TcbInfo.sol";

/// @title DcapQuote
/// @notice Intel DCAP ECDSA quotes in calldata (SGX v3, TDX v4 and v5): the
///         same layout and the same strictness as src/evidence/quote.c.
///
///   header (48): u16 version | u16 att_key_type | u32 tee_type | u16 qe_svn |
///                u16 pce_svn | qe_vendor_id[16] | user_data[20]
///   v5 only:     u16 body_type | u32 body_size
///   body:        SGX report (384) | TD report 1.0 (584) | TD report 1.5 (648)
///   u32 sig_data_size, then sig_data:
///     signature[64] | attestation_key[64] |
///     v3:    qe_report[384] | qe_report_sig[64] | u16 n | qe_auth[n] | u16 5 | u32 size | PCK chain
///     v4/v5: u16 6 | u32 size | { the v3 tail }
///
/// Integers are little-endian. The signature covers header, descriptor and body.
library DcapQuote {
    error BadQuote(string what);

    uint32 internal constant TEE_SGX = 0x00000000;
    uint32 internal constant TEE_TDX = 0x00000081;
    uint256 internal constant SGX_REPORT = 384;
    uint256 internal constant TD10_REPORT = 584;
    uint256 internal constant TD15_REPORT = 648;
    /// Intel's QE vendor id 939A7233-F79C-4CA9-940A-0DB3957F0607
    bytes16 internal constant INTEL_QE_VENDOR = 0x939a7233f79c4ca9940a0db3957f0607;

    /// What the header says, and where the body is inside the signed part.
    struct Header {
        uint16 version;
        uint32 teeType;
        uint16 bodyType; // 1 SGX report, 2 TD 1.0, 3 TD 1.5 (v5's field; implied before)
        uint16 qeSvn;
        uint16 pceSvn;
        uint256 body; // offset of the body
    }

    /// Where the parts of a whole quote are (offsets into it).
    struct Parts {
        uint256 signedEnd; // header and body: [0, signedEnd)
        uint256 sig; // 64 bytes r || s
        uint256 attKey; // 64 bytes x || y
        uint256 qeReport; // 384 bytes
        uint256 qeReportSig; // 64 bytes
        uint256 qeAuth;
        uint256 qeAuthEnd;
        uint256 pckChain; // PEM certificates
        uint256 pckChainEnd;
    }

    function _u16(bytes calldata b, uint256 o) private pure returns (uint16) {
        return uint16(uint8(b[o])) | (uint16(uint8(b[o + 1])) << 8);
    }

    function _u32(bytes calldata b, uint256 o) private pure returns (uint32) {
        return uint32(_u16(b, o)) | (uint32(_u16(b, o + 2)) << 16);
    }

    /// @notice Check and read the header of a signed part (header, v5 descriptor,
    ///         body), which must be exactly that long.
    function header(bytes calldata s) internal pure returns (Header memory h) {
        h = _header(s);
        if (s.length != h.body + _bodySize(h.bodyType)) revert BadQuote("signed part size");
    }

    function _header(bytes calldata s) private pure returns (Header memory h) {
        if (s.length < 48) revert BadQuote("header");
        h.version = _u16(s, 0);
        if (h.version < 3 || h.version > 5) revert BadQuote("version not 3, 4 or 5");
        if (_u16(s, 2) != 2) revert BadQuote("attestation key type is not ECDSA P-256");
        h.teeType = _u32(s, 4);
        if (h.teeType != TEE_SGX && h.teeType != TEE_TDX) revert BadQuote("TEE type");
        if (h.version == 3 && h.teeType != TEE_SGX) revert BadQuote("version 3 quotes are SGX only");
        h.qeSvn = _u16(s, 8);
        h.pceSvn = _u16(s, 10);
        if (bytes16(s[12:28]) != INTEL_QE_VENDOR) revert BadQuote("QE vendor is not Intel");
        if (h.version == 5) {
            if (s.length < 54) revert BadQuote("body descriptor");
            h.bodyType = _u16(s, 48);
            if (h.bodyType < 1 || h.bodyType > 3) revert BadQuote("body type");
            if (_u32(s, 50) != _bodySize(h.bodyType)) revert BadQuote("body size");
            if ((h.bodyType == 1) != (h.teeType == TEE_SGX)) revert BadQuote("body type does not match the TEE");
            h.body = 54;
        } else {
            h.bodyType = h.teeType == TEE_SGX ? 1 : 2;
            h.body = 48;
        }
    }

    function _bodySize(uint16 bodyType) private pure returns (uint256) {
        return bodyType == 1 ? SGX_REPORT : bodyType == 2 ? TD10_REPORT : TD15_REPORT;
    }

    /// @notice Split a whole quote; bytes after the declared signature data are
    ///         ignored (not signed), as the C parser reports and ignores them.
    function split(bytes calldata q) internal pure returns (Header memory h, Parts memory p) {
        h = _header(q);
        uint256 o = h.body + _bodySize(h.bodyType);
        if (q.length < o + 4) revert BadQuote("signature data size");
        p.signedEnd = o;
        uint256 end = o + 4 + _u32(q, o);
        if (end > q.length) revert BadQuote("signature data truncated");
        o += 4;
        if (end < o + 128) revert BadQuote("signature data");
        p.sig = o;
        p.attKey = o + 64;
        o += 128;
        if (h.version != 3) {
            if (end < o + 6 || _u16(q, o) != 6) revert BadQuote("certification data is not type 6");
            if (o + 6 + _u32(q, o + 2) != end) revert BadQuote("certification data size");
            o += 6;
        }
        if (end < o + 384 + 64 + 2) revert BadQuote("QE report");
        p.qeReport = o;
        p.qeReportSig = o + 384;
        o += 448;
        p.qeAuth = o + 2;
        o = p.qeAuth + _u16(q, o);
        p.qeAuthEnd = o;
        if (end < o + 6 || _u16(q, o) != 5) revert BadQuote("QE certification data is not a PCK chain");
        p.pckChain = o + 6;
        p.pckChainEnd = p.pckChain + _u32(q, o + 2);
        if (p.pckChainEnd != end) revert BadQuote("PCK chain size");
    }

    // ---- report fields (offsets into the body) ----

    /// TD report: tee_tcb_svn 0, mrseam 16, mrsignerseam 64, seam_attributes 112,
    /// td_attributes 120, xfam 128, mrtd 136, mrconfigid 184, mrowner 232,
    /// mrownerconfig 280, rtmr0..3 328 + 48i, report_data 520.
    uint256 internal constant TD_TEE_TCB_SVN = 0;
    uint256 internal constant TD_MRSEAM = 16;
    uint256 internal constant TD_ATTRIBUTES = 120;
    uint256 internal constant TD_MRTD = 136;
    uint256 internal constant TD_RTMR0 = 328;
    uint256 internal constant TD_REPORT_DATA = 520;

    /// SGX report: cpusvn 0, miscselect 16, attributes 48, mrenclave 64,
    /// mrsigner 128, isvprodid 256, isvsvn 258, report_data 320.
    uint256 internal constant SGX_MISCSELECT = 16;
    uint256 internal constant SGX_ATTRIBUTES = 48;
    uint256 internal constant SGX_MRENCLAVE = 64;
    uint256 internal constant SGX_MRSIGNER = 128;
    uint256 internal constant SGX_ISVPRODID = 256;
    uint256 internal constant SGX_ISVSVN = 258;
    uint256 internal constant SGX_REPORT_DATA = 320;

    /// @notice Whether the body is a debug enclave or TD: SGX ATTRIBUTES.DEBUG
    ///         (flags bit 1), TDX TD_ATTRIBUTES.DEBUG (bit 0).
    function isDebug(bytes calldata s, Header memory h) internal pure returns (bool) {
        if (h.teeType == TEE_SGX) return uint8(s[h.body + SGX_ATTRIBUTES]) & 0x02 != 0;
        return uint8(s[h.body + TD_ATTRIBUTES]) & 0x01 != 0;
    }

    /// @notice The body's 64 bytes of report data.
    function reportData(bytes calldata s, Header memory h) internal pure returns (bytes calldata) {
        uint256 o = h.body + (h.teeType == TEE_SGX ? SGX_REPORT_DATA : TD_REPORT_DATA);
        return s[o:o + 64];
    }

    /// @notice The registered measurement (docs/formats.md §4.1): TDX
    ///         keccak256(MRTD || RTMRi for each i in `rtmrPins`, ascending);
    ///         SGX keccak256(MRENCLAVE).
    function measurement(bytes calldata s, Header memory h, uint8 rtmrPins) internal pure returns (bytes32 m) {
        if (h.teeType == TEE_SGX) {
            uint256 o = h.body + SGX_MRENCLAVE;
            return keccak256(s[o:o + 32]);
        }
        bytes memory v = bytes.concat(s[h.body + TD_MRTD:h.body + TD_MRTD + 48]);
        for (uint256 i = 0; i < 4; i++) {
            if (rtmrPins & (1 << i) != 0) {
                uint256 o = h.body + TD_RTMR0 + 48 * i;
                v = bytes.concat(v, s[o:o + 48]);
            }
        }
        return keccak256(v);
    }

    /// @notice What TCB evaluation reads: the TD report's TEE TCB SVNs and SEAM
    ///         identity, the QE report's identity and ISVSVN, the PCK's TCB.
    function subject(bytes calldata s, Header memory h, bytes calldata qeReport, PckExt.Fields memory f)
        internal
        pure
        returns (TcbInfo.Subject memory q)
    {
        q.tdx = h.teeType == TEE_TDX;
        if (q.tdx) {
            uint256 b = h.body;
            q.teeTcbSvn = bytes16(s[b + TD_TEE_TCB_SVN:b + TD_TEE_TCB_SVN + 16]);
            q.mrsignerseam = s[b + 64:b + 112];
            q.seamAttributes = bytes8(s[b + 112:b + 120]);
            q.v15 = h.bodyType == 3;
            if (q.v15) q.teeTcbSvn2 = bytes16(s[b + TD10_REPORT:b + TD10_REPORT + 16]);
        }
        q.qeMrsigner = bytes32(qeReport[SGX_MRSIGNER:SGX_MRSIGNER + 32]);
        q.qeIsvprodid = _u16(qeReport, SGX_ISVPRODID);
        q.qeMiscselect = _u32(qeReport, SGX_MISCSELECT);
        q.qeAttributes = bytes16(qeReport[SGX_ATTRIBUTES:SGX_ATTRIBUTES + 16]);
        q.qeIsvsvn = _u16(qeReport, SGX_ISVSVN);
        q.compSvn = f.compSvn;
        q.pceSvn = f.pceSvn;
        q.fmspc = f.fmspc;
        q.pceId = f.pceId;
    }
}
