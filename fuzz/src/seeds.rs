//! Seed corpora: each target knows how to make valid examples of its input, and writes them
//! instead of fuzzing when `CAIRN_FUZZ_WRITE_SEEDS` names a directory (`scripts/fuzz seeds`
//! does that, into `fuzz/seeds/<target>/`).

use std::path::PathBuf;

use alloy_primitives::{hex, keccak256};

/// The variable naming the directory seeds are written to.
pub const WRITE_SEEDS: &str = "CAIRN_FUZZ_WRITE_SEEDS";

/// Called from a target's `init`: when asked, writes `make()`'s seeds to
/// `$CAIRN_FUZZ_WRITE_SEEDS/<target>/` (each file named by its content's hash) and exits.
pub fn offer(target: &str, make: impl FnOnce() -> Vec<Vec<u8>>) {
    let Some(dir) = std::env::var_os(WRITE_SEEDS) else { return };
    let dir = PathBuf::from(dir).join(target);
    std::fs::create_dir_all(&dir).expect("creating the seed directory");
    let seeds = make();
    for seed in &seeds {
        let name = hex::encode(&keccak256(seed)[..8]);
        std::fs::write(dir.join(name), seed).expect("writing a seed");
    }
    eprintln!("{target}: {} seeds written to {}", seeds.len(), dir.display());
    std::process::exit(0);
}

/// A selector byte followed by a payload: how targets with several decoders pick one.
pub fn tagged(tag: u8, payload: &[u8]) -> Vec<u8> {
    let mut seed = Vec::with_capacity(payload.len() + 1);
    seed.push(tag);
    seed.extend_from_slice(payload);
    seed
}
