//! Integration tests of block execution.
#![allow(clippy::unwrap_used, missing_docs)]

mod system_calls;
