//! `cairn_getEvidence` and `cairn_submitEvidence`, the JSON-RPC methods a BFT node adds to the
//! Ethereum ones.

use std::sync::Arc;

use cairn_bft::{EvidenceLog, check_evidence_age, verify_equivocation};
use cairn_consensus::Equivocation;
use cairn_node::Node;
use cairn_primitives::ConsensusKind;
use cairn_storage::KvStore;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::types::error::{CALL_EXECUTION_FAILED_CODE, INVALID_PARAMS_CODE};

use crate::LaunchError;

fn refused(message: String) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(INVALID_PARAMS_CODE, message, None::<()>)
}

fn failed(message: String) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(CALL_EXECUTION_FAILED_CODE, message, None::<()>)
}

/// `cairn_getEvidence`: every equivocation this node has seen or was given (two conflicting
/// signed votes or proposals from one validator for one height and round), oldest first.
/// A proposal's entry also carries `pol_rounds`, which its signatures cover, so any entry can
/// be handed to another node's `cairn_submitEvidence`.
///
/// `cairn_submitEvidence(evidence)`: one entry in that shape, checked against the validator
/// set of its height (a member's key signed two different messages for one height, round and
/// kind); on a proof-of-stake chain it is queued for the blocks this node proposes, where the
/// staking contract slashes and tombstones the validator. Answers the evidence hash
/// (keccak-256 of the item's RLP, as a block body carries it).
pub(crate) fn evidence_methods<K: KvStore>(
    node: Arc<Node<K>>,
    log: Arc<EvidenceLog>,
) -> Result<jsonrpsee::Methods, LaunchError> {
    let mut module = jsonrpsee::RpcModule::new((node, log));
    module.register_method("cairn_getEvidence", |_, (_, log), _| {
        Ok::<_, ErrorObjectOwned>(log.list())
    })?;
    module.register_blocking_method("cairn_submitEvidence", |params, context, _| {
        let (node, log) = context.as_ref();
        let (evidence,): (Equivocation,) =
            params.parse().map_err(|e| refused(format!("invalid evidence: {}", e.message())))?;
        submit(node, log, evidence)
    })?;
    Ok(module.into())
}

fn submit<K: KvStore>(
    node: &Node<K>,
    log: &EvidenceLog,
    evidence: Equivocation,
) -> Result<alloy_primitives::B256, ErrorObjectOwned> {
    if node.spec().consensus != ConsensusKind::Pos {
        return Err(refused(
            "invalid evidence: only proof-of-stake chains put evidence on chain".into(),
        ));
    }
    let head = node.head().map_err(|e| failed(e.to_string()))?.number;
    if evidence.height > head {
        return Err(refused(format!(
            "invalid evidence: height {} is not decided yet (head {head})",
            evidence.height
        )));
    }
    let set = node.validator_set(evidence.height).map_err(|e| failed(e.to_string()))?;
    let item = verify_equivocation(node.spec().chain_id, &set, &evidence)
        .and_then(|item| check_evidence_age(node.spec(), &item, head + 1).map(|()| item))
        .map_err(|e| refused(format!("invalid evidence: {e}")))?;
    log.submit(evidence, item).map_err(|e| failed(e.to_string()))
}
