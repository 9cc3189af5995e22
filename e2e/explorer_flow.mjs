// The block explorer in a real browser: playwright-core drives Debian's chromium (headless)
// against a running `cairn dev`, while this script sends transactions with ethers. It checks
// that they appear live on the home page, opens block, transaction, account and contract
// pages, follows links, searches (hits and misses), pages through an account's history, that
// a public chain shows no governance (no nav link, no permission mark), and that no page
// overflows a 390 px wide phone screen. Screenshots of every page at desktop and
// phone sizes go to SCREENSHOT_DIR; their paths are printed as "screenshot: PATH".
//
// Usage: node explorer_flow.mjs API_URL RPC_URL SCREENSHOT_DIR  (CHROMIUM overrides
// /usr/bin/chromium). Prints one line per check; exits 1 with "FAIL: ..." on the first
// failed check. It waits on page conditions, never on fixed sleeps.
import { Contract, ContractFactory, Wallet, parseEther, parseUnits } from "ethers";
import { compile } from "./compile.mjs";
import { Shots, check, fitsPhone, heading, newPage, runFlow, see } from "./explorer_browser.mjs";

const [API, RPC, SHOTS] = process.argv.slice(2);
if (!API || !RPC || !SHOTS) {
  console.error("usage: node explorer_flow.mjs API_URL RPC_URL SCREENSHOT_DIR");
  process.exit(2);
}
const KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const KEY1 = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const ACCOUNT1 = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
/** Plain transfers sent in one batch, so account 0's history spans three pages of ten. */
const BATCH = 24;
const shots = new Shots(SHOTS);
const shoot = (page, name) => shots.shoot(page, name);

async function run(browser, provider) {
  const problems = [];
  const page = await newPage(browser, { width: 1280, height: 900 }, problems);
  const wallet0 = new Wallet(KEY0, provider);
  const wallet1 = new Wallet(KEY1, provider);
  let nonce = await provider.getTransactionCount(wallet0.address, "pending");

  // Home on a chain with no transactions yet.
  await page.goto(`${API}/`);
  await see(page.locator('[data-stat="chain-id"] .value', { hasText: /^31337$/ }), "home shows the chain id");
  await see(page.locator('[data-stat="consensus"] .value', { hasText: "dev" }), "home shows the consensus kind");
  await see(page.locator("#latest-transactions", { hasText: "No transactions" }), "home reads well before any transaction");
  await see(page.locator('[data-stat="live"]', { hasText: "live" }), "home follows the stream");
  await see(page.locator("[data-chart] svg").first(), "home draws the block chart");
  await see(page.locator('[data-stat="block-time"] .value', { hasText: /^\d+ ms$|^\d+\.\d\d s$/ }), "home shows the block time from milliseconds");
  // Genesis carries the chain spec's time (1970 on a dev chain), not an age: while the young
  // chain still lists it among the newest blocks, its row says so.
  const genesisRow = page.locator("#latest-blocks tr", { has: page.locator('[data-block="0"]') });
  if ((await genesisRow.count()) > 0) {
    const text = await genesisRow.textContent();
    check(text.includes("genesis") && !text.includes(" d ago"), "the genesis row reads genesis", text);
  }
  await page.evaluate(() => {
    window.cairnNotReloaded = true;
  });

  // A transfer appears live, then its block.
  const first = await wallet0.sendTransaction({ to: ACCOUNT1, value: parseEther("1.5"), nonce: nonce++ });
  await see(page.locator(`#latest-transactions [data-tx="${first.hash}"]`), "a sent transaction appears on the home page");
  const firstReceipt = await first.wait();
  await see(page.locator(`#latest-blocks [data-block="${firstReceipt.blockNumber}"]`), "its block appears on the home page");
  await see(page.locator(`#latest-transactions tr`, { hasText: "1.5 ETH" }), "the transfer's value reads 1.5 ETH");
  check(await page.evaluate(() => window.cairnNotReloaded === true), "the home page updated without reloading");

  // A token, a token transfer, a reverted transfer, and a batch of plain transfers.
  const { abi, bytecode } = compile("Token");
  const factory = new ContractFactory(abi, bytecode, wallet0);
  const token = await factory.deploy(parseUnits("1000000", 18), { nonce: nonce++ });
  await token.waitForDeployment();
  const tokenAddress = (await token.getAddress()).toLowerCase();
  const tokenTx = await new Contract(tokenAddress, abi, wallet0).transfer(ACCOUNT1, parseUnits("1000", 18), { nonce: nonce++ });
  await tokenTx.wait();
  const failing = await new Contract(tokenAddress, abi, wallet1).transfer(wallet0.address, parseUnits("5000", 18), { gasLimit: 100_000 });
  const failed = await provider.waitForTransaction(failing.hash);
  check(failed.status === 0, "a token transfer beyond the balance is mined and reverts");
  const batch = [];
  for (let i = 0; i < BATCH; i++) {
    batch.push(await wallet0.sendTransaction({ to: ACCOUNT1, value: parseEther("0.01") * BigInt(i + 1), nonce: nonce++ }));
  }
  const receipts = await Promise.all(batch.map((tx) => tx.wait()));
  const lastBlock = Math.max(...receipts.map((r) => r.blockNumber));
  await see(page.locator(`#latest-blocks [data-block="${lastBlock}"]`), "the batch's last block appears live");
  await see(page.locator("#latest-transactions [data-tx]"), "the newest transactions are listed");
  check(await page.evaluate(() => window.cairnNotReloaded === true), "still the same page: every update came from the stream");
  const tps = Number(await page.locator('[data-stat="tps"] .value').textContent());
  check(tps > 0, "transactions per second over the last minute is above zero", `got ${tps}`);
  await shoot(page, "desktop-home");

  // Follow a link from the home page to a transaction.
  await page.locator("#latest-transactions [data-tx]").first().click();
  await see(heading(page, "Transaction"), "a home page link opens a transaction page");
  check(page.url().includes("#/tx/0x"), "the transaction page has a hash route", page.url());

  // The first transfer's page: status, parties, value, fee.
  await page.goto(`${API}/#/tx/${first.hash}`);
  await see(page.locator('[data-field="status"]', { hasText: "finalized" }), "the transfer is finalized");
  await see(page.locator('[data-field="value"]', { hasText: /^1\.5 ETH$/ }), "the transfer page shows its value");
  await see(page.locator(`[data-field="to"] [data-address="${ACCOUNT1.toLowerCase()}"]`), "the transfer page links its recipient");
  await see(page.locator('[data-field="fee"]', { hasText: /^0\.0000\d+ ETH$/ }), "the transfer page shows its fee");
  await shoot(page, "desktop-transaction");

  // Its block, then parent and child links.
  await page.locator(`dd [data-block="${firstReceipt.blockNumber}"]`).click();
  await see(heading(page, `Block #${firstReceipt.blockNumber}`), "the transaction links its block");
  await see(page.locator(`[data-tx="${first.hash}"]`), "the block lists the transaction");
  await see(page.locator('[data-field="signers"] [data-address]'), "the block names the validator that signed it");
  await see(page.locator('[data-field="time"]', { hasText: /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC$/ }), "the block's time is shown to the millisecond");
  await shoot(page, "desktop-block");
  await page.locator('[data-nav="parent"]').click();
  await see(heading(page, `Block #${firstReceipt.blockNumber - 1}`), "the parent link opens the previous block");
  await page.locator('[data-nav="child"]').click();
  await see(heading(page, `Block #${firstReceipt.blockNumber}`), "the child link opens the next block");
  await page.goto(`${API}/#/block/0`);
  await see(page.locator('[data-field="time"]', { hasText: "genesis: the chain spec's time" }), "the genesis block's time is named as the spec's");

  // The token transfer decodes; the reverted one says so.
  await page.goto(`${API}/#/tx/${tokenTx.hash}`);
  await see(page.locator('[data-decoded="transfer"]', { hasText: ACCOUNT1.toLowerCase() }), "the ERC-20 transfer input is decoded");
  await see(page.locator('[data-log] [data-decoded="Transfer"]', { hasText: "1000000000000000000000" }), "the ERC-20 Transfer log is decoded");
  await shoot(page, "desktop-token-transfer");
  await page.goto(`${API}/#/tx/${failing.hash}`);
  await see(page.locator('[data-field="status"]', { hasText: "reverted" }), "the reverted transfer shows it reverted");
  await see(page.locator('[data-field="revert"]', { hasText: "insufficient balance" }), "the reverted transfer shows its revert reason");

  // The sender's account: balance, nonce, three pages of history, token transfers out.
  await page.goto(`${API}/#/tx/${first.hash}`);
  await page.locator('[data-field="from"] a').click();
  await see(heading(page, "Account"), "the sender link opens the account page");
  await see(page.locator('[data-field="nonce"]', { hasText: new RegExp(`^${nonce}$`) }), `the account's nonce is ${nonce}`);
  await see(page.locator('[data-field="balance"]', { hasText: / ETH$/ }), "the account shows its balance in ETH");
  const rows = page.locator("#history tbody tr");
  await see(page.locator('[data-pager="history"] [data-page="1"]'), "history starts on page 1");
  check((await rows.count()) === 10, "history page 1 holds ten transactions", `got ${await rows.count()}`);
  const newest = await rows.first().locator("[data-tx]").getAttribute("data-tx");
  check(newest === batch[BATCH - 1].hash, "history is newest first", `got ${newest}`);
  await see(page.locator(`#transfers-out [data-tx="${tokenTx.hash}"]`), "the token transfer is listed as a transfer out");
  check((await page.locator("#staking").count()) === 0, "a dev chain's account page has no staking panel");
  check((await page.locator("#permission").count()) === 0, "a public chain's account page has no permission mark");
  await shoot(page, "desktop-account");
  await page.locator('[data-pager="history"] [data-action="next"]').click();
  await see(page.locator('[data-pager="history"] [data-page="2"]'), "next goes to history page 2");
  check((await rows.count()) === 10, "history page 2 holds ten transactions");
  await page.locator('[data-pager="history"] [data-action="next"]').click();
  await see(page.locator('[data-pager="history"] [data-page="3"]'), "next goes to history page 3");
  check((await rows.count()) === nonce - 20, `the last page holds the remaining ${nonce - 20}`);
  check(await page.locator('[data-pager="history"] [data-action="next"]').isDisabled(), "the last page has no next");
  await see(page.locator(`#history [data-tx="${first.hash}"]`), "the oldest transaction is on the last page");
  await page.locator('[data-pager="history"] [data-action="previous"]').click();
  await see(page.locator('[data-pager="history"] [data-page="2"]'), "previous goes back to page 2");

  // The recipient sees the token transfer coming in; the contract shows its code.
  await page.goto(`${API}/#/address/${ACCOUNT1}`);
  await see(page.locator(`#transfers-in [data-tx="${tokenTx.hash}"]`), "the recipient lists the token transfer in");
  await page.goto(`${API}/#/address/${tokenAddress}`);
  await see(heading(page, "Contract"), "the token's page says contract");
  await see(page.locator('[data-field="code-size"]', { hasText: /^[1-9][0-9,]* bytes$/ }), "the contract page shows its code size");
  await shoot(page, "desktop-contract");

  // Search: hits and misses.
  const search = async (query) => {
    await page.locator("#search-input").fill(query);
    await page.locator("#search-input").press("Enter");
  };
  await search(String(firstReceipt.blockNumber));
  await see(heading(page, `Block #${firstReceipt.blockNumber}`), "search by block number opens the block");
  await search(firstReceipt.blockHash);
  await see(heading(page, `Block #${firstReceipt.blockNumber}`), "search by block hash opens the block");
  await search(tokenTx.hash);
  await see(heading(page, "Transaction"), "search by transaction hash opens the transaction");
  await search(ACCOUNT1);
  await see(heading(page, "Account"), "search by address opens the account");
  await search("hello world");
  await see(page.locator("#not-found", { hasText: "hello world" }), "search for text says not found");
  await shoot(page, "desktop-not-found");
  await search(`0x${"12".repeat(32)}`);
  await see(page.locator("#not-found", { hasText: "0x1212" }), "search for an unknown hash says not found");
  await search("99999999");
  await see(page.locator('[role="alert"]', { hasText: "Not found" }), "search for a future block says not found");

  // Readable API errors, and the validators page.
  await page.goto(`${API}/#/address/0x1234`);
  await see(page.locator('[role="alert"]', { hasText: "HTTP 400" }), "a malformed address shows the API's error");
  await page.locator("nav a", { hasText: "Validators" }).click();
  await see(heading(page, "Validators"), "the validators page opens from the menu");
  await see(page.locator("#validator-set tbody tr [data-address]"), "the validators page lists the dev validator");
  await see(page.locator("#evidence", { hasText: "No equivocation" }), "the validators page shows no equivocation evidence");
  const stakingParts = await page.locator("#epoch, #candidates, #projected, #slashes, [data-status]").count();
  check(stakingParts === 0, "a dev chain's validators page shows no staking parts", `found ${stakingParts}`);
  check((await page.locator("#validator-set th").count()) === 6, "its set table keeps its six columns");
  await shoot(page, "desktop-validators");
  check(await page.locator("#nav-governance").isHidden(), "a public chain's nav offers no governance page");
  await page.goto(`${API}/#/governance`);
  await see(page.locator("#not-governed", { hasText: "not governed" }), "the governance route says a public chain is not governed");

  // Phone width: no page scrolls sideways.
  const phone = await newPage(browser, { width: 390, height: 844 }, problems);
  const pages = [
    ["home", "/", heading(phone, "Chain overview"), phone.locator("#latest-blocks table")],
    ["block", `/#/block/${firstReceipt.blockNumber}`, heading(phone, `Block #${firstReceipt.blockNumber}`), phone.locator(`[data-tx="${first.hash}"]`)],
    ["transaction", `/#/tx/${first.hash}`, heading(phone, "Transaction"), phone.locator('[data-field="status"]')],
    ["token-transfer", `/#/tx/${tokenTx.hash}`, heading(phone, "Transaction"), phone.locator("[data-log]")],
    ["account", `/#/address/${wallet0.address}`, heading(phone, "Account"), phone.locator("#history table")],
    ["contract", `/#/address/${tokenAddress}`, heading(phone, "Contract"), phone.locator("#transfers-in table, #transfers-in .empty")],
    ["validators", "/#/validators", heading(phone, "Validators"), phone.locator("#validator-set table")],
    ["not-found", "/#/search/nothing", heading(phone, "Not found"), phone.locator("#not-found")],
  ];
  for (const [name, route, title, content] of pages) {
    await phone.goto(`${API}${route}`);
    await see(title, `phone: the ${name} page opens`);
    await content.first().waitFor({ state: "visible" });
    await fitsPhone(phone, name);
    await shoot(phone, `phone-${name}`);
  }

  check(problems.length === 0, "no script errors and no Content-Security-Policy refusals", problems.join("; "));
  console.log("ok: explorer flow done");
}

runFlow(RPC, shots, run);
