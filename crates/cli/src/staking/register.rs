//! `cairn staking register`: a node's consensus key becomes a validator candidate, its operator
//! bonding the self-stake.
//!
//! ```text
//! node config → consensus key; --from → operator; eth_chainId (must be the config's chain)
//!   → proof of possession: consensus key signs pop_digest(chain id, operator)
//!   → eth_call registerValidator (a refusal stops here, no gas spent)
//!   → the transaction, sent and waited for as `contract_tx` sends every contract call
//! ```

use std::path::PathBuf;

use alloy_primitives::{Address, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use anyhow::{Context, bail};
use cairn_bft::{ConsensusSignature, ConsensusSigner};
use cairn_launch::{NodeConfig, read_secret};
use cairn_primitives::{ChainSpec, ConsensusKind};
use cairn_staking::{Staking, pop_digest};
use clap::Args;
use serde_json::json;

use super::amounts::{ether, parse_amount, parse_commission, percent};
use super::contract::STAKING;
use crate::contract_tx::{ContractCall, ContractRpc, TxArgs};
use crate::jsonrpc::hex_quantity;

#[derive(Debug, Args)]
pub(crate) struct RegisterArgs {
    /// The node's config.toml: its `validator_key` is the consensus key registered (password
    /// from `validator_password_file` or CAIRN_KEY_PASSWORD), its `genesis` names the chain.
    #[arg(long)]
    config: PathBuf,
    /// Self-stake to bond: `1000ether`, `1.5ether`, `100gwei` or plain wei.
    #[arg(long, value_parser = parse_amount)]
    stake: U256,
    // The operator (--from or --from-env) pays the stake and controls the validator.
    #[command(flatten)]
    tx: TxArgs,
    /// Commission taken from delegators' rewards: `5%`, `2.5%`, `0%` to `100%`.
    #[arg(long, default_value = "5%", value_parser = parse_commission)]
    commission: u16,
}

pub(crate) async fn run(args: RegisterArgs) -> anyhow::Result<()> {
    let config = NodeConfig::load(&args.config)?;
    let spec = ChainSpec::from_file(&config.genesis)
        .with_context(|| format!("reading the chain spec {}", config.genesis.display()))?;
    let consensus_key = consensus_key(&config, &args.config)?;
    let operator = args.tx.signer()?;

    let chain = ContractRpc::connect(&args.tx.rpc, &STAKING).await?;
    if chain.chain_id != spec.chain_id {
        bail!(
            "{} serves chain {}, but {}'s chain spec is chain {}: the key would be registered \
             on another network",
            args.tx.rpc,
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
    let call = ContractCall::new(&call, args.stake);

    // A refusal costs nothing here: the contract's custom error is printed, no tx is sent.
    let returned = chain.check(operator.address(), &call).await?;
    let registered = Staking::registerValidatorCall::abi_decode_returns(&returned)
        .context("registerValidator's answer does not decode")?;
    if registered != validator {
        bail!("the contract would register {registered}, not this node's key {validator}");
    }

    let sent = chain.send(&operator, &call, args.tx.wait, "validator not registered").await?;
    let (hash, block) = (sent.hash, sent.block);

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

/// When the registered validator can start signing, in the chain's terms.
async fn when_it_signs(
    chain: &ContractRpc,
    spec: &ChainSpec,
    block: u64,
) -> anyhow::Result<String> {
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
