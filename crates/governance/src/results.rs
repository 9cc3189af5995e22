//! Reading what the contract answered: the numbered enumerations of its ABI as Rust enums,
//! and the validator set `endEpoch` hands to consensus.

use cairn_primitives::{PrimitivesError, SetMember, ValidatorSetRecord};

use crate::{Governance, GovernanceError};

/// Defines a Rust enum for one of the contract's `uint8` enumerations, with the lowercase
/// names the CLI, REST API and explorer show.
macro_rules! abi_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($(#[$vdoc:meta])* $variant:ident = $n:literal => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// The name tools show.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)*
                }
            }
        }

        impl TryFrom<u8> for $name {
            type Error = GovernanceError;

            fn try_from(value: u8) -> Result<Self, GovernanceError> {
                match value {
                    $($n => Ok(Self::$variant),)*
                    value => Err(GovernanceError::UnknownValue { what: $what, value }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

abi_enum!(
    /// Where a proposal stands (the contract's `Status`).
    ProposalStatus, "proposal status", {
        /// Collecting votes until its deadline.
        Open = 0 => "open",
        /// Reached two thirds; takes effect at the end of the current epoch.
        Passed = 1 => "passed",
        /// Can no longer reach two thirds.
        Rejected = 2 => "rejected",
        /// Its deadline passed without two thirds.
        Expired = 3 => "expired",
        /// In force from its effective height.
        Executed = 4 => "executed",
        /// Passed, but no longer applicable at the epoch's end (its `failure` says why).
        Failed = 5 => "failed",
    }
);

abi_enum!(
    /// What a proposal changes (the contract's `Kind`).
    ProposalKind, "proposal kind", {
        /// A new organisation with its first admins.
        AddOrganisation = 0 => "add-organisation",
        /// An organisation leaves with its validators and nodes.
        RemoveOrganisation = 1 => "remove-organisation",
        /// A validator joins the set with a power.
        AddValidator = 2 => "add-validator",
        /// A validator leaves the set.
        RemoveValidator = 3 => "remove-validator",
        /// A node may connect.
        AllowNode = 4 => "allow-node",
        /// A node may no longer connect.
        RemoveNode = 5 => "remove-node",
        /// A governable chain parameter changes.
        SetParameter = 6 => "set-parameter",
    }
);

abi_enum!(
    /// A governable chain parameter, as `proposeParameter` numbers them.
    Parameter, "parameter", {
        /// Gas limit of every block.
        GasLimit = 0 => "gas_limit",
        /// Target milliseconds between blocks.
        BlockTimeMs = 1 => "block_time_ms",
        /// Blocks per epoch.
        EpochLength = 2 => "epoch_length",
        /// Blocks a proposal collects votes for.
        VotingPeriodBlocks = 3 => "voting_period_blocks",
        /// Only members may send transactions (0 off, 1 on).
        PermissionAccounts = 4 => "permission_accounts",
        /// Only allowed nodes may connect (0 off, 1 on).
        PermissionNodes = 5 => "permission_nodes",
        /// Only deployers may create contracts (0 off, 1 on).
        PermissionDeployers = 6 => "permission_deployers",
    }
);

/// `endEpoch`'s answer as the record of `epoch`, deciding heights from `first_height` on:
/// refused when it is empty, its lists disagree in length, or it breaks a rule every engine
/// relies on (order, keys, powers, total power).
pub fn next_set_record(
    answer: Governance::endEpochReturn,
    epoch: u64,
    first_height: u64,
) -> Result<ValidatorSetRecord, GovernanceError> {
    let n = answer.validators.len();
    if n == 0 {
        return Err(GovernanceError::BadSet("empty".into()));
    }
    if answer.publicKeys.len() != n || answer.powers.len() != n {
        return Err(GovernanceError::BadSet("lists of different lengths".into()));
    }
    let members = answer
        .validators
        .into_iter()
        .zip(answer.publicKeys)
        .zip(answer.powers)
        .map(|((address, public_key), power)| SetMember { address, public_key, power })
        .collect();
    let record = ValidatorSetRecord { epoch, first_height, members };
    match record.check() {
        Ok(()) => Ok(record),
        Err(PrimitivesError::ValidatorSet { reason }) => {
            Err(GovernanceError::BadSet(reason.into()))
        }
        Err(other) => Err(GovernanceError::BadSet(other.to_string())),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, Bytes};

    #[test]
    fn enumerations_decode_and_refuse_unknown_numbers() {
        assert_eq!(ProposalStatus::try_from(4).unwrap(), ProposalStatus::Executed);
        assert_eq!(ProposalKind::try_from(6).unwrap().as_str(), "set-parameter");
        assert_eq!(Parameter::try_from(2).unwrap().to_string(), "epoch_length");
        assert!(ProposalStatus::try_from(6).is_err());
        assert!(Parameter::try_from(7).is_err());
    }

    #[test]
    fn a_next_set_is_checked_before_consensus_sees_it() {
        let a = Address::repeat_byte(1);
        let b = Address::repeat_byte(2);
        let answer = |validators: Vec<Address>, powers: Vec<u64>| Governance::endEpochReturn {
            publicKeys: vec![Bytes::from([2u8; 33]); validators.len()],
            validators,
            powers,
        };
        let record = next_set_record(answer(vec![a, b], vec![1, 2]), 4, 41).unwrap();
        assert_eq!((record.epoch, record.first_height, record.members.len()), (4, 41, 2));
        assert!(next_set_record(answer(vec![], vec![]), 4, 41).is_err());
        assert!(next_set_record(answer(vec![b, a], vec![1, 2]), 4, 41).is_err());
        assert!(next_set_record(answer(vec![a, b], vec![1]), 4, 41).is_err());
        assert!(next_set_record(answer(vec![a, b], vec![1, 0]), 4, 41).is_err());
    }
}
