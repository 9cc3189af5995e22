//! The staking system contract as Rust sees it: the committed bytecode and ABI of
//! `contracts/src/Staking.sol`, typed bindings, the genesis account that puts the contract at
//! [`STAKING_ADDRESS`], the proof-of-possession digest operators sign, and decoding of its
//! answers and refusals, and [`StakingEnd`], the protocol calls that end every
//! proof-of-stake block.
//!
//! The contract is the authority on staking; the node only reads it through view calls and
//! drives it through system calls from [`SYSTEM_ADDRESS`].

mod artifact;
mod bindings;
mod bitmap;
mod end;
mod error;
mod evidence;
mod genesis;
mod pop;
mod results;

pub use artifact::{creation_code, runtime_code};
pub use bindings::Staking;
pub use bitmap::signed_bitmap;
pub use cairn_primitives::{STAKING_ADDRESS, StakingParams};
pub use end::{StakingEnd, StakingInputs};
pub use error::{StakingError, describe_refusal};
pub use genesis::{GenesisValidator, spec_staking_account, staking_account};
pub use pop::pop_digest;
pub use results::{NextSet, ValidatorStatus, decode_output};

use alloy_primitives::Address;

/// revm's caller of system calls: the contract accepts its protocol functions only from here,
/// and no transaction can be sent from it (nobody holds its key).
pub const SYSTEM_ADDRESS: Address = revm::handler::SYSTEM_ADDRESS;
