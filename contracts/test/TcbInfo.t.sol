// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./utils/Vm.sol";
import {Pem} from "./utils/Pem.sol";
import {TcbInfo} from "../src/lib/TcbInfo.sol";

contract TcbInfoHarness {
    function parse(bytes calldata s) external pure returns (TcbInfo.Info memory) {
        return TcbInfo.parse(s);
    }
}

/// The real TCB Infos of tests/vectors/intel-dcap, parsed on chain and checked
/// against forge's own JSON reader, field by field.
contract TcbInfoTest is TestBase {
    TcbInfoHarness h = new TcbInfoHarness();

    function svns(string memory j, string memory path, bool present) internal pure returns (bytes16) {
        if (!present) return bytes16(0);
        bytes memory v = new bytes(16);
        for (uint256 i = 0; i < 16; i++) {
            v[i] = bytes1(uint8(vm.parseJsonUint(j, string.concat(path, "[", vm.toString(i), "].svn"))));
        }
        return bytes16(v);
    }

    function v2svns(string memory j, string memory l) internal pure returns (bytes16) {
        bytes memory v = new bytes(16);
        for (uint256 i = 0; i < 16; i++) {
            string memory k = string.concat(l, ".tcb.sgxtcbcomp", i < 9 ? "0" : "", vm.toString(i + 1), "svn");
            v[i] = bytes1(uint8(vm.parseJsonUint(j, k)));
        }
        return bytes16(v);
    }

    function test_realTcbInfos() public view {
        string[] memory ds = dcapCaseDirs(true);
        vm.assertEq(ds.length, 7, "the seven TCB Infos");
        for (uint256 d = 0; d < ds.length; d++) {
            string memory j = vm.readFile(string.concat("../tests/vectors/", ds[d], "/tcb_info.json"));
            TcbInfo.Info memory info = h.parse(Pem.member(bytes(j), "tcbInfo"));
            vm.assertEq(uint256(info.version), vm.parseJsonUint(j, ".tcbInfo.version"), ds[d]);
            vm.assertEq(info.tdx, bytes(ds[d])[11] == "t", "TDX");
            vm.assertEq(uint256(info.nextUpdate), Pem.time(vm.parseJsonString(j, ".tcbInfo.nextUpdate")), "next");
            vm.assertEq(uint256(info.issueDate), Pem.time(vm.parseJsonString(j, ".tcbInfo.issueDate")), "issued");
            vm.assertEq(uint256(info.evalNumber), vm.parseJsonUint(j, ".tcbInfo.tcbEvaluationDataNumber"), "eval");
            vm.assertEq(
                bytes32(info.fmspc),
                bytes32(bytes6(vm.parseBytes(string.concat("0x", vm.parseJsonString(j, ".tcbInfo.fmspc"))))),
                "fmspc"
            );
            checkLevels(j, info);
        }
    }

    /// Every level of the file is in the parsed list with its status, and the list descends.
    function checkLevels(string memory j, TcbInfo.Info memory info) internal pure {
        for (uint256 i = 0; i < info.levels.length; i++) {
            string memory l = string.concat(".tcbInfo.tcbLevels[", vm.toString(i), "]");
            bytes16 sgx = info.version == 2 ? v2svns(j, l) : svns(j, string.concat(l, ".tcb.sgxtcbcomponents"), true);
            bytes16 tdx = svns(j, string.concat(l, ".tcb.tdxtcbcomponents"), info.tdx);
            uint256 pce = vm.parseJsonUint(j, string.concat(l, ".tcb.pcesvn"));
            uint8 st = TcbInfo.statusOf(keccak256(bytes(vm.parseJsonString(j, string.concat(l, ".tcbStatus")))));
            bool found;
            for (uint256 k = 0; k < info.levels.length && !found; k++) {
                TcbInfo.Level memory x = info.levels[k];
                found = x.sgx == sgx && x.tdx == tdx && x.pcesvn == pce && x.status == st;
            }
            vm.assertTrue(found, string.concat("level ", vm.toString(i)));
            if (i > 0) {
                TcbInfo.Level memory a = info.levels[i - 1];
                TcbInfo.Level memory b = info.levels[i];
                vm.assertTrue(a.sgx > b.sgx || (a.sgx == b.sgx && a.pcesvn >= b.pcesvn), "descending");
            }
        }
    }

    function comps(uint256 n) internal pure returns (string memory c) {
        c = "[";
        for (uint256 i = 0; i < n; i++) {
            c = string.concat(c, i == 0 ? "" : ",", '{"svn":1,"category":"BIOS"}');
        }
        c = string.concat(c, "]");
    }

    function sgx(string memory head, string memory level) internal pure returns (bytes memory) {
        return bytes(
            string.concat(
                '{"id":"SGX",',
                head,
                '"issueDate":"2025-01-01T00:00:00Z","nextUpdate":"2025-02-01T00:00:00.000Z","fmspc":"00a067110000",',
                '"pceId":"0000","tcbType":0,"tcbEvaluationDataNumber":17,"tcbLevels":[',
                level,
                "]}"
            )
        );
    }

    function level(string memory c, string memory status) internal pure returns (string memory) {
        return string.concat(
            '{"tcb":{"sgxtcbcomponents":',
            c,
            ',"pcesvn":13},"tcbDate":"2024-01-01T00:00:00Z","tcbStatus":"',
            status,
            '"}'
        );
    }

    function refused(bytes memory j, string memory why) internal {
        vm.expectRevert(abi.encodeWithSelector(TcbInfo.BadTcbInfo.selector, why));
        h.parse(j);
    }

    function test_synthetic() public {
        TcbInfo.Info memory i = h.parse(sgx('"version":3,', level(comps(16), "SWHardeningNeeded")));
        vm.assertEq(uint256(i.levels[0].status), TcbInfo.SW_HARDENING_NEEDED, "status");
        vm.assertEq(uint256(i.levels[0].pcesvn), 13, "pcesvn");
        vm.assertEq(uint256(i.nextUpdate), 1738368000, "fraction dropped");
        refused(sgx('"version":3,"version":3,', level(comps(16), "UpToDate")), "member repeated");
        refused(sgx('"version":4,', level(comps(16), "UpToDate")), "version is not 2 or 3");
        refused(sgx('"version":3,', level(comps(16), "Fine")), "unknown tcbStatus");
        refused(sgx('"version":3,', level(comps(16), "TcbLevelNotSupported")), "unknown tcbStatus");
        refused(sgx('"version":3,', level(comps(15), "UpToDate")), "16 TCB components expected");
        refused(sgx('"version":2,', level(comps(16), "UpToDate")), "a level lacks TCB components");
        refused(sgx("", level(comps(16), "UpToDate")), "required member missing");
        refused(sgx('"version":3,', ""), "no TCB levels");
        bytes memory j = sgx('"version":3,', level(comps(16), "UpToDate"));
        refused(bytes.concat(j, "x"), "bytes after the object");
        vm.expectRevert();
        h.parse(bytes.concat(hex"7b", j)); // not JSON
    }
}
