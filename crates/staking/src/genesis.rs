//! The staking contract's genesis account: its constructor run once in revm over an empty
//! state, so the chain spec's `alloc` holds the contract's code, storage and balance and the
//! spec stays the whole truth of genesis (each chain pins the bytecode it started with).

use alloy_primitives::{Address, Bytes, TxKind, U256, address};
use alloy_sol_types::SolConstructor;
use cairn_primitives::{ChainSpec, GenesisAccount, StakingParams};
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::database::InMemoryDB;
use revm::handler::{ExecuteCommitEvm, MainBuilder, MainContext};
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;

use crate::{Staking, StakingError, creation_code};

/// Who sends the creation transaction in the throwaway EVM. Any address works: the
/// constructor never records its deployer, and only the created account is kept.
const DEPLOYER: Address = address!("0x00000000000000000000000000000000000c0de0");

/// Gas for the creation: generous, since only the in-memory EVM pays it (a few hundred
/// thousand gas per genesis validator).
const CREATION_GAS: u64 = 2_000_000_000;

/// A validator of the chain spec, bonded at genesis without a proof of possession.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisValidator {
    /// 33-byte compressed or 64-byte uncompressed (x ‖ y) secp256k1 consensus key.
    pub public_key: Bytes,
    /// The account that controls the validator and owns its self-stake.
    pub operator: Address,
    /// Self-stake in wei.
    pub stake: U256,
    /// Commission in basis points.
    pub commission_bps: u16,
}

impl From<&StakingParams> for Staking::InitParams {
    fn from(p: &StakingParams) -> Self {
        Self {
            powerReduction: p.power_reduction,
            minSelfStake: p.min_self_stake,
            maxValidators: p.max_validators,
            maxCandidates: p.max_candidates,
            unbondingEpochs: p.unbonding_epochs,
            signedBlocksWindow: p.signed_blocks_window,
            minSignedPerWindowBps: p.min_signed_per_window.bps(),
            downtimeJailBlocks: p.downtime_jail_blocks,
            slashDoubleSignBps: p.slash_double_sign.bps(),
            slashDowntimeBps: p.slash_downtime.bps(),
        }
    }
}

/// The account to place at [`crate::STAKING_ADDRESS`] in the spec's `alloc`: runtime code,
/// every non-zero storage slot, a balance equal to the genesis stakes, nonce 1. The same
/// inputs always give the same account. A constructor refusal (bad parameters, a bad key, a
/// repeated key or operator, no eligible validator) comes back as the contract's typed error.
pub fn staking_account(
    params: &StakingParams,
    validators: &[GenesisValidator],
) -> Result<GenesisAccount, StakingError> {
    let total: U256 = validators.iter().map(|v| v.stake).sum();
    let args = Staking::constructorCall {
        p: params.into(),
        gs: validators
            .iter()
            .map(|v| Staking::GenesisValidator {
                publicKey: v.public_key.clone(),
                operator: v.operator,
                stake: v.stake,
                commissionBps: v.commission_bps,
            })
            .collect(),
    };
    let mut data = creation_code().to_vec();
    data.extend_from_slice(&args.abi_encode());

    let mut db = InMemoryDB::default();
    db.insert_account_info(DEPLOYER, AccountInfo { balance: total, ..AccountInfo::default() });
    let mut cfg = CfgEnv::new_with_spec(SpecId::CANCUN);
    cfg.disable_block_gas_limit = true;
    // The arguments carry every genesis validator, so the creation input outgrows EIP-3860's
    // limit for transactions from about 150 validators on; it is no transaction of the chain.
    // EIP-170's limit on the runtime code still applies.
    cfg.limit_contract_initcode_size = Some(usize::MAX);
    let block = BlockEnv { number: U256::ZERO, ..BlockEnv::default() };
    let mut evm = Context::mainnet().with_db(db).with_cfg(cfg).with_block(block).build_mainnet();
    let tx = TxEnv {
        caller: DEPLOYER,
        kind: TxKind::Create,
        data: data.into(),
        value: total,
        gas_limit: CREATION_GAS,
        gas_price: 0,
        ..TxEnv::default()
    };
    let result = evm.transact_commit(tx)?;
    let created = match result.created_address() {
        Some(created) if result.is_success() => created,
        _ => {
            return Err(match result.into_output() {
                Some(data) => StakingError::from_revert(data),
                None => StakingError::NotCreated(DEPLOYER.create(0)),
            });
        }
    };
    let account = evm
        .ctx
        .journaled_state
        .database
        .cache
        .accounts
        .get(&created)
        .ok_or(StakingError::NotCreated(created))?;
    let code = account.info.code.as_ref().map(|c| c.original_bytes()).unwrap_or_default();
    if code.is_empty() {
        return Err(StakingError::NotCreated(created));
    }
    Ok(GenesisAccount {
        balance: account.info.balance,
        nonce: account.info.nonce,
        code,
        storage: account
            .storage
            .iter()
            .filter(|(_, value)| !value.is_zero())
            .map(|(slot, value)| ((*slot).into(), *value))
            .collect(),
    })
}

/// The staking account a proof-of-stake spec's `alloc` must hold, built from the spec's own
/// `[staking]` table and validators: the one function the tools write specs with, so the
/// contract's genesis state and the spec cannot disagree.
pub fn spec_staking_account(spec: &ChainSpec) -> Result<GenesisAccount, StakingError> {
    let validators: Vec<GenesisValidator> = spec
        .validators
        .iter()
        .map(|v| GenesisValidator {
            public_key: v.public_key.clone(),
            operator: v.operator.unwrap_or_default(),
            stake: v.stake.unwrap_or_default(),
            commission_bps: v.commission_bps.unwrap_or_default(),
        })
        .collect();
    staking_account(&spec.staking_params(), &validators)
}
