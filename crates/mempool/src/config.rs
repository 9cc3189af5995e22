//! Pool limits and policy knobs.

/// Limits and policy for the transaction pool; the node builds it from its chain spec and CLI so
/// that operators can size the pool to their machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// Chain id every transaction must be signed for (EIP-155 replay protection).
    pub chain_id: u64,
    /// A transaction whose gas limit exceeds this could never be included in a block.
    pub block_gas_limit: u64,
    /// Largest accepted EIP-2718 encoding in bytes; bounds memory a peer can make us hold.
    pub max_tx_size: usize,
    /// Most transactions one sender may have in the pool, so one account cannot fill it.
    pub max_per_sender: usize,
    /// Most transactions in the pool overall; beyond this the lowest payers are evicted.
    pub max_total: usize,
    /// Percentage by which both fee caps must rise for a same-nonce replacement, so that
    /// replacing a transaction costs the sender something and cannot be used to spam the network.
    pub price_bump_percent: u64,
    /// Minimum priority fee (tip, or gas price for legacy) per gas the node is willing to relay.
    pub min_priority_fee: u128,
}

impl Default for PoolConfig {
    /// Mainnet-like defaults: chain id 1, 30M block gas, 128 KiB transactions, 64 per sender,
    /// 10 000 in total, 10% replacement bump, no minimum tip.
    fn default() -> Self {
        Self {
            chain_id: 1,
            block_gas_limit: 30_000_000,
            max_tx_size: 128 * 1024,
            max_per_sender: 64,
            max_total: 10_000,
            price_bump_percent: 10,
            min_priority_fee: 0,
        }
    }
}
