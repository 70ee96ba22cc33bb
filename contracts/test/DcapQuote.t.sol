// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./utils/Vm.sol";
import {DcapQuote} from "../src/lib/DcapQuote.sol";
import {P256} from "../src/lib/P256.sol";

contract DcapQuoteHarness {
    /// The per-enclave-key check (tier 3): the quote body signed by its attestation key.
    function signatureOk(bytes calldata q) external view returns (bool) {
        (, DcapQuote.Parts memory p) = DcapQuote.split(q);
        return P256.verifySha256(q[0:p.signedEnd], q[p.sig:p.sig + 64], q[p.attKey:p.attKey + 64]);
    }

    function parts(bytes calldata q) external pure returns (DcapQuote.Header memory, DcapQuote.Parts memory) {
        return DcapQuote.split(q);
    }

    function header(bytes calldata s) external pure returns (DcapQuote.Header memory) {
        return DcapQuote.header(s);
    }

    function fields(bytes calldata q, uint8 pins) external pure returns (bool debug, bytes memory rd, bytes32 m) {
        (DcapQuote.Header memory h, DcapQuote.Parts memory p) = DcapQuote.split(q);
        bytes calldata s = q[0:p.signedEnd];
        return (DcapQuote.isDebug(s, h), DcapQuote.reportData(s, h), DcapQuote.measurement(s, h, pins));
    }
}

/// Real quotes from the conformance vectors (tests/vectors/intel-dcap).
contract DcapQuoteTest is TestBase {
    DcapQuoteHarness h = new DcapQuoteHarness();
    string constant V = "../tests/vectors/intel-dcap/";

    function load(string memory name) internal view returns (bytes memory) {
        return vm.readFileBinary(string.concat(V, name, "/quote.bin"));
    }

    function test_realQuotesVerify() public view {
        string[] memory qs = dcapCaseDirs(false);
        vm.assertEq(qs.length, 8, "the eight real quotes");
        for (uint256 i = 0; i < qs.length; i++) {
            bytes memory q = vm.readFileBinary(string.concat("../tests/vectors/", qs[i], "/quote.bin"));
            (DcapQuote.Header memory hd,) = h.parts(q);
            vm.assertTrue(h.signatureOk(q), qs[i]);
            vm.assertEq(uint256(hd.teeType), bytes(qs[i])[11] == "s" ? 0 : 0x81, qs[i]);
        }
    }

    /// Every byte of the signed part, the signature and the attestation key, flipped
    /// one at a time, is rejected (a false verification or a refused header).
    function walk(string memory name) internal view {
        bytes memory q = load(name);
        (, DcapQuote.Parts memory p) = h.parts(q);
        uint256 flips;
        for (uint256 i = 0; i < p.attKey + 64; i++) {
            if (i >= p.signedEnd && i < p.sig) continue; // the signature data's size: not signed
            q[i] ^= 0x01;
            try h.signatureOk(q) returns (bool ok) {
                vm.assertFalse(ok, "a flipped byte verified");
            } catch {}
            q[i] ^= 0x01;
            flips++;
        }
        vm.assertTrue(h.signatureOk(q), "restored");
        vm.assertEq(flips, p.signedEnd + 128, "every byte walked");
    }

    function test_flipWalkTdxV4() public view {
        walk("tdx-v4-dcapqvl");
    }

    function test_flipWalkTdxV5() public view {
        walk("tdx-v5-gotdxguest");
    }

    function test_flipWalkSgxV3() public view {
        walk("sgx-v3-dcapqvl");
    }

    function test_refusals() public {
        bytes memory q = load("tdx-v4-dcapqvl");
        q[0] = 0x02; // version 2
        vm.expectRevert(abi.encodeWithSelector(DcapQuote.BadQuote.selector, "version not 3, 4 or 5"));
        h.parts(q);
        q = load("tdx-v4-dcapqvl");
        q[12] ^= 0x80; // QE vendor
        vm.expectRevert(abi.encodeWithSelector(DcapQuote.BadQuote.selector, "QE vendor is not Intel"));
        h.parts(q);
        q = load("sgx-v3-dcapqvl");
        q[4] = 0x81; // a v3 quote claiming TDX
        vm.expectRevert(abi.encodeWithSelector(DcapQuote.BadQuote.selector, "version 3 quotes are SGX only"));
        h.parts(q);
        bytes memory s = load("tdx-v4-dcapqvl");
        assembly {
            mstore(s, 631) // one byte short of header + TD 1.0 body
        }
        vm.expectRevert(abi.encodeWithSelector(DcapQuote.BadQuote.selector, "signed part size"));
        h.header(s);
    }

    /// The registered measurement of two real quotes, as tests/attest/dcap_test.c's
    /// test_registered_measurement_vectors computes it in C (and ethers did too).
    function test_registeredMeasurement() public view {
        (bool debug,, bytes32 m) = h.fields(load("tdx-v4-dcapqvl"), 1 << 3);
        vm.assertEq(m, 0x8222acc38f3daea3c875b33953cf5a57131974c36ccb0a027d95ee76d8d5d4d7, "keccak256(MRTD || RTMR3)");
        (,, m) = h.fields(load("tdx-v4-dcapqvl"), 0);
        vm.assertEq(m, 0x4edf9a66530cb947e21165658cbc8bbd9201807e69636fa83bf2044a2154dabf, "keccak256(MRTD)");
        (,, m) = h.fields(load("sgx-v3-dcapqvl"), 0);
        vm.assertEq(m, 0xa285f98c86e45a3809bed196c31a54e17456dcf5afed16e2f2dec86a991b3a05, "keccak256(MRENCLAVE)");
        vm.assertFalse(debug, "not a debug TD");
    }
}
