//! `txpool_status` and `txpool_content`, in geth's shapes.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U64};
use cairn_mempool::PooledTx;
use serde_json::{Value, json};

use crate::context::{Module, json, register};
use crate::convert;
use crate::params::RpcResult;

pub(crate) fn register_all(module: &mut Module) {
    register(module, "txpool_status", |_, ctx| {
        let (pending, queued) = ctx.node.pool_content();
        Ok(json!({ "pending": U64::from(pending.len()), "queued": U64::from(queued.len()) }))
    });
    register(module, "txpool_content", |_, ctx| {
        let (pending, queued) = ctx.node.pool_content();
        Ok(json!({ "pending": by_sender(pending)?, "queued": by_sender(queued)? }))
    });
}

/// `{ sender: { nonce (decimal): transaction } }`, as geth nests them.
fn by_sender(txs: Vec<PooledTx>) -> RpcResult<Value> {
    let mut nested: BTreeMap<Address, BTreeMap<String, Value>> = BTreeMap::new();
    for pooled in txs {
        let nonce = pooled.nonce().to_string();
        let tx = json(convert::transaction(pooled.tx, pooled.sender, None))?;
        nested.entry(pooled.sender).or_default().insert(nonce, tx);
    }
    json(nested)
}
