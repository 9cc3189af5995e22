//! e2e/docs_flow.mjs: the REST API's reference page at `/docs` in Debian's chromium with every
//! request to anywhere but the node refused; the page must render the API's operations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::{Node, Target, node_script, run_flow_within, tool};

/// Loading and rendering a 5 MB script on two busy cores takes well under this.
const FLOW_TIMEOUT: Duration = Duration::from_secs(300);

fn screenshot_dir() -> PathBuf {
    match std::env::var_os("CAIRN_SCREENSHOTS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_TARGET_TMPDIR")).join("../docs-screenshots"),
    }
}

#[test]
fn docs_render_offline_in_a_browser() {
    tool("node_modules/playwright-core/package.json");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: scripts/test installs Debian's chromium (apt-get install chromium)"
    );
    let node = Node::start(Target::Cairn);
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    run_flow_within(
        node_script("docs_flow.mjs").arg(node.api_http()).arg(dir.canonicalize().unwrap()),
        "ok: docs flow done",
        FLOW_TIMEOUT,
    );
}
