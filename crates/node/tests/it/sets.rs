//! The validator set of each height, as the node's store decides it: a block whose end
//! records a set (a proof-of-stake epoch end, a governance decision) writes it in the block's
//! own batch, it decides from its first height on, importers write the same record, and
//! `cairn verify` re-derives it from the replay.

use std::collections::BTreeMap;
use std::sync::Arc;

use alloy_primitives::{Address, Bytes};
use cairn_consensus::test_utils::RecordingEnd;
use cairn_consensus::{AnyTransaction, ConsensusRoles, DevConsensus};
use cairn_node::Node;
use cairn_node::audit::verify_chain;
use cairn_primitives::{ChainSpec, SetMember, ValidatorSetRecord};
use cairn_storage::{ChainStore, MemoryKv};

use crate::support::{PROPOSER, dev_roles};

fn recording(records: &BTreeMap<u64, ValidatorSetRecord>) -> ConsensusRoles {
    let dev = Arc::new(DevConsensus::new(PROPOSER));
    ConsensusRoles {
        validator: dev.clone(),
        production: dev.clone(),
        reads: dev,
        block_end: Arc::new(RecordingEnd(records.clone())),
        transactions: Arc::new(AnyTransaction),
    }
}

#[test]
fn a_recorded_set_decides_from_its_first_height_on_every_node_and_in_the_audit() {
    let spec = ChainSpec::dev().unwrap();
    let member = SetMember {
        address: Address::repeat_byte(7),
        public_key: Bytes::from([2u8; 33]),
        power: 3,
    };
    let next = ValidatorSetRecord { epoch: 1, first_height: 3, members: vec![member] };
    let records = BTreeMap::from([(2, next.clone())]);
    let kv = MemoryKv::new();
    let producer = Node::open(kv.clone(), spec.clone(), recording(&records)).unwrap();
    let importer = Node::open(MemoryKv::new(), spec.clone(), recording(&records)).unwrap();
    let genesis = spec.genesis_validator_set().unwrap();

    assert_eq!(*producer.validator_set(3).unwrap(), genesis, "nothing recorded yet");
    for number in 1..=3 {
        producer.produce_block().unwrap();
        let block = producer.block(number).unwrap().unwrap();
        let candidate = importer.check_candidate(block).unwrap();
        importer.commit_candidate(candidate).unwrap();
    }
    for node in [&producer, &importer] {
        for height in [1, 2] {
            assert_eq!(*node.validator_set(height).unwrap(), genesis, "height {height}");
        }
        for height in [3, 4, 100] {
            assert_eq!(*node.validator_set(height).unwrap(), next, "height {height}");
        }
    }

    // The audit re-runs each block's end on its replay: the record must come out of block 2.
    let store = ChainStore::open_existing(kv, &spec).unwrap();
    assert_eq!(verify_chain(&store, &spec, &recording(&records)).unwrap().height, 3);
    let failure = verify_chain(&store, &spec, &dev_roles()).unwrap_err();
    assert_eq!(failure.height, 2);
    assert!(failure.what.contains("next validator set"), "{}", failure.what);
}
