// The explorer of a proof-of-stake network in a real browser: playwright-core drives Debian's
// chromium (headless) against node 0 of `cairn dev --validators 4 --consensus pos`, while this
// script stakes with ethers. Early in an epoch it registers a new validator (a fresh consensus
// key, its proof of possession signed with ethers) and delegates 500 ether to a genesis
// validator; the validators page then shows the epoch line, each member's status, stake, self
// stake, commission and jailed-until, the new validator among the candidates and both changes
// in the projected next set. After the epoch's end the set carries them. The delegator's
// account page shows its stake, pending rewards and, after an undelegation, the unbonding
// entry, with the numbers the REST API answers. The new validator, whose key no node holds,
// is then jailed for downtime: the page shows it jailed until the block the API names, and
// the slashing panel its 1 ETH downtime slash. No page may overflow a 390 px screen, and no
// script error or Content-Security-Policy refusal may occur. Screenshots go to SCREENSHOT_DIR
// (named pos-*), their paths printed as "screenshot: PATH".
//
// Usage: node explorer_pos_flow.mjs API_URL RPC_URL SCREENSHOT_DIR EPOCH_LENGTH
// Prints one line per check; exits 1 with "FAIL: ..." on the first failed check.
import { Contract, SigningKey, Wallet, concat, formatEther, parseEther } from "ethers";
import { Shots, check, fitsPhone, heading, newPage, restClient, runFlow, see } from "./explorer_browser.mjs";

const [API, RPC, SHOTS, EPOCH_LENGTH] = process.argv.slice(2);
if (!API || !RPC || !SHOTS || !EPOCH_LENGTH) {
  console.error("usage: node explorer_pos_flow.mjs API_URL RPC_URL SCREENSHOT_DIR EPOCH_LENGTH");
  process.exit(2);
}
const E = Number(EPOCH_LENGTH);
const STAKING = "0x0000000000000000000000000000000000001000";
const STAKING_ABI = [
  "function delegate(address validator) payable",
  "function undelegate(address validator, uint256 amount)",
  "function registerValidator(bytes consensusPublicKey, bytes proofOfPossession, uint16 commissionBps) payable returns (address)",
  "function popDigest(address operator) view returns (bytes32)",
];
/** Dev accounts 5 and 6: a delegator and the new validator's operator, with no other role. */
const DELEGATOR_KEY = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";
const OPERATOR_KEY = "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e";
/** The new validator's consensus key: no node holds it, so it never signs. */
const CONSENSUS_KEY = "0x4c0883a69102937d6231471b5dbb6204fe512961708279f2e3e8a5d4b8e3e2a1";
/** How long the never-signing validator may take to be jailed: it must first be a member for
 * a whole signing window (100 blocks of 500 ms), longer on two busy cores. */
const JAIL_WAIT_MS = 300_000;
const shots = new Shots(SHOTS);

const { api, until } = restClient(API);

/** The table row of `section` that links `address`. */
function row(page, section, address) {
  return page.locator(`${section} tbody tr`, { has: page.locator(`[data-address="${address.toLowerCase()}"]`) });
}

/** The ETH the explorer prints for `wei`: grouped whole ether, exact decimals. */
function eth(wei) {
  const [whole, fraction] = formatEther(wei).split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === "0" ? `${grouped} ETH` : `${grouped}.${fraction} ETH`;
}

async function run(browser, provider) {
  const problems = [];
  const page = await newPage(browser, { width: 1280, height: 900 }, problems);
  const delegator = new Wallet(DELEGATOR_KEY, provider);
  const operator = new Wallet(OPERATOR_KEY, provider);
  const consensus = new SigningKey(CONSENSUS_KEY);
  const candidate = new Wallet(CONSENSUS_KEY).address.toLowerCase();

  // Stake early in an epoch, so the page sees the candidate before the epoch's end.
  const start = await until("/v1/validators", (v) => v.height >= 2 && (v.height % E) >= 1 && (v.height % E) <= 3, "an epoch has just begun");
  const genesis = start.validators.map((v) => v.address.toLowerCase()).sort();
  check(genesis.length === 4, "the set starts with the four genesis validators");
  const validator = start.validators[0].address.toLowerCase();
  const staking = new Contract(STAKING, STAKING_ABI, provider);
  const digest = await staking.popDigest(operator.address);
  const signature = consensus.sign(digest);
  const registered = await staking.connect(operator).registerValidator(
    consensus.compressedPublicKey,
    concat([signature.r, signature.s]),
    700,
    { value: parseEther("100") },
  );
  const delegated = await staking.connect(delegator).delegate(validator, { value: parseEther("500") });
  check((await registered.wait()).status === 1, "a new validator is registered with 100 ether at 7 %");
  check((await delegated.wait()).status === 1, "500 ether are delegated to a genesis validator");

  // Within the epoch: stake counts at once, power and membership from the next epoch.
  const now = await api("/v1/validators");
  check(now.epoch.number === start.epoch.number, "still the same epoch", `epoch ${now.epoch.number}`);
  await page.goto(`${API}/#/validators`);
  await see(heading(page, "Validators"), "the validators page opens");
  const { number, first_height: first, last_height: last } = now.epoch;
  await see(
    page.locator("#epoch", { hasText: `Epoch ${number} · blocks ${first}–${last} (${E} per epoch) · next set from block ${last + 1}` }),
    `the epoch line reads epoch ${number}, blocks ${first}–${last}, next set from ${last + 1}`,
  );
  check(last - first + 1 === E && first === number * E + 1, "the epoch's blocks agree with the epoch length");
  const member = row(page, "#validator-set", validator);
  await see(member.locator('[data-status="active"]'), "the delegated-to validator is active");
  await see(member.locator("td", { hasText: /^1,500 ETH$/ }), "its stake reads 1,500 ETH at once");
  await see(member.locator("td", { hasText: /^1,000 ETH$/ }), "its self stake reads 1,000 ETH");
  await see(member.locator("td", { hasText: /^5 %$/ }), "its commission reads 5 %");
  await see(member.locator("td", { hasText: /^1000$/ }), "its power is still 1000 within the epoch");
  check((await page.locator("#validator-set tbody tr").count()) === 4, "the set still has four members");
  check((await page.locator("#validator-set th", { hasText: "Jailed until" }).count()) === 1, "the set table has a jailed-until column");
  const waiting = row(page, "#candidates", candidate);
  await see(waiting.locator('[data-status="candidate"]'), "the new validator is listed as a candidate");
  await see(waiting.locator(`[data-address="${operator.address.toLowerCase()}"]`), "the candidate names its operator");
  await see(waiting.locator("td", { hasText: /^100 ETH$/ }), "the candidate's stake reads 100 ETH");
  await see(waiting.locator("td", { hasText: /^7 %$/ }), "the candidate's commission reads 7 %");
  await see(row(page, "#projected", validator).locator("td", { hasText: "1000 → 1500" }), "the projected set raises the delegated-to validator to 1500");
  await see(row(page, "#projected", candidate).locator(".badge", { hasText: "joins" }), "the projected set has the candidate join with power 100");
  await see(row(page, "#projected", candidate).locator("td", { hasText: /^100$/ }), "the candidate's projected power is 100");
  await shots.shoot(page, "pos-desktop-validators-in-epoch");

  // After the epoch's end the set carries both changes.
  await until(
    "/v1/validators",
    (v) => v.validators.some((m) => m.address.toLowerCase() === candidate) && v.validators.some((m) => m.address.toLowerCase() === validator && m.power === 1500),
    "the next epoch's set has the new validator and the raised power",
  );
  await page.reload();
  await see(row(page, "#validator-set", validator).locator("td", { hasText: /^1500$/ }), "the validators page shows power 1500 after the epoch's end");
  await see(row(page, "#validator-set", candidate).locator('[data-status="active"]'), "the new validator is an active member");
  check((await page.locator("#validator-set tbody tr").count()) === 5, "the set has five members");
  await see(page.locator("#candidates", { hasText: "No registered validator outside the set" }), "no candidate is left outside the set");
  await shots.shoot(page, "pos-desktop-validators");

  // The delegator's account: its stake and rewards, then an unbonding entry.
  const account = `${API}/#/address/${delegator.address}`;
  await until(`/v1/staking/delegations/${delegator.address}`, (d) => BigInt(d.total_pending_rewards) > 0n, "the delegator has earned rewards");
  await page.goto(account);
  await see(heading(page, "Account"), "the delegator's account page opens");
  await see(page.locator('#staking [data-field="total-staked"]', { hasText: /^500 ETH$/ }), "the staking panel shows 500 ETH staked");
  const position = row(page, "#staking", validator);
  await see(position.locator("td", { hasText: /^500 ETH$/ }), "the delegation to the validator reads 500 ETH");
  const rewards = await page.locator('#staking [data-field="total-pending-rewards"]').textContent();
  check(/^0\.\d+ ETH$|^[1-9][\d,]*(\.\d+)? ETH$/.test(rewards) && rewards !== "0 ETH", "pending rewards are above zero", rewards);
  await see(page.locator("#staking", { hasText: "No unbonding stake." }), "nothing is unbonding yet");

  const undelegated = await staking.connect(delegator).undelegate(validator, parseEther("100"));
  check((await undelegated.wait()).status === 1, "100 ether are undelegated");
  const held = await api(`/v1/staking/delegations/${delegator.address}`);
  const [entry] = held.unbonding;
  check(held.unbonding.length === 1 && entry.amount === parseEther("100").toString(), "the API lists one 100 ether unbonding entry");
  await page.reload();
  await see(page.locator('#staking [data-field="total-staked"]', { hasText: /^400 ETH$/ }), "the staking panel shows 400 ETH staked");
  await see(page.locator('#staking [data-field="total-unbonding"]', { hasText: /^100 ETH$/ }), "and 100 ETH unbonding");
  const leaving = row(page, "#staking", validator).filter({ hasText: "not yet" });
  await see(leaving.locator("td", { hasText: /^100 ETH$/ }), "the unbonding entry reads 100 ETH, not yet withdrawable");
  await see(leaving.locator("td", { hasText: new RegExp(`^${entry.completion_epoch}$`) }), `it is withdrawable from epoch ${entry.completion_epoch}`);
  check(eth(BigInt(held.total_staked)) === "400 ETH", "the API agrees: 400 ETH staked");
  await shots.shoot(page, "pos-desktop-account");

  // The new validator never signs: a whole window of misses jails it and slashes 1 % of its
  // bonded stake (the spec's defaults), which the validators page shows.
  const members = (v) => [...v.validators, ...v.candidates];
  const jailed = await until(
    "/v1/validators",
    (v) => members(v).some((m) => m.address.toLowerCase() === candidate && m.status === "jailed"),
    "the validator that never signs is jailed for downtime",
    JAIL_WAIT_MS,
  );
  const jailedUntil = members(jailed).find((m) => m.address.toLowerCase() === candidate).jailed_until;
  check(jailedUntil > jailed.height, "the API says it stays jailed past the head", `until ${jailedUntil}`);
  await page.goto(`${API}/#/validators`);
  const kept = page.locator("#validator-set tbody tr, #candidates tbody tr", { has: page.locator(`[data-address="${candidate}"]`) });
  await see(kept.locator('[data-status="jailed"]'), "the validators page shows it jailed");
  await see(kept.locator("td", { hasText: new RegExp(`^#${jailedUntil}$`) }), `jailed until block ${jailedUntil}`);
  await see(kept.locator("td", { hasText: /^99 ETH$/ }), "its stake reads 99 ETH after the slash");
  const slash = row(page, "#slashes", candidate);
  await see(slash.locator("td", { hasText: /^downtime$/ }), "the slashing panel lists its downtime slash");
  await see(slash.locator("td", { hasText: /^1 ETH$/ }), "1 ETH, 1 % of its 100 ETH, was slashed");
  await see(slash.locator("td", { hasText: /^0 ETH$/ }), "none of it from unbonding stake");
  await shots.shoot(page, "pos-desktop-validators-jailed");

  // Phone width: the wider tables scroll inside their panels, never the page.
  const phone = await newPage(browser, { width: 390, height: 844 }, problems);
  for (const [name, route, content] of [
    ["validators", "/#/validators", "#slashes table"],
    ["account", `/#/address/${delegator.address}`, "#staking table"],
  ]) {
    await phone.goto(`${API}${route}`);
    await phone.locator(content).first().waitFor({ state: "visible" });
    await fitsPhone(phone, `proof-of-stake ${name}`);
    await shots.shoot(phone, `pos-phone-${name}`);
  }

  check(problems.length === 0, "no script errors and no Content-Security-Policy refusals", problems.join("; "));
  console.log("ok: explorer proof-of-stake flow done");
}

runFlow(RPC, shots, run);
