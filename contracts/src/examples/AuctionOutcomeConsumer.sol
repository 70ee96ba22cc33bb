// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {JobConsumer} from "./JobConsumer.sol";
import {Outputs} from "../lib/Outputs.sol";

/// @title AuctionOutcomeConsumer — a template: take an auction job's winner.
/// @notice Name this contract as the consumer of auction jobs you submit
///         yourself (it checks the requester: anyone can name a consumer). On
///         settlement the market calls onResult with the enclave's public output;
///         this records the winner and price per job. SealedBidAuction is the full
///         version, with bidding, deposits and payment.
contract AuctionOutcomeConsumer is JobConsumer {
    struct Outcome {
        bool decided;
        bool sold;
        address winner;
        uint256 price;
        uint16 winnerIndex;
    }

    mapping(bytes32 jobId => Outcome) public outcomes;

    event Decided(bytes32 indexed jobId, bool sold, address winner, uint256 price, uint16 winnerIndex);

    /// @param configHash_ keccak256 of the auction's config: its rule and reserve
    constructor(address market_, address requester_, bytes32 configHash_)
        JobConsumer(market_, requester_, "auction", configHash_)
    {}

    function onResult(bytes32 jobId, address requester_, bytes32 workloadId_, bytes32 configHash_, bytes calldata out)
        external
    {
        _ours(requester_, workloadId_, configHash_);
        Outputs.Auction memory a = Outputs.auction(out);
        outcomes[jobId] = Outcome(true, a.sold, a.winner, a.price, a.winnerIndex);
        emit Decided(jobId, a.sold, a.winner, a.price, a.winnerIndex);
    }
}
