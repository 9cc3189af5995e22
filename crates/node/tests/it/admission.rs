//! Batched admission, and senders recovered at most once per transaction per node.

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::Address;
use cairn_mempool::PoolError;
use cairn_node::Origin;

use crate::support::{Chain, PROPOSER, sign, transfer};

#[test]
fn a_batch_admits_in_order_and_answers_each_transaction() {
    let chain = Chain::new();
    let to = Address::repeat_byte(3);
    let mut raws: Vec<Vec<u8>> =
        (0..10).map(|nonce| sign(chain.key(0), transfer(nonce, to, 1)).encoded_2718()).collect();
    raws.push(raws[4].clone());
    raws.push(vec![0x02, 0xc0, 0x01]);
    raws.push(sign(chain.key(1), transfer(1, to, 1)).encoded_2718());

    let verdicts = chain.node.submit_raw_batch(&raws, Origin::Local).unwrap();
    assert_eq!(verdicts.len(), 13);
    assert!(verdicts[..10].iter().all(Result::is_ok), "{verdicts:?}");
    assert_eq!(verdicts[10], Err(PoolError::AlreadyKnown));
    assert!(matches!(verdicts[11], Err(PoolError::Decode(_))), "{:?}", verdicts[11]);
    assert!(verdicts[12].is_ok(), "a nonce gap is queued: {:?}", verdicts[12]);
    assert_eq!(chain.node.pending_count(), 10);
    assert_eq!(chain.node.queued_count(), 1);
    assert_eq!(chain.mine().gas_used, 10 * 21_000);
}

#[test]
fn every_sender_is_recovered_once_per_node_from_admission_to_commit() {
    const TXS: u64 = 40;
    let proposer = Chain::new();
    let validator = Chain::new();
    let to = Address::repeat_byte(4);
    let raws: Vec<Vec<u8>> = (0..TXS)
        .map(|nonce| sign(proposer.key((nonce % 4) as usize), transfer(nonce / 4, to, 1)))
        .map(|tx| tx.encoded_2718())
        .collect();

    // Every transaction reaches the proposer; half of them reach the validator before the
    // proposal does (as gossip would), and one is submitted to each twice.
    assert!(
        proposer.node.submit_raw_batch(&raws, Origin::Local).unwrap().iter().all(Result::is_ok)
    );
    assert_eq!(proposer.node.submit_raw(&raws[0]).unwrap_err().to_string(), "already known");
    let gossiped: Vec<_> = raws.iter().step_by(2).cloned().collect();
    assert!(
        validator.node.submit_raw_batch(&gossiped, Origin::Peer).unwrap().iter().all(Result::is_ok)
    );
    assert!(validator.node.submit_raw(&raws[2]).is_err());

    let mut built = proposer.node.build_candidate(PROPOSER).unwrap();
    assert_eq!(built.block.transactions.len(), TXS as usize);
    let mut checked = validator.node.check_candidate(built.block.clone()).unwrap();
    assert_eq!(checked.senders, built.senders);
    // The dev engine seals with nothing.
    let seal = alloy_primitives::Bytes::new();
    built.block.header.seal = seal.clone();
    checked.block.header.seal = seal;
    let head = proposer.node.commit_candidate(built).unwrap();
    assert_eq!(validator.node.commit_candidate(checked).unwrap(), head);

    assert_eq!(proposer.node.tx_recoveries(), TXS);
    assert_eq!(validator.node.tx_recoveries(), TXS);
}

#[test]
fn only_local_admissions_are_offered_to_peers() {
    let chain = Chain::new();
    let mut local = chain.node.subscribe_local();
    let mut pending = chain.node.subscribe_pending();
    let to = Address::repeat_byte(6);
    let own: Vec<Vec<u8>> =
        (0..3).map(|nonce| sign(chain.key(0), transfer(nonce, to, 1)).encoded_2718()).collect();
    let from_peer = vec![sign(chain.key(1), transfer(0, to, 1)).encoded_2718()];

    chain.node.submit_raw_batch(&from_peer, Origin::Peer).unwrap();
    let verdicts = chain.node.submit_raw_batch(&own, Origin::Local).unwrap();
    assert!(verdicts.iter().all(Result::is_ok));
    assert!(chain.node.submit_raw(&own[1]).is_err(), "a duplicate is not offered again");

    let offered: Vec<Vec<u8>> =
        std::iter::from_fn(|| local.try_recv().ok()).map(|raw| raw.to_vec()).collect();
    assert_eq!(offered, own, "the client's transactions, in order, and nothing from the peer");
    assert_eq!(std::iter::from_fn(|| pending.try_recv().ok()).count(), 4, "subscribers see all");
}
