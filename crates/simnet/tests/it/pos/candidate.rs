//! A node outside the genesis set that holds a consensus key registers as a validator and
//! signs from the next epoch on.

use alloy_primitives::Bytes;
use alloy_sol_types::SolCall;
use cairn_simnet::{NetBuilder, run};
use cairn_staking::{Staking, ValidatorStatus, pop_digest};

use super::{EPOCH_LENGTH, ask, ether, power, send_to_staking, signed};
use crate::SEEDS;

#[test]
fn a_candidate_node_stakes_and_signs_from_the_next_epoch() {
    run("a_candidate_node_stakes_and_signs_from_the_next_epoch", &SEEDS, |seed| async move {
        // Node 4 runs from genesis with a consensus key no genesis set holds.
        let candidate = 4;
        let mut net = NetBuilder::new(seed).pos(EPOCH_LENGTH).candidates(1).start().await;
        net.wait_until_height(2).await;
        let key = net.consensus_key(candidate).clone();
        let validator = key.address().0;
        let operator = net.accounts()[12].clone();

        // The proof of possession `cairn staking register` builds: the consensus key's
        // signature of the contract's digest for this operator on this chain.
        let proof = key
            .sign_digest(pop_digest(net.spec().chain_id, operator.address()))
            .expect("signed proof of possession");
        let register = Staking::registerValidatorCall {
            consensusPublicKey: Bytes::copy_from_slice(&key.public_key().0),
            proofOfPossession: Bytes::copy_from_slice(&proof.0),
            commissionBps: 1_000,
        };
        let landed =
            send_to_staking(&mut net, &operator, 0, register.abi_encode(), ether(500)).await;
        assert!(landed.receipt.success(), "seed {}: registerValidator reverted", seed.0);
        let registered = landed.block_number;

        let info = |net: &cairn_simnet::TestNet, number| {
            ask(net, 0, number, Staking::validatorInfoCall { validatorAddress: validator })
        };
        let fresh = info(&net, registered);
        assert_eq!(
            ValidatorStatus::try_from(fresh.status).expect("a status"),
            ValidatorStatus::Candidate
        );
        assert_eq!(
            (fresh.operator, fresh.selfStake, fresh.power),
            (operator.address(), ether(500), 0)
        );

        // It enters the set at the epoch boundary after its registration, with power 500.
        let epoch_end = registered.div_ceil(EPOCH_LENGTH) * EPOCH_LENGTH;
        let target = epoch_end + EPOCH_LENGTH;
        net.wait_until_height(target).await;
        for i in 0..=candidate {
            for n in [registered, epoch_end] {
                assert_eq!(
                    power(&net, i, n, validator),
                    None,
                    "seed {}: node {i} block {n}",
                    seed.0
                );
            }
            assert_eq!(power(&net, i, epoch_end + 1, validator), Some(500), "seed {}", seed.0);
        }
        let active = info(&net, epoch_end + 1);
        assert_eq!(
            ValidatorStatus::try_from(active.status).expect("a status"),
            ValidatorStatus::Active
        );
        assert_eq!(active.power, 500);

        // Its precommits never count before it is a member, and once it is one they appear
        // in the certificates blocks carry of their parents (`last_commit`, the certificate
        // the contract's signer bitmap is taken from).
        for n in 1..=epoch_end {
            for i in 0..=candidate {
                assert!(!signed(&net, i, n, validator), "seed {}: signed block {n}", seed.0);
            }
        }
        let node = net.reads(0);
        let carried = (epoch_end + 2..=target).any(|n| {
            let block = node.block(n).expect("read").expect("stored");
            let data = block.consensus.expect("a pos body carries consensus data");
            let parent = cairn_bft::decode_seal(&data.last_commit).expect("a certificate");
            parent.commit_signatures.iter().any(|s| s.address.0 == validator)
        });
        assert!(carried, "seed {}: no last_commit carries its precommit", seed.0);
        // The bitmap the contract pays from counted it: its operator earns commission.
        assert!(info(&net, target).commissionOwed > fresh.commissionOwed, "seed {}", seed.0);
        net.assert_agreement();
        for i in 0..=candidate {
            net.audit(i);
        }
    });
}
