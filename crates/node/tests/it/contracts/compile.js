// Compiles Counter.sol for the Cancun EVM and writes Counter.bin (creation code, hex).
// Run from this folder with solc-js installed: `npm install solc@0.8.37 && node compile.js`.
const fs = require("fs");
const solc = require("solc");
const input = {
  language: "Solidity",
  sources: { "Counter.sol": { content: fs.readFileSync("Counter.sol", "utf8") } },
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
    outputSelection: { "*": { "*": ["evm.bytecode.object", "abi"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
for (const e of output.errors || []) {
  if (e.severity === "error") throw new Error(e.formattedMessage);
}
const contract = output.contracts["Counter.sol"].Counter;
fs.writeFileSync("Counter.bin", contract.evm.bytecode.object + "\n");
console.log(`solc ${solc.version()}: wrote Counter.bin`);
