//! Double signing slashes the stake that counted at the infraction: the bonded pool and the
//! unbonding entries started in the infraction's epoch, each by exactly a twentieth, with the
//! delegators' positions and the contract's books following to the wei.

use std::ops::ControlFlow;

use alloy_primitives::{Address, U256};
use alloy_rpc_types_eth::Filter;
use alloy_sol_types::{SolCall, SolEvent};
use cairn_primitives::STAKING_ADDRESS;
use cairn_reads::ChainReader;
use cairn_simnet::{NetBuilder, TestNet, run};
use cairn_staking::{Staking, ValidatorStatus};

use super::{ask, balance, ether, evidence_in, power, send_to_staking};
use crate::SEEDS;

/// Long enough for the setup, the double signer's start and its infraction to fit in epoch 1.
const EPOCH_LENGTH: u64 = 20;
/// `slash_double_sign` in basis points (the default 1/20).
const SLASH_BPS: u64 = 500;

fn slash(amount: U256) -> U256 {
    amount * U256::from(SLASH_BPS) / U256::from(10_000)
}

/// `who`'s unbonding entry with `double` started in `epoch`, as `delegationsOf` shows it.
fn entry(net: &TestNet, n: u64, who: Address, epoch: u64) -> Staking::UnbondingInfo {
    let entries = ask(net, 0, n, Staking::delegationsOfCall { delegator: who }).entries;
    let mut started = entries.into_iter().filter(|e| e.startEpoch == epoch);
    let found = started.next().expect("an unbonding entry of that epoch");
    assert!(started.next().is_none());
    found
}

/// The one `Slashed` event block `number` of node 0 logged.
fn slashed_event(net: &TestNet, number: u64) -> Staking::Slashed {
    let mut slashes = Vec::new();
    let node = net.reads(0);
    let view = node.view().expect("a view");
    let filter = Filter::new().address(STAKING_ADDRESS);
    view.logs(&filter, number, number, 0, &mut |log| {
        if let Ok(event) = Staking::Slashed::decode_log(&log.log) {
            slashes.push(event.data);
        }
        ControlFlow::Continue(())
    })
    .expect("logs");
    assert_eq!(slashes.len(), 1, "seed {}: {slashes:?}", net.seed().0);
    slashes.remove(0)
}

#[test]
fn a_double_signers_bonded_and_unbonding_stake_lose_a_twentieth() {
    run(
        "a_double_signers_bonded_and_unbonding_stake_lose_a_twentieth",
        &SEEDS,
        |seed| async move {
            // Node 4 runs validator 3's key too; it starts only once the delegations are in place.
            let twin = 4;
            let mut net = NetBuilder::new(seed)
                .pos(EPOCH_LENGTH)
                .double_signer(3)
                .stopped(&[twin])
                .start()
                .await;
            let honest = [0, 1, 2];
            net.wait_until_height(2).await;
            let double = net.validator(3);
            let operator = net.accounts()[3].address();
            let leaver = net.accounts()[10].clone();
            let stayer = net.accounts()[11].clone();

            // Epoch 0: the stayer bonds 500 ether; the leaver bonds 400 and starts unbonding 200.
            let delegate = Staking::delegateCall { validator: double }.abi_encode();
            let undelegate = |amount| {
                Staking::undelegateCall { validator: double, amount: ether(amount) }.abi_encode()
            };
            let mut setup = Vec::new();
            setup.push(send_to_staking(&mut net, &stayer, 0, delegate.clone(), ether(500)).await);
            setup.push(send_to_staking(&mut net, &leaver, 0, delegate, ether(400)).await);
            setup.push(send_to_staking(&mut net, &leaver, 1, undelegate(200), U256::ZERO).await);
            // Epoch 1: the leaver starts unbonding 100 more, keeping 100 bonded.
            net.wait_until_height(EPOCH_LENGTH).await;
            setup.push(send_to_staking(&mut net, &leaver, 2, undelegate(100), U256::ZERO).await);
            assert!(setup.iter().all(|l| l.receipt.success()), "seed {}: setup reverted", seed.0);
            assert!(setup[2].block_number <= EPOCH_LENGTH && setup[3].block_number > EPOCH_LENGTH);
            let ready = setup[3].block_number;

            // The second copy starts once the honest nodes are past the setup: they judge
            // messages of the heights they are deciding, so the infraction comes after it.
            net.wait_until(&honest, ready + 1).await;
            net.node(twin).start().await;
            let mut number = ready;
            let landed = loop {
                assert!(number < 2 * EPOCH_LENGTH, "seed {}: no evidence in epoch 1", seed.0);
                number += 1;
                net.wait_until(&honest, number).await;
                if !evidence_in(&net, 0, number).is_empty() {
                    break number;
                }
            };
            let items = evidence_in(&net, 0, landed);
            assert_eq!(items.len(), 1, "seed {}: {items:?}", seed.0);
            let infraction = items[0].height;
            assert_eq!(items[0].validator, double);
            assert!(ready < infraction && infraction < landed, "seed {}: {infraction}", seed.0);
            assert_eq!(items[0].epoch, 1, "seed {}: infraction at {infraction}", seed.0);

            let validator =
                |n| ask(&net, 0, n, Staking::validatorInfoCall { validatorAddress: double });
            let position = |net: &TestNet, n, who| {
                ask(net, 0, n, Staking::delegationCall { delegator: who, validatorAddress: double })
            };
            let books = |n| ask(&net, 0, n, Staking::rewardAccountingCall {});

            // What was bonded at the infraction height is what was bonded just before the slash:
            // the operator's 1,000, the stayer's 500 and the leaver's 100 ether.
            let at_infraction = validator(infraction);
            let before = validator(landed - 1);
            assert_eq!(at_infraction.totalStake, ether(1_600));
            assert_eq!(
                (before.totalStake, before.totalShares),
                (at_infraction.totalStake, at_infraction.totalShares)
            );
            let who = leaver.address();
            assert_eq!(entry(&net, landed - 1, who, 0).amount, ether(200));
            assert_eq!(entry(&net, landed - 1, who, 1).amount, ether(100));

            let after = validator(landed);
            let bonded_cut = slash(before.totalStake);
            let unbonding_cut = slash(ether(100));
            assert_eq!((bonded_cut, unbonding_cut), (ether(80), ether(5)), "seed {}", seed.0);
            assert_eq!(after.totalStake, before.totalStake - bonded_cut, "seed {}", seed.0);
            assert_eq!(after.totalShares, before.totalShares, "a slash burns no shares");
            // Every position keeps its shares; its stake is shares × tokens / shares, floored.
            for who in [operator, leaver.address(), stayer.address()] {
                let was = position(&net, landed - 1, who);
                let now = position(&net, landed, who);
                assert_eq!(now.shares, was.shares);
                assert_eq!(
                    now.stake,
                    now.shares * after.totalStake / after.totalShares,
                    "seed {}: {who}",
                    seed.0
                );
            }
            assert_eq!(after.selfStake, ether(950));
            assert_eq!(position(&net, landed, stayer.address()).stake, ether(475));
            assert_eq!(position(&net, landed, leaver.address()).stake, ether(95));
            // The entry started in the infraction's epoch counted in its set: it loses a twentieth.
            // The one started the epoch before had left the set: untouched.
            assert_eq!(entry(&net, landed, who, 1).amount, ether(95), "seed {}", seed.0);
            assert_eq!(entry(&net, landed, who, 0).amount, ether(200), "seed {}", seed.0);
            let slashed = slashed_event(&net, landed);
            assert_eq!(
                (slashed.validator, slashed.reason, slashed.infractionHeight),
                (double, 0, infraction)
            );
            assert_eq!(
                (slashed.bondedSlashed, slashed.unbondingSlashed),
                (bonded_cut, unbonding_cut)
            );

            // The books: bonded and unbonding totals fall by the cuts, the burned total rises by
            // both, and the balance still equals held + bonded + unbonding + burned (no surplus):
            // slashed ether stays in the contract.
            let (was, now) = (books(landed - 1), books(landed));
            assert_eq!(now.bonded, was.bonded - bonded_cut);
            assert_eq!(now.unbonding, was.unbonding - unbonding_cut);
            assert_eq!(now.burned, was.burned + bonded_cut + unbonding_cut);
            assert_eq!((now.surplus, was.surplus), (U256::ZERO, U256::ZERO));

            assert_eq!(
                ValidatorStatus::try_from(after.status).expect("a status"),
                ValidatorStatus::Tombstoned
            );
            assert_eq!(after.jailedUntil, u64::MAX);

            // The honest three keep finalising and choose a set without it.
            let epoch_end = landed.div_ceil(EPOCH_LENGTH) * EPOCH_LENGTH;
            net.wait_until(&honest, epoch_end + 3).await;
            for i in honest {
                assert!(
                    power(&net, i, epoch_end + 1, double).is_none(),
                    "seed {}: node {i}",
                    seed.0
                );
            }

            // Once both entries have matured, `withdraw()` pays exactly what they hold now.
            let unbonding_epochs = net.spec().staking.as_ref().expect("pos").unbonding_epochs;
            net.wait_until(&honest, (1 + unbonding_epochs + 1) * EPOCH_LENGTH).await;
            let withdraw = Staking::withdrawCall {}.abi_encode();
            let paid = send_to_staking(&mut net, &leaver, 3, withdraw, U256::ZERO).await;
            assert!(paid.receipt.success(), "seed {}: withdraw reverted", seed.0);
            let block = paid.block_number;
            let gas =
                U256::from(paid.receipt.gas_used) * U256::from(paid.receipt.effective_gas_price);
            assert_eq!(
                balance(&net, block, who),
                balance(&net, block - 1, who) + ether(200 + 95) - gas,
                "seed {}: the leaver's balance",
                seed.0
            );
            let left = ask(&net, 0, block, Staking::delegationsOfCall { delegator: who });
            assert!(left.entries.is_empty(), "seed {}", seed.0);
            assert_eq!(left.positions.len(), 1);
            assert_eq!(left.positions[0].stake, ether(95));
            net.assert_agreement();
            for i in honest {
                net.audit(i);
            }
        },
    );
}
