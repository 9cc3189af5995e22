//! The chain's account rules (the `transactions` role) on every path: admission refuses a
//! refused sender before the pool sees it, a block carrying one is invalid for an importer, a
//! builder leaves such transactions out and drops them from its pool, and `cairn verify`
//! reports the block. Account rules of a test
//! ([`DenyList`]) stand in for a governed chain's membership.

use std::sync::Arc;

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_signer_local::PrivateKeySigner;
use cairn_consensus::test_utils::DenyList;
use cairn_consensus::{ConsensusError, ConsensusRoles, NotPermitted};
use cairn_mempool::PoolError;
use cairn_node::audit::verify_chain;
use cairn_node::{Node, NodeError, Origin};
use cairn_primitives::ChainSpec;
use cairn_storage::MemoryKv;

use crate::support::{Chain, dev_roles, eip1559, sign, transfer};

const TO: Address = Address::repeat_byte(0x11);

fn denying(list: &Arc<DenyList>) -> ConsensusRoles {
    dev_roles().with_transactions(list.clone())
}

fn create(nonce: u64) -> alloy_consensus::TxEip1559 {
    eip1559(nonce, TxKind::Create, U256::ZERO, Bytes::new(), 100_000)
}

#[test]
fn an_importer_refuses_a_block_carrying_a_refused_sender_and_commits_nothing() {
    let producer = Chain::new();
    let outsider = producer.address(7);
    producer.submit(&sign(producer.key(0), transfer(0, TO, 1))).unwrap();
    let refused = producer.submit(&sign(producer.key(7), transfer(0, TO, 1))).unwrap();
    producer.mine();
    let block = producer.node.block(1).unwrap().unwrap();
    let index = block.transactions.iter().position(|tx| *tx.tx_hash() == refused).unwrap();

    let list = Arc::new(DenyList::of([outsider]));
    let importer = Node::open(MemoryKv::new(), ChainSpec::dev().unwrap(), denying(&list)).unwrap();
    let error = importer.check_candidate(block.clone()).unwrap_err();
    match &error {
        NodeError::Consensus(ConsensusError::NotPermitted {
            number: 1,
            index: i,
            tx,
            source: NotPermitted::Transact { account },
        }) => assert_eq!((*i, *tx, *account), (index, refused, outsider)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        error.to_string(),
        format!("transaction {index} ({refused}) of block 1: account not permitted: {outsider}")
    );
    assert_eq!(importer.head().unwrap().number, 0, "nothing committed");

    // The same block from senders the rules permit is fine.
    list.allow(outsider);
    list.deny(Address::repeat_byte(0x22));
    let candidate = importer.check_candidate(block).unwrap();
    assert_eq!(importer.commit_candidate(candidate).unwrap().number, 1);
}

#[test]
fn an_account_refused_deployments_may_still_call() {
    let producer = Chain::new();
    let deployer = producer.address(3);
    producer.submit(&sign(producer.key(3), transfer(0, TO, 1))).unwrap();
    producer.mine();
    let deployment = producer.submit(&sign(producer.key(3), create(1))).unwrap();
    producer.mine();

    let list = Arc::new(DenyList::default());
    list.deny_deploy(deployer);
    let importer = Node::open(MemoryKv::new(), ChainSpec::dev().unwrap(), denying(&list)).unwrap();
    let call = importer.check_candidate(producer.node.block(1).unwrap().unwrap()).unwrap();
    importer.commit_candidate(call).unwrap();
    let error = importer.check_candidate(producer.node.block(2).unwrap().unwrap()).unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "transaction 0 ({deployment}) of block 2: account not permitted to deploy \
             contracts: {deployer}"
        )
    );
}

#[test]
fn a_builder_leaves_refused_senders_out_and_drops_them_from_its_pool() {
    let list = Arc::new(DenyList::default());
    let chain = Chain::with_roles(denying(&list));
    let kept = chain.submit(&sign(chain.key(0), transfer(0, TO, 1))).unwrap();
    // Admitted while still permitted, as a member removed after its transactions were
    // admitted is.
    let removed = chain.submit(&sign(chain.key(7), transfer(0, TO, 1))).unwrap();
    let next = chain.submit(&sign(chain.key(7), transfer(1, TO, 1))).unwrap();
    list.deny(chain.address(7));

    let (pending, _) = chain.node.pending_block().unwrap();
    let hashes: Vec<_> = pending.transactions.iter().map(|tx| *tx.tx_hash()).collect();
    assert_eq!(hashes, [kept], "the pending block shows what a builder would include");

    chain.mine();
    let block = chain.node.block(1).unwrap().unwrap();
    let hashes: Vec<_> = block.transactions.iter().map(|tx| *tx.tx_hash()).collect();
    assert_eq!(hashes, [kept]);
    for dropped in [removed, next] {
        assert!(chain.node.pooled(dropped).is_none(), "{dropped} left the pool");
    }
    assert_eq!(chain.node.pending_count() + chain.node.queued_count(), 0);
    assert_eq!(chain.nonce(chain.address(7)), 0);
}

#[test]
fn verify_reports_the_height_of_a_block_the_rules_refuse() {
    let chain = Chain::new();
    let outsider = chain.address(7);
    chain.submit(&sign(chain.key(0), transfer(0, TO, 1))).unwrap();
    chain.mine();
    let refused = chain.submit(&sign(chain.key(7), transfer(0, TO, 1))).unwrap();
    chain.mine();
    chain.mine();

    let store = chain.store();
    let spec = chain.node.spec().clone();
    assert_eq!(verify_chain(&store, &spec, &dev_roles()).unwrap().height, 3);
    let failure =
        verify_chain(&store, &spec, &denying(&Arc::new(DenyList::of([outsider])))).unwrap_err();
    assert_eq!(failure.height, 2);
    assert_eq!(
        failure.what,
        format!("transaction 0 ({refused}) of block 2: account not permitted: {outsider}")
    );
}

#[test]
fn admission_refuses_a_refused_sender_before_any_other_stateful_check() {
    let list = Arc::new(DenyList::default());
    let chain = Chain::with_roles(denying(&list));
    let outsider = chain.address(7);
    let penniless = PrivateKeySigner::random();
    list.deny(outsider);
    list.deny(penniless.address());

    let refused = chain.submit(&sign(chain.key(7), transfer(0, TO, 1))).unwrap_err();
    assert!(matches!(
        refused,
        NodeError::Pool(PoolError::AccountNotPermitted { account }) if account == outsider
    ));
    assert_eq!(refused.to_string(), format!("account not permitted: {outsider}"));
    // Without funds too: the refusal is its first stateful verdict.
    let refused = chain.submit(&sign(&penniless, transfer(0, TO, 1))).unwrap_err();
    assert_eq!(refused.to_string(), format!("account not permitted: {}", penniless.address()));
    list.allow(penniless.address());
    let poor = chain.submit(&sign(&penniless, transfer(0, TO, 1))).unwrap_err();
    assert!(matches!(poor, NodeError::Pool(PoolError::InsufficientFunds { .. })), "{poor}");
    assert_eq!(
        chain.node.pending_count() + chain.node.queued_count(),
        0,
        "the pool never saw them"
    );
}

#[test]
fn admission_refuses_deployments_of_an_account_that_may_only_call() {
    let list = Arc::new(DenyList::default());
    let chain = Chain::with_roles(denying(&list));
    let caller = chain.address(2);
    list.deny_deploy(caller);
    let refused = chain.submit(&sign(chain.key(2), create(0))).unwrap_err();
    assert!(matches!(
        refused,
        NodeError::Pool(PoolError::DeployNotPermitted { account }) if account == caller
    ));
    assert_eq!(refused.to_string(), format!("account not permitted to deploy contracts: {caller}"));
    chain.submit(&sign(chain.key(2), transfer(0, TO, 1))).unwrap();
    chain.submit(&sign(chain.key(3), create(0))).unwrap();
    assert_eq!(chain.mine().number, 1);
    assert_eq!(chain.node.block(1).unwrap().unwrap().transactions.len(), 2);
}

#[test]
fn a_batch_gets_one_verdict_per_transaction_in_order() {
    let list = Arc::new(DenyList::default());
    let chain = Chain::with_roles(denying(&list));
    list.deny(chain.address(5));
    let raws: Vec<Vec<u8>> =
        [0, 5, 1].iter().map(|&i| sign(chain.key(i), transfer(0, TO, 1)).encoded_2718()).collect();
    let verdicts = chain.node.submit_raw_batch(&raws, Origin::Peer).unwrap();
    assert!(verdicts[0].is_ok() && verdicts[2].is_ok(), "{verdicts:?}");
    assert_eq!(verdicts[1], Err(PoolError::AccountNotPermitted { account: chain.address(5) }));
    assert_eq!(chain.node.pending_count(), 2);
}
