//! Foundry's cast against the node: a value transfer, a contract created from solc-js output,
//! calls, receipts, blocks, logs, proofs, gas estimates, pending nonces and a revert reason.

use std::process::Command;

use serde_json::Value;

use crate::harness::{
    ACCOUNT0, ACCOUNT1, KEY0, Node, Target, cast_bin, compile_bytecode, run, run_ok,
};

const RECIPIENT: &str = "0x000000000000000000000000000000000000bEEF";
const TRANSFER_EVENT: &str = "Transfer(address indexed from,address indexed to,uint256 value)";

struct Cast<'a> {
    node: &'a Node,
}

impl Cast<'_> {
    fn command(&self, subcommand: &str, args: &[&str]) -> Command {
        let mut command = Command::new(cast_bin());
        command.arg(subcommand).args(["--rpc-url", &self.node.http]).args(args);
        command
    }

    /// Runs `cast <subcommand> --rpc-url URL <args>`, asserts success, returns trimmed stdout.
    fn run(&self, subcommand: &str, args: &[&str]) -> String {
        run_ok(&mut self.command(subcommand, args))
    }

    fn json(&self, subcommand: &str, args: &[&str]) -> Value {
        let out = self.run(subcommand, args);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("cast {subcommand}: not JSON ({e}): {out}"))
    }

    fn number(&self, subcommand: &str, args: &[&str]) -> u128 {
        let out = self.run(subcommand, args);
        // `cast call` appends a scientific form: "1000000 [1e6]".
        let first = out.split_whitespace().next().unwrap_or_default();
        first.parse().unwrap_or_else(|e| panic!("cast {subcommand}: not a number ({e}): {out}"))
    }
}

fn text<'v>(value: &'v Value, field: &str) -> &'v str {
    value[field].as_str().unwrap_or_else(|| panic!("no string field {field} in {value}"))
}

fn quantity(value: &Value, field: &str) -> u64 {
    let hex = text(value, field);
    u64::from_str_radix(hex.trim_start_matches("0x"), 16)
        .unwrap_or_else(|e| panic!("{field} = {hex}: {e}"))
}

fn same_address(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn cast_flow(target: Target) {
    let node = Node::start(target);
    let cast = Cast { node: &node };

    assert_eq!(cast.run("chain-id", &[]), "31337");
    let start_height = cast.number("block-number", &[]);

    // A value transfer, its receipt and its block.
    let sent =
        cast.json("send", &["--private-key", KEY0, "--json", RECIPIENT, "--value", "1ether"]);
    assert_eq!(text(&sent, "status"), "0x1", "cast send transfer: {sent}");
    assert!(same_address(text(&sent, "from"), ACCOUNT0), "{sent}");
    assert!(same_address(text(&sent, "to"), RECIPIENT), "{sent}");
    let transfer_hash = text(&sent, "transactionHash").to_string();
    assert_eq!(cast.run("balance", &[RECIPIENT]), "1000000000000000000");

    let receipt = cast.json("receipt", &[&transfer_hash, "--json"]);
    assert_eq!(text(&receipt, "status"), "0x1", "cast receipt: {receipt}");
    assert_eq!(text(&receipt, "transactionHash"), transfer_hash);
    assert_eq!(quantity(&receipt, "gasUsed"), 21_000, "{receipt}");
    assert_eq!(cast.run("receipt", &[&transfer_hash, "status"]), "true");
    let transfer_block = quantity(&receipt, "blockNumber");
    assert!(u128::from(transfer_block) > start_height, "transfer mined in a new block: {receipt}");

    let block = cast.json("block", &[&transfer_block.to_string(), "--json"]);
    assert_eq!(quantity(&block, "number"), transfer_block, "cast block: {block}");
    assert_eq!(text(&block, "hash"), text(&receipt, "blockHash"), "{block}");
    let txs =
        block["transactions"].as_array().unwrap_or_else(|| panic!("no transactions: {block}"));
    assert!(txs.iter().any(|tx| tx.as_str() == Some(transfer_hash.as_str())), "{block}");
    assert_eq!(
        cast.run("block", &[&transfer_block.to_string(), "--field", "number"]),
        transfer_block.to_string()
    );

    let tx = cast.json("tx", &[&transfer_hash, "--json"]);
    assert!(same_address(text(&tx, "from"), ACCOUNT0), "cast tx: {tx}");
    assert_eq!(quantity(&tx, "blockNumber"), transfer_block, "{tx}");

    // A contract created from solc-js output, with a constructor argument.
    let bytecode = compile_bytecode("Token");
    let created = cast.json(
        "send",
        &[
            "--private-key",
            KEY0,
            "--json",
            "--create",
            &bytecode,
            "constructor(uint256)",
            "1000000",
        ],
    );
    assert_eq!(text(&created, "status"), "0x1", "cast send --create: {created}");
    let token = text(&created, "contractAddress").to_string();
    let deploy_block = quantity(&created, "blockNumber");
    assert!(cast.run("code", &[&token]).len() > 2, "contract code stored");
    assert_eq!(cast.number("call", &[&token, "totalSupply()(uint256)"]), 1_000_000);
    assert_eq!(cast.number("call", &[&token, "balanceOf(address)(uint256)", ACCOUNT0]), 1_000_000);
    assert_eq!(cast.run("call", &[&token, "symbol()(string)"]), "\"CTT\"");

    // Gas estimate, then the token transfer itself.
    let estimate = cast.number(
        "estimate",
        &["--from", ACCOUNT0, &token, "transfer(address,uint256)", ACCOUNT1, "400"],
    );
    assert!((21_000..100_000).contains(&estimate), "cast estimate: {estimate}");
    let moved = cast.json(
        "send",
        &["--private-key", KEY0, "--json", &token, "transfer(address,uint256)", ACCOUNT1, "400"],
    );
    assert_eq!(text(&moved, "status"), "0x1", "cast send transfer(): {moved}");
    assert!(
        u128::from(quantity(&moved, "gasUsed")) <= estimate,
        "gas used within the estimate: {moved}"
    );
    let moved_hash = text(&moved, "transactionHash").to_string();
    assert_eq!(cast.number("call", &[&token, "balanceOf(address)(uint256)", ACCOUNT1]), 400);
    assert_eq!(cast.number("call", &[&token, "balanceOf(address)(uint256)", ACCOUNT0]), 999_600);

    // Logs: the mint and the transfer, decoded by cast from the event signature.
    let logs = cast.json(
        "logs",
        &[
            "--json",
            "--from-block",
            &deploy_block.to_string(),
            "--to-block",
            "latest",
            "--address",
            &token,
            TRANSFER_EVENT,
        ],
    );
    let logs = logs.as_array().unwrap_or_else(|| panic!("cast logs: not an array: {logs}"));
    assert_eq!(logs.len(), 2, "cast logs: {logs:?}");
    assert_eq!(text(&logs[0], "transactionHash"), text(&created, "transactionHash"), "{logs:?}");
    assert_eq!(text(&logs[1], "transactionHash"), moved_hash, "{logs:?}");
    let to_topic = logs[1]["topics"][2].as_str().unwrap_or_default();
    assert!(to_topic.to_lowercase().ends_with(&ACCOUNT1[2..].to_lowercase()), "{logs:?}");
    assert_eq!(text(&logs[1], "data"), format!("0x{:064x}", 400), "{logs:?}");

    // Storage and its proof: balanceOf is the mapping at slot 0.
    let slot = run_ok(Command::new(cast_bin()).args(["index", "address", ACCOUNT1, "0"]));
    assert_eq!(
        u128::from_str_radix(cast.run("storage", &[&token, &slot]).trim_start_matches("0x"), 16)
            .unwrap(),
        400
    );
    let proof = cast.json("proof", &[&token, &slot]);
    assert!(!proof["accountProof"].as_array().unwrap().is_empty(), "cast proof: {proof}");
    assert_eq!(quantity(&proof, "nonce"), 1, "a contract's nonce starts at 1: {proof}");
    assert_eq!(proof["storageProof"][0]["value"].as_str(), Some("0x190"), "cast proof: {proof}");
    assert!(
        !proof["storageProof"][0]["proof"].as_array().unwrap().is_empty(),
        "cast proof: {proof}"
    );

    // Nonces: three mined; a fourth sent without waiting counts at once in `pending`.
    assert_eq!(cast.number("nonce", &[ACCOUNT0]), 3);
    assert_eq!(cast.number("nonce", &["--block", "pending", ACCOUNT0]), 3);
    let queued = cast.run("send", &["--private-key", KEY0, "--async", RECIPIENT, "--value", "1"]);
    assert!(
        queued.starts_with("0x") && queued.len() == 66,
        "cast send --async prints the hash: {queued}"
    );
    assert_eq!(cast.number("nonce", &["--block", "pending", ACCOUNT0]), 4);
    let queued_receipt = cast.json("receipt", &[&queued, "--json"]);
    assert_eq!(text(&queued_receipt, "status"), "0x1", "{queued_receipt}");
    assert_eq!(cast.number("nonce", &[ACCOUNT0]), 4);

    // A failing call: cast shows the revert reason.
    let failed = run(&mut cast.command(
        "call",
        &["--from", ACCOUNT1, &token, "transfer(address,uint256)", ACCOUNT0, "5000"],
    ));
    assert!(!failed.status.success(), "{}", failed.describe("cast call beyond balance"));
    assert!(
        failed.stderr.contains("execution reverted: insufficient balance"),
        "{}",
        failed.describe("cast call beyond balance")
    );
}

#[test]
fn cast_flow_on_cairn() {
    cast_flow(Target::Cairn);
}

#[test]
fn cast_flow_on_anvil() {
    cast_flow(Target::Anvil);
}
