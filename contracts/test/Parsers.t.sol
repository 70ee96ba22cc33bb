// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./utils/Vm.sol";
import {Pem} from "./utils/Pem.sol";
import {DcapQuote} from "../src/lib/DcapQuote.sol";
import {TcbInfo} from "../src/lib/TcbInfo.sol";
import {X509} from "../src/lib/X509.sol";

contract ParserHarness {
    function quote(bytes calldata q) external pure {
        DcapQuote.split(q);
    }

    function cert(bytes calldata c) external pure {
        X509.parse(c);
    }

    function crl(bytes calldata c) external pure {
        X509.Crl memory x = X509.parseCrl(c);
        if (x.listEnd > x.listStart) X509.crlSerial(c, x, 1);
    }
}

/// The JSON parsers (a contract of their own: EIP-170).
contract JsonHarness {
    function tcbInfo(bytes calldata s) external pure {
        TcbInfo.parse(s);
    }

    function qeIdentity(bytes calldata s) external pure {
        TcbInfo.parseQeIdentity(s);
    }
}

/// Fuzz properties of the on-chain parsers of untrusted bytes: real inputs from the
/// vectors with bytes changed, truncated or extended, and random bytes, are parsed or
/// refused with the parser's own error, never a panic (an out-of-bounds index, an
/// overflow) or a bare revert (a slice out of range): what a bounds bug looks like.
contract ParsersTest is TestBase {
    ParserHarness h = new ParserHarness();
    JsonHarness j = new JsonHarness();
    bytes4 constant PANIC = 0x4e487b71;
    string constant D = "../tests/vectors/intel-dcap/tdx-v4-dcapqvl/";

    /// Refused with one of the parsers' own errors: not a panic, and not a bare revert
    /// (a calldata slice out of range reverts with no data).
    function noPanic(bool ok, bytes memory err) internal pure {
        if (!ok) vm.assertTrue(err.length >= 4 && bytes4(err) != PANIC, "panic or bare revert");
    }

    /// The input with byte `at` set to `v`, then cut to `len` (or extended with `v`);
    /// half of the changes fall in the first 16 bytes, where the outer lengths are.
    function mutate(bytes memory real, uint256 at, uint8 v, uint256 len) internal pure returns (bytes memory m) {
        len = len % (real.length + 64);
        m = new bytes(len);
        for (uint256 i = 0; i < len; i++) {
            m[i] = i < real.length ? real[i] : bytes1(v);
        }
        if (len > 0) m[(at & 1 == 1 ? at % 16 : at) % len] = bytes1(v);
    }

    function testFuzz_quote(uint256 at, uint8 v, uint256 len) public view {
        bytes memory m = mutate(vm.readFileBinary(string.concat(D, "quote.bin")), at, v, len);
        (bool ok, bytes memory err) = address(h).staticcall(abi.encodeCall(h.quote, (m)));
        noPanic(ok, err);
    }

    function testFuzz_certificate(uint256 at, uint8 v, uint256 len) public view {
        bytes memory real = vm.readFileBinary("../tests/vectors/intel-dcap/roots/IntelSGXRootCA.der");
        (bool ok, bytes memory err) = address(h).staticcall(abi.encodeCall(h.cert, (mutate(real, at, v, len))));
        noPanic(ok, err);
    }

    function testFuzz_crl(uint256 at, uint8 v, uint256 len) public view {
        bytes memory real = vm.readFileBinary(string.concat(D, "pck_crl.der"));
        (bool ok, bytes memory err) = address(h).staticcall(abi.encodeCall(h.crl, (mutate(real, at, v, len))));
        noPanic(ok, err);
    }

    function testFuzz_tcbInfo(uint256 at, uint8 v, uint256 len) public view {
        bytes memory real = Pem.member(vm.readFileBinary(string.concat(D, "tcb_info.json")), "tcbInfo");
        (bool ok, bytes memory err) = address(j).staticcall(abi.encodeCall(j.tcbInfo, (mutate(real, at, v, len))));
        noPanic(ok, err);
    }

    function testFuzz_qeIdentity(uint256 at, uint8 v, uint256 len) public view {
        bytes memory real = Pem.member(vm.readFileBinary(string.concat(D, "qe_identity.json")), "enclaveIdentity");
        (bool ok, bytes memory err) = address(j).staticcall(abi.encodeCall(j.qeIdentity, (mutate(real, at, v, len))));
        noPanic(ok, err);
    }

    function testFuzz_randomBytes(bytes calldata b) public view {
        (bool ok, bytes memory err) = address(h).staticcall(abi.encodeCall(h.quote, (b)));
        noPanic(ok, err);
        (ok, err) = address(h).staticcall(abi.encodeCall(h.cert, (b)));
        noPanic(ok, err);
        (ok, err) = address(h).staticcall(abi.encodeCall(h.crl, (b)));
        noPanic(ok, err);
        (ok, err) = address(j).staticcall(abi.encodeCall(j.tcbInfo, (b)));
        noPanic(ok, err);
        (ok, err) = address(j).staticcall(abi.encodeCall(j.qeIdentity, (b)));
        noPanic(ok, err);
    }
}
