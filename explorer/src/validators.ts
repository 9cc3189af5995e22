// Validators: the set, voting power, last signed block, missed blocks and equivocations; on a
// proof-of-stake chain also the epoch, each member's stake, the candidates, the set the
// epoch's end would choose now and the slashes. Other chains' answers carry no staking
// fields, and then no staking part is shown.

import { Candidate, EventPage, SetMember, Validator, Validators, get, getOptional } from "./api";
import { Child, fill, h, table } from "./dom";
import { count, eth, units } from "./format";
import { Pager, Visit, addressLink, badge, blockLink, errorBox, missing, withCursor } from "./view";

/** The staking system contract, whose events the protocol's end-of-block calls emit. */
const STAKING = "0x0000000000000000000000000000000000001000";
/** keccak256 of "Slashed(address,uint8,uint64,uint256,uint256)". */
const SLASHED_TOPIC = "0xa39826cd1bcfb895a1cb9e228c33bc41a7b01217833f8adffdcc3299307333fc";
/** `Slashed`'s reason codes. */
const REASONS = ["double sign", "downtime"];
/** Slashes per page. */
const PAGE = 10;

/** A validator's staking status as a badge: green while it signs, red once punished. */
function statusBadge(status: string): HTMLElement {
  const kind = { active: "finalized", candidate: "included", unbonding: "pending" }[status] ?? "failed";
  return h("span", { "data-status": status }, badge(status, kind));
}

/** Basis points as a percentage, with the next epoch's value when a change is scheduled. */
function commission(bps: number, pending: number | undefined): string {
  const now = `${units(String(bps), 2)} %`;
  return pending === undefined || pending === bps ? now : `${now} → ${units(String(pending), 2)} % next epoch`;
}

/** The block until which a validator stays jailed; a dash if it never was. */
function jailedUntil(block: number | undefined, head: number): Child {
  if (!block) return h("span", { class: "muted" }, "—");
  return block <= head ? blockLink(block) : `#${block}`;
}

/** The share of `total` that `power` is, to a hundredth of a percent. */
function shareOf(power: number, total: bigint): string {
  return total === 0n ? "—" : `${(Number((BigInt(power) * 10000n) / total) / 100).toFixed(2)} %`;
}

function setTable(set: Validators, pos: boolean): HTMLElement {
  const total = BigInt(set.total_power);
  const common = (v: Validator): Child[] => [
    v.name ?? h("span", { class: "muted" }, "unnamed"),
    addressLink(v.address),
  ];
  const record = (v: Validator): Child[] => [
    v.last_signed_block === null ? h("span", { class: "muted" }, "—") : blockLink(v.last_signed_block),
    String(v.missed_blocks),
  ];
  if (!pos) {
    return table(
      ["Name", "Address", "Power", "Share", "Last signed", "Missed"],
      set.validators.map((v) => [...common(v), String(v.power), shareOf(v.power, total), ...record(v)]),
      "No validators.",
    );
  }
  return table(
    ["Name", "Address", "Status", "Power", "Share", "Stake", "Self stake", "Commission", "Jailed until", "Last signed", "Missed"],
    set.validators.map((v) => [
      ...common(v),
      v.status === undefined ? "—" : statusBadge(v.status),
      String(v.power),
      shareOf(v.power, total),
      v.stake === undefined ? "—" : eth(v.stake),
      v.self_stake === undefined ? "—" : eth(v.self_stake),
      v.commission_bps === undefined ? "—" : commission(v.commission_bps, v.pending_commission_bps),
      jailedUntil(v.jailed_until, set.height),
      ...record(v),
    ]),
    "No validators.",
  );
}

function candidatesTable(candidates: Candidate[], head: number): HTMLElement {
  return table(
    ["Address", "Status", "Operator", "Stake", "Self stake", "Commission", "Jailed until"],
    candidates.map((c) => [
      addressLink(c.address),
      statusBadge(c.status),
      addressLink(c.operator),
      eth(c.stake),
      eth(c.self_stake),
      commission(c.commission_bps, c.pending_commission_bps),
      jailedUntil(c.jailed_until, head),
    ]),
    "No registered validator outside the set.",
  );
}

/** The set the epoch's end would choose now, against the current one. */
function projectedTable(projected: SetMember[], current: Validator[]): Child[] {
  const total = projected.reduce((sum, m) => sum + BigInt(m.power), 0n);
  const now = new Map(current.map((v) => [v.address.toLowerCase(), v.power]));
  const chosen = new Set(projected.map((m) => m.address.toLowerCase()));
  const leaving = current.filter((v) => !chosen.has(v.address.toLowerCase()));
  const change = (m: SetMember): Child => {
    const before = now.get(m.address.toLowerCase());
    if (before === undefined) return badge("joins", "included");
    if (before === m.power) return h("span", { class: "muted" }, "—");
    return `${before} → ${m.power}`;
  };
  return [
    table(
      ["Address", "Power", "Share", "Change"],
      projected.map((m) => [addressLink(m.address), String(m.power), shareOf(m.power, total), change(m)]),
      "No validator is eligible; the current set would be kept.",
    ),
    leaving.length > 0
      ? h("p", { class: "muted", "data-leaving": String(leaving.length) }, "Leaving the set: ", leaving.map((v, i) => [i > 0 ? ", " : "", addressLink(v.address)]))
      : null,
  ];
}

/** Word `i` of an event's ABI-encoded data. */
function word(data: string, i: number): bigint {
  return BigInt(`0x${data.slice(2 + 64 * i, 2 + 64 * (i + 1)) || "0"}`);
}

/** The staking contract's `Slashed` events (logs of the protocol's calls), paged. */
function slashes(visit: Visit): HTMLElement {
  const title = "Slashing";
  const section = h("section", { class: "panel", id: "slashes" }, h("h2", null, title));
  const pager = new Pager();
  const show = async () => {
    try {
      const path = `/v1/events?address=${STAKING}&topic0=${SLASHED_TOPIC}&limit=${PAGE}`;
      const page = await get<EventPage>(withCursor(path, pager.current));
      if (!visit.alive) return;
      fill(
        section,
        h("h2", null, title),
        h("p", { class: "muted" }, `The staking contract's Slashed events in blocks ${page.from_block} to ${page.to_block}, oldest first.`),
        table(
          ["Block", "Validator", "Reason", "Infraction at", "Bonded slashed", "Unbonding slashed"],
          page.items.map((event) => {
            const reason = Number(word(event.data, 0));
            return [
              blockLink(event.block_number),
              addressLink(`0x${(event.topics[1] ?? "").slice(26)}`),
              REASONS[reason] ?? `reason ${reason}`,
              blockLink(word(event.data, 1).toString()),
              eth(word(event.data, 2)),
              eth(word(event.data, 3)),
            ];
          }),
          "No validator has been slashed.",
        ),
        page.next !== null || pager.page > 1 ? pager.controls("slashes", page.next, show) : null,
      );
    } catch (error) {
      if (visit.alive) fill(section, h("h2", null, title), errorBox(error, "slashing events"));
    }
  };
  void show();
  return section;
}

export async function validators(main: HTMLElement, visit: Visit): Promise<void> {
  const set = await getOptional<Validators>("/v1/validators");
  if (!visit.alive) return;
  if (set === null) {
    fill(main, h("h1", null, "Validators"), missing("/v1/validators endpoint", "the validator set"));
    return;
  }
  const epoch = set.epoch;
  fill(
    main,
    h("h1", null, "Validators"),
    h("p", { class: "muted" }, `Consensus ${set.consensus} at height ${set.height}; missed blocks count the last ${set.window} finalized blocks.`),
    epoch
      ? h("p", { id: "epoch", "data-epoch": String(epoch.number) },
        h("strong", null, `Epoch ${epoch.number}`),
        ` · blocks ${count(epoch.first_height)}–${count(epoch.last_height)} (${epoch.length} per epoch) · next set from block ${count(epoch.last_height + 1)}`)
      : null,
    h("section", { class: "panel", id: "validator-set" },
      h("h2", null, `Set (${set.validators.length}, total power ${set.total_power})`),
      setTable(set, epoch !== undefined),
    ),
    set.candidates
      ? h("section", { class: "panel", id: "candidates" },
        h("h2", null, `Candidates (${set.candidates.length})`),
        candidatesTable(set.candidates, set.height),
      )
      : null,
    set.projected_next_set && epoch
      ? h("section", { class: "panel", id: "projected" },
        h("h2", null, "Projected next epoch"),
        h("p", { class: "muted" }, `The set the end of epoch ${epoch.number} (block ${count(epoch.last_height)}) would choose if it ended now.`),
        projectedTable(set.projected_next_set, set.validators),
      )
      : null,
    epoch ? slashes(visit) : null,
    h("section", { class: "panel", id: "evidence" },
      h("h2", null, "Equivocation evidence"),
      table(
        ["Height", "Round", "Validator", "Kind", "First", "Second"],
        set.evidence.map((e) => [
          blockLink(e.height),
          String(e.round),
          addressLink(e.validator),
          e.kind,
          h("span", { class: "mono wrap" }, e.first),
          h("span", { class: "mono wrap" }, e.second),
        ]),
        "No equivocation seen.",
      ),
    ),
  );
}
