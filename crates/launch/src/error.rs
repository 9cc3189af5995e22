//! Why a node could not start, or why it stopped by itself.

use std::path::PathBuf;
use std::sync::Arc;

use cairn_storage::StoreError;

/// Everything that can keep a node from starting or end it early, each with what the
/// operator needs to fix it.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// A file (config, spec, key, password) could not be read.
    #[error("reading {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A file (config, key) could not be created or written.
    #[error("writing {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A directory could not be created.
    #[error("creating {}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// A config file larger than any real one: refused before it is read.
    #[error("{} is larger than 1 MiB", path.display())]
    ConfigTooLarge {
        /// The file.
        path: PathBuf,
    },
    /// A config file that is not a node config.
    #[error("parsing {}", path.display())]
    ParseConfig {
        /// The file.
        path: PathBuf,
        /// Where and why the TOML was refused.
        #[source]
        source: toml::de::Error,
    },
    /// A config that cannot be rendered as TOML.
    #[error("rendering the node config")]
    RenderConfig(#[source] toml::ser::Error),
    /// A key or password file larger than any real one.
    #[error("{} is too large for a key or password file", path.display())]
    SecretTooLarge {
        /// The file.
        path: PathBuf,
    },
    /// A chain spec that cannot be read or is invalid.
    #[error(transparent)]
    Spec(#[from] cairn_primitives::PrimitivesError),
    /// The config's `extra_data` is longer than a header may carry.
    #[error("extra_data is {len} bytes, at most {max} fit in a header")]
    ExtraDataTooLong {
        /// Its length.
        len: usize,
        /// The header bound.
        max: usize,
    },
    /// The governed roles of a `[governance]` spec cannot be built (an engine governance
    /// does not run on).
    #[error(transparent)]
    Governance(#[from] cairn_governance::GovernanceError),
    /// `cairn node` was given a chain another engine decides.
    #[error("cairn node runs bft, pos and pow chains; use cairn dev for a dev chain")]
    DevChain,
    /// A config asks to mine without saying whom the blocks pay.
    #[error("mine = true needs coinbase = \"0x…\": the account the mined blocks pay")]
    NoCoinbase,
    /// A config sets what only another engine's nodes use.
    #[error("{field} does not apply to a {consensus:?} chain")]
    NotForEngine {
        /// The config field.
        field: &'static str,
        /// The spec's consensus.
        consensus: cairn_primitives::ConsensusKind,
    },
    /// A miner thread count out of range.
    #[error("miner_threads = {threads}: a miner runs 1 to {max} search threads")]
    MinerThreads {
        /// The configured count.
        threads: usize,
        /// The most allowed.
        max: usize,
    },
    /// The proof-of-work network failed to start.
    #[error(transparent)]
    PowNetwork(#[from] cairn_pow::PowNetError),
    /// A miner asked to run a chain without work, or another engine a proof-of-work chain:
    /// its blocks would never pass the chain's header rules.
    #[error(
        "this chain's consensus is {consensus:?}: only a pow chain is mined, and a pow chain \
         only by miners (cairn dev --consensus pow, or cairn node with a pow spec)"
    )]
    EngineMismatch {
        /// The spec's consensus.
        consensus: cairn_primitives::ConsensusKind,
    },
    /// The data directory holds a chain created from another spec.
    #[error("{} already holds a chain with another spec; use a new --datadir", dir.display())]
    SpecMismatch {
        /// The data directory.
        dir: PathBuf,
    },
    /// An audit of a directory that holds no chain.
    #[error("{} holds no chain (no genesis.json)", dir.display())]
    NoChain {
        /// The data directory.
        dir: PathBuf,
    },
    /// The chain store could not be created or opened.
    #[error("{action} {}", path.display())]
    Store {
        /// `opening` or `creating`.
        action: &'static str,
        /// The store file.
        path: PathBuf,
        /// What the store said.
        #[source]
        source: StoreError,
    },
    /// A validator key without a way to learn its password.
    #[error("the validator key needs validator_password_file or CAIRN_KEY_PASSWORD")]
    NoPassword,
    /// The validator keystore could not be decrypted.
    #[error("decrypting {}", path.display())]
    Key {
        /// The keystore file.
        path: PathBuf,
        /// Why (a wrong password, a damaged file).
        #[source]
        source: cairn_keys::KeysError,
    },
    /// The network key file is not hex.
    #[error("{} is not hex", path.display())]
    NetworkKeyHex {
        /// The key file.
        path: PathBuf,
        /// Where the hex is wrong.
        #[source]
        source: alloy_primitives::hex::FromHexError,
    },
    /// The network key file's bytes are not a libp2p key.
    #[error("{} is not a network key", path.display())]
    NetworkKey {
        /// The key file.
        path: PathBuf,
        /// Why libp2p refused it.
        #[source]
        source: libp2p::identity::DecodingError,
    },
    /// An address in the config is not a multiaddr.
    #[error("{text:?} is not a multiaddr")]
    Multiaddr {
        /// The address as written.
        text: String,
    },
    /// A TLS listener given a certificate without its key, or the other way round.
    #[error("{what} TLS needs both a certificate and its private key")]
    TlsIncomplete {
        /// Which listener (`JSON-RPC`, `REST API`).
        what: &'static str,
    },
    /// A TLS certificate or key that cannot be loaded.
    #[error("loading the {what} TLS certificate")]
    Tls {
        /// Which listener.
        what: &'static str,
        /// Why the files were refused.
        #[source]
        source: cairn_http::HttpError,
    },
    /// The node could not open its chain.
    #[error(transparent)]
    Node(#[from] cairn_node::NodeError),
    /// BFT consensus could not start.
    #[error(transparent)]
    Bft(#[from] cairn_bft::BftError),
    /// The evidence an earlier run left pending could not be read back from the store.
    #[error("reading pending evidence back: {0}")]
    PendingEvidence(#[from] cairn_bft::EvidenceError),
    /// The JSON-RPC server could not start.
    #[error(transparent)]
    Rpc(#[from] cairn_rpc::RpcError),
    /// A JSON-RPC method of this crate could not be registered.
    #[error("registering a JSON-RPC method")]
    Method(#[from] jsonrpsee::core::RegisterMethodError),
    /// The REST API could not start.
    #[error(transparent)]
    Api(#[from] cairn_api::ApiError),
    /// Transaction gossip could not start.
    #[error(transparent)]
    Network(#[from] cairn_network::NetworkError),
    /// The store failed while the node ran; it stopped after its drain period.
    #[error(
        "stopped after a storage failure: {failure}; fix the cause (free disk space, restore a damaged store) and restart"
    )]
    StoreFailed {
        /// The failure the store reported.
        failure: Arc<StoreError>,
    },
    /// Consensus stopped by itself (one of its actors died); the node no longer follows the
    /// chain, so it stops rather than serve a frozen one.
    #[error("consensus stopped by itself; restart the node (its log above says why)")]
    ConsensusStopped,
}
