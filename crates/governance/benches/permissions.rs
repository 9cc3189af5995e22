//! What the account permission checks of a governed chain cost, on block import and on
//! admission. The chain is a consortium of three organisations whose 2,000 members were
//! written into the governance contract's genesis state by its constructor (as `cairn testnet
//! init` writes a spec), committed to a redb store; the measured block holds 2,000 transfers,
//! one from each member, built with `build_block` and [`GovernanceEnd`] as a proposer builds it.
//!
//! - `permissions/import/open`: `execute_block` of that block with [`GovernanceEnd::import`],
//!   no account check: what an importer does apart from the permission rule.
//! - `permissions/import/checked_cold`: the node's import path on a governed chain (what
//!   `Node::check_candidate` and `cairn verify` call): [`check_transactions_beside`] judges the
//!   block's senders with a new [`GovernedAccounts`] (an empty cache: 2,000 reads of the
//!   contract's storage) on a thread of its own while the same `execute_block` runs.
//! - `permissions/import/checked_warm`: the same with a cache that has judged these senders at
//!   this state already, as on a validator whose pool admitted the transactions.
//! - `permissions/admission/{cold,warm}`: the 2,000 senders judged alone by
//!   [`check_transactions`], what the pool adds to admitting a batch of 2,000 transactions
//!   (divide by 2,000 for one transaction), and the CPU time the verdicts take on import.
//!
//! The issue's target is at most 5% on import: `checked_cold / open ≤ 1.05`. The check runs
//! beside execution, so on import it costs wall time only where no core is free for it: the
//! `admission/cold` work is hidden, not removed.
//!
//! Criterion measures each row in a window of its own, and on a shared machine the load drifts
//! between windows by more than a few percent, so after the rows (when run with `--bench`) the
//! bench also times `open` and `checked_cold` alternately [`ROUNDS`] times and prints both
//! medians and the median of the per-round ratios (`permissions/import/paired`).
//!
//! Run with:
//!
//! ```text
//! cargo bench -p cairn-governance --bench permissions
//! ```

#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_primitives::{Address, Bytes, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use cairn_consensus::{check_transactions, check_transactions_beside};
use cairn_execution::{BlockContext, build_block, execute_block};
use cairn_governance::{
    GOVERNANCE_ADDRESS, GovernanceEnd, GovernanceInputs, GovernedAccounts, governance_account,
};
use cairn_primitives::{
    Block, ChainSpec, ConsensusKind, GenesisAccount, GenesisValidator, GovernanceSpec, Header,
    NetworkKind, OrganisationSpec, TxEnvelope, ValidatorSetRecord,
};
use cairn_storage::{ChainStore, RedbKv};
use criterion::{Criterion, criterion_group, criterion_main};

const ORGANISATIONS: u64 = 3;
/// Transfers in the measured block, each from its own member.
const TRANSFERS: u64 = 2_000;
const CHAIN_ID: u64 = 7359;
const GAS_LIMIT: u64 = 100_000_000;
const ETHER: u128 = 1_000_000_000_000_000_000;
/// Fee cap of every transfer: far above the genesis base fee.
const MAX_FEE: u128 = 1_000_000_000_000;
const TIP: u128 = 1_000_000_000;

/// Rounds of the paired measurement, each timing `open` once and `checked_cold` once.
const ROUNDS: usize = 60;

/// Deterministic keys in the namespace `tag` (secret `keccak256(tag ‖ i)`).
fn keys(tag: &str, count: u64) -> Vec<PrivateKeySigner> {
    (0..count)
        .map(|i| {
            let secret = keccak256([tag.as_bytes(), &i.to_be_bytes()].concat());
            PrivateKeySigner::from_bytes(&secret).unwrap()
        })
        .collect()
}

/// A BFT consortium of [`ORGANISATIONS`] organisations (one validator each) whose members are
/// `members`, spread round-robin, every member funded with 1,000 ether.
fn spec(validators: &[PrivateKeySigner], members: &[PrivateKeySigner]) -> ChainSpec {
    let admins = keys("admin", ORGANISATIONS);
    let organisations = (0..ORGANISATIONS as usize)
        .map(|o| OrganisationSpec {
            name: format!("org{}", o + 1),
            admins: vec![admins[o].address()],
            members: members
                .iter()
                .skip(o)
                .step_by(ORGANISATIONS as usize)
                .map(|k| k.address())
                .collect(),
            deployers: Vec::new(),
            nodes: Vec::new(),
            validators: vec![validators[o].address()],
        })
        .collect();
    let mut spec = ChainSpec {
        chain_id: CHAIN_ID,
        network: NetworkKind::Consortium,
        consensus: ConsensusKind::Bft,
        epoch_length: Some(1_000),
        gas_limit: GAS_LIMIT,
        validators: validators
            .iter()
            .enumerate()
            .map(|(i, key)| GenesisValidator {
                name: format!("v{i}"),
                address: key.address(),
                public_key: Bytes::copy_from_slice(
                    key.credential().verifying_key().to_encoded_point(true).as_bytes(),
                ),
                power: 10,
                stake: None,
                operator: None,
                commission_bps: None,
            })
            .collect(),
        governance: Some(GovernanceSpec {
            voting_period_blocks: 100,
            permission_accounts: true,
            permission_nodes: true,
            permission_deployers: false,
            organisations,
        }),
        ..ChainSpec::dev().unwrap()
    };
    for key in members {
        let funded = GenesisAccount { balance: U256::from(1_000 * ETHER), ..Default::default() };
        spec.alloc.insert(key.address(), funded);
    }
    spec.alloc.insert(GOVERNANCE_ADDRESS, governance_account(&spec).unwrap());
    spec.validate().unwrap();
    spec
}

/// A 1-wei transfer from `from` (its first transaction) to a fresh address.
fn transfer(from: &PrivateKeySigner, i: u64) -> (TxEnvelope, Address) {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: MAX_FEE,
        max_priority_fee_per_gas: TIP,
        to: TxKind::Call(Address::left_padding_from(&(0xbeef_0000 + i).to_be_bytes())),
        value: U256::from(1),
        ..Default::default()
    };
    let signature = from.sign_hash_sync(&tx.signature_hash()).unwrap();
    (TxEnvelope::from(tx.into_signed(signature)), from.address())
}

/// The end of block 1 of `spec`: no epoch ends in it.
fn end_inputs(set: &Arc<ValidatorSetRecord>) -> GovernanceInputs {
    GovernanceInputs { current_set: set.clone(), ends_epoch: None, records_sets: true }
}

fn permissions(c: &mut Criterion) {
    let validators = keys("validator", ORGANISATIONS);
    let members = keys("member", TRANSFERS);
    let spec = spec(&validators, &members);
    let dir = tempfile::tempdir().unwrap();
    let store =
        ChainStore::open(RedbKv::create(&dir.path().join("chain.redb")).unwrap(), &spec).unwrap();
    let set = Arc::new(spec.genesis_validator_set().unwrap());
    let snapshot = store.snapshot().unwrap();
    let parent: Header = snapshot.head().unwrap();

    let txs: Vec<_> = members.iter().zip(0..).map(|(key, i)| transfer(key, i)).collect();
    let context =
        BlockContext::child_of(&parent, Address::ZERO, parent.timestamp_ms + 1_000, GAS_LIMIT);
    let built = build_block(
        &snapshot,
        &spec,
        &parent,
        context,
        txs,
        Bytes::new(),
        &GovernanceEnd::build(end_inputs(&set)),
    )
    .unwrap();
    assert!(built.rejected.is_empty(), "rejected: {:?}", built.rejected.first());
    let block: Block = built.block;
    let senders = built.senders;
    assert_eq!(block.transactions.len(), TRANSFERS as usize);
    assert!(built.receipts.iter().all(|r| r.success()), "every transfer succeeds");

    // The rule really judges: a non-member is refused at this state, every member admitted.
    let rules = GovernedAccounts::new();
    check_transactions(&rules, &snapshot, &block, &senders).unwrap();
    let outsider = keys("outsider", 1)[0].address();
    let refused = rules.at(&snapshot).unwrap().permission(outsider).unwrap();
    assert!(!refused.transact, "a non-member may not transact");

    let end = GovernanceEnd::import(end_inputs(&set));
    let import = || execute_block(&snapshot, &spec, &parent, &block, &senders, &end).unwrap();
    // execute_block checks the block's state root and receipts against its header.
    assert_eq!(import().receipts.len(), TRANSFERS as usize);

    let mut group = c.benchmark_group("permissions");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("import/open", |b| b.iter_with_large_drop(import));
    let checked_cold = || {
        let rules = GovernedAccounts::new();
        check_transactions_beside(&rules, &snapshot, &block, &senders, import).unwrap()
    };
    group.bench_function("import/checked_cold", |b| b.iter_with_large_drop(checked_cold));
    group.bench_function("import/checked_warm", |b| {
        b.iter_with_large_drop(|| {
            check_transactions_beside(&rules, &snapshot, &block, &senders, import).unwrap()
        })
    });
    group.bench_function("admission/cold", |b| {
        b.iter(|| {
            let rules = GovernedAccounts::new();
            check_transactions(&rules, &snapshot, &block, &senders).unwrap()
        })
    });
    group.bench_function("admission/warm", |b| {
        b.iter(|| check_transactions(&rules, &snapshot, &block, &senders).unwrap())
    });
    group.finish();
    if std::env::args().any(|arg| arg == "--bench") {
        paired(import, checked_cold);
    }
}

/// Times `open` and `checked` alternately, [`ROUNDS`] times each (what they return is dropped
/// outside the timing), and prints both medians and the median of the per-round ratios.
fn paired<A, B>(open: impl Fn() -> A, checked: impl Fn() -> B) {
    fn timed<T>(run: &impl Fn() -> T) -> f64 {
        let started = Instant::now();
        let out = run();
        let elapsed = started.elapsed().as_secs_f64() * 1e3;
        drop(out);
        elapsed
    }
    fn median(mut values: Vec<f64>) -> f64 {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    }
    let rounds: Vec<(f64, f64)> = (0..ROUNDS).map(|_| (timed(&open), timed(&checked))).collect();
    let ratios = rounds.iter().map(|(open, checked)| checked / open).collect();
    println!(
        "permissions/import/paired ({ROUNDS} rounds): open median {:.2} ms, checked_cold median \
         {:.2} ms, median ratio {:.3}",
        median(rounds.iter().map(|r| r.0).collect()),
        median(rounds.iter().map(|r| r.1).collect()),
        median(ratios),
    );
}

criterion_group!(benches, permissions);
criterion_main!(benches);
