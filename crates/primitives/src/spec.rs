use std::collections::BTreeMap;
use std::path::Path;

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::{Deserialize, Serialize};

use crate::{
    GOVERNANCE_ADDRESS, GovernanceSpec, MAX_GOVERNED_BLOCK_TIME_MS, MAX_GOVERNED_BLOCKS, PowParams,
    PrimitivesError, STAKING_ADDRESS, StakingParams, dev_accounts,
};

/// Who may join the network; decides peer and account permissioning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum NetworkKind {
    /// Anyone may run a node and send transactions.
    #[default]
    Public,
    /// One organisation; only allowed nodes and accounts.
    Private,
    /// Several organisations govern validators and members on chain.
    Consortium,
}

/// How blocks are agreed; selects the consensus engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ConsensusKind {
    /// A single local validator sealing blocks on a timer (development).
    #[default]
    Dev,
    /// Byzantine-fault-tolerant rounds among a validator set with instant finality.
    Bft,
    /// Proof of stake.
    Pos,
    /// Proof of work.
    Pow,
}

/// An account present at genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// Starting balance in wei.
    pub balance: U256,
    /// Starting nonce.
    #[serde(default)]
    pub nonce: u64,
    /// Contract code, if any.
    #[serde(default)]
    pub code: Bytes,
    /// Contract storage, slot to value.
    #[serde(default)]
    pub storage: BTreeMap<B256, U256>,
}

/// Everything that makes one chain different from another; every node of a network must
/// start from the same spec, since genesis is derived from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainSpec {
    /// EIP-155 chain id; transactions signed for another chain are refused.
    pub chain_id: u64,
    /// Who may join.
    #[serde(default)]
    pub network: NetworkKind,
    /// How blocks are agreed.
    #[serde(default)]
    pub consensus: ConsensusKind,
    /// Gas limit of every block.
    pub gas_limit: u64,
    /// Target milliseconds between blocks when no transactions are waiting.
    pub block_time_ms: u64,
    /// How far a block's time may run ahead of the clock of the node checking it, in
    /// milliseconds: validators refuse such a proposal, and `cairn verify` such a stored block
    /// (a block made honestly is never later than its proposer's clock, so this holds for
    /// every older block too). Ethereum clients allow 15 s.
    #[serde(default = "default_max_clock_drift_ms")]
    pub max_clock_drift_ms: u64,
    /// Base fee per gas of the genesis block.
    pub base_fee: u64,
    /// Genesis timestamp in seconds.
    #[serde(default)]
    pub timestamp: u64,
    /// Genesis extra data.
    #[serde(default)]
    pub extra_data: Bytes,
    /// Accounts that exist at genesis.
    #[serde(default)]
    pub alloc: BTreeMap<Address, GenesisAccount>,
    /// The validator set of a BFT chain, or the genesis validators of a proof-of-stake chain
    /// (empty for the dev engine).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validators: Vec<GenesisValidator>,
    /// Blocks per epoch: how often a proof-of-stake chain chooses its validator set again, or
    /// a governed chain applies its passed proposals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch_length: Option<u64>,
    /// How a proof-of-stake chain chooses, pays and punishes validators (defaults when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staking: Option<StakingParams>,
    /// How a private or consortium chain is governed on chain: its founding organisations and
    /// permission switches (absent: nobody governs, nothing is permissioned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governance: Option<GovernanceSpec>,
    /// How a proof-of-work chain's difficulty starts, what its blocks pay and how deep a block
    /// must be to count as final (defaults when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pow: Option<PowParams>,
}

/// A validator of a BFT chain: who signs votes, with which key, and with what weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisValidator {
    /// A human name for logs and the explorer.
    #[serde(default)]
    pub name: String,
    /// The Ethereum address of its consensus key; names it in votes and certificates.
    pub address: Address,
    /// Its consensus public key, SEC1 compressed (33 bytes).
    pub public_key: Bytes,
    /// Its weight in every vote (on a proof-of-stake chain, `stake / power_reduction`).
    pub power: u64,
    /// Proof of stake: the wei its operator bonded at genesis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stake: Option<U256>,
    /// Proof of stake: the account that controls it (withdraws, changes commission, unjails).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<Address>,
    /// Proof of stake: its share of its delegators' rewards, in basis points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commission_bps: Option<u16>,
}

/// The clock drift a spec allows when it names none: 15 s, geth's allowance for future blocks.
fn default_max_clock_drift_ms() -> u64 {
    15_000
}

/// Latest genesis time a spec may set, in seconds: its time in milliseconds must fit in 64 bits.
const MAX_GENESIS_TIMESTAMP: u64 = u64::MAX / 1000;

/// Highest block gas limit a spec may set: a bound on the work one block demands of every
/// node (33 times Ethereum's 30M).
const MAX_GAS_LIMIT: u64 = 1_000_000_000;

/// Shortest block time a proof-of-work chain may aim at: a block can then come early enough
/// (block times are whole milliseconds) for the difficulty rule to raise the difficulty.
const MIN_POW_BLOCK_TIME_MS: u64 = 10;

/// Balance of each development account: 10,000 ether, as anvil gives.
const DEV_BALANCE_WEI: u128 = 10_000 * 10u128.pow(18);

impl ChainSpec {
    /// The development chain: chain id 31337 (as anvil), 30M gas, 1 s blocks, 1 gwei base fee,
    /// ten funded accounts from the development mnemonic.
    pub fn dev() -> Result<Self, PrimitivesError> {
        let alloc = dev_accounts(10)?
            .into_iter()
            .map(|a| {
                (
                    a.address,
                    GenesisAccount { balance: U256::from(DEV_BALANCE_WEI), ..Default::default() },
                )
            })
            .collect();
        Ok(Self {
            chain_id: 31337,
            network: NetworkKind::Private,
            consensus: ConsensusKind::Dev,
            gas_limit: 30_000_000,
            block_time_ms: 1_000,
            max_clock_drift_ms: default_max_clock_drift_ms(),
            base_fee: 1_000_000_000,
            timestamp: 0,
            extra_data: Bytes::new(),
            alloc,
            validators: Vec::new(),
            epoch_length: None,
            staking: None,
            governance: None,
            pow: None,
        })
    }

    /// Reads a spec from a `.toml` file or, otherwise, JSON.
    pub fn from_file(path: &Path) -> Result<Self, PrimitivesError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| PrimitivesError::Spec { reason: format!("{}: {e}", path.display()) })?;
        let is_toml = path.extension().is_some_and(|e| e == "toml");
        let spec: Self = if is_toml {
            toml::from_str(&text).map_err(|e| PrimitivesError::Spec { reason: e.to_string() })?
        } else {
            serde_json::from_str(&text)
                .map_err(|e| PrimitivesError::Spec { reason: e.to_string() })?
        };
        spec.validate()?;
        Ok(spec)
    }

    /// The spec as pretty JSON or TOML, for `cairn init`.
    pub fn render(&self, toml_format: bool) -> Result<String, PrimitivesError> {
        if toml_format {
            toml::to_string_pretty(self)
                .map_err(|e| PrimitivesError::Spec { reason: e.to_string() })
        } else {
            serde_json::to_string_pretty(self)
                .map_err(|e| PrimitivesError::Spec { reason: e.to_string() })
        }
    }

    /// Rejects specs no chain could run on.
    pub fn validate(&self) -> Result<(), PrimitivesError> {
        let fail = |reason: &str| Err(PrimitivesError::Spec { reason: reason.to_string() });
        if self.chain_id == 0 {
            return fail("chain_id must not be 0");
        }
        if !(21_000..=MAX_GAS_LIMIT).contains(&self.gas_limit) {
            return fail("gas_limit must be between 21000 and 1000000000");
        }
        if self.block_time_ms == 0 {
            return fail("block_time_ms must be positive");
        }
        if self.timestamp > MAX_GENESIS_TIMESTAMP {
            return fail("timestamp must be at most 18446744073709551 (seconds)");
        }
        if self.extra_data.len() > 32 {
            return fail("extra_data must be at most 32 bytes");
        }
        if self.consensus == ConsensusKind::Bft && self.validators.is_empty() {
            return fail("a bft chain needs at least one validator");
        }
        let mut seen = std::collections::BTreeSet::new();
        for validator in &self.validators {
            if validator.power == 0 {
                return fail("every validator needs a positive power");
            }
            if validator.public_key.len() != 33 {
                return fail("validator public keys are 33-byte compressed secp256k1 keys");
            }
            if !seen.insert(validator.address) {
                return fail("validator addresses must be distinct");
            }
        }
        let total = self.validators.iter().try_fold(0u64, |sum, v| sum.checked_add(v.power));
        if total.is_none() {
            return fail("total validator power overflows");
        }
        if self.consensus == ConsensusKind::Pos {
            self.validate_pos()?;
        } else {
            self.refuse_pos_fields()?;
        }
        self.validate_pow()?;
        self.validate_governance()
    }

    /// The parameters of a proof-of-work chain: the spec's `[pow]`, or the defaults where it
    /// has none.
    pub fn pow_params(&self) -> PowParams {
        self.pow.clone().unwrap_or_default()
    }

    /// A proof-of-work chain has miners, not validators, and nobody to govern it; `[pow]`
    /// means nothing elsewhere and is refused rather than silently ignored.
    fn validate_pow(&self) -> Result<(), PrimitivesError> {
        let fail = |reason: &str| Err(PrimitivesError::Spec { reason: reason.to_string() });
        if self.consensus != ConsensusKind::Pow {
            if self.pow.is_some() {
                return fail("[pow] applies to pow chains only");
            }
            return Ok(());
        }
        if !self.validators.is_empty() {
            return fail("a pow chain has miners, not validators: leave validators empty");
        }
        if self.governance.is_some() {
            return fail("[governance] and proof of work do not mix on one chain");
        }
        if self.block_time_ms < MIN_POW_BLOCK_TIME_MS {
            return fail("a pow chain's block_time_ms must be at least 10");
        }
        self.pow_params().validate()
    }

    /// The staking parameters of a proof-of-stake chain: the spec's `[staking]`, or the
    /// defaults where it has none.
    pub fn staking_params(&self) -> StakingParams {
        self.staking.clone().unwrap_or_default()
    }

    /// A proof-of-stake spec's own rules: epochs, bounded parameters, genesis validators that
    /// each carry a stake worth their power, and the staking contract's account holding
    /// exactly their stakes.
    fn validate_pos(&self) -> Result<(), PrimitivesError> {
        let fail = |reason: &str| Err(PrimitivesError::Spec { reason: reason.to_string() });
        if self.epoch_length.is_none_or(|length| length == 0) {
            return fail("a pos chain needs epoch_length of at least 1 block");
        }
        let params = self.staking_params();
        params.validate()?;
        if self.validators.is_empty() || self.validators.len() > params.max_validators as usize {
            return fail("a pos chain needs between 1 and staking.max_validators validators");
        }
        let mut operators = std::collections::BTreeSet::new();
        let mut stakes = U256::ZERO;
        for validator in &self.validators {
            let (Some(stake), Some(operator), Some(commission)) =
                (validator.stake, validator.operator, validator.commission_bps)
            else {
                return fail("every pos validator needs stake, operator and commission_bps");
            };
            if commission > 10_000 {
                return fail("commission_bps must be at most 10000");
            }
            if stake < params.min_self_stake {
                return fail("every pos validator's stake must be at least staking.min_self_stake");
            }
            if validator.power != params.power_of(stake) {
                return fail("a pos validator's power must be its stake / staking.power_reduction");
            }
            if !operators.insert(operator) {
                return fail("pos validator operators must be distinct");
            }
            stakes += stake;
        }
        let Some(contract) = self.alloc.get(&STAKING_ADDRESS) else {
            return fail("a pos chain's alloc needs the staking contract at 0x…1000");
        };
        if contract.code.is_empty() || contract.balance != stakes {
            return fail("the staking contract's alloc needs its code and a balance of all stakes");
        }
        let supply = self.alloc.values().try_fold(U256::ZERO, |sum, a| sum.checked_add(a.balance));
        if supply.is_none_or(|supply| supply > U256::from(1u8) << 96) {
            return fail("a pos chain's alloc balances must total at most 2^96 wei");
        }
        Ok(())
    }

    /// Staking fields mean nothing outside proof of stake; a spec carrying them is refused
    /// rather than silently ignored.
    fn refuse_pos_fields(&self) -> Result<(), PrimitivesError> {
        let fail = |reason: &str| Err(PrimitivesError::Spec { reason: reason.to_string() });
        if self.staking.is_some() {
            return fail("[staking] applies to pos chains only");
        }
        if self.epoch_length.is_some() && self.governance.is_none() {
            return fail("epoch_length applies to pos chains and chains with [governance] only");
        }
        if self
            .validators
            .iter()
            .any(|v| v.stake.is_some() || v.operator.is_some() || v.commission_bps.is_some())
        {
            return fail("validator stake, operator and commission_bps apply to pos chains only");
        }
        Ok(())
    }

    /// A governed chain's own rules: a private (one organisation) or consortium network, not
    /// proof of stake (the two do not mix), epochs for proposals to take effect at, parameters
    /// within the governance contract's bounds, and the contract's account in `alloc`.
    fn validate_governance(&self) -> Result<(), PrimitivesError> {
        let fail = |reason: &str| Err(PrimitivesError::Spec { reason: reason.to_string() });
        let Some(governance) = &self.governance else { return Ok(()) };
        match self.network {
            NetworkKind::Public => {
                return fail("[governance] applies to private and consortium networks only");
            }
            NetworkKind::Private if governance.organisations.len() != 1 => {
                return fail("a private network is governed by exactly one organisation");
            }
            _ => {}
        }
        if self.consensus == ConsensusKind::Pos {
            return fail("[governance] and proof of stake do not mix on one chain");
        }
        if self.epoch_length.is_none_or(|length| !(1..=MAX_GOVERNED_BLOCKS).contains(&length)) {
            return fail("a governed chain needs epoch_length between 1 and 1000000 blocks");
        }
        if self.block_time_ms > MAX_GOVERNED_BLOCK_TIME_MS {
            return fail("a governed chain's block_time_ms must be at most 86400000");
        }
        let validators: Vec<Address> = self.validators.iter().map(|v| v.address).collect();
        governance.validate(&validators)?;
        if self.alloc.get(&GOVERNANCE_ADDRESS).is_none_or(|contract| contract.code.is_empty()) {
            return fail("a governed chain's alloc needs the governance contract at 0x…1001");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_spec_round_trips_through_json_and_toml() {
        let spec = ChainSpec::dev().expect("dev spec");
        let dir = std::env::temp_dir().join(format!("cairn-spec-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        for (name, toml_format) in [("spec.json", false), ("spec.toml", true)] {
            let path = dir.join(name);
            std::fs::write(&path, spec.render(toml_format).expect("render")).expect("write");
            assert_eq!(ChainSpec::from_file(&path).expect("parse"), spec);
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn gas_limit_stays_within_bounds() {
        let with = |gas_limit| ChainSpec { gas_limit, ..ChainSpec::dev().expect("dev spec") };
        assert!(with(20_999).validate().is_err());
        assert!(with(21_000).validate().is_ok());
        assert!(with(MAX_GAS_LIMIT).validate().is_ok());
        assert!(with(MAX_GAS_LIMIT + 1).validate().is_err());
    }

    #[test]
    fn a_spec_without_a_clock_drift_allows_15_seconds() {
        let mut json = serde_json::to_value(ChainSpec::dev().expect("dev spec")).expect("json");
        json.as_object_mut().expect("object").remove("max_clock_drift_ms");
        let spec: ChainSpec = serde_json::from_value(json).expect("parse");
        assert_eq!(spec.max_clock_drift_ms, 15_000);
        let late = ChainSpec { timestamp: MAX_GENESIS_TIMESTAMP + 1, ..spec.clone() };
        assert!(late.validate().is_err());
        assert!(ChainSpec { timestamp: MAX_GENESIS_TIMESTAMP, ..spec }.validate().is_ok());
    }

    /// A valid one-validator proof-of-stake spec (the staking contract's code is a stand-in:
    /// spec validation checks that code is there, not what it is).
    fn pos_spec() -> ChainSpec {
        let ether = U256::from(10u64.pow(18));
        let stake = ether * U256::from(150);
        let mut spec = ChainSpec {
            consensus: ConsensusKind::Pos,
            epoch_length: Some(20),
            validators: vec![GenesisValidator {
                name: "v0".into(),
                address: Address::repeat_byte(0xaa),
                public_key: Bytes::from([2u8; 33]),
                power: 150,
                stake: Some(stake),
                operator: Some(Address::repeat_byte(0xbb)),
                commission_bps: Some(500),
            }],
            ..ChainSpec::dev().expect("dev spec")
        };
        let contract = GenesisAccount {
            balance: stake,
            code: Bytes::from_static(&[0x60, 0x00]),
            ..Default::default()
        };
        spec.alloc.insert(STAKING_ADDRESS, contract);
        spec
    }

    #[test]
    fn a_pos_spec_round_trips_and_validates() {
        let spec = pos_spec();
        spec.validate().expect("valid");
        let text = spec.render(true).expect("toml");
        assert_eq!(toml::from_str::<ChainSpec>(&text).expect("parse"), spec);
        let with_params = ChainSpec {
            staking: Some(StakingParams { max_validators: 4, ..StakingParams::default() }),
            ..spec
        };
        let text = with_params.render(false).expect("json");
        assert!(text.contains("\"slash_double_sign\": \"0.05\""), "{text}");
        assert_eq!(serde_json::from_str::<ChainSpec>(&text).expect("parse"), with_params);
    }

    #[test]
    fn a_pos_spec_is_refused_when_its_parts_disagree() {
        let refused = |edit: fn(&mut ChainSpec)| {
            let mut spec = pos_spec();
            edit(&mut spec);
            spec.validate().expect_err("refused").to_string()
        };
        assert!(refused(|s| s.epoch_length = None).contains("epoch_length"));
        assert!(refused(|s| s.epoch_length = Some(0)).contains("epoch_length"));
        assert!(refused(|s| s.validators[0].power = 149).contains("power"));
        assert!(refused(|s| s.validators[0].operator = None).contains("operator"));
        assert!(refused(|s| s.validators[0].commission_bps = Some(10_001)).contains("commission"));
        assert!(
            refused(|s| s.validators[0].stake = Some(U256::from(10u64.pow(18)) * U256::from(99)))
                .contains("min_self_stake")
        );
        assert!(refused(|s| s.alloc.clear()).contains("staking contract"));
        assert!(
            refused(|s| s.alloc.get_mut(&STAKING_ADDRESS).expect("there").balance = U256::ZERO)
                .contains("balance of all stakes")
        );
        assert!(
            refused(|s| s.staking = Some(StakingParams { max_validators: 0, ..Default::default() }))
                .contains("max_validators")
        );
        assert!(
            refused(|s| {
                let mut twin = s.validators[0].clone();
                twin.address = Address::repeat_byte(0xcc);
                s.validators.push(twin);
            })
            .contains("distinct")
        );
    }

    #[test]
    fn staking_fields_are_refused_outside_pos() {
        let mut bft = pos_spec();
        bft.consensus = ConsensusKind::Bft;
        assert!(bft.validate().is_err(), "epoch_length on a bft chain");
        bft.epoch_length = None;
        assert!(bft.validate().is_err(), "validator stake on a bft chain");
        for v in &mut bft.validators {
            (v.stake, v.operator, v.commission_bps) = (None, None, None);
        }
        bft.validate().expect("a plain bft spec");
        bft.staking = Some(StakingParams::default());
        assert!(bft.validate().is_err(), "[staking] on a bft chain");
    }

    /// A valid two-organisation consortium on BFT (the governance contract's code is a
    /// stand-in: spec validation checks that code is there, not what it is).
    fn consortium_spec() -> ChainSpec {
        let validator = |n: u8| GenesisValidator {
            name: format!("v{n}"),
            address: Address::repeat_byte(0x80 + n),
            public_key: Bytes::from([2u8; 33]),
            power: 1,
            stake: None,
            operator: None,
            commission_bps: None,
        };
        let org = |n: u8| crate::OrganisationSpec {
            name: format!("org{n}"),
            admins: vec![Address::repeat_byte(n)],
            members: Vec::new(),
            deployers: Vec::new(),
            nodes: Vec::new(),
            validators: vec![Address::repeat_byte(0x80 + n)],
        };
        let mut spec = ChainSpec {
            network: NetworkKind::Consortium,
            consensus: ConsensusKind::Bft,
            epoch_length: Some(10),
            validators: vec![validator(1), validator(2)],
            governance: Some(GovernanceSpec {
                voting_period_blocks: 20,
                permission_accounts: true,
                permission_nodes: true,
                permission_deployers: false,
                organisations: vec![org(1), org(2)],
            }),
            ..ChainSpec::dev().expect("dev spec")
        };
        let contract =
            GenesisAccount { code: Bytes::from_static(&[0x60, 0x00]), ..Default::default() };
        spec.alloc.insert(GOVERNANCE_ADDRESS, contract);
        spec
    }

    #[test]
    fn a_consortium_spec_round_trips_and_validates() {
        let spec = consortium_spec();
        spec.validate().expect("valid");
        let text = spec.render(true).expect("toml");
        assert!(text.contains("[[governance.organisations]]"), "{text}");
        assert_eq!(toml::from_str::<ChainSpec>(&text).expect("parse"), spec);
    }

    #[test]
    fn a_governance_section_is_refused_where_it_cannot_apply() {
        let refused = |edit: fn(&mut ChainSpec)| {
            let mut spec = consortium_spec();
            edit(&mut spec);
            spec.validate().expect_err("refused").to_string()
        };
        assert!(refused(|s| s.network = NetworkKind::Public).contains("private and consortium"));
        assert!(refused(|s| s.network = NetworkKind::Private).contains("exactly one"));
        assert!(!refused(|s| s.consensus = ConsensusKind::Pos).is_empty());
        assert!(refused(|s| s.epoch_length = None).contains("epoch_length"));
        assert!(refused(|s| s.epoch_length = Some(1_000_001)).contains("epoch_length"));
        assert!(refused(|s| s.block_time_ms = 86_400_001).contains("block_time_ms"));
        assert!(refused(|s| s.alloc.clear()).contains("governance contract"));
        assert!(refused(|s| s.validators.truncate(1)).contains("not in the spec"));
        // Epochs without governance mean nothing outside proof of stake.
        assert!(refused(|s| s.governance = None).contains("epoch_length"));
    }

    #[test]
    fn governance_does_not_mix_with_proof_of_stake() {
        let mut spec = pos_spec();
        spec.network = NetworkKind::Consortium;
        spec.governance = consortium_spec().governance;
        spec.governance.as_mut().expect("there").organisations.truncate(1);
        spec.governance.as_mut().expect("there").organisations[0].validators =
            vec![spec.validators[0].address];
        spec.alloc.insert(GOVERNANCE_ADDRESS, consortium_spec().alloc[&GOVERNANCE_ADDRESS].clone());
        let refused = spec.validate().expect_err("refused").to_string();
        assert!(refused.contains("do not mix"), "{refused}");
    }

    #[test]
    fn a_private_dev_chain_may_be_governed_by_one_organisation() {
        let mut spec = consortium_spec();
        spec.network = NetworkKind::Private;
        spec.consensus = ConsensusKind::Dev;
        spec.validators.clear();
        let governance = spec.governance.as_mut().expect("there");
        governance.organisations.truncate(1);
        governance.organisations[0].validators.clear();
        spec.validate().expect("valid");
    }

    #[test]
    fn rejects_chain_id_zero() {
        let spec = ChainSpec { chain_id: 0, ..ChainSpec::dev().expect("dev spec") };
        assert!(spec.validate().is_err());
    }

    #[test]
    fn a_pow_spec_reads_its_table_from_toml_and_refuses_what_pow_cannot_use() {
        let text = r#"
            chain_id = 7
            consensus = "pow"
            gas_limit = 30000000
            block_time_ms = 2000
            base_fee = 1000000000
            [pow]
            min_difficulty = 1000
            block_reward = "5000000000000000000"
            confirmations = 20
        "#;
        let spec: ChainSpec = toml::from_str(text).expect("parses");
        spec.validate().expect("valid");
        let params = spec.pow_params();
        assert_eq!(params.block_reward, U256::from(5u64) * U256::from(10u64.pow(18)));
        assert_eq!((params.min_difficulty, params.confirmations), (1000, 20));
        assert_eq!(params.safe_confirmations, 6, "defaults fill what the table leaves out");
        let refused = |change: fn(&mut ChainSpec)| {
            let mut bad = spec.clone();
            change(&mut bad);
            bad.validate().expect_err("refused").to_string()
        };
        assert!(refused(|s| s.consensus = ConsensusKind::Dev).contains("pow chains only"));
        let validator = GenesisValidator {
            stake: None,
            operator: None,
            commission_bps: None,
            ..pos_spec().validators[0].clone()
        };
        let mut with_validator = spec.clone();
        with_validator.validators = vec![validator];
        let miners = with_validator.validate().expect_err("refused").to_string();
        assert!(miners.contains("miners"), "{miners}");
        let floor = refused(|s| s.pow.as_mut().expect("pow").min_difficulty = 0);
        assert!(floor.contains("min_difficulty"), "{floor}");
        let deep = refused(|s| s.pow.as_mut().expect("pow").confirmations = 1025);
        assert!(deep.contains("confirmations"), "{deep}");
        let safe = refused(|s| s.pow.as_mut().expect("pow").safe_confirmations = 21);
        assert!(safe.contains("safe_confirmations"), "{safe}");
        assert!(refused(|s| s.block_time_ms = 9).contains("at least 10"));
    }
}
