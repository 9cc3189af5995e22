//! Blocks from elsewhere on a chain with work: the heaviest branch is canonical (ties: the one
//! seen first). A block on the head is executed and committed; a block elsewhere is checked
//! (header, work, body) and kept as a side block; when a side branch becomes heavier than the
//! canonical chain, the node unwinds to the common ancestor and executes the branch on its
//! parent's state, block by block, writing the whole switch at once.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use alloy_eips::eip2718::Encodable2718 as _;
use alloy_primitives::{Address, B256, U256};
use cairn_mempool::PooledTx;
use cairn_primitives::{Block, Header, Receipt};
use cairn_reads::Reorg;
use cairn_storage::{CHANGESET_RETENTION, KvRead, KvStore, Snapshot, StoreError};
use tracing::{debug, info, warn};

use crate::node::HeadState;
use crate::{Candidate, Node, NodeError};

/// What became of a block offered with [`Node::import_block`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// The node holds it already (canonical or on a side branch).
    Known,
    /// It extended the head and is the new head.
    Extended(Box<Header>),
    /// It is kept on a branch that is not heavier than the canonical chain, with the total
    /// difficulty of that branch.
    Side(U256),
    /// Its branch became the heaviest: the node switched to it.
    Reorged(Arc<Reorg>),
}

/// The invalid blocks remembered, so a branch built on one is refused at once; past this many
/// the memory starts again (a forgotten one is found invalid again when its branch is tried).
const INVALID_REMEMBERED: usize = 4096;

impl<K: KvStore> Node<K> {
    /// Takes a sealed block from elsewhere (a peer, sync): checks it and, on a chain with work,
    /// makes the heaviest known branch canonical. Blocks on other engines must extend the head
    /// (their blocks are final). A block whose parent is not known is refused with
    /// [`NodeError::UnknownParent`], so the caller can fetch the parent first.
    pub fn import_block(&self, block: Block) -> Result<Imported, NodeError> {
        self.storage_ok()?;
        let _importing = self.lock_imports();
        let hash = block.hash();
        let number = block.header.number;
        if self.is_known_invalid(&hash) || self.is_known_invalid(&block.header.parent_hash) {
            return Err(NodeError::InvalidBlock {
                number,
                reason: "it is, or descends from, a block found invalid".into(),
            });
        }
        let snapshot = self.store.snapshot()?;
        if snapshot.block_number(hash)?.is_some() || snapshot.side_block(number, hash)?.is_some() {
            return Ok(Imported::Known);
        }
        let head = snapshot.head()?;
        if block.header.difficulty.is_none() {
            // An engine without work: its blocks are final, so only the head's child is taken.
            drop(snapshot);
            let candidate = self.check_candidate(block)?;
            return Ok(Imported::Extended(Box::new(self.commit_candidate_unlocked(candidate)?)));
        }
        if number.saturating_add(CHANGESET_RETENTION) <= head.number {
            return Err(NodeError::InvalidBlock {
                number,
                reason: format!(
                    "it is {} blocks below the head, deeper than any reorg may reach",
                    head.number - number
                ),
            });
        }
        let parent = block_header(&snapshot, number.wrapping_sub(1), block.header.parent_hash)?
            .ok_or(NodeError::UnknownParent { number, parent: block.header.parent_hash })?;
        // Nothing is remembered as invalid until the header's work and the body's root pass:
        // a wrong nonce or body sent under a valid block's hash must not stain that hash.
        self.check_side_block(&snapshot, &parent, &block)?;
        if parent.hash() == head.hash() {
            drop(snapshot);
            let candidate = self.check_on_head(block)?;
            return Ok(Imported::Extended(Box::new(self.commit_candidate_unlocked(candidate)?)));
        }
        let head_work = snapshot.total_difficulty(head.hash())?.unwrap_or_default();
        drop(snapshot);
        // Recovered now, as the block arrives, so a switch to its branch only executes it.
        let senders = self.senders(&block).inspect_err(|_| self.mark_invalid(hash))?;
        let work = self.store.add_side_block(&block, &senders)?;
        if work <= head_work {
            return Ok(Imported::Side(work));
        }
        self.switch_to(number, hash, &head)
    }

    /// Checks a run of headers from a peer before their bodies are fetched: the first one's
    /// parent is known here (canonical or side), each links to the one before it, carries the
    /// difficulty the rules give and work under its target, and is not from the future.
    /// Returns the total difficulty of the chain ending in the last one.
    pub fn check_headers(&self, headers: &[Header]) -> Result<U256, NodeError> {
        let snapshot = self.store.snapshot()?;
        let Some(first) = headers.first() else {
            return Ok(snapshot.total_difficulty(snapshot.head()?.hash())?.unwrap_or_default());
        };
        let mut parent = block_header(&snapshot, first.number.wrapping_sub(1), first.parent_hash)?
            .ok_or(NodeError::UnknownParent { number: first.number, parent: first.parent_hash })?;
        let mut work = snapshot.total_difficulty(parent.hash())?.unwrap_or_default();
        let sets = self.sets(&snapshot);
        let (now, drift) = (self.now_ms(), self.spec().max_clock_drift_ms);
        for header in headers {
            self.consensus.validator.validate_header(&sets, &parent, header)?;
            cairn_consensus::validate_clock(header, now, drift)?;
            work = work.saturating_add(header.difficulty.unwrap_or_default());
            parent = header.clone();
        }
        Ok(work)
    }

    /// Executes a block whose header and body passed on the head, remembering it as invalid if
    /// the execution refuses it.
    fn check_on_head(&self, block: Block) -> Result<Candidate, NodeError> {
        let hash = block.hash();
        self.check_candidate(block).inspect_err(|e| {
            if e.blames_block() {
                self.mark_invalid(hash);
            }
        })
    }

    /// What a block off the head must pass before it is kept: the engine's header rule against
    /// its parent (link, difficulty, work), the clock, and a body that is the one its header
    /// commits to. Execution waits until its branch is the heaviest.
    fn check_side_block<R: KvRead>(
        &self,
        snapshot: &Snapshot<R>,
        parent: &Header,
        block: &Block,
    ) -> Result<(), NodeError> {
        self.consensus.validator.validate_header(&self.sets(snapshot), parent, &block.header)?;
        cairn_consensus::validate_clock(
            &block.header,
            self.now_ms(),
            self.spec().max_clock_drift_ms,
        )?;
        let number = block.header.number;
        if Block::compute_transactions_root(&block.transactions) != block.header.transactions_root {
            return Err(NodeError::InvalidBlock {
                number,
                reason: "its transactions are not the ones its header commits to".into(),
            });
        }
        if block.consensus.is_some() {
            return Err(NodeError::InvalidBlock {
                number,
                reason: "it carries consensus data this engine does not use".into(),
            });
        }
        Ok(())
    }

    /// Makes the branch ending in side block `tip` canonical: unwinds to the common ancestor
    /// and executes the branch's blocks in order on a staged view. A block that fails is
    /// remembered as invalid; the blocks before it are adopted if they alone outweigh the old
    /// head, otherwise nothing is written.
    fn switch_to(&self, number: u64, tip: B256, head: &Header) -> Result<Imported, NodeError> {
        let started = Instant::now();
        let snapshot = self.store.snapshot()?;
        let (ancestor, branch) = side_branch(&snapshot, number, tip)?;
        let depth = head.number - ancestor.number;
        if depth > CHANGESET_RETENTION {
            self.deep_reorgs_refused.fetch_add(1, Ordering::Relaxed);
            warn!(depth, limit = CHANGESET_RETENTION, %tip, "refusing a reorg deeper than the store can unwind");
            return Err(NodeError::ReorgTooDeep { depth, limit: CHANGESET_RETENTION, tip });
        }
        let head_work = snapshot.total_difficulty(head.hash())?.unwrap_or_default();
        drop(snapshot);

        let (mut switch, unwound) = self.store.switch_branch(ancestor.number)?;
        let (abandoned, abandoned_senders): (Vec<_>, Vec<_>) = unwound
            .into_iter()
            .map(|unwound| ((unwound.block, unwound.receipts), unwound.senders))
            .unzip();
        let mut adopted: Vec<Block> = Vec::with_capacity(branch.len());
        let mut failure = None;
        for block in branch {
            let hash = block.hash();
            // The staged view is dropped before the block is staged on it: a live copy would
            // make staging copy every write staged so far.
            let checked = {
                let staged = switch.snapshot();
                let parent = staged.head()?;
                let kept = staged
                    .side_senders(block.header.number, hash)?
                    .filter(|senders| senders.len() == block.transactions.len());
                match kept {
                    Some(senders) => self.check_on(&staged, &parent, block, senders),
                    None => self
                        .senders(&block)
                        .and_then(|senders| self.check_on(&staged, &parent, block, senders)),
                }
            };
            match checked {
                Ok(candidate) => {
                    switch.commit_block(
                        &candidate.block,
                        &candidate.senders,
                        &candidate.receipts,
                        candidate.state,
                        &candidate.extras,
                    )?;
                    adopted.push(candidate.block);
                }
                Err(e) => {
                    if !e.blames_block() {
                        return Err(e);
                    }
                    self.mark_invalid(hash);
                    failure = Some(e);
                    break;
                }
            }
        }
        let new_head = switch.snapshot().head()?;
        let new_work = switch.snapshot().total_difficulty(new_head.hash())?.unwrap_or_default();
        if let Some(e) = failure
            && new_work <= head_work
        {
            warn!(error = %e, "a heavier branch holds an invalid block; staying on the chain");
            return Err(e);
        }
        switch.finish()?;
        self.reorgs.fetch_add(1, Ordering::Relaxed);
        info!(
            depth,
            adopted = adopted.len(),
            ancestor = ancestor.number,
            head = new_head.number,
            hash = %new_head.hash(),
            took_ms = started.elapsed().as_millis() as u64,
            "switched to a heavier branch"
        );
        let reorg = Reorg {
            ancestor,
            abandoned,
            adopted: adopted.iter().map(|b| b.header.clone()).collect(),
        };
        self.after_switch(&reorg.abandoned, &abandoned_senders, &adopted)?;
        let reorg = Arc::new(reorg);
        self.announce_reorg(&reorg);
        Ok(Imported::Reorged(reorg))
    }

    /// The pool after a switch: the adopted blocks' transactions leave it, and the abandoned
    /// blocks' transactions the new branch does not hold come back (if still valid at the new
    /// head), so none is lost. `senders` holds each abandoned block's senders, in order.
    fn after_switch(
        &self,
        abandoned: &[(Block, Vec<Receipt>)],
        senders: &[Vec<Address>],
        adopted: &[Block],
    ) -> Result<(), NodeError> {
        let included: HashSet<B256> =
            adopted.iter().flat_map(|b| b.transactions.iter().map(|tx| *tx.tx_hash())).collect();
        let state = HeadState(self.store.snapshot()?);
        let base_fee = cairn_primitives::next_base_fee(&state.0.head()?);
        let mut pool = self.pool();
        pool.on_block(&included.iter().copied().collect::<Vec<_>>(), &state);
        let (mut returned, mut stale) = (0usize, 0usize);
        for ((block, _), senders) in abandoned.iter().zip(senders) {
            for (tx, sender) in block.transactions.iter().zip(senders) {
                if included.contains(tx.tx_hash()) {
                    continue;
                }
                let pooled = PooledTx {
                    hash: *tx.tx_hash(),
                    sender: *sender,
                    encoded_len: tx.encode_2718_len(),
                    tx: tx.clone(),
                };
                // One the new branch made invalid (its nonce used, its funds spent) stays out,
                // as it would be refused from a client.
                match pool.add(pooled, &state, base_fee) {
                    Ok(_) => returned += 1,
                    Err(e) => {
                        stale += 1;
                        debug!(tx = %tx.tx_hash(), error = %e, "an abandoned transaction stays out of the pool");
                    }
                }
            }
        }
        drop(pool);
        if returned + stale > 0 {
            info!(returned, stale, "transactions of abandoned blocks: back in the pool, or stale");
        }
        if returned > 0 {
            self.notify_admitted();
        }
        Ok(())
    }

    fn is_known_invalid(&self, hash: &B256) -> bool {
        self.invalid_blocks().contains(hash)
    }

    fn mark_invalid(&self, hash: B256) {
        let mut invalid = self.invalid_blocks();
        if invalid.len() >= INVALID_REMEMBERED {
            invalid.clear();
        }
        invalid.insert(hash);
    }
}

/// The header of the block `hash` at `number`, canonical or side.
fn block_header<R: KvRead>(
    snapshot: &Snapshot<R>,
    number: u64,
    hash: B256,
) -> Result<Option<Header>, StoreError> {
    if snapshot.block_number(hash)? == Some(number) {
        return snapshot.header(number);
    }
    Ok(snapshot.side_block(number, hash)?.map(|block| block.header))
}

/// The side blocks from the canonical chain up to `tip`, oldest first, and the canonical block
/// they fork from.
pub(crate) fn side_branch<R: KvRead>(
    snapshot: &Snapshot<R>,
    number: u64,
    tip: B256,
) -> Result<(Header, Vec<Block>), NodeError> {
    let mut branch = Vec::new();
    let (mut number, mut hash) = (number, tip);
    loop {
        if snapshot.block_number(hash)? == Some(number) {
            let ancestor = snapshot.header(number)?.ok_or(StoreError::Inconsistent {
                number,
                reason: "a canonical header is missing".into(),
            })?;
            branch.reverse();
            return Ok((ancestor, branch));
        }
        let Some(block) = snapshot.side_block(number, hash)? else {
            return Err(NodeError::UnknownParent { number: number + 1, parent: hash });
        };
        hash = block.header.parent_hash;
        number =
            number.checked_sub(1).ok_or(NodeError::UnknownParent { number: 0, parent: hash })?;
        branch.push(block);
    }
}
