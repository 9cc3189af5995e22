//! Integration tests: real networks on 127.0.0.1 talking TCP.

mod gossip;
mod peers;
mod penalties;
mod support;
