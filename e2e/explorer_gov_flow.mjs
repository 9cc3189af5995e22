// The explorer of a governed chain in a real browser: playwright-core drives Debian's chromium
// (headless) against `cairn dev --network private`, while this script acts with ethers as the
// organisation's admin (dev account 0). The nav offers the governance page; it shows the
// organisation `dev` with its admin and members, the epoch and parameters in force, and no
// proposal yet. Dev account 8's page marks it "not a member (cannot transact)", and the node
// refuses its transfer. The admin then adds it as a member (no vote): the open governance page
// lists it without a reload, and its account page says member. A proposal to add an
// organisation whose name is markup (it must show as text, never run) passes with the one
// organisation's vote and is executed at the epoch's end: the page shows its votes, the
// effective height the API names, and the new organisation with its admin (dev account 9).
// Ten parameter proposals more make a second page of proposals; the status filter and the
// proposal's own page are checked too. No page may overflow a 390 px screen, and no script
// error or Content-Security-Policy refusal may occur. Screenshots go to SCREENSHOT_DIR (named
// gov-*), their paths printed as "screenshot: PATH".
//
// Usage: node explorer_gov_flow.mjs API_URL RPC_URL SCREENSHOT_DIR
// Prints one line per check; exits 1 with "FAIL: ..." on the first failed check.
import { Contract, Wallet, parseEther } from "ethers";
import { Shots, WAIT_MS, check, fitsPhone, heading, newPage, restClient, runFlow, see } from "./explorer_browser.mjs";

const [API, RPC, SHOTS] = process.argv.slice(2);
if (!API || !RPC || !SHOTS) {
  console.error("usage: node explorer_gov_flow.mjs API_URL RPC_URL SCREENSHOT_DIR");
  process.exit(2);
}
const GOVERNANCE = "0x0000000000000000000000000000000000001001";
const GOVERNANCE_ABI = [
  "function addMember(address account)",
  "function proposeAddOrganisation(string name, address[] admins) returns (uint64)",
  "function proposeParameter(uint8 parameter, uint64 value) returns (uint64)",
];
/** Dev account 0, the admin of `dev`. */
const ADMIN_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
/** Dev account 1, a member. */
const MEMBER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
/** Dev account 8, not a member. */
const OUTSIDER_KEY = "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97";
/** Dev account 9, not a member: the new organisation's admin. */
const NEWCOMER = "0xa0ee7a142d267c1f36714e4a8f75612f20a79720";
/** An organisation name that would run script if it were ever parsed as HTML. */
const MARKUP_NAME = `<img src=x onerror="window.__xss=1">Acme & Co`;
/** The voting-period parameter's number in `proposeParameter`. */
const VOTING_PERIOD = 3;
/** Proposals on the explorer's first page. */
const PAGE = 10;
const shots = new Shots(SHOTS);

const { api, until } = restClient(API);

/** The organisation panel whose name reads `name` exactly. */
function organisation(page, name) {
  return page.locator("#organisations section.org", { has: page.locator("h2 .org-name", { hasText: new RegExp(`^${escape(name)}$`) }) });
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The row of the proposals table for proposal `id`. */
function proposalRow(page, id) {
  return page.locator("#proposals tbody tr", { has: page.locator(`[data-proposal="${id}"]`) });
}

async function run(browser, provider) {
  const problems = [];
  const page = await newPage(browser, { width: 1280, height: 900 }, problems);
  const admin = new Wallet(ADMIN_KEY, provider);
  const outsider = new Wallet(OUTSIDER_KEY, provider);
  const governance = new Contract(GOVERNANCE, GOVERNANCE_ABI, admin);

  // The nav offers governance on a governed chain.
  await page.goto(`${API}/`);
  await see(page.locator("#nav-governance"), "the nav shows the governance link");
  await page.locator("#nav-governance").click();
  await see(heading(page, "Governance"), "the governance page opens");
  const start = await api("/v1/governance/organisations");
  check(start.organisations.length === 1 && start.organisations[0].name === "dev", "the API lists one organisation, dev");
  const dev = organisation(page, "dev");
  await see(dev, "the page shows the organisation dev");
  await see(dev.locator(`[data-role="admin"] [data-address="${admin.address.toLowerCase()}"]`), "dev account 0 is listed as dev's admin");
  await see(dev.locator(`[data-role="member"] [data-address="${MEMBER}"]`), "dev account 1 is listed as a member");
  check(await dev.locator(`[data-address="${outsider.address.toLowerCase()}"]`).count() === 0, "dev account 8 is not listed");
  const validators = start.organisations[0].validators;
  check(
    await dev.locator("h3", { hasText: `Validators (${validators.length}, power ` }).count() === 1,
    `the page counts dev's ${validators.length} validator(s) as the API does`,
  );
  const { epoch } = start;
  await see(page.locator("#gov-epoch", { hasText: `(${epoch.length} per epoch)` }), `the epoch line reads ${epoch.length} blocks per epoch`);
  await see(page.locator('[data-param="permission_accounts"]', { hasText: "on only members" }), "account permissioning reads on");
  await see(page.locator('[data-param="voting_period_blocks"]', { hasText: `${start.params.voting_period_blocks} blocks` }), "the voting period reads as the API says");
  await see(page.locator("#proposals", { hasText: "No proposals yet." }), "no proposal yet");
  await shots.shoot(page, "gov-desktop-start");

  // Dev account 8: marked, and refused by the node.
  const outsiderPage = `${API}/#/address/${outsider.address}`;
  await page.goto(outsiderPage);
  await see(heading(page, "Account"), "dev account 8's page opens");
  await see(page.locator('#permission[data-role="none"] #permission-mark', { hasText: "not a member (cannot transact)" }), "dev account 8 is marked not a member (cannot transact)");
  await see(page.locator('#permission [data-field="can-transact"]', { hasText: "no" }), "it may not send transactions");
  await shots.shoot(page, "gov-desktop-non-member");
  let refusal = "";
  try {
    await outsider.sendTransaction({ to: MEMBER, value: parseEther("1"), gasLimit: 21000n });
  } catch (error) {
    refusal = String(error?.message ?? error);
  }
  check(/account not permitted/.test(refusal), "the node refuses its transfer: account not permitted", refusal.slice(0, 200));
  await page.goto(`${API}/#/address/${admin.address}`);
  await see(page.locator('#permission[data-role="admin"] #permission-mark', { hasText: "admin" }), "dev account 0 is marked admin");
  await see(page.locator('#permission [data-field="organisation"]', { hasText: "dev" }), "of the organisation dev");
  await page.goto(`${API}/#/address/${MEMBER}`);
  await see(page.locator('#permission[data-role="member"] #permission-mark', { hasText: "member" }), "dev account 1 is marked member");

  // The admin adds dev account 8: the open governance page follows without a reload.
  await page.goto(`${API}/#/governance`);
  await see(dev.locator(`[data-role="admin"]`), "back on the governance page");
  check((await (await governance.addMember(outsider.address)).wait()).status === 1, "dev account 0 adds dev account 8 as a member");
  await see(dev.locator(`[data-role="member"] [data-address="${outsider.address.toLowerCase()}"]`), "the governance page lists dev account 8 as a member without a reload");
  await page.goto(outsiderPage);
  await see(page.locator('#permission[data-role="member"] #permission-mark', { hasText: "member" }), "dev account 8's page now says member");
  await see(page.locator('#permission [data-field="can-transact"]', { hasText: "yes" }), "and that it may send transactions");

  // A proposal to add an organisation named with markup: passed by the one vote, executed at
  // the epoch's end, shown as text.
  await page.goto(`${API}/#/governance`);
  await see(page.locator("#proposals", { hasText: "No proposals yet." }), "still no proposal");
  check((await (await governance.proposeAddOrganisation(MARKUP_NAME, [NEWCOMER])).wait()).status === 1, "dev account 0 proposes adding an organisation named with markup");
  const row = proposalRow(page, 1);
  await see(row.locator("td", { hasText: /^add-organisation$/ }), "proposal 1 appears live, an add-organisation");
  await see(row.locator(".changes .org-name", { hasText: MARKUP_NAME }), "its changes show the name as text");
  // Of the organisations that exist now: 2 once it executed (it may land in an epoch's last
  // block and execute at once), 1 before.
  await see(row.locator("[data-tally]", { hasText: /^1 yes · 0 no of [12]$/ }), "its tally reads 1 yes of the organisations");
  await see(row.locator('[data-vote-org="1"]', { hasText: "yes dev by" }), "its vote: yes, dev");
  await see(row.locator(`[data-vote-org="1"] [data-address="${admin.address.toLowerCase()}"]`), "cast by dev account 0");
  const executed = await until("/v1/governance/proposals/1", (p) => p.status === "executed", "the API says proposal 1 is executed", 4 * WAIT_MS);
  await see(row.locator('[data-status="executed"]'), "the page shows it executed without a reload");
  await see(row.locator("td", { hasText: `in force from #${executed.effective_height}` }), `in force from block ${executed.effective_height}, as the API says`);
  const acme = organisation(page, MARKUP_NAME);
  await see(acme, "the new organisation appears, its name as text");
  await see(acme.locator(`[data-role="admin"] [data-address="${NEWCOMER}"]`), "with dev account 9 as its admin");
  check(await page.locator("#main img").count() === 0, "no img element came out of the name");
  check(await page.evaluate(() => window.__xss) === undefined, "the name's onerror never ran");
  await shots.shoot(page, "gov-desktop-executed");

  // The proposal's own page.
  await row.locator('[data-proposal="1"]').click();
  await see(heading(page, "Proposal #1"), "the proposal's page opens");
  await see(page.locator("#proposal", { hasText: "add-organisation" }), "it names the kind");
  await see(page.locator('#proposal [data-status="executed"]'), "its status");
  await see(page.locator("#proposal .changes .org-name", { hasText: MARKUP_NAME }), "what it changes, the name as text");
  await see(page.locator('#proposal [data-vote-org="1"]', { hasText: "yes" }), "its vote");
  await see(page.locator("#proposal", { hasText: `in force from #${executed.effective_height}` }), "its effective height");
  await shots.shoot(page, "gov-desktop-proposal");

  // Ten parameter proposals more: the list pages, newest first; the filter narrows it.
  const period = BigInt(start.params.voting_period_blocks);
  let nonce = await provider.getTransactionCount(admin.address, "pending");
  const sent = [];
  for (let i = 0; i < PAGE; i++) sent.push(await governance.proposeParameter(VOTING_PERIOD, period, { nonce: nonce++ }));
  for (const tx of sent) check((await tx.wait()).status === 1, `parameter proposal ${tx.nonce} is made`);
  await page.goto(`${API}/#/governance`);
  await see(proposalRow(page, PAGE + 1).locator("td", { hasText: /^set-parameter$/ }), `proposal ${PAGE + 1} is first`);
  await see(proposalRow(page, PAGE + 1).locator(".changes", { hasText: `set voting_period_blocks to ${period} blocks` }), "it says what it sets");
  check(await page.locator("#proposals tbody tr").count() === PAGE, `the first page has ${PAGE} proposals`);
  check(await proposalRow(page, 1).count() === 0, "proposal 1 is not on the first page");
  await page.locator('[data-pager="proposals"] [data-action="next"]').click();
  await see(proposalRow(page, 1), "the next page has proposal 1");
  await see(page.locator('[data-pager="proposals"] [data-page="2"]'), "page 2");
  await page.locator("#proposal-status").selectOption("rejected");
  await see(page.locator("#proposals", { hasText: "No rejected proposals." }), "the status filter finds no rejected proposal");
  await page.locator("#proposal-status").selectOption("executed");
  await see(page.locator('#proposals [data-status="executed"]'), "the executed filter lists executed proposals");
  check(await page.locator('#proposals [data-status]:not([data-status="executed"])').count() === 0, "and only those");
  await shots.shoot(page, "gov-desktop-filtered");

  // Phone width: the tables scroll inside their panels, never the page.
  const phone = await newPage(browser, { width: 390, height: 844 }, problems);
  for (const [name, route, content] of [
    ["governance", "/#/governance", "#proposals table"],
    ["proposal", "/#/governance/proposals/1", "#proposal"],
    ["account", `/#/address/${outsider.address}`, "#permission"],
  ]) {
    await phone.goto(`${API}${route}`);
    await phone.locator(content).first().waitFor({ state: "visible" });
    await fitsPhone(phone, `governed ${name}`);
    await shots.shoot(phone, `gov-phone-${name}`);
  }

  check(problems.length === 0, "no script errors and no Content-Security-Policy refusals", problems.join("; "));
  console.log("ok: explorer governance flow done");
}

runFlow(RPC, shots, run);
