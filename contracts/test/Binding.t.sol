// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./utils/Vm.sol";
import {Binding} from "../src/lib/Binding.sol";

/// The same inputs as tests/attest/binding_test.c's test_v2, the same value: the C
/// enclave's binding and the contract's check agree byte for byte.
contract BindingTest is TestBase {
    function seq(uint8 from, uint256 n) internal pure returns (bytes memory b) {
        b = new bytes(n);
        for (uint256 i = 0; i < n; i++) {
            b[i] = bytes1(uint8(from + i));
        }
    }

    function test_sameAsC() public pure {
        bytes32 rd = Binding.reportData(
            address(bytes20(seq(0xe0, 20))),
            address(bytes20(seq(0x00, 20))),
            bytes32(seq(0x40, 32)),
            0x01020304,
            0x0a0b0c0d0e0f1011,
            address(bytes20(seq(0x80, 20))),
            bytes32(seq(0xc0, 32))
        );
        vm.assertEq(rd, 0xde1ad9f531b0e9ac35dcaa103092cf1278099f3a039751c0ed5e912af6fbcc7a, "binding_test.c's vector");
    }
}
