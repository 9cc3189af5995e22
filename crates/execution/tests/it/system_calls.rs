//! Protocol calls at the end of a block: minted issuance and calls from the system address
//! join the block's state, their logs its bloom, and an importer reproduces them exactly.

use alloy_primitives::{Address, B256, BloomInput, Bytes, Log, U256, address};
use cairn_execution::{
    BlockContext, BlockEnd, EndOfBlock, ExecError, NoBlockEnd, SYSTEM_ADDRESS, SystemCallOutcome,
    SystemCaller, build_block, execute_block,
};
use cairn_primitives::{ChainSpec, ConsensusCommitments, GenesisAccount, Header, keccak256};
use cairn_storage::{ChainStore, MemoryKv, StateView};

/// Stores CALLER in slot 0, logs one topic (0xaa) with no data, returns CALLER:
/// CALLER PUSH0 SSTORE PUSH1 0xaa PUSH0 PUSH0 LOG1 CALLER PUSH0 MSTORE PUSH1 32 PUSH0 RETURN.
const RECORDER: &[u8] =
    &[0x33, 0x5f, 0x55, 0x60, 0xaa, 0x5f, 0x5f, 0xa1, 0x33, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3];
/// PUSH0 PUSH0 REVERT.
const REVERTER: &[u8] = &[0x5f, 0x5f, 0xfd];
const RECORDER_AT: Address = address!("0x0000000000000000000000000000000000001000");
const REVERTER_AT: Address = address!("0x0000000000000000000000000000000000001001");
const TREASURY: Address = address!("0x00000000000000000000000000000000000000ee");

fn chain() -> ChainStore<MemoryKv> {
    let mut spec = ChainSpec::dev().unwrap();
    for (at, code) in [(RECORDER_AT, RECORDER), (REVERTER_AT, REVERTER)] {
        let account = GenesisAccount { code: Bytes::from_static(code), ..Default::default() };
        spec.alloc.insert(at, account);
    }
    ChainStore::open(MemoryKv::new(), &spec).unwrap()
}

/// Mints to the treasury, calls the recorder and the reverter, and commits to what it saw.
struct TestEnd;

impl BlockEnd for TestEnd {
    fn finish(&self, calls: &mut dyn SystemCaller) -> Result<EndOfBlock, ExecError> {
        calls.mint(TREASURY, U256::from(1_000))?;
        let SystemCallOutcome::Success { output, logs, .. } =
            calls.call(RECORDER_AT, Bytes::new())?
        else {
            panic!("the recorder succeeds");
        };
        assert_eq!(output[12..], SYSTEM_ADDRESS[..], "the caller is the system address");
        let failed = calls.call(REVERTER_AT, Bytes::new())?;
        assert!(matches!(failed, SystemCallOutcome::Failed { .. }), "{failed:?}");
        let commitments = ConsensusCommitments {
            system_logs_hash: keccak256(alloy_rlp::encode(&logs)),
            ..Default::default()
        };
        Ok(EndOfBlock { logs, commitments: Some(commitments), ..Default::default() })
    }
}

fn build(
    store: &ChainStore<MemoryKv>,
    end: &dyn BlockEnd,
) -> (Header, cairn_execution::BuiltBlock) {
    let snapshot = store.snapshot().unwrap();
    let parent = store.head().unwrap();
    let context = BlockContext::child_of(
        &parent,
        Address::ZERO,
        parent.timestamp_ms + 1_000,
        parent.gas_limit,
    );
    let spec = ChainSpec::dev().unwrap();
    let built =
        build_block(&snapshot, &spec, &parent, context, Vec::new(), Bytes::new(), end).unwrap();
    (parent, built)
}

#[test]
fn protocol_calls_change_state_log_and_are_reproduced_on_import() {
    let store = chain();
    let (parent, built) = build(&store, &TestEnd);
    let header = &built.block.header;
    assert_eq!(header.gas_used, 0, "protocol calls use no block gas");
    assert_eq!(built.end.logs.len(), 1);
    let log: &Log = &built.end.logs[0];
    assert_eq!(log.address, RECORDER_AT);
    let topic = B256::with_last_byte(0xaa);
    assert_eq!(log.topics(), [topic]);
    for input in [RECORDER_AT.as_slice(), topic.as_slice()] {
        assert!(
            header.logs_bloom.contains_input(BloomInput::Raw(input)),
            "the log is in the bloom"
        );
    }
    assert!(header.commitments.is_some(), "the engine's commitments are in the header");

    let (block, end) = (built.block.clone(), built.end.clone());
    store
        .commit_block(
            &built.block,
            &built.senders,
            &built.receipts,
            built.state,
            &Default::default(),
        )
        .unwrap();
    let after = store.snapshot().unwrap();
    assert_eq!(after.account(TREASURY).unwrap().unwrap().balance, U256::from(1_000));
    let recorded = after.storage(RECORDER_AT, U256::ZERO).unwrap();
    assert_eq!(recorded, U256::from_be_slice(SYSTEM_ADDRESS.as_slice()));
    assert!(after.account(SYSTEM_ADDRESS).unwrap().is_none(), "the system address stays empty");

    // An importer running the same end reproduces the block; without it, the block differs.
    let snapshot = chain().snapshot().unwrap();
    let spec = ChainSpec::dev().unwrap();
    let executed = execute_block(&snapshot, &spec, &parent, &block, &[], &TestEnd).unwrap();
    assert_eq!(executed.state.root, block.header.state_root);
    assert_eq!(executed.end, end);
    let refused = execute_block(&snapshot, &spec, &parent, &block, &[], &NoBlockEnd).unwrap_err();
    assert!(refused.to_string().contains("invalid block 1"), "{refused}");
}

#[test]
fn without_protocol_calls_nothing_changes() {
    let store = chain();
    let (_, built) = build(&store, &NoBlockEnd);
    assert_eq!(built.end, EndOfBlock::default());
    assert!(built.block.header.commitments.is_none() && built.block.consensus.is_none());
    assert_eq!(built.block.header.state_root, store.head().unwrap().state_root);
}
