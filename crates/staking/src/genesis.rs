//! The staking contract's genesis account: its constructor run once in revm over an empty
//! state, so the chain spec's `alloc` holds the contract's code, storage and balance and the
//! spec stays the whole truth of genesis (each chain pins the bytecode it started with).

use alloy_primitives::{Address, Bytes, U256};
use alloy_sol_types::SolConstructor;
use cairn_execution::{GenesisCreation, create_genesis_contract};
use cairn_primitives::{ChainSpec, GenesisAccount, StakingParams};

use crate::{Staking, StakingError, creation_code};

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
    match create_genesis_contract(data.into(), total)? {
        GenesisCreation::Created(account) => Ok(account),
        GenesisCreation::Reverted(data) => Err(StakingError::from_revert(data)),
        GenesisCreation::Halted(reason) => Err(StakingError::Halted(reason)),
    }
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
