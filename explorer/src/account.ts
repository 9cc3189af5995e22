// Account or contract: balance, nonce, code size, paged history, token transfers in and out,
// on a proof-of-stake chain its stake, and on a governed chain what it may do (a non-member
// is marked: it cannot transact).

import { Account, Delegations, EventPage, Page, Permissions, Transaction, get, getOptional } from "./api";
import { TRANSFER_TOPIC, addressTopic, decodeLog } from "./abi";
import { Child, fill, h, link, table } from "./dom";
import { governed } from "./governance";
import { count, eth, utc } from "./format";
import { Pager, Visit, addressLink, badge, blockLink, errorBox, txLink, withCursor } from "./view";

/** Rows per page of the history and of each transfer list. */
const PAGE = 10;

function history(address: string, visit: Visit): HTMLElement {
  const section = h("section", { class: "panel", id: "history" }, h("h2", null, "Transactions"));
  const pager = new Pager();
  const show = async () => {
    try {
      const page = await get<Page<Transaction>>(withCursor(`/v1/accounts/${address}/transactions?limit=${PAGE}`, pager.current));
      if (!visit.alive) return;
      const me = address.toLowerCase();
      fill(
        section,
        h("h2", null, "Transactions"),
        table(
          ["Hash", "Block", "Direction", "Counterparty", "Value", "Result"],
          page.items.map((tx) => {
            const out = tx.from.toLowerCase() === me;
            return [
              txLink(tx.hash),
              tx.position ? blockLink(tx.position.block_number) : "—",
              out ? badge("out", "included") : badge("in", "finalized"),
              addressLink(out ? tx.to : tx.from),
              eth(tx.value),
              tx.receipt?.success === false ? badge("reverted", "failed") : badge("success", "finalized"),
            ];
          }),
          "No transactions yet.",
        ),
        page.next !== null || pager.page > 1 ? pager.controls("history", page.next, show) : null,
      );
    } catch (error) {
      if (visit.alive) fill(section, h("h2", null, "Transactions"), errorBox(error, "the account's history"));
    }
  };
  void show();
  return section;
}

function transfers(address: string, direction: "in" | "out", visit: Visit): HTMLElement {
  const title = direction === "in" ? "Token transfers in" : "Token transfers out";
  const topic = direction === "in" ? "topic2" : "topic1";
  const section = h("section", { class: "panel", id: `transfers-${direction}` }, h("h2", null, title));
  const pager = new Pager();
  const show = async () => {
    try {
      const path = `/v1/events?topic0=${TRANSFER_TOPIC}&${topic}=${addressTopic(address)}&limit=${PAGE}`;
      const page = await get<EventPage>(withCursor(path, pager.current));
      if (!visit.alive) return;
      fill(
        section,
        h("h2", null, title),
        h("p", { class: "muted" }, `ERC-20 and ERC-721 Transfer events in blocks ${page.from_block} to ${page.to_block}, oldest first.`),
        table(
          ["Transaction", "Time", "Token", direction === "in" ? "From" : "To", "Amount or token id"],
          page.items.map((event) => {
            const decoded = decodeLog(event.topics, event.data);
            const other = decoded?.args[direction === "in" ? 0 : 1]?.value ?? null;
            const amount = decoded?.args[2];
            return [
              txLink(event.transaction_hash),
              utc(event.block_timestamp),
              addressLink(event.address),
              addressLink(other),
              amount ? (decoded?.standard === "ERC-721" ? `token #${amount.value}` : count(amount.value)) : "—",
            ];
          }),
          "No token transfers.",
        ),
        page.next !== null || pager.page > 1 ? pager.controls(`transfers-${direction}`, page.next, show) : null,
      );
    } catch (error) {
      if (visit.alive) fill(section, h("h2", null, title), errorBox(error, "token transfers"));
    }
  };
  void show();
  return section;
}

/** The account's delegations, unbonding stake and rewards; nothing where the node's chain
 * has no staking (the endpoint answers 404). */
function staking(address: string, visit: Visit): HTMLElement {
  const slot = h("div", { id: "staking-slot" });
  const show = async () => {
    try {
      const held = await getOptional<Delegations>(`/v1/staking/delegations/${address}`);
      if (!visit.alive || held === null) return;
      fill(
        slot,
        h("section", { class: "panel", id: "staking" },
          h("h2", null, "Staking"),
          h("dl", { class: "fields" },
            h("dt", null, "Staked"), h("dd", { "data-field": "total-staked" }, eth(held.total_staked)),
            h("dt", null, "Pending rewards"), h("dd", { "data-field": "total-pending-rewards" }, eth(held.total_pending_rewards)),
            h("dt", null, "Unbonding"), h("dd", { "data-field": "total-unbonding" }, eth(held.total_unbonding)),
            h("dt", null, "Epoch"), h("dd", { "data-field": "epoch" }, `${held.epoch} (at block ${held.height})`),
          ),
          h("h3", null, "Delegations"),
          table(
            ["Validator", "Stake", "Pending rewards"],
            held.delegations.map((d) => [addressLink(d.validator), eth(d.stake), eth(d.pending_rewards)]),
            "No delegations.",
          ),
          h("h3", null, "Unbonding"),
          table(
            ["Validator", "Amount", "Started in epoch", "Withdrawable from epoch", "Withdrawable now"],
            held.unbonding.map((u) => [
              addressLink(u.validator),
              eth(u.amount),
              String(u.start_epoch),
              String(u.completion_epoch),
              u.withdrawable ? badge("yes", "finalized") : badge("not yet", "pending"),
            ]),
            "No unbonding stake.",
          ),
        ),
      );
    } catch (error) {
      if (visit.alive) fill(slot, h("section", { class: "panel", id: "staking" }, h("h2", null, "Staking"), errorBox(error, "the account's stake")));
    }
  };
  void show();
  return slot;
}

/** The account's standing in a governed chain: its organisation and role, whether it may send
 * transactions and create contracts; a non-member that may not transact is marked at the top.
 * Nothing on a public chain. */
function permissions(address: string, visit: Visit): HTMLElement {
  const slot = h("div", { id: "permission-slot" });
  const yesNo = (yes: boolean): Child => (yes ? badge("yes", "finalized") : badge("no", "failed"));
  const show = async () => {
    try {
      if (!(await governed())) return;
      const p = await get<Permissions>(`/v1/governance/permissions/${address}`);
      if (!visit.alive) return;
      const role = p.role === "none"
        ? badge(p.can_transact ? "not a member" : "not a member (cannot transact)", "failed")
        : badge(p.role === "admin" ? "admin" : "member", p.role === "admin" ? "included" : "finalized");
      fill(
        slot,
        h("section", { class: "panel", id: "permission", "data-role": p.role, "data-can-transact": String(p.can_transact) },
          h("h2", null, "Permission ", h("span", { id: "permission-mark" }, role, p.deployer ? [" ", badge("deployer", "included")] : null)),
          h("dl", { class: "fields" },
            h("dt", null, "Organisation"),
            h("dd", { "data-field": "organisation" }, p.organisation === null
              ? h("span", { class: "muted" }, "none")
              : [link("governance", p.organisation.name, { class: "org-name" }), h("span", { class: "muted" }, ` · organisation #${p.organisation.id}`)]),
            h("dt", null, "May send transactions"),
            h("dd", { "data-field": "can-transact" }, yesNo(p.can_transact), p.permission_accounts ? null : h("span", { class: "muted" }, " (account permissioning is off)")),
            h("dt", null, "May create contracts"),
            h("dd", { "data-field": "can-deploy" }, yesNo(p.can_deploy), p.permission_deployers ? null : h("span", { class: "muted" }, " (deployer permissioning is off)")),
            h("dt", null, "At block"), h("dd", null, blockLink(p.height)),
          ),
        ),
      );
    } catch (error) {
      if (visit.alive) fill(slot, h("section", { class: "panel", id: "permission" }, h("h2", null, "Permission"), errorBox(error, "the account's permission")));
    }
  };
  void show();
  return slot;
}

export async function account(main: HTMLElement, address: string, visit: Visit): Promise<void> {
  const view = await get<Account>(`/v1/accounts/${encodeURIComponent(address)}`);
  if (!visit.alive) return;
  fill(
    main,
    h("h1", null, view.is_contract ? "Contract" : "Account"),
    permissions(view.address, visit),
    h("section", { class: "panel" },
      h("dl", { class: "fields" },
        h("dt", null, "Address"), h("dd", { class: "mono" }, view.address),
        h("dt", null, "Balance"), h("dd", { "data-field": "balance" }, eth(view.balance)),
        h("dt", null, "Nonce"), h("dd", { "data-field": "nonce" }, String(view.nonce)),
        h("dt", null, "Kind"), h("dd", null, view.is_contract ? "contract" : "externally owned account"),
        h("dt", null, "Code size"), h("dd", { "data-field": "code-size" }, view.code_size === undefined ? (view.is_contract ? "not reported by this node's API" : "0 bytes") : `${count(view.code_size)} bytes`),
        view.is_contract ? [h("dt", null, "Code hash"), h("dd", { class: "mono" }, view.code_hash)] : null,
      ),
    ),
    staking(view.address, visit),
    history(view.address, visit),
    h("div", { class: "columns" }, transfers(view.address, "in", visit), transfers(view.address, "out", visit)),
  );
}
