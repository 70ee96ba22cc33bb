// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AggregatorV3Interface} from "./interfaces/AggregatorV3Interface.sol";
import {IResultConsumer} from "./interfaces/IResultConsumer.sol";
import {Outputs} from "./lib/Outputs.sol";

/// @title PriceFeed
/// @notice A Chainlink-compatible price feed whose rounds are enclave-signed
///         oracle results: a median or TWAP over hidden sources (workload
///         "oracle", docs/formats.md §5.3), or a median of HTTPS sources the
///         enclave fetched itself ("oracle-https", §5.6). Only jobs submitted by
///         an allowed updater with this feed's config (configHash) make rounds:
///         anyone can name a consumer, so the requester and the config are what
///         make a result this feed's.
contract PriceFeed is AggregatorV3Interface, IResultConsumer {
    bytes32 public constant ORACLE_WORKLOAD = keccak256("cloister/workload/oracle"); // docs/formats.md §3
    bytes32 public constant ORACLE_HTTPS_WORKLOAD = keccak256("cloister/workload/oracle-https");
    /// How far the sources' Date may run ahead of the chain's clock.
    uint64 public constant MAX_DATE_SKEW = 300;

    struct Round {
        int64 answer;
        uint64 startedAt; // the observations' as_of
        uint64 updatedAt; // when the result settled
    }

    address public immutable market;
    bytes32 public immutable configHash;
    uint8 public immutable override decimals;
    address public owner;
    string public override description;
    uint80 public latestRound;
    mapping(uint80 => Round) internal rounds;
    mapping(address => bool) public isUpdater;

    event UpdaterSet(address indexed updater, bool allowed);
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);
    event NewRound(uint256 indexed roundId, address indexed startedBy, uint256 startedAt);

    error NotOwner();
    error NotMarket();
    error NotOurJob();
    error Stale();
    error NoDataPresent();
    /// The fetched sources' certificates are not valid now, or their Date is in the future.
    error OutsideCertificateWindow();

    constructor(address market_, address owner_, bytes32 configHash_, uint8 decimals_, string memory description_) {
        market = market_;
        owner = owner_;
        configHash = configHash_;
        decimals = decimals_;
        description = description_;
    }

    function setUpdater(address updater, bool allowed) external {
        if (msg.sender != owner) revert NotOwner();
        isUpdater[updater] = allowed;
        emit UpdaterSet(updater, allowed);
    }

    function version() external pure override returns (uint256) {
        return 1;
    }

    /// @inheritdoc IResultConsumer
    function onResult(bytes32, address requester, bytes32 workloadId, bytes32 model, bytes calldata out) external {
        if (msg.sender != market) revert NotMarket();
        if (!isUpdater[requester] || model != configHash) revert NotOurJob();
        int64 value;
        uint64 asOf;
        if (workloadId == ORACLE_WORKLOAD) {
            Outputs.Oracle memory o = Outputs.oracle(out);
            (value, asOf) = (o.value, o.asOf);
        } else if (workloadId == ORACLE_HTTPS_WORKLOAD) {
            Outputs.OracleHttps memory h = Outputs.oracleHttps(out);
            if (
                block.timestamp < h.validFrom || block.timestamp > h.validUntil
                    || h.asOf > block.timestamp + MAX_DATE_SKEW
            ) {
                revert OutsideCertificateWindow();
            }
            (value, asOf) = (h.value, h.asOf);
        } else {
            revert NotOurJob();
        }
        if (latestRound != 0 && asOf <= rounds[latestRound].startedAt) revert Stale();
        uint80 id = ++latestRound;
        rounds[id] = Round(value, asOf, uint64(block.timestamp));
        emit NewRound(id, requester, asOf);
        emit AnswerUpdated(value, id, block.timestamp);
    }

    function getRoundData(uint80 roundId) public view override returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = rounds[roundId];
        if (r.updatedAt == 0) revert NoDataPresent();
        return (roundId, r.answer, r.startedAt, r.updatedAt, roundId);
    }

    function latestRoundData() external view override returns (uint80, int256, uint256, uint256, uint80) {
        return getRoundData(latestRound);
    }
}
