use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use alloy_consensus::Transaction as _;
use alloy_consensus::transaction::SignerRecoverable;
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use cairn_consensus::{
    ConsensusError, ConsensusReads, ConsensusRoles, NotPermitted, Sealing, ValidatorSets as _,
};
use cairn_execution::{BlockContext, BuiltBlock, build_block, execute_block};
use cairn_governance::read_params;
use cairn_mempool::{AccountView, Pool, PoolConfig, PoolError, PooledTx};
use cairn_primitives::{
    Block, ChainSpec, Clock, GOVERNANCE_ADDRESS, Header, NetworkKind, Receipt, SystemClock,
    ValidatorSetRecord, next_base_fee,
};
use cairn_reads::ChainReader as _;
use cairn_storage::{
    BlockExtras, ChainStore, KvRead, KvStore, Snapshot, StateUpdate, StateView, StoreError,
};
use rayon::prelude::*;
use tokio::sync::{Notify, broadcast};
use tracing::{info, warn};

use crate::audit::{VerifyFailure, VerifyProgress, VerifyReport, verify_chain_with_progress};
use crate::sets::{StoreSets, genesis_set};
use crate::{ChainEvent, NodeError, Origin, TxLookup};

/// A block executed on top of the head and ready to commit once agreed, with what its
/// execution produced.
#[derive(Debug)]
pub struct Candidate {
    /// The block (its seal is set once agreement is reached).
    pub block: Block,
    /// Its transactions' senders, in order.
    pub senders: Vec<Address>,
    /// Its receipts, in order.
    pub receipts: Vec<Receipt>,
    /// Its state writes.
    pub state: StateUpdate,
    /// What its protocol calls left beyond state (the next epoch's set, their logs).
    pub extras: BlockExtras,
    /// Pool transactions the builder found invalid, to drop from the pool on commit.
    pub rejected: Vec<B256>,
    /// Time spent building or checking it (commit time is added for the block processing
    /// metric).
    pub work: Duration,
}

/// Blocks kept for a block subscriber that falls behind; a slower one misses blocks and is told
/// so by its receiver. Blocks have their own channel, so a flood of transactions never pushes
/// them out.
const BLOCK_BUFFER: usize = 1024;

/// Admitted transaction hashes kept for a pending-transaction subscriber that falls behind.
const PENDING_BUFFER: usize = 16_384;

/// The mempool's view of the head state.
pub(crate) struct HeadState<R>(pub(crate) Snapshot<R>);

impl<R: cairn_storage::KvRead> AccountView for HeadState<R> {
    fn nonce(&self, who: Address) -> u64 {
        match self.0.account(who) {
            Ok(account) => account.map_or(0, |a| a.nonce),
            Err(e) => {
                warn!(%who, error = %e, "cannot read account nonce");
                u64::MAX
            }
        }
    }

    fn balance(&self, who: Address) -> U256 {
        match self.0.account(who) {
            Ok(account) => account.map_or(U256::ZERO, |a| a.balance),
            Err(e) => {
                warn!(%who, error = %e, "cannot read account balance");
                U256::ZERO
            }
        }
    }
}

/// A node: its chain, its pool and its consensus engine. Reads are safe from any thread;
/// blocks are produced by one [`crate::BlockProducer`] at a time.
pub struct Node<K: KvStore> {
    pub(crate) store: ChainStore<K>,
    spec: ChainSpec,
    /// The spec's genesis validator set: every height's set until a block records another.
    pub(crate) genesis_set: Arc<ValidatorSetRecord>,
    pub(crate) consensus: ConsensusRoles,
    /// Where block times and the drift check read the time.
    clock: Arc<dyn Clock>,
    pool: Mutex<Pool>,
    /// Woken when the pool admits a transaction: the dev producer's cue for a block.
    admitted: Notify,
    blocks: broadcast::Sender<ChainEvent>,
    pending: broadcast::Sender<B256>,
    local: broadcast::Sender<Bytes>,
    /// Signature recoveries so far, for [`Node::tx_recoveries`].
    recoveries: AtomicU64,
    /// The newest produced block's number and how long building and committing it took.
    last_production: Mutex<Option<(u64, Duration)>>,
    /// Held by [`Node::import_block`].
    importing: Mutex<()>,
    /// Blocks found invalid on import (see [`crate::fork_choice`]).
    invalid: Mutex<HashSet<B256>>,
    /// Switches to a heavier branch so far.
    pub(crate) reorgs: AtomicU64,
    /// Switches refused as deeper than the store can unwind.
    pub(crate) deep_reorgs_refused: AtomicU64,
}

impl<K: KvStore> Node<K> {
    /// Opens the chain in `kv` (writing genesis from `spec` if it is new), decided by the
    /// engine whose roles `consensus` gives (an `Arc` of one engine will do).
    pub fn open(
        kv: K,
        spec: ChainSpec,
        consensus: impl Into<ConsensusRoles>,
    ) -> Result<Self, NodeError> {
        let consensus = consensus.into();
        crate::staking_genesis::check_staking_genesis(&spec)?;
        crate::governance_genesis::check_governance_genesis(&spec)?;
        if spec.network == NetworkKind::Consortium && spec.governance.is_none() {
            warn!(
                "network = consortium without a [governance] section: accounts, nodes and \
                 validators are not permissioned"
            );
        }
        let genesis_set = genesis_set(&spec)?;
        let store = ChainStore::open(kv, &spec)?;
        // The limit the next block must carry (a governed chain may have voted another).
        let block_gas_limit = {
            let snapshot = store.snapshot()?;
            let sets = StoreSets { snapshot: &snapshot, genesis: &genesis_set, spec: &spec };
            sets.gas_limit_after(&snapshot.head()?)?
        };
        let pool = Pool::new(PoolConfig {
            chain_id: spec.chain_id,
            block_gas_limit,
            // geth's default price limit: a transaction must tip at least 1 wei.
            min_priority_fee: 1,
            ..PoolConfig::default()
        });
        let (blocks, _) = broadcast::channel(BLOCK_BUFFER);
        let (pending, _) = broadcast::channel(PENDING_BUFFER);
        let (local, _) = broadcast::channel(PENDING_BUFFER);
        Ok(Self {
            store,
            spec,
            genesis_set,
            consensus,
            clock: Arc::new(SystemClock),
            pool: Mutex::new(pool),
            admitted: Notify::new(),
            blocks,
            pending,
            local,
            recoveries: AtomicU64::new(0),
            last_production: Mutex::new(None),
            importing: Mutex::new(()),
            invalid: Mutex::new(HashSet::new()),
            reorgs: AtomicU64::new(0),
            deep_reorgs_refused: AtomicU64::new(0),
        })
    }

    /// The node reading time from `clock` instead of the system's (a test network runs every
    /// node on one simulated clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The node's clock, in milliseconds since the Unix epoch.
    pub(crate) fn now_ms(&self) -> u64 {
        self.clock.unix_millis()
    }

    /// The chain spec this node runs.
    pub fn spec(&self) -> &ChainSpec {
        &self.spec
    }

    /// What the engine deciding this chain tells readers: its validators per height, who
    /// signed a block, the evidence it holds, how final the chain is.
    pub fn consensus(&self) -> &dyn ConsensusReads {
        self.consensus.reads.as_ref()
    }

    /// The validator sets of the chain as `snapshot` holds it.
    pub(crate) fn sets<'a, R>(&'a self, snapshot: &'a Snapshot<R>) -> StoreSets<'a, R> {
        StoreSets { snapshot, genesis: &self.genesis_set, spec: &self.spec }
    }

    /// The time between blocks in force at the head: the governance contract's `blockTimeMs`
    /// on a governed chain (a voted change is used from the first height started after the
    /// boundary that executed it), the spec's otherwise. Not a validity rule: what the dev
    /// producer waits between empty blocks and what BFT consensus aims for.
    pub fn block_time(&self) -> Result<Duration, NodeError> {
        let millis = if self.spec.governance.is_some() {
            let snapshot = self.store.snapshot()?;
            read_params(&snapshot).map_err(ConsensusError::from)?.blockTimeMs
        } else {
            self.spec.block_time_ms
        };
        Ok(Duration::from_millis(millis))
    }

    /// The validators that decide block `height`, as the stored chain decided them (the
    /// genesis set until a block records another); a height in a later epoch than the next
    /// block's is not known yet. What consensus is given for each height it runs.
    pub fn validator_set(&self, height: u64) -> Result<Arc<ValidatorSetRecord>, NodeError> {
        let snapshot = self.store.snapshot()?;
        Ok(self.sets(&snapshot).set_at(height)?)
    }

    /// Who the blocks this node builds pay their priority fees to.
    pub(crate) fn beneficiary(&self) -> Address {
        self.consensus.production.beneficiary()
    }

    pub(crate) fn pool(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Held while a block from elsewhere is imported, so imports happen one at a time.
    pub(crate) fn lock_imports(&self) -> MutexGuard<'_, ()> {
        self.importing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Blocks found invalid on import, refused at once if offered again.
    pub(crate) fn invalid_blocks(&self) -> MutexGuard<'_, HashSet<B256>> {
        self.invalid.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wakes the producer: the pool has transactions it did not have.
    pub(crate) fn notify_admitted(&self) {
        self.admitted.notify_one();
    }

    /// How many times this node switched to a heavier branch, and how many switches it refused
    /// as deeper than the store can unwind, since it started.
    pub fn reorg_counts(&self) -> (u64, u64) {
        (self.reorgs.load(Ordering::Relaxed), self.deep_reorgs_refused.load(Ordering::Relaxed))
    }

    /// Tells chain subscribers of a switch to another branch, then of each adopted block as
    /// it became the head, oldest first.
    pub(crate) fn announce_reorg(&self, reorg: &Arc<cairn_reads::Reorg>) {
        let _ = self.blocks.send(ChainEvent::Reorg(reorg.clone()));
        for header in &reorg.adopted {
            let _ = self.blocks.send(ChainEvent::Head(Arc::new(header.clone())));
        }
    }

    /// Resolves once the pool admitted a transaction since the last call returned.
    pub(crate) async fn admitted(&self) {
        self.admitted.notified().await;
    }

    /// Admits a raw signed transaction (EIP-2718 bytes) into the mempool and wakes the
    /// producer. The signature is recovered before the pool lock is taken, so submissions on
    /// other threads are not held up behind it.
    pub fn submit_raw(&self, raw: &[u8]) -> Result<B256, NodeError> {
        let mut admitted = self.submit_raw_batch(&[raw], Origin::Local)?;
        match admitted.pop() {
            Some(result) => Ok(result?),
            None => Err(NodeError::Pool(PoolError::Decode("empty input".into()))),
        }
    }

    /// Admits many raw signed transactions at once (a JSON-RPC batch, a burst of gossip): the
    /// senders are recovered in parallel on all cores, the chain's account rules judge them at
    /// the head, then the pool lock is taken once and the transactions are added in the order
    /// given, so one sender's nonces may follow each other within a batch. Returns one verdict
    /// per transaction, in order; the outer error is a store failure that refused the whole
    /// batch.
    pub fn submit_raw_batch<T: AsRef<[u8]> + Sync>(
        &self,
        raws: &[T],
        origin: Origin,
    ) -> Result<Vec<Result<B256, PoolError>>, NodeError> {
        if let Some(failure) = self.storage_failure() {
            return Err(NodeError::NotAcceptingTransactions(failure));
        }
        // A transaction the pool already holds, or met earlier in this batch, is refused before
        // its signature is checked again: every sender is recovered at most once per node.
        let mut seen = HashSet::with_capacity(raws.len());
        let (chain_id, max_size, known) = {
            let pool = self.pool();
            let known: Vec<bool> = raws
                .iter()
                .map(|raw| keccak256(raw.as_ref()))
                .map(|hash| pool.contains(&hash) || !seen.insert(hash))
                .collect();
            (pool.config().chain_id, pool.config().max_tx_size, known)
        };
        let recover = |(raw, known): (&T, &bool)| {
            if *known {
                return Err(PoolError::AlreadyKnown);
            }
            let recovered = Pool::recover(raw.as_ref(), chain_id, max_size);
            if matches!(recovered, Ok(_) | Err(PoolError::InvalidSignature)) {
                self.recoveries.fetch_add(1, Ordering::Relaxed);
            }
            recovered
        };
        // One transaction is recovered on the calling thread; a batch on every core.
        let recovered: Vec<Result<PooledTx, PoolError>> = if raws.len() > 1 {
            raws.par_iter().zip(&known).map(recover).collect()
        } else {
            raws.iter().zip(&known).map(recover).collect()
        };
        let snapshot = self.store.snapshot()?;
        let recovered = self.permitted(recovered, &snapshot)?;
        let base_fee = next_base_fee(&snapshot.head()?);
        let state = HeadState(snapshot);
        let admitted: Vec<Result<B256, PoolError>> = {
            let mut pool = self.pool();
            recovered.into_iter().map(|tx| pool.add(tx?, &state, base_fee)).collect()
        };
        if admitted.iter().any(Result::is_ok) {
            self.admitted.notify_one();
        }
        for hash in admitted.iter().flatten() {
            let _ = self.pending.send(*hash);
        }
        if origin == Origin::Local && self.local.receiver_count() > 0 {
            for (raw, admitted) in raws.iter().zip(&admitted) {
                if admitted.is_ok() {
                    let _ = self.local.send(Bytes::copy_from_slice(raw.as_ref()));
                }
            }
        }
        Ok(admitted)
    }

    /// Refuses the recovered transactions whose senders the chain's account rules refuse at
    /// the head, before the pool sees them (and before its lock is taken): a refused one's
    /// first stateful verdict is the refusal, whatever its nonce or funds. A state that cannot
    /// be read refuses the whole batch.
    fn permitted<R: cairn_storage::KvRead>(
        &self,
        recovered: Vec<Result<PooledTx, PoolError>>,
        head: &Snapshot<R>,
    ) -> Result<Vec<Result<PooledTx, PoolError>>, NodeError> {
        let mut gate = self.consensus.transactions.at(head)?;
        let mut judged = Vec::with_capacity(recovered.len());
        for tx in recovered {
            judged.push(match tx {
                Ok(tx) => match gate.check(tx.sender, tx.tx.is_create())? {
                    Ok(()) => Ok(tx),
                    Err(NotPermitted::Transact { account }) => {
                        Err(PoolError::AccountNotPermitted { account })
                    }
                    Err(NotPermitted::Deploy { account }) => {
                        Err(PoolError::DeployNotPermitted { account })
                    }
                },
                Err(e) => Err(e),
            });
        }
        Ok(judged)
    }

    /// The store's failure, if it had one: from then on the node builds, checks and commits
    /// no block and admits no transaction (fail-stop), and readiness reports it.
    pub fn storage_failure(&self) -> Option<Arc<StoreError>> {
        self.store.failure()
    }

    /// Refuses block work once the store has failed.
    pub(crate) fn storage_ok(&self) -> Result<(), NodeError> {
        match self.storage_failure() {
            Some(failure) => Err(NodeError::StorageFailed(failure)),
            None => Ok(()),
        }
    }

    /// How many transaction senders this node has recovered from signatures since it started
    /// (at admission and when checking others' blocks); each transaction costs at most one.
    pub fn tx_recoveries(&self) -> u64 {
        self.recoveries.load(Ordering::Relaxed)
    }

    /// The chain's changes from now on: each block as it becomes the head, and each switch to
    /// another branch before the adopted blocks' heads.
    pub fn subscribe_chain(&self) -> broadcast::Receiver<ChainEvent> {
        self.blocks.subscribe()
    }

    /// Hashes of the transactions admitted to the pool from now on.
    pub fn subscribe_pending(&self) -> broadcast::Receiver<B256> {
        self.pending.subscribe()
    }

    /// The raw bytes of the transactions this node's own clients submitted, as each is admitted
    /// ([`Origin::Local`]): what the node announces to its peers.
    pub fn subscribe_local(&self) -> broadcast::Receiver<Bytes> {
        self.local.subscribe()
    }

    /// A transaction waiting in the pool.
    pub fn pooled(&self, hash: B256) -> Option<PooledTx> {
        self.pool().get(&hash).cloned()
    }

    /// Copies of the pool's ready and queued (nonce-gap) transactions, grouped by sender then
    /// nonce.
    pub fn pool_content(&self) -> (Vec<PooledTx>, Vec<PooledTx>) {
        let pool = self.pool();
        let pending = pool.pending().into_iter().cloned().collect();
        let queued = pool.queued().into_iter().cloned().collect();
        (pending, queued)
    }

    /// How many transactions wait in the pool, ready to be included.
    pub fn pending_count(&self) -> usize {
        self.pool().pending_count()
    }

    /// How many transactions wait in the pool behind a nonce gap.
    pub fn queued_count(&self) -> usize {
        self.pool().queued_count()
    }

    /// How long building and committing block `number` took, if it is the newest block this
    /// node produced; metrics read it when the block is announced.
    pub fn production_time(&self, number: u64) -> Option<Duration> {
        let last = *self.last_production.lock().unwrap_or_else(PoisonError::into_inner);
        last.filter(|(n, _)| *n == number).map(|(_, took)| took)
    }

    /// The next nonce of `who`, counting its ready pool transactions.
    pub fn pending_nonce(&self, who: Address) -> Result<u64, NodeError> {
        let state = HeadState(self.store.snapshot()?);
        Ok(self.pool().pending_nonce(who, &state))
    }

    /// Builds, commits and announces the next block from the pool's best transactions: the
    /// loop of an engine whose local node alone decides (dev).
    pub fn produce_block(&self) -> Result<Header, NodeError> {
        let mut candidate = self.build_candidate(self.beneficiary())?;
        match self.consensus.production.seal(&candidate.block.header)? {
            Sealing::Sealed(seal) => candidate.block.header.seal = seal,
            Sealing::AfterAgreement => return Err(NodeError::SealedAfterAgreement),
            Sealing::ByWork => return Err(NodeError::SealedByWork),
        }
        self.commit_candidate(candidate)
    }

    /// Builds (without committing) the child of the head from the pool's best transactions,
    /// paying priority fees to `beneficiary`: what a proposer offers to the other validators.
    pub fn build_candidate(&self, beneficiary: Address) -> Result<Candidate, NodeError> {
        self.build_candidate_with(beneficiary, Bytes::new())
    }

    /// [`Node::build_candidate`] with the header's `extra_data` (at most 32 bytes, the header
    /// rule): what tells apart the blocks of proposers that share a beneficiary.
    /// Refuses while the head is so far ahead of this node's clock (a genesis time in the
    /// future, a clock set back) that the child would be too: validators would refuse it.
    pub fn build_candidate_with(
        &self,
        beneficiary: Address,
        extra_data: Bytes,
    ) -> Result<Candidate, NodeError> {
        self.storage_ok()?;
        let started = Instant::now();
        let now = self.now_ms();
        let (built, refused) = self.build_on_head(extra_data, |parent, gas_limit| {
            let time = cairn_consensus::child_timestamp_ms(parent, now);
            BlockContext {
                difficulty: self.consensus.production.difficulty(parent, time),
                ..BlockContext::child_of(parent, beneficiary, time, gas_limit)
            }
        })?;
        cairn_consensus::validate_clock(&built.block.header, now, self.spec.max_clock_drift_ms)?;
        for (tx, reason) in &refused {
            warn!(%tx, %reason, "dropping transaction whose sender the chain's rules refuse");
        }
        for (tx, reason) in &built.rejected {
            warn!(tx = %tx.tx_hash(), %reason, "dropping transaction that failed execution checks");
        }
        let rejected = refused
            .iter()
            .map(|(tx, _)| *tx)
            .chain(built.rejected.iter().map(|(tx, _)| *tx.tx_hash()))
            .collect();
        Ok(Candidate {
            block: built.block,
            senders: built.senders,
            receipts: built.receipts,
            state: built.state,
            extras: built.end.into_extras(),
            rejected,
            work: started.elapsed(),
        })
    }

    /// The block this node would add next if it were made now, in the pending context
    /// ([`Node::pending_context`]): the pool's best transactions executed on the head, never
    /// committed, with their senders. What `eth_getBlockByNumber("pending")` shows.
    pub fn pending_block(&self) -> Result<(Block, Vec<Address>), NodeError> {
        let (built, _) = self
            .build_on_head(Bytes::new(), |head, gas_limit| self.pending_context(head, gas_limit))?;
        Ok((built.block, built.senders))
    }

    /// `who`'s ready pool transactions in nonce order: what the pending block holds from it.
    pub(crate) fn ready_from(&self, who: Address) -> Vec<Arc<PooledTx>> {
        self.pool().ready_from(who)
    }

    /// Executes the pool's best transactions on the head, in the context `context_of` gives
    /// for the head and the gas limit the chain decided for its child, as block builders
    /// select them. Those whose senders the chain's account rules refuse at the head are left
    /// out and returned apart (by hash, with the reason), for the builder to drop.
    fn build_on_head(
        &self,
        extra_data: Bytes,
        context_of: impl FnOnce(&Header, u64) -> BlockContext,
    ) -> Result<(BuiltBlock, Vec<(B256, NotPermitted)>), NodeError> {
        let snapshot = self.store.snapshot()?;
        let parent = snapshot.head()?;
        let gas_limit = self.sets(&snapshot).gas_limit_after(&parent)?;
        let context = context_of(&parent, gas_limit);
        let state = HeadState(snapshot);
        let candidates = self.pool().select(context.base_fee, context.gas_limit, &state);
        let snapshot = state.0;
        let mut permitted = Vec::with_capacity(candidates.len());
        let mut refused = Vec::new();
        {
            let mut gate = self.consensus.transactions.at(&snapshot)?;
            for pooled in &candidates {
                match gate.check(pooled.sender, pooled.tx.is_create())? {
                    Ok(()) => permitted.push((pooled.tx.clone(), pooled.sender)),
                    Err(reason) => refused.push((pooled.hash, reason)),
                }
            }
        }
        let end = self.consensus.block_end.build(&self.sets(&snapshot), &snapshot, &parent)?;
        let built = build_block(
            &snapshot,
            &self.spec,
            &parent,
            context,
            permitted,
            extra_data,
            end.as_ref(),
        )?;
        Ok((built, refused))
    }

    /// Checks a block someone else proposed as the child of the head: the shared header rules,
    /// the engine's consensus data (its block end), every signature, the chain's account rules
    /// on every sender (at the head's state, on a thread of their own beside the execution),
    /// and a re-execution that must reproduce every root the header commits to. The seal is
    /// not checked (agreement comes after this check).
    pub fn check_candidate(&self, block: Block) -> Result<Candidate, NodeError> {
        self.storage_ok()?;
        let started = Instant::now();
        let snapshot = self.store.snapshot()?;
        let parent = snapshot.head()?;
        cairn_consensus::validate_clock(
            &block.header,
            self.now_ms(),
            self.spec.max_clock_drift_ms,
        )?;
        let senders = self.senders(&block)?;
        let mut candidate = self.check_on(&snapshot, &parent, block, senders)?;
        candidate.work = started.elapsed();
        Ok(candidate)
    }

    /// [`Node::check_candidate`]'s checks of `block` as the child of `parent`, whose state
    /// `snapshot` holds (the head's, or a branch switch's staged view), without the clock;
    /// `senders` are its transactions' signers, recovered already.
    pub(crate) fn check_on<R: KvRead + 'static>(
        &self,
        snapshot: &Snapshot<R>,
        parent: &Header,
        block: Block,
        senders: Vec<Address>,
    ) -> Result<Candidate, NodeError> {
        let started = Instant::now();
        let sets = self.sets(snapshot);
        cairn_consensus::validate_parent_link(
            parent,
            &block.header,
            sets.gas_limit_after(parent)?,
        )?;
        let end = self.consensus.block_end.import(&sets, snapshot, parent, &block)?;
        let executed = cairn_consensus::check_transactions_beside(
            self.consensus.transactions.as_ref(),
            snapshot,
            &block,
            &senders,
            || execute_block(snapshot, &self.spec, parent, &block, &senders, end.as_ref()),
        )??;
        Ok(Candidate {
            block,
            senders,
            receipts: executed.receipts,
            state: executed.state,
            extras: executed.end.into_extras(),
            rejected: Vec::new(),
            work: started.elapsed(),
        })
    }

    /// The senders of a block's transactions: taken from the pool for those it holds (recovered
    /// at admission), recovered in parallel for the others.
    pub(crate) fn senders(&self, block: &Block) -> Result<Vec<Address>, NodeError> {
        let pooled: Vec<Option<Address>> = {
            let pool = self.pool();
            block.transactions.iter().map(|tx| pool.get(tx.tx_hash()).map(|p| p.sender)).collect()
        };
        block
            .transactions
            .par_iter()
            .zip(pooled)
            .map(|(tx, pooled)| match pooled {
                Some(sender) => Ok(sender),
                None => {
                    self.recoveries.fetch_add(1, Ordering::Relaxed);
                    tx.recover_signer()
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| NodeError::InvalidBlock {
                number: block.header.number,
                reason: format!("bad transaction signature: {e}"),
            })
    }

    /// Commits an agreed block (its seal already set) on top of the head, with what its end
    /// left (the next epoch's validator set, its protocol calls' logs) in the same atomic
    /// batch, drops its transactions from the pool and announces it. Waits while a block from
    /// elsewhere is imported ([`Node::import_block`]), so a miner's block never lands between
    /// an import's reading of the head and its commit or branch switch.
    pub fn commit_candidate(&self, candidate: Candidate) -> Result<Header, NodeError> {
        let _importing = self.lock_imports();
        self.commit_candidate_unlocked(candidate)
    }

    /// [`Node::commit_candidate`] for a caller that holds the import lock.
    pub(crate) fn commit_candidate_unlocked(
        &self,
        candidate: Candidate,
    ) -> Result<Header, NodeError> {
        self.storage_ok()?;
        let started = Instant::now();
        let Candidate { block, senders, receipts, state, extras, rejected, work } = candidate;
        let snapshot = self.store.snapshot()?;
        let parent = snapshot.head()?;
        self.consensus.validator.validate_header(&self.sets(&snapshot), &parent, &block.header)?;
        let governance = self.governance_root(&snapshot)?;
        drop(snapshot);
        self.store.commit_block(&block, &senders, &receipts, state, &extras)?;
        let mut dropped: Vec<B256> = block.transactions.iter().map(|t| *t.tx_hash()).collect();
        dropped.extend(rejected);
        let state = HeadState(self.store.snapshot()?);
        self.pool().on_block(&dropped, &state);
        // One read per block tells whether governance changed; only then is the pool judged.
        match self.governance_root(&state.0) {
            Ok(root) if root == governance => {}
            Ok(_) => self.follow_governance(&state.0),
            Err(e) => warn!(error = %e, "cannot read the governance contract at the new head"),
        }
        let header = block.header;
        info!(
            number = header.number,
            hash = %header.hash(),
            txs = block.transactions.len(),
            gas_used = header.gas_used,
            "block committed"
        );
        *self.last_production.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((header.number, work + started.elapsed()));
        let _ = self.blocks.send(ChainEvent::Head(Arc::new(header.clone())));
        Ok(header)
    }

    /// The governance contract's storage root at `snapshot` on a governed chain (it commits to
    /// every rule the contract holds), `None` elsewhere.
    fn governance_root<R: KvRead>(
        &self,
        snapshot: &Snapshot<R>,
    ) -> Result<Option<B256>, NodeError> {
        if self.spec.governance.is_none() {
            return Ok(None);
        }
        Ok(snapshot.account(GOVERNANCE_ADDRESS)?.map(|account| account.storage_root))
    }

    /// After a block that changed the governance contract's storage: the pool takes the gas
    /// limit now in force and drops the waiting transactions the account rules at the new head
    /// refuse (a removed member's), instead of offering them to every later build. A state that
    /// cannot be read leaves the pool as it was (builds still leave refused senders out).
    fn follow_governance<R: KvRead>(&self, head: &Snapshot<R>) {
        match self.pool_after_governance(head) {
            Ok((over_limit, refused)) if over_limit + refused > 0 => info!(
                over_limit,
                refused, "governance changed: dropped waiting transactions no block may carry"
            ),
            Ok(_) => {}
            Err(e) => warn!(error = %e, "cannot apply a governance change to the pool"),
        }
    }

    /// [`Node::follow_governance`]'s work: how many transactions left over the gas limit and
    /// over the account rules. Senders are judged outside the pool lock (the rules read state).
    fn pool_after_governance<R: KvRead>(
        &self,
        head: &Snapshot<R>,
    ) -> Result<(usize, usize), NodeError> {
        let gas_limit = self.sets(head).gas_limit_after(&head.head()?)?;
        let waiting: HashSet<(Address, bool)> = {
            let pool = self.pool();
            let (pending, queued) = (pool.pending(), pool.queued());
            pending.iter().chain(&queued).map(|tx| (tx.sender, tx.tx.is_create())).collect()
        };
        let mut refused = HashSet::new();
        {
            let mut gate = self.consensus.transactions.at(head)?;
            for (sender, creates) in waiting {
                if gate.check(sender, creates)?.is_err() {
                    refused.insert((sender, creates));
                }
            }
        }
        let mut pool = self.pool();
        let over_limit = pool.set_block_gas_limit(gas_limit).len();
        let refused =
            pool.retain_permitted(|tx| !refused.contains(&(tx.sender, tx.tx.is_create()))).len();
        Ok((over_limit, refused))
    }

    /// Re-checks the whole stored chain as `cairn verify` does, under this node's consensus
    /// rules, reporting progress after each block (for audits started over the API).
    pub fn verify(
        &self,
        progress: &mut dyn FnMut(VerifyProgress),
    ) -> Result<VerifyReport, VerifyFailure> {
        verify_chain_with_progress(
            &self.store,
            &self.spec,
            &self.consensus,
            self.clock.as_ref(),
            progress,
        )
    }

    /// The newest block's header.
    pub fn head(&self) -> Result<Header, NodeError> {
        Ok(self.store.head()?)
    }

    /// The canonical block at `number`.
    pub fn block(&self, number: u64) -> Result<Option<Block>, NodeError> {
        Ok(self.store.snapshot()?.block(number)?)
    }

    /// The canonical block with this hash.
    pub fn block_by_hash(&self, hash: B256) -> Result<Option<Block>, NodeError> {
        let snapshot = self.store.snapshot()?;
        match snapshot.block_number(hash)? {
            Some(number) => Ok(snapshot.block(number)?),
            None => Ok(None),
        }
    }

    /// An included transaction with its receipt (as the node's reader finds it).
    pub fn transaction(&self, hash: B256) -> Result<Option<TxLookup>, NodeError> {
        self.view()?.transaction(hash)
    }

    /// The head state's account at `address` (nonce, balance, code hash, storage root).
    pub fn account(&self, address: Address) -> Result<Option<cairn_storage::Account>, NodeError> {
        Ok(self.store.snapshot()?.account(address)?)
    }

    /// The head block and its state as one consistent view, for readers of several slots
    /// that must not straddle two blocks (the allowed nodes of a governed network).
    pub fn head_snapshot(&self) -> Result<Snapshot<K::Read>, NodeError> {
        Ok(self.store.snapshot()?)
    }

    /// A storage slot in the head state.
    pub fn storage(&self, address: Address, slot: U256) -> Result<U256, NodeError> {
        Ok(self.store.snapshot()?.storage(address, slot)?)
    }

    /// The code deployed at `address` in the head state.
    pub fn code(&self, address: Address) -> Result<Bytes, NodeError> {
        let snapshot = self.store.snapshot()?;
        let Some(account) = snapshot.account(address)? else { return Ok(Default::default()) };
        Ok(snapshot.code(account.code_hash)?.unwrap_or_default())
    }

    /// An account (and slot) proof against block `number`'s state root.
    pub fn proof(
        &self,
        number: u64,
        address: Address,
        slots: &[B256],
    ) -> Result<Option<cairn_storage::AccountProof>, NodeError> {
        let snapshot = self.store.snapshot()?;
        let Some(header) = snapshot.header(number)? else { return Ok(None) };
        Ok(Some(snapshot.proof(header.state_root, address, slots)?))
    }
}
