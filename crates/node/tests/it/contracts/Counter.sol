// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// Exercises storage writes and clears (refunds), events and reverts with a reason.
contract Counter {
    uint256 public count;

    event Incremented(address indexed by, uint256 newCount);

    constructor(uint256 start) {
        count = start;
    }

    function increment() external {
        count += 1;
        emit Incremented(msg.sender, count);
    }

    function set(uint256 value) external {
        count = value;
    }

    function fail() external pure {
        revert("counter: failure requested");
    }
}
