//! Only members transact: a non-member's transaction is refused by every honest node's pool,
//! and when a hostile validator (one that ignores the account rules) puts it in its proposals,
//! the others refuse those blocks, the chain goes on without it, and it never lands.

use alloy_primitives::{Address, B256, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use cairn_primitives::test_utils::{eip1559, sign};
use cairn_simnet::{CONSORTIUM_MEMBERS, NetBuilder, TestNet, run};

use super::{EPOCH_LENGTH, ORGS};
use crate::SEEDS;

/// Where the scenarios' transfers go.
const TO: Address = Address::repeat_byte(0x7e);

/// `key`'s transfer of one wei at `nonce`, signed.
fn transfer(net: &TestNet, key: &PrivateKeySigner, nonce: u64) -> Vec<u8> {
    let tx =
        eip1559(net.spec().chain_id, nonce, TxKind::Call(TO), U256::from(1), vec![].into(), 21_000);
    sign(key, tx).expect("signed")
}

/// Waits for transaction `hash` on node 0, for at most 30 blocks.
async fn landed(net: &mut TestNet, hash: B256) -> u64 {
    for _ in 0..30 {
        if let Some(lookup) = net.reads(0).transaction(hash).expect("read") {
            return lookup.block_number;
        }
        let head = net.height(0);
        net.wait_until_height(head + 1).await;
    }
    panic!("seed {}: transaction {hash} not included in 30 blocks", net.seed().0);
}

#[test]
fn a_non_members_transaction_is_refused_by_the_pool() {
    run("a_non_members_transaction_is_refused_by_the_pool", &SEEDS, |seed| async move {
        let mut net = NetBuilder::new(seed).consortium(ORGS, EPOCH_LENGTH).start().await;
        net.wait_until_height(1).await;
        let outsider = net.accounts()[CONSORTIUM_MEMBERS].clone();
        let member = net.accounts()[ORGS].clone();
        for i in 0..4 {
            let refused =
                net.reads(i).submit_raw(&transfer(&net, &outsider, 0)).expect_err("refused");
            assert_eq!(
                refused.to_string(),
                format!("account not permitted: {}", outsider.address()),
                "seed {}: node {i}",
                seed.0
            );
        }
        // A member's transfer, funded alike, is admitted and lands.
        let hash = net.reads(0).submit_raw(&transfer(&net, &member, 0)).expect("admitted");
        landed(&mut net, hash).await;
        net.assert_agreement();
    });
}

#[test]
fn a_hostile_validators_blocks_with_a_non_members_transaction_are_refused() {
    run(
        "a_hostile_validators_blocks_with_a_non_members_transaction_are_refused",
        &SEEDS,
        |seed| async move {
            // Validator 3 ignores the account rules; the three others hold more than two
            // thirds of the power, so they decide without it.
            let hostile = 3;
            let mut net =
                NetBuilder::new(seed).consortium(ORGS, EPOCH_LENGTH).hostile(hostile).start().await;
            let proposer = net.validator(hostile);
            let outsider = net.accounts()[CONSORTIUM_MEMBERS].clone();
            let raw = transfer(&net, &outsider, 0);
            // Until it holds the transaction its blocks are like everyone's, and accepted.
            let mut before = 1;
            loop {
                assert!(before < 20, "seed {}: validator 3 proposed nothing", seed.0);
                net.wait_until_height(before).await;
                if net.reads(0).block(before).expect("read").expect("stored").header.beneficiary
                    == proposer
                {
                    break;
                }
                before += 1;
            }
            assert!(net.reads(0).submit_raw(&raw).is_err(), "seed {}: an honest pool", seed.0);
            let hash = net.reads(hostile).submit_raw(&raw).expect("the hostile pool admits it");
            let from = net.height(0) + 1;

            // Every block it proposes now carries the transaction: none is decided, the
            // others decide every height in a later round, and the transaction never lands.
            let top = from + 12;
            net.wait_until_height(top).await;
            let node = net.reads(0);
            let mut later_rounds = 0;
            for n in from..=top {
                let block = node.block(n).expect("read").expect("stored");
                assert_ne!(block.header.beneficiary, proposer, "seed {}: block {n}", seed.0);
                assert!(
                    block.transactions.iter().all(|tx| *tx.hash() != hash),
                    "seed {}: block {n} carries the transaction",
                    seed.0
                );
                let certificate = cairn_bft::decode_seal(&block.header.seal).expect("a seal");
                if certificate.round.as_i64() > 0 {
                    later_rounds += 1;
                }
            }
            assert!(later_rounds > 0, "seed {}: the hostile validator never proposed", seed.0);
            for i in 0..4 {
                assert!(net.reads(i).transaction(hash).expect("read").is_none(), "node {i}");
            }
            // A member's transfer still lands through an honest node.
            let member = net.accounts()[ORGS].clone();
            let member_hash =
                net.reads(0).submit_raw(&transfer(&net, &member, 0)).expect("admitted");
            landed(&mut net, member_hash).await;
            net.assert_agreement();
            for i in 0..3 {
                net.audit(i);
            }
        },
    );
}
