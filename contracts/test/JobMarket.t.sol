// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Fixture} from "./utils/Fixture.sol";
import {Vm} from "./utils/Vm.sol";
import {EnclaveRegistry} from "../src/EnclaveRegistry.sol";
import {JobMarket} from "../src/JobMarket.sol";
import {Eip712} from "../src/lib/Eip712.sol";
import {IResultConsumer} from "../src/interfaces/IResultConsumer.sol";

contract RecordingConsumer is IResultConsumer {
    bytes32 public lastJob;
    bytes public lastOutput;
    address public lastRequester;

    function onResult(bytes32 jobId, address requester, bytes32, bytes32, bytes calldata out) external {
        lastJob = jobId;
        lastRequester = requester;
        lastOutput = out;
    }
}

contract RevertingConsumer is IResultConsumer {
    function onResult(bytes32, address, bytes32, bytes32, bytes calldata) external pure {
        revert("no");
    }
}

contract GasBurningConsumer is IResultConsumer {
    function onResult(bytes32, address, bytes32, bytes32, bytes calldata) external pure {
        while (true) {}
    }
}

/// Re-enters the market from the callback: settling the same job again and
/// taking the fee early must both fail; the outer settlement must stand.
contract ReentrantConsumer is IResultConsumer {
    JobMarket public market;
    JobMarket.Settlement internal s;
    bytes internal sig;
    bool public reentered;
    bool public reentrySucceeded;

    constructor(JobMarket m) {
        market = m;
    }

    function arm(JobMarket.Settlement calldata s_, bytes calldata sig_) external {
        s = s_;
        sig = sig_;
    }

    function onResult(bytes32 jobId, address, bytes32, bytes32, bytes calldata) external {
        reentered = true;
        try market.settle(s, sig) {
            reentrySucceeded = true;
        } catch {}
        try market.releaseFee(jobId) {
            reentrySucceeded = true;
        } catch {}
    }
}

contract JobMarketTest is Fixture {
    bytes internal constant PUB =
        hex"0101000302020202020202020202020202020202020202020000000000000000000000000000000000000000000000000000000000000002bc0001";

    // ---- submission ----

    function test_jobIdIsClientDerived() public {
        (bytes32 id,) = submit(7, address(0));
        vm.assertEq(id, keccak256(abi.encode(block.chainid, address(market), requester, uint256(7))), "job id");
        vm.assertEq(uint256(market.job(id).state), uint256(JobMarket.State.Open), "open");
        vm.assertEq(uint256(market.job(id).fee), 1 ether, "fee escrowed");
    }

    function test_duplicateJobIdRejected() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(7, address(0));
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.JobExists.selector, id));
        market.submitJob(r);
    }

    function test_submitRejectsBadDeadlineAndInputHash() public {
        JobMarket.JobRequest memory r = request(AUCTION, bytes32(0), oneInput(), address(0), 1);
        r.deadline = uint40(block.timestamp);
        vm.expectRevert(JobMarket.BadDeadline.selector);
        market.submitJob(r);
        r.deadline = uint40(block.timestamp + 31 days);
        vm.expectRevert(JobMarket.BadDeadline.selector);
        market.submitJob(r);
        r.deadline = uint40(block.timestamp + 1 hours);
        r.inputHash = bytes32(uint256(1));
        vm.expectRevert(JobMarket.InputHashMismatch.selector);
        market.submitJob(r);
    }

    // ---- claims (issue 21) ----

    function test_claimLeaseKeepsOthersOff() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        address other = address(0xB0B);
        vm.deal(other, 100 ether);
        vm.prank(other);
        reg.registerOperator{value: BOND}();
        vm.expectEmit(true, true, false, true, address(market));
        emit JobMarket.JobClaimed(id, operator, uint40(block.timestamp + 100));
        vm.prank(operator);
        market.claim(id, 100);
        (address holder, uint40 until) = market.claims(id);
        vm.assertEq(holder, operator, "the holder");
        vm.assertEq(uint256(until), block.timestamp + 100, "the lease");
        // Another operator waits for the lease; a non-operator never claims.
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.ClaimedByAnother.selector, operator, until));
        market.claim(id, 100);
        vm.prank(requester);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotAnOperator.selector, requester));
        market.claim(id, 100);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.BadLease.selector, uint32(0)));
        market.claim(id, 0);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.BadLease.selector, uint32(3601)));
        market.claim(id, 3601);
        // The holder renews; past the lease another takes it.
        vm.warp(block.timestamp + 50);
        vm.prank(operator);
        market.claim(id, 100);
        vm.warp(uint256(r.deadline) - 10); // past the lease, near the deadline
        vm.prank(other);
        market.claim(id, 3600);
        (holder, until) = market.claims(id);
        vm.assertEq(holder, other, "taken over after the lease");
        vm.assertEq(uint256(until), uint256(r.deadline), "a lease ends at the deadline at the latest");
        // A claim guards nothing: the first operator's enclave still settles, once.
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        market.settle(s, signResult(enclaveKey, s));
        vm.prank(other);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotOpen.selector, id, JobMarket.State.Settled));
        market.claim(id, 100);
    }

    function test_claimNeedsAnOpenJobAndABondedOperator() public {
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotOpen.selector, bytes32(uint256(9)), JobMarket.State.None));
        market.claim(bytes32(uint256(9)), 100);
        (bytes32 id,) = submit(2, address(0));
        vm.prank(operator);
        reg.requestUnbond();
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotAnOperator.selector, operator));
        market.claim(id, 100);
    }

    // ---- settlement ----

    function test_settleOnceWithCallback() public {
        RecordingConsumer c = new RecordingConsumer();
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(c));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = signResult(enclaveKey, s);
        market.settle(s, sig);
        JobMarket.Job memory j = market.job(id);
        vm.assertEq(uint256(j.state), uint256(JobMarket.State.Settled), "settled");
        vm.assertEq(j.signer, enclaveSigner, "signer recorded");
        vm.assertEq(c.lastJob(), id, "callback job");
        vm.assertEq(keccak256(c.lastOutput()), keccak256(PUB), "callback output");
        vm.assertEq(c.lastRequester(), requester, "callback requester");
        // Replayed result: exactly once.
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotOpen.selector, id, JobMarket.State.Settled));
        market.settle(s, sig);
    }

    function test_resultForAnotherJobRejected() public {
        (bytes32 a, JobMarket.JobRequest memory ra) = submit(1, address(0));
        (bytes32 b,) = submit(2, address(0));
        JobMarket.Settlement memory s = settlement(a, ra, PUB);
        bytes memory sig = signResult(enclaveKey, s);
        s.jobId = b; // same signature, other job: recovers another address
        vm.expectRevert();
        market.settle(s, sig);
        vm.assertEq(uint256(market.job(b).state), uint256(JobMarket.State.Open), "b untouched");
    }

    function test_tamperedOutputRejected() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = signResult(enclaveKey, s);
        s.publicOutput = hex"0100";
        vm.expectRevert(); // recovers a stranger
        market.settle(s, sig);
    }

    function test_specMismatchRejected() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        s.configHash = keccak256("other model"); // signed honestly, but not what was asked
        bytes memory sig = signResult(enclaveKey, s);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.SpecMismatch.selector, id));
        market.settle(s, sig);
    }

    function test_unregisteredSignerRejected() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = signResult(0xBAD, s);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.UnknownEnclave.selector, vm.addr(0xBAD)));
        market.settle(s, sig);
    }

    function test_expiredSignerRejected() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = signResult(enclaveKey, s);
        vm.warp(block.timestamp + LIFETIME);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.EnclaveExpired.selector, enclaveSigner));
        market.settle(s, sig);
    }

    function test_revokedSignerRejected() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = signResult(enclaveKey, s);
        vm.prank(gov);
        reg.revoke(enclaveSigner);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.EnclaveIsRevoked.selector, enclaveSigner));
        market.settle(s, sig);
    }

    function test_wrongMeasurementRejected() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = signResult(enclaveKey, s);
        vm.prank(gov);
        reg.setMeasurement(AUCTION, MEASUREMENT, false);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.MeasurementNotAllowed.selector, MEASUREMENT));
        market.settle(s, sig);
    }

    function test_wrongEpochRejected() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        s.epoch = 2;
        bytes memory sig = signResult(enclaveKey, s);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.WrongEpoch.selector, uint32(2), uint32(1)));
        market.settle(s, sig);
    }

    function test_highSRejected() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = highS(signResult(enclaveKey, s));
        vm.expectRevert(Eip712.HighS.selector);
        market.settle(s, sig);
    }

    function test_badVAndLengthRejected() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = signResult(enclaveKey, s);
        sig[64] = bytes1(uint8(1));
        vm.expectRevert(Eip712.BadSignatureV.selector);
        market.settle(s, sig);
        vm.expectRevert(Eip712.BadSignatureLength.selector);
        market.settle(s, hex"00");
    }

    function test_wrongChainDomainRejected() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = signResult(enclaveKey, s); // chain 31337
        vm.chainId(1); // the same contract on another chain: another domain
        vm.expectRevert();
        market.settle(s, sig);
    }

    function test_wrongContractDomainRejected() public {
        JobMarket other = new JobMarket(reg, WINDOW, 30 days);
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        JobMarket.Statement memory t = statement(s);
        bytes memory sig = sig65(enclaveKey, other.resultDigest(t)); // signed for another market
        vm.expectRevert();
        market.settle(s, sig);
    }

    function test_settleAfterDeadlineRejectedAndRefund() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = signResult(enclaveKey, s);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.DeadlineNotPassed.selector, id));
        market.refund(id);
        vm.warp(r.deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(JobMarket.DeadlinePassed.selector, id));
        market.settle(s, sig);
        market.refund(id);
        vm.assertEq(market.credit(requester), 1 ether, "refund credited");
        uint256 before = requester.balance;
        vm.prank(requester);
        market.withdraw();
        vm.assertEq(requester.balance - before, 1 ether, "refund paid");
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotOpen.selector, id, JobMarket.State.Refunded));
        market.settle(s, sig);
    }

    function test_feeAfterChallengeWindow() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        market.settle(s, signResult(enclaveKey, s));
        vm.expectRevert(abi.encodeWithSelector(JobMarket.ChallengeWindowOpen.selector, id));
        market.releaseFee(id);
        vm.warp(block.timestamp + WINDOW);
        market.releaseFee(id);
        vm.assertEq(market.credit(operator), 1 ether, "operator paid");
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotSettled.selector, id));
        market.releaseFee(id);
    }

    function test_feeRefundedIfEnclaveRevokedInWindow() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        market.settle(s, signResult(enclaveKey, s));
        vm.prank(gov);
        reg.revoke(enclaveSigner);
        vm.warp(block.timestamp + WINDOW);
        market.releaseFee(id);
        vm.assertEq(market.credit(requester), 1 ether, "requester refunded");
        vm.assertEq(market.credit(operator), 0, "operator unpaid");
    }

    // ---- callbacks ----

    function test_revertingCallbackDoesNotBlock() public {
        RevertingConsumer c = new RevertingConsumer();
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(c));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        vm.recordLogs();
        market.settle(s, signResult(enclaveKey, s));
        vm.assertEq(uint256(market.job(id).state), uint256(JobMarket.State.Settled), "settled");
        vm.assertTrue(_sawEvent(JobMarket.CallbackFailed.selector), "CallbackFailed emitted");
    }

    function test_gasBurningCallbackDoesNotBlock() public {
        GasBurningConsumer c = new GasBurningConsumer();
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(c));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        market.settle{gas: 1_000_000}(s, signResult(enclaveKey, s));
        vm.assertEq(uint256(market.job(id).state), uint256(JobMarket.State.Settled), "settled");
    }

    function test_starvedCallbackRefused() public {
        RecordingConsumer c = new RecordingConsumer();
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(c));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = signResult(enclaveKey, s);
        // Too little gas for the consumer's budget: the whole settlement reverts
        // instead of settling with a starved callback.
        (bool ok,) = address(market).call{gas: 120_000}(abi.encodeCall(JobMarket.settle, (s, sig)));
        vm.assertFalse(ok, "starved settle reverted");
        vm.assertEq(uint256(market.job(id).state), uint256(JobMarket.State.Open), "still open");
    }

    function test_reentrantCallbackCannotDoubleSettle() public {
        ReentrantConsumer c = new ReentrantConsumer(market);
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(c));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = signResult(enclaveKey, s);
        c.arm(s, sig);
        vm.recordLogs();
        market.settle(s, sig);
        vm.assertTrue(c.reentered(), "callback ran");
        vm.assertFalse(c.reentrySucceeded(), "re-entry refused");
        vm.assertEq(_countEvent(JobMarket.JobSettled.selector), 1, "one settlement");
    }

    // ---- batches ----

    function _batch(uint256 n)
        internal
        returns (JobMarket.Settlement[] memory s, bytes32[] memory leaves, bytes32[][] memory proofs, bytes32 root)
    {
        s = new JobMarket.Settlement[](n);
        leaves = new bytes32[](n);
        for (uint256 i = 0; i < n; i++) {
            (bytes32 id, JobMarket.JobRequest memory r) = submit(100 + i, address(0));
            s[i] = settlement(id, r, abi.encodePacked(PUB, uint8(i)));
            leaves[i] = leaf(s[i]);
        }
        (root, proofs) = merkle(leaves);
    }

    /// Sorted-pair Merkle tree; an odd node is carried up unchanged.
    function merkle(bytes32[] memory leaves) internal pure returns (bytes32 root, bytes32[][] memory proofs) {
        uint256 n = leaves.length;
        proofs = new bytes32[][](n);
        uint256[] memory pos = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            pos[i] = i;
            proofs[i] = new bytes32[](0);
        }
        bytes32[] memory level = leaves;
        while (level.length > 1) {
            bytes32[] memory next = new bytes32[]((level.length + 1) / 2);
            for (uint256 k = 0; k < next.length; k++) {
                if (2 * k + 1 < level.length) {
                    bytes32 a = level[2 * k];
                    bytes32 b = level[2 * k + 1];
                    next[k] = a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
                } else {
                    next[k] = level[2 * k];
                }
            }
            for (uint256 i = 0; i < n; i++) {
                uint256 p = pos[i];
                uint256 sib = p ^ 1;
                if (sib < level.length) proofs[i] = _push(proofs[i], level[sib]);
                pos[i] = p / 2;
            }
            level = next;
        }
        root = level[0];
    }

    function _push(bytes32[] memory a, bytes32 x) private pure returns (bytes32[] memory b) {
        b = new bytes32[](a.length + 1);
        for (uint256 i = 0; i < a.length; i++) {
            b[i] = a[i];
        }
        b[a.length] = x;
    }

    function test_batchSettlesEveryJobOnce() public {
        (JobMarket.Settlement[] memory s,, bytes32[][] memory proofs, bytes32 root) = _batch(5);
        bytes memory sig = sig65(enclaveKey, market.batchDigest(root, 5, 1));
        uint256 n = market.settleBatch(root, 5, 1, sig, s, proofs);
        vm.assertEq(n, 5, "five settled");
        for (uint256 i = 0; i < 5; i++) {
            vm.assertEq(uint256(market.job(s[i].jobId).state), uint256(JobMarket.State.Settled), "settled");
        }
        // A retried batch settles nothing again.
        vm.assertEq(market.settleBatch(root, 5, 1, sig, s, proofs), 0, "retry is a no-op");
        vm.expectRevert(abi.encodeWithSelector(JobMarket.NotOpen.selector, s[0].jobId, JobMarket.State.Settled));
        market.settleFromRoot(root, 5, 1, sig, s[0], proofs[0]);
    }

    function test_rootOnlyThenProofs() public {
        (JobMarket.Settlement[] memory s,, bytes32[][] memory proofs, bytes32 root) = _batch(3);
        bytes memory sig = sig65(enclaveKey, market.batchDigest(root, 3, 1));
        (bytes32 r, bytes32 vs) = compact(sig);
        vm.expectRevert(); // the other parity: another signer, no record
        market.postRoot(root, 3, 1, r, vs ^ bytes32(uint256(1) << 255));
        vm.recordLogs();
        market.postRoot(root, 3, 1, r, vs);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        vm.assertEq(logs.length, 1, "one event, no storage");
        vm.assertEq(logs[0].topics[0], keccak256("BatchRootPosted(bytes32,address,uint32,uint32)"), "the root");
        vm.assertEq(logs[0].topics[1], root, "its root");
        market.settleFromRoot(root, 3, 1, sig, s[2], proofs[2]);
        vm.assertEq(uint256(market.job(s[2].jobId).state), uint256(JobMarket.State.Settled), "proved job");
        vm.assertEq(uint256(market.job(s[0].jobId).state), uint256(JobMarket.State.Open), "others open");
        // A proof for another leaf, or a tampered output, fails.
        vm.expectRevert(abi.encodeWithSelector(JobMarket.BadProof.selector, s[0].jobId));
        market.settleFromRoot(root, 3, 1, sig, s[0], proofs[1]);
        s[1].publicOutput = hex"01";
        vm.expectRevert(abi.encodeWithSelector(JobMarket.BadProof.selector, s[1].jobId));
        market.settleFromRoot(root, 3, 1, sig, s[1], proofs[1]);
        // The root's signature covers its count and epoch.
        vm.expectRevert();
        market.settleFromRoot(root, 4, 1, sig, s[0], proofs[0]);
    }

    /// EIP-2098: (r, yParity << 255 | s) of a 65-byte (r, s, v) signature.
    function compact(bytes memory sig) internal pure returns (bytes32 r, bytes32 vs) {
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
            v := byte(0, mload(add(sig, 96)))
        }
        vs = bytes32(uint256(s) | (uint256(v - 27) << 255));
    }

    function test_rootFromStrangerRejected() public {
        (JobMarket.Settlement[] memory s,, bytes32[][] memory proofs, bytes32 root) = _batch(2);
        bytes memory sig = sig65(0xBAD, market.batchDigest(root, 2, 1));
        (bytes32 r, bytes32 vs) = compact(sig);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.UnknownEnclave.selector, vm.addr(0xBAD)));
        market.postRoot(root, 2, 1, r, vs);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.UnknownEnclave.selector, vm.addr(0xBAD)));
        market.settleFromRoot(root, 2, 1, sig, s[0], proofs[0]);
    }

    // ---- equivocation ----

    function test_equivocationSlashesAndRevokes() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory a = settlement(id, r, PUB);
        JobMarket.Settlement memory b = settlement(id, r, hex"0100");
        address reporter = address(0xBEEF);
        bytes memory sa = signResult(enclaveKey, a);
        bytes memory sb = signResult(enclaveKey, b);
        vm.prank(reporter);
        market.reportEquivocation(statement(a), sa, statement(b), sb);
        vm.assertTrue(reg.isRevoked(enclaveSigner), "revoked");
        (uint128 bond,,) = reg.operators(operator);
        vm.assertEq(uint256(bond), 0, "bond slashed");
        vm.assertEq(reg.credit(reporter), BOND / 2, "reporter reward");
        vm.assertEq(reg.credit(gov), BOND / 2, "governance share");
        vm.prank(reporter);
        reg.withdraw();
        vm.assertEq(reporter.balance, BOND / 2, "reward paid");
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.EnclaveIsRevoked.selector, enclaveSigner));
        market.settle(a, sa);
    }

    /// Issue 15, finding 6: a slashed operator registered, settled and was paid
    /// with zero bond. Now it must re-bond minBond first, and its other records
    /// sign nothing meanwhile.
    function test_slashedOperatorMustRebond() public {
        uint256 otherKey = 0xE2;
        registerEnclave(otherKey, 1);
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory a = settlement(id, r, PUB);
        JobMarket.Settlement memory b = settlement(id, r, hex"0100");
        market.reportEquivocation(statement(a), signResult(enclaveKey, a), statement(b), signResult(enclaveKey, b));
        EnclaveRegistry.Approval memory ap = approval(0xE3, 1);
        bytes[] memory sigs = approvals(ap, two());
        vm.prank(operator);
        vm.expectRevert(EnclaveRegistry.BondTooSmall.selector);
        reg.registerEnclave(ap, sigs);
        (bytes32 id2, JobMarket.JobRequest memory r2) = submit(2, address(0));
        JobMarket.Settlement memory c = settlement(id2, r2, PUB);
        bytes memory sc = signResult(otherKey, c);
        vm.expectRevert(EnclaveRegistry.BondTooSmall.selector);
        market.settle(c, sc);
        vm.prank(operator);
        reg.addBond{value: 1 ether}();
        vm.prank(operator);
        reg.registerEnclave(ap, sigs);
        market.settle(c, sc);
        vm.assertEq(uint256(market.job(id2).state), uint256(JobMarket.State.Settled), "settles once re-bonded");
    }

    /// Issue 15, finding 7: one equivocation proof slashed again after the
    /// operator re-bonded. Now a signer's misbehaviour slashes once.
    function test_equivocationProofSlashesOnce() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory a = settlement(id, r, PUB);
        JobMarket.Settlement memory b = settlement(id, r, hex"0100");
        bytes memory sa = signResult(enclaveKey, a);
        bytes memory sb = signResult(enclaveKey, b);
        market.reportEquivocation(statement(a), sa, statement(b), sb);
        vm.prank(operator);
        reg.addBond{value: 5 ether}();
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.AlreadySlashed.selector, enclaveSigner));
        market.reportEquivocation(statement(a), sa, statement(b), sb);
        (uint128 bond,,) = reg.operators(operator);
        vm.assertEq(uint256(bond), 5 ether, "the new bond is untouched");
    }

    function test_equivocationNeedsTwoDifferentResultsBySameSigner() public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory a = settlement(id, r, PUB);
        JobMarket.Settlement memory b = settlement(id, r, hex"0100");
        bytes memory sa = signResult(enclaveKey, a);
        vm.expectRevert(JobMarket.NotEquivocation.selector);
        market.reportEquivocation(statement(a), sa, statement(a), sa);
        bytes memory sbBad = signResult(0xBAD, b);
        vm.expectRevert(JobMarket.NotEquivocation.selector);
        market.reportEquivocation(statement(a), sa, statement(b), sbBad);
        (bytes32 id2, JobMarket.JobRequest memory r2) = submit(2, address(0));
        JobMarket.Settlement memory c = settlement(id2, r2, hex"0100");
        bytes memory sc = signResult(enclaveKey, c);
        vm.expectRevert(JobMarket.NotEquivocation.selector);
        market.reportEquivocation(statement(a), sa, statement(c), sc);
        vm.expectRevert(EnclaveRegistry.NotMarket.selector);
        reg.slash(enclaveSigner, address(this));
    }

    // ---- fuzz ----

    /// Any public output, any number of private outputs: an honest signature settles.
    function testFuzz_settleAnyOutputs(bytes calldata pub, uint8 nPriv, bytes32 salt) public {
        RecordingConsumer c = new RecordingConsumer();
        (bytes32 id, JobMarket.JobRequest memory r) = submit(uint256(salt), address(c));
        JobMarket.Settlement memory s = settlement(id, r, pub);
        s.privateOutputs = new bytes[](nPriv % 9);
        for (uint256 i = 0; i < s.privateOutputs.length; i++) {
            s.privateOutputs[i] = abi.encode(salt, i);
        }
        market.settle(s, signResult(enclaveKey, s));
        vm.assertEq(keccak256(c.lastOutput()), keccak256(pub), "output delivered");
    }

    /// Flip any one bit of any signed field: the settlement is refused.
    function testFuzz_anyTamperRejected(uint256 field, uint256 bit) public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        bytes memory sig = signResult(enclaveKey, s);
        field = field % 6;
        bytes32 m = bytes32(uint256(1) << (bit % 256));
        if (field == 0) s.jobId ^= m;
        else if (field == 1) s.inputHash ^= m;
        else if (field == 2) s.workloadId ^= m;
        else if (field == 3) s.configHash ^= m;
        else if (field == 4) s.epoch ^= uint32(1 << (bit % 32));
        else s.privateOutputs[0] = abi.encodePacked(s.privateOutputs[0], m);
        vm.expectRevert();
        market.settle(s, sig);
    }

    /// Any signature bytes that are not the enclave's never settle.
    function testFuzz_randomSignatureRejected(bytes32 r_, bytes32 s_, uint8 v) public {
        (bytes32 id, JobMarket.JobRequest memory r) = submit(1, address(0));
        JobMarket.Settlement memory s = settlement(id, r, PUB);
        vm.expectRevert();
        market.settle(s, abi.encodePacked(r_, s_, v));
    }

    // ---- helpers ----

    function _countEvent(bytes32 topic0) internal returns (uint256 n) {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics.length > 0 && logs[i].topics[0] == topic0) n++;
        }
    }

    function _sawEvent(bytes32 topic0) internal returns (bool) {
        return _countEvent(topic0) > 0;
    }
}
