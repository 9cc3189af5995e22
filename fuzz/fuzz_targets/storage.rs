//! The store's records as a damaged or tampered store holds them: a chain of three blocks
//! (with receipts, logs, storage, trie nodes, indexes and change sets) has records replaced
//! or deleted, then is opened and read the way the node, `cairn verify`, JSON-RPC and REST
//! read it, audited by re-execution, unwound and built on. Every read of a bad record must
//! be an error, never a panic or a wrong answer taken for a right one.
//!
//! Input: edits, each a table byte, a record index byte (an index past the table's records
//! deletes one), a two-byte big-endian length and the new value.

#![no_main]

use std::sync::{Arc, OnceLock};

use alloy_primitives::{Address, B256, U256};
use cairn_consensus::DevConsensus;
use cairn_fuzz::chain::{dev_spec, keys, node_with_history_in};
use cairn_node::Node;
use cairn_storage::{ChainStore, KvRead, KvStore, MemoryKv, Table, TxLocation, WriteBatch};
use libfuzzer_sys::fuzz_target;

/// Every record of the healthy chain, by table, in key order.
struct Base {
    records: Vec<(Table, Vec<(Vec<u8>, Vec<u8>)>)>,
    counter: Address,
}

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(|| {
        let kv = MemoryKv::new();
        let (_node, counter) = node_with_history_in(kv.clone());
        let read = kv.read().expect("a read view");
        let records = Table::CHAIN
            .iter()
            .map(|&table| {
                let mut entries = Vec::new();
                read.for_each_prefix(table, &[], &mut |k, v| {
                    entries.push((k.to_vec(), v.to_vec()));
                    Ok(())
                })
                .expect("reading memory");
                (table, entries)
            })
            .collect();
        Base { records, counter }
    })
}

struct Edit<'a> {
    table: usize,
    index: usize,
    value: &'a [u8],
}

fn edits(mut data: &[u8]) -> Vec<Edit<'_>> {
    let mut edits = Vec::new();
    while let [table, index, high, low, rest @ ..] = data {
        let len = usize::from(u16::from_be_bytes([*high, *low])).min(rest.len());
        let (value, tail) = rest.split_at(len);
        edits.push(Edit { table: usize::from(*table), index: usize::from(*index), value });
        data = tail;
    }
    edits
}

/// The healthy chain with `edits` applied, in a store of its own.
fn damaged(edits: &[Edit<'_>]) -> MemoryKv {
    let mut batch = WriteBatch::default();
    for (table, entries) in &base().records {
        for (key, value) in entries {
            batch.put(*table, key.clone(), value.clone());
        }
    }
    for edit in edits {
        let (table, entries) = &base().records[edit.table % Table::CHAIN.len()];
        if entries.is_empty() {
            continue;
        }
        match entries.get(edit.index) {
            Some((key, _)) => batch.put(*table, key.clone(), edit.value.to_vec()),
            None => batch.delete(*table, entries[edit.index % entries.len()].0.clone()),
        }
    }
    let kv = MemoryKv::new();
    kv.write(batch).expect("writing memory");
    kv
}

/// Reads everything the chain's three blocks touched, as the APIs do.
fn read_everything(node: &Node<MemoryKv>, store: &ChainStore<MemoryKv>) {
    let Ok(snapshot) = store.snapshot() else { return };
    let head = snapshot.head().map(|h| h.number).unwrap_or(3).min(8);
    let mut roots = Vec::new();
    let mut hashes = Vec::new();
    for number in 0..=head + 1 {
        if let Ok(Some(header)) = snapshot.header(number) {
            roots.push(header.state_root);
            let _ = snapshot.block_number(header.hash());
            let _ = node.block_by_hash(header.hash());
        }
        if let Ok(Some(block)) = snapshot.block(number) {
            hashes.extend(block.transactions.iter().map(|tx| *tx.tx_hash()));
        }
        let _ = snapshot.receipts(number);
        let _ = snapshot.senders(number);
    }
    for hash in hashes {
        let _ = snapshot.tx_location(hash);
        let _ = node.transaction(hash);
    }
    let counter = base().counter;
    let slots = [B256::ZERO, B256::with_last_byte(1)];
    let mut people: Vec<Address> = keys().iter().map(|k| k.address()).collect();
    people.push(counter);
    for &address in &people {
        let _ = node.account(address);
        let _ = node.code(address);
        let _ = node.storage(address, U256::ZERO);
        let start = Some(TxLocation { block: 2, index: 1 });
        let _ = snapshot.address_transactions(address, None, 10);
        let _ = snapshot.address_transactions(address, start, 2);
        for &root in &roots {
            let _ = snapshot.proof(root, address, &slots);
        }
    }
    let _ = snapshot.for_each_account(&mut |_, _| Ok(()));
    let _ = snapshot.for_each_slot(&mut |_, _, _| Ok(()));
}

fuzz_target!(init: cairn_fuzz::seeds::offer("storage", seeds), |data: &[u8]| {
    let kv = damaged(&edits(data));
    let consensus = Arc::new(DevConsensus::new(Address::ZERO));
    // Opening checks genesis and the chain id; a store that fails that is refused whole.
    let Ok(node) = Node::open(kv.clone(), dev_spec(), consensus) else { return };
    // The node's store, reached past the node as a tool would (the node keeps it private).
    let Ok(store) = ChainStore::open_existing(kv, &dev_spec()) else { return };
    read_everything(&node, &store);
    // `cairn verify`: every block re-executed against what is stored.
    let _ = node.verify(&mut |_| {});
    // Unwinding reads the change sets; producing reads the head state.
    if let Ok(head) = node.head()
        && head.number > 0
    {
        let _ = store.unwind_to(head.number - 1);
    }
    let _ = node.produce_block();
});

/// Each record of the healthy chain rewritten with its own value (so fuzzing starts from the
/// real encodings), and the whole chain unchanged.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = vec![Vec::new()];
    for (table_index, (_, entries)) in base().records.iter().enumerate() {
        for (index, (_, value)) in entries.iter().enumerate().take(12) {
            let mut seed = vec![table_index as u8, index as u8];
            seed.extend_from_slice(&(value.len() as u16).to_be_bytes());
            seed.extend_from_slice(value);
            seeds.push(seed);
        }
    }
    seeds
}
