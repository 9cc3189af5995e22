//! e2e/explorer_flow.mjs: the block explorer the node serves at `/`, in Debian's chromium
//! driven by playwright-core, while ethers sends transactions: live home page, block,
//! transaction, account and contract pages, links, search, history pages, phone layout.
//! Screenshots go to `$CAIRN_SCREENSHOTS` (default `<target>/explorer-screenshots`).

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

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
    // Straight to the process's stderr, past the test harness's capture, so CI's log names
    // the screenshots of a passing run too.
    let mut shots: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "png"))
        .collect();
    shots.sort();
    assert!(shots.len() >= 14, "expected a screenshot per page and size, got {shots:?}");
    let mut stderr = std::io::stderr().lock();
    for shot in shots {
        writeln!(stderr, "explorer screenshot: {}", shot.display()).unwrap();
    }
}
