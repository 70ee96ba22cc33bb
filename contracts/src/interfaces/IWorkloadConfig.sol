// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IWorkloadConfig
/// @notice How a contract puts a workload config on chain (docs/contracts.md).
///         A job names its config by hash (JobMarket's configHash =
///         keccak256(config)); operators' nodes read these events from any
///         contract and keep a config only under its own hash, so whoever
///         emits one cannot lie about it, and a job whose config is on chain
///         runs with nobody handing the config to each node.
interface IWorkloadConfig {
    event WorkloadConfig(bytes32 indexed configHash, bytes config);
}
