//! `cairn staking register`: a node's consensus key becomes a validator candidate, its operator
//! bonding the self-stake.
//!
//! ```text
//! node config → consensus key; --from → operator; eth_chainId (must be the config's chain)
//!   → proof of possession: consensus key signs pop_digest(chain id, operator)
//!   → eth_call registerValidator (a refusal stops here, no gas spent)
//!   → EIP-1559 tx: nonce (pending), eth_estimateGas × 1.2, fees from eth_feeHistory
//!   → eth_sendRawTransaction → receipt (bounded wait) → status 1 or a clear failure
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use anyhow::{Context, bail};
use cairn_bft::{ConsensusSignature, ConsensusSigner};
use cairn_launch::{NodeConfig, read_secret};
use cairn_primitives::{ChainSpec, ConsensusKind};
use cairn_staking::{STAKING_ADDRESS, Staking, pop_digest};
use clap::{ArgGroup, Args};
use serde_json::{Value, json};

use super::amounts::{ether, parse_amount, parse_commission, percent};
use super::contract::{StakingRpc, refusal};
use super::operator::{self, KeySource};
use crate::jsonrpc::{hex_quantity, quantity};

/// The margin over `eth_estimateGas`, in percent: state can move between estimate and block.
const GAS_MARGIN_PERCENT: u64 = 120;
/// How often the receipt is looked for.
const RECEIPT_POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("operator").required(true).args(["from", "from_env"])))]
pub(crate) struct RegisterArgs {
    /// The node's config.toml: its `validator_key` is the consensus key registered (password
    /// from `validator_password_file` or CAIRN_KEY_PASSWORD), its `genesis` names the chain.
    #[arg(long)]
    config: PathBuf,
    /// Self-stake to bond: `1000ether`, `1.5ether`, `100gwei` or plain wei.
    #[arg(long, value_parser = parse_amount)]
    stake: U256,
    /// The operator account, which pays the stake and controls the validator: a V3 keystore
    /// file, or a 0x-prefixed private key (visible to other users; prefer --from-env).
    #[arg(long)]
    from: Option<String>,
    /// Read the operator's 0x-prefixed private key from this environment variable.
    #[arg(long, value_name = "VAR")]
    from_env: Option<String>,
    /// Password of the --from keystore; without it CAIRN_FROM_PASSWORD, else a prompt.
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// JSON-RPC endpoint of a node of the chain.
    #[arg(long, default_value = "http://127.0.0.1:8545")]
    rpc: String,
    /// Commission taken from delegators' rewards: `5%`, `2.5%`, `0%` to `100%`.
    #[arg(long, default_value = "5%", value_parser = parse_commission)]
    commission: u16,
    /// How long to wait for the transaction's receipt.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    wait: Duration,
}

pub(crate) async fn run(args: RegisterArgs) -> anyhow::Result<()> {
    let config = NodeConfig::load(&args.config)?;
    let spec = ChainSpec::from_file(&config.genesis)
        .with_context(|| format!("reading the chain spec {}", config.genesis.display()))?;
    let consensus_key = consensus_key(&config, &args.config)?;
    let source = match (&args.from, &args.from_env) {
        (Some(from), _) => KeySource::Arg(from),
        (None, Some(var)) => KeySource::Env(var),
        (None, None) => bail!("pass --from or --from-env"),
    };
    let operator = operator::load(
        source,
        args.password_file.as_deref(),
        |var| std::env::var(var).ok(),
        |warning| eprintln!("{warning}"),
    )?;

    let chain = StakingRpc::connect(&args.rpc).await?;
    if chain.chain_id != spec.chain_id {
        bail!(
            "{} serves chain {}, but {}'s chain spec is chain {}: the key would be registered \
             on another network",
            args.rpc,
            chain.chain_id,
            args.config.display(),
            spec.chain_id
        );
    }
    let signer = ConsensusSigner::new(consensus_key.credential().clone(), chain.chain_id);
    let validator = signer.address().0;
    let call = Staking::registerValidatorCall {
        consensusPublicKey: Bytes::copy_from_slice(&signer.public_key().0),
        proofOfPossession: Bytes::copy_from_slice(
            &proof_of_possession(&signer, operator.address())?.0,
        ),
        commissionBps: args.commission,
    };
    let request = json!({
        "from": operator.address(),
        "to": STAKING_ADDRESS,
        "value": args.stake,
        "data": Bytes::from(call.abi_encode()),
    });

    // A refusal costs nothing here: the contract's custom error is printed, no tx is sent.
    let answer = chain.rpc.try_call("eth_call", json!([request, "latest"])).await?;
    let returned = answer.map_err(|failure| refusal("registerValidator", &failure))?;
    let returned: Bytes = serde_json::from_value(returned).context("eth_call answered no data")?;
    let registered = Staking::registerValidatorCall::abi_decode_returns(&returned)
        .context("registerValidator's answer does not decode")?;
    if registered != validator {
        bail!("the contract would register {registered}, not this node's key {validator}");
    }

    let raw = transaction(&chain, &operator, &request, args.stake, call.abi_encode()).await?;
    let hash = chain.rpc.call("eth_sendRawTransaction", json!([raw])).await?;
    let hash: B256 = serde_json::from_value(hash).context("eth_sendRawTransaction's answer")?;
    let receipt = receipt(&chain, hash, args.wait).await?;
    let block = quantity(&receipt["blockNumber"])?;
    if quantity(&receipt["status"])? != 1 {
        bail!("transaction {hash} failed in block {block} (status 0): validator not registered");
    }

    println!(
        "registered validator {validator} (operator {}), tx {hash} in block {block}; stake {}, \
         commission {}; {}",
        operator.address(),
        ether(args.stake),
        percent(args.commission),
        when_it_signs(&chain, &spec, block).await?
    );
    Ok(())
}

/// The node's consensus key, decrypted as `cairn node` decrypts it.
fn consensus_key(config: &NodeConfig, path: &std::path::Path) -> anyhow::Result<PrivateKeySigner> {
    let Some(key) = &config.validator_key else {
        bail!(
            "{} has no validator_key: this node has no consensus key to register",
            path.display()
        );
    };
    let password = match &config.validator_password_file {
        Some(file) => read_secret(file)?,
        None => std::env::var("CAIRN_KEY_PASSWORD").map_err(|_| {
            anyhow::anyhow!("the validator key needs validator_password_file or CAIRN_KEY_PASSWORD")
        })?,
    };
    cairn_keys::decrypt(key, &password)
        .with_context(|| format!("decrypting the consensus key {}", key.display()))
}

/// The consensus key's signature of `pop_digest(chain id, operator)`: 64-byte `(r, s)` with a
/// low `s`, the form the contract checks with `ecrecover`.
pub(crate) fn proof_of_possession(
    signer: &ConsensusSigner,
    operator: Address,
) -> anyhow::Result<ConsensusSignature> {
    signer
        .sign_digest(pop_digest(signer.chain_id(), operator))
        .map_err(|e| anyhow::anyhow!("signing the proof of possession: {e}"))
}

/// The signed EIP-1559 transaction of `request`, hex-encoded.
async fn transaction(
    chain: &StakingRpc,
    operator: &PrivateKeySigner,
    request: &Value,
    value: U256,
    input: Vec<u8>,
) -> anyhow::Result<String> {
    let rpc = &chain.rpc;
    let estimate = rpc.try_call("eth_estimateGas", json!([request])).await?;
    let gas = quantity(&estimate.map_err(|failure| refusal("registerValidator", &failure))?)?;
    let nonce = rpc.call("eth_getTransactionCount", json!([operator.address(), "pending"])).await?;
    let history = rpc.call("eth_feeHistory", json!([hex_quantity(1), "latest", []])).await?;
    let next_base_fee = history["baseFeePerGas"]
        .as_array()
        .and_then(|fees| fees.last())
        .context("eth_feeHistory answered no baseFeePerGas")?;
    let base_fee = u128::from(quantity(next_base_fee)?);
    let tip = u128::from(quantity(&rpc.call("eth_maxPriorityFeePerGas", json!([])).await?)?);
    let tx = TxEip1559 {
        chain_id: chain.chain_id,
        nonce: quantity(&nonce)?,
        gas_limit: gas.saturating_mul(GAS_MARGIN_PERCENT).div_ceil(100),
        // Room for the base fee to double before inclusion, as wallets allow.
        max_fee_per_gas: base_fee.saturating_mul(2).saturating_add(tip),
        max_priority_fee_per_gas: tip,
        to: TxKind::Call(STAKING_ADDRESS),
        value,
        access_list: Default::default(),
        input: input.into(),
    };
    let signature = operator.sign_hash_sync(&tx.signature_hash())?;
    let envelope = TxEnvelope::from(tx.into_signed(signature));
    Ok(format!("0x{}", alloy_primitives::hex::encode(envelope.encoded_2718())))
}

/// The receipt of `hash`, waited for at most `wait`.
async fn receipt(chain: &StakingRpc, hash: B256, wait: Duration) -> anyhow::Result<Value> {
    let deadline = Instant::now() + wait;
    loop {
        let receipt = chain.rpc.call("eth_getTransactionReceipt", json!([hash])).await?;
        if !receipt.is_null() {
            return Ok(receipt);
        }
        if Instant::now() >= deadline {
            bail!(
                "transaction {hash} was sent but not included within {}; it may still be \
                 (check with eth_getTransactionReceipt), so do not resend before it is dropped",
                humantime::format_duration(wait)
            );
        }
        tokio::time::sleep(RECEIPT_POLL).await;
    }
}

/// When the registered validator can start signing, in the chain's terms.
async fn when_it_signs(chain: &StakingRpc, spec: &ChainSpec, block: u64) -> anyhow::Result<String> {
    let (ConsensusKind::Pos, Some(length)) = (spec.consensus, spec.epoch_length) else {
        let kind = match spec.consensus {
            ConsensusKind::Dev => "dev",
            ConsensusKind::Bft => "bft",
            ConsensusKind::Pos => "pos",
            ConsensusKind::Pow => "pow",
        };
        return Ok(format!(
            "this chain runs {kind} consensus, which does not take its signers from the staking \
             contract, so it will not sign blocks"
        ));
    };
    let params = chain.view(&Staking::paramsCall {}, &json!(hex_quantity(block))).await?;
    let epoch = spec.epoch_of(block);
    let next_start = (epoch + 1).saturating_mul(length).saturating_add(1);
    Ok(format!(
        "it can sign from epoch {} (block {next_start}) if its stake ranks among the top {} \
         validators",
        epoch + 1,
        params.maxValidators
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_primitives::Signature;

    /// What the contract checks: `s ≤ n/2`, and `ecrecover(digest, 27 or 28, r, s)` is the
    /// consensus key's address.
    #[test]
    fn the_proof_of_possession_recovers_to_the_consensus_key_as_the_contract_checks() {
        let key = PrivateKeySigner::random();
        let operator = PrivateKeySigner::random().address();
        let signer = ConsensusSigner::new(key.credential().clone(), 31337);
        let proof = proof_of_possession(&signer, operator).unwrap();
        let r = U256::from_be_slice(&proof.0[..32]);
        let s = U256::from_be_slice(&proof.0[32..]);
        let half_n = U256::from_be_bytes(alloy_primitives::hex!(
            "7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0"
        ));
        assert!(s <= half_n, "high s");
        let digest = pop_digest(31337, operator);
        let recovered: Vec<Address> = [false, true]
            .into_iter()
            .filter_map(|parity| {
                Signature::new(r, s, parity).recover_address_from_prehash(&digest).ok()
            })
            .collect();
        assert!(recovered.contains(&key.address()), "{recovered:?}");
        assert_eq!(signer.address().0, key.address());
        assert!(signer.public_key().verify(digest, &proof));
        // Bound to its operator and its chain.
        assert!(!signer.public_key().verify(pop_digest(31337, Address::ZERO), &proof));
        assert!(!signer.public_key().verify(pop_digest(1, operator), &proof));
    }
}
