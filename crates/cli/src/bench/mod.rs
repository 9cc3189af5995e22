//! `cairn bench`: a load generator for any Ethereum JSON-RPC node (Cairn, anvil, geth).
//!
//! ```text
//! fund K fresh senders from one funded key (and deploy the contract the ERC-20 or the
//!   contract-heavy mix calls)
//!   → sign N transactions up front (rayon), nonce level by level over the senders
//!   → submit them in JSON-RPC batches over HTTP, on lanes (senders split across lanes and
//!     endpoints, so each sender's nonces reach one node in order), open loop at --rate or as
//!     fast as accepted with at most --window waiting for inclusion
//!   → follow newHeads over WebSocket and the `finalized` block over HTTP
//!   → throughput, latency percentiles, rejected and lost counts
//! ```

pub(crate) mod api;
mod follow;
mod report;
mod workload;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy_primitives::{B256, U256};
use alloy_signer_local::PrivateKeySigner;
use anyhow::{Context, bail};
use cairn_primitives::dev_accounts;
use clap::Args;
use futures_util::future::try_join_all;
use serde_json::json;

use crate::jsonrpc::{Rpc, quantity};
use follow::{Shared, Tracker, follow};
use report::Summary;
use workload::{Chain, Funder, Mix, Signed};

/// How often a submitter waiting for room in the window looks again.
const WINDOW_POLL: Duration = Duration::from_millis(2);
/// How often the end of the run checks for finality.
const SETTLE_POLL: Duration = Duration::from_millis(50);
/// How long every endpoint may take to hold the block that funded the senders.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// JSON-RPC HTTP endpoints, comma separated; senders are spread over them.
    #[arg(long, value_delimiter = ',', default_value = "http://127.0.0.1:8545")]
    rpc: Vec<String>,
    /// WebSocket endpoint for newHeads (default: the first --rpc with ws://).
    #[arg(long)]
    ws: Option<String>,
    /// How many load transactions to send.
    #[arg(long, default_value_t = 10_000)]
    txs: usize,
    /// How many fresh senders to fund and send from.
    #[arg(long, default_value_t = 200)]
    accounts: usize,
    /// What the transactions do.
    #[arg(long, value_enum, default_value_t = Mix::Transfers)]
    mix: Mix,
    /// Transactions per JSON-RPC batch.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Target rate in transactions per second over all endpoints (open loop); without it,
    /// as fast as the nodes accept with at most --window waiting for inclusion.
    #[arg(long)]
    rate: Option<f64>,
    /// Most accepted transactions not yet included, without --rate (pools hold 10,000).
    #[arg(long, default_value_t = 5_000)]
    window: usize,
    /// Concurrent submitters per endpoint.
    #[arg(long, default_value_t = 2)]
    lanes: usize,
    /// How long to wait for finality once every batch is sent, after the last progress.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    wait: Duration,
    /// Seed of the fresh senders' keys (default: random, so runs never share senders).
    #[arg(long)]
    seed: Option<u64>,
    /// Private key that funds the senders (default: development account 0).
    #[arg(long, env = "CAIRN_BENCH_FUNDER_KEY", hide_env_values = true)]
    funder_key: Option<B256>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// A name for this run in the JSON output.
    #[arg(long, default_value = "run")]
    label: String,
}

pub(crate) fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.rpc.is_empty()
        || args.accounts == 0
        || args.txs == 0
        || args.batch == 0
        || args.lanes == 0
    {
        bail!("--rpc, --accounts, --txs, --batch and --lanes must not be empty or zero");
    }
    if args.rate.is_some_and(|rate| rate.is_nan() || rate <= 0.0) {
        bail!("--rate must be positive");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(bench(args))
}

/// Waits until every endpoint holds block `number`, so that no node refuses a load
/// transaction for a sender whose funding it has not committed yet.
async fn catch_up(endpoints: &[Rpc], number: u64) -> anyhow::Result<()> {
    let deadline = Instant::now() + CATCH_UP_TIMEOUT;
    for rpc in endpoints {
        while quantity(&rpc.call("eth_blockNumber", json!([])).await?)? < number {
            if Instant::now() > deadline {
                bail!("{} did not reach block {number} within {CATCH_UP_TIMEOUT:?}", rpc.url());
            }
            tokio::time::sleep(SETTLE_POLL).await;
        }
    }
    Ok(())
}

async fn bench(args: BenchArgs) -> anyhow::Result<()> {
    let endpoints = args.rpc.iter().map(|url| Rpc::new(url)).collect::<anyhow::Result<Vec<_>>>()?;
    let main = endpoints[0].clone();
    let ws = match &args.ws {
        Some(ws) => ws.clone(),
        None => main.url().replacen("http", "ws", 1),
    };
    let chain = Chain::read(&main).await?;
    let seed = args.seed.unwrap_or_else(rand::random);
    let keys = workload::fresh_keys(seed, args.accounts)?;
    let addresses: Vec<_> = keys.iter().map(PrivateKeySigner::address).collect();

    let funder = match args.funder_key {
        Some(secret) => PrivateKeySigner::from_bytes(&secret).context("invalid --funder-key")?,
        None => dev_accounts(1)?.remove(0).signer,
    };
    let mut funder = Funder::new(&main, funder).await?;
    let per_account = args.txs.div_ceil(args.accounts) as u64;
    let contract = match args.mix {
        Mix::Transfers => None,
        Mix::Erc20 => {
            eprintln!("deploying the ERC-20");
            let supply = U256::from(per_account) * U256::from(args.accounts);
            Some(funder.deploy_token(&main, chain, supply).await?)
        }
        Mix::Contract => {
            eprintln!("deploying Heavy");
            Some(funder.deploy_heavy(&main, chain).await?)
        }
    };
    eprintln!("funding {} senders (seed {seed})", args.accounts);
    let ether = workload::cost_per_tx(args.mix, chain) * U256::from(per_account);
    let tokens =
        contract.filter(|_| args.mix == Mix::Erc20).map(|token| (token, U256::from(per_account)));
    funder.fund(&main, chain, &addresses, ether, tokens).await?;
    let funded = quantity(&main.call("eth_blockNumber", json!([])).await?)?;
    catch_up(&endpoints, funded).await?;
    let nonces = workload::next_nonces(&main, &addresses).await?;

    let signing = Instant::now();
    let load = workload::sign_load(&keys, &nonces, args.txs, args.mix, contract, chain, seed)?;
    eprintln!("signed {} transactions in {:.2} s", load.len(), signing.elapsed().as_secs_f64());

    let tracker = Shared::new(Tracker::new(load.iter().map(|tx| tx.hash)));
    let from = quantity(&main.call("eth_blockNumber", json!([])).await?)?;
    let mut follower = tokio::spawn(follow(ws, main.clone(), tracker.clone(), from));

    let lanes = lanes(load, endpoints.len() * args.lanes);
    let lane_rate = args.rate.map(|rate| rate / lanes.len() as f64);
    let started = Instant::now();
    let mut submitters = Vec::new();
    let count = lanes.len();
    for (index, lane) in lanes.into_iter().enumerate() {
        let lane = Lane {
            rpc: endpoints[index % endpoints.len()].clone(),
            txs: lane,
            batch: args.batch,
            rate: lane_rate,
            phase: lane_phase(args.batch, index, count),
            window: args.window,
            tracker: tracker.clone(),
        };
        submitters.push(tokio::spawn(lane.submit(started)));
    }
    // Submitters wait for inclusions the follower reports, so a failed follower ends the run.
    tokio::select! {
        done = try_join_all(submitters) => {
            done?.into_iter().collect::<anyhow::Result<()>>()?;
        }
        stopped = &mut follower => return Err(follower_failed(stopped)),
    }
    let submit = started.elapsed();
    eprintln!("submitted in {:.2} s, waiting for finality", submit.as_secs_f64());

    let mut progress = (Instant::now(), 0);
    while !tracker.lock().settled() {
        if follower.is_finished() {
            return Err(follower_failed(follower.await));
        }
        let finalized = tracker.lock().finalized_count();
        if finalized > progress.1 {
            progress = (Instant::now(), finalized);
        } else if progress.0.elapsed() > args.wait {
            eprintln!("no progress for {:?}: stopping", args.wait);
            break;
        }
        tokio::time::sleep(SETTLE_POLL).await;
    }
    follower.abort();

    let summary = Summary::of(&tracker.lock(), submit);
    println!(
        "{}: {} × {} from {} senders to {} endpoint(s), batches of {}, {}",
        args.label,
        args.txs,
        args.mix.name(),
        args.accounts,
        endpoints.len(),
        args.batch,
        args.rate.map_or("as fast as accepted".to_string(), |r| format!("{r} tx/s offered")),
    );
    print!("{}", summary.render());
    if let Some(path) = &args.json {
        let value = json!({
            "label": args.label,
            "mix": args.mix,
            "txs": args.txs,
            "accounts": args.accounts,
            "endpoints": args.rpc,
            "batch": args.batch,
            "rate": args.rate,
            "summary": summary,
        });
        std::fs::write(path, serde_json::to_vec_pretty(&value)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Why the follower stopped, as an error.
fn follower_failed(stopped: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Error {
    match stopped {
        Ok(Ok(())) => anyhow::anyhow!("stopped following the chain"),
        Ok(Err(error)) => error.context("following the chain failed"),
        Err(error) => anyhow::Error::new(error).context("the chain follower panicked"),
    }
}

/// Splits the load over `count` lanes by sender (sender i on lane i mod count), keeping order.
fn lanes(load: Vec<Signed>, count: usize) -> Vec<Vec<Signed>> {
    let mut lanes = vec![Vec::new(); count];
    for tx in load {
        lanes[tx.account % count].push(tx);
    }
    lanes
}

/// How many transactions' worth lane `index` of `count` waits before its first paced batch: its
/// share of one batch, so the lanes send in turn.
fn lane_phase(batch: usize, index: usize, count: usize) -> f64 {
    batch as f64 * index as f64 / count as f64
}

/// When a lane on schedule for `rate` sends the batch that starts at its `offered`-th
/// transaction, `phase` transactions' worth after the start.
fn batch_due(offered: usize, phase: f64, rate: f64) -> Duration {
    Duration::from_secs_f64((offered as f64 + phase) / rate)
}

/// One submitter: sends its transactions in batches, one batch at a time, to one endpoint.
struct Lane {
    rpc: Rpc,
    txs: Vec<Signed>,
    batch: usize,
    rate: Option<f64>,
    /// With a rate, how many transactions' worth of time this lane waits before its first
    /// batch, so that the lanes take turns instead of all sending at once.
    phase: f64,
    window: usize,
    tracker: Shared,
}

impl Lane {
    async fn submit(self, started: Instant) -> anyhow::Result<()> {
        let mut offered = 0usize;
        for chunk in self.txs.chunks(self.batch) {
            match self.rate {
                Some(rate) => {
                    let due = started + batch_due(offered, self.phase, rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                None => {
                    while self.tracker.lock().outstanding() >= self.window {
                        tokio::time::sleep(WINDOW_POLL).await;
                    }
                }
            }
            offered += chunk.len();
            self.tracker.lock().sent(chunk.iter().map(|tx| tx.hash), Instant::now());
            let calls = chunk.iter().map(|tx| ("eth_sendRawTransaction", json!([tx.raw])));
            match self.rpc.batch(calls).await {
                Ok(results) => {
                    let mut tracker = self.tracker.lock();
                    for (tx, result) in chunk.iter().zip(results) {
                        if let Err(reason) = result {
                            tracker.rejected(tx.hash, &reason);
                        }
                    }
                }
                Err(error) => {
                    let reason = format!("{error:#}");
                    let mut tracker = self.tracker.lock();
                    for tx in chunk {
                        tracker.rejected(tx.hash, &reason);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paced_lanes_take_turns() {
        // 1,000 tx/s over 8 lanes in batches of 500: one batch every half second overall,
        // not 4,000 transactions every 4 s.
        let (count, batch, rate) = (8, 500usize, 1_000.0 / 8.0);
        let mut sends: Vec<Duration> = (0..count)
            .flat_map(|index| {
                (0..3).map(move |n| batch_due(n * batch, lane_phase(batch, index, count), rate))
            })
            .collect();
        sends.sort();
        let gaps: Vec<f64> = sends.windows(2).map(|w| (w[1] - w[0]).as_secs_f64()).collect();
        assert!(gaps.iter().all(|gap| (gap - 0.5).abs() < 1e-9), "{gaps:?}");
        assert_eq!(sends[0], Duration::ZERO);
    }

    #[test]
    fn lanes_keep_each_sender_on_one_lane_in_order() {
        let keys = workload::fresh_keys(3, 5).expect("keys");
        let chain = Chain { chain_id: 1, max_fee: 10 };
        let load =
            workload::sign_load(&keys, &[0; 5], 23, Mix::Transfers, None, chain, 3).expect("signs");
        let hashes: Vec<_> = load.iter().map(|tx| tx.hash).collect();
        let lanes = lanes(load, 3);
        assert_eq!(lanes.iter().map(Vec::len).sum::<usize>(), 23);
        for (index, lane) in lanes.iter().enumerate() {
            assert!(lane.iter().all(|tx| tx.account % 3 == index));
            let positions: Vec<_> =
                lane.iter().map(|tx| hashes.iter().position(|h| *h == tx.hash)).collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "lane keeps the signing order");
        }
    }
}
