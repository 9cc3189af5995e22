//! What an epoch's last block costs over an ordinary block on a proof-of-stake chain with 100
//! validators and 10,000 delegations, all made through the staking contract's real bytecode:
//! the validators are bonded at genesis by the contract's constructor, and the delegations are
//! 10,000 `delegate` transactions (one per delegator, spread over the validators with varied
//! amounts) in blocks built with `build_block` + [`StakingEnd`] and committed to a redb store,
//! each block signed by the whole set. That chain is built once per run, in a temporary
//! directory, up to the block before an epoch's last one.
//!
//! The measured block is the next one: 100 further `delegate` transactions, then the protocol
//! calls (`endBlock` paying all 100 signers of its parent). It is measured twice on the same
//! parent with the same transactions, (a) as an ordinary block and (b) as the epoch's last
//! block, whose end also calls `endEpoch` (the next set chosen from every candidate's stake)
//! and records the next set, so (b) − (a) is the epoch boundary's cost:
//!
//! - `epoch_boundary/import/{ordinary,epoch_end}`: `execute_block` with
//!   [`StakingEnd::import`], what every validator and syncing node does with a block
//!   (execution, protocol calls, state root, every check against the header).
//! - `epoch_boundary/build_and_commit/{ordinary,epoch_end}`: the proposer's path,
//!   `build_block` with [`StakingEnd::build`] plus `ChainStore::commit_block` (one durable redb
//!   write, the next set's record included), each iteration on a fresh copy of the chain's
//!   file (copied outside the measure).
//!
//! The certificate a block carries (`last_commit`) is verified by the consensus engine, not
//! here; its cost does not depend on the epoch.
//!
//! Run with:
//!
//! ```text
//! cargo bench -p cairn-staking --bench epoch
//! ```

#![allow(missing_docs, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_primitives::{Address, Bytes, TxKind, U256, keccak256};
use alloy_rpc_types_eth::{TransactionInput, TransactionRequest};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use cairn_execution::{
    BlockContext, BuiltBlock, CallContext, CallOutcome, build_block, call, execute_block,
};
use cairn_primitives::{
    Block, ChainSpec, ConsensusKind, GenesisAccount, GenesisValidator, Header, TxEnvelope,
    ValidatorSetRecord,
};
use cairn_staking::{
    STAKING_ADDRESS, Staking, StakingEnd, StakingInputs, StakingParams, signed_bitmap,
    spec_staking_account,
};
use cairn_storage::{ChainStore, RedbKv};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const VALIDATORS: u64 = 100;
const DELEGATIONS: u64 = 10_000;
/// `delegate` transactions per block while the chain is set up.
const SETUP_PER_BLOCK: u64 = 400;
/// `delegate` transactions in the measured block.
const MEASURED_TXS: u64 = 100;
/// The testnet default (`cairn testnet init --consensus pos`).
const EPOCH_LENGTH: u64 = 20;
const GAS_LIMIT: u64 = 100_000_000;
const CHAIN_ID: u64 = 7357;
const ETHER: u128 = 1_000_000_000_000_000_000;
/// Fee cap of every transaction: far above any base fee the setup reaches.
const MAX_FEE: u128 = 1_000_000_000_000;
const TIP: u128 = 1_000_000_000;
/// Gas allowed per `delegate` (a first delegation to a validator costs far less).
const DELEGATE_GAS: u64 = 200_000;

fn ether(n: u64) -> U256 {
    U256::from(n) * U256::from(ETHER)
}

/// Deterministic keys in the namespace `tag` (secret `keccak256(tag ‖ i)`).
fn keys(tag: &str, count: u64) -> Vec<PrivateKeySigner> {
    (0..count)
        .map(|i| {
            let secret = keccak256([tag.as_bytes(), &i.to_be_bytes()].concat());
            PrivateKeySigner::from_bytes(&secret).unwrap()
        })
        .collect()
}

/// A proof-of-stake spec with `consensus` as genesis validators (self-stake 1,000 to 1,099
/// ether, so their ranking is not a tie) and every delegator funded; the staking contract's
/// genesis state built by its constructor, as `cairn testnet init` does.
fn spec(consensus: &[PrivateKeySigner], delegators: &[PrivateKeySigner]) -> ChainSpec {
    let params = StakingParams::default();
    let operators = keys("operator", VALIDATORS);
    let validators = consensus
        .iter()
        .zip(&operators)
        .zip(0..)
        .map(|((key, operator), i)| {
            let stake = ether(1_000 + i);
            GenesisValidator {
                name: format!("v{i}"),
                address: key.address(),
                public_key: Bytes::copy_from_slice(
                    key.credential().verifying_key().to_encoded_point(true).as_bytes(),
                ),
                power: params.power_of(stake),
                stake: Some(stake),
                operator: Some(operator.address()),
                commission_bps: Some(500),
            }
        })
        .collect();
    let mut spec = ChainSpec {
        chain_id: CHAIN_ID,
        consensus: ConsensusKind::Pos,
        epoch_length: Some(EPOCH_LENGTH),
        staking: Some(params),
        validators,
        gas_limit: GAS_LIMIT,
        ..ChainSpec::dev().unwrap()
    };
    for key in delegators {
        let account = GenesisAccount { balance: ether(1_000), ..Default::default() };
        spec.alloc.insert(key.address(), account);
    }
    spec.alloc.insert(STAKING_ADDRESS, spec_staking_account(&spec).unwrap());
    spec.validate().unwrap();
    spec
}

/// `delegate(validator)` from `from` (its first transaction) with `amount`.
fn delegate(from: &PrivateKeySigner, validator: Address, amount: U256) -> (TxEnvelope, Address) {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: DELEGATE_GAS,
        max_fee_per_gas: MAX_FEE,
        max_priority_fee_per_gas: TIP,
        to: TxKind::Call(STAKING_ADDRESS),
        value: amount,
        input: Staking::delegateCall { validator }.abi_encode().into(),
        ..Default::default()
    };
    let signature = from.sign_hash_sync(&tx.signature_hash()).unwrap();
    (TxEnvelope::from(tx.into_signed(signature)), from.address())
}

/// One delegation per delegator, delegator `i` to validator `i mod 100` with 1 to 13 ether.
fn delegations(
    delegators: &[PrivateKeySigner],
    first: u64,
    validators: &[Address],
) -> Vec<(TxEnvelope, Address)> {
    delegators
        .iter()
        .zip(first..)
        .map(|(key, i)| delegate(key, validators[(i % VALIDATORS) as usize], ether(1 + i % 13)))
        .collect()
}

/// The chain under test: its spec, the file it lives in, and the genesis set.
struct Chain {
    spec: ChainSpec,
    genesis_set: Arc<ValidatorSetRecord>,
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Chain {
    /// A new copy of the chain's file, opened as the node opens its data.
    fn open_copy(&self, dir: &Path) -> ChainStore<RedbKv> {
        let path = dir.join("chain.redb");
        std::fs::copy(&self.path, &path).unwrap();
        ChainStore::open_existing(RedbKv::open(&path).unwrap(), &self.spec).unwrap()
    }

    /// The set deciding `height`: the newest stored record at or below it, else genesis's.
    fn set_at(&self, store: &ChainStore<RedbKv>, height: u64) -> Arc<ValidatorSetRecord> {
        match store.snapshot().unwrap().validator_set_record(height).unwrap() {
            Some(record) => Arc::new(record),
            None => self.genesis_set.clone(),
        }
    }

    /// The end of the block after the head, its parent signed by the whole parent set;
    /// `epoch_end` decides whether it calls `endEpoch`.
    fn inputs(&self, store: &ChainStore<RedbKv>, epoch_end: bool) -> StakingInputs {
        let number = store.head().unwrap().number + 1;
        let signed = match number {
            1 => Vec::new(),
            _ => {
                let parent_set = self.set_at(store, number - 1);
                let signers: Vec<Address> = parent_set.members.iter().map(|m| m.address).collect();
                signed_bitmap(&parent_set, &signers).unwrap()
            }
        };
        StakingInputs {
            block_reward: self.spec.staking_params().block_reward,
            signed,
            current_set: self.set_at(store, number),
            last_commit: Bytes::new(),
            evidence: Vec::new(),
            ends_epoch: epoch_end.then(|| self.spec.epoch_of(number) + 1),
        }
    }

    /// Builds the block after the head as its proposer would.
    fn build(
        &self,
        store: &ChainStore<RedbKv>,
        epoch_end: bool,
        txs: Vec<(TxEnvelope, Address)>,
    ) -> (Header, BuiltBlock) {
        let snapshot = store.snapshot().unwrap();
        let parent = snapshot.head().unwrap();
        let context = BlockContext::child_of(
            &parent,
            STAKING_ADDRESS,
            parent.timestamp_ms + 1_000,
            parent.gas_limit,
        );
        let end = StakingEnd::build(self.inputs(store, epoch_end));
        let built =
            build_block(&snapshot, &self.spec, &parent, context, txs, Bytes::new(), &end).unwrap();
        assert!(built.rejected.is_empty(), "rejected: {:?}", built.rejected.first());
        (parent, built)
    }

    /// Builds and commits the block after the head, ending an epoch where the spec says so;
    /// every transaction must be included and succeed.
    fn produce(&self, store: &ChainStore<RedbKv>, txs: Vec<(TxEnvelope, Address)>) {
        let number = store.head().unwrap().number + 1;
        let count = txs.len();
        let (_, built) = self.build(store, self.spec.ends_epoch(number), txs);
        assert_eq!(built.block.transactions.len(), count);
        assert!(built.receipts.iter().all(|r| r.success()), "every transaction succeeds");
        commit(store, built);
    }
}

fn commit(store: &ChainStore<RedbKv>, built: BuiltBlock) {
    let extras = built.end.into_extras();
    store
        .commit_block(&built.block, &built.senders, &built.receipts, built.state, &extras)
        .unwrap();
}

/// Sets the chain up to the block before an epoch's last, and returns it with the measured
/// block's transactions.
fn setup() -> (Chain, Vec<(TxEnvelope, Address)>) {
    let started = Instant::now();
    let consensus = keys("consensus", VALIDATORS);
    let delegators = keys("delegator", DELEGATIONS + MEASURED_TXS);
    let spec = spec(&consensus, &delegators);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("chain.redb");
    let store = ChainStore::open(RedbKv::create(&path).unwrap(), &spec).unwrap();
    let genesis_set = Arc::new(spec.genesis_validator_set().unwrap());
    let chain = Chain { spec, genesis_set, _dir: dir, path };
    let validators: Vec<Address> = consensus.iter().map(|k| k.address()).collect();

    let (setup_keys, measured_keys) = delegators.split_at(DELEGATIONS as usize);
    let mut txs = delegations(setup_keys, 0, &validators).into_iter().peekable();
    while txs.peek().is_some() {
        chain.produce(&store, txs.by_ref().take(SETUP_PER_BLOCK as usize).collect());
    }
    // Empty blocks until the next block is an epoch's last.
    while !chain.spec.ends_epoch(store.head().unwrap().number + 1) {
        chain.produce(&store, Vec::new());
    }
    let head = store.head().unwrap().number;
    assert!(head >= EPOCH_LENGTH, "an epoch ended during the setup, so a set record exists");

    // The delegations are really in the contract.
    let sample = setup_keys[DELEGATIONS as usize - 1].address();
    let validator = validators[((DELEGATIONS - 1) % VALIDATORS) as usize];
    let stake = view(
        &chain,
        &store,
        Staking::delegationCall { delegator: sample, validatorAddress: validator },
    )
    .stake;
    assert_eq!(stake, ether(1 + (DELEGATIONS - 1) % 13));
    eprintln!(
        "epoch: {VALIDATORS} validators, {DELEGATIONS} delegations in {head} blocks, set up in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    drop(store);
    (chain, delegations(measured_keys, DELEGATIONS, &validators))
}

/// A view of the staking contract on the head's state.
fn view<C: SolCall>(chain: &Chain, store: &ChainStore<RedbKv>, request: C) -> C::Return {
    let snapshot = store.snapshot().unwrap();
    let head = snapshot.head().unwrap();
    let context = CallContext { block: BlockContext::of(&head), chain_id: chain.spec.chain_id };
    let request = TransactionRequest {
        to: Some(TxKind::Call(STAKING_ADDRESS)),
        input: TransactionInput::new(request.abi_encode().into()),
        ..TransactionRequest::default()
    };
    match call(&snapshot, context, &request, None, None).unwrap() {
        CallOutcome::Success { output, .. } => C::abi_decode_returns(&output).unwrap(),
        other => panic!("view failed: {other:?}"),
    }
}

/// One version of the measured block and what an importer needs to check it.
struct Variant {
    name: &'static str,
    epoch_end: bool,
    parent: Header,
    block: Block,
    senders: Vec<Address>,
    inputs: StakingInputs,
}

fn epoch_boundary(c: &mut Criterion) {
    let (chain, txs) = setup();
    let work = tempfile::tempdir().unwrap();
    let store = chain.open_copy(work.path());
    let number = store.head().unwrap().number + 1;
    assert!(chain.spec.ends_epoch(number));

    let variants: Vec<Variant> = [("ordinary", false), ("epoch_end", true)]
        .into_iter()
        .map(|(name, epoch_end)| {
            let (parent, built) = chain.build(&store, epoch_end, txs.clone());
            assert_eq!(built.block.transactions.len(), MEASURED_TXS as usize);
            assert!(built.receipts.iter().all(|r| r.success()));
            assert_eq!(built.end.next_validators.is_some(), epoch_end);
            if let Some(next) = &built.end.next_validators {
                assert_eq!(next.members.len(), VALIDATORS as usize, "every validator chosen");
            }
            let inputs = chain.inputs(&store, epoch_end);
            Variant { name, epoch_end, parent, block: built.block, senders: built.senders, inputs }
        })
        .collect();
    drop(store);

    let mut group = c.benchmark_group("epoch_boundary");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));

    let store = chain.open_copy(work.path());
    let snapshot = store.snapshot().unwrap();
    for v in &variants {
        let end = StakingEnd::import(v.inputs.clone());
        group.bench_function(format!("import/{}", v.name), |b| {
            b.iter_with_large_drop(|| {
                execute_block(&snapshot, &chain.spec, &v.parent, &v.block, &v.senders, &end)
                    .unwrap()
            })
        });
    }
    drop(snapshot);
    drop(store);

    for v in &variants {
        group.bench_function(format!("build_and_commit/{}", v.name), |b| {
            b.iter_batched(
                || {
                    let dir = tempfile::tempdir().unwrap();
                    let store = chain.open_copy(dir.path());
                    (dir, store)
                },
                |(dir, store)| {
                    let (_, built) = chain.build(&store, v.epoch_end, txs.clone());
                    commit(&store, built);
                    (dir, store)
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, epoch_boundary);
criterion_main!(benches);
