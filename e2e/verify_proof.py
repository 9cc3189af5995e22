"""Verifies eth_getProof answers against the block's state root with py-trie, not the node's code.

Usage: python verify_proof.py HTTP_URL BLOCK TOKEN_ADDRESS HOLDER EXPECTED_BALANCE

At block BLOCK (a number; the block that last changed the token), fetches proofs for:
- the token contract, with the storage slot of balanceOf[HOLDER] (expected EXPECTED_BALANCE,
  the Token's balanceOf mapping is slot 0) and a slot nobody wrote (expected absent, value 0);
- dev account 0 (an externally owned account: empty storage root, empty code hash);
- an address that never existed (expected absent from the state trie).
For each, HexaryTrie.get_from_proof walks the returned nodes from the block's stateRoot (and
the account's storageRoot) and the proven RLP is compared with the proof's fields and with
eth_getBalance / eth_getTransactionCount / eth_getCode / eth_getStorageAt at that block.
Prints one line per check; exits 1 with "FAIL: ..." on the first failed check.
"""

import json
import sys
import urllib.request

import rlp
from eth_utils import keccak
from trie import HexaryTrie

from checks import CheckFailed, check, eq

DEV0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
NEVER_USED = "0x00000000000000000000000000000000c0ffee01"
EMPTY_TRIE_ROOT = bytes.fromhex("56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
EMPTY_CODE_HASH = keccak(b"")


class Rpc:
    def __init__(self, url):
        self.url = url
        self.next_id = 1

    def __call__(self, method, *params):
        body = json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": list(params)})
        self.next_id += 1
        request = urllib.request.Request(self.url, body.encode(), {"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=15) as response:
            answer = json.load(response)
        if "error" in answer:
            raise CheckFailed(f"{method}{list(params)} answered an error: {answer['error']}")
        return answer["result"]


def unhex(value):
    return bytes.fromhex(value.removeprefix("0x"))


def qty(value):
    return int(value, 16)


def proven(root, key, proof_hex, what):
    """The value stored under keccak(key) in the trie rooted at root, proven by proof_hex alone."""
    nodes = [rlp.decode(unhex(node)) for node in proof_hex]
    try:
        return HexaryTrie.get_from_proof(root, keccak(key), nodes)
    except Exception as e:  # noqa: BLE001 - any failure to walk the proof is a bad proof
        raise CheckFailed(f"{what}: the proof does not verify against root 0x{root.hex()}: {type(e).__name__}: {e}") from e


def slot_key(slot):
    return slot.to_bytes(32, "big")


def verify_account(rpc, state_root, block, address, what):
    """Verifies the account proof of `address`; returns the proof answer."""
    answer = rpc("eth_getProof", address, [], block)
    value = proven(state_root, unhex(address), answer["accountProof"], f"{what} account proof")
    balance = qty(rpc("eth_getBalance", address, block))
    nonce = qty(rpc("eth_getTransactionCount", address, block))
    code = unhex(rpc("eth_getCode", address, block))
    if value == b"":
        check(balance == 0 and nonce == 0 and code == b"", f"{what}: the proof shows the account absent, and it is empty")
    else:
        fields = rlp.decode(value)
        check(len(fields) == 4, f"{what}: the proven account RLP has 4 fields", repr(fields))
        proven_nonce, proven_balance, storage_root, code_hash = fields
        eq(int.from_bytes(proven_nonce, "big"), nonce, f"{what}: proven nonce equals eth_getTransactionCount")
        eq(int.from_bytes(proven_balance, "big"), balance, f"{what}: proven balance equals eth_getBalance")
        eq(code_hash, keccak(code), f"{what}: proven code hash is keccak(eth_getCode)")
        eq(unhex(answer["storageHash"]), storage_root, f"{what}: storageHash field is the proven storage root")
        eq(unhex(answer["codeHash"]), code_hash, f"{what}: codeHash field is the proven code hash")
    eq(qty(answer["balance"]), balance, f"{what}: balance field equals eth_getBalance")
    eq(qty(answer["nonce"]), nonce, f"{what}: nonce field equals eth_getTransactionCount")
    return answer


def main():
    if len(sys.argv) != 6:
        print("usage: verify_proof.py HTTP_URL BLOCK TOKEN_ADDRESS HOLDER EXPECTED_BALANCE", file=sys.stderr)
        sys.exit(2)
    url, block, token, holder, expected = sys.argv[1], hex(int(sys.argv[2])), sys.argv[3], sys.argv[4], int(sys.argv[5])
    rpc = Rpc(url)
    header = rpc("eth_getBlockByNumber", block, False)
    eq(header["number"], block, "eth_getBlockByNumber returns the requested block")
    state_root = unhex(header["stateRoot"])
    print(f"block {qty(block)}, state root {header['stateRoot']}", flush=True)

    # The token contract and two of its storage slots.
    held_slot = int.from_bytes(keccak(bytes(12) + unhex(holder) + slot_key(0)), "big")
    unused_slot = int.from_bytes(keccak(b"no such slot"), "big")
    answer = verify_account(rpc, state_root, block, token, "token contract")
    storage_root = unhex(answer["storageHash"])
    check(storage_root != EMPTY_TRIE_ROOT, "token contract has a non-empty storage root")
    answer = rpc("eth_getProof", token, [hex(held_slot), hex(unused_slot)], block)
    eq(unhex(answer["storageHash"]), storage_root, "storageHash is the same with slots requested")
    check(len(answer["storageProof"]) == 2, "two storage proofs returned", repr(answer["storageProof"]))
    held, unused = answer["storageProof"]
    eq(qty(held["key"]), held_slot, "first storage proof is for balanceOf[holder]'s slot")
    value = proven(storage_root, slot_key(held_slot), held["proof"], "balanceOf[holder] storage proof")
    check(value != b"", "balanceOf[holder] is present in the storage trie")
    eq(rlp.decode(value, sedes=rlp.sedes.big_endian_int), expected, "proven balanceOf[holder] is the expected balance")
    eq(qty(held["value"]), expected, "storage proof value field is the expected balance")
    eq(qty(rpc("eth_getStorageAt", token, hex(held_slot), block)), expected, "eth_getStorageAt agrees")
    eq(qty(unused["key"]), unused_slot, "second storage proof is for the unused slot")
    value = proven(storage_root, slot_key(unused_slot), unused["proof"], "unused slot storage proof")
    eq(value, b"", "the unused slot is proven absent")
    eq(qty(unused["value"]), 0, "the unused slot's value field is 0")

    # The verifier is not vacuous: the same proof does not verify against the parent's root
    # (BLOCK changed the token's storage, so the roots differ).
    parent_root = unhex(rpc("eth_getBlockByNumber", hex(qty(block) - 1), False)["stateRoot"])
    check(parent_root != state_root, "the parent block has a different state root")
    token_proof = rpc("eth_getProof", token, [], block)["accountProof"]
    try:
        proven(parent_root, unhex(token), token_proof, "token account proof against the parent's root")
    except CheckFailed:
        print("ok: the token's account proof does not verify against the parent's state root", flush=True)
    else:
        raise CheckFailed("the token's account proof verified against the parent's state root too")

    # An externally owned account and an address that never existed.
    answer = verify_account(rpc, state_root, block, DEV0, "dev account 0")
    eq(unhex(answer["storageHash"]), EMPTY_TRIE_ROOT, "dev account 0 has the empty storage root")
    eq(unhex(answer["codeHash"]), EMPTY_CODE_HASH, "dev account 0 has the empty code hash")
    verify_account(rpc, state_root, block, NEVER_USED, "never-used address")

    print("proof verification: all checks passed", flush=True)


if __name__ == "__main__":
    try:
        main()
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - any client error is a failed verification, reported plainly
        print(f"FAIL: unexpected error: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
