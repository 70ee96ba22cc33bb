// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {PullPayments} from "./lib/PullPayments.sol";
import {Eip712} from "./lib/Eip712.sol";
import {EnclaveRegistry} from "./EnclaveRegistry.sol";
import {IResultConsumer} from "./interfaces/IResultConsumer.sol";

/// @title JobMarket
/// @notice Jobs for Cloister enclaves and their exactly-once settlement (docs/architecture.md §5).
///
///   jobId = keccak256(abi.encode(chainId, this, requester, clientNonce)): the
///   client knows it before submitting and seals its inputs to it.
///
///   A result is EIP-712 typed data signed by an enclave's epoch signer, under
///   this contract's domain ("Cloister", "1", chainId, this):
///     Result(bytes32 jobId,bytes32 inputHash,bytes32 publicOutputHash,
///            bytes32 privateOutputHash,bytes32 workloadId,bytes32 configHash,uint32 epoch)
///   publicOutputHash = keccak256(public output); privateOutputHash =
///   keccak256(keccak256(p_1) || ... || keccak256(p_n)); inputHash likewise over
///   the input envelopes. It settles only if the signer is an active registry
///   record allowed for the workload, in that epoch, and the job is open.
///
///   A batch is one signed `ResultBatch(bytes32 root,uint32 count,uint32 epoch)`
///   over a Merkle tree whose leaves are the Results' EIP-712 struct hashes;
///   inner nodes are keccak256 of the sorted pair. Posting the root alone costs
///   one storage write; each job then settles with its proof, in the same
///   transaction (`settleBatch`) or later (`settleFromRoot`).
contract JobMarket is Eip712, PullPayments {
    bytes32 public constant RESULT_TYPEHASH = keccak256(
        "Result(bytes32 jobId,bytes32 inputHash,bytes32 publicOutputHash,bytes32 privateOutputHash,bytes32 workloadId,bytes32 configHash,uint32 epoch)"
    );
    bytes32 public constant BATCH_TYPEHASH = keccak256("ResultBatch(bytes32 root,uint32 count,uint32 epoch)");

    enum State {
        None,
        Open,
        Settled,
        Refunded,
        Paid
    }

    /// Two slots: the first is written at submission, the second at every
    /// state change; `spec` commits to what the result must match.
    struct Job {
        address requester;
        uint96 fee;
        State state;
        uint40 deadline;
        uint40 settledAt;
        address signer;
        bytes32 spec; // keccak256(abi.encode(workloadId, configHash, inputHash, consumer))
    }

    struct JobRequest {
        bytes32 workloadId;
        bytes32 configHash;
        bytes32 inputHash;
        address consumer; // 0: none
        uint40 deadline;
        uint256 clientNonce;
        address[] recipients; // who may open private outputs (informational)
        bytes[] inputs; // request envelopes, or empty with inputRef
        string inputRef; // off-chain reference when inputs are not on chain
    }

    /// What a settlement carries; the contract hashes the outputs itself.
    struct Settlement {
        bytes32 jobId;
        bytes32 inputHash;
        bytes32 workloadId;
        bytes32 configHash;
        uint32 epoch;
        address consumer;
        bytes publicOutput;
        bytes[] privateOutputs;
    }

    /// A result statement as signed, for equivocation reports.
    struct Statement {
        bytes32 jobId;
        bytes32 inputHash;
        bytes32 publicOutputHash;
        bytes32 privateOutputHash;
        bytes32 workloadId;
        bytes32 configHash;
        uint32 epoch;
    }

    EnclaveRegistry public immutable registry;
    uint64 public immutable challengeWindow;
    uint64 public immutable maxDeadline;
    uint32 public constant CALLBACK_GAS = 200_000;

    mapping(bytes32 => Job) internal jobs;

    event JobSubmitted(
        bytes32 indexed jobId,
        address indexed requester,
        bytes32 indexed workloadId,
        bytes32 configHash,
        bytes32 inputHash,
        address consumer,
        uint256 fee,
        uint40 deadline,
        address[] recipients,
        bytes[] inputs,
        string inputRef
    );
    event JobSettled(
        bytes32 indexed jobId,
        address indexed signer,
        bytes32 publicOutputHash,
        bytes32 privateOutputHash,
        bytes publicOutput,
        bytes[] privateOutputs
    );
    event BatchRootPosted(bytes32 indexed root, address indexed signer, uint32 count, uint32 epoch);
    event CallbackFailed(bytes32 indexed jobId, address indexed consumer);
    event JobRefunded(bytes32 indexed jobId, address indexed requester, uint256 fee);
    event FeeReleased(bytes32 indexed jobId, address indexed to, uint256 fee);
    event EquivocationReported(bytes32 indexed jobId, address indexed signer, address indexed reporter);

    error JobExists(bytes32 jobId);
    error UnknownJob(bytes32 jobId);
    error NotOpen(bytes32 jobId, State state);
    error DeadlinePassed(bytes32 jobId);
    error DeadlineNotPassed(bytes32 jobId);
    error BadDeadline();
    error FeeTooLarge();
    error InputHashMismatch();
    error SpecMismatch(bytes32 jobId);
    error NotSettled(bytes32 jobId);
    error ChallengeWindowOpen(bytes32 jobId);
    error BadProof(bytes32 jobId);
    error LengthMismatch();
    error NotEquivocation();
    error InsufficientGasForCallback();
    error ClaimedByAnother(address operator, uint40 until);
    error NotAnOperator(address who);
    error BadLease(uint32 leaseSeconds);

    /// Claims (issue 21): an active operator announces it runs a job, so that the
    /// others, whose turns come later, leave it alone until the lease ends (a long
    /// ONNX job is then run once). A claim guards nothing: any registered enclave's
    /// settlement is still taken, once.
    struct Claim {
        address operator;
        uint40 until;
    }
    mapping(bytes32 jobId => Claim) public claims;
    uint32 public constant MAX_LEASE_SECONDS = 3600;

    event JobClaimed(bytes32 indexed jobId, address indexed operator, uint40 until);

    constructor(EnclaveRegistry registry_, uint64 challengeWindow_, uint64 maxDeadline_) {
        registry = registry_;
        challengeWindow = challengeWindow_;
        maxDeadline = maxDeadline_;
    }

    // ---- claims ----

    /// @notice Claim an open job for leaseSeconds (at most MAX_LEASE_SECONDS, and not past
    ///         its deadline): an operator registered, bonded at least minBond and not
    ///         unbonding; while another's claim lasts, refused. The holder may renew it.
    function claim(bytes32 jobId, uint32 leaseSeconds) external {
        Job storage j = jobs[jobId];
        if (j.state != State.Open) revert NotOpen(jobId, j.state);
        if (block.timestamp >= j.deadline) revert DeadlinePassed(jobId);
        if (leaseSeconds == 0 || leaseSeconds > MAX_LEASE_SECONDS) revert BadLease(leaseSeconds);
        (uint128 bond, uint64 unbondAt, bool registered) = registry.operators(msg.sender);
        if (!registered || unbondAt != 0 || bond < registry.minBond()) revert NotAnOperator(msg.sender);
        Claim storage c = claims[jobId];
        if (c.operator != msg.sender && c.until > block.timestamp) revert ClaimedByAnother(c.operator, c.until);
        uint40 until = uint40(block.timestamp + leaseSeconds);
        if (until > j.deadline) until = j.deadline;
        c.operator = msg.sender;
        c.until = until;
        emit JobClaimed(jobId, msg.sender, until);
    }

    // ---- submission ----

    function jobIdFor(address requester, uint256 clientNonce) public view returns (bytes32) {
        return keccak256(abi.encode(block.chainid, address(this), requester, clientNonce));
    }

    /// @notice Submit a job; msg.value is its fee, held until settlement (then
    ///         released to the operator after the challenge window) or refunded
    ///         after the deadline.
    function submitJob(JobRequest calldata r) external payable returns (bytes32 jobId) {
        jobId = jobIdFor(msg.sender, r.clientNonce);
        if (jobs[jobId].state != State.None) revert JobExists(jobId);
        if (r.deadline <= block.timestamp || r.deadline > block.timestamp + maxDeadline) revert BadDeadline();
        if (msg.value > type(uint96).max) revert FeeTooLarge();
        if (r.inputs.length != 0 && hashList(r.inputs) != r.inputHash) revert InputHashMismatch();
        jobs[jobId] = Job({
            requester: msg.sender,
            fee: uint96(msg.value),
            state: State.Open,
            deadline: r.deadline,
            settledAt: 0,
            signer: address(0),
            spec: keccak256(abi.encode(r.workloadId, r.configHash, r.inputHash, r.consumer))
        });
        emit JobSubmitted(
            jobId,
            msg.sender,
            r.workloadId,
            r.configHash,
            r.inputHash,
            r.consumer,
            msg.value,
            r.deadline,
            r.recipients,
            r.inputs,
            r.inputRef
        );
    }

    // ---- settlement ----

    /// @notice Settle one job with its enclave-signed result.
    function settle(Settlement calldata s, bytes calldata sig) external {
        (bytes32 structHash, bytes32 pubHash, bytes32 privHash) = _resultHash(s);
        address signer = _recover(_digest(structHash), sig);
        registry.checkSigner(signer, s.workloadId, s.epoch);
        _settle(s, signer, pubHash, privHash, true);
    }

    /// @notice Publish a batch root signed by an active enclave (root-only
    ///         settlement): checked, then emitted, not stored (issue 18: a root's
    ///         slot was most of its cost). Its jobs settle later with
    ///         settleFromRoot, each carrying the root's signature again.
    ///         The signature is EIP-2098 compact (r, yParity << 255 | s).
    function postRoot(bytes32 root, uint32 count, uint32 epoch, bytes32 r, bytes32 vs)
        external
        returns (address signer)
    {
        signer = _recoverCompact(batchDigest(root, count, epoch), r, vs);
        _postRoot(root, count, epoch, signer);
    }

    function _postRoot(bytes32 root, uint32 count, uint32 epoch, address signer) private {
        registry.checkActive(signer, epoch);
        emit BatchRootPosted(root, signer, count, epoch);
    }

    /// @notice Settle one job of a signed batch root, with its proof.
    function settleFromRoot(
        bytes32 root,
        uint32 count,
        uint32 epoch,
        bytes calldata sig,
        Settlement calldata s,
        bytes32[] calldata proof
    ) external {
        _settleProven(root, _recover(batchDigest(root, count, epoch), sig), epoch, s, proof, true);
    }

    /// @notice Post a root and settle the given jobs of it, each with its proof.
    ///         Jobs no longer open are skipped, so a retried batch is harmless.
    function settleBatch(
        bytes32 root,
        uint32 count,
        uint32 epoch,
        bytes calldata sig,
        Settlement[] calldata s,
        bytes32[][] calldata proofs
    ) external returns (uint256 settled) {
        if (s.length != proofs.length) revert LengthMismatch();
        address signer = _recover(batchDigest(root, count, epoch), sig);
        _postRoot(root, count, epoch, signer);
        for (uint256 i = 0; i < s.length; i++) {
            if (_settleProven(root, signer, epoch, s[i], proofs[i], false)) settled++;
        }
    }

    function _settleProven(
        bytes32 root,
        address signer,
        uint32 epoch,
        Settlement calldata s,
        bytes32[] calldata proof,
        bool strict
    ) private returns (bool) {
        (bytes32 leaf, bytes32 pubHash, bytes32 privHash) = _resultHash(s);
        if (s.epoch != epoch || !_verify(proof, root, leaf)) revert BadProof(s.jobId);
        registry.checkSigner(signer, s.workloadId, s.epoch);
        return _settle(s, signer, pubHash, privHash, strict);
    }

    function _settle(Settlement calldata s, address signer, bytes32 pubHash, bytes32 privHash, bool strict)
        private
        returns (bool)
    {
        Job storage j = jobs[s.jobId];
        State st = j.state;
        if (st != State.Open) {
            if (!strict && st != State.None) return false;
            if (st == State.None) revert UnknownJob(s.jobId);
            revert NotOpen(s.jobId, st);
        }
        if (block.timestamp > j.deadline) revert DeadlinePassed(s.jobId);
        if (j.spec != keccak256(abi.encode(s.workloadId, s.configHash, s.inputHash, s.consumer))) {
            revert SpecMismatch(s.jobId);
        }
        j.state = State.Settled;
        j.settledAt = uint40(block.timestamp);
        j.signer = signer;
        emit JobSettled(s.jobId, signer, pubHash, privHash, s.publicOutput, s.privateOutputs);
        if (s.consumer != address(0)) _callback(s, j.requester);
        return true;
    }

    /// The consumer gets CALLBACK_GAS; whatever it does, settlement stands.
    /// Its return data is never copied (no return-data bomb).
    function _callback(Settlement calldata s, address requester) private {
        // 63/64 rule: make sure the consumer really gets its budget, so a
        // settler cannot starve the callback on purpose.
        if (gasleft() < uint256(CALLBACK_GAS) * 64 / 63 + 5000) revert InsufficientGasForCallback();
        bytes memory data =
            abi.encodeCall(IResultConsumer.onResult, (s.jobId, requester, s.workloadId, s.configHash, s.publicOutput));
        address c = s.consumer;
        bool ok;
        assembly ("memory-safe") {
            ok := call(CALLBACK_GAS, c, 0, add(data, 0x20), mload(data), 0, 0)
        }
        if (!ok) emit CallbackFailed(s.jobId, c);
    }

    // ---- fees and refunds ----

    /// @notice After the deadline, an open job's fee goes back to its requester.
    function refund(bytes32 jobId) external {
        Job storage j = jobs[jobId];
        if (j.state != State.Open) revert NotOpen(jobId, j.state);
        if (block.timestamp <= j.deadline) revert DeadlineNotPassed(jobId);
        j.state = State.Refunded;
        credit[j.requester] += j.fee;
        emit JobRefunded(jobId, j.requester, j.fee);
    }

    /// @notice After the challenge window, a settled job's fee goes to the
    ///         enclave's operator, or back to the requester if the enclave has
    ///         been revoked since.
    function releaseFee(bytes32 jobId) external {
        Job storage j = jobs[jobId];
        if (j.state != State.Settled) revert NotSettled(jobId);
        if (block.timestamp < uint256(j.settledAt) + challengeWindow) revert ChallengeWindowOpen(jobId);
        address to;
        if (registry.isRevoked(j.signer)) {
            j.state = State.Refunded;
            to = j.requester;
        } else {
            j.state = State.Paid;
            to = registry.enclave(j.signer).operator;
        }
        credit[to] += j.fee;
        emit FeeReleased(jobId, to, j.fee);
    }

    // ---- equivocation ----

    /// @notice Anyone holding two different results for one job, both signed by
    ///         one enclave, gets the enclave revoked and its operator slashed.
    function reportEquivocation(Statement calldata a, bytes calldata sigA, Statement calldata b, bytes calldata sigB)
        external
    {
        bytes32 ha = statementHash(a);
        bytes32 hb = statementHash(b);
        if (a.jobId != b.jobId || ha == hb) revert NotEquivocation();
        address signer = _recover(_digest(ha), sigA);
        if (_recover(_digest(hb), sigB) != signer) revert NotEquivocation();
        emit EquivocationReported(a.jobId, signer, msg.sender);
        registry.slash(signer, msg.sender);
    }

    // ---- views and hashing ----

    function job(bytes32 jobId) external view returns (Job memory) {
        return jobs[jobId];
    }

    function statementHash(Statement calldata t) public pure returns (bytes32) {
        return keccak256(
            abi.encode(
                RESULT_TYPEHASH,
                t.jobId,
                t.inputHash,
                t.publicOutputHash,
                t.privateOutputHash,
                t.workloadId,
                t.configHash,
                t.epoch
            )
        );
    }

    /// @notice The EIP-712 digest an enclave signs for a statement.
    function resultDigest(Statement calldata t) external view returns (bytes32) {
        return _digest(statementHash(t));
    }

    function batchDigest(bytes32 root, uint32 count, uint32 epoch) public view returns (bytes32) {
        return _digest(keccak256(abi.encode(BATCH_TYPEHASH, root, count, epoch)));
    }

    /// @notice keccak256 over the keccak256 of each item.
    function hashList(bytes[] calldata items) public pure returns (bytes32) {
        bytes memory cat = new bytes(items.length * 32);
        for (uint256 i = 0; i < items.length; i++) {
            bytes32 h = keccak256(items[i]);
            assembly ("memory-safe") {
                mstore(add(add(cat, 0x20), mul(i, 0x20)), h)
            }
        }
        return keccak256(cat);
    }

    function _resultHash(Settlement calldata s) private pure returns (bytes32 h, bytes32 pubHash, bytes32 privHash) {
        pubHash = keccak256(s.publicOutput);
        privHash = hashList(s.privateOutputs);
        h = keccak256(
            abi.encode(RESULT_TYPEHASH, s.jobId, s.inputHash, pubHash, privHash, s.workloadId, s.configHash, s.epoch)
        );
    }

    function _verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) private pure returns (bool) {
        bytes32 h = leaf;
        for (uint256 i = 0; i < proof.length; i++) {
            bytes32 p = proof[i];
            h = h < p ? keccak256(abi.encode(h, p)) : keccak256(abi.encode(p, h));
        }
        return h == root;
    }
}
