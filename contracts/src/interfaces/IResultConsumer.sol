// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice A contract named as a job's consumer receives the job's public
///         output when the job settles. The call has a fixed gas budget; if it
///         reverts or runs out of gas the settlement still stands.
interface IResultConsumer {
    /// @param jobId the settled job
    /// @param requester who submitted the job (check it: anyone can name a consumer)
    /// @param workloadId keccak256 of the workload name
    /// @param configHash keccak256 of the workload config (an onnx config names its model: 0x01 || SHA-256 of the file)
    /// @param publicOutput the workload's public output (docs/formats.md §5)
    function onResult(
        bytes32 jobId,
        address requester,
        bytes32 workloadId,
        bytes32 configHash,
        bytes calldata publicOutput
    ) external;
}
