use std::sync::Arc;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use cairn_consensus::{ConsensusRoles, DevConsensus};
use cairn_node::{Node, NodeError};
use cairn_primitives::{ChainSpec, DevAccount, Header, dev_accounts};
use cairn_storage::{ChainStore, KvStore, MemoryKv};

pub const GWEI: u128 = 1_000_000_000;
pub const PROPOSER: Address = Address::repeat_byte(0xbe);

/// The dev engine's roles, as the nodes of [`Chain`] run them.
pub fn dev_roles() -> ConsensusRoles {
    ConsensusRoles::of(Arc::new(DevConsensus::new(PROPOSER)))
}

/// A dev chain in memory (or on any backend) with the ten dev accounts at hand.
pub struct Chain<K: KvStore = MemoryKv> {
    pub node: Arc<Node<K>>,
    pub accounts: Vec<DevAccount>,
    /// The in-memory store's map, shared with the node's (for [`Chain::store`]).
    pub memory: Option<MemoryKv>,
}

impl Chain<MemoryKv> {
    pub fn new() -> Self {
        Self::with_roles(dev_roles())
    }

    /// A dev chain in memory decided by `roles`.
    pub fn with_roles(roles: ConsensusRoles) -> Self {
        let kv = MemoryKv::new();
        Self { memory: Some(kv.clone()), ..Self::open_with(kv, roles) }
    }

    /// The node's store reached past the node (the map is shared), as a tampering tool or an
    /// operator's unwind would: the node keeps its own store private.
    pub fn store(&self) -> ChainStore<MemoryKv> {
        let kv = self.memory.clone().expect("a chain made by Chain::new");
        ChainStore::open_existing(kv, self.node.spec()).unwrap()
    }
}

impl<K: KvStore> Chain<K> {
    pub fn open(kv: K) -> Self {
        Self::open_with(kv, dev_roles())
    }

    /// A dev chain in `kv` decided by `roles` (account rules of a test, a recording end).
    pub fn open_with(kv: K, roles: ConsensusRoles) -> Self {
        let spec = ChainSpec::dev().unwrap();
        let node = Node::open(kv, spec, roles).unwrap();
        Self { node: Arc::new(node), accounts: dev_accounts(10).unwrap(), memory: None }
    }

    pub fn key(&self, index: usize) -> &PrivateKeySigner {
        &self.accounts[index].signer
    }

    pub fn address(&self, index: usize) -> Address {
        self.accounts[index].address
    }

    pub fn submit(&self, tx: &TxEnvelope) -> Result<B256, NodeError> {
        self.node.submit_raw(&tx.encoded_2718())
    }

    pub fn mine(&self) -> Header {
        self.node.produce_block().unwrap()
    }

    pub fn balance(&self, address: Address) -> U256 {
        self.node.account(address).unwrap().map_or(U256::ZERO, |a| a.balance)
    }

    pub fn nonce(&self, address: Address) -> u64 {
        self.node.account(address).unwrap().map_or(0, |a| a.nonce)
    }
}

/// An EIP-1559 transaction from the chain's id with a 10 gwei fee cap and 1 gwei tip.
pub fn eip1559(nonce: u64, to: TxKind, value: U256, input: Bytes, gas_limit: u64) -> TxEip1559 {
    TxEip1559 {
        chain_id: 31337,
        nonce,
        gas_limit,
        max_fee_per_gas: 10 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to,
        value,
        access_list: Default::default(),
        input,
    }
}

pub fn transfer(nonce: u64, to: Address, value: u64) -> TxEip1559 {
    eip1559(nonce, TxKind::Call(to), U256::from(value), Bytes::new(), 21_000)
}

pub fn sign(key: &PrivateKeySigner, tx: TxEip1559) -> TxEnvelope {
    let signature = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::Eip1559(tx.into_signed(signature))
}

pub fn sign_legacy(key: &PrivateKeySigner, tx: TxLegacy) -> TxEnvelope {
    let signature = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::Legacy(tx.into_signed(signature))
}

/// Runs `child`, an ignored test of this binary, with `var` naming `dir`, kills it with SIGKILL
/// after a random 300 to 1,500 ms, and returns the store file it left there, if it made one.
pub fn run_and_kill(
    child: &str,
    var: &str,
    dir: &std::path::Path,
    rng: &mut rand::rngs::StdRng,
) -> Option<std::path::PathBuf> {
    use rand::Rng as _;
    let mut process = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", child, "--ignored", "--nocapture"])
        .env(var, dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(rng.random_range(300..1500)));
    process.kill().unwrap(); // SIGKILL
    process.wait().unwrap();
    let path = dir.join("chain.redb");
    path.exists().then_some(path)
}
