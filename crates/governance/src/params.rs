//! The contract's state as the node reads it directly from storage at a block's parent:
//! whether the contract is there at all, and the governable parameters in force.

use alloy_primitives::{B256, KECCAK256_EMPTY};
use cairn_storage::StateView;

use crate::layout::{self, u64_at};
use crate::{GOVERNANCE_ADDRESS, Governance, GovernanceError};

/// The governance account's storage root at `state`: it commits to every slot the readers
/// use, so it identifies their answers. An absent or code-less account is an error, never an
/// empty (everyone-allowed) contract: a governed chain has the contract from genesis.
pub fn storage_root(state: &dyn StateView) -> Result<B256, GovernanceError> {
    match state.account(GOVERNANCE_ADDRESS)? {
        Some(account) if account.code_hash != KECCAK256_EMPTY => Ok(account.storage_root),
        _ => Err(GovernanceError::NoContract),
    }
}

/// The parameters in force at `state`, as the contract's `params()` answers them, read from
/// slots 0 and 1 (two reads instead of an EVM call).
pub fn read_params(state: &dyn StateView) -> Result<Governance::Params, GovernanceError> {
    storage_root(state)?;
    let values = state.storage(GOVERNANCE_ADDRESS, layout::PARAMS)?;
    let switches = state.storage(GOVERNANCE_ADDRESS, layout::SWITCHES)?;
    Ok(Governance::Params {
        gasLimit: u64_at(values, 0),
        blockTimeMs: u64_at(values, 64),
        epochLength: u64_at(values, 128),
        votingPeriodBlocks: u64_at(values, 192),
        permissionAccounts: switches.byte(0) != 0,
        permissionNodes: switches.byte(1) != 0,
        permissionDeployers: switches.byte(2) != 0,
    })
}
