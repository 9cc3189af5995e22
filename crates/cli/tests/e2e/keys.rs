//! `cairn keys` and Foundry's `cast wallet` read each other's V3 keystores, and a key made by
//! `cairn keys new` signs a transaction that cast sends to a running node.

use std::path::Path;
use std::process::Command;

use crate::harness::{KEY0, Node, Target, cast_bin, run_ok};

const PASSWORD: &str = "e2e keystore password";

fn cairn_keys(keystore: &Path, args: &[&str]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_cairn"));
    command.arg("keys").arg("--keystore").arg(keystore).args(args);
    run_ok(&mut command)
}

fn cast(args: &[&str]) -> String {
    run_ok(Command::new(cast_bin()).args(args))
}

/// `<address> <file>` as `cairn keys new` and `list` print it.
fn address_and_file(line: &str) -> (String, String) {
    let (address, file) = line.split_once(' ').expect("`<address> <file>`");
    (address.to_string(), file.trim().to_string())
}

#[test]
fn keystores_round_trip_between_cairn_keys_and_cast_wallet() {
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("password");
    std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
    let password_file = password_file.to_str().unwrap();
    let ours = dir.path().join("cairn-keystore");

    // cairn writes, cast reads: the same address and the same private key.
    let line = cairn_keys(&ours, &["new", "--password-file", password_file]);
    let (address, file) = address_and_file(&line);
    let seen = cast(&["wallet", "address", "--keystore", &file, "--password-file", password_file]);
    assert!(seen.eq_ignore_ascii_case(&address), "cast read {seen}, cairn wrote {address}");
    let exported =
        cairn_keys(&ours, &["export", &address, "--private-key", "--password-file", password_file]);
    let name = Path::new(&file).file_name().unwrap().to_str().unwrap();
    let decrypted = cast(&[
        "wallet",
        "decrypt-keystore",
        "--keystore-dir",
        ours.to_str().unwrap(),
        name,
        "--unsafe-password",
        PASSWORD,
    ]);
    assert!(decrypted.contains(exported.trim_start_matches("0x")), "{decrypted} vs {exported}");

    // cast writes, cairn imports and lists it.
    let theirs = dir.path().join("cast-keystore");
    std::fs::create_dir(&theirs).unwrap();
    let created =
        cast(&["wallet", "new", theirs.to_str().unwrap(), "--unsafe-password", PASSWORD, "--json"]);
    let created: serde_json::Value = serde_json::from_str(&created).unwrap();
    let cast_address = created[0]["address"].as_str().unwrap().to_string();
    let cast_file = created[0]["path"].as_str().unwrap().to_string();
    cairn_keys(&ours, &["import", &cast_file, "--password-file", password_file]);
    let listed = cairn_keys(&ours, &["list"]);
    let addresses: Vec<String> =
        listed.lines().map(|l| address_and_file(l).0.to_lowercase()).collect();
    assert!(addresses.contains(&cast_address.to_lowercase()), "{listed}");
    assert!(addresses.contains(&address.to_lowercase()), "{listed}");

    // A cairn key, funded on a running node, signs a transfer that cast sends.
    let node = Node::start(Target::Cairn);
    let rpc = ["--rpc-url", node.http.as_str()];
    cast(&[&["send", "--private-key", KEY0, &address, "--value", "1ether"][..], &rpc[..]].concat());
    let recipient = "0x000000000000000000000000000000000000c0DE";
    let receipt = cast(
        &[
            &["send", "--keystore", &file, "--password-file", password_file][..],
            &[recipient, "--value", "12345", "--json"][..],
            &rpc[..],
        ]
        .concat(),
    );
    let receipt: serde_json::Value = serde_json::from_str(&receipt).unwrap();
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert!(receipt["from"].as_str().unwrap().eq_ignore_ascii_case(&address));
    assert_eq!(cast(&[&["balance", recipient][..], &rpc[..]].concat()), "12345");
}
