//! Integration tests: real networks on 127.0.0.1 talking TCP.

mod consensus;
mod gate;
mod gossip;
mod logs;
mod peers;
mod penalties;
mod support;
