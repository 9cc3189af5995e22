//! `cairn staking status`: the epoch, the set signing it, the candidates, the set the epoch's
//! end would choose and recent slashes, all read from the staking contract at one block.

use std::fmt::Write as _;

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolEvent;
use anyhow::Context;
use cairn_staking::{STAKING_ADDRESS, Staking, ValidatorStatus};
use clap::Args;
use serde::{Serialize, Serializer};
use serde_json::json;

use super::amounts::{ether, percent};
use super::contract::STAKING;
use crate::contract_tx::{ContractRpc, decode_log};
use crate::jsonrpc::{hex_quantity, quantity};

/// How far back slashes are looked for: the default block range of one Cairn `eth_getLogs`.
const SLASH_WINDOW_BLOCKS: u64 = 10_000;

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// JSON-RPC endpoint of a node of the chain.
    #[arg(long, default_value = "http://127.0.0.1:8545")]
    rpc: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// What `status` prints, as `--json` prints it (wei amounts as decimal strings).
#[derive(Debug, Serialize)]
struct Status {
    chain_id: u64,
    /// The block every figure was read at (the node's head).
    block: u64,
    epoch: u64,
    epoch_start: u64,
    /// Known once the chain is past its first epoch boundary.
    epoch_length: Option<u64>,
    next_set_from: Option<u64>,
    set: Set,
    validators: Vec<Validator>,
    /// What the end of the epoch would choose now; empty: the current set would be kept.
    projected_set: Vec<Member>,
    recent_slashes: Vec<Slash>,
    recent_slashes_from_block: u64,
}

#[derive(Debug, Serialize)]
struct Set {
    #[serde(serialize_with = "decimal")]
    total_power: U256,
    members: Vec<Member>,
}

#[derive(Debug, Serialize)]
struct Member {
    validator: Address,
    power: u64,
}

#[derive(Debug, Serialize)]
struct Validator {
    validator: Address,
    operator: Address,
    public_key: Bytes,
    status: &'static str,
    power: u64,
    #[serde(serialize_with = "decimal")]
    stake: U256,
    #[serde(serialize_with = "decimal")]
    self_stake: U256,
    commission_bps: u16,
    pending_commission_bps: u16,
    jailed_until: u64,
    missed_in_window: u64,
    #[serde(serialize_with = "decimal")]
    commission_owed: U256,
}

#[derive(Debug, Serialize)]
struct Slash {
    validator: Address,
    reason: &'static str,
    infraction_height: u64,
    #[serde(serialize_with = "decimal")]
    bonded_slashed: U256,
    #[serde(serialize_with = "decimal")]
    unbonding_slashed: U256,
    block: u64,
    transaction: Option<B256>,
}

pub(crate) async fn run(args: StatusArgs) -> anyhow::Result<()> {
    let chain = ContractRpc::connect(&args.rpc, &STAKING).await?;
    let status = read(&chain).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        print!("{}", render(&status));
    }
    Ok(())
}

async fn read(chain: &ContractRpc) -> anyhow::Result<Status> {
    let block = quantity(&chain.rpc.call("eth_blockNumber", json!([])).await?)?;
    let at = json!(hex_quantity(block));
    let active = chain.view(&Staking::activeSetCall {}, &at).await?;
    let epoch = active.epoch;
    let epoch_start = chain.view(&Staking::epochStartCall { epoch }, &at).await?;
    // Epochs are equally long; the first boundary tells how long.
    let epoch_length = match epoch.checked_sub(1) {
        Some(previous) => {
            let previous_start =
                chain.view(&Staking::epochStartCall { epoch: previous }, &at).await?;
            Some(epoch_start.saturating_sub(previous_start))
        }
        None => None,
    };
    let infos = chain.view(&Staking::listValidatorsCall {}, &at).await?;
    let projected = chain.view(&Staking::projectedSetCall {}, &at).await?;
    let from_block = block.saturating_sub(SLASH_WINDOW_BLOCKS - 1).max(1);
    let recent_slashes =
        if block == 0 { Vec::new() } else { slashes(chain, from_block, block).await? };

    let validators = infos
        .into_iter()
        .map(|info| {
            let status = ValidatorStatus::try_from(info.status)?;
            Ok(Validator {
                validator: info.validator,
                operator: info.operator,
                public_key: info.publicKey,
                status: status.as_str(),
                power: info.power,
                stake: info.totalStake,
                self_stake: info.selfStake,
                commission_bps: info.commissionBps,
                pending_commission_bps: info.pendingCommissionBps,
                jailed_until: info.jailedUntil,
                missed_in_window: info.missedInWindow,
                commission_owed: info.commissionOwed,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let members = |set: Vec<Staking::SetMember>| {
        set.into_iter().map(|m| Member { validator: m.validator, power: m.power }).collect()
    };
    Ok(Status {
        chain_id: chain.chain_id,
        block,
        epoch,
        epoch_start,
        epoch_length,
        next_set_from: epoch_length.map(|length| epoch_start.saturating_add(length)),
        set: Set { total_power: active.totalPower, members: members(active.members) },
        validators,
        projected_set: members(projected),
        recent_slashes,
        recent_slashes_from_block: from_block,
    })
}

/// `Slashed` events of the staking contract in `from..=to`, newest first.
async fn slashes(chain: &ContractRpc, from: u64, to: u64) -> anyhow::Result<Vec<Slash>> {
    let filter = json!({
        "address": STAKING_ADDRESS,
        "topics": [Staking::Slashed::SIGNATURE_HASH],
        "fromBlock": hex_quantity(from),
        "toBlock": hex_quantity(to),
    });
    let logs = chain.rpc.call("eth_getLogs", json!([filter])).await?;
    let logs = logs.as_array().context("eth_getLogs answered no list")?;
    let mut slashes = Vec::with_capacity(logs.len());
    for log in logs {
        let log_data = decode_log(log).context("eth_getLogs: a log without topics or data")?;
        let event = Staking::Slashed::decode_log_data(&log_data)
            .context("a Slashed event that does not decode")?;
        slashes.push(Slash {
            validator: event.validator,
            reason: match event.reason {
                0 => "double sign",
                1 => "downtime",
                _ => "unknown",
            },
            infraction_height: event.infractionHeight,
            bonded_slashed: event.bondedSlashed,
            unbonding_slashed: event.unbondingSlashed,
            block: quantity(&log["blockNumber"])?,
            transaction: serde_json::from_value(log["transactionHash"].clone()).ok(),
        });
    }
    slashes.reverse();
    Ok(slashes)
}

/// Wei as a decimal string in JSON: exact at any size, unlike a JSON number.
fn decimal<S: Serializer>(wei: &U256, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(wei)
}

/// The table `status` prints without `--json`.
fn render(s: &Status) -> String {
    let mut out = String::new();
    let _ = match (s.epoch_length, s.next_set_from) {
        (Some(length), Some(next)) => writeln!(
            out,
            "epoch {}: blocks {}–{} (head {}); next set from block {next}",
            s.epoch,
            s.epoch_start,
            s.epoch_start + length - 1,
            s.block
        ),
        _ => writeln!(
            out,
            "epoch {}: from block {} (head {}); no epoch has ended yet",
            s.epoch, s.epoch_start, s.block
        ),
    };
    let in_set = |v: &Validator| s.set.members.iter().any(|m| m.validator == v.validator);
    let line = |v: &Validator| {
        format!(
            "  {}  power {}  stake {}  self {}  commission {}  {}",
            v.validator,
            v.power,
            ether(v.stake),
            ether(v.self_stake),
            percent(v.commission_bps),
            v.status
        )
    };
    let _ = writeln!(
        out,
        "set ({} validators, total power {})",
        s.set.members.len(),
        s.set.total_power
    );
    for member in &s.set.members {
        match s.validators.iter().find(|v| v.validator == member.validator) {
            Some(v) => out.push_str(&line(v)),
            None => out.push_str(&format!("  {}  power {}", member.validator, member.power)),
        }
        out.push('\n');
    }
    let others: Vec<&Validator> = s.validators.iter().filter(|v| !in_set(v)).collect();
    if others.is_empty() {
        out.push_str("candidates: none\n");
    } else {
        out.push_str("candidates\n");
        for v in others {
            out.push_str(&line(v));
            out.push('\n');
        }
    }
    let projected: Vec<String> =
        s.projected_set.iter().map(|m| format!("{} {}", m.validator, m.power)).collect();
    let _ = if projected.is_empty() {
        writeln!(out, "projected for epoch {}: none eligible, the set would be kept", s.epoch + 1)
    } else {
        writeln!(out, "projected for epoch {}: {}", s.epoch + 1, projected.join(" · "))
    };
    if s.recent_slashes.is_empty() {
        let _ = writeln!(out, "recent slashes (since block {}): none", s.recent_slashes_from_block);
    } else {
        let _ = writeln!(out, "recent slashes (since block {})", s.recent_slashes_from_block);
        for slash in &s.recent_slashes {
            let _ = writeln!(
                out,
                "  {} {} at {}: {} bonded, {} unbonding (block {})",
                slash.validator,
                slash.reason,
                slash.infraction_height,
                ether(slash.bonded_slashed),
                ether(slash.unbonding_slashed),
                slash.block
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn the_table_shows_set_candidates_projection_and_slashes() {
        let a = address!("0x00000000000000000000000000000000000000aa");
        let b = address!("0x00000000000000000000000000000000000000bb");
        let eth = |n: u64| U256::from(n) * U256::from(10u64).pow(U256::from(18u8));
        let validator = |validator, status, power, stake: u64| Validator {
            validator,
            operator: Address::ZERO,
            public_key: Bytes::new(),
            status,
            power,
            stake: eth(stake),
            self_stake: eth(100),
            commission_bps: 500,
            pending_commission_bps: 500,
            jailed_until: 0,
            missed_in_window: 0,
            commission_owed: U256::ZERO,
        };
        let status = Status {
            chain_id: 1,
            block: 152,
            epoch: 7,
            epoch_start: 141,
            epoch_length: Some(20),
            next_set_from: Some(161),
            set: Set {
                total_power: U256::from(1100u16),
                members: vec![Member { validator: a, power: 1100 }],
            },
            validators: vec![validator(a, "active", 1100, 1100), validator(b, "candidate", 0, 500)],
            projected_set: vec![
                Member { validator: a, power: 1100 },
                Member { validator: b, power: 500 },
            ],
            recent_slashes: vec![Slash {
                validator: b,
                reason: "double sign",
                infraction_height: 97,
                bonded_slashed: eth(50),
                unbonding_slashed: eth(5),
                block: 99,
                transaction: None,
            }],
            recent_slashes_from_block: 1,
        };
        let table = render(&status);
        let expected = [
            "epoch 7: blocks 141–160 (head 152); next set from block 161",
            "set (1 validators, total power 1100)",
            &format!(
                "  {a}  power 1100  stake 1100 ether  self 100 ether  commission 5.00%  active"
            ),
            "candidates",
            &format!(
                "  {b}  power 0  stake 500 ether  self 100 ether  commission 5.00%  candidate"
            ),
            &format!("projected for epoch 8: {a} 1100 · {b} 500"),
            "recent slashes (since block 1)",
            &format!("  {b} double sign at 97: 50 ether bonded, 5 ether unbonding (block 99)"),
        ];
        assert_eq!(table.lines().collect::<Vec<_>>(), expected);
        // JSON carries wei as exact decimal strings.
        let json = serde_json::to_value(&status).unwrap_or_default();
        assert_eq!(json["validators"][0]["stake"], "1100000000000000000000");
        assert_eq!(json["set"]["total_power"], "1100");
        assert_eq!(json["recent_slashes"][0]["unbonding_slashed"], "5000000000000000000");
    }
}
