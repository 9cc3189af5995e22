//! The rules that decide which blocks are acceptable and who proposes them.
//!
//! ```text
//!  node ──► Consensus::proposer / seal ──► new block
//!  node ──► Consensus::validate_header(parent, header) ──► import or audit
//! ```
//!
//! Every engine (dev today; BFT, proof of stake and proof of work later) implements
//! [`Consensus`], so the node holds one `Arc<dyn Consensus>` and never branches on the kind.

mod dev;
mod error;
mod rules;

use alloy_primitives::{Address, Bytes};
use cairn_primitives::Header;

pub use dev::DevConsensus;
pub use error::ConsensusError;
pub use rules::validate_parent_link;

/// A consensus engine. Contract: `validate_header` is deterministic and depends only on its
/// arguments and the engine's configuration, so every node and every audit agrees.
pub trait Consensus: Send + Sync {
    /// Checks `header` against its parent: the shared chain rules plus the engine's seal.
    fn validate_header(&self, parent: &Header, header: &Header) -> Result<(), ConsensusError>;

    /// Who proposes (and earns the priority fees of) the next block built locally.
    fn proposer(&self) -> Address;

    /// The seal for a locally built header (everything else in it already final).
    fn seal(&self, header: &Header) -> Bytes;
}
