// ethers v6 and Node's own HTTPS client against a node served over TLS, with the test's
// certificate trusted through NODE_EXTRA_CA_CERTS: JSON-RPC over HTTPS (chain id, a transfer
// and its receipt), a WSS subscription to new heads, and the REST API over HTTPS with
// Strict-Transport-Security.
//
// Usage: NODE_EXTRA_CA_CERTS=cert.pem node tls_flow.mjs HTTPS_URL WSS_URL REST_HTTPS_URL
// Prints one line per check; exits 1 with "FAIL: ..." on the first failed check.
import https from "node:https";
import { JsonRpcProvider, WebSocketProvider, Wallet, parseEther } from "ethers";

const [HTTPS_URL, WSS_URL, REST_URL] = process.argv.slice(2);
if (!HTTPS_URL || !WSS_URL || !REST_URL) {
  console.error("usage: node tls_flow.mjs HTTPS_URL WSS_URL REST_HTTPS_URL");
  process.exit(2);
}

const KEY0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const RECIPIENT = "0x000000000000000000000000000000000000bEEF";
const WAIT_MS = 15_000;

class CheckFailed extends Error {}

function check(condition, what, detail = "") {
  if (!condition) {
    throw new CheckFailed(`${what}${detail ? `: ${detail}` : ""}`);
  }
  console.log(`ok: ${what}`);
}

async function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new CheckFailed(`timed out after ${WAIT_MS} ms: ${what}`)), WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/// GET over HTTPS with Node's own client: status, headers and body.
function get(url) {
  return new Promise((resolve, reject) => {
    https
      .get(url, (response) => {
        let body = "";
        response.on("data", (chunk) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, body }));
      })
      .on("error", reject);
  });
}

async function main() {
  const provider = new JsonRpcProvider(HTTPS_URL, undefined, { cacheTimeout: -1 });
  provider.pollingInterval = 200;
  const ws = new WebSocketProvider(WSS_URL);
  try {
    const network = await within(provider.getNetwork(), "chain id over HTTPS");
    check(network.chainId === 31337n, "eth_chainId over HTTPS", `got ${network.chainId}`);

    const heads = [];
    await within(ws.on("block", (number) => heads.push(number)), "newHeads over WSS");
    const wallet = new Wallet(KEY0, provider);
    const sent = await within(wallet.sendTransaction({ to: RECIPIENT, value: parseEther("1") }), "send over HTTPS");
    const receipt = await within(sent.wait(), "receipt over HTTPS");
    check(receipt.status === 1, "a transfer sent and mined over HTTPS");
    const balance = await provider.getBalance(RECIPIENT);
    check(balance >= parseEther("1"), "the recipient's balance over HTTPS", `got ${balance}`);
    const deadline = Date.now() + WAIT_MS;
    while (heads.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    check(heads.length > 0, "new block heads arrive over WSS");

    const status = await within(get(`${REST_URL}/v1/status`), "REST over HTTPS");
    check(status.status === 200, "GET /v1/status over HTTPS", `got ${status.status}`);
    check(
      status.headers["strict-transport-security"] === "max-age=31536000",
      "REST answers over TLS carry Strict-Transport-Security",
      `got ${status.headers["strict-transport-security"]}`,
    );
    check(JSON.parse(status.body).chain_id === 31337, "the REST status is the chain's", status.body);
  } finally {
    provider.destroy();
    await ws.destroy();
  }
  console.log("tls flow: all checks passed");
}

main().catch((error) => {
  console.log(`FAIL: ${error instanceof CheckFailed ? error.message : error.stack ?? error}`);
  process.exit(1);
});
