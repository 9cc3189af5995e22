//! Transactions to Cairn's system contracts from the command line, shared by `cairn staking`
//! and `cairn gov`: the signing key (keystore, key on the command line or in the environment),
//! the node's JSON-RPC, view calls, a check by `eth_call` that prints the contract's refusal
//! and sends nothing, and the signed transaction waited for until its receipt.

mod contract;
mod key;
mod send;

use std::path::PathBuf;
use std::time::Duration;

use alloy_signer_local::PrivateKeySigner;
use anyhow::bail;
use clap::{ArgGroup, Args};

pub(crate) use contract::{ContractRpc, SystemContract, decode_log, other_revert};
pub(crate) use send::{ContractCall, Included};

/// The default `--rpc`: a node on this machine.
pub(crate) const DEFAULT_RPC: &str = "http://127.0.0.1:8545";

/// The flags of a command that signs a contract transaction: whose key, which node, how long to
/// wait for the receipt.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("signer").required(true).args(["from", "from_env"])))]
pub(crate) struct TxArgs {
    /// The account that signs and pays: a V3 keystore file, or a 0x-prefixed private key
    /// (visible to other users; prefer --from-env).
    #[arg(long)]
    from: Option<String>,
    /// Read the signer's 0x-prefixed private key from this environment variable.
    #[arg(long, value_name = "VAR")]
    from_env: Option<String>,
    /// Password of the --from keystore; without it CAIRN_FROM_PASSWORD, else a prompt.
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// JSON-RPC endpoint of a node of the chain.
    #[arg(long, default_value = DEFAULT_RPC)]
    pub(crate) rpc: String,
    /// How long to wait for the transaction's receipt.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub(crate) wait: Duration,
}

impl TxArgs {
    /// The signer the flags name, with the process's environment; a warning on stderr when the
    /// key came on the command line.
    pub(crate) fn signer(&self) -> anyhow::Result<PrivateKeySigner> {
        let source = match (&self.from, &self.from_env) {
            (Some(from), _) => key::KeySource::Arg(from),
            (None, Some(var)) => key::KeySource::Env(var),
            (None, None) => bail!("pass --from or --from-env"),
        };
        key::load(
            source,
            self.password_file.as_deref(),
            |var| std::env::var(var).ok(),
            |warning| eprintln!("{warning}"),
        )
    }
}
