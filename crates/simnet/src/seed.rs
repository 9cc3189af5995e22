//! Which run a scenario is, and how to replay it.

use std::future::Future;

/// The environment variable that replays one run.
const SEED_VAR: &str = "CAIRN_SIM_SEED";

/// The seed of one run. It fixes the validators' and accounts' keys, genesis, every message's
/// fate and delay, and whatever a scenario draws from it; `CAIRN_SIM_SEED=N` replays run `N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seed(pub u64);

/// Runs `scenario` once per seed, each on a fresh single-threaded Tokio runtime whose clock
/// starts paused (it jumps to the next timer whenever every task waits): the seed in
/// `CAIRN_SIM_SEED` alone when it is set, else each of `defaults`. A failing run prints its
/// seed and the command that replays it.
pub fn run<F, Fut>(name: &str, defaults: &[u64], scenario: F)
where
    F: Fn(Seed) -> Fut,
    Fut: Future<Output = ()>,
{
    let seeds = match std::env::var(SEED_VAR) {
        Ok(text) => vec![
            text.trim().parse().unwrap_or_else(|_| panic!("{SEED_VAR}={text:?} is not a number")),
        ],
        Err(_) => defaults.to_vec(),
    };
    // Logs, when asked for (`RUST_LOG=info`), go to the test's captured output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    for seed in seeds {
        let _guard = SeedGuard { name, seed };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("a Tokio runtime");
        runtime.block_on(scenario(Seed(seed)));
    }
}

/// Names the seed of a run that panics, once its runtime is gone.
struct SeedGuard<'a> {
    name: &'a str,
    seed: u64,
}

impl Drop for SeedGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "simnet: {} failed with seed {}; replay it with {SEED_VAR}={} cargo test -p cairn-simnet --test it {}",
                self.name, self.seed, self.seed, self.name
            );
        }
    }
}
