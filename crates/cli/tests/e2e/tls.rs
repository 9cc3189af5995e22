//! The node over TLS with a certificate the test makes (rcgen): cast and ethers talk to the
//! HTTPS and WSS JSON-RPC endpoint with that certificate trusted (and cast refuses it when it
//! is not), and the REST API answers over HTTPS with Strict-Transport-Security. A listener on
//! a non-loopback address without TLS is warned about at start-up.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::harness::{Node, cast_bin, node_script, run, run_flow};

/// A self-signed certificate for `localhost` and 127.0.0.1 in `dir`: (certificate, key).
fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let made = rcgen::generate_simple_self_signed(names).expect("a certificate");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    std::fs::write(&cert, made.cert.pem()).expect("write the certificate");
    std::fs::write(&key, made.key_pair.serialize_pem()).expect("write the key");
    (cert, key)
}

#[test]
fn cast_and_ethers_use_the_node_over_tls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = certificate(dir.path());
    let node = Node::start_cairn_tls(&cert, &key);
    assert!(node.http.starts_with("https://127.0.0.1:"), "{}", node.http);

    let cast = |trusted: bool| {
        let mut command = Command::new(cast_bin());
        command.args(["chain-id", "--rpc-url", &node.http]);
        if trusted {
            command.env("SSL_CERT_FILE", &cert);
        }
        run(&mut command)
    };
    let untrusted = cast(false);
    assert!(!untrusted.status.success(), "{}", untrusted.describe("cast without the certificate"));
    let trusted = cast(true);
    assert!(trusted.status.success(), "{}", trusted.describe("cast with the certificate"));
    assert_eq!(trusted.stdout.trim(), "31337");

    let mut command = node_script("tls_flow.mjs");
    command.args([&node.http, &node.ws, &node.api_http()]).env("NODE_EXTRA_CA_CERTS", &cert);
    run_flow(&mut command, "tls flow: all checks passed");
}

/// Starts `cairn dev` with `args`, waits until both listeners are up, stops it, and returns
/// what it logged on stderr.
fn startup_log(args: &[&str]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(["dev", "--ephemeral"])
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start cairn dev");
    let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut stderr = child.stderr.take().expect("piped stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    for line in stdout.lines() {
        if line.expect("stdout").contains("REST API listening on") {
            break;
        }
    }
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
    reader.join().expect("stderr reader")
}

#[test]
fn a_listener_other_machines_reach_without_tls_is_warned_about() {
    let log = startup_log(&["--rpc-addr", "0.0.0.0:0", "--api-addr", "127.0.0.1:0"]);
    assert!(log.contains("WARN"), "{log}");
    assert!(log.contains("JSON-RPC listens on 0.0.0.0:"), "{log}");
    assert!(log.contains("without TLS"), "{log}");
    assert!(log.contains("--rpc-tls-cert and --rpc-tls-key"), "{log}");
    assert!(!log.contains("The REST API listens"), "loopback is not warned about: {log}");

    let log = startup_log(&["--rpc-addr", "127.0.0.1:0", "--api-addr", "0.0.0.0:0"]);
    assert!(log.contains("The REST API listens on 0.0.0.0:"), "{log}");
    assert!(!log.contains("JSON-RPC listens"), "{log}");

    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = certificate(dir.path());
    let (cert, key) = (cert.to_str().expect("utf-8"), key.to_str().expect("utf-8"));
    let log = startup_log(&[
        "--rpc-addr",
        "0.0.0.0:0",
        "--rpc-tls-cert",
        cert,
        "--rpc-tls-key",
        key,
        "--api-addr",
        "127.0.0.1:0",
    ]);
    assert!(!log.contains("without TLS"), "TLS is not warned about: {log}");
}
