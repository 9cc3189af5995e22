//! Which senders a block may carry: the role private and consortium networks fill with their
//! account rules, judged at the block's parent state.

use std::{panic, thread};

use alloy_consensus::Transaction as _;
use alloy_primitives::Address;
use cairn_primitives::Block;
use cairn_storage::StateView;

use crate::ConsensusError;

/// Which transactions a block built on a parent may carry, judged at the parent's state.
///
/// Contract: deterministic in `state` (a parent's state) alone, so a proposer, every
/// validator, a syncing node and `cairn verify` agree, and old blocks keep verifying after
/// the rules change (the state of their parent is what they were judged by). A transaction
/// that changes the rules (adds a member) therefore counts from the next block on, never for
/// a later transaction of its own block.
pub trait TransactionRules: Send + Sync {
    /// The judge of one block (or one admission batch) at `state`.
    fn at<'a>(&'a self, state: &'a dyn StateView) -> Result<Box<dyn TxGate + 'a>, ConsensusError>;
}

/// One parent state's verdicts; an implementation may cache within and across calls.
pub trait TxGate {
    /// Whether `sender` may send a transaction (`creates`: one without `to`, which deploys a
    /// contract). The outer error is a state that could not be read, which judges nobody; the
    /// inner one is the verdict.
    fn check(
        &mut self,
        sender: Address,
        creates: bool,
    ) -> Result<Result<(), NotPermitted>, ConsensusError>;
}

/// Why the rules refuse a sender. The texts are what JSON-RPC and REST clients see, so they
/// name the account in its checksummed (EIP-55) form and both start alike.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotPermitted {
    /// The account may not send transactions.
    #[error("account not permitted: {account}")]
    Transact {
        /// The sender.
        account: Address,
    },
    /// The account may send transactions, but not one that creates a contract.
    #[error("account not permitted to deploy contracts: {account}")]
    Deploy {
        /// The sender.
        account: Address,
    },
}

/// Public and ungoverned chains: everyone may transact and deploy; nothing is read.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyTransaction;

impl TransactionRules for AnyTransaction {
    fn at<'a>(&'a self, _state: &'a dyn StateView) -> Result<Box<dyn TxGate + 'a>, ConsensusError> {
        Ok(Box::new(AnyTransaction))
    }
}

impl TxGate for AnyTransaction {
    fn check(
        &mut self,
        _sender: Address,
        _creates: bool,
    ) -> Result<Result<(), NotPermitted>, ConsensusError> {
        Ok(Ok(()))
    }
}

/// Refuses the first transaction of `block` whose sender (`senders`, in order) `rules` refuse
/// at `state`, the block's parent state.
pub fn check_transactions(
    rules: &dyn TransactionRules,
    state: &dyn StateView,
    block: &Block,
    senders: &[Address],
) -> Result<(), ConsensusError> {
    let mut gate = rules.at(state)?;
    for (index, (tx, sender)) in block.transactions.iter().zip(senders).enumerate() {
        if let Err(source) = gate.check(*sender, tx.is_create())? {
            return Err(ConsensusError::NotPermitted {
                number: block.header.number,
                index,
                tx: *tx.tx_hash(),
                source,
            });
        }
    }
    Ok(())
}

/// [`check_transactions`] on a thread of its own while `execute` (the block's execution)
/// runs on the calling thread: what import and `cairn verify` run. The answer is the check's
/// refusal if it refuses (whatever `execute` returned: that result is dropped, so nothing of
/// it can be committed), otherwise `execute`'s result, so a block is refused exactly when and
/// as `check_transactions` refuses it.
///
/// The verdicts' work is not saved, only overlapped with execution: it shortens an import
/// where another core is free, and a refused block is now executed before it is refused (as
/// one whose state root is wrong always was). A block without transactions, or a check thread
/// that cannot be started, is checked on the calling thread before `execute` runs.
pub fn check_transactions_beside<T>(
    rules: &dyn TransactionRules,
    state: &(dyn StateView + Sync),
    block: &Block,
    senders: &[Address],
    execute: impl FnOnce() -> T,
) -> Result<T, ConsensusError> {
    let check = || check_transactions(rules, state, block, senders);
    if block.transactions.is_empty() {
        check()?;
        return Ok(execute());
    }
    thread::scope(|scope| {
        let Ok(checking) =
            thread::Builder::new().name("tx-rules".into()).spawn_scoped(scope, check)
        else {
            check()?;
            return Ok(execute());
        };
        let executed = execute();
        match checking.join() {
            Ok(checked) => checked.map(|()| executed),
            Err(panicked) => panic::resume_unwind(panicked),
        }
    })
}

#[cfg(test)]
mod tests {
    use alloy_consensus::{Signed, TxEip1559, TxEnvelope};
    use alloy_primitives::{B256, Bytes, Signature, TxKind, U256};
    use cairn_primitives::Header;
    use cairn_storage::{Account, StoreError};

    use super::*;

    /// A state nothing is read from: the rules below judge by sender alone.
    struct NoState;

    impl StateView for NoState {
        fn account(&self, _address: Address) -> Result<Option<Account>, StoreError> {
            Ok(None)
        }

        fn storage(&self, _address: Address, _slot: U256) -> Result<U256, StoreError> {
            Ok(U256::ZERO)
        }

        fn code(&self, _hash: B256) -> Result<Option<Bytes>, StoreError> {
            Ok(None)
        }

        fn block_hash(&self, _number: u64) -> Result<Option<B256>, StoreError> {
            Ok(None)
        }
    }

    /// `outsider` may not transact; `member` may, but not deploy.
    struct Rules {
        outsider: Address,
        member: Address,
    }

    struct Gate<'a>(&'a Rules);

    impl TransactionRules for Rules {
        fn at<'a>(
            &'a self,
            _state: &'a dyn StateView,
        ) -> Result<Box<dyn TxGate + 'a>, ConsensusError> {
            Ok(Box::new(Gate(self)))
        }
    }

    impl TxGate for Gate<'_> {
        fn check(
            &mut self,
            sender: Address,
            creates: bool,
        ) -> Result<Result<(), NotPermitted>, ConsensusError> {
            Ok(if sender == self.0.outsider {
                Err(NotPermitted::Transact { account: sender })
            } else if creates && sender == self.0.member {
                Err(NotPermitted::Deploy { account: sender })
            } else {
                Ok(())
            })
        }
    }

    fn tx(nonce: u64, to: TxKind) -> TxEnvelope {
        let tx = TxEip1559 { chain_id: 1, nonce, gas_limit: 21_000, to, ..Default::default() };
        let signature = Signature::new(U256::from(1), U256::from(1), false);
        TxEnvelope::Eip1559(Signed::new_unhashed(tx, signature))
    }

    fn block(transactions: Vec<TxEnvelope>) -> Block {
        Block { header: Header { number: 41, ..Default::default() }, transactions, consensus: None }
    }

    #[test]
    fn the_first_refused_transaction_is_named_by_block_index_hash_and_account() {
        let outsider: Address =
            "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359".parse().expect("an address");
        let member = Address::repeat_byte(2);
        let rules = Rules { outsider, member };
        let call = TxKind::Call(Address::repeat_byte(9));
        let carried =
            block(vec![tx(0, call), tx(1, TxKind::Create), tx(2, call), tx(3, TxKind::Create)]);
        let hash = *carried.transactions[2].tx_hash();
        let senders = [Address::ZERO, Address::ZERO, outsider, member];
        let refused =
            check_transactions(&rules, &NoState, &carried, &senders).expect_err("refused");
        assert!(matches!(
            &refused,
            ConsensusError::NotPermitted {
                number: 41,
                index: 2,
                tx,
                source: NotPermitted::Transact { account }
            } if *tx == hash && *account == outsider
        ));
        assert_eq!(
            refused.to_string(),
            format!(
                "transaction 2 ({hash}) of block 41: account not permitted: \
                 0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
            )
        );

        // A member may call but not deploy.
        let senders = [member, member, Address::ZERO, member];
        let refused =
            check_transactions(&rules, &NoState, &carried, &senders).expect_err("refused");
        assert!(matches!(
            refused,
            ConsensusError::NotPermitted { index: 1, source: NotPermitted::Deploy { .. }, .. }
        ));
        assert!(
            refused
                .to_string()
                .contains(&format!("account not permitted to deploy contracts: {member}"))
        );

        assert!(check_transactions(&rules, &NoState, &carried, &[Address::ZERO; 4]).is_ok());
        assert!(check_transactions(&AnyTransaction, &NoState, &carried, &senders).is_ok());
    }

    /// Rules whose state cannot be read: they judge nobody.
    struct Unreadable;

    impl TransactionRules for Unreadable {
        fn at<'a>(
            &'a self,
            _state: &'a dyn StateView,
        ) -> Result<Box<dyn TxGate + 'a>, ConsensusError> {
            Err(ConsensusError::RulesState { source: "no contract".into() })
        }
    }

    #[test]
    fn beside_execution_a_refusal_wins_and_only_a_permitted_block_gives_its_execution() {
        let outsider = Address::repeat_byte(1);
        let rules = Rules { outsider, member: Address::repeat_byte(2) };
        let call = TxKind::Call(Address::repeat_byte(9));
        let carried = block(vec![tx(0, call), tx(1, call)]);
        let executed = || "executed";

        let refused = check_transactions_beside(
            &rules,
            &NoState,
            &carried,
            &[Address::ZERO, outsider],
            executed,
        )
        .expect_err("refused");
        assert!(matches!(
            refused,
            ConsensusError::NotPermitted {
                number: 41,
                index: 1,
                source: NotPermitted::Transact { .. },
                ..
            }
        ));
        let unread = check_transactions_beside(
            &Unreadable,
            &NoState,
            &carried,
            &[Address::ZERO; 2],
            executed,
        );
        assert!(matches!(unread, Err(ConsensusError::RulesState { .. })));
        let permitted =
            check_transactions_beside(&rules, &NoState, &carried, &[Address::ZERO; 2], executed);
        assert_eq!(permitted.expect("permitted"), "executed");

        // A block without transactions is checked first on the calling thread: rules that
        // cannot be read refuse it before it executes.
        let ran = std::cell::Cell::new(false);
        let empty = block(Vec::new());
        let unread =
            check_transactions_beside(&Unreadable, &NoState, &empty, &[], || ran.set(true));
        assert!(matches!(unread, Err(ConsensusError::RulesState { .. })));
        assert!(!ran.get(), "not executed");
        check_transactions_beside(&rules, &NoState, &empty, &[], || ran.set(true)).expect("empty");
        assert!(ran.get());
    }
}
