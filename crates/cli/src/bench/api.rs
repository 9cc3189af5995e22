//! `cairn api-bench`: requests per second and latency of REST reads, from concurrent clients
//! that each send one request after another for a fixed time (closed loop). Refusals (a 429
//! from the node's rate limits included) count as errors, not as answered requests.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use futures_util::future::try_join_all;

use super::report::Latency;

#[derive(Debug, Args)]
pub(crate) struct ApiBenchArgs {
    /// The REST API's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Paths to read, comma separated; each is measured on its own.
    #[arg(long, value_delimiter = ',', default_value = "/v1/blocks/1")]
    paths: Vec<String>,
    /// Clients sending at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// How long each path is read.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    duration: Duration,
}

pub(crate) fn run(args: ApiBenchArgs) -> anyhow::Result<()> {
    if args.paths.is_empty() || args.concurrency == 0 || args.duration.is_zero() {
        bail!("--paths, --concurrency and --duration must not be empty or zero");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let client = reqwest::Client::new();
        println!("path\trequests/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\terrors");
        for path in &args.paths {
            let url = format!("{}{path}", args.url.trim_end_matches('/'));
            let end = Instant::now() + args.duration;
            let clients = (0..args.concurrency).map(|_| read_until(&client, &url, end));
            let results = try_join_all(clients).await?;
            let errors: usize = results.iter().map(|(_, errors)| errors).sum();
            let samples: Vec<Duration> = results.into_iter().flat_map(|(s, _)| s).collect();
            let rate = samples.len() as f64 / args.duration.as_secs_f64();
            let latency = Latency::of(samples);
            println!(
                "{path}\t{rate:.0}\t{:.2}\t{:.2}\t{:.2}\t{:.2}\t{errors}",
                latency.p50, latency.p95, latency.p99, latency.max
            );
        }
        Ok(())
    })
}

/// One client's answered requests (their latencies) and failures until `end`.
async fn read_until(
    client: &reqwest::Client,
    url: &str,
    end: Instant,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let (mut samples, mut errors) = (Vec::new(), 0);
    while Instant::now() < end {
        let start = Instant::now();
        let response = client.get(url).send().await.with_context(|| format!("GET {url}"))?;
        let ok = response.status().is_success();
        response.bytes().await.with_context(|| format!("GET {url}"))?;
        if ok {
            samples.push(start.elapsed());
        } else {
            errors += 1;
        }
    }
    Ok((samples, errors))
}
