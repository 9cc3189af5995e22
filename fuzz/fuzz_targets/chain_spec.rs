//! Chain spec files as `cairn init`, `cairn dev --spec` and `cairn node` read them
//! (`ChainSpec::from_file`, JSON or TOML by extension). A spec that is accepted must render
//! back to the same spec, give a validator set a BFT engine can use or a clear error, and
//! start a chain: genesis is built from it and one block produced on top.
//!
//! Input: a selector byte (even: JSON, odd: TOML), then the file's bytes.

#![no_main]

use std::sync::{Arc, OnceLock};

use alloy_primitives::{Address, B256, Bytes, U256};
use cairn_consensus::DevConsensus;
use cairn_fuzz::chain::dev_spec;
use cairn_fuzz::seeds::tagged;
use cairn_node::Node;
use cairn_primitives::{ChainSpec, ConsensusKind, GenesisAccount, GenesisValidator};
use cairn_storage::MemoryKv;
use k256::ecdsa::SigningKey;
use libfuzzer_sys::fuzz_target;

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
}

/// Parses `text` as a spec file of the given format.
fn read(text: &[u8], toml: bool) -> Result<ChainSpec, cairn_primitives::PrimitivesError> {
    let path = dir().path().join(if toml { "spec.toml" } else { "spec.json" });
    std::fs::write(&path, text).expect("writing the spec");
    ChainSpec::from_file(&path)
}

fuzz_target!(init: cairn_fuzz::seeds::offer("chain_spec", seeds), |data: &[u8]| {
    let Some((&tag, text)) = data.split_first() else { return };
    let Ok(spec) = read(text, tag % 2 == 1) else { return };
    // What `cairn init` would write for this spec reads back as the same spec.
    let json = spec.render(false).expect("every accepted spec renders as JSON");
    assert_eq!(read(json.as_bytes(), false).expect("its JSON reads back"), spec);
    if let Ok(toml) = spec.render(true) {
        assert_eq!(read(toml.as_bytes(), true).expect("its TOML reads back"), spec);
    }
    if spec.consensus == ConsensusKind::Bft {
        let _ = cairn_bft::ValidatorSchedule::from_spec(&spec);
    }
    let consensus = Arc::new(DevConsensus::new(Address::ZERO));
    if let Ok(node) = Node::open(MemoryKv::new(), spec, consensus) {
        let _ = node.produce_block();
    }
});

/// The development spec in both formats, a BFT spec with four validators, and one with a
/// contract, storage and every optional field set.
fn seeds() -> Vec<Vec<u8>> {
    let dev = dev_spec();
    let validators: Vec<GenesisValidator> = (1u8..=4)
        .map(|i| {
            let key = SigningKey::from_slice(&[i; 32]).expect("a secret key");
            let public = key.verifying_key();
            GenesisValidator {
                name: format!("validator-{i}"),
                address: Address::from_public_key(public),
                public_key: Bytes::copy_from_slice(public.to_encoded_point(true).as_bytes()),
                power: u64::from(i) * 10,
                stake: None,
                operator: None,
                commission_bps: None,
            }
        })
        .collect();
    let bft =
        ChainSpec { chain_id: 4242, consensus: ConsensusKind::Bft, validators, ..dev.clone() };
    let contract = GenesisAccount {
        balance: U256::from(1u64),
        nonce: 1,
        code: Bytes::from_static(&[0x60, 0x2a, 0x60, 0x00, 0x55, 0x00]),
        storage: [(B256::ZERO, U256::from(7u64)), (B256::repeat_byte(1), U256::MAX)].into(),
    };
    let full = ChainSpec {
        chain_id: 7,
        network: cairn_primitives::NetworkKind::Consortium,
        gas_limit: 21_000,
        block_time_ms: 1,
        base_fee: u64::MAX / 2,
        timestamp: 1_700_000_000,
        extra_data: Bytes::from_static(b"cairn fuzz seed"),
        alloc: [(Address::repeat_byte(0xaa), contract)].into(),
        ..dev.clone()
    };
    let mut seeds = Vec::new();
    for spec in [dev, bft, full] {
        seeds.push(tagged(0, spec.render(false).expect("JSON").as_bytes()));
        seeds.push(tagged(1, spec.render(true).expect("TOML").as_bytes()));
    }
    seeds
}
