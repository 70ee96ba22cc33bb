// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Fixture} from "./utils/Fixture.sol";
import {JobMarket} from "../src/JobMarket.sol";
import {SealedBidAuction} from "../src/SealedBidAuction.sol";
import {PriceFeed} from "../src/PriceFeed.sol";

contract AuctionTest is Fixture {
    SealedBidAuction internal auc;
    address[3] internal bidders = [address(0xB1), address(0xB2), address(0xB3)];
    bytes internal constant CONFIG = hex"0102"; // the test does not run the enclave; only its hash matters

    function setUp() public override {
        super.setUp();
        auc = new SealedBidAuction(market);
        for (uint256 i = 0; i < 3; i++) {
            vm.deal(bidders[i], 10 ether);
        }
    }

    function _open() internal returns (uint256 id, bytes32 jobId) {
        vm.prank(address(0x5E11));
        vm.deal(address(0x5E11), 1 ether);
        (id, jobId) = auc.create{value: 0.1 ether}(
            CONFIG, uint40(block.timestamp + 1 hours), uint40(block.timestamp + 2 hours), 4 ether
        );
        for (uint256 i = 0; i < 3; i++) {
            vm.prank(bidders[i]);
            auc.bid{value: 4 ether}(id, abi.encodePacked("envelope of bidder ", i)); // uniform
        }
        vm.warp(block.timestamp + 1 hours);
        auc.submit(id);
    }

    /// The enclave's public output: sold to input `index` at `price`.
    function _output(address claimed, uint256 price, uint16 index) internal pure returns (bytes memory) {
        return abi.encodePacked(uint8(2), uint8(1), uint16(3), claimed, price, index, uint16(0));
    }

    function _settle(bytes32 jobId, uint256 id, bytes memory out) internal {
        bytes[] memory inputs = new bytes[](3);
        for (uint256 i = 0; i < 3; i++) {
            inputs[i] = abi.encodePacked("envelope of bidder ", i);
        }
        JobMarket.Settlement memory s;
        s.jobId = jobId;
        s.inputHash = market.hashList(inputs);
        s.workloadId = AUCTION;
        s.configHash = keccak256(CONFIG);
        s.epoch = 1;
        s.consumer = address(auc);
        s.publicOutput = out;
        s.privateOutputs = new bytes[](3);
        market.settle(s, signResult(enclaveKey, s));
        id;
    }

    function test_winnerPaysOthersRefunded() public {
        (uint256 id, bytes32 jobId) = _open();
        vm.assertEq(uint256(market.job(jobId).state), uint256(JobMarket.State.Open), "job on market");
        _settle(jobId, id, _output(bidders[2], 3 ether, 2));
        SealedBidAuction.Auction memory a = auc.auction(id);
        vm.assertEq(uint256(a.phase), uint256(SealedBidAuction.Phase.Sold), "sold");
        vm.assertEq(a.winner, bidders[2], "winner");
        vm.assertEq(auc.credit(address(0x5E11)), 3 ether, "seller paid the price");
        for (uint256 i = 0; i < 3; i++) {
            vm.prank(bidders[i]);
            auc.reclaim(id);
            vm.prank(bidders[i]);
            auc.withdraw();
        }
        vm.assertEq(bidders[0].balance, 10 ether, "loser refunded");
        vm.assertEq(bidders[1].balance, 10 ether, "loser refunded");
        vm.assertEq(bidders[2].balance, 7 ether, "winner paid 3");
    }

    /// The bid names bidder 0, but bidder 2's envelope won: bidder 2 pays.
    function test_positionNotClaimDecidesWhoPays() public {
        (uint256 id, bytes32 jobId) = _open();
        _settle(jobId, id, _output(bidders[0], 3 ether, 2));
        vm.assertEq(auc.auction(id).winner, bidders[2], "the envelope's depositor");
    }

    function test_shortDepositEndsUnsold() public {
        (uint256 id, bytes32 jobId) = _open();
        _settle(jobId, id, _output(bidders[0], 5 ether, 0)); // every deposit is 4
        vm.assertEq(uint256(auc.auction(id).phase), uint256(SealedBidAuction.Phase.Unsold), "unsold");
    }

    /// Excluded bids are named after the decision; the auction is decided all the same.
    function test_outputNamingExcludedBids() public {
        (uint256 id, bytes32 jobId) = _open();
        _settle(
            jobId,
            id,
            abi.encodePacked(
                uint8(2), uint8(1), uint16(3), bidders[2], uint256(3 ether), uint16(2), uint16(2), uint16(0), uint16(1)
            )
        );
        vm.assertEq(uint256(auc.auction(id).phase), uint256(SealedBidAuction.Phase.Sold), "sold");
        vm.assertEq(auc.auction(id).winner, bidders[2], "to the good bid");
    }

    /// A tail that does not match its count, or the old version 1, is no outcome.
    function test_badExcludedTailIsNoOutcome() public {
        (uint256 id, bytes32 jobId) = _open();
        _settle(
            jobId,
            id,
            abi.encodePacked(
                uint8(2), uint8(1), uint16(3), bidders[2], uint256(3 ether), uint16(2), uint16(2), uint16(0)
            )
        );
        vm.assertEq(uint256(auc.auction(id).phase), uint256(SealedBidAuction.Phase.Submitted), "bad tail: waits");
    }

    function test_malformedOutputDoesNotBlockSettlement() public {
        (uint256 id, bytes32 jobId) = _open();
        _settle(jobId, id, hex"0101");
        vm.assertEq(uint256(market.job(jobId).state), uint256(JobMarket.State.Settled), "settled anyway");
        vm.assertEq(uint256(auc.auction(id).phase), uint256(SealedBidAuction.Phase.Submitted), "auction waits");
        // After the deadline bidders get their deposits back and the seller the fee.
        vm.warp(block.timestamp + 2 hours);
        vm.prank(bidders[0]);
        auc.reclaim(id);
    }

    /// The enclave never answers: after settleBy the seller gets the fee back
    /// and every bidder its whole deposit.
    function test_unansweredAuctionRefundsEveryone() public {
        (uint256 id, bytes32 jobId) = _open();
        vm.expectRevert(
            abi.encodeWithSelector(SealedBidAuction.WrongPhase.selector, id, SealedBidAuction.Phase.Submitted)
        );
        auc.reclaimFee(id);
        vm.warp(block.timestamp + 2 hours);
        auc.reclaimFee(id);
        vm.assertEq(uint256(market.job(jobId).state), uint256(JobMarket.State.Refunded), "job refunded");
        vm.assertEq(auc.credit(address(0x5E11)), 0.1 ether, "seller gets the fee");
        for (uint256 i = 0; i < 3; i++) {
            vm.prank(bidders[i]);
            auc.reclaim(id);
            vm.prank(bidders[i]);
            auc.withdraw();
            vm.assertEq(bidders[i].balance, 10 ether, "deposit back");
        }
        vm.prank(address(0x5E11));
        auc.withdraw();
        vm.assertEq(address(auc).balance, 0, "nothing left behind");
    }

    /// Issue 15, finding 9: anyone may refund the unanswered job first; the
    /// seller's fee was then stranded (reclaimFee reverted forever). With two
    /// auctions, one reclaim's withdraw also brings in the other's fee.
    function test_strangerRefundStrandsNothing() public {
        (uint256 id, bytes32 jobId) = _open();
        vm.prank(address(0x5E11));
        (uint256 id2, bytes32 jobId2) = auc.create{value: 0.1 ether}(
            CONFIG, uint40(block.timestamp + 1 hours), uint40(block.timestamp + 2 hours), 1 ether
        );
        for (uint256 i = 0; i < 3; i++) {
            vm.prank(bidders[i]);
            auc.bid{value: 1 ether}(id2, abi.encodePacked("second auction, bidder ", i));
        }
        vm.warp(block.timestamp + 1 hours);
        auc.submit(id2);
        vm.warp(block.timestamp + 3 hours);
        vm.prank(address(0xBAD));
        market.refund(jobId); // a stranger, first
        auc.reclaimFee(id2); // its withdraw brings both fees in
        auc.reclaimFee(id);
        vm.assertEq(uint256(market.job(jobId).state), uint256(JobMarket.State.Refunded), "job refunded");
        vm.assertEq(uint256(market.job(jobId2).state), uint256(JobMarket.State.Refunded), "job 2 refunded");
        vm.assertEq(auc.credit(address(0x5E11)), 0.2 ether, "the seller gets both fees");
        for (uint256 i = 0; i < 3; i++) {
            vm.prank(bidders[i]);
            auc.reclaim(id);
            vm.prank(bidders[i]);
            auc.reclaim(id2);
            vm.prank(bidders[i]);
            auc.withdraw();
        }
        vm.prank(address(0x5E11));
        auc.withdraw();
        vm.assertEq(address(auc).balance, 0, "nothing stranded");
        vm.assertEq(market.credit(address(auc)), 0, "nothing left in the market");
    }

    event WorkloadConfig(bytes32 indexed configHash, bytes config);

    /// The auction puts its config on chain under its hash: nodes take it from there.
    function test_createPublishesTheConfig() public {
        vm.expectEmit(true, false, false, true, address(auc));
        emit WorkloadConfig(keccak256(CONFIG), CONFIG);
        auc.create{value: 0}(CONFIG, uint40(block.timestamp + 1 hours), uint40(block.timestamp + 2 hours), 1 ether);
    }

    function test_bidRules() public {
        vm.deal(address(0x5E11), 1 ether);
        vm.prank(address(0x5E11));
        (uint256 id,) =
            auc.create(CONFIG, uint40(block.timestamp + 1 hours), uint40(block.timestamp + 2 hours), 1 ether);
        vm.prank(bidders[0]);
        vm.expectRevert(SealedBidAuction.DepositNotUniform.selector);
        auc.bid{value: 0.5 ether}(id, hex"01");
        // Issue 15, finding 13: a deposit above the bid deposit would tell the chain the bid is high.
        vm.prank(bidders[0]);
        vm.expectRevert(SealedBidAuction.DepositNotUniform.selector);
        auc.bid{value: 1.5 ether}(id, hex"01");
        vm.prank(bidders[0]);
        auc.bid{value: 1 ether}(id, hex"01");
        vm.prank(bidders[0]);
        vm.expectRevert(SealedBidAuction.AlreadyBid.selector);
        auc.bid{value: 1 ether}(id, hex"02");
        vm.prank(bidders[1]);
        vm.expectRevert(SealedBidAuction.DuplicateEnvelope.selector);
        auc.bid{value: 1 ether}(id, hex"01");
        vm.expectRevert(SealedBidAuction.BiddingOpen.selector);
        auc.submit(id);
        vm.warp(block.timestamp + 1 hours);
        vm.prank(bidders[1]);
        vm.expectRevert(SealedBidAuction.BiddingClosed.selector);
        auc.bid{value: 1 ether}(id, hex"03");
    }

    function test_onlyMarketCallsBack() public {
        vm.expectRevert(SealedBidAuction.NotMarket.selector);
        auc.onResult(bytes32(0), address(auc), AUCTION, bytes32(0), hex"");
    }
}

contract PriceFeedTest is Fixture {
    PriceFeed internal feed;
    bytes32 internal constant ORACLE_CONFIG = keccak256("median of 5, 2% deviation");
    address internal updater = address(0xD00D);

    function setUp() public override {
        super.setUp();
        feed = new PriceFeed(address(market), gov, ORACLE_CONFIG, 8, "ETH / USD (Cloister)");
        vm.prank(gov);
        feed.setUpdater(updater, true);
        vm.deal(updater, 1 ether);
    }

    function _report(address who, uint256 nonce, int64 value, uint64 asOf) internal returns (bytes32 id) {
        JobMarket.JobRequest memory r = request(ORACLE, ORACLE_CONFIG, oneInput(), address(feed), nonce);
        vm.deal(who, 1 ether);
        vm.prank(who);
        id = market.submitJob(r);
        JobMarket.Settlement memory s =
            settlement(id, r, abi.encodePacked(uint8(2), uint8(1), value, uint16(5), uint16(0), asOf, uint16(0)));
        market.settle(s, signResult(enclaveKey, s));
    }

    function test_roundsFromSignedMedians() public {
        _report(updater, 1, 3500_00000000, 1000);
        _report(updater, 2, 3512_50000000, 1060);
        (uint80 round, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredIn) = feed.latestRoundData();
        vm.assertEq(uint256(round), 2, "round");
        vm.assertEq(answer, int256(3512_50000000), "answer");
        vm.assertEq(startedAt, 1060, "as_of");
        vm.assertEq(updatedAt, block.timestamp, "updated");
        vm.assertEq(uint256(answeredIn), 2, "answeredInRound");
        (, int256 first,,,) = feed.getRoundData(1);
        vm.assertEq(first, int256(3500_00000000), "round 1 kept");
        vm.assertEq(uint256(feed.decimals()), 8, "decimals");
    }

    /// An oracle-https output (docs/formats.md §5.6): two used sources, one failed.
    function _httpsOut(int64 value, uint64 asOf, uint64 from, uint64 until) internal pure returns (bytes memory o) {
        o = abi.encodePacked(uint8(2), value, uint16(2), uint16(0), uint16(1), asOf, from, until, uint8(3));
        for (uint256 i = 0; i < 3; i++) {
            bytes memory host = i == 2 ? bytes("c.example") : bytes("a.example");
            o = abi.encodePacked(
                o, uint8(i == 2 ? 3 : 0), uint8(host.length), host, uint16(443), bytes32(0), bytes32(0)
            );
            o = abi.encodePacked(o, uint16(0x0304), uint16(200), asOf, from, until, bytes32(0), value);
        }
        o = abi.encodePacked(o, uint16(0));
    }

    function _fetched(uint256 nonce, bytes memory out) internal returns (bytes32 id) {
        JobMarket.JobRequest memory r = request(ORACLE_HTTPS, ORACLE_CONFIG, oneInput(), address(feed), nonce);
        vm.prank(updater);
        id = market.submitJob(r);
        JobMarket.Settlement memory s = settlement(id, r, out);
        market.settle(s, signResult(enclaveKey, s));
    }

    function test_roundsFromFetchedSources() public {
        vm.warp(10_000);
        _fetched(1, _httpsOut(2000_45000000, 10_010, 9_000, 20_000)); // Date a little ahead: allowed
        (uint80 round, int256 answer, uint256 startedAt,,) = feed.latestRoundData();
        vm.assertEq(uint256(round), 1, "round");
        vm.assertEq(answer, int256(2000_45000000), "answer");
        vm.assertEq(startedAt, 10_010, "as_of: the latest Date");
        // certificates not yet valid, expired, or a Date too far ahead of the chain: no round
        _fetched(2, _httpsOut(1, 10_020, 10_001, 20_000));
        _fetched(3, _httpsOut(1, 10_020, 9_000, 9_999));
        _fetched(4, _httpsOut(1, 10_000 + 301, 9_000, 20_000));
        // a malformed output (a record cut short, the counts not adding up): no round
        bytes memory cut = _httpsOut(1, 10_030, 9_000, 20_000);
        assembly {
            mstore(cut, sub(mload(cut), 3))
        }
        _fetched(5, cut);
        bytes memory miscount = _httpsOut(1, 10_030, 9_000, 20_000);
        miscount[14] = 0x02; // failed 2: used + outliers + failed != 3
        _fetched(6, miscount);
        vm.assertEq(uint256(feed.latestRound()), 1, "no new round");
        _fetched(7, _httpsOut(2001_00000000, 10_040, 9_000, 20_000));
        (round, answer,,,) = feed.latestRoundData();
        vm.assertEq(uint256(round), 2, "the next good one makes a round");
        vm.assertEq(answer, int256(2001_00000000), "answer");
    }

    function test_strangersAndStaleDataMakeNoRound() public {
        _report(updater, 1, 100, 1000);
        bytes32 id = _report(address(0xBAD), 2, 1, 2000); // anyone may name the feed as consumer
        vm.assertEq(uint256(market.job(id).state), uint256(JobMarket.State.Settled), "settled anyway");
        _report(updater, 3, 999, 1000); // not newer
        vm.assertEq(uint256(feed.latestRound()), 1, "no new round");
        vm.expectRevert(PriceFeed.NoDataPresent.selector);
        feed.getRoundData(7);
    }
}
