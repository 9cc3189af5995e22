//! Building blocks for the tests: the dev spec, signed transfers with receipts, and state
//! changes written as short scripts.

use std::sync::OnceLock;

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{ReceiptEnvelope, SignableTransaction, TxEip1559};
use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_trie::KECCAK_EMPTY;
use cairn_primitives::{ChainSpec, DevAccount, Receipt, TxEnvelope, dev_accounts};
use cairn_storage::{AccountChange, AccountInfo, StateChanges};

/// A contract deployed in block 1 and re-created in block 4.
pub(crate) const CONTRACT: Address = Address::repeat_byte(0xc0);
/// An account created in block 1, deleted in block 3 and re-created in block 4.
pub(crate) const BOB: Address = Address::repeat_byte(0xb0);
/// An account created in block 2 whose last slot is cleared in block 3.
pub(crate) const CAROL: Address = Address::repeat_byte(0xca);
/// An account only the alternative branch creates.
pub(crate) const DAVE: Address = Address::repeat_byte(0xda);
/// An account that never exists.
pub(crate) const NOBODY: Address = Address::repeat_byte(0xee);

/// The dev chain spec (derived once: key derivation is slow).
pub(crate) fn dev_spec() -> ChainSpec {
    static SPEC: OnceLock<ChainSpec> = OnceLock::new();
    SPEC.get_or_init(|| ChainSpec::dev().expect("dev spec")).clone()
}

/// The ten funded dev accounts with their signers.
pub(crate) fn dev_signers() -> &'static [DevAccount] {
    static ACCOUNTS: OnceLock<Vec<DevAccount>> = OnceLock::new();
    ACCOUNTS.get_or_init(|| dev_accounts(10).expect("dev accounts"))
}

/// The first dev account, which the scripts spend from.
pub(crate) fn alice() -> Address {
    dev_signers()[0].address
}

/// Balance of every dev account at genesis.
pub(crate) fn dev_balance() -> U256 {
    U256::from(10_000u64) * U256::from(10u64).pow(U256::from(18))
}

/// An account without code.
pub(crate) fn info(nonce: u64, balance: U256) -> AccountInfo {
    AccountInfo { nonce, balance, code_hash: KECCAK_EMPTY }
}

/// A slot number or value.
pub(crate) fn word(value: u64) -> U256 {
    U256::from(value)
}

/// Writes one block's [`StateChanges`] fluently.
#[derive(Default)]
pub(crate) struct Changes(StateChanges);

impl Changes {
    /// Sets the account's fields.
    pub(crate) fn set(mut self, address: Address, info: AccountInfo) -> Self {
        self.0.accounts.entry(address).or_default().info = Some(info);
        self
    }

    /// Sets the account with code `code`, deploying the code in the same block.
    pub(crate) fn deploy(mut self, address: Address, nonce: u64, code: &[u8]) -> Self {
        let hash = keccak256(code);
        self.0.code.insert(hash, Bytes::copy_from_slice(code));
        self.set(address, AccountInfo { nonce, balance: U256::ZERO, code_hash: hash })
    }

    /// Writes slots (a zero value clears) of an account already given by `set` or `deploy`.
    pub(crate) fn slots(mut self, address: Address, slots: &[(u64, u64)]) -> Self {
        let change = self.0.accounts.get_mut(&address).expect("set the account before its slots");
        change.storage.extend(slots.iter().map(|&(slot, value)| (word(slot), word(value))));
        self
    }

    /// Deletes the account with its storage.
    pub(crate) fn delete(mut self, address: Address) -> Self {
        self.0.accounts.insert(address, AccountChange::default());
        self
    }

    /// Drops the storage the account had before this block (it is re-created).
    pub(crate) fn wipe(mut self, address: Address) -> Self {
        self.0.accounts.get_mut(&address).expect("set the account before wiping it").wipe_storage =
            true;
        self
    }

    /// The finished changes.
    pub(crate) fn build(self) -> StateChanges {
        self.0
    }
}

/// The state changes of blocks 1 to 5 of the main test chain: balances and nonces, slots set
/// and cleared, code deployed, an account deleted and accounts re-created with wiped storage.
pub(crate) fn main_script() -> Vec<StateChanges> {
    let ether = dev_balance() / word(10_000);
    vec![
        Changes::default()
            .set(alice(), info(1, dev_balance() - ether))
            .deploy(CONTRACT, 1, &[0x60, 0x00, 0x60, 0x00, 0xf3])
            .slots(CONTRACT, &[(1, 10), (2, 20), (3, 30)])
            .set(BOB, info(0, ether))
            .slots(BOB, &[(7, 70)])
            .build(),
        Changes::default()
            .deploy(CONTRACT, 1, &[0x60, 0x00, 0x60, 0x00, 0xf3])
            .slots(CONTRACT, &[(1, 11), (2, 0), (4, 40)])
            .set(BOB, info(1, ether / word(2)))
            .set(CAROL, info(0, word(100)))
            .slots(CAROL, &[(5, 50)])
            .build(),
        Changes::default()
            .set(alice(), info(2, dev_balance() - ether - word(1)))
            .delete(BOB)
            .set(CAROL, info(0, word(100)))
            .slots(CAROL, &[(5, 0)])
            .build(),
        Changes::default()
            .deploy(CONTRACT, 1, &[0x60, 0x01, 0x60, 0x00, 0x55, 0x00])
            .wipe(CONTRACT)
            .slots(CONTRACT, &[(9, 90), (1, 12)])
            .set(BOB, info(0, word(7)))
            .wipe(BOB)
            .slots(BOB, &[(8, 80)])
            .build(),
        Changes::default()
            .set(alice(), info(3, word(5)))
            .delete(CAROL)
            .deploy(CONTRACT, 1, &[0x60, 0x01, 0x60, 0x00, 0x55, 0x00])
            .slots(CONTRACT, &[(3, 0), (9, 91)])
            .build(),
    ]
}

/// A different blocks 3 and 4, to commit after unwinding the main chain to block 2.
pub(crate) fn branch_script() -> Vec<StateChanges> {
    vec![
        Changes::default()
            .deploy(CONTRACT, 2, &[0x60, 0x00, 0x60, 0x00, 0xf3])
            .slots(CONTRACT, &[(1, 0), (2, 22), (6, 60)])
            .set(BOB, info(5, word(5)))
            .slots(BOB, &[(7, 0), (8, 81)])
            .set(DAVE, info(0, word(1)))
            .build(),
        Changes::default()
            .delete(CAROL)
            .deploy(CONTRACT, 3, &[0x60, 0x00, 0x60, 0x00, 0xf3])
            .wipe(CONTRACT)
            .set(alice(), info(9, word(9)))
            .build(),
    ]
}

/// What a block carries besides its state changes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Payload {
    pub(crate) transactions: Vec<TxEnvelope>,
    pub(crate) senders: Vec<Address>,
    pub(crate) receipts: Vec<Receipt>,
}

/// `count` signed transfers from distinct dev accounts, with receipts that each carry a log;
/// `tag` (the recipient) makes transactions of different branches differ.
pub(crate) fn transfers(number: u64, count: usize, tag: u8) -> Payload {
    let mut payload = Payload::default();
    for (index, account) in dev_signers().iter().cycle().take(count).enumerate() {
        let tx = TxEip1559 {
            chain_id: dev_spec().chain_id,
            nonce: number,
            gas_limit: 21_000,
            max_fee_per_gas: 2_000_000_000,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(Address::repeat_byte(tag)),
            value: U256::from(index),
            ..Default::default()
        };
        let signature = account.signer.sign_hash_sync(&tx.signature_hash()).expect("sign");
        let envelope = TxEnvelope::from(tx.into_signed(signature));
        assert_eq!(envelope.recover_signer().expect("recover"), account.address);
        payload.transactions.push(envelope);
        payload.senders.push(account.address);
        payload.receipts.push(receipt(21_000 * (index as u64 + 1), tag));
    }
    payload
}

/// A successful EIP-1559 receipt with one log.
fn receipt(cumulative_gas_used: u64, tag: u8) -> Receipt {
    let log = Log::new_unchecked(
        Address::repeat_byte(tag),
        vec![B256::repeat_byte(tag)],
        Bytes::from(vec![tag; 3]),
    );
    let inner =
        alloy_consensus::Receipt { status: true.into(), cumulative_gas_used, logs: vec![log] };
    Receipt {
        envelope: ReceiptEnvelope::Eip1559(inner.with_bloom()),
        gas_used: 21_000,
        effective_gas_price: 1_000_000_001,
        contract_address: Address::ZERO,
        revert_output: None,
    }
}
