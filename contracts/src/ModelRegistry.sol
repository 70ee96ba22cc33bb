// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IWorkloadConfig} from "./interfaces/IWorkloadConfig.sol";

/// @title ModelRegistry
/// @notice Which model a name stands for, version by version. A model owner
///         registers a name for a workload with the model's id (SHA-256 of
///         the ONNX file, docs/formats.md §5.5) and alone may point it at a
///         new model later; every version is an event, so anyone can replay
///         the history. Results name their config through the statement's
///         configHash = keccak256(config), and an onnx config is
///         `uint8(1) || modelId`, so `configHash(modelId)` ties a settled
///         result to the registered model: a consumer accepts a result only if
///         its configHash is the current version's (or one it chooses to keep
///         accepting). Two names, two hashes: modelId is the file's SHA-256,
///         configHash the keccak256 of the config that names it.
contract ModelRegistry is IWorkloadConfig {
    bytes32 public constant ONNX_WORKLOAD = keccak256("cloister/workload/onnx"); // docs/formats.md §3

    struct Model {
        address owner;
        uint32 version; // 1 for the first model, +1 on each update
        bytes32 workloadId;
        bytes32 modelId; // SHA-256 of the current model file
    }

    mapping(bytes32 => Model) internal models;

    event ModelRegistered(bytes32 indexed name, address indexed owner, bytes32 workloadId);
    event ModelVersion(bytes32 indexed name, uint32 indexed version, bytes32 modelId, bytes32 configHash);
    event OwnerChanged(bytes32 indexed name, address indexed from, address indexed to);

    error AlreadyRegistered();
    error UnknownModel();
    error NotOwner();
    error ZeroModel();
    error SameModel();
    error ZeroOwner();

    /// keccak256 of the onnx workload config naming this model: what a
    /// result statement carries as its modelId.
    function configHash(bytes32 modelId) public pure returns (bytes32) {
        return keccak256(abi.encodePacked(uint8(1), modelId));
    }

    function register(bytes32 name, bytes32 workloadId, bytes32 modelId) external {
        if (models[name].owner != address(0)) revert AlreadyRegistered();
        if (modelId == bytes32(0)) revert ZeroModel();
        models[name] = Model(msg.sender, 1, workloadId, modelId);
        emit ModelRegistered(name, msg.sender, workloadId);
        emit ModelVersion(name, 1, modelId, configHash(modelId));
        _publish(workloadId, modelId);
    }

    function update(bytes32 name, bytes32 modelId) external returns (uint32 version) {
        Model storage m = _owned(name);
        if (modelId == bytes32(0)) revert ZeroModel();
        if (modelId == m.modelId) revert SameModel();
        version = ++m.version;
        m.modelId = modelId;
        emit ModelVersion(name, version, modelId, configHash(modelId));
        _publish(m.workloadId, modelId);
    }

    /// An onnx model's config is on chain with it: nodes run its jobs
    /// without a POST /v1/models.
    function _publish(bytes32 workloadId, bytes32 modelId) internal {
        if (workloadId == ONNX_WORKLOAD) emit WorkloadConfig(configHash(modelId), abi.encodePacked(uint8(1), modelId));
    }

    function transferOwnership(bytes32 name, address to) external {
        Model storage m = _owned(name);
        if (to == address(0)) revert ZeroOwner();
        emit OwnerChanged(name, m.owner, to);
        m.owner = to;
    }

    /// The current model of a name.
    function current(bytes32 name)
        external
        view
        returns (bytes32 modelId, uint32 version, bytes32 workloadId, address owner, bytes32 statementConfigHash)
    {
        Model storage m = models[name];
        if (m.owner == address(0)) revert UnknownModel();
        return (m.modelId, m.version, m.workloadId, m.owner, configHash(m.modelId));
    }

    /// Whether a result statement's modelId is the name's current model.
    function isCurrent(bytes32 name, bytes32 statementConfigHash) external view returns (bool) {
        Model storage m = models[name];
        return m.owner != address(0) && configHash(m.modelId) == statementConfigHash;
    }

    function _owned(bytes32 name) internal view returns (Model storage m) {
        m = models[name];
        if (m.owner == address(0)) revert UnknownModel();
        if (m.owner != msg.sender) revert NotOwner();
    }
}
