//! A proof-of-stake chain on the node's own store and execution: blocks are built with
//! `build_block` and `StakingEnd::build`, re-executed with `execute_block` and
//! `StakingEnd::import`, and committed with what their protocol calls produced, as the node
//! will do once the PoS engine drives it. The engine's part (verifying the parent's
//! certificate, turning it into a bitmap) is played by the test: `last_commit` holds the
//! signers' addresses as a stand-in certificate, which `StakingEnd` only hashes.

use std::sync::Arc;

use alloy_consensus::SignableTransaction;
use alloy_primitives::{Address, B512, Bytes, TxKind, U256};
use alloy_rpc_types_eth::{TransactionInput, TransactionRequest};
use alloy_signer::SignerSync;
use alloy_sol_types::SolCall;
use cairn_execution::{
    BlockContext, BuiltBlock, CallContext, CallOutcome, EndOfBlock, ExecError, ExecutedBlock,
    build_block, call, execute_block,
};
use cairn_primitives::test_utils::eip1559;
use cairn_primitives::{
    Block, ChainSpec, ConsensusKind, DevAccount, DoubleSign, Header, Receipt, SignedValue,
    TxEnvelope, ValidatorSetRecord, dev_accounts,
};
use cairn_staking::{
    STAKING_ADDRESS, Staking, StakingEnd, StakingInputs, StakingParams, signed_bitmap,
    staking_account,
};
use cairn_storage::{ChainStore, MemoryKv, StateView};

use crate::harness::{CHAIN_ID, ConsensusKey, ether, genesis_validators, params};

/// A block that was built, imported again to the same result, and committed.
pub(crate) struct Produced {
    pub(crate) block: Block,
    pub(crate) senders: Vec<Address>,
    pub(crate) end: EndOfBlock,
}

pub(crate) struct PosChain {
    pub(crate) spec: ChainSpec,
    pub(crate) store: ChainStore<MemoryKv>,
    genesis_set: Arc<ValidatorSetRecord>,
    pub(crate) users: Vec<DevAccount>,
}

impl PosChain {
    /// `validators` genesis validators of 1,000 ether each (keys `ConsensusKey::from_seed(1..)`,
    /// operated by dev accounts `0..validators`), the harness's small staking parameters with
    /// `block_reward`; the ten dev accounts are the users who sign transactions.
    pub(crate) fn new(validators: u64, epoch_length: u64, block_reward: U256) -> Self {
        let params = StakingParams { block_reward, ..params() };
        let users = dev_accounts(10).unwrap();
        let mut genesis = genesis_validators(validators, ether(1_000));
        for (v, user) in genesis.iter_mut().zip(&users) {
            v.operator = user.address;
        }
        let mut spec = ChainSpec {
            chain_id: CHAIN_ID,
            consensus: ConsensusKind::Pos,
            epoch_length: Some(epoch_length),
            staking: Some(params.clone()),
            validators: genesis
                .iter()
                .zip(1..)
                .map(|(v, seed)| cairn_primitives::GenesisValidator {
                    name: format!("v{seed}"),
                    address: ConsensusKey::from_seed(seed).address(),
                    public_key: v.public_key.clone(),
                    power: params.power_of(v.stake),
                    stake: Some(v.stake),
                    operator: Some(v.operator),
                    commission_bps: Some(v.commission_bps),
                })
                .collect(),
            ..ChainSpec::dev().unwrap()
        };
        spec.alloc.insert(STAKING_ADDRESS, staking_account(&params, &genesis).unwrap());
        spec.validate().unwrap();
        let store = ChainStore::open(MemoryKv::new(), &spec).unwrap();
        let genesis_set = Arc::new(spec.genesis_validator_set().unwrap());
        Self { spec, store, genesis_set, users }
    }

    pub(crate) fn head(&self) -> Header {
        self.store.head().unwrap()
    }

    /// The set deciding `height`: the newest stored record at or below it, else genesis's.
    pub(crate) fn set_at(&self, height: u64) -> Arc<ValidatorSetRecord> {
        match self.store.snapshot().unwrap().validator_set_record(height).unwrap() {
            Some(record) => Arc::new(record),
            None => self.genesis_set.clone(),
        }
    }

    /// Every member of the set that decided the parent of the next block.
    pub(crate) fn all_signers(&self) -> Vec<Address> {
        let number = self.head().number + 1;
        if number == 1 {
            return Vec::new();
        }
        self.set_at(number - 1).members.iter().map(|m| m.address).collect()
    }

    /// The next block's inputs with `signers` of the parent's certificate and `evidence`.
    pub(crate) fn inputs(&self, signers: &[Address], evidence: Vec<DoubleSign>) -> StakingInputs {
        let number = self.head().number + 1;
        let signed = match number {
            1 => Vec::new(),
            _ => signed_bitmap(&self.set_at(number - 1), signers).unwrap(),
        };
        StakingInputs {
            block_reward: self.spec.staking_params().block_reward,
            signed,
            current_set: self.set_at(number),
            last_commit: signers.iter().flat_map(|a| a.0).collect(),
            evidence,
            ends_epoch: self.spec.ends_epoch(number).then(|| self.spec.epoch_of(number) + 1),
        }
    }

    fn context(&self, beneficiary: Address) -> BlockContext {
        let parent = self.head();
        BlockContext::child_of(&parent, beneficiary, parent.timestamp_ms + 1_000, parent.gas_limit)
    }

    /// Builds the next block on the head, as its proposer would, paying `beneficiary`.
    pub(crate) fn build_paying(
        &self,
        beneficiary: Address,
        inputs: StakingInputs,
        transactions: Vec<(TxEnvelope, Address)>,
    ) -> Result<BuiltBlock, ExecError> {
        let snapshot = self.store.snapshot().unwrap();
        let parent = snapshot.head().unwrap();
        let end = StakingEnd::build(inputs);
        let context = self.context(beneficiary);
        build_block(&snapshot, &self.spec, &parent, context, transactions, Bytes::new(), &end)
    }

    pub(crate) fn build(
        &self,
        inputs: StakingInputs,
        transactions: Vec<(TxEnvelope, Address)>,
    ) -> Result<BuiltBlock, ExecError> {
        self.build_paying(STAKING_ADDRESS, inputs, transactions)
    }

    /// Re-executes `block` on the head as an importer would.
    pub(crate) fn import(
        &self,
        block: &Block,
        senders: &[Address],
        inputs: StakingInputs,
    ) -> Result<ExecutedBlock, ExecError> {
        let snapshot = self.store.snapshot().unwrap();
        let parent = snapshot.head().unwrap();
        execute_block(&snapshot, &self.spec, &parent, block, senders, &StakingEnd::import(inputs))
    }

    /// The import inputs of a block from elsewhere: its own consensus data, with the bitmap
    /// of `signers` the engine would take from its certificate.
    pub(crate) fn inputs_of(&self, block: &Block, signers: &[Address]) -> StakingInputs {
        let data = block.consensus.clone().unwrap();
        let inputs = self.inputs(signers, data.evidence);
        assert_eq!(inputs.last_commit, data.last_commit);
        inputs
    }

    /// Imports a block built elsewhere and commits it.
    pub(crate) fn import_and_commit(
        &self,
        block: &Block,
        senders: &[Address],
        signers: &[Address],
    ) -> EndOfBlock {
        let executed = self.import(block, senders, self.inputs_of(block, signers)).unwrap();
        let end = executed.end.clone();
        self.store
            .commit_block(
                block,
                senders,
                &executed.receipts,
                executed.state,
                &end.clone().into_extras(),
            )
            .unwrap();
        end
    }

    /// Builds the next block, imports it again (the same end, receipts and state root), and
    /// commits it.
    pub(crate) fn produce(
        &self,
        signers: &[Address],
        evidence: Vec<DoubleSign>,
        transactions: Vec<(TxEnvelope, Address)>,
    ) -> Produced {
        let built = self.build(self.inputs(signers, evidence), transactions).unwrap();
        let executed = self
            .import(&built.block, &built.senders, self.inputs_of(&built.block, signers))
            .unwrap();
        assert_eq!(executed.end, built.end, "an importer's end equals the builder's");
        assert_eq!(executed.receipts, built.receipts);
        assert_eq!(executed.state.root, built.block.header.state_root);
        assert_eq!(built.block.header.commitments, built.end.commitments);
        assert_eq!(built.block.consensus, built.end.consensus);
        let produced = Produced {
            block: built.block.clone(),
            senders: built.senders.clone(),
            end: built.end.clone(),
        };
        self.store
            .commit_block(
                &built.block,
                &built.senders,
                &built.receipts,
                built.state,
                &built.end.into_extras(),
            )
            .unwrap();
        produced
    }

    /// The next block, signed by the whole previous set, without evidence or transactions.
    pub(crate) fn next_block(&self) -> Produced {
        self.produce(&self.all_signers(), Vec::new(), Vec::new())
    }

    /// A signed EIP-1559 transaction (1 gwei tip) from dev account `user`.
    pub(crate) fn tx(
        &self,
        user: usize,
        nonce: u64,
        to: Address,
        value: U256,
        input: Bytes,
    ) -> (TxEnvelope, Address) {
        let from = &self.users[user];
        let tx = eip1559(CHAIN_ID, nonce, TxKind::Call(to), value, input, 1_000_000);
        let signature = from.signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        (TxEnvelope::Eip1559(tx.into_signed(signature)), from.address)
    }

    /// The operator of genesis validator `seed`.
    pub(crate) fn operator(&self, seed: u64) -> Address {
        self.users[seed as usize - 1].address
    }

    pub(crate) fn receipts(&self, number: u64) -> Vec<Receipt> {
        self.store.snapshot().unwrap().receipts(number).unwrap().unwrap()
    }

    pub(crate) fn balance(&self, who: Address) -> U256 {
        let snapshot = self.store.snapshot().unwrap();
        snapshot.account(who).unwrap().map(|a| a.balance).unwrap_or_default()
    }

    /// A view of the staking contract on the head's state.
    pub(crate) fn view<C: SolCall>(&self, request: C) -> C::Return {
        let snapshot = self.store.snapshot().unwrap();
        let context = CallContext { block: BlockContext::of(&self.head()), chain_id: CHAIN_ID };
        let request = TransactionRequest {
            to: Some(TxKind::Call(STAKING_ADDRESS)),
            input: TransactionInput::new(request.abi_encode().into()),
            ..TransactionRequest::default()
        };
        match call(&snapshot, context, &request, None, None).unwrap() {
            CallOutcome::Success { output, .. } => C::abi_decode_returns(&output).unwrap(),
            other => panic!("view failed: {other:?}"),
        }
    }
}

/// Two precommits of validator `seed` for different blocks at `height` in `epoch`, as a block
/// carries them.
pub(crate) fn double_precommit(seed: u64, height: u64, epoch: u64) -> DoubleSign {
    let e = crate::slashing::double_precommit(seed, height, epoch);
    let message = |m: &Staking::SignedMessage| SignedValue {
        value: m.value,
        nil: m.isNil,
        pol_round: 0,
        signature: B512::from_slice(&[m.r.as_slice(), m.s.as_slice()].concat()),
    };
    DoubleSign {
        kind: e.kind,
        height: e.height,
        round: e.round,
        validator: e.validator,
        epoch: e.epoch,
        first: message(&e.first),
        second: message(&e.second),
    }
}
