//! The proof-of-stake genesis check: the staking contract's state in the spec's `alloc` and the
//! spec's `[staking]` table and validators are written together by the tools, but a hand-edited
//! spec can make them disagree. The spec's set signs epoch 0 while the contract chooses every
//! later set, so a disagreement would surface only at the first epoch end, as a chain whose
//! validators nobody intended. The node refuses such a spec when it opens the chain.

use alloy_primitives::{Address, Bytes, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use cairn_execution::{BlockContext, CallContext, CallOutcome};
use cairn_primitives::{ChainSpec, ConsensusKind, STAKING_ADDRESS};
use cairn_staking::Staking;
use cairn_storage::{ChainStore, MemoryKv};

use crate::NodeError;

/// The staking ABI this binary drives; the contract's `abiVersion()` must answer it.
const ABI_VERSION: u64 = 1;

/// Compares the genesis state of the staking contract with the spec, on proof-of-stake chains
/// (other chains have nothing to compare). It runs on the spec's genesis in memory, before the
/// node's own store is opened, so a refused spec writes nothing.
pub(crate) fn check_staking_genesis(spec: &ChainSpec) -> Result<(), NodeError> {
    if spec.consensus != ConsensusKind::Pos {
        return Ok(());
    }
    let genesis = Genesis::of(spec)?;
    genesis.check(spec)
}

/// The spec's genesis state, held in memory for view calls (the governance check uses it too).
pub(crate) struct Genesis {
    store: ChainStore<MemoryKv>,
    context: CallContext,
}

impl Genesis {
    pub(crate) fn of(spec: &ChainSpec) -> Result<Self, NodeError> {
        let store = ChainStore::open(MemoryKv::default(), spec)?;
        let header = store.snapshot()?.header(0)?.ok_or(NodeError::UnknownBlock(0))?;
        let context = CallContext { block: BlockContext::of(&header), chain_id: spec.chain_id };
        Ok(Self { store, context })
    }

    /// Runs the view `call` on the contract at `to` in the genesis state: its decoded answer,
    /// or what came back instead (a revert, a halt, undecodable bytes).
    pub(crate) fn call<C: SolCall>(
        &self,
        to: Address,
        call: C,
    ) -> Result<Result<C::Return, String>, NodeError> {
        let request =
            TransactionRequest::default().to(to).input(Bytes::from(call.abi_encode()).into());
        let outcome =
            cairn_execution::call(&self.store.snapshot()?, self.context, &request, None, None)?;
        let output = match outcome {
            CallOutcome::Success { output, .. } => output,
            other => return Ok(Err(format!("{other:?}"))),
        };
        Ok(C::abi_decode_returns(&output).map_err(|e| format!("an undecodable answer ({e})")))
    }

    fn check(&self, spec: &ChainSpec) -> Result<(), NodeError> {
        let version = self.view(Staking::abiVersionCall {})?;
        differ("abiVersion", version, U256::from(ABI_VERSION))?;

        let want = Staking::InitParams::from(&spec.staking_params());
        let got = self.view(Staking::paramsCall {})?;
        let window = u128::from(want.signedBlocksWindow);
        let min_signed = window * u128::from(want.minSignedPerWindowBps) / 10_000;
        differ("power_reduction", got.powerReduction, want.powerReduction)?;
        differ("min_self_stake", got.minSelfStake, want.minSelfStake)?;
        differ("max_validators", got.maxValidators, want.maxValidators)?;
        differ("max_candidates", got.maxCandidates, want.maxCandidates)?;
        differ("unbonding_epochs", got.unbondingEpochs, want.unbondingEpochs)?;
        differ("signed_blocks_window", got.signedBlocksWindow, want.signedBlocksWindow)?;
        differ("min_signed_per_window", u128::from(got.minSignedPerWindow), min_signed)?;
        differ("downtime_jail_blocks", got.downtimeJailBlocks, want.downtimeJailBlocks)?;
        differ("slash_double_sign", got.slashDoubleSignBps, want.slashDoubleSignBps)?;
        differ("slash_downtime", got.slashDowntimeBps, want.slashDowntimeBps)?;

        let registered = self.view(Staking::listValidatorsCall {})?;
        differ("number of validators", registered.len(), spec.validators.len())?;
        for validator in &spec.validators {
            let info =
                registered.iter().find(|info| info.validator == validator.address).ok_or_else(
                    || mismatch(format!("validator {}", validator.address), "absent", "present"),
                )?;
            let field = |name: &str| format!("validator {} {name}", validator.address);
            differ(&field("public_key"), &info.publicKey, &validator.public_key)?;
            differ(&field("operator"), info.operator, validator.operator.unwrap_or_default())?;
            differ(&field("stake"), info.selfStake, validator.stake.unwrap_or_default())?;
            let commission = validator.commission_bps.unwrap_or_default();
            differ(&field("commission_bps"), info.commissionBps, commission)?;
        }

        let set = spec.genesis_validator_set()?;
        let members = self.view(Staking::validatorSetCall { epoch: 0 })?;
        let contract: Vec<(Address, u64)> =
            members.iter().map(|m| (m.validator, m.power)).collect();
        let expected: Vec<(Address, u64)> =
            set.members.iter().map(|m| (m.address, m.power)).collect();
        differ("validator set of epoch 0", format!("{contract:?}"), format!("{expected:?}"))
    }

    /// Runs the view `call` on the staking contract in the genesis state.
    fn view<C: SolCall>(&self, call: C) -> Result<C::Return, NodeError> {
        self.call(STAKING_ADDRESS, call)?.map_err(|got| mismatch(C::SIGNATURE, got, "an answer"))
    }
}

/// `Ok` when the contract's `got` is the spec's `want`.
fn differ<T: PartialEq + std::fmt::Debug>(field: &str, got: T, want: T) -> Result<(), NodeError> {
    if got == want {
        return Ok(());
    }
    Err(mismatch(field, format!("{got:?}"), format!("{want:?}")))
}

fn mismatch(
    field: impl Into<String>,
    contract: impl Into<String>,
    spec: impl Into<String>,
) -> NodeError {
    NodeError::StakingGenesis { field: field.into(), contract: contract.into(), spec: spec.into() }
}
