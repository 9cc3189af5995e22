//! e2e/stream_resume.py: a WebSocket client follows `/v1/stream` on the real binary,
//! disconnects while blocks are produced, and resumes from its cursor with no gap or repeat.

use std::process::Command;

use crate::harness::{Node, Target, e2e_dir, python, run_flow};

#[test]
fn stream_resumes_from_a_cursor_on_cairn() {
    let node = Node::start(Target::Cairn);
    run_flow(
        Command::new(python()).arg("stream_resume.py").arg(&node.api_ws).current_dir(e2e_dir()),
        "blocks, resumed at ",
    );
}
