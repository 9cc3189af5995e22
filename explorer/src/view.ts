// Pieces every page shares: links to other pages, status badges, error messages, pagers.

import { ApiError } from "./api";
import { Child, h, link } from "./dom";
import { short } from "./format";

/** One visit of a page: async work checks `alive` before touching the DOM, and whatever
 * keeps running (streams, timers) registers its stop with `onLeave`. */
export class Visit {
  private stops: (() => void)[] = [];
  private left = false;

  get alive(): boolean {
    return !this.left;
  }

  onLeave(stop: () => void): void {
    this.stops.push(stop);
  }

  leave(): void {
    this.left = true;
    this.stops.forEach((stop) => stop());
  }
}

export function blockLink(number: number | string): HTMLElement {
  return link(`block/${number}`, `#${number}`, { "data-block": String(number) });
}

export function txLink(hash: string, full = false): HTMLElement {
  return link(`tx/${hash}`, full ? hash : short(hash), { class: "mono", "data-tx": hash });
}

export function addressLink(address: string | null, full = false): Child {
  if (address === null) return h("span", { class: "muted" }, "contract creation");
  return link(`address/${address}`, full ? address : short(address), {
    class: "mono",
    "data-address": address.toLowerCase(),
  });
}

/** A coloured word for a transaction's place in its life, or a receipt's outcome. */
export function badge(text: string, kind: string): HTMLElement {
  return h("span", { class: `badge ${kind}` }, text);
}

/** A readable message for anything a page's loading threw. */
export function errorBox(error: unknown, what: string): HTMLElement {
  if (error instanceof ApiError) {
    if (error.status === 404) {
      return h("div", { class: "notice error", role: "alert" }, h("strong", null, "Not found. "), `${what}: ${error.message}`);
    }
    const status = error.status === 0 ? "" : ` (HTTP ${error.status})`;
    return h("div", { class: "notice error", role: "alert" }, h("strong", null, `Could not load ${what}${status}. `), error.message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return h("div", { class: "notice error", role: "alert" }, h("strong", null, `Could not show ${what}. `), message);
}

/** A note that this node's API lacks an endpoint the page would use. */
export function missing(endpoint: string, what: string): HTMLElement {
  return h(
    "div",
    { class: "notice" },
    `This node's API has no ${endpoint} yet, so ${what} cannot be shown.`,
  );
}

/** Cursor pages: remembers the cursors that led here so "Previous" can go back. */
export class Pager {
  private cursors: (string | null)[] = [null];

  get current(): string | null {
    return this.cursors[this.cursors.length - 1] ?? null;
  }

  get page(): number {
    return this.cursors.length;
  }

  forward(next: string): void {
    this.cursors.push(next);
  }

  back(): void {
    if (this.cursors.length > 1) this.cursors.pop();
  }

  /** Back to the first page (when what is listed changes, e.g. a filter). */
  reset(): void {
    this.cursors = [null];
  }

  /** Previous / page number / Next buttons; `next` is the cursor of the page after this. */
  controls(name: string, next: string | null, go: () => void): HTMLElement {
    return h(
      "div",
      { class: "pager", "data-pager": name },
      h("button", {
        type: "button",
        "data-action": "previous",
        disabled: this.page === 1,
        onclick: () => {
          this.back();
          go();
        },
      }, "← Previous"),
      h("span", { class: "muted", "data-page": String(this.page) }, `Page ${this.page}`),
      h("button", {
        type: "button",
        "data-action": "next",
        disabled: next === null,
        onclick: () => {
          if (next === null) return;
          this.forward(next);
          go();
        },
      }, "Next →"),
    );
  }
}

/** `path` with `cursor` added as a query parameter when there is one. */
export function withCursor(path: string, cursor: string | null): string {
  if (cursor === null) return path;
  return `${path}${path.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(cursor)}`;
}
