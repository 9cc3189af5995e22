//! The pool itself: admission, replacement, eviction, block selection and pruning.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};

use crate::sender::{Entry, SenderTxs};
use crate::{AccountView, PoolConfig, PoolError, PooledTx, validate};

/// Smallest gas any transaction can use; once less than this is left, block selection stops.
const MIN_TX_GAS: u64 = 21_000;

/// The transaction pool: validated transactions waiting for inclusion, indexed by hash and by
/// sender. Not synchronised; the node keeps it behind a lock and runs the expensive
/// [`Pool::recover`] outside it.
#[derive(Debug, Clone)]
pub struct Pool {
    config: PoolConfig,
    by_hash: HashMap<B256, Arc<PooledTx>>,
    senders: BTreeMap<Address, SenderTxs>,
    next_seq: u64,
}

/// Eviction rank: lower is evicted first. Queued before ready, then lower effective tip at the
/// current base fee, then lower tip cap.
type Rank = (bool, u128, u128);

impl Pool {
    /// An empty pool with the given limits.
    pub fn new(config: PoolConfig) -> Self {
        Self { config, by_hash: HashMap::new(), senders: BTreeMap::new(), next_seq: 0 }
    }

    /// The configuration the pool was built with, so callers can report limits.
    pub fn config(&self) -> &PoolConfig {
        &self.config
    }

    /// Decode + validate + insert EIP-2718 bytes, exactly as `eth_sendRawTransaction` receives
    /// them. Returns the transaction hash on success.
    pub fn add_raw(
        &mut self,
        raw: &[u8],
        state: &impl AccountView,
        base_fee: u64,
    ) -> Result<B256, PoolError> {
        let tx = Self::recover(raw, self.config.chain_id, self.config.max_tx_size)?;
        self.add(tx, state, base_fee)
    }

    /// Decode, size, type and chain id checks plus signature recovery: all the stateless,
    /// CPU-heavy work of admission, as an associated function so callers can run it in parallel
    /// (e.g. on a batch from a peer) before taking the pool lock for [`Pool::add`].
    pub fn recover(raw: &[u8], chain_id: u64, max_size: usize) -> Result<PooledTx, PoolError> {
        validate::recover_raw(raw, chain_id, max_size)
    }

    /// Validates an already-recovered transaction against the config and `state` and inserts
    /// it, replacing a same-nonce one if it pays enough more, evicting lower payers if the pool
    /// is full. `base_fee` is the next block's base fee, used to rank payers for eviction; a fee
    /// cap below it is not an error (the transaction waits for the base fee to drop).
    pub fn add(
        &mut self,
        tx: PooledTx,
        state: &impl AccountView,
        base_fee: u64,
    ) -> Result<B256, PoolError> {
        validate::check_static(&tx, &self.config)?;
        if self.by_hash.contains_key(&tx.hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let sender = tx.sender;
        let nonce = tx.nonce();
        let state_nonce = state.nonce(sender);
        if nonce < state_nonce {
            return Err(PoolError::NonceTooLow { tx: nonce, state: state_nonce });
        }
        // Housekeeping that is right whatever the outcome: forget what the state made stale.
        self.refresh_sender(sender, state_nonce);

        let balance = state.balance(sender);
        let earlier = self.senders.get(&sender).map_or(U256::ZERO, |s| s.cost_below(nonce));
        let cost = earlier.saturating_add(tx.cost());
        if cost > balance {
            return Err(PoolError::InsufficientFunds { cost, balance });
        }

        let existing = self.senders.get(&sender);
        let replaced = existing.and_then(|s| s.get(nonce));
        let mut evict: Option<Address> = None;
        if let Some(old) = replaced {
            if !validate::is_sufficient_bump(&old.tx, &tx, self.config.price_bump_percent) {
                return Err(PoolError::ReplacementUnderpriced);
            }
        } else {
            let own_len = existing.map_or(0, SenderTxs::len);
            if own_len >= self.config.max_per_sender {
                // Make room only for a lower nonce (one that fills a gap), by dropping the
                // sender's own highest nonce; never for a further one.
                match existing.and_then(SenderTxs::last) {
                    Some(last) if last.tx.nonce() > nonce => evict = Some(sender),
                    _ => {
                        return Err(PoolError::SenderLimit {
                            sender,
                            max: self.config.max_per_sender,
                        });
                    }
                }
            } else if self.by_hash.len() >= self.config.max_total {
                let ready = match existing {
                    Some(s) => s.would_be_ready(nonce),
                    None => nonce == state_nonce,
                };
                let rank = (ready, tx.effective_tip(base_fee).unwrap_or(0), tx.max_priority_fee());
                match self.eviction_victim(&tx, base_fee) {
                    Some((victim, victim_rank)) if rank > victim_rank => evict = Some(victim),
                    _ => return Err(PoolError::PoolFull { max: self.config.max_total }),
                }
            }
        }

        // All checks passed: mutate.
        if let Some(victim) = evict {
            self.evict_tail(victim);
        }
        let hash = tx.hash;
        let tx = Arc::new(tx);
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let txs = self.senders.entry(sender).or_insert_with(|| SenderTxs::new(state_nonce));
        if let Some(old) = txs.insert(Entry { tx: Arc::clone(&tx), seq }) {
            self.by_hash.remove(&old.tx.hash);
        }
        self.by_hash.insert(hash, tx);
        Ok(hash)
    }

    /// The sender whose highest-nonce transaction is the cheapest to lose, with its rank.
    /// Only tails are candidates so eviction never opens a nonce gap; the newcomer's own
    /// sender is a candidate only if the newcomer would sit below its tail.
    fn eviction_victim(&self, newcomer: &PooledTx, base_fee: u64) -> Option<(Address, Rank)> {
        self.senders
            .iter()
            .filter_map(|(addr, s)| {
                let last = s.last()?;
                if *addr == newcomer.sender && last.tx.nonce() < newcomer.nonce() {
                    return None;
                }
                let t = &last.tx;
                let rank: Rank = (
                    s.is_ready(t.nonce()),
                    t.effective_tip(base_fee).unwrap_or(0),
                    t.max_priority_fee(),
                );
                // Among equals, evict the newest arrival.
                Some(((rank, Reverse(last.seq)), *addr))
            })
            .min()
            .map(|((rank, _), addr)| (addr, rank))
    }

    fn evict_tail(&mut self, who: Address) {
        if let Some(s) = self.senders.get_mut(&who) {
            if let Some(e) = s.pop_last() {
                self.by_hash.remove(&e.tx.hash);
            }
            if s.is_empty() {
                self.senders.remove(&who);
            }
        }
    }

    /// Records `state_nonce` for `who`, dropping transactions it made stale.
    fn refresh_sender(&mut self, who: Address, state_nonce: u64) {
        if let Some(s) = self.senders.get_mut(&who) {
            for e in s.set_state_nonce(state_nonce) {
                self.by_hash.remove(&e.tx.hash);
            }
            if s.is_empty() {
                self.senders.remove(&who);
            }
        }
    }

    /// The pooled transaction with this hash, for `eth_getTransactionByHash` on pending txs.
    pub fn get(&self, hash: &B256) -> Option<&PooledTx> {
        self.by_hash.get(hash).map(|t| &**t)
    }

    /// Whether a transaction with this hash is pooled (cheap duplicate check for gossip).
    pub fn contains(&self, hash: &B256) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// Number of pooled transactions, ready and queued.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether the pool holds no transaction.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Number of ready transactions (nonces contiguous from the sender's state nonce as of the
    /// last [`Pool::add`] or [`Pool::on_block`] for that sender), for `txpool_status`.
    pub fn pending_count(&self) -> usize {
        self.senders.values().map(SenderTxs::ready_len).sum()
    }

    /// Number of transactions waiting behind a nonce gap, for `txpool_status`.
    pub fn queued_count(&self) -> usize {
        self.len() - self.pending_count()
    }

    /// Next nonce `who` should use, counting its ready pooled transactions on top of the state
    /// nonce; answers `eth_getTransactionCount(addr, "pending")`.
    pub fn pending_nonce(&self, who: Address, state: &impl AccountView) -> u64 {
        let nonce = state.nonce(who);
        let pooled = self.senders.get(&who).map_or(0, |s| s.contiguous_from(nonce).count());
        nonce.saturating_add(pooled as u64)
    }

    /// Block building: best transactions ordered by effective tip at `base_fee` (highest first,
    /// earlier arrival first among equals), never breaking a sender's nonce order, only ready
    /// ones (nonce contiguous from the state nonce in `state`), skipping those whose max fee is
    /// below `base_fee`, filling up to `gas_limit` by gas limit. A transaction that does not fit
    /// or cannot pay the base fee is skipped along with its sender's later transactions.
    pub fn select(
        &self,
        base_fee: u64,
        gas_limit: u64,
        state: &impl AccountView,
    ) -> Vec<Arc<PooledTx>> {
        // Each sender's executable run from its current state nonce, and a heap of run heads.
        let mut runs: Vec<_> =
            self.senders.iter().map(|(addr, s)| s.contiguous_from(state.nonce(*addr))).collect();
        let mut heads = BinaryHeap::new();
        let push = |heads: &mut BinaryHeap<_>, idx: usize, e: &Entry| {
            // A fee cap below the base fee ends the sender's run for this block.
            if let Some(tip) = e.tx.effective_tip(base_fee) {
                heads.push((tip, Reverse(e.seq), idx));
            }
        };
        let mut current: Vec<Option<&Entry>> = Vec::with_capacity(runs.len());
        for (idx, run) in runs.iter_mut().enumerate() {
            let head = run.next();
            if let Some(e) = head {
                push(&mut heads, idx, e);
            }
            current.push(head);
        }
        let mut out = Vec::new();
        let mut remaining = gas_limit;
        while let Some((_, _, idx)) = heads.pop() {
            if remaining < MIN_TX_GAS {
                break;
            }
            let Some(e) = current.get(idx).copied().flatten() else { continue };
            let gas = e.tx.gas_limit();
            if gas > remaining {
                continue; // drop this sender: its later nonces cannot go before this one
            }
            remaining -= gas;
            out.push(Arc::clone(&e.tx));
            let next = runs.get_mut(idx).and_then(Iterator::next);
            if let Some(slot) = current.get_mut(idx) {
                *slot = next;
            }
            if let Some(n) = next {
                push(&mut heads, idx, n);
            }
        }
        out
    }

    /// After a block is committed: drop included transactions and any transaction whose nonce
    /// is now below its sender's state nonce, and re-evaluate which queued transactions became
    /// ready.
    pub fn on_block(&mut self, included: &[B256], state: &impl AccountView) {
        for hash in included {
            if let Some(tx) = self.by_hash.remove(hash)
                && let Some(s) = self.senders.get_mut(&tx.sender)
                && s.get(tx.nonce()).is_some_and(|e| e.tx.hash == *hash)
            {
                s.remove(tx.nonce());
            }
        }
        let by_hash = &mut self.by_hash;
        self.senders.retain(|addr, s| {
            for e in s.set_state_nonce(state.nonce(*addr)) {
                by_hash.remove(&e.tx.hash);
            }
            !s.is_empty()
        });
    }

    /// A new block gas limit (a governed chain voted another): from now on admission refuses a
    /// transaction above it, and the waiting ones above it leave the pool, since no block could
    /// carry them; a sender's later nonces wait queued behind the gap, as after any removal.
    /// Returns the hashes removed.
    pub fn set_block_gas_limit(&mut self, gas_limit: u64) -> Vec<B256> {
        self.config.block_gas_limit = gas_limit;
        self.remove_where(|tx| tx.gas_limit() > gas_limit)
    }

    /// Removes every waiting transaction `permitted` refuses: the chain's account rules changed
    /// (a member removed, deployments restricted), and a block built on the new head would
    /// refuse them anyway. A sender's later nonces stay, queued behind the gap, as after any
    /// removal. Returns the hashes removed.
    pub fn retain_permitted(&mut self, mut permitted: impl FnMut(&PooledTx) -> bool) -> Vec<B256> {
        self.remove_where(|tx| !permitted(tx))
    }

    /// Removes the transactions `refused` picks, keeping each sender's ready/queued split.
    fn remove_where(&mut self, mut refused: impl FnMut(&PooledTx) -> bool) -> Vec<B256> {
        let mut removed = Vec::new();
        let by_hash = &mut self.by_hash;
        self.senders.retain(|_, s| {
            let nonces: Vec<u64> =
                s.iter().filter(|e| refused(&e.tx)).map(|e| e.tx.nonce()).collect();
            for nonce in nonces {
                if let Some(e) = s.remove(nonce) {
                    by_hash.remove(&e.tx.hash);
                    removed.push(e.tx.hash);
                }
            }
            !s.is_empty()
        });
        removed
    }

    /// Ready transactions grouped by sender (ascending address) then nonce, for
    /// `txpool_content` and REST listings.
    pub fn pending(&self) -> Vec<&PooledTx> {
        self.senders.values().flat_map(SenderTxs::ready_iter).map(|e| &*e.tx).collect()
    }

    /// `who`'s ready transactions in nonce order: what it has waiting for the next block, which
    /// a simulation in the pending block runs before the caller's request.
    pub fn ready_from(&self, who: Address) -> Vec<Arc<PooledTx>> {
        self.senders
            .get(&who)
            .map_or_else(Vec::new, |s| s.ready_iter().map(|e| Arc::clone(&e.tx)).collect())
    }

    /// Queued (nonce-gap) transactions grouped by sender (ascending address) then nonce.
    pub fn queued(&self) -> Vec<&PooledTx> {
        self.senders.values().flat_map(SenderTxs::queued_iter).map(|e| &*e.tx).collect()
    }
}
