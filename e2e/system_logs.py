"""System logs as web3.py sees them: the steps of system_logs_flow.mjs, in Python.

On a proof-of-stake chain the staking contract's EpochStarted events come from the
protocol's end-of-epoch call, not from a transaction. `eth.get_logs` and the contract event's
`get_logs` return them, each names the epoch that starts right after its block, and its
transactionHash is keccak256("cairn/system-logs" ‖ block hash), which no transaction has:
web3.py's receipt and transaction lookups of it raise TransactionNotFound (the node answers
null).

Usage: python system_logs.py RPC_URL EPOCH_LENGTH
Prints one line per check; exits 1 with "FAIL: ..." on the first failed check.
"""

import sys

from web3 import Web3
from web3.exceptions import TransactionNotFound

from checks import CheckFailed, check, eq

STAKING = Web3.to_checksum_address("0x0000000000000000000000000000000000001000")
EPOCH_STARTED = {
    "type": "event",
    "name": "EpochStarted",
    "anonymous": False,
    "inputs": [
        {"name": "epoch", "type": "uint64", "indexed": True},
        {"name": "firstHeight", "type": "uint64", "indexed": False},
        {"name": "validators", "type": "uint256", "indexed": False},
        {"name": "totalPower", "type": "uint256", "indexed": False},
    ],
}


def not_found(lookup, tx_hash):
    try:
        lookup(tx_hash)
    except TransactionNotFound:
        return True
    return False


def run(w3, epoch_length):
    staking = w3.eth.contract(address=STAKING, abi=[EPOCH_STARTED])
    topic = Web3.keccak(text="EpochStarted(uint64,uint64,uint256,uint256)")
    logs = w3.eth.get_logs(
        {"address": STAKING, "topics": [topic], "fromBlock": 0, "toBlock": "latest"}
    )
    check(len(logs) >= 2, "eth.get_logs by address and topic returns the epoch changes", len(logs))
    for i, log in enumerate(logs):
        event = staking.events.EpochStarted().process_log(log)
        epoch = event["args"]["epoch"]
        eq(epoch, i + 1, f"log {i} decodes as EpochStarted of epoch {i + 1}")
        eq(log["blockNumber"], epoch * epoch_length, f"epoch {epoch}'s event is in the block before it")
        eq(event["args"]["firstHeight"], epoch * epoch_length + 1, f"epoch {epoch}'s first block")
        eq(event["args"]["validators"], 4, f"epoch {epoch} has four validators")
        synthetic = Web3.keccak(b"cairn/system-logs" + bytes(log["blockHash"]))
        eq(log["transactionHash"], synthetic, f"epoch {epoch}'s transactionHash is the synthetic one")
        count = w3.eth.get_block_transaction_count(log["blockHash"])
        eq(log["transactionIndex"], count, f"epoch {epoch}'s log comes after the block's transactions")
        raw = w3.provider.make_request("eth_getTransactionReceipt", [synthetic.to_0x_hex()])
        check("result" in raw and raw["result"] is None, f"epoch {epoch}: the receipt is null", raw)
        check(
            not_found(w3.eth.get_transaction_receipt, synthetic),
            f"epoch {epoch}: get_transaction_receipt raises TransactionNotFound",
        )
        check(
            not_found(w3.eth.get_transaction, synthetic),
            f"epoch {epoch}: get_transaction raises TransactionNotFound",
        )
    second = staking.events.EpochStarted.get_logs(from_block=0, argument_filters={"epoch": 2})
    eq(len(second), 1, "the event's get_logs filtered by the indexed epoch returns one log")
    eq(second[0]["args"]["firstHeight"], 2 * epoch_length + 1, "it is epoch 2's event")
    print("web3.py system logs: all checks passed", flush=True)


def main():
    if len(sys.argv) != 3:
        print("usage: python system_logs.py RPC_URL EPOCH_LENGTH", file=sys.stderr)
        sys.exit(2)
    w3 = Web3(Web3.HTTPProvider(sys.argv[1]))
    try:
        run(w3, int(sys.argv[2]))
    except CheckFailed as failed:
        print(f"FAIL: {failed}", flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
