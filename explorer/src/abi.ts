// Decoding the calls and logs of the token standards every explorer knows: ERC-20 and
// ERC-721 transfers and approvals. Anything else is shown as raw hex.

/** keccak256 of "Transfer(address,address,uint256)", the same topic in ERC-20 and ERC-721. */
export const TRANSFER_TOPIC =
  "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
/** keccak256 of "Approval(address,address,uint256)". */
const APPROVAL_TOPIC = "0x8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925";

/** One decoded argument. */
export interface Arg {
  name: string;
  kind: "address" | "uint256" | "bytes";
  value: string;
}

/** A decoded call or log. */
export interface Decoded {
  signature: string;
  standard: string;
  args: Arg[];
}

interface Method {
  signature: string;
  standard: string;
  args: [string, Arg["kind"]][];
}

const METHODS: Record<string, Method> = {
  "0xa9059cbb": {
    signature: "transfer(address to, uint256 amount)",
    standard: "ERC-20",
    args: [["to", "address"], ["amount", "uint256"]],
  },
  "0x095ea7b3": {
    signature: "approve(address spender, uint256 amount)",
    standard: "ERC-20 / ERC-721",
    args: [["spender", "address"], ["amount or token id", "uint256"]],
  },
  "0x23b872dd": {
    signature: "transferFrom(address from, address to, uint256 amount or tokenId)",
    standard: "ERC-20 / ERC-721",
    args: [["from", "address"], ["to", "address"], ["amount or token id", "uint256"]],
  },
  "0x42842e0e": {
    signature: "safeTransferFrom(address from, address to, uint256 tokenId)",
    standard: "ERC-721",
    args: [["from", "address"], ["to", "address"], ["token id", "uint256"]],
  },
  "0xb88d4fde": {
    signature: "safeTransferFrom(address from, address to, uint256 tokenId, bytes data)",
    standard: "ERC-721",
    args: [["from", "address"], ["to", "address"], ["token id", "uint256"], ["data", "bytes"]],
  },
  "0xa22cb465": {
    signature: "setApprovalForAll(address operator, bool approved)",
    standard: "ERC-721",
    args: [["operator", "address"], ["approved", "uint256"]],
  },
};

/** The 32-byte word `index` of hex data (no 0x), or null past the end. */
function word(data: string, index: number): string | null {
  const start = index * 64;
  return data.length >= start + 64 ? data.slice(start, start + 64) : null;
}

function asAddress(word: string): string | null {
  return /^0{24}/.test(word) ? `0x${word.slice(24)}` : null;
}

function asUint(word: string): string {
  return BigInt(`0x${word}`).toString();
}

/** The call `input` decoded, if its selector is a known token method and it is well formed. */
export function decodeCall(input: string): Decoded | null {
  const method = METHODS[input.slice(0, 10).toLowerCase()];
  if (!method) return null;
  const data = input.slice(10);
  const args: Arg[] = [];
  for (const [i, [name, kind]] of method.args.entries()) {
    const raw = word(data, i);
    if (raw === null) return null;
    if (kind === "address") {
      const address = asAddress(raw);
      if (address === null) return null;
      args.push({ name, kind, value: address });
    } else if (kind === "uint256") {
      args.push({ name, kind, value: asUint(raw) });
    } else {
      args.push({ name, kind, value: `0x${data.slice(method.args.length * 64)}` });
    }
  }
  return { signature: method.signature, standard: method.standard, args };
}

/** A Transfer or Approval log decoded: ERC-20 keeps the amount in data, ERC-721 indexes the
 * token id as a third topic. */
export function decodeLog(topics: string[], data: string): Decoded | null {
  const [topic0, t1, t2, t3] = topics;
  const isTransfer = topic0 === TRANSFER_TOPIC;
  if (!isTransfer && topic0 !== APPROVAL_TOPIC) return null;
  if (t1 === undefined || t2 === undefined) return null;
  const first = asAddress(t1.slice(2));
  const second = asAddress(t2.slice(2));
  if (first === null || second === null) return null;
  const [a, b] = isTransfer ? ["from", "to"] : ["owner", "spender"];
  const name = isTransfer ? "Transfer" : "Approval";
  if (topics.length === 4 && t3 !== undefined) {
    return {
      signature: `${name}(address ${a}, address ${b}, uint256 tokenId)`,
      standard: "ERC-721",
      args: [
        { name: a, kind: "address", value: first },
        { name: b, kind: "address", value: second },
        { name: "token id", kind: "uint256", value: asUint(t3.slice(2)) },
      ],
    };
  }
  const amount = word(data.slice(2), 0);
  if (topics.length !== 3 || amount === null) return null;
  return {
    signature: `${name}(address ${a}, address ${b}, uint256 value)`,
    standard: "ERC-20",
    args: [
      { name: a, kind: "address", value: first },
      { name: b, kind: "address", value: second },
      { name: "amount", kind: "uint256", value: asUint(amount) },
    ],
  };
}

/** An address as the 32-byte topic that indexes it. */
export function addressTopic(address: string): string {
  return `0x${"0".repeat(24)}${address.slice(2).toLowerCase()}`;
}
