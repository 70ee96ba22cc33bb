// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Der} from "./Der.sol";

/// @title Json
/// @notice A strict reader of the JSON Intel signs (TCB Info, QE Identity), in
///         calldata: positions are offsets into the text. Strings may not hold
///         escapes or control characters (Intel's never do, and the signed bytes
///         are compared as they are); numbers are non-negative integers without
///         leading zeros; nesting is at most 8 deep.
library Json {
    error BadJson(uint256 offset);

    function _at(bytes calldata s, uint256 p) private pure returns (uint8 c) {
        if (p >= s.length) revert BadJson(p);
        assembly ("memory-safe") {
            c := byte(0, calldataload(add(s.offset, p)))
        }
    }

    /// @notice Past any whitespace from p.
    function ws(bytes calldata s, uint256 p) internal pure returns (uint256) {
        while (p < s.length) {
            uint8 c;
            assembly ("memory-safe") {
                c := byte(0, calldataload(add(s.offset, p)))
            }
            if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break;
            p++;
        }
        return p;
    }

    /// @notice The next non-space byte, not consumed.
    function peek(bytes calldata s, uint256 p) internal pure returns (uint8) {
        return _at(s, ws(s, p));
    }

    /// @notice Past the byte `ch` (after whitespace).
    function expect(bytes calldata s, uint256 p, uint8 ch) internal pure returns (uint256) {
        p = ws(s, p);
        if (_at(s, p) != ch) revert BadJson(p);
        return p + 1;
    }

    /// @notice A string: its content [a, b), and the position after it.
    function str(bytes calldata s, uint256 p) internal pure returns (uint256 a, uint256 b, uint256 q) {
        p = expect(s, p, 0x22);
        a = p;
        while (true) {
            uint8 c = _at(s, p);
            if (c == 0x22) break;
            if (c == 0x5c || c < 0x20) revert BadJson(p);
            p++;
        }
        return (a, p, p + 1);
    }

    /// @notice A non-negative integer below 2^64.
    function uintv(bytes calldata s, uint256 p) internal pure returns (uint256 v, uint256 q) {
        p = ws(s, p);
        uint256 a = p;
        while (p < s.length) {
            uint8 c = _at(s, p);
            if (c < 0x30 || c > 0x39) break;
            v = v * 10 + (c - 0x30);
            p++;
        }
        if (p == a || p - a > 19 || (p - a > 1 && _at(s, a) == 0x30) || v >> 64 != 0) revert BadJson(a);
        return (v, p);
    }

    /// @notice Past any value (for members the reader does not use).
    function skip(bytes calldata s, uint256 p, uint256 depth) internal pure returns (uint256) {
        if (depth > 8) revert BadJson(p);
        uint8 c = peek(s, p);
        if (c == 0x22) {
            (,, p) = str(s, p);
            return p;
        }
        if (c == 0x7b || c == 0x5b) {
            uint8 close = c == 0x7b ? 0x7d : 0x5d;
            bool more;
            (p, more) = open(s, p, c);
            while (more) {
                if (c == 0x7b) {
                    (,, p) = str(s, p);
                    p = expect(s, p, 0x3a);
                }
                p = skip(s, p, depth + 1);
                (p, more) = next(s, p, close);
            }
            return p;
        }
        if (c == 0x74) return _word(s, ws(s, p), "true");
        if (c == 0x66) return _word(s, ws(s, p), "false");
        if (c == 0x6e) return _word(s, ws(s, p), "null");
        (, p) = uintv(s, p);
        return p;
    }

    function _word(bytes calldata s, uint256 p, bytes memory w) private pure returns (uint256) {
        if (p + w.length > s.length || keccak256(s[p:p + w.length]) != keccak256(w)) revert BadJson(p);
        return p + w.length;
    }

    /// @notice Past `bracket` ('{' or '['), and past its closing one too when the object
    ///         or array is empty: whether members or elements follow.
    function open(bytes calldata s, uint256 p, uint8 bracket) internal pure returns (uint256, bool) {
        p = expect(s, p, bracket);
        uint8 close = bracket == 0x7b ? 0x7d : 0x5d;
        if (peek(s, p) != close) return (p, true);
        return (expect(s, p, close), false);
    }

    /// @notice After a member or element: past ',' (more follow) or past `close` (none).
    function next(bytes calldata s, uint256 p, uint8 close) internal pure returns (uint256, bool) {
        p = ws(s, p);
        uint8 c = _at(s, p);
        if (c == 0x2c) return (p + 1, true);
        if (c == close) return (p + 1, false);
        revert BadJson(p);
    }

    /// @notice An object member's key (its content's keccak256) and the position after ':'.
    function key(bytes calldata s, uint256 p) internal pure returns (bytes32 k, uint256 q) {
        (uint256 a, uint256 b, uint256 r) = str(s, p);
        return (keccak256(s[a:b]), expect(s, r, 0x3a));
    }

    /// @notice A string of hex digits, `n` bytes' worth, as bytes.
    function hexv(bytes calldata s, uint256 p, uint256 n) internal pure returns (bytes memory v, uint256 q) {
        (uint256 a, uint256 b, uint256 r) = str(s, p);
        if (b - a != 2 * n) revert BadJson(a);
        v = new bytes(n);
        for (uint256 i = 0; i < n; i++) {
            v[i] = bytes1(uint8(_nib(s, a + 2 * i) << 4 | _nib(s, a + 2 * i + 1)));
        }
        return (v, r);
    }

    function _nib(bytes calldata s, uint256 p) private pure returns (uint8) {
        uint8 c = _at(s, p);
        if (c >= 0x30 && c <= 0x39) return c - 0x30;
        if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
        if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
        revert BadJson(p);
    }

    /// @notice An RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SSZ" (Intel also writes
    ///         fractions of a second, "…:SS.sssZ", which are dropped) as seconds.
    function time(bytes calldata s, uint256 p) internal pure returns (uint64 t, uint256 q) {
        (uint256 a, uint256 b, uint256 r) = str(s, p);
        if (b - a < 20 || _at(s, b - 1) != 0x5a) revert BadJson(a);
        if (_at(s, a + 4) != 0x2d || _at(s, a + 7) != 0x2d || _at(s, a + 10) != 0x54) revert BadJson(a);
        if (_at(s, a + 13) != 0x3a || _at(s, a + 16) != 0x3a) revert BadJson(a);
        if (b - a > 20) {
            if (_at(s, a + 19) != 0x2e || b - a == 21) revert BadJson(a);
            for (uint256 i = a + 20; i < b - 1; i++) {
                _digit(s, i);
            }
        }
        uint256 y = _num(s, a, 4);
        uint256 m = _num(s, a + 5, 2);
        uint256 d = _num(s, a + 8, 2);
        uint256 hh = _num(s, a + 11, 2);
        uint256 mm = _num(s, a + 14, 2);
        uint256 ss = _num(s, a + 17, 2);
        if (m < 1 || m > 12 || d < 1 || d > Der.daysInMonth(y, m) || hh > 23 || mm > 59 || ss > 60 || y < 1970) {
            revert BadJson(a);
        }
        if (ss == 60) ss = 59; // a leap second, as the C reader takes it
        return (uint64(Der.daysFromCivil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss), r);
    }

    function _digit(bytes calldata s, uint256 p) private pure returns (uint256) {
        uint8 c = _at(s, p);
        if (c < 0x30 || c > 0x39) revert BadJson(p);
        return c - 0x30;
    }

    function _num(bytes calldata s, uint256 p, uint256 k) private pure returns (uint256 v) {
        for (uint256 i = 0; i < k; i++) {
            v = v * 10 + _digit(s, p + i);
        }
    }
}
