//! The staking contract as `cairn staking` reaches it: its address, and its refusals decoded
//! into its custom errors with their arguments, as an operator reads them.

use alloy_primitives::{Address, B256, I256, U256, hex};
use alloy_sol_types::SolInterface;
use cairn_staking::STAKING_ADDRESS;
use cairn_staking::Staking::StakingErrors;

use super::amounts::ether;
use crate::contract_tx::{SystemContract, other_revert};

/// The staking contract at `0x…1000`, on proof-of-stake chains.
pub(crate) static STAKING: SystemContract = SystemContract {
    name: "staking",
    address: STAKING_ADDRESS,
    absent: "it is not a proof-of-stake chain",
    describe,
};

/// Revert data as the contract's error with its arguments, `KeyAlreadyRegistered(0x…)`,
/// followed by what it means for the commands' common refusals.
fn describe(data: &[u8]) -> String {
    let Ok(error) = StakingErrors::abi_decode(data) else {
        return other_revert(data);
    };
    let signature = StakingErrors::signature_by_selector(error.selector()).unwrap_or("Unknown()");
    let (name, types) = signature.split_once('(').unwrap_or((signature, ")"));
    let types = types.trim_end_matches(')');
    // Every argument of the contract's errors is a static type: one 32-byte word each.
    let words = data.get(4..).unwrap_or_default().chunks(32);
    let arguments: Vec<String> = types
        .split(',')
        .filter(|t| !t.is_empty())
        .zip(words)
        .map(|(kind, word)| argument(kind, B256::from_slice(word)))
        .collect();
    let call = format!("{name}({})", arguments.join(", "));
    match meaning(&error) {
        Some(meaning) => format!("{call}: {meaning}"),
        None => call,
    }
}

fn argument(kind: &str, word: B256) -> String {
    match kind {
        "address" => Address::from_word(word).to_string(),
        "bool" => (!word.is_zero()).to_string(),
        kind if kind.starts_with("uint") => U256::from_be_bytes(word.0).to_string(),
        kind if kind.starts_with("int") => I256::from_be_bytes(word.0).to_string(),
        kind if kind.starts_with("bytes") => {
            let len = kind[5..].parse::<usize>().unwrap_or(32).min(32);
            format!("0x{}", hex::encode(&word[..len]))
        }
        _ => word.to_string(),
    }
}

/// What the refusals an operator meets when registering mean, in words.
fn meaning(error: &StakingErrors) -> Option<String> {
    Some(match error {
        StakingErrors::KeyAlreadyRegistered(e) => format!(
            "this consensus key is already registered as validator {} (a key registers once)",
            e.validator
        ),
        StakingErrors::OperatorAlreadyHasValidator(e) => format!(
            "operator {} already controls validator {} (one validator per operator)",
            e.operator, e.validator
        ),
        StakingErrors::BelowMinimumSelfStake(e) => format!(
            "a stake of {} is below the chain's minimum self-stake of {}",
            ether(e.amount),
            ether(e.minimum)
        ),
        StakingErrors::CommissionTooHigh(_) => "a commission is at most 100%".to_string(),
        StakingErrors::CandidateListFull(e) => {
            format!("the chain already has its maximum of {} candidates", e.maximum)
        }
        StakingErrors::InvalidProofOfPossession(_) => {
            "the proof of possession does not verify for this operator and chain".to_string()
        }
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use alloy_primitives::address;
    use alloy_sol_types::SolError;
    use cairn_staking::Staking;

    #[test]
    fn custom_errors_print_with_their_arguments() {
        let validator = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        let data = Staking::KeyAlreadyRegistered { validator }.abi_encode();
        assert_eq!(
            describe(&data),
            "KeyAlreadyRegistered(0x70997970C51812dc3A010C7d01b50e0d17dc79C8): this consensus \
             key is already registered as validator 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 \
             (a key registers once)"
        );
        let ether = U256::from(10u64).pow(U256::from(18u8));
        let data =
            Staking::BelowMinimumSelfStake { amount: ether, minimum: ether * U256::from(100u8) }
                .abi_encode();
        assert_eq!(
            describe(&data),
            "BelowMinimumSelfStake(1000000000000000000, 100000000000000000000): a stake of 1 \
             ether is below the chain's minimum self-stake of 100 ether"
        );
        let data = Staking::CommissionStepTooLarge { current: 500, requested: 700, maxStep: 100 }
            .abi_encode();
        assert_eq!(describe(&data), "CommissionStepTooLarge(500, 700, 100)");
        assert_eq!(describe(&Staking::ZeroAmount {}.abi_encode()), "ZeroAmount()");
        let data =
            Staking::UnknownFunction { selector: [0xde, 0xad, 0xbe, 0xef].into() }.abi_encode();
        assert_eq!(describe(&data), "UnknownFunction(0xdeadbeef)");
    }
}
