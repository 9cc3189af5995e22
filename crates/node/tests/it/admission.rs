//! Batched admission.

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::Address;
use cairn_mempool::PoolError;

use crate::support::{Chain, sign, transfer};

#[test]
fn a_batch_admits_in_order_and_answers_each_transaction() {
    let chain = Chain::new();
    let to = Address::repeat_byte(3);
    let mut raws: Vec<Vec<u8>> =
        (0..10).map(|nonce| sign(chain.key(0), transfer(nonce, to, 1)).encoded_2718()).collect();
    raws.push(raws[4].clone());
    raws.push(vec![0x02, 0xc0, 0x01]);
    raws.push(sign(chain.key(1), transfer(1, to, 1)).encoded_2718());

    let verdicts = chain.node.submit_raw_batch(&raws).unwrap();
    assert_eq!(verdicts.len(), 13);
    assert!(verdicts[..10].iter().all(Result::is_ok), "{verdicts:?}");
    assert_eq!(verdicts[10], Err(PoolError::AlreadyKnown));
    assert!(matches!(verdicts[11], Err(PoolError::Decode(_))), "{:?}", verdicts[11]);
    assert!(verdicts[12].is_ok(), "a nonce gap is queued: {:?}", verdicts[12]);
    assert_eq!(chain.node.pending_count(), 10);
    assert_eq!(chain.node.queued_count(), 1);
    assert_eq!(chain.mine().gas_used, 10 * 21_000);
}
