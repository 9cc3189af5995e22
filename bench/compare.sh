#!/usr/bin/env bash
# Side-by-side benchmark: the same loads (`cairn bench`) against anvil with one-second blocks,
# a single-validator Cairn (`cairn dev`), a 4-validator Cairn proof-of-stake network on this
# machine (submitting to all four), a 4-validator Cairn BFT network with the same block time,
# and that BFT network again with one validator killed (kill -9).
# Every chain gets the same block gas limit; at Ethereum's 30M a block holds at most 1,428
# transfers, which would cap a chain with one-second blocks near that rate whatever its speed.
# Prints a Markdown table with each figure's ratio to anvil's.
#
#   bench/compare.sh                      # defaults below
#   TXS=40000 ERC20_TXS=20000 CONTRACT_TXS=40000 bench/compare.sh
#   MIXES=contract bench/compare.sh       # only some of the mixes
#
# The 4-validator networks are `cairn testnet init` (`--consensus pos` for proof of stake) plus
# four `cairn node` processes, which is what `cairn dev --validators 4` runs, started one by one
# so that one can be killed alone (`cairn dev --validators` stops the whole network when a node
# exits). The proof-of-stake network runs right before the BFT one, so the two rows compare
# within minutes of each other; its epochs are `POS_EPOCH_LENGTH` blocks, so the run crosses
# many epoch boundaries (each block also pays its parent's signers through the staking contract).
set -euo pipefail

TXS=${TXS:-20000}              # plain transfers per run
ERC20_TXS=${ERC20_TXS:-10000}  # ERC-20 transfers per run
CONTRACT_TXS=${CONTRACT_TXS:-20000}  # contract-heavy calls (Heavy.work, ~130,000 gas) per run:
# at 100M gas a block holds ~770, so a run spans ~26 blocks; with a few blocks a run, one block
# more or less moves the rate by 20% or more.
MIXES=${MIXES:-transfers erc20 contract}  # which loads to run, of these three
ACCOUNTS=${ACCOUNTS:-400}      # fresh senders per run
PORT=${PORT:-19545}            # JSON-RPC of the node under test (BFT node i: PORT+i)
GAS_LIMIT=${GAS_LIMIT:-100000000}  # block gas limit of every chain, anvil's included
BFT_BLOCK_TIME=${BFT_BLOCK_TIME:-250ms}  # the 4-validator networks' block time (pos and bft)
POS_EPOCH_LENGTH=${POS_EPOCH_LENGTH:-20}  # blocks per epoch of the proof-of-stake network

cd "$(dirname "$0")/.."
ROOT=$(pwd)
ANVIL="$ROOT/e2e/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
if [ ! -x "$ANVIL" ]; then
  echo "anvil is missing: run scripts/test once (npm ci --prefix e2e installs it)" >&2
  exit 1
fi

echo "building release…" >&2
cargo build --release --locked -p cairn-cli >&2
CAIRN="${CARGO_TARGET_DIR:-$ROOT/target}/release/cairn"

WORK=$(mktemp -d)
PIDS=()
stop_all() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT

# Waits until the JSON-RPC endpoint on port $1 answers.
wait_rpc() {
  for _ in $(seq 1 300); do
    if curl -sf -H 'content-type: application/json' \
      -d '{"jsonrpc":"2.0","id":1,"method":"eth_blockNumber","params":[]}' \
      "http://127.0.0.1:$1" >/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "nothing answers JSON-RPC on port $1; logs in $WORK" >&2
  exit 1
}

# Runs every mix against the endpoints in $2 (comma separated), labelled $1.
run_loads() {
  local label=$1 rpc=$2 ws="ws://${2#http://}"
  ws=${ws%%,*}
  for mix in $MIXES; do
    local txs=$TXS
    [ "$mix" = erc20 ] && txs=$ERC20_TXS
    [ "$mix" = contract ] && txs=$CONTRACT_TXS
    echo "== $label, $mix" >&2
    "$CAIRN" bench --rpc "$rpc" --ws "$ws" --mix "$mix" --txs "$txs" --accounts "$ACCOUNTS" \
      --label "$label" --json "$WORK/$label-$mix.json" >&2
  done
}

echo "== anvil (1 s blocks)" >&2
"$ANVIL" --port "$PORT" --block-time 1 --gas-limit "$GAS_LIMIT" --slots-in-an-epoch 1 >"$WORK/anvil.log" 2>&1 &
PIDS+=($!)
wait_rpc "$PORT"
run_loads anvil "http://127.0.0.1:$PORT"
stop_all

echo "== cairn dev (1 validator)" >&2
"$CAIRN" init --gas-limit "$GAS_LIMIT" --out "$WORK/dev.json" >&2
"$CAIRN" dev --datadir "$WORK/dev" --genesis "$WORK/dev.json" --rpc-addr "127.0.0.1:$PORT" --api-addr "127.0.0.1:$((PORT + 100))" \
  >"$WORK/dev.log" 2>&1 &
PIDS+=($!)
wait_rpc "$PORT"
run_loads cairn-1 "http://127.0.0.1:$PORT"
stop_all

# Writes a 4-validator testnet into $WORK/$1 (extra `testnet init` arguments after it) and
# starts its four nodes; their pids go to NODES.
start_network() {
  local name=$1
  shift
  "$CAIRN" testnet init --validators 4 --out "$WORK/$name" --rpc-port "$PORT" \
    --api-port "$((PORT + 100))" --p2p-port "$((PORT + 200))" --gossip-port "$((PORT + 300))" \
    --block-time "$BFT_BLOCK_TIME" --gas-limit "$GAS_LIMIT" "$@" >&2
  NODES=()
  for i in 0 1 2 3; do
    "$CAIRN" node --config "$WORK/$name/node$i/config.toml" >"$WORK/$name-node$i.log" 2>&1 &
    NODES+=($!)
    PIDS+=($!)
  done
  for i in 0 1 2 3; do wait_rpc "$((PORT + i))"; done
}
ALL=$(printf 'http://127.0.0.1:%s,' "$PORT" "$((PORT + 1))" "$((PORT + 2))" "$((PORT + 3))")

echo "== cairn, 4 validators, proof of stake" >&2
start_network pos --consensus pos --epoch-length "$POS_EPOCH_LENGTH"
run_loads cairn-pos-4 "${ALL%,}"
stop_all

echo "== cairn, 4 validators" >&2
start_network bft
run_loads cairn-4 "${ALL%,}"

echo "== cairn, 4 validators, node3 killed" >&2
kill -9 "${NODES[3]}"
UP=$(printf 'http://127.0.0.1:%s,' "$PORT" "$((PORT + 1))" "$((PORT + 2))")
run_loads cairn-4-one-down "${UP%,}"
stop_all

echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $TXS transfers / $ERC20_TXS ERC-20 transfers / $CONTRACT_TXS contract calls from $ACCOUNTS senders per run, batches of 500; block gas limit $GAS_LIMIT everywhere; anvil 1 s blocks, cairn-1 a block as soon as transactions wait, cairn-4 and cairn-pos-4 $BFT_BLOCK_TIME blocks, cairn-pos-4 epochs of $POS_EPOCH_LENGTH blocks"
echo
jq -rs '
  def r(x): (x * 10 | round) / 10;
  def ratio(x; y): if y > 0 then "\(r(x / y))×" else "–" end;
  (map(select(.label == "anvil")) | map({key: .mix, value: .summary}) | from_entries) as $anvil
  | "| run | mix | final tx/s | vs anvil | blocks/s | inclusion p50 / p99 ms | finality p50 / p95 / p99 ms | p99 finality vs anvil | rejected | lost |",
    "|---|---|---|---|---|---|---|---|---|---|",
    (.[] | .summary as $s | $anvil[.mix] as $a
      | "| \(.label) | \(.mix) | \($s.finalized_tps | round) | \(ratio($s.finalized_tps; $a.finalized_tps)) | \(r($s.blocks_per_sec)) | \($s.inclusion_ms.p50 | round) / \($s.inclusion_ms.p99 | round) | \($s.finality_ms.p50 | round) / \($s.finality_ms.p95 | round) / \($s.finality_ms.p99 | round) | \(ratio($s.finality_ms.p99; $a.finality_ms.p99)) | \($s.rejected) | \($s.lost) |")
' $(for label in anvil cairn-1 cairn-4 cairn-pos-4 cairn-4-one-down; do
      for mix in $MIXES; do echo "$WORK/$label-$mix.json"; done
    done)
echo
jq -rs '
  (map(select(.label == "cairn-4")) | map({key: .mix, value: .summary}) | from_entries) as $bft
  | "cairn-pos-4 final tx/s vs cairn-4: "
    + (map(select(.label == "cairn-pos-4"))
       | map("\(.mix) \((.summary.finalized_tps / $bft[.mix].finalized_tps * 1000 | round) / 10)%")
       | join(", "))
' "$WORK"/cairn-4-*.json "$WORK"/cairn-pos-4-*.json
