//! Cairn's transaction pool.
//!
//! The pool admits signed Ethereum transactions (legacy with EIP-155 replay protection,
//! EIP-2930 and EIP-1559), checks each one once on entry (encoding, size, signature, chain id,
//! fees, intrinsic gas, nonce and balance against the current state), and keeps them per sender
//! split into *pending* (nonces contiguous from the account's state nonce, executable now) and
//! *queued* (waiting behind a nonce gap). Block building asks [`Pool::select`] for the best
//! transactions at a base fee; after a block is committed [`Pool::on_block`] prunes what was
//! included or made stale. When a governed chain's rules change, [`Pool::set_block_gas_limit`]
//! and [`Pool::retain_permitted`] remove what blocks on the new head could no longer carry.
//!
//! Blob (EIP-4844) and set-code (EIP-7702) transactions are rejected with
//! [`PoolError::UnsupportedType`]: the node does not execute them.
//!
//! The pool is a plain single-threaded data structure; the node wraps it in a lock. The costly,
//! stateless part of admission (decoding and signature recovery) is available separately as
//! [`Pool::recover`] so callers can run it in parallel, outside that lock.

mod config;
mod error;
mod pool;
mod sender;
mod state;
mod tx;
mod validate;

pub use config::PoolConfig;
pub use error::PoolError;
pub use pool::Pool;
pub use state::AccountView;
pub use tx::PooledTx;
pub use validate::{MAX_INITCODE_SIZE, intrinsic_gas};
