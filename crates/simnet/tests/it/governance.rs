//! Governance on the in-process network: a consortium of three organisations whose admins
//! change the validator set by proposal (it changes at the epoch boundary after a proposal
//! passes), a proposal that gathers too few votes expiring, and the account rules holding on
//! every node (a non-member's transaction refused by the pool, and by the validators when a
//! hostile one proposes it). The governance contract counts at least two thirds of the
//! organisations (`3 · yes ≥ 2 · organisations`), so two of three pass a proposal and one
//! of three does not.

use alloy_primitives::{Address, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use cairn_governance::{GOVERNANCE_ADDRESS, Governance, ProposalStatus};
use cairn_node::{CallOutcome, TransactionRequest, TxLookup};
use cairn_primitives::test_utils::{eip1559, sign};
use cairn_simnet::TestNet;

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
    let to = TxKind::Call(GOVERNANCE_ADDRESS);
    let tx = eip1559(net.spec().chain_id, nonce, to, U256::ZERO, input.into(), 1_000_000);
    let hash = net.reads(0).submit_raw(&sign(key, tx).expect("signed")).expect("admitted");
    for _ in 0..30 {
        if let Some(lookup) = net.reads(0).transaction(hash).expect("read") {
            return lookup;
        }
        let head = net.height(0);
        net.wait_until_height(head + 1).await;
    }
    panic!("seed {}: transaction {hash} not included in 30 blocks", net.seed().0);
}

/// Asks the governance contract `call` in the state after block `number` on node `i`.
fn ask<C: SolCall>(net: &TestNet, i: usize, number: u64, call: C) -> C::Return {
    let request =
        TransactionRequest::default().to(GOVERNANCE_ADDRESS).input(call.abi_encode().into());
    match net.reads(i).call(&request, number, None, None).expect("call") {
        CallOutcome::Success { output, .. } => C::abi_decode_returns(&output).expect("decodes"),
        other => panic!("seed {}: {other:?}", net.seed().0),
    }
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

/// The power of `validator` in the set that decides `height` on node `i`, if it is a member.
fn power(net: &TestNet, i: usize, height: u64, validator: Address) -> Option<u64> {
    let set = net.reads(i).validator_set(height).expect("the set of a height");
    set.members.iter().find(|m| m.address == validator).map(|m| m.power)
}

/// Whether `validator`'s precommit is in the certificate node `i` sealed block `number` with.
fn signed(net: &TestNet, i: usize, number: u64, validator: Address) -> bool {
    let block = net.reads(i).block(number).expect("read").expect("stored");
    let certificate = cairn_bft::decode_seal(&block.header.seal).expect("a certificate");
    certificate.commit_signatures.iter().any(|s| s.address.0 == validator)
}
