//! The keys and genesis of a simulated network, all drawn from its seed.

use std::time::Duration;

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use cairn_bft::{ConsensusSigner, Keypair, ValidatorSchedule};
use cairn_primitives::{
    ChainSpec, ConsensusKind, GOVERNANCE_ADDRESS, GenesisAccount, GenesisValidator, GovernanceSpec,
    NetworkKind, NodeSpec, OrganisationSpec, Ratio, STAKING_ADDRESS, StakingParams,
};
use k256::ecdsa::SigningKey;
use malachitebft_network::PeerId;
use rand::Rng;
use rand::rngs::StdRng;

/// Accounts funded at genesis for the scenarios' transactions.
const ACCOUNTS: usize = 20;
/// On a consortium, the funded accounts from this index on belong to no organisation.
pub const CONSORTIUM_MEMBERS: usize = 16;
/// Blocks a proposal of a simulated consortium collects votes for after the block that
/// proposed it: a scenario sees one expire within a few simulated seconds.
pub const VOTING_PERIOD_BLOCKS: u64 = 8;
/// Each account's starting balance: 1,000 ether.
const BALANCE_WEI: u128 = 1_000 * 10u128.pow(18);

/// A simulated network's chain and keys.
pub(crate) struct Genesis {
    pub(crate) spec: ChainSpec,
    pub(crate) schedule: ValidatorSchedule,
    /// Validator `i`'s consensus key.
    pub(crate) signers: Vec<ConsensusSigner>,
    /// Consensus keys outside the genesis set, for candidate nodes.
    pub(crate) candidates: Vec<ConsensusSigner>,
    /// Funded accounts.
    pub(crate) accounts: Vec<PrivateKeySigner>,
}

/// 32 random bytes that are a valid secp256k1 secret key.
fn secret(rng: &mut StdRng) -> SigningKey {
    loop {
        let mut bytes = [0u8; 32];
        rng.fill(&mut bytes);
        if let Ok(key) = SigningKey::from_slice(&bytes) {
            return key;
        }
    }
}

/// Each proof-of-stake genesis validator's self-stake: 1,000 ether, power 1,000.
const STAKE_WEI: u128 = 1_000 * 10u128.pow(18);

/// The development chain as a BFT chain of `validators` equal validators, with
/// [`ACCOUNTS`] more accounts funded; with `epoch_length`, a proof-of-stake chain of those
/// validators instead, each bonded with [`STAKE_WEI`] and operated by the funded account of
/// its index. `candidates` keys outside the set are drawn last, so a network without
/// candidates draws exactly what it drew before they existed.
pub(crate) fn draw(
    rng: &mut StdRng,
    validators: usize,
    candidates: usize,
    block_time: Duration,
    epoch_length: Option<u64>,
) -> Genesis {
    let mut spec = ChainSpec::dev().expect("the development chain spec");
    spec.consensus = ConsensusKind::Bft;
    spec.block_time_ms = block_time.as_millis() as u64;
    let signers: Vec<ConsensusSigner> =
        (0..validators).map(|_| ConsensusSigner::new(secret(rng), spec.chain_id)).collect();
    spec.validators = signers
        .iter()
        .enumerate()
        .map(|(i, signer)| GenesisValidator {
            name: format!("node{i}"),
            address: signer.address().0,
            public_key: Bytes::copy_from_slice(&signer.public_key().0),
            power: 1,
            stake: None,
            operator: None,
            commission_bps: None,
        })
        .collect();
    let accounts: Vec<PrivateKeySigner> = (0..ACCOUNTS)
        .map(|_| {
            let key = B256::from_slice(&secret(rng).to_bytes());
            PrivateKeySigner::from_bytes(&key).expect("a valid secret key")
        })
        .collect();
    for account in &accounts {
        let funded = GenesisAccount { balance: U256::from(BALANCE_WEI), ..Default::default() };
        spec.alloc.insert(account.address(), funded);
    }
    if let Some(epoch_length) = epoch_length {
        stake(&mut spec, epoch_length, &accounts);
    }
    let schedule = ValidatorSchedule::from_spec(&spec).expect("a valid validator set");
    let candidates =
        (0..candidates).map(|_| ConsensusSigner::new(secret(rng), spec.chain_id)).collect();
    Genesis { spec, schedule, signers, accounts, candidates }
}

/// Makes `spec` a proof-of-stake chain of its validators, with windows short enough for a
/// scenario to see jailing and unbonding within a few simulated minutes.
fn stake(spec: &mut ChainSpec, epoch_length: u64, operators: &[PrivateKeySigner]) {
    let ratio = |text: &str| text.parse::<Ratio>().expect("a ratio");
    spec.consensus = ConsensusKind::Pos;
    spec.epoch_length = Some(epoch_length);
    spec.staking = Some(StakingParams {
        unbonding_epochs: 2,
        block_reward: U256::from(10u128.pow(18)),
        signed_blocks_window: 10,
        min_signed_per_window: ratio("0.5"),
        downtime_jail_blocks: 30,
        ..StakingParams::default()
    });
    for (validator, operator) in spec.validators.iter_mut().zip(operators) {
        validator.stake = Some(U256::from(STAKE_WEI));
        validator.power = spec.staking.as_ref().map_or(0, |s| s.power_of(U256::from(STAKE_WEI)));
        validator.operator = Some(operator.address());
        validator.commission_bps = Some(500);
    }
    let account = cairn_staking::spec_staking_account(spec).expect("the staking genesis");
    spec.alloc.insert(STAKING_ADDRESS, account);
    spec.validate().expect("a valid proof-of-stake spec");
}

/// A network identity from an ed25519 key drawn from the seed, as a real node's would be.
pub(crate) fn peer_id(rng: &mut StdRng) -> PeerId {
    let mut secret = [0u8; 32];
    rng.fill(&mut secret);
    let key = Keypair::ed25519_from_bytes(secret).expect("any 32 bytes are an ed25519 key");
    PeerId::from_bytes(&key.public().to_peer_id().to_bytes()).expect("a libp2p peer id")
}

/// Makes `genesis` a consortium of `orgs` organisations `org1`… (the contract numbers
/// organisation `k` of this list `k + 1`) with epochs of `epoch_length` blocks: funded account
/// `k < orgs` administers organisation `k`; the accounts from `orgs` to [`CONSORTIUM_MEMBERS`]
/// are members of organisation `k mod orgs`; the rest belong to none. `nodes` are the network's
/// nodes by index (peer id, and consensus address for a genesis validator): node `i` and its
/// validator belong to organisation `i mod orgs`. Account and node permissioning are on. Draws
/// nothing from the seed.
pub(crate) fn govern(
    genesis: &mut Genesis,
    orgs: usize,
    epoch_length: u64,
    nodes: &[(PeerId, Option<Address>)],
) {
    let accounts: Vec<Address> = genesis.accounts.iter().map(|a| a.address()).collect();
    let mut organisations: Vec<OrganisationSpec> = accounts[..orgs]
        .iter()
        .enumerate()
        .map(|(k, admin)| OrganisationSpec {
            name: format!("org{}", k + 1),
            admins: vec![*admin],
            members: Vec::new(),
            deployers: Vec::new(),
            nodes: Vec::new(),
            validators: Vec::new(),
        })
        .collect();
    for (k, member) in accounts.iter().enumerate().take(CONSORTIUM_MEMBERS).skip(orgs) {
        organisations[k % orgs].members.push(*member);
    }
    for (i, (peer, validator)) in nodes.iter().enumerate() {
        let org = &mut organisations[i % orgs];
        let peer_id = Bytes::from(peer.to_bytes());
        org.nodes.push(NodeSpec { peer_id, consensus_address: *validator });
        org.validators.extend(validator);
    }
    let spec = &mut genesis.spec;
    spec.network = NetworkKind::Consortium;
    spec.epoch_length = Some(epoch_length);
    spec.governance = Some(GovernanceSpec {
        voting_period_blocks: VOTING_PERIOD_BLOCKS,
        permission_accounts: true,
        permission_nodes: true,
        permission_deployers: false,
        organisations,
    });
    let account = cairn_governance::governance_account(spec).expect("the governance genesis");
    spec.alloc.insert(GOVERNANCE_ADDRESS, account);
    spec.validate().expect("a valid consortium spec");
    genesis.schedule = ValidatorSchedule::from_spec(spec).expect("a valid validator set");
}
