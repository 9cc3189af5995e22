use cairn_network::NetworkError;
use cairn_node::NodeError;
use thiserror::Error;

/// What goes wrong in a proof-of-work node's network: a peer's bad bytes, or the parts it
/// runs on.
#[derive(Debug, Error)]
pub enum PowNetError {
    /// A message with no bytes at all.
    #[error("an empty message")]
    Empty,
    /// A request or response of a kind this node does not know.
    #[error("a message of unknown kind {kind}")]
    UnknownKind {
        /// Its kind byte.
        kind: u8,
    },
    /// A list longer than any request or response may carry.
    #[error("a list of more than {max} items")]
    TooMany {
        /// The most it may carry.
        max: usize,
    },
    /// Bytes after the message's end.
    #[error("{bytes} bytes after the message")]
    Trailing {
        /// How many.
        bytes: usize,
    },
    /// Bytes that are not the RLP of the message.
    #[error("malformed message: {0}")]
    Rlp(#[from] alloy_rlp::Error),
    /// The libp2p network failed or stopped.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}
