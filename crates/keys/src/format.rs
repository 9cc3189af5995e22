//! The checks a keystore file must pass before eth-keystore sees it, and geth-style file names.
//!
//! eth-keystore trusts its input: a short `iv` or `dklen` makes it panic, and a huge scrypt `n`
//! makes it allocate without bound. Every file is checked here first, so a damaged or hostile
//! file is an error, never a crash.

use std::time::SystemTime;

use alloy_primitives::{Address, hex};
use eth_keystore::{EthKeystore, KdfType, KdfparamsType};
use serde_json::{Map, Value};

/// Largest file read as a keystore; real ones are about 500 bytes.
pub(crate) const MAX_FILE_LEN: u64 = 64 * 1024;
/// scrypt needs 128 * n * r bytes; 1 GiB is four times geth's "standard" (n = 2^18, r = 8).
const MAX_SCRYPT_MEMORY: u64 = 1 << 30;
/// scrypt's time grows with p; geth and Foundry use 1.
const MAX_SCRYPT_P: u32 = 16;
/// geth's PBKDF2 keystores use 262,144 rounds.
const MAX_PBKDF2_ROUNDS: u32 = 10_000_000;

/// A keystore file that passed the checks.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The whole JSON object, kept as written (unknown fields included).
    pub(crate) json: Map<String, Value>,
    /// The `address` field, if the file has one (geth and Cairn write it; Foundry does not).
    pub(crate) address: Option<Address>,
}

/// Checks that `bytes` are a V3 keystore eth-keystore can decrypt safely; the error says why not.
pub(crate) fn check(bytes: &[u8]) -> Result<Checked, String> {
    let json: Map<String, Value> =
        serde_json::from_slice(bytes).map_err(|e| format!("not a JSON object: {e}"))?;
    let keystore: EthKeystore =
        serde_json::from_slice(bytes).map_err(|e| format!("missing or malformed field: {e}"))?;
    if keystore.version != 3 {
        return Err(format!("version {}, expected 3", keystore.version));
    }
    let crypto = &keystore.crypto;
    if crypto.cipher != "aes-128-ctr" {
        return Err(format!("cipher {:?}, expected \"aes-128-ctr\"", crypto.cipher));
    }
    expect_len("cipherparams.iv", &crypto.cipherparams.iv, 16)?;
    expect_len("ciphertext", &crypto.ciphertext, 32)?;
    expect_len("mac", &crypto.mac, 32)?;
    match (&crypto.kdf, &crypto.kdfparams) {
        (KdfType::Scrypt, KdfparamsType::Scrypt { dklen, n, p, r, .. }) => {
            check_dklen(*dklen)?;
            if *n < 2 || !n.is_power_of_two() {
                return Err(format!("scrypt n = {n}, expected a power of two"));
            }
            if *r == 0 || *p == 0 || *p > MAX_SCRYPT_P {
                return Err(format!("scrypt r = {r}, p = {p} out of range"));
            }
            if 128 * u64::from(*n) * u64::from(*r) > MAX_SCRYPT_MEMORY {
                return Err(format!("scrypt n = {n}, r = {r} would need more than 1 GiB"));
            }
            // RFC 7914 requires n < 2^(16 r); the scrypt crate refuses anything else.
            if n.trailing_zeros() >= 16 * r {
                return Err(format!("scrypt n = {n} is too large for r = {r} (RFC 7914)"));
            }
        }
        (KdfType::Pbkdf2, KdfparamsType::Pbkdf2 { c, dklen, prf, .. }) => {
            check_dklen(*dklen)?;
            if prf != "hmac-sha256" {
                return Err(format!("pbkdf2 prf {prf:?}, expected \"hmac-sha256\""));
            }
            if *c == 0 || *c > MAX_PBKDF2_ROUNDS {
                return Err(format!("pbkdf2 c = {c} out of range"));
            }
        }
        _ => return Err("kdf does not match kdfparams".to_string()),
    }
    let address = match json.get("address") {
        None => None,
        Some(Value::String(text)) => Some(
            text.parse::<Address>()
                .map_err(|_| format!("address {text:?} is not 20 bytes of hex"))?,
        ),
        Some(_) => return Err("address is not a string".to_string()),
    };
    Ok(Checked { json, address })
}

fn expect_len(field: &str, bytes: &[u8], len: usize) -> Result<(), String> {
    if bytes.len() == len {
        Ok(())
    } else {
        Err(format!("{field} is {} bytes, expected {len}", bytes.len()))
    }
}

fn check_dklen(dklen: u8) -> Result<(), String> {
    if dklen == 32 { Ok(()) } else { Err(format!("dklen = {dklen}, expected 32")) }
}

/// geth's file name, `UTC--<ISO 8601 time with '-' for ':'>--<address, lowercase hex>`, so the
/// directory sorts by creation time and works as a geth or Foundry keystore directory.
pub(crate) fn file_name(address: Address, now: SystemTime) -> String {
    let time = humantime::format_rfc3339_nanos(now).to_string().replace(':', "-");
    format!("UTC--{time}--{}", hex::encode(address))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use alloy_primitives::address;

    use super::*;

    /// Written by `cast wallet new` (Foundry 1.7.1); it has no `address` field.
    const CAST: &str = include_str!("../tests/fixtures/cast-wallet-new.json");

    fn edited(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
        let mut json: Value = serde_json::from_str(CAST).expect("fixture is JSON");
        edit(&mut json);
        serde_json::to_vec(&json).expect("serialises")
    }

    fn reason(bytes: &[u8]) -> String {
        check(bytes).expect_err("must be rejected")
    }

    #[test]
    fn accepts_foundry_keystore_without_address() {
        let checked = check(CAST.as_bytes()).expect("cast's file is valid");
        assert_eq!(checked.address, None);
        assert!(checked.json.contains_key("crypto"));
    }

    #[test]
    fn reads_address_with_or_without_0x() {
        let want = address!("7419399da5B694e0662A9b67ed39BB372bF816C1");
        for text in [
            "7419399da5b694e0662a9b67ed39bb372bf816c1",
            "0x7419399da5B694e0662A9b67ed39BB372bF816C1",
        ] {
            let bytes = edited(|j| j["address"] = Value::from(text));
            assert_eq!(check(&bytes).expect("valid").address, Some(want));
        }
    }

    #[test]
    fn rejects_what_would_make_eth_keystore_panic_or_blow_up() {
        assert!(reason(b"").contains("not a JSON object"));
        assert!(reason(b"[1, 2]").contains("not a JSON object"));
        assert!(reason(b"{}").contains("missing or malformed field"));
        let short_iv = edited(|j| j["crypto"]["cipherparams"]["iv"] = Value::from("00"));
        assert!(reason(&short_iv).contains("cipherparams.iv is 1 bytes"));
        let odd_hex = edited(|j| j["crypto"]["ciphertext"] = Value::from("abc"));
        assert!(reason(&odd_hex).contains("malformed"));
        let short_dklen = edited(|j| j["crypto"]["kdfparams"]["dklen"] = Value::from(16));
        assert!(reason(&short_dklen).contains("dklen = 16"));
        let huge_n = edited(|j| j["crypto"]["kdfparams"]["n"] = Value::from(1u32 << 31));
        assert!(reason(&huge_n).contains("more than 1 GiB"));
        let odd_n = edited(|j| j["crypto"]["kdfparams"]["n"] = Value::from(1000));
        assert!(reason(&odd_n).contains("power of two"));
        let rfc_7914 = edited(|j| {
            j["crypto"]["kdfparams"]["n"] = Value::from(1 << 18);
            j["crypto"]["kdfparams"]["r"] = Value::from(1);
        });
        assert!(reason(&rfc_7914).contains("RFC 7914"));
        let zero_p = edited(|j| j["crypto"]["kdfparams"]["p"] = Value::from(0));
        assert!(reason(&zero_p).contains("out of range"));
        let mismatch = edited(|j| j["crypto"]["kdf"] = Value::from("pbkdf2"));
        assert!(reason(&mismatch).contains("kdf does not match"));
    }

    #[test]
    fn rejects_other_versions_ciphers_and_bad_addresses() {
        let v1 = edited(|j| j["version"] = Value::from(1));
        assert!(reason(&v1).contains("version 1"));
        let cbc = edited(|j| j["crypto"]["cipher"] = Value::from("aes-128-cbc"));
        assert!(reason(&cbc).contains("aes-128-cbc"));
        let short = edited(|j| j["address"] = Value::from("0x1234"));
        assert!(reason(&short).contains("not 20 bytes"));
        let number = edited(|j| j["address"] = Value::from(7));
        assert!(reason(&number).contains("not a string"));
    }

    #[test]
    fn file_name_is_geths() {
        let time = UNIX_EPOCH + Duration::new(1_700_000_000, 5);
        let address = address!("7419399da5B694e0662A9b67ed39BB372bF816C1");
        assert_eq!(
            file_name(address, time),
            "UTC--2023-11-14T22-13-20.000000005Z--7419399da5b694e0662a9b67ed39bb372bf816c1"
        );
    }
}
