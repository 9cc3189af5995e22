// Block: header, finality, the commit certificate's signers, transactions, parent and child.

import { BlockDetail, Page, Status, Transaction, Validators, get, getOptional } from "./api";
import { fill, h, link, table } from "./dom";
import { count, eth, gwei, utcMs } from "./format";
import { Pager, Visit, addressLink, badge, errorBox, txLink, withCursor } from "./view";

/** Transactions per page of a block's list. */
const PAGE = 25;

export async function block(main: HTMLElement, id: string, visit: Visit): Promise<void> {
  const [detail, status, validators] = await Promise.all([
    get<BlockDetail>(`/v1/blocks/${encodeURIComponent(id)}`),
    get<Status>("/v1/status"),
    getOptional<Validators>("/v1/validators").catch(() => null),
  ]);
  if (!visit.alive) return;
  const names = new Map<string, string>();
  for (const v of validators?.validators ?? []) if (v.name !== null) names.set(v.address.toLowerCase(), v.name);
  const final = detail.number <= status.finalized_height;
  const signers = detail.signers;
  const certificate =
    signers === undefined
      ? h("span", { class: "muted" }, "not reported by this node's API")
      : signers.length === 0
        ? h("span", { class: "muted" }, "none")
        : h("ul", { class: "signers" }, signers.map((address) => h("li", null, addressLink(address, true), names.has(address.toLowerCase()) ? ` (${names.get(address.toLowerCase())})` : "")));
  const parent = detail.number > 0 ? link(`block/${detail.number - 1}`, `#${detail.number - 1}`, { "data-nav": "parent" }) : h("span", { class: "muted" }, "none (genesis)");
  const child = detail.number < status.head.number ? link(`block/${detail.number + 1}`, `#${detail.number + 1}`, { "data-nav": "child" }) : h("span", { class: "muted" }, "none yet (this is the head)");
  const txs = h("section", { class: "panel" });
  fill(
    main,
    h("h1", null, `Block #${detail.number}`),
    h("section", { class: "panel" },
      h("dl", { class: "fields" },
        h("dt", null, "Finality"), h("dd", null, final ? badge("finalized", "finalized") : badge("not yet final", "included")),
        h("dt", null, "Hash"), h("dd", { class: "mono" }, detail.hash),
        h("dt", null, "Parent"), h("dd", null, parent, " ", h("span", { class: "mono muted" }, detail.parent_hash)),
        h("dt", null, "Child"), h("dd", null, child),
        h("dt", null, "Time"), h("dd", { "data-field": "time" }, utcMs(detail.timestamp_ms), detail.number === 0 ? h("span", { class: "muted" }, " (genesis: the chain spec's time)") : null),
        h("dt", null, "Transactions"), h("dd", null, String(detail.transaction_count)),
        h("dt", null, "Gas used / limit"), h("dd", null, `${count(detail.gas_used)} / ${count(detail.gas_limit)}`),
        h("dt", null, "Base fee"), h("dd", null, gwei(detail.base_fee_per_gas)),
        h("dt", null, "Beneficiary"), h("dd", null, addressLink(detail.beneficiary, true)),
        h("dt", null, "State root"), h("dd", { class: "mono" }, detail.state_root),
        h("dt", null, "Transactions root"), h("dd", { class: "mono" }, detail.transactions_root),
        h("dt", null, "Receipts root"), h("dd", { class: "mono" }, detail.receipts_root),
        h("dt", null, detail.signers?.length === 1 && validators?.consensus === "dev" ? "Signed by (dev proposer)" : "Commit certificate signers"), h("dd", { "data-field": "signers" }, certificate),
      ),
    ),
    txs,
  );

  const pager = new Pager();
  const show = async () => {
    const path = withCursor(`/v1/blocks/${detail.number}/transactions?limit=${PAGE}`, pager.current);
    try {
      const page = await get<Page<Transaction>>(path);
      if (!visit.alive) return;
      fill(
        txs,
        h("h2", null, "Transactions"),
        table(
          ["#", "Hash", "From", "To", "Value", "Result"],
          page.items.map((tx) => [
            String(tx.position?.index ?? ""),
            txLink(tx.hash),
            addressLink(tx.from),
            addressLink(tx.to),
            eth(tx.value),
            tx.receipt?.success === false ? badge("reverted", "failed") : badge("success", "finalized"),
          ]),
          "This block holds no transactions.",
        ),
        detail.transaction_count > PAGE ? pager.controls("block-transactions", page.next, show) : null,
      );
    } catch (error) {
      if (visit.alive) fill(txs, h("h2", null, "Transactions"), errorBox(error, "the block's transactions"));
    }
  };
  await show();
}
