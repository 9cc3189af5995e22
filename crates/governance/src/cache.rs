//! Verdicts remembered by the governance account's storage root. A verdict is a function of the
//! contract's storage alone and the root commits to that storage, so an entry is valid for
//! exactly the states with that root, on every block, and reusing it cannot change an answer.

use std::collections::{HashMap, VecDeque};

use alloy_primitives::{Address, B256};

use crate::permissions::{Permission, Switches};

/// What is known at one storage root.
#[derive(Debug)]
struct RootEntry {
    root: B256,
    switches: Switches,
    verdicts: HashMap<Address, Permission>,
    /// `orgs[id].exists`.
    orgs: HashMap<u32, bool>,
}

/// The entries of the most recently used roots, each map bounded: memory stays fixed however
/// many senders or governance changes a node sees.
#[derive(Debug)]
pub(crate) struct PermitCache {
    /// Most recently used first.
    entries: VecDeque<RootEntry>,
    max_roots: usize,
    max_per_root: usize,
}

impl PermitCache {
    pub(crate) fn new(max_roots: usize, max_per_root: usize) -> Self {
        Self { entries: VecDeque::new(), max_roots: max_roots.max(1), max_per_root }
    }

    /// The entry of `root`, moved to the front.
    fn touch(&mut self, root: B256) -> Option<&mut RootEntry> {
        let at = self.entries.iter().position(|e| e.root == root)?;
        if at != 0 {
            let entry = self.entries.remove(at)?;
            self.entries.push_front(entry);
        }
        self.entries.front_mut()
    }

    /// The switches known at `root`, marking it used.
    pub(crate) fn switches(&mut self, root: B256) -> Option<Switches> {
        self.touch(root).map(|e| e.switches)
    }

    /// The entry of `root`, created (evicting the least recently used root) if missing.
    fn entry(&mut self, root: B256, switches: Switches) -> &mut RootEntry {
        if self.touch(root).is_none() {
            if self.entries.len() >= self.max_roots {
                self.entries.pop_back();
            }
            self.entries.push_front(RootEntry {
                root,
                switches,
                verdicts: HashMap::new(),
                orgs: HashMap::new(),
            });
        }
        &mut self.entries[0]
    }

    /// Remembers the switches read at `root`.
    pub(crate) fn insert_switches(&mut self, root: B256, switches: Switches) {
        self.entry(root, switches);
    }

    pub(crate) fn verdict(&mut self, root: B256, account: Address) -> Option<Permission> {
        self.touch(root)?.verdicts.get(&account).copied()
    }

    pub(crate) fn insert_verdict(
        &mut self,
        root: B256,
        switches: Switches,
        account: Address,
        verdict: Permission,
    ) {
        let max = self.max_per_root;
        let verdicts = &mut self.entry(root, switches).verdicts;
        if verdicts.len() >= max {
            verdicts.clear();
        }
        verdicts.insert(account, verdict);
    }

    pub(crate) fn org_exists(&mut self, root: B256, org: u32) -> Option<bool> {
        self.touch(root)?.orgs.get(&org).copied()
    }

    pub(crate) fn insert_org(&mut self, root: B256, switches: Switches, org: u32, exists: bool) {
        let max = self.max_per_root;
        let orgs = &mut self.entry(root, switches).orgs;
        if orgs.len() >= max {
            orgs.clear();
        }
        orgs.insert(org, exists);
    }

    /// Roots held and verdicts held in all, for the capacity tests.
    #[cfg(test)]
    pub(crate) fn size(&self) -> (usize, usize) {
        (self.entries.len(), self.entries.iter().map(|e| e.verdicts.len() + e.orgs.len()).sum())
    }
}
