// The explorer's entry: hash routes (#/block/12, #/tx/0x…, #/address/0x…, #/validators,
// #/governance, #/governance/proposals/3, #/search/…) so the server needs no fallback rules,
// one page at a time, the search box, and the governance link on governed chains.

import { ApiError, get } from "./api";
import { account } from "./account";
import { block } from "./block";
import { fill, h } from "./dom";
import { governance, governed, proposal } from "./governance";
import { home } from "./home";
import { transaction } from "./tx";
import { validators } from "./validators";
import { Visit, errorBox } from "./view";

const HASH = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const NUMBER = /^[0-9]{1,20}$/;

function notFound(main: HTMLElement, query: string): void {
  fill(
    main,
    h("h1", null, "Not found"),
    h("div", { class: "notice error", role: "alert", id: "not-found" },
      `Nothing matches “${query}”. Search takes a block number, a block hash, a transaction hash (0x and 64 hex digits) or an address (0x and 40 hex digits).`),
  );
}

/** Whether `path` answers (a 404 is false; other errors propagate). */
async function exists(path: string): Promise<boolean> {
  try {
    await get(path);
    return true;
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 400)) return false;
    throw error;
  }
}

/** Resolves a search: a 64-hex hash may name a transaction or a block. */
async function search(main: HTMLElement, query: string, visit: Visit): Promise<void> {
  if (NUMBER.test(query)) return go(`block/${query}`);
  if (ADDRESS.test(query)) return go(`address/${query}`);
  if (HASH.test(query)) {
    fill(main, h("p", { class: "muted" }, `Looking for ${query}…`));
    if (await exists(`/v1/transactions/${query}`)) return go(`tx/${query}`);
    if (await exists(`/v1/blocks/${query}`)) return go(`block/${query}`);
  }
  if (visit.alive) notFound(main, query);
}

/** Replaces the current route (the search result stands in for the search). */
function go(route: string): void {
  location.replace(`#/${route}`);
}

let visit = new Visit();

async function route(): Promise<void> {
  visit.leave();
  visit = new Visit();
  const current = visit;
  const main = document.getElementById("main") as HTMLElement;
  const [page = "", ...rest] = location.hash.replace(/^#\/?/, "").split("/");
  const arg = decodeURIComponent(rest.join("/"));
  fill(main, h("p", { class: "muted" }, "Loading…"));
  try {
    if (page === "") await home(main, current);
    else if (page === "block") await block(main, arg, current);
    else if (page === "tx") await transaction(main, arg, current);
    else if (page === "address") await account(main, arg, current);
    else if (page === "validators") await validators(main, current);
    else if (page === "governance" && rest.length === 0) await governance(main, current);
    else if (page === "governance" && rest.length === 2 && rest[0] === "proposals") await proposal(main, rest[1] ?? "", current);
    else if (page === "search") await search(main, arg.trim(), current);
    else notFound(main, location.hash);
  } catch (error) {
    const what = { block: `block ${arg}`, tx: `transaction ${arg}`, address: `account ${arg}`, governance: "governance" }[page] ?? "this page";
    if (current.alive) fill(main, h("h1", null, "Explorer"), errorBox(error, what));
  }
}

function start(): void {
  const form = document.getElementById("search") as HTMLFormElement;
  const input = document.getElementById("search-input") as HTMLInputElement;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = input.value.trim();
    if (query === "") return;
    input.value = "";
    const target = `#/search/${encodeURIComponent(query)}`;
    if (location.hash === target) void route();
    else location.hash = target;
  });
  window.addEventListener("hashchange", () => void route());
  void route();
  // The nav offers governance only where there is some; if the node cannot say, it stays hidden.
  governed().then((yes) => {
    (document.getElementById("nav-governance") as HTMLElement).hidden = !yes;
  }, () => undefined);
}

start();
