//! The keys and genesis of a simulated network, all drawn from its seed.

use std::time::Duration;

use alloy_primitives::{B256, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use cairn_bft::{ConsensusSigner, Keypair, ValidatorSchedule};
use cairn_primitives::{
    ChainSpec, ConsensusKind, GenesisAccount, GenesisValidator, Ratio, STAKING_ADDRESS,
    StakingParams,
};
use k256::ecdsa::SigningKey;
use malachitebft_network::PeerId;
use rand::Rng;
use rand::rngs::StdRng;

/// Accounts funded at genesis for the scenarios' transactions.
const ACCOUNTS: usize = 20;
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
