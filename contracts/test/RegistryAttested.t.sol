// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Fixture} from "./utils/Fixture.sol";
import {EnclaveRegistry} from "../src/EnclaveRegistry.sol";
import {IDcapVerifier} from "../src/interfaces/IDcapVerifier.sol";
import {DcapQuote} from "../src/lib/DcapQuote.sol";
import {Binding} from "../src/lib/Binding.sol";
import {TcbInfo} from "../src/lib/TcbInfo.sol";

/// Stands in for DcapVerifier, whose own checks DcapVerifier.t.sol runs on real
/// evidence: it answers checkEnclave with the record a test sets, or refuses.
contract StubDcap is IDcapVerifier {
    Platform internal p;
    bool internal refuse;
    bool public sim;

    error DebugEnclave();

    function set(Platform memory p_, bool refuse_) external {
        p = p_;
        refuse = refuse_;
    }

    function setSimulated(bool sim_) external {
        sim = sim_;
    }

    function checkEnclave(bytes calldata signedPart, bytes calldata, bytes calldata)
        external
        view
        returns (DcapQuote.Header memory h, uint8, uint40, bool)
    {
        if (refuse) revert DebugEnclave();
        return (DcapQuote.header(signedPart), p.status, p.validUntil, sim);
    }
}

/// EnclaveRegistry.registerAttested: an enclave registering with its own quote, no
/// committee — the binding over the caller, the TEE path, the status policy, the
/// measurement, the record's rules.
contract RegistryAttestedTest is Fixture {
    StubDcap dcap;
    bytes32 constant MRTD = keccak256("mrtd");
    bytes32 constant RTMR3 = keccak256("rtmr3");
    address signer2 = address(0x5167);

    function setUp() public override {
        super.setUp();
        dcap = new StubDcap();
        dcap.set(platform(TcbInfo.UP_TO_DATE), false);
        vm.startPrank(gov);
        reg.setOnChainAttestation(dcap, reg.TEE_TDX(), true, uint16(1 << TcbInfo.UP_TO_DATE), 1 << 3);
        reg.setMeasurement(AUCTION, measurement(), true);
        vm.stopPrank();
    }

    function platform(uint8 status) internal view returns (IDcapVerifier.Platform memory p) {
        p.validUntil = uint40(block.timestamp + 30 days);
        p.status = status;
        p.tdx = true;
    }

    function measurement() internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes.concat(MRTD, bytes16(0)), bytes.concat(RTMR3, bytes16(0))));
    }

    /// A TDX v4 header and TD 1.0 body with MRTD, RTMR3 and the report data given.
    function quote(bytes32 rd0, bytes32 rd1) internal pure returns (bytes memory q) {
        q = new bytes(48 + 584);
        q[0] = 0x04;
        q[2] = 0x02;
        q[4] = 0x81;
        bytes16 vendor = DcapQuote.INTEL_QE_VENDOR;
        for (uint256 i = 0; i < 16; i++) {
            q[12 + i] = vendor[i];
        }
        put(q, 48 + DcapQuote.TD_MRTD, MRTD);
        put(q, 48 + DcapQuote.TD_RTMR0 + 3 * 48, RTMR3);
        put(q, 48 + DcapQuote.TD_REPORT_DATA, rd0);
        put(q, 48 + DcapQuote.TD_REPORT_DATA + 32, rd1);
    }

    function put(bytes memory q, uint256 at, bytes32 v) internal pure {
        for (uint256 i = 0; i < 32; i++) {
            q[at + i] = v[i];
        }
    }

    function attested(address op, uint256 chainId, address registry)
        internal
        view
        returns (EnclaveRegistry.Attested memory a)
    {
        a.signer = signer2;
        a.hpkeKey = HPKE_KEY;
        a.epoch = 1;
        a.expiry = uint64(block.timestamp + LIFETIME);
        a.nonce = keccak256("nonce");
        bytes32 rd = Binding.reportData(op, a.signer, a.hpkeKey, a.epoch, uint64(chainId), registry, a.nonce);
        a.signedPart = quote(rd, bytes32(0));
        a.sig = new bytes(64);
        a.attKey = new bytes(64);
    }

    function test_registersWithoutACommittee() public {
        EnclaveRegistry.Attested memory a = attested(operator, block.chainid, address(reg));
        vm.prank(operator);
        reg.registerAttested(a);
        EnclaveRegistry.Enclave memory e = reg.enclave(signer2);
        vm.assertEq(e.operator, operator, "operator");
        vm.assertEq(uint256(e.teeType), reg.TEE_TDX(), "tee");
        vm.assertEq(e.measurement, measurement(), "measurement: keccak256(MRTD || RTMR3)");
        vm.assertEq(e.measurement, measurement(), "measurement");
        vm.assertEq(reg.checkSigner(signer2, AUCTION, 1), operator, "signs auction results");
    }

    /// A simulated root's quote registers as the simulated TEE, on that type's switch.
    function test_simulatedRootRegistersAsSim() public {
        dcap.setSimulated(true);
        EnclaveRegistry.Attested memory a = attested(operator, block.chainid, address(reg));
        refused(a, abi.encodeWithSelector(EnclaveRegistry.OnChainAttestationOff.selector, reg.TEE_SIM()));
        vm.startPrank(gov);
        reg.setOnChainAttestation(dcap, reg.TEE_SIM(), true, uint16(1 << TcbInfo.UP_TO_DATE), 1 << 3);
        reg.setTeeAllowed(reg.TEE_SIM(), true);
        vm.stopPrank();
        vm.prank(operator);
        reg.registerAttested(a);
        vm.assertEq(uint256(reg.enclave(signer2).teeType), reg.TEE_SIM(), "tee");
    }

    function refused(EnclaveRegistry.Attested memory a, bytes memory err) internal {
        vm.prank(operator);
        vm.expectRevert(err);
        reg.registerAttested(a);
    }

    function test_bindingNamesOperatorChainAndRegistry() public {
        bytes memory mismatch = abi.encodeWithSelector(EnclaveRegistry.BindingMismatch.selector);
        refused(attested(address(0xBAD), block.chainid, address(reg)), mismatch); // another operator's quote
        refused(attested(operator, block.chainid + 1, address(reg)), mismatch);
        refused(attested(operator, block.chainid, address(0xBEEF)), mismatch);
        EnclaveRegistry.Attested memory a = attested(operator, block.chainid, address(reg));
        a.hpkeKey = keccak256("another key");
        refused(a, mismatch);
        a = attested(operator, block.chainid, address(reg));
        bytes32 rd =
            Binding.reportData(operator, a.signer, a.hpkeKey, a.epoch, uint64(block.chainid), address(reg), a.nonce);
        a.signedPart = quote(rd, bytes32(uint256(1))); // the second half must be zero
        refused(a, mismatch);
    }

    /// rotateAttested: the next epoch registered with its own quote; the previous
    /// record signs for the rotation grace only.
    function test_rotatesWithItsOwnQuote() public {
        EnclaveRegistry.Attested memory a = attested(operator, block.chainid, address(reg));
        vm.prank(operator);
        reg.registerAttested(a);
        EnclaveRegistry.Attested memory b = attested(operator, block.chainid, address(reg));
        b.signer = address(0x5168);
        b.epoch = 2;
        b.signedPart = quote(
            Binding.reportData(operator, b.signer, b.hpkeKey, 2, uint64(block.chainid), address(reg), b.nonce),
            bytes32(0)
        );
        vm.prank(operator);
        vm.expectRevert(abi.encodeWithSelector(EnclaveRegistry.UnknownEnclave.selector, address(0x5169)));
        reg.rotateAttested(address(0x5169), b);
        EnclaveRegistry.Attested memory same = attested(operator, block.chainid, address(reg));
        same.signer = address(0x5168); // epoch 1 again: not later
        same.signedPart = quote(
            Binding.reportData(operator, same.signer, same.hpkeKey, 1, uint64(block.chainid), address(reg), same.nonce),
            bytes32(0)
        );
        vm.prank(operator);
        vm.expectRevert(EnclaveRegistry.RotationMismatch.selector);
        reg.rotateAttested(signer2, same);
        vm.prank(operator);
        reg.rotateAttested(signer2, b);
        vm.assertEq(uint256(reg.enclave(b.signer).status), uint256(EnclaveRegistry.Status.Active), "next epoch");
        vm.assertEq(uint256(reg.enclave(signer2).expiry), block.timestamp + reg.rotationGrace(), "previous: grace");
    }

    function test_policy() public {
        EnclaveRegistry.Attested memory a = attested(operator, block.chainid, address(reg));
        dcap.set(platform(TcbInfo.OUT_OF_DATE), false);
        refused(a, abi.encodeWithSelector(EnclaveRegistry.TcbStatusNotAllowed.selector, TcbInfo.OUT_OF_DATE));
        dcap.set(platform(TcbInfo.UP_TO_DATE), true);
        refused(a, abi.encodeWithSelector(StubDcap.DebugEnclave.selector)); // the verifier's refusal stands
        dcap.set(platform(TcbInfo.UP_TO_DATE), false);
        a.expiry = uint64(block.timestamp + 31 days); // past the platform record
        refused(a, abi.encodeWithSelector(EnclaveRegistry.BadExpiry.selector));
        a = attested(operator, block.chainid, address(reg));
        vm.prank(gov);
        reg.setMeasurement(AUCTION, measurement(), false);
        refused(a, abi.encodeWithSelector(EnclaveRegistry.MeasurementNotAllowed.selector, measurement()));
        vm.startPrank(gov);
        reg.setMeasurement(AUCTION, measurement(), true);
        reg.setOnChainAttestation(dcap, reg.TEE_TDX(), false, 1, 1 << 3);
        vm.stopPrank();
        refused(a, abi.encodeWithSelector(EnclaveRegistry.OnChainAttestationOff.selector, reg.TEE_TDX()));
        vm.prank(gov);
        reg.setOnChainAttestation(dcap, 2, true, 1, 1 << 3); // TEE_TDX
        vm.prank(operator);
        reg.registerAttested(a);
        refused(a, abi.encodeWithSelector(EnclaveRegistry.SignerAlreadyRegistered.selector, signer2));
    }

    function test_governance() public {
        vm.expectRevert(EnclaveRegistry.NotOwner.selector);
        reg.setOnChainAttestation(dcap, 2, true, 1, 8);
        StubDcap other = new StubDcap();
        vm.prank(gov);
        vm.expectRevert(EnclaveRegistry.VerifierAlreadySet.selector);
        reg.setOnChainAttestation(other, 2, true, 1, 8);
    }
}
