//! The roles `govern` makes, on a governed chain run through the node's real execution and
//! store: `endEpoch` on each epoch's last block (boundaries read from the parent's state), the
//! next set recorded on BFT and checked then dropped on dev, the header commitments, and the
//! blocks an importer refuses.

use std::sync::Arc;

use alloy_primitives::{Address, Log, keccak256};
use alloy_sol_types::SolEvent;
use cairn_consensus::{ConsensusError, ConsensusRoles, DevConsensus, NotPermitted};
use cairn_execution::ExecError;
use cairn_governance::{
    EpochEnd, EpochState, GOVERNANCE_ADDRESS, Governance, GovernanceEnd, GovernanceError,
    GovernanceInputs, govern,
};
use cairn_primitives::{Block, ChainSpec, ConsensusCommitments, ConsensusKind};

use crate::chain::{GovChain, Refusal, governed_spec};
use crate::harness::{compressed, validator_address};

fn events<E: SolEvent>(logs: &[Log]) -> Vec<E> {
    logs.iter()
        .filter(|l| l.address == GOVERNANCE_ADDRESS)
        .filter_map(|l| E::decode_log(l).ok().map(|l| l.data))
        .collect()
}

fn invalid<T>(result: Result<T, Refusal>) -> (u64, String) {
    match result {
        Err(Refusal::Exec(ExecError::InvalidBlock { number, reason })) => (number, reason),
        Err(other) => panic!("expected an invalid block, got {other:?}"),
        Ok(_) => panic!("expected an invalid block, it was accepted"),
    }
}

fn refused<T>(result: Result<T, Refusal>) -> ConsensusError {
    match result {
        Err(Refusal::Consensus(e)) => e,
        Err(other) => panic!("expected a consensus refusal, got {other:?}"),
        Ok(_) => panic!("expected a consensus refusal, it was accepted"),
    }
}

fn commitments(block: &Block) -> ConsensusCommitments {
    block.header.commitments.clone().unwrap()
}

/// Three organisations of one validator each, epochs of four blocks.
fn consortium() -> GovChain {
    GovChain::new(governed_spec(ConsensusKind::Bft, 3, 4))
}

#[test]
fn an_epochs_last_block_applies_passed_proposals_and_records_the_next_set() {
    let mut chain = consortium();
    let genesis = chain.genesis_set();
    let empty_logs = keccak256(alloy_rlp::encode(Vec::<Log>::new()));

    // Block 1: organisation 1 proposes a fourth validator; block 2: organisation 2 agrees
    // (two of three organisations pass it).
    let propose = chain.call(
        0,
        Governance::proposeAddValidatorCall { org: 1, publicKey: compressed(99), power: 10 },
    );
    let (one, end) = chain.produce(vec![propose]);
    assert_eq!(end.next_validators, None);
    let vote = chain.call(1, Governance::voteCall { id: 1, support: true });
    chain.produce(vec![vote]);
    for block in [&one, &chain.produce(Vec::new()).0] {
        let c = commitments(block);
        assert_eq!(c.validators_hash, genesis.hash());
        assert_eq!(c.next_validators_hash, genesis.hash());
        assert_eq!(c.system_logs_hash, empty_logs, "no protocol call on an ordinary block");
        assert_eq!(c.last_commit_hash, keccak256([]));
        assert!(block.consensus.is_none());
    }

    // Block 4 ends epoch 0: endEpoch applies the proposal and answers the set of epoch 1.
    let (four, end) = chain.produce(Vec::new());
    let record = end.next_validators.clone().unwrap();
    assert_eq!((record.epoch, record.first_height), (1, 5));
    let members: Vec<_> = record.members.iter().map(|m| (m.address, m.power)).collect();
    assert_eq!(members.len(), 4);
    assert!(members.contains(&(validator_address(99), 10)), "{members:?}");
    let executed = events::<Governance::ProposalExecuted>(&end.logs);
    assert_eq!(executed.len(), 1);
    let started = events::<Governance::EpochStarted>(&end.logs);
    assert_eq!((started[0].epoch, started[0].firstHeight), (1, 5));
    let c = commitments(&four);
    assert_eq!(c.validators_hash, genesis.hash());
    assert_eq!(c.next_validators_hash, record.hash());
    assert_eq!(c.system_logs_hash, keccak256(alloy_rlp::encode(&end.logs)));
    assert_eq!(chain.set_at(5).as_ref(), &record, "stored for the heights it decides");
    let epoch = EpochState::read(&chain.snapshot()).unwrap();
    assert_eq!(epoch, EpochState { epoch: 1, start: 5, length: 4 });

    // Block 5 is decided by the new set and commits to it; block 8 ends epoch 1 with a
    // record even though nothing changed, so the store says which set each epoch ran with.
    let (five, _) = chain.produce(Vec::new());
    assert_eq!(commitments(&five).validators_hash, record.hash());
    chain.produce_to(7);
    let (eight, end) = chain.produce(Vec::new());
    let again = end.next_validators.unwrap();
    assert_eq!((again.epoch, again.first_height), (2, 9));
    assert_eq!(again.members, record.members);
    assert_eq!(commitments(&eight).next_validators_hash, commitments(&eight).validators_hash);
}

#[test]
fn a_dev_chain_calls_end_epoch_checks_its_answer_and_records_nothing() {
    let chain = GovChain::new(governed_spec(ConsensusKind::Dev, 1, 3));
    let genesis = chain.genesis_set();
    assert!(genesis.members.is_empty(), "a private dev chain has no validators");
    chain.produce_to(2);
    let (three, end) = chain.produce(Vec::new());
    assert_eq!(end.next_validators, None);
    let started = events::<Governance::EpochStarted>(&end.logs);
    assert_eq!((started[0].epoch, started[0].firstHeight), (1, 4), "endEpoch ran");
    let c = commitments(&three);
    assert_eq!((c.validators_hash, c.next_validators_hash), (genesis.hash(), genesis.hash()));
    assert_eq!(c.system_logs_hash, keccak256(alloy_rlp::encode(&end.logs)));
    assert_eq!(chain.snapshot().validator_set_record(4).unwrap(), None);
    let epoch = EpochState::read(&chain.snapshot()).unwrap();
    assert_eq!(epoch, EpochState { epoch: 1, start: 4, length: 3 });
    chain.produce_to(5);
    let (_, end) = chain.produce(Vec::new());
    assert_eq!(events::<Governance::EpochStarted>(&end.logs)[0].epoch, 2);
}

#[test]
fn a_header_without_commitments_or_with_another_sets_hash_is_refused() {
    let chain = consortium();
    let built = chain.build(Vec::new());
    let senders = &built.senders;

    let mut bare = built.block.clone();
    bare.header.commitments = None;
    assert!(matches!(
        refused(chain.import(&bare, senders)),
        ConsensusError::MissingCommitments { number: 1 }
    ));

    let mut forged = built.block.clone();
    let mut c = commitments(&forged);
    c.validators_hash = keccak256("another set");
    forged.header.commitments = Some(c);
    assert!(matches!(
        refused(chain.import(&forged, senders)),
        ConsensusError::ValidatorsHash { number: 1, expected, .. }
            if expected == chain.genesis_set().hash()
    ));

    let mut carrying = built.block.clone();
    carrying.consensus = Some(Default::default());
    assert!(matches!(
        refused(chain.import(&carrying, senders)),
        ConsensusError::UnexpectedConsensusData { number: 1 }
    ));

    assert!(chain.import(&built.block, senders).is_ok(), "the block as built is valid");
}

#[test]
fn a_tampered_epoch_end_is_refused_on_import() {
    let chain = consortium();
    chain.produce_to(3);
    let built = chain.build(Vec::new());
    assert!(built.end.next_validators.is_some());

    // The header names another next set than the one endEpoch answered.
    let mut other_set = built.block.clone();
    let mut c = commitments(&other_set);
    c.next_validators_hash = keccak256("another set");
    other_set.header.commitments = Some(c);
    let (number, reason) = invalid(chain.import(&other_set, &built.senders));
    assert_eq!(number, 4);
    assert!(reason.starts_with("consensus commitments"), "{reason}");

    // A proposer that skipped the epoch's end: no endEpoch, no next set.
    let snapshot = chain.snapshot();
    let parent = snapshot.head().unwrap();
    let inputs =
        GovernanceInputs { current_set: chain.genesis_set(), ends_epoch: None, records_sets: true };
    let context = cairn_execution::BlockContext::child_of(
        &parent,
        built.block.header.beneficiary,
        built.block.header.timestamp_ms,
        parent.gas_limit,
    );
    let skipped = cairn_execution::build_block(
        &snapshot,
        &chain.spec,
        &parent,
        context,
        Vec::new(),
        Default::default(),
        &GovernanceEnd::build(inputs.clone()),
    )
    .unwrap();
    assert_eq!(skipped.end.next_validators, None);
    let (number, _) = invalid(chain.import(&skipped.block, &[]));
    assert_eq!(number, 4);

    // An importer that expects another epoch than the contract starts refuses the block.
    let expecting =
        GovernanceInputs { ends_epoch: Some(EpochEnd { epoch: 7, first_height: 5 }), ..inputs };
    let result = cairn_execution::execute_block(
        &snapshot,
        &chain.spec,
        &parent,
        &built.block,
        &[],
        &GovernanceEnd::import(expecting),
    );
    match result {
        Err(ExecError::InvalidBlock { number: 4, reason }) => assert_eq!(
            reason,
            "protocol call endEpoch: endEpoch started epoch 1 at height 5, the chain expects \
             epoch 7 at 5"
        ),
        Err(other) => panic!("expected an invalid block, got {other:?}"),
        Ok(_) => panic!("expected an invalid block, it was accepted"),
    }
    assert!(chain.import(&built.block, &built.senders).is_ok(), "the block as built is valid");
}

#[test]
fn a_changed_epoch_length_moves_the_next_boundary() {
    let mut chain = consortium();
    let propose = chain.call(
        0,
        // Parameter 2 is `epoch_length`.
        Governance::proposeParameterCall { parameter: 2, value: 6 },
    );
    let vote = chain.call(2, Governance::voteCall { id: 1, support: true });
    chain.produce(vec![propose]);
    chain.produce(vec![vote]);
    chain.produce_to(3);
    // Epoch 0 keeps its length: block 4 ends it, and epoch 1 has the voted one.
    let (_, end) = chain.produce(Vec::new());
    assert_eq!(end.next_validators.map(|r| r.first_height), Some(5));
    assert_eq!(
        EpochState::read(&chain.snapshot()).unwrap(),
        EpochState { epoch: 1, start: 5, length: 6 }
    );
    for _ in 5..=9 {
        let (block, end) = chain.produce(Vec::new());
        assert_eq!(end.next_validators, None, "block {} ends no epoch", block.header.number);
    }
    let (ten, end) = chain.produce(Vec::new());
    assert_eq!(ten.header.number, 10);
    let record = end.next_validators.unwrap();
    assert_eq!((record.epoch, record.first_height), (2, 11));
}

#[test]
fn the_account_rules_refuse_a_non_members_transaction_at_import() {
    let mut chain = consortium();
    // Dev account 8 belongs to no organisation.
    let outsider = chain.call(8, Governance::voteCall { id: 1, support: true });
    let built = chain.build(vec![outsider.clone()]);
    assert_eq!(built.block.transactions.len(), 1, "the builder here filters nothing");
    match refused(chain.import(&built.block, &built.senders)) {
        ConsensusError::NotPermitted { number: 1, index: 0, source, .. } => {
            assert_eq!(source, NotPermitted::Transact { account: outsider.1 });
            assert_eq!(source.to_string(), format!("account not permitted: {}", outsider.1));
        }
        other => panic!("expected a refused sender, got {other:?}"),
    }
}

#[test]
fn govern_leaves_an_ungoverned_chain_alone_and_refuses_proof_of_stake() {
    let roles = ConsensusRoles::of(Arc::new(DevConsensus::new(Address::ZERO)));
    let same = govern(roles.clone(), &ChainSpec::dev().unwrap()).unwrap();
    assert!(Arc::ptr_eq(&same.validator, &roles.validator));
    assert!(Arc::ptr_eq(&same.block_end, &roles.block_end));
    assert!(Arc::ptr_eq(&same.transactions, &roles.transactions));
    assert!(Arc::ptr_eq(&same.production, &roles.production));
    assert!(Arc::ptr_eq(&same.reads, &roles.reads));

    let governed = govern(roles.clone(), &governed_spec(ConsensusKind::Bft, 3, 4)).unwrap();
    assert!(!Arc::ptr_eq(&governed.validator, &roles.validator));
    assert!(!Arc::ptr_eq(&governed.transactions, &roles.transactions));
    assert!(Arc::ptr_eq(&governed.production, &roles.production));
    assert!(Arc::ptr_eq(&governed.reads, &roles.reads));

    let pos =
        ChainSpec { consensus: ConsensusKind::Pos, ..governed_spec(ConsensusKind::Bft, 3, 4) };
    assert!(matches!(
        govern(roles, &pos),
        Err(GovernanceError::UnsupportedConsensus(ConsensusKind::Pos))
    ));
}
