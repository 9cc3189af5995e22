//! Who may send transactions and create contracts on a governed chain, read straight from the
//! governance contract's storage at a block's parent state: the check every block path and
//! pool admission make for each transaction, so it must cost a hash lookup, not an EVM call,
//! and must answer exactly what the contract's `canTransact` and `canDeploy` answer.

use std::sync::{Mutex, MutexGuard, PoisonError};

use alloy_primitives::{Address, B256};
use cairn_consensus::{ConsensusError, NotPermitted, TransactionRules, TxGate};
use cairn_storage::StateView;

use crate::cache::PermitCache;
use crate::layout::{self, AccountWord, ROLE_ADMIN};
use crate::params::storage_root;
use crate::{GOVERNANCE_ADDRESS, GovernanceError};

/// Storage roots whose verdicts are kept: the head's, the one a block being imported or built
/// is judged at, and a couple more for an audit or a reorganised head.
pub const CACHED_ROOTS: usize = 4;
/// Verdicts (and organisation flags) kept per root; a full map is emptied and refilled.
pub const VERDICTS_PER_ROOT: usize = 65_536;

/// What one account may do at a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permission {
    /// The contract's `canTransact`: it may send transactions.
    pub transact: bool,
    /// The contract's `canDeploy`: it may send a transaction that creates a contract.
    pub deploy: bool,
}

impl Permission {
    const ALL: Self = Self { transact: true, deploy: true };
}

/// The account switches in force at a root (`permissionAccounts`, `permissionDeployers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Switches {
    accounts: bool,
    deployers: bool,
}

impl Switches {
    fn read(state: &dyn StateView) -> Result<Self, GovernanceError> {
        let word = state.storage(GOVERNANCE_ADDRESS, layout::SWITCHES)?;
        Ok(Self { accounts: word.byte(0) != 0, deployers: word.byte(2) != 0 })
    }
}

/// The account rules of a governed chain. One instance lives as long as the node, so its
/// cache serves admission and the blocks built and imported at the same governance state;
/// a change to any governance slot changes the account's storage root and with it the key,
/// so a stale verdict is never used.
#[derive(Debug)]
pub struct GovernedAccounts {
    cache: Mutex<PermitCache>,
}

impl Default for GovernedAccounts {
    fn default() -> Self {
        Self::new()
    }
}

impl GovernedAccounts {
    /// Rules with a cache of [`CACHED_ROOTS`] roots of [`VERDICTS_PER_ROOT`] verdicts each.
    pub fn new() -> Self {
        Self::with_capacity(CACHED_ROOTS, VERDICTS_PER_ROOT)
    }

    /// Rules with a cache of `roots` roots of `per_root` verdicts each (at least one root).
    pub fn with_capacity(roots: usize, per_root: usize) -> Self {
        Self { cache: Mutex::new(PermitCache::new(roots, per_root)) }
    }

    /// The judge of accounts at `state`, a block's parent state. One account read (the
    /// governance account's storage root) and, on a root not seen before, one slot read.
    ///
    /// `state` must be a committed state (a store snapshot or a historical state): the cache
    /// trusts its account record's storage root to commit to its storage, which a simulation's
    /// pending state (it keeps a changed account's old root) does not.
    pub fn at<'a>(&'a self, state: &'a dyn StateView) -> Result<AccountGate<'a>, GovernanceError> {
        let root = storage_root(state)?;
        let cached = self.lock().switches(root);
        let switches = match cached {
            Some(switches) => switches,
            None => {
                let switches = Switches::read(state)?;
                self.lock().insert_switches(root, switches);
                switches
            }
        };
        Ok(AccountGate { rules: self, state, root, switches })
    }

    /// The cache holds plain maps that every update leaves consistent, so a panic elsewhere
    /// while it was locked leaves nothing to repair.
    fn lock(&self) -> MutexGuard<'_, PermitCache> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The verdicts of one state. Storage is read outside the cache's lock, so parallel
/// admission and import do not wait on each other's reads.
pub struct AccountGate<'a> {
    rules: &'a GovernedAccounts,
    state: &'a dyn StateView,
    root: B256,
    switches: Switches,
}

impl AccountGate<'_> {
    /// What `account` may do: with both switches off, everything and nothing is read;
    /// otherwise `accounts[account]` and, for an account of an organisation,
    /// `orgs[org].exists` (an account counts only while its organisation exists).
    pub fn permission(&self, account: Address) -> Result<Permission, GovernanceError> {
        if !self.switches.accounts && !self.switches.deployers {
            return Ok(Permission::ALL);
        }
        if let Some(verdict) = self.rules.lock().verdict(self.root, account) {
            return Ok(verdict);
        }
        let verdict = self.read(account)?;
        self.rules.lock().insert_verdict(self.root, self.switches, account, verdict);
        Ok(verdict)
    }

    fn read(&self, account: Address) -> Result<Permission, GovernanceError> {
        let word = self.state.storage(GOVERNANCE_ADDRESS, layout::account_slot(account))?;
        let entry = AccountWord::decode(word);
        let member = entry.org != 0 && self.org_exists(entry.org)?;
        let transact = !self.switches.accounts || member;
        let deploy = transact
            && (!self.switches.deployers
                || (member && (entry.role == ROLE_ADMIN || entry.deployer)));
        Ok(Permission { transact, deploy })
    }

    fn org_exists(&self, org: u32) -> Result<bool, GovernanceError> {
        if let Some(exists) = self.rules.lock().org_exists(self.root, org) {
            return Ok(exists);
        }
        let word = self.state.storage(GOVERNANCE_ADDRESS, layout::org_exists_slot(org))?;
        let exists = word.byte(0) != 0;
        self.rules.lock().insert_org(self.root, self.switches, org, exists);
        Ok(exists)
    }
}

/// The account rules role of a governed chain: every block path and admission judge senders
/// through this.
impl TransactionRules for GovernedAccounts {
    fn at<'a>(&'a self, state: &'a dyn StateView) -> Result<Box<dyn TxGate + 'a>, ConsensusError> {
        Ok(Box::new(GovernedAccounts::at(self, state)?))
    }
}

impl TxGate for AccountGate<'_> {
    fn check(
        &mut self,
        sender: Address,
        creates: bool,
    ) -> Result<Result<(), NotPermitted>, ConsensusError> {
        let permission = self.permission(sender)?;
        Ok(if !permission.transact {
            Err(NotPermitted::Transact { account: sender })
        } else if creates && !permission.deploy {
            Err(NotPermitted::Deploy { account: sender })
        } else {
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use alloy_primitives::KECCAK256_EMPTY;

    use super::*;
    use crate::test_state::MapState;

    fn who(n: u8) -> Address {
        Address::repeat_byte(n)
    }

    const YES: Permission = Permission { transact: true, deploy: true };
    const NO: Permission = Permission { transact: false, deploy: false };
    const NO_DEPLOY: Permission = Permission { transact: true, deploy: false };

    fn verdicts(state: &MapState, accounts: &[Address]) -> Vec<Permission> {
        let rules = GovernedAccounts::new();
        let gate = rules.at(state).unwrap();
        accounts.iter().map(|a| gate.permission(*a).unwrap()).collect()
    }

    #[test]
    fn a_missing_contract_is_an_error_never_everyone_allowed() {
        let rules = GovernedAccounts::new();
        let mut absent = MapState::new(1).switches(true, false);
        absent.account = None;
        assert!(matches!(rules.at(&absent), Err(GovernanceError::NoContract)));
        let mut codeless = MapState::new(1).switches(true, false);
        codeless.account.as_mut().unwrap().code_hash = KECCAK256_EMPTY;
        assert!(matches!(rules.at(&codeless), Err(GovernanceError::NoContract)));
        assert!(matches!(crate::read_params(&codeless), Err(GovernanceError::NoContract)));
        assert!(matches!(crate::EpochState::read(&absent), Err(GovernanceError::NoContract)));
    }

    #[test]
    fn verdicts_follow_the_contract_rules() {
        let (admin, member, deployer, orphan, outsider) = (who(1), who(2), who(3), who(4), who(5));
        let state = |accounts, deployers| {
            MapState::new(1)
                .switches(accounts, deployers)
                .org(1, true)
                .org(2, false)
                .account(admin, 1, ROLE_ADMIN, false)
                .account(member, 1, 2, false)
                .account(deployer, 1, 2, true)
                // Its organisation was removed: no longer a member.
                .account(orphan, 2, ROLE_ADMIN, true)
        };
        let all = [admin, member, deployer, orphan, outsider];
        assert_eq!(verdicts(&state(true, false), &all), [YES, YES, YES, NO, NO]);
        assert_eq!(verdicts(&state(true, true), &all), [YES, NO_DEPLOY, YES, NO, NO]);
        // Deployers only: everyone transacts, only admins and marked members deploy.
        assert_eq!(
            verdicts(&state(false, true), &all),
            [YES, NO_DEPLOY, YES, NO_DEPLOY, NO_DEPLOY]
        );
        let open = state(false, false);
        assert_eq!(verdicts(&open, &all), [YES; 5]);
        assert_eq!(open.take_reads(), 1, "both switches off: the switches word alone is read");
    }

    #[test]
    fn a_root_is_read_once_and_a_new_root_never_reuses_its_verdicts() {
        let member = who(2);
        let rules = GovernedAccounts::new();
        let before =
            MapState::new(1).switches(true, false).org(1, true).account(member, 1, 2, false);
        assert_eq!(rules.at(&before).unwrap().permission(member).unwrap(), YES);
        assert_eq!(before.take_reads(), 3, "switches, the account, its organisation");
        assert_eq!(rules.at(&before).unwrap().permission(member).unwrap(), YES);
        assert_eq!(before.take_reads(), 0, "the same root answers from the cache");

        // The member is removed: new storage, new root, and the verdict is read again.
        let after = MapState::new(2).switches(true, false).org(1, true);
        assert_eq!(rules.at(&after).unwrap().permission(member).unwrap(), NO);
        assert_eq!(after.take_reads(), 2);
        // The organisation is removed instead: its account word is unchanged, its flag is not.
        let org_removed =
            MapState::new(3).switches(true, false).org(1, false).account(member, 1, 2, false);
        assert_eq!(rules.at(&org_removed).unwrap().permission(member).unwrap(), NO);
        // The old state (an older parent, e.g. in an audit) still answers as it did.
        assert_eq!(rules.at(&before).unwrap().permission(member).unwrap(), YES);
        assert_eq!(before.take_reads(), 0);
        assert_eq!(rules.at(&after).unwrap().permission(member).unwrap(), NO);
        assert_eq!(after.take_reads(), 0);
    }

    #[test]
    fn the_cache_is_bounded_in_roots_and_in_verdicts_per_root() {
        let rules = GovernedAccounts::with_capacity(2, 3);
        let states: Vec<_> = (1..=3).map(|r| MapState::new(r).switches(true, false)).collect();
        for state in &states {
            let gate = rules.at(state).unwrap();
            for n in 0..10 {
                assert_eq!(gate.permission(who(n)).unwrap(), NO);
            }
            let (roots, verdicts) = rules.lock().size();
            assert!(roots <= 2 && verdicts <= 2 * 3, "{roots} roots, {verdicts} verdicts");
        }
        // The first root was evicted: it is read again, and answers the same.
        states[0].take_reads();
        assert_eq!(rules.at(&states[0]).unwrap().permission(who(9)).unwrap(), NO);
        assert_eq!(states[0].take_reads(), 2, "switches and the account, read again");
        // The newest root kept its latest verdicts.
        states[2].take_reads();
        assert_eq!(rules.at(&states[2]).unwrap().permission(who(9)).unwrap(), NO);
        assert_eq!(states[2].take_reads(), 0);
    }
}
