//! `cairn_getEvidence`, the JSON-RPC method a BFT node adds to the Ethereum ones.

use std::sync::Arc;

use cairn_consensus::Equivocation;
use cairn_node::Node;
use cairn_storage::KvStore;
use jsonrpsee::types::ErrorObjectOwned;

use crate::LaunchError;

/// `cairn_getEvidence`: every equivocation this node has seen (two conflicting signed votes or
/// proposals from one validator for one height and round), oldest first, as its engine reports
/// it. Served in the shape it has always had: the proposals' proof-of-lock rounds stay in the
/// log, for slashing.
pub(crate) fn evidence_methods<K: KvStore>(
    node: Arc<Node<K>>,
) -> Result<jsonrpsee::Methods, LaunchError> {
    let mut module = jsonrpsee::RpcModule::new(node);
    module.register_method("cairn_getEvidence", |_, node, _| {
        let served: Vec<_> = node
            .consensus()
            .evidence()
            .into_iter()
            .map(|e| Equivocation { pol_rounds: None, ..e })
            .collect();
        Ok::<_, ErrorObjectOwned>(served)
    })?;
    Ok(module.into())
}
