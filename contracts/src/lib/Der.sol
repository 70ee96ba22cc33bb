// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Der
/// @notice A strict reader of DER in calldata: single-byte tags, definite
///         lengths in the shortest form, every element inside its parent. An
///         element is addressed by the offset of its header; `next` is the
///         offset just past it.
library Der {
    error BadDer(uint256 offset);

    struct Node {
        uint8 tag;
        uint256 start; // first content byte
        uint256 end; // one past the last content byte
    }

    /// @notice The element at `off`, which must end at or before `limit`.
    function node(bytes calldata d, uint256 off, uint256 limit) internal pure returns (Node memory n) {
        if (limit > d.length || off + 2 > limit) revert BadDer(off);
        uint8 tag = uint8(d[off]);
        if (tag & 0x1f == 0x1f) revert BadDer(off); // multi-byte tags: none in this profile
        uint256 len = uint8(d[off + 1]);
        uint256 start = off + 2;
        if (len >= 0x80) {
            uint256 nb = len & 0x7f;
            if (nb == 0 || nb > 3 || start + nb > limit) revert BadDer(off);
            len = 0;
            for (uint256 i = 0; i < nb; i++) {
                len = (len << 8) | uint8(d[start + i]);
            }
            start += nb;
            // shortest form: no long form under 128, no leading zero byte
            if (len < 0x80 || len >> (8 * (nb - 1)) == 0) revert BadDer(off);
        }
        if (start + len > limit) revert BadDer(off);
        n = Node(tag, start, start + len);
    }

    /// @notice The element at `off` inside `parent`, with tag `tag`.
    function expect(bytes calldata d, uint256 off, uint256 limit, uint8 tag) internal pure returns (Node memory n) {
        n = node(d, off, limit);
        if (n.tag != tag) revert BadDer(off);
    }

    /// @notice The first child of a constructed element.
    function first(bytes calldata d, Node memory parent, uint8 tag) internal pure returns (Node memory) {
        return expect(d, parent.start, parent.end, tag);
    }

    /// @notice The sibling after `n`, inside `parentEnd`.
    function next(bytes calldata d, Node memory n, uint256 parentEnd, uint8 tag) internal pure returns (Node memory) {
        return expect(d, n.end, parentEnd, tag);
    }

    /// @notice The element's bytes with its header, from the offset of its header.
    function whole(bytes calldata d, uint256 off, Node memory n) internal pure returns (bytes calldata) {
        return d[off:n.end];
    }

    /// @notice Its content bytes.
    function content(bytes calldata d, Node memory n) internal pure returns (bytes calldata) {
        return d[n.start:n.end];
    }

    /// @notice A non-negative INTEGER of at most 32 value bytes (a leading 0x00 allowed when
    ///         the next byte's top bit is set, as DER requires).
    function uintOf(bytes calldata d, Node memory n) internal pure returns (uint256 v) {
        uint256 len = n.end - n.start;
        if (len == 0 || uint8(d[n.start]) & 0x80 != 0) revert BadDer(n.start);
        uint256 s = n.start;
        if (uint8(d[s]) == 0 && len > 1) {
            if (uint8(d[s + 1]) & 0x80 == 0) revert BadDer(s); // not minimal
            s++;
            len--;
        }
        if (len > 32) revert BadDer(n.start);
        for (uint256 i = 0; i < len; i++) {
            v = (v << 8) | uint8(d[s + i]);
        }
    }

    /// @notice A UTCTime (YYMMDDHHMMSSZ, years 1950..2049) or GeneralizedTime
    ///         (YYYYMMDDHHMMSSZ) as seconds since 1970.
    function timeOf(bytes calldata d, Node memory n) internal pure returns (uint64) {
        uint256 p = n.start;
        uint256 len = n.end - n.start;
        uint256 year;
        if (n.tag == 0x17 && len == 13) {
            year = _digits(d, p, 2);
            year += year < 50 ? 2000 : 1900;
            p += 2;
        } else if (n.tag == 0x18 && len == 15) {
            year = _digits(d, p, 4);
            p += 4;
        } else {
            revert BadDer(n.start);
        }
        if (d[n.end - 1] != "Z") revert BadDer(n.start);
        uint256 month = _digits(d, p, 2);
        uint256 day = _digits(d, p + 2, 2);
        uint256 hh = _digits(d, p + 4, 2);
        uint256 mm = _digits(d, p + 6, 2);
        uint256 ss = _digits(d, p + 8, 2);
        if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hh > 23 || mm > 59 || ss > 59) {
            revert BadDer(n.start);
        }
        return uint64(daysFromCivil(year, month, day) * 86400 + hh * 3600 + mm * 60 + ss);
    }

    function _digits(bytes calldata d, uint256 p, uint256 k) private pure returns (uint256 v) {
        for (uint256 i = 0; i < k; i++) {
            uint8 c = uint8(d[p + i]);
            if (c < 0x30 || c > 0x39) revert BadDer(p);
            v = v * 10 + (c - 0x30);
        }
    }

    function daysInMonth(uint256 y, uint256 m) internal pure returns (uint256) {
        if (m == 2) return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28;
        return m == 4 || m == 6 || m == 9 || m == 11 ? 30 : 31;
    }

    /// @notice Days from 1970-01-01 to y-m-d (proleptic Gregorian, y >= 1970; H. Hinnant's
    ///         days_from_civil).
    function daysFromCivil(uint256 y, uint256 m, uint256 d) internal pure returns (uint256) {
        if (m <= 2) y -= 1;
        uint256 era = y / 400;
        uint256 yoe = y - era * 400;
        uint256 doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        uint256 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
    }
}
