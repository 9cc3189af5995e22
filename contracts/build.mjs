// Compiles every contract in src/ with the pinned solc-js (standard JSON) into the folder named
// by the first argument (out/ by default): for each contract, <Name>.json holding its ABI,
// creation and runtime bytecode and storage layout, and <Name>.abi.json holding the ABI alone.
// Settings fix everything the output depends on (compiler version, EVM version, optimizer, no
// metadata hash), and JSON is written with sorted keys, so scripts/test can rebuild the
// artifacts and compare them byte for byte with the committed out/.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(here, process.argv[2] ?? "out");
const src = join(here, "src");

const sources = {};
for (const file of readdirSync(src).filter((f) => f.endsWith(".sol")).sort()) {
  sources[file] = { content: readFileSync(join(src, file), "utf8") };
}
const input = {
  language: "Solidity",
  sources,
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    // endEpoch and the views build deep stack frames; the IR pipeline moves them to memory.
    viaIR: true,
    // The code depends on the source's semantics only, not on file names or comments.
    metadata: { bytecodeHash: "none", appendCBOR: false },
    outputSelection: {
      "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "storageLayout"] },
    },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const problems = output.errors ?? [];
for (const p of problems) {
  console.error(p.formattedMessage);
}
if (problems.some((p) => p.severity === "error")) {
  process.exit(1);
}

// JSON with object keys sorted at every depth, so the file never depends on solc's key order.
function sorted(value) {
  if (Array.isArray(value)) {
    return value.map(sorted);
  }
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sorted(value[k])]),
    );
  }
  return value;
}
const write = (name, value) =>
  writeFileSync(join(out, name), `${JSON.stringify(sorted(value), null, 2)}\n`);

mkdirSync(out, { recursive: true });
for (const [file, contracts] of Object.entries(output.contracts)) {
  for (const [name, c] of Object.entries(contracts)) {
    // Interfaces have no code and internal libraries no ABI: both are part of the contracts
    // that use them.
    if (c.evm.bytecode.object === "" || c.abi.length === 0) {
      continue;
    }
    write(`${name}.json`, {
      abi: c.abi,
      bytecode: `0x${c.evm.bytecode.object}`,
      deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      source: file,
      compiler: solc.version(),
      storageLayout: c.storageLayout,
    });
    write(`${name}.abi.json`, c.abi);
  }
}
