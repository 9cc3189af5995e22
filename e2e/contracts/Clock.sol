// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// Does its work only when time has moved on since the last call, as a Uniswap V2 pair
/// updates its price accumulators once per second: a gas estimate made in a block whose
/// `block.timestamp` equals `last` skips that work, and the transaction then runs out of gas
/// in a later second. Also reports the block it runs in, for calls at `pending`.
contract Clock {
    uint256 public last;
    uint256 public ticks;
    mapping(uint256 => uint256) public marks;

    function tick() external {
        if (block.timestamp > last) {
            last = block.timestamp;
            ticks += 1;
            // Fresh slots: about 22,000 gas each, the work an estimate must not leave out.
            for (uint256 i = 0; i < 4; i++) {
                marks[block.timestamp * 4 + i] = block.number;
            }
        }
    }

    function blockNumber() external view returns (uint256) {
        return block.number;
    }

    function blockTimestamp() external view returns (uint256) {
        return block.timestamp;
    }
}
