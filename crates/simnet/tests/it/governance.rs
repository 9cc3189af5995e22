//! Governance on the in-process network: a consortium of three organisations whose admins
//! change the validator set by proposal (it changes at the epoch boundary after a proposal
//! passes), a proposal that gathers too few votes expiring, and the account rules holding on
//! every node (a non-member's transaction refused by the pool, and by the validators when a
//! hostile one proposes it). The governance contract counts at least two thirds of the
//! organisations (`3 · yes ≥ 2 · organisations`), so two of three pass a proposal and one
//! of three does not.

use alloy_primitives::U256;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use cairn_governance::{GOVERNANCE_ADDRESS, Governance, ProposalStatus};
use cairn_node::TxLookup;
use cairn_simnet::TestNet;

use crate::contracts::{ask_at, send_to};
pub(crate) use crate::contracts::{power, signed};

mod accounts;
mod expiry;
mod validators;

/// Organisations of every scenario's consortium.
const ORGS: usize = 3;
/// Blocks per epoch: a passed proposal takes effect within a few blocks.
const EPOCH_LENGTH: u64 = 5;

/// Sends `input` from `key` (at `nonce`) to the governance contract through node 0 and waits
/// for its block.
async fn send_to_governance(
    net: &mut TestNet,
    key: &PrivateKeySigner,
    nonce: u64,
    input: Vec<u8>,
) -> TxLookup {
    send_to(net, key, nonce, GOVERNANCE_ADDRESS, (input, U256::ZERO, 1_000_000)).await
}

/// Asks the governance contract `call` in the state after block `number` on node `i`.
fn ask<C: SolCall>(net: &TestNet, i: usize, number: u64, call: C) -> C::Return {
    ask_at(net, i, number, GOVERNANCE_ADDRESS, call)
}

/// Proposal `id` as node 0 holds it after block `number`.
fn proposal(net: &TestNet, number: u64, id: u64) -> Governance::ProposalInfo {
    ask(net, 0, number, Governance::proposalCall { id })
}

/// Where proposal `id` stands after block `number` of node 0.
fn status(net: &TestNet, number: u64, id: u64) -> ProposalStatus {
    ProposalStatus::try_from(proposal(net, number, id).status).expect("a status")
}

/// The last block of the epoch block `number` is in: where a proposal that passed in it
/// is applied.
fn epoch_end(number: u64) -> u64 {
    number.div_ceil(EPOCH_LENGTH) * EPOCH_LENGTH
}
