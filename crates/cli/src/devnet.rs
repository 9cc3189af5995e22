//! `cairn dev --validators N`: a local BFT network of N validator processes on loopback, one
//! command to start and one Ctrl-C to stop. Each node is a `cairn node` child with its own
//! folder and ports; its output is prefixed with its name.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::signals::StopSignals;
use crate::testnet::{self, InitArgs};

/// Most validators `cairn dev` starts on one machine.
pub(crate) const MAX_DEV_VALIDATORS: usize = 7;

/// What the local network is made of.
pub(crate) struct DevNetwork {
    pub(crate) root: PathBuf,
    pub(crate) validators: usize,
    pub(crate) rpc_addr: SocketAddr,
    pub(crate) api_addr: SocketAddr,
    pub(crate) p2p_port: u16,
    pub(crate) block_time: Duration,
}

/// Sends each line of `from` to `to` behind `prefix`.
fn relay(prefix: String, from: impl Read + Send + 'static, mut to: impl Write + Send + 'static) {
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if writeln!(to, "[{prefix}] {line}").is_err() {
                break;
            }
        }
    });
}

fn spawn_node(exe: &Path, config: &Path, name: &str) -> anyhow::Result<Child> {
    let mut child = Command::new(exe)
        .arg("node")
        .arg("--config")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {name}"))?;
    if let Some(out) = child.stdout.take() {
        relay(name.to_string(), out, std::io::stdout());
    }
    if let Some(err) = child.stderr.take() {
        relay(name.to_string(), err, std::io::stderr());
    }
    Ok(child)
}

/// Writes the network on first use (or reuses the one in `root`), runs it until Ctrl-C or
/// SIGTERM, then stops every node.
pub(crate) fn run(network: DevNetwork) -> anyhow::Result<()> {
    if network.validators == 0 || network.validators > MAX_DEV_VALIDATORS {
        bail!("--validators must be between 1 and {MAX_DEV_VALIDATORS}");
    }
    let configs: Vec<PathBuf> = if network.root.join("genesis.json").exists() {
        (0..network.validators).map(|i| network.root.join(format!("node{i}/config.toml"))).collect()
    } else {
        testnet::init(&InitArgs {
            validators: network.validators,
            full_nodes: 0,
            out: network.root.clone(),
            hosts: vec![network.rpc_addr.ip()],
            rpc_port: network.rpc_addr.port(),
            api_port: network.api_addr.port(),
            p2p_port: network.p2p_port,
            gossip_port: network.p2p_port.saturating_add(1000),
            block_time: network.block_time,
            gas_limit: None,
        })?
    };
    for config in &configs {
        if !config.exists() {
            bail!("{} is missing; use a new --datadir", config.display());
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let stop = {
        let _context = runtime.enter();
        StopSignals::listen()?
    };
    let exe = std::env::current_exe().context("finding the cairn binary")?;
    println!(
        "Cairn BFT dev network: {} validators in {}, dev accounts funded as in `cairn dev`",
        network.validators,
        network.root.display()
    );
    for i in 0..network.validators {
        println!(
            "  node{i}: JSON-RPC http://{}:{}  REST http://{}:{}",
            network.rpc_addr.ip(),
            usize::from(network.rpc_addr.port()) + i,
            network.api_addr.ip(),
            usize::from(network.api_addr.port()) + i,
        );
    }
    let mut children = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        children.push(spawn_node(&exe, config, &format!("node{i}"))?);
    }
    runtime.block_on(async {
        let stopped = stop.wait();
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(500)) => {
                    if children.iter_mut().any(|c| matches!(c.try_wait(), Ok(Some(_)))) {
                        eprintln!("a node exited; stopping the network");
                        break;
                    }
                }
                () = &mut stopped => break,
            }
        }
    });
    for child in &mut children {
        terminate(child);
    }
    for child in &mut children {
        let _ = child.wait();
    }
    Ok(())
}

/// Asks a node to stop (SIGTERM, so it finishes its writes); `kill` is part of every Unix.
fn terminate(child: &mut Child) {
    let stopped = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .is_ok_and(|s| s.success());
    if !stopped {
        let _ = child.kill();
    }
}
