// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./Vm.sol";
import {EnclaveRegistry} from "../../src/EnclaveRegistry.sol";
import {JobMarket} from "../../src/JobMarket.sol";

/// A registry with a 2-of-3 committee, a market, one bonded operator and one
/// approved enclave (epoch 1) allowed for the auction and oracle workloads.
/// The test plays the enclave: it holds the signer key and signs results.
abstract contract Fixture is TestBase {
    EnclaveRegistry internal reg;
    JobMarket internal market;

    address internal gov = address(0x60);
    uint256[3] internal verifierKeys = [uint256(0xA11CE), 0xB0B, 0xCA7];
    address[] internal verifiers;
    address internal operator = address(0x09E7A702);
    uint256 internal enclaveKey = 0xE1;
    address internal enclaveSigner;
    address internal requester = address(0x7E57);

    bytes32 internal constant MEASUREMENT = keccak256("cloister-enclave measurement");
    bytes32 internal constant HPKE_KEY = keccak256("hpke public key");
    bytes32 internal constant AUCTION = keccak256("cloister/workload/auction");
    bytes32 internal constant ORACLE = keccak256("cloister/workload/oracle");
    bytes32 internal constant ORACLE_HTTPS = keccak256("cloister/workload/oracle-https");
    uint256 internal constant BOND = 10 ether;
    uint64 internal constant LIFETIME = 7 days;
    uint64 internal constant GRACE = 1 hours;
    uint64 internal constant WINDOW = 1 days;
    uint256 internal constant T0 = 1_800_000_000;

    function setUp() public virtual {
        vm.warp(T0);
        for (uint256 i = 0; i < 3; i++) {
            verifiers.push(vm.addr(verifierKeys[i]));
        }
        reg = new EnclaveRegistry(gov, verifiers, 2, 1 ether, LIFETIME, GRACE);
        market = new JobMarket(reg, WINDOW, 30 days);
        vm.startPrank(gov);
        reg.setMarket(address(market));
        reg.setTeeAllowed(reg.TEE_TDX(), true);
        reg.setMeasurement(AUCTION, MEASUREMENT, true);
        reg.setMeasurement(ORACLE, MEASUREMENT, true);
        reg.setMeasurement(ORACLE_HTTPS, MEASUREMENT, true);
        vm.stopPrank();
        vm.deal(operator, 100 ether);
        vm.deal(requester, 100 ether);
        vm.prank(operator);
        reg.registerOperator{value: BOND}();
        enclaveSigner = vm.addr(enclaveKey);
        registerEnclave(enclaveKey, 1);
    }

    function approval(uint256 key, uint32 epoch) internal view returns (EnclaveRegistry.Approval memory a) {
        a = EnclaveRegistry.Approval({
            operator: operator,
            teeType: 2,
            measurement: MEASUREMENT,
            signer: vm.addr(key),
            hpkeKey: HPKE_KEY,
            epoch: epoch,
            expiry: uint64(block.timestamp + LIFETIME),
            evidenceDigest: keccak256(abi.encode("evidence", key, epoch))
        });
    }

    /// Signatures of the given verifiers (indexes), sorted by address.
    function approvals(EnclaveRegistry.Approval memory a, uint256[] memory who)
        internal
        view
        returns (bytes[] memory sigs)
    {
        bytes32 d = reg.approvalDigest(a);
        uint256[] memory keys = new uint256[](who.length);
        for (uint256 i = 0; i < who.length; i++) {
            keys[i] = verifierKeys[who[i]];
        }
        for (uint256 i = 0; i < keys.length; i++) {
            for (uint256 j = i + 1; j < keys.length; j++) {
                if (vm.addr(keys[j]) < vm.addr(keys[i])) (keys[i], keys[j]) = (keys[j], keys[i]);
            }
        }
        sigs = new bytes[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) {
            sigs[i] = sig65(keys[i], d);
        }
    }

    function two() internal pure returns (uint256[] memory w) {
        w = new uint256[](2);
        w[0] = 0;
        w[1] = 2;
    }

    function registerEnclave(uint256 key, uint32 epoch) internal {
        EnclaveRegistry.Approval memory a = approval(key, epoch);
        bytes[] memory sigs = approvals(a, two());
        vm.prank(operator);
        reg.registerEnclave(a, sigs);
    }

    // ---- jobs and results ----

    function request(bytes32 workload, bytes32 model, bytes[] memory inputs, address consumer, uint256 nonce)
        internal
        view
        returns (JobMarket.JobRequest memory r)
    {
        r.workloadId = workload;
        r.configHash = model;
        r.inputHash = market.hashList(inputs);
        r.consumer = consumer;
        r.deadline = uint40(block.timestamp + 1 days);
        r.clientNonce = nonce;
        r.recipients = new address[](0);
        r.inputs = inputs;
    }

    function oneInput() internal pure returns (bytes[] memory inputs) {
        inputs = new bytes[](1);
        inputs[0] = hex"0101000100010020aabbccdd";
    }

    function submit(uint256 nonce, address consumer) internal returns (bytes32 id, JobMarket.JobRequest memory r) {
        r = request(AUCTION, keccak256("config"), oneInput(), consumer, nonce);
        vm.prank(requester);
        id = market.submitJob{value: 1 ether}(r);
    }

    function settlement(bytes32 id, JobMarket.JobRequest memory r, bytes memory pub)
        internal
        pure
        returns (JobMarket.Settlement memory s)
    {
        s.jobId = id;
        s.inputHash = r.inputHash;
        s.workloadId = r.workloadId;
        s.configHash = r.configHash;
        s.epoch = 1;
        s.consumer = r.consumer;
        s.publicOutput = pub;
        s.privateOutputs = new bytes[](1);
        s.privateOutputs[0] = hex"02aabbcc";
    }

    function statement(JobMarket.Settlement memory s) internal pure returns (JobMarket.Statement memory t) {
        t.jobId = s.jobId;
        t.inputHash = s.inputHash;
        t.publicOutputHash = keccak256(s.publicOutput);
        bytes memory cat;
        for (uint256 i = 0; i < s.privateOutputs.length; i++) {
            cat = abi.encodePacked(cat, keccak256(s.privateOutputs[i]));
        }
        t.privateOutputHash = keccak256(cat);
        t.workloadId = s.workloadId;
        t.configHash = s.configHash;
        t.epoch = s.epoch;
    }

    function signResult(uint256 key, JobMarket.Settlement memory s) internal view returns (bytes memory) {
        return sig65(key, market.resultDigest(statement(s)));
    }

    function leaf(JobMarket.Settlement memory s) internal view returns (bytes32) {
        return market.statementHash(statement(s));
    }
}
