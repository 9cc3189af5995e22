// Validators: the set, voting power, last signed block, missed blocks and equivocations.

import { Validators, getOptional } from "./api";
import { fill, h, table } from "./dom";
import { Visit, addressLink, blockLink, missing } from "./view";

export async function validators(main: HTMLElement, visit: Visit): Promise<void> {
  const set = await getOptional<Validators>("/v1/validators");
  if (!visit.alive) return;
  if (set === null) {
    fill(main, h("h1", null, "Validators"), missing("/v1/validators endpoint", "the validator set"));
    return;
  }
  const total = BigInt(set.total_power);
  const share = (power: number) => (total === 0n ? "—" : `${(Number((BigInt(power) * 10000n) / total) / 100).toFixed(2)} %`);
  fill(
    main,
    h("h1", null, "Validators"),
    h("p", { class: "muted" }, `Consensus ${set.consensus} at height ${set.height}; missed blocks count the last ${set.window} finalized blocks.`),
    h("section", { class: "panel", id: "validator-set" },
      h("h2", null, `Set (${set.validators.length}, total power ${set.total_power})`),
      table(
        ["Name", "Address", "Power", "Share", "Last signed", "Missed"],
        set.validators.map((v) => [
          v.name ?? h("span", { class: "muted" }, "unnamed"),
          addressLink(v.address),
          String(v.power),
          share(v.power),
          v.last_signed_block === null ? h("span", { class: "muted" }, "—") : blockLink(v.last_signed_block),
          String(v.missed_blocks),
        ]),
        "No validators.",
      ),
    ),
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
