//! Typed calls, returns, events and errors of the contract, generated from the committed ABI so
//! Rust and Solidity cannot drift apart.

#![allow(missing_docs, unreachable_pub, clippy::too_many_arguments)]

alloy_sol_types::sol!(
    #[derive(Debug, PartialEq, Eq)]
    Governance,
    "../../contracts/out/Governance.abi.json"
);
