// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IResultConsumer} from "../interfaces/IResultConsumer.sol";

/// @title JobConsumer — what every consumer template checks first: the call
///        comes from the market, and the job is one of ours (anyone can name a
///        consumer, so the requester, workload and config are checked).
abstract contract JobConsumer is IResultConsumer {
    address public immutable market;
    address public immutable requester; // whose jobs count
    bytes32 public immutable workloadId;
    bytes32 public immutable configHash; // the one config this consumer accepts

    error NotMarket();
    error NotOurJob();

    constructor(address market_, address requester_, string memory workload, bytes32 configHash_) {
        market = market_;
        requester = requester_;
        workloadId = keccak256(abi.encodePacked("cloister/workload/", workload));
        configHash = configHash_;
    }

    function _ours(address requester_, bytes32 workloadId_, bytes32 configHash_) internal view {
        if (msg.sender != market) revert NotMarket();
        if (requester_ != requester || workloadId_ != workloadId || configHash_ != configHash) revert NotOurJob();
    }
}
