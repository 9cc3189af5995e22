//! The validator set changes at several epoch boundaries in a row; every node holds the same
//! chain, and a node started late syncs from genesis through every change, checking each
//! certificate against the set of its own height.

use alloy_primitives::{B256, U256};
use alloy_sol_types::SolCall;
use cairn_simnet::{NetBuilder, TestNet, run};
use cairn_staking::Staking;

use super::{EPOCH_LENGTH, ether, power, send_to_staking};
use crate::SEEDS;

/// One staking action per epoch: (validator index, delegate (+) or undelegate (−) ether).
const ACTIONS: [(usize, i64); 6] = [(0, 100), (1, 200), (0, -100), (2, 300), (1, -200), (3, 50)];

/// The hash of the set node `i` holds for height `n`.
fn set_hash(net: &TestNet, i: usize, n: u64) -> B256 {
    net.reads(i).validator_set(n).expect("set").hash()
}

#[test]
fn the_set_changes_five_times_and_a_late_node_syncs_through_every_change() {
    run(
        "the_set_changes_five_times_and_a_late_node_syncs_through_every_change",
        &SEEDS,
        |seed| async move {
            let late = 4;
            let mut net = NetBuilder::new(seed)
                .pos(EPOCH_LENGTH)
                .full_nodes(1)
                .stopped(&[late])
                .start()
                .await;
            net.wait_until_height(2).await;
            let delegator = net.accounts()[10].clone();
            let validators: Vec<_> = (0..4).map(|v| net.validator(v)).collect();

            // Each action lands in its own epoch, so the set of the epoch after it differs.
            let mut stakes = [1_000u64; 4];
            let mut boundaries = Vec::new();
            for (nonce, &(v, delta)) in ACTIONS.iter().enumerate() {
                let amount = ether(delta.unsigned_abs());
                let (input, value) = if delta > 0 {
                    (Staking::delegateCall { validator: validators[v] }.abi_encode(), amount)
                } else {
                    let call = Staking::undelegateCall { validator: validators[v], amount };
                    (call.abi_encode(), U256::ZERO)
                };
                let landed =
                    send_to_staking(&mut net, &delegator, nonce as u64, input, value).await;
                assert!(landed.receipt.success(), "seed {}: action {nonce} reverted", seed.0);
                let epoch_end = landed.block_number.div_ceil(EPOCH_LENGTH) * EPOCH_LENGTH;
                assert!(
                    boundaries.last().is_none_or(|&b| b < epoch_end),
                    "seed {}: two actions in one epoch",
                    seed.0
                );
                stakes[v] = stakes[v].checked_add_signed(delta).expect("stake");
                boundaries.push(epoch_end);
                net.wait_until_height(epoch_end).await;
                for (i, &stake) in stakes.iter().enumerate() {
                    assert_eq!(
                        power(&net, 0, epoch_end + 1, validators[i]),
                        Some(stake),
                        "seed {}: validator {i} after block {epoch_end}",
                        seed.0
                    );
                }
            }
            let head = boundaries[boundaries.len() - 1] + 3;
            net.wait_until_height(head).await;

            // Every boundary changed the set, and every node holds the same sets and blocks.
            let node = net.reads(0);
            for &b in &boundaries {
                assert_ne!(
                    set_hash(&net, 0, b),
                    set_hash(&net, 0, b + 1),
                    "seed {}: boundary {b}",
                    seed.0
                );
                let header = node.block(b).expect("read").expect("stored").header;
                let commitments = header.commitments.expect("a pos header");
                assert_eq!(commitments.next_validators_hash, set_hash(&net, 0, b + 1));
            }
            for i in 1..4 {
                for n in 1..=head {
                    assert_eq!(
                        set_hash(&net, i, n),
                        set_hash(&net, 0, n),
                        "seed {}: node {i} set {n}",
                        seed.0
                    );
                }
            }
            net.assert_agreement();

            // A node started now syncs the whole chain from genesis: every block it imports is
            // certified by the set its own store holds for that height.
            net.node(late).start().await;
            let top = net.height(0);
            net.wait_until(&[late], top + 2).await;
            for n in 1..=top {
                assert_eq!(
                    set_hash(&net, late, n),
                    set_hash(&net, 0, n),
                    "seed {}: set of {n}",
                    seed.0
                );
            }
            // assert_agreement checks each node's own seal against its own set of the height;
            // the audit re-executes every block and re-derives every set as `cairn verify` does.
            net.assert_agreement();
            net.audit(late);
            for i in 0..4 {
                net.audit(i);
            }
        },
    );
}
