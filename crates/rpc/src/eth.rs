use std::sync::Arc;

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, U64, U256};
use cairn_node::Node;
use cairn_storage::{Account, KvStore};
use jsonrpsee::RpcModule;
use jsonrpsee::types::{ErrorObjectOwned, Params};

use crate::error::{invalid_params, node_error};

type RpcResult<T> = Result<T, ErrorObjectOwned>;

/// The methods served, bound to a node.
pub fn module<K: KvStore>(node: Arc<Node<K>>) -> RpcModule<Arc<Node<K>>> {
    let mut module = RpcModule::new(node);
    let version = format!("cairn/v{}", env!("CARGO_PKG_VERSION"));
    let methods: [(&'static str, Handler<K>); 8] = [
        ("eth_chainId", |_, node| Ok(serde_json::json!(U64::from(node.spec().chain_id)))),
        ("net_version", |_, node| Ok(serde_json::json!(node.spec().chain_id.to_string()))),
        ("eth_blockNumber", |_, node| {
            Ok(serde_json::json!(U64::from(node.head().map_err(node_error)?.number)))
        }),
        ("eth_getBalance", |params, node| {
            let (address, block) = address_and_block(&params)?;
            Ok(serde_json::json!(
                account_at(node, address, block)?.map_or(U256::ZERO, |a| a.balance)
            ))
        }),
        ("eth_getTransactionCount", |params, node| {
            let (address, block) = address_and_block(&params)?;
            if block == BlockId::Number(BlockNumberOrTag::Pending) {
                return Ok(serde_json::json!(U64::from(
                    node.pending_nonce(address).map_err(node_error)?
                )));
            }
            Ok(serde_json::json!(U64::from(
                account_at(node, address, block)?.map_or(0, |a| a.nonce)
            )))
        }),
        ("eth_getCode", |params, node| {
            let (address, block) = address_and_block(&params)?;
            latest_only(node, block)?;
            Ok(serde_json::json!(node.code(address).map_err(node_error)?))
        }),
        ("eth_sendRawTransaction", |params, node| {
            let (raw,): (Bytes,) = params.parse()?;
            Ok(serde_json::json!(node.submit_raw(&raw).map_err(node_error)?))
        }),
        ("eth_accounts", |_, _| Ok(serde_json::json!(Vec::<Address>::new()))),
    ];
    for (name, handler) in methods {
        register(&mut module, name, handler);
    }
    register_value(&mut module, "web3_clientVersion", serde_json::json!(version));
    register_value(&mut module, "net_listening", serde_json::json!(true));
    register_value(&mut module, "net_peerCount", serde_json::json!(U64::ZERO));
    register_value(&mut module, "eth_syncing", serde_json::json!(false));
    module
}

type Handler<K> = fn(Params<'_>, &Arc<Node<K>>) -> RpcResult<serde_json::Value>;

fn register<K: KvStore>(
    module: &mut RpcModule<Arc<Node<K>>>,
    name: &'static str,
    handler: Handler<K>,
) {
    // Names are unique literals above, so registration cannot collide.
    let _ = module.register_method(name, move |params, node, _| handler(params, node));
}

fn register_value<K: KvStore>(
    module: &mut RpcModule<Arc<Node<K>>>,
    name: &'static str,
    value: serde_json::Value,
) {
    let _ = module.register_method(name, move |_, _, _| -> RpcResult<serde_json::Value> {
        Ok(value.clone())
    });
}

fn address_and_block(params: &Params<'_>) -> RpcResult<(Address, BlockId)> {
    let mut seq = params.sequence();
    let address: Address = seq.next()?;
    let block: Option<BlockId> = seq.optional_next()?;
    Ok((address, block.unwrap_or(BlockId::Number(BlockNumberOrTag::Latest))))
}

/// The height a block parameter names; `pending` reads the head state (the pool is counted
/// only where a method says so).
fn resolve<K: KvStore>(node: &Node<K>, block: BlockId) -> RpcResult<u64> {
    let head = node.head().map_err(node_error)?.number;
    let number = match block {
        BlockId::Number(BlockNumberOrTag::Number(n)) => n,
        BlockId::Number(BlockNumberOrTag::Earliest) => 0,
        BlockId::Number(_) => head,
        BlockId::Hash(hash) => {
            let block = node.block_by_hash(hash.block_hash).map_err(node_error)?;
            block
                .ok_or_else(|| invalid_params(format!("unknown block {}", hash.block_hash)))?
                .header
                .number
        }
    };
    if number > head {
        return Err(invalid_params(format!("block {number} is beyond the head {head}")));
    }
    Ok(number)
}

/// The account at any retained block, read through the state trie so history is exact.
fn account_at<K: KvStore>(
    node: &Node<K>,
    address: Address,
    block: BlockId,
) -> RpcResult<Option<Account>> {
    let number = resolve(node, block)?;
    let proof = node.proof(number, address, &[]).map_err(node_error)?;
    Ok(proof.and_then(|p| p.account))
}

fn latest_only<K: KvStore>(node: &Node<K>, block: BlockId) -> RpcResult<()> {
    let head = node.head().map_err(node_error)?.number;
    if resolve(node, block)? != head {
        return Err(invalid_params("only the latest block is served for this method so far"));
    }
    Ok(())
}
