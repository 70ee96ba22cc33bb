// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./utils/Vm.sol";
import {X509} from "../src/lib/X509.sol";
import {P256} from "../src/lib/P256.sol";

/// Calldata entry points for the libraries.
contract X509Harness {
    function parse(bytes calldata c) external pure returns (X509.Cert memory) {
        return X509.parse(c);
    }

    function selfSigned(bytes calldata c) external view returns (bool) {
        X509.Cert memory x = X509.parse(c);
        return x.issuerHash == x.subjectHash && X509.signedBy(c, x, x.x, x.y);
    }

    function verify(bytes32 h, bytes32 r, bytes32 s, bytes32 x, bytes32 y) external view returns (bool) {
        return P256.verify(h, r, s, x, y);
    }
}

contract X509Test is TestBase {
    X509Harness h = new X509Harness();
    string constant V = "../tests/vectors/intel-dcap/";

    function test_intelRoot() public view {
        bytes memory root = vm.readFileBinary(string.concat(V, "roots/IntelSGXRootCA.der"));
        X509.Cert memory x = h.parse(root);
        vm.assertTrue(x.isCa, "root is a CA");
        vm.assertEq(uint256(x.notBefore), 1526899510, "notBefore 2018-05-21 10:45:10");
        vm.assertEq(uint256(x.notAfter), 2524607999, "notAfter 2049-12-31 23:59:59");
        vm.assertTrue(h.selfSigned(root), "self-signed under the precompile");
    }
}
