// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {JobConsumer} from "./JobConsumer.sol";
import {Outputs} from "../lib/Outputs.sol";

/// @title PriceRoundConsumer — a template: keep the latest enclave price.
/// @notice Takes oracle jobs of one requester and one config (sources, mode,
///         quorum), and keeps the newest answer by observation time: a result
///         that is not newer (a late settlement) is ignored, not an error.
///         PriceFeed is the full version, with Chainlink's AggregatorV3 interface.
contract PriceRoundConsumer is JobConsumer {
    int64 public price;
    uint64 public observedAt; // the round's latest observation (as_of)
    uint16 public sources; // how many sources the median used

    event Price(int64 price, uint64 observedAt, uint16 sources, uint16 rejected);

    /// @param configHash_ keccak256 of the oracle config: mode, quorum, deviation, window
    constructor(address market_, address requester_, bytes32 configHash_)
        JobConsumer(market_, requester_, "oracle", configHash_)
    {}

    function onResult(bytes32, address requester_, bytes32 workloadId_, bytes32 configHash_, bytes calldata out)
        external
    {
        _ours(requester_, workloadId_, configHash_);
        Outputs.Oracle memory o = Outputs.oracle(out);
        if (o.asOf <= observedAt) return;
        (price, observedAt, sources) = (o.value, o.asOf, o.used);
        emit Price(o.value, o.asOf, o.used, o.rejected);
    }
}
