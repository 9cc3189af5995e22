//! Talking to a system contract on the simulated network, and reading who signed: what the
//! proof-of-stake and governance scenarios share.

use alloy_primitives::{Address, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use cairn_node::{CallOutcome, TransactionRequest, TxLookup};
use cairn_primitives::test_utils::{eip1559, sign};
use cairn_simnet::TestNet;

/// Sends `input` with `value` from `key` (at `nonce`, at most `gas`) to the contract at `to`
/// through node 0 and waits for its block.
pub(crate) async fn send_to(
    net: &mut TestNet,
    key: &PrivateKeySigner,
    nonce: u64,
    to: Address,
    call: (Vec<u8>, U256, u64),
) -> TxLookup {
    let (input, value, gas) = call;
    let tx = eip1559(net.spec().chain_id, nonce, TxKind::Call(to), value, input.into(), gas);
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

/// Asks the contract at `to` the view `call` in the state after block `number` on node `i`.
pub(crate) fn ask_at<C: SolCall>(
    net: &TestNet,
    i: usize,
    number: u64,
    to: Address,
    call: C,
) -> C::Return {
    let request = TransactionRequest::default().to(to).input(call.abi_encode().into());
    match net.reads(i).call(&request, number, None, None).expect("call") {
        CallOutcome::Success { output, .. } => C::abi_decode_returns(&output).expect("decodes"),
        other => panic!("seed {}: {other:?}", net.seed().0),
    }
}

/// The power of `validator` in the set that decides `height` on node `i`, if it is a member.
pub(crate) fn power(net: &TestNet, i: usize, height: u64, validator: Address) -> Option<u64> {
    let set = net.reads(i).validator_set(height).expect("the set of a height");
    set.members.iter().find(|m| m.address == validator).map(|m| m.power)
}

/// Whether `validator`'s precommit is in the certificate node `i` sealed block `number` with.
pub(crate) fn signed(net: &TestNet, i: usize, number: u64, validator: Address) -> bool {
    let block = net.reads(i).block(number).expect("read").expect("stored");
    let certificate = cairn_bft::decode_seal(&block.header.seal).expect("a certificate");
    certificate.commit_signatures.iter().any(|s| s.address.0 == validator)
}
