//! The `[governance]` of the private and consortium networks that `cairn dev` and `cairn
//! testnet init` write: who founds them (organisations, admins, members, nodes, validators),
//! and one writer that turns a spec and its founders into a governed spec whose governance
//! contract's genesis account is built from that same spec, so the two cannot disagree.

use std::time::Duration;

use alloy_primitives::{Address, Bytes};
use anyhow::Context;
use cairn_primitives::{
    ChainSpec, GOVERNANCE_ADDRESS, GovernanceSpec, NetworkKind, NodeSpec, OrganisationSpec,
};
use clap::ValueEnum;

/// Dev accounts 0 to 6 may transact on a governed dev network (as admins or members); 7 to 9
/// are not members, so a newcomer sees a refusal at once.
pub(crate) const DEV_TRANSACTORS: usize = 7;

/// Blocks per epoch of a governed dev network: a passed proposal takes effect within seconds.
pub(crate) const DEV_EPOCH_LENGTH: u64 = 10;

/// Blocks a proposal of a governed dev network collects votes for.
pub(crate) const DEV_VOTING_PERIOD_BLOCKS: u64 = 20;

/// Blocks a proposal of a `testnet init` network collects votes for.
pub(crate) const TESTNET_VOTING_PERIOD_BLOCKS: u64 = 100;

/// The organisations a consortium has when `--orgs` is not given.
pub(crate) const DEFAULT_ORGS: usize = 3;

/// Who may join a network that `cairn testnet init` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Network {
    /// Anyone may run a node and transact; nothing is governed.
    Public,
    /// One organisation governs the chain; only its accounts transact.
    Private,
    /// Several organisations govern the chain together; only their accounts transact.
    Consortium,
}

/// Who may join a governed network that `cairn dev` starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DevNetwork {
    /// One organisation `dev` governs the chain.
    Private,
    /// Several organisations govern the chain together (needs --validators).
    Consortium,
}

impl From<DevNetwork> for Network {
    fn from(network: DevNetwork) -> Self {
        match network {
            DevNetwork::Private => Network::Private,
            DevNetwork::Consortium => Network::Consortium,
        }
    }
}

/// The refusal of governance with proof of stake, saying what to change.
pub(crate) const POS_REFUSAL: &str = "governance and proof of stake do not mix on one chain: \
     a private or consortium network runs BFT (drop --consensus pos), a proof-of-stake one is \
     public (drop --network)";

/// The refusal of `--orgs` on a network that is not a consortium.
pub(crate) const ORGS_REFUSAL: &str = "--orgs applies to consortium networks only: add \
     --network consortium (a private network has exactly one organisation)";

/// How many organisations a network has: one for a private network, `--orgs` (default 3,
/// between 1 and `max`) for a consortium, none for a public one. Refuses `--orgs` elsewhere.
pub(crate) fn organisation_count(
    network: Network,
    orgs: Option<usize>,
    max: usize,
) -> anyhow::Result<usize> {
    match (network, orgs) {
        (Network::Consortium, orgs) => {
            let count = orgs.unwrap_or(DEFAULT_ORGS);
            if !(1..=max).contains(&count) {
                anyhow::bail!("--orgs must be between 1 and {max}");
            }
            Ok(count)
        }
        (_, Some(_)) => anyhow::bail!(ORGS_REFUSAL),
        (Network::Private, None) => Ok(1),
        (Network::Public, None) => Ok(0),
    }
}

/// The founding organisations being assembled: organisation `i` (from 0; the contract numbers
/// it `i + 1`) gets the accounts, nodes and validators whose index is `i` modulo their count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Founders {
    organisations: Vec<OrganisationSpec>,
}

impl Founders {
    /// One organisation per `(name, admin)`, with nothing else yet.
    pub(crate) fn new(admins: impl IntoIterator<Item = (String, Address)>) -> Self {
        let organisations = admins
            .into_iter()
            .map(|(name, admin)| OrganisationSpec {
                name,
                admins: vec![admin],
                members: Vec::new(),
                deployers: Vec::new(),
                nodes: Vec::new(),
                validators: Vec::new(),
            })
            .collect();
        Self { organisations }
    }

    /// The organisations of a BFT network `org1`…`orgK`, administered by `admins` in order.
    pub(crate) fn numbered(admins: impl IntoIterator<Item = Address>) -> Self {
        Self::new(admins.into_iter().enumerate().map(|(i, admin)| (format!("org{}", i + 1), admin)))
    }

    /// Makes `account` a member of organisation `index mod K`.
    pub(crate) fn member(&mut self, index: usize, account: Address) {
        let count = self.organisations.len();
        self.organisations[index % count].members.push(account);
    }

    /// Allows node `index` (its libp2p peer id) in organisation `index mod K`; a validator
    /// node's consensus address is listed as that organisation's validator too.
    pub(crate) fn node(&mut self, index: usize, peer_id: Bytes, validator: Option<Address>) {
        let count = self.organisations.len();
        let org = &mut self.organisations[index % count];
        org.nodes.push(NodeSpec { peer_id, consensus_address: validator });
        org.validators.extend(validator);
    }
}

/// `spec` governed by `founders` on a `network` (private or consortium): the `[governance]`
/// section (account and node permissioning on, deployers not), the epoch length proposals take
/// effect at, and the governance contract's genesis account built from the finished spec; the
/// result is validated. `spec` must hold its validators already.
pub(crate) fn governed_spec(
    spec: ChainSpec,
    network: Network,
    founders: Founders,
    epoch_length: u64,
    voting_period_blocks: u64,
) -> anyhow::Result<ChainSpec> {
    let network = match network {
        Network::Public => anyhow::bail!("a public network is not governed"),
        Network::Private => NetworkKind::Private,
        Network::Consortium => NetworkKind::Consortium,
    };
    let mut spec = ChainSpec {
        network,
        epoch_length: Some(epoch_length),
        governance: Some(GovernanceSpec {
            voting_period_blocks,
            permission_accounts: true,
            permission_nodes: true,
            permission_deployers: false,
            organisations: founders.organisations,
        }),
        ..spec
    };
    // The section is checked first, so a bad one is reported in the spec's words rather than
    // as the contract constructor's revert.
    spec.governance
        .as_ref()
        .context("a governance section")?
        .validate(&spec.validators.iter().map(|v| v.address).collect::<Vec<_>>())?;
    let contract = cairn_governance::governance_account(&spec)
        .context("building the governance contract's genesis state")?;
    spec.alloc.insert(GOVERNANCE_ADDRESS, contract);
    spec.validate()?;
    Ok(spec)
}

/// The spec of `cairn dev --network private`: the dev chain governed by one organisation
/// `dev`, administered by dev account 0, with dev accounts 1 to 6 as members. Its block time
/// is the contract's (governable), so `--block-time` goes into the genesis.
pub(crate) fn dev_private_spec(
    epoch_length: u64,
    block_time: Duration,
) -> anyhow::Result<ChainSpec> {
    let accounts = cairn_primitives::dev_accounts(DEV_TRANSACTORS as u32)?;
    let mut founders = Founders::new([("dev".to_string(), accounts[0].address)]);
    for account in &accounts[1..] {
        founders.member(0, account.address);
    }
    let block_time_ms = block_time.as_millis().try_into().context("block time too long")?;
    governed_spec(
        ChainSpec { block_time_ms, ..ChainSpec::dev()? },
        Network::Private,
        founders,
        epoch_length,
        DEV_VOTING_PERIOD_BLOCKS,
    )
}

/// What `account` is on a governed chain as its genesis lists it (`admin of org1`, `member of
/// org2`, `not a member`); `None` on a chain nobody governs.
pub(crate) fn role(spec: &ChainSpec, account: Address) -> Option<String> {
    let governance = spec.governance.as_ref()?;
    let found = governance.organisations.iter().find_map(|org| {
        if org.admins.contains(&account) {
            Some(format!("admin of {}", org.name))
        } else if org.members.contains(&account) {
            Some(format!("member of {}", org.name))
        } else {
            None
        }
    });
    Some(found.unwrap_or_else(|| "not a member".to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use cairn_consensus::{ConsensusRoles, DevConsensus};
    use cairn_storage::MemoryKv;

    use super::*;

    #[test]
    fn the_private_dev_spec_has_the_documented_roles_and_opens_governed() {
        let spec = dev_private_spec(DEV_EPOCH_LENGTH, Duration::from_millis(250)).unwrap();
        assert_eq!(spec.block_time_ms, 250);
        assert_eq!(spec.network, NetworkKind::Private);
        assert_eq!(spec.epoch_length, Some(10));
        let governance = spec.governance.as_ref().unwrap();
        assert_eq!(governance.voting_period_blocks, 20);
        assert!(governance.permission_accounts && governance.permission_nodes);
        assert!(!governance.permission_deployers);
        let roles: Vec<String> = cairn_primitives::dev_accounts(10)
            .unwrap()
            .iter()
            .map(|a| role(&spec, a.address).unwrap())
            .collect();
        assert_eq!(roles[0], "admin of dev");
        for role in &roles[1..7] {
            assert_eq!(role, "member of dev");
        }
        for role in &roles[7..] {
            assert_eq!(role, "not a member");
        }
        // The node's own genesis check (contract state against the spec) accepts it.
        let roles = ConsensusRoles::of(Arc::new(DevConsensus::new(Address::ZERO)));
        let roles = cairn_governance::govern(roles, &spec).unwrap();
        cairn_node::Node::open(MemoryKv::new(), spec, roles).unwrap();
    }

    #[test]
    fn accounts_nodes_and_validators_go_round_robin() {
        let mut founders = Founders::numbered([Address::repeat_byte(1), Address::repeat_byte(2)]);
        for i in 0..3 {
            founders.member(i, Address::repeat_byte(0x10 + i as u8));
        }
        founders.node(0, Bytes::from_static(&[1]), Some(Address::repeat_byte(0x80)));
        founders.node(1, Bytes::from_static(&[2]), None);
        let orgs = &founders.organisations;
        assert_eq!((orgs[0].name.as_str(), orgs[1].name.as_str()), ("org1", "org2"));
        assert_eq!(orgs[0].members, [Address::repeat_byte(0x10), Address::repeat_byte(0x12)]);
        assert_eq!(orgs[1].members, [Address::repeat_byte(0x11)]);
        assert_eq!(orgs[0].validators, [Address::repeat_byte(0x80)]);
        assert!(orgs[1].validators.is_empty());
        assert_eq!(orgs[1].nodes[0].consensus_address, None);
    }

    #[test]
    fn organisation_counts_follow_the_network() {
        assert_eq!(organisation_count(Network::Public, None, 7).unwrap(), 0);
        assert_eq!(organisation_count(Network::Private, None, 7).unwrap(), 1);
        assert_eq!(organisation_count(Network::Consortium, None, 7).unwrap(), 3);
        assert_eq!(organisation_count(Network::Consortium, Some(7), 7).unwrap(), 7);
        for refused in [0, 8] {
            let error = organisation_count(Network::Consortium, Some(refused), 7).unwrap_err();
            assert!(error.to_string().contains("between 1 and 7"), "{error}");
        }
        for network in [Network::Public, Network::Private] {
            let error = organisation_count(network, Some(2), 7).unwrap_err();
            assert!(error.to_string().contains("add --network consortium"), "{error}");
        }
    }

    #[test]
    fn a_public_network_is_not_governed() {
        let founders = Founders::numbered([Address::repeat_byte(1)]);
        let spec = ChainSpec::dev().unwrap();
        assert!(governed_spec(spec, Network::Public, founders, 10, 20).is_err());
    }
}
