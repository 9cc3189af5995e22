// Compiles a contract in e2e/contracts with solc-js (standard JSON, evmVersion cancun).
//
// As a module: `compile("Token")` returns { abi, bytecode } (bytecode 0x-prefixed).
// As a command: `node compile.mjs Token` prints that object as JSON, for the Python flow and
// the Rust cast driver.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import solc from "solc";

const here = dirname(fileURLToPath(import.meta.url));

export function compile(contractName) {
  const file = `${contractName}.sol`;
  const input = {
    language: "Solidity",
    sources: { [file]: { content: readFileSync(join(here, "contracts", file), "utf8") } },
    settings: {
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  }
  const contract = output.contracts?.[file]?.[contractName];
  if (!contract) {
    throw new Error(`solc produced no contract ${contractName} in ${file}`);
  }
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const name = process.argv[2];
  if (!name) {
    console.error("usage: node compile.mjs <ContractName>");
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(compile(name)));
}
