// System logs as ethers v6 sees them, on a proof-of-stake chain: the staking contract's
// EpochStarted events come from the protocol's end-of-epoch call, not from a transaction.
// provider.getLogs returns them (by address and event topic, and by an indexed epoch), each
// decodes with the contract's event declaration, names the epoch that starts right after its
// block, and carries transactionHash = keccak256("cairn/system-logs" ‖ block hash), which no
// transaction has: following it gives null from eth_getTransactionReceipt and
// eth_getTransactionByHash.
//
// Usage: node system_logs_flow.mjs RPC_URL EPOCH_LENGTH
// Prints one line per check; exits 1 with "FAIL: ..." on the first failed check.
import { Interface, JsonRpcProvider, concat, keccak256, toBeHex, toUtf8Bytes, zeroPadValue } from "ethers";

const [RPC, EPOCH_LENGTH] = process.argv.slice(2);
if (!RPC || !EPOCH_LENGTH) {
  console.error("usage: node system_logs_flow.mjs RPC_URL EPOCH_LENGTH");
  process.exit(2);
}
const STAKING = "0x0000000000000000000000000000000000001000";
const E = BigInt(EPOCH_LENGTH);
const STAKING_EVENTS = new Interface([
  "event EpochStarted(uint64 indexed epoch, uint64 firstHeight, uint256 validators, uint256 totalPower)",
]);

class CheckFailed extends Error {}

function check(condition, what, detail = "") {
  if (!condition) throw new CheckFailed(`${what}${detail ? `: ${detail}` : ""}`);
  console.log(`ok: ${what}`);
}

function eq(actual, expected, what) {
  check(actual === expected, what, `expected ${expected}, got ${actual}`);
}

async function main() {
  const provider = new JsonRpcProvider(RPC, undefined, { cacheTimeout: -1 });
  try {
    await run(provider);
  } finally {
    provider.destroy();
  }
}

async function run(provider) {
  const topic = STAKING_EVENTS.getEvent("EpochStarted").topicHash;
  const logs = await provider.getLogs({ address: STAKING, topics: [topic], fromBlock: 0, toBlock: "latest" });
  check(logs.length >= 2, "getLogs by address and EpochStarted's topic returns the epoch changes", `got ${logs.length}`);
  for (const [i, log] of logs.entries()) {
    const event = STAKING_EVENTS.parseLog(log);
    const epoch = event.args.epoch;
    eq(epoch, BigInt(i + 1), `log ${i} decodes as EpochStarted of epoch ${i + 1}`);
    eq(BigInt(log.blockNumber), epoch * E, `epoch ${epoch}'s event is in the previous epoch's last block`);
    eq(event.args.firstHeight, epoch * E + 1n, `epoch ${epoch} starts at block ${epoch * E + 1n}`);
    eq(event.args.validators, 4n, `epoch ${epoch} has four validators`);
    eq(log.address.toLowerCase(), STAKING, `epoch ${epoch}'s event comes from the staking contract`);
    const synthetic = keccak256(concat([toUtf8Bytes("cairn/system-logs"), log.blockHash]));
    eq(log.transactionHash, synthetic, `epoch ${epoch}'s transactionHash is keccak256("cairn/system-logs" ‖ block hash)`);
    const block = await provider.getBlock(log.blockHash);
    eq(log.transactionIndex, block.transactions.length, `epoch ${epoch}'s log comes after the block's transactions`);
    eq(await provider.getTransactionReceipt(log.transactionHash), null, `epoch ${epoch}'s transactionHash has no receipt`);
    eq(await provider.getTransaction(log.transactionHash), null, `epoch ${epoch}'s transactionHash has no transaction`);
  }
  const second = await provider.getLogs({
    address: STAKING,
    topics: [topic, zeroPadValue(toBeHex(2), 32)],
    fromBlock: 0,
    toBlock: "latest",
  });
  eq(second.length, 1, "getLogs by the indexed epoch returns that epoch's event alone");
  eq(second[0].blockNumber, Number(2n * E), "it is epoch 2's event");
  console.log("system logs flow: all checks passed");
}

main().catch((error) => {
  console.error(error instanceof CheckFailed ? `FAIL: ${error.message}` : error);
  process.exit(1);
});
