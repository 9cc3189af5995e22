//! A system contract over JSON-RPC: typed view calls by `eth_call`, and refusals decoded into
//! the contract's custom errors, as an operator or admin reads them.

use alloy_primitives::{Address, B256, Bytes, LogData, hex};
use alloy_sol_types::{GenericContractError, SolCall, SolInterface};
use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::jsonrpc::{Rpc, RpcFailure, quantity};

/// What the commands need to know of one system contract.
#[derive(Debug)]
pub(crate) struct SystemContract {
    /// As messages name it: `staking`, `governance`.
    pub(crate) name: &'static str,
    /// Where it lives from genesis.
    pub(crate) address: Address,
    /// What a chain without it is, for the error: `it is not a proof-of-stake chain`.
    pub(crate) absent: &'static str,
    /// Revert data as the contract's error in words.
    pub(crate) describe: fn(&[u8]) -> String,
}

/// A node's JSON-RPC endpoint on a chain that has `contract`.
pub(crate) struct ContractRpc {
    pub(crate) rpc: Rpc,
    pub(crate) chain_id: u64,
    pub(crate) contract: &'static SystemContract,
}

impl ContractRpc {
    /// Connects to `url` and checks the chain has code at the contract's address, so a command
    /// against a chain without it fails with that reason instead of a decode error.
    pub(crate) async fn connect(
        url: &str,
        contract: &'static SystemContract,
    ) -> anyhow::Result<Self> {
        let rpc = Rpc::new(url)?;
        let chain_id = quantity(&rpc.call("eth_chainId", json!([])).await?)?;
        let code = rpc.call("eth_getCode", json!([contract.address, "latest"])).await?;
        if code.as_str().is_none_or(|code| code == "0x" || code.is_empty()) {
            bail!(
                "chain {chain_id} at {url} has no {} contract at {}: {}",
                contract.name,
                contract.address,
                contract.absent
            );
        }
        Ok(Self { rpc, chain_id, contract })
    }

    /// Calls the view `call` at `block` (a number or tag) and decodes its answer.
    pub(crate) async fn view<C: SolCall>(
        &self,
        call: &C,
        block: &Value,
    ) -> anyhow::Result<C::Return> {
        let request =
            json!({ "to": self.contract.address, "data": Bytes::from(call.abi_encode()) });
        let answer = self.rpc.try_call("eth_call", json!([request, block])).await?;
        let data = answer.map_err(|failure| refusal(self.contract, C::SIGNATURE, &failure))?;
        let bytes: Bytes = serde_json::from_value(data)
            .with_context(|| format!("{} answered with no hex data", C::SIGNATURE))?;
        C::abi_decode_returns(&bytes)
            .with_context(|| format!("{} answered with data that does not decode", C::SIGNATURE))
    }
}

/// An error for a failed call of `function`: the decoded custom error when the node sent revert
/// data, otherwise the node's message.
pub(crate) fn refusal(
    contract: &SystemContract,
    function: &str,
    failure: &RpcFailure,
) -> anyhow::Error {
    match revert_data(failure) {
        Some(data) => anyhow::anyhow!(
            "the {} contract refused {function}: {}",
            contract.name,
            (contract.describe)(&data)
        ),
        None => anyhow::anyhow!("{function}: {failure}"),
    }
}

/// The revert data of a failed `eth_call` or `eth_estimateGas` (geth's error code 3).
fn revert_data(failure: &RpcFailure) -> Option<Bytes> {
    serde_json::from_value(failure.data.clone()?).ok()
}

/// Revert data that is none of a contract's custom errors, in words: a revert string, a panic,
/// or the raw bytes.
pub(crate) fn other_revert(data: &[u8]) -> String {
    match GenericContractError::abi_decode(data) {
        Ok(GenericContractError::Revert(revert)) => format!("revert {:?}", revert.reason),
        Ok(GenericContractError::Panic(panic)) => format!("{panic}"),
        Err(_) if data.is_empty() => "a revert without data".to_string(),
        Err(_) => format!("unrecognised revert data 0x{}", hex::encode(data)),
    }
}

/// The topics and data of a log as JSON-RPC shows it (in a receipt or from `eth_getLogs`), or
/// `None` when they do not parse.
pub(crate) fn decode_log(log: &Value) -> Option<LogData> {
    let topics: Vec<B256> = serde_json::from_value(log["topics"].clone()).ok()?;
    let data: Bytes = serde_json::from_value(log["data"].clone()).ok()?;
    LogData::new(topics, data)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_sol_types::SolError;

    #[test]
    fn other_reverts_are_named_not_hidden() {
        let data = alloy_sol_types::Revert::from("nope").abi_encode();
        assert_eq!(other_revert(&data), "revert \"nope\"");
        assert_eq!(other_revert(&[]), "a revert without data");
        assert_eq!(other_revert(&[1, 2, 3]), "unrecognised revert data 0x010203");
    }

    #[test]
    fn refusals_decode_the_revert_data_of_a_json_rpc_error() {
        const TEST: SystemContract = SystemContract {
            name: "test",
            address: Address::ZERO,
            absent: "nothing here",
            describe: other_revert,
        };
        let data = alloy_sol_types::Revert::from("no").abi_encode();
        let failure = RpcFailure {
            code: 3,
            message: "execution reverted".to_string(),
            data: Some(json!(Bytes::from(data))),
        };
        assert_eq!(
            refusal(&TEST, "withdraw()", &failure).to_string(),
            "the test contract refused withdraw(): revert \"no\""
        );
        let failure =
            RpcFailure { code: -32000, message: "insufficient funds".to_string(), data: None };
        assert_eq!(
            refusal(&TEST, "withdraw()", &failure).to_string(),
            "withdraw(): insufficient funds"
        );
    }

    #[test]
    fn logs_decode_from_their_json_form() {
        let topic = B256::repeat_byte(7);
        let log = json!({ "topics": [topic], "data": "0x0102" });
        let decoded = decode_log(&log).unwrap();
        assert_eq!(decoded.topics(), [topic]);
        assert_eq!(decoded.data.as_ref(), [1, 2]);
        assert!(decode_log(&json!({ "data": "0x" })).is_none());
    }
}
