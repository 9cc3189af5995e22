//! The REST API against its own OpenAPI document: the document served by a live
//! `cairn dev --ephemeral` passes an OpenAPI validator, and schemathesis (e2e/schemathesis.toml:
//! every check, deterministic data, 20 examples per operation) finds no 5xx and no answer that
//! breaks the document.

use std::process::Command;

use crate::harness::{Node, e2e_dir, http, run, venv_bin};

#[test]
fn the_live_api_conforms_to_its_openapi_document() {
    // A rate limit no generated request reaches, so answers are the routes' own.
    let node =
        Node::start_cairn_ephemeral(&["--api-anon-rate", "100000/s", "--api-anon-burst", "100000"]);
    let api = node.api_http();
    let (status, answer) = http(&api, "GET", "/v1/openapi.json", &[], "");
    assert_eq!(status, 200, "{answer}");
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("openapi.json");
    std::fs::write(&spec, &answer[answer.find("\r\n\r\n").unwrap() + 4..]).unwrap();

    let validated = run(Command::new(venv_bin("openapi-spec-validator")).arg(&spec));
    assert!(validated.status.success(), "{}", validated.describe("openapi-spec-validator"));

    let config = e2e_dir().join("schemathesis.toml");
    let fuzzed = run(Command::new(venv_bin("schemathesis"))
        .arg("--config-file")
        .arg(&config)
        .args(["--no-color", "run", "--checks", "all"])
        .arg(format!("{api}/v1/openapi.json"))
        .current_dir(dir.path()));
    println!("{}", fuzzed.stdout);
    assert!(fuzzed.status.success(), "{}", fuzzed.describe("schemathesis"));
}
