// What the explorer's browser flows (explorer_flow.mjs, explorer_pos_flow.mjs) share: Debian's
// chromium driven by playwright-core, checks that print one "ok:" line each, pages that
// record script errors and Content-Security-Policy refusals, and full-page screenshots.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { JsonRpcProvider } from "ethers";
import { chromium } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
/** How long any one page condition may take: generous, for two busy cores. */
export const WAIT_MS = 60_000;

/** A failed check: the flow prints "FAIL: ..." and exits 1. */
export class CheckFailed extends Error {}

export function check(condition, what, detail = "") {
  if (!condition) throw new CheckFailed(`${what}${detail ? `: ${detail}` : ""}`);
  console.log(`ok: ${what}`);
}

/** Waits until `locator` is visible, then records the check. */
/** The REST API at `base` as the flows read it: `api(path)` answers a GET (which must
 * succeed), `until(path, test, what)` polls `path` until `test` holds of its answer. */
export function restClient(base) {
  async function api(path) {
    const response = await fetch(`${base}${path}`, { headers: { accept: "application/json" } });
    check(response.ok, `GET ${path} answers`, `HTTP ${response.status}`);
    return response.json();
  }
  async function until(path, test, what, limitMs = 2 * WAIT_MS) {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const answer = await (await fetch(`${base}${path}`)).json();
      if (test(answer)) {
        console.log(`ok: ${what}`);
        return answer;
      }
      if (Date.now() > deadline) throw new CheckFailed(`${what}: still ${JSON.stringify(answer).slice(0, 400)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  return { api, until };
}

export async function see(locator, what) {
  try {
    await locator.first().waitFor({ state: "visible", timeout: WAIT_MS });
  } catch (error) {
    throw new CheckFailed(`${what}: ${error.message.split("\n")[0]}`);
  }
  console.log(`ok: ${what}`);
}

/** The page's heading once it reads `text` exactly. */
export function heading(page, text) {
  return page.locator("h1", { hasText: new RegExp(`^${text.replace(/[#()]/g, "\\$&")}$`) });
}

/** Headless chromium with nothing running beside the pages. */
function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** A page that records script errors and Content-Security-Policy refusals in `problems`. */
export async function newPage(browser, viewport, problems) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.on("pageerror", (error) => problems.push(`script error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy|Refused to/.test(message.text())) {
      problems.push(`console: ${message.text()}`);
    }
  });
  return page;
}

/** Full-page screenshots into one directory; `print` lists their paths. */
export class Shots {
  constructor(dir) {
    mkdirSync(dir, { recursive: true });
    this.dir = dir;
    this.paths = [];
  }

  async shoot(page, name) {
    const path = join(this.dir, `${name}.png`);
    await page.screenshot({ path, fullPage: true });
    this.paths.push(path);
  }

  print() {
    for (const path of this.paths) console.log(`screenshot: ${path}`);
  }
}

/** Checks that the page at 390 px does not scroll sideways. */
export async function fitsPhone(page, name) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  check(scroll <= width, `phone: the ${name} page fits 390 px`, `scrollWidth ${scroll} > ${width}`);
}

/**
 * Runs a flow: `run(browser, provider)` against the node's JSON-RPC at `rpc`, then closes both
 * and prints the screenshots taken; a failed check prints "FAIL: ..." and exits with status 1.
 */
export function runFlow(rpc, shots, run) {
  const main = async () => {
    const provider = new JsonRpcProvider(rpc, undefined, { cacheTimeout: -1 });
    provider.pollingInterval = 200;
    const browser = await launch();
    try {
      await run(browser, provider);
    } finally {
      await browser.close();
      provider.destroy();
      shots.print();
    }
  };
  main().catch((error) => {
    console.error(error instanceof CheckFailed ? `FAIL: ${error.message}` : error);
    process.exit(1);
  });
}
