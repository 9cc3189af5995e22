//! The governance parameters of a private or consortium chain spec (`[governance]`): the
//! founding organisations and the permissioning switches, and the fixed address of the
//! governance system contract they configure. The limits here are the contract's own, so a
//! spec that validates always deploys.

use std::collections::BTreeSet;

use alloy_primitives::{Address, Bytes, address};
use serde::{Deserialize, Serialize};

use crate::PrimitivesError;

/// Where the governance system contract lives on every governed chain, from genesis on.
pub const GOVERNANCE_ADDRESS: Address = address!("0x0000000000000000000000000000000000001001");

/// Most organisations a chain may have (each has one vote; the contract's views list them all).
pub const MAX_ORGANISATIONS: usize = 32;
/// Most admin accounts of one organisation.
pub const MAX_ADMINS: usize = 8;
/// Most member accounts of one organisation (admins not counted).
pub const MAX_MEMBERS: usize = 1_000;
/// Most nodes of one organisation.
pub const MAX_NODES: usize = 32;
/// Most validators of a governed chain.
pub const MAX_GOVERNED_VALIDATORS: usize = 100;
/// Longest organisation name, in bytes.
pub const MAX_NAME_BYTES: usize = 64;
/// Longest voting period and epoch a governed chain may set, in blocks.
pub const MAX_GOVERNED_BLOCKS: u64 = 1_000_000;
/// Longest block time a governed chain may set: one day, in milliseconds.
pub const MAX_GOVERNED_BLOCK_TIME_MS: u64 = 86_400_000;

/// How a private or consortium chain is governed from genesis: who the founding
/// organisations are and which permission rules the node enforces. Every switch and the voting
/// period can later be changed by proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GovernanceSpec {
    /// Blocks a proposal collects votes for after the block that proposed it.
    #[serde(default = "default_voting_period_blocks")]
    pub voting_period_blocks: u64,
    /// Only admins and members of an organisation may send transactions.
    #[serde(default = "default_true")]
    pub permission_accounts: bool,
    /// Only nodes allowed in chain state may connect.
    #[serde(default = "default_true")]
    pub permission_nodes: bool,
    /// Only admins and members marked deployer may create contracts.
    #[serde(default)]
    pub permission_deployers: bool,
    /// The founding organisations, in the order the contract numbers them (from 1).
    pub organisations: Vec<OrganisationSpec>,
}

/// A founding organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationSpec {
    /// Unique name, 1 to 64 bytes.
    pub name: String,
    /// Accounts that vote, propose and manage the organisation's members (1 to 8).
    pub admins: Vec<Address>,
    /// Member accounts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Address>,
    /// Members that may create contracts when `permission_deployers` is on (admins always may).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployers: Vec<Address>,
    /// The organisation's nodes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeSpec>,
    /// Consensus addresses of the spec's `validators` this organisation runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub validators: Vec<Address>,
}

/// A node an organisation runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSpec {
    /// Its libp2p peer id as the bytes of the multihash (what `PeerId::to_bytes` gives).
    pub peer_id: Bytes,
    /// The consensus address it validates with, if it is a validator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consensus_address: Option<Address>,
}

fn default_voting_period_blocks() -> u64 {
    100
}

fn default_true() -> bool {
    true
}

/// Whether `bytes` has the shape of a libp2p peer id: an identity multihash of a key of at
/// most 42 bytes, or a sha2-256 multihash (the governance contract's rule).
pub fn is_peer_id(bytes: &[u8]) -> bool {
    match bytes {
        [0x00, len, rest @ ..] => {
            !rest.is_empty() && rest.len() <= 42 && *len as usize == rest.len()
        }
        [0x12, 0x20, rest @ ..] => rest.len() == 32,
        _ => false,
    }
}

impl GovernanceSpec {
    /// Refuses a governance section the contract's constructor would refuse, or that names
    /// one account, node or validator twice. `validators` are the spec's validator addresses:
    /// each must belong to exactly one organisation.
    pub fn validate(&self, validators: &[Address]) -> Result<(), PrimitivesError> {
        let fail = |reason: String| Err(PrimitivesError::Spec { reason });
        if !(1..=MAX_GOVERNED_BLOCKS).contains(&self.voting_period_blocks) {
            return fail(format!(
                "governance.voting_period_blocks must be between 1 and {MAX_GOVERNED_BLOCKS}"
            ));
        }
        if self.organisations.is_empty() || self.organisations.len() > MAX_ORGANISATIONS {
            return fail(format!(
                "governance needs between 1 and {MAX_ORGANISATIONS} organisations"
            ));
        }
        let mut names = BTreeSet::new();
        let mut accounts = BTreeSet::new();
        let mut peers = BTreeSet::new();
        let mut owned = BTreeSet::new();
        for org in &self.organisations {
            let name = &org.name;
            if org.name.is_empty() || org.name.len() > MAX_NAME_BYTES {
                return fail(format!("organisation names must be 1 to {MAX_NAME_BYTES} bytes"));
            }
            if !names.insert(name.as_str()) {
                return fail(format!("organisation name {name:?} is used twice"));
            }
            if org.admins.is_empty() || org.admins.len() > MAX_ADMINS {
                return fail(format!("organisation {name:?} needs 1 to {MAX_ADMINS} admins"));
            }
            if org.members.len() > MAX_MEMBERS {
                return fail(format!("organisation {name:?} has more than {MAX_MEMBERS} members"));
            }
            if org.nodes.len() > MAX_NODES {
                return fail(format!("organisation {name:?} has more than {MAX_NODES} nodes"));
            }
            for account in org.admins.iter().chain(&org.members) {
                if account.is_zero() {
                    return fail(format!("organisation {name:?} lists the zero address"));
                }
                if !accounts.insert(*account) {
                    return fail(format!(
                        "account {account} is listed twice: an account belongs to one \
                         organisation, as an admin or a member"
                    ));
                }
            }
            if let Some(d) = org.deployers.iter().find(|d| !org.members.contains(d)) {
                return fail(format!(
                    "deployer {d} of organisation {name:?} is not one of its members \
                     (admins may always deploy)"
                ));
            }
            for node in &org.nodes {
                if !is_peer_id(&node.peer_id) {
                    return fail(format!("{} is not a libp2p peer id (multihash)", node.peer_id));
                }
                if !peers.insert(node.peer_id.clone()) {
                    return fail(format!("node {} is listed twice", node.peer_id));
                }
            }
            for validator in &org.validators {
                if !validators.contains(validator) {
                    return fail(format!(
                        "validator {validator} of organisation {name:?} is not in the spec's \
                         validators"
                    ));
                }
                if !owned.insert(*validator) {
                    return fail(format!("validator {validator} belongs to two organisations"));
                }
            }
        }
        if let Some(orphan) = validators.iter().find(|v| !owned.contains(*v)) {
            return fail(format!("validator {orphan} belongs to no organisation"));
        }
        if validators.len() > MAX_GOVERNED_VALIDATORS {
            return fail(format!(
                "a governed chain has at most {MAX_GOVERNED_VALIDATORS} validators"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(n: u8) -> Bytes {
        let mut id = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
        id.extend([n; 32]);
        Bytes::from(id)
    }

    fn spec() -> GovernanceSpec {
        let org = |n: u8| OrganisationSpec {
            name: format!("org{n}"),
            admins: vec![Address::repeat_byte(n)],
            members: vec![Address::repeat_byte(n + 0x40)],
            deployers: vec![Address::repeat_byte(n + 0x40)],
            nodes: vec![NodeSpec {
                peer_id: peer(n),
                consensus_address: Some(Address::repeat_byte(n + 0x80)),
            }],
            validators: vec![Address::repeat_byte(n + 0x80)],
        };
        GovernanceSpec {
            voting_period_blocks: 10,
            permission_accounts: true,
            permission_nodes: true,
            permission_deployers: false,
            organisations: vec![org(1), org(2), org(3)],
        }
    }

    fn validators() -> Vec<Address> {
        (1..=3).map(|n| Address::repeat_byte(n + 0x80)).collect()
    }

    #[test]
    fn peer_ids_are_multihashes() {
        assert!(is_peer_id(&peer(1)));
        let mut sha = vec![0x12, 0x20];
        sha.extend([7; 32]);
        assert!(is_peer_id(&sha));
        for bad in
            [&[][..], &[0x00], &[0x00, 0x00], &[0x00, 0x02, 1], &[0x12, 0x20, 1], &[0x01, 1, 1]]
        {
            assert!(!is_peer_id(bad), "{bad:?}");
        }
        let mut long = vec![0x00, 43];
        long.extend([1; 43]);
        assert!(!is_peer_id(&long));
    }

    #[test]
    fn a_governance_section_round_trips_with_defaults() {
        let text = r#"
            [[organisations]]
            name = "acme"
            admins = ["0x1111111111111111111111111111111111111111"]
        "#;
        let parsed: GovernanceSpec = toml::from_str(text).expect("toml");
        assert_eq!(parsed.voting_period_blocks, 100);
        assert!(parsed.permission_accounts && parsed.permission_nodes);
        assert!(!parsed.permission_deployers);
        parsed.validate(&[]).expect("valid");
        let full = spec();
        let text = toml::to_string(&full).expect("render");
        assert_eq!(toml::from_str::<GovernanceSpec>(&text).expect("parse"), full);
        assert!(toml::from_str::<GovernanceSpec>("organisation = []").is_err(), "a typo");
    }

    #[test]
    fn validation_refuses_what_the_contract_would() {
        spec().validate(&validators()).expect("valid");
        let refused = |edit: fn(&mut GovernanceSpec)| {
            let mut s = spec();
            edit(&mut s);
            s.validate(&validators()).expect_err("refused").to_string()
        };
        assert!(refused(|s| s.voting_period_blocks = 0).contains("voting_period_blocks"));
        assert!(refused(|s| s.organisations.clear()).contains("organisations"));
        assert!(refused(|s| s.organisations[1].name = "org1".into()).contains("twice"));
        assert!(refused(|s| s.organisations[0].name = String::new()).contains("names"));
        assert!(refused(|s| s.organisations[0].admins.clear()).contains("admins"));
        assert!(
            refused(|s| s.organisations[0].admins = vec![Address::repeat_byte(9); 9])
                .contains("admins")
        );
        assert!(
            refused(|s| s.organisations[1].members.push(Address::repeat_byte(1)))
                .contains("listed twice")
        );
        assert!(
            refused(|s| s.organisations[0].admins.push(Address::ZERO)).contains("zero address")
        );
        assert!(
            refused(|s| s.organisations[0].deployers = vec![Address::repeat_byte(1)])
                .contains("deployer")
        );
        assert!(
            refused(|s| s.organisations[0].nodes[0].peer_id = Bytes::from_static(&[1, 2]))
                .contains("peer id")
        );
        assert!(
            refused(|s| s.organisations[1].nodes[0].peer_id = peer(1)).contains("listed twice")
        );
        assert!(
            refused(|s| s.organisations[1].validators.push(Address::repeat_byte(0x81)))
                .contains("two organisations")
        );
        assert!(
            refused(|s| s.organisations[0].validators.push(Address::repeat_byte(0xee)))
                .contains("not in the spec")
        );
        assert!(refused(|s| s.organisations[2].validators.clear()).contains("no organisation"));
    }
}
