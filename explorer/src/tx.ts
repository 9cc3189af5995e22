// Transaction: where it is in its life, who paid whom, what it cost, its decoded input and logs.

import { Log, Receipt, Transaction, get } from "./api";
import { Decoded, decodeCall, decodeLog } from "./abi";
import { Child, fill, h, table } from "./dom";
import { count, eth, gwei, hexBytes, units } from "./format";
import { Visit, addressLink, badge, blockLink } from "./view";

/** How often a pending transaction's page looks again for its block. */
const PENDING_POLL_MS = 2_000;

function decodedView(decoded: Decoded): HTMLElement {
  return h(
    "div",
    { class: "decoded", "data-decoded": decoded.signature.split("(")[0] },
    h("div", null, h("code", null, decoded.signature), " ", h("span", { class: "muted" }, decoded.standard)),
    table(
      ["Argument", "Value"],
      decoded.args.map((arg) => [
        arg.name,
        arg.kind === "address" ? addressLink(arg.value, true) : arg.kind === "uint256" ? h("span", { class: "mono" }, arg.value, arg.name === "amount" ? h("span", { class: "muted" }, ` (${units(arg.value, 18)} at 18 decimals)`) : null) : h("span", { class: "mono wrap" }, arg.value),
      ]),
      "",
    ),
  );
}

function logView(log: Log, index: number): HTMLElement {
  const decoded = decodeLog(log.topics, log.data);
  return h(
    "div",
    { class: "log", "data-log": String(index) },
    h("div", null, h("strong", null, `Log ${index}`), " from ", addressLink(log.address, true)),
    decoded
      ? decodedView(decoded)
      : h("div", { class: "mono wrap" }, log.topics.map((t, i) => h("div", null, `topic${i}: ${t}`)), h("div", null, `data: ${log.data}`)),
  );
}

function statusView(tx: Transaction): Child {
  const life = badge(tx.status, tx.status);
  if (!tx.receipt) return life;
  return [life, " ", tx.receipt.success ? badge("success", "finalized") : badge("reverted", "failed")];
}

/** Why a failed transaction failed: the decoded reason, else a custom error's selector and data. */
function revertView(receipt: Receipt): Child {
  if (receipt.revert_reason) return h("span", { class: "mono" }, receipt.revert_reason);
  if (receipt.revert_data && receipt.revert_data.length >= 10) {
    return [
      "custom error ",
      h("span", { class: "mono" }, receipt.revert_data.slice(0, 10)),
      h("details", null, h("summary", null, `${hexBytes(receipt.revert_data)} bytes`), h("div", { class: "mono wrap" }, receipt.revert_data)),
    ];
  }
  return h("span", { class: "muted" }, "no reason given (it reverted without data, or ran out of gas)");
}

export async function transaction(main: HTMLElement, hash: string, visit: Visit): Promise<void> {
  const tx = await get<Transaction>(`/v1/transactions/${encodeURIComponent(hash)}`);
  if (!visit.alive) return;
  const receipt = tx.receipt;
  const decoded = decodeCall(tx.input);
  const fee = receipt ? BigInt(receipt.gas_used) * BigInt(receipt.effective_gas_price) : null;
  const revert = receipt && !receipt.success ? revertView(receipt) : null;
  fill(
    main,
    h("h1", null, "Transaction"),
    h("section", { class: "panel" },
      h("dl", { class: "fields" },
        h("dt", null, "Hash"), h("dd", { class: "mono" }, tx.hash),
        h("dt", null, "Status"), h("dd", { "data-field": "status" }, statusView(tx)),
        revert ? [h("dt", null, "Revert reason"), h("dd", { "data-field": "revert" }, revert)] : null,
        h("dt", null, "Block"), h("dd", null, tx.position ? [blockLink(tx.position.block_number), ` (index ${tx.position.index})`] : h("span", { class: "muted" }, "waiting in the mempool")),
        h("dt", null, "From"), h("dd", { "data-field": "from" }, addressLink(tx.from, true)),
        h("dt", null, "To"), h("dd", { "data-field": "to" }, addressLink(tx.to, true)),
        receipt?.contract_address ? [h("dt", null, "Created contract"), h("dd", null, addressLink(receipt.contract_address, true))] : null,
        h("dt", null, "Value"), h("dd", { "data-field": "value" }, eth(tx.value)),
        h("dt", null, "Fee"), h("dd", { "data-field": "fee" }, fee === null ? h("span", { class: "muted" }, `at most ${eth(BigInt(tx.max_fee_per_gas) * BigInt(tx.gas_limit))} (pending)`) : eth(fee)),
        h("dt", null, "Gas used / limit"), h("dd", null, `${receipt ? count(receipt.gas_used) : "—"} / ${count(tx.gas_limit)}`),
        h("dt", null, "Gas price"), h("dd", null, receipt ? gwei(receipt.effective_gas_price) : `max ${gwei(tx.max_fee_per_gas)}`),
        h("dt", null, "Nonce"), h("dd", null, String(tx.nonce)),
        h("dt", null, "Type"), h("dd", null, ["legacy (0)", "access list (1)", "dynamic fee (2)"][tx.type] ?? String(tx.type)),
      ),
    ),
    h("section", { class: "panel" },
      h("h2", null, "Input"),
      hexBytes(tx.input) === 0
        ? h("p", { class: "muted" }, "No input (a plain transfer).")
        : [decoded ? decodedView(decoded) : h("p", { class: "muted" }, "Not a known token call; raw bytes below."),
           h("details", null, h("summary", null, `${hexBytes(tx.input)} bytes`), h("div", { class: "mono wrap" }, tx.input))],
    ),
    h("section", { class: "panel" },
      h("h2", null, "Logs"),
      receipt === null
        ? h("p", { class: "muted" }, "Logs appear once the transaction is in a block.")
        : receipt.logs.length === 0
          ? h("p", { class: "muted empty" }, "No logs.")
          : receipt.logs.map(logView),
    ),
  );
  if (tx.status === "pending") {
    const timer = setTimeout(() => {
      if (visit.alive) transaction(main, hash, visit).catch(() => undefined);
    }, PENDING_POLL_MS);
    visit.onLeave(() => clearTimeout(timer));
  }
}
