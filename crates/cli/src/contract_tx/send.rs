//! One contract transaction, checked before it is signed:
//!
//! ```text
//! eth_call (a refusal stops here, no gas spent)
//!   → EIP-1559 tx: nonce (pending), eth_estimateGas × 1.2, fees from eth_feeHistory
//!   → eth_sendRawTransaction → receipt (bounded wait) → status 1 or a clear failure
//! ```

use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use anyhow::{Context, bail};
use serde_json::{Value, json};

use super::contract::{ContractRpc, refusal};
use crate::jsonrpc::{hex_quantity, quantity};

/// The margin over `eth_estimateGas`, in percent: state can move between estimate and block.
const GAS_MARGIN_PERCENT: u64 = 120;
/// How often the receipt is looked for.
const RECEIPT_POLL: Duration = Duration::from_millis(200);

/// A call of a contract function as a transaction carries it.
pub(crate) struct ContractCall {
    /// The function's name, as refusals name it (`registerValidator`).
    pub(crate) function: &'static str,
    /// Wei sent with the call.
    pub(crate) value: U256,
    /// The ABI-encoded call.
    pub(crate) input: Bytes,
}

impl ContractCall {
    /// `call` with `value` wei.
    pub(crate) fn new<C: SolCall>(call: &C, value: U256) -> Self {
        let function = C::SIGNATURE.split_once('(').map_or(C::SIGNATURE, |(name, _)| name);
        Self { function, value, input: call.abi_encode().into() }
    }
}

/// A transaction included with status 1.
#[derive(Debug)]
pub(crate) struct Included {
    pub(crate) hash: B256,
    pub(crate) block: u64,
    /// The receipt's logs, as JSON-RPC shows them.
    pub(crate) logs: Vec<Value>,
}

impl ContractRpc {
    fn request(&self, from: Address, call: &ContractCall) -> Value {
        json!({
            "from": from,
            "to": self.contract.address,
            "value": call.value,
            "data": call.input,
        })
    }

    /// `call` from `from` by `eth_call` at the head: what it would return, or the contract's
    /// refusal in words. Nothing is sent.
    pub(crate) async fn check(&self, from: Address, call: &ContractCall) -> anyhow::Result<Bytes> {
        let request = self.request(from, call);
        let answer = self.rpc.try_call("eth_call", json!([request, "latest"])).await?;
        let returned = answer.map_err(|failure| refusal(self.contract, call.function, &failure))?;
        serde_json::from_value(returned).context("eth_call answered no data")
    }

    /// Signs `call` as an EIP-1559 transaction of `signer`, sends it and waits at most `wait`
    /// for its receipt. A transaction that fails in its block is an error ending with
    /// `failed`, what did not happen.
    pub(crate) async fn send(
        &self,
        signer: &PrivateKeySigner,
        call: &ContractCall,
        wait: Duration,
        failed: &str,
    ) -> anyhow::Result<Included> {
        let raw = self.transaction(signer, call).await?;
        let hash = self.rpc.call("eth_sendRawTransaction", json!([raw])).await?;
        let hash: B256 = serde_json::from_value(hash).context("eth_sendRawTransaction's answer")?;
        let receipt = self.receipt(hash, wait).await?;
        let block = quantity(&receipt["blockNumber"])?;
        if quantity(&receipt["status"])? != 1 {
            bail!("transaction {hash} failed in block {block} (status 0): {failed}");
        }
        let logs = receipt["logs"].as_array().cloned().unwrap_or_default();
        Ok(Included { hash, block, logs })
    }

    /// The signed EIP-1559 transaction of `call`, hex-encoded.
    async fn transaction(
        &self,
        signer: &PrivateKeySigner,
        call: &ContractCall,
    ) -> anyhow::Result<String> {
        let rpc = &self.rpc;
        let request = self.request(signer.address(), call);
        let estimate = rpc.try_call("eth_estimateGas", json!([request])).await?;
        let estimate = estimate.map_err(|failure| refusal(self.contract, call.function, &failure));
        let gas = quantity(&estimate?)?;
        let nonce =
            rpc.call("eth_getTransactionCount", json!([signer.address(), "pending"])).await?;
        let history = rpc.call("eth_feeHistory", json!([hex_quantity(1), "latest", []])).await?;
        let next_base_fee = history["baseFeePerGas"]
            .as_array()
            .and_then(|fees| fees.last())
            .context("eth_feeHistory answered no baseFeePerGas")?;
        let base_fee = u128::from(quantity(next_base_fee)?);
        let tip = u128::from(quantity(&rpc.call("eth_maxPriorityFeePerGas", json!([])).await?)?);
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            nonce: quantity(&nonce)?,
            gas_limit: gas.saturating_mul(GAS_MARGIN_PERCENT).div_ceil(100),
            // Room for the base fee to double before inclusion, as wallets allow.
            max_fee_per_gas: base_fee.saturating_mul(2).saturating_add(tip),
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(self.contract.address),
            value: call.value,
            access_list: Default::default(),
            input: call.input.clone(),
        };
        let signature = signer.sign_hash_sync(&tx.signature_hash())?;
        let envelope = TxEnvelope::from(tx.into_signed(signature));
        Ok(format!("0x{}", alloy_primitives::hex::encode(envelope.encoded_2718())))
    }

    /// The receipt of `hash`, waited for at most `wait`.
    async fn receipt(&self, hash: B256, wait: Duration) -> anyhow::Result<Value> {
        let deadline = Instant::now() + wait;
        loop {
            let receipt = self.rpc.call("eth_getTransactionReceipt", json!([hash])).await?;
            if !receipt.is_null() {
                return Ok(receipt);
            }
            if Instant::now() >= deadline {
                bail!(
                    "transaction {hash} was sent but not included within {}; it may still be \
                     (check with eth_getTransactionReceipt), so do not resend before it is \
                     dropped",
                    humantime::format_duration(wait)
                );
            }
            tokio::time::sleep(RECEIPT_POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cairn_governance::Governance;

    #[test]
    fn a_call_is_named_by_its_function() {
        let call = ContractCall::new(&Governance::voteCall { id: 3, support: true }, U256::ZERO);
        assert_eq!(call.function, "vote");
        assert_eq!(call.input[..4], Governance::voteCall::SELECTOR);
    }
}
