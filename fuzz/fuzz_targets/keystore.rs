//! Keystore files as a user or another tool leaves them in the keystore directory: listed
//! (`KeystoreDir::list`, which must report a bad file, never fail or crash on it) and, when
//! the key derivation is cheap enough to run at fuzzing speed, decrypted (`cairn_keys::decrypt`,
//! the path of `cairn keys export` and of a validator's start) with the password the seeds
//! were made with.
//!
//! Input: the file's bytes.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use aes::cipher::{KeyIvInit as _, StreamCipher as _};
use alloy_primitives::{Address, hex, keccak256};
use cairn_keys::{KeysError, KeystoreDir};
use eth_keystore::{EthKeystore, KdfparamsType};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

const PASSWORD: &str = "fuzz";
/// The private key of every seed.
const SECRET: [u8; 32] = [0x42; 32];
/// Most scrypt `n * r * p` or PBKDF2 rounds decrypted per input (a millisecond or so).
const CHEAP_WORK: u64 = 4096;

fn dir() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"))
}

/// Whether decrypting this file costs at most [`CHEAP_WORK`], judged by the same parser
/// eth-keystore decrypts with.
fn cheap(data: &[u8]) -> bool {
    let Ok(keystore) = serde_json::from_slice::<EthKeystore>(data) else { return true };
    match keystore.crypto.kdfparams {
        KdfparamsType::Scrypt { n, r, p, .. } => {
            u64::from(n).saturating_mul(u64::from(r)).saturating_mul(u64::from(p)) <= CHEAP_WORK
        }
        KdfparamsType::Pbkdf2 { c, .. } => u64::from(c) <= CHEAP_WORK,
    }
}

fuzz_target!(init: cairn_fuzz::seeds::offer("keystore", seeds), |data: &[u8]| {
    let path: PathBuf = dir().path().join("UTC--2026-01-01T00-00-00.000000000Z--key");
    std::fs::write(&path, data).expect("writing the file");
    let listing = KeystoreDir::new(dir().path()).list().expect("a listing despite a bad file");
    assert_eq!(listing.keys.len() + listing.skipped.len(), 1, "the file is listed or skipped");
    if !cheap(data) {
        return;
    }
    match cairn_keys::decrypt(&path, PASSWORD) {
        // A key listed under an address decrypts to that address, never another. (Without an
        // address nothing tells a wrong key: V3's MAC does not cover the iv, so a changed iv
        // decrypts to another key, in geth and Foundry alike.)
        Ok(signer) => {
            if let Some(key) = listing.keys.first() {
                assert_eq!(key.address, signer.address(), "listed under another address");
            }
        }
        Err(KeysError::Io { .. }) => panic!("reading the file failed"),
        Err(_) => {}
    }
});

/// A V3 keystore of [`SECRET`] under [`PASSWORD`], its derived key from `kdf`.
fn keystore(kdf: &str, kdfparams: Value, derived: [u8; 32], address: Option<Address>) -> Vec<u8> {
    let iv = [7u8; 16];
    let mut ciphertext = SECRET;
    ctr::Ctr128BE::<aes::Aes128>::new(derived[..16].into(), (&iv).into())
        .apply_keystream(&mut ciphertext);
    let mac = keccak256([&derived[16..], &ciphertext[..]].concat());
    let mut file = json!({
        "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": { "iv": hex::encode(iv) },
            "ciphertext": hex::encode(ciphertext),
            "kdf": kdf,
            "kdfparams": kdfparams,
            "mac": hex::encode(mac),
        },
        "id": "3198bc9c-6672-5ab3-d995-4942343ae5b6",
        "version": 3,
    });
    if let Some(address) = address {
        file["address"] = Value::from(hex::encode(address));
    }
    serde_json::to_vec(&file).expect("JSON")
}

fn scrypt_file(log_n: u8, r: u32, address: Option<Address>) -> Vec<u8> {
    let salt = [9u8; 32];
    let params = scrypt::Params::new(log_n, r, 1).expect("scrypt parameters");
    let mut derived = [0u8; 32];
    scrypt::scrypt(PASSWORD.as_bytes(), &salt, &params, &mut derived).expect("scrypt");
    let kdfparams =
        json!({ "dklen": 32, "n": 1u32 << log_n, "r": r, "p": 1, "salt": hex::encode(salt) });
    keystore("scrypt", kdfparams, derived, address)
}

fn pbkdf2_file(rounds: u32, address: Option<Address>) -> Vec<u8> {
    let salt = [5u8; 32];
    let mut derived = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(PASSWORD.as_bytes(), &salt, rounds, &mut derived);
    let kdfparams =
        json!({ "c": rounds, "dklen": 32, "prf": "hmac-sha256", "salt": hex::encode(salt) });
    keystore("pbkdf2", kdfparams, derived, address)
}

/// Cheap scrypt and PBKDF2 files with and without `address` (and one with a wrong one),
/// Foundry's file from the keys crate's tests, and the Web3 Secret Storage PBKDF2 vector.
fn seeds() -> Vec<Vec<u8>> {
    let signer = alloy_signer_local::PrivateKeySigner::from_bytes(&SECRET.into()).expect("a key");
    let address = Some(signer.address());
    vec![
        scrypt_file(4, 8, address),
        scrypt_file(4, 8, None),
        scrypt_file(2, 1, Some(Address::repeat_byte(1))),
        pbkdf2_file(1, address),
        pbkdf2_file(3, None),
        include_bytes!("../../crates/keys/tests/fixtures/cast-wallet-new.json").to_vec(),
        br#"{"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"6087dab2f9fdbbfaddc31a909735c1e6"},"ciphertext":"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46","kdf":"pbkdf2","kdfparams":{"c":262144,"dklen":32,"prf":"hmac-sha256","salt":"ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"},"mac":"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"},"id":"3198bc9c-6672-5ab3-d995-4942343ae5b6","version":3}"#.to_vec(),
    ]
}
