//! e2e/explorer_flow.mjs: the block explorer the node serves at `/`, in Debian's chromium
//! driven by playwright-core, while ethers sends transactions: live home page, block,
//! transaction, account and contract pages, links, search, history pages, phone layout.
//! e2e/explorer_pos_flow.mjs: the validators and account pages of a proof-of-stake network
//! (`cairn dev --validators 4 --consensus pos`) while ethers registers a validator, delegates
//! and undelegates, and the registered validator, whose key no node holds, is jailed and
//! slashed for downtime.
//! e2e/explorer_gov_flow.mjs: the governance and account pages of a private network
//! (`cairn dev --network private`) while ethers adds a member and makes proposals as the
//! organisation's admin. Screenshots go to `$CAIRN_SCREENSHOTS` (default
//! `<target>/explorer-screenshots`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::devnet::Supervisor;
use crate::harness::{Node, Target, node_script, require_browser, run_flow_within, screenshot_dir};

/// The browser flow sends about thirty transactions and opens some twenty pages; on two busy
/// cores that takes well under this.
const FLOW_TIMEOUT: Duration = Duration::from_secs(600);

#[test]
fn explorer_in_a_browser() {
    require_browser();
    let node = Node::start(Target::Cairn);
    let dir = screenshot_dir("explorer-screenshots");
    run_flow_within(
        node_script("explorer_flow.mjs").arg(node.api_http()).arg(&node.http).arg(&dir),
        "ok: explorer flow done",
        FLOW_TIMEOUT,
    );
    let shots = screenshots(&dir, "");
    assert!(shots.len() >= 14, "expected a screenshot per page and size, got {shots:?}");
    print_shots(shots);
}

/// The proof-of-stake flow waits for an epoch to begin, for the next one, and for a validator
/// to miss a whole signing window of 100 blocks of 500 ms: well under this, even on two busy
/// cores.
const POS_FLOW_TIMEOUT: Duration = Duration::from_secs(600);
/// Long enough that the flow sees a validator registered early in an epoch as a candidate
/// before the epoch's end makes it a member.
const POS_EPOCH_LENGTH: &str = "20";

#[test]
fn explorer_of_a_pos_network_in_a_browser() {
    require_browser();
    let net =
        Supervisor::start_with(4, &["--consensus", "pos", "--epoch-length", POS_EPOCH_LENGTH]);
    net.wait_finalized(0, 2);
    let dir = screenshot_dir("explorer-screenshots");
    run_flow_within(
        node_script("explorer_pos_flow.mjs")
            .arg(&net.api[0])
            .arg(&net.rpc[0])
            .arg(&dir)
            .arg(POS_EPOCH_LENGTH),
        "ok: explorer proof-of-stake flow done",
        POS_FLOW_TIMEOUT,
    );
    let shots = screenshots(&dir, "pos-");
    assert!(shots.len() >= 5, "expected the proof-of-stake pages' screenshots, got {shots:?}");
    print_shots(shots);
}

/// The governance flow adds a member, makes eleven proposals and waits for an epoch's end
/// (10 blocks of 1 s): well under this, even on two busy cores.
const GOV_FLOW_TIMEOUT: Duration = Duration::from_secs(600);

#[test]
fn explorer_of_a_private_network_in_a_browser() {
    require_browser();
    let node = Node::start_cairn_ephemeral(&["--network", "private"]);
    let dir = screenshot_dir("explorer-screenshots");
    run_flow_within(
        node_script("explorer_gov_flow.mjs").arg(node.api_http()).arg(&node.http).arg(&dir),
        "ok: explorer governance flow done",
        GOV_FLOW_TIMEOUT,
    );
    let shots = screenshots(&dir, "gov-");
    assert!(shots.len() >= 8, "expected the governance pages' screenshots, got {shots:?}");
    print_shots(shots);
}

/// The flow that wrote `dir`'s screenshots tells them apart by a prefix: `pos-` and `gov-`,
/// or none.
const FLOW_PREFIXES: [&str; 2] = ["pos-", "gov-"];

/// The PNG files in `dir` of the flow whose screenshots are named `prefix*` (`""`: the plain
/// flow, whose names have none of the flows' prefixes).
fn screenshots(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "png"))
        .filter(|path| {
            path.file_name().is_some_and(|name| {
                let name = name.to_string_lossy();
                match prefix {
                    "" => !FLOW_PREFIXES.iter().any(|flow| name.starts_with(flow)),
                    prefix => name.starts_with(prefix),
                }
            })
        })
        .collect()
}

/// Straight to the process's stderr, past the test harness's capture, so CI's log names the
/// screenshots of a passing run too.
fn print_shots(mut shots: Vec<PathBuf>) {
    shots.sort();
    let mut stderr = std::io::stderr().lock();
    for shot in shots {
        writeln!(stderr, "explorer screenshot: {}", shot.display()).unwrap();
    }
}
