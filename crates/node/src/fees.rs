//! Fee suggestions, the one set of rules behind JSON-RPC's `eth_gasPrice` and
//! `eth_maxPriorityFeePerGas` and the REST API's `/v1/fees`.
//!
//! The tip is geth's gas price oracle: the 60th percentile of the lowest tips paid in recent
//! blocks, ignoring tips of a few wei, which wallets' own estimators send on a quiet chain and
//! which would otherwise drag the suggestion down to them. The legacy gas price adds the tip to
//! the higher of the latest and the next base fee, so a client that pays it clears the base
//! fee of the pending block simulations check it against (the next one) and the latest one
//! that geth's rule quotes, whichever way the base fee moves.

use alloy_consensus::Transaction as _;
use cairn_primitives::next_base_fee;
use cairn_storage::KvStore;

use crate::{FeeSuggestion, Node, NodeError};

/// Blocks the tip suggestion looks back over.
const TIP_BLOCKS: u64 = 20;
/// Lowest tips sampled per block.
const TIPS_PER_BLOCK: usize = 3;
/// The percentile of the samples suggested.
const TIP_PERCENTILE: usize = 60;
/// Tips at or below this many wei are not samples: they are what fee estimators send when
/// nothing competes for space (geth's oracle ignores tips under 2 wei).
const IGNORED_TIP: u128 = 2;
/// The suggestion when recent blocks carried no tip worth sampling: 1 gwei, as geth and
/// anvil use.
const DEFAULT_TIP: u128 = 1_000_000_000;

impl<K: KvStore> Node<K> {
    /// The fees to offer now, from the newest blocks of one snapshot.
    pub fn fee_suggestion(&self) -> Result<FeeSuggestion, NodeError> {
        let snapshot = self.store.snapshot()?;
        let head = snapshot.head()?;
        let mut samples = Vec::new();
        for number in head.number.saturating_sub(TIP_BLOCKS - 1)..=head.number {
            let Some(block) = snapshot.block(number)? else { continue };
            let base_fee = block.header.base_fee;
            let tips = block.transactions.iter().filter_map(|t| t.effective_tip_per_gas(base_fee));
            samples.extend(lowest_tips(tips));
        }
        let tip = percentile_tip(samples);
        let next = next_base_fee(&head);
        Ok(FeeSuggestion {
            block_number: head.number,
            latest_base_fee: head.base_fee,
            next_base_fee: next,
            tip,
            gas_price: u128::from(head.base_fee.max(next)).saturating_add(tip),
        })
    }
}

/// A block's lowest tips worth sampling.
fn lowest_tips(tips: impl Iterator<Item = u128>) -> Vec<u128> {
    let mut tips: Vec<u128> = tips.filter(|tip| *tip > IGNORED_TIP).collect();
    tips.sort_unstable();
    tips.truncate(TIPS_PER_BLOCK);
    tips
}

/// The suggested tip among the samples, or [`DEFAULT_TIP`] without any.
fn percentile_tip(mut samples: Vec<u128>) -> u128 {
    if samples.is_empty() {
        return DEFAULT_TIP;
    }
    samples.sort_unstable();
    samples[(samples.len() - 1) * TIP_PERCENTILE / 100]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tips_of_a_few_wei_are_not_samples() {
        assert_eq!(lowest_tips([1, 2, 1, 2].into_iter()), Vec::<u128>::new());
        assert_eq!(lowest_tips([9, 1, 3, 7, 5].into_iter()), vec![3, 5, 7]);
        assert_eq!(percentile_tip(Vec::new()), DEFAULT_TIP);
    }

    #[test]
    fn the_suggestion_is_the_sixtieth_percentile() {
        assert_eq!(percentile_tip(vec![5, 1, 4, 2, 3]), 3);
        assert_eq!(percentile_tip((1..=10).collect()), 6);
        assert_eq!(percentile_tip(vec![42]), 42);
    }
}
