"""The web3.py flow: the same steps as ethers_flow.mjs, in Python.

Deploys the suite's ERC-20, transfers tokens, waits for receipts, reads Transfer events
through eth_getLogs, an eth_newFilter filter and a WebSocket `logs` subscription, and sees
revert reasons from failing calls and a failing transaction.

Usage: python web3_flow.py [HTTP_URL] [WS_URL]  (or RPC_HTTP_URL / RPC_WS_URL in the env)
Prints one line per check; exits 1 with "FAIL: ..." on the first failed check.
"""

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from eth_account import Account
from web3 import AsyncWeb3, Web3, WebSocketProvider
from web3.exceptions import ContractLogicError

from checks import CheckFailed, check, eq

HERE = Path(__file__).resolve().parent
# Dev accounts 0 and 1 of the "test test ... junk" mnemonic (anvil's and Cairn's).
KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
KEY1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
CHAIN_ID = 31337
SUPPLY = 1_000_000 * 10**18
SENT = 1_000 * 10**18
RETURNED = 250 * 10**18
WAIT_S = 15
ZERO = "0x0000000000000000000000000000000000000000"


def compile_token():
    out = subprocess.run(
        ["node", str(HERE / "compile.mjs"), "Token"], check=True, capture_output=True, text=True
    )
    artifact = json.loads(out.stdout)
    return artifact["abi"], artifact["bytecode"]


def send(w3, account, tx):
    """Fills nonce, gas and EIP-1559 fees through the node, signs locally, sends raw."""
    tx = dict(tx)
    tx["from"] = account.address
    tx["nonce"] = w3.eth.get_transaction_count(account.address, "pending")
    tx["chainId"] = CHAIN_ID
    if "gas" not in tx:
        tx["gas"] = w3.eth.estimate_gas(tx)
    base_fee = w3.eth.get_block("latest")["baseFeePerGas"]
    tip = w3.eth.max_priority_fee
    tx["maxPriorityFeePerGas"] = tip
    tx["maxFeePerGas"] = base_fee * 2 + tip
    signed = account.sign_transaction(tx)
    return w3.eth.send_raw_transaction(signed.raw_transaction)


def receipt(w3, tx_hash):
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=WAIT_S, poll_latency=0.2)


def expect_revert(call, reason, what):
    try:
        call()
    except ContractLogicError as e:
        check(
            e.message == f"execution reverted: {reason}",
            f'{what} reverts with "{reason}"',
            f"got {e.message!r}",
        )
        return
    raise CheckFailed(f"{what} fails: it succeeded")


async def run(http_url, ws_url):
    w3 = Web3(Web3.HTTPProvider(http_url, request_kwargs={"timeout": WAIT_S}))
    a0 = Account.from_key(KEY0)
    a1 = Account.from_key(KEY1)

    eq(w3.eth.chain_id, CHAIN_ID, "HTTP chain id is 31337")
    check(w3.eth.get_balance(a0.address) > 0, "dev account 0 is funded")

    # Deploy.
    abi, bytecode = compile_token()
    factory = w3.eth.contract(abi=abi, bytecode=bytecode)
    deploy_tx = factory.constructor(SUPPLY).build_transaction({"from": a0.address, "gas": 2_000_000})
    deploy_receipt = receipt(w3, send(w3, a0, {"data": deploy_tx["data"], "gas": 2_000_000}))
    eq(deploy_receipt["status"], 1, "deployment receipt has status 1")
    address = deploy_receipt["contractAddress"]
    check(address is not None, "deployment receipt names the contract address")
    check(len(w3.eth.get_code(address)) > 0, "contract code is stored")
    token = w3.eth.contract(address=address, abi=abi)
    eq(token.functions.totalSupply().call(), SUPPLY, "totalSupply() is the constructor's supply")
    eq(token.functions.balanceOf(a0.address).call(), SUPPLY, "deployer holds the whole supply")
    transfer_topic = "0x" + Web3.keccak(text="Transfer(address,address,uint256)").hex().removeprefix("0x")

    async with AsyncWeb3(WebSocketProvider(ws_url)) as ws:
        eq(await ws.eth.chain_id, CHAIN_ID, "WebSocket chain id is 31337")
        # subscribe() returns once the node has registered the subscription.
        sub_id = await ws.eth.subscribe("logs", {"address": address, "topics": [transfer_topic]})
        check(isinstance(sub_id, str) and len(sub_id) > 0, "eth_subscribe logs returns an id")
        # No fromBlock, as ethers sends it: changes from blocks after the filter's creation.
        log_filter = w3.eth.filter({"address": address, "topics": [transfer_topic]})
        check(log_filter.filter_id is not None, "eth_newFilter returns an id")

        # Transfer 0 -> 1, then 1 -> 0.
        h1 = send(w3, a0, token.functions.transfer(a1.address, SENT).build_transaction({"from": a0.address}))
        r1 = receipt(w3, h1)
        eq(r1["status"], 1, "transfer 0->1 receipt has status 1")
        events = token.events.Transfer().process_receipt(r1)
        check(
            len(events) == 1
            and events[0]["args"]["from"] == a0.address
            and events[0]["args"]["to"] == a1.address
            and events[0]["args"]["value"] == SENT,
            "transfer 0->1 receipt log decodes as Transfer(0, 1, 1000)",
            repr(events),
        )
        h2 = send(w3, a1, token.functions.transfer(a0.address, RETURNED).build_transaction({"from": a1.address}))
        r2 = receipt(w3, h2)
        eq(r2["status"], 1, "transfer 1->0 receipt has status 1")
        eq(token.functions.balanceOf(a1.address).call(), SENT - RETURNED, "balanceOf(1) is 750 tokens")
        eq(token.functions.balanceOf(a0.address).call(), SUPPLY - SENT + RETURNED, "balanceOf(0) is the supply less 750")

        # Blocks and transactions as web3.py reads them.
        block1 = w3.eth.get_block(r1["blockNumber"])
        check(h1 in block1["transactions"], "get_block(receipt block) lists the transfer")
        eq(block1["hash"], r1["blockHash"], "block hash matches the receipt's block hash")
        tx1 = w3.eth.get_transaction(h1)
        check(tx1["from"] == a0.address and tx1["to"] == address, "get_transaction returns the transfer")
        eq(tx1["blockNumber"], r1["blockNumber"], "get_transaction names the receipt's block")

        # eth_getLogs: all Transfers, and only those to account 1.
        logs = token.events.Transfer.get_logs(from_block=deploy_receipt["blockNumber"])
        eq(len(logs), 3, "get_logs(Transfer) finds mint and both transfers")
        check(logs[0]["args"]["from"] == ZERO and logs[0]["args"]["value"] == SUPPLY, "first Transfer is the mint")
        eq(logs[1]["transactionHash"], h1, "second Transfer is transfer 0->1")
        eq(logs[2]["transactionHash"], h2, "third Transfer is transfer 1->0")
        to_one = token.events.Transfer.get_logs(
            from_block=deploy_receipt["blockNumber"], argument_filters={"to": a1.address}
        )
        check(len(to_one) == 1 and to_one[0]["transactionHash"] == h1, "get_logs(Transfer to 1) finds only transfer 0->1")

        # The eth_newFilter filter saw both transfers.
        changes = log_filter.get_new_entries()
        check(
            [c["transactionHash"] for c in changes] == [h1, h2],
            "eth_getFilterChanges returns both transfers",
            repr(changes),
        )
        eq(log_filter.get_new_entries(), [], "a second eth_getFilterChanges returns nothing new")
        eq(w3.eth.uninstall_filter(log_filter.filter_id), True, "eth_uninstallFilter returns true")

        # The WebSocket subscription delivered both transfers.
        received = []

        async def collect():
            async for message in ws.socket.process_subscriptions():
                received.append(message["result"])
                if len(received) == 2:
                    return

        try:
            await asyncio.wait_for(collect(), WAIT_S)
        except TimeoutError as e:
            raise CheckFailed(f"timed out after {WAIT_S} s: two logs on the WebSocket subscription, got {received!r}") from e
        eq(received[0]["transactionHash"], h1, "first WebSocket log is transfer 0->1")
        eq(received[1]["transactionHash"], h2, "second WebSocket log is transfer 1->0")
        eq(int.from_bytes(received[1]["data"], "big"), RETURNED, "second WebSocket log carries 250 tokens")
        eq(await ws.eth.unsubscribe(sub_id), True, "eth_unsubscribe returns true")

    # Reverts: eth_call and eth_estimateGas carry the reason; a mined failure has status 0.
    too_much = SUPPLY * 2
    failing = token.functions.transfer(a0.address, too_much)
    expect_revert(lambda: failing.call({"from": a1.address}), "insufficient balance", "eth_call transfer beyond balance")
    expect_revert(
        lambda: failing.estimate_gas({"from": a1.address}), "insufficient balance", "eth_estimateGas transfer beyond balance"
    )
    data = failing._encode_transaction_data()
    r3 = receipt(w3, send(w3, a1, {"to": address, "data": data, "gas": 100_000}))
    eq(r3["status"], 0, "a transfer beyond balance is mined with status 0")
    eq(token.functions.balanceOf(a1.address).call(), SENT - RETURNED, "the failed transfer moved nothing")

    print("web3.py flow: all checks passed", flush=True)


def main():
    http_url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("RPC_HTTP_URL")
    ws_url = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("RPC_WS_URL")
    if not http_url or not ws_url:
        print("usage: web3_flow.py HTTP_URL WS_URL (or set RPC_HTTP_URL and RPC_WS_URL)", file=sys.stderr)
        sys.exit(2)
    try:
        asyncio.run(run(http_url, ws_url))
    except CheckFailed as e:
        print(f"FAIL: {e}", file=sys.stderr)
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - any client error is a failed flow, reported plainly
        print(f"FAIL: unexpected error: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
