//! The pool's view of chain state.

use alloy_primitives::{Address, U256};

/// What the pool needs to know about the chain's current state; the node implements it over its
/// store, and tests implement it over a map. Kept this small so the pool does not depend on the
/// storage crate.
pub trait AccountView {
    /// The account's nonce in the latest committed state (the next nonce it may use).
    fn nonce(&self, who: Address) -> u64;
    /// The account's balance in the latest committed state, in wei.
    fn balance(&self, who: Address) -> U256;
}

impl<T: AccountView + ?Sized> AccountView for &T {
    fn nonce(&self, who: Address) -> u64 {
        (**self).nonce(who)
    }
    fn balance(&self, who: Address) -> U256 {
        (**self).balance(who)
    }
}
