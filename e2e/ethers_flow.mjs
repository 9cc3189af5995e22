// The ethers v6 flow: deploy the suite's ERC-20, transfer tokens, wait for receipts, read
// Transfer events through eth_getLogs, an eth_newFilter filter and a WebSocket `logs`
// subscription, and see revert reasons from failing calls and a failing transaction.
//
// Usage: node ethers_flow.mjs [HTTP_URL] [WS_URL]  (or RPC_HTTP_URL / RPC_WS_URL in the env)
// Prints one line per check; exits 1 with "FAIL: ..." on the first failed check.
import { ContractFactory, JsonRpcProvider, WebSocketProvider, Wallet, Contract, parseUnits } from "ethers";
import { compile } from "./compile.mjs";

const HTTP_URL = process.argv[2] ?? process.env.RPC_HTTP_URL;
const WS_URL = process.argv[3] ?? process.env.RPC_WS_URL;
if (!HTTP_URL || !WS_URL) {
  console.error("usage: node ethers_flow.mjs HTTP_URL WS_URL (or set RPC_HTTP_URL and RPC_WS_URL)");
  process.exit(2);
}

// Dev accounts 0 and 1 of the "test test ... junk" mnemonic (anvil's and Cairn's).
const KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const KEY1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const CHAIN_ID = 31337n;
const SUPPLY = parseUnits("1000000", 18);
const SENT = parseUnits("1000", 18);
const RETURNED = parseUnits("250", 18);
const WAIT_MS = 15_000;

class CheckFailed extends Error {}

function check(condition, what, detail = "") {
  if (!condition) {
    throw new CheckFailed(`${what}${detail ? `: ${detail}` : ""}`);
  }
  console.log(`ok: ${what}`);
}

function eq(actual, expected, what) {
  check(actual === expected, what, `expected ${expected}, got ${actual}`);
}

async function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailed(`timed out after ${WAIT_MS} ms: ${what}`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/// Asserts that `promise` rejects as a contract revert carrying `reason`.
async function expectRevert(promise, reason, what) {
  let error = null;
  try {
    await promise;
  } catch (e) {
    error = e;
  }
  check(error !== null, `${what} fails`, "it succeeded");
  check(
    error.code === "CALL_EXCEPTION" && error.reason === reason,
    `${what} reverts with "${reason}"`,
    `got code ${error.code}, reason ${JSON.stringify(error.reason)}, message ${error.shortMessage ?? error.message}`,
  );
}

async function main() {
  // cacheTimeout -1: ethers otherwise reuses identical answers for 250 ms, and on a node that
  // mines at once a cached pending nonce is already stale ("nonce too low").
  const provider = new JsonRpcProvider(HTTP_URL, undefined, { cacheTimeout: -1 });
  provider.pollingInterval = 200;
  const wsProvider = new WebSocketProvider(WS_URL);
  try {
    await run(provider, wsProvider);
  } finally {
    provider.destroy();
    await wsProvider.destroy();
  }
}

async function run(provider, wsProvider) {
  const w0 = new Wallet(KEY0, provider);
  const w1 = new Wallet(KEY1, provider);

  eq((await provider.getNetwork()).chainId, CHAIN_ID, "HTTP chain id is 31337");
  eq((await wsProvider.getNetwork()).chainId, CHAIN_ID, "WebSocket chain id is 31337");
  check((await provider.getBalance(w0.address)) > 0n, "dev account 0 is funded");

  // Deploy.
  const { abi, bytecode } = compile("Token");
  const factory = new ContractFactory(abi, bytecode, w0);
  const deployed = await factory.deploy(SUPPLY);
  const deployReceipt = await within(deployed.deploymentTransaction().wait(), "deployment receipt");
  const tokenAddress = await deployed.getAddress();
  eq(deployReceipt.status, 1, "deployment receipt has status 1");
  eq(deployReceipt.contractAddress, tokenAddress, "deployment receipt names the contract address");
  check((await provider.getCode(tokenAddress)).length > 2, "contract code is stored");
  const token = new Contract(tokenAddress, abi, w0);
  eq(await token.totalSupply(), SUPPLY, "totalSupply() is the constructor's supply");
  eq(await token.balanceOf(w0.address), SUPPLY, "deployer holds the whole supply");

  // Watch Transfer events before transferring: a WebSocket `logs` subscription and an
  // eth_newFilter filter.
  const transferTopic = token.interface.getEvent("Transfer").topicHash;
  const logFilter = { address: tokenAddress, topics: [transferTopic] };
  const wsLogs = [];
  let wsLogArrived = () => {};
  // The subscription id comes back only once the node has registered it, so no log can be
  // missed; ethers' own provider.on(filter) hides that moment, hence send + _register, the
  // hook ethers' socket subscribers use.
  const subscriptionId = await wsProvider.send("eth_subscribe", ["logs", logFilter]);
  check(typeof subscriptionId === "string" && subscriptionId.length > 0, "eth_subscribe logs returns an id");
  wsProvider._register(subscriptionId, {
    _handleMessage(log) {
      wsLogs.push(log);
      wsLogArrived();
    },
  });
  const filterId = await provider.send("eth_newFilter", [logFilter]);
  check(typeof filterId === "string" && filterId.length > 0, "eth_newFilter returns an id");

  // Transfer 0 -> 1, then 1 -> 0.
  const tx1 = await token.transfer(w1.address, SENT);
  const r1 = await within(tx1.wait(), "transfer 0->1 receipt");
  eq(r1.status, 1, "transfer 0->1 receipt has status 1");
  eq(r1.logs.length, 1, "transfer 0->1 receipt has one log");
  const parsed1 = token.interface.parseLog(r1.logs[0]);
  check(
    parsed1.name === "Transfer" && parsed1.args.from === w0.address && parsed1.args.to === w1.address && parsed1.args.value === SENT,
    "transfer 0->1 receipt log decodes as Transfer(0, 1, 1000)",
    JSON.stringify(parsed1?.args?.toArray().map(String)),
  );
  const tx2 = await token.connect(w1).transfer(w0.address, RETURNED);
  const r2 = await within(tx2.wait(), "transfer 1->0 receipt");
  eq(r2.status, 1, "transfer 1->0 receipt has status 1");
  eq(await token.balanceOf(w1.address), SENT - RETURNED, "balanceOf(1) is 750 tokens");
  eq(await token.balanceOf(w0.address), SUPPLY - SENT + RETURNED, "balanceOf(0) is the supply less 750");

  // Blocks and transactions as ethers reads them.
  const block1 = await provider.getBlock(r1.blockNumber);
  check(block1 !== null && block1.transactions.includes(tx1.hash), "getBlock(receipt block) lists the transfer");
  eq(block1.hash, r1.blockHash, "block hash matches the receipt's block hash");
  const fetched = await provider.getTransaction(tx1.hash);
  check(fetched !== null && fetched.from === w0.address && fetched.to === tokenAddress, "getTransaction returns the transfer");
  eq(fetched.blockNumber, r1.blockNumber, "getTransaction names the receipt's block");

  // eth_getLogs through the contract API, all Transfers and only those to account 1.
  const all = await token.queryFilter(token.filters.Transfer(), deployReceipt.blockNumber, "latest");
  eq(all.length, 3, "queryFilter(Transfer) finds mint and both transfers");
  check(
    all[0].args.from === "0x0000000000000000000000000000000000000000" && all[0].args.value === SUPPLY,
    "first Transfer is the mint",
  );
  eq(all[1].transactionHash, tx1.hash, "second Transfer is transfer 0->1");
  eq(all[2].transactionHash, tx2.hash, "third Transfer is transfer 1->0");
  const toOne = await token.queryFilter(token.filters.Transfer(null, w1.address), deployReceipt.blockNumber, "latest");
  check(toOne.length === 1 && toOne[0].transactionHash === tx1.hash, "queryFilter(Transfer to 1) finds only transfer 0->1");

  // The eth_newFilter filter saw both transfers.
  const changes = await provider.send("eth_getFilterChanges", [filterId]);
  check(
    Array.isArray(changes) && changes.length === 2 && changes[0].transactionHash === tx1.hash && changes[1].transactionHash === tx2.hash,
    "eth_getFilterChanges returns both transfers",
    JSON.stringify(changes),
  );
  const again = await provider.send("eth_getFilterChanges", [filterId]);
  check(Array.isArray(again) && again.length === 0, "a second eth_getFilterChanges returns nothing new", JSON.stringify(again));
  eq(await provider.send("eth_uninstallFilter", [filterId]), true, "eth_uninstallFilter returns true");

  // The WebSocket subscription delivered both transfers.
  await within(
    new Promise((resolve) => {
      wsLogArrived = () => wsLogs.length >= 2 && resolve();
      wsLogArrived();
    }),
    "two logs on the WebSocket subscription",
  );
  eq(wsLogs[0].transactionHash, tx1.hash, "first WebSocket log is transfer 0->1");
  eq(wsLogs[1].transactionHash, tx2.hash, "second WebSocket log is transfer 1->0");
  eq(token.interface.parseLog(wsLogs[1]).args.value, RETURNED, "second WebSocket log decodes to 250 tokens");
  eq(await wsProvider.send("eth_unsubscribe", [subscriptionId]), true, "eth_unsubscribe returns true");

  // Reverts: eth_call and eth_estimateGas carry the reason; a mined failure has status 0.
  const tooMuch = SUPPLY * 2n;
  await expectRevert(token.connect(w1).transfer.staticCall(w0.address, tooMuch), "insufficient balance", "eth_call transfer beyond balance");
  await expectRevert(token.connect(w1).transfer.estimateGas(w0.address, tooMuch), "insufficient balance", "eth_estimateGas transfer beyond balance");
  const failing = await token.connect(w1).transfer(w0.address, tooMuch, { gasLimit: 100_000 });
  let minedError = null;
  try {
    await within(failing.wait(), "failing transfer receipt");
  } catch (e) {
    minedError = e;
  }
  check(minedError?.code === "CALL_EXCEPTION" && minedError.receipt?.status === 0, "a transfer beyond balance is mined with status 0", String(minedError));
  eq(await token.balanceOf(w1.address), SENT - RETURNED, "the failed transfer moved nothing");

  console.log("ethers flow: all checks passed");
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof CheckFailed ? `FAIL: ${e.message}` : `FAIL: unexpected error: ${e.stack ?? e}`);
    process.exit(1);
  },
);
