//! A governed chain on the node's own store and execution, judged by the roles `govern` makes
//! of the dev engine's: blocks are built with the roles' `build` end and `build_block`, then
//! imported as a validator imports a proposal (header rules, the roles' `import` end, the
//! account rules at the parent's state, `execute_block`) and committed with what their
//! protocol calls produced, as the node does.

use std::sync::Arc;

use alloy_consensus::SignableTransaction;
use alloy_primitives::{Address, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_sol_types::SolCall;
use cairn_consensus::{
    ConsensusError, ConsensusRoles, DevConsensus, ValidatorSets, check_transactions,
};
use cairn_execution::{
    BlockContext, BuiltBlock, EndOfBlock, ExecError, ExecutedBlock, build_block, execute_block,
};
use cairn_governance::{GOVERNANCE_ADDRESS, govern};
use cairn_primitives::test_utils::eip1559;
use cairn_primitives::{
    Block, ChainSpec, ConsensusKind, DevAccount, GovernanceSpec, Header, NetworkKind, NodeSpec,
    OrganisationSpec, TxEnvelope, ValidatorSetRecord, dev_accounts,
};
use cairn_storage::{ChainStore, KvStore, MemoryKv, Snapshot};

/// A snapshot of the test chain's store.
pub(crate) type Snap = Snapshot<<MemoryKv as KvStore>::Read>;

use crate::harness::{CHAIN_ID, genesis_validator, peer, validator_address, with_contract};

/// Who the dev engine pays.
const BENEFICIARY: Address = Address::repeat_byte(0xbe);

/// A governed spec on `consensus`: organisation `o` (1-based) is administered by dev account
/// `o − 1` and has dev account `o + 3` as its member; on BFT each has validator seed `o`
/// (power 10). Dev accounts 7 to 9 belong to nobody.
pub(crate) fn governed_spec(consensus: ConsensusKind, orgs: u64, epoch_length: u64) -> ChainSpec {
    let users = dev_accounts(10).unwrap();
    let bft = consensus == ConsensusKind::Bft;
    let organisations = (1..=orgs)
        .map(|o| OrganisationSpec {
            name: format!("org{o}"),
            admins: vec![users[o as usize - 1].address],
            members: vec![users[o as usize + 3].address],
            deployers: Vec::new(),
            nodes: vec![NodeSpec {
                peer_id: peer(o),
                consensus_address: bft.then(|| validator_address(o)),
            }],
            validators: if bft { vec![validator_address(o)] } else { Vec::new() },
        })
        .collect();
    let validators = if bft { (1..=orgs).map(genesis_validator).collect() } else { Vec::new() };
    let spec = ChainSpec {
        chain_id: CHAIN_ID,
        network: if orgs == 1 { NetworkKind::Private } else { NetworkKind::Consortium },
        consensus,
        epoch_length: Some(epoch_length),
        validators,
        governance: Some(GovernanceSpec {
            voting_period_blocks: 20,
            permission_accounts: true,
            permission_nodes: true,
            permission_deployers: false,
            organisations,
        }),
        ..ChainSpec::dev().unwrap()
    };
    with_contract(spec)
}

/// The chain data a store holds before a height, as the node's own view of its store
/// answers it: the newest recorded set at or below the height, else genesis's.
pub(crate) struct StoreSets<'a> {
    snapshot: &'a Snap,
    genesis: Arc<ValidatorSetRecord>,
}

impl ValidatorSets for StoreSets<'_> {
    fn set_at(&self, height: u64) -> Result<Arc<ValidatorSetRecord>, ConsensusError> {
        Ok(match self.snapshot.validator_set_record(height)? {
            Some(record) => Arc::new(record),
            None => self.genesis.clone(),
        })
    }
}

/// Why an importer refused a block: the consensus rules, or its execution.
#[derive(Debug)]
pub(crate) enum Refusal {
    Consensus(ConsensusError),
    Exec(ExecError),
}

pub(crate) struct GovChain {
    pub(crate) spec: ChainSpec,
    pub(crate) store: ChainStore<MemoryKv>,
    pub(crate) roles: ConsensusRoles,
    genesis: Arc<ValidatorSetRecord>,
    users: Vec<DevAccount>,
    nonces: Vec<u64>,
}

impl GovChain {
    pub(crate) fn new(spec: ChainSpec) -> Self {
        let store = ChainStore::open(MemoryKv::new(), &spec).unwrap();
        let engine = ConsensusRoles::of(Arc::new(DevConsensus::new(BENEFICIARY)));
        let roles = govern(engine, &spec).unwrap();
        let genesis = Arc::new(spec.genesis_validator_set().unwrap());
        Self { spec, store, roles, genesis, users: dev_accounts(10).unwrap(), nonces: vec![0; 10] }
    }

    pub(crate) fn head(&self) -> Header {
        self.store.head().unwrap()
    }

    pub(crate) fn snapshot(&self) -> Snap {
        self.store.snapshot().unwrap()
    }

    fn sets<'a>(&self, snapshot: &'a Snap) -> StoreSets<'a> {
        StoreSets { snapshot, genesis: self.genesis.clone() }
    }

    /// The set deciding `height`, as the store answers it now.
    pub(crate) fn set_at(&self, height: u64) -> Arc<ValidatorSetRecord> {
        let snapshot = self.snapshot();
        self.sets(&snapshot).set_at(height).unwrap()
    }

    pub(crate) fn genesis_set(&self) -> Arc<ValidatorSetRecord> {
        self.genesis.clone()
    }

    /// A transaction from dev account `user` calling the governance contract.
    pub(crate) fn call<C: SolCall>(&mut self, user: usize, call: C) -> (TxEnvelope, Address) {
        let nonce = self.nonces[user];
        self.nonces[user] += 1;
        let from = &self.users[user];
        let input = Bytes::from(call.abi_encode());
        let tx = eip1559(
            CHAIN_ID,
            nonce,
            TxKind::Call(GOVERNANCE_ADDRESS),
            U256::ZERO,
            input,
            3_000_000,
        );
        let signature = from.signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        (TxEnvelope::Eip1559(tx.into_signed(signature)), from.address)
    }

    /// Builds the next block on the head with the governed roles, as its proposer would.
    pub(crate) fn build(&self, transactions: Vec<(TxEnvelope, Address)>) -> BuiltBlock {
        let snapshot = self.snapshot();
        let parent = snapshot.head().unwrap();
        let sets = self.sets(&snapshot);
        let end = self.roles.block_end.build(&sets, &snapshot, &parent).unwrap();
        let context = BlockContext::child_of(
            &parent,
            BENEFICIARY,
            parent.timestamp_ms + 1_000,
            sets.gas_limit_after(&parent).unwrap(),
        );
        build_block(&snapshot, &self.spec, &parent, context, transactions, Bytes::new(), &*end)
            .unwrap()
    }

    /// Judges `block` on the head as a validator judges a proposal.
    pub(crate) fn import(
        &self,
        block: &Block,
        senders: &[Address],
    ) -> Result<ExecutedBlock, Refusal> {
        let snapshot = self.snapshot();
        let parent = snapshot.head().unwrap();
        let sets = self.sets(&snapshot);
        self.roles
            .validator
            .validate_header(&sets, &parent, &block.header)
            .map_err(Refusal::Consensus)?;
        let end = self
            .roles
            .block_end
            .import(&sets, &snapshot, &parent, block)
            .map_err(Refusal::Consensus)?;
        check_transactions(&*self.roles.transactions, &snapshot, block, senders)
            .map_err(Refusal::Consensus)?;
        execute_block(&snapshot, &self.spec, &parent, block, senders, &*end).map_err(Refusal::Exec)
    }

    /// Builds the next block, imports it to the same result and commits it.
    pub(crate) fn produce(&self, transactions: Vec<(TxEnvelope, Address)>) -> (Block, EndOfBlock) {
        let built = self.build(transactions);
        assert!(built.rejected.is_empty(), "{:?}", built.rejected);
        let executed = self.import(&built.block, &built.senders).unwrap();
        assert_eq!(executed.end, built.end, "an importer's end equals the builder's");
        assert_eq!(executed.state.root, built.block.header.state_root);
        assert_eq!(built.block.header.commitments, built.end.commitments);
        let receipts = &built.receipts;
        for receipt in receipts {
            assert!(receipt.envelope.status(), "a governance transaction failed");
        }
        self.store
            .commit_block(
                &built.block,
                &built.senders,
                receipts,
                built.state,
                &built.end.clone().into_extras(),
            )
            .unwrap();
        (built.block, built.end)
    }

    /// Produces empty blocks until the head is `number`.
    pub(crate) fn produce_to(&self, number: u64) {
        while self.head().number < number {
            self.produce(Vec::new());
        }
    }
}
