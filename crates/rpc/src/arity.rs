//! Refusing positional parameters a method does not read, as geth does ("too many arguments,
//! want at most N"): a client that passes an argument the node would silently ignore (a state
//! override to a method that takes none, a typo'd extra block tag) gets an error instead of an
//! answer to a question it did not ask.
//!
//! Handlers read their parameters one at a time ([`crate::params::Args`]), so the most each
//! reads is listed here; [`crate::screen`] enforces it before any handler runs (and before
//! `eth_sendRawTransaction` is admitted). A unit test checks that every registered
//! method is listed.

use jsonrpsee::types::{ErrorObjectOwned, Params};
use serde_json::value::RawValue;

use crate::error::invalid_params;

/// The most positional parameters each method reads.
const MAX_PARAMS: &[(&str, usize)] = &[
    ("eth_accounts", 0),
    ("eth_blockNumber", 0),
    ("eth_call", 4),
    ("eth_chainId", 0),
    ("eth_createAccessList", 2),
    ("eth_estimateGas", 3),
    ("eth_feeHistory", 3),
    ("eth_gasPrice", 0),
    ("eth_getBalance", 2),
    ("eth_getBlockByHash", 2),
    ("eth_getBlockByNumber", 2),
    ("eth_getBlockReceipts", 1),
    ("eth_getBlockTransactionCountByHash", 1),
    ("eth_getBlockTransactionCountByNumber", 1),
    ("eth_getCode", 2),
    ("eth_getFilterChanges", 1),
    ("eth_getFilterLogs", 1),
    ("eth_getLogs", 1),
    ("eth_getProof", 3),
    ("eth_getStorageAt", 3),
    ("eth_getTransactionByBlockHashAndIndex", 2),
    ("eth_getTransactionByBlockNumberAndIndex", 2),
    ("eth_getTransactionByHash", 1),
    ("eth_getTransactionCount", 2),
    ("eth_getTransactionReceipt", 1),
    ("eth_getUncleCountByBlockHash", 1),
    ("eth_getUncleCountByBlockNumber", 1),
    ("eth_maxPriorityFeePerGas", 0),
    ("eth_newBlockFilter", 0),
    ("eth_newFilter", 1),
    ("eth_newPendingTransactionFilter", 0),
    ("eth_sendRawTransaction", 1),
    ("eth_subscribe", 2),
    ("eth_syncing", 0),
    ("eth_uninstallFilter", 1),
    ("eth_unsubscribe", 1),
    ("net_listening", 0),
    ("net_peerCount", 0),
    ("net_version", 0),
    ("txpool_content", 0),
    ("txpool_status", 0),
    ("web3_clientVersion", 0),
    ("web3_sha3", 1),
    // Registered by a BFT node's engine (`cairn node`).
    ("cairn_getEvidence", 0),
    ("cairn_submitEvidence", 1),
];

/// The most positional parameters `method` reads; `None` for a method not listed (an unknown
/// one is answered "method not found" by the server).
pub(crate) fn max_params(method: &str) -> Option<usize> {
    MAX_PARAMS.iter().find(|(name, _)| *name == method).map(|(_, max)| *max)
}

/// Why a call's parameters are refused before its handler runs, if they are.
pub(crate) fn check(method: &str, params: &Params<'_>) -> Option<ErrorObjectOwned> {
    let max = max_params(method)?;
    // Only an array is positional; anything else is left to the handler to explain.
    let given = serde_json::from_str::<Vec<&RawValue>>(params.as_str()?).ok()?.len();
    (given > max).then(|| invalid_params(format!("too many arguments, want at most {max}")))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use alloy_primitives::Address;
    use cairn_consensus::DevConsensus;
    use cairn_node::Node;
    use cairn_primitives::ChainSpec;
    use cairn_storage::MemoryKv;

    use super::*;
    use crate::RpcConfig;

    #[test]
    fn every_registered_method_has_a_parameter_count() {
        let spec = ChainSpec::dev().expect("dev spec");
        let consensus = Arc::new(DevConsensus::new(Address::ZERO));
        let node = Arc::new(Node::open(MemoryKv::new(), spec, consensus).expect("node"));
        let module = crate::server::module(node, &RpcConfig::default());
        let names: Vec<&str> = module.method_names().collect();
        assert!(names.len() > 40, "{names:?}");
        for name in names {
            assert!(max_params(name).is_some(), "{name} is missing from MAX_PARAMS");
        }
    }

    #[test]
    fn extra_positional_parameters_are_named() {
        let params = |text: &'static str| Params::new(Some(text));
        let refused = check("eth_chainId", &params("[1]")).expect("refused");
        assert_eq!(refused.code(), -32602);
        assert_eq!(refused.message(), "too many arguments, want at most 0");
        assert!(check("eth_getBalance", &params(r#"["0x00", "latest"]"#)).is_none());
        assert!(check("eth_getBalance", &params(r#"["0x00", "latest", 1]"#)).is_some());
        assert!(check("eth_getBalance", &params(r#"{"a": 1}"#)).is_none(), "not positional");
        assert!(check("no_such_method", &params("[1, 2, 3]")).is_none());
    }
}
