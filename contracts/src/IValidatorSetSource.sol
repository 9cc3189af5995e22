// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The epoch-end call a node makes on a contract that chooses validator sets.
/// @notice The node calls `endEpoch()` as a system call at the end of an epoch's last block and
/// makes the returned set sign from the next block on. Proof of stake implements it; a later
/// governance contract (consortium votes) implements the same call, so the node has one path
/// for "the set of a height comes from chain state at the end of the previous epoch".
interface IValidatorSetSource {
    /// @notice Closes the current epoch and returns the next epoch's set, sorted by address.
    /// @return validators consensus addresses (the address of each consensus key)
    /// @return publicKeys the 33-byte compressed secp256k1 consensus keys, in the same order
    /// @return powers voting power of each validator, in the same order
    function endEpoch()
        external
        returns (address[] memory validators, bytes[] memory publicKeys, uint64[] memory powers);
}
