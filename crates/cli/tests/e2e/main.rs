//! End-to-end tests with real Ethereum clients: cast, ethers v6 and web3.py drive the real
//! `cairn dev` binary over JSON-RPC, and the same cast and ethers flows run against anvil as
//! the reference. An independent verifier (Python's `trie`) checks `eth_getProof` answers.
//!
//! The client tools live in `e2e/` (npm packages in `e2e/node_modules`, a Python virtualenv in
//! `e2e/.venv`); `scripts/test` installs them before running `cargo test`.
//! The explorer and docs tests drive Debian's chromium with playwright-core (also from
//! e2e/node_modules).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, unreachable_pub)]

mod api_keys;
mod bench;
mod bft;
mod cast;
mod devnet;
mod docs;
mod ethers;
mod explorer;
mod governance;
mod harness;
mod keys;
mod pending;
mod pos;
mod pow;
mod proof;
mod schemathesis;
mod stream;
mod tls;
mod web3py;
mod webhooks;
