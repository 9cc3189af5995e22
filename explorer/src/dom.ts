// Building DOM nodes without innerHTML, so nothing the API returns is ever parsed as markup.

export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    child.forEach((c) => append(parent, c));
  } else if (child instanceof Node) {
    parent.appendChild(child);
  } else {
    parent.appendChild(document.createTextNode(String(child)));
  }
}

function setAttrs(node: Element, attrs: Attrs | null): void {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") {
      node.addEventListener(name.replace(/^on/, ""), value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

/** An HTML element with attributes (`onclick` and friends become listeners) and children. */
export function h(tag: string, attrs: Attrs | null = null, ...children: Child[]): HTMLElement {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element, for the chart. */
export function s(tag: string, attrs: Attrs | null = null, ...children: Child[]): SVGElement {
  const node = document.createElementNS(SVG, tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

/** Replaces everything inside `parent`. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A link to an explorer route. */
export function link(route: string, text: Child, attrs: Attrs = {}): HTMLElement {
  return h("a", { ...attrs, href: `#/${route}` }, text);
}

/** A table; `rows` empty shows `empty` instead. */
export function table(head: string[], rows: Child[][], empty: string): HTMLElement {
  if (rows.length === 0) return h("p", { class: "muted empty" }, empty);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h("thead", null, h("tr", null, head.map((name) => h("th", null, name)))),
      h("tbody", null, rows.map((cells) => h("tr", null, cells.map((cell) => h("td", null, cell))))),
    ),
  );
}

/** Label and value pairs, as a definition list. */
export function fields(pairs: [string, Child][]): HTMLElement {
  return h(
    "dl",
    { class: "fields" },
    pairs.map(([name, value]) => [h("dt", null, name), h("dd", null, value)]),
  );
}
