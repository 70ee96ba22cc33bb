// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IResultConsumer} from "../interfaces/IResultConsumer.sol";
import {ModelRegistry} from "../ModelRegistry.sol";
import {Outputs} from "../lib/Outputs.sol";

/// @title InferenceResultConsumer — a template: accept inference results only
///        from a registered model's current version.
/// @notice The answers themselves are private (sealed to each input's sender);
///         what the chain learns is which model answered how many records. This
///         records it per job, and only when the job ran the model that the
///         ModelRegistry name points at now (its configHash binds the model file).
contract InferenceResultConsumer is IResultConsumer {
    bytes32 public constant ONNX_WORKLOAD = keccak256("cloister/workload/onnx");

    struct Answer {
        bytes32 modelId;
        uint32 inputs;
        uint32 answered;
    }

    address public immutable market;
    ModelRegistry public immutable models;
    bytes32 public immutable modelName; // keccak256 of the UTF-8 name
    mapping(bytes32 jobId => Answer) public answers;

    event Answered(bytes32 indexed jobId, bytes32 indexed modelId, uint32 inputs, uint32 answered);

    error NotMarket();
    error NotOurJob();
    error NotCurrentModel(bytes32 configHash);

    constructor(address market_, ModelRegistry models_, bytes32 modelName_) {
        market = market_;
        models = models_;
        modelName = modelName_;
    }

    function onResult(bytes32 jobId, address, bytes32 workloadId, bytes32 configHash, bytes calldata out) external {
        if (msg.sender != market) revert NotMarket();
        if (workloadId != ONNX_WORKLOAD) revert NotOurJob();
        if (!models.isCurrent(modelName, configHash)) revert NotCurrentModel(configHash);
        Outputs.Inference memory r = Outputs.inference(out);
        if (models.configHash(r.modelId) != configHash) revert NotOurJob(); // the output names the model it ran
        answers[jobId] = Answer(r.modelId, r.inputs, r.answered);
        emit Answered(jobId, r.modelId, r.inputs, r.answered);
    }
}
