//! The rules that decide which blocks are acceptable, who makes them and how final they are,
//! split by who asks.
//!
//! ```text
//!  import, sync, cairn verify ──► HeaderValidator::validate_header(sets, parent, header)
//!                              └► BlockEndRules::import(sets, state, parent, block) ─► BlockEnd
//!                              └► TransactionRules::at(parent's state) ─► TxGate::check
//!  node's block builder ────────► BlockEndRules::build(sets, state, parent) ─► BlockEnd
//!                              └► BlockProduction::beneficiary / seal (proposer(sets, h, r))
//!                              └► TransactionRules: refused senders left out, dropped
//!  pool admission ──────────────► TransactionRules::at(head's state)
//!  REST, JSON-RPC ──────────────► ConsensusReads::validators(sets, height) / signers /
//!                                 proposer_of / evidence / finality
//! ```
//!
//! Every engine (dev, BFT, proof of stake and proof of work) implements the
//! four engine roles; the node holds them, with the chain's account rules
//! ([`TransactionRules`]: everyone, [`AnyTransaction`], unless a private or consortium network
//! governs them), as [`ConsensusRoles`] and never branches on the kind. Each
//! consumer takes only the role it uses, so an engine's reads can change without touching the
//! rules import runs. Every answer that depends on the validator set takes the height it is
//! about and the [`ValidatorSets`] of the chain it judges (the node's store, or `cairn
//! verify`'s replay): proof of stake changes the set from epoch to epoch, and a role that
//! owned a store could not judge a replay.

mod dev;
mod error;
mod evidence;
pub mod pow;
mod rules;
mod sets;
#[cfg(feature = "test-utils")]
pub mod test_utils;
mod transactions;

use std::sync::Arc;

use alloy_primitives::{Address, Bytes, U256};
use cairn_execution::BlockEnd;
use cairn_primitives::{Block, Header};
use cairn_storage::StateView;

pub use dev::DevConsensus;
pub use error::ConsensusError;
pub use evidence::{Equivocation, EquivocationKind, VotedFor};
pub use pow::PowConsensus;
pub use rules::{
    MAX_EXTRA_DATA, child_timestamp_ms, refuse_consensus_data, validate_clock,
    validate_parent_link, validate_validators_hash,
};
pub use sets::ValidatorSets;
pub use transactions::{
    AnyTransaction, NotPermitted, TransactionRules, TxGate, check_transactions,
    check_transactions_beside,
};

/// Header rules.
///
/// Contract: deterministic. The answer depends only on `parent`, `header` and chain data fixed
/// at or before `header.number` (the spec, the validator set of that height), never on local
/// time, peers or the pool, so import, sync and `cairn verify` on any node give the same
/// answer forever. (How far a header may run ahead of the local clock is checked apart, by
/// [`validate_clock`], where a block is first judged.)
///
/// Fork choice: every engine so far has instant finality, so the chain only grows at its head.
/// Of the blocks competing for the next height (proposals of several rounds, a hostile peer's
/// block in sync), the node commits one that `validate_header` accepts against the head (for
/// BFT, the block its commit certificate names), and a committed block is never replaced: a
/// rival for a committed height does not link to the head, which [`validate_parent_link`]
/// refuses. An engine whose blocks can be reverted (proof of work) adds a fork-choice role.
pub trait HeaderValidator: Send + Sync {
    /// Checks `header` against its parent: the shared chain rules plus the engine's seal,
    /// judged by the set `sets` gives for the header's height.
    fn validate_header(
        &self,
        sets: &dyn ValidatorSets,
        parent: &Header,
        header: &Header,
    ) -> Result<(), ConsensusError>;
}

/// Block production: who proposes, who is paid, and how a locally built block is sealed.
///
/// Contract: `seal` is called on a header whose every other field is final; the seal is not
/// part of the block hash, so sealing never changes what was agreed.
pub trait BlockProduction: Send + Sync {
    /// The validator expected to propose block `height` in `round`, if the engine names one
    /// (dev: this node; BFT: in proportion to power over the set of `height`; proof of work
    /// answers `None`: anyone mines).
    fn proposer(
        &self,
        sets: &dyn ValidatorSets,
        height: u64,
        round: u32,
    ) -> Result<Option<Address>, ConsensusError>;

    /// Who the blocks this node builds pay their priority fees (and rewards) to.
    fn beneficiary(&self) -> Address;

    /// The difficulty a child of `parent` made at `timestamp_ms` must carry: proof of work's
    /// (it falls as time passes, so a miner asks again when it refreshes its block's time);
    /// `None` on engines without work.
    fn difficulty(&self, parent: &Header, timestamp_ms: u64) -> Option<U256>;

    /// The seal of a block this node built, or [`Sealing::AfterAgreement`] where the seal is a
    /// proof the network adds once it agrees (BFT's commit certificate).
    fn seal(&self, header: &Header) -> Result<Sealing, ConsensusError>;
}

/// What ends each block besides its transactions: the engine's protocol calls (issuance,
/// rewards, slashing, the next epoch's set) and the consensus data a block carries for them.
///
/// Contract: deterministic like [`HeaderValidator`]: the end depends only on the arguments
/// and chain data fixed before the block, so a builder, every importer and `cairn verify`
/// run the same calls. `state` is the parent's state (the node's snapshot of its head,
/// `cairn verify`'s replay): chain data fixed before the block that an engine may read, such
/// as where a governed epoch ends.
pub trait BlockEndRules: Send + Sync {
    /// The end of a block from elsewhere (a proposal, sync, an audit), which must succeed for
    /// the block to be valid. Refuses consensus data the engine does not use.
    fn import(
        &self,
        sets: &dyn ValidatorSets,
        state: &dyn StateView,
        parent: &Header,
        block: &Block,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError>;

    /// The end of a block this node builds on `parent`: what it will carry and run.
    fn build(
        &self,
        sets: &dyn ValidatorSets,
        state: &dyn StateView,
        parent: &Header,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError>;
}

/// How a locally built block gets its seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sealing {
    /// The seal, ready: the block can be committed at once.
    Sealed(Bytes),
    /// No seal until the validators agree; the engine's driver commits the block then.
    AfterAgreement,
    /// The seal is a nonce found by work (proof of work): the miner searches for it.
    ByWork,
}

/// What the API reads about the engine.
///
/// Contract: answers describe the chain as stored; every method that depends on the validator
/// set takes the height it is asked about, since proof of stake changes the set per epoch.
pub trait ConsensusReads: Send + Sync {
    /// The validators that decide block `height`, with their power, in the set's order.
    fn validators(
        &self,
        sets: &dyn ValidatorSets,
        height: u64,
    ) -> Result<Vec<ValidatorPower>, ConsensusError>;

    /// Who vouched for `header`: the signers of its certificate (of the set of its own
    /// height), or its beneficiary for an engine where one node decides alone.
    fn signers(&self, header: &Header) -> Result<Vec<Address>, ConsensusError>;

    /// Who proposed the stored block `header` (BFT: the proposer of its height's set for the
    /// round its certificate names), if the engine names one.
    fn proposer_of(
        &self,
        sets: &dyn ValidatorSets,
        header: &Header,
    ) -> Result<Option<Address>, ConsensusError>;

    /// Misbehaviour the engine has seen, oldest first.
    fn evidence(&self) -> Vec<Equivocation>;

    /// How final the chain is when its newest block is `head`; engines with instant finality
    /// answer `head` for both.
    fn finality(&self, head: u64) -> Finality;
}

/// The newest blocks that can no longer be reverted, by how sure one can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finality {
    /// The newest block unlikely to be reverted (JSON-RPC's `safe`).
    pub safe: u64,
    /// The newest block that can never be reverted (JSON-RPC's `finalized`).
    pub finalized: u64,
}

/// A validator and its voting power.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidatorPower {
    /// Its address (the one its signatures recover to).
    pub address: Address,
    /// Its weight in every vote.
    pub power: u64,
}

/// One chain's roles: its engine's four and its account rules, held apart so each consumer
/// takes only what it uses.
#[derive(Clone)]
pub struct ConsensusRoles {
    /// The header rules.
    pub validator: Arc<dyn HeaderValidator>,
    /// Block production.
    pub production: Arc<dyn BlockProduction>,
    /// What the API reads.
    pub reads: Arc<dyn ConsensusReads>,
    /// What ends each block.
    pub block_end: Arc<dyn BlockEndRules>,
    /// Which senders a block may carry (and the pool admits).
    pub transactions: Arc<dyn TransactionRules>,
}

impl ConsensusRoles {
    /// The four roles of one engine, on a chain where everyone may transact.
    pub fn of<E>(engine: Arc<E>) -> Self
    where
        E: HeaderValidator + BlockProduction + ConsensusReads + BlockEndRules + 'static,
    {
        Self {
            validator: engine.clone(),
            production: engine.clone(),
            reads: engine.clone(),
            block_end: engine,
            transactions: Arc::new(AnyTransaction),
        }
    }

    /// The same roles under other account rules (a governed chain's membership).
    pub fn with_transactions(self, rules: Arc<dyn TransactionRules>) -> Self {
        Self { transactions: rules, ..self }
    }
}

impl<E> From<Arc<E>> for ConsensusRoles
where
    E: HeaderValidator + BlockProduction + ConsensusReads + BlockEndRules + 'static,
{
    fn from(engine: Arc<E>) -> Self {
        Self::of(engine)
    }
}
