// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Consensus-key parsing for system contracts that name validators by their key.
/// @notice A Cairn validator is named by the Ethereum address of its secp256k1 consensus key;
/// consensus needs the 33-byte compressed key itself. This library checks a key is a point of
/// the curve (so no set ever carries a key nobody can sign with) and derives its address.
library Secp256k1 {
    /// The secp256k1 field prime.
    uint256 internal constant P = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;

    /// Parses a 33-byte compressed or 64-byte x‖y key. `ok` is false when the key has another
    /// length, a bad prefix, or is not on the curve; callers revert with their own errors.
    function parse(bytes memory key) internal view returns (bool ok, uint8 prefix, bytes32 x, address addr) {
        uint256 xs;
        uint256 y;
        if (key.length == 33) {
            prefix = uint8(key[0]);
            if (prefix != 2 && prefix != 3) return (false, 0, 0, address(0));
            assembly ("memory-safe") {
                xs := mload(add(key, 33))
            }
            if (xs >= P) return (false, 0, 0, address(0));
            uint256 y2 = addmod(mulmod(mulmod(xs, xs, P), xs, P), 7, P);
            bool found;
            (found, y) = _sqrt(y2);
            if (!found) return (false, 0, 0, address(0));
            if (y & 1 != prefix & 1) y = P - y;
        } else if (key.length == 64) {
            assembly ("memory-safe") {
                xs := mload(add(key, 32))
                y := mload(add(key, 64))
            }
            if (xs >= P || y >= P) return (false, 0, 0, address(0));
            if (mulmod(y, y, P) != addmod(mulmod(mulmod(xs, xs, P), xs, P), 7, P)) return (false, 0, 0, address(0));
            prefix = uint8(2 + (y & 1));
        } else {
            return (false, 0, 0, address(0));
        }
        ok = true;
        x = bytes32(xs);
        addr = address(uint160(uint256(keccak256(abi.encodePacked(xs, y)))));
    }

    /// The compressed key: what consensus and the node's validator-set records carry.
    function compressed(uint8 prefix, bytes32 x) internal pure returns (bytes memory) {
        return abi.encodePacked(prefix, x);
    }

    /// A square root mod P through the MODEXP precompile (0x05), if one exists.
    function _sqrt(uint256 a) private view returns (bool found, uint256 root) {
        (bool ok, bytes memory out) =
            address(5).staticcall(abi.encodePacked(uint256(32), uint256(32), uint256(32), a, (P + 1) / 4, P));
        if (!ok || out.length != 32) return (false, 0);
        root = abi.decode(out, (uint256));
        found = mulmod(root, root, P) == a;
    }
}
