// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Vm} from "./utils/Vm.sol";
import {ModelRegistry} from "../src/ModelRegistry.sol";

contract ModelRegistryTest {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    ModelRegistry internal reg;
    bytes32 internal constant NAME = keccak256("cloister/model/breast-cancer");
    bytes32 internal constant ONNX = keccak256("cloister/workload/onnx");
    bytes32 internal constant M1 = bytes32(uint256(0x1111));
    bytes32 internal constant M2 = bytes32(uint256(0x2222));
    address internal constant OWNER = address(0xA11CE);

    event ModelVersion(bytes32 indexed name, uint32 indexed version, bytes32 modelId, bytes32 configHash);

    function setUp() public {
        reg = new ModelRegistry();
    }

    function _eq(bytes32 a, bytes32 b) internal pure {
        require(a == b, "not equal");
    }

    function test_registerAndUpdateVersions() public {
        vm.expectEmit(true, true, false, true);
        emit ModelVersion(NAME, 1, M1, keccak256(abi.encodePacked(uint8(1), M1)));
        vm.prank(OWNER);
        reg.register(NAME, ONNX, M1);
        (bytes32 id, uint32 v, bytes32 wl, address owner, bytes32 stmt) = reg.current(NAME);
        _eq(id, M1);
        require(v == 1 && owner == OWNER, "v1");
        _eq(wl, ONNX);
        _eq(stmt, keccak256(abi.encodePacked(uint8(1), M1)));
        require(reg.isCurrent(NAME, stmt), "current");
        vm.expectEmit(true, true, false, true);
        emit ModelVersion(NAME, 2, M2, keccak256(abi.encodePacked(uint8(1), M2)));
        vm.prank(OWNER);
        require(reg.update(NAME, M2) == 2, "v2");
        require(!reg.isCurrent(NAME, stmt), "old version is not current");
        (id, v,,,) = reg.current(NAME);
        _eq(id, M2);
        require(v == 2, "v2 stored");
    }

    /// The statement's modelId for an onnx job is keccak256 of its 33-byte
    /// config: version 1 then the model id (docs/formats.md §5.5).
    function test_configHashMatchesTheWorkloadConfig() public view {
        bytes memory config = abi.encodePacked(uint8(1), M1);
        require(config.length == 33, "33 bytes");
        _eq(reg.configHash(M1), keccak256(config));
    }

    event WorkloadConfig(bytes32 indexed configHash, bytes config);

    /// An onnx model's config (0x01 || model id) is published with each
    /// version; another workload's name publishes nothing.
    function test_onnxVersionsPublishTheirConfig() public {
        bytes memory c1 = abi.encodePacked(uint8(1), M1);
        vm.expectEmit(true, false, false, true, address(reg));
        emit WorkloadConfig(keccak256(c1), c1);
        vm.prank(OWNER);
        reg.register(NAME, ONNX, M1);
        bytes memory c2 = abi.encodePacked(uint8(1), M2);
        vm.expectEmit(true, false, false, true, address(reg));
        emit WorkloadConfig(keccak256(c2), c2);
        vm.prank(OWNER);
        reg.update(NAME, M2);
        vm.recordLogs();
        vm.prank(OWNER);
        reg.register(bytes32("other"), keccak256("cloister/workload/policy"), M1);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; i++) {
            require(logs[i].topics[0] != WorkloadConfig.selector, "published a non-onnx config");
        }
    }

    function test_onlyTheOwnerUpdates() public {
        vm.prank(OWNER);
        reg.register(NAME, ONNX, M1);
        vm.expectRevert(ModelRegistry.NotOwner.selector);
        reg.update(NAME, M2);
        vm.expectRevert(ModelRegistry.NotOwner.selector);
        reg.transferOwnership(NAME, address(this));
    }

    function test_refusals() public {
        vm.expectRevert(ModelRegistry.ZeroModel.selector);
        reg.register(NAME, ONNX, bytes32(0));
        vm.expectRevert(ModelRegistry.UnknownModel.selector);
        reg.update(NAME, M1);
        vm.expectRevert(ModelRegistry.UnknownModel.selector);
        reg.current(NAME);
        require(!reg.isCurrent(NAME, bytes32(0)), "unknown is never current");
        vm.prank(OWNER);
        reg.register(NAME, ONNX, M1);
        vm.expectRevert(ModelRegistry.AlreadyRegistered.selector);
        reg.register(NAME, ONNX, M2);
        vm.startPrank(OWNER);
        vm.expectRevert(ModelRegistry.SameModel.selector);
        reg.update(NAME, M1);
        vm.expectRevert(ModelRegistry.ZeroModel.selector);
        reg.update(NAME, bytes32(0));
        vm.expectRevert(ModelRegistry.ZeroOwner.selector);
        reg.transferOwnership(NAME, address(0));
        vm.stopPrank();
    }

    function test_transferOwnership() public {
        vm.prank(OWNER);
        reg.register(NAME, ONNX, M1);
        vm.prank(OWNER);
        reg.transferOwnership(NAME, address(0xB0B));
        vm.prank(OWNER);
        vm.expectRevert(ModelRegistry.NotOwner.selector);
        reg.update(NAME, M2);
        vm.prank(address(0xB0B));
        reg.update(NAME, M2);
        (, uint32 v,, address owner,) = reg.current(NAME);
        require(v == 2 && owner == address(0xB0B), "new owner updated");
    }

    function testFuzz_onlyOwnerEverUpdates(address caller, bytes32 modelId) public {
        vm.prank(OWNER);
        reg.register(NAME, ONNX, M1);
        vm.prank(caller);
        if (caller != OWNER) {
            vm.expectRevert(ModelRegistry.NotOwner.selector);
            reg.update(NAME, modelId);
        } else if (modelId == bytes32(0)) {
            vm.expectRevert(ModelRegistry.ZeroModel.selector);
            reg.update(NAME, modelId);
        } else if (modelId == M1) {
            vm.expectRevert(ModelRegistry.SameModel.selector);
            reg.update(NAME, modelId);
        } else {
            reg.update(NAME, modelId);
        }
    }
}
