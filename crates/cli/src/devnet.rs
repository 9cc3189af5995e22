//! `cairn dev --validators N [--consensus pos|pow | --network private|consortium]`: a local
//! BFT, proof-of-stake, proof-of-work or governed network of N validator (or miner) processes
//! on loopback, one
//! command to start and one Ctrl-C to stop. Each node is a `cairn node` child with its own
//! folder and ports; its output is prefixed with its name. A node that exits is reported and
//! the others keep running; the nodes stop with the supervisor, even when it is killed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use nix::sys::signal::Signal;

use crate::governed::Network;
use crate::signals::StopSignals;
use crate::testnet::{self, Engine, InitArgs, PosArgs};

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
    pub(crate) consensus: Engine,
    pub(crate) pos: PosArgs,
    /// Public (nobody governs), or private or consortium with dev accounts as admins.
    pub(crate) network: Network,
    /// Organisations of a consortium (`--orgs`).
    pub(crate) orgs: Option<usize>,
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
        .arg("--supervisor-pid")
        .arg(std::process::id().to_string())
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
            miners: (network.consensus == Engine::Pow).then_some(network.validators),
            full_nodes: 0,
            out: network.root.clone(),
            hosts: vec![network.rpc_addr.ip()],
            rpc_port: network.rpc_addr.port(),
            api_port: network.api_addr.port(),
            p2p_port: network.p2p_port,
            gossip_port: network.p2p_port.saturating_add(1000),
            block_time: network.block_time,
            gas_limit: None,
            consensus: network.consensus,
            pos: network.pos.clone(),
            network: network.network,
            orgs: network.orgs,
            dev_operators: true,
            dev_admins: true,
        })?
        .configs
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
    match (network.consensus, network.network) {
        (Engine::Bft, Network::Private | Network::Consortium) => {
            let spec = cairn_primitives::ChainSpec::from_file(&network.root.join("genesis.json"))?;
            let names: Vec<&str> = spec
                .governance
                .iter()
                .flat_map(|g| &g.organisations)
                .map(|org| org.name.as_str())
                .collect();
            println!(
                "Cairn {} dev network: {} validators in {}, governed by {} ({}-block epochs); dev \
                 accounts funded as in `cairn dev`, only admins and members may transact",
                if network.network == Network::Private { "private" } else { "consortium" },
                network.validators,
                network.root.display(),
                names.join(", "),
                spec.epoch_length.unwrap_or_default(),
            );
            println!();
            crate::dev::print_accounts(&spec)?;
        }
        (Engine::Bft, Network::Public) => println!(
            "Cairn BFT dev network: {} validators in {}, dev accounts funded as in `cairn dev`",
            network.validators,
            network.root.display()
        ),
        (Engine::Pow, _) => println!(
            "Cairn proof-of-work dev network: {} miners in {}, dev accounts funded as in `cairn \
             dev`; the miners' blocks pay dev accounts 0 to {}",
            network.validators,
            network.root.display(),
            network.validators - 1,
        ),
        (Engine::Pos, _) => println!(
            "Cairn proof-of-stake dev network: {} validators in {}, {}-block epochs, dev \
             accounts funded as in `cairn dev`; dev accounts 0 to {} operate the genesis \
             validators",
            network.validators,
            network.root.display(),
            network.pos.epoch_length,
            network.validators - 1,
        ),
    }
    let mut nodes = Vec::new();
    for (i, config) in configs.iter().enumerate() {
        let name = format!("node{i}");
        let child = spawn_node(&exe, config, &name)?;
        println!(
            "  {name}: pid {}  JSON-RPC http://{}:{}  REST http://{}:{}",
            child.id(),
            network.rpc_addr.ip(),
            usize::from(network.rpc_addr.port()) + i,
            network.api_addr.ip(),
            usize::from(network.api_addr.port()) + i,
        );
        nodes.push(NodeProcess { name, child });
    }
    let everyone_exited = runtime.block_on(supervise(&mut nodes, stop));
    for node in &mut nodes {
        terminate(&mut node.child);
    }
    for node in &mut nodes {
        let _ = node.child.wait();
    }
    if everyone_exited {
        bail!("every node of the network has exited");
    }
    Ok(())
}

/// A node process of the local network.
struct NodeProcess {
    name: String,
    child: Child,
}

/// Watches the nodes until a stop signal (returns false) or until none is left (returns
/// true). A node that exits is reported with how it ended, and the others keep running: a BFT
/// network goes on while more than two thirds of its voting power is up.
async fn supervise(nodes: &mut Vec<NodeProcess>, stop: StopSignals) -> bool {
    let total = nodes.len();
    let stopped = stop.wait();
    tokio::pin!(stopped);
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(500)) => {}
            () = &mut stopped => return false,
        }
        let mut index = 0;
        while index < nodes.len() {
            let node = &mut nodes[index];
            match node.child.try_wait() {
                Ok(Some(status)) => {
                    let (name, pid) = (node.name.clone(), node.child.id());
                    nodes.remove(index);
                    eprintln!(
                        "{name} (pid {pid}) {}; {} of {total} nodes still running (Ctrl-C stops them)",
                        describe_exit(status),
                        nodes.len()
                    );
                }
                _ => index += 1,
            }
        }
        if nodes.is_empty() {
            return true;
        }
    }
}

/// How a process ended, in words: its exit status, or the signal that killed it.
fn describe_exit(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(number)) => match Signal::try_from(number) {
            Ok(signal) => format!("was killed by signal {number} ({})", signal.as_str()),
            Err(_) => format!("was killed by signal {number}"),
        },
        (None, None) => format!("ended ({status})"),
    }
}

/// Makes this node process receive SIGTERM when the supervisor that started it dies, even by
/// SIGKILL, so a local network never leaves orphaned nodes holding its ports; fails at once if
/// the supervisor is already gone. Linux delivers the signal itself (the parent-death signal).
#[cfg(target_os = "linux")]
pub(crate) fn follow_supervisor(pid: u32) -> anyhow::Result<()> {
    nix::sys::prctl::set_pdeathsig(Signal::SIGTERM)
        .context("asking to be stopped together with the supervisor")?;
    ensure_supervisor(pid)
}

/// Makes this node process receive SIGTERM when the supervisor that started it dies, even by
/// SIGKILL, so a local network never leaves orphaned nodes holding its ports; fails at once if
/// the supervisor is already gone. Without Linux's parent-death signal, a thread watches for
/// the node being handed to another parent.
#[cfg(not(target_os = "linux"))]
pub(crate) fn follow_supervisor(pid: u32) -> anyhow::Result<()> {
    ensure_supervisor(pid)?;
    std::thread::Builder::new()
        .name("supervisor-watch".into())
        .spawn(move || {
            while ensure_supervisor(pid).is_ok() {
                std::thread::sleep(Duration::from_secs(1));
            }
            let _ = nix::sys::signal::raise(Signal::SIGTERM);
        })
        .context("starting the supervisor watch")?;
    Ok(())
}

fn ensure_supervisor(pid: u32) -> anyhow::Result<()> {
    if u32::try_from(nix::unistd::getppid().as_raw()).ok() != Some(pid) {
        bail!("the supervisor (pid {pid}) that started this node is gone");
    }
    Ok(())
}

/// Asks a node to stop (SIGTERM, so it finishes its writes), or kills it if that fails.
fn terminate(child: &mut Child) {
    let pid = i32::try_from(child.id()).map(nix::unistd::Pid::from_raw);
    let asked = pid.is_ok_and(|pid| nix::sys::signal::kill(pid, Signal::SIGTERM).is_ok());
    if !asked {
        let _ = child.kill();
    }
}
