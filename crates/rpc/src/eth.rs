//! Chain identity, account state and transaction submission.

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, B256, Bytes, U64, U256, keccak256};
use alloy_rpc_types_eth::{EIP1186AccountProofResponse, EIP1186StorageProof};
use alloy_serde::JsonStorageKey;
use cairn_storage::{AccountProof, StateView, StoreError};
use serde_json::{Value, json};

use crate::admission::{Admitted, SEND_RAW, raw_transaction};
use crate::context::{Module, RpcContext, json, register, register_value};
use crate::error::{node_error, server_error};
use crate::params::{Args, RpcResult, at_most, existing_block};

/// Most slots one `eth_getProof` may ask for.
const MAX_PROOF_SLOTS: usize = 1024;

pub(crate) fn register_all(module: &mut Module) {
    register(module, "eth_chainId", |_, ctx| json(U64::from(ctx.node.spec().chain_id)));
    register(module, "net_version", |_, ctx| json(ctx.node.spec().chain_id.to_string()));
    register(module, "eth_blockNumber", |_, ctx| {
        json(U64::from(ctx.view()?.heads().map_err(node_error)?.latest.number))
    });
    register(module, "web3_sha3", |params, _| {
        let data: Bytes = Args::new(&params).next()?;
        json(keccak256(&data))
    });
    register(module, "eth_getBalance", |params, ctx| {
        let mut args = Args::new(&params);
        let (address, block) = (args.next()?, args.block()?);
        let account = with_state(ctx, block, |state| state.account(address))?;
        json(account.map_or(U256::ZERO, |a| a.balance))
    });
    register(module, "eth_getTransactionCount", |params, ctx| {
        let mut args = Args::new(&params);
        let (address, block) = (args.next()?, args.block()?);
        if block == BlockId::Number(BlockNumberOrTag::Pending) {
            return json(U64::from(ctx.node.pending_nonce(address).map_err(node_error)?));
        }
        json(U64::from(
            with_state(ctx, block, |state| state.account(address))?.map_or(0, |a| a.nonce),
        ))
    });
    register(module, "eth_getCode", |params, ctx| {
        let mut args = Args::new(&params);
        let (address, block) = (args.next()?, args.block()?);
        // The account and its code from one state, so a block arriving between the two reads
        // cannot pair one block's account with another's code.
        let code = with_state(ctx, block, |state| code_of(state, address))?;
        json(code.unwrap_or_default())
    });
    register(module, "eth_getStorageAt", |params, ctx| {
        let mut args = Args::new(&params);
        let address: Address = args.next()?;
        let slot: JsonStorageKey = args.next()?;
        let block = args.block()?;
        let slot = U256::from_be_bytes(slot.as_b256().0);
        json(B256::from(with_state(ctx, block, |state| state.storage(address, slot))?))
    });
    register(module, "eth_getProof", |params, ctx| {
        let mut args = Args::new(&params);
        let address: Address = args.next()?;
        let keys: Vec<JsonStorageKey> = args.next()?;
        let block = args.block()?;
        at_most("storage keys", keys.len(), MAX_PROOF_SLOTS)?;
        let slots: Vec<B256> = keys.iter().map(|k| k.as_b256()).collect();
        let proof = proof_at(ctx, address, &slots, block)?;
        json(proof_response(address, keys, proof))
    });
    // Admitted by the `Admission` middleware before the handler runs; a request that did not
    // pass through it (or whose parameters are malformed) is handled here.
    let _ = module.register_method(SEND_RAW, |params, ctx, extensions| -> RpcResult<Value> {
        let hash = match extensions.get::<Admitted>() {
            Some(Admitted(verdict)) => verdict.clone()?,
            None => ctx.node.submit_raw(&raw_transaction(&params)?).map_err(node_error)?,
        };
        json(hash)
    });
    register_value(module, "eth_accounts", json!([]));
    register_value(
        module,
        "web3_clientVersion",
        json!(format!("cairn/v{}", env!("CARGO_PKG_VERSION"))),
    );
    register_value(module, "net_listening", json!(true));
    register_value(module, "net_peerCount", json!(U64::ZERO));
    register_value(module, "eth_syncing", json!(false));
}

/// The code deployed at `address` in `state`.
fn code_of(state: &dyn StateView, address: Address) -> Result<Option<Bytes>, StoreError> {
    match state.account(address)? {
        Some(account) => state.code(account.code_hash),
        None => Ok(None),
    }
}

/// Runs `read` on the state after `block`, from one view: the flat tables at the head (one
/// lookup), that block's tries before it (exact history).
fn with_state<T>(
    ctx: &RpcContext,
    block: BlockId,
    read: impl FnOnce(&dyn StateView) -> Result<T, StoreError>,
) -> RpcResult<T> {
    let view = ctx.view()?;
    let number = existing_block(view.as_ref(), block)?;
    let state = view.state_at(number).map_err(node_error)?;
    let state = state.ok_or_else(|| server_error("header not found"))?;
    read(state.as_ref()).map_err(|e| node_error(e.into()))
}

fn proof_at(
    ctx: &RpcContext,
    address: Address,
    slots: &[B256],
    block: BlockId,
) -> RpcResult<AccountProof> {
    let view = ctx.view()?;
    let number = existing_block(view.as_ref(), block)?;
    let proof = view.proof(number, address, slots).map_err(node_error)?;
    proof.ok_or_else(|| server_error("header not found"))
}

/// EIP-1186's answer; an absent account is proven with empty values, as geth does.
fn proof_response(
    address: Address,
    keys: Vec<JsonStorageKey>,
    proof: AccountProof,
) -> EIP1186AccountProofResponse {
    let account = proof.account.unwrap_or_default();
    let storage_proof = keys
        .into_iter()
        .zip(proof.storage)
        .map(|(key, slot)| EIP1186StorageProof { key, value: slot.value, proof: slot.proof })
        .collect();
    EIP1186AccountProofResponse {
        address,
        balance: account.balance,
        code_hash: account.code_hash,
        nonce: account.nonce,
        storage_hash: account.storage_root,
        account_proof: proof.proof,
        storage_proof,
    }
}
