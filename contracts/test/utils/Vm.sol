// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice The forge cheatcodes these tests use (a subset of forge's Vm
///         interface; written here so the tests need no library download).
interface Vm {
    struct Log {
        bytes32[] topics;
        bytes data;
        address emitter;
    }

    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function deal(address who, uint256 balance) external;
    function warp(uint256 timestamp) external;
    function chainId(uint256 id) external;
    function expectRevert(bytes4 selector) external;
    function expectRevert(bytes calldata revertData) external;
    function expectRevert() external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter) external;
    function recordLogs() external;
    function getRecordedLogs() external returns (Log[] memory);
    function assume(bool condition) external pure;
    function etch(address target, bytes calldata code) external;
    function store(address target, bytes32 slot, bytes32 value) external;
    function load(address target, bytes32 slot) external view returns (bytes32);
    function assertEq(uint256 a, uint256 b, string calldata err) external pure;
    function assertEq(int256 a, int256 b, string calldata err) external pure;
    function assertEq(address a, address b, string calldata err) external pure;
    function assertEq(bytes32 a, bytes32 b, string calldata err) external pure;
    function assertEq(bool a, bool b, string calldata err) external pure;
    function assertTrue(bool c, string calldata err) external pure;
    function assertFalse(bool c, string calldata err) external pure;
    function lastCallGas() external view returns (Gas memory);
    function readFileBinary(string calldata path) external view returns (bytes memory);
    function readFile(string calldata path) external view returns (string memory);
    function parseJsonString(string calldata json, string calldata key) external pure returns (string memory);
    function parseJsonUint(string calldata json, string calldata key) external pure returns (uint256);
    function parseBytes(string calldata s) external pure returns (bytes memory);
    function parseJsonStringArray(string calldata json, string calldata key) external pure returns (string[] memory);
    function toString(uint256 v) external pure returns (string memory);
    function parseJsonKeys(string calldata json, string calldata key) external pure returns (string[] memory);
    function keyExistsJson(string calldata json, string calldata key) external view returns (bool);

    struct Gas {
        uint64 gasLimit;
        uint64 gasTotalUsed;
        uint64 gasMemoryUsed;
        int64 gasRefunded;
        uint64 gasRemaining;
    }
}

abstract contract TestBase {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    bool public IS_TEST = true;

    /// secp256k1 group order
    uint256 internal constant N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141;

    function sig65(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    /// The same signature with s' = n - s and v flipped: valid for ecrecover, malleable.
    function highS(bytes memory sig) internal pure returns (bytes memory) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(sig, 0x20))
            s := mload(add(sig, 0x40))
            v := byte(0, mload(add(sig, 0x60)))
        }
        return abi.encodePacked(r, bytes32(N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
    }

    /// The DCAP cases' directories under tests/vectors ("intel-dcap/..."), from
    /// tests/attest/dcap_cases.json, the one list the C and Solidity tests share;
    /// with `collateralOnly`, those that come with a TCB Info.
    function dcapCaseDirs(bool collateralOnly) internal view returns (string[] memory dirs) {
        string memory j = vm.readFile("../tests/attest/dcap_cases.json");
        uint256 n;
        while (vm.keyExistsJson(j, string.concat(".cases[", vm.toString(n), "]"))) n++;
        dirs = new string[](n);
        uint256 k;
        for (uint256 i = 0; i < n; i++) {
            string memory c = string.concat(".cases[", vm.toString(i), "]");
            bool missing = keccak256(bytes(vm.parseJsonString(j, string.concat(c, ".tcb_status"))))
                == keccak256("missing collateral");
            if (!collateralOnly || !missing) dirs[k++] = vm.parseJsonString(j, string.concat(c, ".dir"));
        }
        assembly {
            mstore(dirs, k)
        }
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        return lo + x % (hi - lo + 1);
    }
}
