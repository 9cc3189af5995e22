// Validators: the set, voting power, last signed block, missed blocks and equivocations; on a
// proof-of-stake chain also the epoch, each member's stake, the candidates and the set the
// epoch's end would choose now. Other chains' answers carry no staking fields, and then no
// staking part is shown.

import { Candidate, SetMember, Validator, Validators, getOptional } from "./api";
import { Child, fill, h, table } from "./dom";
import { count, eth, units } from "./format";
import { Visit, addressLink, badge, blockLink, missing } from "./view";

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
