//! The rules that decide which blocks are acceptable and who proposes them.
//!
//! ```text
//!  node ──► Consensus::proposer / seal ──► new block
//!  node ──► Consensus::validate_header(parent, header) ──► import or audit
//!  API  ──► Consensus::validators / signers / evidence / finalized_height ──► who decides, how final
//! ```
//!
//! Every engine (dev today; BFT, proof of stake and proof of work later) implements
//! [`Consensus`], so the node holds one `Arc<dyn Consensus>` and never branches on the kind.

mod dev;
mod error;
mod evidence;
mod rules;

use alloy_primitives::{Address, Bytes};
use cairn_primitives::Header;

pub use dev::DevConsensus;
pub use error::ConsensusError;
pub use evidence::{Equivocation, EquivocationKind, VotedFor};
pub use rules::{child_timestamp_ms, validate_clock, validate_parent_link};

/// A consensus engine. Contract: `validate_header` is deterministic and depends only on its
/// arguments and the engine's configuration, so every node and every audit agrees.
///
/// Fork choice: every engine so far has instant finality, so the chain only grows at its head.
/// Of the blocks competing for the next height (proposals of several rounds, a hostile peer's
/// block in sync), the node commits one that `validate_header` accepts against the head (for
/// BFT, the block its commit certificate names), and a committed block is never replaced: a
/// rival for a committed height does not link to the head, which `validate_parent_link`
/// refuses. An engine whose blocks can be reverted (proof of work) will need a choice between
/// branches; this trait gains one with it.
pub trait Consensus: Send + Sync {
    /// Checks `header` against its parent: the shared chain rules plus the engine's seal.
    fn validate_header(&self, parent: &Header, header: &Header) -> Result<(), ConsensusError>;

    /// Who proposes (and earns the priority fees of) the next block built locally.
    fn proposer(&self) -> Address;

    /// The seal for a locally built header (everything else in it already final).
    fn seal(&self, header: &Header) -> Bytes;

    /// Who decides which blocks are final, and with what weight.
    fn validators(&self) -> Vec<ValidatorPower>;

    /// The validators that vouched for `header`: the signers of its certificate, or the proposer
    /// for an engine where one validator decides alone.
    fn signers(&self, header: &Header) -> Result<Vec<Address>, ConsensusError>;

    /// Misbehaviour the engine has seen, oldest first.
    fn evidence(&self) -> Vec<Equivocation>;

    /// The highest block that can no longer be reverted when the newest is `head`; engines with
    /// instant finality answer `head` itself.
    fn finalized_height(&self, head: u64) -> u64;
}

/// A validator and its voting power.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidatorPower {
    /// Its address (the one its signatures recover to).
    pub address: Address,
    /// Its weight in every vote.
    pub power: u64,
}
