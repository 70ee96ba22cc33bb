// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {PullPayments} from "./lib/PullPayments.sol";
import {JobMarket} from "./JobMarket.sol";
import {Outputs} from "./lib/Outputs.sol";
import {IResultConsumer} from "./interfaces/IResultConsumer.sol";
import {IWorkloadConfig} from "./interfaces/IWorkloadConfig.sol";

/// @title SealedBidAuction
/// @notice Sealed-bid auctions decided by a Cloister enclave. Bidders deposit
///         at least their bid and post their bid sealed to the enclave (an HPKE
///         request envelope bound to the auction's job id, which is known from
///         the start: `market.jobIdFor(this, auctionId)`). After bidding closes
///         anyone submits the job; the enclave's public output names the price
///         and the position of the winning envelope (docs/formats.md §5.1).
///         The depositor of that envelope pays the price from its deposit; the
///         others take their deposits back. Nobody, the seller included, sees a
///         losing bid.
contract SealedBidAuction is IResultConsumer, IWorkloadConfig, PullPayments {
    bytes32 public constant AUCTION_WORKLOAD = keccak256("cloister/workload/auction"); // docs/formats.md §3
    uint256 public constant MAX_BIDDERS = 256;

    enum Phase {
        None,
        Bidding,
        Submitted,
        Sold,
        Unsold
    }

    struct Auction {
        address seller;
        uint40 biddingEnds;
        uint40 settleBy;
        Phase phase;
        uint96 fee;
        bytes32 jobId;
        bytes32 configHash; // keccak256(config)
        address winner;
        uint256 price;
        uint256 bidDeposit;
        address[] bidders;
    }

    JobMarket public immutable market;
    uint256 public auctionCount;
    mapping(uint256 => Auction) internal auctions;
    mapping(bytes32 jobId => uint256) public auctionOfJob;
    mapping(uint256 => mapping(address => uint256)) public deposit;
    mapping(uint256 => mapping(address => bytes)) internal sealedBid;
    mapping(bytes32 => bool) internal envelopeSeen;

    event AuctionCreated(
        uint256 indexed auctionId,
        address indexed seller,
        bytes32 jobId,
        bytes config,
        uint40 biddingEnds,
        uint256 bidDeposit
    );
    event BidPlaced(uint256 indexed auctionId, address indexed bidder, uint256 deposit, bytes envelope);
    event AuctionSubmitted(uint256 indexed auctionId, bytes32 indexed jobId, uint256 bids);
    event AuctionDecided(uint256 indexed auctionId, bool sold, address winner, uint256 price);

    error UnknownAuction(uint256 auctionId);
    error WrongPhase(uint256 auctionId, Phase phase);
    error BiddingClosed();
    error BiddingOpen();
    error DepositNotUniform();
    error AlreadyBid();
    error TooManyBidders();
    error DuplicateEnvelope();
    error NoBids();
    error NotMarket();
    error NotOurJob();
    error BadOutput();

    constructor(JobMarket market_) {
        market = market_;
    }

    /// @notice Open an auction; msg.value pays the enclave job's fee.
    /// @param config the auction workload's config (docs/formats.md §5.1)
    function create(bytes calldata config, uint40 biddingEnds, uint40 settleBy, uint256 bidDeposit)
        external
        payable
        returns (uint256 id, bytes32 jobId)
    {
        if (biddingEnds <= block.timestamp || settleBy <= biddingEnds) revert BiddingClosed();
        if (bidDeposit == 0) revert DepositNotUniform();
        id = ++auctionCount;
        jobId = market.jobIdFor(address(this), id);
        Auction storage a = auctions[id];
        a.seller = msg.sender;
        a.biddingEnds = biddingEnds;
        a.settleBy = settleBy;
        a.phase = Phase.Bidding;
        a.fee = uint96(msg.value);
        a.jobId = jobId;
        a.configHash = keccak256(config);
        a.bidDeposit = bidDeposit;
        auctionOfJob[jobId] = id;
        emit AuctionCreated(id, msg.sender, jobId, config, biddingEnds, bidDeposit);
        emit WorkloadConfig(a.configHash, config); // nodes take the config from here
    }

    /// @notice Bid: deposit exactly the auction's bidDeposit with the sealed bid.
    ///         Deposits are uniform so that the chain learns nothing of a bid
    ///         from its deposit (issue 15, finding 13); a bid above the deposit
    ///         cannot be paid, and a winner whose price exceeds it ends the
    ///         auction unsold.
    function bid(uint256 id, bytes calldata envelope) external payable {
        Auction storage a = _get(id);
        if (a.phase != Phase.Bidding) revert WrongPhase(id, a.phase);
        if (block.timestamp >= a.biddingEnds) revert BiddingClosed();
        if (msg.value != a.bidDeposit) revert DepositNotUniform();
        if (deposit[id][msg.sender] != 0) revert AlreadyBid();
        if (a.bidders.length >= MAX_BIDDERS) revert TooManyBidders();
        bytes32 h = keccak256(envelope);
        if (envelopeSeen[h]) revert DuplicateEnvelope(); // a copy opens as the original bid: it could win in its place
        envelopeSeen[h] = true;
        deposit[id][msg.sender] = msg.value;
        sealedBid[id][msg.sender] = envelope;
        a.bidders.push(msg.sender);
        emit BidPlaced(id, msg.sender, msg.value, envelope);
    }

    /// @notice After bidding closes, submit the auction's job to the market.
    function submit(uint256 id) external {
        Auction storage a = _get(id);
        if (a.phase != Phase.Bidding) revert WrongPhase(id, a.phase);
        if (block.timestamp < a.biddingEnds) revert BiddingOpen();
        uint256 n = a.bidders.length;
        if (n == 0) {
            a.phase = Phase.Unsold;
            credit[a.seller] += a.fee;
            emit AuctionDecided(id, false, address(0), 0);
            return;
        }
        bytes[] memory inputs = new bytes[](n);
        for (uint256 i = 0; i < n; i++) {
            inputs[i] = sealedBid[id][a.bidders[i]];
        }
        a.phase = Phase.Submitted;
        JobMarket.JobRequest memory r = JobMarket.JobRequest({
            workloadId: AUCTION_WORKLOAD,
            configHash: a.configHash,
            inputHash: market.hashList(inputs),
            consumer: address(this),
            deadline: a.settleBy,
            clientNonce: id,
            recipients: a.bidders,
            inputs: inputs,
            inputRef: ""
        });
        market.submitJob{value: a.fee}(r);
        emit AuctionSubmitted(id, a.jobId, n);
    }

    /// @inheritdoc IResultConsumer
    function onResult(bytes32 jobId, address requester, bytes32 workloadId, bytes32 configHash, bytes calldata out)
        external
    {
        if (msg.sender != address(market)) revert NotMarket();
        uint256 id = auctionOfJob[jobId];
        Auction storage a = auctions[id];
        if (requester != address(this) || id == 0 || workloadId != AUCTION_WORKLOAD || configHash != a.configHash) {
            revert NotOurJob();
        }
        if (a.phase != Phase.Submitted) revert WrongPhase(id, a.phase);
        // Excluded bids (that did not open or parse) never win; the winner is
        // the bidder at the winning position, whatever address its bid claimed.
        Outputs.Auction memory o = Outputs.auction(out);
        uint256 price = o.price;
        if (o.bids != a.bidders.length) revert BadOutput();
        if (o.sold) {
            address winner = a.bidders[o.winnerIndex];
            if (deposit[id][winner] >= price) {
                a.phase = Phase.Sold;
                a.winner = winner;
                a.price = price;
                deposit[id][winner] -= price;
                credit[a.seller] += price;
                emit AuctionDecided(id, true, winner, price);
                return;
            }
        }
        a.phase = Phase.Unsold;
        emit AuctionDecided(id, false, address(0), 0);
    }

    /// @notice Take back what is left of your deposit once the auction is decided,
    ///         or after its settlement deadline if the enclave never answered.
    function reclaim(uint256 id) external {
        Auction storage a = _get(id);
        bool decided = a.phase == Phase.Sold || a.phase == Phase.Unsold;
        if (!decided && !(a.phase == Phase.Submitted && block.timestamp > a.settleBy)) revert WrongPhase(id, a.phase);
        uint256 amount = deposit[id][msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        deposit[id][msg.sender] = 0;
        credit[msg.sender] += amount;
    }

    /// The market refunds an unanswered job's fee to this contract; it belongs to the seller.
    function reclaimFee(uint256 id) external {
        Auction storage a = _get(id);
        if (a.phase != Phase.Submitted || block.timestamp <= a.settleBy) revert WrongPhase(id, a.phase);
        a.phase = Phase.Unsold;
        // Anyone may refund the open job first (the fee is then credited to this
        // contract all the same); only a job still open is refunded here.
        JobMarket.State st = market.job(a.jobId).state;
        if (st == JobMarket.State.Open) market.refund(a.jobId); // reverts before the deadline
        else if (st != JobMarket.State.Refunded) revert WrongPhase(id, a.phase);
        if (a.fee != 0) {
            // Exactly this job's fee: the contract's balance also holds deposits,
            // and an earlier withdraw may already have brought this fee in.
            if (market.credit(address(this)) != 0) market.withdraw();
            credit[a.seller] += a.fee;
        }
        emit AuctionDecided(id, false, address(0), 0);
    }

    receive() external payable {
        if (msg.sender != address(market)) revert NotMarket();
    }

    function auction(uint256 id) external view returns (Auction memory) {
        return auctions[id];
    }

    function _get(uint256 id) private view returns (Auction storage a) {
        a = auctions[id];
        if (a.phase == Phase.None) revert UnknownAuction(id);
    }
}
