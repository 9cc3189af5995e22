// Governance of a private or consortium network: the organisations (admins, members, nodes,
// validators), the epoch and parameters in force, and the proposals with their votes, read
// from /v1/governance and refreshed on every new block. Organisation names are whatever an
// admin proposed, so like everything else they only ever become text nodes.

import { ApiError, Organisation, Organisations, Proposal, ProposalPage, Status, get, getOptional } from "./api";
import { Child, fields, fill, h, link, table } from "./dom";
import { count, short } from "./format";
import { Pager, Visit, addressLink, badge, blockLink, errorBox, withCursor } from "./view";

/** The governance system contract. */
const GOVERNANCE = "0x0000000000000000000000000000000000001001";
/** Proposals per page. */
const PAGE = 10;
/** The statuses `/v1/governance/proposals?status=` takes. */
const STATUSES = ["open", "passed", "rejected", "expired", "executed", "failed"];

let known: Promise<boolean> | null = null;

/** Whether the node's chain is governed: never on a public network (no request that would
 * answer 404 is made there), else whether the governance routes answer. */
export function governed(): Promise<boolean> {
  known ??= (async () => {
    const status = await get<Status>("/v1/status");
    if (status.network === "public") return false;
    return (await getOptional<ProposalPage>("/v1/governance/proposals?limit=1")) !== null;
  })().catch((error) => {
    known = null;
    throw error;
  });
  return known;
}

/** Organisation names by id; a removed organisation is no longer listed. */
type Names = Map<number, string>;

/** An organisation by name, as text (a removed one by its id). */
function orgName(names: Names, id: number): HTMLElement {
  const name = names.get(id);
  return name === undefined
    ? h("span", { class: "muted", "data-org-ref": String(id) }, `organisation #${id}`)
    : h("span", { class: "org-name", "data-org-ref": String(id) }, name);
}

/** A height as a block link if the block exists, else as plain text. */
function height(number: number, head: number): Child {
  return number <= head ? blockLink(number) : `#${number}`;
}

/** A proposal's status as a coloured badge. */
function statusBadge(status: string): HTMLElement {
  const kind = { open: "pending", passed: "included", executed: "finalized" }[status] ?? "failed";
  return h("span", { "data-status": status }, badge(status, kind));
}

/** A permissioning switch: on with what it restricts to, or off. */
function onOff(on: boolean, what: string): Child {
  return on ? [badge("on", "finalized"), ` ${what}`] : [badge("off", "pending"), " anyone may"];
}

/** A parameter's value as people read it. */
function parameterValue(parameter: string, value: number): string {
  if (parameter.startsWith("permission_")) return value === 0 ? "off" : "on";
  if (parameter === "block_time_ms") return `${count(value)} ms`;
  if (parameter === "epoch_length" || parameter === "voting_period_blocks") return `${count(value)} blocks`;
  return count(value);
}

/** What a proposal would change, from the fields its kind carries. */
function changes(p: Proposal, names: Names): Child {
  const org = p.organisation === undefined ? "—" : orgName(names, p.organisation);
  const list = (addresses: string[]) => addresses.map((a, i) => [i > 0 ? ", " : "", addressLink(a)]);
  switch (p.kind) {
    case "add-organisation":
      return ["add organisation ", h("strong", { class: "org-name" }, p.name ?? ""), " with admins ", list(p.admins ?? [])];
    case "remove-organisation":
      return ["remove organisation ", org];
    case "add-validator":
      return ["add validator ", h("span", { class: "mono", title: p.public_key ?? "" }, short(p.public_key ?? "")), ` with power ${count(p.power ?? 0)} to `, org];
    case "remove-validator":
      return ["remove validator ", addressLink(p.validator ?? null)];
    case "allow-node":
      return [
        "allow node ", h("span", { class: "mono", title: p.peer_id ?? "" }, short(p.peer_id ?? "")), " of ", org,
        p.consensus_address ? [" validating as ", addressLink(p.consensus_address)] : " (full node)",
      ];
    case "remove-node":
      return ["remove node ", h("span", { class: "mono", title: p.peer_id ?? "" }, short(p.peer_id ?? ""))];
    case "set-parameter":
      return ["set ", h("code", null, p.parameter ?? ""), ` to ${parameterValue(p.parameter ?? "", p.value ?? 0)}`];
    default:
      return p.kind;
  }
}

/** Each vote on its own line: yes or no, the organisation, the admin who cast it. */
function votes(p: Proposal, names: Names): Child {
  if (p.votes.length === 0) return h("span", { class: "muted" }, "none");
  return h(
    "ul",
    { class: "votes" },
    p.votes.map((v) =>
      h("li", { "data-vote-org": String(v.organisation) },
        v.support ? badge("yes", "finalized") : badge("no", "failed"), " ", orgName(names, v.organisation), " by ", addressLink(v.voter)),
    ),
  );
}

/** Yes and no against the organisations that exist: at least two thirds must say yes. */
function tally(p: Proposal): string {
  return `${p.yes} yes · ${p.no} no of ${p.organisations}`;
}

/** When it was decided and when it took effect, as far as it got. */
function outcome(p: Proposal, head: number): Child {
  if (p.effective_height !== null) return ["in force from ", height(p.effective_height, head)];
  if (p.status === "passed") return h("span", { class: "muted" }, "at the end of the epoch");
  if (p.status === "failed") return h("span", { class: "muted" }, p.failure ?? "failed");
  return h("span", { class: "muted" }, "—");
}

function proposalRows(items: Proposal[], names: Names, head: number): Child[][] {
  return items.map((p) => [
    link(`governance/proposals/${p.id}`, `#${p.id}`, { "data-proposal": String(p.id) }),
    p.kind,
    h("div", { class: "changes" }, changes(p, names)),
    h("div", null, addressLink(p.proposer), h("div", { class: "muted" }, orgName(names, p.proposer_organisation))),
    statusBadge(p.status),
    height(p.deadline, head),
    h("span", { "data-tally": "" }, tally(p)),
    votes(p, names),
    outcome(p, head),
  ]);
}

function organisationPanel(org: Organisation): HTMLElement {
  const total = org.validators.reduce((sum, v) => sum + BigInt(v.power), 0n);
  return h(
    "section",
    { class: "panel org", "data-org-id": String(org.id) },
    h("h2", null, h("span", { class: "org-name" }, org.name), h("span", { class: "muted" }, ` · organisation #${org.id}`)),
    h("h3", null, `Admins (${org.admins.length})`),
    table(["Account"], org.admins.map((a) => [h("span", { "data-role": "admin" }, addressLink(a, true))]), "No admins."),
    h("h3", null, `Members (${org.members.length})`),
    table(
      ["Account", "Deployer"],
      org.members.map((m) => [
        h("span", { "data-role": "member" }, addressLink(m.account, true)),
        m.deployer ? badge("deployer", "included") : h("span", { class: "muted" }, "—"),
      ]),
      "No members besides the admins.",
    ),
    h("h3", null, `Nodes (${org.nodes.length})`),
    table(
      ["Peer id", "Validates as"],
      org.nodes.map((n) => [
        h("span", { class: "mono wrap" }, n.peer_id),
        n.consensus_address === null ? h("span", { class: "muted" }, "full node") : addressLink(n.consensus_address),
      ]),
      "No nodes.",
    ),
    h("h3", null, `Validators (${org.validators.length}, power ${total})`),
    table(
      ["Address", "Power"],
      org.validators.map((v) => [addressLink(v.address, true), count(v.power)]),
      "No validators.",
    ),
  );
}

function epochAndParams(view: Organisations): HTMLElement {
  const { epoch, params } = view;
  return h(
    "section",
    { class: "panel", id: "gov-params" },
    h("h2", null, "Epoch and parameters in force"),
    fields([
      ["Epoch", h("span", { id: "gov-epoch", "data-epoch": String(epoch.number) },
        `${epoch.number} · blocks ${count(epoch.first_height)}–${count(epoch.last_height)} (${epoch.length} per epoch)`)],
      ["Passed proposals take effect", ["at the end of the epoch, from block ", height(epoch.last_height + 1, view.height)]],
      ["Gas limit", h("span", { "data-param": "gas_limit" }, count(params.gas_limit))],
      ["Block time", h("span", { "data-param": "block_time_ms" }, `${count(params.block_time_ms)} ms`)],
      ["Epoch length", h("span", { "data-param": "epoch_length" }, `${count(params.epoch_length)} blocks`)],
      ["Voting period", h("span", { "data-param": "voting_period_blocks" }, `${count(params.voting_period_blocks)} blocks`)],
      ["Who may transact", h("span", { "data-param": "permission_accounts" }, onOff(params.permission_accounts, "only members"))],
      ["Who may connect", h("span", { "data-param": "permission_nodes" }, onOff(params.permission_nodes, "only allowed nodes"))],
      ["Who may deploy", h("span", { "data-param": "permission_deployers" }, onOff(params.permission_deployers, "only deployers and admins"))],
    ]),
  );
}

/** Calls `load` on every new block (`/v1/stream`), one call at a time: a block that arrives
 * during a call makes one more call after it. Returns the function that asks for a call. */
function onBlocks(visit: Visit, load: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const refresh = () => {
    if (!visit.alive) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    void load().finally(() => {
      running = false;
      if (again) {
        again = false;
        refresh();
      }
    });
  };
  const stream = new EventSource("/v1/stream?kinds=block");
  visit.onLeave(() => stream.close());
  stream.addEventListener("block", refresh);
  return refresh;
}

/** A note that the node's chain has no governance, or null for any other error. */
function ungoverned(error: unknown): HTMLElement | null {
  if (!(error instanceof ApiError) || error.code !== "governance_unavailable") return null;
  return h("div", { class: "notice", id: "not-governed" },
    "This chain is not governed: it is a public network, where anyone may validate, connect and transact.");
}

/** `fill`, unless `key` (what the children show) is what `slot` shows already, so a refresh
 * that changes nothing leaves the page alone. */
function refill(slot: HTMLElement, key: string, ...children: Child[]): void {
  if (slot.dataset.shown === key) return;
  slot.dataset.shown = key;
  fill(slot, children);
}

/** An error in `slot`, which the next good answer replaces. */
function failure(slot: HTMLElement, error: unknown, what: string): void {
  delete slot.dataset.shown;
  fill(slot, errorBox(error, what));
}

/** Which of the proposals' heights are blocks yet (those become links). */
function reached(items: Proposal[], head: number): boolean[] {
  return items.flatMap((p) => [p.deadline <= head, p.effective_height !== null && p.effective_height <= head]);
}

/** The organisations and the epoch, or a note if the chain is not governed. */
async function organisations(): Promise<Organisations | HTMLElement> {
  try {
    return await get<Organisations>("/v1/governance/organisations");
  } catch (error) {
    const note = ungoverned(error);
    if (note === null) throw error;
    return note;
  }
}

export async function governance(main: HTMLElement, visit: Visit): Promise<void> {
  const first = await organisations();
  if (!visit.alive) return;
  if (first instanceof HTMLElement) {
    fill(main, h("h1", null, "Governance"), first);
    return;
  }
  const intro = h("p", { class: "muted", id: "gov-height" });
  const params = h("div");
  const orgs = h("div", { id: "organisations" });
  const proposals = h("section", { class: "panel", id: "proposals" }, h("h2", null, "Proposals"));
  const problem = h("div");
  fill(main, h("h1", null, "Governance"), problem, intro, params, orgs, proposals);

  const pager = new Pager();
  let status = "";
  const filter = h(
    "select",
    {
      id: "proposal-status",
      "aria-label": "Proposal status",
      onchange: (event) => {
        status = (event.target as HTMLSelectElement).value;
        pager.reset();
        refresh();
      },
    },
    h("option", { value: "" }, "all"),
    STATUSES.map((s) => h("option", { value: s }, s)),
  );

  const show = (view: Organisations, page: ProposalPage) => {
    const names: Names = new Map(view.organisations.map((o) => [o.id, o.name]));
    const n = view.organisations.length;
    fill(intro, "The governance contract ", addressLink(GOVERNANCE, true), " at block ", blockLink(view.height),
      `: ${n} organisation${n === 1 ? "" : "s"}, one vote each; a proposal passes with the yes of at least two thirds of them.`);
    refill(params, JSON.stringify([view.epoch, view.params]), epochAndParams(view));
    refill(orgs, JSON.stringify(view.organisations), view.organisations.map(organisationPanel));
    refill(
      proposals,
      JSON.stringify([page.items, page.next, [...names], reached(page.items, view.height), pager.current, status]),
      h("div", { class: "panel-head" }, h("h2", null, "Proposals"), h("label", null, "Status ", filter)),
      h("p", { class: "muted" }, "Newest first. Any admin proposes (its organisation's yes comes with it); each organisation votes once, through any of its admins; a passed proposal takes effect at the end of its epoch."),
      table(
        ["Id", "Kind", "Changes", "Proposer", "Status", "Deadline", "Tally", "Votes", "Effect"],
        proposalRows(page.items, names, view.height),
        status ? `No ${status} proposals.` : "No proposals yet.",
      ),
      page.next !== null || pager.page > 1 ? pager.controls("proposals", page.next, () => refresh()) : null,
    );
  };

  const load = async () => {
    try {
      const path = `/v1/governance/proposals?limit=${PAGE}${status ? `&status=${status}` : ""}`;
      const [view, page] = await Promise.all([
        get<Organisations>("/v1/governance/organisations"),
        get<ProposalPage>(withCursor(path, pager.current)),
      ]);
      if (!visit.alive) return;
      fill(problem);
      show(view, page);
    } catch (error) {
      if (visit.alive) failure(problem, error, "the governance state");
    }
  };
  const refresh = onBlocks(visit, load);
  refresh();
}

export async function proposal(main: HTMLElement, id: string, visit: Visit): Promise<void> {
  const body = h("div");
  const show = (p: Proposal, view: Organisations) => {
    const names: Names = new Map(view.organisations.map((o) => [o.id, o.name]));
    refill(
      body,
      JSON.stringify([p, [...names], reached([p], view.height)]),
      h("section", { class: "panel", id: "proposal" },
        fields([
          ["Status", statusBadge(p.status)],
          ["Kind", p.kind],
          ["Changes", h("div", { class: "changes" }, changes(p, names))],
          ["Proposer", [addressLink(p.proposer, true), " of ", orgName(names, p.proposer_organisation)]],
          ["Created at", blockLink(p.created_height)],
          ["Last block for votes", height(p.deadline, view.height)],
          ["Tally", h("span", { "data-tally": "" }, `${tally(p)} (at least two thirds must say yes)`)],
          ["Decided at", p.decided_height === null ? h("span", { class: "muted" }, "not yet") : blockLink(p.decided_height)],
          ["Effect", outcome(p, view.height)],
        ]),
        h("h2", { class: "spaced" }, "Votes"),
        votes(p, names),
      ),
    );
  };
  const read = () => Promise.all([
    get<Proposal>(`/v1/governance/proposals/${encodeURIComponent(id)}`),
    get<Organisations>("/v1/governance/organisations"),
  ]);
  const [p, view] = await read();
  if (!visit.alive) return;
  fill(main, h("h1", null, `Proposal #${p.id}`), h("p", null, link("governance", "← Governance")), body);
  show(p, view);
  onBlocks(visit, async () => {
    try {
      const [p, view] = await read();
      if (visit.alive) show(p, view);
    } catch (error) {
      if (visit.alive) failure(body, error, `proposal ${id}`);
    }
  });
}
