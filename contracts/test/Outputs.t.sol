// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Vm} from "./utils/Vm.sol";
import {Outputs} from "../src/lib/Outputs.sol";
import {ModelRegistry} from "../src/ModelRegistry.sol";
import {AuctionOutcomeConsumer} from "../src/examples/AuctionOutcomeConsumer.sol";
import {PriceRoundConsumer} from "../src/examples/PriceRoundConsumer.sol";
import {InferenceResultConsumer} from "../src/examples/InferenceResultConsumer.sol";
import {JobConsumer} from "../src/examples/JobConsumer.sol";

/// The decoders take calldata, as a consumer's onResult does.
contract OutputsHarness {
    function auction(bytes calldata o) external pure returns (Outputs.Auction memory) {
        return Outputs.auction(o);
    }

    function vote(bytes calldata o) external pure returns (Outputs.Vote memory) {
        return Outputs.vote(o);
    }

    function voteCount(bytes calldata o, uint256 k) external pure returns (uint32) {
        return Outputs.voteCount(o, k);
    }

    function oracle(bytes calldata o) external pure returns (Outputs.Oracle memory) {
        return Outputs.oracle(o);
    }

    function policyDecision(bytes calldata o, uint256 i) external pure returns (bool) {
        return Outputs.policyDecision(o, i);
    }

    function inference(bytes calldata o) external pure returns (Outputs.Inference memory) {
        return Outputs.inference(o);
    }

    function excludedAt(bytes calldata o, uint256 at, uint256 i) external pure returns (uint16) {
        return Outputs.excludedAt(o, at, i);
    }
}

/// Outputs: every workload's public output (docs/formats.md §5) decoded, and
/// every malformed one refused with BadOutput; the consumer templates.
contract OutputsTest {
    Vm constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    OutputsHarness h = new OutputsHarness();
    address constant WINNER = address(0xB1D);

    function refused(bytes memory call) internal {
        (bool ok, bytes memory err) = address(h).call(call);
        vm.assertFalse(ok, "accepted");
        vm.assertEq(bytes4(err), Outputs.BadOutput.selector, "BadOutput");
    }

    function test_auction() public view {
        bytes memory o =
            abi.encodePacked(uint8(2), uint8(1), uint16(3), WINNER, uint256(500), uint16(1), uint16(1), uint16(2));
        Outputs.Auction memory a = h.auction(o);
        vm.assertTrue(a.sold, "sold");
        vm.assertEq(uint256(a.bids), 3, "bids");
        vm.assertEq(a.winner, WINNER, "winner");
        vm.assertEq(a.price, 500, "price");
        vm.assertEq(uint256(a.winnerIndex), 1, "index");
        vm.assertEq(uint256(a.excluded), 1, "excluded");
        vm.assertEq(uint256(h.excludedAt(o, Outputs.AUCTION_EXCLUDED_AT, 0)), 2, "excluded position");
    }

    function test_auctionRefusals() public {
        bytes memory good = abi.encodePacked(uint8(2), uint8(1), uint16(3), WINNER, uint256(500), uint16(1), uint16(0));
        refused(abi.encodeCall(h.auction, (abi.encodePacked(uint8(1), bytes(good).length > 0 ? good : good))));
        refused(abi.encodeCall(h.auction, (abi.encodePacked(good, uint8(0))))); // a byte too many
        refused(
            abi.encodeCall(
                h.auction, (abi.encodePacked(uint8(2), uint8(2), uint16(3), WINNER, uint256(5), uint16(1), uint16(0)))
            )
        ); // sold 2
        refused(
            abi.encodeCall(
                h.auction, (abi.encodePacked(uint8(2), uint8(1), uint16(3), WINNER, uint256(5), uint16(3), uint16(0)))
            )
        ); // index >= bids
        refused(
            abi.encodeCall(
                h.auction, (abi.encodePacked(uint8(2), uint8(1), uint16(3), WINNER, uint256(5), uint16(1), uint16(1)))
            )
        ); // list short
        refused(abi.encodeCall(h.auction, (hex"02")));
        refused(abi.encodeCall(h.excludedAt, (good, Outputs.AUCTION_EXCLUDED_AT, 0))); // none excluded
    }

    function test_vote() public {
        bytes memory o = abi.encodePacked(uint8(2), uint16(3), uint32(5), uint32(1), uint32(4), uint32(0), uint16(0));
        Outputs.Vote memory v = h.vote(o);
        vm.assertEq(uint256(v.choices), 3, "choices");
        vm.assertEq(uint256(v.total), 5, "total");
        vm.assertEq(uint256(h.voteCount(o, 1)), 4, "count 1");
        refused(abi.encodeCall(h.voteCount, (o, 3)));
        refused(
            abi.encodeCall(h.vote, (abi.encodePacked(uint8(2), uint16(3), uint32(5), uint32(1), uint32(4), uint16(0))))
        );
    }

    function test_oracle() public {
        bytes memory o =
            abi.encodePacked(uint8(2), uint8(1), int64(-7), uint16(3), uint16(1), uint64(1700000000), uint16(0));
        Outputs.Oracle memory r = h.oracle(o);
        vm.assertEq(uint256(r.mode), 1, "mode");
        vm.assertTrue(r.value == -7, "a negative price");
        vm.assertEq(uint256(r.used), 3, "used");
        vm.assertEq(uint256(r.rejected), 1, "rejected");
        vm.assertEq(uint256(r.asOf), 1700000000, "as_of");
        refused(abi.encodeCall(h.oracle, (abi.encodePacked(o, uint8(0)))));
    }

    function test_policy() public {
        bytes memory o = abi.encodePacked(uint8(2), uint16(2), uint8(1), uint8(0), uint16(0));
        vm.assertTrue(h.policyDecision(o, 0), "approved");
        vm.assertFalse(h.policyDecision(o, 1), "declined");
        refused(abi.encodeCall(h.policyDecision, (o, 2)));
        refused(abi.encodeCall(h.policyDecision, (abi.encodePacked(uint8(2), uint16(1), uint8(7), uint16(0)), 0)));
    }

    function test_inference() public {
        bytes memory o = abi.encodePacked(uint8(2), keccak256("model"), uint32(4), uint32(3), uint16(1), uint16(2));
        Outputs.Inference memory r = h.inference(o);
        vm.assertEq(r.modelId, keccak256("model"), "model");
        vm.assertEq(uint256(r.inputs), 4, "inputs");
        vm.assertEq(uint256(r.answered), 3, "answered");
        refused(
            abi.encodeCall(
                h.inference, (abi.encodePacked(uint8(2), keccak256("model"), uint32(3), uint32(4), uint16(0)))
            )
        );
    }

    /// Whatever the bytes, a decoder returns or reverts BadOutput; never another failure.
    function testFuzz_onlyBadOutput(bytes calldata o, uint8 which) public {
        bytes memory call = which % 5 == 0
            ? abi.encodeCall(h.auction, (o))
            : which % 5 == 1
                ? abi.encodeCall(h.vote, (o))
                : which % 5 == 2
                    ? abi.encodeCall(h.oracle, (o))
                    : which % 5 == 3 ? abi.encodeCall(h.policyDecision, (o, 0)) : abi.encodeCall(h.inference, (o));
        (bool ok, bytes memory err) = address(h).call(call);
        if (!ok) vm.assertEq(bytes4(err), Outputs.BadOutput.selector, "only BadOutput");
    }

    // ---- the consumer templates (this test plays the market) ----

    bytes32 constant AUCTION = keccak256("cloister/workload/auction");
    bytes32 constant ORACLE = keccak256("cloister/workload/oracle");
    bytes32 constant ONNX = keccak256("cloister/workload/onnx");

    function test_auctionOutcome() public {
        AuctionOutcomeConsumer c = new AuctionOutcomeConsumer(address(this), address(0xA11CE), keccak256("rules"));
        bytes memory o = abi.encodePacked(uint8(2), uint8(1), uint16(2), WINNER, uint256(9), uint16(0), uint16(0));
        vm.expectRevert(JobConsumer.NotOurJob.selector);
        c.onResult(bytes32(uint256(1)), address(0xB0B), AUCTION, keccak256("rules"), o); // another requester
        c.onResult(bytes32(uint256(1)), address(0xA11CE), AUCTION, keccak256("rules"), o);
        (bool decided, bool sold, address winner, uint256 price,) = c.outcomes(bytes32(uint256(1)));
        vm.assertTrue(decided && sold && winner == WINNER && price == 9, "recorded");
        vm.prank(address(0xBAD));
        vm.expectRevert(JobConsumer.NotMarket.selector);
        c.onResult(bytes32(uint256(2)), address(0xA11CE), AUCTION, keccak256("rules"), o);
    }

    function test_priceRound() public {
        PriceRoundConsumer c = new PriceRoundConsumer(address(this), address(0xA11CE), keccak256("feed"));
        c.onResult(
            0,
            address(0xA11CE),
            ORACLE,
            keccak256("feed"),
            abi.encodePacked(uint8(2), uint8(1), int64(100), uint16(3), uint16(0), uint64(50), uint16(0))
        );
        c.onResult(
            0,
            address(0xA11CE),
            ORACLE,
            keccak256("feed"),
            abi.encodePacked(uint8(2), uint8(1), int64(90), uint16(3), uint16(0), uint64(40), uint16(0))
        ); // older: ignored
        vm.assertTrue(c.price() == 100 && c.observedAt() == 50 && c.sources() == 3, "the newest round");
        vm.expectRevert(JobConsumer.NotOurJob.selector);
        c.onResult(0, address(0xA11CE), ORACLE, keccak256("another feed"), hex"");
    }

    function test_inferenceResult() public {
        ModelRegistry models = new ModelRegistry();
        bytes32 name = keccak256("diagnosis");
        bytes32 modelId = sha256("model file");
        models.register(name, ONNX, modelId);
        InferenceResultConsumer c = new InferenceResultConsumer(address(this), models, name);
        bytes32 cfg = models.configHash(modelId);
        c.onResult(
            bytes32(uint256(7)),
            address(0),
            ONNX,
            cfg,
            abi.encodePacked(uint8(2), modelId, uint32(4), uint32(4), uint16(0))
        );
        (bytes32 m, uint32 inputs, uint32 answered) = c.answers(bytes32(uint256(7)));
        vm.assertTrue(m == modelId && inputs == 4 && answered == 4, "recorded");
        // A job that ran another model: refused.
        bytes32 otherId = sha256("another model");
        bytes32 other = models.configHash(otherId);
        bytes memory otherOut = abi.encodePacked(uint8(2), otherId, uint32(1), uint32(1), uint16(0));
        vm.expectRevert(abi.encodeWithSelector(InferenceResultConsumer.NotCurrentModel.selector, other));
        c.onResult(bytes32(uint256(8)), address(0), ONNX, other, otherOut);
        // The current model's config, but an output naming another model: refused.
        vm.expectRevert(InferenceResultConsumer.NotOurJob.selector);
        c.onResult(bytes32(uint256(9)), address(0), ONNX, cfg, otherOut);
    }
}
