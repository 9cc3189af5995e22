//! What a proof-of-work chain's spec decides: how hard the work starts and may fall, what a
//! block pays its miner, and how deep a block must be before the API calls it safe or final.

use alloy_primitives::U256;
use serde::{Deserialize, Serialize};

use crate::PrimitivesError;

/// Deepest `confirmations` a spec may ask for: a reorg must stay within the store's change
/// sets (1,024 blocks) to be undone, so nothing deeper can be called final either.
pub const MAX_CONFIRMATIONS: u64 = 1024;

/// The parameters of a proof-of-work chain (the spec's `[pow]`). Every field has a default, so
/// a spec names only what it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PowParams {
    /// The genesis block's difficulty and the least any block may carry (at least 1): the
    /// work a lone miner starts from, and the floor difficulty falls to when nobody mines.
    pub min_difficulty: u64,
    /// Wei minted to each block's beneficiary (at most 2^96), besides its priority fees.
    pub block_reward: U256,
    /// Blocks on top of a block before the API calls it `finalized` (1..=1024).
    pub confirmations: u64,
    /// Blocks on top of a block before the API calls it `safe` (at most `confirmations`).
    pub safe_confirmations: u64,
}

impl Default for PowParams {
    /// Frontier's minimum difficulty (131,072), Constantinople's reward (2 ether), and the
    /// twelve and six confirmations exchanges and wallets used on proof-of-work Ethereum.
    fn default() -> Self {
        Self {
            min_difficulty: 131_072,
            block_reward: U256::from(2u64) * U256::from(10u64.pow(18)),
            confirmations: 12,
            safe_confirmations: 6,
        }
    }
}

impl PowParams {
    /// Refuses parameters no chain could run on.
    pub fn validate(&self) -> Result<(), PrimitivesError> {
        let fail = |reason: &str| Err(PrimitivesError::Spec { reason: reason.to_string() });
        if self.min_difficulty == 0 {
            return fail("pow.min_difficulty must be at least 1");
        }
        if self.block_reward > U256::from(1u8) << 96 {
            return fail("pow.block_reward must be at most 2^96 wei");
        }
        if !(1..=MAX_CONFIRMATIONS).contains(&self.confirmations) {
            return fail("pow.confirmations must be between 1 and 1024");
        }
        if self.safe_confirmations > self.confirmations {
            return fail("pow.safe_confirmations must be at most pow.confirmations");
        }
        Ok(())
    }
}
