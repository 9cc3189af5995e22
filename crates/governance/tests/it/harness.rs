//! A chain reduced to what the governance contract sees: a genesis built by the node's own
//! builder from a chain spec, blocks with a number, transactions from admins and members, and
//! the protocol's `endEpoch` system call from revm's SYSTEM_ADDRESS.

use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256, keccak256};
use alloy_sol_types::{SolCall, SolEvent};
use cairn_governance::{
    GOVERNANCE_ADDRESS, Governance, GovernanceError, SYSTEM_ADDRESS, governance_account,
};
use cairn_primitives::{
    ChainSpec, ConsensusKind, GenesisValidator, GovernanceSpec, NetworkKind, NodeSpec,
    OrganisationSpec,
};
use cairn_storage::{Account, StateView, StoreError};
use k256::ecdsa::SigningKey;
use revm::context::result::{ExecutionResult, HaltReason};
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::database::InMemoryDB;
use revm::handler::{ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext, SystemCallCommitEvm};
use revm::primitives::hardfork::SpecId;
use revm::state::{AccountInfo, Bytecode};

use Governance::GovernanceErrors as E;

pub(crate) const CHAIN_ID: u64 = 7358;
pub(crate) const EPOCH_LENGTH: u64 = 10;
pub(crate) const VOTING_PERIOD: u64 = 15;

/// A consensus key from a seed.
pub(crate) fn key(seed: u64) -> SigningKey {
    let mut bytes = [0u8; 32];
    bytes[24..].copy_from_slice(&seed.to_be_bytes());
    bytes[0] = 0x22;
    SigningKey::from_slice(&bytes).unwrap()
}

pub(crate) fn compressed(seed: u64) -> Bytes {
    Bytes::copy_from_slice(key(seed).verifying_key().to_encoded_point(true).as_bytes())
}

pub(crate) fn uncompressed_xy(seed: u64) -> Bytes {
    Bytes::copy_from_slice(&key(seed).verifying_key().to_encoded_point(false).as_bytes()[1..])
}

pub(crate) fn validator_address(seed: u64) -> Address {
    Address::from_slice(&keccak256(uncompressed_xy(seed))[12..])
}

/// An ed25519 libp2p peer id's bytes (identity multihash of the protobuf-encoded key).
pub(crate) fn peer(n: u64) -> Bytes {
    let mut id = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
    id.extend([0u8; 24]);
    id.extend(n.to_be_bytes());
    Bytes::from(id)
}

pub(crate) fn account(n: u64) -> Address {
    Address::left_padding_from(&(0xa000_0000 + n).to_be_bytes())
}

/// Organisation `o` (1-based): admin `admin(o)`, members `member(o, 1..=2)`, node `peer(o)`
/// and validators of key seeds `10·o + 1 ..= 10·o + validators`.
pub(crate) fn admin(org: u64) -> Address {
    account(100 * org)
}

pub(crate) fn member(org: u64, n: u64) -> Address {
    account(100 * org + n)
}

pub(crate) fn outsider() -> Address {
    account(9_999)
}

fn validator_seeds(org: u64, validators: u64) -> impl Iterator<Item = u64> {
    (1..=validators).map(move |i| 10 * org + i)
}

/// A governed spec of `orgs` organisations with `validators` validators each, power 10 each.
pub(crate) fn spec(network: NetworkKind, orgs: u64, validators: u64) -> ChainSpec {
    let organisations = (1..=orgs)
        .map(|o| OrganisationSpec {
            name: format!("org{o}"),
            admins: vec![admin(o)],
            members: vec![member(o, 1), member(o, 2)],
            deployers: vec![member(o, 1)],
            nodes: vec![NodeSpec {
                peer_id: peer(o),
                consensus_address: validator_seeds(o, validators).next().map(validator_address),
            }],
            validators: validator_seeds(o, validators).map(validator_address).collect(),
        })
        .collect();
    let spec = ChainSpec {
        chain_id: CHAIN_ID,
        network,
        consensus: ConsensusKind::Bft,
        epoch_length: Some(EPOCH_LENGTH),
        validators: (1..=orgs)
            .flat_map(|o| validator_seeds(o, validators))
            .map(genesis_validator)
            .collect(),
        governance: Some(GovernanceSpec {
            voting_period_blocks: VOTING_PERIOD,
            permission_accounts: true,
            permission_nodes: true,
            permission_deployers: false,
            organisations,
        }),
        ..ChainSpec::dev().unwrap()
    };
    with_contract(spec)
}

/// Genesis validator of key seed `seed`, power 10.
pub(crate) fn genesis_validator(seed: u64) -> GenesisValidator {
    GenesisValidator {
        name: format!("v{seed}"),
        address: validator_address(seed),
        public_key: compressed(seed),
        power: 10,
        stake: None,
        operator: None,
        commission_bps: None,
    }
}

/// `spec` with the governance contract its `[governance]` section describes, checked valid.
pub(crate) fn with_contract(mut spec: ChainSpec) -> ChainSpec {
    let account = governance_account(&spec).unwrap();
    spec.alloc.insert(GOVERNANCE_ADDRESS, account);
    spec.validate().unwrap();
    spec
}

/// What a successful transaction or system call produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) logs: Vec<Log>,
    pub(crate) gas_used: u64,
    pub(crate) output: Bytes,
}

impl Outcome {
    pub(crate) fn events<Ev: SolEvent>(&self) -> Vec<Ev> {
        self.logs.iter().filter_map(|l| Ev::decode_log(l).ok().map(|l| l.data)).collect()
    }
}

pub(crate) struct Chain {
    db: InMemoryDB,
    /// The block being executed.
    pub(crate) number: u64,
}

impl Chain {
    /// The contract's genesis account from the spec's alloc, placed at its address.
    pub(crate) fn new(spec: &ChainSpec) -> Self {
        let genesis = &spec.alloc[&GOVERNANCE_ADDRESS];
        let mut db = InMemoryDB::default();
        db.insert_account_info(
            GOVERNANCE_ADDRESS,
            AccountInfo {
                balance: genesis.balance,
                nonce: genesis.nonce,
                code: Some(Bytecode::new_raw(genesis.code.clone())),
                code_hash: keccak256(&genesis.code),
                ..AccountInfo::default()
            },
        );
        for (slot, value) in &genesis.storage {
            db.insert_account_storage(GOVERNANCE_ADDRESS, (*slot).into(), *value).unwrap();
        }
        Self { db, number: 1 }
    }

    /// Three organisations of one validator each.
    pub(crate) fn consortium() -> Self {
        Self::new(&spec(NetworkKind::Consortium, 3, 1))
    }

    fn run<T>(
        &mut self,
        f: impl FnOnce(&mut revm::MainnetEvm<revm::handler::MainnetContext<InMemoryDB>>) -> T,
    ) -> T {
        let mut cfg = CfgEnv::new_with_spec(SpecId::CANCUN);
        cfg.chain_id = CHAIN_ID;
        cfg.disable_nonce_check = true;
        cfg.disable_block_gas_limit = true;
        let block = BlockEnv {
            number: U256::from(self.number),
            gas_limit: 60_000_000,
            ..Default::default()
        };
        let db = std::mem::take(&mut self.db);
        let mut evm =
            Context::mainnet().with_db(db).with_cfg(cfg).with_block(block).build_mainnet();
        let out = f(&mut evm);
        self.db = std::mem::take(&mut evm.ctx.journaled_state.database);
        out
    }

    fn outcome(result: ExecutionResult<HaltReason>) -> Result<Outcome, GovernanceError> {
        match result {
            ExecutionResult::Success { gas, logs, output, .. } => {
                Ok(Outcome { logs, gas_used: gas.tx_gas_used(), output: output.into_data() })
            }
            ExecutionResult::Revert { output, .. } => Err(GovernanceError::from_revert(output)),
            ExecutionResult::Halt { reason, .. } => Err(GovernanceError::Halted(reason)),
        }
    }

    /// A transaction from `from` to the governance contract with raw calldata and value.
    pub(crate) fn send_raw(
        &mut self,
        from: Address,
        value: U256,
        data: Bytes,
    ) -> Result<Outcome, GovernanceError> {
        let tx = TxEnv::builder()
            .caller(from)
            .kind(TxKind::Call(GOVERNANCE_ADDRESS))
            .data(data)
            .value(value)
            .gas_limit(30_000_000)
            .gas_price(0)
            .chain_id(Some(CHAIN_ID))
            .build()
            .unwrap();
        let result = self.run(|evm| evm.transact_commit(tx)).unwrap();
        Self::outcome(result)
    }

    /// A transaction from `from` to the governance contract.
    pub(crate) fn send<C: SolCall>(
        &mut self,
        from: Address,
        call: C,
    ) -> Result<Outcome, GovernanceError> {
        self.send_raw(from, U256::ZERO, call.abi_encode().into())
    }

    /// A proposal that must be accepted: its id.
    pub(crate) fn propose<C: SolCall>(&mut self, from: Address, call: C) -> u64 {
        let done = self.send(from, call).unwrap();
        done.events::<Governance::ProposalCreated>()[0].id
    }

    pub(crate) fn vote(
        &mut self,
        from: Address,
        id: u64,
        support: bool,
    ) -> Result<Outcome, GovernanceError> {
        self.send(from, Governance::voteCall { id, support })
    }

    /// The protocol call, as the node makes it: revm's system call from SYSTEM_ADDRESS.
    pub(crate) fn system<C: SolCall>(&mut self, call: C) -> Result<Outcome, GovernanceError> {
        let data: Bytes = call.abi_encode().into();
        let result = self
            .run(|evm| evm.system_call_with_caller_commit(SYSTEM_ADDRESS, GOVERNANCE_ADDRESS, data))
            .unwrap();
        Self::outcome(result)
    }

    /// Moves to the epoch's last block, calls `endEpoch` there and moves on to the next
    /// epoch's first block.
    pub(crate) fn end_epoch(&mut self) -> Outcome {
        self.number = self.number.div_ceil(EPOCH_LENGTH).max(1) * EPOCH_LENGTH;
        let done = self.system(Governance::endEpochCall {}).unwrap();
        self.number += 1;
        done
    }

    pub(crate) fn try_view<C: SolCall>(&mut self, call: C) -> Result<C::Return, GovernanceError> {
        let tx = TxEnv::builder()
            .caller(outsider())
            .kind(TxKind::Call(GOVERNANCE_ADDRESS))
            .data(call.abi_encode().into())
            .gas_limit(30_000_000)
            .gas_price(0)
            .chain_id(Some(CHAIN_ID))
            .build()
            .unwrap();
        let result = self.run(|evm| evm.transact(tx)).unwrap().result;
        let output = Self::outcome(result)?.output;
        Ok(C::abi_decode_returns(&output)?)
    }

    pub(crate) fn view<C: SolCall>(&mut self, call: C) -> C::Return {
        self.try_view(call).unwrap()
    }

    pub(crate) fn proposal(&mut self, id: u64) -> Governance::ProposalInfo {
        self.view(Governance::proposalCall { id })
    }

    /// The set in force: (validator, power) by address.
    pub(crate) fn set(&mut self) -> Vec<(Address, u64)> {
        self.view(Governance::validatorSetCall {})
            .into_iter()
            .map(|v| (v.validator, v.power))
            .collect()
    }

    pub(crate) fn fund(&mut self, who: Address, amount: U256) {
        self.db.insert_account_info(who, AccountInfo { balance: amount, ..AccountInfo::default() });
    }

    pub(crate) fn is_member(&mut self, account: Address) -> bool {
        self.view(Governance::isMemberCall { account })
    }

    /// A slot of the governance contract's storage.
    pub(crate) fn storage(&self, slot: U256) -> U256 {
        self.state().storage(GOVERNANCE_ADDRESS, slot).unwrap()
    }

    /// The chain's state as the node's readers see a store's state: accounts with their real
    /// storage roots, so a cache keyed by the root is tested against true roots.
    pub(crate) fn state(&self) -> ChainState<'_> {
        ChainState(&self.db)
    }
}

/// A read-only view of the chain's state through the node's `StateView`.
pub(crate) struct ChainState<'a>(&'a InMemoryDB);

impl StateView for ChainState<'_> {
    fn account(&self, address: Address) -> Result<Option<Account>, StoreError> {
        Ok(self.0.cache.accounts.get(&address).map(|a| Account {
            nonce: a.info.nonce,
            balance: a.info.balance,
            storage_root: alloy_trie::root::storage_root_unhashed(
                a.storage.iter().filter(|(_, v)| !v.is_zero()).map(|(k, v)| (B256::from(*k), *v)),
            ),
            code_hash: a.info.code_hash,
        }))
    }

    fn storage(&self, address: Address, slot: U256) -> Result<U256, StoreError> {
        Ok(self
            .0
            .cache
            .accounts
            .get(&address)
            .and_then(|a| a.storage.get(&slot).copied())
            .unwrap_or_default())
    }

    fn code(&self, hash: B256) -> Result<Option<Bytes>, StoreError> {
        Ok(self.0.cache.contracts.get(&hash).map(|c| c.original_bytes()))
    }

    fn block_hash(&self, _: u64) -> Result<Option<B256>, StoreError> {
        Ok(None)
    }
}

/// The contract's typed refusal of a result, for `assert_eq!`.
pub(crate) fn refusal<T: std::fmt::Debug>(result: Result<T, GovernanceError>) -> E {
    match result {
        Err(GovernanceError::Refused(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}
