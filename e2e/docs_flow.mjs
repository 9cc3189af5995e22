// The REST API's reference page at /docs in a real browser with every request to anywhere but
// the node refused, as on a machine without internet or behind a private network's firewall:
// playwright-core drives Debian's chromium (headless), aborts each non-local request and
// records it, and checks that the page renders the API's operations from the node's own
// OpenAPI document, with no script error and no Content-Security-Policy refusal.
//
// Usage: node docs_flow.mjs API_URL SCREENSHOT_DIR  (CHROMIUM overrides /usr/bin/chromium).
// Prints one line per check; exits 1 with "FAIL: ..." on the first failed check.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [API, SHOTS] = process.argv.slice(2);
if (!API || !SHOTS) {
  console.error("usage: node docs_flow.mjs API_URL SCREENSHOT_DIR");
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
/** How long the page may take to render: generous, for two busy cores and a 5 MB script. */
const WAIT_MS = 90_000;

class CheckFailed extends Error {}

function check(condition, what, detail = "") {
  if (!condition) throw new CheckFailed(`${what}${detail ? `: ${detail}` : ""}`);
  console.log(`ok: ${what}`);
}

async function main() {
  mkdirSync(SHOTS, { recursive: true });
  const origin = new URL(API).origin;
  const document = await (await fetch(`${API}/v1/openapi.json`)).json();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const refused = [];
    // Everything not from the node is refused before it leaves the browser.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin || url.startsWith("data:")) return route.continue();
      refused.push(url);
      return route.abort("blockedbyclient");
    });
    const page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
    const problems = [];
    page.on("pageerror", (error) => problems.push(`script error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" && /Content Security Policy|Refused to/.test(message.text())) {
        problems.push(`console: ${message.text()}`);
      }
    });
    const answer = await page.goto(`${API}/docs`);
    check(answer.status() === 200, "/docs answers 200");
    check(/default-src 'none'/.test(answer.headers()["content-security-policy"] ?? ""), "/docs carries a same-origin Content-Security-Policy");

    // The title and every tag of the document, then the operations of the first tag (open by
    // default) by their summaries.
    await page.getByText(document.info.title).first().waitFor({ state: "visible" });
    console.log(`ok: the page shows the API's title, "${document.info.title}"`);
    for (const tag of document.tags) {
      await page.getByText(tag.name, { exact: true }).first().waitFor({ state: "attached" });
    }
    console.log(`ok: the page lists all ${document.tags.length} tags`);
    const operations = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
    );
    const firstTag = document.tags[0].name;
    const shown = operations.filter(({ operation }) => (operation.tags ?? [])[0] === firstTag);
    check(shown.length > 0, `the first tag, ${firstTag}, has operations`);
    for (const { method, path, operation } of shown) {
      const summary = operation.summary ?? path;
      await page.getByText(summary, { exact: true }).first().waitFor({ state: "visible" });
      console.log(`ok: ${method.toUpperCase()} ${path} is rendered ("${summary}")`);
    }
    await page.getByText("/v1/status", { exact: true }).first().waitFor({ state: "visible" });
    console.log("ok: GET /v1/status shows its path");
    // Another tag opens from the sidebar and shows its operations too.
    const otherTag = document.tags[1].name;
    await page.getByText(otherTag, { exact: true }).first().click();
    for (const { method, path, operation } of operations.filter(({ operation }) => (operation.tags ?? [])[0] === otherTag)) {
      const summary = operation.summary ?? path;
      await page.getByText(summary, { exact: true }).first().waitFor({ state: "visible" });
      console.log(`ok: ${method.toUpperCase()} ${path} is rendered once ${otherTag} is opened`);
    }
    await page.screenshot({ path: join(SHOTS, "docs.png"), fullPage: false });
    console.log(`screenshot: ${join(SHOTS, "docs.png")}`);
    check(problems.length === 0, "no script error or Content-Security-Policy refusal", problems.join("; "));
    console.log(`   requests refused (not the node's): ${refused.length === 0 ? "none" : refused.join(", ")}`);
    console.log("ok: docs flow done");
  } finally {
    await browser.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof CheckFailed ? `FAIL: ${e.message}` : `FAIL: unexpected error: ${e.stack ?? e}`);
    process.exit(1);
  },
);
