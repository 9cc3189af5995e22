// Home: the chain at a glance, kept live by the API's Server-Sent Events stream.

import { BlockSummary, Page, Peers, Status, Transaction, get, getOptional } from "./api";
import { blockChart } from "./chart";
import { fill, h, table } from "./dom";
import { ago, count, eth } from "./format";
import { Visit, addressLink, badge, blockLink, errorBox, txLink } from "./view";

/** Blocks the chart and the block-time and TPS figures are computed over. */
const CHART_BLOCKS = 50;
/** Rows in the newest blocks and newest transactions lists. */
const LIST_ROWS = 10;
/** How often the status (peers, syncing) is read again while the page is open. */
const STATUS_EVERY_MS = 10_000;

interface State {
  status: Status;
  peers: number;
  blocks: BlockSummary[];
  txs: Transaction[];
  live: "connecting" | "live" | "reconnecting";
}

function statusBadge(tx: Transaction): HTMLElement {
  return badge(tx.status, tx.status);
}

/** Time between blocks, averaged over the loaded blocks from their milliseconds (genesis has
 * no real time). */
function blockTime(blocks: BlockSummary[]): string {
  const timed = blocks.filter((b) => b.number > 0);
  const newest = timed[0];
  const oldest = timed[timed.length - 1];
  if (!newest || !oldest || newest.number === oldest.number) return "—";
  const ms = (newest.timestamp_ms - oldest.timestamp_ms) / (newest.number - oldest.number);
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** Transactions per second in blocks of the last 60 seconds, to the millisecond. */
function tps(blocks: BlockSummary[]): string {
  const since = Date.now() - 60_000;
  const txs = blocks.filter((b) => b.number > 0 && b.timestamp_ms > since).reduce((n, b) => n + b.transaction_count, 0);
  return (txs / 60).toFixed(2);
}

/** A block's age, or "genesis" for block 0, whose time is the spec's, not when it was made. */
function age(block: BlockSummary): string {
  return block.number === 0 ? "genesis" : ago(block.timestamp_ms);
}

function card(name: string, value: string | HTMLElement, key: string): HTMLElement {
  return h("div", { class: "card", "data-stat": key }, h("div", { class: "label" }, name), h("div", { class: "value" }, value));
}

export async function home(main: HTMLElement, visit: Visit): Promise<void> {
  const summary = h("section", { class: "cards" });
  const chart = h("section", { class: "panel" });
  const blocksList = h("section", { class: "panel", id: "latest-blocks" });
  const txList = h("section", { class: "panel", id: "latest-transactions" });
  const banner = h("div");
  fill(main, h("h1", null, "Chain overview"), banner, summary, h("div", { class: "columns" }, blocksList, txList), chart);

  const [status, blocks, peers] = await Promise.all([
    get<Status>("/v1/status"),
    get<Page<BlockSummary>>(`/v1/blocks?limit=${CHART_BLOCKS}`),
    getOptional<Peers>("/v1/peers"),
  ]);
  if (!visit.alive) return;
  const state: State = {
    status,
    peers: peers?.count ?? status.peers,
    blocks: blocks.items,
    txs: [],
    live: "connecting",
  };

  const render = () => {
    const head = state.blocks[0];
    fill(
      banner,
      state.status.syncing
        ? h("div", { class: "notice" }, "This node is still syncing with its peers: the figures below lag the network until it catches up.")
        : null,
    );
    fill(
      summary,
      card("Chain id", String(state.status.chain_id), "chain-id"),
      card("Network", state.status.network, "network"),
      card("Consensus", state.status.consensus, "consensus"),
      card("Head", head ? blockLink(head.number) : "—", "head"),
      card("Finalized", blockLink(state.status.finalized_height), "finalized"),
      card("Block time", blockTime(state.blocks), "block-time"),
      card("TPS (last minute)", tps(state.blocks), "tps"),
      card("Peers", String(state.peers), "peers"),
      card("Updates", badge(state.live, state.live === "live" ? "finalized" : "pending"), "live"),
    );
    fill(chart, h("h2", null, `Last ${state.blocks.length} blocks`), blockChart(state.blocks));
    fill(
      blocksList,
      h("h2", null, "Latest blocks"),
      table(
        ["Block", "Age", "Txs", "Gas used"],
        state.blocks.slice(0, LIST_ROWS).map((b) => [blockLink(b.number), age(b), String(b.transaction_count), count(b.gas_used)]),
        "No blocks yet.",
      ),
    );
    fill(
      txList,
      h("h2", null, "Latest transactions"),
      table(
        ["Transaction", "Value"],
        state.txs.map((tx) => [
          h("div", null, txLink(tx.hash), h("div", { class: "fromto" }, addressLink(tx.from), " → ", addressLink(tx.to))),
          h("div", null, eth(tx.value), h("div", null, statusBadge(tx))),
        ]),
        "No transactions in the latest blocks yet.",
      ),
    );
  };

  /** Puts transactions at the top, each hash once (an included one replaces its pending self). */
  const addTxs = (txs: Transaction[]) => {
    const fresh = new Set(txs.map((tx) => tx.hash));
    state.txs = [...txs, ...state.txs.filter((tx) => !fresh.has(tx.hash))].slice(0, LIST_ROWS);
  };

  /** Reads the transactions of `block` (newest last in the block, so shown first). */
  const loadTxs = async (block: BlockSummary) => {
    const page = await get<Page<Transaction>>(`/v1/blocks/${block.number}/transactions?limit=${LIST_ROWS}`);
    return page.items.reverse();
  };

  // The newest transactions of the loaded blocks, reading blocks until the list is full.
  const found: Transaction[] = [];
  for (const block of state.blocks.filter((b) => b.transaction_count > 0)) {
    if (found.length >= LIST_ROWS) break;
    found.push(...(await loadTxs(block)));
    if (!visit.alive) return;
  }
  addTxs(found);
  render();

  const reloadBlocks = async () => {
    const page = await get<Page<BlockSummary>>(`/v1/blocks?limit=${CHART_BLOCKS}`);
    if (visit.alive) state.blocks = page.items;
  };

  const onBlock = async (block: BlockSummary) => {
    const newest = state.blocks[0];
    if (newest && block.number <= newest.number) return;
    if (newest && block.number > newest.number + 1) {
      await reloadBlocks();
    } else {
      state.blocks = [block, ...state.blocks].slice(0, CHART_BLOCKS);
    }
    state.status = {
      ...state.status,
      head: { number: block.number, hash: block.hash, timestamp: block.timestamp },
    };
    if (block.transaction_count > 0) addTxs(await loadTxs(block));
    if (visit.alive) render();
  };

  const stream = new EventSource("/v1/stream?kinds=transactions,finalized");
  visit.onLeave(() => stream.close());
  // Messages are handled one after another, so blocks are added in the order they came.
  let queue = Promise.resolve();
  const handle = (work: () => Promise<void>) => {
    queue = queue.then(work).catch((error) => {
      if (visit.alive) fill(banner, errorBox(error, "a live update"));
    });
  };
  stream.addEventListener("open", () => {
    state.live = "live";
    render();
  });
  stream.addEventListener("error", () => {
    state.live = "reconnecting";
    render();
  });
  stream.addEventListener("block", (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data).data as BlockSummary;
    handle(() => onBlock(data));
  });
  stream.addEventListener("finalized", (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data).data as { number: number };
    handle(async () => {
      state.status = { ...state.status, finalized_height: Math.max(state.status.finalized_height, data.number) };
      render();
    });
  });
  stream.addEventListener("transaction", (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data).data as Transaction;
    handle(async () => {
      if (!state.txs.some((tx) => tx.hash === data.hash)) addTxs([data]);
      render();
    });
  });

  const timer = setInterval(() => {
    handle(async () => {
      const [status, peers] = await Promise.all([get<Status>("/v1/status"), getOptional<Peers>("/v1/peers")]);
      state.status = { ...status, finalized_height: Math.max(status.finalized_height, state.status.finalized_height) };
      state.peers = peers?.count ?? status.peers;
      if (visit.alive) render();
    });
  }, STATUS_EVERY_MS);
  visit.onLeave(() => clearInterval(timer));
}
