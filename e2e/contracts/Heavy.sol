// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// The load of `cairn bench --mix contract`: each call does the work of a contract-heavy
/// transaction (an exchange order or a game move) rather than a payment. It hashes in a loop,
/// writes four fresh storage slots, updates a shared counter and emits an event, about 130,000
/// gas where a transfer uses 21,000.
contract Heavy {
    mapping(uint256 => uint256) public slots;
    uint256 public calls;

    event Worked(address indexed caller, uint256 digest);

    function work(uint256 salt) external returns (uint256 digest) {
        digest = uint256(keccak256(abi.encode(msg.sender, salt)));
        for (uint256 i = 0; i < 64; i++) {
            digest = uint256(keccak256(abi.encode(digest, i)));
        }
        for (uint256 i = 0; i < 4; i++) {
            slots[digest + i] = digest;
        }
        calls += 1;
        emit Worked(msg.sender, digest);
    }
}
