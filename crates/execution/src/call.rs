//! Simulated transactions: what `eth_call`, `eth_estimateGas` and `eth_createAccessList` run.
//!
//! A request runs on a state (the head's flat tables or an older block's tries) with optional
//! account and block overrides, and nothing is ever committed. The rules follow geth's: a
//! missing sender is the zero address, the nonce is never checked (the state's nonce is used),
//! senders with code are accepted (EIP-3607 off), the block gas limit does not bound a call,
//! and a request without any fee pays nothing and sees a zero base fee.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_rpc_types_eth::state::{AccountOverride, StateOverride};
use alloy_rpc_types_eth::{
    AccessList, AccessListItem, AccessListResult, BlockOverrides, TransactionRequest,
};
use alloy_trie::KECCAK_EMPTY;
use cairn_primitives::revert_reason;
use cairn_storage::{StateView, StoreError};
use revm::bytecode::opcode;
use revm::context::result::{
    EVMError, ExecutionResult, HaltReason, InvalidTransaction, OutOfGasError,
};
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::context_interface::transaction::TransactionType;
use revm::database::CacheDB;
use revm::database_interface::Database;
use revm::handler::{ExecuteEvm, MainBuilder, MainContext};
use revm::inspector::{InspectEvm, Inspector};
use revm::interpreter::Interpreter;
use revm::interpreter::interpreter_types::{InputsTr, Jumps};
use revm::precompile::{PrecompileSpecId, Precompiles};
use revm::state::Bytecode;
use thiserror::Error;

use crate::error::DbError;
use crate::state_db::StateDb;
use crate::{BlockContext, SPEC};

/// Most gas a simulated call may use, whatever it asks for (geth's default `--rpc.gascap`).
pub const CALL_GAS_CAP: u64 = 50_000_000;

/// Gas of a plain value transfer, the least any transaction costs.
const TX_GAS: u64 = 21_000;

/// Gas a value-carrying call hands to its callee for free; part of geth's optimistic estimate.
const CALL_STIPEND: u64 = 2_300;

/// Initcode size limit of EIP-3860, quoted in geth's error message.
const MAX_INITCODE_SIZE: usize = 49_152;

/// The block a simulated call runs in and the chain it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallContext {
    /// The block's facts as execution sees them (the block whose state the call reads).
    pub block: BlockContext,
    /// The chain id, for the `CHAINID` opcode and to check a request's `chainId`.
    pub chain_id: u64,
}

/// What a simulated call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// It returned normally.
    Success {
        /// Return data (the deployed code for a creation).
        output: Bytes,
        /// Gas used after refunds, as a receipt would show.
        gas_used: u64,
    },
    /// It ran `REVERT`.
    Revert {
        /// Raw revert data (for example an ABI-encoded `Error(string)`).
        output: Bytes,
        /// Gas used.
        gas_used: u64,
    },
    /// It stopped exceptionally and consumed all its gas.
    Halt {
        /// Why, in geth's words ("out of gas", "invalid opcode", ...).
        reason: String,
        /// Gas used.
        gas_used: u64,
    },
}

impl CallOutcome {
    /// Gas the call used.
    pub fn gas_used(&self) -> u64 {
        match self {
            Self::Success { gas_used, .. }
            | Self::Revert { gas_used, .. }
            | Self::Halt { gas_used, .. } => *gas_used,
        }
    }

    /// Whether the call returned normally.
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Success { .. })
    }
}

/// geth's error text for the outcome: "execution reverted" with the decoded reason when the
/// data is an `Error(string)` or `Panic(uint256)`, or the halt reason.
impl fmt::Display for CallOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Success { .. } => write!(f, "execution succeeded"),
            Self::Revert { output, .. } => match revert_reason(output) {
                Some(reason) => write!(f, "execution reverted: {reason}"),
                None => write!(f, "execution reverted"),
            },
            Self::Halt { reason, .. } => write!(f, "{reason}"),
        }
    }
}

/// Why a simulation gave no result, or a failing one where success was required.
#[derive(Debug, Error)]
pub enum CallError {
    /// The request cannot run on this state (funds, fees, gas, fields); geth's wording.
    #[error("{0}")]
    Invalid(String),
    /// The call reverted or halted where it had to succeed (gas estimation).
    #[error("{0}")]
    Failed(CallOutcome),
    /// The store failed while the call read state.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// revm failed for a reason that is not the request's fault.
    #[error("evm failure: {0}")]
    Evm(String),
}

impl From<DbError> for CallError {
    fn from(e: DbError) -> Self {
        Self::Store(e.0)
    }
}

/// Runs `request` on `state` without committing anything.
pub fn call<S: StateView + ?Sized>(
    state: &S,
    context: CallContext,
    request: &TransactionRequest,
    overrides: Option<&StateOverride>,
    block: Option<&BlockOverrides>,
) -> Result<CallOutcome, CallError> {
    let mut simulator = Simulator::new(state, context, request, overrides, block)?;
    let gas = request.gas.unwrap_or(simulator.block_gas_limit).min(CALL_GAS_CAP);
    match simulator.run(gas)? {
        Attempt::Ran(run) => Ok(run.outcome),
        Attempt::IntrinsicGasTooLow(message) => Err(CallError::Invalid(message)),
    }
}

/// The least gas limit with which `request` succeeds on `state`, found like geth does: run at
/// the highest allowed limit, try the gas used (plus refunds and a stipend) times 64/63, then
/// binary-search exactly. A call that fails even at the highest limit gives
/// [`CallError::Failed`].
pub fn estimate_gas<S: StateView + ?Sized>(
    state: &S,
    context: CallContext,
    request: &TransactionRequest,
    overrides: Option<&StateOverride>,
) -> Result<u64, CallError> {
    let mut simulator = Simulator::new(state, context, request, overrides, None)?;
    let mut hi = match request.gas {
        Some(gas) if gas >= TX_GAS => gas,
        _ => simulator.block_gas_limit,
    };
    let fee_cap = request.gas_price.or(request.max_fee_per_gas).unwrap_or(0);
    if fee_cap != 0 {
        let balance = simulator.account(simulator.tx.caller)?.map_or(U256::ZERO, |a| a.balance);
        let value = simulator.tx.value;
        if value >= balance {
            return Err(CallError::Invalid("insufficient funds for transfer".into()));
        }
        let allowance = (balance - value) / U256::from(fee_cap);
        if let Ok(allowance) = u64::try_from(allowance) {
            hi = hi.min(allowance);
        }
    }
    hi = hi.min(CALL_GAS_CAP);

    if simulator.tx.data.is_empty()
        && let TxKind::Call(to) = simulator.tx.kind
        && simulator.account(to)?.is_none_or(|a| a.code_hash == KECCAK_EMPTY)
        && simulator.run(TX_GAS)?.succeeded()
    {
        return Ok(TX_GAS);
    }

    let first = match simulator.run(hi)? {
        Attempt::Ran(run) => run,
        Attempt::IntrinsicGasTooLow(_) => return Err(allowance_exceeded(hi)),
    };
    match first.outcome {
        CallOutcome::Success { .. } => {}
        CallOutcome::Halt { .. } if first.out_of_gas => return Err(allowance_exceeded(hi)),
        outcome => return Err(CallError::Failed(outcome)),
    }
    let mut lo = first.outcome.gas_used().saturating_sub(1);
    let optimistic = (first.spent + CALL_STIPEND) * 64 / 63;
    if optimistic < hi {
        if simulator.run(optimistic)?.succeeded() {
            hi = optimistic;
        } else {
            lo = optimistic;
        }
    }
    while lo + 1 < hi {
        // Most transactions need little more than they use, so bisect towards the low side.
        let mid = ((hi + lo) / 2).min(lo * 2);
        if simulator.run(mid)?.succeeded() {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// The access list `request` touches on `state` and the gas it uses with that list. Like
/// geth: the sender, the recipient (or created address) and the precompiles are left out
/// unless they have slots, and the call is repeated with the list found so far until it
/// stops growing. A failing call still returns its list, with the failure in `error`.
pub fn create_access_list<S: StateView + ?Sized>(
    state: &S,
    context: CallContext,
    request: &TransactionRequest,
) -> Result<AccessListResult, CallError> {
    let mut simulator = Simulator::new(state, context, request, None, None)?;
    let gas = request.gas.unwrap_or(simulator.block_gas_limit).min(CALL_GAS_CAP);
    let sender = simulator.tx.caller;
    let recipient = match simulator.tx.kind {
        TxKind::Call(to) => to,
        TxKind::Create => sender.create(simulator.account(sender)?.map_or(0, |a| a.nonce)),
    };
    let precompiles = Precompiles::new(PrecompileSpecId::from_spec_id(SPEC));
    let mut excluded: BTreeSet<Address> = precompiles.addresses().copied().collect();
    excluded.extend([sender, recipient]);

    let mut list = AccessListTracer { excluded: &excluded, list: BTreeMap::new() };
    for item in request.access_list.iter().flat_map(|l| l.0.iter()) {
        list.add_address(item.address);
        for slot in &item.storage_keys {
            list.add_slot(item.address, *slot);
        }
    }
    loop {
        let mut tracer = AccessListTracer { excluded: &excluded, list: list.list.clone() };
        let run = match simulator.run_traced(gas, list.access_list(), &mut tracer)? {
            Attempt::Ran(run) => run,
            Attempt::IntrinsicGasTooLow(message) => return Err(CallError::Invalid(message)),
        };
        if tracer.list == list.list {
            let error = match &run.outcome {
                CallOutcome::Success { .. } => None,
                CallOutcome::Revert { .. } => Some("execution reverted".to_string()),
                CallOutcome::Halt { reason, .. } => Some(reason.clone()),
            };
            return Ok(AccessListResult {
                access_list: list.access_list(),
                gas_used: U256::from(run.outcome.gas_used()),
                error,
            });
        }
        list = tracer;
    }
}

fn allowance_exceeded(hi: u64) -> CallError {
    CallError::Failed(CallOutcome::Halt {
        reason: format!("gas required exceeds allowance ({hi})"),
        gas_used: hi,
    })
}

/// One execution of the request.
struct Run {
    outcome: CallOutcome,
    /// Gas spent before refunds.
    spent: u64,
    /// Whether it halted for lack of gas (as opposed to another exceptional stop).
    out_of_gas: bool,
}

/// An execution, or geth's "intrinsic gas too low", which estimation treats as a failure.
enum Attempt {
    Ran(Run),
    IntrinsicGasTooLow(String),
}

impl Attempt {
    fn succeeded(&self) -> bool {
        matches!(self, Self::Ran(run) if run.outcome.is_success())
    }
}

/// The request turned into revm's terms, over a state with the overrides applied. Reads are
/// cached across runs; nothing is ever committed.
struct Simulator<'a, S: ?Sized> {
    db: CacheDB<StateDb<'a, S>>,
    cfg: CfgEnv,
    block: BlockEnv,
    block_gas_limit: u64,
    tx: TxEnv,
}

impl<'a, S: StateView + ?Sized> Simulator<'a, S> {
    fn new(
        state: &'a S,
        context: CallContext,
        request: &TransactionRequest,
        overrides: Option<&StateOverride>,
        block_overrides: Option<&BlockOverrides>,
    ) -> Result<Self, CallError> {
        let (tx, pays_fees) = tx_env(request, context.chain_id)?;
        let mut db = CacheDB::new(StateDb(state));
        let mut block = context.block;
        if let Some(overrides) = block_overrides {
            apply_block_overrides(&mut block, overrides, &mut db)?;
        }
        for (address, account) in overrides.into_iter().flatten() {
            apply_account_override(&mut db, *address, account)?;
        }
        let mut block_env = block.block_env();
        if !pays_fees {
            // geth's NoBaseFee: a call without fees is not held to the base fee and sees zero.
            block_env.basefee = 0;
        }
        let mut cfg = CfgEnv::new_with_spec(SPEC);
        cfg.chain_id = context.chain_id;
        cfg.disable_nonce_check = true;
        cfg.disable_eip3607 = true;
        cfg.disable_block_gas_limit = true;
        Ok(Self { db, cfg, block: block_env, block_gas_limit: block.gas_limit, tx })
    }

    /// An account as the call sees it (overrides included).
    fn account(&mut self, address: Address) -> Result<Option<revm::state::AccountInfo>, CallError> {
        Ok(self.db.basic(address)?)
    }

    fn run(&mut self, gas: u64) -> Result<Attempt, CallError> {
        let tx = TxEnv { gas_limit: gas, ..self.tx.clone() };
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .with_cfg(self.cfg.clone())
            .with_block(self.block.clone())
            .build_mainnet();
        let result = evm.transact(tx.clone()).map(|r| r.result);
        attempt(result, &tx, self.block.basefee)
    }

    fn run_traced(
        &mut self,
        gas: u64,
        access_list: AccessList,
        tracer: &mut AccessListTracer<'_>,
    ) -> Result<Attempt, CallError> {
        let mut tx = TxEnv { gas_limit: gas, access_list, ..self.tx.clone() };
        if tx.tx_type == TransactionType::Legacy as u8 {
            // Only typed transactions carry an access list.
            tx.tx_type = TransactionType::Eip2930 as u8;
        }
        let mut evm = Context::mainnet()
            .with_db(&mut self.db)
            .with_cfg(self.cfg.clone())
            .with_block(self.block.clone())
            .build_mainnet_with_inspector(tracer);
        let result = evm.inspect_tx(tx.clone()).map(|r| r.result);
        attempt(result, &tx, self.block.basefee)
    }
}

/// revm's transaction for `request`, and whether it pays any fee.
fn tx_env(request: &TransactionRequest, chain_id: u64) -> Result<(TxEnv, bool), CallError> {
    let data = request
        .input
        .clone()
        .try_into_unique_input()
        .map_err(|e| CallError::Invalid(e.to_string()))?
        .unwrap_or_default();
    if let Some(have) = request.chain_id
        && have != chain_id
    {
        return Err(CallError::Invalid(format!(
            "chainId does not match node's (have={have}, want={chain_id})"
        )));
    }
    if request.gas_price.is_some()
        && (request.max_fee_per_gas.is_some() || request.max_priority_fee_per_gas.is_some())
    {
        return Err(CallError::Invalid(
            "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified".into(),
        ));
    }
    if let (Some(max), Some(tip)) = (request.max_fee_per_gas, request.max_priority_fee_per_gas)
        && max < tip
    {
        return Err(CallError::Invalid(format!(
            "maxFeePerGas ({max}) < maxPriorityFeePerGas ({tip})"
        )));
    }
    let (gas_price, gas_priority_fee) = match request.gas_price {
        Some(price) => (price, None),
        None => (request.max_fee_per_gas.unwrap_or(0), request.max_priority_fee_per_gas),
    };
    let pays_fees = gas_price != 0 || gas_priority_fee.is_some_and(|tip| tip != 0);
    let mut tx = TxEnv {
        tx_type: request.minimal_tx_type() as u8,
        caller: request.from.unwrap_or_default(),
        gas_price,
        gas_priority_fee,
        kind: request.to.unwrap_or(TxKind::Create),
        value: request.value.unwrap_or_default(),
        data,
        // Not checked (geth's SkipNonceChecks); creations use the sender's state nonce.
        nonce: 0,
        chain_id: Some(chain_id),
        access_list: request.access_list.clone().unwrap_or_default(),
        blob_hashes: request.blob_versioned_hashes.clone().unwrap_or_default(),
        max_fee_per_blob_gas: request.max_fee_per_blob_gas.unwrap_or(0),
        ..Default::default()
    };
    if let Some(authorizations) = &request.authorization_list {
        tx.set_signed_authorization(authorizations.clone());
    }
    Ok((tx, pays_fees))
}

fn apply_block_overrides<S: StateView + ?Sized>(
    block: &mut BlockContext,
    overrides: &BlockOverrides,
    db: &mut CacheDB<StateDb<'_, S>>,
) -> Result<(), CallError> {
    let too_large = |what: &str, value: U256| {
        CallError::Invalid(format!("{what} override {value} does not fit in 64 bits"))
    };
    if overrides.blob_base_fee.is_some() {
        return Err(CallError::Invalid("blobBaseFee override is not supported".into()));
    }
    if overrides.beacon_root.is_some() {
        return Err(CallError::Invalid("beaconRoot override is only for eth_simulateV1".into()));
    }
    if let Some(number) = overrides.number {
        block.number = u64::try_from(number).map_err(|_| too_large("block number", number))?;
    }
    if let Some(base_fee) = overrides.base_fee {
        block.base_fee = u64::try_from(base_fee).map_err(|_| too_large("base fee", base_fee))?;
    }
    if let Some(time) = overrides.time {
        block.timestamp = time;
        block.timestamp_ms = time.saturating_mul(1000);
    }
    if let Some(gas_limit) = overrides.gas_limit {
        block.gas_limit = gas_limit;
    }
    if let Some(coinbase) = overrides.coinbase {
        block.beneficiary = coinbase;
    }
    if let Some(random) = overrides.random {
        block.prevrandao = random;
    }
    // `difficulty` is ignored: after the merge DIFFICULTY reads PREVRANDAO (geth alike).
    for (number, hash) in overrides.block_hash.iter().flatten() {
        db.cache.block_hashes.insert(U256::from(*number), *hash);
    }
    Ok(())
}

fn apply_account_override<S: StateView + ?Sized>(
    db: &mut CacheDB<StateDb<'_, S>>,
    address: Address,
    account: &AccountOverride,
) -> Result<(), CallError> {
    if account.move_precompile_to.is_some() {
        return Err(CallError::Invalid("movePrecompileToAddress is not supported".into()));
    }
    if account.state.is_some() && account.state_diff.is_some() {
        return Err(CallError::Invalid(format!(
            "account {address} has both 'state' and 'stateDiff'"
        )));
    }
    let mut info = db.load_account(address)?.info.clone();
    if let Some(balance) = account.balance {
        info.balance = balance;
    }
    if let Some(nonce) = account.nonce {
        info.nonce = nonce;
    }
    if let Some(code) = &account.code {
        let bytecode = Bytecode::new_raw_checked(code.clone()).map_err(|e| {
            CallError::Invalid(format!("invalid code override for account {address}: {e}"))
        })?;
        info.code_hash = keccak256(code);
        info.code = Some(bytecode);
    }
    db.insert_account_info(address, info);
    let slot = |key: &B256| U256::from_be_bytes(key.0);
    if let Some(state) = &account.state {
        let storage = state.iter().map(|(k, v)| (slot(k), slot(v))).collect();
        db.replace_account_storage(address, storage)?;
    }
    for (key, value) in account.state_diff.iter().flatten() {
        db.insert_account_storage(address, slot(key), slot(value))?;
    }
    Ok(())
}

/// Sorts revm's answer into an execution, a failure geth treats as "intrinsic gas too low",
/// or an error with geth's wording.
fn attempt(
    result: Result<ExecutionResult, EVMError<DbError>>,
    tx: &TxEnv,
    base_fee: u64,
) -> Result<Attempt, CallError> {
    let result = match result {
        Ok(result) => result,
        Err(EVMError::Transaction(InvalidTransaction::CallGasCostMoreThanGasLimit {
            initial_gas,
            gas_limit,
        })) => {
            return Ok(Attempt::IntrinsicGasTooLow(format!(
                "intrinsic gas too low: have {gas_limit}, want {initial_gas}"
            )));
        }
        Err(EVMError::Transaction(e)) => {
            return Err(CallError::Invalid(invalid_tx_message(&e, tx, base_fee)));
        }
        Err(EVMError::Database(e)) => return Err(e.into()),
        Err(e) => return Err(CallError::Evm(e.to_string())),
    };
    let spent = result.gas().total_gas_spent();
    let gas_used = result.tx_gas_used();
    let run = match result {
        ExecutionResult::Success { output, .. } => Run {
            outcome: CallOutcome::Success { output: output.into_data(), gas_used },
            spent,
            out_of_gas: false,
        },
        ExecutionResult::Revert { output, .. } => {
            Run { outcome: CallOutcome::Revert { output, gas_used }, spent, out_of_gas: false }
        }
        ExecutionResult::Halt { reason, .. } => Run {
            out_of_gas: matches!(reason, HaltReason::OutOfGas(e) if e != OutOfGasError::InvalidOperand),
            outcome: CallOutcome::Halt { reason: halt_message(&reason), gas_used },
            spent,
        },
    };
    Ok(Attempt::Ran(run))
}

/// geth's message for a request the state cannot run, where geth has one.
fn invalid_tx_message(e: &InvalidTransaction, tx: &TxEnv, base_fee: u64) -> String {
    let from = tx.caller;
    match e {
        InvalidTransaction::LackOfFundForMaxFee { fee, balance } => format!(
            "insufficient funds for gas * price + value: address {from} have {balance} want {fee}"
        ),
        InvalidTransaction::GasPriceLessThanBasefee => format!(
            "max fee per gas less than block base fee: address {from}, maxFeePerGas: {}, \
             baseFee: {base_fee}",
            tx.gas_price
        ),
        InvalidTransaction::PriorityFeeGreaterThanMaxFee => format!(
            "max priority fee per gas higher than max fee per gas: address {from}, \
             maxPriorityFeePerGas: {}, maxFeePerGas: {}",
            tx.gas_priority_fee.unwrap_or_default(),
            tx.gas_price
        ),
        InvalidTransaction::CreateInitCodeSizeLimit => format!(
            "max initcode size exceeded: code size {} limit {MAX_INITCODE_SIZE}",
            tx.data.len()
        ),
        other => other.to_string(),
    }
}

/// geth's wording for an exceptional halt.
fn halt_message(reason: &HaltReason) -> String {
    match reason {
        HaltReason::OutOfGas(OutOfGasError::InvalidOperand) => "gas uint64 overflow",
        HaltReason::OutOfGas(_) => "out of gas",
        HaltReason::OpcodeNotFound | HaltReason::NotActivated => "invalid opcode",
        HaltReason::InvalidFEOpcode => "invalid opcode: INVALID",
        HaltReason::InvalidJump => "invalid jump destination",
        HaltReason::StackUnderflow => "stack underflow",
        HaltReason::StackOverflow => "stack limit reached 1024",
        HaltReason::OutOfOffset => "return data out of bounds",
        HaltReason::CreateCollision => "contract address collision",
        HaltReason::NonceOverflow => "nonce uint64 overflow",
        HaltReason::CreateContractSizeLimit => "max code size exceeded",
        HaltReason::CreateContractStartingWithEF => "invalid code: must not begin with 0xef",
        HaltReason::CreateInitCodeSizeLimit => "max initcode size exceeded",
        HaltReason::StateChangeDuringStaticCall | HaltReason::CallNotAllowedInsideStatic => {
            "write protection"
        }
        HaltReason::OutOfFunds => "insufficient balance for transfer",
        HaltReason::CallTooDeep => "max call depth exceeded",
        other => return other.to_string(),
    }
    .to_string()
}

/// Records the accounts and slots a run touches, as geth's access-list tracer does.
struct AccessListTracer<'a> {
    excluded: &'a BTreeSet<Address>,
    list: BTreeMap<Address, BTreeSet<B256>>,
}

impl AccessListTracer<'_> {
    fn add_address(&mut self, address: Address) {
        if !self.excluded.contains(&address) {
            self.list.entry(address).or_default();
        }
    }

    fn add_slot(&mut self, address: Address, slot: B256) {
        self.list.entry(address).or_default().insert(slot);
    }

    fn access_list(&self) -> AccessList {
        AccessList(
            self.list
                .iter()
                .map(|(address, slots)| AccessListItem {
                    address: *address,
                    storage_keys: slots.iter().copied().collect(),
                })
                .collect(),
        )
    }
}

impl<CTX> Inspector<CTX> for AccessListTracer<'_> {
    fn step(&mut self, interp: &mut Interpreter, _context: &mut CTX) {
        let stack = interp.stack.data();
        let word = |from_top: usize| {
            stack.len().checked_sub(from_top + 1).and_then(|i| stack.get(i)).copied()
        };
        let address = |w: U256| Address::from_word(B256::from(w));
        match interp.bytecode.opcode() {
            opcode::SLOAD | opcode::SSTORE => {
                if let Some(slot) = word(0) {
                    self.add_slot(interp.input.target_address(), B256::from(slot));
                }
            }
            opcode::EXTCODECOPY
            | opcode::EXTCODEHASH
            | opcode::EXTCODESIZE
            | opcode::BALANCE
            | opcode::SELFDESTRUCT => {
                if let Some(target) = word(0) {
                    self.add_address(address(target));
                }
            }
            opcode::DELEGATECALL | opcode::CALL | opcode::STATICCALL | opcode::CALLCODE => {
                if stack.len() >= 5
                    && let Some(target) = word(1)
                {
                    self.add_address(address(target));
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use alloy_primitives::{Address, B256, Bytes, U256, address, keccak256};
    use alloy_rpc_types_eth::state::{AccountOverride, StateOverride};
    use alloy_rpc_types_eth::{BlockOverrides, TransactionInput, TransactionRequest};
    use alloy_sol_types::{Panic, Revert, SolError};
    use alloy_trie::{EMPTY_ROOT_HASH, KECCAK_EMPTY};
    use cairn_storage::{Account, StateView, StoreError};

    use super::*;

    const GWEI: u128 = 1_000_000_000;
    const RICH: Address = address!("0x00000000000000000000000000000000000000aa");
    const CONTRACT: Address = address!("0x00000000000000000000000000000000000000cc");
    const OTHER: Address = address!("0x00000000000000000000000000000000000000bb");
    /// PUSH1 0 SLOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN: returns slot 0.
    const RETURN_SLOT_0: &[u8] = &[0x60, 0, 0x54, 0x60, 0, 0x52, 0x60, 32, 0x60, 0, 0xf3];
    /// BASEFEE PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN: returns the base fee it sees.
    const RETURN_BASEFEE: &[u8] = &[0x48, 0x60, 0, 0x52, 0x60, 32, 0x60, 0, 0xf3];

    /// A state held in maps.
    #[derive(Default)]
    struct MapState {
        accounts: BTreeMap<Address, Account>,
        storage: BTreeMap<(Address, U256), U256>,
        code: BTreeMap<B256, Bytes>,
    }

    impl MapState {
        fn with_account(mut self, address: Address, balance: U256, code: &[u8]) -> Self {
            let code_hash = keccak256(code);
            self.code.insert(code_hash, Bytes::copy_from_slice(code));
            self.accounts.insert(address, Account::new(0, balance, EMPTY_ROOT_HASH, code_hash));
            self
        }

        fn with_slot(mut self, address: Address, slot: u64, value: u64) -> Self {
            self.storage.insert((address, U256::from(slot)), U256::from(value));
            self
        }
    }

    impl StateView for MapState {
        fn account(&self, address: Address) -> Result<Option<Account>, StoreError> {
            Ok(self.accounts.get(&address).copied())
        }
        fn storage(&self, address: Address, slot: U256) -> Result<U256, StoreError> {
            Ok(self.storage.get(&(address, slot)).copied().unwrap_or_default())
        }
        fn code(&self, hash: B256) -> Result<Option<Bytes>, StoreError> {
            Ok(self.code.get(&hash).cloned())
        }
        fn block_hash(&self, _number: u64) -> Result<Option<B256>, StoreError> {
            Ok(None)
        }
    }

    fn context() -> CallContext {
        CallContext {
            block: BlockContext {
                number: 7,
                timestamp: 1_000,
                timestamp_ms: 1_000_000,
                beneficiary: Address::ZERO,
                gas_limit: 30_000_000,
                base_fee: GWEI as u64,
                prevrandao: B256::ZERO,
                difficulty: None,
            },
            chain_id: 31337,
        }
    }

    fn state() -> MapState {
        MapState::default()
            .with_account(RICH, U256::from(10u128.pow(21)), &[])
            .with_account(CONTRACT, U256::ZERO, RETURN_SLOT_0)
            .with_slot(CONTRACT, 0, 42)
    }

    fn to(target: Address) -> TransactionRequest {
        TransactionRequest::default().to(target)
    }

    fn word(outcome: &CallOutcome) -> U256 {
        match outcome {
            CallOutcome::Success { output, .. } => U256::from_be_slice(output),
            other => panic!("expected success, got {other:?}"),
        }
    }

    #[test]
    fn a_view_call_returns_state_and_commits_nothing() {
        let state = state();
        let outcome = call(&state, context(), &to(CONTRACT), None, None).unwrap();
        assert_eq!(word(&outcome), U256::from(42));
        assert!(outcome.gas_used() > TX_GAS);
        assert_eq!(state.storage(CONTRACT, U256::ZERO).unwrap(), U256::from(42));
    }

    #[test]
    fn without_fees_nothing_is_charged_and_the_base_fee_reads_zero() {
        let state = state().with_account(OTHER, U256::ZERO, RETURN_BASEFEE);
        let poor = TransactionRequest::default().from(Address::repeat_byte(0x99)).to(OTHER);
        assert_eq!(word(&call(&state, context(), &poor, None, None).unwrap()), U256::ZERO);

        let paying = poor.clone().max_fee_per_gas(2 * GWEI).max_priority_fee_per_gas(GWEI);
        let err = call(&state, context(), &paying, None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "insufficient funds for gas * price + value: address \
             0x9999999999999999999999999999999999999999 have 0 want 60000000000000000"
        );
        let rich = paying.from(RICH);
        let outcome = call(&state, context(), &rich, None, None).unwrap();
        assert_eq!(word(&outcome), U256::from(GWEI));

        let too_cheap = to(OTHER).from(RICH).max_fee_per_gas(GWEI - 1);
        let err = call(&state, context(), &too_cheap, None, None).unwrap_err();
        assert!(err.to_string().starts_with("max fee per gas less than block base fee"), "{err}");
    }

    #[test]
    fn bad_requests_get_geths_messages() {
        let state = state();
        let low = to(CONTRACT).gas_limit(20_000);
        let err = call(&state, context(), &low, None, None).unwrap_err();
        assert_eq!(err.to_string(), "intrinsic gas too low: have 20000, want 21000");

        let both = to(CONTRACT).gas_price(GWEI).max_fee_per_gas(GWEI);
        let err = call(&state, context(), &both, None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified"
        );

        let mut mismatch = to(CONTRACT);
        mismatch.input =
            TransactionInput { input: Some(vec![1].into()), data: Some(vec![2].into()) };
        assert!(call(&state, context(), &mismatch, None, None).is_err());

        let wrong_chain = TransactionRequest { chain_id: Some(1), ..to(CONTRACT) };
        let err = call(&state, context(), &wrong_chain, None, None).unwrap_err();
        assert_eq!(err.to_string(), "chainId does not match node's (have=1, want=31337)");
    }

    #[test]
    fn state_overrides_replace_or_patch_storage_and_code() {
        let state = state().with_slot(CONTRACT, 1, 7);
        let run = |account: AccountOverride| {
            let overrides: StateOverride = [(CONTRACT, account)].into_iter().collect();
            word(&call(&state, context(), &to(CONTRACT), Some(&overrides), None).unwrap())
        };
        let slot = |n: u64| B256::from(U256::from(n));
        let diff = [(slot(0), slot(5))].into_iter().collect();
        assert_eq!(
            run(AccountOverride { state_diff: Some(diff), ..Default::default() }),
            U256::from(5)
        );
        let replace = [(slot(1), slot(9))].into_iter().collect();
        assert_eq!(run(AccountOverride { state: Some(replace), ..Default::default() }), U256::ZERO);
        let code = Bytes::from_static(RETURN_BASEFEE);
        let block = context().block.base_fee;
        let with_fee = to(CONTRACT).from(RICH).max_fee_per_gas(2 * GWEI);
        let overrides: StateOverride =
            [(CONTRACT, AccountOverride { code: Some(code), ..Default::default() })]
                .into_iter()
                .collect();
        let outcome = call(&state, context(), &with_fee, Some(&overrides), None).unwrap();
        assert_eq!(word(&outcome), U256::from(block));

        let both = AccountOverride {
            state: Some(Default::default()),
            state_diff: Some(Default::default()),
            ..Default::default()
        };
        let overrides: StateOverride = [(CONTRACT, both)].into_iter().collect();
        let err = call(&state, context(), &to(CONTRACT), Some(&overrides), None).unwrap_err();
        assert!(err.to_string().contains("has both 'state' and 'stateDiff'"), "{err}");
    }

    #[test]
    fn block_overrides_change_what_the_call_sees() {
        let state = state().with_account(OTHER, U256::ZERO, RETURN_BASEFEE);
        let request = to(OTHER).from(RICH).max_fee_per_gas(10 * GWEI);
        let block = BlockOverrides { base_fee: Some(U256::from(3 * GWEI)), ..Default::default() };
        let outcome = call(&state, context(), &request, None, Some(&block)).unwrap();
        assert_eq!(word(&outcome), U256::from(3 * GWEI));
        let huge = BlockOverrides { number: Some(U256::MAX), ..Default::default() };
        assert!(call(&state, context(), &request, None, Some(&huge)).is_err());
    }

    #[test]
    fn estimates_are_exact() {
        let state = state();
        let transfer = to(OTHER).from(RICH).value(U256::from(1));
        assert_eq!(estimate_gas(&state, context(), &transfer, None).unwrap(), TX_GAS);

        let view = to(CONTRACT);
        let estimate = estimate_gas(&state, context(), &view, None).unwrap();
        let used = call(&state, context(), &view, None, None).unwrap().gas_used();
        assert_eq!(estimate, used);
        let short = view.clone().gas_limit(estimate - 1);
        assert!(!call(&state, context(), &short, None, None).unwrap().is_success());

        let broke = to(OTHER).from(OTHER).value(U256::from(1)).gas_price(GWEI);
        let err = estimate_gas(&state, context(), &broke, None).unwrap_err();
        assert_eq!(err.to_string(), "insufficient funds for transfer");
    }

    #[test]
    fn estimating_a_call_that_always_fails_reports_the_failure() {
        // INVALID: halts whatever the gas.
        let invalid = state().with_account(OTHER, U256::ZERO, &[0xfe]);
        let err = estimate_gas(&invalid, context(), &to(OTHER), None).unwrap_err();
        assert!(matches!(&err, CallError::Failed(CallOutcome::Halt { .. })), "{err:?}");
        assert_eq!(err.to_string(), "invalid opcode: INVALID");
        // An endless loop (JUMPDEST PUSH1 0 JUMP) runs out of gas at any limit.
        let looping = state().with_account(OTHER, U256::ZERO, &[0x5b, 0x60, 0, 0x56]);
        let err = estimate_gas(&looping, context(), &to(OTHER), None).unwrap_err();
        assert_eq!(err.to_string(), "gas required exceeds allowance (30000000)");
    }

    #[test]
    fn access_list_names_touched_accounts_and_slots_but_not_sender_recipient_or_precompiles() {
        let far = Address::repeat_byte(0x77);
        // PUSH1 1 SLOAD POP, PUSH20 far BALANCE POP, PUSH1 1 BALANCE POP (a precompile),
        // ADDRESS BALANCE POP (the recipient), STOP.
        let mut code = vec![0x60, 1, 0x54, 0x50, 0x73];
        code.extend_from_slice(far.as_slice());
        code.extend_from_slice(&[0x31, 0x50, 0x60, 1, 0x31, 0x50, 0x30, 0x31, 0x50, 0x00]);
        let state = state().with_account(OTHER, U256::ZERO, &code);
        let request = to(OTHER).from(RICH);
        let result = create_access_list(&state, context(), &request).unwrap();
        assert_eq!(result.error, None);
        let listed: Vec<(Address, Vec<B256>)> = result
            .access_list
            .0
            .iter()
            .map(|item| (item.address, item.storage_keys.clone()))
            .collect();
        assert_eq!(listed, [(OTHER, vec![B256::from(U256::from(1))]), (far, vec![])]);

        let with_list = request.clone().access_list(result.access_list.clone());
        let used = call(&state, context(), &with_list, None, None).unwrap().gas_used();
        assert_eq!(result.gas_used, U256::from(used));
        let without = call(&state, context(), &request, None, None).unwrap().gas_used();
        assert_ne!(used, without);
    }

    #[test]
    fn revert_reasons_are_decoded_like_geth() {
        let revert = Revert::from("counter: failure requested").abi_encode();
        let outcome = CallOutcome::Revert { output: revert.into(), gas_used: 1 };
        assert_eq!(outcome.to_string(), "execution reverted: counter: failure requested");
        let panic = Panic::from(0x11u64).abi_encode();
        let outcome = CallOutcome::Revert { output: panic.into(), gas_used: 1 };
        assert_eq!(outcome.to_string(), "execution reverted: arithmetic underflow or overflow");
        let raw = CallOutcome::Revert { output: Bytes::from_static(&[1, 2, 3]), gas_used: 1 };
        assert_eq!(raw.to_string(), "execution reverted");
        assert_eq!(KECCAK_EMPTY, keccak256([]));
    }
}
