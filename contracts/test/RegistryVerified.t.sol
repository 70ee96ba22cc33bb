// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Fixture} from "./utils/Fixture.sol";
import {EnclaveRegistry} from "../src/EnclaveRegistry.sol";

/// EnclaveRegistry.registerVerified: an SEV-SNP enclave registered on one EIP-712
/// approval by a verifier enclave (a registered record allowed for ATTEST_SNP).
contract RegistryVerifiedTest is Fixture {
    uint256 constant VERIFIER_ENCLAVE = 0xE0C1A7E;
    uint256 constant SNP_ENCLAVE = 0x5E7;
    bytes32 constant VERIFIER_MEASUREMENT = keccak256("verifier enclave measurement");
    bytes32 constant SNP_MEASUREMENT = keccak256("snp measurement || host data");

    function setUp() public override {
        super.setUp();
        vm.startPrank(gov);
        reg.setTeeAllowed(reg.TEE_SNP(), true);
        reg.setMeasurement(reg.ATTEST_SNP(), VERIFIER_MEASUREMENT, true);
        reg.setMeasurement(AUCTION, SNP_MEASUREMENT, true);
        vm.stopPrank();
        // The verifier enclave itself: a TDX record (by the committee here).
        EnclaveRegistry.Approval memory v = approval(VERIFIER_ENCLAVE, 1);
        v.measurement = VERIFIER_MEASUREMENT;
        bytes[] memory sigs = approvals(v, two());
        vm.prank(operator);
        reg.registerEnclave(v, sigs);
    }

    function snp() internal view returns (EnclaveRegistry.Approval memory a) {
        a = approval(SNP_ENCLAVE, 1);
        a.teeType = 3;
        a.measurement = SNP_MEASUREMENT;
    }

    function test_registersOnOneVerifierEnclaveApproval() public {
        EnclaveRegistry.Approval memory a = snp();
        bytes memory sig = sig65(VERIFIER_ENCLAVE, reg.approvalDigest(a));
        vm.prank(operator);
        reg.registerVerified(a, vm.addr(VERIFIER_ENCLAVE), sig);
        EnclaveRegistry.Enclave memory e = reg.enclave(vm.addr(SNP_ENCLAVE));
        vm.assertEq(uint256(e.status), uint256(EnclaveRegistry.Status.Active), "active");
        vm.assertEq(uint256(e.teeType), 3, "SNP");
        vm.assertEq(reg.checkSigner(vm.addr(SNP_ENCLAVE), AUCTION, 1), operator, "signs auction results");
    }

    function refused(EnclaveRegistry.Approval memory a, address by, bytes memory sig, bytes memory err) internal {
        vm.prank(operator);
        vm.expectRevert(err);
        reg.registerVerified(a, by, sig);
    }

    function test_refusals() public {
        EnclaveRegistry.Approval memory a = snp();
        address ve = vm.addr(VERIFIER_ENCLAVE);
        bytes memory sig = sig65(VERIFIER_ENCLAVE, reg.approvalDigest(a));
        // Signed by anyone else, or for another record.
        refused(
            a,
            ve,
            sig65(0xBAD, reg.approvalDigest(a)),
            abi.encodeWithSelector(EnclaveRegistry.NotAVerifier.selector, ve)
        );
        EnclaveRegistry.Approval memory other = snp();
        other.hpkeKey = keccak256("another key");
        refused(other, ve, sig, abi.encodeWithSelector(EnclaveRegistry.NotAVerifier.selector, ve));
        // An enclave not allowed as a verifier (the auction enclave of the fixture).
        refused(
            a,
            enclaveSigner,
            sig65(enclaveKey, reg.approvalDigest(a)),
            abi.encodeWithSelector(EnclaveRegistry.NotAVerifier.selector, enclaveSigner)
        );
        // Only SNP records take this path.
        EnclaveRegistry.Approval memory tdx = snp();
        tdx.teeType = 2;
        refused(
            tdx,
            ve,
            sig65(VERIFIER_ENCLAVE, reg.approvalDigest(tdx)),
            abi.encodeWithSelector(EnclaveRegistry.TeeNotAllowed.selector, 2)
        );
        // A revoked verifier enclave vouches for nothing.
        vm.prank(gov);
        reg.revoke(ve);
        refused(a, ve, sig, abi.encodeWithSelector(EnclaveRegistry.EnclaveIsRevoked.selector, ve));
    }

    function test_recordRulesStillApply() public {
        EnclaveRegistry.Approval memory a = snp();
        a.measurement = keccak256("not allowed");
        address ve = vm.addr(VERIFIER_ENCLAVE);
        refused(
            a,
            ve,
            sig65(VERIFIER_ENCLAVE, reg.approvalDigest(a)),
            abi.encodeWithSelector(EnclaveRegistry.MeasurementNotAllowed.selector, a.measurement)
        );
        a = snp();
        bytes memory sig = sig65(VERIFIER_ENCLAVE, reg.approvalDigest(a));
        vm.expectRevert(EnclaveRegistry.NotYourEnclave.selector); // only its operator
        reg.registerVerified(a, ve, sig);
    }

    function test_rotatesFromThePreviousEpoch() public {
        EnclaveRegistry.Approval memory a = snp();
        address ve = vm.addr(VERIFIER_ENCLAVE);
        address first = vm.addr(SNP_ENCLAVE);
        bytes memory sig1 = sig65(VERIFIER_ENCLAVE, reg.approvalDigest(a));
        vm.prank(operator);
        reg.registerVerified(a, ve, sig1);
        EnclaveRegistry.Approval memory next = approval(0x5E8, 2);
        next.teeType = 3;
        next.measurement = SNP_MEASUREMENT;
        bytes memory sig = sig65(VERIFIER_ENCLAVE, reg.approvalDigest(next));
        EnclaveRegistry.Approval memory stale = approval(0x5E8, 1); // not a later epoch
        stale.teeType = 3;
        stale.measurement = SNP_MEASUREMENT;
        bytes memory staleSig = sig65(VERIFIER_ENCLAVE, reg.approvalDigest(stale));
        vm.prank(operator);
        vm.expectRevert(EnclaveRegistry.RotationMismatch.selector);
        reg.rotateVerified(first, stale, ve, staleSig);
        vm.prank(operator);
        reg.rotateVerified(first, next, ve, sig);
        vm.assertEq(reg.checkSigner(vm.addr(0x5E8), AUCTION, 2), operator, "the next epoch signs");
        vm.assertTrue(
            uint256(reg.enclave(first).expiry) <= block.timestamp + reg.rotationGrace(), "the first for the grace"
        );
    }
}
