//! Nodes started in-process through the node library, read over real HTTP.
#![allow(clippy::unwrap_used, missing_docs, unreachable_pub)]

mod clock;
mod evidence;
mod governance;
mod peers;
mod pow;
mod support;
mod tags;
