// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {PullPayments} from "./lib/PullPayments.sol";
import {Eip712} from "./lib/Eip712.sol";
import {Binding} from "./lib/Binding.sol";
import {DcapQuote} from "./lib/DcapQuote.sol";
import {IDcapVerifier} from "./interfaces/IDcapVerifier.sol";

/// @title EnclaveRegistry
/// @notice Which enclaves may sign results (docs/architecture.md §3, §5). A record (operator,
///         TEE type, measurement, signer, HPKE key, epoch, expiry) is accepted only
///         with at least `threshold` distinct EIP-712 `EnclaveApproval` signatures
///         from the verifier committee, each of whom checked the enclave's evidence
///         off chain. Measurements are allowed per workload by governance. An
///         operator stakes a bond; an enclave that signs two different results
///         for one job is revoked and its operator's bond slashed (JobMarket
///         proves the equivocation and calls `slash`).
contract EnclaveRegistry is Eip712, PullPayments {
    bytes32 public constant APPROVAL_TYPEHASH = keccak256(
        "EnclaveApproval(address operator,uint8 teeType,bytes32 measurement,address signer,bytes32 hpkeKey,uint32 epoch,uint64 expiry,bytes32 evidenceDigest)"
    );

    /// TEE types, as the enclave's backends number them.
    uint8 public constant TEE_SIM = 1;
    uint8 public constant TEE_TDX = 2;
    uint8 public constant TEE_SNP = 3;
    /// The workload a verifier enclave's measurement is allowed for: enclaves that
    /// run the C SEV-SNP verifier and co-sign SNP registrations (registerVerified).
    bytes32 public constant ATTEST_SNP = keccak256("cloister/workload/attest-snp");
    uint8 public constant TEE_SGX = 4;

    enum Status {
        None,
        Active,
        Revoked
    }

    enum RevokeReason {
        None,
        Governance,
        Operator,
        Equivocation
    }

    struct Approval {
        address operator;
        uint8 teeType;
        bytes32 measurement;
        address signer;
        bytes32 hpkeKey;
        uint32 epoch;
        uint64 expiry;
        bytes32 evidenceDigest;
    }

    /// First slot holds everything settlement reads.
    /// An enclave's record, as `enclave(signer)` returns it. The HPKE key and
    /// evidence digest are in the record's one EnclaveRegistered event (a signer
    /// registers once), where clients read them.
    struct Enclave {
        address operator;
        uint40 expiry;
        uint32 epoch;
        uint8 teeType;
        Status status;
        bytes32 measurement;
    }

    /// What is stored: one slot (issue 18: a registration's cost is mostly its new
    /// slots, a settlement's its cold ones). The measurement by its index.
    struct Record {
        address operator;
        uint32 expiry; // seconds, until 2106
        uint32 epoch;
        uint8 teeType;
        Status status;
        uint16 m; // measurementOf[m]
    }

    /// A measurement's index (from 1, given when it is first allowed, never reused)
    /// and how many workloads allow it now.
    struct MeasurementInfo {
        uint16 index;
        uint240 workloads;
    }

    struct Operator {
        uint128 bond;
        uint64 unbondAt; // 0: not unbonding
        bool registered;
    }

    uint16 public constant REPORTER_BPS = 5000; // share of a slashed bond paid to the reporter

    address public owner;
    address public pendingOwner;
    address public market;
    uint256 public threshold;
    uint256 public verifierCount;
    uint256 public immutable minBond;
    uint64 public immutable maxLifetime;
    uint64 public immutable rotationGrace;
    uint64 public immutable unbondDelay;

    mapping(address => bool) public isVerifier;
    /// Signers whose equivocation has slashed their operator (once each).
    mapping(address => bool) public slashed;
    mapping(uint8 => bool) public teeAllowed;
    mapping(bytes32 measurement => MeasurementInfo) internal measurements;
    /// index → measurement (index 0: none)
    bytes32[] internal measurementOf;
    /// by workload and measurement index
    mapping(bytes32 workloadId => mapping(uint16 => bool)) internal allowedByIndex;
    mapping(address => Operator) public operators;
    mapping(address signer => Record) internal records;

    /// The on-chain attestation path (issue 18), one slot: the verifier, set once.
    IDcapVerifier public dcapVerifier;
    /// TCB statuses (TcbInfo numbering) accepted on that path, one bit each; UpToDate only by default.
    uint16 public allowedTcbStatuses = 1;
    /// The RTMRs the registered measurement of a TDX quote covers besides MRTD (bit i: RTMR i).
    uint8 public tdxRtmrPins = 1 << 3;
    /// Bit t: TEE type t may use the path (a deployment chooses per TEE type).
    uint8 internal onChainTees;

    /// Several operators on one market (issue 21): for each workload, how many seconds
    /// the operator of rank k for a job waits per rank after the job's block before it
    /// runs the job, if it is still open. One value every node reads; 0: not set here.
    mapping(bytes32 workloadId => uint32) public staggerSeconds;
    uint32 public constant MAX_STAGGER_SECONDS = 3600;

    /// What an enclave registering with its own quote submits.
    struct Attested {
        address signer;
        bytes32 hpkeKey;
        uint32 epoch;
        uint64 expiry;
        bytes32 nonce;
        bytes signedPart; // the quote's header and body
        bytes sig; // the attestation key's signature over them
        bytes attKey; // a key DcapVerifier has a platform record for
    }

    event OwnershipTransferStarted(address indexed owner, address indexed pendingOwner);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event MarketSet(address indexed market);
    event VerifierSet(address indexed verifier, bool allowed);
    event ThresholdSet(uint256 threshold);
    event TeeAllowed(uint8 indexed teeType, bool allowed);
    event MeasurementSet(bytes32 indexed workloadId, bytes32 indexed measurement, bool allowed);
    event OperatorRegistered(address indexed operator, uint256 bond);
    event BondAdded(address indexed operator, uint256 amount, uint256 bond);
    event UnbondRequested(address indexed operator, uint64 unbondAt);
    event BondWithdrawn(address indexed operator, uint256 amount);
    event EnclaveRegistered(
        address indexed signer,
        address indexed operator,
        uint8 teeType,
        bytes32 indexed measurement,
        bytes32 hpkeKey,
        uint32 epoch,
        uint64 expiry,
        bytes32 evidenceDigest,
        address[] approvers
    );
    event OnChainAttestationSet(address verifier, uint8 teeType, bool allowed, uint16 tcbStatuses, uint8 rtmrPins);
    event EnclaveRotated(address indexed previous, address indexed next, uint32 epoch, uint64 previousExpiry);
    event EnclaveRevoked(address indexed signer, RevokeReason reason);
    event StaggerSet(bytes32 indexed workloadId, uint32 stagger);
    event OperatorSlashed(
        address indexed operator, address indexed signer, address indexed reporter, uint256 amount, uint256 reward
    );

    error NotOwner();
    error NotPendingOwner();
    error NotMarket();
    error MarketAlreadySet();
    error ZeroAddress();
    error BadThreshold();
    error BondTooSmall();
    error AlreadyOperator();
    error NotOperator();
    error OperatorUnbonding();
    error BondLocked();
    error NotYourEnclave();
    error TeeNotAllowed(uint8 teeType);
    error MeasurementNotAllowed(bytes32 measurement);
    error TooManyMeasurements();
    error BadExpiry();
    error SignerAlreadyRegistered(address signer);
    error TooFewApprovals(uint256 got, uint256 needed);
    error ApproversNotAscending();
    error NotAVerifier(address who);
    error UnknownEnclave(address signer);
    error AlreadySlashed(address signer);
    error EnclaveIsRevoked(address signer);
    error EnclaveExpired(address signer);
    error WrongEpoch(uint32 got, uint32 registered);
    error RotationMismatch();
    error OnChainAttestationOff(uint8 teeType);
    error TcbStatusNotAllowed(uint8 status);
    error BindingMismatch();
    error VerifierAlreadySet();
    error StaggerTooLong(uint32 stagger);

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    /// @param owner_ governance
    /// @param verifiers the initial committee
    /// @param threshold_ approvals needed, 1..verifiers.length
    /// @param minBond_ an operator's least bond, in wei
    /// @param maxLifetime_ longest record lifetime (forces re-attestation), seconds
    /// @param rotationGrace_ how long a rotated-out record keeps signing, seconds
    constructor(
        address owner_,
        address[] memory verifiers,
        uint256 threshold_,
        uint256 minBond_,
        uint64 maxLifetime_,
        uint64 rotationGrace_
    ) {
        if (owner_ == address(0)) revert ZeroAddress();
        owner = owner_;
        emit OwnershipTransferred(address(0), owner_);
        for (uint256 i = 0; i < verifiers.length; i++) {
            _setVerifier(verifiers[i], true);
        }
        _setThreshold(threshold_);
        minBond = minBond_;
        maxLifetime = maxLifetime_;
        rotationGrace = rotationGrace_;
        // The bond must outlive every record it stands behind.
        unbondDelay = maxLifetime_ + rotationGrace_;
    }

    // ---- governance ----

    function transferOwnership(address next) external onlyOwner {
        pendingOwner = next;
        emit OwnershipTransferStarted(owner, next);
    }

    function acceptOwnership() external {
        if (msg.sender != pendingOwner) revert NotPendingOwner();
        emit OwnershipTransferred(owner, msg.sender);
        owner = msg.sender;
        pendingOwner = address(0);
    }

    /// @notice The JobMarket allowed to slash; set once.
    function setMarket(address market_) external onlyOwner {
        if (market != address(0)) revert MarketAlreadySet();
        if (market_ == address(0)) revert ZeroAddress();
        market = market_;
        emit MarketSet(market_);
    }

    function setVerifier(address verifier, bool allowed) external onlyOwner {
        _setVerifier(verifier, allowed);
        if (threshold > verifierCount) revert BadThreshold();
    }

    function setThreshold(uint256 threshold_) external onlyOwner {
        _setThreshold(threshold_);
    }

    function setTeeAllowed(uint8 teeType, bool allowed) external onlyOwner {
        teeAllowed[teeType] = allowed;
        emit TeeAllowed(teeType, allowed);
    }

    /// @notice The operators' turn for jobs of `workloadId` (staggerSeconds); 0 unsets it.
    function setStagger(bytes32 workloadId, uint32 stagger) external onlyOwner {
        if (stagger > MAX_STAGGER_SECONDS) revert StaggerTooLong(stagger);
        staggerSeconds[workloadId] = stagger;
        emit StaggerSet(workloadId, stagger);
    }

    /// @notice Allow or disallow enclaves with `measurement` to sign results of `workloadId`.
    ///         Disallowing takes effect at once for every record with that measurement.
    function setMeasurement(bytes32 workloadId, bytes32 measurement, bool allowed) external onlyOwner {
        MeasurementInfo storage mi = measurements[measurement];
        if (mi.index == 0) {
            if (!allowed) return;
            if (measurementOf.length == 0) measurementOf.push(bytes32(0)); // index 0: none
            if (measurementOf.length > type(uint16).max) revert TooManyMeasurements();
            mi.index = uint16(measurementOf.length);
            measurementOf.push(measurement);
        }
        if (allowedByIndex[workloadId][mi.index] == allowed) return;
        allowedByIndex[workloadId][mi.index] = allowed;
        if (allowed) mi.workloads++;
        else mi.workloads--;
        emit MeasurementSet(workloadId, measurement, allowed);
    }

    /// @notice Whether enclaves with `measurement` may sign results of `workloadId`.
    function measurementAllowed(bytes32 workloadId, bytes32 measurement) external view returns (bool) {
        uint16 i = measurements[measurement].index;
        return i != 0 && allowedByIndex[workloadId][i];
    }

    /// @notice How many workloads allow `measurement`.
    function allowedWorkloads(bytes32 measurement) external view returns (uint256) {
        return measurements[measurement].workloads;
    }

    /// @notice The on-chain attestation path for a TEE type (TDX or SGX): the verifier
    ///         (set once, then kept), whether the type may use it, which TCB statuses
    ///         it accepts and which RTMRs a TDX measurement covers.
    function setOnChainAttestation(IDcapVerifier verifier, uint8 teeType, bool allowed, uint16 statuses, uint8 rtmrPins)
        external
        onlyOwner
    {
        if (address(verifier) == address(0)) revert ZeroAddress();
        if (teeType >= 8) revert TeeNotAllowed(teeType);
        if (address(dcapVerifier) == address(0)) dcapVerifier = verifier;
        else if (address(dcapVerifier) != address(verifier)) revert VerifierAlreadySet();
        if (allowed) onChainTees |= uint8(1 << teeType);
        else onChainTees &= ~uint8(1 << teeType);
        allowedTcbStatuses = statuses;
        tdxRtmrPins = rtmrPins;
        emit OnChainAttestationSet(address(verifier), teeType, allowed, statuses, rtmrPins);
    }

    /// @notice Whether TEE type `teeType` may register with its own quote.
    function onChainAttestation(uint8 teeType) external view returns (bool) {
        return teeType < 8 && onChainTees & (1 << teeType) != 0;
    }

    function _setVerifier(address v, bool allowed) private {
        if (v == address(0)) revert ZeroAddress();
        if (isVerifier[v] == allowed) return;
        isVerifier[v] = allowed;
        if (allowed) verifierCount++;
        else verifierCount--;
        emit VerifierSet(v, allowed);
    }

    function _setThreshold(uint256 t) private {
        if (t == 0 || t > verifierCount) revert BadThreshold();
        threshold = t;
        emit ThresholdSet(t);
    }

    // ---- operators ----

    function registerOperator() external payable {
        Operator storage op = operators[msg.sender];
        if (op.registered) revert AlreadyOperator();
        if (msg.value < minBond) revert BondTooSmall();
        op.registered = true;
        op.bond = uint128(msg.value);
        emit OperatorRegistered(msg.sender, msg.value);
    }

    function addBond() external payable {
        Operator storage op = operators[msg.sender];
        if (!op.registered) revert NotOperator();
        op.bond += uint128(msg.value);
        emit BondAdded(msg.sender, msg.value, op.bond);
    }

    /// @notice Start leaving: no new records from now; the bond stays slashable
    ///         for `unbondDelay`, longer than any record it backs can live.
    function requestUnbond() external {
        Operator storage op = operators[msg.sender];
        if (!op.registered) revert NotOperator();
        if (op.unbondAt != 0) revert OperatorUnbonding();
        op.unbondAt = uint64(block.timestamp) + unbondDelay;
        emit UnbondRequested(msg.sender, op.unbondAt);
    }

    function withdrawBond() external {
        Operator storage op = operators[msg.sender];
        if (!op.registered) revert NotOperator();
        if (op.unbondAt == 0 || block.timestamp < op.unbondAt) revert BondLocked();
        uint256 amount = op.bond;
        delete operators[msg.sender];
        emit BondWithdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    // ---- enclaves ----

    /// @notice The EIP-712 digest a verifier signs for this approval.
    function approvalDigest(Approval calldata a) public view returns (bytes32) {
        return _digest(
            keccak256(
                abi.encode(
                    APPROVAL_TYPEHASH,
                    a.operator,
                    a.teeType,
                    a.measurement,
                    a.signer,
                    a.hpkeKey,
                    a.epoch,
                    a.expiry,
                    a.evidenceDigest
                )
            )
        );
    }

    /// @notice Register an enclave record. Called by its operator, with the
    ///         approvals' signatures ordered by ascending verifier address.
    function registerEnclave(Approval calldata a, bytes[] calldata sigs) external {
        address[] memory approvers = _checkApproval(a, sigs);
        _store(a, approvers);
    }

    /// @notice Register an enclave with its own quote, no committee (issue 18): the quote
    ///         signed by an attestation key DcapVerifier holds a current platform record
    ///         for, of a TEE type this registry lets use the path, at an accepted TCB
    ///         status, whose report data is version 2 of the binding over the caller
    ///         (the operator), the keys, this chain and this registry, and whose
    ///         measurement is allowed for some workload.
    function registerAttested(Attested calldata a) external {
        _storeAttested(_attested(a));
    }

    /// @notice Register an enclave with its own quote (as registerAttested) as the
    ///         next epoch of `previous` (as rotateEnclave).
    function rotateAttested(address previous, Attested calldata a) external {
        Approval memory ap = _attested(a);
        _rotate(previous, ap);
        _storeAttested(ap);
        _rotated(previous, ap);
    }

    /// The record an enclave's own quote supports, checked against the policy.
    function _attested(Attested calldata a) private view returns (Approval memory ap) {
        (DcapQuote.Header memory h, uint8 status, uint40 validUntil, bool sim) =
            dcapVerifier.checkEnclave(a.signedPart, a.sig, a.attKey);
        uint8 tee = sim ? TEE_SIM : h.teeType == DcapQuote.TEE_TDX ? TEE_TDX : TEE_SGX;
        if (onChainTees & (1 << tee) == 0) revert OnChainAttestationOff(tee);
        if (allowedTcbStatuses & (1 << status) == 0) revert TcbStatusNotAllowed(status);
        if (a.expiry > validUntil) revert BadExpiry();
        bytes32 rd =
            Binding.reportData(msg.sender, a.signer, a.hpkeKey, a.epoch, uint64(block.chainid), address(this), a.nonce);
        if (!Binding.matches(DcapQuote.reportData(a.signedPart, h), rd)) revert BindingMismatch();
        ap = Approval({
            operator: msg.sender,
            teeType: tee,
            measurement: DcapQuote.measurement(a.signedPart, h, tdxRtmrPins),
            signer: a.signer,
            hpkeKey: a.hpkeKey,
            epoch: a.epoch,
            expiry: a.expiry,
            evidenceDigest: keccak256(a.signedPart)
        });
    }

    function _storeAttested(Approval memory ap) private {
        _checkRecord(ap);
        address[] memory by = new address[](1);
        by[0] = address(dcapVerifier);
        _store(ap, by);
    }

    /// @notice Register an SEV-SNP enclave on a verifier enclave's word (issue 18):
    ///         SNP's P-384 has no precompile, so a TDX/SGX enclave that runs the C
    ///         SNP verifier checks the evidence and signs the committee's own
    ///         EnclaveApproval with its signer key; one signature instead of the
    ///         threshold's. `verifierEnclave` must hold an active, unexpired record
    ///         of a bonded operator, whose measurement governance allows for
    ///         ATTEST_SNP (any epoch of it: a record's epoch is its own).
    ///         The record's own rules apply as for registerEnclave.
    function registerVerified(Approval calldata a, address verifierEnclave, bytes calldata sig) external {
        _storeVerified(a, verifierEnclave, sig);
    }

    /// @notice registerVerified as the next epoch of `previous` (same operator,
    ///         TEE and measurement, a later epoch); `previous` keeps signing for at
    ///         most `rotationGrace` more seconds.
    function rotateVerified(address previous, Approval calldata a, address verifierEnclave, bytes calldata sig)
        external
    {
        _rotate(previous, a);
        _storeVerified(a, verifierEnclave, sig);
        _rotated(previous, a);
    }

    function _storeVerified(Approval calldata a, address verifierEnclave, bytes calldata sig) private {
        if (a.teeType != TEE_SNP) revert TeeNotAllowed(a.teeType);
        Record storage v = records[verifierEnclave];
        _checkActive(v, verifierEnclave, v.epoch); // no epoch to compare: its own
        if (!allowedByIndex[ATTEST_SNP][v.m]) revert NotAVerifier(verifierEnclave);
        if (_recover(approvalDigest(a), sig) != verifierEnclave) revert NotAVerifier(verifierEnclave);
        _checkRecord(a);
        address[] memory by = new address[](1);
        by[0] = verifierEnclave;
        _store(a, by);
    }

    /// @notice Register `a` as the next epoch of `previous` (same operator, TEE
    ///         and measurement, a later epoch); `previous` keeps signing for at
    ///         most `rotationGrace` more seconds.
    function rotateEnclave(address previous, Approval calldata a, bytes[] calldata sigs) external {
        _rotate(previous, a);
        address[] memory approvers = _checkApproval(a, sigs);
        _store(a, approvers);
        _rotated(previous, a);
    }

    /// `a` may follow `previous`: same operator, TEE and measurement, a later epoch.
    function _rotate(address previous, Approval memory a) private view {
        Record storage p = records[previous];
        if (p.status != Status.Active) revert UnknownEnclave(previous);
        if (
            p.operator != a.operator || p.teeType != a.teeType || p.m != measurements[a.measurement].index
                || a.epoch <= p.epoch
        ) {
            revert RotationMismatch();
        }
    }

    /// `previous` signs for at most `rotationGrace` more seconds.
    function _rotated(address previous, Approval memory a) private {
        Record storage p = records[previous];
        uint32 until = uint32(block.timestamp + rotationGrace);
        if (until < p.expiry) p.expiry = until;
        emit EnclaveRotated(previous, a.signer, a.epoch, p.expiry);
    }

    /// @notice Revoke a record: governance, or the record's own operator.
    function revoke(address signer) external {
        Record storage e = records[signer];
        if (e.status == Status.None) revert UnknownEnclave(signer);
        RevokeReason why;
        if (msg.sender == owner) why = RevokeReason.Governance;
        else if (msg.sender == e.operator) why = RevokeReason.Operator;
        else revert NotYourEnclave();
        if (e.status == Status.Revoked) return;
        e.status = Status.Revoked;
        emit EnclaveRevoked(signer, why);
    }

    /// @notice Called by the JobMarket once it has proven that `signer` signed two
    ///         different results for one job: the record is revoked and the whole
    ///         bond of its operator slashed, REPORTER_BPS of it to the reporter
    ///         and the rest to governance.
    function slash(address signer, address reporter) external {
        if (msg.sender != market) revert NotMarket();
        Record storage e = records[signer];
        if (e.status == Status.None) revert UnknownEnclave(signer);
        // One record's misbehaviour slashes once: a replayed proof must not take
        // bond the operator adds later.
        if (slashed[signer]) revert AlreadySlashed(signer);
        slashed[signer] = true;
        if (e.status != Status.Revoked) {
            e.status = Status.Revoked;
            emit EnclaveRevoked(signer, RevokeReason.Equivocation);
        }
        Operator storage op = operators[e.operator];
        uint256 amount = op.bond;
        op.bond = 0;
        uint256 reward = amount * REPORTER_BPS / 10000;
        credit[reporter] += reward;
        credit[owner] += amount - reward;
        emit OperatorSlashed(e.operator, signer, reporter, amount, reward);
    }

    // ---- views ----

    function enclave(address signer) external view returns (Enclave memory) {
        Record storage r = records[signer];
        return Enclave(r.operator, r.expiry, r.epoch, r.teeType, r.status, r.m == 0 ? bytes32(0) : measurementOf[r.m]);
    }

    /// @notice The operator behind `signer` if it may sign results of `workloadId`
    ///         in `epoch` now; reverts naming the reason otherwise.
    function checkSigner(address signer, bytes32 workloadId, uint32 epoch) external view returns (address) {
        Record storage e = records[signer];
        _checkActive(e, signer, epoch);
        if (!allowedByIndex[workloadId][e.m]) revert MeasurementNotAllowed(measurementOf[e.m]);
        return e.operator;
    }

    /// @notice Like checkSigner, without a workload (batch roots name none).
    function checkActive(address signer, uint32 epoch) external view returns (address) {
        Record storage e = records[signer];
        _checkActive(e, signer, epoch);
        return e.operator;
    }

    function isRevoked(address signer) external view returns (bool) {
        return records[signer].status == Status.Revoked;
    }

    // ---- internals ----

    function _checkActive(Record storage e, address signer, uint32 epoch) private view {
        if (e.status != Status.Active) {
            if (e.status == Status.None) revert UnknownEnclave(signer);
            revert EnclaveIsRevoked(signer);
        }
        // An operator whose bond was slashed signs nothing until it re-bonds.
        if (operators[e.operator].bond < minBond) revert BondTooSmall();
        if (block.timestamp >= e.expiry) revert EnclaveExpired(signer);
        if (e.epoch != epoch) revert WrongEpoch(epoch, e.epoch);
    }

    function _checkApproval(Approval calldata a, bytes[] calldata sigs) private view returns (address[] memory) {
        _checkRecord(a);
        if (sigs.length < threshold) revert TooFewApprovals(sigs.length, threshold);
        bytes32 digest = approvalDigest(a);
        address[] memory approvers = new address[](sigs.length);
        address last;
        for (uint256 i = 0; i < sigs.length; i++) {
            address v = _recover(digest, sigs[i]);
            if (v <= last) revert ApproversNotAscending(); // distinct, cheaply
            if (!isVerifier[v]) revert NotAVerifier(v);
            approvers[i] = v;
            last = v;
        }
        return approvers;
    }

    /// The record's own rules, whichever path approved it: the caller's own, a bonded
    /// operator's, an allowed TEE and measurement, a bounded expiry, a new signer.
    function _checkRecord(Approval memory a) private view {
        if (msg.sender != a.operator) revert NotYourEnclave();
        Operator storage op = operators[a.operator];
        if (!op.registered) revert NotOperator();
        if (op.unbondAt != 0) revert OperatorUnbonding();
        if (op.bond < minBond) revert BondTooSmall(); // slashed: re-bond first (addBond)
        if (!teeAllowed[a.teeType]) revert TeeNotAllowed(a.teeType);
        if (measurements[a.measurement].workloads == 0) revert MeasurementNotAllowed(a.measurement);
        if (a.expiry <= block.timestamp || a.expiry > block.timestamp + maxLifetime || a.expiry > type(uint32).max) {
            revert BadExpiry();
        }
        if (a.signer == address(0)) revert ZeroAddress();
        if (records[a.signer].status != Status.None) revert SignerAlreadyRegistered(a.signer);
    }

    function _store(Approval memory a, address[] memory approvers) private {
        records[a.signer] = Record({
            operator: a.operator,
            expiry: uint32(a.expiry),
            epoch: a.epoch,
            teeType: a.teeType,
            status: Status.Active,
            m: measurements[a.measurement].index
        });
        emit EnclaveRegistered(
            a.signer, a.operator, a.teeType, a.measurement, a.hpkeKey, a.epoch, a.expiry, a.evidenceDigest, approvers
        );
    }
}
