//! The governance system contract of private and consortium networks as Rust sees it: the
//! committed bytecode and ABI of `contracts/src/Governance.sol`, typed bindings, the genesis
//! account that puts the contract at [`GOVERNANCE_ADDRESS`] from the spec's `[governance]`,
//! decoding of its refusals, the validator set its `endEpoch` hands to consensus, and direct
//! storage readers of what every block needs at its parent state (the parameters, the epoch,
//! who may transact and deploy, which nodes may connect), pinned to the contract's storage layout, and [`govern`], which
//! turns an engine's consensus roles into a governed chain's.
//!
//! The contract is the authority on who may validate, connect and transact; the node reads it
//! through view calls at a block's parent state and drives it through `endEpoch` from
//! [`SYSTEM_ADDRESS`] at each epoch's last block (the same call proof of stake answers).

mod artifact;
mod bindings;
mod cache;
mod end;
mod epoch;
mod error;
mod genesis;
mod layout;
mod nodes;
mod params;
mod permissions;
mod results;
mod rules;
#[cfg(test)]
mod test_state;

pub use artifact::{creation_code, runtime_code};
pub use bindings::Governance;
pub use cairn_primitives::{GOVERNANCE_ADDRESS, GovernanceSpec};
pub use end::{EpochEnd, GovernanceEnd, GovernanceInputs};
pub use epoch::EpochState;
pub use error::{GovernanceError, describe_refusal};
pub use genesis::governance_account;
pub use nodes::{AllowedNode, read_allowed_nodes};
pub use params::{read_params, storage_root};
pub use permissions::{AccountGate, CACHED_ROOTS, GovernedAccounts, Permission, VERDICTS_PER_ROOT};
pub use results::{Parameter, ProposalKind, ProposalStatus, next_set_record};
pub use rules::{GovernedRules, govern};

use alloy_primitives::Address;

/// revm's caller of system calls: the contract accepts `endEpoch` only from here, and no
/// transaction can be sent from it (nobody holds its key).
pub const SYSTEM_ADDRESS: Address = revm::handler::SYSTEM_ADDRESS;
