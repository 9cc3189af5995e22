//! System contracts' genesis accounts: a contract's constructor run once in revm over an empty
//! state, so the chain spec's `alloc` holds the code, storage and balance it produced and the
//! spec stays the whole truth of genesis (each chain pins the bytecode it started with).

use alloy_primitives::{Address, Bytes, TxKind, U256, address};
use cairn_primitives::GenesisAccount;
use revm::context::result::{ExecutionResult, HaltReason};
use revm::context::{BlockEnv, CfgEnv, Context, TxEnv};
use revm::database::InMemoryDB;
use revm::handler::{ExecuteCommitEvm, MainBuilder, MainContext};
use revm::primitives::hardfork::SpecId;
use revm::state::AccountInfo;

use crate::ExecError;

/// Who sends the creation transaction in the throwaway EVM. Any address works: the system
/// contracts never record their deployer, and only the created account is kept.
const DEPLOYER: Address = address!("0x00000000000000000000000000000000000c0de0");

/// Gas for the creation: generous, since only the in-memory EVM pays it (constructors that
/// register every genesis validator or organisation take a few hundred thousand gas each).
const CREATION_GAS: u64 = 2_000_000_000;

/// What a genesis constructor run gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenesisCreation {
    /// The account to place at the contract's fixed address: runtime code, every non-zero
    /// storage slot, its balance, nonce 1.
    Created(GenesisAccount),
    /// The constructor reverted with this data (the contract's custom error, for its crate to
    /// decode).
    Reverted(Bytes),
    /// The EVM stopped the creation (out of gas, runtime code over EIP-170's limit).
    Halted(HaltReason),
}

/// Runs `init_code` (creation code followed by the ABI-encoded constructor arguments) with
/// `value` wei, at block 0 under Cancun rules. The same inputs always give the same account.
pub fn create_genesis_contract(
    init_code: Bytes,
    value: U256,
) -> Result<GenesisCreation, ExecError> {
    let mut db = InMemoryDB::default();
    db.insert_account_info(DEPLOYER, AccountInfo { balance: value, ..AccountInfo::default() });
    let mut cfg = CfgEnv::new_with_spec(SpecId::CANCUN);
    cfg.disable_block_gas_limit = true;
    // The arguments carry every genesis validator or organisation, so the input can outgrow
    // EIP-3860's limit for transactions; it is no transaction of the chain. EIP-170's limit on
    // the runtime code still applies.
    cfg.limit_contract_initcode_size = Some(usize::MAX);
    let block = BlockEnv { number: U256::ZERO, ..BlockEnv::default() };
    let mut evm = Context::mainnet().with_db(db).with_cfg(cfg).with_block(block).build_mainnet();
    let tx = TxEnv {
        caller: DEPLOYER,
        kind: TxKind::Create,
        data: init_code,
        value,
        gas_limit: CREATION_GAS,
        gas_price: 0,
        ..TxEnv::default()
    };
    let result = evm.transact_commit(tx).map_err(|e| ExecError::Evm(e.to_string()))?;
    let created = match result {
        ExecutionResult::Success { .. } => result.created_address(),
        ExecutionResult::Revert { output, .. } => return Ok(GenesisCreation::Reverted(output)),
        ExecutionResult::Halt { reason, .. } => return Ok(GenesisCreation::Halted(reason)),
    };
    let not_created = || ExecError::Evm("the genesis constructor created no contract".into());
    let created = created.ok_or_else(not_created)?;
    let account =
        evm.ctx.journaled_state.database.cache.accounts.get(&created).ok_or_else(not_created)?;
    let code = account.info.code.as_ref().map(|c| c.original_bytes()).unwrap_or_default();
    if code.is_empty() {
        return Err(not_created());
    }
    Ok(GenesisCreation::Created(GenesisAccount {
        balance: account.info.balance,
        nonce: account.info.nonce,
        code,
        storage: account
            .storage
            .iter()
            .filter(|(_, value)| !value.is_zero())
            .map(|(slot, value)| ((*slot).into(), *value))
            .collect(),
    }))
}
