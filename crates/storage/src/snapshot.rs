use std::collections::BTreeMap;
use std::ops::ControlFlow;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_rlp::Encodable;
use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY};
use cairn_primitives::{Block, Header, Log, Receipt, TxEnvelope, ValidatorSetRecord};
use cairn_trie::{NodeReader, Trie, TrieError};

use crate::codec::{
    ADDRESS_RECEIVED, ADDRESS_SENT, AccountPrev, CHAIN_ID_KEY, ChangeSet, HEAD_KEY, SlotPrev,
    address_tx_key, decode_exact, decode_number, decode_u256, number_key, side_block_key,
    split_address_tx_key, split_storage_key, storage_key, validator_set_key,
};
use crate::{Account, KvRead, StateChanges, StateUpdate, StateView, StoreError, Table, WriteBatch};

/// Where a transaction sits in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    /// Block number.
    pub block: u64,
    /// Index within the block.
    pub index: u32,
}

/// A transaction an address took part in, from the account history index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressTx {
    /// Where the transaction sits.
    pub location: TxLocation,
    /// The address sent it.
    pub sent: bool,
    /// The address received it, or is the contract it created.
    pub received: bool,
}

/// A storage slot's value with its Merkle proof against the account's storage root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageProof {
    /// The slot.
    pub slot: B256,
    /// Its value (zero if unset).
    pub value: U256,
    /// Trie nodes from the storage root towards the slot.
    pub proof: Vec<Bytes>,
}

/// An account with its Merkle proof against a block's state root, as `eth_getProof` returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProof {
    /// The account, or `None` if it does not exist (the proof then shows its absence).
    pub account: Option<Account>,
    /// Trie nodes from the state root towards the account.
    pub proof: Vec<Bytes>,
    /// Requested slots.
    pub storage: Vec<StorageProof>,
}

/// A consistent read view of the chain at one moment.
#[derive(Debug)]
pub struct Snapshot<R> {
    kv: R,
}

/// Lets the trie read nodes from the snapshot's table.
struct Nodes<'a, R>(&'a R);

impl<R: KvRead> NodeReader for Nodes<'_, R> {
    fn node(&self, hash: &B256) -> Result<Option<Bytes>, TrieError> {
        self.0
            .get(Table::TrieNodes, hash.as_slice())
            .map(|v| v.map(Bytes::from))
            .map_err(|e| TrieError::Backend(e.to_string()))
    }
}

impl<R: KvRead> Snapshot<R> {
    pub(crate) fn new(kv: R) -> Self {
        Self { kv }
    }

    /// Height of the newest committed block, or `None` before genesis is written.
    pub fn head_number(&self) -> Result<Option<u64>, StoreError> {
        self.kv.get(Table::Meta, HEAD_KEY)?.map(|b| decode_number(&b)).transpose()
    }

    /// The chain id the store was created for.
    pub fn chain_id(&self) -> Result<Option<u64>, StoreError> {
        self.kv.get(Table::Meta, CHAIN_ID_KEY)?.map(|b| decode_number(&b)).transpose()
    }

    /// The newest committed header.
    pub fn head(&self) -> Result<Header, StoreError> {
        let number =
            self.head_number()?.ok_or_else(|| StoreError::corrupt("head", "no genesis"))?;
        self.header(number)?.ok_or_else(|| StoreError::corrupt("header", "head header missing"))
    }

    /// The canonical header at `number`.
    pub fn header(&self, number: u64) -> Result<Option<Header>, StoreError> {
        self.kv
            .get(Table::Headers, &number_key(number))?
            .map(|b| decode_exact("header", &b))
            .transpose()
    }

    /// The canonical block at `number`.
    pub fn block(&self, number: u64) -> Result<Option<Block>, StoreError> {
        let Some(header) = self.header(number)? else { return Ok(None) };
        let body = self
            .kv
            .get(Table::Bodies, &number_key(number))?
            .ok_or_else(|| StoreError::corrupt("body", format!("block {number} has no body")))?;
        let transactions: Vec<TxEnvelope> = decode_exact("body", &body)?;
        let consensus = self
            .kv
            .get(Table::BlockConsensus, &number_key(number))?
            .map(|b| decode_exact("block consensus data", &b))
            .transpose()?;
        Ok(Some(Block { consensus, header, transactions }))
    }

    /// The logs block `number`'s protocol calls emitted (empty when it made none).
    pub fn system_logs(&self, number: u64) -> Result<Vec<Log>, StoreError> {
        self.kv
            .get(Table::SystemLogs, &number_key(number))?
            .map(|b| decode_exact("system logs", &b))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// The newest stored validator set deciding `height`: the record with the greatest first
    /// height at or below it. `None` when no block has recorded one (the spec's genesis set
    /// then decides, on every chain whose set never changes).
    pub fn validator_set_record(
        &self,
        height: u64,
    ) -> Result<Option<ValidatorSetRecord>, StoreError> {
        let mut found = None;
        self.kv.scan_prefix_from(
            Table::ValidatorSets,
            &[],
            &validator_set_key(height),
            &mut |_, value| {
                found = Some(value.to_vec());
                Ok(ControlFlow::Break(()))
            },
        )?;
        found.map(|b| decode_exact("validator set", &b)).transpose()
    }

    /// The number of the canonical block with this hash.
    pub fn block_number(&self, hash: B256) -> Result<Option<u64>, StoreError> {
        self.kv.get(Table::BlockNumbers, hash.as_slice())?.map(|b| decode_number(&b)).transpose()
    }

    /// The total difficulty of the chain ending in the block with this hash (canonical or a
    /// side block), on a chain with work.
    pub fn total_difficulty(&self, hash: B256) -> Result<Option<U256>, StoreError> {
        self.kv.get(Table::TotalWork, hash.as_slice())?.map(|b| decode_u256(&b)).transpose()
    }

    /// The block off the canonical chain with this number and hash, if the store keeps it.
    pub fn side_block(&self, number: u64, hash: B256) -> Result<Option<Block>, StoreError> {
        self.kv
            .get(Table::SideBlocks, &side_block_key(number, hash))?
            .map(|b| decode_exact("side block", &b))
            .transpose()
    }

    /// The hashes of the blocks off the canonical chain kept at height `number`.
    pub fn side_block_hashes(&self, number: u64) -> Result<Vec<B256>, StoreError> {
        let mut hashes = Vec::new();
        self.kv.for_each_prefix(Table::SideBlocks, &number_key(number), &mut |key, _| {
            let hash = key
                .get(8..)
                .filter(|hash| hash.len() == 32)
                .ok_or_else(|| StoreError::corrupt("side block key", "not 40 bytes"))?;
            hashes.push(B256::from_slice(hash));
            Ok(())
        })?;
        Ok(hashes)
    }

    /// The receipts of block `number`, in transaction order.
    pub fn receipts(&self, number: u64) -> Result<Option<Vec<Receipt>>, StoreError> {
        self.kv
            .get(Table::Receipts, &number_key(number))?
            .map(|b| Receipt::decode_list(&b).map_err(|e| StoreError::corrupt("receipts", e)))
            .transpose()
    }

    /// The recovered senders of block `number`, in transaction order.
    pub fn senders(&self, number: u64) -> Result<Option<Vec<Address>>, StoreError> {
        self.kv.get(Table::Senders, &number_key(number))?.map(|b| decode_senders(&b)).transpose()
    }

    /// The senders of side block `hash` at `number`, as recovered when it arrived (`None` for a
    /// side block kept before the store recorded them).
    pub fn side_senders(
        &self,
        number: u64,
        hash: B256,
    ) -> Result<Option<Vec<Address>>, StoreError> {
        self.kv
            .get(Table::SideSenders, &side_block_key(number, hash))?
            .map(|b| decode_senders(&b))
            .transpose()
    }

    /// Where a transaction was included.
    pub fn tx_location(&self, hash: B256) -> Result<Option<TxLocation>, StoreError> {
        let Some(bytes) = self.kv.get(Table::TxIndex, hash.as_slice())? else { return Ok(None) };
        if bytes.len() != 12 {
            return Err(StoreError::corrupt("transaction index", "not 12 bytes"));
        }
        let block = decode_number(&bytes[..8])?;
        let index = u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        Ok(Some(TxLocation { block, index }))
    }

    /// Up to `limit` transactions `address` sent or received, newest first, starting at
    /// `start` (inclusive) or at the newest.
    pub fn address_transactions(
        &self,
        address: Address,
        start: Option<TxLocation>,
        limit: usize,
    ) -> Result<Vec<AddressTx>, StoreError> {
        let start = start.map_or_else(
            || address.to_vec(),
            |at| address_tx_key(address, at.block, at.index).to_vec(),
        );
        let mut found = Vec::new();
        if limit == 0 {
            return Ok(found);
        }
        self.kv.scan_prefix_from(Table::AddressTxs, address.as_slice(), &start, &mut |k, v| {
            let (block, index) = split_address_tx_key(k)?;
            let role = v.first().copied().unwrap_or_default();
            found.push(AddressTx {
                location: TxLocation { block, index },
                sent: role & ADDRESS_SENT != 0,
                received: role & ADDRESS_RECEIVED != 0,
            });
            Ok(if found.len() >= limit {
                std::ops::ControlFlow::Break(())
            } else {
                std::ops::ControlFlow::Continue(())
            })
        })?;
        Ok(found)
    }

    /// Visits every account of the current state in address order (for audits).
    pub fn for_each_account(
        &self,
        visit: &mut dyn FnMut(Address, Account) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.kv.for_each_prefix(Table::Accounts, &[], &mut |k, v| {
            if k.len() != 20 {
                return Err(StoreError::corrupt("account key", "not 20 bytes"));
            }
            visit(Address::from_slice(k), decode_exact("account", v)?)
        })
    }

    /// Visits every storage slot of the current state (for audits).
    pub fn for_each_slot(
        &self,
        visit: &mut dyn FnMut(Address, U256, U256) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.kv.for_each_prefix(Table::Storage, &[], &mut |k, v| {
            let (address, slot) = split_storage_key(k)?;
            visit(address, slot, decode_u256(v)?)
        })
    }

    /// An account and slot proof against `state_root` (any retained block's root).
    pub fn proof(
        &self,
        state_root: B256,
        address: Address,
        slots: &[B256],
    ) -> Result<AccountProof, StoreError> {
        let nodes = Nodes(&self.kv);
        let key = keccak256(address);
        let proof = cairn_trie::proof(&nodes, state_root, key.as_slice())?;
        let account = self.trie_account(state_root, address)?;
        let storage_root = account.map_or(EMPTY_ROOT_HASH, |a| a.storage_root);
        let storage = slots
            .iter()
            .map(|slot| {
                let value = self.trie_slot(storage_root, *slot)?;
                let proof = cairn_trie::proof(&nodes, storage_root, keccak256(slot).as_slice())?;
                Ok(StorageProof { slot: *slot, value, proof })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(AccountProof { account, proof, storage })
    }

    /// The state as of the block whose state root is `state_root`, read through the tries.
    /// Trie nodes are never rewritten, so every retained block's state stays readable this
    /// way (calls and reads at older blocks); the head is faster through the flat tables.
    pub fn state_at(&self, state_root: B256) -> HistoricalState<'_, R> {
        HistoricalState { snapshot: self, root: state_root }
    }

    fn trie_account(
        &self,
        state_root: B256,
        address: Address,
    ) -> Result<Option<Account>, StoreError> {
        Trie::new(Nodes(&self.kv), state_root)
            .get(keccak256(address).as_slice())?
            .map(|v| decode_exact("trie account", &v))
            .transpose()
    }

    fn trie_slot(&self, storage_root: B256, slot: B256) -> Result<U256, StoreError> {
        Ok(Trie::new(Nodes(&self.kv), storage_root)
            .get(keccak256(slot).as_slice())?
            .map(|v| decode_exact::<U256>("trie slot", &v))
            .transpose()?
            .unwrap_or_default())
    }

    pub(crate) fn changeset(&self, number: u64) -> Result<Option<ChangeSet>, StoreError> {
        self.kv
            .get(Table::ChangeSets, &number_key(number))?
            .map(|b| decode_exact("change set", &b))
            .transpose()
    }

    /// Turns a block's state changes into store writes and the new state root, touching only
    /// the changed accounts and slots and the trie nodes on their paths.
    pub fn prepare_state(
        &self,
        state_root: B256,
        changes: &StateChanges,
    ) -> Result<StateUpdate, StoreError> {
        let nodes = Nodes(&self.kv);
        let mut batch = WriteBatch::default();
        let mut changeset = ChangeSet::default();
        let mut accounts = Trie::new(&nodes, state_root);

        for (hash, code) in &changes.code {
            batch.put(Table::Code, hash.as_slice(), code.to_vec());
        }
        for (address, change) in &changes.accounts {
            let prev_bytes = self.kv.get(Table::Accounts, address.as_slice())?;
            let prev: Option<Account> =
                prev_bytes.as_deref().map(|b| decode_exact("account", b)).transpose()?;
            changeset.accounts.push(AccountPrev {
                address: *address,
                prev: prev_bytes.map(Bytes::from).unwrap_or_default(),
            });

            let mut slot_prevs: BTreeMap<U256, U256> = BTreeMap::new();
            let wipe = change.wipe_storage || change.info.is_none();
            if wipe {
                self.kv.for_each_prefix(Table::Storage, address.as_slice(), &mut |k, v| {
                    let (_, slot) = split_storage_key(k)?;
                    slot_prevs.insert(slot, decode_u256(v)?);
                    batch.delete(Table::Storage, k.to_vec());
                    Ok(())
                })?;
            }
            let account_key = keccak256(address);
            let Some(info) = change.info else {
                batch.delete(Table::Accounts, address.as_slice());
                accounts.remove(account_key.as_slice())?;
                changeset.storage.extend(slot_prevs.into_iter().map(|(slot, prev)| SlotPrev {
                    address: *address,
                    slot: slot.into(),
                    prev,
                }));
                continue;
            };

            let base_root = match prev {
                Some(a) if !wipe => a.storage_root,
                _ => EMPTY_ROOT_HASH,
            };
            let mut storage = Trie::new(&nodes, base_root);
            for (slot, value) in &change.storage {
                if !slot_prevs.contains_key(slot) {
                    let before = if wipe { U256::ZERO } else { self.storage(*address, *slot)? };
                    slot_prevs.insert(*slot, before);
                }
                let key = storage_key(*address, *slot);
                let slot_key = keccak256(B256::from(*slot));
                if value.is_zero() {
                    batch.delete(Table::Storage, key);
                    storage.remove(slot_key.as_slice())?;
                } else {
                    batch.put(Table::Storage, key, value.to_be_bytes::<32>());
                    storage.insert(slot_key.as_slice(), alloy_rlp::encode(value).into())?;
                }
            }
            let storage_update = storage.commit();
            for (hash, node) in storage_update.nodes {
                batch.put(Table::TrieNodes, hash.as_slice(), node.to_vec());
            }
            changeset.storage.extend(slot_prevs.into_iter().map(|(slot, prev)| SlotPrev {
                address: *address,
                slot: slot.into(),
                prev,
            }));

            let account = Account {
                nonce: info.nonce,
                balance: info.balance,
                storage_root: storage_update.root,
                code_hash: info.code_hash,
            };
            let mut encoded = Vec::with_capacity(account.length());
            account.encode(&mut encoded);
            accounts.insert(account_key.as_slice(), encoded.clone().into())?;
            batch.put(Table::Accounts, address.as_slice(), encoded);
        }
        let update = accounts.commit();
        for (hash, node) in update.nodes {
            batch.put(Table::TrieNodes, hash.as_slice(), node.to_vec());
        }
        Ok(StateUpdate { root: update.root, batch, changeset })
    }
}

impl<R: KvRead> StateView for Snapshot<R> {
    fn account(&self, address: Address) -> Result<Option<Account>, StoreError> {
        self.kv
            .get(Table::Accounts, address.as_slice())?
            .map(|b| decode_exact("account", &b))
            .transpose()
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, StoreError> {
        self.kv
            .get(Table::Storage, &storage_key(address, slot))?
            .map_or(Ok(U256::ZERO), |b| decode_u256(&b))
    }

    fn code(&self, hash: B256) -> Result<Option<Bytes>, StoreError> {
        if hash == KECCAK_EMPTY {
            return Ok(Some(Bytes::new()));
        }
        Ok(self.kv.get(Table::Code, hash.as_slice())?.map(Bytes::from))
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StoreError> {
        Ok(self.header(number)?.map(|h| h.hash()))
    }
}

/// The state at one state root, read through the account and storage tries (code by hash,
/// block hashes from the canonical headers). Built by [`Snapshot::state_at`].
#[derive(Debug)]
pub struct HistoricalState<'a, R> {
    snapshot: &'a Snapshot<R>,
    root: B256,
}

impl<R: KvRead> StateView for HistoricalState<'_, R> {
    fn account(&self, address: Address) -> Result<Option<Account>, StoreError> {
        self.snapshot.trie_account(self.root, address)
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, StoreError> {
        match self.snapshot.trie_account(self.root, address)? {
            Some(account) => self.snapshot.trie_slot(account.storage_root, slot.into()),
            None => Ok(U256::ZERO),
        }
    }

    fn code(&self, hash: B256) -> Result<Option<Bytes>, StoreError> {
        self.snapshot.code(hash)
    }

    fn block_hash(&self, number: u64) -> Result<Option<B256>, StoreError> {
        self.snapshot.block_hash(number)
    }
}

/// A list of senders as stored: 20 bytes each, in transaction order.
fn decode_senders(bytes: &[u8]) -> Result<Vec<Address>, StoreError> {
    if !bytes.len().is_multiple_of(20) {
        return Err(StoreError::corrupt("senders", "length not a multiple of 20"));
    }
    Ok(bytes.chunks_exact(20).map(Address::from_slice).collect())
}
