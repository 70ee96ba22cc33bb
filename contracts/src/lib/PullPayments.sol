// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title PullPayments
/// @notice Money owed is credited, and its owner withdraws it: a recipient that
///         rejects ether, or re-enters, cannot block the state change that owed it.
abstract contract PullPayments {
    /// What each address may withdraw.
    mapping(address => uint256) public credit;

    event Withdrawn(address indexed to, uint256 amount);

    error NothingToWithdraw();
    error TransferFailed();

    /// @notice Withdraw everything credited to the caller.
    function withdraw() external {
        uint256 amount = credit[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        credit[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        _send(msg.sender, amount);
    }

    function _send(address to, uint256 amount) internal {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
