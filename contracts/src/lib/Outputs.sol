// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Outputs
/// @notice The workloads' public outputs (docs/formats.md §5), decoded from
///         the calldata a consumer's onResult receives. Each decoder checks the
///         version and that the length is exactly what the layout says, the
///         list of excluded inputs included, and reverts BadOutput otherwise.
///         Every public output ends with `u16 n | n x u16 excluded position`.
library Outputs {
    error BadOutput();

    uint8 internal constant VERSION = 2;

    /// The trailing excluded-input list at `off`: its count, checking the length.
    function _excluded(bytes calldata out, uint256 off) private pure returns (uint16 n) {
        if (out.length < off + 2) revert BadOutput();
        n = uint16(bytes2(out[off:off + 2]));
        if (out.length != off + 2 + 2 * uint256(n)) revert BadOutput();
    }

    function _version(bytes calldata out) private pure {
        if (out.length == 0 || uint8(out[0]) != VERSION) revert BadOutput();
    }

    /// Position i of the excluded inputs (0-based within the list).
    function excludedAt(bytes calldata out, uint256 listOffset, uint256 i) internal pure returns (uint16) {
        uint256 p = listOffset + 2 + 2 * i;
        if (i >= _excluded(out, listOffset)) revert BadOutput();
        return uint16(bytes2(out[p:p + 2]));
    }

    // ---- auction: u8 2 | u8 sold | u16 bids | winner[20] | price u256 | u16 winner_index | excluded ----

    struct Auction {
        bool sold;
        uint16 bids;
        address winner; // the winning bid's claimed bidder; winnerIndex says whose envelope won
        uint256 price;
        uint16 winnerIndex; // position among the job's inputs
        uint16 excluded;
    }

    uint256 internal constant AUCTION_EXCLUDED_AT = 58;

    function auction(bytes calldata out) internal pure returns (Auction memory a) {
        _version(out);
        a.excluded = _excluded(out, AUCTION_EXCLUDED_AT);
        uint8 sold = uint8(out[1]);
        if (sold > 1) revert BadOutput();
        a.sold = sold == 1;
        a.bids = uint16(bytes2(out[2:4]));
        a.winner = address(bytes20(out[4:24]));
        a.price = uint256(bytes32(out[24:56]));
        a.winnerIndex = uint16(bytes2(out[56:58]));
        if (a.sold && a.winnerIndex >= a.bids) revert BadOutput();
    }

    // ---- vote: u8 2 | u16 choices | u32 total | u32 count[choices] | excluded ----

    struct Vote {
        uint16 choices;
        uint32 total;
        uint16 excluded;
    }

    function vote(bytes calldata out) internal pure returns (Vote memory v) {
        _version(out);
        if (out.length < 7) revert BadOutput();
        v.choices = uint16(bytes2(out[1:3]));
        v.total = uint32(bytes4(out[3:7]));
        v.excluded = _excluded(out, 7 + 4 * uint256(v.choices));
    }

    /// The votes for choice k (0-based).
    function voteCount(bytes calldata out, uint256 k) internal pure returns (uint32) {
        Vote memory v = vote(out);
        if (k >= v.choices) revert BadOutput();
        uint256 p = 7 + 4 * k;
        return uint32(bytes4(out[p:p + 4]));
    }

    // ---- oracle: u8 2 | u8 mode | i64 value | u16 used | u16 rejected | u64 as_of | excluded ----

    struct Oracle {
        uint8 mode; // 1 median, 2 TWAP
        int64 value;
        uint16 used;
        uint16 rejected;
        uint64 asOf; // the latest observation
        uint16 excluded;
    }

    function oracle(bytes calldata out) internal pure returns (Oracle memory o) {
        _version(out);
        o.excluded = _excluded(out, 22);
        o.mode = uint8(out[1]);
        o.value = int64(uint64(bytes8(out[2:10])));
        o.used = uint16(bytes2(out[10:12]));
        o.rejected = uint16(bytes2(out[12:14]));
        o.asOf = uint64(bytes8(out[14:22]));
    }

    // ---- oracle-https: u8 2 | i64 value | u16 used | u16 outliers | u16 failed | u64 as_of
    //      | u64 valid_from | u64 valid_until | u8 n | n x record | excluded, where a record is
    //      136 bytes and its host (u8 outcome | u8 size | host | ...; docs/formats.md §5.6) ----

    struct OracleHttps {
        int64 value;
        uint16 used;
        uint16 outliers;
        uint16 failed;
        uint64 asOf; // the latest Date of the used sources
        uint64 validFrom; // the used certificate chains' windows, intersected
        uint64 validUntil;
        uint8 sources;
        uint16 excluded;
    }

    uint256 internal constant HTTPS_RECORD_FIXED = 136;

    function oracleHttps(bytes calldata out) internal pure returns (OracleHttps memory o) {
        _version(out);
        if (out.length < 40) revert BadOutput();
        o.value = int64(uint64(bytes8(out[1:9])));
        o.used = uint16(bytes2(out[9:11]));
        o.outliers = uint16(bytes2(out[11:13]));
        o.failed = uint16(bytes2(out[13:15]));
        o.asOf = uint64(bytes8(out[15:23]));
        o.validFrom = uint64(bytes8(out[23:31]));
        o.validUntil = uint64(bytes8(out[31:39]));
        o.sources = uint8(out[39]);
        if (uint256(o.used) + o.outliers + o.failed != o.sources || o.used == 0) revert BadOutput();
        uint256 off = 40;
        for (uint256 i = 0; i < o.sources; i++) {
            if (out.length < off + 2) revert BadOutput();
            off += HTTPS_RECORD_FIXED + uint8(out[off + 1]);
        }
        o.excluded = _excluded(out, off);
    }

    // ---- policy: u8 2 | u16 n | n x u8 decision | excluded ----

    function policyCount(bytes calldata out) internal pure returns (uint16 n) {
        _version(out);
        if (out.length < 3) revert BadOutput();
        n = uint16(bytes2(out[1:3]));
        _excluded(out, 3 + uint256(n));
    }

    /// Applicant i's decision (0-based): approved or not.
    function policyDecision(bytes calldata out, uint256 i) internal pure returns (bool) {
        if (i >= policyCount(out)) revert BadOutput();
        uint8 d = uint8(out[3 + i]);
        if (d > 1) revert BadOutput();
        return d == 1;
    }

    // ---- onnx: u8 2 | model_id[32] | u32 inputs | u32 answered | excluded ----

    struct Inference {
        bytes32 modelId; // SHA-256 of the model file
        uint32 inputs;
        uint32 answered;
        uint16 excluded;
    }

    function inference(bytes calldata out) internal pure returns (Inference memory r) {
        _version(out);
        r.excluded = _excluded(out, 41);
        r.modelId = bytes32(out[1:33]);
        r.inputs = uint32(bytes4(out[33:37]));
        r.answered = uint32(bytes4(out[37:41]));
        if (r.answered > r.inputs) revert BadOutput();
    }
}
