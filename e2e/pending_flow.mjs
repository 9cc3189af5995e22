// What real tools rely on about the next block, with ethers v6: a transaction whose gas
// depends on block.timestamp advancing (e2e/contracts/Clock.sol writes four slots only when
// block.timestamp > last), estimated and sent right after a block once the clock has passed
// that block's second; eth_call at `pending` runs in block head+1; and a run of blocks of
// 1-wei-tip transfers (what fee estimators send on a quiet chain) after which the suggested
// fees still clear the base fee. The Rust driver then runs `cast send --legacy`.
//
// With --strict, also what only a pending block timed at least a second after the head
// gives (Cairn; anvil times its pending block by the clock): ticks sent back to back, each
// estimated right after the previous block whichever second it lands in, all succeed, and
// the pending block is later than the head. On anvil a tick estimated within the head's
// second that lands in the next one runs out of gas.
//
// Usage: node pending_flow.mjs HTTP_URL [--strict]. The node must make blocks only for
// transactions (anvil's automine; `cairn dev` with a long --block-time), so no empty block
// moves time for it. Prints one line per check; exits 1 with "FAIL: ..." on the first failed
// check.
import { Contract, ContractFactory, JsonRpcProvider, Wallet } from "ethers";
import { compile } from "./compile.mjs";

const HTTP_URL = process.argv[2];
const STRICT = process.argv[3] === "--strict";
if (!HTTP_URL) {
  console.error("usage: node pending_flow.mjs HTTP_URL [--strict]");
  process.exit(2);
}
const KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const KEY1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const RECIPIENT = "0x000000000000000000000000000000000000bEEF";
/** Blocks of 1-wei-tip transfers before the suggestions are read. */
const ONE_WEI_BLOCKS = 5;
/** Ticks sent back to back with --strict: enough to straddle a second boundary. */
const BACK_TO_BACK = 12;

class CheckFailed extends Error {}

function check(condition, what, detail = "") {
  if (!condition) throw new CheckFailed(`${what}${detail ? `: ${detail}` : ""}`);
  console.log(`ok: ${what}`);
}

/** Waits until the wall clock is past second `timestamp` (a clock edge, not a guess). */
async function pastSecond(timestamp) {
  while (Date.now() / 1000 < Number(timestamp) + 1) {
    await new Promise((resolve) => setTimeout(resolve, Number(timestamp) * 1000 + 1000 - Date.now() + 5));
  }
}

/** tick() as ethers sends it: eth_estimateGas with no block, then the transaction. */
async function tick(provider, clock, what) {
  const head = await provider.getBlock("latest");
  const before = await clock.ticks();
  const estimate = await clock.tick.estimateGas();
  const sent = await clock.tick({ gasLimit: estimate });
  const receipt = await sent.wait();
  const block = await provider.getBlock(receipt.blockNumber);
  const wrote = (await clock.ticks()) > before;
  check(receipt.status === 1, `${what}: the estimated transaction succeeds`, `estimate ${estimate}, used ${receipt.gasUsed}`);
  check(receipt.gasUsed <= estimate, `${what}: it used ${receipt.gasUsed} of the ${estimate} estimated`);
  console.log(`   head ${head.number} at ${head.timestamp}, landed in ${block.number} at ${block.timestamp}, wrote: ${wrote}`);
  return { estimate, receipt, block, wrote };
}

async function main() {
  // cacheTimeout -1: ethers otherwise reuses identical answers for 250 ms.
  const provider = new JsonRpcProvider(HTTP_URL, undefined, { cacheTimeout: -1 });
  provider.pollingInterval = 100;
  try {
    await run(provider);
  } finally {
    provider.destroy();
  }
}

async function run(provider) {
  const w0 = new Wallet(KEY0, provider);
  const w1 = new Wallet(KEY1, provider);
  const { abi, bytecode } = compile("Clock");
  const deployed = await new ContractFactory(abi, bytecode, w0).deploy();
  await deployed.waitForDeployment();
  const clock = new Contract(await deployed.getAddress(), abi, w0);

  // The first tick writes (time moved on from 0); the next is sent right after its block once
  // the clock has passed that block's second, so it writes too, and its estimate must count
  // the writes (an estimate in the head's own context, where block.timestamp == last, does
  // not, and the transaction runs out of gas).
  const first = await tick(provider, clock, "the first tick");
  check(first.wrote, "the first tick writes");
  await pastSecond(first.block.timestamp);
  const later = await tick(provider, clock, "a tick right after a block, in a later second");
  check(later.wrote, "the later tick found time advanced and wrote");
  check(later.estimate > 80_000n, "the estimate counted the writes", `estimate ${later.estimate}`);
  if (STRICT) {
    let wrote = 0;
    for (let i = 0; i < BACK_TO_BACK; i++) {
      if ((await tick(provider, clock, `back-to-back tick ${i + 1}`)).wrote) wrote++;
    }
    console.log(`   ${wrote} of ${BACK_TO_BACK} back-to-back ticks landed in a later second and wrote`);
  }

  // eth_call at `pending` runs in the next block.
  const head = await provider.getBlock("latest");
  const data = clock.interface.encodeFunctionData("blockNumber");
  const at = async (blockTag) => BigInt(await provider.call({ to: await clock.getAddress(), data, blockTag }));
  check((await at("latest")) === BigInt(head.number), `eth_call at latest runs in the head (${head.number})`);
  check((await at("pending")) === BigInt(head.number + 1), `eth_call at pending runs in block ${head.number + 1}`);
  const time = clock.interface.encodeFunctionData("blockTimestamp");
  const pendingTime = BigInt(await provider.call({ to: await clock.getAddress(), data: time, blockTag: "pending" }));
  // Not earlier than the head on both (anvil times it by the clock, so within the head's
  // second it is the head's time; Cairn a second later at least, which the driver checks).
  check(pendingTime >= BigInt(head.timestamp), "the pending block is not earlier than the head", `${pendingTime} vs ${head.timestamp}`);
  if (STRICT) {
    check(pendingTime > BigInt(head.timestamp), "the pending block is a second later than the head at least", `${pendingTime} vs ${head.timestamp}`);
  }

  // Blocks of 1-wei-tip transfers, then the suggestions.
  for (let i = 0; i < ONE_WEI_BLOCKS; i++) {
    const sent = await w1.sendTransaction({ to: RECIPIENT, value: 1n, maxPriorityFeePerGas: 1n, maxFeePerGas: 10_000_000_000n });
    const receipt = await sent.wait();
    check(receipt.status === 1, `1-wei-tip transfer ${i + 1} is mined`);
  }
  const latest = await provider.getBlock("latest");
  const tip = BigInt(await provider.send("eth_maxPriorityFeePerGas", []));
  const gasPrice = BigInt(await provider.send("eth_gasPrice", []));
  console.log(`   latest base fee ${latest.baseFeePerGas}, suggested tip ${tip}, gas price ${gasPrice}`);
  check(gasPrice >= latest.baseFeePerGas, "eth_gasPrice is at least the latest base fee");
  const estimate = await provider.estimateGas({ from: w0.address, to: RECIPIENT, value: 1n, gasPrice });
  check(estimate === 21_000n, "a legacy transfer at eth_gasPrice estimates");
  console.log("pending flow: all checks passed");
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof CheckFailed ? `FAIL: ${e.message}` : `FAIL: unexpected error: ${e.stack ?? e}`);
    process.exit(1);
  },
);
