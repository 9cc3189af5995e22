//! Runs the real `cairn keys` binary: new → list → export → import into another directory, and
//! the errors a user can cause (bad password, damaged file, no password source).
#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

use std::{
    fs,
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Command, Output, Stdio},
};

const PASSWORD: &str = "keys test password";

/// Runs `cairn keys <args>` with stdin closed (as in CI: no terminal).
fn cairn_keys(keystore: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("keys")
        .arg("--keystore")
        .arg(keystore)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(output.status.success(), "failed: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// Asserts a clean failure: non-zero exit, the expected message, no panic.
fn fails_with(output: &Output, message: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "unexpected success: {stderr}");
    assert!(stderr.contains(message), "expected {message:?} in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn new_list_export_import_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let first = tmp.path().join("first");
    let second = tmp.path().join("second");
    let password_file = tmp.path().join("password");
    fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let pw = password_file.to_str().unwrap();

    // new: prints "<address> <file>".
    let created = stdout(&cairn_keys(&first, &["new", "--password-file", pw]));
    let (address, file) = created.trim().split_once(' ').unwrap();
    assert!(address.starts_with("0x") && address.len() == 42, "{created}");
    assert!(Path::new(file).starts_with(&first), "{created}");
    assert_eq!(fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(fs::metadata(&first).unwrap().permissions().mode() & 0o777, 0o700);

    // list: the same line.
    assert_eq!(stdout(&cairn_keys(&first, &["list"])), created);

    // export --private-key prints the key; only then is a secret printed.
    let key =
        stdout(&cairn_keys(&first, &["export", address, "--private-key", "--password-file", pw]));
    let key = key.trim();
    assert!(key.starts_with("0x") && key.len() == 66, "{key}");
    assert!(!created.contains(&key[2..]));

    // export --out copies the encrypted file, then import it into another directory.
    let out = tmp.path().join("exported.json");
    let exported =
        stdout(&cairn_keys(&first, &["export", address, "--out", out.to_str().unwrap()]));
    assert_eq!(exported.trim(), format!("{address} {}", out.display()));
    assert_eq!(fs::read(&out).unwrap(), fs::read(file).unwrap());
    let imported =
        stdout(&cairn_keys(&second, &["import", out.to_str().unwrap(), "--password-file", pw]));
    assert!(imported.starts_with(&format!("{address} ")), "{imported}");
    assert_eq!(stdout(&cairn_keys(&second, &["list"])), imported);
    let key_again =
        stdout(&cairn_keys(&second, &["export", address, "--private-key", "--password-file", pw]));
    assert_eq!(key_again.trim(), key);

    // The raw key imports into a third directory under the same address.
    let third = tmp.path().join("third");
    let key_file = tmp.path().join("key.hex");
    fs::write(&key_file, key).unwrap();
    let raw = stdout(&cairn_keys(
        &third,
        &["import", "--private-key-file", key_file.to_str().unwrap(), "--password-file", pw],
    ));
    assert!(raw.starts_with(&format!("{address} ")), "{raw}");

    // Importing the same key again is refused.
    let again = cairn_keys(&second, &["import", out.to_str().unwrap(), "--password-file", pw]);
    fails_with(&again, "already in the keystore");
}

#[test]
fn bad_password_damaged_file_and_missing_password_fail_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let keystore = tmp.path().join("keystore");
    let password_file = tmp.path().join("password");
    fs::write(&password_file, PASSWORD).unwrap();
    let wrong_file = tmp.path().join("wrong");
    fs::write(&wrong_file, "not the password").unwrap();
    let pw = password_file.to_str().unwrap();

    let created = stdout(&cairn_keys(&keystore, &["new", "--password-file", pw]));
    let (address, file) = created.trim().split_once(' ').unwrap();

    let wrong = wrong_file.to_str().unwrap();
    let bad =
        cairn_keys(&keystore, &["export", address, "--private-key", "--password-file", wrong]);
    fails_with(&bad, "wrong password");
    assert!(bad.stdout.is_empty());

    // Without --password-file and without a terminal there is no way to ask.
    fails_with(&cairn_keys(&keystore, &["new"]), "no password");
    fails_with(&cairn_keys(&keystore, &["export", address, "--private-key"]), "no password");

    // A damaged file: listed as skipped (stderr), refused on import, other keys still listed.
    let damaged = keystore.join("damaged");
    fs::write(&damaged, "{\"crypto\": 1").unwrap();
    let listing = cairn_keys(&keystore, &["list"]);
    assert_eq!(stdout(&listing), created);
    let stderr = String::from_utf8_lossy(&listing.stderr);
    assert!(
        stderr.contains(&format!("skipping {}: not a V3 keystore", damaged.display())),
        "{stderr}"
    );
    let other = tmp.path().join("other");
    let import = cairn_keys(&other, &["import", damaged.to_str().unwrap(), "--password-file", pw]);
    fails_with(&import, "is not a usable V3 keystore");

    // A truncated keystore file of a real key.
    let truncated = tmp.path().join("truncated.json");
    let text = fs::read_to_string(file).unwrap();
    fs::write(&truncated, &text[..text.len() / 2]).unwrap();
    let import =
        cairn_keys(&other, &["import", truncated.to_str().unwrap(), "--password-file", pw]);
    fails_with(&import, "is not a usable V3 keystore");

    // Unknown addresses and existing export targets.
    let unknown = "0x0000000000000000000000000000000000000001";
    fails_with(
        &cairn_keys(&keystore, &["export", unknown, "--private-key", "--password-file", pw]),
        "no key for",
    );
    fails_with(&cairn_keys(&keystore, &["export", address, "--out", pw]), "already exists");
    assert_eq!(fs::read_to_string(&password_file).unwrap(), PASSWORD);
}
