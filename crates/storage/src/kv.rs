use crate::{RecordTable, StoreError};

/// The tables of the chain store. Keys and values are raw bytes; [`crate::ChainStore`] owns
/// their encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// Small named values such as the head height.
    Meta,
    /// Block number (8 bytes, big endian) to RLP header.
    Headers,
    /// Block number to the RLP list of its transactions.
    Bodies,
    /// Block hash to block number.
    BlockNumbers,
    /// Transaction hash to block number and index.
    TxIndex,
    /// Block number to the RLP list of its receipts (and so its logs).
    Receipts,
    /// Block number to the concatenated senders of its transactions.
    Senders,
    /// Address to RLP account (nonce, balance, storage root, code hash).
    Accounts,
    /// Address and slot to value.
    Storage,
    /// Code hash to code.
    Code,
    /// Node hash to RLP trie node.
    TrieNodes,
    /// Block number to what the block overwrote, for unwinding.
    ChangeSets,
    /// Address, then the inverted block number and transaction index (so newest sorts first),
    /// to how the address took part: the account history index.
    AddressTxs,
    /// Inverted first height (`u64::MAX - first_height`, so the newest record at or below a
    /// height is one forward seek away) to the RLP validator set deciding heights from there.
    ValidatorSets,
    /// Block number to the RLP consensus data its body carried (chains with changing sets).
    BlockConsensus,
    /// Block number to the RLP list of logs its protocol calls emitted.
    SystemLogs,
    /// Block number and hash (40 bytes) to the RLP block: the known blocks off the canonical
    /// chain (competing branches of proof of work, blocks a reorg abandoned), kept unexecuted
    /// until their branch becomes the heaviest.
    SideBlocks,
    /// Block number and hash (40 bytes) to the senders (20 bytes each, in order) of a side
    /// block's transactions, recovered when it arrived, so switching to its branch does not
    /// recover them again.
    SideSenders,
    /// Block hash to the total difficulty (32 bytes, big endian) of the chain ending in it,
    /// for every block of a chain with work, canonical or not: what fork choice compares.
    TotalWork,
    /// A table another crate keeps beside the chain; written only through
    /// [`crate::RecordStore`].
    Record(RecordTable),
}

impl Table {
    /// Every table of the chain itself, so backends can create them all up front (record
    /// tables are created by the first write to them). A store written before a table existed
    /// lacks it; reads find it empty, and the next write creates it.
    pub const CHAIN: [Table; 19] = [
        Table::Meta,
        Table::Headers,
        Table::Bodies,
        Table::BlockNumbers,
        Table::TxIndex,
        Table::Receipts,
        Table::Senders,
        Table::Accounts,
        Table::Storage,
        Table::Code,
        Table::TrieNodes,
        Table::ChangeSets,
        Table::AddressTxs,
        Table::ValidatorSets,
        Table::BlockConsensus,
        Table::SystemLogs,
        Table::SideBlocks,
        Table::SideSenders,
        Table::TotalWork,
    ];

    /// Stable name used by backends.
    pub fn name(self) -> &'static str {
        match self {
            Table::Meta => "meta",
            Table::Headers => "headers",
            Table::Bodies => "bodies",
            Table::BlockNumbers => "block_numbers",
            Table::TxIndex => "tx_index",
            Table::Receipts => "receipts",
            Table::Senders => "senders",
            Table::Accounts => "accounts",
            Table::Storage => "storage",
            Table::Code => "code",
            Table::TrieNodes => "trie_nodes",
            Table::ChangeSets => "changesets",
            Table::AddressTxs => "address_txs",
            Table::ValidatorSets => "validator_sets",
            Table::BlockConsensus => "block_consensus",
            Table::SystemLogs => "system_logs",
            Table::SideBlocks => "side_blocks",
            Table::SideSenders => "side_senders",
            Table::TotalWork => "total_work",
            Table::Record(table) => table.name(),
        }
    }
}

/// One batch operation: a put (`Some`) or a delete (`None`) of a key in a table.
pub(crate) type Op = (Table, Vec<u8>, Option<Vec<u8>>);

/// Ordered puts and deletes that a backend applies all together or not at all.
#[derive(Debug, Default)]
pub struct WriteBatch {
    pub(crate) ops: Vec<Op>,
}

impl WriteBatch {
    /// Sets `key` to `value`.
    pub fn put(&mut self, table: Table, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push((table, key.into(), Some(value.into())));
    }

    /// Removes `key`.
    pub fn delete(&mut self, table: Table, key: impl Into<Vec<u8>>) {
        self.ops.push((table, key.into(), None));
    }

    /// Appends another batch's operations after this one's.
    pub fn extend(&mut self, other: WriteBatch) {
        self.ops.extend(other.ops);
    }
}

/// Called for each entry of a scan, with its key and value; an error stops the scan.
pub type Visitor<'a> = dyn FnMut(&[u8], &[u8]) -> Result<(), StoreError> + 'a;

/// Called for each entry of a bounded scan; `Break` ends the scan early.
pub type Scanner<'a> =
    dyn FnMut(&[u8], &[u8]) -> Result<std::ops::ControlFlow<()>, StoreError> + 'a;

/// A consistent read view of a backend.
pub trait KvRead: Send + Sync {
    /// The value of `key`, if present.
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Visits every entry whose key starts with `prefix`, in key order.
    fn for_each_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        visit: &mut Visitor<'_>,
    ) -> Result<(), StoreError>;

    /// Visits, in key order, the entries whose key starts with `prefix` and is at least
    /// `start`, until `scan` breaks: pages through an index without reading what comes
    /// before the page.
    fn scan_prefix_from(
        &self,
        table: Table,
        prefix: &[u8],
        start: &[u8],
        scan: &mut Scanner<'_>,
    ) -> Result<(), StoreError>;
}

/// A key-value backend. Contract: `write` is atomic and, once it returns, survives a crash;
/// a view from `read` never sees half of a batch.
pub trait KvStore: Send + Sync + 'static {
    /// The read view type.
    type Read: KvRead + 'static;

    /// A consistent view of everything written so far.
    fn read(&self) -> Result<Self::Read, StoreError>;

    /// Applies the batch's operations in order, atomically and durably.
    fn write(&self, batch: WriteBatch) -> Result<(), StoreError>;

    /// The first failure of the backend itself (an I/O error, a damaged file), if it had one:
    /// from then on it takes no writes, and the node fail-stops. A backend that cannot fail
    /// has none.
    fn failure(&self) -> Option<std::sync::Arc<StoreError>> {
        None
    }
}
