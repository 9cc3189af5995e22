//! What the network logs, captured to check what an operator would see.

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use cairn_network::PeerId;
use tracing::subscriber::DefaultGuard;

/// Log lines written while a [`capture`] guard is alive.
#[derive(Clone, Default)]
pub(crate) struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// Lines that contain `message` and name `peer`.
    pub(crate) fn count(&self, message: &str, peer: PeerId) -> usize {
        let text = String::from_utf8(self.0.lock().expect("log buffer").clone()).expect("utf-8");
        let peer = format!("peer={peer}");
        text.lines().filter(|line| line.contains(message) && line.contains(&peer)).count()
    }
}

/// Captures INFO and above on this thread until the guard drops. Tests that use it run on a
/// current-thread runtime, so the network tasks they start log on this thread too.
pub(crate) fn capture() -> (Logs, DefaultGuard) {
    let logs = Logs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}
