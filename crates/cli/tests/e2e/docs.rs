//! e2e/docs_flow.mjs: the REST API's reference page at `/docs` in Debian's chromium with every
//! request to anywhere but the node refused; the page must render the API's operations.

use std::time::Duration;

use crate::harness::{Node, Target, node_script, require_browser, run_flow_within, screenshot_dir};

/// Loading and rendering a 5 MB script on two busy cores takes well under this.
const FLOW_TIMEOUT: Duration = Duration::from_secs(300);

#[test]
fn docs_render_offline_in_a_browser() {
    require_browser();
    let node = Node::start(Target::Cairn);
    let dir = screenshot_dir("docs-screenshots");
    run_flow_within(
        node_script("docs_flow.mjs").arg(node.api_http()).arg(&dir),
        "ok: docs flow done",
        FLOW_TIMEOUT,
    );
}
