//! A chain reduced to what the staking contract sees: blocks with a number, transactions from
//! funded accounts, and the protocol's end-of-block system calls in the node's order
//! (mint the reward, `endBlock`, then `endEpoch` on an epoch's last block).

use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256, keccak256};
use alloy_sol_types::{SolCall, SolEvent};
use cairn_primitives::Ratio;
use cairn_staking::{
    GenesisValidator, STAKING_ADDRESS, SYSTEM_ADDRESS, Staking, StakingError, StakingParams,
    ValidatorStatus, decode_output, pop_digest, staking_account,
};
use k256::ecdsa::SigningKey;
use revm::context::result::{ExecutionResult, HaltReason};
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::database::InMemoryDB;
use revm::handler::{ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext, SystemCallCommitEvm};
use revm::primitives::hardfork::SpecId;
use revm::state::{AccountInfo, Bytecode};

pub(crate) const CHAIN_ID: u64 = 7357;
pub(crate) const ETHER: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

pub(crate) fn ether(n: u64) -> U256 {
    U256::from(n) * ETHER
}

/// Small numbers, so tests reach every rule in a few blocks.
pub(crate) fn params() -> StakingParams {
    StakingParams {
        power_reduction: ETHER,
        min_self_stake: ether(100),
        max_validators: 4,
        max_candidates: 10,
        unbonding_epochs: 2,
        signed_blocks_window: 10,
        min_signed_per_window: Ratio::from_bps(5_000).unwrap(),
        downtime_jail_blocks: 20,
        slash_double_sign: Ratio::from_bps(500).unwrap(),
        slash_downtime: Ratio::from_bps(100).unwrap(),
        block_reward: U256::ZERO,
    }
}

/// A consensus key: what a validator signs with.
pub(crate) struct ConsensusKey {
    pub(crate) key: SigningKey,
}

impl ConsensusKey {
    pub(crate) fn from_seed(seed: u64) -> Self {
        let mut bytes = [0u8; 32];
        bytes[24..].copy_from_slice(&seed.to_be_bytes());
        bytes[0] = 0x11;
        Self { key: SigningKey::from_slice(&bytes).unwrap() }
    }

    pub(crate) fn compressed(&self) -> Bytes {
        Bytes::copy_from_slice(self.key.verifying_key().to_encoded_point(true).as_bytes())
    }

    pub(crate) fn uncompressed_xy(&self) -> Bytes {
        Bytes::copy_from_slice(&self.key.verifying_key().to_encoded_point(false).as_bytes()[1..])
    }

    pub(crate) fn address(&self) -> Address {
        Address::from_slice(&keccak256(self.uncompressed_xy())[12..])
    }

    /// A 64-byte (r, s) low-s signature of `digest`.
    pub(crate) fn sign(&self, digest: B256) -> (B256, B256) {
        let (sig, _) = self.key.sign_prehash_recoverable(digest.as_slice()).unwrap();
        let bytes = sig.to_bytes();
        (B256::from_slice(&bytes[..32]), B256::from_slice(&bytes[32..]))
    }

    pub(crate) fn pop(&self, operator: Address) -> Bytes {
        let (r, s) = self.sign(pop_digest(CHAIN_ID, operator));
        Bytes::from([r.as_slice(), s.as_slice()].concat())
    }
}

pub(crate) fn account(n: u64) -> Address {
    Address::left_padding_from(&(0xa000_0000 + n).to_be_bytes())
}

/// One genesis validator per key seed `1..=n`, operated by `account(seed)`.
pub(crate) fn genesis_validators(n: u64, stake: U256) -> Vec<GenesisValidator> {
    (1..=n)
        .map(|i| GenesisValidator {
            public_key: ConsensusKey::from_seed(i).compressed(),
            operator: account(i),
            stake,
            commission_bps: 1_000,
        })
        .collect()
}

/// What a successful transaction or system call produced.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) logs: Vec<Log>,
    pub(crate) gas_used: u64,
    pub(crate) output: Bytes,
}

impl Outcome {
    pub(crate) fn events<E: SolEvent>(&self) -> Vec<E> {
        self.logs.iter().filter_map(|l| E::decode_log(l).ok().map(|l| l.data)).collect()
    }
}

pub(crate) struct Chain {
    db: InMemoryDB,
    /// The block being executed.
    pub(crate) number: u64,
    /// Blocks per epoch (the node's parameter, not the contract's).
    pub(crate) epoch_length: u64,
}

impl Chain {
    /// Genesis from the builder the node will use, placed at the staking address, plus funded
    /// accounts `account(1..=20)` (the genesis validators' operators among them) and
    /// `account(100..=110)` for delegators.
    pub(crate) fn new(
        params: &StakingParams,
        validators: &[GenesisValidator],
        epoch_length: u64,
    ) -> Self {
        let genesis = staking_account(params, validators).unwrap();
        let mut db = InMemoryDB::default();
        db.insert_account_info(
            STAKING_ADDRESS,
            AccountInfo {
                balance: genesis.balance,
                nonce: genesis.nonce,
                code: Some(Bytecode::new_raw(genesis.code.clone())),
                code_hash: keccak256(&genesis.code),
                ..AccountInfo::default()
            },
        );
        for (slot, value) in genesis.storage {
            db.insert_account_storage(STAKING_ADDRESS, slot.into(), value).unwrap();
        }
        for n in (1..=20).chain(100..=110) {
            db.insert_account_info(
                account(n),
                AccountInfo { balance: ether(1_000_000), ..AccountInfo::default() },
            );
        }
        Self { db, number: 1, epoch_length }
    }

    /// Four validators of 1,000 ether each, epochs of 10 blocks.
    pub(crate) fn standard() -> Self {
        Self::new(&params(), &genesis_validators(4, ether(1_000)), 10)
    }

    fn cfg() -> CfgEnv {
        let mut cfg = CfgEnv::new_with_spec(SpecId::CANCUN);
        cfg.chain_id = CHAIN_ID;
        cfg.disable_nonce_check = true;
        cfg.disable_block_gas_limit = true;
        // Lets a test send from an account with code (a wallet contract refusing payments).
        cfg.disable_eip3607 = true;
        cfg
    }

    fn block(&self) -> BlockEnv {
        BlockEnv { number: U256::from(self.number), gas_limit: 60_000_000, ..BlockEnv::default() }
    }

    fn run<T>(
        &mut self,
        f: impl FnOnce(&mut revm::MainnetEvm<revm::handler::MainnetContext<InMemoryDB>>) -> T,
    ) -> T {
        let db = std::mem::take(&mut self.db);
        let mut evm = Context::mainnet()
            .with_db(db)
            .with_cfg(Self::cfg())
            .with_block(self.block())
            .build_mainnet();
        let out = f(&mut evm);
        self.db = std::mem::take(&mut evm.ctx.journaled_state.database);
        out
    }

    fn outcome(result: ExecutionResult<HaltReason>) -> Result<Outcome, StakingError> {
        match result {
            ExecutionResult::Success { gas, logs, output, .. } => {
                Ok(Outcome { logs, gas_used: gas.tx_gas_used(), output: output.into_data() })
            }
            ExecutionResult::Revert { output, .. } => Err(StakingError::from_revert(output)),
            ExecutionResult::Halt { reason, .. } => Err(StakingError::Halted(reason)),
        }
    }

    /// A transaction from `from` to the staking contract.
    pub(crate) fn send<C: SolCall>(
        &mut self,
        from: Address,
        value: U256,
        call: C,
    ) -> Result<Outcome, StakingError> {
        let tx = TxEnv::builder()
            .caller(from)
            .kind(TxKind::Call(STAKING_ADDRESS))
            .data(call.abi_encode().into())
            .value(value)
            .gas_limit(30_000_000)
            .gas_price(0)
            .chain_id(Some(CHAIN_ID))
            .build()
            .unwrap();
        let result = self.run(|evm| evm.transact_commit(tx)).unwrap();
        Self::outcome(result)
    }

    /// A transaction carrying raw calldata (for selectors the ABI does not have).
    pub(crate) fn send_raw(
        &mut self,
        from: Address,
        value: U256,
        data: Bytes,
    ) -> Result<Outcome, StakingError> {
        let tx = TxEnv::builder()
            .caller(from)
            .kind(TxKind::Call(STAKING_ADDRESS))
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

    /// A protocol call, as the node makes it: revm's system call from SYSTEM_ADDRESS.
    pub(crate) fn system<C: SolCall>(&mut self, call: C) -> Result<Outcome, StakingError> {
        let data: Bytes = call.abi_encode().into();
        let result = self
            .run(|evm| evm.system_call_with_caller_commit(SYSTEM_ADDRESS, STAKING_ADDRESS, data))
            .unwrap();
        Self::outcome(result)
    }

    /// A read-only call; nothing is committed.
    pub(crate) fn try_view<C: SolCall>(&mut self, call: C) -> Result<C::Return, StakingError> {
        let tx = TxEnv::builder()
            .caller(account(999))
            .kind(TxKind::Call(STAKING_ADDRESS))
            .data(call.abi_encode().into())
            .gas_limit(30_000_000)
            .gas_price(0)
            .chain_id(Some(CHAIN_ID))
            .build()
            .unwrap();
        let result = self.run(|evm| evm.transact(tx)).unwrap().result;
        decode_output::<C>(&result)
    }

    pub(crate) fn view<C: SolCall>(&mut self, call: C) -> C::Return {
        self.try_view(call).unwrap()
    }

    /// Gives `who` a balance (for tests that need more accounts than `new` funds).
    pub(crate) fn fund(&mut self, who: Address, amount: U256) {
        self.db.insert_account_info(who, AccountInfo { balance: amount, ..AccountInfo::default() });
    }

    /// Puts `code` at `who`, keeping its balance.
    pub(crate) fn set_code(&mut self, who: Address, code: Bytes) {
        let balance = self.balance(who);
        self.db.insert_account_info(
            who,
            AccountInfo {
                balance,
                code_hash: keccak256(&code),
                code: Some(Bytecode::new_raw(code)),
                ..AccountInfo::default()
            },
        );
    }

    pub(crate) fn storage(&self, who: Address, slot: U256) -> U256 {
        self.db
            .cache
            .accounts
            .get(&who)
            .and_then(|a| a.storage.get(&slot).copied())
            .unwrap_or_default()
    }

    pub(crate) fn balance(&self, who: Address) -> U256 {
        self.db.cache.accounts.get(&who).map(|a| a.info.balance).unwrap_or_default()
    }

    /// What the node does before `endBlock`: the issuance is added to the contract's balance
    /// (fees arrive as the block's beneficiary's income; both are "minted" here).
    pub(crate) fn mint(&mut self, amount: U256) {
        let account = self.db.cache.accounts.get_mut(&STAKING_ADDRESS).unwrap();
        account.info.balance += amount;
    }

    pub(crate) fn epoch(&mut self) -> u64 {
        self.view(Staking::currentEpochCall {})
    }

    /// The set that signed the previous block: the epoch before the current one on an epoch's
    /// first block.
    pub(crate) fn previous_set(&mut self) -> Vec<Address> {
        let epoch = self.epoch();
        let start = self.view(Staking::epochStartCall { epoch });
        let prev = if epoch > 0 && self.number == start { epoch - 1 } else { epoch };
        self.view(Staking::validatorSetCall { epoch: prev })
            .into_iter()
            .map(|m| m.validator)
            .collect()
    }

    pub(crate) fn bitmap(members: &[Address], signers: &[Address]) -> Bytes {
        let mut bits = vec![0u8; members.len().div_ceil(8)];
        for (i, m) in members.iter().enumerate() {
            if signers.contains(m) {
                bits[i / 8] |= 1 << (i % 8);
            }
        }
        bits.into()
    }

    /// Ends the current block: mints `reward`, `endBlock` with `signers` (those of the previous
    /// set that signed the previous block), `endEpoch` on the epoch's last block, and moves to
    /// the next block. Returns the outcomes of endBlock and endEpoch.
    pub(crate) fn end_block_signed_by(
        &mut self,
        signers: &[Address],
        reward: U256,
    ) -> (Outcome, Option<Outcome>) {
        let signed = if self.number == 1 {
            Bytes::new()
        } else {
            Self::bitmap(&self.previous_set(), signers)
        };
        self.mint(reward);
        let end_block = self.system(Staking::endBlockCall { signed, reward }).unwrap();
        let end_epoch = if self.number.is_multiple_of(self.epoch_length) {
            Some(self.system(Staking::endEpochCall {}).unwrap())
        } else {
            None
        };
        self.number += 1;
        (end_block, end_epoch)
    }

    /// Ends the block with every member of the previous set signing.
    pub(crate) fn end_block(&mut self, reward: U256) -> (Outcome, Option<Outcome>) {
        let all = if self.number == 1 { vec![] } else { self.previous_set() };
        self.end_block_signed_by(&all, reward)
    }

    /// Ends blocks, all signed and without reward, until the next epoch starts.
    pub(crate) fn next_epoch(&mut self) {
        let epoch = self.epoch();
        while self.epoch() == epoch {
            self.end_block(U256::ZERO);
        }
    }

    /// Registers `key` for `operator` with a valid proof of possession.
    pub(crate) fn register(
        &mut self,
        key: &ConsensusKey,
        operator: Address,
        stake: U256,
        commission_bps: u16,
    ) -> Result<Outcome, StakingError> {
        let call = Staking::registerValidatorCall {
            consensusPublicKey: key.compressed(),
            proofOfPossession: key.pop(operator),
            commissionBps: commission_bps,
        };
        self.send(operator, stake, call)
    }

    pub(crate) fn info(&mut self, validator: Address) -> Staking::ValidatorInfo {
        self.view(Staking::validatorInfoCall { validatorAddress: validator })
    }

    pub(crate) fn status(&mut self, validator: Address) -> ValidatorStatus {
        ValidatorStatus::try_from(self.info(validator).status).unwrap()
    }

    pub(crate) fn stake_of(&mut self, delegator: Address, validator: Address) -> U256 {
        self.view(Staking::delegationCall { delegator, validatorAddress: validator }).stake
    }

    pub(crate) fn books(&mut self) -> Staking::RewardAccounting {
        self.view(Staking::rewardAccountingCall {})
    }

    pub(crate) fn active(&mut self) -> Vec<(Address, u64)> {
        self.view(Staking::activeSetCall {})
            .members
            .into_iter()
            .map(|m| (m.validator, m.power))
            .collect()
    }
}

/// The contract's typed refusal of a result, for `assert_eq!`.
pub(crate) fn refusal<T: std::fmt::Debug>(
    result: Result<T, StakingError>,
) -> Staking::StakingErrors {
    match result {
        Err(StakingError::Refused(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    }
}
