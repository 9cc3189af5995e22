//! `StakingEnd` on a PoS chain run through the node's real execution and store: issuance and
//! fees paid to the parent's signers, next sets at epoch ends and the header's commitments to
//! them, evidence a proposer leaves out, blocks an importer refuses, and determinism.

use alloy_primitives::{Address, Bytes, Log, U256, keccak256};
use alloy_sol_types::{SolCall, SolEvent};
use cairn_execution::ExecError;
use cairn_primitives::{Receipt, ValidatorSetRecord};
use cairn_staking::{STAKING_ADDRESS, Staking, ValidatorStatus};

use crate::harness::{ConsensusKey, ether};
use crate::pos_chain::{PosChain, double_precommit};

fn events<E: SolEvent>(logs: &[Log]) -> Vec<E> {
    logs.iter()
        .filter(|l| l.address == STAKING_ADDRESS)
        .filter_map(|l| E::decode_log(l).ok().map(|l| l.data))
        .collect()
}

fn receipt_events<E: SolEvent>(receipts: &[Receipt]) -> Vec<E> {
    receipts.iter().flat_map(|r| events::<E>(r.envelope.logs())).collect()
}

fn reason(result: Result<impl std::fmt::Debug, ExecError>) -> (u64, String) {
    match result {
        Err(ExecError::InvalidBlock { number, reason }) => (number, reason),
        other => panic!("expected an invalid block, got {other:?}"),
    }
}

fn validator(seed: u64) -> Address {
    ConsensusKey::from_seed(seed).address()
}

/// Genesis stakes: four validators of 1,000 ether.
fn stakes() -> U256 {
    ether(4_000)
}

#[test]
fn issuance_and_fees_reach_the_contract_and_the_parents_signers() {
    let chain = PosChain::new(4, 10, ether(1));
    assert_eq!(chain.balance(STAKING_ADDRESS), stakes());

    // Block 1 has no parent certificate: its reward waits in the pot.
    let transfer = chain.tx(9, 0, Address::repeat_byte(0x42), ether(1), Bytes::new());
    let one = chain.produce(&[], Vec::new(), vec![transfer]);
    assert_eq!(one.block.transactions.len(), 1);
    let fees = U256::from(21_000u64 * 1_000_000_000);
    assert_eq!(chain.balance(STAKING_ADDRESS), stakes() + ether(1) + fees, "issuance and tip");
    assert!(events::<Staking::BlockRewarded>(&one.end.logs).is_empty());

    // Block 2: all four signed block 1; the pot is both blocks' issuance plus block 1's fees.
    let two = chain.next_block();
    let rewarded = events::<Staking::BlockRewarded>(&two.end.logs);
    let pot = ether(2) + fees;
    assert_eq!(rewarded.len(), 1);
    assert_eq!((rewarded[0].height, rewarded[0].pot), (2, pot));
    assert_eq!(rewarded[0].signedPower, U256::from(4_000));
    assert_eq!(chain.balance(STAKING_ADDRESS), stakes() + ether(2) + fees);

    // Equal powers and numbers that divide evenly: each validator's operator (its only
    // delegator) is owed exactly a quarter of the pot, commission included.
    for seed in 1..=4 {
        let info = chain.view(Staking::validatorInfoCall { validatorAddress: validator(seed) });
        let pending = chain.view(Staking::pendingRewardsCall {
            delegator: chain.operator(seed),
            validatorAddress: validator(seed),
        });
        assert_eq!(info.commissionOwed + pending, pot / U256::from(4), "validator {seed}");
        assert_eq!(info.commissionOwed, pot / U256::from(40), "10% commission");
    }

    // Only three sign block 2: block 3's pot (its issuance) goes to them by power.
    let three = chain.produce(&[validator(1), validator(2), validator(4)], Vec::new(), Vec::new());
    let rewarded = events::<Staking::BlockRewarded>(&three.end.logs);
    assert_eq!((rewarded[0].pot, rewarded[0].signedPower), (ether(1), U256::from(3_000)));
}

#[test]
fn a_claim_pays_out_what_the_blocks_credited() {
    let chain = PosChain::new(4, 10, ether(1));
    chain.next_block();
    chain.next_block();
    let owed = ether(2) / U256::from(4);
    let operator = chain.operator(1);
    let before = chain.balance(operator);
    let claim = Staking::claimRewardsCall { validator: validator(1) }.abi_encode();
    let tx = chain.tx(0, 0, STAKING_ADDRESS, U256::ZERO, claim.into());
    chain.produce(&chain.all_signers(), Vec::new(), vec![tx]);
    let receipts = chain.receipts(3);
    let claimed = receipt_events::<Staking::RewardsClaimed>(&receipts);
    assert_eq!(claimed.len(), 1);
    assert_eq!((claimed[0].delegator, claimed[0].amount), (operator, owed));
    let gas = U256::from(receipts[0].gas_used) * U256::from(receipts[0].effective_gas_price);
    assert_eq!(chain.balance(operator), before + owed - gas, "paid to the wei");
}

#[test]
fn an_epochs_last_block_records_the_next_set_and_commits_to_its_hash() {
    let chain = PosChain::new(4, 3, U256::ZERO);
    let genesis = chain.set_at(1);
    for _ in 1..=2 {
        let block = chain.next_block();
        let c = block.block.header.commitments.clone().unwrap();
        assert_eq!(block.end.next_validators, None);
        assert_eq!(c.validators_hash, genesis.hash());
        assert_eq!(c.next_validators_hash, genesis.hash());
    }

    // Block 3 ends epoch 0: nothing changed, so the record repeats the set and the hash.
    let three = chain.next_block();
    let record = three.end.next_validators.clone().unwrap();
    assert_eq!((record.epoch, record.first_height), (1, 4));
    assert_eq!(record.members, genesis.members);
    let c = three.block.header.commitments.clone().unwrap();
    assert_eq!(c.next_validators_hash, c.validators_hash);
    assert_eq!(chain.set_at(4).as_ref(), &record, "stored for the heights it decides");
    let started = events::<Staking::EpochStarted>(&three.end.logs);
    assert_eq!((started[0].epoch, started[0].firstHeight), (1, 4));

    // A delegation in epoch 1 raises validator 1's power from epoch 2 on.
    let delegate = Staking::delegateCall { validator: validator(1) }.abi_encode();
    let tx = chain.tx(8, 0, STAKING_ADDRESS, ether(500), delegate.into());
    chain.produce(&chain.all_signers(), Vec::new(), vec![tx]);
    assert_eq!(receipt_events::<Staking::Delegated>(&chain.receipts(4)).len(), 1);
    chain.next_block();
    let six = chain.next_block();
    let next: ValidatorSetRecord = six.end.next_validators.clone().unwrap();
    assert_eq!((next.epoch, next.first_height), (2, 7));
    let powers: Vec<_> = next.members.iter().map(|m| (m.address, m.power)).collect();
    assert!(powers.contains(&(validator(1), 1_500)), "{powers:?}");
    let c = six.block.header.commitments.clone().unwrap();
    assert_eq!(c.validators_hash, genesis.hash());
    assert_eq!(c.next_validators_hash, next.hash());
    assert_ne!(c.next_validators_hash, c.validators_hash);

    // Block 7 is decided by the new set and says so.
    let seven = chain.next_block();
    let c7 = seven.block.header.commitments.clone().unwrap();
    assert_eq!(c7.validators_hash, next.hash());
    assert_eq!(c7.next_validators_hash, next.hash());
    assert_eq!(chain.set_at(7).as_ref(), &next);
}

#[test]
fn commitments_cover_the_bodys_consensus_data_and_the_system_logs() {
    let chain = PosChain::new(4, 2, ether(1));
    chain.next_block();
    let two = chain.next_block();
    let c = two.block.header.commitments.clone().unwrap();
    let data = two.block.consensus.clone().unwrap();
    assert_eq!(c.last_commit_hash, keccak256(&data.last_commit));
    assert!(!data.last_commit.is_empty());
    assert_eq!(c.evidence_hash, keccak256(alloy_rlp::encode(&data.evidence)));
    assert_eq!(c.system_logs_hash, keccak256(alloy_rlp::encode(&two.end.logs)));
    // endBlock's and endEpoch's events, stored with the block and in its bloom.
    assert!(!events::<Staking::BlockRewarded>(&two.end.logs).is_empty());
    assert!(!events::<Staking::EpochStarted>(&two.end.logs).is_empty());
    assert_eq!(chain.store.snapshot().unwrap().system_logs(2).unwrap(), two.end.logs);
    for log in &two.end.logs {
        assert!(
            two.block
                .header
                .logs_bloom
                .contains_input(alloy_primitives::BloomInput::Raw(log.address.as_slice()))
        );
    }
}

#[test]
fn import_refuses_a_block_whose_end_block_reverts() {
    let chain = PosChain::new(4, 10, U256::ZERO);
    chain.next_block();
    let built = chain.build(chain.inputs(&chain.all_signers(), Vec::new()), Vec::new()).unwrap();

    // Bit 4 of a four-member set: no such member.
    let mut inputs = chain.inputs_of(&built.block, &chain.all_signers());
    inputs.signed = vec![0x1f];
    let (number, why) = reason(chain.import(&built.block, &built.senders, inputs.clone()));
    assert_eq!(number, 2);
    assert_eq!(why, "protocol call endBlock reverted: BadSignerBitmap()");

    // A proposer with that bitmap builds nothing either.
    let (_, why) = reason(chain.build(inputs, Vec::new()));
    assert_eq!(why, "protocol call endBlock reverted: BadSignerBitmap()");
    assert_eq!(chain.head().number, 1, "nothing was committed");

    // The block itself is fine with the right bitmap.
    let inputs = chain.inputs_of(&built.block, &chain.all_signers());
    chain.import(&built.block, &built.senders, inputs).unwrap();
}

#[test]
fn a_proposer_leaves_out_evidence_the_contract_refuses_and_importers_accept_the_block() {
    let chain = PosChain::new(4, 3, U256::ZERO);
    chain.next_block();
    chain.next_block();
    let valid = double_precommit(2, 2, 0);
    let mut forged = double_precommit(3, 2, 0);
    forged.first.signature = forged.second.signature;
    let evidence = vec![forged.clone(), valid.clone(), valid.clone()];

    // Block 3: the forged item and the repeat (already tombstoned) are left out.
    let built = chain.build(chain.inputs(&chain.all_signers(), evidence.clone()), Vec::new());
    let built = built.unwrap();
    assert_eq!(built.block.consensus.as_ref().unwrap().evidence, vec![valid.clone()]);
    let c = built.block.header.commitments.clone().unwrap();
    assert_eq!(c.evidence_hash, keccak256(alloy_rlp::encode(vec![valid.clone()])));

    // An importer given the evidence the proposer dropped refuses the block, naming why.
    let mut inputs = chain.inputs_of(&built.block, &chain.all_signers());
    inputs.evidence = evidence;
    let (number, why) = reason(chain.import(&built.block, &built.senders, inputs));
    assert_eq!(number, 3);
    assert_eq!(
        why,
        "protocol call slashDoubleSign (evidence 0) reverted: BadEvidenceSignature(which: 0)"
    );

    // The block as built imports and commits (produce checks build == import).
    let three = chain.produce(&chain.all_signers(), vec![forged, valid.clone()], Vec::new());
    assert_eq!(three.block.consensus.unwrap().evidence, vec![valid]);
    assert_eq!(events::<Staking::Tombstoned>(&three.end.logs).len(), 1);
    assert_eq!(events::<Staking::Slashed>(&three.end.logs).len(), 1);
    let status = chain.view(Staking::validatorInfoCall { validatorAddress: validator(2) }).status;
    assert_eq!(ValidatorStatus::try_from(status).unwrap(), ValidatorStatus::Tombstoned);
    // Evidence runs before the epoch's end: the double signer is out of the next set.
    let next = three.end.next_validators.unwrap();
    assert!(next.members.iter().all(|m| m.address != validator(2)), "{next:?}");
    assert_eq!(next.members.len(), 3);
}

#[test]
fn an_end_the_chain_and_the_contract_disagree_on_is_refused() {
    let chain = PosChain::new(4, 2, U256::ZERO);
    chain.next_block();

    // Block 2 ends epoch 0; a caller that thinks it starts epoch 5 is wrong on every node.
    let mut inputs = chain.inputs(&chain.all_signers(), Vec::new());
    inputs.ends_epoch = Some(5);
    let (_, why) = reason(chain.build(inputs, Vec::new()));
    assert_eq!(
        why,
        "protocol call endEpoch: endEpoch started epoch 1 at height 3, the chain expects epoch 5 at 3"
    );

    // Fees paid anywhere but the staking contract could not be paid out as rewards.
    let inputs = chain.inputs(&chain.all_signers(), Vec::new());
    let (_, why) = reason(chain.build_paying(Address::repeat_byte(0xee), inputs, Vec::new()));
    assert!(why.contains("pays its fees to the staking contract"), "{why}");

    // More evidence than a block may carry.
    let inputs = chain.inputs(&chain.all_signers(), vec![double_precommit(2, 1, 0); 9]);
    let (_, why) = reason(chain.build(inputs, Vec::new()));
    assert!(why.contains("9 evidence items"), "{why}");
    assert_eq!(chain.head().number, 1);
}

#[test]
fn another_node_importing_the_blocks_reaches_the_same_chain() {
    let builder = PosChain::new(4, 3, ether(1));
    let importer = PosChain::new(4, 3, ether(1));
    let mut blocks = Vec::new();
    for number in 1..=8u64 {
        let signers = builder.all_signers();
        // Validator 4 misses a block now and then; a user delegates; one double sign.
        let signers: Vec<_> = match number {
            5 | 6 => signers.into_iter().filter(|a| *a != validator(4)).collect(),
            _ => signers,
        };
        let evidence = if number == 4 { vec![double_precommit(3, 2, 0)] } else { Vec::new() };
        let txs = if number == 2 {
            let delegate = Staking::delegateCall { validator: validator(2) }.abi_encode();
            vec![builder.tx(9, 0, STAKING_ADDRESS, ether(250), delegate.into())]
        } else {
            Vec::new()
        };
        let produced = builder.produce(&signers, evidence, txs);
        let end = importer.import_and_commit(&produced.block, &produced.senders, &signers);
        assert_eq!(end, produced.end, "block {number}");
        blocks.push(produced.block.hash());
    }
    assert_eq!(importer.head(), builder.head());
    assert_eq!(importer.head().hash(), *blocks.last().unwrap());
    for height in [1, 4, 7, 9] {
        assert_eq!(importer.set_at(height), builder.set_at(height), "set of height {height}");
    }
    // Two independent builds of the same blocks agree byte for byte.
    let again = PosChain::new(4, 3, ether(1));
    for (number, hash) in (1..=8u64).zip(&blocks) {
        let block = builder.store.snapshot().unwrap().block(number).unwrap().unwrap();
        let senders = builder.store.snapshot().unwrap().senders(number).unwrap().unwrap();
        let signers = signers_of(&block);
        again.import_and_commit(&block, &senders, &signers);
        assert_eq!(again.head().hash(), *hash);
    }
}

/// The stand-in certificate's signers (20-byte addresses back to back).
fn signers_of(block: &cairn_primitives::Block) -> Vec<Address> {
    let data = block.consensus.as_ref().unwrap();
    data.last_commit.chunks(20).map(Address::from_slice).collect()
}
