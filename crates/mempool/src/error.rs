//! Why a transaction was refused.

use alloy_primitives::{Address, U256};

/// Why the pool refused a transaction. Each variant carries the numbers involved, and the
/// `Display` strings start with the phrases geth and other Ethereum clients return, so wallets
/// and tooling that match on them keep working against Cairn's JSON-RPC.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum PoolError {
    /// The bytes are not a valid EIP-2718 transaction (bad RLP, trailing bytes, empty input).
    #[error("invalid transaction encoding: {0}")]
    Decode(String),
    /// The encoded transaction is larger than the pool accepts.
    #[error("oversized data: transaction size {size}, limit {max}")]
    OversizedData {
        /// Encoded size in bytes.
        size: usize,
        /// Configured maximum in bytes.
        max: usize,
    },
    /// The signature does not recover to a sender (malformed, or high-s per EIP-2).
    #[error("invalid sender signature")]
    InvalidSignature,
    /// Signed for another chain, or (legacy, `got: None`) without EIP-155 replay protection.
    #[error("invalid chain id: got {got:?}, expected {expected}")]
    InvalidChainId {
        /// Chain id in the transaction; `None` for a pre-EIP-155 legacy transaction.
        got: Option<u64>,
        /// This chain's id.
        expected: u64,
    },
    /// An EIP-2718 type the node does not execute (blob 0x03, set-code 0x04, or unknown).
    #[error("transaction type not supported: {0:#04x}")]
    UnsupportedType(u8),
    /// EIP-2681 caps account nonces below 2^64-1, so a transaction with that nonce could never
    /// execute (its sender's nonce would overflow).
    #[error("nonce has max value: tx nonce {0}, the highest allowed is 2^64-2 (EIP-2681)")]
    NonceMax(u64),
    /// The nonce was already used by a committed transaction of this sender.
    #[error("nonce too low: next nonce {state}, tx nonce {tx}")]
    NonceTooLow {
        /// Nonce of the refused transaction.
        tx: u64,
        /// The sender's nonce in the current state.
        state: u64,
    },
    /// The sender cannot pay the worst-case cost of this transaction (plus its earlier pooled
    /// ones).
    #[error("insufficient funds for gas * price + value: balance {balance}, cost {cost}")]
    InsufficientFunds {
        /// Worst-case cost `gas_limit * max_fee + value`, including earlier pooled transactions
        /// of the same sender.
        cost: U256,
        /// The sender's balance.
        balance: U256,
    },
    /// The gas limit is above the block gas limit, so it could never be included.
    #[error("exceeds block gas limit: gas {gas}, limit {limit}")]
    ExceedsBlockGasLimit {
        /// The transaction's gas limit.
        gas: u64,
        /// The block gas limit.
        limit: u64,
    },
    /// The gas limit does not even cover the intrinsic cost, so execution would fail at once.
    #[error("intrinsic gas too low: gas {gas}, minimum needed {intrinsic}")]
    IntrinsicGasTooLow {
        /// The transaction's gas limit.
        gas: u64,
        /// Intrinsic gas of the transaction.
        intrinsic: u64,
    },
    /// A contract creation whose init code is larger than EIP-3860 allows.
    #[error("max initcode size exceeded: code size {size}, limit {max}")]
    MaxInitCodeSizeExceeded {
        /// Init code size in bytes.
        size: usize,
        /// EIP-3860 limit in bytes.
        max: usize,
    },
    /// The priority fee (or legacy gas price) is below the node's configured minimum.
    #[error("transaction underpriced: tip {tip}, minimum {min}")]
    Underpriced {
        /// The transaction's priority fee per gas (gas price for legacy).
        tip: u128,
        /// The configured minimum.
        min: u128,
    },
    /// An EIP-1559 transaction offers a larger tip than its total fee cap, which is malformed.
    #[error("max priority fee per gas higher than max fee per gas: tip {tip}, max fee {max_fee}")]
    TipAboveFeeCap {
        /// `max_priority_fee_per_gas`.
        tip: u128,
        /// `max_fee_per_gas`.
        max_fee: u128,
    },
    /// A same-nonce transaction is pooled and the new one does not raise both fee caps by the
    /// configured bump.
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// A transaction with this hash is already pooled.
    #[error("already known")]
    AlreadyKnown,
    /// The sender already has the most transactions allowed per sender.
    #[error("account limit exceeded: sender {sender} has {max} transactions pooled")]
    SenderLimit {
        /// The sender.
        sender: Address,
        /// The per-sender cap.
        max: usize,
    },
    /// The pool is full and the new transaction pays no more than anything that could be evicted.
    #[error("txpool is full: {max} transactions")]
    PoolFull {
        /// The total cap.
        max: usize,
    },
    /// The chain's account rules (a private or consortium network's membership) do not let
    /// the sender transact. The node judges this before the pool sees the transaction; the
    /// text is the consensus rule's own.
    #[error("account not permitted: {account}")]
    AccountNotPermitted {
        /// The sender.
        account: Address,
    },
    /// The chain's account rules let the sender transact but not create contracts, and this
    /// transaction has no `to`.
    #[error("account not permitted to deploy contracts: {account}")]
    DeployNotPermitted {
        /// The sender.
        account: Address,
    },
}

impl PoolError {
    /// Whether every node refuses this transaction whatever its state or settings (bad
    /// encoding, signature, chain or fixed limits): a peer that relays it is misbehaving.
    /// Refusals that depend on this node's state (nonce, balance, pool room, price floor,
    /// membership, the block gas limit a governed chain may lower, which a peer a block behind
    /// may see otherwise) are not.
    pub fn is_invalid_everywhere(&self) -> bool {
        matches!(
            self,
            Self::Decode(_)
                | Self::OversizedData { .. }
                | Self::InvalidSignature
                | Self::InvalidChainId { .. }
                | Self::UnsupportedType(_)
                | Self::NonceMax(_)
                | Self::IntrinsicGasTooLow { .. }
                | Self::MaxInitCodeSizeExceeded { .. }
                | Self::TipAboveFeeCap { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_uses_the_phrases_clients_recognise() {
        let cases = [
            (PoolError::Decode("x".into()), "invalid transaction encoding"),
            (PoolError::OversizedData { size: 2, max: 1 }, "oversized data"),
            (PoolError::InvalidSignature, "invalid sender signature"),
            (PoolError::InvalidChainId { got: None, expected: 1 }, "invalid chain id"),
            (PoolError::UnsupportedType(3), "transaction type not supported"),
            (PoolError::NonceTooLow { tx: 1, state: 2 }, "nonce too low"),
            (PoolError::NonceMax(u64::MAX), "nonce has max value"),
            (
                PoolError::InsufficientFunds { cost: U256::from(2), balance: U256::from(1) },
                "insufficient funds for gas * price + value",
            ),
            (PoolError::ExceedsBlockGasLimit { gas: 2, limit: 1 }, "exceeds block gas limit"),
            (PoolError::IntrinsicGasTooLow { gas: 1, intrinsic: 2 }, "intrinsic gas too low"),
            (PoolError::MaxInitCodeSizeExceeded { size: 2, max: 1 }, "max initcode size exceeded"),
            (PoolError::Underpriced { tip: 1, min: 2 }, "transaction underpriced"),
            (
                PoolError::TipAboveFeeCap { tip: 2, max_fee: 1 },
                "max priority fee per gas higher than max fee per gas",
            ),
            (PoolError::ReplacementUnderpriced, "replacement transaction underpriced"),
            (PoolError::AlreadyKnown, "already known"),
            (PoolError::SenderLimit { sender: Address::ZERO, max: 1 }, "account limit exceeded"),
            (PoolError::PoolFull { max: 1 }, "txpool is full"),
            (PoolError::AccountNotPermitted { account: Address::ZERO }, "account not permitted"),
            (
                PoolError::DeployNotPermitted { account: Address::ZERO },
                "account not permitted to deploy contracts",
            ),
        ];
        for (err, phrase) in cases {
            assert!(err.to_string().starts_with(phrase), "{err}");
        }
    }

    #[test]
    fn only_state_independent_refusals_blame_the_peer() {
        assert!(PoolError::InvalidSignature.is_invalid_everywhere());
        assert!(PoolError::InvalidChainId { got: Some(2), expected: 1 }.is_invalid_everywhere());
        assert!(PoolError::NonceMax(u64::MAX).is_invalid_everywhere());
        assert!(!PoolError::NonceTooLow { tx: 1, state: 2 }.is_invalid_everywhere());
        assert!(!PoolError::AlreadyKnown.is_invalid_everywhere());
        assert!(!PoolError::Underpriced { tip: 1, min: 2 }.is_invalid_everywhere());
        assert!(!PoolError::PoolFull { max: 1 }.is_invalid_everywhere());
        assert!(!PoolError::ExceedsBlockGasLimit { gas: 2, limit: 1 }.is_invalid_everywhere());
        let account = Address::repeat_byte(7);
        assert!(!PoolError::AccountNotPermitted { account }.is_invalid_everywhere());
        assert!(!PoolError::DeployNotPermitted { account }.is_invalid_everywhere());
    }

    #[test]
    fn permission_refusals_name_the_account_checksummed() {
        let account: Address =
            "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359".parse().expect("an address");
        assert_eq!(
            PoolError::AccountNotPermitted { account }.to_string(),
            "account not permitted: 0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
        );
        assert_eq!(
            PoolError::DeployNotPermitted { account }.to_string(),
            "account not permitted to deploy contracts: 0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
        );
    }
}
