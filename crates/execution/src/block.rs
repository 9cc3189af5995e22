use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes};
use cairn_primitives::{Block, ChainSpec, Header, MAX_BLOCK_TX_BYTES, Receipt, TxEnvelope};
use cairn_storage::{KvRead, Snapshot, StateUpdate};

use crate::system::{BlockEnd, EndOfBlock};
use crate::{BlockContext, BlockExecutor, ExecError, ExecutionOutcome};

/// A block assembled by a proposer, ready to be committed.
#[derive(Debug)]
pub struct BuiltBlock {
    /// The sealed block.
    pub block: Block,
    /// Senders of its transactions, in order (recovered once, at mempool admission).
    pub senders: Vec<Address>,
    /// Receipts, in order.
    pub receipts: Vec<Receipt>,
    /// State writes and the new state root.
    pub state: StateUpdate,
    /// Candidates left out because they were invalid against the state.
    pub rejected: Vec<(TxEnvelope, ExecError)>,
    /// What the block's protocol calls produced besides state.
    pub end: EndOfBlock,
}

/// A block re-executed and found to match its header.
#[derive(Debug)]
pub struct ExecutedBlock {
    /// Receipts, in order.
    pub receipts: Vec<Receipt>,
    /// State writes and the new state root.
    pub state: StateUpdate,
    /// What the block's protocol calls produced besides state.
    pub end: EndOfBlock,
}

/// Builds the child of `parent` from candidate transactions (best first), skipping any that is
/// invalid against the state or does not fit, so a proposer never produces an invalid block;
/// then runs the engine's protocol calls (`end`).
pub fn build_block<R: KvRead>(
    snapshot: &Snapshot<R>,
    spec: &ChainSpec,
    parent: &Header,
    context: BlockContext,
    candidates: impl IntoIterator<Item = (TxEnvelope, Address)>,
    extra_data: Bytes,
    end: &dyn BlockEnd,
) -> Result<BuiltBlock, ExecError> {
    let mut executor = BlockExecutor::new(snapshot, spec.chain_id, context);
    let mut transactions = Vec::new();
    let mut senders = Vec::new();
    let mut rejected = Vec::new();
    let mut bytes = 0;
    for (tx, sender) in candidates {
        if executor.gas_left() < 21_000 {
            break;
        }
        let size = tx.encode_2718_len();
        if bytes + size > MAX_BLOCK_TX_BYTES {
            // Left in the pool for a later block; a smaller one may still fit this one.
            continue;
        }
        match executor.execute(&tx, sender) {
            Ok(_) => {
                bytes += size;
                transactions.push(tx);
                senders.push(sender);
            }
            Err(e @ ExecError::InvalidTx { .. }) => rejected.push((tx, e)),
            Err(e) => return Err(e),
        }
    }
    let end = end.finish(&mut executor)?;
    let outcome = executor.finish();
    let state = snapshot.prepare_state(parent.state_root, &outcome.changes)?;
    let header = header_for(parent, &context, &transactions, &outcome, &state, &end, extra_data);
    Ok(BuiltBlock {
        block: Block { consensus: end.consensus.clone(), header, transactions },
        senders,
        receipts: outcome.receipts,
        state,
        rejected,
        end,
    })
}

/// Re-executes a block received from elsewhere (or read back for audit), with the engine's
/// protocol calls (`end`), and checks that every field its header commits to matches what
/// execution produced.
pub fn execute_block<R: KvRead>(
    snapshot: &Snapshot<R>,
    spec: &ChainSpec,
    parent: &Header,
    block: &Block,
    senders: &[Address],
    end: &dyn BlockEnd,
) -> Result<ExecutedBlock, ExecError> {
    let header = &block.header;
    let number = header.number;
    let invalid = |reason: String| ExecError::InvalidBlock { number, reason };
    if senders.len() != block.transactions.len() {
        return Err(invalid("sender count differs from transaction count".into()));
    }
    let bytes = block.transaction_bytes();
    if bytes > MAX_BLOCK_TX_BYTES {
        return Err(invalid(format!(
            "transactions take {bytes} bytes, more than the {MAX_BLOCK_TX_BYTES} a block may carry"
        )));
    }
    let context = BlockContext::of(header);
    let mut executor = BlockExecutor::new(snapshot, spec.chain_id, context);
    for (index, (tx, sender)) in block.transactions.iter().zip(senders).enumerate() {
        executor
            .execute(tx, *sender)
            .map_err(|e| invalid(format!("transaction {index} ({}): {e}", tx.tx_hash())))?;
    }
    let end = end.finish(&mut executor)?;
    if block.consensus != end.consensus {
        return Err(invalid("consensus data differs from what the protocol calls took".into()));
    }
    let outcome = executor.finish();
    let state = snapshot.prepare_state(parent.state_root, &outcome.changes)?;
    let expected = header_for(
        parent,
        &context,
        &block.transactions,
        &outcome,
        &state,
        &end,
        header.extra_data.clone(),
    );
    let checks = [
        ("gas used", expected.gas_used.to_string(), header.gas_used.to_string()),
        ("receipts root", expected.receipts_root.to_string(), header.receipts_root.to_string()),
        ("logs bloom", expected.logs_bloom.to_string(), header.logs_bloom.to_string()),
        ("state root", expected.state_root.to_string(), header.state_root.to_string()),
        (
            "transactions root",
            expected.transactions_root.to_string(),
            header.transactions_root.to_string(),
        ),
        (
            "consensus commitments",
            format!("{:?}", expected.commitments),
            format!("{:?}", header.commitments),
        ),
    ];
    for (what, computed, stored) in checks {
        if computed != stored {
            return Err(invalid(format!(
                "{what}: header has {stored}, execution gives {computed}"
            )));
        }
    }
    Ok(ExecutedBlock { receipts: outcome.receipts, state, end })
}

fn header_for(
    parent: &Header,
    context: &BlockContext,
    transactions: &[TxEnvelope],
    outcome: &ExecutionOutcome,
    state: &StateUpdate,
    end: &EndOfBlock,
    extra_data: Bytes,
) -> Header {
    // The protocol calls' logs are in the bloom, so log filters that test blooms find them.
    let mut logs_bloom = outcome.logs_bloom;
    for log in &end.logs {
        logs_bloom.accrue_log(log);
    }
    Header {
        commitments: end.commitments.clone(),
        difficulty: context.difficulty,
        parent_hash: parent.hash(),
        number: context.number,
        timestamp: context.timestamp,
        timestamp_ms: context.timestamp_ms,
        beneficiary: context.beneficiary,
        transactions_root: Block::compute_transactions_root(transactions),
        receipts_root: Receipt::compute_root(&outcome.receipts),
        state_root: state.root,
        logs_bloom,
        gas_limit: context.gas_limit,
        gas_used: outcome.gas_used,
        base_fee: context.base_fee,
        extra_data,
        seal: Bytes::new(),
    }
}
