//! Proof-of-work nodes on real libp2p swarms on loopback, in one process: blocks spread,
//! nodes that are behind or on a lighter branch catch up headers first, and a peer that
//! sends invalid work is banned.

mod network;
