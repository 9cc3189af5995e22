//! Test doubles other crates' tests share.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use alloy_primitives::Address;
use cairn_execution::{BlockEnd, EndOfBlock, ExecError, SystemCaller};
use cairn_primitives::{Block, Header, ValidatorSetRecord};
use cairn_storage::StateView;

use crate::{
    BlockEndRules, ConsensusError, ConsensusReads, ConsensusRoles, DevConsensus, Equivocation,
    Finality, NotPermitted, TransactionRules, TxGate, ValidatorPower, ValidatorSets,
};

/// The dev engine's reads, but safe one block and final two blocks behind the head: an engine
/// whose finality lags, as proof of work's will.
struct Lagging(DevConsensus);

impl ConsensusReads for Lagging {
    fn validators(
        &self,
        sets: &dyn ValidatorSets,
        height: u64,
    ) -> Result<Vec<ValidatorPower>, ConsensusError> {
        self.0.validators(sets, height)
    }

    fn signers(&self, header: &Header) -> Result<Vec<Address>, ConsensusError> {
        self.0.signers(header)
    }

    fn proposer_of(
        &self,
        sets: &dyn ValidatorSets,
        header: &Header,
    ) -> Result<Option<Address>, ConsensusError> {
        self.0.proposer_of(sets, header)
    }

    fn evidence(&self) -> Vec<Equivocation> {
        self.0.evidence()
    }

    fn finality(&self, head: u64) -> Finality {
        Finality { safe: head.saturating_sub(1), finalized: head.saturating_sub(2) }
    }
}

/// The dev engine's rules and production with lagging finality: only what readers are told
/// about finality differs.
pub fn lagging_roles(proposer: Address) -> ConsensusRoles {
    let dev = Arc::new(DevConsensus::new(proposer));
    ConsensusRoles {
        validator: dev.clone(),
        production: dev.clone(),
        reads: Arc::new(Lagging((*dev).clone())),
        block_end: dev,
        transactions: Arc::new(crate::AnyTransaction),
    }
}

/// One set for every height: rules judged apart from any store.
pub struct FixedSets(pub Arc<ValidatorSetRecord>);

impl ValidatorSets for FixedSets {
    fn set_at(&self, _height: u64) -> Result<Arc<ValidatorSetRecord>, ConsensusError> {
        Ok(self.0.clone())
    }
}

/// A block end that records the set a test names for a block (by block number), in import
/// and building alike: how a proof-of-stake epoch end or a governance decision leaves the next
/// set in the block's batch, without their contracts.
pub struct RecordingEnd(pub BTreeMap<u64, ValidatorSetRecord>);

struct RecordEnd(Option<ValidatorSetRecord>);

impl BlockEnd for RecordEnd {
    fn finish(&self, _calls: &mut dyn SystemCaller) -> Result<EndOfBlock, ExecError> {
        Ok(EndOfBlock { next_validators: self.0.clone(), ..Default::default() })
    }
}

impl BlockEndRules for RecordingEnd {
    fn import(
        &self,
        _sets: &dyn ValidatorSets,
        _state: &dyn StateView,
        _parent: &Header,
        block: &Block,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        Ok(Box::new(RecordEnd(self.0.get(&block.header.number).cloned())))
    }

    fn build(
        &self,
        _sets: &dyn ValidatorSets,
        _state: &dyn StateView,
        parent: &Header,
    ) -> Result<Box<dyn BlockEnd + '_>, ConsensusError> {
        Ok(Box::new(RecordEnd(self.0.get(&(parent.number + 1)).cloned())))
    }
}

/// Account rules with a list of refused senders and a list of senders refused only for
/// deployments, ignoring the state: how tests stand in for a governed chain's membership,
/// which may change between the admission of a transaction and the block that would carry it.
#[derive(Debug, Default)]
pub struct DenyList {
    lists: Mutex<Denied>,
}

#[derive(Debug, Default, Clone)]
struct Denied {
    senders: HashSet<Address>,
    deployers: HashSet<Address>,
}

impl DenyList {
    /// Rules refusing every transaction from `senders`.
    pub fn of(senders: impl IntoIterator<Item = Address>) -> Self {
        let list = Self::default();
        for sender in senders {
            list.deny(sender);
        }
        list
    }

    /// From now on `account` may not send transactions.
    pub fn deny(&self, account: Address) {
        self.lock().senders.insert(account);
    }

    /// From now on `account` may send transactions but not create contracts.
    pub fn deny_deploy(&self, account: Address) {
        self.lock().deployers.insert(account);
    }

    /// From now on `account` may do anything again.
    pub fn allow(&self, account: Address) {
        let mut lists = self.lock();
        lists.senders.remove(&account);
        lists.deployers.remove(&account);
    }

    fn lock(&self) -> MutexGuard<'_, Denied> {
        self.lists.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A gate judges by the lists as they were when it was opened, as a real gate judges by one
/// parent state.
impl TransactionRules for DenyList {
    fn at<'a>(&'a self, _state: &'a dyn StateView) -> Result<Box<dyn TxGate + 'a>, ConsensusError> {
        Ok(Box::new(self.lock().clone()))
    }
}

impl TxGate for Denied {
    fn check(
        &mut self,
        sender: Address,
        creates: bool,
    ) -> Result<Result<(), NotPermitted>, ConsensusError> {
        Ok(if self.senders.contains(&sender) {
            Err(NotPermitted::Transact { account: sender })
        } else if creates && self.deployers.contains(&sender) {
            Err(NotPermitted::Deploy { account: sender })
        } else {
            Ok(())
        })
    }
}

/// Finds the work for `header` as it is (one thread, from nonce 0) and seals it: how a test
/// makes a valid proof-of-work block at a test chain's low difficulty. Headers without a
/// difficulty are left as they are.
pub fn solve_work(header: &mut Header) {
    let Some(difficulty) = header.difficulty else { return };
    let never = std::sync::atomic::AtomicBool::new(false);
    if let Some(nonce) = crate::pow::search(header.hash(), difficulty, 0..u64::MAX, &never) {
        header.seal = crate::pow::seal(nonce);
    }
}
