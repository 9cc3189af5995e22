//! Keystores written by other tools: Foundry's `cast wallet new` and the Web3 Secret Storage
//! test vectors.
#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

use std::{fs, path::PathBuf};

use alloy_primitives::{address, hex};
use cairn_keys::{KeysError, KeystoreDir, decrypt};
use serde_json::Value;

const CAST_PASSWORD: &str = "cairn-fixture-password";
const CAST_KEY: &str = "97b798e05b458bb0610e4a442e8b06b8fd3fa15c73029dde7a981be2b298cb9a";

fn cast_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cast-wallet-new.json")
}

fn json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

#[test]
fn decrypts_a_keystore_written_by_cast_wallet_new() {
    let signer = decrypt(&cast_fixture(), CAST_PASSWORD).unwrap();
    assert_eq!(signer.address(), address!("7419399da5B694e0662A9b67ed39BB372bF816C1"));
    assert_eq!(hex::encode(signer.to_bytes()), CAST_KEY);
}

#[test]
fn wrong_password_for_the_cast_keystore() {
    let err = decrypt(&cast_fixture(), "not-the-password").unwrap_err();
    assert!(matches!(err, KeysError::WrongPassword { .. }), "{err}");
}

#[test]
fn cast_keystore_is_listed_once_imported() {
    let tmp = tempfile::tempdir().unwrap();
    // In a directory as cast left it, the file has no address, so list reports it.
    let cast_dir = tmp.path().join("cast");
    fs::create_dir(&cast_dir).unwrap();
    fs::copy(cast_fixture(), cast_dir.join("fixture")).unwrap();
    let listing = KeystoreDir::new(&cast_dir).list().unwrap();
    assert!(listing.keys.is_empty());
    assert_eq!(listing.skipped.len(), 1);
    assert!(listing.skipped[0].reason.contains("without an \"address\" field"));

    let keystore = KeystoreDir::new(tmp.path().join("cairn"));
    let err = keystore.import_keystore(&cast_fixture(), "not-the-password").unwrap_err();
    assert!(matches!(err, KeysError::WrongPassword { .. }), "{err}");
    let key = keystore.import_keystore(&cast_fixture(), CAST_PASSWORD).unwrap();
    assert_eq!(key.address, address!("7419399da5B694e0662A9b67ed39BB372bF816C1"));
    assert_eq!(keystore.list().unwrap().keys, vec![key.clone()]);

    // The encrypted key is re-used as cast wrote it; only the address is added.
    let original = json(&cast_fixture());
    let imported = json(&key.path);
    assert_eq!(imported["crypto"], original["crypto"]);
    assert_eq!(imported["id"], original["id"]);
    assert_eq!(imported["address"], Value::from("7419399da5b694e0662a9b67ed39bb372bf816c1"));
    assert_eq!(hex::encode(decrypt(&key.path, CAST_PASSWORD).unwrap().to_bytes()), CAST_KEY);

    let again = keystore.import_keystore(&cast_fixture(), CAST_PASSWORD).unwrap_err();
    assert!(matches!(again, KeysError::AlreadyPresent { .. }), "{again}");
}

/// The PBKDF2 test vector of the Web3 Secret Storage Definition (password "testpassword").
#[test]
fn decrypts_the_web3_secret_storage_pbkdf2_vector() {
    let pbkdf2 = r#"{"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"6087dab2f9fdbbfaddc31a909735c1e6"},"ciphertext":"5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46","kdf":"pbkdf2","kdfparams":{"c":262144,"dklen":32,"prf":"hmac-sha256","salt":"ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd"},"mac":"517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2"},"id":"3198bc9c-6672-5ab3-d995-4942343ae5b6","version":3}"#;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("pbkdf2");
    fs::write(&path, pbkdf2).unwrap();
    let signer = decrypt(&path, "testpassword").unwrap();
    assert_eq!(
        hex::encode(signer.to_bytes()),
        "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d"
    );
}

/// The specification's scrypt vector uses n = 2^18 with r = 1, which RFC 7914 (and so the scrypt
/// crate under eth-keystore) does not allow: it must be a clear error, not a crash.
#[test]
fn refuses_the_web3_secret_storage_scrypt_vector_clearly() {
    let scrypt = r#"{"crypto":{"cipher":"aes-128-ctr","cipherparams":{"iv":"83dbcc02d8ccb40e466191a123791e0e"},"ciphertext":"d172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c","kdf":"scrypt","kdfparams":{"dklen":32,"n":262144,"p":8,"r":1,"salt":"ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19"},"mac":"2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097"},"id":"3198bc9c-6672-5ab3-d995-4942343ae5b6","version":3}"#;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("scrypt");
    fs::write(&path, scrypt).unwrap();
    let err = decrypt(&path, "testpassword").unwrap_err();
    assert!(matches!(err, KeysError::NotAKeystore { .. }), "{err}");
    assert!(err.to_string().contains("RFC 7914"), "{err}");
}
