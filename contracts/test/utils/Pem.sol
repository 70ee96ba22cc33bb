// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Der} from "../../src/lib/Der.sol";

/// @notice Test helpers: PEM certificate blocks to DER, RFC 3339 times to seconds.
library Pem {
    bytes constant BEGIN = "-----BEGIN CERTIFICATE-----";
    bytes constant END = "-----END CERTIFICATE-----";

    /// The i-th certificate of a PEM text, as DER (empty when there are fewer).
    function cert(bytes memory pem, uint256 i) internal pure returns (bytes memory) {
        uint256 off = 0;
        for (uint256 k = 0;; k++) {
            uint256 b = find(pem, BEGIN, off);
            if (b == type(uint256).max) return "";
            uint256 e = find(pem, END, b);
            if (k == i) return base64(pem, b + BEGIN.length, e);
            off = e + END.length;
        }
    }

    function find(bytes memory h, bytes memory n, uint256 from) internal pure returns (uint256) {
        for (uint256 i = from; i + n.length <= h.length; i++) {
            bool eq = true;
            for (uint256 j = 0; j < n.length && eq; j++) {
                eq = h[i + j] == n[j];
            }
            if (eq) return i;
        }
        return type(uint256).max;
    }

    /// Base64 in [a, b), whitespace skipped.
    function base64(bytes memory s, uint256 a, uint256 b) internal pure returns (bytes memory out) {
        out = new bytes((b - a) * 3 / 4);
        uint256 n;
        uint256 acc;
        uint256 bits;
        for (uint256 i = a; i < b; i++) {
            uint8 c = uint8(s[i]);
            uint256 v;
            if (c >= 0x41 && c <= 0x5a) v = c - 0x41;
            else if (c >= 0x61 && c <= 0x7a) v = c - 0x61 + 26;
            else if (c >= 0x30 && c <= 0x39) v = c - 0x30 + 52;
            else if (c == 0x2b) v = 62;
            else if (c == 0x2f) v = 63;
            else continue; // whitespace, padding
            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[n++] = bytes1(uint8(acc >> bits));
            }
        }
        assembly {
            mstore(out, n)
        }
    }

    /// "YYYY-MM-DDTHH:MM:SSZ" as seconds since 1970.
    function time(string memory t) internal pure returns (uint256) {
        bytes memory s = bytes(t);
        uint256 y = num(s, 0, 4);
        uint256 m = num(s, 5, 2);
        uint256 d = num(s, 8, 2);
        return Der.daysFromCivil(y, m, d) * 86400 + num(s, 11, 2) * 3600 + num(s, 14, 2) * 60 + num(s, 17, 2);
    }

    function num(bytes memory s, uint256 o, uint256 k) private pure returns (uint256 v) {
        for (uint256 i = 0; i < k; i++) {
            v = v * 10 + (uint8(s[o + i]) - 0x30);
        }
    }

    /// The raw bytes of the JSON object after `"name":` (what Intel signs).
    function member(bytes memory file, bytes memory name) internal pure returns (bytes memory out) {
        uint256 a = find(file, bytes.concat('"', name, '":'), 0) + name.length + 3;
        uint256 depth;
        uint256 b = a;
        for (; b < file.length; b++) {
            if (file[b] == "{") depth++;
            if (file[b] == "}" && --depth == 0) break;
        }
        out = new bytes(b + 1 - a);
        for (uint256 i = 0; i < out.length; i++) {
            out[i] = file[a + i];
        }
    }
}
