//! The staking contract over JSON-RPC: typed view calls by `eth_call` and refusals decoded into
//! the contract's custom errors, as an operator reads them.

use alloy_primitives::{Address, B256, Bytes, I256, U256, hex};
use alloy_sol_types::{GenericContractError, SolCall, SolInterface};
use anyhow::{Context, bail};
use cairn_staking::STAKING_ADDRESS;
use cairn_staking::Staking::StakingErrors;
use serde_json::{Value, json};

use super::amounts::ether;
use crate::jsonrpc::{Rpc, RpcFailure, quantity};

/// A node's JSON-RPC endpoint on a chain that has the staking contract.
pub(crate) struct StakingRpc {
    pub(crate) rpc: Rpc,
    pub(crate) chain_id: u64,
}

impl StakingRpc {
    /// Connects to `url` and checks the chain has code at the staking address, so a command
    /// against a chain without proof of stake fails with that reason instead of a decode error.
    pub(crate) async fn connect(url: &str) -> anyhow::Result<Self> {
        let rpc = Rpc::new(url)?;
        let chain_id = quantity(&rpc.call("eth_chainId", json!([])).await?)?;
        let code = rpc.call("eth_getCode", json!([STAKING_ADDRESS, "latest"])).await?;
        if code.as_str().is_none_or(|code| code == "0x" || code.is_empty()) {
            bail!(
                "chain {chain_id} at {url} has no staking contract at {STAKING_ADDRESS}: it is \
                 not a proof-of-stake chain"
            );
        }
        Ok(Self { rpc, chain_id })
    }

    /// Calls the view `call` at `block` (a number or tag) and decodes its answer.
    pub(crate) async fn view<C: SolCall>(
        &self,
        call: &C,
        block: &Value,
    ) -> anyhow::Result<C::Return> {
        let request = json!({ "to": STAKING_ADDRESS, "data": Bytes::from(call.abi_encode()) });
        let answer = self.rpc.try_call("eth_call", json!([request, block])).await?;
        let data = answer.map_err(|failure| refusal(C::SIGNATURE, &failure))?;
        let bytes: Bytes = serde_json::from_value(data)
            .with_context(|| format!("{} answered with no hex data", C::SIGNATURE))?;
        C::abi_decode_returns(&bytes)
            .with_context(|| format!("{} answered with data that does not decode", C::SIGNATURE))
    }
}

/// An error for a failed call of `function`: the decoded custom error when the node sent revert
/// data, otherwise the node's message.
pub(crate) fn refusal(function: &str, failure: &RpcFailure) -> anyhow::Error {
    match revert_data(failure) {
        Some(data) => {
            anyhow::anyhow!("the staking contract refused {function}: {}", describe(&data))
        }
        None => anyhow::anyhow!("{function}: {failure}"),
    }
}

/// The revert data of a failed `eth_call` or `eth_estimateGas` (geth's error code 3).
pub(crate) fn revert_data(failure: &RpcFailure) -> Option<Bytes> {
    serde_json::from_value(failure.data.clone()?).ok()
}

/// Revert data as the contract's error with its arguments, `KeyAlreadyRegistered(0x…)`,
/// followed by what it means for the commands' common refusals.
pub(crate) fn describe(data: &[u8]) -> String {
    let Ok(error) = StakingErrors::abi_decode(data) else {
        return match GenericContractError::abi_decode(data) {
            Ok(GenericContractError::Revert(revert)) => format!("revert {:?}", revert.reason),
            Ok(GenericContractError::Panic(panic)) => format!("{panic}"),
            Err(_) if data.is_empty() => "a revert without data".to_string(),
            Err(_) => format!("unrecognised revert data 0x{}", hex::encode(data)),
        };
    };
    let signature = StakingErrors::signature_by_selector(error.selector()).unwrap_or("Unknown()");
    let (name, types) = signature.split_once('(').unwrap_or((signature, ")"));
    let types = types.trim_end_matches(')');
    // Every argument of the contract's errors is a static type: one 32-byte word each.
    let words = data.get(4..).unwrap_or_default().chunks(32);
    let arguments: Vec<String> = types
        .split(',')
        .filter(|t| !t.is_empty())
        .zip(words)
        .map(|(kind, word)| argument(kind, B256::from_slice(word)))
        .collect();
    let call = format!("{name}({})", arguments.join(", "));
    match meaning(&error) {
        Some(meaning) => format!("{call}: {meaning}"),
        None => call,
    }
}

fn argument(kind: &str, word: B256) -> String {
    match kind {
        "address" => Address::from_word(word).to_string(),
        "bool" => (!word.is_zero()).to_string(),
        kind if kind.starts_with("uint") => U256::from_be_bytes(word.0).to_string(),
        kind if kind.starts_with("int") => I256::from_be_bytes(word.0).to_string(),
        kind if kind.starts_with("bytes") => {
            let len = kind[5..].parse::<usize>().unwrap_or(32).min(32);
            format!("0x{}", hex::encode(&word[..len]))
        }
        _ => word.to_string(),
    }
}

/// What the refusals an operator meets when registering mean, in words.
fn meaning(error: &StakingErrors) -> Option<String> {
    Some(match error {
        StakingErrors::KeyAlreadyRegistered(e) => format!(
            "this consensus key is already registered as validator {} (a key registers once)",
            e.validator
        ),
        StakingErrors::OperatorAlreadyHasValidator(e) => format!(
            "operator {} already controls validator {} (one validator per operator)",
            e.operator, e.validator
        ),
        StakingErrors::BelowMinimumSelfStake(e) => format!(
            "a stake of {} is below the chain's minimum self-stake of {}",
            ether(e.amount),
            ether(e.minimum)
        ),
        StakingErrors::CommissionTooHigh(_) => "a commission is at most 100%".to_string(),
        StakingErrors::CandidateListFull(e) => {
            format!("the chain already has its maximum of {} candidates", e.maximum)
        }
        StakingErrors::InvalidProofOfPossession(_) => {
            "the proof of possession does not verify for this operator and chain".to_string()
        }
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_primitives::address;
    use alloy_sol_types::SolError;
    use cairn_staking::Staking;

    #[test]
    fn custom_errors_print_with_their_arguments() {
        let validator = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        let data = Staking::KeyAlreadyRegistered { validator }.abi_encode();
        assert_eq!(
            describe(&data),
            "KeyAlreadyRegistered(0x70997970C51812dc3A010C7d01b50e0d17dc79C8): this consensus \
             key is already registered as validator 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 \
             (a key registers once)"
        );
        let ether = U256::from(10u64).pow(U256::from(18u8));
        let data =
            Staking::BelowMinimumSelfStake { amount: ether, minimum: ether * U256::from(100u8) }
                .abi_encode();
        assert_eq!(
            describe(&data),
            "BelowMinimumSelfStake(1000000000000000000, 100000000000000000000): a stake of 1 \
             ether is below the chain's minimum self-stake of 100 ether"
        );
        let data = Staking::CommissionStepTooLarge { current: 500, requested: 700, maxStep: 100 }
            .abi_encode();
        assert_eq!(describe(&data), "CommissionStepTooLarge(500, 700, 100)");
        assert_eq!(describe(&Staking::ZeroAmount {}.abi_encode()), "ZeroAmount()");
        let data =
            Staking::UnknownFunction { selector: [0xde, 0xad, 0xbe, 0xef].into() }.abi_encode();
        assert_eq!(describe(&data), "UnknownFunction(0xdeadbeef)");
    }

    #[test]
    fn other_reverts_are_named_not_hidden() {
        let data = alloy_sol_types::Revert::from("nope").abi_encode();
        assert_eq!(describe(&data), "revert \"nope\"");
        assert_eq!(describe(&[]), "a revert without data");
        assert_eq!(describe(&[1, 2, 3]), "unrecognised revert data 0x010203");
    }

    #[test]
    fn refusals_decode_the_revert_data_of_a_json_rpc_error() {
        let data = Staking::NothingToWithdraw { nextCompletionEpoch: 7 }.abi_encode();
        let failure = RpcFailure {
            code: 3,
            message: "execution reverted".to_string(),
            data: Some(json!(Bytes::from(data))),
        };
        assert_eq!(
            refusal("withdraw()", &failure).to_string(),
            "the staking contract refused withdraw(): NothingToWithdraw(7)"
        );
        let failure =
            RpcFailure { code: -32000, message: "insufficient funds".to_string(), data: None };
        assert_eq!(refusal("withdraw()", &failure).to_string(), "withdraw(): insufficient funds");
    }
}
