//! The proof-of-stake parameters of a chain spec (`[staking]`) and the fixed address of the
//! staking system contract they configure.

use std::fmt;
use std::str::FromStr;

use alloy_primitives::{Address, U256, address};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::PrimitivesError;

/// Where the staking system contract lives on every proof-of-stake chain, from genesis on.
pub const STAKING_ADDRESS: Address = address!("0x0000000000000000000000000000000000001000");

/// Most registered validators a chain may allow: the bound that keeps the staking contract's
/// epoch end inside a protocol call's gas budget.
const MAX_CANDIDATES: u32 = 500;

/// Basis points in one whole.
const BPS_PER_ONE: u16 = 10_000;

/// A share between 0 and 1 with at most four decimals, written as a decimal string ("0.05")
/// in specs, so a reader sees the fraction Cosmos's parameters use, and kept in basis points,
/// the unit the staking contract computes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Ratio {
    bps: u16,
}

impl Ratio {
    /// The ratio `bps / 10000`; `None` above one.
    pub fn from_bps(bps: u16) -> Option<Self> {
        (bps <= BPS_PER_ONE).then_some(Self { bps })
    }

    /// The ratio in basis points (0..=10000).
    pub fn bps(self) -> u16 {
        self.bps
    }
}

impl FromStr for Ratio {
    type Err = PrimitivesError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || PrimitivesError::Ratio { text: text.to_string() };
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (text.contains('.') && !digits(fraction)) || fraction.len() > 4 {
            return Err(bad());
        }
        let whole: u16 = match whole.trim_start_matches('0') {
            "" => 0,
            "1" => 1,
            _ => return Err(bad()),
        };
        let fraction = format!("{fraction:0<4}").parse::<u16>().map_err(|_| bad())?;
        Self::from_bps(whole * BPS_PER_ONE + fraction).ok_or_else(bad)
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.bps / BPS_PER_ONE;
        let fraction = format!("{:04}", self.bps % BPS_PER_ONE);
        let fraction = fraction.trim_end_matches('0');
        if fraction.is_empty() { write!(f, "{whole}") } else { write!(f, "{whole}.{fraction}") }
    }
}

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Ratio {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// How a proof-of-stake chain chooses, pays and punishes its validators. Every field has a
/// default (Cosmos's x/staking and x/slashing values, with one ether as the unit of power), so
/// a spec names only what it changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StakingParams {
    /// Most validators in a set (1..=200).
    pub max_validators: u32,
    /// Most registered validators (`max_validators..=500`): bounds the work of an epoch end
    /// (with 500, choosing a set of 200 costs the staking contract about 19M of the 30M gas a
    /// protocol call may use; 1,000 would cost about 28M).
    pub max_candidates: u32,
    /// Wei per unit of voting power (at least 10^12).
    pub power_reduction: U256,
    /// Least stake a validator's operator must keep bonded, in wei.
    pub min_self_stake: U256,
    /// Epochs undelegated stake stays slashable before it can be withdrawn (1..=100).
    pub unbonding_epochs: u64,
    /// Wei minted to the signers of each block (at most 2^64).
    pub block_reward: U256,
    /// Share of a validator's stake burned for signing two conflicting messages.
    pub slash_double_sign: Ratio,
    /// Share of a validator's stake burned for missing too many blocks.
    pub slash_downtime: Ratio,
    /// Blocks over which signing is counted (10..=10000).
    pub signed_blocks_window: u64,
    /// Share of the window a validator must sign to stay in the set.
    pub min_signed_per_window: Ratio,
    /// Blocks a validator jailed for downtime waits before it may unjail.
    pub downtime_jail_blocks: u64,
}

impl Default for StakingParams {
    fn default() -> Self {
        let ether = U256::from(10u64.pow(18));
        Self {
            max_validators: 100,
            max_candidates: MAX_CANDIDATES,
            power_reduction: ether,
            min_self_stake: ether * U256::from(100),
            unbonding_epochs: 21,
            block_reward: U256::ZERO,
            slash_double_sign: Ratio { bps: 500 },
            slash_downtime: Ratio { bps: 100 },
            signed_blocks_window: 100,
            min_signed_per_window: Ratio { bps: 5_000 },
            downtime_jail_blocks: 600,
        }
    }
}

impl StakingParams {
    /// The voting power `stake` wei give: whole units of `power_reduction`, saturating at
    /// `u64::MAX` (a set's total is bounded separately).
    pub fn power_of(&self, stake: U256) -> u64 {
        if self.power_reduction.is_zero() {
            return 0;
        }
        u64::try_from(stake / self.power_reduction).unwrap_or(u64::MAX)
    }

    /// Refuses parameters under which the staking contract's system calls could fail or
    /// exceed their gas budget (every loop they run is bounded by these).
    pub fn validate(&self) -> Result<(), PrimitivesError> {
        let fail = |reason: &str| Err(PrimitivesError::Spec { reason: reason.to_string() });
        if !(1..=200).contains(&self.max_validators) {
            return fail("staking.max_validators must be between 1 and 200");
        }
        if !(self.max_validators..=MAX_CANDIDATES).contains(&self.max_candidates) {
            return fail("staking.max_candidates must be between max_validators and 500");
        }
        if self.power_reduction < U256::from(10u64.pow(12)) {
            return fail("staking.power_reduction must be at least 10^12 wei");
        }
        if !(1..=100).contains(&self.unbonding_epochs) {
            return fail("staking.unbonding_epochs must be between 1 and 100");
        }
        if self.block_reward > U256::from(u64::MAX) {
            return fail("staking.block_reward must be at most 2^64 - 1 wei");
        }
        if !(10..=10_000).contains(&self.signed_blocks_window) {
            return fail("staking.signed_blocks_window must be between 10 and 10000");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_read_and_write_decimals() {
        for (text, bps, shown) in [
            ("0.05", 500, "0.05"),
            ("0.5", 5_000, "0.5"),
            ("1", 10_000, "1"),
            ("1.0", 10_000, "1"),
            ("0", 0, "0"),
            ("0.0001", 1, "0.0001"),
            ("00.25", 2_500, "0.25"),
        ] {
            let ratio: Ratio = text.parse().expect(text);
            assert_eq!(ratio.bps(), bps, "{text}");
            assert_eq!(ratio.to_string(), shown, "{text}");
        }
        for bad in ["", ".5", "0.", "1.0001", "2", "0.00001", "-0.1", "0,5", "0.5e1", " 0.5"] {
            assert!(bad.parse::<Ratio>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn params_round_trip_and_default_what_is_missing() {
        let params: StakingParams =
            toml::from_str("max_validators = 4\nslash_double_sign = \"0.1\"\n").expect("toml");
        assert_eq!(params.max_validators, 4);
        assert_eq!(params.slash_double_sign.bps(), 1_000);
        assert_eq!(params.unbonding_epochs, StakingParams::default().unbonding_epochs);
        let json = serde_json::to_string(&params).expect("json");
        assert_eq!(serde_json::from_str::<StakingParams>(&json).expect("back"), params);
        assert!(toml::from_str::<StakingParams>("max_validator = 4").is_err(), "a typo is refused");
    }

    #[test]
    fn validate_bounds_what_system_calls_loop_over() {
        assert!(StakingParams::default().validate().is_ok());
        let with = |edit: fn(&mut StakingParams)| {
            let mut params = StakingParams::default();
            edit(&mut params);
            params.validate()
        };
        assert!(with(|p| p.max_validators = 0).is_err());
        assert!(with(|p| p.max_validators = 201).is_err());
        assert!(with(|p| p.max_candidates = 99).is_err());
        assert!(with(|p| p.max_candidates = 500).is_ok());
        assert!(with(|p| p.max_candidates = 501).is_err());
        assert!(with(|p| p.power_reduction = U256::from(999_999_999_999u64)).is_err());
        assert!(with(|p| p.unbonding_epochs = 0).is_err());
        assert!(with(|p| p.block_reward = U256::from(u64::MAX) + U256::from(1)).is_err());
        assert!(with(|p| p.signed_blocks_window = 9).is_err());
    }

    #[test]
    fn power_is_whole_units_of_the_reduction() {
        let params = StakingParams::default();
        let ether = U256::from(10u64.pow(18));
        assert_eq!(params.power_of(ether * U256::from(3) - U256::from(1)), 2);
        assert_eq!(params.power_of(U256::MAX), u64::MAX);
    }
}
