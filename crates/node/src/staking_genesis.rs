//! The proof-of-stake genesis check: the staking contract's state in the spec's `alloc` and the
//! spec's `[staking]` table and validators are written together by the tools, but a hand-edited
//! spec can make them disagree. The spec's set signs epoch 0 while the contract chooses every
//! later set, so a disagreement would surface only at the first epoch end, as a chain whose
//! validators nobody intended. The node refuses such a spec when it opens the chain.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use cairn_primitives::{ChainSpec, ConsensusKind, STAKING_ADDRESS};
use cairn_staking::Staking;

use crate::NodeError;
use crate::genesis_views::{Comparison, Genesis, Mismatch};

/// The staking ABI this binary drives; the contract's `abiVersion()` must answer it.
const ABI_VERSION: u64 = 1;

/// Disagreements are the staking contract's.
const COMPARISON: Comparison = Comparison {
    error: |m: Mismatch| NodeError::StakingGenesis {
        field: m.field,
        contract: m.contract,
        spec: m.spec,
    },
};

/// Compares the genesis state of the staking contract with the spec, on proof-of-stake chains
/// (other chains have nothing to compare). It runs on the spec's genesis in memory, before the
/// node's own store is opened, so a refused spec writes nothing.
pub(crate) fn check_staking_genesis(spec: &ChainSpec) -> Result<(), NodeError> {
    if spec.consensus != ConsensusKind::Pos {
        return Ok(());
    }
    let genesis = Genesis::of(spec)?;
    check(&genesis, spec)
}

/// The staking contract's genesis state against the spec.
fn check(genesis: &Genesis, spec: &ChainSpec) -> Result<(), NodeError> {
    let version = view(genesis, Staking::abiVersionCall {})?;
    COMPARISON.differ("abiVersion", version, U256::from(ABI_VERSION))?;

    let want = Staking::InitParams::from(&spec.staking_params());
    let got = view(genesis, Staking::paramsCall {})?;
    let window = u128::from(want.signedBlocksWindow);
    let min_signed = window * u128::from(want.minSignedPerWindowBps) / 10_000;
    COMPARISON.differ("power_reduction", got.powerReduction, want.powerReduction)?;
    COMPARISON.differ("min_self_stake", got.minSelfStake, want.minSelfStake)?;
    COMPARISON.differ("max_validators", got.maxValidators, want.maxValidators)?;
    COMPARISON.differ("max_candidates", got.maxCandidates, want.maxCandidates)?;
    COMPARISON.differ("unbonding_epochs", got.unbondingEpochs, want.unbondingEpochs)?;
    COMPARISON.differ("signed_blocks_window", got.signedBlocksWindow, want.signedBlocksWindow)?;
    COMPARISON.differ("min_signed_per_window", u128::from(got.minSignedPerWindow), min_signed)?;
    COMPARISON.differ("downtime_jail_blocks", got.downtimeJailBlocks, want.downtimeJailBlocks)?;
    COMPARISON.differ("slash_double_sign", got.slashDoubleSignBps, want.slashDoubleSignBps)?;
    COMPARISON.differ("slash_downtime", got.slashDowntimeBps, want.slashDowntimeBps)?;

    let registered = view(genesis, Staking::listValidatorsCall {})?;
    COMPARISON.differ("number of validators", registered.len(), spec.validators.len())?;
    for validator in &spec.validators {
        let info = registered.iter().find(|info| info.validator == validator.address).ok_or_else(
            || COMPARISON.mismatch(format!("validator {}", validator.address), "absent", "present"),
        )?;
        let field = |name: &str| format!("validator {} {name}", validator.address);
        COMPARISON.differ(&field("public_key"), &info.publicKey, &validator.public_key)?;
        COMPARISON.differ(
            &field("operator"),
            info.operator,
            validator.operator.unwrap_or_default(),
        )?;
        COMPARISON.differ(&field("stake"), info.selfStake, validator.stake.unwrap_or_default())?;
        let commission = validator.commission_bps.unwrap_or_default();
        COMPARISON.differ(&field("commission_bps"), info.commissionBps, commission)?;
    }

    let set = spec.genesis_validator_set()?;
    let members = view(genesis, Staking::validatorSetCall { epoch: 0 })?;
    let contract: Vec<(Address, u64)> = members.iter().map(|m| (m.validator, m.power)).collect();
    let expected: Vec<(Address, u64)> = set.members.iter().map(|m| (m.address, m.power)).collect();
    COMPARISON.differ("validator set of epoch 0", format!("{contract:?}"), format!("{expected:?}"))
}

/// Runs the view `call` on the staking contract in the genesis state.
fn view<C: SolCall>(genesis: &Genesis, call: C) -> Result<C::Return, NodeError> {
    COMPARISON.view(genesis, STAKING_ADDRESS, call)
}
