// Block time and transactions per block over the newest blocks, drawn as SVG (no charting
// library): a line for the milliseconds between blocks, bars for the transactions in each.

import type { BlockSummary } from "./api";
import { h, s } from "./dom";

const WIDTH = 600;
const HEIGHT = 120;
const PAD = 4;

interface Series {
  title: string;
  unit: string;
  values: { block: number; value: number }[];
}

function panel(series: Series, bars: boolean): HTMLElement {
  const values = series.values;
  const max = Math.max(1, ...values.map((v) => v.value));
  const step = (WIDTH - 2 * PAD) / Math.max(1, values.length);
  const y = (value: number) => HEIGHT - PAD - (value / max) * (HEIGHT - 2 * PAD);
  const marks = bars
    ? values.map((v, i) =>
        s(
          "rect",
          {
            x: (PAD + i * step + step * 0.15).toFixed(1),
            y: y(v.value).toFixed(1),
            width: (step * 0.7).toFixed(1),
            height: (HEIGHT - PAD - y(v.value)).toFixed(1),
            class: "bar",
          },
          s("title", null, `block ${v.block}: ${v.value} ${series.unit}`),
        ),
      )
    : [
        s("polyline", {
          class: "line",
          points: values
            .map((v, i) => `${(PAD + (i + 0.5) * step).toFixed(1)},${y(v.value).toFixed(1)}`)
            .join(" "),
        }),
        ...values.map((v, i) =>
          s(
            "circle",
            { cx: (PAD + (i + 0.5) * step).toFixed(1), cy: y(v.value).toFixed(1), r: 2.5, class: "dot" },
            s("title", null, `block ${v.block}: ${v.value} ${series.unit}`),
          ),
        ),
      ];
  const first = values[0]?.block;
  const last = values[values.length - 1]?.block;
  return h(
    "figure",
    { class: "chart" },
    h("figcaption", null, series.title, h("span", { class: "muted" }, ` (max ${max} ${series.unit})`)),
    s(
      "svg",
      { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": series.title },
      s("line", { x1: 0, y1: HEIGHT - PAD, x2: WIDTH, y2: HEIGHT - PAD, class: "axis" }),
      marks,
    ),
    first === undefined ? null : h("div", { class: "range muted" }, h("span", null, `#${first}`), h("span", null, `#${last}`)),
  );
}

/** The chart of `blocks` (newest first, consecutive), oldest on the left. */
export function blockChart(blocks: BlockSummary[]): HTMLElement {
  const oldestFirst = [...blocks].reverse();
  // Genesis carries a fixed timestamp, not the time it was made: no block time after it.
  const times = oldestFirst
    .slice(1)
    .map((block, i) => ({ block: block.number, previous: oldestFirst[i], timestampMs: block.timestamp_ms }))
    .filter(({ previous }) => previous !== undefined && previous.number > 0)
    .map(({ block, previous, timestampMs }) => ({ block, value: timestampMs - (previous?.timestamp_ms ?? timestampMs) }));
  const txs = oldestFirst.map((block) => ({ block: block.number, value: block.transaction_count }));
  if (blocks.length < 2) {
    return h("p", { class: "muted empty" }, "The chart needs at least two blocks.");
  }
  return h(
    "div",
    { class: "charts", "data-chart": String(blocks.length) },
    panel({ title: "Block time", unit: "ms", values: times }, false),
    panel({ title: "Transactions per block", unit: "txs", values: txs }, true),
  );
}
