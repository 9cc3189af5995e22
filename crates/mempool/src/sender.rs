//! One sender's transactions, ordered by nonce and split into ready and queued.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_primitives::U256;

use crate::PooledTx;

/// A pooled transaction plus its arrival number, which breaks ties between equal payers
/// (first come, first served) and makes ordering deterministic.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) tx: Arc<PooledTx>,
    pub(crate) seq: u64,
}

/// All pooled transactions of one sender. Those with nonces contiguous from the sender's state
/// nonce are *ready* (executable in the next block); the rest wait behind a gap (*queued*).
#[derive(Debug, Clone)]
pub(crate) struct SenderTxs {
    state_nonce: u64,
    txs: BTreeMap<u64, Entry>,
    ready: usize,
}

impl SenderTxs {
    pub(crate) fn new(state_nonce: u64) -> Self {
        Self { state_nonce, txs: BTreeMap::new(), ready: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.txs.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// Number of ready transactions (contiguous from the cached state nonce).
    pub(crate) fn ready_len(&self) -> usize {
        self.ready
    }

    /// The nonce after the last ready transaction: what the sender's next transaction must use
    /// to become ready.
    pub(crate) fn next_nonce(&self) -> u64 {
        self.state_nonce.saturating_add(self.ready as u64)
    }

    pub(crate) fn get(&self, nonce: u64) -> Option<&Entry> {
        self.txs.get(&nonce)
    }

    pub(crate) fn last(&self) -> Option<&Entry> {
        self.txs.last_key_value().map(|(_, e)| e)
    }

    /// Whether the transaction at `nonce` is (or would be, once inserted) ready.
    pub(crate) fn would_be_ready(&self, nonce: u64) -> bool {
        nonce >= self.state_nonce && nonce <= self.next_nonce()
    }

    /// Whether the transaction at `nonce`, already pooled, is ready.
    pub(crate) fn is_ready(&self, nonce: u64) -> bool {
        nonce >= self.state_nonce && nonce < self.next_nonce()
    }

    /// Ready transactions in nonce order.
    pub(crate) fn ready_iter(&self) -> impl Iterator<Item = &Entry> {
        self.txs.range(self.state_nonce..).take(self.ready).map(|(_, e)| e)
    }

    /// Every pooled transaction of the sender, in nonce order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.txs.values()
    }

    /// Queued transactions in nonce order.
    pub(crate) fn queued_iter(&self) -> impl Iterator<Item = &Entry> {
        self.txs.range(self.state_nonce..).skip(self.ready).map(|(_, e)| e)
    }

    /// Transactions contiguous from `nonce`, in nonce order (for a fresh state nonce).
    pub(crate) fn contiguous_from(&self, nonce: u64) -> impl Iterator<Item = &Entry> {
        let mut expected = Some(nonce);
        self.txs.range(nonce..).map_while(move |(n, e)| {
            if Some(*n) == expected {
                expected = n.checked_add(1);
                Some(e)
            } else {
                None
            }
        })
    }

    /// Sum of the worst-case costs of pooled transactions with nonces below `nonce`: what the
    /// sender must be able to pay before a transaction at `nonce` runs.
    pub(crate) fn cost_below(&self, nonce: u64) -> U256 {
        self.txs.range(..nonce).fold(U256::ZERO, |acc, (_, e)| acc.saturating_add(e.tx.cost()))
    }

    /// Inserts (or replaces at the same nonce), returning the replaced entry.
    pub(crate) fn insert(&mut self, entry: Entry) -> Option<Entry> {
        let old = self.txs.insert(entry.tx.nonce(), entry);
        self.recount();
        old
    }

    pub(crate) fn remove(&mut self, nonce: u64) -> Option<Entry> {
        let old = self.txs.remove(&nonce);
        self.recount();
        old
    }

    /// Removes the highest-nonce transaction: the only one whose removal never opens a gap.
    pub(crate) fn pop_last(&mut self) -> Option<Entry> {
        let old = self.txs.pop_last().map(|(_, e)| e);
        self.recount();
        old
    }

    /// Records a new state nonce, returning the transactions it made stale (nonce below it).
    pub(crate) fn set_state_nonce(&mut self, nonce: u64) -> Vec<Entry> {
        self.state_nonce = nonce;
        let keep = self.txs.split_off(&nonce);
        let stale = std::mem::replace(&mut self.txs, keep);
        self.recount();
        stale.into_values().collect()
    }

    fn recount(&mut self) {
        self.ready = self.contiguous_from(self.state_nonce).count();
    }
}

#[cfg(test)]
mod tests {
    use alloy_consensus::{Signed, TxEip1559, TxEnvelope};
    use alloy_primitives::{Address, B256, Signature};

    use super::*;

    fn entry(nonce: u64) -> Entry {
        let tx = TxEip1559 { nonce, gas_limit: 21_000, ..Default::default() };
        let hash = B256::with_last_byte(nonce as u8);
        let tx: TxEnvelope = Signed::new_unchecked(tx, Signature::test_signature(), hash).into();
        Entry {
            tx: Arc::new(PooledTx { hash, sender: Address::ZERO, tx, encoded_len: 0 }),
            seq: nonce,
        }
    }

    fn nonces<'a>(it: impl Iterator<Item = &'a Entry>) -> Vec<u64> {
        it.map(|e| e.tx.nonce()).collect()
    }

    #[test]
    fn splits_ready_and_queued() {
        let mut s = SenderTxs::new(3);
        for n in [3, 4, 6, 7] {
            s.insert(entry(n));
        }
        assert_eq!(s.ready_len(), 2);
        assert_eq!(s.next_nonce(), 5);
        assert_eq!(nonces(s.ready_iter()), vec![3, 4]);
        assert_eq!(nonces(s.queued_iter()), vec![6, 7]);
        assert!(s.would_be_ready(5) && !s.would_be_ready(6) && !s.would_be_ready(2));
        assert!(s.is_ready(4) && !s.is_ready(5) && !s.is_ready(6));

        // Filling the gap promotes the rest.
        s.insert(entry(5));
        assert_eq!(s.ready_len(), 5);
        assert_eq!(nonces(s.queued_iter()), Vec::<u64>::new());

        // Removing from the middle demotes what follows.
        s.remove(4);
        assert_eq!(s.ready_len(), 1);
        assert_eq!(nonces(s.queued_iter()), vec![5, 6, 7]);
    }

    #[test]
    fn state_nonce_drops_stale_and_promotes() {
        let mut s = SenderTxs::new(0);
        for n in [0, 1, 3] {
            s.insert(entry(n));
        }
        assert_eq!(s.ready_len(), 2);
        let stale = s.set_state_nonce(3);
        assert_eq!(nonces(stale.iter()), vec![0, 1]);
        assert_eq!(s.ready_len(), 1);
        assert_eq!(s.len(), 1);
        let stale = s.set_state_nonce(10);
        assert_eq!(stale.len(), 1);
        assert!(s.is_empty());
        assert_eq!(s.next_nonce(), 10);
    }

    #[test]
    fn pop_last_takes_highest_nonce() {
        let mut s = SenderTxs::new(0);
        for n in [0, 1, 2] {
            s.insert(entry(n));
        }
        assert_eq!(s.pop_last().map(|e| e.tx.nonce()), Some(2));
        assert_eq!(s.ready_len(), 2);
        assert_eq!(s.last().map(|e| e.tx.nonce()), Some(1));
    }

    #[test]
    fn contiguous_from_handles_max_nonce() {
        let mut s = SenderTxs::new(u64::MAX);
        s.insert(entry(u64::MAX));
        assert_eq!(s.ready_len(), 1);
        assert_eq!(s.next_nonce(), u64::MAX);
        assert_eq!(nonces(s.contiguous_from(u64::MAX - 1)), Vec::<u64>::new());
    }
}
