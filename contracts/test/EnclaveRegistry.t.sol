// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Fixture} from "./utils/Fixture.sol";
import {Vm} from "./utils/Vm.sol";
import {EnclaveRegistry} from "../src/EnclaveRegistry.sol";
import {Eip712} from "../src/lib/Eip712.sol";

contract EnclaveRegistryTest is Fixture {
    function test_recordStored() public view {
        EnclaveRegistry.Enclave memory e = reg.enclave(enclaveSigner);
        vm.assertEq(e.operator, operator, "operator");
        vm.assertEq(uint256(e.status), uint256(EnclaveRegistry.Status.Active), "active");
        vm.assertEq(uint256(e.epoch), 1, "epoch");
        vm.assertEq(e.measurement, MEASUREMENT, "measurement");
        vm.assertEq(uint256(e.expiry), T0 + LIFETIME, "expiry");
        vm.assertEq(reg.checkSigner(enclaveSigner, AUCTION, 1), operator, "checkSigner");
    }

    /// The HPKE key and evidence digest are not stored: the record's one event carries them.
    function test_registrationEventCarriesTheKey() public {
        uint256 key = 0xA11CE;
        vm.recordLogs();
        registerEnclave(key, 1);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 topic =
            keccak256("EnclaveRegistered(address,address,uint8,bytes32,bytes32,uint32,uint64,bytes32,address[])");
        uint256 found;
        for (uint256 i = 0; i < logs.length; i++) {
            if (logs[i].topics[0] != topic) continue;
            (, bytes32 hpke,,,,) = abi.decode(logs[i].data, (uint8, bytes32, uint32, uint64, bytes32, address[]));
            vm.assertEq(hpke, HPKE_KEY, "hpke key");
            vm.assertEq(address(uint160(uint256(logs[i].topics[1]))), vm.addr(key), "signer");
            found++;
        }
        vm.assertEq(found, 1, "one event");
    }

    /// Records hold a measurement by index: disallowing one for a workload stops its
    /// records signing for that workload only, and allowing it again restores them.
    function test_measurementIndex() public {
        bytes32 other = keccak256("another measurement");
        vm.startPrank(gov);
        reg.setMeasurement(AUCTION, other, false); // never allowed: nothing to do
        vm.assertEq(reg.allowedWorkloads(other), 0, "none");
        reg.setMeasurement(AUCTION, other, true);
        reg.setMeasurement(AUCTION, MEASUREMENT, false);
        vm.stopPrank();
        vm.assertTrue(reg.measurementAllowed(AUCTION, other), "other allowed");
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.MeasurementNotAllowed.selector, MEASUREMENT));
        reg.checkSigner(enclaveSigner, AUCTION, 1);
        vm.assertEq(reg.checkSigner(enclaveSigner, ORACLE, 1), operator, "other workloads unaffected");
        vm.prank(gov);
        reg.setMeasurement(AUCTION, MEASUREMENT, true);
        vm.assertEq(reg.checkSigner(enclaveSigner, AUCTION, 1), operator, "allowed again");
        vm.assertEq(reg.enclave(enclaveSigner).measurement, MEASUREMENT, "the record's measurement");
    }

    function test_staggerIsGovernancesPerWorkload() public {
        vm.expectRevert(EnclaveRegistry.NotOwner.selector);
        reg.setStagger(AUCTION, 5);
        vm.expectEmit(true, false, false, true, address(reg));
        emit EnclaveRegistry.StaggerSet(AUCTION, 60);
        vm.prank(gov);
        reg.setStagger(AUCTION, 60);
        vm.assertEq(reg.staggerSeconds(AUCTION), 60, "set for the auction");
        vm.assertEq(reg.staggerSeconds(bytes32(uint256(1))), 0, "not for another workload");
        vm.prank(gov);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.StaggerTooLong.selector, uint32(3601)));
        reg.setStagger(AUCTION, 3601);
        vm.prank(gov);
        reg.setStagger(AUCTION, 0);
        vm.assertEq(reg.staggerSeconds(AUCTION), 0, "unset");
    }

    function test_ownershipIsTwoStep() public {
        vm.expectRevert(EnclaveRegistry.NotOwner.selector);
        reg.transferOwnership(address(this));
        vm.prank(gov);
        reg.transferOwnership(address(0x99));
        vm.assertEq(reg.owner(), gov, "not yet");
        vm.expectRevert(EnclaveRegistry.NotPendingOwner.selector);
        reg.acceptOwnership();
        vm.prank(address(0x99));
        reg.acceptOwnership();
        vm.assertEq(reg.owner(), address(0x99), "transferred");
    }

    function test_governanceOnly() public {
        vm.expectRevert(EnclaveRegistry.NotOwner.selector);
        reg.setVerifier(address(1), true);
        vm.expectRevert(EnclaveRegistry.NotOwner.selector);
        reg.setMeasurement(AUCTION, bytes32(0), true);
        vm.expectRevert(EnclaveRegistry.NotOwner.selector);
        reg.setTeeAllowed(1, true);
        vm.prank(gov);
        vm.expectRevert(EnclaveRegistry.MarketAlreadySet.selector);
        reg.setMarket(address(1));
    }

    function test_thresholdBounds() public {
        vm.startPrank(gov);
        vm.expectRevert(EnclaveRegistry.BadThreshold.selector);
        reg.setThreshold(0);
        vm.expectRevert(EnclaveRegistry.BadThreshold.selector);
        reg.setThreshold(4);
        reg.setThreshold(3);
        // Removing a verifier below the threshold is refused.
        vm.expectRevert(EnclaveRegistry.BadThreshold.selector);
        reg.setVerifier(verifiers[0], false);
        vm.stopPrank();
    }

    function test_tooFewApprovals() public {
        EnclaveRegistry.Approval memory a = approval(0xE2, 1);
        uint256[] memory one = new uint256[](1);
        bytes[] memory sigs = approvals(a, one);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.TooFewApprovals.selector, 1, 2));
        reg.registerEnclave(a, sigs);
    }

    function test_sameVerifierTwiceRejected() public {
        EnclaveRegistry.Approval memory a = approval(0xE2, 1);
        uint256[] memory one = new uint256[](1);
        bytes[] memory s1 = approvals(a, one);
        bytes[] memory sigs = new bytes[](2);
        sigs[0] = s1[0];
        sigs[1] = s1[0];
        vm.prank(operator);
        vm.expectRevert(EnclaveRegistry.ApproversNotAscending.selector);
        reg.registerEnclave(a, sigs);
    }

    function test_nonVerifierRejected() public {
        EnclaveRegistry.Approval memory a = approval(0xE2, 1);
        bytes32 d = reg.approvalDigest(a);
        bytes[] memory sigs = new bytes[](2);
        uint256 k1 = verifierKeys[0];
        uint256 k2 = 0x5117; // not on the committee
        if (vm.addr(k2) < vm.addr(k1)) (k1, k2) = (k2, k1);
        sigs[0] = sig65(k1, d);
        sigs[1] = sig65(k2, d);
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.NotAVerifier.selector, vm.addr(0x5117)));
        reg.registerEnclave(a, sigs);
    }

    function test_approvalForOtherFieldsRejected() public {
        EnclaveRegistry.Approval memory a = approval(0xE2, 1);
        bytes[] memory sigs = approvals(a, two());
        a.hpkeKey = keccak256("swapped key"); // the host swaps the key after approval
        vm.prank(operator);
        vm.expectRevert();
        reg.registerEnclave(a, sigs);
    }

    function test_highSApprovalRejected() public {
        EnclaveRegistry.Approval memory a = approval(0xE2, 1);
        bytes[] memory sigs = approvals(a, two());
        sigs[0] = highS(sigs[0]);
        vm.prank(operator);
        vm.expectRevert(Eip712.HighS.selector);
        reg.registerEnclave(a, sigs);
    }

    function test_wrongRegistryDomainRejected() public {
        EnclaveRegistry other = new EnclaveRegistry(gov, verifiers, 2, 1 ether, LIFETIME, GRACE);
        EnclaveRegistry.Approval memory a = approval(0xE2, 1);
        bytes32 d = other.approvalDigest(a);
        bytes[] memory sigs = new bytes[](2);
        uint256 k1 = verifierKeys[0];
        uint256 k2 = verifierKeys[2];
        if (vm.addr(k2) < vm.addr(k1)) (k1, k2) = (k2, k1);
        sigs[0] = sig65(k1, d);
        sigs[1] = sig65(k2, d);
        vm.prank(operator);
        vm.expectRevert();
        reg.registerEnclave(a, sigs);
    }

    function test_registrationRules() public {
        EnclaveRegistry.Approval memory a = approval(0xE2, 1);
        bytes[] memory sigs;
        // Only the operator itself.
        sigs = approvals(a, two());
        vm.expectRevert(EnclaveRegistry.NotYourEnclave.selector);
        reg.registerEnclave(a, sigs);
        // TEE type not allowed (sim is not, in this deployment).
        a.teeType = 1;
        sigs = approvals(a, two());
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.TeeNotAllowed.selector, uint8(1)));
        reg.registerEnclave(a, sigs);
        // Measurement allowed for no workload.
        a = approval(0xE2, 1);
        a.measurement = keccak256("other binary");
        sigs = approvals(a, two());
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.MeasurementNotAllowed.selector, a.measurement));
        reg.registerEnclave(a, sigs);
        // Expiry beyond the longest lifetime, or already past.
        a = approval(0xE2, 1);
        a.expiry = uint64(block.timestamp + LIFETIME + 1);
        sigs = approvals(a, two());
        vm.prank(operator);
        vm.expectRevert(EnclaveRegistry.BadExpiry.selector);
        reg.registerEnclave(a, sigs);
        a.expiry = uint64(block.timestamp);
        sigs = approvals(a, two());
        vm.prank(operator);
        vm.expectRevert(EnclaveRegistry.BadExpiry.selector);
        reg.registerEnclave(a, sigs);
        // A signer is registered once, even after revocation.
        a = approval(enclaveKey, 1);
        sigs = approvals(a, two());
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.SignerAlreadyRegistered.selector, enclaveSigner));
        reg.registerEnclave(a, sigs);
    }

    function test_unbondingOperatorCannotRegister() public {
        vm.prank(operator);
        reg.requestUnbond();
        EnclaveRegistry.Approval memory a = approval(0xE2, 1);
        bytes[] memory sigs = approvals(a, two());
        vm.prank(operator);
        vm.expectRevert(EnclaveRegistry.OperatorUnbonding.selector);
        reg.registerEnclave(a, sigs);
        // The bond stays locked longer than any record it backs.
        vm.warp(block.timestamp + LIFETIME);
        vm.prank(operator);
        vm.expectRevert(EnclaveRegistry.BondLocked.selector);
        reg.withdrawBond();
        vm.warp(block.timestamp + GRACE);
        uint256 before = operator.balance;
        vm.prank(operator);
        reg.withdrawBond();
        vm.assertEq(operator.balance - before, BOND, "bond returned");
    }

    function test_bondTooSmall() public {
        vm.deal(address(0xE0E0), 1 ether);
        vm.prank(address(0xE0E0));
        vm.expectRevert(EnclaveRegistry.BondTooSmall.selector);
        reg.registerOperator{value: 0.5 ether}();
    }

    function test_rotation() public {
        EnclaveRegistry.Approval memory a = approval(0xE2, 2);
        bytes[] memory sigs = approvals(a, two());
        vm.prank(operator);
        reg.rotateEnclave(enclaveSigner, a, sigs);
        vm.assertEq(reg.checkSigner(vm.addr(0xE2), AUCTION, 2), operator, "new epoch active");
        // The old key signs for the grace period only.
        vm.assertEq(reg.checkSigner(enclaveSigner, AUCTION, 1), operator, "old in grace");
        vm.warp(block.timestamp + GRACE);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.EnclaveExpired.selector, enclaveSigner));
        reg.checkSigner(enclaveSigner, AUCTION, 1);
    }

    function test_rotationMustAdvance() public {
        EnclaveRegistry.Approval memory a = approval(0xE2, 1); // same epoch
        bytes[] memory sigs = approvals(a, two());
        vm.prank(operator);
        vm.expectRevert(EnclaveRegistry.RotationMismatch.selector);
        reg.rotateEnclave(enclaveSigner, a, sigs);
    }

    function test_revokeByOperatorOrGovernanceOnly() public {
        vm.expectRevert(EnclaveRegistry.NotYourEnclave.selector);
        reg.revoke(enclaveSigner);
        vm.prank(operator);
        reg.revoke(enclaveSigner);
        vm.assertTrue(reg.isRevoked(enclaveSigner), "revoked");
    }

    /// Any 2 of the 3 verifiers suffice, in any combination.
    function testFuzz_anyTwoVerifiers(uint8 i, uint8 j, uint256 key) public {
        uint256 a_ = i % 3;
        uint256 b_ = j % 3;
        vm.assume(a_ != b_);
        key = bound(key, 1000, 2 ** 128);
        EnclaveRegistry.Approval memory a = approval(key, 1);
        uint256[] memory who = new uint256[](2);
        who[0] = a_;
        who[1] = b_;
        bytes[] memory sigs = approvals(a, who);
        vm.prank(operator);
        reg.registerEnclave(a, sigs);
        vm.assertEq(reg.checkSigner(vm.addr(key), ORACLE, 1), operator, "registered");
    }
}
